"""Score :func:`safepip.classifier.decide.classify` on a folder of labelled pip logs.

Two layouts are read:

- a folder with ``labels-*.tsv`` files (columns ``file``, ``label``, ...): each row names a log
  in the folder and its true kind; the log's leading ``# `` lines are a header, not pip output,
  and are dropped before classifying;
- a folder of ``<kind>/<case>.txt`` (the project's own ``tests/data/pip-logs``): the folder
  name is the true kind.

:func:`score` returns a :class:`Score` with accuracy, per-kind recall and precision, the
confusion pairs, the policy errors (a stop-kind failure that would be retried or remedied, a
retryable one that would stop) and the logs whose plan would delete cache entries although
nothing in the cache was damaged. ``benchmarks/bench_corpus.py`` prints it and
``tests/unit/classifier/test_corpus_floor.py`` holds it to a floor.
"""

from __future__ import annotations

import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from safepip.classifier import classify
from safepip.install.planning import Context
from safepip.install.remedies import plan
from safepip.model import DEFAULT_POLICY, FailureKind, RemedyAction, RetryPolicy

#: A cache root that does not exist: plans name the paths they would delete, nothing is touched.
_CACHE_ROOT = Path("/nonexistent/safepip-corpus-score/pip-cache")
#: True kinds for which deleting the failing file's cache entry removes damaged bytes.
_PURGE_JUSTIFIED = frozenset({FailureKind.CACHE_CORRUPT, FailureKind.DOWNLOAD_CORRUPT})


@dataclass(frozen=True)
class Case:
    """One labelled log."""

    name: str
    kind: FailureKind
    text: str


@dataclass(frozen=True)
class Outcome:
    """What the classifier made of one case."""

    case: Case
    got: FailureKind
    retries: bool
    purges: bool
    seconds: float

    @property
    def right(self) -> bool:
        """Whether the kind is the labelled one."""
        return self.got is self.case.kind


@dataclass
class Score:
    """The figures of one corpus."""

    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of logs."""
        return len(self.outcomes)

    @property
    def correct(self) -> int:
        """Number of logs classified as labelled."""
        return sum(o.right for o in self.outcomes)

    @property
    def accuracy(self) -> float:
        """Share of logs classified as labelled (0 for an empty corpus)."""
        return self.correct / self.total if self.total else 0.0

    def support(self) -> Counter[FailureKind]:
        """Logs per true kind."""
        return Counter(o.case.kind for o in self.outcomes)

    def recall(self, kind: FailureKind) -> float:
        """Share of the logs labelled ``kind`` that are classified so."""
        labelled = [o for o in self.outcomes if o.case.kind is kind]
        return sum(o.right for o in labelled) / len(labelled) if labelled else 1.0

    def precision(self, kind: FailureKind) -> float:
        """Share of the logs classified as ``kind`` that are labelled so."""
        said = [o for o in self.outcomes if o.got is kind]
        return sum(o.right for o in said) / len(said) if said else 1.0

    def confusions(self) -> Counter[tuple[FailureKind, FailureKind]]:
        """(true, got) pairs of the misclassified logs."""
        return Counter((o.case.kind, o.got) for o in self.outcomes if not o.right)

    def wasted(self) -> list[Outcome]:
        """True kind stops, but safepip would retry or remedy."""
        return [o for o in self.outcomes if o.retries and not _retryable(o.case.kind)]

    def given_up(self) -> list[Outcome]:
        """True kind is retryable, but safepip would stop."""
        return [o for o in self.outcomes if not o.retries and _retryable(o.case.kind)]

    def needless_purges(self) -> list[Outcome]:
        """The plan deletes cache entries, but the true kind damaged nothing in the cache."""
        return [o for o in self.outcomes if o.purges and o.case.kind not in _PURGE_JUSTIFIED]

    def purges_not_cache(self) -> list[Outcome]:
        """The plan deletes cache entries and the true kind is not cache-corrupt."""
        return [
            o for o in self.outcomes if o.purges and o.case.kind is not FailureKind.CACHE_CORRUPT
        ]


def _retryable(kind: FailureKind) -> bool:
    return DEFAULT_POLICY[kind] is not RetryPolicy.STOP


def strip_header(text: str) -> str:
    """Drop the leading ``# `` header lines of a shared-corpus log."""
    lines = text.split("\n")
    start = 0
    while start < len(lines) and lines[start].startswith("# "):
        start += 1
    return "\n".join(lines[start:])


def load(folder: Path) -> list[Case]:
    """The labelled logs of ``folder`` (either layout), in name order."""
    tables = sorted(folder.glob("labels-*.tsv"))
    cases: list[Case] = []
    if tables:
        for table in tables:
            with table.open(encoding="utf-8", newline="") as stream:
                for row in csv.DictReader(stream, delimiter="\t"):
                    raw = (folder / row["file"]).read_bytes().decode("utf-8", errors="replace")
                    cases.append(Case(row["file"], FailureKind(row["label"]), strip_header(raw)))
        return sorted(cases, key=lambda c: c.name)
    for path in sorted(folder.glob("*/*.txt")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        cases.append(Case(f"{path.parent.name}/{path.name}", FailureKind(path.parent.name), text))
    return cases


def judge(case: Case) -> Outcome:
    """Classify one case and plan the first remedy, as ``safepip install`` would."""
    start = time.perf_counter()
    diagnosis = classify(case.text)
    seconds = time.perf_counter() - start
    decision = plan(diagnosis, (), Context(cache_root=_CACHE_ROOT))
    purges = any(r.action is RemedyAction.PURGE for r in decision.remedies)
    return Outcome(case, diagnosis.kind, decision.again, purges, seconds)


def score(folder: Path) -> Score:
    """Classify every labelled log of ``folder``."""
    return Score([judge(case) for case in load(folder)])
