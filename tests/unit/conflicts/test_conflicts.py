"""Tests of safepip.conflicts.explain and safepip.conflicts.propose: parse, explain, propose a fix.

The report texts below follow pip's source (``factory.get_installation_error`` and
``SpecifierRequirement.format_for_error``) and were checked against real runs of pip 22.0.4,
23.2.1, 24.0 and 26.3 on a local index.
"""

from __future__ import annotations

import io
import json
import time
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepip.conflicts.explain import Clash, Conflict, explain, parse_conflict
from safepip.conflicts.propose import propose
from safepip.conflicts.target import TargetEnvironment

if TYPE_CHECKING:
    from safepip.conflicts.verify import Proposal

# -- report texts, one per pip generation -------------------------------------------------------

# pip 22.0: no "(from ...)" on Collecting lines; "allow pip attempt" typo.
PIP22_TRANSITIVE = """\
Looking in indexes: http://127.0.0.1:39919/simple
Collecting a==1.0
  Downloading http://127.0.0.1:39919/files/a-1.0-py3-none-any.whl (2.1 kB)
Collecting b==2.0
  Downloading http://127.0.0.1:39919/files/b-2.0-py3-none-any.whl (2.1 kB)
Collecting c==1.0
  Downloading http://127.0.0.1:39919/files/c-1.0-py3-none-any.whl (2.1 kB)
INFO: pip is looking at multiple versions of a to determine which version is compatible with other requirements. This could take a while.
ERROR: Cannot install a==1.0 and b==2.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    a 1.0 depends on c==1.0
    b 2.0 depends on c==2.0

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""

# pip 23.x: requirements-file origins on Collecting lines, triggers name the file lines.
PIP23_REQFILE = """\
Looking in indexes: http://127.0.0.1:39919/simple
Collecting a==1.0 (from -r /tmp/req.txt (line 1))
  Downloading http://127.0.0.1:39919/files/a-1.0-py3-none-any.whl (2.1 kB)
Collecting b==2.0 (from -r /tmp/req.txt (line 2))
  Downloading http://127.0.0.1:39919/files/b-2.0-py3-none-any.whl (2.1 kB)
Collecting c==1.0 (from a==1.0->-r /tmp/req.txt (line 1))
  Downloading http://127.0.0.1:39919/files/c-1.0-py3-none-any.whl (2.1 kB)
INFO: pip is looking at multiple versions of b to determine which version is compatible with other requirements. This could take a while.
ERROR: Cannot install -r /tmp/req.txt (line 1) and -r /tmp/req.txt (line 2) because these package versions have conflicting dependencies.

The conflict is caused by:
    a 1.0 depends on c==1.0
    b 2.0 depends on c==2.0

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""

# pip 24.0 --log: every line timestamped, and a backtracking block before the final report.
PIP24_LOG_DIRECT = """\
2026-11-25T20:10:56,570 Collecting a==1.0
2026-11-25T20:10:56,571   Created temporary directory: /tmp/pip-unpack-1
2026-11-25T20:10:56,650 Collecting c==2.0
2026-11-25T20:10:56,661   Downloading http://127.0.0.1:39919/files/c-2.0-py3-none-any.whl (2.1 kB)
2026-11-25T20:10:56,701 INFO: pip is looking at multiple versions of a to determine which version is compatible with other requirements. This could take a while.
2026-11-25T20:10:56,706 Will try a different candidate, due to conflict:
2026-11-25T20:10:56,706     The user requested c==2.0
2026-11-25T20:10:56,706     x 9.9 depends on c==9.9
2026-11-25T20:10:56,706 ERROR: Cannot install a==1.0 and c==2.0 because these package versions have conflicting dependencies.
2026-11-25T20:10:56,707 \n\
2026-11-25T20:10:56,707 The conflict is caused by:
2026-11-25T20:10:56,707     The user requested c==2.0
2026-11-25T20:10:56,707     a 1.0 depends on c==1.0
2026-11-25T20:10:56,707 \n\
2026-11-25T20:10:56,707 To fix this you could try to:
2026-11-25T20:10:56,707 1. loosen the range of package versions you've specified
2026-11-25T20:10:56,707 2. remove package versions to allow pip attempt to solve the dependency conflict

2026-11-25T20:10:56,708 ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
2026-11-25T20:10:56,708 Exception information:
2026-11-25T20:10:56,708 Traceback (most recent call last):
2026-11-25T20:10:56,708 pip._vendor.resolvelib.resolvers.ResolutionImpossible: [RequirementInformation(requirement=SpecifierRequirement('c==2.0'), parent=None)]
"""

