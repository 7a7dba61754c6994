"""The one subprocess seam: run pip with its output live on the user's terminal.

pip's stdout and stderr are inherited, so progress bars and colours reach the user untouched
(pip only draws them on a TTY). safepip classifies from the ``--log`` file that
:mod:`safepip.pipargs` adds, which also holds pip's debug-level lines (docs/failure-kinds.md §I).

Signals: pip stays in safepip's process group, so a Ctrl-C on the terminal reaches both. Whatever
interrupts safepip while pip runs (``KeyboardInterrupt``, :class:`~safepip.errors.Terminated`, a
budget timeout) is forwarded to pip, pip gets a short grace period, then is killed: no pip
process outlives safepip.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from typing import TYPE_CHECKING, Protocol

from safepip.errors import PipNotFound, Terminated
from safepip.model import PipRun

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

#: How long pip gets to exit after a forwarded signal before it is killed.
GRACE_SECONDS = 5.0


class Runner(Protocol):
    """Runs one pip process; the install loop takes any callable of this shape."""

    def __call__(
        self,
        argv: Sequence[str],
        *,
        env: Mapping[str, str],
        log_path: Path,
        timeout: float | None,
    ) -> PipRun:
        """Run argv and return what happened."""


def _read_log(log_path: Path, offset: int) -> str:
    """Read what pip appended to its log file since ``offset``.

    pip opens ``--log`` in append mode, so a user's own log file keeps its earlier content.
    """
    try:
        with log_path.open("rb") as handle:
            handle.seek(offset)
            data = handle.read()
    except OSError:
        return ""
    return data.decode("utf-8", errors="replace")


def _stop(process: subprocess.Popen[bytes], sig: int) -> None:
    """Forward ``sig`` to pip, wait for the grace period, then kill it."""
    if process.poll() is not None:
        return
    try:
        process.send_signal(sig)
        process.wait(timeout=GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    except OSError:  # pragma: no cover - the process ended between poll and signal
        pass


def run_pip(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: Path,
    timeout: float | None = None,
) -> PipRun:
    """Run pip with inherited stdio and return a frozen record of the run.

    Args:
        argv: the full command (``[python, "-m", "pip", "install", ...]``).
        env: the environment for pip (the user's, so their pip configuration applies).
        log_path: the ``--log`` file present in argv; read back after the run.
        timeout: seconds before pip is ended (the remaining time budget); None for no limit.

    Returns:
        The run: argv, pip's exit status, the log text it wrote, wall time, and whether
        safepip ended it for running out of time.

    Raises:
        PipNotFound: the interpreter in ``argv[0]`` cannot be started.
    """
    offset = log_path.stat().st_size if log_path.exists() else 0
    start = time.monotonic()
    try:
        process = subprocess.Popen(list(argv), env=dict(env))
    except OSError as exc:
        raise PipNotFound(argv[0], exc.strerror or str(exc)) from exc
    # A timer ends pip when the budget runs out. Popen.wait(timeout=...) would poll with
    # sleeps of up to 50 ms on POSIX and add that to every run; a blocking wait returns at once.
    expired = threading.Event()

    def on_timeout() -> None:
        expired.set()
        _stop(process, signal.SIGTERM)

    timer = threading.Timer(timeout, on_timeout) if timeout is not None else None
    if timer is not None:
        timer.daemon = True
        timer.start()
    try:
        process.wait()
    except KeyboardInterrupt:
        _stop(process, signal.SIGINT)
        raise
    except Terminated:
        _stop(process, signal.SIGTERM)
        raise
    except BaseException:
        _stop(process, signal.SIGKILL if os.name != "nt" else signal.SIGTERM)
        raise
    finally:
        if timer is not None:
            timer.cancel()
    return PipRun(
        args=tuple(argv),
        returncode=process.returncode,
        log=_read_log(log_path, offset),
        duration=time.monotonic() - start,
        timed_out=expired.is_set(),
    )


def query(argv: Sequence[str], env: Mapping[str, str], *, timeout: float = 60) -> tuple[int, str]:
    """Run a short command and capture its stdout (stderr is discarded).

    Used for questions to the target interpreter: its pip version, ``pip cache dir``,
    installed versions. Never raises for a command that cannot start or hangs.

    Returns:
        ``(returncode, stdout)``; ``(127, "")`` when the command cannot start and
        ``(124, "")`` when it runs past ``timeout``.
    """
    try:
        done = subprocess.run(
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            timeout=timeout,
            check=False,
        )
    except OSError:
        return 127, ""
    except subprocess.TimeoutExpired:
        return 124, ""
    return done.returncode, done.stdout.decode("utf-8", errors="replace")
