"""The finer cause within a kind, where the plan or the advice depends on it.

Runs after the kind is decided (:func:`detail`, called by :mod:`safepip.classifier.decide`) and
reads the whole top-level log (never nested build output):

- ``empty-page``: a not-found right after pip fetched the project page and found no link on it
  (a caching mirror still fetching its upstream answers 200 with an empty list); such a
  not-found gets one retry (policy ``retry``), which the plan delays by about a second;
- ``unreachable``: a network failure whose last network error says nothing listens at the host
  (connection refused, unknown host name; no route to the host or network is network-config by
  its rule);
- ``no-credentials`` / ``credentials-refused``: an auth failure where pip sent no credentials
  (no ``Found credentials in ...`` line) or sent some;
- ``pip_retries``: how many ``Retrying (Retry(total=...))`` lines pip logged (its own backoff);
  a retry budget that ran out on 5xx answers ("too many 503 error responses", no Retrying
  lines) counts as pip's default 5.

A download that failed its hash or arrived as a broken archive is marked ``cut-short`` or
``complete-download`` by :mod:`safepip.classifier.refine` (from its progress bar and the lines
between it and the error), which decides its kind; the install loop may add the same marks from
pip's cached copy of the failed bytes (:func:`safepip.install.downloads.with_received`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from safepip import lazyre
from safepip.classifier.evidence import project
from safepip.classifier.facts import canonical
from safepip.model import Cause, Diagnosis, FailureKind, RetryPolicy

if TYPE_CHECKING:
    from safepip.classifier.normalize import Log

K = FailureKind

#: pip's own retry of one request (urllib3's Retry), logged as a WARNING.
RETRYING = "Retrying (Retry(total="
#: urllib3's Retry ran out on 5xx answers (pip logs no Retrying line for those).
EXHAUSTED = lazyre.compile(r"too\x20many\x20\d{3}\x20error\x20responses")
#: pip's default ``--retries``.
PIP_DEFAULT_RETRIES = 5
#: ``Fetched page <url> as <content type>`` (pip's debug line for a 200 index page).
FETCHED_PAGE = lazyre.compile(r"\bFetched\x20page\x20(\S{1,2048})\x20as\x20")
#: The lines that carry pip's network errors (what the last one says decides ``unreachable``).
_NETWORK_LINE = ("Retrying (", "Could not fetch URL", "NewConnectionError", "NameResolutionError")
#: Nothing listens at the host: refused, unknown name, no route (Linux, macOS and Windows texts).
UNREACHABLE = lazyre.compile(
    r"Connection\x20refused|\[Errno\x20111\]|actively\x20refused|\[WinError\x2010061\]"
    r"|Name\x20or\x20service\x20not\x20known|\[Errno\x20-2\]|nodename\x20nor\x20servname"
    r"|getaddrinfo\x20failed|\[Errno\x2011001\]"
    r"|Network\x20is\x20unreachable|\[Errno\x20101\]|No\x20route\x20to\x20host|\[Errno\x20113\]"
)
#: pip found credentials for the host (url, index url, netrc, keyring) and sent them.
SENT_CREDENTIALS = lazyre.compile(
    r"Found\x20credentials\x20in\x20(?:index\x20)?(?:url|netrc|keyring)"
)


def detail(log: Log, diagnosis: Diagnosis) -> Diagnosis:
    """Add the cause and pip's own retry count to a decided diagnosis."""
    top = [i for i in range(len(log.lines)) if not log.nested(i)]
    retries = sum(1 for i in top if RETRYING in log.lines[i])
    if any(EXHAUSTED.search(log.lines[i]) for i in top):
        # 5xx answers are retried without a Retrying line: "too many 503 error responses"
        # says pip's retry budget (5 by default) ran out, its backoff waited.
        retries = max(retries, PIP_DEFAULT_RETRIES)
    diagnosis = replace(diagnosis, pip_retries=retries)
    kind = diagnosis.kind
    if diagnosis.cause is not None:
        return diagnosis
    page = _empty_page(log, top, diagnosis) if kind is K.NOT_FOUND else None
    if page is not None:
        return replace(
            diagnosis,
            urls=(page,),
            cause=Cause.EMPTY_PAGE,
            policy=RetryPolicy.RETRY,
            rule=f"{diagnosis.rule}; the index page listed no files",
        )
    if kind is K.NETWORK_TRANSIENT and _unreachable(log, top, diagnosis):
        urls = diagnosis.urls or _connection_url(log, top)
        return replace(diagnosis, cause=Cause.UNREACHABLE, urls=urls)
    if kind is K.AUTH:
        sent = any(SENT_CREDENTIALS.search(log.lines[i]) for i in top)
        return replace(diagnosis, cause=Cause.CREDENTIALS_REFUSED if sent else Cause.NO_CREDENTIALS)
    return diagnosis


def _empty_page(log: Log, top: list[int], diagnosis: Diagnosis) -> str | None:
    """The URL of the wanted project's page when pip fetched it (200) and it gave no link."""
    wanted = project(diagnosis.evidence)
    page = None
    for i in reversed(top):
        m = FETCHED_PAGE.search(log.lines[i])
        if m and (wanted is None or _names(m.group(1), wanted)):
            page = m.group(1)
            break
    if page is None or f"(from {page})" in log.text:
        return None
    return page


def _names(url: str, wanted: str) -> bool:
    """Whether a project page URL (``.../<name>/``) is the page of ``wanted``."""
    last = url.rstrip("/").rsplit("/", 1)[-1]
    return canonical(last) == wanted


#: urllib3's connection repr in a Retrying line: ``HTTPConnection(host='h', port=1)...': /path``
#: (the path may be cut off where a terminal wrapped the line).
CONNECTION = lazyre.compile(
    r"(HTTPS?)Connection(?:Pool)?\(host='([^'\s]{1,253})',\x20port=(\d{1,5})\)"
    r"(?:.{0,400}?':\x20(/\S{0,2048}))?"
)


def _connection_url(log: Log, top: list[int]) -> tuple[str, ...]:
    """The URL of the last connection urllib3 names (its scheme, host, port and path)."""
    for i in reversed(top):
        m = CONNECTION.search(log.lines[i])
        if m:
            scheme, host, port, path = m.groups()
            return (f"{scheme.lower()}://{host}:{port}{path or '/'}",)
    return ()


def _unreachable(log: Log, top: list[int], diagnosis: Diagnosis) -> bool:
    """The last network error line (or the decisive evidence) says nothing listens there."""
    for i in reversed(top):
        line = log.lines[i]
        if any(needle in line for needle in _NETWORK_LINE):
            return UNREACHABLE.search(line) is not None
    return any(UNREACHABLE.search(line) for line in diagnosis.evidence)
