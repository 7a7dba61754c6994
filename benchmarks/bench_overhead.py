"""What does safepip cost when nothing goes wrong? Side by side with plain pip, in one run.

Times ``python -m pip install --no-input`` against ``python -m safepip install --python <same
python>`` with the same pip arguments on installs that need no retry, alternating (pip, safepip,
pip, ...) so that drift on the machine hits both alike, and prints the median of N runs, the
ratio safepip/pip and the difference in milliseconds:

- ``local cold``: a few small wheels from the local index (no faults programmed), a fresh
  ``--cache-dir`` per run;
- ``local warm``: the same with a cache filled once beforehand;
- ``registry warm``: three small real projects (``requests==2.32.3 attrs six``) with the
  machine's own pip configuration (its index, proxy, certificates; a private cache filled once),
  when the registry is reachable; skipped with a note otherwise.

Targets (issue 14): ratio <= 1.03 and at most +60 ms on each row. Run it on its own::

    .venv/bin/python benchmarks/bench_overhead.py [--runs 7] [--pip 26.3 --pip 24.0] [--offline]
    .venv/bin/python benchmarks/bench_overhead.py --wheels 40 --size-kb 500   # a bigger install

The local rows run isolated from the machine's configuration (``PIP_CONFIG_FILE=os.devnull``, no
inherited ``PIP_*``), with ``--trusted-host 127.0.0.1`` and ``--disable-pip-version-check``,
against 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import compileall
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support import pips
from support.indexserver import FaultIndex
from support.wheels import build_wheel

import safepip

if TYPE_CHECKING:
    from collections.abc import Callable

#: The least any wrapper written in Python costs: an interpreter that starts pip with pipes for
#: its output, copies them through and exits with pip's status. Timed as a third tool ("bare"),
#: so that the table shows how much of safepip's cost is safepip and how much is any wrapper.
BARE_WRAPPER = """\
import os, select, sys
r1, w1 = os.pipe(); r2, w2 = os.pipe()
argv = [sys.argv[1], "-m", "pip", "install", "--no-input", *sys.argv[2:]]
actions = [(os.POSIX_SPAWN_DUP2, w1, 1), (os.POSIX_SPAWN_DUP2, w2, 2)]
pid = os.posix_spawn(argv[0], argv, os.environ, file_actions=actions, setsid=True)
os.close(w1); os.close(w2)
routes = {r1: 1, r2: 2}
poller = select.poll()
for fd in routes:
    poller.register(fd, select.POLLIN)
