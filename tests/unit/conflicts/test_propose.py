"""Tests of safepip.conflicts.propose (with search and verify): the smallest verified change."""

from __future__ import annotations

import pytest
from support.memoryindex import (
    INDEX,
    TARGET,
    TRANSITIVE,
    MemoryIndex,
    Release,
    Verifier,
    run_propose,
    transitive_index,
)
from support.pipreports import PIP26_CONSTRAINT, PIP26_RANGE

from safepip.conflicts.explain import Clash, Conflict, parse_conflict
from safepip.conflicts.propose import propose


def test_propose_transitive_loosens_the_pin_to_the_nearest_working_release() -> None:
    """a==1.0 + b==2.0 clash on c: b is loosened just below 2.0, and pip is asked to confirm."""
    verifier = Verifier()
    proposal = run_propose(TRANSITIVE, transitive_index(), verifier)
    assert proposal is not None
    assert proposal.change == "b<2.0 (instead of b==2.0)"
    assert proposal.requirements == ("a==1.0", "b<2.0")
    assert proposal.verified
    assert verifier.asked == [["a==1.0", "b<2.0"]]
    assert "resolvelib finds a 1.0, b 1.5, c 1.0" in proposal.note
    assert proposal.command == "python3 -m pip install a==1.0 'b<2.0'"


def test_propose_reads_pep691_json_and_pep658_metadata_without_downloading_wheels() -> None:
    """With JSON pages announcing core-metadata, only .metadata files are read, no wheel."""
    index = transitive_index(json_pages=True)
    for releases in index.projects.values():
        for release in releases:
            release.metadata = "pep658"
    proposal = run_propose(TRANSITIVE, index)
    assert proposal is not None
    assert proposal.requirements == ("a==1.0", "b<2.0")
    assert any(url.endswith(".whl.metadata") for url in index.fetched)
    assert not any(url.endswith(".whl") for url in index.fetched)


def test_propose_html_data_dist_info_metadata_is_used() -> None:
    """A PEP 503 page with data-dist-info-metadata leads to the .metadata file, not the wheel."""
    index = transitive_index()
    index.projects["b"][1].metadata = "pep658"
    run_propose(TRANSITIVE, index)
    assert (
        "https://user:s3cret@index.example/files/b-1.5-py3-none-any.whl.metadata" in index.fetched
    )
    assert "https://user:s3cret@index.example/files/b-1.5-py3-none-any.whl" not in index.fetched


def test_propose_skips_yanked_python_incompatible_and_foreign_wheels() -> None:
    """b 1.5 yanked, b 1.8 for Python >= 99 and b 1.9 for Windows only are never proposed."""
    index = transitive_index()
    index.projects["b"] += [
        Release("1.8", ("c<2",), requires_python=">=99"),
        Release("1.9", ("c<2",), tag="cp311-cp311-win_amd64"),
    ]
    index.projects["b"][1].yanked = True
    proposal = run_propose(TRANSITIVE, index)
    assert proposal is not None
    assert proposal.change == "b<2.0 (instead of b==2.0)"
    assert "b 1.0" in proposal.note
    assert not any("b-1.8" in url or "b-1.9" in url for url in index.fetched)


def test_propose_prefers_the_newer_side_at_equal_distance() -> None:
    """a==1.0 vs c==2.0: a>=1.1 (one release up) beats c<2.0 (one release down)."""
    index = MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0",)), Release("1.1", ("c>=2",))],
            "c": [Release("1.0"), Release("2.0")],
        }
    )
    conflict = Conflict(
        package="c",
        clashes=(Clash("the user request", "c==2.0", "user"), Clash("a 1.0", "c==1.0")),
        user_requirements=("a==1.0", "c==2.0"),
    )
    proposal = run_propose(conflict, index)
    assert proposal is not None
    assert proposal.change == "a>=1.1 (instead of a==1.0)"
    assert proposal.requirements == ("a>=1.1", "c==2.0")


def test_propose_drops_clauses_the_new_bound_makes_redundant() -> None:
    """c>=2,<4,!=3.0 against a 1.0's c==1.0 becomes c<2.0, not c!=3.0,<2.0,<4."""
    index = MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0",))],
            "c": [Release("1.0"), Release("2.0"), Release("3.0"), Release("3.5")],
        }
    )
    conflict = parse_conflict(PIP26_RANGE)
    assert conflict is not None
    proposal = run_propose(conflict, index)
    assert proposal is not None
    assert proposal.requirements == ("a==1.0", "c<2.0")


