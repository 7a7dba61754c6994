"""Shared pytest configuration: the integration gate and the hermetic test environment.

Integration tests drive real pip against a local fault-injecting index; they run only with
``--run-integration`` (as pypa/build gates its own), and CI passes that flag.

Every test gets its own ``HOME``, ``XDG_CACHE_HOME``, ``TMPDIR`` and ``PIP_CACHE_DIR``; the run
fails if anything was written to the real user's pip cache or left in the real temp dir
(:mod:`support.hermetic`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from support import hermetic
from support.fakes import FakeClock
from support.indexserver import FaultIndex
from support.wheels import build_wheel

# On a loaded 2-core CI machine any example can take seconds now and then: no per-example
# deadline and no "too slow" health check; a test's own settings (max_examples) still apply.
settings.register_profile("safepip", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("safepip")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-integration",
        action="store_true",
        default=False,
        help="run the tests that drive real pip against a local index on 127.0.0.1",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-integration"):
        return
    skip = pytest.mark.skip(reason="needs --run-integration")
    for item in items:
        if "integration" in item.keywords:
            item.add_marker(skip)


_WATCH = pytest.StashKey[hermetic.Watch]()
_LEAKS = pytest.StashKey[list[str]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    session.config.stash[_WATCH] = hermetic.Watch.start()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    watch = session.config.stash.get(_WATCH, None)
    if watch is None:
        return
    leaks = watch.leaks()
    session.config.stash[_LEAKS] = leaks
    if leaks and exitstatus == pytest.ExitCode.OK:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    leaks = config.stash.get(_LEAKS, [])
    if leaks:
        terminalreporter.section("not hermetic: the run touched the real user's files", red=True)
        for line in leaks:
            terminalreporter.write_line(line)


@pytest.fixture(autouse=True)
def hermetic_dirs(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> dict[str, Path]:
    """Own HOME, XDG_CACHE_HOME, TMPDIR and PIP_CACHE_DIR for every test (support.hermetic)."""
    return hermetic.isolate(monkeypatch, tmp_path_factory.mktemp("hermetic"))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- the local fault index, shared by tests/integration and tests/unit/test_examples.py ------------


@pytest.fixture
def fault_index() -> Iterator[Callable[..., FaultIndex]]:
    """A factory: ``fault_index(files, **options)`` starts a :class:`FaultIndex`, stopped at teardown."""
    started: list[FaultIndex] = []

    def make(files: Iterable[Path | str] = (), **options: Any) -> FaultIndex:
        index = FaultIndex(files, **options)
        started.append(index.start())
        return index

    yield make
    for index in started:
        index.stop()


@pytest.fixture
def demo_dists(tmp_path: Path) -> list[Path]:
    """Wheels for ``demo 1.0`` (requires ``dep``) and ``dep 2.0``, about 150 kB each."""
    dists = tmp_path / "dists"
    return [
        build_wheel(dists, "demo", "1.0", requires=("dep",)),
        build_wheel(dists, "dep", "2.0"),
    ]
