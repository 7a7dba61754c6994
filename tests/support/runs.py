"""Running ``safepip install`` the way a user does, and reading what it reports.

The integration scenarios run plain pip and safepip with the same arguments and compare the two
:class:`Run` results; a safepip run also carries its ``--report-json`` document. A
:class:`Client` runs both the same way, each run on a fresh cache and target (the index-server
tests and ``benchmarks/bench_servers.py``); :func:`concurrently` runs several at once. :func:`run_cli`
runs any safepip command with its two output streams apart; :func:`poison_cache` has plain pip
set up the commonest fault, a corrupt download in the cache.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from support import pips

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path

    from support.indexserver import FaultIndex


@dataclass(frozen=True)
class Run:
    """One finished process: exit status, merged output, wall time and (safepip) its report."""

    returncode: int
    output: str
    duration: float
    report: dict[str, Any] | None = None

    @classmethod
    def of(cls, result: pips.PipResult, report: Path | None = None) -> Run:
        """A finished process, with the JSON report at ``report`` when it was written."""
        document = None
        if report is not None and report.is_file():
            document = json.loads(report.read_text("utf-8"))
        return cls(result.returncode, result.output, result.duration, document)

    @property
    def attempts(self) -> list[dict[str, Any]]:
        """The report's attempts (safepip runs only)."""
        assert self.report is not None, self.output
        attempts: list[dict[str, Any]] = self.report["attempts"]
        return attempts

    @property
    def kinds(self) -> list[str]:
        """The diagnosed kind of every failed attempt, in order."""
        return [a["diagnosis"]["kind"] for a in self.attempts if a["diagnosis"]]

    @property
    def decided(self) -> list[str]:
        """The kinds that decided something.

        A bare not-found of an attempt without ``--log`` decides nothing: it only sends the next
        attempt to pip's debug lines.
        """
        return [
            a["diagnosis"]["kind"]
            for a in self.attempts
            if a["diagnosis"] and ("--log" in a["args"] or a["diagnosis"]["kind"] != "not-found")
        ]

    @property
    def deleted(self) -> set[str]:
        """Every path safepip deleted, over all attempts."""
        return {path for attempt in self.attempts for path in attempt["deleted"]}

    def summary(self) -> str:
        """``rc=N, A attempts (kinds), T s`` for a scenario line."""
        if self.report is None:
            return f"rc={self.returncode}, {self.duration:.1f} s"
        kinds = ",".join(self.kinds) or "-"
        return (
            f"rc={self.returncode} {self.report['outcome']}, {len(self.attempts)} attempt(s)"
            f" [{kinds}], {self.duration:.1f} s"
        )


def install_args(
    python: Path, report: Path, args: Sequence[str], *, bounds: Sequence[str] = ()
) -> list[str]:
    """``install --python PYTHON BOUNDS --report-json REPORT ARGS``: safepip's arguments.

    Args:
        python: the interpreter whose pip safepip drives.
        report: where safepip writes its JSON report.
        args: safepip options and pip arguments, after the report.
        bounds: safepip's backoff, wait and budget options for the scenario.
    """
    return ["install", "--python", str(python), *bounds, "--report-json", str(report), *args]


def safepip_argv(
    python: Path, report: Path, args: Sequence[str], *, bounds: Sequence[str] = ()
) -> list[str]:
    """``python -m safepip`` with :func:`install_args`."""
    return [sys.executable, "-m", "safepip", *install_args(python, report, args, bounds=bounds)]


def run_safepip(
    argv: Sequence[str], *, report: Path, env: Mapping[str, str], cwd: Path, timeout: float
) -> Run:
    """Run a :func:`safepip_argv` command (output merged, no stdin) and read its report."""
    return Run.of(pips.run_merged(argv, env=env, cwd=cwd, timeout=timeout), report)


