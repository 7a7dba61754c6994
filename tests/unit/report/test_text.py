"""The text reporter's attempt lines."""

from __future__ import annotations

import io

from safepip.model import DEFAULT_POLICY, Attempt, Cause, Diagnosis, FailureKind
from safepip.report.text import TextReporter


def _failed(cause: Cause | None) -> str:
    stream = io.StringIO()
    kind = FailureKind.DOWNLOAD_CORRUPT
    diagnosis = Diagnosis(kind, DEFAULT_POLICY[kind], evidence=("Got        abc",), cause=cause)
    TextReporter(stream, env={"NO_COLOR": "1"}).attempt_failed(Attempt(1, 1, 0.5, diagnosis))
    return stream.getvalue().splitlines()[0]


def test_an_attempt_line_names_the_cause_the_log_showed() -> None:
    """A cut download says so where the kind is named: the retry that follows is explained."""
    assert _failed(Cause.CUT_SHORT) == (
        "safepip: attempt 1 failed: download-corrupt, cut short (pip exit 1, 0.5s)"
    )
    assert _failed(Cause.COMPLETE) == (
        "safepip: attempt 1 failed: download-corrupt, complete download (pip exit 1, 0.5s)"
    )
    assert _failed(None) == "safepip: attempt 1 failed: download-corrupt (pip exit 1, 0.5s)"
