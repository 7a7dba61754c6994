"""Explain pip's resolution conflicts and propose the smallest change that resolves them.

Three steps, each usable on its own:

- :func:`parse_conflict` (pure) reads pip's conflict report out of console or ``--log`` text,
  for every pip from 22.0 to 26.x (pip-failures.md "resolution-conflict").
- :func:`explain` (pure) turns it into plain-words lines.
- :func:`propose` fetches candidate versions and dependency metadata from the index, runs
  resolvelib with a provider of its own to find which requirement to loosen (and to what), and
  confirms the result with ``pip install --dry-run`` before proposing it.

This is the only module that imports resolvelib (DESIGN.md §7; ruff's banned-api enforces it).
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import re
import shlex
import tempfile
import time
import urllib.request
import zipfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import compat32
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING, Literal
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version
from resolvelib import (
    AbstractProvider,
    BaseReporter,
    ResolutionImpossible,
    ResolutionTooDeep,
    Resolver,
)

from safepip.redact import redact

if TYPE_CHECKING:
    from resolvelib.structs import RequirementInformation

#: Who stated a requirement in a clash: a dependency of another package, the user's request, or
#: a line of the user's constraints file (``-c``).
ClashSource = Literal["dependency", "user", "constraint"]


@dataclass(frozen=True)
class Clash:
    """One line of pip's "The conflict is caused by:" block.

    Attributes:
        requirer: who asks: ``"a 1.0"`` (a package and version), ``"the user request"`` or
            ``"the user constraint"``.
        requirement: what it asks for, as pip printed it with its "A, B and C" list turned back
            into a specifier (``"c>=1,<2"``).
        source: ``"dependency"``, ``"user"`` or ``"constraint"``.
    """

    requirer: str
    requirement: str
    source: ClashSource = "dependency"

    @property
    def requirer_name(self) -> str | None:
        """The canonical project name of the requirer, or None for the user."""
        if self.source != "dependency":
            return None
        return canonicalize_name(self.requirer.split(" ", 1)[0].split("[", 1)[0])


@dataclass(frozen=True)
class Conflict:
    """A resolution conflict as pip reported it.

    Attributes:
        package: the canonical name of the project the clashing requirements are about (``""``
            when pip named none, as for ``resolution-too-deep``).
        clashes: the lines of pip's "The conflict is caused by:" block, in pip's order.
        user_requirements: the user's top-level requirements, as far as the text shows them
            ("Collecting ..." lines and "The user requested ..." lines). A caller that knows the
            real command line should put those here instead (``dataclasses.replace``).
        constraints: the user's constraints named in the report ("The user requested
            (constraint) ...").
        too_deep: pip gave up with ``resolution-too-deep`` (pip >= 25.1) instead of naming a
            clash.
        unavailable: projects pip >= 26 lists under "some packages in these conflicts have no
            matching distributions available for your environment". pip 26.3 lists every
            clashing project there even when it has distributions (checked on loopback), so
            :func:`explain` does not repeat it.
        triggers: what pip's headline "Cannot install X and Y" names, verbatim.
    """

    package: str
    clashes: tuple[Clash, ...]
    user_requirements: tuple[str, ...]
    constraints: tuple[str, ...] = ()
    too_deep: bool = False
    unavailable: tuple[str, ...] = ()
    triggers: str = ""


# -- parsing ------------------------------------------------------------------------------------

# Prefixes that wrap pip's lines: ANSI colours, the timestamp of pip's --log format
# (pip-failures.md §I), CI timestamps (GitHub Actions) and annotations.
_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_LOG_TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[,.]\d+Z? ")
_CI_MARK = re.compile(r"^##\[(?:error|warning)\]")

_CAUSED_BY = "The conflict is caused by:"
_HEADLINE = re.compile(
    r"Cannot install (?P<what>.+?) because these package versions have conflicting dependencies"
)
_DEPENDS = re.compile(r"^(?P<requirer>\S+ \S+) depends on (?P<req>.+)$")
_USER_CONSTRAINT = re.compile(r"^The user requested \(constraint\) (?P<req>.+)$")
_USER = re.compile(r"^The user requested (?P<req>.+)$")
_UNAVAILABLE = "some packages in these conflicts have no matching distributions"
_COLLECTING = re.compile(r"^Collecting (?P<req>.+?)(?: \(from (?P<origin>.+)\))?$")
_TOO_DEEP = re.compile(r"resolution-too-deep|ResolutionTooDeep|exceeded maximum depth")
# Phrases that end the block (and lines that never belong to it).
_BLOCK_END = ("To fix this you could try to", "ERROR:", "Additionally,")


#: Longer lines are cut before matching: pip's report lines are short, and the cut keeps every
#: pattern linear on hostile input (DESIGN.md §3).
MAX_LINE = 8192


def _clean_lines(text: str) -> list[str]:
    """Return the lines of ``text`` without colour codes and log or CI prefixes."""
    lines = []
    for raw in text.splitlines():
        line = _ANSI.sub("", raw[:MAX_LINE])
        line = _LOG_TS.sub("", line, count=1)
        line = _CI_MARK.sub("", line, count=1)
        lines.append(line.rstrip())
    return lines


def _unformat(requirement: str) -> str:
    """Undo pip's ``format_for_error``: ``c>=1, <2 and !=1.5`` back to ``c>=1,<2,!=1.5``.

    pip joins the comma-separated parts of ``str(req)`` with ", " and a final " and " to make them
    "human readable" (pip/_internal/resolution/resolvelib/requirements.py, every pip since 20.3).
    The marker after ``;`` is left alone: its ``and`` is PEP 508 syntax.
    """
    spec, sep, marker = requirement.partition(";")
    if " (from " in spec or " (Installed)" in spec:
        return requirement  # an explicit candidate ("c 1.0 (from https://...)"), not a specifier
    parts = re.split(r",\s*|\s+and\s+", spec.strip())
    joined = ",".join(part.strip() for part in parts if part.strip())
    return f"{joined};{marker}" if sep else joined


def _name_of(requirement: str) -> str | None:
    """Return the canonical project name a requirement string is about, or None."""
    try:
        return canonicalize_name(Requirement(requirement).name)
    except InvalidRequirement:
        match = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", requirement)
        return canonicalize_name(match.group(0)) if match else None


def _last_block(lines: list[str]) -> tuple[int, list[str]] | None:
    """Find the last "The conflict is caused by:" block; return its index and its lines.

    The --log also holds "Will try a different candidate, due to conflict:" blocks written
    while pip backtracks; only the final report counts.
    """
    starts = [i for i, line in enumerate(lines) if line.strip() == _CAUSED_BY]
    if not starts:
        return None
    start = starts[-1]
    block: list[str] = []
    for line in lines[start + 1 :]:
        stripped = line.strip()
        if not stripped:
            if block:
                break
            continue
        if stripped.startswith(_BLOCK_END):
            break
        block.append(stripped)
    return start, block


def _parse_block(block: list[str]) -> tuple[list[Clash], list[str], list[str]]:
    """Turn the block's lines into clashes, user requirements and constraints.

    pip 24.0 may print "The user requested lib==2.0" once per clashing requirer; repeats go.
    """
    clashes: list[Clash] = []
    users: list[str] = []
    constraints: list[str] = []
    for line in block:
        constraint = _USER_CONSTRAINT.match(line)
        if constraint:
            req = _unformat(constraint.group("req"))
            clashes.append(Clash("the user constraint", req, "constraint"))
            constraints.append(req)
            continue
        user = _USER.match(line)
        if user:
            req = _unformat(user.group("req"))
            clashes.append(Clash("the user request", req, "user"))
            users.append(req)
            continue
        depends = _DEPENDS.match(line)
        if depends:
            clashes.append(Clash(depends.group("requirer"), _unformat(depends.group("req"))))
    return list(dict.fromkeys(clashes)), users, constraints


def _collected_roots(lines: list[str], dependency_texts: set[str]) -> list[str]:
    """Return the top-level requirements named by "Collecting ..." lines.

    pip >= 23.1 appends ``(from <parent>)`` to the requirements it collects for a dependency
    and ``(from -r file (line N))`` for a requirements-file line. Older pips print neither; there
    a line is taken for a dependency when its text equals a "depends on" requirement in the text.
    """
    found = [_COLLECTING.match(line) for line in lines]
    matches = [m for m in found if m]
    marked = any(m.group("origin") for m in matches)
    roots: list[str] = []
    for match in matches:
        req, origin = match.group("req").strip(), match.group("origin")
        if origin and not origin.startswith(("-r ", "-c ", "--requirement", "--constraint")):
            continue
        if not marked and req in dependency_texts:
            continue
        roots.append(req)
    return roots


def _unique_by_name(requirements: list[str]) -> tuple[str, ...]:
    """Keep the first requirement of each project (pip repeats "Collecting b" when backtracking)."""
    seen: set[str] = set()
    out: list[str] = []
    for req in requirements:
        key = _name_of(req) or req
        if key not in seen:
            seen.add(key)
            out.append(req)
    return tuple(out)


def _dependency_texts(lines: list[str]) -> set[str]:
    """Every requirement text that appears as "<pkg> <ver> depends on <req>" anywhere."""
    texts = set()
    for line in lines:
        match = _DEPENDS.match(line.strip())
        if match:
            texts.add(_unformat(match.group("req")))
    return texts


def _unavailable(lines: list[str], start: int) -> tuple[str, ...]:
    """Read pip >= 26's "no matching distributions available" list after the block."""
    for i in range(start, len(lines)):
        if _UNAVAILABLE in lines[i]:
            names = []
            for line in lines[i + 1 :]:
                if not line.startswith("    ") or not line.strip():
                    break
                names.append(line.strip())
            return tuple(names)
    return ()


