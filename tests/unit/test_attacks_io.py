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
from pathlib import Path
from typing import IO

import pytest
from support.fakepip import fake_pip
from support.runs import run_cli

from safepip.cli import main

OK_BODY = 'echo "Successfully installed demo-1.0" > "$LOG"\nexit 0\n'
NOT_FOUND_BODY = (
    "printf '%s\\n' 'ERROR: Could not find a version that satisfies the requirement demo"
    " (from versions: none)' 'ERROR: No matching distribution found for demo' > \"$LOG\"\nexit 1\n"
)


@pytest.fixture(autouse=True)
def _no_pip_config(monkeypatch: pytest.MonkeyPatch) -> None:
    """pip's config files are off (HOME and TMPDIR are the suite's hermetic ones)."""
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
        "HOME": os.environ["HOME"],
        "TMPDIR": os.environ["TMPDIR"],
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


# --- hostile inputs: devices, FIFOs, links, closed stdin (each run under a timeout) -------


def _safepip(
    args: list[str], tmp_path: Path, *, stdin: int | IO[bytes] = subprocess.DEVNULL
) -> subprocess.CompletedProcess[str]:
    """``python -m safepip ARGS`` with a timeout: a hang fails the test instead of the run."""
    env = {**os.environ, "PIP_CONFIG_FILE": os.devnull}
    return run_cli(args, env=env, cwd=tmp_path, timeout=60, stdin=stdin)


def _one_line_usage_error(done: subprocess.CompletedProcess[str], *words: str) -> None:
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("safepip: error:")]
    assert len(errors) == 1, done.stderr
    for word in words:
        assert word in errors[0]


def _hostile_path(tmp_path: Path, kind: str) -> str:
    if kind == "fifo":
        os.mkfifo(tmp_path / "log.fifo")
        return str(tmp_path / "log.fifo")
    if kind == "link-to-zero":
        (tmp_path / "pip.log").symlink_to("/dev/zero")
        return str(tmp_path / "pip.log")
    if kind == "loop":
        (tmp_path / "a").symlink_to(tmp_path / "b")
        (tmp_path / "b").symlink_to(tmp_path / "a")
        return str(tmp_path / "a")
    if kind == "directory":
        return str(tmp_path)
    return kind  # a device path


HOSTILE = {
    "/dev/zero": "character device",
    "/dev/urandom": "character device",
    "fifo": "FIFO",
    "link-to-zero": "character device",
    "loop": "symbolic links",
    "directory": "directory",
}


@pytest.mark.parametrize(("kind", "said"), HOSTILE.items(), ids=list(HOSTILE))
@pytest.mark.parametrize("command", ["diagnose", "fix-requirements"])
def test_hostile_inputs_are_refused_at_once(
    tmp_path: Path, command: str, kind: str, said: str
) -> None:
    """Old: MemoryError after growing without bound, or a hang on the FIFO. New: exit 2."""
    done = _safepip([command, _hostile_path(tmp_path, kind)], tmp_path)
    _one_line_usage_error(done, said)


@pytest.mark.parametrize("command", [["diagnose", "-"], ["fix-requirements", "-"]])
def test_endless_stdin_stops_at_the_cap(tmp_path: Path, command: list[str]) -> None:
    """``... < /dev/zero``: read up to the cap, then one line (old: memory without bound)."""
    with Path("/dev/zero").open("rb") as zero:
        done = _safepip(command, tmp_path, stdin=zero)
    _one_line_usage_error(done, "MB")


@pytest.mark.parametrize("command", [["diagnose", "-"], ["diagnose"], ["fix-requirements", "-"]])
def test_closed_stdin_is_a_usage_error(tmp_path: Path, command: list[str]) -> None:
    """``safepip diagnose - <&-`` (old: AttributeError traceback)."""
    code = (
        "import os, runpy, sys; os.close(0); sys.stdin = None;"
        f" sys.argv = ['safepip', *{command!r}]; runpy.run_module('safepip', run_name='__main__')"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
        timeout=60,
    )
    _one_line_usage_error(done, "standard input")


def test_an_unreadable_log_is_one_line(tmp_path: Path) -> None:
    """EACCES as a non-root user (root reads anything, so the test is skipped there)."""
    if os.geteuid() == 0:
        pytest.skip("root ignores file permissions: EACCES cannot be provoked")
    log = tmp_path / "pip.log"
    log.write_text("ERROR: x\n")
    log.chmod(0)
    _one_line_usage_error(_safepip(["diagnose", str(log)], tmp_path), "Permission denied")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/full", "fifo"])
