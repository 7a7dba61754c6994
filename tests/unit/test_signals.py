"""Signals end safepip cleanly: forwarded to pip's whole process group, no survivor, no temp dir.

A fake ``python`` (a Python script standing in for ``python -m pip``) fails its first attempt
with a bare not-found, so that safepip's second attempt runs with its own ``--log`` in a
``safepip-*`` temp dir; that attempt makes a ``pip-*`` temp dir, starts a child process (a build
backend) that ignores SIGINT, writes the pids and waits. A "polite" pip removes its temp dir on
SIGINT as pip does; a "stubborn" one ignores SIGINT.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import pips

from safepip.runner import GRACE_SECONDS

if TYPE_CHECKING:
    from collections.abc import Callable

FAKE_PIP = """\
import os, signal, subprocess, sys, tempfile, time
if "--log" not in sys.argv:
    print("ERROR: Could not find a version that satisfies the requirement demo"
          " (from versions: none)", file=sys.stderr)
    print("ERROR: No matching distribution found for demo", file=sys.stderr)
    sys.exit(1)
state = sys.argv[0] + ".state"
workdir = None
try:  # from its temp dir on, as pip: a SIGINT at any point removes it
    workdir = tempfile.mkdtemp(prefix="pip-")
    child = subprocess.Popen([sys.executable, "-c",
        "import signal, time; signal.signal(signal.SIGINT, signal.SIG_IGN); time.sleep(120)"])
    if STUBBORN:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    with open(state + ".tmp", "w") as handle:
        handle.write(f"{os.getpid()} {child.pid} {workdir}")
    os.rename(state + ".tmp", state)
    time.sleep(120)
except KeyboardInterrupt:
    if workdir is not None:
        os.rmdir(workdir)
    print("ERROR: Operation cancelled by user", file=sys.stderr)
    sys.exit(1)
