"""Read pip's cache without pip: entry iteration, CacheControl metadata, and ``cache verify``.

Formats (docs/failure-kinds.md §A; pip's vendored ``cachecontrol/serialize.py``): a metadata file is
``b"cc=4," + msgpack({"response": {"body", "headers", "status", ...}, "vary": {...}})``. In
``http-v2/`` (pip >= 23.3, ``SeparateBodyFileCache``) the body is empty there and lives in
``<h>.body``; in ``http/`` (pip <= 23.2) it is inside the msgpack. Bodies are the raw response
bytes (still gzip-encoded when the server sent ``Content-Encoding: gzip``).

Nothing here deletes: ``cache verify --fix`` hands :attr:`Problem.paths` to ``cache.delete``.
"""

from __future__ import annotations

import errno
import json
import os
import re
import stat
import struct
import time
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from safepip.cache.layout import BODY_SUFFIX, HTTP_V1, HTTP_V2, TEMP_NAME, WHEELS
from safepip.cache.msgpack_decode import MsgpackError, unpackb
from safepip.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Iterator

_KEY = re.compile(r"[0-9a-f]{56}")
_SERDE_PREFIX = b"cc=4,"
#: The most safepip reads of one cache file it parses whole: an http-v2 metadata file holds
#: headers only, an old http/ entry holds the whole body in its msgpack.
MAX_READ = 256 * 1024 * 1024
_MAX_ORIGIN = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
_EOCD = b"PK\x05\x06"
_EOCD_MAX = 22 + 0xFFFF
_OK_STATUSES = (200, 203)  # statuses whose cached body is the resource itself

#: ``cache verify`` reasons (stable: they appear in ``--json``).
EMPTY_BODY = "empty-body"
TRUNCATED_ZIP = "truncated-zip"
LENGTH_MISMATCH = "length-mismatch"
METADATA_WITHOUT_BODY = "metadata-without-body"
BODY_WITHOUT_METADATA = "body-without-metadata"
UNREADABLE_METADATA = "unreadable-metadata"
INVALID_WHEEL = "invalid-wheel"
INVALID_ORIGIN = "invalid-origin-json"
STALE_TEMP = "stale-temp-file"
NOT_REGULAR = "not-a-regular-file"


class NotRegularFile(OSError):
    """A cache path that is a symlink, a FIFO, a device or a directory where pip keeps a file."""


class TooLarge(OSError):
    """A cache file larger than safepip is willing to read whole."""


def open_entry(path: str) -> BinaryIO:
    """Open a cache file for reading: never through a symlink, never blocking, regular files only.

    A FIFO or a symlink to ``/dev/zero`` named like an entry would hang or exhaust a reader
    that trusted the name; ``O_NOFOLLOW | O_NONBLOCK`` and ``fstat`` refuse them unread.

    Raises:
        NotRegularFile: a symlink or anything but a regular file.
        OSError: the open failed otherwise (EACCES, ENOENT...).
    """
    try:
        fd = os.open(path, _OPEN_FLAGS)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise NotRegularFile(errno.ELOOP, "a symlink, not a regular file", path) from exc
        raise
    try:
        mode = os.fstat(fd).st_mode
    except OSError:
        os.close(fd)
        raise
    if not stat.S_ISREG(mode):
        os.close(fd)
        raise NotRegularFile(errno.EINVAL, "not a regular file", path)
    return os.fdopen(fd, "rb")


def read_capped(path: str, cap: int = MAX_READ) -> bytes:
    """Read a whole regular cache file of at most ``cap`` bytes (see :func:`open_entry`).

    Raises:
        NotRegularFile: not a regular file.
        TooLarge: the file holds more than ``cap`` bytes.
        OSError: it cannot be read.
    """
    with open_entry(path) as f:
        size = os.fstat(f.fileno()).st_size  # read() of `cap` bytes would allocate them all
        data = f.read(min(size, cap) + 1)
    if len(data) > cap:
        raise TooLarge(errno.EFBIG, f"larger than {cap} bytes: not read", path)
    return data


@dataclass(frozen=True)
class CachedResponse:
    """The parts of a CacheControl entry safepip looks at.

    Attributes:
        status: the HTTP status of the cached response.
        headers: response headers, names lower-cased.
        body: the embedded body (``http/`` layout; empty in ``http-v2`` metadata).
    """

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def content_length(self) -> int | None:
        """The ``Content-Length`` header as an int, if present and valid."""
        raw = self.headers.get("content-length", "").strip()
        return int(raw) if raw.isdigit() else None