def _main_package(clashes: list[Clash]) -> str:
    """The project most clash lines are about (normally all of them)."""
    counts: dict[str, int] = {}
    for clash in clashes:
        name = _name_of(clash.requirement)
        if name:
            counts[name] = counts.get(name, 0) + 1
    if not counts:
        return ""
    return max(counts, key=lambda name: counts[name])


def parse_conflict(text: str) -> Conflict | None:
    """Read pip's resolution-conflict report out of console or ``--log`` text.

    Accepts the formats of pip 22.0 to 26.x: the "Cannot install ... because these package
    versions have conflicting dependencies." headline, the "The conflict is caused by:" block
    ("a 1.0 depends on c==1.0", "The user requested c==3", "The user requested (constraint)
    c==3"), a bare ``ResolutionImpossible`` and pip >= 25.1's ``resolution-too-deep``.

    Args:
        text: what pip printed or logged; timestamps, ANSI colours and CI prefixes are ignored.

    Returns:
        The conflict, or None when the text holds no resolution failure.
    """
    lines = _clean_lines(text)
    found = _last_block(lines)
    headline = ""
    for line in lines:
        match = _HEADLINE.search(line)
        if match:
            headline = match.group("what")
    if found is None:
        too_deep = any(_TOO_DEEP.search(line) for line in lines)
        if not too_deep and not headline and not any("ResolutionImpossible" in x for x in lines):
            return None
        roots = _collected_roots(lines, _dependency_texts(lines))
        return Conflict(
            package="",
            clashes=(),
            user_requirements=_unique_by_name(roots),
            too_deep=too_deep,
            triggers=headline,
        )
    start, block = found
    clashes, users, constraints = _parse_block(block)
    roots = _collected_roots(lines, _dependency_texts(lines))
    return Conflict(
        package=_main_package(clashes),
        clashes=tuple(clashes),
        user_requirements=_unique_by_name(roots + users),
        constraints=_unique_by_name(constraints),
        unavailable=_unavailable(lines, start),
        triggers=headline,
    )


