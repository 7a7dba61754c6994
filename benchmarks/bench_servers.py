"""Plain pip and safepip behind real index servers, scenario by scenario (issue 16).

Every scenario of ``tests/integration/test_servers_real.py``, built the same way (the set-ups
of ``tests/support/server_setups.py``: devpi-server and proxpi mirroring a fault index on
127.0.0.1, pypiserver with a private package), run once with plain ``python -m pip install`` and
once with ``python -m safepip install --python <same python>``, each on a project of its own so
that no server cache carries over:

- healthy (devpi, proxpi, pypiserver without credentials);
- upstream 503 x4, endless 503, upstream stall (5 s, twice; the mirror waits 3 s), corrupt
  upstream file with and without link hashes (devpi, proxpi);
- a cold devpi mirror with 8 concurrent installs (successes out of 8 for each tool);
- pypiserver behind htpasswd: right, wrong and no credentials, credentials from ``~/.netrc``;
- nothing listening (connection refused).

The table, one per pip: plain pip's outcome (exit status) and wall time; safepip's outcome
(success, recovered, failed, gave-up, from its ``--report-json``), its attempts, the kind (and
cause) of its last failed attempt and its wall time. pip runs with the integration tests'
``--retries 1 --timeout 6`` (the fault counts are made for them: pip's default 5 retries ride
out the 503 burst and the stall by themselves; ``--pip-retries 5 --pip-timeout 15`` shows that),
safepip with its own defaults (attempts, backoff, waits: what a user gets).

    .venv/bin/python benchmarks/bench_servers.py [--pip 26.3 --pip 24.0] [--only TEXT ...]
        [--repeat N] [--pip-retries N] [--pip-timeout S]

``--only`` keeps the scenarios whose name contains the text; ``--repeat N`` runs each scenario
N times and shows the run of median wall time (with the spread of outcomes when they differ).
A server whose venv ``.ci/prepare-servers`` did not install (``.ci/venvs/servers-NAME``) is
skipped with a note; servers start only when a chosen scenario needs them (devpi takes ~13 s).

Hermetic: every pip and safepip run has a private HOME, XDG_CACHE_HOME, TMPDIR and
``--cache-dir``, ``PIP_CONFIG_FILE=os.devnull`` and no inherited ``PIP_*``/``SAFEPIP_*``; the
servers have homes of their own; everything lives in one temporary directory removed at the end,
and talks to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import compileall
import contextlib
import functools
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support import pips
from support.runs import Client, Run, concurrently
from support.server_setups import (
    Mirror,
    PrivateIndex,
    devpi_mirror,
    private_index,
    proxpi_mirror,
    upstream_index,
)
from support.servers import DEVPI_REQUEST_TIMEOUT, ServerMissing, free_port

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from support.indexserver import FaultIndex

RUN_TIMEOUT = 300
CONCURRENCY = 8
#: What a scenario gives back: plain pip's runs and safepip's runs (8 each when concurrent).
Runs = tuple[list[Run], list[Run]]
SetupT = TypeVar("SetupT", Mirror, PrivateIndex)


class Skipped(Exception):
    """A server the scenario needs is not installed or did not start."""


@dataclass
class Lab:
    """The servers (started on first use, stopped at the end) and the scratch directory."""

    work: Path
    stack: contextlib.ExitStack[bool | None]
    upstream: FaultIndex
    mirrors: dict[str, Mirror] = field(default_factory=dict)
    privates: dict[str, PrivateIndex] = field(default_factory=dict)
    broken: dict[str, str] = field(default_factory=dict)

    def _setup(
        self,
        key: str,
        make: Callable[[Path], contextlib.AbstractContextManager[SetupT]],
        started: dict[str, SetupT],
    ) -> SetupT:
        if key in self.broken:
            raise Skipped(self.broken[key])
        if key not in started:
            try:
                started[key] = self.stack.enter_context(make(self.work / key))
            except ServerMissing as missing:
                self.broken[key] = str(missing)
                raise Skipped(str(missing)) from None
            except RuntimeError as failed:
                self.broken[key] = f"{key} did not start: {str(failed).splitlines()[0]}"
                raise Skipped(self.broken[key]) from None
        return started[key]

    def mirror(self, kind: str) -> Mirror:
        """The devpi or proxpi mirror of the upstream."""
        setups = {"devpi": devpi_mirror, "proxpi": proxpi_mirror}
        return self._setup(kind, functools.partial(setups[kind], self.upstream), self.mirrors)

    def private(self, *, auth: bool) -> PrivateIndex:
        """pypiserver with ``private-pkg``, behind htpasswd when ``auth``."""
        key = "pypiserver" if auth else "pypiserver-open"
        return self._setup(key, functools.partial(private_index, auth=auth), self.privates)


# -- the scenarios ----------------------------------------------------------------------------


def _one_each(client: Client, url: str, plain: str, safe: str) -> Runs:
    return [client.pip(url, plain)], [client.safepip(url, safe)]


def _upstream_fault(
    kind: str, program: Callable[[FaultIndex, str], object], lab: Lab, client: Client
) -> Runs:
    """Two new projects on the upstream, the fault programmed for each; one per tool."""
    mirror = lab.mirror(kind)
    plain, safe = mirror.publish(client.tmp, f"{kind}-a", f"{kind}-b")
    for name in (plain, safe):
        program(mirror.upstream, name)
    return _one_each(client, mirror.url, plain, safe)


def _files(name: str) -> str:
    return f"/files/{name.replace('-', '_')}-*"


def _healthy(upstream: FaultIndex, name: str) -> None:
    del upstream, name


def _burst(upstream: FaultIndex, name: str) -> None:
    upstream.fail(f"/simple/{name}*", status=503, times=4)


def _endless(upstream: FaultIndex, name: str) -> None:
    upstream.fail(f"/simple/{name}*", status=503, times=10_000)


def _stall(upstream: FaultIndex, name: str) -> None:
    upstream.stall(f"/simple/{name}*", DEVPI_REQUEST_TIMEOUT + 2, times=2)


def _corrupt(upstream: FaultIndex, name: str) -> None:
    upstream.corrupt(_files(name), times=10_000)


def _corrupt_no_hash(kind: str, lab: Lab, client: Client) -> Runs:
    """No hash anywhere: a broken wheel with a healthy dependency fails at install."""
    mirror = lab.mirror(kind)
    dep_a, dep_b = mirror.publish(client.tmp, "okdep-a", "okdep-b", hashes=False)
    (plain,) = mirror.publish(client.tmp, "broken-a", requires=(dep_a,), hashes=False)
    (safe,) = mirror.publish(client.tmp, "broken-b", requires=(dep_b,), hashes=False)
    for name in (plain, safe):
        _corrupt(mirror.upstream, name)
    return _one_each(client, mirror.url, plain, safe)


def _cold_devpi(lab: Lab, client: Client) -> Runs:
    """8 installs at once on a cold devpi mirror whose upstream takes 1 s for the page."""
    mirror = lab.mirror("devpi")
    plain, safe = mirror.publish(client.tmp, "cold-a", "cold-b")
    for name in (plain, safe):
        mirror.upstream.stall(f"/simple/{name}*", 1.0, times=1)
    join = RUN_TIMEOUT + 10
    return (
        concurrently(lambda: client.pip(mirror.url, plain), CONCURRENCY, timeout=join),
        concurrently(lambda: client.safepip(mirror.url, safe), CONCURRENCY, timeout=join),
    )


def _pypiserver(credentials: str, lab: Lab, client: Client) -> Runs:
    index = lab.private(auth=credentials != "open")
    url = {
        "right": index.url_with(),
        "wrong": index.url_with("wrong-Passw0rd"),
    }.get(credentials, index.url)
    if credentials == "netrc":  # a client of its own: its HOME has the .netrc
        tmp = client.fresh("netrc")
        tmp.mkdir()
        env = pips.private_env(tmp / "env")
        index.write_netrc(Path(env["HOME"]))
        client = _client(
            client.python, client.version, tmp, env, retries=client.retries, timeout=client.timeout
        )
    return _one_each(client, url, "private-pkg", "private-pkg")


def _nothing_listening(lab: Lab, client: Client) -> Runs:
    del lab
    url = f"http://127.0.0.1:{free_port()}/simple/"
    return _one_each(client, url, "anything", "anything")


@dataclass(frozen=True)
class Scenario:
    """A named scenario: ``run`` sets it up and runs both tools."""

    name: str
    run: Callable[[Lab, Client], Runs]


def _scenarios() -> list[Scenario]:
    mirrors = ("devpi", "proxpi")
    faults: list[tuple[str, Callable[[FaultIndex, str], object]]] = [
        ("upstream 503 x4", _burst),
        ("endless 503", _endless),
        ("upstream stall", _stall),
        ("corrupt file, hashed", _corrupt),
    ]
    found = [
        Scenario(f"{kind} healthy", functools.partial(_upstream_fault, kind, _healthy))
        for kind in mirrors
    ]
    found.append(Scenario("pypiserver healthy", functools.partial(_pypiserver, "open")))
    for name, program in faults:
        found += [
            Scenario(f"{kind} {name}", functools.partial(_upstream_fault, kind, program))
            for kind in mirrors
        ]
    found += [
        Scenario(f"{kind} corrupt file, no hash", functools.partial(_corrupt_no_hash, kind))
        for kind in mirrors
    ]
    found.append(Scenario(f"devpi cold mirror x{CONCURRENCY}", _cold_devpi))
    found += [
        Scenario(f"pypiserver {how}", functools.partial(_pypiserver, key))
        for how, key in [
            ("right credentials", "right"),
            ("wrong credentials", "wrong"),
            ("no credentials", "none"),
            ("netrc", "netrc"),
        ]
    ]
    found.append(Scenario("nothing listening", _nothing_listening))
    return found


SCENARIOS = _scenarios()


# -- cells of the table -----------------------------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One tool's result in one scenario (one repetition)."""

    outcome: str
    wall: float
    attempts: str = ""
    last: str = ""


