"""The finer causes (safepip/classifier/causes.py) on logs shaped like pip 24.0-26.3 --log files."""

from __future__ import annotations

from safepip.classifier import classify
from safepip.model import Cause, FailureKind, RetryPolicy

T = "2026-12-07T04:03:41,870 "
PAGE = "http://127.0.0.1:4000/root/m/+simple/cold/"
FILE = "http://127.0.0.1:4000/root/m/%2Bf/3bb/59b0e4f924586/cold-1.0-py3-none-any.whl"
NOT_FOUND = (
    f"{T}ERROR: Could not find a version that satisfies the requirement cold (from versions:"
    " none)\n"
    f"{T}ERROR: No matching distribution found for cold\n"
)


def _page(*, links: bool, project: str = "cold") -> str:
    page = PAGE.replace("/cold/", f"/{project}/")
    text = (
        f"{T}Fetching project page and analyzing links: {page}\n"
        f"{T}Getting page {page}\n"
        f"{T}Fetched page {page} as application/vnd.pypi.simple.v1+json\n"
    )
    if links:
        text += f"{T}  Found link {FILE} (from {page}), version: 1.0\n"
    return text + f"{T}Skipping link: not a file: {page}\n"


def test_not_found_after_an_empty_index_page_gets_one_retry() -> None:
    diagnosis = classify(_page(links=False) + NOT_FOUND, returncode=1)
    assert diagnosis.kind is FailureKind.NOT_FOUND
    assert diagnosis.cause is Cause.EMPTY_PAGE
    assert diagnosis.policy is RetryPolicy.RETRY
    assert "no files" in diagnosis.hint
    assert PAGE in diagnosis.hint


def test_a_page_with_links_or_of_another_project_is_a_plain_not_found() -> None:
    for text in (_page(links=True), _page(links=False, project="other")):
        diagnosis = classify(text + NOT_FOUND, returncode=1)
        assert diagnosis.kind is FailureKind.NOT_FOUND
        assert diagnosis.cause is None
        assert diagnosis.policy is RetryPolicy.STOP


REFUSED = (
    f"{T}WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None))"
    " after connection broken by 'NewConnectionError(\"HTTPConnection(host='127.0.0.1',"
    " port=50307): Failed to establish a new connection: [Errno 111] Connection refused\")':"
    " /simple/x/\n"
    f"{T}Could not fetch URL http://127.0.0.1:50307/simple/x/: connection error: [Errno 111]"
    " Connection refused - skipping\n"
    f"{T}ERROR: Could not find a version that satisfies the requirement x (from versions: none)\n"
    f"{T}ERROR: No matching distribution found for x\n"
)


def test_connection_refused_is_unreachable_and_names_the_host() -> None:
    diagnosis = classify(REFUSED, returncode=1)
    assert diagnosis.kind is FailureKind.NETWORK_TRANSIENT
    assert diagnosis.cause is Cause.UNREACHABLE
    assert diagnosis.pip_retries == 1
    assert "Nothing answers at 127.0.0.1:50307" in diagnosis.hint


def test_an_unknown_host_name_is_unreachable_too() -> None:
    for error in ("[Errno -2] Name or service not known", "[Errno 11001] getaddrinfo failed"):
        text = REFUSED.replace("[Errno 111] Connection refused", error)
        assert classify(text, returncode=1).cause is Cause.UNREACHABLE, error


def test_a_503_is_not_unreachable_and_pips_retries_are_counted() -> None:
    retry = (
        f"{T}WARNING: Retrying (Retry(total={{n}}, connect=None, read=None, redirect=None,"
        " status=None)) after connection broken by 'ResponseError('too many 503 error"
        " responses')': /simple/x/\n"
    )
    text = "".join(retry.format(n=n) for n in (4, 3, 2, 1, 0))
    text += (
        f"{T}Could not fetch URL http://127.0.0.1:50307/simple/x/: connection error:"
        " HTTPConnectionPool(host='127.0.0.1', port=50307): Max retries exceeded with url:"
        " /simple/x/ (Caused by ResponseError('too many 503 error responses')) - skipping\n"
    )
    text += NOT_FOUND.replace("cold", "x")
    diagnosis = classify(text, returncode=1)
    assert diagnosis.kind is FailureKind.NETWORK_TRANSIENT
    assert diagnosis.cause is None
    assert diagnosis.pip_retries == 5


