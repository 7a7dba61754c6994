"""safepip: a drop-in ``pip install`` that fixes what a retry can fix and explains the rest."""

from __future__ import annotations

#: ``typing`` and the data model cost more than ``safepip --version`` may: mypy reads this as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from safepip.classifier import classify
    from safepip.install.loop import Installer
    from safepip.model import (
        Attempt,
        Diagnosis,
        FailureKind,
        InstallResult,
        Options,
        Outcome,
        PipRun,
        Remedy,
        RemedyAction,
        RetryPolicy,
    )
    from safepip.report.hooks import Reporter

__version__ = "0.1.0"


#: The public names loaded on first use (PEP 562): importing ``safepip`` stays cheap, and the
#: classifier's table is compiled only when a failure needs it.
_LAZY = {
    **dict.fromkeys(
        (
            "Attempt",
            "Diagnosis",
            "FailureKind",
            "InstallResult",
            "Options",
            "Outcome",
            "PipRun",
            "Remedy",
            "RemedyAction",
            "RetryPolicy",
        ),
        "safepip.model",
    ),
    "classify": "safepip.classifier",
    "Installer": "safepip.install.loop",
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
