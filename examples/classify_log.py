"""Classify a saved pip log, or a whole CI job log, with safepip's library API.

Scenario: last night's CI job failed inside ``pip install`` and you have its log. Was it the
network (re-run the job), a corrupt pip cache (purge that entry), or something a re-run will
never fix (a conflict, a missing local path)? ``safepip.classifier.decide.classify`` is the same
pure
function the install loop uses: text in, a ``Diagnosis`` out; it reads no files and prints
nothing.
(It is also exported as ``safepip.classify``; importing it from its module works on every
safepip version.)

Run::

    python examples/classify_log.py path/to/job.log
    python examples/classify_log.py path/to/pip.log --returncode 1
    some-ci-cli logs 1234 | python examples/classify_log.py -

The command-line equivalent is ``safepip diagnose``.
"""

from __future__ import annotations

import argparse
import sys

from safepip.classifier import classify
from safepip.model import RetryPolicy


def main() -> int:
    parser = argparse.ArgumentParser(description="classify a saved pip / CI log")
    parser.add_argument("log", help="the log file, or - for standard input")
    parser.add_argument("--returncode", type=int, default=None, help="pip's exit status, if known")
    args = parser.parse_args()
    if args.log == "-":
        text = sys.stdin.read()
    else:
        with open(args.log, encoding="utf-8", errors="replace") as handle:  # noqa: PTH123
            text = handle.read()

    diagnosis = classify(text, returncode=args.returncode)

    print(f"kind:     {diagnosis.kind.value}")
    print(f"policy:   {diagnosis.policy.value}")
    if diagnosis.package:
        print(f"package:  {diagnosis.package} {diagnosis.version or ''}".rstrip())
    print("evidence:")
    for line in diagnosis.evidence or ("(no error line found)",):
        print(f"  {line.strip()}")
    if diagnosis.hint:
        print(f"hint:     {diagnosis.hint}")
    retry = {
        RetryPolicy.RETRY: "a plain re-run is likely to succeed",
        RetryPolicy.AFTER_REMEDY: "a re-run succeeds after a remedy (`safepip install` applies it)",
        RetryPolicy.STOP: "a re-run will fail the same way: a human needs to act",
    }[diagnosis.policy]
    print(f"verdict:  {retry}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
