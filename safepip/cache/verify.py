"""``cache verify``: find the corrupt entries of pip's cache, and never call a healthy one corrupt.

Checks (docs/failure-kinds.md §A): an empty or short body, half an http-v2 entry, metadata pip
cannot read, a zip whose End-Of-Central-Directory record is gone, stale pip temp files, a built
wheel that is not a valid zip or whose ``origin.json`` is not JSON, and a symlink, FIFO or device
named like an entry (reported, never read). Nothing here deletes: ``cache verify --fix`` hands
:attr:`Problem.paths` to :func:`safepip.cache.delete.delete`.
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from safepip import jsonparse
from safepip.cache.entries import (
    EOCD,
    EOCD_MAX,
    CachedResponse,
    HttpEntry,
    iter_http_entries,
    iter_wheel_files,
    metadata_truncated,
    open_entry,
    parse_metadata,
    read_capped,
    unreadable_root,
    zip_is_intact,
)
from safepip.cache.hashes import PageHashes
from safepip.cache.layout import HTTP_V2
from safepip.files import NotRegularFile, TooLarge

if TYPE_CHECKING:
    from collections.abc import Iterator

_MAX_ORIGIN = 1024 * 1024
_CENTRAL = b"PK\x01\x02"
#: A central-directory record: signature, versions, flags, method, time, date, crc, sizes,
#: name/extra/comment lengths, disk, attributes, local header offset (46 bytes).
_CENTRAL_HEADER = struct.Struct("<IHHHHHHIIIHHHHHII")
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
BAD_CRC = "bad-crc"
HASH_MISMATCH = "hash-mismatch"
TRUNCATED_ENTRY = "truncated-entry"

#: Decompressed bytes whose CRC-32 ``cache verify`` checks per zip: every member of a wheel of
#: usual size; the rest of a huge one is trusted, so that a verify stays bounded in time.
_MAX_CRC_BYTES = 64 * 1024 * 1024


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
    if f.read(2) != b"PK":
        return None
    if not zip_is_intact(f, size):
        return TRUNCATED_ZIP
    return None if zip_crcs_match(f, size) else BAD_CRC


def zip_crcs_match(f: BinaryIO, size: int, budget: int = _MAX_CRC_BYTES) -> bool:
    """Whether the members of an intact zip (:func:`zip_is_intact`) match their CRC-32s.

    A byte flipped inside a wheel of the right length passes every size check, and then every
    pip install of it fails (``Bad CRC-32``). Members are checked in central-directory order
    until ``budget`` decompressed bytes; stored and deflated members are judged, encrypted,
    zip64 and other methods are not (pip could not install those either way). Written on the
    central directory rather than ``zipfile``, whose set-up cost alone would halve the speed of
    ``cache verify``.
    """
    f.seek(max(0, size - EOCD_MAX))
    tail = f.read()
    eocd = tail.rfind(EOCD)
    cd_size, cd_offset = struct.unpack("<II", tail[eocd + 12 : eocd + 20])
    if cd_offset == 0xFFFFFFFF:
        return True
    f.seek(cd_offset)
    directory = f.read(cd_size)
    pos = 0
    while directory[pos : pos + 4] == _CENTRAL and pos + 46 <= len(directory):
        record = _CENTRAL_HEADER.unpack_from(directory, pos)
        pos += 46 + record[10] + record[11] + record[12]
        flags, method, usize = record[3], record[4], record[9]
        if flags & 1 or method not in (0, 8) or 0xFFFFFFFF in (record[8], usize, record[16]):
            continue
        budget -= usize
        if budget < 0:
            break
        if not _member_matches(f, record):
            return False
    return True


def _member_matches(f: BinaryIO, record: tuple[int, ...]) -> bool:
    """Decompress one member (the fields of its central-directory record) and check its CRC."""
    method, crc, csize, usize, offset = record[4], record[7], record[8], record[9], record[16]
    f.seek(offset)
    local = f.read(30)
    if len(local) < 30 or local[:4] != b"PK\x03\x04":
        return False
    name_len, extra_len = struct.unpack("<HH", local[26:30])
    f.seek(offset + 30 + name_len + extra_len)
    data = f.read(csize)
    if len(data) != csize:
        return False
    if method == 8:
        try:
            data = zlib.decompressobj(-15).decompress(data, usize + 1)
        except zlib.error:
            return False
    return len(data) == usize and zlib.crc32(data) == crc


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
        raise unreadable_root(root, exc) from exc
    checked = 0
    problems: list[Problem] = []
    errors: list[str] = []
    hashes = PageHashes()
    for entry in iter_http_entries(root, errors):
        checked += 1
        try:
            problems.extend(list(_check_http(entry, now - stale_after, hashes)))
        except OSError as exc:
            errors.append(_unreadable(exc, entry.meta))
    for entry, url in hashes.mismatches():
        files = tuple(p for p in (entry.body, entry.meta) if p is not None)
        problems.append(Problem(HASH_MISMATCH, files, f"{_DETAILS[HASH_MISMATCH]} ({url})"))
    for wheel in iter_wheel_files(root, errors):
        checked += 1
        try:
            problem = _check_wheel(wheel)
        except OSError as exc:
            errors.append(_unreadable(exc, wheel))
            continue
        if problem is not None:
            problems.append(problem)
    return VerifyReport(checked, tuple(problems), tuple(errors))


def _unreadable(exc: OSError, path: object) -> str:
    """``path: why`` for what could not be checked; a file over the read cap names the cap."""
    if isinstance(exc, TooLarge):
        return f"{exc.filename}: larger than {exc.cap} bytes: not read"
    return f"{exc.filename or path}: {exc.strerror or exc}"


def _check_http(entry: HttpEntry, stale_before: float, hashes: PageHashes) -> Iterator[Problem]:
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
    reason = _check_http_files(entry, hashes)
    if reason is not None:
        yield Problem(reason, files, _DETAILS.get(reason, ""))


_DETAILS = {
    EMPTY_BODY: "a 200 response cached with no bytes (pypa/pip#12361)",
    LENGTH_MISMATCH: "body size differs from the cached Content-Length",
    TRUNCATED_ZIP: "zip without a valid End-Of-Central-Directory record",
    UNREADABLE_METADATA: "not a CacheControl cc=4 entry",
    NOT_REGULAR: "a symlink, FIFO or device where pip keeps a file: never read",
    BAD_CRC: "a zip member whose bytes fail their CRC-32: every install of it fails",
    HASH_MISMATCH: "its sha256 differs from the one its cached index page states",
    TRUNCATED_ENTRY: "a CacheControl cc=4 entry cut short (an interrupted write or copy)",
}


def _mtime(path: str) -> float:
    try:
        return os.lstat(path).st_mtime
    except OSError:
        return float("inf")  # gone already: not stale


def _check_http_files(entry: HttpEntry, hashes: PageHashes) -> str | None:
    """The reason an entry is corrupt, or None; an OSError when it cannot be read at all."""
    if entry.meta is None:
        return None  # _check_http judged it already
    try:
        data = read_capped(entry.meta)
        response = parse_metadata(data)
        if response is None:
            return TRUNCATED_ENTRY if metadata_truncated(data) else UNREADABLE_METADATA
        if entry.body is None:  # old http/ layout: the body is inside the metadata
            reason = body_problem(BytesIO(response.body), len(response.body), response)
        else:
            with open_entry(entry.body) as f:
                reason = body_problem(f, os.fstat(f.fileno()).st_size, response)
    except NotRegularFile:
        return NOT_REGULAR
    except FileNotFoundError:
        return None  # replaced or removed by a pip meanwhile: nothing to judge
    if reason is None and response.status in _OK_STATUSES:
        hashes.saw(entry, response)
    return reason


def _check_wheel(wheel: Path) -> Problem | None:
    """The problem of a built wheel's entry, or None; an OSError when it cannot be read."""
    entry = wheel.parent
    try:
        with open_entry(str(wheel)) as f:
            size = os.fstat(f.fileno()).st_size
            intact = size > 0 and f.read(2) == b"PK" and zip_is_intact(f, size)
            crcs = intact and zip_crcs_match(f, size)
        if not intact:
            return Problem(INVALID_WHEEL, (str(entry),), f"{wheel.name} is not a valid zip")
        if not crcs:
            return Problem(BAD_CRC, (str(entry),), f"{wheel.name}: {_DETAILS[BAD_CRC]}")
        jsonparse.loads(read_capped(str(entry / "origin.json"), _MAX_ORIGIN))
    except FileNotFoundError:
        return None  # no origin.json (pip < 22.3 wrote none), or the entry just went
    except NotRegularFile as exc:
        name = Path(exc.filename or wheel).name
        return Problem(NOT_REGULAR, (str(entry),), f"{name}: {_DETAILS[NOT_REGULAR]}")
    except (TooLarge, ValueError):
        # pip <= 23.1 crashes on it with JSONDecodeError (pypa/pip#11985, fixed by #12060)
        return Problem(INVALID_ORIGIN, (str(entry),), "origin.json is not valid JSON")
    return None
