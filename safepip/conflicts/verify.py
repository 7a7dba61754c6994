"""The proposal :func:`safepip.conflicts.propose.propose` returns, and pip's confirmation of it.

The options the search found are put to pip in turn, best first: ``pip install --dry-run
--report -`` (pip >= 22.2) in the target interpreter, through :func:`safepip.runner.query`. The
first option pip confirms becomes the :class:`Proposal`; if pip confirms none, the best one is
proposed unconfirmed (``verified=False``).
"""

from __future__ import annotations

import shlex
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from safepip import jsonparse
from safepip.pipfacts import pip_version

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from safepip.conflicts.search import Option

#: Seconds ``pip install --dry-run`` gets to confirm a proposal.
VERIFY_TIMEOUT = 120.0
#: How many proposals pip is asked to confirm before giving up.
MAX_VERIFICATIONS = 3
#: ``pip install --dry-run --report`` exists from pip 22.2.
DRY_RUN_REPORT_SINCE = (22, 2)


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


def pip_verifier(
    python: str, index_url: str, env: Mapping[str, str], deadline: float | None = None
) -> Callable[[Sequence[str]], tuple[bool, str]]:
    """Confirm with ``pip install --dry-run --report -`` (pip >= 22.2) in the target interpreter.

    ``deadline`` (``time.monotonic()`` seconds) ends a confirmation still running then.
    """
    from safepip import runner  # noqa: PLC0415 - the process seam, needed only here

    version = pip_version(python, env, runner.query)
    too_old = version is None or version < DRY_RUN_REPORT_SINCE

    def verify(args: Sequence[str]) -> tuple[bool, str]:
        if too_old:
            name = "pip " + ".".join(map(str, version)) if version else "pip"
            return False, f"{name} cannot run --dry-run --report (pip 22.2 or later can)"
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
        timeout = VERIFY_TIMEOUT
        if deadline is not None:
            timeout = min(timeout, deadline - time.monotonic())
            if timeout <= 0:
                return False, "no time left to run pip --dry-run"
        code, out = runner.query(argv, env, timeout=timeout)
        if code != 0:
            return False, f"pip install --dry-run failed (exit status {code})"
        return True, _report_summary(out)

    return verify


def _report_summary(report: str) -> str:
    """Summarise a pip installation report as ``a 1.0, c 1.0``."""
    try:
        data: object = jsonparse.loads(report)
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


def injected(
    verify: Callable[[Sequence[str]], bool],
) -> Callable[[Sequence[str]], tuple[bool, str]]:
    """Adapt an injected ``verify`` (a yes or no) to the checker :func:`confirm` takes."""

    def check(args: Sequence[str]) -> tuple[bool, str]:
        return verify(args), ""

    return check


def confirm(
    options: list[Option],
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
