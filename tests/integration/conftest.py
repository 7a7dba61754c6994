"""Fixtures for tests that drive real pip against the local fault index.

``pip_python`` is parametrised over :data:`PIP_VERSIONS`; a version missing from the wheelhouse is
skipped with a pointer to ``.ci/prepare-pips``. The real index servers (devpi, proxpi in front of
the session's ``upstream`` fault index; pypiserver with htpasswd) start once per session and
stop at its end; a server whose venv ``.ci/prepare-servers`` did not install is skipped with the
reason. Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, TypeVar

import pytest
from support import pips, servers
from support.server_setups import (
    Mirror,
    PrivateIndex,
    devpi_mirror,
    private_index,
    proxpi_mirror,
    upstream_index,
)

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from support.indexserver import FaultIndex

#: The pip versions every integration test runs against (docs/failure-kinds.md §I was checked on these).
PIP_VERSIONS = ("24.0", "26.3")

T = TypeVar("T")


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


# -- real index servers in front of the fault index (tests/support/server_setups.py) --------------


def _entered(stack: contextlib.ExitStack, setup: contextlib.AbstractContextManager[T]) -> T:
    """Start a server set-up, or skip with the reason when its venv is not installed."""
    try:
        return stack.enter_context(setup)
    except servers.ServerMissing as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def upstream() -> Iterator[FaultIndex]:
    """The fault index every mirror of the session fronts (``server_setups.upstream_index``)."""
    with upstream_index() as index:
        yield index


@pytest.fixture(scope="session")
def devpi(upstream: FaultIndex, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mirror]:
    """devpi-server (started once: ~13 s) with the mirror index ``root/upstream`` (1 s expiry)."""
    with contextlib.ExitStack() as stack:
        yield _entered(stack, devpi_mirror(upstream, tmp_path_factory.mktemp("devpi")))


@pytest.fixture(scope="session")
def proxpi(upstream: FaultIndex, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mirror]:
    """proxpi in front of the upstream (project list and pages expire after 1 s)."""
    with contextlib.ExitStack() as stack:
        yield _entered(stack, proxpi_mirror(upstream, tmp_path_factory.mktemp("proxpi")))


@pytest.fixture(params=["devpi", "proxpi"])
def mirror(request: pytest.FixtureRequest) -> Mirror:
    """Each caching mirror in turn."""
    found: Mirror = request.getfixturevalue(request.param)
    return found


@pytest.fixture(scope="session")
def pypiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateIndex]:
    """pypiserver with every action behind htpasswd and no fallback to another index."""
    with contextlib.ExitStack() as stack:
        yield _entered(stack, private_index(tmp_path_factory.mktemp("pypiserver")))
