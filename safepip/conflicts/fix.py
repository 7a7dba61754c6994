"""After a resolution conflict: the explanation, a bounded search for a fix, the fix as an edit.

``safepip install`` calls :func:`report_conflict` once pip has failed with a conflict. The
explanation shows the first :data:`MAX_CLASHES` clashes and a count of the rest (a conflict of
thousands of lines must not flood a CI log). The search for a verified fix gets at most pip's
own time plus :data:`EXTRA_SECONDS` (and never more than the ``--time-budget`` left); past one
second it says so in one line. The fix is shown as the edit of the user's file or command line
and as the user's own command (:mod:`safepip.conflicts.edit`).
"""

from __future__ import annotations

import threading
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Callable

from safepip.conflicts.edit import edits, user_command

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from safepip.conflicts.explain import Conflict
    from safepip.conflicts.verify import Proposal
    from safepip.report.hooks import Reporter

#: Clashes shown by name; the rest are counted.
MAX_CLASHES = 8
#: Seconds the fix search may take beyond pip's own run.
EXTRA_SECONDS = 3.0
#: The search says what it does once it has run this long.
PROGRESS_AFTER = 1.0


def search_bound(pip_seconds: float, remaining: float | None) -> float:
    """Seconds for the whole search and its pip confirmation: pip's time + 3 s, within budget."""
    bound = max(0.0, pip_seconds) + EXTRA_SECONDS
    return bound if remaining is None else max(0.0, min(bound, remaining))


def _proposal_lines(
    proposal: Proposal,
    conflict: Conflict,
    pip_args: Sequence[str],
    origins: Mapping[str, str],
    program: str,
) -> tuple[list[str], dict[str, object]]:
    changes = edits(conflict.user_requirements, proposal.requirements, origins)
    if proposal.constraints != conflict.constraints:
        changes += edits(conflict.constraints, proposal.constraints, origins)
    command = user_command(pip_args, changes, program=program) if changes else ""
    extra: dict[str, object] = {
        "edits": [str(change) for change in changes],
        "user_command": command,
    }
    if not proposal.change:
        return [f"no single change found: {proposal.note}"], extra
    verified = "verified with pip --dry-run" if proposal.verified else "not verified"
    if not changes:
        return [f"smallest fix ({verified}): {proposal.change}", f"  {proposal.command}"], extra
    lines = [f"smallest fix ({verified}): {change}" for change in changes]
    in_files = any(change.where.startswith("line ") for change in changes)
    lines.append(f"  then run: {command}" if in_files else f"  run: {command}")
    return lines, extra


def report_conflict(  # noqa: PLR0913 - all keyword data for one report section
    text: str,
    *,
    index_url: str,
    python: str,
    env: Mapping[str, str],
    search: bool,
    reporter: Reporter,
    pip_args: Sequence[str],
    origins: Mapping[str, str],
    bound: float,
    program: str = "safepip install",
    clock: Callable[[], float] = time.monotonic,
) -> dict[str, object] | None:
    """Explain a resolution conflict and, unless ``search`` is off, propose a verified fix.

    Args:
        text: pip's output (or log) with the conflict.
        index_url: the index pip used.
        python: the interpreter whose pip confirms the fix.
        env: the environment for that pip.
        search: look for a fix at all (``--no-explain`` turns it off).
        reporter: where the lines go (:meth:`~safepip.report.hooks.Reporter.explained`).
        pip_args: the user's ``pip install`` arguments (kept in the proposed command).
        origins: where each requirement came from (file and line, or the command line).
        bound: seconds for the search and its confirmation (:func:`search_bound`).
        program: what the user ran before ``pip_args``.
        clock: monotonic seconds.

    Returns:
        The ``conflict`` member of the JSON report, or None when pip's text names no clash.
    """
    from safepip.conflicts.explain import explain, parse_conflict  # noqa: PLC0415

    conflict = parse_conflict(text)
    if conflict is None:
        return None
    more = len(conflict.clashes) - MAX_CLASHES
    lines = explain(
        replace(conflict, clashes=conflict.clashes[:MAX_CLASHES]) if more > 0 else conflict
    )
    if more > 0:
        lines.append(f"... and {more} more clashing requirement(s) (pip's output has them all)")
    document: dict[str, object] = {"explanation": list(lines), "proposal": None}
    if search and bound > 0:
        # resolvelib and the index client (urllib.request, http.client): the search's alone.
        from safepip.conflicts.propose import propose  # noqa: PLC0415

        start = clock()
        said = (
            "looking for the smallest change that resolves the conflict (at most"
            f" {bound:.0f} s; --no-explain skips this)"
        )
        timer = threading.Timer(PROGRESS_AFTER, reporter.progress, [said])
        timer.daemon = True
        timer.start()
        try:
            # The search gets the extra seconds; pip's confirmation about pip's own time.
            search_limit = max(0.5, min(bound - 1.0, EXTRA_SECONDS))
            proposal = propose(
                conflict,
                index_url=index_url,
                python=python,
                env=env,
                time_limit=search_limit,
                verify_deadline=start + bound,
            )
        finally:
            timer.cancel()
        if proposal is not None:
            shown, extra = _proposal_lines(proposal, conflict, pip_args, origins, program)
            document["proposal"] = {
                "change": proposal.change,
                "requirements": list(proposal.requirements),
                "constraints": list(proposal.constraints),
                "command": proposal.command,
                "verified": proposal.verified,
                "note": proposal.note,
                **extra,
            }
            lines = [*lines, *shown]
    reporter.explained(lines)
    return document
