"""Propose the smallest change to the user's requirements that resolves pip's conflict.

:func:`propose` takes the :class:`~safepip.conflicts.explain.Conflict` that
:func:`~safepip.conflicts.explain.parse_conflict` read, fetches candidate versions and dependency
metadata from the index (:mod:`safepip.index.client`), runs resolvelib with a provider of its own
to find which requirement to loosen, and to what (the policy is :mod:`safepip.conflicts.search`),
and confirms the result with ``pip install --dry-run`` before proposing it
(:mod:`safepip.conflicts.verify`).

This is the only module that imports resolvelib (docs/architecture.md §7; ruff's banned-api
enforces it).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import canonicalize_name
from resolvelib import (
    AbstractProvider,
    BaseReporter,
    ResolutionImpossible,
    ResolutionTooDeep,
    Resolver,
)

from safepip.conflicts.search import Search, pin_option
from safepip.conflicts.verify import Proposal, confirm, injected, pip_verifier
from safepip.index.client import FETCH_TIMEOUT, Budget, Index, OutOfBudgetError, UrlFetch
from safepip.index.target import TargetEnvironment, probe_target

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping, Sequence

    from packaging.version import Version
    from resolvelib.structs import RequirementInformation

    from safepip.conflicts.explain import Conflict
    from safepip.conflicts.search import OrderKey, Resolve

#: resolvelib's round cap per resolution; the time limit and candidate cap usually bind first.
MAX_ROUNDS = 2000
#: The identifier of the interpreter in the resolution (not a valid project name, so no clash).
_PYTHON = "<python>"


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


class _Provider(AbstractProvider[_Req, _Cand, str]):
    """resolvelib provider over :class:`Index`.

    Candidates come newest first, as pip tries them, except for the projects in ``order``,
    which come closest-to-the-user's-range first: the first solution then uses the smallest
    departure from what the user asked for. Those projects are also decided first.
    """

    def __init__(
        self,
        index: Index,
        constraints: Mapping[str, SpecifierSet],
        order: Mapping[str, OrderKey],
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


def _resolver(index: Index) -> Resolve:
    """Resolve with resolvelib over ``index``; None when impossible (or too deep)."""

    def resolve(
        roots: Sequence[Requirement],
        constraints: Sequence[Requirement],
        order: Mapping[str, OrderKey],
    ) -> dict[str, Version] | None:
        markers = dict(index.target.markers, extra="")
        merged: dict[str, SpecifierSet] = {}
        for con in constraints:
            name = canonicalize_name(con.name)
            merged[name] = merged.get(name, SpecifierSet()) & con.specifier
        reqs = [_to_req(r) for r in roots if r.marker is None or r.marker.evaluate(markers)]
        provider = _Provider(index, merged, order)
        try:
            result = Resolver(provider, BaseReporter()).resolve(reqs, max_rounds=MAX_ROUNDS)
        except (ResolutionImpossible, ResolutionTooDeep):
            return None
        return {k: c.version for k, c in result.mapping.items() if k != _PYTHON}

    return resolve


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
    target: TargetEnvironment | None = None,
    verify_deadline: float | None = None,
) -> Proposal | None:
    """Find the smallest change to the user's requirements that makes them installable.

    Versions and dependency metadata come from ``index_url`` (PEP 691 JSON or PEP 503 HTML
    pages; PEP 658 ``.metadata`` files where served, otherwise the wheel's METADATA). resolvelib
    then searches, in this order: loosening one requirement (or ``-c`` constraint) to the nearest
    range that works, loosening two, removing one. Among the changes that work, the one
    closest to the original request wins (fewest changes, fewest releases away, newer before
    older). pip confirms it before it is proposed.

    Args:
        conflict: what :func:`~safepip.conflicts.explain.parse_conflict` found;
            ``user_requirements`` is the request.
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
        verify_deadline: ``time.monotonic()`` seconds after which pip's confirmation is ended
            (the proposal is then shown unverified).

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
        target = probe_target(python, env)
        if target is None:
            notes.append(f"could not ask {python} for its tags and markers: used safepip's own")
            target = TargetEnvironment.current()
    budget = Budget(time.monotonic() + time_limit, max_candidates)
    index = Index(
        index_url, fetch or UrlFetch(index_url, min(FETCH_TIMEOUT, time_limit)), target, budget
    )
    focus = {conflict.package} | {c.requirer_name or "" for c in conflict.clashes}
    search = Search(index, roots, constraints, focus, _resolver(index))
    baseline: dict[str, Version] | None = None
    try:
        baseline = search.resolve(roots, constraints)
        if baseline is None:
            search.run()
    except OutOfBudgetError:
        limit = (
            f"its time limit ({time_limit:g} s: the rest of the bound is pip's to confirm a fix)"
            if budget.exhausted == "time"
            else f"the candidate cap ({max_candidates})"
        )
        notes.append(f"the search stopped at {limit} after {search.resolutions} resolutions")
        if search.found:
            notes.append("a smaller change may exist beyond it")
    options = list(search.found)
    notes.extend(dict.fromkeys(index.problems))
    if baseline is not None:
        options = [pin_option(conflict, roots, constraints, baseline)]
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
    checker = (
        pip_verifier(python, index_url, env, verify_deadline)
        if verify is None
        else injected(verify)
    )
    return confirm(options, checker, python, notes)
