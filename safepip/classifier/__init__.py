"""The classifier: pip's output in, a :class:`~safepip.model.Diagnosis` out, pure.

:func:`classify` (in :mod:`~safepip.classifier.decide`) runs the steps of the other modules:
:mod:`~safepip.classifier.normalize` cleans the lines, :mod:`~safepip.classifier.scan` labels them
with the first matching row of :mod:`~safepip.classifier.rules`, :mod:`~safepip.classifier.refine`
decides by context, :mod:`~safepip.classifier.evidence` extracts the details and
:mod:`~safepip.classifier.hints` words the next step.
"""

from __future__ import annotations

from safepip.classifier.decide import classify

__all__ = ["classify"]
