"""Tests of safepip.conflicts: parsing pip's conflict report, explaining it, proposing a fix.

The report texts below follow pip's source (``factory.get_installation_error`` and
``SpecifierRequirement.format_for_error``) and were checked against real runs of pip 22.0.4,
23.2.1, 24.0 and 26.3 on a local index.
"""

from __future__ import annotations

import pytest

from safepip.conflicts import Clash, Conflict, explain, parse_conflict

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
    assert lines[-1].endswith("for this environment: c")


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
