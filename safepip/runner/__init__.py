"""The one subprocess seam: run pip with its output passing through to the user, kept in bounds.

pip's output reaches the user as it would without safepip, and safepip keeps a bounded copy of
it for the classifier (:class:`safepip.capture.Capture`):

- A stream that is a terminal gets a pseudo-terminal of the same window size, so pip still sees a
  TTY (progress bars, colours, widths). When stdout and stderr are the same terminal, pip gets one
  pseudo-terminal for both and their order is kept exactly.
- Any other stream (a file, a pipe, CI) gets a pipe. Each pipe is copied to its own stream, byte
  for byte, as it arrives (no buffering).
- On Windows, where there are no pseudo-terminals, both streams are pipes.

Signals: pip runs in its own session (so its own process group). Ctrl-C at the terminal reaches
safepip alone, the terminal's foreground process; whatever ends safepip (SIGINT, SIGTERM, SIGHUP,
SIGQUIT, or the user's time budget) is forwarded to pip's whole process group as SIGINT, the one
signal on which pip unwinds and removes its ``pip-*`` temp dirs. pip gets :data:`GRACE_SECONDS`
to finish, its output still passing through; a second signal, or the end of the grace, kills
the whole group (pip and its build backends). No process of the group outlives the run. Ctrl-Z
stops pip with safepip, and ``fg`` resumes both.
"""

from __future__ import annotations

import os
import sys
import time

from safepip.runner.session import (
    DRAIN_LIMIT,
    DRAIN_SECONDS,
    ENDING_SIGNALS,
    GRACE_SECONDS,
    Session,
)

#: A clean install runs pip through here before anything else is loaded: ``typing``, ``subprocess``
#: and the data model stay off that path. mypy reads this name as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from pathlib import Path
    from typing import Protocol, Union

    from safepip.model import PipRun

    #: A ``--log`` path as the loop (a Path) or the command line (a str) holds it.
    LogPath = Union[str, Path]

    class Runner(Protocol):
        """Runs one pip process; the install loop takes any callable of this shape."""

        def __call__(
            self,
            argv: Sequence[str],
            *,
            env: Mapping[str, str],
            log_path: Path | None,
            timeout: float | None,
            watch: Callable[[bytes], None] | None = None,
        ) -> PipRun:
            """Run argv and return what happened."""


__all__ = [
    "DRAIN_LIMIT",
    "DRAIN_SECONDS",
    "ENDING_SIGNALS",
    "GRACE_SECONDS",
    "LOG_READ_LIMIT",
    "Finished",
    "query",
    "run",
    "run_pip",
]

#: The most of a ``--log`` file that is read back (its end: where pip says why it failed).
LOG_READ_LIMIT = 64 * 1024 * 1024


def _read_log(log_path: LogPath | None, offset: int) -> str:
    """The bounded text pip appended to its log file since ``offset`` (pip opens it to append)."""
    if log_path is None:
        return ""
    from safepip.capture import capture_file  # noqa: PLC0415 - only when pip ran with a --log
    from safepip.files import open_regular  # noqa: PLC0415

    try:  # a regular file only: the user's --log may be /dev/zero or a FIFO
        with open_regular(str(log_path)) as handle:
            size = os.fstat(handle.fileno()).st_size
            start = max(offset, size - LOG_READ_LIMIT)
            handle.seek(start)
            return capture_file(handle, limit=max(0, size - start))
    except OSError:
        return ""


def _log_size(log_path: LogPath | None) -> int:
    try:
        return os.stat(log_path).st_size if log_path is not None else 0
    except OSError:
        return 0


class Finished:
    """A pip run that has ended, held without the data model (a clean install never loads it).

    Attributes:
        argv: the command that ran.
        returncode: pip's exit status (minus the signal number when a signal ended it).
        output: the bounded console output (:class:`safepip.capture.Capture`).
        log: what pip appended to its ``--log`` file during the run ("" without one).
        duration: wall seconds.
        timed_out: the user's time budget ended pip.
    """

    __slots__ = ("argv", "duration", "log", "output", "returncode", "timed_out")

    def __init__(  # noqa: PLR0913 - the record's fields
        self,
        argv: Sequence[str],
        returncode: int,
        output: str,
        log: str,
        duration: float,
        *,
        timed_out: bool,
    ) -> None:
        """The record of one run."""
        self.argv = tuple(argv)
        self.returncode = returncode
        self.output = output
        self.log = log
        self.duration = duration
        self.timed_out = timed_out

    @property
    def succeeded(self) -> bool:
        """pip exited 0 on its own."""
        return self.returncode == 0 and not self.timed_out

    def record(self) -> PipRun:
        """The run as the data model's :class:`~safepip.model.PipRun`."""
        from safepip.model import PipRun  # noqa: PLC0415 - only once something needs the model

        return PipRun(
            args=self.argv,
            returncode=self.returncode,
            log=self.log,
            duration=self.duration,
            timed_out=self.timed_out,
            output=self.output,
        )