"""


def _fake_python(tmp_path: Path, *, stubborn: bool) -> Path:
    script = tmp_path / "fakepy"
    body = FAKE_PIP.replace("STUBBORN", repr(stubborn))
    script.write_text(f"#!{sys.executable}\n{body}")
    script.chmod(0o755)
    return script


def _alive(pid: int) -> bool:
    """Running (a zombie awaiting its reaper counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        return True
    return stat.rsplit(")", 1)[1].split()[0] not in {"Z", "X"}


def _private_tmp_env(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment isolated from pip's config, with a TMPDIR of its own (returned too)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    return pips.isolated_env({"TMPDIR": str(tmp)}), tmp


def _start(tmp_path: Path, *, stubborn: bool) -> tuple[subprocess.Popen[bytes], int, int, Path]:
    python = _fake_python(tmp_path, stubborn=stubborn)
    env, tmp = _private_tmp_env(tmp_path)
    proc = subprocess.Popen(
        [sys.executable, "-m", "safepip", "install", "--python", str(python), "demo"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    state = Path(str(python) + ".state")
    deadline = time.monotonic() + 30
    while not state.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "the fake pip never started"
        time.sleep(0.05)
    pip_pid, child_pid, _ = state.read_text().split(" ", 2)
    return proc, int(pip_pid), int(child_pid), tmp


def _gone(*pids: int) -> bool:
    deadline = time.monotonic() + 5  # init may take a moment to reap the orphaned child
    while any(_alive(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.mark.parametrize(
    ("sig", "status"),
    [(signal.SIGHUP, 129), (signal.SIGQUIT, 131), (signal.SIGTERM, 143), (signal.SIGINT, 130)],
)
def test_a_signal_lets_pip_clean_up_then_ends_its_whole_group(
    tmp_path: Path, sig: int, status: int
) -> None:
    """pip gets SIGINT and removes its temp dir; its child is killed; no safepip dir is left."""
    proc, pip_pid, child_pid, tmp = _start(tmp_path, stubborn=False)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == status, err
    assert _gone(pip_pid, child_pid)
    assert list(tmp.iterdir()) == []  # pip removed pip-*, safepip removed safepip-*


@pytest.mark.parametrize(("sig", "status"), [(signal.SIGHUP, 129), (signal.SIGQUIT, 131)])
def test_a_pip_that_ignores_the_signal_is_killed_after_the_grace(
    tmp_path: Path, sig: int, status: int
) -> None:
    """A pip that ignores the forwarded signal is killed, with its child, when the grace ends."""
    proc, pip_pid, child_pid, tmp = _start(tmp_path, stubborn=True)
    start = time.monotonic()
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == status, err
    assert time.monotonic() - start >= GRACE_SECONDS - 0.5
    assert _gone(pip_pid, child_pid)
    assert not [p for p in tmp.iterdir() if p.name.startswith("safepip-")]


def test_a_second_sigterm_kills_at_once(tmp_path: Path) -> None:
    """Double SIGTERM: the second one ends the grace; pip and its child die; exit 143."""
    proc, pip_pid, child_pid, tmp = _start(tmp_path, stubborn=True)
    start = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    time.sleep(0.5)
    assert proc.poll() is None  # still in the grace
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 143, err
    assert time.monotonic() - start < GRACE_SECONDS
    assert _gone(pip_pid, child_pid)
    assert not [p for p in tmp.iterdir() if p.name.startswith("safepip-")]
    assert b"terminated (SIGTERM)" in err


def test_ctrl_c_at_the_terminal_reaches_safepip_which_forwards_it(tmp_path: Path) -> None:
    """On a pseudo-terminal, ^C signals the foreground group (safepip); pip is ended; exit 130."""
    import pty

    python = _fake_python(tmp_path, stubborn=False)
    env, tmp = _private_tmp_env(tmp_path)
    pid, master = pty.fork()
    if pid == 0:  # pragma: no cover - the child: safepip in the terminal's foreground group
        os.execve(  # noqa: S606 - the interpreter running the tests, fixed arguments
            sys.executable,
            [sys.executable, "-m", "safepip", "install", "--python", str(python), "demo"],
            env,
        )
    state = Path(str(python) + ".state")
    output = b""
    deadline = time.monotonic() + 30
    try:
        while not state.exists():
            assert time.monotonic() < deadline, output
            output += _read_some(master)
        pip_pid, child_pid, _ = (int(x) if x.isdigit() else 0 for x in state.read_text().split())
        os.write(master, b"\x03")
        output += _read_to_end(master, deadline)  # all pip wrote, though safepip may be gone
        status = _wait(pid, deadline)
    finally:
        os.close(master)
    assert os.waitstatus_to_exitcode(status) == 130, output
    assert b"Operation cancelled by user" in output  # pip's own last words reached the terminal
    assert _gone(pip_pid, child_pid)
    assert list(tmp.iterdir()) == []


def _read_some(fd: int) -> bytes:
    import select

    ready, _, _ = select.select([fd], [], [], 0.1)
    if not ready:
        return b""
    try:
        return os.read(fd, 65536)
    except OSError:
        return b""


def _read_to_end(fd: int, deadline: float) -> bytes:
    """What a pseudo-terminal still holds, until no process has it open (EIO) or EOF."""
    import select

    output = b""
    while True:
        assert time.monotonic() < deadline, output
        ready, _, _ = select.select([fd], [], [], 0.1)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:  # EIO: the terminal's last writer is gone, its buffer read
            return output
        if not chunk:
            return output
        output += chunk


def _wait(pid: int, deadline: float) -> int:
    """The wait status of the child ``pid`` once it has ended (``deadline``: no hang)."""
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return status
        assert time.monotonic() < deadline, "the process never ended"
        time.sleep(0.05)


LAUNCHER = """\
import os, sys
pid = os.fork()
if pid == 0:
    os.setpgid(0, 0)
    os.execv(sys.executable, [sys.executable, "-m", "safepip", "install", "--python", FAKE, "demo"])
os.setpgid(pid, pid)
os.tcsetpgrp(0, pid)  # safepip is the terminal's foreground job, as a shell makes it
print("safepip", pid, flush=True)
while True:
    done, status = os.waitpid(pid, os.WUNTRACED)
    if os.WIFSTOPPED(status):
        continue
    print("status", os.waitstatus_to_exitcode(status), flush=True)
    break
"""


class _Screen:
    """What a pseudo-terminal showed so far."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.data = b""

    def read(self) -> bytes:
        self.data += _read_some(self.fd)
        return self.data


def _state(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def _until(check: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + 15
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.05)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states in /proc")
def test_ctrl_z_stops_pip_with_safepip_and_fg_resumes_both(tmp_path: Path) -> None:
    """^Z at the terminal stops safepip and pip's group; SIGCONT (``fg``) resumes both."""
    import pty

    python = _fake_python(tmp_path, stubborn=False)
    env, _tmp = _private_tmp_env(tmp_path)
    launcher = LAUNCHER.replace("FAKE", repr(str(python)))
    pid, master = pty.fork()
    if pid == 0:  # pragma: no cover - the child: a shell stand-in, session leader of the pty
        os.execve(sys.executable, [sys.executable, "-c", launcher], env)  # noqa: S606
    state = Path(str(python) + ".state")
    screen = _Screen(master)
    try:
        _until(lambda: b"safepip " in screen.read() and state.exists(), "pip never started")
        safepip_pid = int(screen.data.split(b"safepip ", 1)[1].split()[0])
        pip_pid = int(state.read_text().split()[0])
        os.write(master, b"\x1a")
        _until(lambda: _state(pip_pid) == "T" and _state(safepip_pid) == "T", "nothing stopped")
        os.kill(safepip_pid, signal.SIGCONT)
        _until(lambda: _state(pip_pid) not in {"T", "gone"}, "pip was not resumed")
        assert _state(safepip_pid) not in {"T", "gone"}
        os.kill(safepip_pid, signal.SIGTERM)
        _until(lambda: b"status " in screen.read(), "safepip did not end")
    finally:
        os.close(master)
        os.waitpid(pid, 0)
    assert b"status 143" in screen.data, screen.data
    assert _gone(pip_pid)
