"""The subprocess seam with real child processes (no pip needed)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from safepip import runner
from safepip.errors import PipNotFound
from safepip.runner import query, run_pip


def test_budget_timeout_ends_the_child(tmp_path: Path) -> None:
    """A child that outlives its timeout is ended and the run is marked timed out."""
    start = time.monotonic()
    run = run_pip(
        [sys.executable, "-c", "import time; time.sleep(30)"],
        env=dict(os.environ),
        log_path=tmp_path / "log",
        timeout=0.5,
    )
    assert run.timed_out is True
    assert run.returncode != 0
    assert time.monotonic() - start < 10


def test_log_is_read_from_where_it_was_before_the_run(tmp_path: Path) -> None:
    """pip appends to --log: only what this run wrote is returned."""
    log = tmp_path / "user.log"
    log.write_text("earlier run\n")
    code = f"open({str(log)!r}, 'a').write('this run\\n'); raise SystemExit(3)"
    run = run_pip([sys.executable, "-c", code], env=dict(os.environ), log_path=log, timeout=30)
    assert run.returncode == 3
    assert run.log == "this run\n"
    assert run.timed_out is False


def test_missing_interpreter_raises_pip_not_found(tmp_path: Path) -> None:
    """An interpreter that cannot start is PipNotFound, not an OSError traceback."""
    with pytest.raises(PipNotFound):
        run_pip([str(tmp_path / "nope")], env={}, log_path=tmp_path / "log", timeout=None)


def test_query_never_raises(tmp_path: Path) -> None:
    """query returns (127, '') for a missing command and (124, '') on a timeout."""
    assert query([str(tmp_path / "nope")], {}) == (127, "")
    assert query(
        [sys.executable, "-c", "import time; time.sleep(5)"], dict(os.environ), timeout=0.3
    ) == (124, "")
    assert query([sys.executable, "-c", "print('hi')"], dict(os.environ)) == (0, "hi\n")


def test_a_query_answer_that_never_ends_is_cut_off_not_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An interpreter that floods its answer is stopped at the bound, its output dropped.

    (`yes` writes gigabytes a second: keeping it all until the timeout exhausts memory.)
    """
    monkeypatch.setattr(runner, "MAX_ANSWER", 1024 * 1024)
    status, out = query(
        [sys.executable, "-c", "import sys\nwhile True: sys.stdout.write('y' * 65536)"],
        dict(os.environ),
        timeout=120,
    )
    assert out == ""
    assert status not in (0, 124)  # a failure, ended at the bound and not by the timeout


def test_a_query_answer_is_not_held_by_a_process_left_behind(tmp_path: Path) -> None:
    """The command answers and exits, a process it started keeps stdout open: its answer."""
    pidfile = tmp_path / "leftover.pid"
    code = (
        "import subprocess, sys\n"
        "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(300)'])\n"
        f"open({str(pidfile)!r}, 'w').write(str(p.pid))\n"
        "print('answer', flush=True)\n"
    )
    try:
        assert query([sys.executable, "-c", code], dict(os.environ), timeout=30) == (0, "answer\n")
    finally:
        os.kill(int(pidfile.read_text()), signal.SIGKILL)


