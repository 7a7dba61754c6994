"""Fakes for the install loop's injected collaborators: fakes, not patches.

:class:`FakeClock` moves only when pip "runs" or safepip "sleeps"; :class:`FakeRunner` replays
scripted pip runs; :class:`FakeCache` locates a fixed cache and deletes through the real guarded
delete.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import TYPE_CHECKING

from safepip.model import PipRun

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from safepip.cache.received import Received


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
    """Replays scripted pip runs: each item is ``(returncode, text)`` or ``(rc, text, secs)``.

    The text is what pip prints: it goes to the ``--log`` file when the run has one (as pip's
    debug log), else it is the run's console output.
    """

    script: list[tuple[int, str] | tuple[int, str, float]]
    clock: FakeClock
    calls: list[list[str]] = dataclasses.field(default_factory=list)
    timeouts: list[float | None] = dataclasses.field(default_factory=list)

    def __call__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path | None,
        timeout: float | None,
        watch: Callable[[bytes], None] | None = None,
    ) -> PipRun:
        assert self.script, f"pip run {len(self.calls) + 1} was not scripted: {list(argv)}"
        item = self.script.pop(0)
        returncode, log = item[0], item[1]
        duration = item[2] if len(item) == 3 else 1.0
        self.calls.append(list(argv))
        self.timeouts.append(timeout)
        timed_out = timeout is not None and duration > timeout
        if timed_out:
            assert timeout is not None
            duration = timeout
        self.clock.now += duration
        if watch is not None:  # the console output passes by as it would from real pip
            watch(log.encode())
        returncode = -15 if timed_out else returncode
        if log_path is None:
            return PipRun(tuple(argv), returncode, "", duration, timed_out, output=log)
        log_path.write_text(log, encoding="utf-8")
        return PipRun(tuple(argv), returncode, log, duration, timed_out, output=log)


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
        from safepip.install.cacheops import PipCache

        return PipCache().delete(root, paths, dry_run=dry_run)

    def received(self, root: Path, url: str, sha256: str) -> Received | None:
        from safepip.install.cacheops import PipCache

        return PipCache().received(root, url, sha256)
