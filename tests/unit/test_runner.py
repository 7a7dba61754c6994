"""The subprocess seam with real child processes (no pip needed)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import pytest

from safepip.errors import PipNotFound
from safepip.runner import query, run_pip


def test_budget_timeout_ends_the_child(tmp_path: Path) -> None:
    """A child that outlives its timeout is ended and the run is marked timed out."""
    start = time.monotonic()
    run = run_pip(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        env=dict(os.environ),
        log_path=tmp_path / "log",
        timeout=0.5,
    )
    assert run.timed_out is True
    assert run.returncode != 0
    assert time.monotonic() - start < 10


def test_log_is_read_from_where_it_was_before_the_run(tmp_path: Path) -> None:
    """pip appends to --log: only what this run wrote is returned."""
    log = tmp_path / "user.log"
    log.write_text("earlier run\n")
    code = f"open({str(log)!r}, 'a').write('this run\\n'); raise SystemExit(3)"
    run = run_pip([sys.executable, "-c", code], env=dict(os.environ), log_path=log, timeout=30)
    assert run.returncode == 3
    assert run.log == "this run\n"
    assert run.timed_out is False


def test_missing_interpreter_raises_pip_not_found(tmp_path: Path) -> None:
    """An interpreter that cannot start is PipNotFound, not an OSError traceback."""
    with pytest.raises(PipNotFound):
        run_pip([str(tmp_path / "nope")], env={}, log_path=tmp_path / "log", timeout=None)


def test_query_never_raises(tmp_path: Path) -> None:
    """query returns (127, '') for a missing command and (124, '') on a timeout."""
    assert query([str(tmp_path / "nope")], {}) == (127, "")
    assert query(
        [sys.executable, "-c", "import time; time.sleep(5)"], dict(os.environ), timeout=0.3
    ) == (124, "")
    assert query([sys.executable, "-c", "print('hi')"], dict(os.environ)) == (0, "hi\n")
