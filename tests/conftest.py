"""Shared pytest configuration: the integration gate.

Integration tests drive real pip against a local fault-injecting index; they run only with
``--run-integration`` (as pypa/build gates its own), and CI passes that flag.
"""

from __future__ import annotations

import pytest


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


# --- fakes for the install loop (STYLE.md point 16: fakes, not patches) -------------------------

import dataclasses  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

from safepip.model import PipRun  # noqa: E402

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


@dataclasses.dataclass
class FakeClock:
    """A monotonic clock that only moves when pip 'runs' or safepip 'sleeps'."""

    now: float = 1000.0
    sleeps: list[float] = dataclasses.field(default_factory=list)

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@dataclasses.dataclass
class FakeRunner:
    """Replays scripted pip runs: each item is ``(returncode, log_text)`` or ``(rc, log, secs)``."""

    script: list[tuple[int, str] | tuple[int, str, float]]
    clock: FakeClock
    calls: list[list[str]] = dataclasses.field(default_factory=list)
    timeouts: list[float | None] = dataclasses.field(default_factory=list)

    def __call__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        timeout: float | None,
    ) -> PipRun:
        assert self.script, f"pip run {len(self.calls) + 1} was not scripted: {list(argv)}"
        item = self.script.pop(0)
        returncode, log = item[0], item[1]
        duration = item[2] if len(item) == 3 else 1.0  # type: ignore[misc]
        self.calls.append(list(argv))
        self.timeouts.append(timeout)
        timed_out = timeout is not None and duration > timeout
        if timed_out:
            assert timeout is not None
            duration = timeout
        self.clock.now += duration
        log_path.write_text(log, encoding="utf-8")
        return PipRun(tuple(argv), -15 if timed_out else returncode, log, duration, timed_out)


@dataclasses.dataclass
class FakeCache:
    """Locates the cache at a fixed directory and deletes through the real guarded delete."""

    root: Path | None
    located: int = 0

    def locate(
        self, python: str, *, cache_dir_arg: str | None, no_cache: bool, env: Mapping[str, str]
    ) -> Path | None:
        self.located += 1
        if no_cache:
            return None
        return Path(cache_dir_arg) if cache_dir_arg else self.root

    def delete(self, root: Path, paths: Sequence[str], *, dry_run: bool) -> Sequence[str]:
        from safepip.cache import delete

        return delete(root, paths, dry_run=dry_run).deleted


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# --- the local fault index, shared by tests/integration and tests/test_examples.py ------------

from collections.abc import Callable, Iterable, Iterator  # noqa: E402
from typing import Any  # noqa: E402

from support.indexserver import FaultIndex  # noqa: E402
from support.wheels import build_wheel  # noqa: E402


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