def test_each_stream_reaches_its_own_stream_and_is_captured(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    """Through pipes: stdout to stdout, stderr to stderr, unchanged; the capture has both."""
    code = (
        "import sys\n"
        "for i in range(3):\n"
        "    print(f'out {i}', flush=True); print(f'err {i}', file=sys.stderr, flush=True)\n"
        "sys.exit(7)\n"
    )
    run = run_pip([sys.executable, "-c", code], env=dict(os.environ), log_path=None)
    out, err = capfd.readouterr()
    assert out == "out 0\nout 1\nout 2\n"
    assert err == "err 0\nerr 1\nerr 2\n"
    assert run.returncode == 7
    assert run.log == ""
    assert sorted(run.output.splitlines()) == sorted(out.splitlines() + err.splitlines())
    assert run.text == run.output


#: A pip whose stderr line is cut by a stdout line (an unbuffered ``print`` writes its text and
#: its newline apart), and whose last line has no newline.
PIECES = (
    "import os, time\n"
    "os.write(2, b'ERROR: No matching distri')\n"
    "time.sleep(0.3)\n"
    "os.write(1, b'Collecting demo\\n')\n"
    "time.sleep(0.3)\n"
    "os.write(2, b'bution found for demo\\n')\n"
    "os.write(2, b'no newline at the end')\n"
)


@pytest.mark.parametrize("runner", ["session", "pipes only (Windows; runs anywhere)"])
def test_a_line_written_in_pieces_is_captured_whole(
    runner: str, capfd: pytest.CaptureFixture[str]
) -> None:
    """stderr's line is cut by a write to stdout: the capture still holds both lines whole."""
    argv = [sys.executable, "-c", PIECES]
    if runner == "session":
        output = run_pip(argv, env=dict(os.environ), log_path=None).output
    else:
        from safepip.runner.windows import run_pipes_only

        _, output, _ = run_pipes_only(argv, dict(os.environ), 60, None)
    out, err = capfd.readouterr()
    assert out == "Collecting demo\n"  # the user's streams get every byte at once, as ever
    assert err == "ERROR: No matching distribution found for demo\nno newline at the end"
    assert sorted(output.splitlines()) == [
        "Collecting demo",
        "ERROR: No matching distribution found for demo",
        "no newline at the end",
    ]


def test_on_a_terminal_pip_sees_a_terminal_of_the_same_size(tmp_path: Path) -> None:
    """stdout and stderr on one terminal: pip gets a pseudo-terminal with the user's size."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 33, 123, 0, 0))
    pip = (
        "import os, sys; print(sys.stdout.isatty(), sys.stderr.isatty(),"
        " os.get_terminal_size().columns, os.get_terminal_size().lines)"
    )
    probe = (
        "import os, sys\nfrom safepip.runner import run_pip\n"
        f"run = run_pip([sys.executable, '-c', {pip!r}], env=dict(os.environ))\n"
        "print('captured:', run.output.strip())\n"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", probe], stdin=slave, stdout=slave, stderr=slave, close_fds=True
    )
    os.close(slave)
    output = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        output += chunk
    os.close(master)
    assert proc.wait(timeout=30) == 0
    # One \r per line: the user's terminal adds it, safepip's pseudo-terminal does not.
    assert output == b"True True 123 33\r\ncaptured: True True 123 33\r\n"


def test_a_user_stream_that_goes_away_ends_pips_writes_as_without_safepip(
    tmp_path: Path,
) -> None:
    """`safepip install ... | head -1`: pip meets the closed pipe too, safepip does not hang."""
    pip = "import sys\nfor i in range(100000): print('line', i)\n"
    probe = (
        "import os, sys\nfrom safepip.runner import run_pip\n"
        f"run = run_pip([sys.executable, '-c', {pip!r}], env=dict(os.environ))\n"
        "sys.stderr.write(f'status {run.returncode}')\n"
    )
    safepip = subprocess.Popen(
        [sys.executable, "-c", probe], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert safepip.stdout is not None
    head = subprocess.run(["head", "-1"], stdin=safepip.stdout, capture_output=True, check=True)
    safepip.stdout.close()
    _, err = safepip.communicate(timeout=60)
    assert head.stdout == b"line 0\n"
    assert b"status 1" in err or b"status 120" in err  # pip's own BrokenPipeError


def test_a_stream_nobody_reads_until_the_budget_ends_the_run_by_the_budget() -> None:
    """`safepip --time-budget N ... | less`, less left open: the run is timed out.

    At the budget safepip stops waiting for the reader and drops the stream; pip, writing into
    it, may die of that (SIGPIPE) before safepip looks again. The run was still ended by the
    budget, not a pip failure of its own to classify (and retry).
    """
    pip = "import sys\nwhile True: sys.stdout.write('x' * 65536)\n"
    probe = (
        "import os, sys, time\nfrom safepip.runner.session import Session\n"
        "class Late(Session):\n"
        "    def _copy(self, poller, wait):\n"
        "        events = super()._copy(poller, wait)\n"
        "        if self.give_up is not None and time.monotonic() >= self.give_up:\n"
        "            time.sleep(0.5)  # pip meets the dropped stream before safepip looks\n"
        "        return events\n"
        f"status, _, timed_out = Late([sys.executable, '-c', {pip!r}], dict(os.environ)).run(1)\n"
        "sys.stderr.write(f'timed_out={timed_out}')\n"
    )
    read, write = os.pipe()  # safepip's stdout: nobody reads it
    safepip = subprocess.Popen([sys.executable, "-c", probe], stdout=write, stderr=subprocess.PIPE)
    os.close(write)
    try:
        _, err = safepip.communicate(timeout=60)
    finally:
        safepip.kill()
        safepip.wait()
        os.close(read)
    assert err.decode().endswith("timed_out=True"), err


def test_pip_unwinds_on_the_forwarded_sigint_when_safepip_inherited_it_ignored() -> None:
    """A background job of a script starts with SIGINT ignored; pip must still unwind on it.

    Whatever ends pip (here the time budget) sends SIGINT, on which pip removes its temp dirs;
    an ignored SIGINT would leave them to the kill after the grace. pip starts with safepip's
    signal mask: SIGINT blocked there holds a budget that ends before pip is up (a slow start)
    until pip is in its ``try``; an ignored SIGINT is discarded, blocked or not.
    """
    pip = (
        "import signal, time\ntry:\n    print('started', flush=True)\n"
        "    signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})\n    time.sleep(60)\n"
        "except KeyboardInterrupt:\n    print('unwound', flush=True)\n"
    )
    probe = (
        "import os, signal, sys\nfrom safepip.runner import run_pip\n"
        "signal.signal(signal.SIGINT, signal.SIG_IGN)\n"
        "signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})\n"
        f"run = run_pip([sys.executable, '-c', {pip!r}], env=dict(os.environ), timeout=1.0)\n"
        "sys.stderr.write(f'timed_out {run.timed_out}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, timeout=60, check=True
    )
    assert done.stdout == b"started\nunwound\n"
    assert done.stderr == b"timed_out True"


def test_a_signal_right_as_pip_starts_still_ends_pip(tmp_path: Path) -> None:
    """Ctrl-C between the spawn and the record of pip's pid: pip is ended, not left running."""
    pidfile = tmp_path / "pid"
    probe = (
        "import os, signal, sys\nfrom safepip.runner.session import Session\n"
        "real = os.posix_spawnp\n"
        "def spawn(*args, **kwargs):\n"
        "    pid = real(*args, **kwargs)\n"
        f"    open({str(pidfile)!r}, 'w').write(str(pid))\n"
        "    os.kill(os.getpid(), signal.SIGINT)\n"
        "    return pid\n"
        "os.posix_spawnp = spawn\n"
        "try:\n"
        "    Session([sys.executable, '-c', 'import time; time.sleep(60)'], os.environ).run(None)\n"
        "except KeyboardInterrupt:\n"
        "    print('interrupted')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, timeout=60, check=False
    )
    pid = int(pidfile.read_text())
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        alive = False
    else:  # pragma: no cover - the failure this test guards against
        alive = True
        os.kill(pid, 9)
    assert not alive
    assert done.stdout == b"interrupted\n"


def test_a_leftover_that_keeps_writing_after_pip_exits_does_not_hold_safepip(
    tmp_path: Path,
) -> None:
    """pip exits but a process it started keeps writing to the stream: safepip returns anyway."""
    writer = "import sys\nwhile True: print('still here', flush=True)\n"
    pip = (
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', {writer!r}])\n"
        "print('pip done', flush=True)\n"
    )
    probe = (
        "import os, sys\nfrom safepip.runner import run_pip\n"
        f"run = run_pip([sys.executable, '-c', {pip!r}], env=dict(os.environ))\n"
        "sys.stderr.write(f'status {run.returncode}')\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        timeout=60,  # a hang, not a speed: the drain stops after DRAIN_LIMIT
        check=False,
    )
    assert done.stderr.endswith(b"status 0")
