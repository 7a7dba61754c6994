"""Plan ``safepip cache purge NAME[==VERSION]``: every cache entry of one project, nothing else.

pip's own ``pip cache remove <pkg>`` only matches ``wheels/**/<pkg>-*.whl`` and never touches the
HTTP cache (docs/failure-kinds.md §A), where corrupt downloads actually live. Entries are found
three complementary ways, because none is complete on its own:

1. by key: the index page ``<index>/<name>/`` of every configured index (the key of a truncated
   or empty body can only be found from its URL), and the files that page links to (with their
   PEP 658 ``.metadata``), filtered by project and version;
2. by content: bodies that are wheels (``<name>-<ver>.dist-info/`` in the zip directory),
   sdists (the top directory of the tar/zip), core metadata files, or index pages of the project
   (PEP 691 ``name``, ``<title>Links for name``, or links that are all the project's files);
3. by file name: locally built wheels in ``wheels/``.

Planning only reads; the deletion goes through ``cache.delete``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import quote

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from safepip import lazyre
from safepip.cache.entries import (
    HttpEntry,
    iter_http_entries,
    iter_wheel_entries,
    iter_wheel_files,
)
from safepip.cache.identify import PAGE, SDIST, Identity, decoded, identify
from safepip.cache.identify import read_entry as _read_entry
from safepip.cache.layout import HTTP_V1, HTTP_V2, WHEELS, http_entry_paths, http_key
from safepip.errors import UsageError
from safepip.index.page import file_version, filename_of, page_links

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

_TARGET = lazyre.compile(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:==\s*([^\s;,]+))?\s*")


@dataclass(frozen=True)
class PurgeTarget:
    """One ``NAME[==VERSION]`` argument.

    Attributes:
        given: the name as typed (index page URLs are tried with it and its normalised form).
        name: the PEP 503 normalised name.
        version: the version, or None for every version.
    """

    given: str
    name: str
    version: str | None = None


def parse_target(spec: str) -> PurgeTarget:
    """Parse ``NAME`` or ``NAME==VERSION``.

    Raises:
        UsageError: anything else (specifiers other than ``==``, extras, URLs).
    """
    match = _TARGET.fullmatch(spec)
    if not match:
        raise UsageError(f"expected NAME or NAME==VERSION, got {spec!r}")
    return PurgeTarget(match.group(1), canonicalize_name(match.group(1)), match.group(2))


@dataclass(frozen=True)
class PurgeItem:
    """One cache entry to delete and why it belongs to the target.

    Attributes:
        paths: the files (or ``wheels/`` directory) of the entry.
        what: a short description (may contain an index URL: redact before printing).
    """

    paths: tuple[str, ...]
    what: str


def _version(filename: str, name: str) -> str | None:
    """The version of a distribution file (or its ``.metadata``) of project ``name``, else None."""
    parsed = file_version(filename, name)
    return str(parsed[0]) if parsed else None


def same_version(a: str, b: str) -> bool:
    """Compare versions the PEP 440 way (``1.0 == 1.0.0``), falling back to string equality."""
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _wanted(version: str | None, target: PurgeTarget) -> bool:
    return version is not None and (target.version is None or same_version(version, target.version))


def page_urls(indexes: Sequence[str], target: PurgeTarget) -> list[str]:
    """Return ``<index>/<name>/`` for every index and both spellings of the name.

    pip >= 20 asks for the normalised name; older pips and redirects may have cached the other.
    """
    urls: dict[str, None] = {}
    for index in indexes:
        base = index.rstrip("/")
        for name in (target.name, target.given):
            urls[f"{base}/{quote(name)}/"] = None
    return list(urls)


def _entry_paths(root: Path, url: str) -> tuple[str, ...]:
    return tuple(str(p) for p in http_entry_paths(root, url) if _exists(p))


def _exists(path: str | Path) -> bool:
    """Whether ``path`` is there; a name the OS refuses (longer than it allows) is not."""
    return os.path.exists(path)  # noqa: PTH110 - Path.exists() raises ENAMETOOLONG before 3.14


def plan_purge(
    root: Path, targets: Sequence[PurgeTarget], indexes: Sequence[str]
) -> list[PurgeItem]:
    """Find every cache entry of the targets under ``root``.

    Args:
        root: the pip cache directory.
        targets: the projects (and versions) to purge.
        indexes: the index URLs pip is configured with.

    Returns:
        One item per entry, each entry once.
    """
    # By key for entries found by URL (the item holds every layout's copy), by layout and key
    # for entries found by content (a URL cached by pip <= 23.2 in http/ and by a newer pip in
    # http-v2/ is two entries, both purged), by directory for wheels.
    items: dict[str, PurgeItem] = {}
    for target in targets:
        for url in page_urls(indexes, target):
            _add_page_and_files(items, root, url, target)
    for entry in iter_http_entries(root):
        slot = f"{entry.layout}/{entry.key}"
        if entry.key not in items and slot not in items:
            identity = identify(entry)
            what = _matches(identity, targets) if identity else None
            if what:
                paths = tuple(p for p in (entry.body, entry.meta, *entry.temps) if p)
                items[slot] = PurgeItem(paths, f"{what} (by content, {entry.layout}/)")
    for wheel in iter_wheel_files(root):
        if any(_wanted(_version(wheel.name, t.name), t) for t in targets):
            entry_dir = str(wheel.parent)
            items.setdefault(entry_dir, PurgeItem((entry_dir,), f"built {wheel.name}"))
    return list(items.values())


def _add_page_and_files(
    items: dict[str, PurgeItem], root: Path, url: str, target: PurgeTarget
) -> None:
    """Add the index page entry of ``url`` and the cached files it links to for ``target``."""
    paths = _entry_paths(root, url)
    if not paths:
        return
    items.setdefault(http_key(url), PurgeItem(paths, f"index page {url}"))
    for link in _cached_page_links(root, url):
        if _wanted(_version(filename_of(link), target.name), target):
            for file_url in (link, link + ".metadata"):  # PEP 658 metadata is cached too
                found = _entry_paths(root, file_url)
                if found:
                    items.setdefault(http_key(file_url), PurgeItem(found, file_url))


def _cached_page_links(root: Path, url: str) -> list[str]:
    meta, body, old = http_entry_paths(root, url)
    v2, v1 = HttpEntry(HTTP_V2, "", str(meta), str(body)), HttpEntry(HTTP_V1, "", str(old), None)
    for entry in (v2, v1):
        if entry.meta is None or not _exists(entry.meta):
            continue
        response, raw = _read_entry(entry)
        page = decoded(raw, response) if raw else None
        if page is not None:
            return page_links(page, url)
    return []


def _matches(identity: Identity, targets: Sequence[PurgeTarget]) -> str | None:
    """Describe the identified body when it belongs to one of the targets."""
    for target in targets:
        if identity.kind == PAGE:
            files = identity.filenames
            named = bool(identity.name) and canonicalize_name(identity.name) == target.name
            if named or (files and all(_version(f, target.name) for f in files)):
                return f"index page of {target.name}"
            continue
        if identity.kind == SDIST:
            version = _version(identity.name + ".tar", target.name)
        elif canonicalize_name(identity.name) == target.name:
            version = identity.version
        else:
            continue
        if _wanted(version, target):
            return f"{identity.kind} {target.name} {version}"
    return None


def plan_all(root: Path) -> list[PurgeItem]:
    """Every entry of pip's layout: the HTTP caches and the built wheels (``pip cache purge``).

    Only pip's own entries are listed, never whole directories: files of other shapes that
    happen to sit below ``http-v2/``, ``http/`` or ``wheels/`` are left alone.
    """
    items = [
        PurgeItem(tuple(p for p in (e.body, e.meta, *e.temps) if p), f"{e.layout}/ {e.key}")
        for e in iter_http_entries(root)
    ]
    items += [PurgeItem((d,), f"{WHEELS}/ {d[-50:]}") for d in iter_wheel_entries(root)]
    return items
