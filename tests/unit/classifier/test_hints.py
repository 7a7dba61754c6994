"""Hints name the next step that fits the evidence."""

from __future__ import annotations

from safepip.classifier import classify
from safepip.model import FailureKind


def test_missing_requirements_file_is_not_called_a_conda_artefact() -> None:
    """A missing -r file gets a hint about the file path, not about conda freeze lines."""
    diagnosis = classify(
        "ERROR: Could not open requirements file: [Errno 2] No such file or directory:"
        " 'requirments.txt'\n",
        returncode=1,
    )
    assert diagnosis.kind is FailureKind.LOCAL_PATH_MISSING
    assert "requirements file requirments.txt does not exist" in diagnosis.hint
    assert "conda" not in diagnosis.hint


def test_conda_line_keeps_the_fix_requirements_hint() -> None:
    """A missing conda build path still points to safepip fix-requirements."""
    diagnosis = classify(
        "Processing /tmp/build/80754af9/six_1/work\n"
        "ERROR: Could not install packages due to an OSError: [Errno 2] No such file or"
        " directory: '/tmp/build/80754af9/six_1/work'\n",
        returncode=1,
    )
    assert diagnosis.kind is FailureKind.LOCAL_PATH_MISSING
    assert "fix-requirements" in diagnosis.hint