def _last_failure(run: Run) -> str:
    failed = [a["diagnosis"] for a in run.attempts if a["diagnosis"]]
    if not failed:
        return "-"
    cause = failed[-1].get("cause")
    return str(failed[-1]["kind"]) + (f" ({cause})" if cause else "")


def pip_cell(runs: list[Run]) -> Cell:
    """Plain pip: its exit status; for concurrent runs, how many of them succeeded."""
    wall = max(run.duration for run in runs)
    if len(runs) > 1:
        return Cell(f"{sum(run.returncode == 0 for run in runs)}/{len(runs)} ok", wall)
    code = runs[0].returncode
    return Cell(f"{'ok' if code == 0 else 'failed'} (exit {code})", wall)


def safepip_cell(runs: list[Run]) -> Cell:
    """safepip: its reported outcome, attempts and last failure (concurrent: ok out of N)."""
    wall = max(run.duration for run in runs)
    reported = [run for run in runs if run.report is not None]
    attempts = sorted(len(run.attempts) for run in reported)
    kinds = sorted({_last_failure(run) for run in reported} - {"-"}) or ["-"]
    if len(runs) > 1:
        spread = f"{attempts[0]}-{attempts[-1]}" if attempts else "?"
        ok = sum(run.returncode == 0 for run in runs)
        return Cell(f"{ok}/{len(runs)} ok", wall, spread, ", ".join(kinds))
    if not reported:
        return Cell(f"no report (exit {runs[0].returncode})", wall, "?", "?")
    outcome = str((reported[0].report or {}).get("outcome"))
    return Cell(outcome, wall, str(attempts[0]), kinds[0])


