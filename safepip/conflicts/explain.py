"""Read pip's resolution-conflict report and say in plain words which requirements clash.

Pure: text in, records and lines out; no I/O. Two steps, each usable on its own:

- :func:`parse_conflict` reads pip's conflict report out of console or ``--log`` text, for
  every pip from 22.0 to 26.x (docs/failure-kinds.md §E resolution-conflict).
- :func:`explain` turns it into plain-words lines.

:func:`safepip.conflicts.propose.propose` takes the :class:`Conflict` further: it searches the
index for
the smallest change that resolves it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from safepip import lazyre
from safepip.classifier.facts import canonical

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
        return canonical(self.requirer.split(" ", 1)[0].split("[", 1)[0])


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
# (docs/failure-kinds.md §I), CI timestamps (GitHub Actions) and annotations.
_ANSI = lazyre.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_LOG_TS = lazyre.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[,.]\d+Z? ")
_CI_MARK = lazyre.compile(r"^##\[(?:error|warning)\]")

_CAUSED_BY = "The conflict is caused by:"
_HEADLINE = lazyre.compile(
    r"Cannot install (?P<what>.+?) because these package versions have conflicting dependencies"
)
_DEPENDS = lazyre.compile(r"^(?P<requirer>\S+ \S+) depends on (?P<req>.+)$")
_USER_CONSTRAINT = lazyre.compile(r"^The user requested \(constraint\) (?P<req>.+)$")
_USER = lazyre.compile(r"^The user requested (?P<req>.+)$")
_UNAVAILABLE = "some packages in these conflicts have no matching distributions"
_COLLECTING = lazyre.compile(r"^Collecting (?P<req>.+?)(?: \(from (?P<origin>.+)\))?$")
_TOO_DEEP = lazyre.compile(r"resolution-too-deep|ResolutionTooDeep|exceeded maximum depth")
# Phrases that end the block (and lines that never belong to it).
_BLOCK_END = ("To fix this you could try to", "ERROR:", "Additionally,")


#: Longer lines are cut before matching: pip's report lines are short, and the cut keeps every
#: pattern linear on hostile input (docs/architecture.md §3).
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


#: The project name a PEP 508 requirement starts with (what packaging's ``Requirement.name``
#: reads, without loading packaging's grammar after every conflict).
_LEADING_NAME = lazyre.compile(r"[A-Za-z0-9](?:[A-Za-z0-9._-]{0,200}[A-Za-z0-9])?")


def _name_of(requirement: str) -> str | None:
    """Return the canonical project name a requirement string is about, or None."""
    match = _LEADING_NAME.match(requirement.strip())
    return canonical(match.group(0)) if match else None


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
    # The user's own lines: pattern, who asks, the clash's source, where the requirement goes.
    own: tuple[tuple[re.Pattern[str], str, ClashSource, list[str]], ...] = (
        (_USER_CONSTRAINT, "the user constraint", "constraint", constraints),
        (_USER, "the user request", "user", users),
    )
    for line in block:
        for pattern, requirer, source, found in own:
            match = pattern.match(line)
            if match:
                req = _unformat(match.group("req"))
                clashes.append(Clash(requirer, req, source))
                found.append(req)
                break
        else:
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


def _requested(roots: list[str], users: list[str]) -> tuple[str, ...]:
    """The user's requirements: every distinct "The user requested" text, else the root's.

    One project requested twice (``six>=1 six<1``) is two requirements, both kept: they are the
    conflict. A "Collecting" root stands for its project only when no such line names it.
    """
    requested: dict[str, list[str]] = {}
    for req in dict.fromkeys(users):
        requested.setdefault(_name_of(req) or req, []).append(req)
    out: list[str] = []
    done: set[str] = set()
    for req in [*roots, *users]:
        key = _name_of(req) or req
        if key not in done:
            done.add(key)
            out.extend(requested.get(key, [req]))
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
        user_requirements=_requested(roots, users),
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