def test_propose_falls_back_when_pip_rejects_the_first_option() -> None:
    """If pip does not confirm the best option, the next one is checked and proposed."""
    index = MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0",)), Release("1.1", ("c>=2",))],
            "c": [Release("1.0"), Release("2.0")],
        }
    )
    conflict = Conflict("c", (), user_requirements=("a==1.0", "c==2.0"))
    verifier = Verifier(answers=[False, True])
    proposal = run_propose(conflict, index, verifier)
    assert proposal is not None
    assert verifier.asked == [["a>=1.1", "c==2.0"], ["a==1.0", "c<2.0"]]
    assert proposal.change == "c<2.0 (instead of c==2.0)"
    assert proposal.verified


def test_propose_unconfirmed_is_marked_unverified() -> None:
    """When pip confirms nothing, the best option comes back with verified=False and says so."""
    proposal = run_propose(TRANSITIVE, transitive_index(), Verifier(answers=[False] * 5))
    assert proposal is not None
    assert not proposal.verified
    assert proposal.change == "b<2.0 (instead of b==2.0)"
    assert "pip did not confirm it" in proposal.note


def test_propose_loosens_a_constraint() -> None:
    """A clashing -c line is loosened in the constraints; the requirements stay as they were."""
    conflict = parse_conflict(PIP26_CONSTRAINT)
    assert conflict is not None
    verifier = Verifier()
    proposal = run_propose(conflict, transitive_index(), verifier)
    assert proposal is not None
    assert proposal.change == "c<2.0 in your constraints (instead of c==3.0)"
    assert proposal.requirements == ("a",)
    assert proposal.constraints == ("c<2.0",)
    assert verifier.asked[0][:2] == ["a", "-c"]
    assert proposal.command.endswith("-c constraints.txt")


def test_propose_two_changes_when_one_is_not_enough() -> None:
    """Each pin alone cannot move far enough: both a and b are loosened together."""
    index = MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0",)), Release("2.0", ("c==3.0",))],
            "b": [Release("1.0", ("c==2.0",)), Release("2.0", ("c==3.0",))],
            "c": [Release("1.0"), Release("2.0"), Release("3.0")],
        }
    )
    conflict = Conflict("c", (), user_requirements=("a==1.0", "b==1.0"))
    proposal = run_propose(conflict, index)
    assert proposal is not None
    assert proposal.change == "a>=2.0 (instead of a==1.0), b>=2.0 (instead of b==1.0)"
    assert proposal.requirements == ("a>=2.0", "b>=2.0")


def test_propose_removes_a_requirement_as_a_last_resort() -> None:
    """No version of b fits with a: the smallest change is leaving b out."""
    index = MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0",))],
            "b": [Release("1.0", ("c==2.0",)), Release("2.0", ("c==2.0",))],
            "c": [Release("1.0"), Release("2.0")],
        }
    )
    conflict = Conflict("c", (), user_requirements=("a", "b"))
    proposal = run_propose(conflict, index)
    assert proposal is not None
    assert proposal.change == "remove a from the request"
    assert proposal.requirements == ("b",)


def test_propose_reports_when_nothing_works() -> None:
    """A package that conflicts with itself: no change is proposed, and the note says so."""
    index = MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0", "d"))],
            "d": [Release("1.0", ("c==2.0",))],
            "c": [Release("1.0"), Release("2.0")],
        }
    )
    conflict = Conflict("c", (), user_requirements=("a",))
    verifier = Verifier()
    proposal = run_propose(conflict, index, verifier)
    assert proposal is not None
    assert proposal.change == ""
    assert not proposal.verified
    assert proposal.note.startswith("no change of one or two requirements")
    assert verifier.asked == []


@pytest.mark.parametrize(
    ("limits", "said"),
    [({"max_candidates": 1}, "the candidate cap (1)"), ({"time_limit": 0.0}, "its time limit")],
)
def test_propose_stops_at_its_limits(limits: dict[str, float], said: str) -> None:
    """Past the candidate cap or the time limit the search stops and the note says which."""
    proposal = run_propose(TRANSITIVE, transitive_index(), None, **limits)
    assert proposal is not None
    assert proposal.change == ""
    assert f"the search stopped at {said}" in proposal.note
    assert "no working change was found before the search stopped" in proposal.note