def median_cell(cells: list[Cell]) -> Cell:
    """The cell of median wall time; its outcome notes how the repetitions differed."""
    ordered = sorted(cells, key=lambda cell: cell.wall)
    middle = ordered[len(ordered) // 2]
    outcomes = [cell.outcome for cell in cells]
    if len(set(outcomes)) == 1:
        return middle
    counts = ", ".join(f"{o} x{outcomes.count(o)}" for o in dict.fromkeys(outcomes))
    return Cell(f"{middle.outcome} [{counts}]", middle.wall, middle.attempts, middle.last)


@dataclass(frozen=True)
class Row:
    """One scenario's line: both cells, or a note why it did not run."""

    scenario: str
    pip: Cell | None = None
    safepip: Cell | None = None
    note: str = ""


def run_scenario(lab: Lab, client: Client, scenario: Scenario, repeat: int) -> Row:
    """Run a scenario ``repeat`` times; a missing server or an error becomes the row's note."""
    plain: list[Cell] = []
    safe: list[Cell] = []
    try:
        for _ in range(repeat):
            pip_runs, safepip_runs = scenario.run(lab, client)
            plain.append(pip_cell(pip_runs))
            safe.append(safepip_cell(safepip_runs))
    except Skipped as skipped:
        return Row(scenario.name, note=f"skipped: {skipped}")
    except Exception as error:  # a broken scenario must not hide the others
        return Row(scenario.name, note=f"error: {type(error).__name__}: {error}")
    return Row(scenario.name, median_cell(plain), median_cell(safe))


HEADER = (
    f"{'scenario':<34} | {'pip':<15} | {'pip s':>6} | {'safepip':<10} | {'attempts':<8} |"
    f" {'last failure':<36} | {'safepip s':>9}"
)


def format_row(row: Row) -> str:
    """One table line."""
    if row.pip is None or row.safepip is None:
        return f"{row.scenario:<34} | {row.note}"
    pip, safe = row.pip, row.safepip
    return (
        f"{row.scenario:<34} | {pip.outcome:<15} | {pip.wall:6.1f} | {safe.outcome:<10} |"
        f" {safe.attempts:<8} | {safe.last:<36} | {safe.wall:9.1f}"
    )


def _load() -> str:
    return "load average " + ", ".join(f"{value:.2f}" for value in os.getloadavg())


def _client(
    python: Path,
    version: str,
    tmp: Path,
    env: dict[str, str],
    *,
    retries: int | None,
    timeout: float | None,
) -> Client:
    """A client with pip's ``--retries``/``--timeout``; None keeps the integration tests'."""
    client = Client(python, version, tmp, env=env, run_timeout=RUN_TIMEOUT)
    if retries is not None:
        client.retries = retries
    if timeout is not None:
        client.timeout = timeout
    return client


class Options(argparse.Namespace):
    """The command line."""

    versions: list[str] | None
    only: list[str] | None
    repeat: int
    retries: int | None
    timeout: float | None


@contextlib.contextmanager
def _private_temp() -> Iterator[Path]:
    """A scratch directory that this process's own temp files go to too; removed at the end."""
    with tempfile.TemporaryDirectory(prefix="safepip-bench-servers-") as tmp:
        work = Path(tmp)
        (work / "tmp").mkdir()
        saved = tempfile.tempdir
        tempfile.tempdir = str(work / "tmp")
        try:
            yield work
        finally:
            tempfile.tempdir = saved


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print one table per pip version."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pip", action="append", dest="versions", help="pip version(s)")
    parser.add_argument("--only", action="append", help="scenario names containing this text")
    parser.add_argument("--repeat", type=int, default=1, help="runs per scenario (median)")
    parser.add_argument("--pip-retries", dest="retries", type=int, help="pip's (default 1)")
    parser.add_argument("--pip-timeout", dest="timeout", type=float, help="pip's (default 6)")
    options = parser.parse_args(argv, namespace=Options())
    if options.repeat < 1:
        parser.error("--repeat must be at least 1")
    available = pips.available_pip_versions()
    versions = options.versions or [v for v in ("26.3", "24.0") if v in available]
    missing = [v for v in versions if v not in available]
    if missing or not versions:
        parser.error(f"pip {', '.join(missing) or '26.3/24.0'} not in .ci/wheelhouse")
    scenarios = [s for s in SCENARIOS if not options.only or any(o in s.name for o in options.only)]
    if not scenarios:
        parser.error("no scenario matches --only")
    # An installed safepip has its bytecode compiled (bench_faults.py does the same).
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "safepip", quiet=1)
    started = time.perf_counter()
    print(f"bench_servers: {_load()} at start")
    with _private_temp() as work, contextlib.ExitStack() as stack:
        lab = Lab(work, stack, stack.enter_context(upstream_index()))
        for version in versions:
            tmp = work / f"pip-{version}"
            tmp.mkdir()
            env = pips.private_env(tmp / "env")
            python = pips.pip_python(version)
            client = _client(
                python, version, tmp, env, retries=options.retries, timeout=options.timeout
            )
            rows = [run_scenario(lab, client, s, options.repeat) for s in scenarios]
            print(
                f"\npip {version} (--retries {client.retries} --timeout {client.timeout:g};"
                f" safepip defaults; repeat {options.repeat}, median wall; {_load()})"
            )
            print(HEADER)
            print("-" * len(HEADER))
            for row in rows:
                print(format_row(row))
    print(f"\n{_load()} at end; total {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
