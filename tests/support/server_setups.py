"""The real index servers as the scenarios of issue 16 need them, as context managers.

:func:`devpi_mirror` and :func:`proxpi_mirror` put a caching :class:`Mirror` in front of an
upstream fault index (its project lists expire after :data:`MIRROR_EXPIRY` seconds, so each
scenario publishes projects of its own); :func:`private_index` runs pypiserver with one private
package, behind htpasswd or open. The integration fixtures (``tests/integration/conftest.py``)
and ``benchmarks/bench_servers.py`` both use them; the starters are in ``support/servers.py``,
and a missing server raises its :class:`~support.servers.ServerMissing` on entry.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING

from support.indexserver import FaultIndex
from support.servers import (
    DEVPI_REQUEST_TIMEOUT,
    Server,
    start_devpi,
    start_proxpi,
    start_pypiserver,
    write_htpasswd,
)
from support.wheels import build_wheel

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

#: Seconds a mirror keeps a project list (devpi's ``mirror_cache_expiry``, proxpi's TTL).
MIRROR_EXPIRY = 1
#: Seconds after publishing until both mirrors list a new project.
SETTLE = 1.3


def upstream_index() -> FaultIndex:
    """The fault index the mirrors front (not started); each scenario adds its own projects.

    Plain headers (no ETag, no Cache-Control; Content-Length kept): devpi 6.20.3 revalidates
    its project list with If-None-Match and, on a 304, keeps serving a project it never
    fetched as an empty page (measured: for good), which would hide every other scenario.
    """
    return FaultIndex(pypi_like=False, content_length=True)


@dataclass(frozen=True)
class Mirror:
    """A caching mirror server in front of an upstream fault index.

    Attributes:
        kind: ``devpi`` or ``proxpi``.
        url: the ``--index-url`` pip uses.
        server: the running process.
        upstream: the fault index it mirrors (program faults on it; add projects to it).
    """

    kind: str
    url: str
    server: Server
    upstream: FaultIndex

    def publish(
        self, tmp: Path, *stems: str, requires: tuple[str, ...] = (), hashes: bool = True
    ) -> list[str]:
        """Put one new project per stem on the upstream; wait until the mirror lists them.

        Each name is the stem and a random suffix, so no server cache carries over.

        Args:
            tmp: where the wheels are built.
            stems: readable name parts.
            requires: ``Requires-Dist`` of each project.
            hashes: whether the upstream's links carry ``#sha256=``.

        Returns:
            The project names, in order.
        """
        names = []
        for stem in stems:
            name = f"{stem}-{uuid.uuid4().hex[:8]}"
            dists = tmp / "dists"
            self.upstream.add(build_wheel(dists, name, "1.0", requires=requires, size_kb=60))
            if not hashes:
                self.upstream.unhashed.add(name)
            names.append(name)
        time.sleep(SETTLE)
        return names


@contextlib.contextmanager
def devpi_mirror(upstream: FaultIndex, workdir: Path) -> Iterator[Mirror]:
    """devpi-server (~13 s to start) with the mirror index ``root/upstream`` of ``upstream``."""
    server = start_devpi(workdir)
    try:
        url = server.add_mirror("upstream", upstream.url, cache_expiry=MIRROR_EXPIRY)
        yield Mirror("devpi", url, server, upstream)
    finally:
        server.stop()


@contextlib.contextmanager
def proxpi_mirror(upstream: FaultIndex, workdir: Path) -> Iterator[Mirror]:
    """proxpi in front of ``upstream``; it waits for the upstream as long as devpi does."""
    timeout = str(DEVPI_REQUEST_TIMEOUT)
    server = start_proxpi(
        workdir,
        upstream.url,
        PROXPI_INDEX_TTL=str(MIRROR_EXPIRY),
        PROXPI_CONNECT_TIMEOUT=timeout,
        PROXPI_READ_TIMEOUT=timeout,
    )
    try:
        yield Mirror("proxpi", f"{server.base_url}/index/", server, upstream)
    finally:
        server.stop()


@dataclass(frozen=True)
class PrivateIndex:
    """pypiserver serving ``private-pkg 1.0``, to ``user``:``password`` only if ``auth``."""

    url: str
    host: str
    user: str
    password: str
    server: Server
    auth: bool = True

    def url_with(self, password: str | None = None) -> str:
        """The index URL with ``user`` and ``password`` (the right one when None) in it."""
        scheme, rest = self.url.split("://", 1)
        return f"{scheme}://{self.user}:{self.password if password is None else password}@{rest}"

    def write_netrc(self, home: Path) -> None:
        """Write ``home/.netrc`` (mode 0600) with the right credentials for the index host."""
        netrc = home / ".netrc"
        netrc.write_text(
            f"machine {self.host} login {self.user} password {self.password}\n", encoding="utf-8"
        )
        netrc.chmod(0o600)


@contextlib.contextmanager
def private_index(workdir: Path, *, auth: bool = True) -> Iterator[PrivateIndex]:
    """pypiserver (no fallback) with ``private-pkg``; every action behind htpasswd if ``auth``."""
    packages = workdir / "packages"
    build_wheel(packages, "private-pkg", "1.0", size_kb=20)
    user, password = "ci-reader", "s3cret-Tok3n"
    htpasswd = workdir / "htpasswd" if auth else None
    if htpasswd is not None:
        write_htpasswd(htpasswd, user, password)
    server = start_pypiserver(workdir, packages, htpasswd)
    try:
        yield PrivateIndex(f"{server.base_url}/simple/", "127.0.0.1", user, password, server, auth)
    finally:
        server.stop()
