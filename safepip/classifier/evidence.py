"""Pure extraction of evidence details from a normalised pip log.

Hashes, URLs, the package and its version, timestamps and paths, read from the lines around
the decisive one with the patterns of :mod:`safepip.classifier.patterns`. Nothing here decides a
kind: :mod:`safepip.classifier.decide` and :mod:`safepip.classifier.refine` ask, these functions
answer.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple
from urllib.parse import unquote

from safepip.classifier import patterns as pat
from safepip.classifier.facts import canonical

if TYPE_CHECKING:
    from collections.abc import Iterable

    from safepip.classifier.normalize import Log

LOOKBACK = 3000  # lines searched back for a context line (Using cached, Processing, ...)
_RICH_CONTEXT = ("\u00d7", "\u2570", "\u2502", "URL")  # rich's cross, corner, bar (pip >= 22)


class Fetch(NamedTuple):
    """A ``Using cached``/``Downloading`` line (docs/failure-kinds.md §A)."""

    verb: str  # "Using cached" or "Downloading"
    target: str  # the URL or file name as printed
    sized: bool  # whether pip printed the size: the fetch got as far as the headers
    line: str  # the cleaned line
    at: int  # its line index


@dataclass(frozen=True)
class HashBlock:
    """What the hash-mismatch block says (docs/failure-kinds.md §C)."""

    req: str | None
    url: str | None
    expected: tuple[str, ...]
    got: str | None
    lines: tuple[str, ...]


def urls_near(log: Log, index: int) -> tuple[str, ...]:
    """The file URL of a network failure (docs/failure-kinds.md §A, §I).

    In order: a URL or a urllib3 ``ConnectionPool(host=...)...url: /path`` in the decisive line or
    its rich context lines (``╰─> URL: ...``); the nearest ``Downloading``/``Using
    cached`` before it (a bare file name is mapped through ``Found link``); a pool repr in the
    traceback before it.
    """
    for i in range(index, min(len(log.lines), index + 4)):
        line = log.clean(i)
        if i > index and not line.lstrip().startswith(_RICH_CONTEXT):
            continue
        found = url_in(line, pool_only=False)
        if found:
            return found
    fetch = fetch_before(log, index, None)
    if fetch is not None:
        resolved = resolve(log, fetch.target)
        if resolved:
            return resolved
    for i in range(index - 1, max(-1, index - 400), -1):
        if "ConnectionPool" in log.lines[i]:
            found = url_in(log.clean(i), pool_only=True)
            if found:
                return found
    return ()


def url_in(line: str, *, pool_only: bool) -> tuple[str, ...]:
    """The first URL in ``line`` (a urllib3 pool repr first), without its fragment."""
    pool = pat.POOL_URL.search(line)
    if pool:
        scheme, host, port, path = pool.groups()
        default = {"http": "80", "https": "443"}[scheme.lower()]
        netloc = host if port == default else f"{host}:{port}"
        return (f"{scheme.lower()}://{netloc}{path}".split("#", 1)[0],)
    urls = [] if pool_only else pat.URL.findall(line)
    return (urls[0].split("#", 1)[0],) if urls else ()


def package_in(texts: Iterable[str]) -> tuple[str | None, str | None]:
    """The package (and version) named by the first of ``texts`` that names one."""
    for text in texts:
        for pattern in pat.PACKAGE:
            m = pattern.search(text)
            if m:
                return m.group(1), (m.group(2) if m.lastindex and m.lastindex >= 2 else None)
    return None, None


def package_before(log: Log, index: int, *, top_level: bool) -> str | None:
    """The project the user asked for, from the ``Collecting`` lines before ``index``.

    A ``Collecting dep (from demo)`` line (pip >= 23.1) names a dependency: the nearest line
    without such a parent wins, else the nearest line at all. With ``top_level``, indented lines
    (pip's nested install of build dependencies) do not count.
    """
    fallback = None
    for i in range(index, max(-1, index - LOOKBACK), -1):
        raw = log.lines[i]
        if "Collecting" not in raw and "versions of" not in raw:
            continue
        if top_level and log.nested(i):
            continue
        line = log.clean(i)
        if top_level and line[:1].isspace():  # the build-dependency install of a build step
            continue
        m = pat.COLLECTING.match(line)
        if m is None:
            continue
        if line.lstrip().startswith("Collecting") and not pat.FROM_PARENT.search(line):
            return m.group(1)
        fallback = fallback or m.group(1)
    return fallback


def project(lines: tuple[str, ...]) -> str | None:
    """The normalised project name a not-found line is about (PEP 503)."""
    for line in lines:
        for pattern in pat.NOT_FOUND_PROJECT:
            m = pattern.search(line)
            if m:
                return canonical(m.group(1))
    return None


def about(line: str, name: str | None) -> bool:
    """Whether a warning concerns project ``name``: an index page of another project does not."""
    page = pat.SIMPLE_PAGE.search(line)
    return name is None or page is None or canonical(page.group(1)) == name


def silence_before(log: Log, index: int) -> float:
    """Seconds between the timestamps of line ``index`` and the line before it (0 if unknown).

    The innermost timestamp of a line counts: pip's own ``--log`` stamp, not the one a CI
    system added when it printed the file.
    """
    if index < 1:
        return 0.0
    now = _stamp(log.lines[index])
    before = _stamp(log.lines[index - 1])
    if now is None or before is None:
        return 0.0
    return now - before


def _stamp(raw: str) -> float | None:
    last = None
    for last in pat.TIMESTAMP.finditer(raw, 0, 120):  # noqa: B007 - keep the last one
        pass
    return None if last is None else _seconds(last)


def _seconds(match: re.Match[str]) -> float:
    day, hours, minutes, seconds, fraction = match.groups()
    whole = ((int(day) * 24 + int(hours)) * 60 + int(minutes)) * 60 + int(seconds)
    return whole + float(f"0.{fraction or 0}")


def read_hash_block(log: Log, header: int) -> HashBlock:
    """Read the hash block that follows the ``THESE PACKAGES DO NOT MATCH`` line ``header``."""
    req = url = got = None
    expected: list[str] = []
    lines = [log.clean(header)]
    for index in range(header + 1, min(len(log.lines), header + 40)):
        line = log.clean(index)
        m_from = pat.HASH_REQ.match(line)  # ``req from URL``: the URL is group 2
        m_req = m_from or pat.HASH_REQ_BARE.match(line)
        m_exp = pat.HASH_EXPECTED.match(line)
        m_got = pat.HASH_GOT.match(line)
        if m_got:
            got = m_got.group(1).lower()
            lines.append(line)
            break
        if m_exp:
            expected.append(m_exp.group(1).lower())
            lines.append(line)
        elif m_req and req is None:
            req = m_req.group(1)
            url = m_from.group(2) if m_from else None
            lines.append(line)
    return HashBlock(req, url, tuple(expected), got, tuple(lines))


def stopped_short(log: Log, start: int, end: int) -> bool:
    """Whether the download between two lines was cut short (§C step 4).

    Its last progress bar stopped before its total, or urllib3 or pip said the connection
    broke mid-body (``IncompleteRead(``, ``Connection broken:``, pip >= 25.1's ``Connection
    interrupted while downloading``; never a ``Retrying`` line, which is another request).
    """
    end = _span_end(log, start, end)
    if progress_done(log, start, end) is False:
        return True
    return any(
        pat.BROKE_MID_BODY.search(log.lines[i]) and "Retrying (" not in log.lines[i]
        for i in range(start + 1, end)
    )


def _span_end(log: Log, start: int, end: int) -> int:
    """Where the download announced at line ``start`` ends: the next fetch or ``Collecting``.

    pip checks a hash right after the download, but installs (and finds a broken archive)
    after every download: the bars in between are other files'.
    """
    for i in range(start + 1, end):
        raw = log.lines[i]
        if ("Downloading" in raw or "Using cached" in raw or "Collecting" in raw) and (
            pat.FETCH.match(log.clean(i)) or pat.COLLECTING.match(log.clean(i))
        ):
            return i
    return end


def progress_done(log: Log, start: int, end: int) -> bool | None:
    """Whether the last progress bar between two lines reached its total; None: no bar.

    A full bar is whole to the bar's precision (one decimal of its unit). pip draws no bar for
    files under 40 kB, with ``-q``, and (pip >= 25) on a console that is not a terminal.
    """
    announced = pat.ANNOUNCED_SIZE.search(log.clean(start))
    for i in range(_span_end(log, start, end) - 1, start, -1):
        line = log.clean(i)
        m = pat.PROGRESS.search(line)
        if m:
            return float(m.group(1)) >= float(m.group(2))
        legacy = pat.LEGACY_PROGRESS.search(line) if announced else None
        if legacy and announced:  # pip <= 21: the bytes so far against the announced size
            return _bytes(*legacy.groups()) >= _bytes(*announced.groups())
    return None


_UNITS = {"bytes": 1, "kb": 1000, "mb": 1000**2, "gb": 1000**3}


def _bytes(number: str, unit: str) -> float:
    """A size as pip's ``format_size`` writes it (decimal units), in bytes."""
    return float(number) * _UNITS[unit.lower()]


def project_spelling(name: str) -> str:
    """A project name spelt as file names spell it: lower case, runs of ``-_.`` as ``_``."""
    return re.sub(r"[-_.]+", "_", name).lower()


def fetch_before(
    log: Log,
    index: int,
    name: str | None,
    *,
    stem: str | None = None,
    project: str | None = None,
) -> Fetch | None:
    """The nearest ``Using cached``/``Downloading`` line before ``index``.

    Args:
        log: the log.
        index: the line to look back from.
        name: only the fetch of this file name, when given.
        stem: only the fetch of a file whose name starts with ``<project>-<version>-`` (compared
            as wheel file names spell them: lower case, ``-`` and ``.`` in the name as ``_``).
        project: only the fetch of a file of this project (spelt lower case, runs of ``-_.``
            as one ``_``).
    """
    for i in range(index - 1, max(-1, index - LOOKBACK), -1):
        raw = log.lines[i]
        if "Using cached" not in raw and "Downloading" not in raw:
            continue
        line = log.clean(i)
        m = pat.FETCH.match(line)
        if m is None:
            continue
        base = posixpath.basename(m.group(2).split("#", 1)[0])
        if name is not None and base != name:
            continue
        if stem is not None and not _wheel_spelling(base).startswith(_wheel_spelling(stem)):
            continue
        if project is not None and project_spelling(base.split("-", 1)[0]) != project:
            continue
        return Fetch(m.group(1), m.group(2), m.group(3) is not None, line, i)
    return None


def cached_wheel_link(log: Log, fetch: Fetch) -> str | None:
    """The ``file:`` URL of the ``wheels/`` file a ``Using cached <name>.whl`` line read (§A).

    pip logs ``Using cached wheel link: file:///<cache>/wheels/.../<name>.whl`` at debug level
    (its ``--log`` only) just before the console's ``Using cached <name>.whl``; the nearest such
    line before ``fetch`` whose file name is the fetched one names the entry. The URL is
    returned as printed: :func:`safepip.cache.layout.wheel_entry_dir` decodes it and refuses
    anything outside the cache's ``wheels/`` layout.
    """
    if fetch.verb != "Using cached" or "://" in fetch.target or "wheel link:" not in log.text:
        return None
    for i in range(fetch.at - 1, max(-1, fetch.at - LOOKBACK), -1):
        if "Using cached wheel link:" not in log.lines[i]:
            continue
        m = pat.CACHED_WHEEL_LINK.match(log.clean(i))
        if m and posixpath.basename(unquote(m.group(1))) == fetch.target:
            return m.group(1)
    return None


def names_project(url: str, project: str) -> bool:
    """Whether ``url`` is a file or index page of ``project`` (or names no project at all)."""
    path = url.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    page = pat.SIMPLE_PAGE.search(url)
    if page is not None and path.endswith(page.group(1)):
        return canonical(page.group(1)) == canonical(project)
    base = posixpath.basename(path)
    if not base.endswith((".whl", ".tar.gz", ".zip", ".tar.bz2", ".metadata")):
        return True
    return _wheel_spelling(base).startswith(_wheel_spelling(project + "-"))


def _wheel_spelling(name: str) -> str:
    """``Foo.Bar-1.0-`` as a wheel file name spells it: ``foo_bar-1.0-``."""
    project, sep, rest = name.partition("-")
    return project_spelling(project) + sep + rest.lower()


def found_links(log: Log) -> dict[str, tuple[str, str | None]]:
    """Map file name -> (URL without fragment, index sha256) from ``Found link`` lines (§I)."""
    links: dict[str, tuple[str, str | None]] = {}
    if "Found link" not in log.text:
        return links
    for m in pat.FOUND_LINK.finditer(log.text):
        links[posixpath.basename(m.group(1))] = (m.group(1), m.group(2))
    return links


def resolve(log: Log, target: str) -> tuple[str, ...]:
    """A ``Using cached``/``Downloading`` target as a URL: as printed, or via ``Found link``."""
    target = target.split("#", 1)[0]
    if "://" in target:
        return (target,)
    found = found_links(log).get(target)
    return (found[0],) if found else ()


def split_req(req: str | None) -> tuple[str | None, str | None]:
    """``name[extras]==version; marker`` -> (name, version), either None when absent."""
    if not req:
        return None, None
    name, sep, version = req.partition("==")
    name = name.split("[", 1)[0].split(";", 1)[0].strip()
    return (name or None), (version.split(";", 1)[0].strip() or None) if sep else None


def same_path(processing: str, path: str) -> bool:
    """Whether a ``Processing <path>`` target and an Errno path name the same place."""
    processing = processing.removeprefix("file://").rstrip("/\\")
    return bool(processing) and (
        path.startswith(processing) or processing.startswith(path.rstrip("/\\"))
    )


def dist_info_dir(path: str) -> str:
    """The ``*.dist-info``/``*.egg-info`` directory a path lies in (the path if none)."""
    for marker in (".dist-info", ".egg-info"):
        cut = path.find(marker)
        if cut != -1:
            return path[: cut + len(marker)]
    return path
