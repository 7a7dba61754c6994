"""pip in its own session on POSIX: its output pumped to the user and captured, its signals.

See :mod:`safepip.runner` for what the user sees. This module owns the file descriptors (a
pseudo-terminal or a pipe per stream), the pump, and ending pip's process group.
"""

from __future__ import annotations

import os
import select
import signal
import time

from safepip.capture import Capture
from safepip.errors import PipNotFound, Terminated

#: Only modules Python has loaded anyway, plus ``select`` and ``signal``, are imported here: a
#: clean install runs pip through this module before anything else is loaded (``subprocess``,
#: ``threading``, ``contextlib`` and ``typing`` would each cost pip-visible milliseconds).
#: mypy reads this name as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from types import FrameType
    from typing import Any, Union

    Handler = Union[Callable[[int, Union[FrameType, None]], None], signal.Handlers]
    Previous = dict[int, Any]

#: How long pip gets to exit after a forwarded signal before its process group is killed.
GRACE_SECONDS = 5.0
#: After pip exits, how long output still held open by a leftover process is waited for.
DRAIN_SECONDS = 0.2
#: The longest safepip copies output after pip exited (a leftover process still writing).
DRAIN_LIMIT = 2.0
#: Signals that end safepip: forwarded to pip's process group, never retried.
ENDING_SIGNALS = tuple(
    getattr(signal, name)
    for name in ("SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT")
    if hasattr(signal, name)
)
#: Reset to their default action in pip: SIGINT, which safepip forwards to end pip (a background
#: job of a script, or ``nohup``, inherits it ignored: pip would not unwind and would leave its
#: ``pip-*`` temp dirs to the kill), and those Python ignores for itself (as ``subprocess`` does).
_DEFAULT_IN_PIP = tuple(
    getattr(signal, name) for name in ("SIGINT", "SIGPIPE", "SIGXFSZ") if hasattr(signal, name)
)
#: Bytes a write to a pipe that polls writable takes without blocking.
_ATOMIC_WRITE = getattr(select, "PIPE_BUF", 512)
#: Bytes read from pip in one go.
READ_SIZE = 65536


class _Child:
    """The pip process: its pid, and its exit status once reaped (as ``Popen.returncode``)."""

    __slots__ = ("pid", "returncode")

    def __init__(self, pid: int) -> None:
        self.pid = pid
        #: None while pip runs; its exit status, or minus the signal that killed it.
        self.returncode: int | None = None

    def wait(self) -> int:
        """Reap pip (blocking) and return its exit status."""
        while self.returncode is None:
            try:
                _pid, status = os.waitpid(self.pid, 0)
            except ChildProcessError:  # reaped elsewhere: the status is lost, not a success
                self.returncode = 1
            else:
                self.returncode = os.waitstatus_to_exitcode(status)
        return self.returncode