# -- explaining ---------------------------------------------------------------------------------


def _phrase(clash: Clash) -> str:
    if clash.source == "user":
        return f"you asked for {clash.requirement}"
    if clash.source == "constraint":
        return f"your constraints allow only {clash.requirement}"
    return f"{clash.requirer} needs {clash.requirement}"


def _user_requirement_for(conflict: Conflict, name: str) -> str | None:
    for req in conflict.user_requirements:
        if _name_of(req) == name:
            return req
    return None


def explain(conflict: Conflict) -> list[str]:
    """Say in plain words which requirements clash.

    Args:
        conflict: what :func:`parse_conflict` found.

    Returns:
        Lines for a report, e.g. ``["a 1.0 needs c==1.0; b 2.0 needs c==2.0", "no version of
        c satisfies all of these at once", "a 1.0 is there because you asked for a==1.0"]``.
    """
    if conflict.too_deep:
        lines = [
            (
                "pip gave up: the dependency graph was too deep to resolve (resolution-too-deep);"
                " it named no single clash"
            )
        ]
        if conflict.user_requirements:
            lines.append("requested: " + ", ".join(conflict.user_requirements))
        return lines
    if not conflict.clashes:
        return [
            (
                "pip found no set of versions that satisfies every requirement"
                " (ResolutionImpossible), but its list of clashing requirements is not in the text"
            )
        ]
    lines = ["; ".join(_phrase(clash) for clash in conflict.clashes)]
    names = {_name_of(clash.requirement) for clash in conflict.clashes}
    if len(names) == 1 and conflict.package:
        lines.append(f"no version of {conflict.package} satisfies all of these at once")
    else:
        lines.append("no set of versions satisfies all of these at once")
    for clash in conflict.clashes:
        name = clash.requirer_name
        if name is None:
            continue
        asked = _user_requirement_for(conflict, name)
        if asked is not None:
            lines.append(f"{clash.requirer} is there because you asked for {asked}")
        else:
            lines.append(f"{clash.requirer} is there as a dependency of what you asked for")
    return lines


# -- proposing: the index -----------------------------------------------------------------------

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
#: Seconds ``pip install --dry-run`` gets to confirm a proposal.
VERIFY_TIMEOUT = 120.0
#: How many proposals pip is asked to confirm before giving up.
MAX_VERIFICATIONS = 3
#: resolvelib's round cap per resolution; the time limit and candidate cap usually bind first.
MAX_ROUNDS = 2000
#: The identifier of the interpreter in the resolution (not a valid project name, so no clash).
_PYTHON = "<python>"


class _OutOfBudgetError(Exception):
    """The time limit or the candidate cap was reached."""


class _FetchError(Exception):
    """The default fetch could not or would not read a URL."""


@dataclass(frozen=True)
class Target:
    """What the target interpreter accepts: its marker environment and wheel tags.

    Attributes:
        markers: PEP 508 marker variables (``python_version``, ``sys_platform``, ...).
        tags: the wheel tags it supports, most preferred first, as ``py3-none-any`` strings.
    """

    markers: tuple[tuple[str, str], ...]
    tags: frozenset[str]

    @classmethod
    def current(cls) -> Target:
        """Describe the interpreter running safepip."""
        from packaging.markers import default_environment  # noqa: PLC0415 - only here
        from packaging.tags import sys_tags  # noqa: PLC0415 - only here

        env = {key: str(value) for key, value in default_environment().items()}
        return cls(tuple(sorted(env.items())), frozenset(str(tag) for tag in sys_tags()))

    @property
    def python_version(self) -> Version:
        """The interpreter's version, for ``Requires-Python`` (``python_full_version``).

        A local build may report ``3.13.0+``; the release part is what counts then.
        """
        markers = dict(self.markers)
        for text in (markers.get("python_full_version", ""), markers.get("python_version", "")):
            match = re.match(r"\d+(?:\.\d+)*", text)
            if match:
                return Version(match.group(0))
        return Version("3")


_TARGET_PROBE = (
    "import json\n"
    "from pip._vendor.packaging import markers, tags\n"
    "print(json.dumps({'markers': markers.default_environment(),"
    " 'tags': [str(t) for t in tags.sys_tags()]}))\n"
)


