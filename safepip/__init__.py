"""safepip: a drop-in ``pip install`` that fixes what a retry can fix and explains the rest."""

from __future__ import annotations

# Imported eagerly on purpose: a lazy module ``__getattr__`` cannot keep ``safepip.classify``
# bound to the function once the ``safepip.classify`` submodule is imported (the import system
# rebinds the package attribute to the module).
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
