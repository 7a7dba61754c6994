"""Tests of safepip.index.target: the target interpreter's markers and tags."""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import pytest

from safepip.index.target import TargetEnvironment, probe_target, same_interpreter

if TYPE_CHECKING:
    from pathlib import Path


def test_target_python_version_survives_local_builds() -> None:
    """A local build's "3.13.0+" still gives 3.13.0 for Requires-Python checks."""
    target = TargetEnvironment(markers=(("python_full_version", "3.13.0+"),), tags=frozenset())
    assert str(target.python_version) == "3.13.0"
    assert str(TargetEnvironment(markers=(), tags=frozenset()).python_version) == "3"


def _wrapper(tmp_path: Path) -> Path:
    """A different file that runs this interpreter (so the probe must start it)."""
    script = tmp_path / "wrapped-python"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "$@"\n')
    script.chmod(0o755)
    return script


def test_the_binary_running_safepip_is_recognised_through_links_and_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    link = tmp_path / "bin" / "python"
    link.parent.mkdir()
    link.symlink_to(sys.executable)
    assert same_interpreter(sys.executable)
    assert same_interpreter(str(link))  # a venv's bin/python
    assert not same_interpreter(str(_wrapper(tmp_path)))
    assert not same_interpreter(str(tmp_path / "missing"))
    monkeypatch.setenv("PATH", str(link.parent))
    assert same_interpreter("python")
    assert not same_interpreter("no-such-python")


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell wrapper")
def test_reading_the_running_interpreter_matches_asking_it(tmp_path: Path) -> None:
    """The markers read in-process are those the interpreter reports when it is started."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    asked = probe_target(str(_wrapper(tmp_path)), env)
    read = probe_target(sys.executable, env)
    assert asked is not None
    assert read is not None
    assert read.markers == asked.markers
    assert read.tags & asked.tags
