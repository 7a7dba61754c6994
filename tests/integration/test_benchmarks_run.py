"""The fault benchmark runs end to end (``bench_faults.py --quick``) and prints its table.

This guards the benchmark script itself (imports, scenario set-up, peers, table), not its
numbers: timing goals are the benchmark's business, not a test's.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from support import pips

pytestmark = pytest.mark.integration

BENCH = Path(__file__).resolve().parents[2] / "benchmarks" / "bench_faults.py"


def test_bench_faults_quick_runs_and_prints_the_table() -> None:
    """``bench_faults.py --quick`` exits 0 and prints the header and a row for every peer."""
    if "26.3" not in pips.available_pip_versions():
        pytest.skip("pip 26.3 is not in .ci/wheelhouse: run .ci/prepare-pips")
    done = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        env=pips.isolated_env(),
        capture_output=True,
        text=True,
        timeout=240,
        check=False,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert re.search(r"scenario\s*\|\s*peer\s*\|\s*success\s*\|\s*wall s", output), output
    for peer in ("pip", "pip --retries 10", "shell loop x3", "safepip"):
        assert re.search(rf"\|\s*{re.escape(peer)}\s*\|\s*(yes|no)\s*\|", output), peer
    assert "corrupt download cached" in output
    assert "missing local path" in output
