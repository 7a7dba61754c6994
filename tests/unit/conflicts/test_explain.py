"""Tests of safepip.conflicts.explain: read pip's conflict report and say what clashes."""

from __future__ import annotations

import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from support.pipreports import (
    NOT_A_CONFLICT,
    PIP22_TRANSITIVE,
    PIP23_REQFILE,
    PIP24_LOG_DIRECT,
    PIP26_CONSTRAINT,
    PIP26_RANGE,
    PIP26_TOO_DEEP,
)

from safepip.conflicts.explain import Clash, Conflict, _name_of, explain, parse_conflict


def test_parse_pip22_transitive_conflict() -> None:
    """pip 22.0: both clash lines are dependencies; c (a dependency) is not taken for a root."""
    conflict = parse_conflict(PIP22_TRANSITIVE)
    assert conflict == Conflict(
        package="c",
        clashes=(Clash("a 1.0", "c==1.0"), Clash("b 2.0", "c==2.0")),
        user_requirements=("a==1.0", "b==2.0"),
        triggers="a==1.0 and b==2.0",
    )


def test_parse_pip23_requirements_file_origins() -> None:
    """pip 23: roots come from "(from -r file (line N))", dependencies "(from a==1.0->...)" are not."""
    conflict = parse_conflict(PIP23_REQFILE)
    assert conflict is not None
    assert conflict.user_requirements == ("a==1.0", "b==2.0")
    assert conflict.triggers == "-r /tmp/req.txt (line 1) and -r /tmp/req.txt (line 2)"
    assert [c.requirer_name for c in conflict.clashes] == ["a", "b"]


def test_parse_pip24_log_uses_the_final_block_only() -> None:
    """In a --log, timestamps are stripped and the backtracking block ("x 9.9") is ignored."""
    conflict = parse_conflict(PIP24_LOG_DIRECT)
    assert conflict is not None
    assert conflict.clashes == (
        Clash("the user request", "c==2.0", "user"),
        Clash("a 1.0", "c==1.0", "dependency"),
    )
    assert conflict.user_requirements == ("a==1.0", "c==2.0")
    assert conflict.package == "c"


def test_parse_pip26_undoes_the_and_list_and_reads_unavailable() -> None:
    """pip's "c!=3.0, <4 and >=2" becomes the specifier "c!=3.0,<4,>=2"; "Additionally" is read."""
    conflict = parse_conflict(PIP26_RANGE)
    assert conflict is not None
    assert conflict.clashes[0] == Clash("the user request", "c!=3.0,<4,>=2", "user")
    assert conflict.user_requirements == ("a==1.0", "c!=3.0,<4,>=2")  # d is a dependency
    assert conflict.unavailable == ("c",)
    assert len(conflict.clashes) == 2  # "    c" of the Additionally list is no clash


def test_parse_constraint_line() -> None:
    """A "(constraint)" line is a constraint, not a user requirement."""
    conflict = parse_conflict(PIP26_CONSTRAINT)
    assert conflict is not None
    assert conflict.constraints == ("c==3.0",)
    assert conflict.user_requirements == ("a",)
    assert conflict.clashes[1] == Clash("the user constraint", "c==3.0", "constraint")


def test_parse_too_deep() -> None:
    """pip >= 25.1's resolution-too-deep is a conflict without clashes, marked too_deep."""
    conflict = parse_conflict(PIP26_TOO_DEEP)
    assert conflict is not None
    assert conflict.too_deep
    assert conflict.clashes == ()
    assert conflict.user_requirements == ("big-app",)


def test_parse_bare_resolution_impossible() -> None:
    """A truncated log holding only the ResolutionImpossible line still counts as a conflict."""
    conflict = parse_conflict(
        "ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/x\n"
    )
    assert conflict is not None
    assert not conflict.too_deep
    assert conflict.clashes == ()


@pytest.mark.parametrize(
    "text",
    [NOT_A_CONFLICT, "", "Successfully installed demo-1.0\n"],
)
def test_parse_returns_none_without_a_conflict(text: str) -> None:
    """Text without any resolution failure gives None."""
    assert parse_conflict(text) is None


def test_parse_ignores_ansi_and_ci_prefixes() -> None:
    """Colour codes and GitHub Actions timestamps around pip's lines do not hide the report."""
    coloured = "\n".join(
        f"2026-11-25T20:10:56.1234567Z \x1b[31m{line}\x1b[0m"
        for line in PIP22_TRANSITIVE.splitlines()
    )
    assert parse_conflict(coloured) == parse_conflict(PIP22_TRANSITIVE)


def test_parse_drops_repeated_clash_lines() -> None:
    """pip 24.0 repeats "The user requested lib==2.0" per requirer; each clash is kept once."""
    text = (
        "The conflict is caused by:\n"
        "    The user requested lib==2.0\n"
        "    app 2.1 depends on lib<2\n"
        "    The user requested lib==2.0\n"
        "    app 2.0 depends on lib<2\n"
    )
    conflict = parse_conflict(text)
    assert conflict is not None
    assert conflict.clashes == (
        Clash("the user request", "lib==2.0", "user"),
        Clash("app 2.1", "lib<2"),
        Clash("app 2.0", "lib<2"),
    )