def test_propose_pins_a_too_deep_request() -> None:
    """For resolution-too-deep, a request that resolves here is pinned to that resolution."""
    conflict = Conflict("", (), user_requirements=("a", "b"), too_deep=True)
    index = transitive_index()
    proposal = run_propose(conflict, index)
    assert proposal is not None
    assert proposal.change == "pin a==1.0, b==1.5"
    assert proposal.requirements == ("a==1.0", "b==1.5")
    assert proposal.verified


def test_propose_never_shows_credentials() -> None:
    """An unreadable page is named in the note with the index password redacted."""
    index = transitive_index()
    del index.projects["b"]
    proposal = run_propose(TRANSITIVE, index)
    assert proposal is not None
    assert "index.example/simple/b/" in proposal.note
    assert "s3cret" not in proposal.note


def test_propose_follows_extras_and_markers() -> None:
    """a[fast] pulls c==1.0 only through its extra; a marker for Python 2 is ignored."""
    index = MemoryIndex(
        {
            "a": [
                Release("1.0", ('c==1.0; extra == "fast"', 'zzz; python_version < "3"')),
                Release("0.9", ()),
            ],
            "c": [Release("1.0"), Release("2.0")],
        }
    )
    conflict = Conflict("c", (), user_requirements=("a[fast]==1.0", "c==2.0"))
    proposal = run_propose(conflict, index)
    assert proposal is not None
    # Were the extra ignored, a[fast]==1.0 and c==2.0 would resolve and nothing would change.
    assert proposal.requirements == ("a[fast]==1.0", "c<2.0")
    assert not any("zzz" in url for url in index.fetched)


def test_propose_without_requirements_is_none() -> None:
    """A conflict that names no user requirement gives nothing to work with."""
    assert run_propose(Conflict("", (), ()), transitive_index()) is None


def test_propose_notes_releases_whose_dependencies_it_cannot_read() -> None:
    """An sdist-only release and a broken wheel are named in the note as unchecked."""
    index = transitive_index()
    index.projects["b"][1].metadata = "sdist"  # b 1.5: only an sdist, no .metadata
    index.projects["b"].append(Release("1.7", ("c<2",)))
    original = index.__call__

    def fetch(url: str) -> bytes:
        return b"not a zip" if url.endswith("b-1.7-py3-none-any.whl") else original(url)

    proposal = propose(
        TRANSITIVE,
        index_url=INDEX,
        python="python3",
        env={},
        fetch=fetch,
        verify=Verifier(),
        target=TARGET,
    )
    assert proposal is not None
    assert "no metadata for b 1.7" in proposal.note
    assert "its dependencies were not checked" in proposal.note


def test_propose_honours_requires_python_from_metadata() -> None:
    """A Requires-Python only in the release's METADATA (not on the page) still rules it out."""
    index = transitive_index()
    index.projects["b"][1].requires = ("c<2",)
    original = index._metadata

    def metadata(name: str, release: Release) -> bytes:
        data = original(name, release)
        if (name, release.version) == ("b", "1.5"):
            data = data.replace(b"Version: 1.5\n", b"Version: 1.5\nRequires-Python: >=99\n")
        return data

    index._metadata = metadata  # type: ignore[method-assign]
    proposal = run_propose(TRANSITIVE, index)
    assert proposal is not None
    assert proposal.requirements == ("a==1.0", "b<1.5")
    assert "resolvelib finds a 1.0, b 1.0, c 1.0" in proposal.note


def test_propose_skips_bad_and_direct_url_dependencies_with_a_note() -> None:
    """An unreadable Requires-Dist and a direct-URL dependency are skipped and named."""
    index = transitive_index()
    index.projects["b"][1].requires = ("c<2", "not a requirement!", "d @ https://x.example/d.whl")
    proposal = run_propose(TRANSITIVE, index)
    assert proposal is not None
    assert proposal.requirements == ("a==1.0", "b<2.0")
    assert "b 1.5 has an invalid Requires-Dist: not a requirement!" in proposal.note
    assert "b 1.5 depends on a direct URL (d): not checked" in proposal.note