def parse_metadata(data: bytes) -> CachedResponse | None:
    """Parse a CacheControl ``cc=4,`` entry; None when pip could not read it either."""
    if not data.startswith(_SERDE_PREFIX):
        return None
    try:
        cached = unpackb(data[len(_SERDE_PREFIX) :])
    except MsgpackError:
        return None
    response = cached.get("response") if isinstance(cached, dict) else None
    if not isinstance(response, dict):
        return None
    status, headers, body = response.get("status"), response.get("headers"), response.get("body")
    if not isinstance(status, int) or not isinstance(headers, dict):
        return None
    if not isinstance(body, (bytes, str)):
        return None
    return CachedResponse(
        status=status,
        headers={str(k).lower(): str(v) for k, v in headers.items()},
        body=body.encode("utf-8") if isinstance(body, str) else body,
    )


@dataclass(frozen=True)
class HttpEntry:
    """One HTTP-cache entry: the files that share a key in one leaf directory.

    Attributes:
        layout: ``"http-v2"`` or ``"http"``.
        key: the sha224 key (the file name).
        meta: the metadata file (the whole entry in ``http/``), if present. Paths are plain
            strings: a scan creates thousands and ``pathlib`` would dominate its time.
        body: the ``.body`` file (``http-v2`` only), if present.
        temps: pip temp files left beside this entry.
    """

    layout: str
    key: str
    meta: str | None
    body: str | None
    temps: tuple[str, ...] = ()


_HTTP_LEVELS = (1, 1, 1, 1, 1)  # one hex digit per level (the key's first five)
_WHEEL_LEVELS = (2, 2, 2, 50)  # pip's Cache._get_cache_path_parts
_HEXDIGITS = frozenset("0123456789abcdef")


def _leaf_dirs(
    base: str, widths: tuple[int, ...], errors: list[str] | None = None, levels: str = ""
) -> Iterator[tuple[str, str]]:
    """Yield ``(path, names joined)`` of the directories ``widths`` levels below ``base``.

    Only names of pip's shape (hex digits of the level's width) are entered, never a symlink:
    a user's own ``wheels/ab/cd/ef/myproject`` is not pip's. A directory that cannot be listed
    is added to ``errors`` (a missing one is not an error).
    """
    try:
        with os.scandir(base) as it:
            children = sorted(
                (e.path, e.name)
                for e in it
                if len(e.name) == widths[0]
                and _HEXDIGITS.issuperset(e.name)
                and e.is_dir(follow_symlinks=False)
            )
    except FileNotFoundError:
        return
    except OSError as exc:
        if errors is not None:
            errors.append(f"{base}: {exc.strerror or exc}")
        return
    for child, name in children:
        if len(widths) == 1:
            yield child, levels + name
        else:
            yield from _leaf_dirs(child, widths[1:], errors, levels + name)


def iter_http_entries(root: Path, errors: list[str] | None = None) -> Iterator[HttpEntry]:
    """Yield every entry of ``http-v2/``, then of ``http/`` (key-named files, 5 levels deep)."""
    for layout in (HTTP_V2, HTTP_V1):
        for leaf, levels in _leaf_dirs(str(root / layout), _HTTP_LEVELS, errors):
            try:
                yield from _group_leaf(layout, leaf, levels)
            except OSError as exc:
                if errors is not None:
                    errors.append(f"{leaf}: {exc.strerror or exc}")


def iter_wheel_entries(root: Path, errors: list[str] | None = None) -> Iterator[str]:
    """Yield every ``wheels/aa/bb/cc/<50 hex>`` entry directory."""
    for leaf, _levels in _leaf_dirs(str(root / WHEELS), _WHEEL_LEVELS, errors):
        yield leaf