def test_parse_keeps_markers_and_extras() -> None:
    """A requirement with extras and a marker survives the "A and B" undoing intact."""
    text = (
        "The conflict is caused by:\n"
        '    a[x] 1.0 depends on c[fast]<2 and >=1; python_version >= "3" and extra == "x"\n'
        "    The user requested c==3\n"
    )
    conflict = parse_conflict(text)
    assert conflict is not None
    assert conflict.clashes[0] == Clash(
        "a[x] 1.0", 'c[fast]<2,>=1; python_version >= "3" and extra == "x"'
    )
    assert conflict.clashes[0].requirer_name == "a"
    assert conflict.package == "c"


def test_explain_transitive() -> None:
    """Two dependencies asking for different c's: say who needs what and why they are there."""
    conflict = parse_conflict(PIP22_TRANSITIVE)
    assert conflict is not None
    assert explain(conflict) == [
        "a 1.0 needs c==1.0; b 2.0 needs c==2.0",
        "no version of c satisfies all of these at once",
        "a 1.0 is there because you asked for a==1.0",
        "b 2.0 is there because you asked for b==2.0",
    ]


def test_explain_user_request_and_dependency() -> None:
    """The user's own pin is named as "you asked for"; a dependency's requirer is traced."""
    conflict = parse_conflict(PIP26_RANGE)
    assert conflict is not None
    lines = explain(conflict)
    assert lines[0] == "you asked for c!=3.0,<4,>=2; a 1.0 needs c==1.0"
    assert "a 1.0 is there because you asked for a==1.0" in lines
    # pip 26.3 lists c as having "no matching distributions" although it has some: not repeated.
    assert not any("matching distributions" in line for line in lines)


def test_explain_constraint_and_transitive_requirer() -> None:
    """A constraint is named as such; a requirer the user did not ask for is a dependency."""
    conflict = Conflict(
        package="c",
        clashes=(Clash("a 1.0", "c==1.0"), Clash("the user constraint", "c==3.0", "constraint")),
        user_requirements=("top",),
        constraints=("c==3.0",),
    )
    assert explain(conflict) == [
        "a 1.0 needs c==1.0; your constraints allow only c==3.0",
        "no version of c satisfies all of these at once",
        "a 1.0 is there as a dependency of what you asked for",
    ]


def test_explain_too_deep_and_bare() -> None:
    """Without clash lines, explain says what pip did say, and lists the request if known."""
    deep = parse_conflict(PIP26_TOO_DEEP)
    assert deep is not None
    assert explain(deep)[0].startswith("pip gave up: the dependency graph was too deep")
    assert explain(deep)[1] == "requested: big-app"
    bare = Conflict(package="", clashes=(), user_requirements=())
    assert "ResolutionImpossible" in explain(bare)[0]


def test_parse_explicit_candidate_requirement_is_kept_verbatim() -> None:
    """A link requirement ("c 1.0 (from https://...)") is not split at its commas or "and"."""
    text = (
        "The conflict is caused by:\n"
        "    The user requested c 1.0 (from https://x.example/c-1.0.whl)\n"
        "    a 1.0 depends on c==2.0\n"
    )
    conflict = parse_conflict(text)
    assert conflict is not None
    assert conflict.clashes[0].requirement == "c 1.0 (from https://x.example/c-1.0.whl)"
    assert conflict.package == "c"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from([*PIP26_RANGE.splitlines(), "", "    ", "x"]), max_size=40))
def test_parse_never_fails_on_shuffled_report_lines(lines: list[str]) -> None:
    """Any arrangement of report lines parses to a Conflict or None without raising."""
    result = parse_conflict("\n".join(lines))
    assert result is None or isinstance(result, Conflict)


def test_parse_is_fast_on_hostile_input() -> None:
    """Megabytes of near-miss lines (no pip report at all) are read in well under a second."""
    hostile = "\n".join(
        [
            "Cannot install " * 20_000,
            "Collecting " + " (from x" * 20_000,
            "    a 1.0 depends on " + "c, " * 50_000,
        ]
        * 3
    )
    started = time.perf_counter()
    parse_conflict(hostile)
    assert time.perf_counter() - started < 1.0


def test_example_explains_its_saved_log() -> None:
    """examples/explain_conflict.py runs on its bundled pip 24.0 log and prints the explanation."""
    import subprocess
    import sys
    from pathlib import Path

    script = Path(__file__).resolve().parents[3] / "examples" / "explain_conflict.py"
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[:3] == [
        "requested: a==1.0, b==2.0",
        "  a 1.0 needs c==1.0; b 2.0 needs c==2.0",
        "  no version of c satisfies all of these at once",
    ]


@pytest.mark.parametrize(
    "requirement",
    [
        "dep==2.0",
        " dep<2",
        "Dep_Two[extra,other]>=1,<2; python_version > '3'",
        "zope.interface~=5.0",
        "a-b.c_d (>=1.0)",
        "name @ https://example.invalid/name-1.0-py3-none-any.whl",
        "x",
    ],
)
def test_a_requirement_is_named_as_packaging_names_it(requirement: str) -> None:
    """The clash's project is packaging's canonical ``Requirement.name``, read without it."""
    assert _name_of(requirement) == canonicalize_name(Requirement(requirement).name)


def test_an_explicit_candidate_is_named_by_its_project() -> None:
    assert _name_of("Pinned_App 1.0 (from https://example.invalid/p.whl)") == "pinned-app"
    assert _name_of("(no name)") is None