class Session:
    """One pip process in its own session, its output pumped to the user and captured."""

    def __init__(
        self,
        argv: Sequence[str],
        env: Mapping[str, str],
        watch: Callable[[bytes], None] | None = None,
    ) -> None:
        """Prepare to run ``argv`` with ``env``; nothing starts before :meth:`run`.

        ``watch`` is shown each chunk of pip's output as it passes (see :func:`safepip.runner.run`).
        """
        self.argv = list(argv)
        self.env = dict(env)
        self.watch = watch
        self.capture = Capture()
        #: source fd -> destination fd (1 or 2), for every open source.
        self.routes: dict[int, int] = {}
        self.child_fds: list[int] = []
        self.pty: int | None = None
        self.tty: int | None = None
        self.process: _Child | None = None
        self.pidfd: int | None = None
        self.again = False  # a second signal arrived during the grace
        #: While pip is being ended: when writes to the user's streams stop waiting for a reader.
        self.give_up: float | None = None
        #: A stream nobody read was dropped when the budget ran out (pip may die of it first).
        self.cut = False

    # -- set-up ---------------------------------------------------------------------------------

    def _streams(self) -> tuple[int, int]:
        """Choose a pseudo-terminal or a pipe for pip's stdout and stderr; return the child ends."""
        ttys = [fd for fd in (1, 2) if _isatty(fd)]
        ends: dict[int, int] = {}
        if ttys == [1, 2] and _same_file(1, 2):
            master, slave = self._openpty(1)
            self.routes[master] = 1
            ends = {1: slave, 2: slave}
        else:
            for fd in (1, 2):
                if fd in ttys:
                    read, write = self._openpty(fd)
                else:
                    read, write = os.pipe()
                    self.child_fds.append(write)
                self.routes[read] = fd
                ends[fd] = write
        return ends[1], ends[2]

    def _openpty(self, user_fd: int) -> tuple[int, int]:
        import termios  # noqa: PLC0415 - only when the user's stream is a terminal

        master, slave = os.openpty()
        self.child_fds.append(slave)
        attrs = termios.tcgetattr(slave)
        attrs[1] &= ~termios.OPOST  # pass pip's bytes through as written: the user's tty adds \r
        termios.tcsetattr(slave, termios.TCSANOW, attrs)
        _copy_winsize(user_fd, slave)
        self.pty, self.tty = master, user_fd
        return master, slave

    def _start(self) -> None:
        _std_fds_open()
        _reap_children()
        out, err = self._streams()
        # An ending signal between the spawn and the record of pip's pid would leave pip running on
        # its own: it waits, blocked, until pip is recorded (pip starts with the mask as it was).
        mask = signal.pthread_sigmask(signal.SIG_BLOCK, ENDING_SIGNALS)
        try:
            try:
                # posix_spawnp: Popen(start_new_session=True) without importing subprocess.
                pid = os.posix_spawnp(
                    self.argv[0],
                    self.argv,
                    self.env,
                    file_actions=[(os.POSIX_SPAWN_DUP2, out, 1), (os.POSIX_SPAWN_DUP2, err, 2)],
                    setsid=True,
                    setsigdef=_DEFAULT_IN_PIP,
                    setsigmask=mask,
                )
            except OSError as exc:
                self._close_all()
                raise PipNotFound.not_started(self.argv[0], exc) from exc
            finally:
                for fd in self.child_fds:
                    os.close(fd)
                self.child_fds = []
            self.process = _Child(pid)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        try:
            self.pidfd = os.pidfd_open(pid)
        except (AttributeError, OSError):  # not Linux 5.3+: the pump polls instead
            self.pidfd = None

    # -- the run --------------------------------------------------------------------------------

    def run(self, timeout: float | None) -> tuple[int, str, bool]:
        """Run pip to its end, or until ``timeout`` seconds (then stop it as on a signal).

        Returns:
            pip's exit status, the captured output, and whether the timeout ended it.

        Raises:
            PipNotFound: pip cannot be started.
            KeyboardInterrupt, Terminated: safepip was signalled; pip's group is gone.
        """
        deadline = None if timeout is None else time.monotonic() + timeout
        self.give_up = deadline  # a stream nobody reads does not outlast the user's budget
        timed_out = False
        try:
            self._start()
            previous = _install(self._job_control())
            try:
                if self._pump(deadline):
                    self._reap()
                else:
                    timed_out = True
                    self._stop()
            finally:
                _restore(previous)
        except (KeyboardInterrupt, Terminated):
            if self.process is not None:
                self._stop()
            raise
        except BaseException:
            if self.process is not None:
                self._kill()
            raise
        finally:
            self._close_all()
        assert self.process is not None  # noqa: S101 - _start() set it or raised
        return self.process.wait(), self.capture.text(), timed_out

    def _pump(self, deadline: float | None, *, tick: float | None = None) -> bool:
        """Copy output until pip exits (True) or ``deadline`` passes (False)."""
        poller = select.poll()
        for fd in self.routes:
            poller.register(fd, select.POLLIN)
        if self.pidfd is not None:
            poller.register(self.pidfd, select.POLLIN)
        while not self._exited():
            wait = tick
            if self.pidfd is None and self.routes:
                wait = 0.05 if wait is None else min(wait, 0.05)
            if deadline is not None:
                left = max(0.0, deadline - time.monotonic())
                wait = left if wait is None else min(wait, left)
            if self.again:
                return False
            if not self.routes and self.pidfd is None:
                time.sleep(wait if wait is not None else 0.05)
            else:
                self._copy(poller, wait)
            # Past the deadline pip still runs, or its output was dropped at the budget (its
            # end may come first: the dropped pipe's SIGPIPE).
            overdue = deadline is not None and time.monotonic() >= deadline
            if overdue and (self.cut or not self._exited()):
                return False
        self._drain(poller)
        return True

    def _copy(self, poller: select.poll, wait: float | None) -> int:
        """Wait up to ``wait`` s (None: forever), copy what arrived; return the events seen."""
        events = poller.poll(None if wait is None else int(wait * 1000) + 1)
        for fd, _event in events:
            if fd == self.pidfd:
                continue
            try:
                data = os.read(fd, READ_SIZE)
            except OSError:  # EIO: the pseudo-terminal's last writer is gone
                data = b""
            if not data:
                poller.unregister(fd)
                self._close(fd)
                continue
            self.capture.feed_from(fd, data)  # whole lines: the streams' chunks interleave
            if self.watch is not None:
                self.watch(data)
            if not _write_all(self.routes[fd], data, self.give_up):
                # The user's stream is gone (a closed pipe): pip meets it too, as without safepip.
                # Or nobody read it until the budget ran out: that run was ended by the budget.
                self.cut |= self.give_up is not None and time.monotonic() >= self.give_up
                poller.unregister(fd)
                self._close(fd)
        return len(events)

    def _drain(self, poller: select.poll) -> None:
        """After pip exits, copy what is left.

        A leftover process holding a stream open is waited for only while it keeps writing,
        and at most :data:`DRAIN_LIMIT` seconds.
        """
        if self.pidfd is not None:
            poller.unregister(self.pidfd)
            os.close(self.pidfd)
            self.pidfd = None
        end = time.monotonic() + DRAIN_LIMIT
        while self.routes and time.monotonic() < end and self._copy(poller, DRAIN_SECONDS):
            pass

    def _exited(self) -> bool:
        """Whether pip has exited, without reaping it (its group id stays reserved until then)."""
        assert self.process is not None  # noqa: S101 - set by run()
        if self.process.returncode is not None:
            return True
        try:
            found = os.waitid(os.P_PID, self.process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT)
        except ChildProcessError:
            return True
        return found is not None

    # -- ending pip -----------------------------------------------------------------------------

    def _stop(self) -> None:
        """Forward SIGINT to pip's group, give it the grace, then kill what is left of the group.

        While pip has its grace, a further ending signal only sets a flag (then the kill).
        """

        def again(_signum: int, _frame: FrameType | None) -> None:
            self.again = True

        previous = _install(dict.fromkeys(ENDING_SIGNALS, again))
        try:
            self._signal(signal.SIGINT)
            # A reader that has stopped reading (`| less` left open) must not hold the stop.
            self.give_up = time.monotonic() + GRACE_SECONDS
            try:
                self._pump(self.give_up, tick=0.05)
            except (KeyboardInterrupt, Terminated):
                pass
            self._kill()
        finally:
            _restore(previous)

    def _kill(self) -> None:
        """Kill pip's whole process group (stragglers too), then reap pip."""
        self._signal(signal.SIGKILL)
        self._reap()

    def _reap(self) -> None:
        assert self.process is not None  # noqa: S101 - set by run()
        while True:
            try:
                self.process.wait()
            except (KeyboardInterrupt, Terminated):
                continue
            return

    def _signal(self, sig: int) -> None:
        assert self.process is not None  # noqa: S101 - set by run()
        if self.process.returncode is not None:
            return
        try:
            os.killpg(self.process.pid, sig)
        except (ProcessLookupError, PermissionError):
            pass

    def _job_control(self) -> dict[int, Handler]:
        """The signal handlers for the run.

        Ctrl-Z stops pip with safepip (``fg`` resumes both); a resized terminal resizes pip's.
        """
        handlers: dict[int, Handler] = {}
        tstp = getattr(signal, "SIGTSTP", None)
        if tstp is not None and signal.getsignal(tstp) is signal.SIG_DFL:

            def on_stop(signum: int, _frame: FrameType | None) -> None:
                self._signal(signal.SIGSTOP)  # pip's group is orphaned: SIGTSTP would be dropped
                signal.signal(signum, signal.SIG_DFL)
                os.kill(os.getpid(), signum)  # stops here until SIGCONT
                signal.signal(signum, on_stop)
                self._signal(signal.SIGCONT)

            handlers[tstp] = on_stop
        winch = getattr(signal, "SIGWINCH", None)
        if winch is not None and self.pty is not None:

            def on_resize(_signum: int, _frame: FrameType | None) -> None:
                if self.pty is not None and self.tty is not None:
                    _copy_winsize(self.tty, self.pty)
                    self._signal(signal.SIGWINCH)

            handlers[winch] = on_resize
        return handlers

    def _close(self, fd: int) -> None:
        self.capture.end(fd)
        self.routes.pop(fd, None)
        if fd == self.pty:
            self.pty = None
        try:
            os.close(fd)
        except OSError:
            pass

    def _close_all(self) -> None:
        for fd in [*self.routes, *self.child_fds]:
            self._close(fd)
        self.child_fds = []
        if self.pidfd is not None:
            try:
                os.close(self.pidfd)
            except OSError:
                pass
            self.pidfd = None