# pip 26.x: "(from a==1.0)" on dependency Collecting lines, the "Additionally" list, and a
# multi-part specifier printed as "A, B and C".
PIP26_RANGE = """\
Looking in indexes: http://127.0.0.1:39919/simple
Collecting a==1.0
  Downloading a-1.0-py3-none-any.whl (2.1 kB)
Collecting c!=3.0,<4,>=2
  Downloading c-2.0-py3-none-any.whl (2.1 kB)
Collecting d (from a==1.0)
  Downloading d-1.0-py3-none-any.whl (2.1 kB)
ERROR: Cannot install a==1.0 and c!=3.0, <4 and >=2 because these package versions have conflicting dependencies.

The conflict is caused by:
    The user requested c!=3.0, <4 and >=2
    a 1.0 depends on c==1.0

Additionally, some packages in these conflicts have no matching distributions available for your environment:
    c

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip to attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""

PIP26_CONSTRAINT = """\
Collecting a
  Downloading a-1.0-py3-none-any.whl (2.1 kB)
ERROR: Cannot install a==1.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    a 1.0 depends on c==1.0
    The user requested (constraint) c==3.0

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip to attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""

# pip >= 25.1 (DiagnosticPipError rendering of ResolutionTooDeepError).
PIP26_TOO_DEEP = """\
Collecting big-app
  Downloading big_app-3.0-py3-none-any.whl (2.1 kB)
error: resolution-too-deep

\u00d7 Dependency resolution exceeded maximum depth
╰─> Pip cannot resolve the current dependencies as the dependency graph is too complex for pip to solve efficiently.

hint: Try adding lower bounds to constrain your dependencies, for example: 'package>=2.0.0' instead of just 'package'.

Link: https://pip.pypa.io/en/stable/topics/dependency-resolution/#handling-resolution-too-deep-errors
"""

NOT_A_CONFLICT = """\
Collecting demo
ERROR: Could not find a version that satisfies the requirement demo (from versions: none)
ERROR: No matching distribution found for demo
"""


# -- parse_conflict ------------------------------------------------------------------------------


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


# -- explain -------------------------------------------------------------------------------------


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


# -- propose: an in-memory index -----------------------------------------------------------------


INDEX = "https://user:s3cret@index.example/simple"
TARGET = TargetEnvironment(
    markers=(
        ("python_full_version", "3.11.4"),
        ("python_version", "3.11"),
        ("sys_platform", "linux"),
    ),
    tags=frozenset({"py3-none-any", "cp311-cp311-manylinux_2_17_x86_64"}),
)


@dataclass
class Release:
    """One release served by :class:`MemoryIndex`."""

    version: str
    requires: tuple[str, ...] = ()
    metadata: str = "wheel"  # "wheel" (download the wheel), "pep658" (.metadata file), "sdist"
    requires_python: str | None = None
    yanked: bool = False
    tag: str = "py3-none-any"