def _probe_target(python: str, env: Mapping[str, str]) -> Target | None:
    """Ask the target interpreter (through pip's vendored packaging) for markers and tags."""
    from safepip import runner  # noqa: PLC0415 - the process seam, needed only here

    code, out = runner.query([python, "-c", _TARGET_PROBE], env, timeout=30)
    if code != 0:
        return None
    try:
        data: object = json.loads(out)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    markers, tags = data.get("markers"), data.get("tags")
    if not isinstance(markers, dict) or not isinstance(tags, list):
        return None
    pairs = tuple(sorted((str(k), str(v)) for k, v in markers.items()))
    return Target(pairs, frozenset(str(tag) for tag in tags))


@dataclass(frozen=True)
class _File:
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


def _parse_page(body: bytes, page_url: str, project: str) -> list[_File]:
    """Read a project page, PEP 691 JSON or PEP 503 HTML, into files (yanked ones left out)."""
    files: list[_File] = []
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
) -> list[_File]:
    """Build the :class:`_File` of one link, or nothing when the link is not a distribution."""
    parsed = _file_version(filename, project)
    if parsed is None:
        return []
    version, tags = parsed
    url = url.split("#", 1)[0]
    return [
        _File(
            filename=filename,
            url=url,
            version=version,
            requires_python=requires_python if isinstance(requires_python, str) else None,
            metadata_url=url + ".metadata" if has_metadata else None,
            wheel_tags=tags,
        )
    ]


def _metadata_from_wheel(data: bytes) -> bytes | None:
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


@dataclass
class _Budget:
    """The time limit and the candidate cap of one :func:`propose` call."""

    deadline: float
    max_candidates: int
    candidates: int = 0
    exhausted: str = ""

    def check(self) -> None:
        """Raise :class:`_OutOfBudgetError` once the time is up."""
        if time.monotonic() > self.deadline:
            self.exhausted = self.exhausted or "time"
            raise _OutOfBudgetError(self.exhausted)

    def take_candidate(self) -> None:
        """Count one candidate whose dependencies are read; raise past the cap."""
        self.check()
        if self.candidates >= self.max_candidates:
            self.exhausted = self.exhausted or "candidates"
            raise _OutOfBudgetError(self.exhausted)
        self.candidates += 1


class _Index:
    """Project pages and dependency metadata from one index, fetched once and cached."""

    def __init__(
        self,
        index_url: str,
        fetch: Callable[[str], bytes],
        target: Target,
        budget: _Budget,
    ) -> None:
        self.index_url = index_url.rstrip("/") + "/"
        self._fetch = fetch
        self.target = target
        self.budget = budget
        self._pages: dict[str, dict[Version, list[_File]]] = {}
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

    def versions(self, name: str) -> dict[Version, list[_File]]:
        """Return the usable files of a project by version (Requires-Python and tags checked)."""
        if name in self._pages:
            return self._pages[name]
        page_url = f"{self.index_url}{name}/"
        body = self._get(page_url)
        files: list[_File] = []
        if body is not None:
            try:
                files = _parse_page(body, page_url, name)
            except ValueError as exc:
                self.problems.append(f"could not parse {_redact(page_url)}: {exc}")
        python = self.target.python_version
        by_version: dict[Version, list[_File]] = {}
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
                metadata = _metadata_from_wheel(wheel) if wheel is not None else None
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


class _UrlFetch:
    """The default fetch: urllib, a short timeout, credentials of the index URL kept private.

    ``user:password@`` in the index URL is sent as a Basic ``Authorization`` header to that
    host only (urllib does not read credentials from URLs), and never appears in messages.
    """

    def __init__(self, index_url: str, timeout: float) -> None:
        parts = urlsplit(index_url)
        self.host = _host_port(index_url)
        self.timeout = timeout
        self.auth = ""
        if parts.username is not None:
            raw = f"{unquote(parts.username)}:{unquote(parts.password or '')}"
            self.auth = "Basic " + base64.b64encode(raw.encode()).decode("ascii")

    def __call__(self, url: str) -> bytes:
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
    """Hide credentials (DESIGN.md §5): every URL in a note passes through here."""
    return redact(text)


# -- proposing: resolvelib ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Req:
    """A requirement as the resolver sees it (the interpreter is the ``<python>`` project)."""

    name: str
    specifier: SpecifierSet
    extras: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Cand:
    """A candidate: one release of a project, with the extras asked of it."""

    name: str
    version: Version
    extras: frozenset[str] = frozenset()


#: How a relaxed project's versions are ordered: closest to the user's original range first.
_OrderKey = Callable[[Version], "tuple[int, int]"]