AUTH = (
    "{found}"
    f"{T}Could not fetch URL http://127.0.0.1:53643/simple/private-pkg/: 401 Client Error:"
    " Unauthorized for url: http://127.0.0.1:53643/simple/private-pkg/ - skipping\n"
    f"{T}ERROR: Could not find a version that satisfies the requirement private-pkg (from"
    " versions: none)\n"
    f"{T}ERROR: No matching distribution found for private-pkg\n"
)


def test_auth_without_credentials_says_to_set_them() -> None:
    diagnosis = classify(AUTH.format(found=""), returncode=1)
    assert diagnosis.kind is FailureKind.AUTH
    assert diagnosis.cause is Cause.NO_CREDENTIALS
    assert "pip sent none" in diagnosis.hint
    assert "netrc" in diagnosis.hint
    assert "keyring" in diagnosis.hint
    assert "--no-input" in diagnosis.hint


def test_auth_with_credentials_says_they_were_refused() -> None:
    for source in ("url", "netrc", "index url"):
        found = f"{T}Found credentials in {source} for 127.0.0.1:53643\n"
        diagnosis = classify(AUTH.format(found=found), returncode=1)
        assert diagnosis.kind is FailureKind.AUTH
        assert diagnosis.cause is Cause.CREDENTIALS_REFUSED, source
        assert "refused the credentials pip sent" in diagnosis.hint


def test_a_broken_wheel_blames_its_own_download_not_the_last_one() -> None:
    text = (
        f"{T}Collecting cdemo\n"
        f"{T}  Downloading http://127.0.0.1:4000/files/cdemo-1.0-py3-none-any.whl (154 kB)\n"
        f"{T}Collecting cdep (from cdemo)\n"
        f"{T}  Downloading http://127.0.0.1:4000/files/cdep-1.0-py3-none-any.whl (154 kB)\n"
        f"{T}Installing collected packages: cdep, cdemo\n"
        f"{T}ERROR: Exception:\n"
        f"{T}Traceback (most recent call last):\n"
        f'{T}  File "/x/zipfile.py", line 973, in _update_crc\n'
        f"{T}zipfile.BadZipFile: Bad CRC-32 for file 'cdemo/_padding.bin'\n"
    )
    diagnosis = classify(text, returncode=2)
    assert diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT
    assert diagnosis.package == "cdemo"
    assert diagnosis.urls == ("http://127.0.0.1:4000/files/cdemo-1.0-py3-none-any.whl",)
    assert diagnosis.got_hash is None
    assert "no hash to compare" in diagnosis.hint
    assert "got sha256 ?" not in diagnosis.hint


def test_a_5xx_retry_budget_that_ran_out_counts_as_pips_own_retries() -> None:
    """urllib3 retries 5xx answers without a Retrying line; "too many ... error responses"."""
    text = (
        f"{T}  Downloading http://127.0.0.1:4000/files/demo-1.0-py3-none-any.whl (154 kB)\n"
        f"{T}ERROR: Could not install packages due to an OSError: HTTPConnectionPool(host="
        "'127.0.0.1', port=4000): Max retries exceeded with url: /files/demo-1.0-py3-none-any.whl"
        " (Caused by ResponseError('too many 500 error responses'))\n"
    )
    diagnosis = classify(text, returncode=1)
    assert diagnosis.kind is FailureKind.NETWORK_TRANSIENT
    assert diagnosis.pip_retries == 5


def test_unreachable_without_a_url_takes_the_host_from_urllib3s_connection() -> None:
    """The console attempt has only the Retrying line: its connection repr names the host."""
    retry = REFUSED.splitlines(keepends=True)[0]
    text = retry + NOT_FOUND.replace("cold", "x")
    diagnosis = classify(text, returncode=1)
    assert diagnosis.cause is Cause.UNREACHABLE
    assert diagnosis.urls == ("http://127.0.0.1:50307/simple/x/",)
