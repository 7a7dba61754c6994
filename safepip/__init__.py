"""safepip: a drop-in ``pip install`` that fixes what a retry can fix and explains the rest."""

from __future__ import annotations

from safepip.classify import classify
from safepip.model import (
    Attempt,
    Diagnosis,
    FailureKind,
    InstallResult,
    Outcome,
    PipRun,
    Remedy,
    RemedyAction,
    RetryPolicy,
)

__version__ = "0.1.0"

__all__ = [
    "Attempt",
    "Diagnosis",
    "FailureKind",
    "InstallResult",
    "Outcome",
    "PipRun",
    "Remedy",
    "RemedyAction",
    "RetryPolicy",
    "__version__",
    "classify",
]
