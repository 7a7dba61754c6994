"""safepip: a drop-in ``pip install`` that fixes what a retry can fix and explains the rest."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from safepip.classifier import classify

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:  # noqa: ANN401 - module __getattr__ (PEP 562)
    # The classifier compiles its signature table when imported; a clean `safepip install`
    # never needs it, so `safepip.classify` loads it on first use. The module is named
    # `classifier` so that importing it cannot rebind `safepip.classify` to a module.
    if name == "classify":
        from safepip.classifier import classify  # noqa: PLC0415

        return classify
    msg = f"module 'safepip' has no attribute {name!r}"
    raise AttributeError(msg)

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
