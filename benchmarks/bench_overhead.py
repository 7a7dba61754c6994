"""What does safepip cost when nothing goes wrong?

Times ``python -m pip install`` against ``python -m safepip install --python <same python>``
with the same pip arguments, on an install that needs no retry: a few small wheels from the
local fault index (no faults programmed), with a cold cache (a fresh ``--cache-dir`` per run)
and a warm one (a cache filled once beforehand). Runs are interleaved (pip, safepip, pip, ...)
so drift on the machine hits both alike; the median of N runs is reported, with the ratio
safepip/pip (target: <= 1.05).

Run it on its own::

    .venv/bin/python benchmarks/bench_overhead.py [--runs 5] [--pip 26.3 --pip 24.0]
    .venv/bin/python benchmarks/bench_overhead.py --wheels 40 --size-kb 500   # a bigger install

safepip's cost is a fixed ~0.1 s (a second interpreter and its imports), so the ratio depends
on how long the install takes: it is highest on the default sub-second install.

Every pip runs isolated from the machine's configuration (``PIP_CONFIG_FILE=os.devnull``, no
inherited ``PIP_*``), with its own cache, ``--trusted-host 127.0.0.1`` and
``--disable-pip-version-check``, against 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support import pips
from support.indexserver import FaultIndex
from support.wheels import build_wheel

REQUIREMENTS = ("app",)
TARGET_RATIO = 1.05


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


def _timed(argv: list[str]) -> float:
    start = time.perf_counter()
    done = subprocess.run(
        argv,
        env=pips.isolated_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        timeout=300,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        output = done.stdout.decode(errors="replace")
        raise SystemExit(f"benchmark run failed ({done.returncode}): {argv}\n{output}")
    return elapsed


def _measure(
    python: Path, index: FaultIndex, work: Path, *, warm: bool, runs: int
) -> tuple[list[float], list[float]]:
    shared = work / "warm-cache"
    if warm:
        _timed([str(python), "-m", "pip", "install", *_pip_args(index, shared, work / "t-warm")])
    plain: list[float] = []
    safe: list[float] = []
    counter = 0
    for _ in range(runs):
        for tool in ("pip", "safepip"):
            counter += 1
            cache = shared if warm else work / f"cold-{counter}"
            args = _pip_args(index, cache, work / f"t-{counter}")
            if tool == "pip":
                plain.append(_timed([str(python), "-m", "pip", "install", "--no-input", *args]))
            else:
                argv = [sys.executable, "-m", "safepip", "install", "--python", str(python)]
                safe.append(_timed([*argv, *args]))
    return plain, safe


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
    options = parser.parse_args(argv)
    options.wheels = max(4, options.wheels)
    versions = options.versions or [
        v for v in ("26.3", "24.0") if v in pips.available_pip_versions()
    ]
    if not versions:
        raise SystemExit("no pip wheels: run .ci/prepare-pips")
    rows = []
    with tempfile.TemporaryDirectory(prefix="safepip-bench-") as tmp:
        work = Path(tmp)
        with FaultIndex(_dists(work / "dists", options.wheels, options.size_kb)) as index:
            for version in versions:
                python = pips.pip_python(version)
                for warm in (False, True):
                    case = work / f"{version}-{'warm' if warm else 'cold'}"
                    case.mkdir()
                    plain, safe = _measure(python, index, case, warm=warm, runs=options.runs)
                    rows.append((version, "warm" if warm else "cold", plain, safe))
    print(
        f"safepip overhead on a no-retry install of {len(REQUIREMENTS)} requirement "
        f"({options.wheels} wheels, {options.size_kb} kB each), median of {options.runs}"
        " interleaved runs"
    )
    print(f"{'pip':<6} | {'cache':<5} | {'pip s':>7} | {'safepip s':>9} | {'ratio':>6} | target")
    print("-" * 55)
    worst = 0.0
    for version, cache, plain, safe in rows:
        p, s = statistics.median(plain), statistics.median(safe)
        ratio = s / p
        worst = max(worst, ratio)
        verdict = "ok" if ratio <= TARGET_RATIO else "MISSED"
        print(f"{version:<6} | {cache:<5} | {p:7.3f} | {s:9.3f} | {ratio:6.3f} | {verdict}")
    print(f"worst ratio safepip/pip: {worst:.3f} (target <= {TARGET_RATIO})")
    floor = _startup_floor(options.runs)
    print(
        "start-up floor, median: "
        + ", ".join(f"`{name}` {seconds:.3f}s" for name, seconds in floor.items())
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
