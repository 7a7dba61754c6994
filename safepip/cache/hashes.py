"""Cached downloads checked against the sha256 that their cached index page states.

A project page gives each file's sha256 (``#sha256=`` in PEP 503 HTML, ``hashes`` in PEP 691
JSON). pip checks it when it downloads, but a body damaged afterwards, in place and with its
length kept, is served from the cache again and again and fails every install with a hash
mismatch. ``cache verify`` collects the pages and the file entries it reads anyway, then hashes
only the bodies some cached page names. An entry does not store its own URL, so only absolute
links can be matched to cache keys (PyPI's are; a mirror's relative links are not checked).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from safepip.cache.entries import open_entry, parse_metadata, read_capped
from safepip.cache.identify import MAX_PAGE, decoded
from safepip.cache.layout import http_key
from safepip.index.page import read_page

if TYPE_CHECKING:
    from collections.abc import Iterator

    from safepip.cache.entries import CachedResponse, HttpEntry

_PAGE_TYPES = ("text/html", "application/vnd.pypi.simple", "application/json")
_NOWHERE = "https://page-url.invalid/"  # relative links resolve here and match no cache key
_CHUNK = 1024 * 1024


@dataclass
class PageHashes:
    """What ``cache verify`` saw: pages that may state hashes, and the file entries by key."""

    pages: list[tuple[HttpEntry, CachedResponse]] = field(default_factory=list)
    files: dict[str, list[HttpEntry]] = field(default_factory=dict)

    def saw(self, entry: HttpEntry, response: CachedResponse) -> None:
        """Remember a healthy entry: a page to read later, or a file to hash if a page names it."""
        content_type = response.headers.get("content-type", "").lower()
        if any(kind in content_type for kind in _PAGE_TYPES):
            self.pages.append((entry, response))
        else:
            self.files.setdefault(entry.key, []).append(entry)

    def mismatches(self) -> Iterator[tuple[HttpEntry, str]]:
        """Yield ``(entry, url)`` for each cached body whose sha256 differs from its page's."""
        expected: dict[str, tuple[str, str]] = {}
        for entry, response in self.pages:
            for url, sha256 in _stated(entry, response):
                expected[http_key(url)] = (sha256, url)
        for key, (sha256, url) in expected.items():
            for entry in self.files.get(key, ()):
                digest = _body_sha256(entry)
                if digest is not None and digest != sha256:
                    yield entry, url


def _stated(entry: HttpEntry, response: CachedResponse) -> list[tuple[str, str]]:
    try:
        raw = response.body if entry.body is None else read_capped(entry.body, MAX_PAGE)
    except OSError:
        return []
    page = decoded(raw, response)
    if not page or b"sha256" not in page:
        return []
    parsed = read_page(page, _NOWHERE)
    links = parsed.links if parsed else ()
    return [(link.url, link.sha256) for link in links if link.sha256]


def _body_sha256(entry: HttpEntry) -> str | None:
    """The sha256 of an entry's body (streamed from ``.body``, or inside an ``http/`` entry)."""
    digest = hashlib.sha256()
    try:
        if entry.body is not None:
            with open_entry(entry.body) as f:
                while chunk := f.read(_CHUNK):
                    digest.update(chunk)
        elif entry.meta is not None:
            response = parse_metadata(read_capped(entry.meta))
            if response is None:
                return None
            digest.update(response.body)
    except OSError:
        return None
    return digest.hexdigest()
