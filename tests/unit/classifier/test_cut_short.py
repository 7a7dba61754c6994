"""A download that failed its hash: cut short, whole, or not known (docs/failure-kinds.md §C)."""

from __future__ import annotations

import pytest

from safepip.classifier import classify
from safepip.model import Cause, FailureKind, RetryPolicy

URL = "http://127.0.0.1:40451/files/demo-1.0-py3-none-any.whl"
EXPECTED = "b1bced745e17feaeb650c7ae2b9a0ddc67132909265f0c31a22a6c5695c00037"
GOT = "e8ca5318e092672bd64f430aa88c0da06109e63b0f350d90fa0f9d2c68fd4963"


def _mismatch(between: str, *, fetch: str = "Downloading") -> str:
    """pip 24's console: the fetch line, what came between, the hash block."""
    return f"""\
Collecting demo
  {fetch} {URL} (154 kB)
{between}
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have \
updated the package versions, please update the hashes. Otherwise, examine the package \
contents carefully; someone may have tampered with them.
    demo from {URL}#sha256={EXPECTED}:
        Expected sha256 {EXPECTED}
             Got        {GOT}
"""


BAR = "     ━━━━━━━━━━━━━━━━━━━                    {done}/154.7 kB 204.8 MB/s eta 0:00:01"


@pytest.mark.parametrize(
    "between",
    [
        BAR.format(done="77.4"),  # a pipe: rich prints the last state once
        BAR.format(done="77.4").replace("kB", "KB"),  # pip 22.0's rich wrote KB
        "\r".join(BAR.format(done=d) for d in ("0.0", "40.1", "77.4")),  # a terminal's redraws
        "WARNING: Connection interrupted while downloading.",  # pip >= 25.1
        (
            "pip._vendor.urllib3.exceptions.ProtocolError: ('Connection broken: "
            "IncompleteRead(77400 bytes read, 77300 more expected)', IncompleteRead(...))"
        ),
    ],
)
def test_a_download_cut_short_is_marked_cut_and_retried(between: str) -> None:
    diagnosis = classify(_mismatch(between), returncode=1)
    assert diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT
    assert diagnosis.cause is Cause.CUT_SHORT
    assert diagnosis.policy is RetryPolicy.RETRY
    assert diagnosis.got_hash == GOT
    assert diagnosis.urls == (URL,)
    assert diagnosis.hint.startswith(f"The download of demo was cut short ({URL})")


def test_a_full_progress_bar_is_a_whole_download() -> None:
    diagnosis = classify(_mismatch(BAR.format(done="154.7")), returncode=1)
    assert diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT
    assert diagnosis.cause is Cause.COMPLETE
    assert "reached the file's size" in diagnosis.rule


@pytest.mark.parametrize(
    "between",
    [
        "",  # no bar: a file under 40 kB, -q, or pip >= 25 on a pipe
        # pip's retry of another request (a page) says nothing about this body
        (
            "WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None,"
            " status=None)) after connection broken by 'ProtocolError('Connection broken:"
            " IncompleteRead(0 bytes read)', IncompleteRead(0 bytes read))': /simple/other/"
        ),
    ],
)
def test_without_evidence_the_download_is_neither_cut_nor_whole(between: str) -> None:
    diagnosis = classify(_mismatch(between), returncode=1)
    assert diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT
    assert diagnosis.cause is None


def test_a_cached_file_is_cache_corrupt_whatever_the_bar() -> None:
    """Using cached: the cache holds the bad bytes, cut or not; its purge is the remedy."""
    diagnosis = classify(_mismatch("", fetch="Using cached"), returncode=1)
    assert diagnosis.kind is FailureKind.CACHE_CORRUPT
    assert diagnosis.cause is None


def test_a_broken_archive_after_a_bar_that_stopped_short_is_cut() -> None:
    """No hash in the link: the cut wheel fails as a bad zip; the bar says it was cut."""
    text = f"""\
Collecting demo
  Downloading {URL} (154 kB)
{BAR.format(done="77.4")}
ERROR: Wheel 'demo' located at /tmp/pip-unpack-abc/demo-1.0-py3-none-any.whl is invalid.
"""
    diagnosis = classify(text, returncode=1)
    assert diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT
    assert diagnosis.cause is Cause.CUT_SHORT
    whole = classify(text.replace("77.4/", "154.7/"), returncode=1)
    assert whole.kind is FailureKind.DOWNLOAD_CORRUPT
    assert whole.cause is Cause.COMPLETE
    no_bar = classify(text.replace(BAR.format(done="77.4") + "\n", ""), returncode=1)
    assert no_bar.kind is FailureKind.DOWNLOAD_CORRUPT
    assert no_bar.cause is None


def test_a_broken_archive_is_judged_by_its_own_bar_not_a_later_download() -> None:
    """pip installs after every download: the bar before the error may be another file's."""
    text = """\
Collecting demo
  Downloading {url} (154 kB)
{demo}
Collecting dep
  Downloading http://127.0.0.1:40451/files/dep-2.0-py3-none-any.whl (154 kB)
{dep}
Installing collected packages: dep, demo
ERROR: Wheel 'demo' located at /tmp/pip-unpack-abc/demo-1.0-py3-none-any.whl is invalid.
"""
    cut, whole = BAR.format(done="77.4"), BAR.format(done="154.7")
    diagnosis = classify(text.format(url=URL, demo=cut, dep=whole), returncode=1)
    assert diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT
    assert diagnosis.cause is Cause.CUT_SHORT
    other = classify(text.format(url=URL, demo=whole, dep=cut), returncode=1)
    assert other.kind is FailureKind.DOWNLOAD_CORRUPT
    assert other.cause is Cause.COMPLETE


def test_a_download_with_no_size_announced_is_unsized() -> None:
    """No Content-Length: pip prints no size and no pip can tell a cut (a spinner, no total)."""
    text = _mismatch("     - 4.7 kB ? 0:00:00").replace(f"{URL} (154 kB)", URL)
    diagnosis = classify(text, returncode=1)
    assert diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT
    assert diagnosis.cause is Cause.UNSIZED
    assert "no size announced" in diagnosis.rule


@pytest.mark.parametrize(
    ("done", "cause"), [("10.6 MB", Cause.CUT_SHORT), ("11.2 MB", Cause.COMPLETE)]
)
def test_pip_21s_bar_is_read_against_the_announced_size(done: str, cause: Cause) -> None:
    """pip <= 21 drew a bar without a total: the Downloading line's size is the total."""
    bar = f"     |\u2588\u2588\u2588\u2588\u2588\u2588\u2588\u258f | {done} 10 kB/s eta 0:01:01"
    text = _mismatch(bar).replace("(154 kB)", "(11.2 MB)")
    diagnosis = classify(text, returncode=1)
    assert diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT
    assert diagnosis.cause is cause