def _install(handlers: Mapping[int, Handler]) -> Previous:
    """Install signal handlers; return the ones they replaced, for :func:`_restore`.

    Only the main thread may set handlers: elsewhere (safepip embedded in a threaded program)
    signals are left alone.
    """
    previous: Previous = {}
    try:
        for signum, handler in handlers.items():
            previous[signum] = signal.signal(signum, handler)
    except ValueError:  # not the main thread
        _restore(previous)
        return {}
    return previous


def _restore(previous: Previous) -> None:
    for signum, handler in previous.items():
        signal.signal(signum, handler)


def _std_fds_open() -> None:
    """Make sure fds 0-2 are open (on /dev/null if closed), so that pip's new pipes get fds 3+."""
    for fd in (0, 1, 2):
        try:
            os.fstat(fd)
        except OSError:
            os.open(os.devnull, os.O_RDWR)  # takes the lowest free fd: this one


def _reap_children() -> None:
    """Undo an inherited ``SIGCHLD`` set to ignored: the kernel would reap pip, status and all."""
    sigchld = getattr(signal, "SIGCHLD", None)
    if sigchld is not None and signal.getsignal(sigchld) is signal.SIG_IGN:
        _install({sigchld: signal.SIG_DFL})


def _isatty(fd: int) -> bool:
    try:
        return os.isatty(fd)
    except OSError:
        return False


