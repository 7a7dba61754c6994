"""Read an index's project pages: the files of a project, their versions, tags and metadata links.

Pure: bytes in, records out; fetching is :mod:`safepip.index.client`'s job. This is safepip's one
reader of index pages (the cache scanner uses it too). Both page forms are read: PEP 691 JSON
and PEP 503 HTML, with PEP 658/714 ``.metadata`` links and PEP 592 yanking. HTML is read by a
tag scanner that is linear on hostile input (a tag ends at the next ``<``), unlike
``html.parser``. File names are parsed by :mod:`packaging.utils`. A wheel's own ``METADATA``
member is the fallback where no ``.metadata`` file is served.
"""

from __future__ import annotations

import contextlib
import html
import io
import re
import zipfile
from dataclasses import dataclass
from urllib.parse import unquote, urljoin, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

from safepip import jsonparse, lazyre

#: The sdist formats pip accepts besides ``.tar.gz`` and ``.zip`` (read as ``.tar.gz`` names).
_OLD_SDISTS = (".tar.bz2", ".tar.xz", ".tbz", ".txz", ".tgz", ".tar")
#: A start tag of interest; ``[^<>]*`` stops at the next ``<``, so scanning is linear.
_TAG = lazyre.compile(r"<(a|base|title)(?=[\s>/])([^<>]*)>", re.IGNORECASE)
_ATTR = lazyre.compile(r"""([^\s"'<>/=]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'<>]+)))?""")
_LINKS_FOR = lazyre.compile(r"\s*Links for\s+(\S+)\s*", re.IGNORECASE)


@dataclass(frozen=True)
class IndexFile:
    """One file of a project page."""

    filename: str
    url: str
    version: Version
    requires_python: str | None
    metadata_url: str | None
    wheel_tags: frozenset[str] | None  # None for an sdist


@dataclass(frozen=True)
class Link:
    """One file link of a project page, as the page states it.

    Attributes:
        url: absolute, without its ``#fragment``.
        filename: the file's name (the JSON ``filename``, else the URL's last segment).
        requires_python: the ``Requires-Python`` the page announces.
        has_metadata: a PEP 658/714 ``.metadata`` file is announced.
        yanked: PEP 592 yanked.
        sha256: the file's sha256 as the page states it (``#sha256=`` in HTML, ``hashes`` in
            JSON), lower-case, or None.
    """

    url: str
    filename: str
    requires_python: str | None = None
    has_metadata: bool = False
    yanked: bool = False
    sha256: str | None = None


@dataclass(frozen=True)
class Page:
    """A project page: the name it states (``""`` when none) and its links."""

    name: str
    links: tuple[Link, ...]


def filename_of(url: str) -> str:
    """The unquoted last path segment of a URL."""
    return unquote(urlsplit(url).path.rsplit("/", 1)[-1])


def file_version(filename: str, project: str) -> tuple[Version, frozenset[str] | None] | None:
    """The version (and a wheel's tags) of a distribution file of ``project``, else None.

    ``project`` is a normalised name. Wheel and sdist names are parsed by packaging; an sdist
    name splits at its last ``-``, so ``foo-bar-1.0.tar.gz`` belongs to ``foo-bar``, never
    ``foo``. A PEP 658 ``.metadata`` file has the version of its distribution.
    """
    filename = filename.removesuffix(".metadata")
    try:
        if filename.endswith(".whl"):
            name, version, _, tags = parse_wheel_filename(filename)
            return (version, frozenset(str(tag) for tag in tags)) if name == project else None
        lower = filename.lower()
        old = next((ext for ext in _OLD_SDISTS if lower.endswith(ext)), None)
        if old is not None:
            filename = filename[: -len(old)] + ".tar.gz"
        if filename.lower().endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            return (version, None) if name == project else None
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def _metadata_attr(value: object) -> bool:
    """Whether a PEP 658/714 metadata attribute or key announces a ``.metadata`` file."""
    if value is None or value is False:
        return False
    return not (isinstance(value, str) and value.strip().lower() == "false")


def read_page(body: bytes, page_url: str) -> Page | None:
    """Read a PEP 691 JSON or PEP 503 HTML project page (yanked links included, marked).

    Returns:
        The page, or None for JSON that is not a project page (unparsable, or without
        ``files``). Anything else is read as HTML.
    """
    stripped = body.lstrip()
    if stripped.startswith(b"{"):
        try:
            data: object = jsonparse.loads(stripped.decode("utf-8"))
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("files"), list):
            return None
        name = data.get("name")
        return Page(name if isinstance(name, str) else "", tuple(_json_links(data, page_url)))
    return _html_page(body.decode("utf-8", errors="replace"), page_url)


