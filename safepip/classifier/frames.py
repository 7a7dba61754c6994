"""The last resort when no error line decides: traceback frames and the step pip was in.

pip's unexpected failures print ``ERROR: Exception:`` and a traceback, and pastes often cut it
before its last line (the exception). The frames still say where it failed, in file paths that
are the same in every pip version and language: a read inside urllib3's response or the ssl
socket is a download that broke off mid-stream; packaging's marker or requirement parser is a
requirement pip could not parse; setuptools, distutils, a ``setup.py`` or pip's isolated build
environment is a build. When no frame says it either, the step pip announced last (``Getting
requirements to build wheel``, ``Preparing metadata``, ``Running setup.py install``...) does.

Only :func:`decide` is used, by :mod:`safepip.classifier.decide`, when the signature table
found nothing (or only an errno-less OSError); it costs one extra pass over the text then, and
nothing otherwise.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, NamedTuple

from safepip import lazyre
from safepip.classifier.evidence import fetch_before
from safepip.model import FailureKind

if TYPE_CHECKING:
    from safepip.classifier.normalize import Log

K = FailureKind

#: Frames read (the last ones of the log: the traceback that ended the run).
_LAST_FRAMES = 400
#: Lines searched back for the step pip announced last.
_STEP_LOOKBACK = 60


class FrameRule(NamedTuple):
    """A module path (and function) that places a traceback in one kind of failure."""

    kind: FailureKind
    pattern: re.Pattern[str]
    source: str


def _frame(kind: FailureKind, pattern: str, source: str) -> FrameRule:
    return FrameRule(kind, lazyre.compile(pattern, re.VERBOSE), source)


#: In order: the first rule that matches any of the last frames decides.
FRAME_RULES: tuple[FrameRule, ...] = (
    _frame(
        K.NETWORK_TRANSIENT,
        r"(?:urllib3[\\/](?:response|contrib[\\/]pyopenssl)|[\\/]http[\\/]client|[\\/]ssl"
        r"|[\\/]socket)\.py\",\x20line\x20\d{1,7},\x20in\x20"
        r"(?:_error_catcher|read\w{0,12}|recv_into|_safe_read|stream|_fp_read|_update_chunk_length)\b"
        r"|urllib3[\\/]connectionpool\.py\",\x20line\x20\d{1,7},\x20in\x20urlopen\b"
        r"|requests[\\/]adapters\.py\",\x20line\x20\d{1,7},\x20in\x20send\b",
        "docs/failure-kinds.md §B network-transient: the traceback runs through a request to the"
        " index or a read of its response (urllib3, requests, http.client, ssl)",
    ),
    _frame(
        K.DOWNLOAD_CORRUPT,
        r"[\\/](?:zipfile|tarfile|gzip|lzma|bz2)(?:[\\/]__init__)?\.py\",\x20line\x20\d",
        "docs/failure-kinds.md §E cache-corrupt/download-corrupt: the traceback runs through the"
        " archive readers (zipfile, tarfile, gzip): the file pip unpacks is damaged",
    ),
    _frame(
        K.INVALID_REQUIREMENT,
        r"packaging[\\/](?:markers|requirements|specifiers)\.py\",\x20line",
        "docs/failure-kinds.md §E invalid-requirement: the traceback runs through packaging's"
        " marker or requirement parser",
    ),
    _frame(
        K.BUILD_FAILURE,
        r"[\\/]setuptools[\\/]|[\\/]distutils[\\/]|pip-build-env-|[\\/]setup\.py\",\x20line"
        r"|pyproject_hooks|pep517[\\/]|_in_process\.py|build_meta\.py|[\\/]easy_install-",
        "docs/failure-kinds.md §E build-failure: the traceback runs through setuptools, a"
        " setup.py or pip's isolated build environment",
    ),
)

#: The steps of a build that pip announces before running it, and the build's own progress
#: (setuptools' ``running build_ext``, ``copying x -> build/lib``...).
_BUILD_STEP = lazyre.compile(
    r"^\s{0,12}(?:Installing\x20build\x20dependencies|Getting\x20requirements\x20to\x20build"
    r"|Preparing\x20(?:wheel\x20|editable\x20)?metadata|Building\x20(?:wheel|editable)\x20for"
    r"|Running\x20setup\.py\x20(?:install|develop|bdist_wheel)|Complete\x20output\x20from\x20command"
    r"|Complete\x20output\x20\(|running\x20(?:build|egg_info|bdist_wheel|install|develop)\w{0,12}$"
    r"|copying\x20\S{1,512}\x20->\x20build|creating\x20build\b)",
    re.VERBOSE,
)
#: Any step pip announces (the last one before the failure is the step that failed).
_ANY_STEP = lazyre.compile(
    r"^\s{0,12}(?:Collecting|Downloading|Using\x20cached|Processing|Obtaining|Installing"
    r"|Getting|Preparing|Building|Running|Attempting|Uninstalling|Successfully|Requirement"
    r"|running\x20\w|copying\x20|creating\x20build|Complete\x20output)\b",
    re.VERBOSE,
)
_STEP_SOURCE = (
    "docs/failure-kinds.md §E build-failure: pip failed right after announcing a build step"
    " (no frame or error line names another cause)"
)


class Found(NamedTuple):
    """What the frames or the last step say."""

    kind: FailureKind
    evidence: tuple[str, ...]
    source: str
    at: int


def decide(log: Log, boundary: int) -> Found | None:
    """The kind the last traceback's frames, or else pip's last step, point to (or None)."""
    frames = [i for i in log.find(('File "',)) if i > boundary][-_LAST_FRAMES:]
    lines = {i: log.clean(i) for i in frames}
    for rule in FRAME_RULES:
        for index in reversed(frames):
            if rule.pattern.search(lines[index]):
                return _archive(log, rule, index, lines[index].strip())
    return _last_step(log, boundary)


def _archive(log: Log, rule: FrameRule, index: int, frame: str) -> Found:
    """A damaged archive read from the cache (``Using cached`` before it) is cache-corrupt."""
    found = Found(rule.kind, (frame,), rule.source, index)
    if rule.kind is not K.DOWNLOAD_CORRUPT:
        return found
    fetch = fetch_before(log, index, None)
    if fetch is None or fetch.verb != "Using cached":
        return found
    return Found(K.CACHE_CORRUPT, (fetch.line, frame), f"{rule.source}; after Using cached", index)


def _last_step(log: Log, boundary: int) -> Found | None:
    """A build step, when it is the last step pip announced before the failure.

    The failure is pip's first ``ERROR: Exception`` or traceback; a paste that shows neither
    was cut during the failing step, so its end counts.
    """
    failed = [i for i in log.find(("ERROR: Exception", "Traceback (most recent")) if i > boundary]
    first = failed[0] if failed else len(log.lines)
    for index in range(first - 1, max(boundary, first - _STEP_LOOKBACK), -1):
        line = log.clean(index)
        if _ANY_STEP.match(line):
            if _BUILD_STEP.match(line):
                said = (log.clean(first),) if failed else ()
                return Found(K.BUILD_FAILURE, (line, *said), _STEP_SOURCE, index)
            return None
    return None
