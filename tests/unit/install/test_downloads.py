"""Pure planning of a download that failed its hash: cut short, whole, or not known."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from safepip.cache.received import Received
from safepip.install.downloads import needs_received, with_received
from safepip.install.planning import Context
from safepip.install.remedies import plan
from safepip.model import DEFAULT_POLICY, Cause, Diagnosis, FailureKind, RemedyAction, RetryPolicy

URL = "http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl"
ROOT = Path("/cache")


def diag(kind: FailureKind, **fields: object) -> Diagnosis:
    return Diagnosis(kind, DEFAULT_POLICY[kind], **fields)  # type: ignore[arg-type]


def test_download_corrupt_same_got_twice_stops_when_the_bytes_arrived_whole() -> None:
    """Identical wrong bytes after a fresh download, known whole: retrying cannot help."""
    d = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="b" * 64)
    whole = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="b" * 64, cause=Cause.COMPLETE)
    assert plan(whole, [], Context(cache_root=ROOT)).again is True  # one fresh download first
    # Either attempt's evidence is enough: the same sha256 is the same bytes.
    assert plan(d, [whole], Context(cache_root=ROOT, no_cache=True)).again is False
    assert plan(whole, [d], Context(cache_root=ROOT, no_cache=True)).again is False
    other = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="c" * 64)
    assert plan(other, [whole], Context(cache_root=ROOT, no_cache=True)).again is True


def test_the_same_bytes_twice_not_known_whole_are_retried_with_backoff() -> None:
    """pip <= 24 does not check Content-Length: the same cut point twice gives the same Got.

    With no progress bar and no cached copy to tell, the same bytes again are retried with
    the backoff (never as "the server serves them") until the attempts run out.
    """
    d = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="b" * 64)
    for context in (
        Context(cache_root=ROOT, no_cache=True, pip_version=(24, 0)),
        Context(no_cache=True),  # pip's version unknown, no cache
    ):
        result = plan(d, [d, d], context)
        assert result.again is True
        assert result.immediate is False
        assert "not known to be whole" in result.why
        # The next step if these were the last attempt: a cut is as likely as a bad copy.
        assert "127.0.0.1:8765 sent demo-1.0-py3-none-any.whl damaged again" in result.hint
        assert "pip >= 25.1" in result.hint
        assert "serves a damaged copy" in result.hint
    assert [r.action for r in plan(d, [d], Context(cache_root=ROOT)).remedies] == [
        RemedyAction.PURGE
    ]


@pytest.mark.parametrize(
    ("version", "stops"), [((25, 1), True), ((26, 3), True), ((25, 0, 1), False), ((24, 0), False)]
)
def test_from_pip_25_1_a_finished_download_had_every_byte(
    version: tuple[int, ...], stops: bool
) -> None:
    """pip >= 25.1 resumes or fails a download short of its Content-Length.

    A hash mismatch after a fresh download is then whole bytes; a cached copy (Using cached)
    is not known whole, but the fresh download of the same sha256 vouches for it.
    """
    d = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="b" * 64)
    assert plan(d, [d], Context(no_cache=True, pip_version=version)).again is not stops
    cached = diag(FailureKind.CACHE_CORRUPT, urls=(URL,), got_hash="b" * 64, from_cache=True)
    # The fresh download (this one) vouches for the bytes the cache held before.
    assert plan(d, [cached], Context(no_cache=True, pip_version=version)).again is not stops


def test_an_unsized_download_is_not_whole_on_any_pip() -> None:
    """No Content-Length: pip >= 25.1 cannot check the length either; the same Got retries."""
    d = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="b" * 64, cause=Cause.UNSIZED)
    result = plan(d, [d], Context(no_cache=True, pip_version=(26, 3)))
    assert result.again is True
    assert "not known to be whole" in result.why


def test_needs_received_asks_only_about_fresh_downloads_the_log_leaves_open() -> None:
    fresh = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="b" * 64)
    assert needs_received(fresh) == URL
    assert needs_received(replace(fresh, cause=Cause.UNSIZED)) == URL  # the cache may tell
    for other in (
        replace(fresh, cause=Cause.CUT_SHORT),
        replace(fresh, cause=Cause.COMPLETE),
        replace(fresh, from_cache=True),
        replace(fresh, got_hash=None),
        replace(fresh, urls=()),
        replace(fresh, kind=FailureKind.CACHE_CORRUPT),
    ):
        assert needs_received(other) is None, other


def test_with_received_marks_cut_or_whole_and_adds_the_evidence() -> None:
    fresh = diag(FailureKind.DOWNLOAD_CORRUPT, urls=(URL,), got_hash="b" * 64, rule="§C")
    assert with_received(fresh, None) is fresh
    cut = with_received(fresh, Received(cut=True, size=10, length=20, path="/c/x.body"))
    assert cut.cause is Cause.CUT_SHORT
    assert cut.kind is FailureKind.DOWNLOAD_CORRUPT  # the kind stays; the plan retries it
    assert cut.policy is RetryPolicy.RETRY
    assert cut.evidence[-1] == (
        "pip's cached copy of these bytes holds 10 of the 20 bytes of its Content-Length"
    )
    assert "cut short" in cut.rule
    whole = with_received(fresh, Received(cut=False, size=20, length=20, path="/c/x.body"))
    assert whole.cause is Cause.COMPLETE
    assert plan(cut, [cut], Context(cache_root=ROOT)).again is True
