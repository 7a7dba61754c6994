"""How big is safepip.pyz, and how fast does it start?

Builds the archive from this checkout (``tools/build_pyz.py``, into a temp dir), prints its size,
then times, on this Python and on Python 3.9 when one is found: ``python -c pass`` (the
interpreter alone), ``python -m pip --version`` (plain pip, the reference), ``python safepip.pyz
--version`` (target: <= 120 ms) and ``python safepip.pyz diagnose LOG`` (loads the classifier).
Runs are interleaved so drift on the machine hits all alike; the median and the minimum of N
runs are reported, and each median as a ratio to plain pip's.

The archive's bytecode is for the Python that built it (this one): on 3.9 the modules compile
at each start, which the 3.9 rows show.

Run it on its own::

    .venv/bin/python benchmarks/bench_pyz.py [--runs 15]
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

from support import pips, pyz

TARGET_MS = 120.0
LOG = pips.REPO_ROOT / "tests" / "data" / "pip-logs" / "cache-corrupt"


def _time(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, env=env, capture_output=True, check=True, timeout=120)
    return time.perf_counter() - start


def _bench(python: str, archive: Path, runs: int, env: dict[str, str]) -> dict[str, list[float]]:
    log = str(min(LOG.glob("*.txt")))
    commands = {
        "python -c pass": [python, "-c", "pass"],
        "python -m pip --version": [python, "-m", "pip", "--version"],
        "python safepip.pyz --version": [python, str(archive), "--version"],
        "python safepip.pyz diagnose LOG": [python, str(archive), "diagnose", log],
    }
    times: dict[str, list[float]] = {name: [] for name in commands}
    for argv in commands.values():  # warm the page cache once
        _time(argv, env)
    for _ in range(runs):
        for name, argv in commands.items():
            times[name].append(_time(argv, env))
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15, help="timed runs per command")
    options = parser.parse_args()
    env = pips.isolated_env()
    pythons = [sys.executable]
    py39 = pyz.find_python39()
    if py39 is not None and Path(py39).resolve() != Path(sys.executable).resolve():
        pythons.append(py39)
    with tempfile.TemporaryDirectory() as tmp:
        archive = pyz.build(Path(tmp) / "safepip.pyz")
        size = archive.stat().st_size
        print(
            f"safepip.pyz: {size} bytes ({size / 1024:.0f} KiB), built by Python {sys.version.split()[0]}"
        )
        worst = 0.0
        for python in pythons:
            version = subprocess.run(
                [python, "-c", "import sys; print(sys.version.split()[0])"],
                capture_output=True, text=True, check=True,
            ).stdout.strip()  # fmt: skip
            times = _bench(python, archive, options.runs, env)
            reference = statistics.median(times["python -m pip --version"])
            print(f"\nPython {version} ({python}), {options.runs} runs")
            print(f"  {'command':34} {'median':>9} {'min':>9} {'vs pip':>7}")
            for name, values in times.items():
                median = statistics.median(values)
                print(
                    f"  {name:34} {median * 1000:7.0f} ms {min(values) * 1000:7.0f} ms"
                    f" {median / reference:6.2f}x"
                )
            worst = max(worst, statistics.median(times["python safepip.pyz --version"]) * 1000)
        verdict = "met" if worst <= TARGET_MS else "MISSED"
        print(
            f"\nstart-up target (--version <= {TARGET_MS:.0f} ms, median): {verdict} ({worst:.0f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
