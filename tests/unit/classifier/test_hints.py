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


USAGE = "Usage:\n  python -m pip install [options] <requirement specifier> ...\n\n"


def test_a_rejected_pip_option_stops_and_says_where_safepip_options_go() -> None:
    """pip's own command-line error is deterministic: no retry, and the hint names the order."""
    for error in (
        "no such option: --attempts",
        "--index-url option requires 1 argument",
        "option --retries: invalid integer value: 'x'",
        "option --progress-bar: invalid choice: 'zz' (choose from 'on', 'off')",
    ):
        diagnosis = classify(USAGE + error + "\n", returncode=2)
        assert diagnosis.kind is FailureKind.INVALID_REQUIREMENT, error
        assert diagnosis.evidence == (error,)
        assert "go before pip's arguments" in diagnosis.hint


def test_an_interpreter_that_does_not_know_dash_m_is_not_a_python() -> None:
    """`--python .venv/bin/pip`: pip's own parser meets `-m`; the hint names the cause."""
    diagnosis = classify(USAGE + "no such option: -m\n", returncode=2)
    assert diagnosis.kind is FailureKind.INVALID_REQUIREMENT
    assert "must name a Python interpreter" in diagnosis.hint


def test_an_option_error_inside_a_build_is_the_builds() -> None:
    """A build tool's own optparse error is build output, not pip rejecting its command line."""
    text = (
        "  error: subprocess-exited-with-error\n"
        "  \u00d7 python setup.py egg_info did not run successfully.\n"
        "  │ exit code: 2\n"
        "  ╰─> [2 lines of output]\n"
        "      usage: setup.py [options]\n"
        "      no such option: --fancy\n"
        "      [end of output]\n"
        "error: metadata-generation-failed\n"
    )
    assert classify(text, returncode=1).kind is FailureKind.BUILD_FAILURE