class _Provider(AbstractProvider[_Req, _Cand, str]):
    """resolvelib provider over :class:`_Index`.

    Candidates come newest first, as pip tries them, except for the projects in ``order``,
    which come closest-to-the-user's-range first: the first solution then uses the smallest
    departure from what the user asked for. Those projects are also decided first.
    """

    def __init__(
        self,
        index: _Index,
        constraints: Mapping[str, SpecifierSet],
        order: Mapping[str, _OrderKey],
    ) -> None:
        self.index = index
        self.constraints = constraints
        self.order = order
        self.markers = dict(index.target.markers)

    def identify(self, requirement_or_candidate: _Req | _Cand) -> str:
        return requirement_or_candidate.name

    def get_preference(
        self,
        identifier: str,
        resolutions: Mapping[str, _Cand],  # noqa: ARG002 - resolvelib's signature
        candidates: Mapping[str, Iterator[_Cand]],
        information: Mapping[str, Iterator[RequirementInformation[_Req, _Cand]]],  # noqa: ARG002
        backtrack_causes: Sequence[RequirementInformation[_Req, _Cand]],
    ) -> tuple[bool, bool, int, str]:
        # Relaxed projects first (see the class docstring), then the ones behind the last
        # conflict (as pip does since 22.x), then the ones with fewest candidates left.
        causes = {cause.requirement.name for cause in backtrack_causes}
        count = sum(1 for _ in candidates[identifier])
        return (identifier not in self.order, identifier not in causes, count, identifier)

    def find_matches(
        self,
        identifier: str,
        requirements: Mapping[str, Iterator[_Req]],
        incompatibilities: Mapping[str, Iterator[_Cand]],
    ) -> list[_Cand]:
        self.index.budget.check()
        reqs = list(requirements[identifier])
        bad = {cand.version for cand in incompatibilities[identifier]}
        if identifier == _PYTHON:
            python = self.index.target.python_version
            if python in bad or not all(
                r.specifier.contains(python, prereleases=True) for r in reqs
            ):
                return []
            return [_Cand(_PYTHON, python)]
        specs = [r.specifier for r in reqs]
        if identifier in self.constraints:
            specs.append(self.constraints[identifier])
        available = [v for v in self.index.versions(identifier) if v not in bad]
        # pip's rule: pre-releases only when a specifier names one or nothing else is left.
        versions = [v for v in available if all(s.contains(v) for s in specs)]
        if not versions:
            versions = [v for v in available if all(s.contains(v, prereleases=True) for s in specs)]
        versions.sort(reverse=True)
        key = self.order.get(identifier)
        if key is not None:
            versions.sort(key=key)  # stable: newest first among equally close releases
        extras = frozenset().union(*(r.extras for r in reqs))
        return [_Cand(identifier, v, extras) for v in versions]

    def is_satisfied_by(self, requirement: _Req, candidate: _Cand) -> bool:
        return (
            requirement.specifier.contains(candidate.version, prereleases=True)
            and requirement.extras <= candidate.extras
        )

    def get_dependencies(self, candidate: _Cand) -> list[_Req]:
        self.index.budget.check()  # once per round of the resolver, at least
        if candidate.name == _PYTHON:
            return []
        deps = self.index.dependencies(candidate.name, candidate.version)
        out: list[_Req] = []
        requires_python = self.index.requires_python(candidate.name, candidate.version)
        if requires_python:
            with contextlib.suppress(InvalidSpecifier):
                out.append(_Req(_PYTHON, SpecifierSet(requires_python)))
        extras = candidate.extras or frozenset({""})
        for dep in deps or ():
            if dep.url:
                self.index.problems.append(
                    f"{candidate.name} {candidate.version} depends on a direct URL ({dep.name}):"
                    " not checked"
                )
                continue
            if dep.marker is not None and not any(
                dep.marker.evaluate({**self.markers, "extra": extra}) for extra in extras
            ):
                continue
            out.append(_to_req(dep))
        return out


def _to_req(requirement: Requirement) -> _Req:
    return _Req(
        canonicalize_name(requirement.name),
        requirement.specifier,
        frozenset(canonicalize_name(extra) for extra in requirement.extras),
    )


def _with_specifier(requirement: Requirement, specifier: SpecifierSet) -> Requirement:
    """Return a copy of ``requirement`` with another specifier (extras and marker kept)."""
    copy = Requirement(str(requirement))
    copy.specifier = specifier
    return copy


def _distance_key(versions: list[Version], allowed: list[Version]) -> _OrderKey:
    """Order versions by how many releases they lie outside the allowed ones; newer wins ties."""
    rank = {version: i for i, version in enumerate(versions)}
    lo = rank[allowed[0]] if allowed else len(versions)
    hi = rank[allowed[-1]] if allowed else len(versions)

    def key(version: Version) -> tuple[int, int]:
        r = rank.get(version, lo)
        if r > hi:
            return (r - hi, 0)
        if r < lo:
            return (lo - r, 1)
        return (0 if version in allowed else 1, 0)

    return key


def _implied(spec: Specifier, bound: Version, *, upper: bool) -> bool:
    """Whether ``spec`` adds nothing next to ``<bound`` (upper) or ``>=bound`` (lower)."""
    if spec.operator == "===" or spec.version.endswith(".*"):
        return False
    try:
        version = Version(spec.version)
    except InvalidVersion:
        return False
    if upper:
        return spec.operator in {"<", "<=", "!="} and version >= bound
    return (spec.operator == ">=" and version <= bound) or (
        spec.operator in {">", "!="} and version < bound
    )


def _new_specifier(
    original: SpecifierSet, versions: list[Version], target: Version
) -> SpecifierSet:
    """The loosened specifier: keep the clauses ``target`` meets, bound it on the far side.

    Going down (``b==2.0`` with 1.5 the nearest working release) gives ``b<X`` where X is the
    next release above 1.5, so pip's first pick is 1.5; going up gives ``>=target``.
    """
    kept = [spec for spec in original if spec.contains(target, prereleases=True)]
    kept_set = SpecifierSet(",".join(str(spec) for spec in kept))
    allowed = [v for v in versions if original.contains(v, prereleases=True)]
    downward = not allowed or target < allowed[0]
    if downward:
        above = [v for v in versions if v > target and kept_set.contains(v, prereleases=True)]
        if above:
            bound = above[0]
            # Clauses the new upper bound makes redundant ("<4" and "!=3.0" under "<2.0").
            kept = [s for s in kept if not _implied(s, bound, upper=True)]
            kept.append(Specifier(f"<{bound}"))
    else:
        below = [v for v in versions if v < target and kept_set.contains(v, prereleases=True)]
        if below:
            kept = [s for s in kept if not _implied(s, target, upper=False)]
            kept.append(Specifier(f">={target}"))
    return SpecifierSet(",".join(str(spec) for spec in kept))


