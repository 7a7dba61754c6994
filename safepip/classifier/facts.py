"""What pip printed that a next step can quote: where a requirement came from, what exists.

Pure reading of a normalised log, for :mod:`safepip.classifier.hints`: the file and line pip names
for a requirement (``Collecting x (from -r reqs.txt (line 2))``, ``(from line 3 of reqs.txt)``),
the releases the index offered (``from versions: ...``), the releases skipped for their
``Requires-Python``, the interpreter pip ran on, an index page that answered 404 (the project is
unknown there), and the installed version a broken uninstall was about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safepip import lazyre

if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.classifier.normalize import Log

#: How many releases a next step lists.
SHOWN_VERSIONS = 5

_FROM_FILE = lazyre.compile(r"\(from\x20-[rc]\x20(.{1,1024}?)\x20\(line\x20(\d{1,9})\)\)")
_FROM_LINE = lazyre.compile(r"\(from\x20line\x20(\d{1,9})\x20of\x20(.{1,1024}?)\)")
_FROM_PARENT = lazyre.compile(r"\(from\x20((?!-r\x20|-c\x20|line\x20)[^()\s]{1,256})\)")
_SUBJECT = lazyre.compile(
    r"^\s{0,12}(?:Collecting|Processing|Obtaining|Requirement\x20already\x20satisfied:)\x20(\S{1,4096})"
)
_INVALID = lazyre.compile(r"Invalid\x20requirement:\x20'([^'\n]{1,4096})'")
_WANTED = lazyre.compile(
    r"satisfies\x20the\x20requirement\x20(\S{1,1024}?)(?:\x20\(from\x20[^)]{0,1024}\){1,2})?"
    r"\x20\(from\x20versions:\x20([^)]{0,65536})\)"
)
_IGNORED = lazyre.compile(r"require\x20a\x20different\x20python\x20version:\x20(.{1,65536})$")
_RUNNING = lazyre.compile(
    r"Link\x20requires\x20a\x20different\x20Python\x20\(([\w.+]{1,32})\x20not\x20in"
)
_PAGE_404 = lazyre.compile(
    r"Could\x20not\x20fetch\x20URL\x20(\S{1,4096}?/)([A-Za-z0-9][A-Za-z0-9._-]{0,200})/:\x20404\b"
)
_INDEXES = lazyre.compile(r"^\s{0,4}Looking\x20in\x20indexes:\x20(\S{1,4096})")
_EXISTING = lazyre.compile(
    r"Found\x20existing\x20installation:\x20([A-Za-z0-9][A-Za-z0-9._-]{0,200})\x20([\w.+!]{1,64})"
)
_NAME = lazyre.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]{0,200})")


def canonical(name: str) -> str:
    """The PEP 503 form of a project name (``Foo_Bar`` -> ``foo-bar``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def name_of(requirement: str) -> str | None:
    """The canonical project name at the start of a requirement string, if it has one."""
    if requirement.startswith((".", "/", "~", "\\")) or "://" in requirement.split("@", 1)[0]:
        return None
    m = _NAME.match(requirement.strip())
    return canonical(m.group(1)) if m else None


@dataclass(frozen=True)
class Facts:
    """What the log says about the requirement a diagnosis names.

    Attributes:
        requirement: the requirement as pip quoted it (``bench-d==9.9``, ``./libs/mypkg``).
        origin: where it came from: ``reqs/dev.txt, line 3``, ``required by app==1.0`` or
            ``the command line``; None when unknown.
        versions: the releases the index offered for it, newest first (at most
            :data:`SHOWN_VERSIONS`).
        unknown_at: the index URL that answered 404 for the project's page, when no release
            was listed at all.
        needs_python: ``(version, Requires-Python)`` of the newest release skipped for its
            Python requirement.
        running_python: the interpreter version pip checked ``Requires-Python`` against.
        installed: the version a ``Found existing installation`` line names for the package.
    """

    requirement: str | None = None
    origin: str | None = None
    versions: tuple[str, ...] = ()
    unknown_at: str | None = None
    needs_python: tuple[str, str] | None = None
    running_python: str | None = None
    installed: str | None = None


def gather(
    log: Log, package: str | None, path: str | None, origins: Mapping[str, str] | None = None
) -> Facts:
    """The facts about ``package`` (or the local ``path``) that pip's log holds.

    Args:
        log: the normalised log.
        package: the project the diagnosis names.
        path: the local path the diagnosis names.
        origins: where the user's requirements came from, read from their arguments and files
            (canonical name or path as written -> origin); pip's own text wins over it.
    """
    name = canonical(package) if package else None
    requirement, versions = _wanted(log, name)
    origin = _origin(log, name, path)
    if origin is None and origins:
        keys = [k for k in (path, _plain(path), name, requirement) if k]
        origin = next((origins[k] for k in keys if k in origins), None)
    return Facts(
        requirement=requirement,
        origin=origin,
        versions=versions,
        unknown_at=_unknown_at(log, name) if not versions else None,
        needs_python=_needs_python(log),
        running_python=_running_python(log),
        installed=_installed(log, name),
    )


def _plain(path: str | None) -> str | None:
    return None if path is None else path.removeprefix("file://")


def _lines(log: Log, needle: str) -> list[str]:
    return [log.clean(i) for i in log.find((needle,))]


def _origin(log: Log, name: str | None, path: str | None) -> str | None:
    """The origin pip printed for the requirement: its file and line, or its parent."""
    plain = _plain(path)
    for index in log.find(("Collecting", "Processing", "Obtaining", "already satisfied")):
        line = log.clean(index)
        m = _SUBJECT.match(line)
        if m is None:
            continue
        subject = m.group(1)
        if not (
            (name and name_of(subject) == name) or (plain and _plain(subject).startswith(plain))  # type: ignore[union-attr]
        ):
            continue
        found = _FROM_FILE.search(line)
        if found:
            return f"{found.group(1)}, line {found.group(2)}"
        parent = _FROM_PARENT.search(line)
        if parent:
            return f"required by {parent.group(1)}"
    for index in log.find(("Invalid requirement",)):
        m = _INVALID.search(log.clean(index))
        if m is None or not (
            (plain and m.group(1) == plain) or (name and name_of(m.group(1)) == name)
        ):
            continue
        for after in range(index, min(len(log.lines), index + 4)):
            found_line = _FROM_LINE.search(log.clean(after))
            if found_line:
                return f"{found_line.group(2)}, line {found_line.group(1)}"
    return None


def _newest_first(versions: list[str]) -> tuple[str, ...]:
    if not versions:  # most failures list no releases: no need to load packaging
        return ()
    # Loaded when pip listed releases (a not-found): not on the path of other failures.
    from packaging.version import InvalidVersion, Version  # noqa: PLC0415

    parsed: list[tuple[Version, str]] = []
    for text in versions:
        try:
            parsed.append((Version(text), text))
        except InvalidVersion:
            continue
    parsed.sort(reverse=True)
    return tuple(dict.fromkeys(text for _, text in parsed))


def _wanted(log: Log, name: str | None) -> tuple[str | None, tuple[str, ...]]:
    """The requirement pip could not satisfy and the releases it listed, newest first."""
    for line in reversed(_lines(log, "from versions:")):
        m = _WANTED.search(line)
        if m is None or (name and name_of(m.group(1)) != name):
            continue
        listed = [v.strip() for v in m.group(2).split(",")]
        listed = [v for v in listed if v and v != "none"]
        return m.group(1), _newest_first(listed)[:SHOWN_VERSIONS]
    return None, ()


def _unknown_at(log: Log, name: str | None) -> str | None:
    for line in _lines(log, "Could not fetch URL"):
        m = _PAGE_404.search(line)
        if m and (name is None or canonical(m.group(2)) == name):
            return m.group(1).rstrip("/")
    return None


def _needs_python(log: Log) -> tuple[str, str] | None:
    """The newest release skipped for its ``Requires-Python``, with that requirement."""
    pairs: dict[str, str] = {}
    for line in _lines(log, "require a different python version"):
        m = _IGNORED.search(line)
        if m is None:
            continue
        for item in m.group(1).split("; "):
            version, sep, spec = item.strip().partition(" Requires-Python ")
            if sep:
                pairs[version] = spec.strip()
    newest = _newest_first(list(pairs))
    return (newest[0], pairs[newest[0]]) if newest else None


def _running_python(log: Log) -> str | None:
    for line in _lines(log, "Link requires a different Python"):
        m = _RUNNING.search(line)
        if m:
            return m.group(1)
    return None


def _installed(log: Log, name: str | None) -> str | None:
    for line in reversed(_lines(log, "Found existing installation")):
        m = _EXISTING.search(line)
        if m and (name is None or canonical(m.group(1)) == name):
            return m.group(2)
    return None


def index_url(log: Log) -> str | None:
    """The first index pip says it looks in (``Looking in indexes: URL``)."""
    for line in _lines(log, "Looking in indexes"):
        m = _INDEXES.search(line)
        if m:
            return m.group(1).rstrip(",")
    return None
