"""The fault and server benchmarks run end to end (reduced sets) and print their tables.

This guards the benchmark scripts themselves (imports, scenario set-up, peers, table), not
their numbers: timing goals are the benchmark's business, not a test's.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import pips

pytestmark = pytest.mark.integration

BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"
BENCH = BENCHMARKS / "bench_faults.py"


def _run_bench(script: Path, *args: str) -> str:
    """Run a benchmark on pip 26.3 in an isolated environment; its output, once it exited 0."""
    if "26.3" not in pips.available_pip_versions():
        pytest.skip("pip 26.3 is not in .ci/wheelhouse: run .ci/prepare-pips")
    done = subprocess.run(
        [sys.executable, str(script), *args],
        env=pips.isolated_env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    return output


def test_bench_faults_quick_runs_and_prints_the_table() -> None:
    """``bench_faults.py --quick`` exits 0 and prints the header and a row for every peer."""
    output = _run_bench(BENCH, "--quick")
    assert re.search(r"scenario\s*\|\s*peer\s*\|\s*success\s*\|\s*wall s", output), output
    for peer in ("pip", "pip --retries 10", "shell loop x3", "safepip"):
        assert re.search(rf"\|\s*{re.escape(peer)}\s*\|\s*(yes|no)\s*\|", output), peer
    assert "corrupt download cached" in output
    assert "missing local path" in output


def test_bench_servers_one_scenario_runs_and_prints_the_table() -> None:
    """``bench_servers.py --only "pypiserver right" --repeat 1`` exits 0 and prints its row.

    pypiserver starts in about a second; without its venv the row says it was skipped and why.
    """
    servers = BENCHMARKS / "bench_servers.py"
    output = _run_bench(servers, "--pip", "26.3", "--only", "pypiserver right", "--repeat", "1")
    assert re.search(r"scenario\s*\|\s*pip\s*\|\s*pip s\s*\|\s*safepip\s*\|", output), output
    assert "load average" in output, output
    rows = [line for line in output.splitlines() if line.startswith("pypiserver right")]
    assert len(rows) == 1, output
    if "skipped:" in rows[0]:
        assert "pypiserver is not installed" in rows[0], output
    else:
        assert re.search(r"\|\s*ok \(exit 0\)\s*\|.*\|\s*success\s*\|\s*1\s*\|", rows[0])
    assert "devpi" not in output, "only the chosen scenario's server starts"
