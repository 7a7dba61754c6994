"""Running ``safepip install`` the way a user does, and reading what it reports.

The integration scenarios run plain pip and safepip with the same arguments and compare the two
:class:`Run` results; a safepip run also carries its ``--report-json`` document. :func:`run_cli`
runs any safepip command with its two output streams apart; :func:`poison_cache` has plain pip
set up the commonest fault, a corrupt download in the cache.
"""

from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from support import pips

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
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
