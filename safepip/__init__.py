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
    from safepip.install import Installer
    from safepip.pipargs import Options
    from safepip.report.hooks import Reporter

__version__ = "0.1.0"


#: The public names loaded on first use (PEP 562): importing ``safepip`` stays cheap, and the
#: classifier's table is compiled only when a failure needs it.
_LAZY = {
    "classify": "safepip.classifier",
    "Installer": "safepip.install",
    "Options": "safepip.pipargs",
    "Reporter": "safepip.report.hooks",
}


def __getattr__(name: str) -> Any:  # noqa: ANN401 - module __getattr__ (PEP 562)
    if name in _LAZY:
        import importlib  # noqa: PLC0415

        return getattr(importlib.import_module(_LAZY[name]), name)
    msg = f"module 'safepip' has no attribute {name!r}"
    raise AttributeError(msg)


__all__ = [
    "Attempt",
    "Diagnosis",
    "FailureKind",
    "InstallResult",
    "Installer",
    "Options",
    "Outcome",
    "PipRun",
    "Remedy",
    "RemedyAction",
    "Reporter",
    "RetryPolicy",
    "__version__",
    "classify",
]