while routes:
    for fd, _ in poller.poll():
        data = os.read(fd, 65536)
        if data:
            os.write(routes[fd], data)
        else:
            poller.unregister(fd); os.close(fd); del routes[fd]
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
"""
REQUIREMENTS = ("app",)
#: Small real projects for the registry row (requests brings four more).
REGISTRY_REQUIREMENTS = ("requests==2.32.3", "attrs", "six")
TARGET_RATIO = 1.03
TARGET_EXTRA_SECONDS = 0.060
#: (wall seconds, CPU seconds of the process tree) of one run.
Times = tuple[float, float]


def _dists(directory: Path, count: int = 4, size_kb: int = 32) -> list[Path]:
    """Build ``count`` wheels: app needs lib-a and lib-b, lib-b needs lib-c.

    With more than the default four, app also needs lib-4 ... lib-<count-1>.
    """
    extra = [f"lib-{n}" for n in range(4, count)]
    return [
        build_wheel(directory, "app", "1.0", requires=("lib-a", "lib-b", *extra), size_kb=size_kb),
        build_wheel(directory, "lib-a", "1.0", size_kb=size_kb),
        build_wheel(directory, "lib-b", "1.0", requires=("lib-c",), size_kb=size_kb),
        build_wheel(directory, "lib-c", "1.0", size_kb=size_kb),
        *(build_wheel(directory, name, "1.0", size_kb=size_kb) for name in extra),
    ]


def _pip_args(index: FaultIndex, cache: Path, target: Path) -> list[str]:
    return [
        "--index-url",
        index.url,
        "--trusted-host",
        "127.0.0.1",
        "--cache-dir",
        str(cache),
        "--disable-pip-version-check",
        "--target",
        str(target),
        *REQUIREMENTS,
    ]


def _timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    return _run(argv, env)[0]


def _run(argv: list[str], env: dict[str, str] | None = None) -> tuple[float, float]:
    """Run ``argv``; return its wall time and the CPU time (user + system) of its process tree.

    The CPU time is what safepip adds whatever else the machine does: on a busy machine the
    wall times of both tools drift by more than safepip's cost.
    """
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.Popen(
        argv,
        env=pips.isolated_env() if env is None else env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    # No timeout= on the wait: Popen polls then with sleeps of up to 50 ms, rounding the wall
    # time up by more than the overhead measured. A timer kills a run that hangs instead.
    watchdog = threading.Timer(300, proc.kill)
    watchdog.start()
    try:
        output, _ = proc.communicate()
    finally:
        watchdog.cancel()
    elapsed = time.perf_counter() - start
    after = os.times()
    cpu = (after.children_user - before.children_user) + (
        after.children_system - before.children_system
    )
    if proc.returncode != 0:
        text = output.decode(errors="replace")
        raise SystemExit(f"benchmark run failed ({proc.returncode}): {argv}\n{text}")
    return elapsed, cpu


#: Each tool's median (wall, CPU) runs: plain pip, safepip, the bare wrapper.
Measured = tuple[list[Times], list[Times], list[Times]]


def _alternate(
    python: Path, args_for: Callable[[int], list[str]], runs: int, env: dict[str, str] | None
) -> Measured:
    """Run pip, safepip and the bare wrapper in turn ``runs`` times each (run n: args_for(n))."""
    plain: list[Times] = []
    safe: list[Times] = []
    bare: list[Times] = []
    counter = 0
    for _ in range(runs):
        for tool in ("pip", "safepip", "bare"):
            counter += 1
            args = args_for(counter)
            if tool == "pip":
                argv = [str(python), "-m", "pip", "install", "--no-input", *args]
                plain.append(_run(argv, env))
            elif tool == "safepip":
                argv = [sys.executable, "-m", "safepip", "install", "--python", str(python)]
                safe.append(_run([*argv, *args], env))
            else:
                bare.append(_run([sys.executable, "-c", BARE_WRAPPER, str(python), *args], env))
    return plain, safe, bare


def _measure(python: Path, index: FaultIndex, work: Path, *, warm: bool, runs: int) -> Measured:
    shared = work / "warm-cache"
    if warm:
        _timed([str(python), "-m", "pip", "install", *_pip_args(index, shared, work / "t-warm")])

    def args_for(counter: int) -> list[str]:
        cache = shared if warm else work / f"cold-{counter}"
        return _pip_args(index, cache, work / f"t-{counter}")

    return _alternate(python, args_for, runs, None)


def _registry_env() -> dict[str, str]:
    """The machine's own environment (its pip configuration applies), minus safepip's options."""
    return {k: v for k, v in os.environ.items() if not k.upper().startswith("SAFEPIP_")}


def _measure_registry(python: Path, work: Path, runs: int) -> Measured | str:
    """The registry row, or why it was skipped."""
    cache = work / "registry-cache"
    env = _registry_env()

    def args_for(counter: int) -> list[str]:
        target = work / f"registry-t-{counter}"
        return ["--cache-dir", str(cache), "--target", str(target), *REGISTRY_REQUIREMENTS]

    try:
        _timed([str(python), "-m", "pip", "install", "--no-input", *args_for(0)], env)
    except SystemExit as exc:  # no network, no index: say so and go on
        first = str(exc).splitlines()[0]
        return f"skipped: the registry is not reachable with this machine's pip configuration ({first})"
    return _alternate(python, args_for, runs, env)


def _startup_floor(runs: int) -> dict[str, float]:
    """What any safepip run pays before pip starts: the interpreter, then safepip's imports."""
    probes = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "python -m safepip --version": [sys.executable, "-m", "safepip", "--version"],
        "import safepip.install.loop": [
            sys.executable,
            "-c",
            "import safepip.cli, safepip.install.loop",
        ],
    }
    return {
        name: statistics.median(_timed(argv) for _ in range(runs)) for name, argv in probes.items()
    }