def _same_file(a: int, b: int) -> bool:
    try:
        first, second = os.fstat(a), os.fstat(b)
    except OSError:
        return False
    return (first.st_dev, first.st_ino, first.st_rdev) == (
        second.st_dev,
        second.st_ino,
        second.st_rdev,
    )


def _copy_winsize(source: int, target: int) -> None:
    import fcntl  # noqa: PLC0415
    import termios  # noqa: PLC0415

    try:
        size = fcntl.ioctl(source, termios.TIOCGWINSZ, b"\0" * 8)
        fcntl.ioctl(target, termios.TIOCSWINSZ, size)
    except OSError:
        pass


def _write_all(fd: int, data: bytes, deadline: float | None = None) -> bool:
    """Write all of ``data`` to ``fd``; False when the stream is gone (closed pipe, hung-up tty).

    With a ``deadline`` (pip is being ended), a stream nobody reads by then counts as gone: the
    write waits for room and writes at most :data:`select.PIPE_BUF` bytes at a time, so it
    never blocks past the deadline.
    """
    view = memoryview(data)
    while view:
        chunk = view
        if deadline is not None:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([], [fd], [], left)[1]:
                return False
            chunk = view[:_ATOMIC_WRITE]
        try:
            written = os.write(fd, chunk)
        except BlockingIOError:
            select.select([], [fd], [])
            continue
        except OSError:
            return False
        view = view[written:]
    return True
