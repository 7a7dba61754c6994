"""Fixtures for tests that drive real pip against the local fault index.

``pip_python`` is parametrised over :data:`PIP_VERSIONS`; a version missing from the wheelhouse is
skipped with a pointer to ``.ci/prepare-pips``. The real index servers (devpi, proxpi in front of
the session's ``upstream`` fault index; pypiserver with htpasswd) start once per session and
stop at its end; a server whose venv ``.ci/prepare-servers`` did not install is skipped with the
reason. Nothing here reaches beyond 127.0.0.1.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

import pytest
from support import pips, servers
from support.indexserver import FaultIndex
from support.wheels import build_wheel

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: The pip versions every integration test runs against (docs/failure-kinds.md §I was checked on these).
PIP_VERSIONS = ("24.0", "26.3")

#: proxpi's ``PROXPI_INDEX_TTL`` in the tests: a project added upstream shows after this long.
PROXPI_TTL = 1


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


# -- real index servers in front of the fault index (tests/support/servers.py) ---------------------


@dataclass(frozen=True)
class Mirror:
    """A caching mirror server in front of the session's upstream fault index.

    Attributes:
        kind: ``devpi`` or ``proxpi``.
        url: the ``--index-url`` pip uses.
        server: the running process.
        upstream: the fault index it mirrors (program faults on it; add projects to it).
    """

    kind: str
    url: str
    server: servers.Server
    upstream: FaultIndex


@dataclass(frozen=True)
class PrivateIndex:
    """pypiserver serving ``private-pkg 1.0`` only to ``user``:``password`` (htpasswd)."""

    url: str
    host: str
    user: str
    password: str
    server: servers.Server


def _started(start: Callable[[], servers.ServerT]) -> servers.ServerT:
    """Start a server, or skip with the reason when its venv is not installed."""
    try:
        return start()
    except servers.ServerMissing as missing:
        pytest.skip(str(missing))


@pytest.fixture(scope="session")
def upstream() -> Iterator[FaultIndex]:
    """The fault index every mirror of the session fronts; each test adds its own projects.

    Plain headers (no ETag, no Cache-Control; Content-Length kept): devpi 6.20.3 revalidates
    its project list with If-None-Match and, on a 304, keeps serving a project it never
    fetched as an empty page (measured: for good), which would hide every other scenario.
    """
    with FaultIndex(pypi_like=False, content_length=True) as index:
        yield index


@pytest.fixture(scope="session")
def devpi(upstream: FaultIndex, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mirror]:
    """devpi-server (started once: ~13 s) with the mirror index ``root/upstream`` (1 s expiry)."""
    server = _started(lambda: servers.start_devpi(tmp_path_factory.mktemp("devpi")))
    try:
        url = server.add_mirror("upstream", upstream.url, cache_expiry=1)
        yield Mirror("devpi", url, server, upstream)
    finally:
        server.stop()


@pytest.fixture(scope="session")
def proxpi(upstream: FaultIndex, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mirror]:
    """proxpi in front of the upstream (project list and pages expire after 1 s).

    It waits for the upstream as long as devpi does.
    """
    work = tmp_path_factory.mktemp("proxpi")
    server = _started(
        lambda: servers.start_proxpi(
            work,
            upstream.url,
            PROXPI_INDEX_TTL=str(PROXPI_TTL),
            PROXPI_CONNECT_TIMEOUT=str(servers.DEVPI_REQUEST_TIMEOUT),
            PROXPI_READ_TIMEOUT=str(servers.DEVPI_REQUEST_TIMEOUT),
        )
    )
    try:
        yield Mirror("proxpi", f"{server.base_url}/index/", server, upstream)
    finally:
        server.stop()


@pytest.fixture(params=["devpi", "proxpi"])
def mirror(request: pytest.FixtureRequest) -> Mirror:
    """Each caching mirror in turn."""
    found: Mirror = request.getfixturevalue(request.param)
    return found


@pytest.fixture(scope="session")
def pypiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateIndex]:
    """pypiserver with every action behind htpasswd and no fallback to another index."""
    work = tmp_path_factory.mktemp("pypiserver")
    packages = work / "packages"
    build_wheel(packages, "private-pkg", "1.0", size_kb=20)
    user, password = "ci-reader", "s3cret-Tok3n"

    def start() -> servers.Server:
        htpasswd = work / "htpasswd"
        servers.write_htpasswd(htpasswd, user, password)
        return servers.start_pypiserver(work, packages, htpasswd)

    server = _started(start)
    try:
        yield PrivateIndex(f"{server.base_url}/simple/", "127.0.0.1", user, password, server)
    finally:
        server.stop()