# -- proposing: the search ----------------------------------------------------------------------


@dataclass(frozen=True)
class Proposal:
    """The smallest change found that makes the request installable.

    Attributes:
        change: what to change, e.g. ``"b<2.0"`` (instead of ``b==2.0``), ``"drop the pin on
            c"``, ``"remove b from the request"``; ``""`` when no change was found (the note
            says why: nothing works, or the time limit or candidate cap was reached).
        requirements: the full new requirement set.
        command: a command that installs it (``<python> -m pip install ...``).
        verified: pip itself confirmed that the new set resolves
            (``pip install --dry-run --report -``, or the injected ``verify``).
        note: how it was found and checked, what pip would install, and anything left unchecked.
        constraints: the new constraints when the change is to a ``-c`` file line.
    """

    change: str
    requirements: tuple[str, ...]
    command: str
    verified: bool
    note: str
    constraints: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Option:
    """A change the resolver found to work, before pip confirms it."""

    score: tuple[int, int, int, int]
    change: str
    requirements: tuple[Requirement, ...]
    constraints: tuple[Requirement, ...]
    picked: tuple[tuple[str, Version], ...]
    detail: str


class _Search:
    """Try loosening one requirement, then two, then removing one, with resolvelib."""

    def __init__(
        self,
        index: _Index,
        roots: list[Requirement],
        constraints: list[Requirement],
        focus: set[str],
    ) -> None:
        self.index = index
        self.roots = roots
        self.constraints = constraints
        # Requirements about the clashing projects (or their requirers) are tried first.
        self.items: list[tuple[str, int]] = sorted(
            [("req", i) for i in range(len(roots))] + [("con", i) for i in range(len(constraints))],
            key=lambda item: (
                canonicalize_name(self._get(item).name) not in focus,
                item[0] == "con",
            ),
        )
        self.resolutions = 0
        self.found: list[_Option] = []

    def _get(self, item: tuple[str, int]) -> Requirement:
        kind, i = item
        return self.roots[i] if kind == "req" else self.constraints[i]

    def resolve(
        self,
        roots: Sequence[Requirement],
        constraints: Sequence[Requirement],
        order: Mapping[str, _OrderKey] | None = None,
    ) -> dict[str, Version] | None:
        """Resolve with resolvelib; None when impossible (or too deep)."""
        self.resolutions += 1
        markers = dict(self.index.target.markers, extra="")
        merged: dict[str, SpecifierSet] = {}
        for con in constraints:
            name = canonicalize_name(con.name)
            merged[name] = merged.get(name, SpecifierSet()) & con.specifier
        reqs = [_to_req(r) for r in roots if r.marker is None or r.marker.evaluate(markers)]
        provider = _Provider(self.index, merged, order or {})
        try:
            result = Resolver(provider, BaseReporter()).resolve(reqs, max_rounds=MAX_ROUNDS)
        except (ResolutionImpossible, ResolutionTooDeep):
            return None
        return {k: c.version for k, c in result.mapping.items() if k != _PYTHON}

    def _replace(
        self, changes: Mapping[tuple[str, int], Requirement | None]
    ) -> tuple[list[Requirement], list[Requirement]]:
        roots = [changes.get(("req", i), r) for i, r in enumerate(self.roots)]
        cons = [changes.get(("con", i), c) for i, c in enumerate(self.constraints)]
        return [r for r in roots if r is not None], [c for c in cons if c is not None]

    def loosen(self, items: Sequence[tuple[str, int]]) -> _Option | None:
        """Loosen ``items`` together to the nearest working ranges; None if that cannot work."""
        order: dict[str, _OrderKey] = {}
        keys: dict[tuple[str, int], tuple[_OrderKey, list[Version]]] = {}
        loose: dict[tuple[str, int], Requirement | None] = {}
        for item in items:
            req = self._get(item)
            if not req.specifier or req.url:
                return None  # nothing to loosen
            name = canonicalize_name(req.name)
            versions = sorted(self.index.versions(name))
            allowed = [v for v in versions if req.specifier.contains(v, prereleases=True)]
            key = _distance_key(versions, allowed)
            order[name] = key
            keys[item] = (key, versions)
            # A constraint without a specifier means nothing: loosening it fully drops it.
            loose[item] = None if item[0] == "con" else _with_specifier(req, SpecifierSet())
        found = self.resolve(*self._replace(loose), order=order)
        if found is None:
            return None
        new: dict[tuple[str, int], Requirement | None] = {}
        changes: list[str] = []
        distance, direction = 0, 0
        for item in items:
            req = self._get(item)
            name = canonicalize_name(req.name)
            key, versions = keys[item]
            target = found.get(name)
            if target is None:  # a constraint on a project nothing needs any more
                new[item] = None
                changes.append(f"drop the constraint {req}")
                continue
            step, down = key(target)
            distance, direction = distance + step, direction + down
            spec = _new_specifier(req.specifier, versions, target)
            if not spec and item[0] == "con":
                new[item] = None
                changes.append(f"drop the constraint {req}")
            elif not spec:
                new[item] = _with_specifier(req, spec)
                changes.append(f"drop the pin on {req.name}")
            else:
                new[item] = _with_specifier(req, spec)
                where = " in your constraints" if item[0] == "con" else ""
                changes.append(f"{new[item]}{where} (instead of {req})")
        roots, cons = self._replace(new)
        check = self.resolve(roots, cons)
        if check is None:  # pragma: no cover - the range holds a release that resolved
            return None
        first = min(self.items.index(item) for item in items)
        return _Option(
            score=(len(items), distance, direction, first),
            change=", ".join(changes),
            requirements=tuple(roots),
            constraints=tuple(cons),
            picked=tuple(sorted(check.items())),
            detail="",
        )

    def remove(self, item: tuple[str, int]) -> _Option | None:
        """Leave one requirement out of the request (never the only one)."""
        if item[0] != "req" or len(self.roots) < 2:
            return None
        roots, cons = self._replace({item: None})
        found = self.resolve(roots, cons)
        if found is None:
            return None
        return _Option(
            score=(3, 0, 0, self.items.index(item)),
            change=f"remove {self._get(item)} from the request",
            requirements=tuple(roots),
            constraints=tuple(cons),
            picked=tuple(sorted(found.items())),
            detail="",
        )

    def run(self) -> None:
        """Collect working options in ``found``; stop at the first level that has some.

        Options land in ``found`` as they are found, so what was found before the time limit
        or the candidate cap stopped the search is kept.
        """
        for item in self.items:
            self._keep(self.loosen([item]))
        for i, first in enumerate(self.items):
            for second in self.items[i + 1 :]:
                if self.found:
                    return
                self._keep(self.loosen([first, second]))
        for item in self.items:
            if self.found and self.found[0].score[0] < 3:
                return
            self._keep(self.remove(item))

    def _keep(self, option: _Option | None) -> None:
        if option is not None:
            self.found.append(option)
            self.found.sort(key=lambda o: o.score)


