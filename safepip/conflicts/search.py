"""How the conflict search works: which changes to try, and how to rank them.

:class:`Search` tries loosening one requirement (or ``-c`` constraint) to the nearest range that
works, then two together, then removing one. It asks an injected resolver whether a set
resolves; the resolver (resolvelib, in :mod:`safepip.conflicts.propose`) orders a loosened project's
releases by :func:`distance_key`, so the first solution is the smallest departure from the
user's range. :func:`new_specifier` writes the loosened range. Among the working options
(:class:`Option`), the lowest ``score`` wins: fewest changes, fewest releases away, newer first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.requirements import Requirement
from packaging.specifiers import Specifier, SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

if TYPE_CHECKING:
    from safepip.conflicts.explain import Conflict
    from safepip.index.client import Index

#: How a relaxed project's versions are ordered: closest to the user's original range first.
OrderKey = Callable[[Version], "tuple[int, int]"]
#: Resolves requirements and constraints (a loosened project's releases ordered by its key):
#: the version picked for each project, or None when they do not resolve.
Resolve = Callable[
    [Sequence[Requirement], Sequence[Requirement], Mapping[str, OrderKey]],
    "dict[str, Version] | None",
]


def with_specifier(requirement: Requirement, specifier: SpecifierSet) -> Requirement:
    """Return a copy of ``requirement`` with another specifier (extras and marker kept)."""
    copy = Requirement(str(requirement))
    copy.specifier = specifier
    return copy


def distance_key(versions: list[Version], allowed: list[Version]) -> OrderKey:
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


def new_specifier(original: SpecifierSet, versions: list[Version], target: Version) -> SpecifierSet:
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


@dataclass(frozen=True)
class Option:
    """A change the resolver found to work, before pip confirms it."""

    score: tuple[int, int, int, int]
    change: str
    requirements: tuple[Requirement, ...]
    constraints: tuple[Requirement, ...]
    picked: tuple[tuple[str, Version], ...]
    detail: str


class Search:
    """Try loosening one requirement, then two, then removing one, asking the resolver each time."""

    def __init__(
        self,
        index: Index,
        roots: list[Requirement],
        constraints: list[Requirement],
        focus: set[str],
        resolver: Resolve,
    ) -> None:
        """Prepare the search.

        Args:
            index: where the releases of a project to loosen are listed.
            roots: the user's requirements.
            constraints: the user's ``-c`` constraints.
            focus: the clashing projects and their requirers, whose requirements go first.
            resolver: says whether a set resolves, and to what.
        """
        self.index = index
        self._resolver = resolver
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
        self.found: list[Option] = []

    def _get(self, item: tuple[str, int]) -> Requirement:
        kind, i = item
        return self.roots[i] if kind == "req" else self.constraints[i]

    def resolve(
        self,
        roots: Sequence[Requirement],
        constraints: Sequence[Requirement],
        order: Mapping[str, OrderKey] | None = None,
    ) -> dict[str, Version] | None:
        """Resolve with the injected resolver; None when impossible (or too deep)."""
        self.resolutions += 1
        return self._resolver(roots, constraints, order or {})

    def _replace(
        self, changes: Mapping[tuple[str, int], Requirement | None]
    ) -> tuple[list[Requirement], list[Requirement]]:
        roots = [changes.get(("req", i), r) for i, r in enumerate(self.roots)]
        cons = [changes.get(("con", i), c) for i, c in enumerate(self.constraints)]
        return [r for r in roots if r is not None], [c for c in cons if c is not None]

    def loosen(self, items: Sequence[tuple[str, int]]) -> Option | None:
        """Loosen ``items`` together to the nearest working ranges; None if that cannot work."""
        order: dict[str, OrderKey] = {}
        keys: dict[tuple[str, int], tuple[OrderKey, list[Version]]] = {}
        loose: dict[tuple[str, int], Requirement | None] = {}
        for item in items:
            req = self._get(item)
            if not req.specifier or req.url:
                return None  # nothing to loosen
            name = canonicalize_name(req.name)
            versions = sorted(self.index.versions(name))
            allowed = [v for v in versions if req.specifier.contains(v, prereleases=True)]
            key = distance_key(versions, allowed)
            order[name] = key
            keys[item] = (key, versions)
            # A constraint without a specifier means nothing: loosening it fully drops it.
            loose[item] = None if item[0] == "con" else with_specifier(req, SpecifierSet())
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
            spec = new_specifier(req.specifier, versions, target)
            if not spec and item[0] == "con":
                new[item] = None
                changes.append(f"drop the constraint {req}")
            elif not spec:
                new[item] = with_specifier(req, spec)
                changes.append(f"drop the pin on {req.name}")
            else:
                new[item] = with_specifier(req, spec)
                where = " in your constraints" if item[0] == "con" else ""
                changes.append(f"{new[item]}{where} (instead of {req})")
        roots, cons = self._replace(new)
        check = self.resolve(roots, cons)
        if check is None:  # pragma: no cover - the range holds a release that resolved
            return None
        first = min(self.items.index(item) for item in items)
        return Option(
            score=(len(items), distance, direction, first),
            change=", ".join(changes),
            requirements=tuple(roots),
            constraints=tuple(cons),
            picked=tuple(sorted(check.items())),
            detail="",
        )

    def remove(self, item: tuple[str, int]) -> Option | None:
        """Leave one requirement out of the request (never the only one)."""
        if item[0] != "req" or len(self.roots) < 2:
            return None
        roots, cons = self._replace({item: None})
        found = self.resolve(roots, cons)
        if found is None:
            return None
        return Option(
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

    def _keep(self, option: Option | None) -> None:
        if option is not None:
            self.found.append(option)
            self.found.sort(key=lambda o: o.score)


def pin_option(
    conflict: Conflict,
    roots: list[Requirement],
    constraints: list[Requirement],
    found: dict[str, Version],
) -> Option:
    """The requirements resolve as given: for pip's resolution-too-deep, pin what was found."""
    pinned = []
    for req in roots:
        version = found.get(canonicalize_name(req.name))
        pinned.append(with_specifier(req, SpecifierSet(f"=={version}")) if version else req)
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
    return Option(
        score=(0, 0, 0, 0),
        change=change,
        requirements=requirements,
        constraints=tuple(constraints),
        picked=tuple(sorted(found.items())),
        detail=detail,
    )