class Client:
    """Runs plain pip and safepip the same way, each run with a fresh cache and target.

    Every run gets :func:`support.pips.common_args` (``--no-input``, ``--trusted-host
    127.0.0.1``, pip's ``--retries``/``--timeout``) with a new ``--cache-dir`` and ``--target``
    under ``tmp``.

    Attributes:
        python: the interpreter whose pip runs (and which safepip drives).
        version: its pip version.
        tmp: the scratch directory.
        bounds: safepip's backoff, wait and budget options.
        env: the environment of every run; :func:`support.pips.isolated_env` when None.
        retries: pip's ``--retries``.
        timeout: pip's ``--timeout``.
        run_timeout: seconds before a run is killed.
    """

    def __init__(
        self,
        python: Path,
        version: str,
        tmp: Path,
        *,
        bounds: Sequence[str] = (),
        env: Mapping[str, str] | None = None,
        retries: int = 1,
        timeout: float = 6,
        run_timeout: float = 150,
    ) -> None:
        """Bind the interpreter under test, a scratch directory and the run options."""
        self.python = python
        self.version = version
        self.tmp = tmp
        self.bounds = tuple(bounds)
        self.env = env
        self.retries = retries
        self.timeout = timeout
        self.run_timeout = run_timeout
        self._numbers = itertools.count(1)

    def fresh(self, stem: str) -> Path:
        """A new, not yet existing path under the scratch directory."""
        return self.tmp / f"{stem}-{next(self._numbers)}"

    def args(self, url: str, *more: str) -> list[str]:
        """The pip arguments of one run (its own cache and target)."""
        cache, target = self.fresh("cache"), self.fresh("target")
        common = pips.common_args(url, cache, retries=self.retries, timeout=self.timeout)
        return [*common, "--target", str(target), *more]

    def pip(self, url: str, *more: str, cache: Path | None = None) -> Run:
        """Plain ``python -m pip install <args>`` (on ``cache`` when given, else a fresh one)."""
        args = self.args(url, *more)
        if cache is not None:
            args[args.index("--cache-dir") + 1] = str(cache)
        env = self.env if self.env is not None else pips.isolated_env()
        result = pips.run_pip(self.python, ["install", *args], env=env, timeout=self.run_timeout)
        return Run.of(result)

    def safepip_argv(self, url: str, *more: str, report: Path) -> list[str]:
        """``python -m safepip install --python <pip under test> ...`` with a JSON report."""
        return safepip_argv(self.python, report, self.args(url, *more), bounds=self.bounds)

    def safepip(self, url: str, *more: str) -> Run:
        """Run safepip once and read its report."""
        report = self.fresh("report").with_suffix(".json")
        argv = self.safepip_argv(url, *more, report=report)
        env = self.env if self.env is not None else pips.isolated_env()
        return run_safepip(argv, report=report, env=env, cwd=self.tmp, timeout=self.run_timeout)

    def both(self, url: str, plain: str, safe: str, scenario: str, *more: str) -> tuple[Run, Run]:
        """Plain pip on project ``plain``, safepip on ``safe``; prints the scenario line."""
        pip_run = self.pip(url, *more, plain)
        safe_run = self.safepip(url, *more, safe)
        print(
            f"SCENARIO {scenario} pip {self.version}: pip {pip_run.summary()};"
            f" safepip {safe_run.summary()}"
        )
        return pip_run, safe_run


def concurrently(start: Callable[[], Run], count: int, *, timeout: float) -> list[Run]:
    """Run ``start`` in ``count`` threads at once; their runs, in thread order.

    Raises:
        RuntimeError: a run did not finish within ``timeout`` seconds of the join.
    """
    runs: list[Run | None] = [None] * count

    def one(i: int) -> None:
        runs[i] = start()

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    finished = [run for run in runs if run is not None]
    if len(finished) != count:
        raise RuntimeError(f"{count - len(finished)} of {count} concurrent runs did not finish")
    return finished


def run_cli(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float = 120,
    stdin: int | IO[bytes] = subprocess.DEVNULL,
) -> subprocess.CompletedProcess[str]:
    """``python -m safepip ARGS`` with stdout and stderr kept apart.

    Under a timeout: a hang fails the test instead of the run. Standard input is /dev/null
    unless given.
    """
    return subprocess.run(
        [sys.executable, "-m", "safepip", *args],
        env=dict(env),
        cwd=cwd,
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def poison_cache(
    python: Path,
    index: FaultIndex,
    cache: Path,
    work: Path,
    *,
    wheel: str,
    env: Mapping[str, str] | None = None,
) -> pips.PipResult:
    """Have plain pip cache a corrupt download of ``wheel``: every later plain pip then fails.

    The index corrupts the file once; plain pip fails on its hash, and the next run fails on
    the same bytes "Using cached" (docs/failure-kinds.md §I). The project of ``wheel`` is
    installed by name, each run into a ``--target`` of its own under ``work``.

    Args:
        python: the interpreter whose pip runs.
        index: the fault index serving ``/files/<wheel>``.
        cache: the ``--cache-dir`` to poison.
        work: where the two targets go.
        wheel: the file name of the wheel.
        env: the environment; :func:`support.pips.isolated_env` when None.

    Returns:
        The second (cached) run.
    """
    index.corrupt(f"/files/{wheel}", times=1)
    project = wheel.split("-", 1)[0]
    for number in (1, 2):
        target = work / f"poisoned-{number}"
        args = ["install", *pips.common_args(index.url, cache, timeout=3), "--target", str(target)]
        result = pips.run_pip(python, [*args, project], env=env)
        assert result.returncode == 1, result.output
        assert pips.HASH_BLOCK in result.output, result.output
    assert "Using cached" in result.output, result.output
    return result
