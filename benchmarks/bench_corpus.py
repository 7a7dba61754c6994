"""Accuracy of ``safepip.classifier.decide.classify`` on folders of labelled real pip logs.

Scenario: every labelled log of each folder is classified as ``safepip diagnose`` would, and the
first remedy is planned as ``safepip install`` would. Printed per folder: overall accuracy,
recall and precision per kind, the confusion pairs, the policy errors (a stop kind that would be
retried or remedied; a retryable kind that would stop), the logs whose plan would delete cache
entries although the true kind is not cache-corrupt, and the classify time per log.

Folders: one with ``labels-*.tsv`` (the shared corpus of real public logs) or one of
``<kind>/<case>.txt`` (``tests/data/pip-logs``). Default: ``../shared/corpus`` beside the
repository (when it exists) and ``tests/data/pip-logs``.

Run: ``.venv/bin/python benchmarks/bench_corpus.py [DIR ...] [--misses]``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support.corpus_score import Outcome, Score, score

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DIRS = (REPO.parent / "shared" / "corpus", REPO / "tests" / "data" / "pip-logs")


def _names(outcomes: list[Outcome]) -> str:
    return ", ".join(f"{o.case.name} ({o.case.kind.value} -> {o.got.value})" for o in outcomes)


def report(folder: Path, result: Score, *, misses: bool) -> None:
    """Print the figures of one folder."""
    print(f"== {folder}")
    print(f"overall: {result.correct}/{result.total} = {100 * result.accuracy:.1f}%")
    print(f"{'kind':22} {'logs':>5} {'recall':>7} {'precision':>9}")
    for kind, count in sorted(result.support().items(), key=lambda kv: kv[0].value):
        recall, precision = result.recall(kind), result.precision(kind)
        print(f"{kind.value:22} {count:5d} {100 * recall:6.1f}% {100 * precision:8.1f}%")
    print("confusion (true -> got: logs):")
    for (true, got), count in result.confusions().most_common():
        print(f"  {true.value} -> {got.value}: {count}")
    wasted, given_up = result.wasted(), result.given_up()
    print(f"policy errors: {len(wasted) + len(given_up)}")
    print(f"  stop kind retried or remedied: {len(wasted)}  {_names(wasted)}")
    print(f"  retryable kind stopped: {len(given_up)}  {_names(given_up)}")
    needless, not_cache = result.needless_purges(), result.purges_not_cache()
    share = 100 * len(not_cache) / result.total if result.total else 0.0
    print(f"cache purge, true kind not cache-corrupt: {len(not_cache)} ({share:.1f}%)")
    print(
        f"  of which the true kind damaged nothing (not download-corrupt): {len(needless)}"
        f"  {_names(needless)}"
    )
    times = sorted(o.seconds for o in result.outcomes)
    if times:
        mean = 1000 * sum(times) / len(times)
        print(f"classify time per log: mean {mean:.2f} ms, max {1000 * times[-1]:.2f} ms")
    if misses:
        print("misses:")
        for o in result.outcomes:
            if not o.right:
                print(f"  {o.case.name}: {o.case.kind.value} -> {o.got.value}")
    print()


def main() -> None:
    """Score each folder given (or the default ones) and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dirs", nargs="*", type=Path, help="labelled corpus folders")
    parser.add_argument("--misses", action="store_true", help="list every misclassified log")
    options = parser.parse_args()
    folders = options.dirs or [d for d in DEFAULT_DIRS if d.is_dir()]
    for folder in folders:
        if not folder.is_dir():
            raise SystemExit(f"bench_corpus: {folder}: not a folder")
        report(folder, score(folder), misses=options.misses)


if __name__ == "__main__":
    main()
