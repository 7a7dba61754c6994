"""Explain a pip dependency conflict from a saved log, and propose the smallest verified fix.

Scenario: a CI job stopped with pip's ``ResolutionImpossible``. The log says which packages
clash, in pip's words. ``safepip.conflicts.explain`` reads that report (console output or
``--log`` file, pip 22.0 to 26.x) and says in plain words who needs what. Given the index,
``safepip.conflicts.propose`` searches for the smallest change to the request that installs (loosen
one pin, then two, then drop one), and has pip confirm it with ``pip install --dry-run``
before proposing it.

Run::

    python examples/explain_conflict.py                     # the pip 24.0 log bundled below
    python examples/explain_conflict.py path/to/pip.log     # your own saved log
    python examples/explain_conflict.py pip.log --index-url https://pypi.org/simple

With ``--index-url`` the index is read (versions and dependency metadata) and pip runs a dry run
with ``--python`` (default: this interpreter). Without it, only the explanation is printed.
``safepip install`` does all of this by itself when pip stops on a conflict.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import sys
from pathlib import Path

from safepip.conflicts.explain import explain, parse_conflict
from safepip.conflicts.propose import propose
from safepip.report.redact import redact

# A --log excerpt of `pip install a==1.0 b==2.0` with pip 24.0 (a 1.0 needs c==1.0, b 2.0 needs
# c==2.0; b 1.x works with c 1.0). pip's log prefixes each line with a timestamp.
SAVED_LOG = """\
2026-11-25T20:10:56,570 Collecting a==1.0
2026-11-25T20:10:56,650 Collecting b==2.0
2026-11-25T20:10:56,700 Collecting c==1.0 (from a==1.0)
2026-11-25T20:10:56,701 INFO: pip is looking at multiple versions of b to determine which \
version is compatible with other requirements. This could take a while.
2026-11-25T20:10:56,706 ERROR: Cannot install a==1.0 and b==2.0 because these package versions \
have conflicting dependencies.
2026-11-25T20:10:56,707 The conflict is caused by:
2026-11-25T20:10:56,707     a 1.0 depends on c==1.0
2026-11-25T20:10:56,707     b 2.0 depends on c==2.0
2026-11-25T20:10:56,707 To fix this you could try to:
2026-11-25T20:10:56,707 1. loosen the range of package versions you've specified
2026-11-25T20:10:56,707 2. remove package versions to allow pip attempt to solve the dependency \
conflict
2026-11-25T20:10:56,708 ERROR: ResolutionImpossible: for help visit \
https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""


def main() -> int:
    parser = argparse.ArgumentParser(description="explain a pip conflict from a saved log")
    parser.add_argument("log", nargs="?", help="a saved pip log or console output (- for stdin)")
    parser.add_argument("--index-url", help="search this index for the smallest working change")
    parser.add_argument("--python", default=sys.executable, help="the interpreter pip runs in")
    parser.add_argument(
        "--requirement",
        action="append",
        default=[],
        help="the real request (repeatable), when the log does not show all of it",
    )
    parser.add_argument("--time-limit", type=float, default=20.0, help="seconds for the search")
    args = parser.parse_args()

    if args.log is None:
        text = SAVED_LOG
    elif args.log == "-":
        text = sys.stdin.read()
    else:
        text = Path(args.log).read_text(encoding="utf-8", errors="replace")

    conflict = parse_conflict(text)
    if conflict is None:
        print("no resolution conflict in this log")
        return 1
    if args.requirement:
        conflict = dataclasses.replace(conflict, user_requirements=tuple(args.requirement))

    print("requested: " + (", ".join(conflict.user_requirements) or "(not in the log)"))
    for line in explain(conflict):
        print(f"  {line}")
    if not args.index_url:
        print("(pass --index-url to search for the smallest change that installs)")
        return 0

    proposal = propose(
        conflict,
        index_url=args.index_url,
        python=args.python,
        env=dict(os.environ),
        time_limit=args.time_limit,
    )
    if proposal is None:
        print("nothing to search: the log names no requirement")
    elif proposal.change:
        state = "confirmed by pip --dry-run" if proposal.verified else "NOT confirmed by pip"
        print(f"smallest change ({state}): {proposal.change}")
        print(f"  {proposal.command}")
        print(f"  {redact(proposal.note)}")
    else:
        print(f"no change found: {redact(proposal.note)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