def _group_leaf(layout: str, leaf: str, levels: str) -> Iterator[HttpEntry]:
    """Group a leaf's files by key; a key lives under its own first five digits (``levels``)."""
    metas: dict[str, str] = {}
    bodies: dict[str, str] = {}
    temps: dict[str, list[str]] = {}
    with os.scandir(leaf) as it:
        for entry in it:
            name = entry.name
            if not name.startswith(levels):
                continue
            if _KEY.fullmatch(name):
                metas[name] = entry.path
            elif name.endswith(BODY_SUFFIX) and _KEY.fullmatch(name[: -len(BODY_SUFFIX)]):
                bodies[name[: -len(BODY_SUFFIX)]] = entry.path
            else:
                temp = TEMP_NAME.fullmatch(name)
                if temp:
                    key = temp.group("target").split(".", 1)[0]
                    temps.setdefault(key, []).append(entry.path)
    for key in sorted(metas.keys() | bodies.keys() | temps.keys()):
        yield HttpEntry(layout, key, metas.get(key), bodies.get(key), tuple(temps.get(key, ())))


def iter_wheel_files(root: Path, errors: list[str] | None = None) -> Iterator[Path]:
    """Yield every ``*.whl`` below ``wheels/`` (entry dirs are ``aa/bb/cc/<rest>``).

    Names that are not directories are yielded whatever they are (a FIFO, a symlink): the
    reader refuses them unread (:func:`open_entry`) and ``cache verify`` reports them.
    """
    for leaf in iter_wheel_entries(root, errors):
        try:
            with os.scandir(leaf) as it:
                names = [
                    e.path
                    for e in it
                    if e.name.endswith(".whl") and not e.is_dir(follow_symlinks=False)
                ]
        except OSError as exc:
            if errors is not None:
                errors.append(f"{leaf}: {exc.strerror or exc}")
            continue
        yield from map(Path, sorted(names))


def zip_is_intact(f: BinaryIO, size: int) -> bool:
    """Check a zip's End-Of-Central-Directory record, reading only the tail.

    A truncated download or a half-copied wheel (pypa/pip#9034, #9964) loses its tail, so a
    missing or inconsistent EOCD is the cheap, reliable sign (docs/failure-kinds.md §A).
    """
    start = max(0, size - _EOCD_MAX)
    f.seek(start)
    tail = f.read(size - start)
    pos = tail.rfind(_EOCD)
    while pos >= 0:
        if len(tail) - pos >= 22:
            cd_size, cd_offset, comment_len = struct.unpack("<IIH", tail[pos + 12 : pos + 22])
            if pos + 22 + comment_len == len(tail):
                if cd_offset == 0xFFFFFFFF:  # zip64: the locator sits right before the EOCD
                    return pos >= 20 and tail[pos - 20 : pos - 16] == b"PK\x06\x07"
                if cd_offset + cd_size > start + pos:
                    return False
                if cd_size == 0:
                    return True
                f.seek(cd_offset)
                return f.read(4) == b"PK\x01\x02"
        pos = tail.rfind(_EOCD, 0, pos)
    return False


def body_problem(f: BinaryIO, size: int, response: CachedResponse | None) -> str | None:
    """Return why a cached response body is corrupt, or None when it looks whole."""
    if response is not None and response.status not in _OK_STATUSES:
        return None  # a cached redirect (301/308) legitimately has an empty body
    expected = response.content_length if response is not None else None
    if size == 0:
        return EMPTY_BODY if expected != 0 else None
    if expected is not None and expected != size:
        return LENGTH_MISMATCH
    f.seek(0)
    if f.read(2) == b"PK" and not zip_is_intact(f, size):
        return TRUNCATED_ZIP
    return None


@dataclass(frozen=True)
class Problem:
    """One corrupt cache entry found by :func:`verify`.

    Attributes:
        reason: one of the reason constants (``empty-body``, ``truncated-zip``...).
        paths: the files or entry directory to delete to remove it.
        detail: a short human explanation.
    """

    reason: str
    paths: tuple[str, ...]
    detail: str = ""


@dataclass(frozen=True)
class VerifyReport:
    """The result of :func:`verify`.

    Attributes:
        checked: how many entries (HTTP keys and built wheels) were examined.
        problems: the corrupt ones.
        unreadable: what could not be checked (``path: error``): a directory or file safepip
            may not read, or an entry too large to read whole.
    """

    checked: int
    problems: tuple[Problem, ...]
    unreadable: tuple[str, ...] = ()


