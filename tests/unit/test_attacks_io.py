"""Attacks on the files safepip writes and reads (issue 12, items 3 and 5), through the CLI.

Each test plays one attack against ``safepip.cli.main`` (or ``python -m safepip``) with a scripted
pip and checks what a hostile user of a shared machine could get: a planted link followed, a
device replaced, a report write that costs pip's exit status, a read that hangs or eats memory.
Device targets are exercised inside a private mount namespace (a tmpfs over ``/dev``) where the
test can make one, so a regression cannot damage the machine's own ``/dev/null``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from support.fakepip import fake_pip

from safepip.cli import main

OK_BODY = 'echo "Successfully installed demo-1.0" > "$LOG"\nexit 0\n'
NOT_FOUND_BODY = (
    "printf '%s\\n' 'ERROR: Could not find a version that satisfies the requirement demo"
    " (from versions: none)' 'ERROR: No matching distribution found for demo' > \"$LOG\"\nexit 1\n"
)


@pytest.fixture(autouse=True)
def _private_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """safepip's own temp dirs (kept pip logs) go under the test's directory."""
    private = tmp_path / "tmp"
    private.mkdir()
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", str(private))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PIP_CONFIG_FILE", os.devnull)
    for name in ("GITHUB_ACTIONS", "GITLAB_CI", "GITHUB_STEP_SUMMARY"):
        monkeypatch.delenv(name, raising=False)


def test_a_link_planted_at_the_old_temp_name_is_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Old: ``--report-json r.json`` wrote through ``r.json.tmp`` -> victim (victim overwritten)."""
    victim = tmp_path / "victim"
    victim.write_text("root's secret config\n")
    victim.chmod(0o600)
    report = tmp_path / "r.json"
    for planted in ("r.json.tmp", ".r.json.tmp", "r.json~", ".r.json.swp"):
        (tmp_path / planted).symlink_to(victim)
    python = fake_pip(tmp_path, OK_BODY)
    assert main(["install", "--python", str(python), "--report-json", str(report), "demo"]) == 0
    assert victim.read_text() == "root's secret config\n"
    assert json.loads(report.read_text())["outcome"] == "success"
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize(
    ("body", "status"), [(OK_BODY, 0), (NOT_FOUND_BODY, 1)], ids=["pip-ok", "pip-failed"]
)
def test_a_report_that_cannot_be_written_keeps_pips_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], body: str, status: int
) -> None:
    """Old: exit 1 after pip succeeded. New: one warning line, pip's status, nothing left."""
    python = fake_pip(tmp_path, body)
    report = tmp_path / "missing-dir" / "r.json"
    assert (
        main(["install", "--python", str(python), "--report-json", str(report), "demo"]) == status
    )
    err = capsys.readouterr().err
    (line,) = [line for line in err.splitlines() if "JSON report" in line]
    assert line.startswith("safepip: warning: cannot write the JSON report to")
    assert "No such file or directory" in line
    assert "Traceback" not in err
    assert not report.parent.exists()