def run_pip(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: LogPath | None = None,
    timeout: float | None = None,
    watch: Callable[[bytes], None] | None = None,
) -> PipRun:
    """Run pip (:func:`run`) and return the data model's record of the run."""
    return run(argv, env=env, log_path=log_path, timeout=timeout, watch=watch).record()


def run(
    argv: Sequence[str],
    *,
    env: Mapping[str, str],
    log_path: LogPath | None = None,
    timeout: float | None = None,
    watch: Callable[[bytes], None] | None = None,
) -> Finished:
    """Run pip with its output passing through to the user, and return a record of the run.

    Args:
        argv: the full command (``[python, "-m", "pip", "install", ...]``).
        env: the environment for pip (the user's, so their pip configuration applies).
        log_path: the ``--log`` file in argv, read back after the run; None when there is none.
        timeout: seconds before pip is ended (a budget the user gave); None: never ended.
        watch: shown each chunk of pip's output as it passes (the warm-up of the failure path
            looks for trouble there: :mod:`safepip.install.warm`); it must be quick.

    Returns:
        The run: argv, pip's exit status, the bounded console output and log text, wall time,
        and whether the budget ended it.

    Raises:
        PipNotFound: the interpreter in ``argv[0]`` cannot be started.
        KeyboardInterrupt, Terminated: safepip was signalled (pip was ended first).
    """
    offset = _log_size(log_path)
    start = time.monotonic()
    for stream in (sys.stdout, sys.stderr):  # safepip's own lines come before pip's
        try:
            if stream is not None:
                stream.flush()
        except (OSError, ValueError):  # a closed or broken stream: pip meets it too
            pass
    if os.name == "nt":  # pragma: no cover - no pseudo-terminals or process groups there
        from safepip.runner.windows import run_pipes_only  # noqa: PLC0415

        returncode, output, timed_out = run_pipes_only(argv, env, timeout, watch)
    else:
        returncode, output, timed_out = Session(argv, env, watch).run(timeout)
    log = _read_log(log_path, offset)
    return Finished(argv, returncode, output, log, time.monotonic() - start, timed_out=timed_out)


#: The most a question's answer may hold (a ``--dry-run --report`` of a large install is a few
#: MB): an interpreter that writes more is flooding, not answering, and is stopped.
MAX_ANSWER = 64 * 1024 * 1024


def query(argv: Sequence[str], env: Mapping[str, str], *, timeout: float = 60) -> tuple[int, str]:
    """Run a short command and capture its stdout (stderr is discarded).

    Used for questions to the target interpreter: its pip version, ``pip cache dir``,
    installed versions. Never raises for a command that cannot start, hangs or floods: the
    answer is read in a thread, at most :data:`MAX_ANSWER` bytes of it, for at most ``timeout``
    seconds.

    Returns:
        ``(returncode, stdout)``; ``(127, "")`` when the command cannot start and
        ``(124, "")`` when it runs past ``timeout`` (a process it left behind holding its stdout
        open is not waited for beyond :data:`DRAIN_LIMIT` seconds after it exits);
        a failure with no output when the answer is longer than :data:`MAX_ANSWER` or holds a
        NUL byte (an interpreter that answers oddly).
    """
    import subprocess  # noqa: PLC0415 - questions come after a failure, never on a clean install
    import threading  # noqa: PLC0415

    deadline = time.monotonic() + timeout
    try:
        child = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
    except OSError:
        return 127, ""
    stdout = child.stdout
    assert stdout is not None  # noqa: S101 - stdout=PIPE
    chunks: list[bytes] = []
    flooded = threading.Event()

    def read() -> None:
        """Read the answer to its end or its bound; only this thread touches the pipe."""
        size = 0
        with stdout:
            while data := os.read(stdout.fileno(), 1024 * 1024):
                size += len(data)
                if size > MAX_ANSWER:
                    flooded.set()
                    child.kill()
                    return
                chunks.append(data)

    # A daemon: a leftover holding the pipe open past the timeout does not hold safepip's exit.
    reader = threading.Thread(target=read, name="safepip-query", daemon=True)
    try:
        reader.start()
        returncode: int | None = child.wait(timeout)
        # The answer ends when every writer has closed the pipe; a process the command left
        # behind holding it open (the reader ends, and closes it, when that one lets go) gets
        # DRAIN_LIMIT seconds: what the command itself wrote before it exited is the answer.
        reader.join(max(0.0, min(DRAIN_LIMIT, deadline - time.monotonic())))
    except subprocess.TimeoutExpired:
        returncode = None
    finally:
        if child.returncode is None:  # past the timeout, or safepip was interrupted
            child.kill()
            child.wait()
    if returncode is None:
        return 124, ""
    if flooded.is_set():
        return returncode or 1, ""
    out = b"".join(list(chunks)).decode("utf-8", errors="replace")
    if "\0" in out:  # no answer safepip asks for (a path, JSON, a version) holds a NUL
        return returncode or 1, ""
    return returncode, out
