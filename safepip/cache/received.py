"""What pip's HTTP cache holds of one download that failed its hash: all of it, or less.

pip stores a response in its HTTP cache before it checks the hash (docs/failure-kinds.md §I),
so after a fresh download fails, the cached copy of its URL can say whether the bytes arrived
whole. The copy is evidence only when it is those very bytes: its sha256 must be the ``Got`` of
the failure (an older copy of the URL says nothing about this download). Then:

- body shorter than its ``Content-Length``: the download was cut short;
- no ``Content-Length`` (a body delimited by the end of the connection) and a zip whose
  End-Of-Central-Directory record is gone: cut short;
- body of its full ``Content-Length`` (or, without one, an intact zip): it arrived whole.

CacheControl refuses to store a body shorter than its ``Content-Length``, so pip's own cut
downloads leave no copy and this finds nothing for them; a copy cut short gets there from an
interrupted write or copy of the cache, or from a server that sent no ``Content-Length``.
Files are opened as everywhere in :mod:`safepip.cache.entries`: no links followed, regular
files only, reads bounded. Nothing here deletes.
"""

from __future__ import annotations

import hashlib
import io
import os
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from safepip.cache.entries import (
    CachedResponse,
    open_entry,
    parse_metadata,
    read_capped,
    zip_is_intact,
)
from safepip.cache.layout import http_entry_paths
from safepip.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

#: The most body bytes hashed to match a cached copy with a failure's ``Got`` (a large torch
#: wheel is 2.5 GB; hashing runs at about 1 GB/s).
MAX_HASHED = 4 * 1024 * 1024 * 1024
_CHUNK = 1024 * 1024
_OK_STATUSES = (200, 203)


@dataclass(frozen=True)
class Received:
    """pip's cached copy of a download, as evidence of how much of it arrived.

    Attributes:
        cut: True when the copy is shorter than the response (cut short), False when whole.
        size: the bytes cached.
        length: the response's ``Content-Length``, when it had one.
        path: the cache file that holds the body.
    """

    cut: bool
    size: int
    length: int | None
    path: str

    @property
    def line(self) -> str:
        """One evidence line for the report."""
        if self.length is None:
            state = "a zip cut short" if self.cut else "a whole zip"
            return f"pip's cached copy of these bytes ({self.size} bytes, no length) is {state}"
        return (
            f"pip's cached copy of these bytes holds {self.size} of the {self.length} bytes"
            " of its Content-Length"
        )


def received(root: Path, url: str, sha256: str) -> Received | None:
    """How much of the download of ``url`` whose bytes hash to ``sha256`` pip's cache holds.

    Returns:
        The evidence, or None when the cache holds no copy of these bytes (none at all, an
        older copy, a response that is no file, one too large to hash) or cannot be read.
    """
    try:
        v2_meta, v2_body, v1_entry = http_entry_paths(root, url)
    except UsageError:  # not an absolute URL: nothing is keyed by it
        return None
    for meta, body in ((str(v2_meta), str(v2_body)), (str(v1_entry), None)):
        try:
            found = _judge(meta, body, sha256.lower())
        except OSError:  # absent, a link or a FIFO planted there, unreadable, too large
            continue
        if found is not None:
            return found
    return None


def _judge(meta: str, body_path: str | None, sha256: str) -> Received | None:
    response = parse_metadata(read_capped(meta))
    if response is None or response.status not in _OK_STATUSES:
        return None
    if body_path is None:  # the old http/ layout: the body is inside the metadata file
        return _compare(io.BytesIO(response.body), len(response.body), response, meta, sha256)
    with open_entry(body_path) as f:
        size = os.fstat(f.fileno()).st_size
        return _compare(f, size, response, body_path, sha256)


def _compare(
    f: BinaryIO, size: int, response: CachedResponse, path: str, sha256: str
) -> Received | None:
    """Judge the copy first (cheap), then hash it only when the judgement would be evidence."""
    length = response.content_length
    if size == 0 or size > MAX_HASHED or (length is not None and size > length):
        return None  # nothing to judge, too large to hash, or longer than its length: odd
    if length is not None:
        found = Received(cut=size < length, size=size, length=length, path=path)
    else:
        if f.read(2) != b"PK":
            return None  # no length to compare and no zip tail to read: no evidence
        found = Received(cut=not zip_is_intact(f, size), size=size, length=None, path=path)
    f.seek(0)
    digest = hashlib.sha256()
    for chunk in iter(lambda: f.read(_CHUNK), b""):
        digest.update(chunk)
    # Another copy of this URL (another sha256) says nothing about the failed download.
    return found if digest.hexdigest() == sha256 else None