@dataclass
class MemoryIndex:
    """A fake index behind ``fetch``: PEP 503 HTML or PEP 691 JSON pages, wheels, .metadata."""

    projects: dict[str, list[Release]]
    json_pages: bool = False
    fetched: list[str] = field(default_factory=list)

    def _metadata(self, name: str, release: Release) -> bytes:
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {release.version}"]
        lines += [f"Requires-Dist: {req}" for req in release.requires]
        return ("\n".join(lines) + "\n\n").encode()

    def _filename(self, name: str, release: Release) -> str:
        if release.metadata == "sdist":
            return f"{name}-{release.version}.tar.gz"
        return f"{name}-{release.version}-{release.tag}.whl"

    def _page(self, name: str) -> bytes:
        releases = self.projects[name]
        if self.json_pages:
            files: list[dict[str, object]] = [
                {
                    "filename": self._filename(name, r),
                    "url": f"../../files/{self._filename(name, r)}",
                    "hashes": {},
                    "requires-python": r.requires_python,
                    "yanked": r.yanked,
                    "core-metadata": r.metadata == "pep658",
                }
                for r in releases
            ]
            return json.dumps(
                {"meta": {"api-version": "1.1"}, "name": name, "files": files}
            ).encode()
        anchors = []
        for r in releases:
            attrs = f'href="../../files/{self._filename(name, r)}#sha256=00"'
            if r.requires_python:
                attrs += f' data-requires-python="{r.requires_python.replace(">", "&gt;")}"'
            if r.yanked:
                attrs += ' data-yanked=""'
            if r.metadata == "pep658":
                attrs += ' data-dist-info-metadata="sha256=00"'
            anchors.append(f"<a {attrs}>{self._filename(name, r)}</a><br/>")
        return f"<html><body>{''.join(anchors)}</body></html>".encode()

    def __call__(self, url: str) -> bytes:
        self.fetched.append(url)
        prefix = "https://user:s3cret@index.example/"
        assert url.startswith(prefix), url
        path = url[len(prefix) :]
        if path.startswith("simple/"):
            name = path[len("simple/") :].strip("/")
            if name not in self.projects:
                raise OSError(f"HTTP Error 404: Not Found for {url}")
            return self._page(name)
        filename = path[len("files/") :]
        for name, releases in self.projects.items():
            for r in releases:
                if filename == self._filename(name, r) + ".metadata" and r.metadata == "pep658":
                    return self._metadata(name, r)
                if filename == self._filename(name, r):
                    if r.metadata == "sdist":
                        return b"not a zip"
                    buffer = io.BytesIO()
                    with zipfile.ZipFile(buffer, "w") as zf:
                        zf.writestr(f"{name}/__init__.py", "")
                        zf.writestr(
                            f"{name}-{r.version}.dist-info/METADATA", self._metadata(name, r)
                        )
                    return buffer.getvalue()
        raise OSError(f"HTTP Error 404: Not Found for {url}")


@dataclass
class Verifier:
    """Records what it is asked; answers from a script (default: always yes)."""

    answers: list[bool] = field(default_factory=list)
    asked: list[list[str]] = field(default_factory=list)

    def __call__(self, args: object) -> bool:
        assert isinstance(args, (list, tuple))
        self.asked.append([str(a) for a in args])
        return self.answers.pop(0) if self.answers else True


def run_propose(
    conflict: Conflict, index: MemoryIndex, verifier: Verifier | None = None, **kwargs: object
) -> Proposal | None:
    return propose(
        conflict,
        index_url=INDEX,
        python="python3",
        env={},
        fetch=index,
        verify=verifier or Verifier(),
        target=TARGET,
        **kwargs,  # type: ignore[arg-type]
    )


def transitive_index(*, json_pages: bool = False) -> MemoryIndex:
    return MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0",))],
            "b": [
                Release("1.0", ("c>=1,<2",)),
                Release("1.5", ("c>=1,<2",)),
                Release("2.0", ("c==2.0",)),
            ],
            "c": [Release("1.0"), Release("2.0"), Release("3.0")],
        },
        json_pages=json_pages,
    )


TRANSITIVE = Conflict(
    package="c",
    clashes=(Clash("a 1.0", "c==1.0"), Clash("b 2.0", "c==2.0")),
    user_requirements=("a==1.0", "b==2.0"),
)


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
    [({"max_candidates": 1}, "the candidate cap (1)"), ({"time_limit": 0.0}, "the time limit")],
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


def test_default_fetch_refuses_non_http_urls(tmp_path: object) -> None:
    """The default fetch reads only http(s): a file: index yields a note, never a local read."""
    proposal = propose(
        TRANSITIVE,
        index_url="file:///etc",
        python="python3",
        env={},
        verify=Verifier(),
        target=TARGET,
    )
    assert proposal is not None
    assert proposal.change == ""
    assert "could not read file:///etc/a/: not an http(s) URL" in proposal.note


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


def test_target_python_version_survives_local_builds() -> None:
    """A local build's "3.13.0+" still gives 3.13.0 for Requires-Python checks."""
    target = TargetEnvironment(markers=(("python_full_version", "3.13.0+"),), tags=frozenset())
    assert str(target.python_version) == "3.13.0"
    assert str(TargetEnvironment(markers=(), tags=frozenset()).python_version) == "3"
