"""The install loop: run pip, classify, plan a remedy, apply it, wait, run again, report.

:mod:`~safepip.install.loop` drives it with every side effect injected;
:mod:`~safepip.install.remedies` is the pure plan; :mod:`~safepip.install.retry` the backoff (the
only tenacity import).
"""

from __future__ import annotations

from safepip.install.loop import Installer

__all__ = ["Installer"]
