"""The small public API and the start-up cost of a clean install."""

from __future__ import annotations

import subprocess
import sys

import pytest

import safepip


def test_classify_is_the_function_even_after_the_module_is_imported() -> None:
    """`safepip.classify` stays the classifier function whatever was imported before."""
    import safepip
    import safepip.classifier.decide

    assert safepip.classify is safepip.classifier.decide.classify
    diagnosis = safepip.classify("ERROR: Invalid requirement: 'x==='\n", returncode=1)
    assert diagnosis.kind is safepip.FailureKind.INVALID_REQUIREMENT


def test_a_clean_install_does_not_load_the_classifier() -> None:
    """Importing the CLI and the install loop leaves the signature table uncompiled."""
    code = (
        "import sys, safepip.cli, safepip.install.loop, safepip.report.ci;"
        "print(*(m in sys.modules for m in"
        " ('safepip.classifier', 'safepip.cache', 'safepip.install.remedies',"
        " 'resolvelib', 'tenacity', 'safepip.report.redact', 'safepip.files', 'random')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.split() == ["False"] * 8


def test_a_clean_install_runs_pip_before_loading_anything_heavy() -> None:
    """A successful `safepip install` loads the option parser and the runner, nothing else.

    ``/bin/true`` stands in for the interpreter: ``true -m pip install ...`` succeeds. The
    modules listed cost pip-visible start-up time (benchmarks/bench_overhead.py).
    """
    heavy = (
        "typing",
        "dataclasses",
        "subprocess",
        "threading",
        "pathlib",
        "safepip.model",
        "safepip.install.loop",
        "safepip.classifier",
        "safepip.cache",
        "safepip.report.text",
    )
    code = (
        "import sys; before = set(sys.modules); from safepip.cli import main;"
        " status = main(['install', '--python', '/bin/true', 'demo']);"
        f"print(status, [m for m in {heavy!r} if m in sys.modules and m not in before])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[-1] == "0 []"


def test_version_imports_nothing_heavy() -> None:
    """`safepip --version` loads neither typing, enum (signal), dataclasses nor the data model.

    These are most of the start-up cost; benchmarks/bench_overhead.py times it against python.
    """
    heavy = ("typing", "enum", "signal", "dataclasses", "traceback", "safepip.model")
    code = (
        "import sys; before = set(sys.modules); from safepip.cli import main; main(['--version']);"
        f"print([m for m in {heavy!r} if m in sys.modules and m not in before])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.splitlines()[0].startswith("safepip ")
    assert out.splitlines()[-1] == "[]"


def test_the_public_names_resolve_to_their_modules() -> None:
    """Every name in ``safepip.__all__`` resolves, the lazy ones to the objects of their modules."""
    from safepip.install.loop import Installer
    from safepip.model import Options
    from safepip.report.hooks import Reporter

    for name in safepip.__all__:
        assert getattr(safepip, name) is not None
    assert safepip.Installer is Installer
    assert safepip.Options is Options
    assert safepip.Reporter is Reporter
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        _ = safepip.nope
