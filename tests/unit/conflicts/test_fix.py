"""A conflict fix as the user applies it, the bounded search and the capped report (issue 17)."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

import pytest

from safepip.conflicts import fix, propose
from safepip.conflicts.edit import Edit, edits, user_command
from safepip.conflicts.verify import Proposal
from safepip.report.hooks import Reporter

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

CONFLICT = """\
Collecting bench-conf-x (from -r req.txt (line 1))
Collecting bench-conf-y (from -r req.txt (line 2))
Collecting bench-a (from -r req.txt (line 3))
ERROR: Cannot install bench-a, bench-conf-x and bench-conf-y because these package versions have conflicting dependencies.

The conflict is caused by:
    The user requested bench-a
    bench-conf-x 1.0 depends on bench-a==1.0
    bench-conf-y 1.0 depends on bench-a==2.0

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""


class Lines(Reporter):
    """Collects the explanation and progress lines."""

    def __init__(self) -> None:
        """Start empty."""
        self.lines: list[str] = []
        self.progressed: list[str] = []
        self.said = threading.Event()

    def explained(self, lines: Sequence[str]) -> None:
        self.lines += lines

    def progress(self, text: str) -> None:
        self.progressed.append(text)
        self.said.set()


def test_edits_name_the_line_and_keep_every_other_argument() -> None:
    origins = {"bench-conf-x": "req.txt, line 1", "urllib3": "the command line"}
    found = edits(
        ["bench-conf-x", "bench-conf-y", "urllib3==1.20"],
        ["bench-conf-y", "urllib3>=1.21.1"],
        origins,
    )
    assert [str(e) for e in found] == [
        "line 1 of req.txt: remove `bench-conf-x`",
        "on the command line: change `urllib3==1.20` to `urllib3>=1.21.1`",
    ]
    args = ["--target", "T", "-r", "req.txt", "urllib3==1.20", "--index-url", "https://i/simple"]
    assert user_command(args, found, program="safepip install") == (
        "safepip install --target T -r req.txt 'urllib3>=1.21.1' --index-url https://i/simple"
    )
    removed = [Edit("on the command line", "x==1", None)]
    assert user_command(["x==1", "-t", "T"], removed, program="safepip install") == (
        "safepip install -t T"
    )


def test_search_bound_is_pips_time_plus_three_seconds_within_the_budget() -> None:
    assert fix.search_bound(1.8, None) == pytest.approx(4.8)
    assert fix.search_bound(1.8, 2.0) == pytest.approx(2.0)
    assert fix.search_bound(1.8, -5.0) == 0.0


def _fake_propose(
    seen: dict[str, Any], result: Proposal | None, wait: threading.Event | None
) -> Callable[..., Proposal | None]:
    def fake(conflict: Any, **kwargs: Any) -> Proposal | None:
        seen.update(kwargs, conflict=conflict)
        if wait is not None:
            assert wait.wait(10), "the progress line never came"
        return result

    return fake


def test_report_shows_the_edit_and_the_users_command(monkeypatch: pytest.MonkeyPatch) -> None:
    proposal = Proposal(
        change="remove bench-conf-x from the request",
        requirements=("bench-conf-y", "bench-a"),
        command="python -m pip install bench-conf-y bench-a",
        verified=True,
        note="",
    )
    seen: dict[str, Any] = {}
    reporter = Lines()
    monkeypatch.setattr(fix, "PROGRESS_AFTER", 0.0)
    monkeypatch.setattr(propose, "propose", _fake_propose(seen, proposal, reporter.said))
    args = ["-r", "req.txt", "--target", "T", "--index-url", "http://127.0.0.1:1/simple"]
    document = fix.report_conflict(
        CONFLICT,
        index_url="http://127.0.0.1:1/simple",
        python="python",
        env={},
        search=True,
        reporter=reporter,
        pip_args=args,
        origins={"bench-conf-x": "req.txt, line 1", "bench-conf-y": "req.txt, line 2"},
        bound=4.8,
    )
    assert document is not None
    assert seen["time_limit"] <= 4.8
    assert seen["verify_deadline"] is not None
    assert len(reporter.progressed) == 1
    assert "--no-explain" in reporter.progressed[0]
    assert (
        "smallest fix (verified with pip --dry-run): line 1 of req.txt: remove `bench-conf-x`"
        in reporter.lines
    )
    command = "safepip install -r req.txt --target T --index-url http://127.0.0.1:1/simple"
    assert f"  then run: {command}" in reporter.lines
    assert document["proposal"]["user_command"] == command  # type: ignore[index]


def test_a_huge_conflict_shows_the_first_clashes_and_a_count(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clashes = "".join(f"    pkg{i} 1.0 depends on bench-a=={i}.0\n" for i in range(500))
    text = CONFLICT.replace("    bench-conf-x 1.0 depends on bench-a==1.0\n", clashes)
    reporter = Lines()
    monkeypatch.setattr(propose, "propose", _fake_propose({}, None, None))
    fix.report_conflict(
        text,
        index_url="u",
        python="p",
        env={},
        search=False,
        reporter=reporter,
        pip_args=[],
        origins={},
        bound=3,
    )
    assert sum(len(line) for line in reporter.lines) < 4000
    assert any("494 more clashing requirement(s)" in line for line in reporter.lines)