def _json_links(data: dict[str, object], page_url: str) -> list[Link]:
    links: list[Link] = []
    entries = data["files"]
    for entry in entries if isinstance(entries, list) else []:
        href = entry.get("url") if isinstance(entry, dict) else None
        if not isinstance(entry, dict) or not isinstance(href, str):
            continue
        url = urljoin(page_url, href).split("#", 1)[0]
        filename = entry.get("filename")
        rp = entry.get("requires-python")
        hashes = entry.get("hashes")
        sha = hashes.get("sha256") if isinstance(hashes, dict) else None
        links.append(
            Link(
                url,
                filename if isinstance(filename, str) else filename_of(url),
                rp if isinstance(rp, str) else None,
                _metadata_attr(entry.get("core-metadata", entry.get("dist-info-metadata"))),
                _metadata_attr(entry.get("yanked", False)),
                _sha256(sha),
            )
        )
    return links


def _sha256(value: object) -> str | None:
    """A page's sha256 value when it is one (64 hex digits), lower-cased."""
    if isinstance(value, str) and len(value) == 64:
        with contextlib.suppress(ValueError):
            bytes.fromhex(value)
            return value.lower()
    return None


def _attrs(text: str) -> dict[str, str]:
    found: dict[str, str] = {}
    for match in _ATTR.finditer(text):
        value = match.group(2) or match.group(3) or match.group(4) or ""
        found.setdefault(match.group(1).lower(), html.unescape(value).strip())
    return found


def _html_page(text: str, page_url: str) -> Page:
    base = page_url
    name = ""
    anchors: list[dict[str, str]] = []
    for tag in _TAG.finditer(text):
        kind = tag.group(1).lower()
        if kind == "title" and not name:
            title = _LINKS_FOR.fullmatch(text[tag.end() : text.find("<", tag.end())])
            name = html.unescape(title.group(1)) if title else ""
            continue
        attrs = _attrs(tag.group(2))
        if kind == "base" and attrs.get("href") and base == page_url:
            base = urljoin(page_url, attrs["href"])
        elif kind == "a" and attrs.get("href"):
            anchors.append(attrs)
    links = []
    for attrs in anchors:
        url, _, fragment = urljoin(base, attrs["href"]).partition("#")
        hash_name, _, hash_value = fragment.partition("=")
        has_meta = "data-core-metadata" in attrs or "data-dist-info-metadata" in attrs
        meta = attrs.get("data-core-metadata", attrs.get("data-dist-info-metadata")) or "true"
        links.append(
            Link(
                url,
                filename_of(url),
                attrs.get("data-requires-python"),
                has_meta and _metadata_attr(meta),
                "data-yanked" in attrs,
                _sha256(hash_value) if hash_name == "sha256" else None,
            )
        )
    return Page(name, tuple(links))


def page_links(body: bytes, page_url: str) -> list[str]:
    """The absolute file URLs (without fragment) of a project page; none if it is not one."""
    page = read_page(body, page_url)
    return [link.url for link in page.links] if page else []


def parse_page(body: bytes, page_url: str, project: str) -> list[IndexFile]:
    """Read a project page into the files of ``project`` (yanked ones left out).

    Raises:
        ValueError: a JSON body that is not a PEP 691 project page.
    """
    page = read_page(body, page_url)
    if page is None:
        msg = "not a PEP 691 project page"
        raise ValueError(msg)
    files: list[IndexFile] = []
    for link in page.links:
        parsed = None if link.yanked else file_version(link.filename, project)
        if parsed is None:
            continue
        version, tags = parsed
        files.append(
            IndexFile(
                filename=link.filename,
                url=link.url,
                version=version,
                requires_python=link.requires_python,
                metadata_url=link.url + ".metadata" if link.has_metadata else None,
                wheel_tags=tags,
            )
        )
    return files


def metadata_from_wheel(data: bytes) -> bytes | None:
    """Return the ``*.dist-info/METADATA`` member of a wheel, or None."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            for member in archive.namelist():
                parts = member.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    return archive.read(member)
    except (zipfile.BadZipFile, OSError, KeyError):
        return None
    return None
