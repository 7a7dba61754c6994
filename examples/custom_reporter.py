"""Plug your own Reporter into safepip's install loop: a JSON-lines event log.

Scenario: a build farm wants every attempt, remedy and retry of ``safepip install`` as
machine-readable events, to count flaky mirrors and poisoned caches across thousands of builds.
``safepip.install.loop.Installer`` calls the hooks of a ``safepip.report.hooks.Reporter`` at each
step (the
base class does nothing; override only what you need) and never prints by itself.

Run (every argument after ``--`` goes to ``pip install``)::

    python examples/custom_reporter.py -- requests
    python examples/custom_reporter.py --events events.jsonl --attempts 5 -- -r requirements.txt

pip drives the active virtual environment (``$VIRTUAL_ENV``), else this interpreter; pip's own
output goes to the terminal as usual, the events to ``--events`` (default: standard error).
Exits with the same status as ``safepip install`` would.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from typing import IO, TYPE_CHECKING

from safepip.install.loop import Installer
from safepip.model import Options
from safepip.pipargs import default_python
from safepip.report.hooks import Reporter
from safepip.report.redact import redact

if TYPE_CHECKING:
    from collections.abc import Sequence

    from safepip.model import Attempt, InstallResult, Remedy


class EventLog(Reporter):
    """Writes one JSON object per event; text that can hold credentials is redacted."""

    def __init__(self, stream: IO[str]) -> None:
        """Write the events to ``stream``."""
        self.stream = stream

    def _emit(self, event: str, **fields: object) -> None:
        record = {"event": event, "time": round(time.time(), 3), **fields}
        self.stream.write(json.dumps(record) + "\n")
        self.stream.flush()

    def attempt_started(self, number: int, argv: Sequence[str]) -> None:
        """Attempt ``number`` runs ``argv``."""
        self._emit("attempt-started", attempt=number, argv=[redact(arg) for arg in argv])

    def attempt_failed(self, attempt: Attempt) -> None:
        """An attempt failed; safepip classified it."""
        diagnosis = attempt.diagnosis
        self._emit(
            "attempt-failed",
            attempt=attempt.number,
            returncode=attempt.returncode,
            duration=round(attempt.duration, 3),
            kind=diagnosis.kind.value if diagnosis else None,
            evidence=[redact(line.strip()) for line in diagnosis.evidence] if diagnosis else [],
        )

    def remedy_applied(self, remedy: Remedy, deleted: Sequence[str], *, dry_run: bool) -> None:
        """safepip changed something before the next attempt (purge, private cache...)."""
        self._emit(
            "remedy",
            action=remedy.action.value,
            reason=remedy.reason,
            deleted=[path for path in remedy.paths if path in deleted],
            dry_run=dry_run,
        )

    def retry_scheduled(self, attempt: Attempt, wait: float) -> None:
        """safepip waits ``wait`` seconds, then tries again."""
        self._emit("retry", after_attempt=attempt.number, wait=round(wait, 3))

    def stopping(self, attempt: Attempt, why: str) -> None:
        """No retry can help (or none is allowed)."""
        self._emit("stopping", attempt=attempt.number, why=why)

    def finished(self, result: InstallResult) -> None:
        """The install ended: one last event with the outcome."""
        diagnosis = result.diagnosis
        self._emit(
            "finished",
            outcome=result.outcome.value,
            returncode=result.returncode,
            attempts=len(result.attempts),
            kind=diagnosis.kind.value if diagnosis else None,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description="safepip install with a JSON-lines event log")
    parser.add_argument("--events", help="write the events to this file (default: stderr)")
    parser.add_argument("--attempts", type=int, default=Options.attempts)
    parser.add_argument("pip_args", nargs="+", help="pip install arguments (after --)")
    args = parser.parse_args()

    python = default_python(os.environ, sys.executable)
    options = Options(attempts=args.attempts)
    stream = open(args.events, "a", encoding="utf-8") if args.events else sys.stderr  # noqa: SIM115, PTH123
    try:
        installer = Installer(python, options, env=dict(os.environ), reporter=EventLog(stream))
        result = installer.install(args.pip_args)
    finally:
        if stream is not sys.stderr:
            stream.close()
    return result.returncode


if __name__ == "__main__":
    raise SystemExit(main())
