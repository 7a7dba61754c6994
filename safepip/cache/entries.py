"""Read pip's cache without pip: entry iteration, CacheControl metadata, bounded reads.

Formats (docs/failure-kinds.md §A; pip's vendored ``cachecontrol/serialize.py``): a metadata file is
``b"cc=4," + msgpack({"response": {"body", "headers", "status", ...}, "vary": {...}})``. In
``http-v2/`` (pip >= 23.3, ``SeparateBodyFileCache``) the body is empty there and lives in
``<h>.body``; in ``http/`` (pip <= 23.2) it is inside the msgpack. Bodies are the raw response
bytes (still gzip-encoded when the server sent ``Content-Encoding: gzip``).

Every file is opened without following links and read only when ``fstat`` says it is a regular
file, up to a cap (:func:`open_entry`, :func:`read_capped`, both on the one bounded opener
:func:`safepip.files.open_regular`). Nothing here deletes.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from safepip.cache.layout import BODY_SUFFIX, HTTP_V1, HTTP_V2, KEY, TEMP_NAME, WHEELS
from safepip.cache.msgpack_decode import MsgpackError, MsgpackTruncated, unpackb
from safepip.errors import UsageError
from safepip.files import TooLarge, open_regular

if TYPE_CHECKING:
    from collections.abc import Iterator

_SERDE_PREFIX = b"cc=4,"
#: A zip's End-Of-Central-Directory signature, and how far from the end the record can start.
EOCD = b"PK\x05\x06"
EOCD_MAX = 22 + 0xFFFF
#: The most safepip reads of one cache file it parses whole: an http-v2 metadata file holds
#: headers only, an old http/ entry holds the whole body in its msgpack.
MAX_READ = 256 * 1024 * 1024


def root_exists(root: Path) -> bool:
    """Whether anything is at the pip cache root ``root`` (False: not created yet).

    ``Path.exists()`` before Python 3.14 raises on a name the OS refuses (one longer than it
    allows); here a root that cannot be looked at is one line of error, as ``cache verify`` says.

    Raises:
        UsageError: the root cannot be looked at (ENAMETOOLONG, ELOOP, EACCES on a parent...).
    """
    try:
        root.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError as exc:
        raise unreadable_root(root, exc) from exc
    return True


def unreadable_root(root: Path, exc: OSError) -> UsageError:
    """The one error for a pip cache root that cannot be read (``cache verify``, ``doctor``...)."""
    return UsageError(f"cannot read the pip cache {root}: {exc.strerror or exc}")


def open_entry(path: str) -> BinaryIO:
    """Open a cache file for reading: never through a symlink, never blocking, regular files only.

    A FIFO or a symlink to ``/dev/zero`` named like an entry would hang or exhaust a reader
    that trusted the name; ``O_NOFOLLOW | O_NONBLOCK`` and ``fstat`` refuse them unread.

    Raises:
        safepip.files.NotRegularFile: a symlink or anything but a regular file.
        OSError: the open failed otherwise (EACCES, ENOENT...).
    """
    return open_regular(path, follow_links=False)


def read_capped(path: str, cap: int = MAX_READ) -> bytes:
    """Read a whole regular cache file of at most ``cap`` bytes (see :func:`open_entry`).

    Raises:
        safepip.files.NotRegularFile: not a regular file.
        safepip.files.TooLarge: the file holds more than ``cap`` bytes.
        OSError: it cannot be read.
    """
    with open_entry(path) as f:
        size = os.fstat(f.fileno()).st_size  # read() of `cap` bytes would allocate them all
        data = f.read(min(size, cap) + 1)
    if len(data) > cap:
        raise TooLarge(path, cap)
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


def metadata_truncated(data: bytes) -> bool:
    """Whether unreadable metadata is a CacheControl entry cut short (not something else)."""
    if not data.startswith(_SERDE_PREFIX):
        return False
    try:
        unpackb(data[len(_SERDE_PREFIX) :])
    except MsgpackTruncated:
        return True
    except MsgpackError:
        return False
    return False


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
            if KEY.fullmatch(name):
                metas[name] = entry.path
            elif name.endswith(BODY_SUFFIX) and KEY.fullmatch(name[: -len(BODY_SUFFIX)]):
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
    start = max(0, size - EOCD_MAX)
    f.seek(start)
    tail = f.read(size - start)
    pos = tail.rfind(EOCD)
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
        pos = tail.rfind(EOCD, 0, pos)
    return False