def _pip_verifier(
    python: str, index_url: str, env: Mapping[str, str]
) -> Callable[[Sequence[str]], tuple[bool, str]]:
    """Confirm with ``pip install --dry-run --report -`` (pip >= 22.2) in the target interpreter."""
    from safepip import runner  # noqa: PLC0415 - the process seam, needed only here

    code, out = runner.query([python, "-m", "pip", "--version"], env, timeout=60)
    match = re.match(r"pip (\d+)\.(\d+)", out)
    too_old = code != 0 or match is None or (int(match[1]), int(match[2])) < (22, 2)

    def verify(args: Sequence[str]) -> tuple[bool, str]:
        if too_old:
            version = match.group(0) if match else "pip"
            return False, f"{version} cannot run --dry-run --report (pip 22.2 or later can)"
        argv = [
            python,
            "-m",
            "pip",
            "install",
            "--dry-run",
            "--report",
            "-",
            "--quiet",
            "--no-input",
            "--disable-pip-version-check",
            "--index-url",
            index_url,
            *args,
        ]
        code, out = runner.query(argv, env, timeout=VERIFY_TIMEOUT)
        if code != 0:
            return False, f"pip install --dry-run failed (exit status {code})"
        return True, _report_summary(out)

    return verify


def _report_summary(report: str) -> str:
    """Summarise a pip installation report as ``a 1.0, c 1.0``."""
    try:
        data: object = json.loads(report)
    except ValueError:
        return ""
    items = data.get("install") if isinstance(data, dict) else None
    found = []
    for item in items if isinstance(items, list) else []:
        meta = item.get("metadata") if isinstance(item, dict) else None
        if isinstance(meta, dict):
            found.append(f"{meta.get('name')} {meta.get('version')}")
    return ", ".join(found)


def _command(python: str, requirements: Sequence[str], constraints: Sequence[str]) -> str:
    argv = [python, "-m", "pip", "install", *requirements]
    if constraints:
        argv += ["-c", "constraints.txt"]
    return shlex.join(argv)


def _parse_requirements(texts: Sequence[str], notes: list[str]) -> list[Requirement]:
    parsed = []
    for text in texts:
        try:
            parsed.append(Requirement(text))
        except InvalidRequirement:
            notes.append(f"left out {text!r}: not a requirement safepip can read")
    return parsed