def verify(root: Path, *, stale_after: float = 600.0, now: float | None = None) -> VerifyReport:
    """Find corrupt entries in the cache at ``root``; healthy entries are never reported.

    Args:
        root: the pip cache directory.
        stale_after: a pip temp file untouched for this many seconds is stale (pip writes
            them in one go, so an old one is the leftover of a killed pip).
        now: the current time (injected for tests); defaults to ``time.time()``.
    """
    now = time.time() if now is None else now
    try:
        with os.scandir(root):
            pass
    except FileNotFoundError:
        return VerifyReport(0, ())
    except OSError as exc:
        raise UsageError(f"cannot read the pip cache {root}: {exc.strerror or exc}") from exc
    checked = 0
    problems: list[Problem] = []
    errors: list[str] = []
    for entry in iter_http_entries(root, errors):
        checked += 1
        try:
            problems.extend(list(_check_http(entry, now - stale_after)))
        except OSError as exc:
            errors.append(f"{exc.filename or entry.meta}: {exc.strerror or exc}")
    for wheel in iter_wheel_files(root, errors):
        checked += 1
        try:
            problem = _check_wheel(wheel)
        except OSError as exc:
            errors.append(f"{exc.filename or wheel}: {exc.strerror or exc}")
            continue
        if problem is not None:
            problems.append(problem)
    return VerifyReport(checked, tuple(problems), tuple(errors))


def _check_http(entry: HttpEntry, stale_before: float) -> Iterator[Problem]:
    for temp in entry.temps:
        if _mtime(temp) < stale_before:
            yield Problem(STALE_TEMP, (temp,), "left by an interrupted pip write")
    files = tuple(p for p in (entry.body, entry.meta) if p is not None)
    if entry.meta is None:
        if entry.body is not None:
            yield Problem(BODY_WITHOUT_METADATA, files, "pip ignores it (SafeFileCache.get)")
        return
    if entry.layout == HTTP_V2 and entry.body is None:
        yield Problem(METADATA_WITHOUT_BODY, files, "pip ignores it (SafeFileCache.get)")
        return
    reason = _check_http_files(entry.meta, entry.body)
    if reason is not None:
        yield Problem(reason, files, _DETAILS.get(reason, ""))


_DETAILS = {
    EMPTY_BODY: "a 200 response cached with no bytes (pypa/pip#12361)",
    LENGTH_MISMATCH: "body size differs from the cached Content-Length",
    TRUNCATED_ZIP: "zip without a valid End-Of-Central-Directory record",
    UNREADABLE_METADATA: "not a CacheControl cc=4 entry",
    NOT_REGULAR: "a symlink, FIFO or device where pip keeps a file: never read",
}


def _mtime(path: str) -> float:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return float("inf")  # gone already: not stale


def _check_http_files(meta: str, body: str | None) -> str | None:
    """The reason an entry is corrupt, or None; an OSError when it cannot be read at all."""
    try:
        response = parse_metadata(read_capped(meta))
        if response is None:
            return UNREADABLE_METADATA
        if body is None:  # old http/ layout: the body is inside the metadata
            return body_problem(BytesIO(response.body), len(response.body), response)
        with open_entry(body) as f:
            return body_problem(f, os.fstat(f.fileno()).st_size, response)
    except NotRegularFile:
        return NOT_REGULAR
    except FileNotFoundError:
        return None  # replaced or removed by a pip meanwhile: nothing to judge


def _check_wheel(wheel: Path) -> Problem | None:
    """The problem of a built wheel's entry, or None; an OSError when it cannot be read."""
    entry = wheel.parent
    try:
        with open_entry(str(wheel)) as f:
            size = os.fstat(f.fileno()).st_size
            intact = size > 0 and f.read(2) == b"PK" and zip_is_intact(f, size)
        if not intact:
            return Problem(INVALID_WHEEL, (str(entry),), f"{wheel.name} is not a valid zip")
        json.loads(read_capped(str(entry / "origin.json"), _MAX_ORIGIN))
    except FileNotFoundError:
        return None  # no origin.json (pip < 22.3 wrote none), or the entry just went
    except NotRegularFile as exc:
        name = Path(exc.filename or wheel).name
        return Problem(NOT_REGULAR, (str(entry),), f"{name}: {_DETAILS[NOT_REGULAR]}")
    except (TooLarge, ValueError):
        # pip <= 23.1 crashes on it with JSONDecodeError (pypa/pip#11985, fixed by #12060)
        return Problem(INVALID_ORIGIN, (str(entry),), "origin.json is not valid JSON")
    return None
