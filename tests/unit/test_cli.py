"""The command line: exit statuses, pass-through, reports, signals (with a scripted fake pip)."""

from __future__ import annotations

import array
import contextlib
import fcntl
import json
import os
import re
import signal
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import pips
from support.fakepip import fake_pip

from safepip import pipargs
from safepip.cli import main
from safepip.install.loop import Installer
from safepip.model import PipRun

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

NOT_FOUND = (
    "ERROR: Could not find a version that satisfies the requirement nosuchpkg==3"
    " (from versions: 1.0, 2.0)\n"
    "ERROR: No matching distribution found for nosuchpkg\n"
)


def test_version_and_help() -> None:
    """--version prints the version; no command prints help and exits 2."""
    assert main(["--version"]) == 0
    assert main([]) == 2
    assert main(["--help"]) == 0


def test_unknown_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """An unknown command exits 2 with a one-line error and a hint, no traceback."""
    assert main(["instal", "x"]) == 2
    err = capsys.readouterr().err
    assert "unknown command 'instal'" in err
    assert "did you mean `safepip install`?" in err
    assert "Traceback" not in err
    assert main(["zzz"]) == 2
    assert "did you mean" not in capsys.readouterr().err


def test_install_help_lists_options_and_pass_through(capsys: pytest.CaptureFixture[str]) -> None:
    """`install --help` documents safepip's options and says the rest goes to pip."""
    assert main(["install", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--attempts" in out
    assert "SAFEPIP_TIME_BUDGET" in out
    assert "Every other argument goes to pip" in out


def test_bad_option_value_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    """A bad safepip option value is a usage error (2) with the option named."""
    assert main(["install", "--attempts", "zero", "demo"]) == 2
    assert "--attempts" in capsys.readouterr().err


def test_missing_interpreter_is_a_clear_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--python pointing nowhere exits 2 with a message, not a traceback."""
    assert main(["install", "--python", "/nonexistent/python", "demo"]) == 2
    err = capsys.readouterr().err
    assert "/nonexistent/python" in err
    assert "Traceback" not in err


@pytest.mark.parametrize("what", ["not-executable", "directory"])
def test_an_interpreter_that_cannot_start_gets_no_ensurepip_advice(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], what: str
) -> None:
    """A --python that is a plain file or a directory has no pip to install: name a real one."""
    python = tmp_path / "python"
    if what == "directory":
        python.mkdir()
    else:
        python.write_text("#!/bin/sh\n")
    assert main(["install", "--python", str(python), "demo"]) == 2
    err = capsys.readouterr().err
    assert f"cannot run pip with {python}" in err
    assert "ensurepip" not in err
    assert "--python takes the path of an existing interpreter" in err
    assert len(err.splitlines()) == 2  # the error and its hint


def test_failed_install_returns_pips_status_and_writes_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A deterministic failure: one run, pip's exit status, a JSON report, a final diagnosis."""
    python = fake_pip(tmp_path, f"printf '%s' '{NOT_FOUND}' > \"$LOG\"\nexit 1\n")
    report = tmp_path / "report.json"
    status = main(["install", "--python", str(python), "--report-json", str(report), "nosuchpkg"])
    assert status == 1
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    assert [call for call in calls if call.startswith("-m pip install")] == [
        "-m pip install --no-input nosuchpkg"
    ]
    document = json.loads(report.read_text())
    assert document["schema"] == 1
    assert document["outcome"] == "failed"
    assert document["diagnosis"]["kind"] == "not-found"
    assert len(document["attempts"]) == 1
    err = capsys.readouterr().err
    assert "not-found" in err
    assert "full pip log:" not in err  # pip ran without --log: its output above is all there is
    assert f"pip that ran: {python} (" in err  # not the active environment's pip


def test_a_closed_output_pipe_is_not_retried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`safepip install ... | head -1`: pip's stdout is gone, and a second pip would meet it too."""
    python = fake_pip(tmp_path, "echo 'ERROR: Pipe to stdout was broken' >&2\nexit 120\n")
    assert main(["install", "--python", str(python), "demo"]) == 120
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    assert [call for call in calls if call.startswith("-m pip install")] == [
        "-m pip install --no-input demo"
    ]
    assert "interrupted" in capsys.readouterr().err


def test_credentials_never_printed(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """user:password in index URLs is redacted in the text and JSON reports."""
    log = (
        "Looking in indexes: https://alice:s3cr3t@example.invalid/simple\n"
        "ERROR: HTTP error 401 while getting https://alice:s3cr3t@example.invalid/simple/demo/\n"
        "ERROR: Could not install requirement demo from https://alice:s3cr3t@example.invalid/f.whl"
        " because of HTTP error 401 Client Error: Unauthorized for url:"
        " https://alice:s3cr3t@example.invalid/f.whl\n"
    )
    python = fake_pip(tmp_path, f"printf '%s' '{log}' > \"$LOG\"\nexit 1\n")
    report = tmp_path / "r.json"
    main(
        [
            "install",
            "--python",
            str(python),
            "--report-json",
            str(report),
            "--index-url",
            "https://alice:s3cr3t@example.invalid/simple",
            "demo",
        ]
    )
    assert "s3cr3t" not in capsys.readouterr().err
    assert "s3cr3t" not in report.read_text()


def test_pip_quiet_flag_quiets_safepip_until_the_final_failure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """With pip's -q, only safepip's final failure lines are written."""
    python = fake_pip(tmp_path, f"printf '%s' '{NOT_FOUND}' > \"$LOG\"\nexit 1\n")
    main(["install", "--python", str(python), "-q", "nosuchpkg"])
    err = capsys.readouterr().err
    assert "attempt 1 failed" not in err
    assert "pip install failed: not-found" in err


@pytest.mark.parametrize("closed", ["2>&-", ">&- 2>&-"])
def test_closed_output_streams_keep_pips_status_and_a_clean_stdout(
    tmp_path: Path, closed: str
) -> None:
    """`safepip install ... 2>&-`: safepip's lines go nowhere, never to stdout or a traceback."""
    python = fake_pip(tmp_path, f"printf '%s' '{NOT_FOUND}' > \"$LOG\"\nexit 1\n")
    safepip = [sys.executable, "-m", "safepip", "install", "--python", str(python), "nosuchpkg"]
    done = subprocess.run(
        ["sh", "-c", f'"$@" {closed}', "sh", *safepip],
        env=pips.isolated_env(),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert done.stdout == b""


@contextlib.contextmanager
def _unread(
    tmp_path: Path, *options: str, stderr_too: bool
) -> Iterator[tuple[subprocess.Popen[bytes], Path, int]]:
    """`safepip install [options] demo` writing into a pipe nobody reads (pip prints forever).

    Yields the process, the file that holds pip's pid and the pipe's read end (left unread);
    whatever the test does, safepip and pip are gone and the pipe closed afterwards.
    """
    pidfile = tmp_path / "pip.pid"
    python = fake_pip(tmp_path, f'echo $$ > "{pidfile}"\nexec yes "pip output nobody reads"\n')
    read, write = os.pipe()
    proc = subprocess.Popen(
        [sys.executable, "-m", "safepip", "install", *options, "--python", str(python), "demo"],
        stdout=write,
        stderr=write if stderr_too else None,
        env=pips.isolated_env(),
    )
    os.close(write)
    try:
        yield proc, pidfile, read
    finally:
        if proc.poll() is None:  # pragma: no cover - the hang these tests guard against
            proc.kill()
            proc.wait()
            os.kill(int(pidfile.read_text()), signal.SIGKILL)
        os.close(read)


def test_a_reader_that_stopped_reading_does_not_hold_the_stop(tmp_path: Path) -> None:
    """`safepip install ... 2>&1 | less`, less left open: SIGTERM still ends pip and safepip."""
    with _unread(tmp_path, stderr_too=True) as (proc, pidfile, read):
        _wait_for_pid(pidfile)  # pip runs: safepip's handlers are in place
        _wait_until_full(read)  # safepip waits for room in the pipe
        proc.send_signal(signal.SIGTERM)
        status = proc.wait(timeout=30)
    assert status == 128 + signal.SIGTERM
    assert not _alive(int(pidfile.read_text()))


def test_a_reader_that_stopped_reading_does_not_outlast_the_budget(tmp_path: Path) -> None:
    """`safepip install --time-budget 2 ... | less`, less left open: the budget still ends it."""
    with _unread(tmp_path, "--time-budget", "2", stderr_too=False) as (proc, pidfile, _):
        status = proc.wait(timeout=30)
    assert status == 124
    assert not _alive(int(pidfile.read_text()))


def _run_and_signal(tmp_path: Path, sig: int) -> tuple[int, int]:
    pidfile = tmp_path / "pip.pid"
    python = fake_pip(tmp_path, f'echo $$ > "{pidfile}"\nexec sleep 60\n')
    env = pips.isolated_env()
    proc = subprocess.Popen(
        [sys.executable, "-m", "safepip", "install", "--python", str(python), "demo"], env=env
    )
    pip_pid = _wait_for_pid(pidfile)
    proc.send_signal(sig)
    status = proc.wait(timeout=30)
    return status, pip_pid


def _wait_for_pid(pidfile: Path) -> int:
    """The pid the fake pip wrote once it started (safepip installs its handlers before that)."""
    deadline = time.monotonic() + 20
    while not pidfile.exists() or not pidfile.read_text().endswith("\n"):
        assert time.monotonic() < deadline, "fake pip never started"
        time.sleep(0.05)
    return int(pidfile.read_text())


def _wait_until_full(read: int) -> None:
    """Until the pipe behind ``read`` holds all it can (less one page): its writer is blocked."""
    # F_GETPIPE_SZ is Linux's 1032; the fcntl module names it from Python 3.10 only.
    capacity = fcntl.fcntl(read, getattr(fcntl, "F_GETPIPE_SZ", 1032))
    deadline = time.monotonic() + 20
    while True:
        queued = array.array("i", [0])
        fcntl.ioctl(read, termios.FIONREAD, queued)
        if queued[0] >= capacity - 4096:
            return
        assert time.monotonic() < deadline, f"the pipe never filled ({queued[0]} bytes)"
        time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize(("sig", "expected"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_signal_stops_at_once_and_leaves_no_pip_behind(
    tmp_path: Path, sig: int, expected: int
) -> None:
    """SIGTERM/SIGINT: no retry, exit 143/130, and the pip process is gone."""
    status, pip_pid = _run_and_signal(tmp_path, sig)
    assert status == expected
    assert len((tmp_path / "calls.txt").read_text().splitlines()) == 1
    time.sleep(0.2)
    assert not _alive(pip_pid)


def test_github_actions_gets_an_error_annotation_and_summary(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under GITHUB_ACTIONS the final diagnosis is an ::error line and the summary is appended."""
    python = fake_pip(tmp_path, f"printf '%s' '{NOT_FOUND}' > \"$LOG\"\nexit 1\n")
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    assert main(["install", "--python", str(python), "nosuchpkg"]) == 1
    err = capsys.readouterr().err
    assert "::error" in err
    assert "not-found" in summary.read_text()


@pytest.mark.parametrize("setting", ["GITHUB_ACTIONS", "GITLAB_CI", "--report-json"])
def test_a_report_due_whatever_pip_does_does_not_delay_pip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, setting: str
) -> None:
    """In GitHub Actions (a step summary), GitLab (sections) or with --report-json, pip runs first.

    The loop takes the finished run as its first attempt (it used to run every attempt itself
    there, loading first), and the report is written as before.
    """
    python = fake_pip(tmp_path, 'echo "Successfully installed demo-1.0"\nexit 0\n')
    summary = tmp_path / "summary.md"
    report = tmp_path / "report.json"
    args = ["install", "--python", str(python), "demo"]
    if setting == "GITHUB_ACTIONS":
        monkeypatch.setenv("GITHUB_ACTIONS", "true")
        monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    elif setting == "GITLAB_CI":
        monkeypatch.setenv("GITLAB_CI", "true")
    else:
        args[1:1] = ["--report-json", str(report)]
    seen: list[object] = []
    original = Installer.install

    def install(self: Installer, pip_args: Sequence[str], *, first: PipRun | None = None) -> Any:
        seen.append(first)
        return original(self, pip_args, first=first)

    monkeypatch.setattr(Installer, "install", install)
    assert main(args) == 0
    assert len(seen) == 1
    assert isinstance(seen[0], PipRun)
    assert (tmp_path / "calls.txt").read_text().count("-m pip install") == 1
    if setting == "GITHUB_ACTIONS":
        assert "success" in summary.read_text().lower()
    elif setting == "--report-json":
        assert json.loads(report.read_text())["outcome"] == "success"


def _sections(err: str) -> list[tuple[str, str]]:
    """The GitLab section markers in ``err``: (event, section name), in order."""
    return re.findall(r"\x1b\[0K(section_start|section_end):\d+:(\w+)", err)


def test_gitlab_opens_each_section_once_before_pips_output(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each attempt's section opens before its pip prints and closes after, exactly once.

    The first attempt's section is opened by the command line before it starts pip, the second
    by the loop's reporter; an unrecognised failure is retried once (with --log).
    """
    python = fake_pip(
        tmp_path,
        'n=$(wc -l < "$ARGS_FILE")\n'
        'if [ "$n" -eq 1 ]; then echo "first run: something odd happened" >&2; exit 1; fi\n'
        'echo "second run: Successfully installed demo-1.0" >&2\nexit 0\n',
    )
    monkeypatch.setenv("GITLAB_CI", "true")
    assert main(["install", "--python", str(python), "--backoff", "0", "demo"]) == 0
    err = capfd.readouterr().err  # the markers and, here, pip's lines: one stream, in order
    assert _sections(err) == [
        ("section_start", "safepip_attempt_1"),
        ("section_end", "safepip_attempt_1"),
        ("section_start", "safepip_attempt_2"),
        ("section_end", "safepip_attempt_2"),
    ]
    starts = [m.start() for m in re.finditer("section_start", err)]
    ends = [m.start() for m in re.finditer("section_end", err)]
    assert starts[0] < err.index("first run") < ends[0]
    assert starts[1] < err.index("second run") < ends[1]
    assert err.count("safepip: attempt 1: ") == 1


def test_gitlab_closes_the_first_section_when_pip_cannot_start(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The error line follows the closed section: GitLab does not fold it away."""
    monkeypatch.setenv("GITLAB_CI", "true")
    assert main(["install", "--python", str(tmp_path / "no-python"), "demo"]) == 2
    err = capfd.readouterr().err
    assert _sections(err) == [
        ("section_start", "safepip_attempt_1"),
        ("section_end", "safepip_attempt_1"),
    ]
    assert "no-python" in err[err.index("section_end") :]


CONFLICT = """\
ERROR: Cannot install a==1.0 and b==2.0 because these package versions have conflicting dependencies.

The conflict is caused by:
    a 1.0 depends on c==1.0
    b 2.0 depends on c==2.0

To fix this you could try to:
1. loosen the range of package versions you've specified
2. remove package versions to allow pip to attempt to solve the dependency conflict

ERROR: ResolutionImpossible: for help visit https://pip.pypa.io/en/latest/topics/dependency-resolution/#dealing-with-dependency-conflicts
"""


def test_conflict_is_explained_in_text_and_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A resolution conflict stops at once and names the clashing requirements."""
    (tmp_path / "conflict.txt").write_text(CONFLICT)
    python = fake_pip(tmp_path, f'cat "{tmp_path}/conflict.txt" > "$LOG"\nexit 1\n')
    report = tmp_path / "r.json"
    status = main(
        [
            "install",
            "--python",
            str(python),
            "--no-explain",
            "--report-json",
            str(report),
            "a==1.0",
            "b==2.0",
        ]
    )
    assert status == 1
    err = capsys.readouterr().err
    assert "resolution-conflict" in err
    assert "c==1.0" in err
    assert "c==2.0" in err
    document = json.loads(report.read_text())
    assert any("c==1.0" in line for line in document["conflict"]["explanation"])
    assert document["conflict"]["proposal"] is None


TRANSIENT_LOG = (
    "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None))"
    " after connection broken by 'ProtocolError('Connection aborted.',"
    " ConnectionResetError(104, 'Connection reset by peer'))': /simple/demo/\n"
    "ERROR: Could not find a version that satisfies the requirement demo (from versions: none)\n"
    "ERROR: No matching distribution found for demo\n"
)


def test_without_a_budget_a_running_pip_is_never_ended(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A pip that runs past the default budget finishes: only --time-budget ends pip."""
    monkeypatch.setattr(pipargs, "DEFAULT_TIME_BUDGET", 0.2)
    done = tmp_path / "finished"
    python = fake_pip(tmp_path, f'sleep 1.5\ntouch "{done}"\nexit 0\n')
    assert main(["install", "--python", str(python), "demo"]) == 0
    assert done.exists()


def test_the_default_budget_still_bounds_new_attempts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Past the default budget no new attempt starts: one slow transient failure, no retry."""
    monkeypatch.setattr(pipargs, "DEFAULT_TIME_BUDGET", 0.2)
    (tmp_path / "transient.txt").write_text(TRANSIENT_LOG)
    python = fake_pip(tmp_path, f'sleep 0.5\ncat "{tmp_path}/transient.txt" > "$LOG"\nexit 1\n')
    assert main(["install", "--python", str(python), "--backoff", "0", "demo"]) == 1
    calls = (tmp_path / "calls.txt").read_text().splitlines()
    assert [call for call in calls if "pip install" in call] == calls[:1]


def test_a_budget_the_user_gives_ends_pip_with_124(tmp_path: Path) -> None:
    """--time-budget is the user asking: pip is ended when it runs out, exit 124."""
    done = tmp_path / "finished"
    python = fake_pip(tmp_path, f'sleep 5\ntouch "{done}"\nexit 0\n')
    assert main(["install", "--python", str(python), "--time-budget", "0.5", "demo"]) == 124
    assert not done.exists()


def test_a_budget_past_a_week_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """--time-budget 1e10 cannot arm a timer: a one-line usage error, exit 2."""
    assert main(["install", "--time-budget", "1e10", "demo"]) == 2
    assert "--time-budget" in capsys.readouterr().err


#: `safepip.cli.run` in a fresh interpreter, after what the program argument sets up.
_RUN = """
import atexit, sys, threading, time
from safepip.cli import run
atexit.register(print, "exit handler ran")
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.3), print("thread finished"))).start()
print("buffered line", end="")  # stdout is a pipe: block-buffered until flushed
sys.argv[1:] = sys.argv[2:]
run()
"""


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _RUN, *args],
        env=pips.isolated_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize("setup", ["plain", "thread"])
def test_the_exit_flushes_runs_exit_handlers_once_and_keeps_the_status(setup: str) -> None:
    """The console script's exit skips the teardown, not what it owes: output, handlers, status.

    With a thread still running, the ordinary exit waits for it, as Python always does.
    """
    done = _run(setup, "--version")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("buffered linesafepip ")
    assert done.stdout.count("exit handler ran") == 1
    assert ("thread finished" in done.stdout) == (setup == "thread")
    failed = _run(setup, "no-such-command")
    assert failed.returncode == 2
    assert "unknown command 'no-such-command'" in failed.stderr
    assert failed.stdout.count("exit handler ran") == 1


def test_python_dash_m_safepip_runs_the_console_entry() -> None:
    """`python -m safepip` exits with main's status (a usage error: 2, on stderr, no traceback)."""
    done = subprocess.run(
        [sys.executable, "-m", "safepip", "install"],
        env=pips.isolated_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 2
    assert "nothing to install" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.parametrize("command", [["--version"], ["doctor"], ["diagnose", "-"]])
def test_a_reader_that_left_ends_safepip_quietly(command: list[str]) -> None:
    """`safepip doctor | head -1`: no traceback, no internal error, SIGPIPE's status (141)."""
    read, write = os.pipe()
    os.close(read)  # the reader is gone before safepip writes a line
    try:
        done = subprocess.run(
            [sys.executable, "-m", "safepip", *command],
            input=b"ERROR: No matching distribution found for demo\n",
            stdout=write,
            stderr=subprocess.PIPE,
            env=pips.isolated_env(),
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode == 141, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"internal error" not in done.stderr


def test_pip_rejecting_its_command_line_is_not_retried(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`--python .venv/bin/pip`: the pip script's own parser meets `-m`; one run, the cause named."""
    python = fake_pip(
        tmp_path, 'printf "\\nUsage:\\n  pip <command>\\n\\nno such option: -m\\n" >&2\nexit 2\n'
    )
    assert main(["install", "--python", str(python), "demo"]) == 2
    assert (tmp_path / "calls.txt").read_text().count("-m pip install") == 1
    err = capsys.readouterr().err
    assert "must name a Python interpreter" in err


def test_an_error_line_to_a_reader_that_left_ends_quietly() -> None:
    """`safepip bogus 2>&1 | head -0`: the usage error itself meets the closed pipe: 141."""
    read, write = os.pipe()
    os.close(read)
    try:
        done = subprocess.run(
            [sys.executable, "-m", "safepip", "bogus-command"],
            stdout=write,
            stderr=write,
            env=pips.isolated_env(),
            timeout=120,
            check=False,
        )
    finally:
        os.close(write)
    assert done.returncode == 141  # an escaping BrokenPipeError would be Python's 1 or 120