def propose(  # noqa: PLR0913 - the options are the documented API
    conflict: Conflict,
    *,
    index_url: str,
    python: str,
    env: Mapping[str, str],
    fetch: Callable[[str], bytes] | None = None,
    verify: Callable[[Sequence[str]], bool] | None = None,
    time_limit: float = 20.0,
    max_candidates: int = 200,
    target: Target | None = None,
) -> Proposal | None:
    """Find the smallest change to the user's requirements that makes them installable.

    Versions and dependency metadata come from ``index_url`` (PEP 691 JSON or PEP 503 HTML
    pages; PEP 658 ``.metadata`` files where served, otherwise the wheel's METADATA). resolvelib
    then searches, in this order: loosening one requirement (or ``-c`` constraint) to the nearest
    range that works, loosening two, removing one. Among the changes that work, the one
    closest to the original request wins (fewest changes, fewest releases away, newer before
    older). pip confirms it before it is proposed.

    Args:
        conflict: what :func:`parse_conflict` found; ``user_requirements`` is the request.
        index_url: the index pip used (credentials in it are used, never shown).
        python: the interpreter whose pip runs the confirmation and whose markers and wheel
            tags apply.
        env: the environment for that pip (the user's pip configuration applies).
        fetch: reads a URL and returns the body; by default urllib with a short timeout.
        verify: given pip's arguments naming the requirements (and ``-c FILE`` when
            constraints apply), says whether they resolve; by default
            ``python -m pip install --dry-run --report - --no-input --index-url ...``.
        time_limit: seconds for the search (pip's confirmation has its own timeout).
        max_candidates: how many releases' dependency metadata may be read.
        target: the target's marker environment and wheel tags; by default asked of
            ``python`` (through pip's vendored packaging), else this interpreter's.

    Returns:
        The proposal; ``change`` is empty when none was found, and the note says whether the
        search was complete or stopped at a limit. None when the conflict names no
        requirement to work with.
    """
    notes: list[str] = []
    if not conflict.user_requirements:
        return None
    roots = _parse_requirements(conflict.user_requirements, notes)
    constraints = _parse_requirements(conflict.constraints, notes)
    if any(r.url for r in [*roots, *constraints]):
        return Proposal(
            change="",
            requirements=conflict.user_requirements,
            command="",
            verified=False,
            note="direct URL requirements (name @ url) are not searched: no proposal",
            constraints=conflict.constraints,
        )
    if target is None:
        target = _probe_target(python, env)
        if target is None:
            notes.append(f"could not ask {python} for its tags and markers: used safepip's own")
            target = Target.current()
    budget = _Budget(time.monotonic() + time_limit, max_candidates)
    index = _Index(
        index_url, fetch or _UrlFetch(index_url, min(FETCH_TIMEOUT, time_limit)), target, budget
    )
    focus = {conflict.package} | {c.requirer_name or "" for c in conflict.clashes}
    search = _Search(index, roots, constraints, focus)
    baseline: dict[str, Version] | None = None
    try:
        baseline = search.resolve(roots, constraints)
        if baseline is None:
            search.run()
    except _OutOfBudgetError:
        limit = (
            f"the time limit ({time_limit:g} s)"
            if budget.exhausted == "time"
            else f"the candidate cap ({max_candidates})"
        )
        notes.append(f"the search stopped at {limit} after {search.resolutions} resolutions")
        if search.found:
            notes.append("a smaller change may exist beyond it")
    options = list(search.found)
    notes.extend(dict.fromkeys(index.problems))
    if baseline is not None:
        options = [_pin_option(conflict, roots, constraints, baseline)]
    if not options:
        complete = not budget.exhausted
        reason = (
            "no change of one or two requirements, and no removal of one, makes the request"
            " installable from this index"
            if complete
            else "no working change was found before the search stopped"
        )
        return Proposal(
            change="",
            requirements=conflict.user_requirements,
            command="",
            verified=False,
            note="; ".join([reason, *notes]),
            constraints=conflict.constraints,
        )
    checker = _pip_verifier(python, index_url, env) if verify is None else _injected(verify)
    return _confirm(options, checker, python, notes)


def _injected(
    verify: Callable[[Sequence[str]], bool],
) -> Callable[[Sequence[str]], tuple[bool, str]]:
    def check(args: Sequence[str]) -> tuple[bool, str]:
        return verify(args), ""

    return check


def _confirm(
    options: list[_Option],
    checker: Callable[[Sequence[str]], tuple[bool, str]],
    python: str,
    notes: list[str],
) -> Proposal:
    """Ask pip about the best options in turn; the first it confirms is the proposal."""
    best: Proposal | None = None
    with tempfile.TemporaryDirectory(prefix="safepip-conflicts-") as tmp:
        for option in options[:MAX_VERIFICATIONS]:
            reqs = tuple(str(r) for r in option.requirements)
            cons = tuple(str(c) for c in option.constraints)
            args = list(reqs)
            if cons:
                path = Path(tmp, "constraints.txt")
                path.write_text("\n".join(cons) + "\n", encoding="utf-8")
                args += ["-c", str(path)]
            ok, said = checker(args)
            found = ", ".join(f"{name} {version}" for name, version in option.picked)
            parts = [option.detail] if option.detail else []
            parts.append(f"resolvelib finds {found}" if found else "resolvelib finds a resolution")
            if ok:
                parts.append(f"pip confirms it ({said})" if said else "pip confirms it")
            else:
                parts.append(
                    f"pip did not confirm it: {said}" if said else "pip did not confirm it"
                )
            proposal = Proposal(
                change=option.change,
                requirements=reqs,
                command=_command(python, reqs, cons),
                verified=ok,
                note="; ".join([*parts, *notes]),
                constraints=cons,
            )
            if ok:
                return proposal
            best = best or proposal
    assert best is not None, "options is never empty here"  # noqa: S101
    return best


def _pin_option(
    conflict: Conflict,
    roots: list[Requirement],
    constraints: list[Requirement],
    found: dict[str, Version],
) -> _Option:
    """The requirements resolve as given: for pip's resolution-too-deep, pin what was found."""
    pinned = []
    for req in roots:
        version = found.get(canonicalize_name(req.name))
        pinned.append(_with_specifier(req, SpecifierSet(f"=={version}")) if version else req)
    if conflict.too_deep:
        change = "pin " + ", ".join(str(r) for r in pinned)
        requirements = tuple(pinned)
        detail = "pins to a resolution found here spare pip the deep search"
    else:
        change = ""
        requirements = tuple(roots)
        detail = (
            "the request resolves as given on this index: pip's conflict comes from something"
            " this search does not see (installed packages, sdists, another index)"
        )
    return _Option(
        score=(0, 0, 0, 0),
        change=change,
        requirements=requirements,
        constraints=tuple(constraints),
        picked=tuple(sorted(found.items())),
        detail=detail,
    )
