"""Read an index's project pages: the files of a project, their versions, tags and metadata links.

Pure: bytes in, records out; fetching is :mod:`safepip.index.client`'s job. Both page forms are
read: PEP 691 JSON and PEP 503 HTML, with PEP 658/714 ``.metadata`` links and PEP 592 yanking.
A wheel's own ``METADATA`` member is the fallback where no ``.metadata`` file is served.
"""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import unquote, urljoin, urlsplit

from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version


@dataclass(frozen=True)
class IndexFile:
    """One file of a project page."""

    filename: str
    url: str
    version: Version
    requires_python: str | None
    metadata_url: str | None
    wheel_tags: frozenset[str] | None  # None for an sdist


class _LinkParser(HTMLParser):
    """Collect the anchors of a PEP 503 page with their attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.anchors: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.anchors.append(dict(attrs))


def _file_version(filename: str, project: str) -> tuple[Version, frozenset[str] | None] | None:
    """Return the version (and the wheel's tags) a file name carries, or None if not ours."""
    try:
        if filename.endswith(".whl"):
            name, version, _, tags = parse_wheel_filename(filename)
            if name != project:
                return None
            return version, frozenset(str(tag) for tag in tags)
        if filename.endswith((".tar.gz", ".zip")):
            name, version = parse_sdist_filename(filename)
            if name != project:
                return None
            return version, None
    except (InvalidWheelFilename, InvalidSdistFilename, InvalidVersion):
        return None
    return None


def _metadata_attr(value: object) -> bool:
    """Whether a PEP 658/714 metadata attribute or key announces a ``.metadata`` file."""
    if value is None or value is False:
        return False
    return not (isinstance(value, str) and value.strip().lower() == "false")


def parse_page(body: bytes, page_url: str, project: str) -> list[IndexFile]:
    """Read a project page, PEP 691 JSON or PEP 503 HTML, into files (yanked ones left out)."""
    files: list[IndexFile] = []
    stripped = body.lstrip()
    if stripped.startswith(b"{"):
        data: object = json.loads(stripped.decode("utf-8"))
        entries = data.get("files") if isinstance(data, dict) else None
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, dict):
                continue
            filename, href = entry.get("filename"), entry.get("url")
            if not isinstance(filename, str) or not isinstance(href, str):
                continue
            if _metadata_attr(entry.get("yanked", False)):
                continue
            meta = entry.get("core-metadata", entry.get("dist-info-metadata"))
            rp = entry.get("requires-python")
            files.extend(
                _make_file(filename, urljoin(page_url, href), project, rp, _metadata_attr(meta))
            )
        return files
    parser = _LinkParser()
    parser.feed(body.decode("utf-8", errors="replace"))
    for anchor in parser.anchors:
        href = anchor.get("href")
        if not href or "data-yanked" in anchor:
            continue
        url = urljoin(page_url, href)
        filename = unquote(urlsplit(url).path.rsplit("/", 1)[-1])
        has_meta = "data-core-metadata" in anchor or "data-dist-info-metadata" in anchor
        meta_value = anchor.get("data-core-metadata", anchor.get("data-dist-info-metadata"))
        files.extend(
            _make_file(
                filename,
                url,
                project,
                anchor.get("data-requires-python"),
                has_meta and _metadata_attr(meta_value if meta_value is not None else "true"),
            )
        )
    return files


def _make_file(
    filename: str, url: str, project: str, requires_python: object, has_metadata: bool
) -> list[IndexFile]:
    """Build the :class:`IndexFile` of one link, or nothing when the link is not a distribution."""
    parsed = _file_version(filename, project)
    if parsed is None:
        return []
    version, tags = parsed
    url = url.split("#", 1)[0]
    return [
        IndexFile(
            filename=filename,
            url=url,
            version=version,
            requires_python=requires_python if isinstance(requires_python, str) else None,
            metadata_url=url + ".metadata" if has_metadata else None,
            wheel_tags=tags,
        )
    ]


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
