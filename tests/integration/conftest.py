"""Fixtures for tests that drive real pip against the local fault index.

``pip_python`` is parametrised over :data:`PIP_VERSIONS`; a version missing from the wheelhouse is
skipped with a pointer to ``.ci/prepare-pips``. Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from support import pips

if TYPE_CHECKING:
    from pathlib import Path

#: The pip versions every integration test runs against (docs/failure-kinds.md §I was checked on these).
PIP_VERSIONS = ("24.0", "26.3")


@pytest.fixture(params=PIP_VERSIONS, ids=[f"pip{v}" for v in PIP_VERSIONS])
def pip_version(request: pytest.FixtureRequest) -> str:
    """The pip version under test; skips when the wheelhouse lacks it."""
    version: str = request.param
    if version not in pips.available_pip_versions():
        pytest.skip(f"pip {version} is not in .ci/wheelhouse: run .ci/prepare-pips")
    return version


@pytest.fixture
def pip_python(pip_version: str) -> Path:
    """The interpreter of a cached venv whose ``python -m pip`` is ``pip_version``."""
    return pips.pip_python(pip_version)


@pytest.fixture
def isolated_env() -> dict[str, str]:
    """An environment without ``PIP_*``/``SAFEPIP_*`` and with pip's config files disabled."""
    return pips.isolated_env()


@pytest.fixture
def pip_cache(tmp_path: Path) -> Path:
    """A private, initially empty ``--cache-dir`` for this test."""
    path = tmp_path / "pip-cache"
    path.mkdir()
    return path
