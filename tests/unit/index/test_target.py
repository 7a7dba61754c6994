"""Tests of safepip.index.target: the target interpreter's markers and tags."""

from __future__ import annotations

from safepip.index.target import TargetEnvironment


def test_target_python_version_survives_local_builds() -> None:
    """A local build's "3.13.0+" still gives 3.13.0 for Requires-Python checks."""
    target = TargetEnvironment(markers=(("python_full_version", "3.13.0+"),), tags=frozenset())
    assert str(target.python_version) == "3.13.0"
    assert str(TargetEnvironment(markers=(), tags=frozenset()).python_version) == "3"