def main(argv: list[str] | None = None) -> int:
    """Print the median wall times of plain pip and safepip and their ratio."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=5, help="runs per tool and case (median)")
    parser.add_argument(
        "--pip",
        action="append",
        dest="versions",
        help="pip version(s) to drive (default: 26.3 and 24.0, those in .ci/wheelhouse)",
    )
    parser.add_argument("--wheels", type=int, default=4, help="wheels installed (at least 4)")
    parser.add_argument("--size-kb", type=int, default=32, help="size of each wheel")
    parser.add_argument("--offline", action="store_true", help="skip the real-registry row")
    options = parser.parse_args(argv)
    options.wheels = max(4, options.wheels)
    versions = options.versions or [
        v for v in ("26.3", "24.0") if v in pips.available_pip_versions()
    ]
    if not versions:
        raise SystemExit("no pip wheels: run .ci/prepare-pips")
    # An installed safepip has its bytecode compiled; the isolated environment sets
    # PYTHONDONTWRITEBYTECODE, so stale .pyc files would be recompiled on every run.
    compileall.compile_dir(Path(safepip.__file__).parent, quiet=1)
    rows: list[tuple[str, str, Measured]] = []
    load_before = os.getloadavg()[0]
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="safepip-bench-") as tmp:
        work = Path(tmp)
        with FaultIndex(_dists(work / "dists", options.wheels, options.size_kb)) as index:
            for version in versions:
                python = pips.pip_python(version)
                for warm in (False, True):
                    case = work / f"{version}-{'warm' if warm else 'cold'}"
                    case.mkdir()
                    measured = _measure(python, index, case, warm=warm, runs=options.runs)
                    rows.append((version, "local " + ("warm" if warm else "cold"), measured))
        if options.offline:
            notes.append("registry row skipped: --offline")
        else:
            version = versions[0]
            registry = _measure_registry(pips.pip_python(version), work, options.runs)
            if isinstance(registry, str):
                notes.append(f"registry row {registry}")
            else:
                rows.append((version, "registry warm", registry))
    print(
        f"safepip / plain pip on installs that need no retry, median of {options.runs}"
        f" alternating runs; local: {len(REQUIREMENTS)} requirement ({options.wheels} wheels,"
        f" {options.size_kb} kB each); registry: {' '.join(REGISTRY_REQUIREMENTS)}"
    )
    header = f"{'pip':<6} | {'case':<13} | {'pip s':>7} | {'safepip s':>9} | {'ratio':>6} |"
    header += f" {'extra ms':>8} | {'bare ratio':>10} | {'CPU +ms':>7} | target (wall)"
    print(header)
    print("-" * len(header))
    missed = 0
    for version, name, (plain, safe, bare) in rows:
        p, s, b = (statistics.median(t[0] for t in runs) for runs in (plain, safe, bare))
        pc, sc = (statistics.median(t[1] for t in runs) for runs in (plain, safe))
        ratio, extra = s / p, s - p
        ok = ratio <= TARGET_RATIO and extra <= TARGET_EXTRA_SECONDS
        missed += not ok
        print(
            f"{version:<6} | {name:<13} | {p:7.3f} | {s:9.3f} | {ratio:6.3f} |"
            f" {extra * 1000:+8.0f} | {b / p:10.3f} | {(sc - pc) * 1000:+7.0f} |"
            f" {'ok' if ok else 'MISSED'}"
        )
    print(
        "bare ratio: a do-nothing wrapper (python, posix_spawn, pipes copied through) / plain pip,"
        " the least any wrapper costs; CPU +ms: safepip's CPU time (its process tree) minus pip's"
    )
    for note in notes:
        print(note)
    print(f"load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    print(
        f"targets: ratio <= {TARGET_RATIO} and <= +{TARGET_EXTRA_SECONDS * 1000:.0f} ms;"
        f" {len(rows) - missed} of {len(rows)} rows meet both"
    )
    floor = _startup_floor(options.runs)
    print(
        "start-up floor, median: "
        + ", ".join(f"`{name}` {seconds:.3f}s" for name, seconds in floor.items())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
