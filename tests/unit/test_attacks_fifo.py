"""Writes to a FIFO that nobody reads, through the CLI (each run under a timeout).

Old: ``--report-json f``, ``GITHUB_STEP_SUMMARY=f`` or ``fix-requirements -o f`` on a FIFO with
no reader waited in ``open()`` forever, after pip had finished (a CI job hung until its own
timeout). New: one line saying no process reads the FIFO, at once, and the exit status the run
had anyway (pip's for the report and the summary, 2 for ``fix-requirements``).
"""

from __future__ import annotations

import os
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from support.fakepip import fake_pip

if TYPE_CHECKING:
    from pathlib import Path

OK_BODY = 'echo "Successfully installed demo-1.0" > "$LOG"\nexit 0\n'
NOT_FOUND_BODY = (
    "printf '%s\\n' 'ERROR: Could not find a version that satisfies the requirement demo"
    " (from versions: none)' 'ERROR: No matching distribution found for demo' > \"$LOG\"\nexit 1\n"
)
NO_READER = "a FIFO that no process opened for reading in 0.2 seconds"
STATUSES = pytest.mark.parametrize(
    ("body", "status"), [(OK_BODY, 0), (NOT_FOUND_BODY, 1)], ids=["pip-ok", "pip-failed"]
)


def _fifo(tmp_path: Path) -> Path:
    fifo = tmp_path / "out.fifo"
    os.mkfifo(fifo)
    return fifo


def _safepip(args: list[str], tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    """``python -m safepip ARGS`` waiting 0.2 s for a reader; not under CI unless ``env`` says.

    Under a timeout: a hang fails the test instead of the run.
    """
    code = (
        "import runpy, sys; import safepip.files as files; files.WRITE_STALL = 0.2;"
        f" sys.argv = ['safepip', *{args!r}]; runpy.run_module('safepip', run_name='__main__')"
    )
    ci = {"GITHUB_ACTIONS", "GITLAB_CI", "GITHUB_STEP_SUMMARY"}
    base = {k: v for k, v in os.environ.items() if k not in ci}
    return subprocess.run(
        [sys.executable, "-c", code],
        env={**base, "PIP_CONFIG_FILE": os.devnull, **env},
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@STATUSES
def test_report_json_to_a_fifo_without_reader(tmp_path: Path, body: str, status: int) -> None:
    python = fake_pip(tmp_path, body)
    fifo = _fifo(tmp_path)
    done = _safepip(
        ["install", "--python", str(python), "--report-json", str(fifo), "demo"], tmp_path
    )
    assert done.returncode == status, done.stderr
    assert "Traceback" not in done.stderr
    (line,) = [line for line in done.stderr.splitlines() if "JSON report" in line]
    assert line == (
        f"safepip: warning: cannot write the JSON report to {fifo}: {NO_READER}"
        " (report not written; pip's exit status is kept)"
    )
    assert (tmp_path / "out.fifo").is_fifo()


@STATUSES
def test_step_summary_on_a_fifo_without_reader(tmp_path: Path, body: str, status: int) -> None:
    """The environment is untrusted: a planted FIFO as the summary costs one warning, no hang."""
    python = fake_pip(tmp_path, body)
    fifo = _fifo(tmp_path)
    done = _safepip(
        ["install", "--python", str(python), "demo"],
        tmp_path,
        GITHUB_ACTIONS="true",
        GITHUB_STEP_SUMMARY=str(fifo),
    )
    assert done.returncode == status, done.stderr
    output = done.stdout + done.stderr
    assert "Traceback" not in output
    warnings = [line for line in output.splitlines() if "step summary" in line]
    assert warnings == [
        f"::warning title=safepip::cannot write the step summary {fifo}: {NO_READER}"
    ]


def test_fix_requirements_output_to_a_fifo_without_reader(tmp_path: Path) -> None:
    req = tmp_path / "req.txt"
    req.write_text("demo==1.0\n")
    fifo = _fifo(tmp_path)
    done = _safepip(["fix-requirements", str(req), "-o", str(fifo)], tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.splitlines() == [f"safepip: error: cannot write {fifo}: {NO_READER}"]
    assert req.read_text() == "demo==1.0\n"
