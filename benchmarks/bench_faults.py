"""safepip against the usual workarounds, fault by fault, on real pip (issue 6).

For every scenario, each *peer* installs the same requirements from the local fault index with
the same pip arguments, facing the same fault (programmed afresh, on a fresh copy of the same
cache state, for every run):

- ``pip``: plain ``python -m pip install``;
- ``pip --retries 10``: pip's own retries raised;
- ``shell loop x3``: ``for i in 1 2 3; do pip install ... && break; sleep 1; done`` (bash);
- ``safepip``: ``python -m safepip install --python <same python>`` with its defaults.

Scenarios: recoverable ones (index 5xx burst, file 5xx burst, reset mid-download once and three
times, a download cut at the same byte twice under ``-q``, stalled connection, corrupt download cached, empty cached body, truncated wheel in
``wheels/``, 8 concurrent installs on one cold cache) and deterministic ones (missing local
path, not found, conflicting pins). The table shows success and wall time per peer, and safepip's time as a
ratio to the fastest successful other peer. Targets: safepip succeeds on every recoverable
scenario in at most 1.2x the fastest successful peer; on deterministic ones it makes one
attempt and takes at most 1.1x plain pip; a bare not-found (pip's console cannot say why) makes
two, the second with pip's ``--log``, in at most 2.2x, and so does an explained conflict, whose
proposed fix a second pip run verifies (``--no-explain`` skips it: 1.1x). The index and file 5xx bursts (8
failures, then success: pip's own 5 retries take 6 of them) also have an absolute target on pip
>= 26: recovered within 9.5 s of wall time (issue 16).

    .venv/bin/python benchmarks/bench_faults.py [--quick] [--pip 26.3 ...] [--only NAME ...]
        [--peer safepip --peer pip ...]

``--only`` keeps the scenarios whose name contains the text (e.g. ``--only "5xx burst"``);
``--peer`` keeps the peers named (a recoverable scenario's ratio then compares with those
run). safepip's bytecode is compiled first, as in an installed safepip (the isolated
environment sets ``PYTHONDONTWRITEBYTECODE``, so it would otherwise be compiled on every run).

``--quick`` runs a reduced set (pip 26.3 only; a cached corrupt download and a missing local
path) in well under a minute. Every pip is isolated (``PIP_CONFIG_FILE=os.devnull``, no
inherited ``PIP_*``), with its own cache and ``--target``, ``--trusted-host 127.0.0.1`` and
``--disable-pip-version-check``, against 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import compileall
import json
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support import pips
from support.indexserver import FaultIndex
from support.wheels import build_sdist, build_wheel

DEMO_WHEEL = "demo-1.0-py3-none-any.whl"
CONDA_LINE = "pkg @ file:///tmp/build/80754af9/pkg_1/work"
PEERS = ("pip", "pip --retries 10", "shell loop x3", "safepip")
SHELL_LOOP = 'for i in 1 2 3; do "$@" && exit 0; sleep 1; done; exit 1'
RUN_TIMEOUT = 300
RECOVERABLE_TARGET = 1.2
DETERMINISTIC_TARGET = 1.1
#: A bare not-found: pip's console cannot say why, so the one retry runs with --log (issue 14).
BARE_NOT_FOUND_TARGET = 2.2
#: An explained conflict: the proposed fix is verified by a second pip run (``pip install
#: --dry-run`` of the change, issue 17), so pip runs twice, as for a bare not-found.
#: ``--no-explain`` skips it and is held to DETERMINISTIC_TARGET.
VERIFIED_CONFLICT_TARGET = 2.2
#: The 5xx bursts on pip >= 26: recovered within this many seconds of wall time (issue 16).
BURST_MAX_WALL = 9.5
BURST_MAX_WALL_SINCE = (26,)


@dataclass
class Lab:
    """The index, the scratch directory and the per-version cache templates of one run."""

    index: FaultIndex
    work: Path
    python: Path
    version: str
    templates: dict[str, Path] = field(default_factory=dict)
    counter: int = 0

    def fresh(self, stem: str) -> Path:
        """A new path under the scratch directory."""
        self.counter += 1
        return self.work / f"{stem}-{self.counter}"

    def pip_args(self, cache: Path, target: Path, *more: str) -> list[str]:
        """The pip arguments every peer gets (safepip passes them through untouched)."""
        return [
            "--index-url",
            self.index.url,
            "--trusted-host",
            "127.0.0.1",
            "--cache-dir",
            str(cache),
            "--disable-pip-version-check",
            "--target",
            str(target),
            *more,
        ]

    def plain(self, cache: Path, *requirements: str) -> int:
        """One plain pip run (for preparing cache templates)."""
        args = self.pip_args(cache, self.fresh("prep-target"), *requirements)
        return pips.run_pip(self.python, ["install", "--no-input", *args], timeout=120).returncode


@dataclass(frozen=True)
class Scenario:
    """One fault: how to set it up for a run, what to install, and its class."""

    name: str
    recoverable: bool
    requirements: tuple[str, ...]
    prepare: Callable[[Lab], Path]  # programs the faults, returns the run's cache dir
    pip_options: tuple[str, ...] = ()
    concurrent: int = 1
    quick: bool = False
    safepip_options: tuple[str, ...] = ()  # safepip's own options, before the pip arguments
    #: safepip's attempts on a deterministic failure: 2 when pip's console leaves the kind open
    #: (a bare "from versions: none"), so that the retry reads pip's --log (issue 14).
    attempts: int = 1
    target: float = 0.0  # 0: DETERMINISTIC_TARGET
    max_wall: float = 0.0  # 0: none; else safepip's wall time on pip >= BURST_MAX_WALL_SINCE


# -- scenario set-up ------------------------------------------------------------------------------


def _cold(lab: Lab) -> Path:
    return lab.fresh("cache")


def _faulted(program: Callable[[FaultIndex], object]) -> Callable[[Lab], Path]:
    def prepare(lab: Lab) -> Path:
        program(lab.index)
        return _cold(lab)

    return prepare


def _from_template(name: str, make: Callable[[Lab, Path], None]) -> Callable[[Lab], Path]:
    """Copy a damaged cache made once per pip version by ``make``."""

    def prepare(lab: Lab) -> Path:
        template = lab.templates.get(name)
        if template is None:
            template = lab.work / f"template-{name}"
            make(lab, template)
            lab.index.clear_faults()
            lab.templates[name] = template
        copy = lab.fresh("cache")
        shutil.copytree(template, copy, symlinks=True)
        return copy

    return prepare


def _http_body(cache: Path, url: str) -> Path:
    import hashlib  # noqa: PLC0415

    key = hashlib.sha224(url.encode()).hexdigest()
    return cache.joinpath("http-v2", *key[:5], key + ".body")


def _make_corrupt_cached(lab: Lab, cache: Path) -> None:
    lab.index.corrupt(f"/files/{DEMO_WHEEL}", times=1)
    if lab.plain(cache, "demo") == 0:
        raise SystemExit("preparing 'corrupt download cached': pip did not fail")


def _make_empty_body(lab: Lab, cache: Path) -> None:
    if lab.plain(cache, "demo") != 0:
        raise SystemExit("preparing 'empty cached body': the clean install failed")
    _http_body(cache, lab.index.file_url(DEMO_WHEEL)).write_bytes(b"")


def _make_truncated_wheel(lab: Lab, cache: Path) -> None:
    if lab.plain(cache, "built-demo") != 0:
        raise SystemExit("preparing 'truncated cached wheel': the sdist build failed")
    (wheel,) = (cache / "wheels").rglob("built_demo-3.0-py3-none-any.whl")
    wheel.write_bytes(wheel.read_bytes()[: wheel.stat().st_size // 2])


def _conda_requirements(lab: Lab) -> Path:
    path = lab.work / "conda-freeze.txt"
    path.write_text(CONDA_LINE + "\n", encoding="utf-8")
    return _cold(lab)


def _scenario(
    name: str,
    requirements: tuple[str, ...],
    prepare: Callable[[Lab], Path],
    *,
    recoverable: bool,
    pip_options: tuple[str, ...] = (),
    concurrent: int = 1,
    quick: bool = False,
    attempts: int = 1,
    target: float = 0.0,
    max_wall: float = 0.0,
    safepip_options: tuple[str, ...] = (),
) -> Scenario:
    return Scenario(
        name,
        recoverable,
        requirements,
        prepare,
        pip_options,
        concurrent,
        quick,
        safepip_options,
        attempts,
        target,
        max_wall,
    )


def _index_5xx(index: FaultIndex) -> object:
    return index.fail("/simple/demo/", status=503, times=8)


def _file_5xx(index: FaultIndex) -> object:
    return index.fail(f"/files/{DEMO_WHEEL}", status=500, times=8)


def _reset(index: FaultIndex) -> object:
    return index.reset(f"/files/{DEMO_WHEEL}", times=1)


def _reset3(index: FaultIndex) -> object:
    return index.reset(f"/files/{DEMO_WHEEL}", times=3)


def _same_cut2(index: FaultIndex) -> object:
    # A clean close half-way, twice: pip <= 24 gets the same short bytes (the same Got) twice.
    return index.truncate(f"/files/{DEMO_WHEEL}", times=2)


def _stall(index: FaultIndex) -> object:
    return index.stall(f"/files/{DEMO_WHEEL}", 30, after_bytes=4096)


SCENARIOS = (
    _scenario(
        "index 5xx burst (8x503)",
        ("demo",),
        _faulted(_index_5xx),
        recoverable=True,
        max_wall=BURST_MAX_WALL,
    ),
    _scenario(
        "file 5xx burst (8x500)",
        ("demo",),
        _faulted(_file_5xx),
        recoverable=True,
        max_wall=BURST_MAX_WALL,
    ),
    _scenario("reset mid-download", ("demo",), _faulted(_reset), recoverable=True),
    _scenario("reset mid-download x3", ("demo",), _faulted(_reset3), recoverable=True),
    _scenario(
        "same cut x2 (-q: no progress bar)",
        ("demo",),
        _faulted(_same_cut2),
        recoverable=True,
        pip_options=("-q",),
    ),
    _scenario(
        "stalled connection (--timeout 5)",
        ("demo",),
        _faulted(_stall),
        recoverable=True,
        pip_options=("--timeout", "5"),
    ),
    _scenario(
        "corrupt download cached",
        ("demo",),
        _from_template("corrupt", _make_corrupt_cached),
        recoverable=True,
        quick=True,
    ),
    _scenario(
        "empty cached body",
        ("demo",),
        _from_template("empty", _make_empty_body),
        recoverable=True,
    ),
    _scenario(
        "truncated cached wheel",
        ("built-demo",),
        _from_template("wheel", _make_truncated_wheel),
        recoverable=True,
    ),
    _scenario(
        "8 concurrent, cold cache",
        ("demo", "built-demo"),
        _cold,
        recoverable=True,
        concurrent=8,
    ),
    _scenario(
        "missing local path",
        ("-r", "{work}/conda-freeze.txt"),
        _conda_requirements,
        recoverable=False,
        quick=True,
    ),
    _scenario(
        "not found",
        ("no-such-project",),
        _cold,
        recoverable=False,
        attempts=2,
        target=BARE_NOT_FOUND_TARGET,
    ),
    _scenario(
        "conflicting pins",
        ("pinned-app==1.0", "dep==2.0"),
        _cold,
        recoverable=False,
        target=VERIFIED_CONFLICT_TARGET,
    ),
    _scenario(
        "conflicting pins, --no-explain",
        ("pinned-app==1.0", "dep==2.0"),
        _cold,
        recoverable=False,
        safepip_options=("--no-explain",),
    ),
)


# -- running peers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Result:
    """One peer on one scenario."""

    scenario: str
    peer: str
    success: bool
    wall: float
    attempts: int | None = None
    tail: str = ""


def _argv(peer: str, lab: Lab, args: list[str], report: Path, scenario: Scenario) -> list[str]:
    pip = [str(lab.python), "-m", "pip", "install", "--no-input"]
    if peer == "pip":
        return [*pip, *args]
    if peer == "pip --retries 10":
        return [*pip, "--retries", "10", *args]
    if peer == "shell loop x3":
        return ["bash", "-c", SHELL_LOOP, "bash", *pip, *args]
    safepip = [sys.executable, "-m", "safepip", "install", "--python", str(lab.python)]
    return [*safepip, *scenario.safepip_options, "--report-json", str(report), *args]


def run_peer(lab: Lab, scenario: Scenario, peer: str) -> Result:
    """Set the scenario up afresh and run one peer on it (N copies at once if concurrent)."""
    lab.index.clear_faults()
    cache = scenario.prepare(lab)
    requirements = [r.format(work=lab.work) for r in scenario.requirements]
    runs = []
    for _ in range(scenario.concurrent):
        args = lab.pip_args(cache, lab.fresh("target"), *scenario.pip_options, *requirements)
        report = lab.fresh("report").with_suffix(".json")
        runs.append(
            (_argv(peer, lab, args, report, scenario), report, lab.fresh("out").with_suffix(".txt"))
        )
    # PIP_CACHE_DIR: a pip that safepip starts without the user's --cache-dir (the --dry-run
    # verifying a conflict proposal) must not touch the machine's cache either.
    # TMPDIR: a failed safepip keeps pip's --log in its temp dir for the user; the bench's own
    # scratch dir (removed at the end) takes it, not the machine's /tmp.
    tmpdir = lab.fresh("tmp")
    tmpdir.mkdir()
    env = pips.isolated_env(
        {"PIP_CACHE_DIR": str(lab.work / "env-pip-cache"), "TMPDIR": str(tmpdir)}
    )
    start = time.perf_counter()
    procs = []
    for argv, _, out in runs:
        with out.open("wb") as handle:
            procs.append(
                subprocess.Popen(
                    argv, env=env, stdin=subprocess.DEVNULL, stdout=handle, stderr=subprocess.STDOUT
                )
            )

    # A blocking wait: Popen.wait(timeout=...) polls with sleeps of up to 50 ms, which rounds
    # every wall time up to a 50 ms step, more than the overhead measured here. A timer kills
    # the runs that outlast RUN_TIMEOUT instead.
    def kill_all() -> None:
        for proc in procs:
            proc.kill()

    watchdog = threading.Timer(RUN_TIMEOUT, kill_all)
    watchdog.start()
    try:
        codes = [proc.wait() for proc in procs]
    finally:
        watchdog.cancel()
    wall = time.perf_counter() - start
    attempts = None
    if peer == "safepip":
        counts = [
            len(json.loads(report.read_text("utf-8"))["attempts"])
            for _, report, _ in runs
            if report.is_file()
        ]
        attempts = max(counts) if counts else None
    success = all(code == 0 for code in codes)
    tail = ""
    if not success:
        text = runs[codes.index(next(c for c in codes if c != 0))][2].read_text(errors="replace")
        tail = "\n".join(text.strip().splitlines()[-6:])
    return Result(scenario.name, peer, success, wall, attempts, tail)


def _alternating(lab: Lab, scenario: Scenario, peers: list[str], repeat: int) -> list[Result]:
    """Run the peers in turn ``repeat`` times; keep each peer's median wall time.

    The peers alternate (pip, safepip, pip, safepip...) so that the machine's drift, which on a
    shared machine is larger than a short run's overhead, weighs on each peer alike. A peer
    counts as successful only if every repetition succeeded.
    """
    runs: dict[str, list[Result]] = {peer: [] for peer in peers}
    for _ in range(repeat):
        for peer in peers:
            runs[peer].append(run_peer(lab, scenario, peer))
    return [_median(runs[peer]) for peer in peers]


def _median(results: list[Result]) -> Result:
    ordered = sorted(results, key=lambda r: r.wall)
    middle = ordered[len(ordered) // 2]
    failed = next((r for r in ordered if not r.success), None)
    if failed is None:
        return middle
    return Result(
        middle.scenario,
        middle.peer,
        success=False,
        wall=middle.wall,
        attempts=middle.attempts,
        tail=failed.tail,
    )


def _prepare_index(work: Path) -> FaultIndex:
    dists = work / "dists"
    files = [
        build_wheel(dists, "demo", "1.0", requires=("dep",)),
        build_wheel(dists, "dep", "1.0", size_kb=16),
        build_wheel(dists, "dep", "2.0"),
        build_wheel(dists, "pinned-app", "1.0", requires=("dep<2",), size_kb=16),
        build_sdist(dists, "built-demo", "3.0", size_kb=64),
    ]
    return FaultIndex(files).start()


# -- the table ------------------------------------------------------------------------------------


def _version(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".") if part.isdigit())


def _verdict(scenario: Scenario, results: list[Result], version: str) -> str:
    safe = next(r for r in results if r.peer == "safepip")
    others = [r for r in results if r.peer != "safepip" and r.success]
    if scenario.recoverable:
        if not safe.success:
            return "MISSED: safepip failed"
        verdicts = []
        if scenario.max_wall and _version(version) >= BURST_MAX_WALL_SINCE:
            mark = "ok" if safe.wall <= scenario.max_wall else "MISSED"
            verdicts.append(f"{mark}: {safe.wall:.2f}s (target <= {scenario.max_wall}s)")
        if not others:
            ran = {r.peer for r in results}
            alone = "only safepip succeeds" if ran == set(PEERS) else "no other peer succeeded"
            return "; ".join([*verdicts, f"ok: {alone}"])
        best = min(others, key=lambda r: r.wall)
        ratio = safe.wall / best.wall
        mark = "ok" if ratio <= RECOVERABLE_TARGET else "MISSED"
        verdicts.append(
            f"{mark}: {ratio:.2f}x fastest successful peer ({best.peer}, {best.wall:.1f}s)"
        )
        return "; ".join(verdicts)
    plain = next((r for r in results if r.peer == "pip"), None)
    if plain is None:
        return f"{safe.attempts} attempt(s) (no plain pip run to compare)"
    ratio = safe.wall / plain.wall
    target = scenario.target or DETERMINISTIC_TARGET
    expected = safe.attempts == scenario.attempts and not safe.success
    mark = "ok" if expected and ratio <= target else "MISSED"
    return f"{mark}: {safe.attempts} attempt(s), {ratio:.2f}x plain pip"


def _print_table(version: str, table: list[tuple[Scenario, list[Result]]]) -> int:
    print(f"\npip {version}")
    print(f"{'scenario':<34} | {'peer':<16} | {'success':<7} | {'wall s':>7} | notes")
    print("-" * 110)
    missed = 0
    for scenario, results in table:
        for number, result in enumerate(results):
            name = scenario.name if number == 0 else ""
            note = ""
            if result.peer == "safepip":
                note = _verdict(scenario, results, version)
                missed += note.count("MISSED")
                if result.attempts is not None:
                    note = f"attempts {result.attempts}; {note}"
            ok = "yes" if result.success else "no"
            print(f"{name:<34} | {result.peer:<16} | {ok:<7} | {result.wall:7.2f} | {note}")
    return missed


def main(argv: list[str] | None = None) -> int:
    """Run the scenarios and print one table per pip version."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="reduced set, pip 26.3 only")
    parser.add_argument("--pip", action="append", dest="versions", help="pip version(s)")
    parser.add_argument("--only", action="append", help="scenario names containing this text")
    parser.add_argument(
        "--peer",
        action="append",
        dest="peers",
        choices=PEERS,
        help="peer(s) to run (safepip always)",
    )
    parser.add_argument("--repeat", type=int, default=1, help="runs per cell (median)")
    parser.add_argument("--show-failures", action="store_true", help="print safepip's failures")
    options = parser.parse_args(argv)
    available = pips.available_pip_versions()
    versions = options.versions or [v for v in ("26.3", "24.0") if v in available]
    if options.quick:
        versions = versions[:1]
    if not versions:
        raise SystemExit("no pip wheels: run .ci/prepare-pips")
    scenarios = [s for s in SCENARIOS if s.quick or not options.quick]
    if options.only:
        scenarios = [s for s in scenarios if any(o in s.name for o in options.only)]
    peers = [p for p in PEERS if p in (options.peers or PEERS) or p == "safepip"]
    # An installed safepip has its bytecode compiled (bench_overhead.py does the same).
    compileall.compile_dir(Path(__file__).resolve().parents[1] / "safepip", quiet=1)
    missed = 0
    failures: list[tuple[str, Result]] = []
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="safepip-bench-faults-") as tmp:
        for version in versions:
            work = Path(tmp) / version
            work.mkdir()
            index = _prepare_index(work)
            try:
                lab = Lab(index, work, pips.pip_python(version), version)
                table = []
                for scenario in scenarios:
                    results = _alternating(lab, scenario, peers, options.repeat)
                    table.append((scenario, results))
                    failures += [
                        (version, r)
                        for r in results
                        if r.peer == "safepip" and not r.success and scenario.recoverable
                    ]
                missed += _print_table(version, table)
            finally:
                index.stop()
    print(f"\n{missed} target(s) missed; total {time.perf_counter() - started:.0f}s")
    if options.show_failures:
        for version, result in failures:
            print(f"\n--- safepip on {result.scenario} (pip {version}):\n{result.tail}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
