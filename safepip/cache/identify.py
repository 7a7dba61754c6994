"""Tell what a cached HTTP body is: a wheel, an sdist, core metadata, or an index page, and of what.

Bodies are cached raw (docs/failure-kinds.md §A): a wheel is a zip, an sdist a gzip'd tar (or a
zip), a PEP 658 ``.metadata`` file is RFC 822 text, and an index page is HTML (PEP 503) or JSON
(PEP 691), possibly still ``Content-Encoding: gzip``. Only what is needed is read: the zip's
central directory, the first tar blocks, the metadata header block.
"""

from __future__ import annotations

import gzip
import io
import os
import struct
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from safepip import lazyre
from safepip.cache.entries import (
    CachedResponse,
    HttpEntry,
    open_entry,
    parse_metadata,
    read_capped,
    zip_is_intact,
)
from safepip.index.page import read_page

if TYPE_CHECKING:
    from collections.abc import Iterator

#: The most bytes of an index page (raw, and decompressed) that safepip reads and parses.
MAX_PAGE = 64 * 1024 * 1024
_DIST_INFO = lazyre.compile(r"^([^/]+)-([^/-]+)\.dist-info/")

WHEEL = "wheel"
SDIST = "sdist"
METADATA = "metadata"
PAGE = "page"


@dataclass(frozen=True)
class Identity:
    """What a cached body is.

    Attributes:
        kind: ``wheel``, ``sdist``, ``metadata`` or ``page``.
        name: the project name as found (unnormalised); for an sdist the top directory
            (``name-version``, split by the caller, who knows which name to look for); for
            a page the PEP 691 ``name`` or the ``Links for`` title, or "".
        version: the version, when the body states it apart from the name.
        filenames: a page's file names.
    """

    kind: str
    name: str
    version: str | None = None
    filenames: tuple[str, ...] = ()


def decoded(body: bytes, response: CachedResponse | None) -> bytes | None:
    """Undo ``Content-Encoding`` (bodies are cached raw); None when we cannot."""
    encoding = response.headers.get("content-encoding", "").strip().lower() if response else ""
    try:
        if encoding in ("gzip", "x-gzip") or (not encoding and body[:2] == b"\x1f\x8b"):
            return gzip.GzipFile(fileobj=io.BytesIO(body)).read(MAX_PAGE)
        if encoding == "deflate":
            return zlib.decompressobj().decompress(body, MAX_PAGE)
    except (OSError, EOFError, zlib.error):
        return None
    return body if encoding in ("", "identity") else None


def read_entry(entry: HttpEntry) -> tuple[CachedResponse | None, bytes | None]:
    """Return an entry's parsed metadata and raw body (None when there is no readable body).

    Files are opened without following links, regular files only, the body read up to
    ``MAX_PAGE`` bytes (this is for index pages): a FIFO or ``/dev/zero`` never hangs it.
    """
    try:
        response = parse_metadata(read_capped(entry.meta)) if entry.meta else None
        if entry.body is None:  # old http/ layout: the body is inside the metadata
            return response, response.body if response else None
        return response, read_capped(entry.body, MAX_PAGE)
    except OSError:
        return None, None


def identify(entry: HttpEntry) -> Identity | None:
    """Say what the entry's body is, or None when it is unreadable or something else."""
    try:
        response = parse_metadata(read_capped(entry.meta)) if entry.meta else None
        if entry.body is None:  # old http/ layout: the body is inside the metadata
            body = response.body if response else b""
            return _identify(io.BytesIO(body), len(body), response)
        with open_entry(entry.body) as f:
            return _identify(f, os.fstat(f.fileno()).st_size, response)
    except OSError:
        return None


def _identify(f: BinaryIO, size: int, response: CachedResponse | None) -> Identity | None:
    head = f.read(64 * 1024)
    if not head:
        return None
    if head[:2] == b"PK":
        return _zip_identity(f, size)
    if head.startswith(b"Metadata-Version:"):
        return _metadata_identity(head)
    encoding = response.headers.get("content-encoding", "") if response else ""
    if head[:2] == b"\x1f\x8b" and encoding in ("", "identity"):
        found = _tar_identity(head + f.read(192 * 1024))
        if found is not None:
            return found
    f.seek(0)
    page = decoded(f.read(MAX_PAGE), response)
    return _page_identity(page) if page is not None else None


def _zip_names(f: BinaryIO, size: int) -> Iterator[str]:
    """Member names from the central directory (a whole, non-zip64 zip only)."""
    if not zip_is_intact(f, size):
        return
    f.seek(max(0, size - 22 - 0xFFFF))
    tail = f.read()
    eocd = tail.rfind(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", tail[eocd + 12 : eocd + 20])
    if cd_offset == 0xFFFFFFFF:
        return
    f.seek(cd_offset)
    directory = f.read(cd_size)
    pos = 0
    while directory[pos : pos + 4] == b"PK\x01\x02" and pos + 46 <= len(directory):
        name_len, extra_len, comment_len = struct.unpack("<HHH", directory[pos + 28 : pos + 34])
        yield directory[pos + 46 : pos + 46 + name_len].decode("utf-8", errors="replace")
        pos += 46 + name_len + extra_len + comment_len


def _zip_identity(f: BinaryIO, size: int) -> Identity | None:
    for member in _zip_names(f, size):
        dist_info = _DIST_INFO.match(member)
        if dist_info:
            return Identity(WHEEL, dist_info.group(1), dist_info.group(2))
        if member.endswith("/PKG-INFO") and member.count("/") == 1:
            return Identity(SDIST, member.split("/", 1)[0])
    return None


def _metadata_identity(data: bytes) -> Identity | None:
    fields: dict[str, str] = {}
    for line in data.decode("utf-8", errors="replace").splitlines():
        if not line.strip():
            break
        key, _, value = line.partition(":")
        fields.setdefault(key.strip().lower(), value.strip())
    name, version = fields.get("name"), fields.get("version")
    return Identity(METADATA, name, version) if name and version else None


def _tar_identity(raw: bytes) -> Identity | None:
    """The top directory of an sdist tarball, decompressing only its first blocks."""
    try:
        head = zlib.decompressobj(wbits=31).decompress(raw, 64 * 1024)
    except zlib.error:
        return None
    pos = 0
    while pos + 512 <= len(head):
        block = head[pos : pos + 512]
        if block[257:262] != b"ustar" or not block[:100].strip(b"\0"):
            return None
        try:
            size = int(block[124:136].strip(b"\0 ") or b"0", 8)
        except ValueError:
            return None
        if block[156:157] in (b"x", b"g", b"L", b"K"):  # pax / GNU long-name headers
            pos += 512 + (size + 511) // 512 * 512
            continue
        prefix = block[345:500].strip(b"\0")
        name = (prefix + b"/" if prefix else b"") + block[:100].strip(b"\0")
        top = name.decode("utf-8", errors="replace").lstrip("./").split("/", 1)[0]
        return Identity(SDIST, top) if top else None
    return None


def _page_identity(page: bytes) -> Identity | None:
    if not page.lstrip().startswith((b"{", b"<")):
        return None
    parsed = read_page(page, "http://x/")
    if parsed is None:
        return None
    return Identity(PAGE, parsed.name, None, tuple(link.filename for link in parsed.links))
