"""Read an index for the conflict search: project pages and dependency metadata.

:class:`Index` fetches each page once and reads a release's ``Requires-Dist`` from its PEP 658
``.metadata`` file, else from the wheel's METADATA; files the
:class:`~safepip.index.target.TargetEnvironment`
cannot install (wheel tags, ``Requires-Python``) are left out. Every read counts against one
:class:`Budget` (a time limit and a candidate cap).

The default fetch, :class:`UrlFetch`, is urllib with a short timeout and a size cap. The index
URL's credentials go to the index host only and never into messages (docs/architecture.md §5).
"""

from __future__ import annotations

import base64
import time
import urllib.request
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import compat32
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet

from safepip.index.page import IndexFile, metadata_from_wheel, parse_page
from safepip.report.redact import redact

if TYPE_CHECKING:
    from collections.abc import Callable

    from packaging.version import Version

    from safepip.index.target import TargetEnvironment


#: The PEP 691 JSON form is asked for first; the PEP 503 HTML form is the fallback.
_ACCEPT = (
    "application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, "
    "text/html;q=0.1"
)
#: The default fetch refuses bodies past this size: a wheel that big is not downloaded just to
#: read its METADATA (its dependencies stay unknown, and pip's dry run checks them instead).
MAX_DOWNLOAD_BYTES = 64 * 1024 * 1024
#: Seconds the default fetch waits for one response.
FETCH_TIMEOUT = 10.0


class OutOfBudgetError(Exception):
    """The time limit or the candidate cap was reached."""


class _FetchError(Exception):
    """The default fetch could not or would not read a URL."""


@dataclass
class Budget:
    """The time limit and the candidate cap of one conflict search (``propose``)."""

    deadline: float
    max_candidates: int
    candidates: int = 0
    exhausted: str = ""

    def check(self) -> None:
        """Raise :class:`OutOfBudgetError` once the time is up."""
        if time.monotonic() > self.deadline:
            self.exhausted = self.exhausted or "time"
            raise OutOfBudgetError(self.exhausted)

    def take_candidate(self) -> None:
        """Count one candidate whose dependencies are read; raise past the cap."""
        self.check()
        if self.candidates >= self.max_candidates:
            self.exhausted = self.exhausted or "candidates"
            raise OutOfBudgetError(self.exhausted)
        self.candidates += 1


