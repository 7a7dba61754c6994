"""The small public API and the start-up cost of a clean install."""

from __future__ import annotations

import subprocess
import sys


def test_classify_is_the_function_even_after_the_module_is_imported() -> None:
    """`safepip.classify` stays the classifier function whatever was imported before."""
    import safepip
    import safepip.classifier

    assert safepip.classify is safepip.classifier.classify
    diagnosis = safepip.classify("ERROR: Invalid requirement: 'x==='\n", returncode=1)
    assert diagnosis.kind is safepip.FailureKind.INVALID_REQUIREMENT


def test_a_clean_install_does_not_load_the_classifier() -> None:
    """Importing the CLI and the install loop leaves the signature table uncompiled."""
    code = (
        "import sys, safepip.cli, safepip.install, safepip.cireport;"
        "print(*(m in sys.modules for m in"
        " ('safepip.classifier', 'safepip.cache', 'safepip.remedies', 'resolvelib', 'tenacity')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False"] * 5