def test_propose_refuses_direct_url_requests_and_notes_unreadable_ones() -> None:
    """A ``name @ url`` request is not searched; an unparsable request is left out, said so."""
    url_conflict = Conflict("c", (), user_requirements=("a @ https://x.example/a.whl", "b==2.0"))
    proposal = run_propose(url_conflict, transitive_index())
    assert proposal is not None
    assert proposal.change == ""
    assert "direct URL requirements" in proposal.note
    odd = Conflict("c", (), user_requirements=("a==1.0", "b==2.0", "-e ."))
    proposal = run_propose(odd, transitive_index())
    assert proposal is not None
    assert proposal.change == "b<2.0 (instead of b==2.0)"
    assert "left out '-e .'" in proposal.note


def test_propose_says_when_the_request_resolves_as_given() -> None:
    """If the index resolves the request unchanged, nothing is changed and the note says why."""
    conflict = Conflict("c", (), user_requirements=("a==1.0", "b<2"))
    proposal = run_propose(conflict, transitive_index())
    assert proposal is not None
    assert proposal.change == ""
    assert proposal.note.startswith("the request resolves as given on this index")


def test_propose_loosens_the_constraint_that_moves_up() -> None:
    """Two constraints, each one release from a fix: the one moving to a newer release wins."""
    index = MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0",)), Release("2.0")],
            "c": [Release("1.0"), Release("3.0")],
        }
    )
    conflict = Conflict("c", (), user_requirements=("a",), constraints=("c==3.0", "a==1.0"))
    proposal = run_propose(conflict, index)
    assert proposal is not None
    assert proposal.change == "a>=2.0 in your constraints (instead of a==1.0)"
    assert proposal.constraints == ("c==3.0", "a>=2.0")


def test_propose_keeps_what_it_found_when_a_limit_stops_it() -> None:
    """The cap stops the search of b's 100 releases; a's fix, found first, is still proposed."""
    index = MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0",)), Release("1.1", ("c==2.0",))],
            "b": [Release(f"1.{i}", ("c==2.0",)) for i in range(100)],
            "c": [Release("1.0"), Release("2.0")],
        }
    )
    conflict = Conflict(
        "c",
        (Clash("a 1.0", "c==1.0"), Clash("b 1.0", "c==2.0")),
        user_requirements=("a==1.0", "b==1.0"),
    )
    proposal = run_propose(conflict, index, max_candidates=30)
    assert proposal is not None
    assert proposal.change == "a>=1.1 (instead of a==1.0)"
    assert proposal.verified
    assert "the search stopped at the candidate cap (30)" in proposal.note
    assert "a smaller change may exist beyond it" in proposal.note


def test_propose_finds_a_fix_many_releases_away_within_the_default_limits() -> None:
    """b==3.59 is 60 releases above the last b that fits: found in time, reads capped at 200."""
    index = MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0",))],
            "b": [Release(f"3.{i}", ("c==2.0",)) for i in range(60)]
            + [Release(f"2.{i}", ("c==1.0",)) for i in range(60)],
            "c": [Release("1.0"), Release("2.0")],
        }
    )
    conflict = Conflict("c", (), user_requirements=("a==1.0", "b==3.59"))
    proposal = run_propose(conflict, index)
    assert proposal is not None
    assert proposal.change == "b<3.0 (instead of b==3.59)"
    assert "b 2.59" in proposal.note
    assert len([u for u in index.fetched if u.endswith(".whl")]) <= 200


#: pip 26.3 on `pip install 'six>=1' 'six<1'`: one project requested twice, by the user alone.
SAME_PROJECT_TWICE = """\
Collecting six>=1
ERROR: Cannot install six<1 and six>=1 because these package versions have conflicting dependencies.

The conflict is caused by:
    The user requested six<1
    The user requested six>=1

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip to attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""


def test_one_project_requested_twice_keeps_both_requests_and_finds_a_fix() -> None:
    """`six>=1 six<1` is the conflict itself: both requests stay, and one of them changes.

    (Keeping one request per project made the search resolve `six>=1` alone and report that
    the request "resolves as given".)
    """
    conflict = parse_conflict(SAME_PROJECT_TWICE)
    assert conflict is not None
    assert conflict.user_requirements == ("six<1", "six>=1")
    index = MemoryIndex({"six": [Release("0.9"), Release("1.16.0"), Release("1.17.0")]})
    proposal = run_propose(conflict, index, Verifier())
    assert proposal is not None
    assert proposal.verified
    assert proposal.change == "six>=1.16.0 (instead of six<1)"
    assert proposal.requirements == ("six>=1.16.0", "six>=1")
    assert "resolves as given" not in proposal.note