def test_install_with_a_device_as_its_log_does_not_hang(tmp_path: Path, device: str) -> None:
    """``--log /dev/zero``: pip's status and report, no endless read-back (old: a hang)."""
    python = fake_pip(
        tmp_path, 'echo "ERROR: No matching distribution found for demo" >&2\nexit 1\n'
    )
    log = _hostile_path(tmp_path, device)
    done = _safepip(["install", "--python", str(python), "demo", "--log", log], tmp_path)
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize(
    "args",
    [
        ["install", "--time-budget", "1e10", "demo"],
        ["install", "--time-budget", "nan", "demo"],
        ["install", "--time-budget=inf", "demo"],
        ["install", "--time-budget", "-1", "demo"],
        ["install", "--max-wait", "1e10", "demo"],
        ["install", "--backoff", "nan", "demo"],
        ["install", "--attempts", "-3", "demo"],
        ["doctor", "--timeout", "nan"],
        ["doctor", "--timeout", "-1"],
        ["doctor", "--timeout", "0"],
        ["doctor", "--timeout", "inf"],
    ],
)
def test_bad_numbers_are_usage_errors(args: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    """Old: ``--time-budget 1e10`` raised OverflowError in the timer; NaN timeouts were taken."""
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert args[1].split("=")[0] in err


_ODD_ANSWERS = {
    "garbage": "print('{not json')",
    "wrong-types": (
        "print(json.dumps({'version': 3, 'prefix': [1], 'base_prefix': {}, 'stdlib': 5,"
        " 'purelib': ['x'], 'platlib': None, 'pip': 24}) if 'sysconfig' in ' '.join(sys.argv)"
        " else json.dumps([1, {'name': 1}, {'name': 'a', 'version': [2]}]))"
    ),
    "nul-bytes": (
        "print(json.dumps({'version': '3', 'prefix': '/x\\u0000y', 'stdlib': '/a\\u0000b',"
        " 'purelib': '/p\\u0000', 'platlib': 'x' * 5000, 'pip': '24.0'})"
        " if 'sysconfig' in ' '.join(sys.argv) else '/c\\u0000ache')"
    ),
    "a-list": "print(json.dumps([1, 2, 3]))",
}


@pytest.mark.parametrize("answer", list(_ODD_ANSWERS))
@pytest.mark.parametrize(
    "command",
    [["doctor", "--offline"], ["doctor", "--offline", "--json"], ["cache", "verify"]],
)
def test_an_interpreter_that_answers_oddly(tmp_path: Path, answer: str, command: list[str]) -> None:
    """Old: ``doctor`` raised TypeError on wrong types. New: a report, never a traceback."""
    python = tmp_path / "python"
    python.write_text(f"#!{sys.executable}\nimport json, sys\n{_ODD_ANSWERS[answer]}\n")
    python.chmod(0o755)
    (tmp_path / "req.txt").write_text("demo @ file:///gone/demo-1.0.tar.gz\n")
    for args in ([*command, "--python", str(python)],):
        done = _safepip(args, tmp_path)
        assert done.returncode in (0, 1), done.stderr
        assert "Traceback" not in done.stderr
    fixed = _safepip(["fix-requirements", "req.txt", "--python", str(python)], tmp_path)
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout == "demo==1.0\n"


def test_a_bind_mounted_report_file_is_written_in_place(tmp_path: Path) -> None:
    """A report file bind-mounted into a container is written in place.

    ``docker run -v ./report.json:/out/report.json``: a rename over it fails (EBUSY), so the file
    is written as ``>`` would (old: exit 1 after pip succeeded, no report).
    """
    python = fake_pip(tmp_path, OK_BODY)
    (tmp_path / "host.json").write_text("")
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "r.json").write_text("")
    done = _in_namespace(
        'mount --bind "$T/host.json" "$T/out/r.json"\n'
        f'"$PY" -m safepip install --python {python} --report-json "$T/out/r.json" demo\n'
        'echo "install=$?"\n',
        tmp_path,
    )
    assert done.stdout.splitlines() == ["install=0"], done.stderr
    assert json.loads((tmp_path / "host.json").read_text())["outcome"] == "success"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["r.json"]