def test_a_read_only_report_directory_keeps_pips_status(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """EACCES (as a non-root user; root bypasses mode bits, so the test is skipped there)."""
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions: EACCES cannot be provoked")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    python = fake_pip(tmp_path, OK_BODY)
    report = locked / "r.json"
    assert main(["install", "--python", str(python), "--report-json", str(report), "demo"]) == 0
    assert "Permission denied" in capsys.readouterr().err
    assert list(locked.iterdir()) == []


def test_fix_requirements_output_through_a_user_symlink(tmp_path: Path) -> None:
    """Old: ``-o link`` replaced the symlink by a regular file. New: the link's target is written."""
    req = tmp_path / "req.txt"
    req.write_text("demo==1.0\n")
    real = tmp_path / "real.txt"
    link = tmp_path / "out.txt"
    link.symlink_to(real)
    assert main(["fix-requirements", str(req), "-o", str(link)]) == 0
    assert link.is_symlink()
    assert real.read_text() == "demo==1.0\n"


def test_fix_requirements_output_to_a_fifo(tmp_path: Path) -> None:
    """Old: a temp file then a rename replaced the FIFO. New: the FIFO's reader gets the text."""
    req = tmp_path / "req.txt"
    req.write_text("demo==1.0\n")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    reader = subprocess.Popen(["cat", str(fifo)], stdout=subprocess.PIPE)
    try:
        assert main(["fix-requirements", str(req), "-o", str(fifo)]) == 0
        out, _ = reader.communicate(timeout=30)
    finally:
        reader.kill()
        reader.wait()
    assert out == b"demo==1.0\n"
    assert fifo.exists()
    assert not fifo.is_file()


# --- devices, inside a private mount namespace ------------------------------------------

_NAMESPACE_SETUP = (
    "set -e\n"
    "mount -t tmpfs tmpfs /dev\n"
    "mknod -m 666 /dev/null c 1 3\n"
    "mknod -m 666 /dev/full c 1 7\n"
    "mknod -m 666 /dev/zero c 1 5\n"
    "ln -s /proc/self/fd/1 /dev/stdout\n"
    "ln -s /proc/self/fd/2 /dev/stderr\n"
    "set +e\n"
)


DEV_NAMES = ["full", "null", "stderr", "stdout", "zero"]


def _namespace_available() -> str:
    """Empty when a private mount namespace with a tmpfs /dev can be made, else why not."""
    if shutil.which("unshare") is None:
        return "unshare(1) is not installed"
    probe = subprocess.run(
        ["unshare", "--mount", "sh", "-c", _NAMESPACE_SETUP + "test -c /dev/null"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    if probe.returncode != 0:
        return f"cannot make a private mount namespace with device nodes: {probe.stderr.strip()}"
    return ""


def _in_namespace(script: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    reason = _namespace_available()
    if reason:
        pytest.skip(reason)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(tmp_path / "home"),
        "TMPDIR": str(tmp_path / "tmp"),
        "PIP_CONFIG_FILE": "/proc/self/fd/nonexistent",
        "PY": sys.executable,
        "T": str(tmp_path),
    }
    return subprocess.run(
        ["unshare", "--mount", "sh", "-c", _NAMESPACE_SETUP + script],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=120,
    )


def test_report_and_output_to_dev_null_leave_it_a_device(tmp_path: Path) -> None:
    """Old: ``/dev/null`` became a regular file holding the JSON. New: it stays a device."""
    python = fake_pip(tmp_path, OK_BODY)
    (tmp_path / "req.txt").write_text("demo==1.0\n")
    done = _in_namespace(
        f'"$PY" -m safepip install --python {python} --report-json /dev/null demo\n'
        'echo "install=$?"\n'
        '"$PY" -m safepip fix-requirements "$T/req.txt" -o /dev/null\n'
        'echo "fix=$?"\n'
        "stat -c '%F' /dev/null\n"
        "ls -A /dev\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert "install=0" in lines
    assert "fix=0" in lines
    assert "character special file" in lines
    assert sorted(lines[lines.index("character special file") + 1 :]) == DEV_NAMES


def test_output_to_dev_stdout_keeps_the_link_and_reaches_stdout(tmp_path: Path) -> None:
    """Old: ``-o /dev/stdout`` replaced the symlink by a regular file. New: text on stdout."""
    (tmp_path / "req.txt").write_text("demo==1.0\n")
    done = _in_namespace(
        '"$PY" -m safepip fix-requirements "$T/req.txt" -o /dev/stdout\n'
        "stat -c '%F' /dev/stdout\n",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == ["demo==1.0", "symbolic link"]


def test_report_on_a_full_device_keeps_pips_status(tmp_path: Path) -> None:
    """ENOSPC from ``/dev/full``: one warning line, exit 0 as pip's, no temp file in /dev."""
    python = fake_pip(tmp_path, OK_BODY)
    done = _in_namespace(
        f'"$PY" -m safepip install --python {python} --report-json /dev/full demo\n'
        'echo "install=$?"\n'
        "stat -c '%F' /dev/full\n"
        "ls -A /dev\n",
        tmp_path,
    )
    lines = done.stdout.splitlines()
    assert "install=0" in lines
    assert "character special file" in lines
    assert sorted(lines[lines.index("character special file") + 1 :]) == DEV_NAMES
    warnings = [line for line in done.stderr.splitlines() if "JSON report" in line]
    assert len(warnings) == 1
    assert "No space left on device" in warnings[0]
    assert "Traceback" not in done.stderr


def test_report_on_a_full_filesystem_removes_its_temp_file(tmp_path: Path) -> None:
    """ENOSPC on a real (tiny, full) tmpfs: the temp file is gone and pip's status kept."""
    python = fake_pip(tmp_path, NOT_FOUND_BODY)
    (tmp_path / "small").mkdir()
    done = _in_namespace(
        'mount -t tmpfs -o size=64k tmpfs "$T/small"\n'
        'dd if=/dev/zero of="$T/small/fill" bs=4k 2>/dev/null || true\n'
        f'"$PY" -m safepip install --python {python} --report-json "$T/small/r.json" demo\n'
        'echo "install=$?"\n'
        'ls -A "$T/small"\n',
        tmp_path,
    )
    lines = done.stdout.splitlines()
    assert lines == ["install=1", "fill"], done.stderr
    assert "No space left on device" in done.stderr


def test_report_on_a_read_only_filesystem_keeps_pips_status(tmp_path: Path) -> None:
    """EROFS: a read-only bind mount; one warning line and pip's status."""
    python = fake_pip(tmp_path, OK_BODY)
    (tmp_path / "ro").mkdir()
    done = _in_namespace(
        'mount --bind "$T/ro" "$T/ro" && mount -o remount,bind,ro "$T/ro"\n'
        f'"$PY" -m safepip install --python {python} --report-json "$T/ro/r.json" demo\n'
        'echo "install=$?"\n',
        tmp_path,
    )
    assert done.stdout.splitlines() == ["install=0"], done.stderr
    assert "Read-only file system" in done.stderr