class Index:
    """Project pages and dependency metadata from one index, fetched once and cached."""

    def __init__(
        self,
        index_url: str,
        fetch: Callable[[str], bytes],
        target: TargetEnvironment,
        budget: Budget,
    ) -> None:
        """Read ``index_url`` through ``fetch``, for ``target``, within ``budget``."""
        self.index_url = index_url.rstrip("/") + "/"
        self._fetch = fetch
        self.target = target
        self.budget = budget
        self._pages: dict[str, dict[Version, list[IndexFile]]] = {}
        self._deps: dict[tuple[str, Version], tuple[Requirement, ...] | None] = {}
        self._requires_python: dict[tuple[str, Version], str | None] = {}
        self.problems: list[str] = []

    def _get(self, url: str) -> bytes | None:
        self.budget.check()
        try:
            return self._fetch(url)
        except Exception as exc:  # noqa: BLE001 - any failure of a fetch means "unreadable"
            self.problems.append(f"could not read {_redact(url)}: {_redact(str(exc))}")
            return None

    def versions(self, name: str) -> dict[Version, list[IndexFile]]:
        """Return the usable files of a project by version (Requires-Python and tags checked)."""
        if name in self._pages:
            return self._pages[name]
        page_url = f"{self.index_url}{name}/"
        body = self._get(page_url)
        files: list[IndexFile] = []
        if body is not None:
            try:
                files = parse_page(body, page_url, name)
            except ValueError as exc:
                self.problems.append(f"could not parse {_redact(page_url)}: {exc}")
        python = self.target.python_version
        by_version: dict[Version, list[IndexFile]] = {}
        for file in files:
            if file.wheel_tags is not None and not file.wheel_tags & self.target.tags:
                continue
            if file.requires_python:
                try:
                    if not SpecifierSet(file.requires_python).contains(python, prereleases=True):
                        continue
                except InvalidSpecifier:
                    pass
            by_version.setdefault(file.version, []).append(file)
        self._pages[name] = by_version
        return by_version

    def dependencies(self, name: str, version: Version) -> tuple[Requirement, ...] | None:
        """Return the ``Requires-Dist`` of one release, or None when no metadata is readable."""
        key = (name, version)
        if key in self._deps:
            return self._deps[key]
        self.budget.take_candidate()
        files = self.versions(name).get(version, [])
        ordered = sorted(files, key=lambda f: (f.metadata_url is None, f.wheel_tags is None))
        metadata: bytes | None = None
        for file in ordered:
            if file.metadata_url is not None:
                metadata = self._get(file.metadata_url)
            elif file.wheel_tags is not None:
                wheel = self._get(file.url)
                metadata = metadata_from_wheel(wheel) if wheel is not None else None
            if metadata is not None:
                break
        if metadata is None:
            self.problems.append(
                f"no metadata for {name} {version} (no wheel or .metadata file could be read):"
                " its dependencies were not checked"
            )
            self._deps[key] = None
            return None
        message = BytesParser(policy=compat32).parsebytes(metadata, headersonly=True)
        requires: list[Requirement] = []
        for line in message.get_all("Requires-Dist") or []:
            try:
                requires.append(Requirement(str(line)))
            except InvalidRequirement:
                self.problems.append(f"{name} {version} has an invalid Requires-Dist: {line}")
        rp = message.get("Requires-Python")
        self._requires_python[key] = str(rp).strip() if rp else None
        self._deps[key] = tuple(requires)
        return self._deps[key]

    def requires_python(self, name: str, version: Version) -> str | None:
        """The ``Requires-Python`` of the metadata read by :meth:`dependencies`."""
        return self._requires_python.get((name, version))


class UrlFetch:
    """The default fetch: urllib, a short timeout, credentials of the index URL kept private.

    ``user:password@`` in the index URL is sent as a Basic ``Authorization`` header to that
    host only (urllib does not read credentials from URLs), and never appears in messages.
    """

    def __init__(self, index_url: str, timeout: float) -> None:
        """Fetch with ``timeout`` seconds per response; credentials of ``index_url`` apply."""
        parts = urlsplit(index_url)
        self.host = _host_port(index_url)
        self.timeout = timeout
        self.auth = ""
        if parts.username is not None:
            raw = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.auth = "Basic " + base64.b64encode(raw.encode()).decode("ascii")

    def __call__(self, url: str) -> bytes:
        """Return the body at ``url``; raise on errors, non-http(s) URLs and oversized bodies."""
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"}:
            raise _FetchError(f"not an http(s) URL: {parts.scheme}")
        netloc = _host_port(url)
        clean = urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))
        headers = {"Accept": _ACCEPT, "User-Agent": "safepip-conflicts"}
        request = urllib.request.Request(clean, headers=headers)  # noqa: S310 - scheme checked
        if self.auth and netloc == self.host:
            # Unredirected: urllib copies ordinary headers onto a redirect to another host.
            request.add_unredirected_header("Authorization", self.auth)
        with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
            length = response.headers.get("Content-Length")
            if length and length.isdigit() and int(length) > MAX_DOWNLOAD_BYTES:
                raise _FetchError(f"{length} bytes is more than the metadata download limit")
            data: bytes = response.read(MAX_DOWNLOAD_BYTES + 1)
        if len(data) > MAX_DOWNLOAD_BYTES:
            raise _FetchError("the body is larger than the metadata download limit")
        return data


def _host_port(url: str) -> str:
    """The netloc of ``url`` without credentials (``[::1]:8080``, ``example.org``)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    return f"{host}:{parts.port}" if parts.port is not None else host


def _redact(text: str) -> str:
    """Hide credentials (docs/architecture.md §5): every URL in a note passes through here."""
    return redact(text)
