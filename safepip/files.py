"""The one place safepip writes a file a user named, and reads one without trusting it.

Writes (``--report-json``, ``fix-requirements -o``, the kept pip log, the step summary):

- ``-`` is standard output.
- A device, a FIFO or a socket (``/dev/null``, ``/dev/stdout`` on a pipe) is written in place,
  opened without ``O_CREAT`` or ``O_TRUNC``: it is never replaced by a regular file.
- A regular file, or no file at all, is replaced atomically: the data goes to a temp file that
  :func:`tempfile.mkstemp` creates with ``O_CREAT | O_EXCL`` under an unpredictable name beside the
  target, then is renamed over it. A link planted at any name safepip would use is never followed.
  A regular file that cannot be replaced (bind-mounted into a container, or in a directory the
  user may not write) is truncated and written in place, as ``>`` would, never through a link.
- A symlink the user named is followed as a shell redirection would: the file it resolves to is
  written, under the same rules. A regular file reached only through a ``/proc`` magic link
  (``/dev/stdout`` redirected to a file) is truncated and written in place, as ``>`` would.
- A FIFO, a pipe or a device is opened with ``O_NONBLOCK`` and never waited for long: a FIFO
  that no process opens for reading within :data:`WRITE_STALL` seconds fails (ENXIO), and so
  does a reader that takes nothing for that long (ETIMEDOUT). A regular file is written
  blocking, as before.
- A failed write (ENOSPC, EROFS, EACCES, a missing directory, a FIFO nobody reads) removes its
  temp file and raises :class:`OSError`; the caller says so in one line.

Reads (logs, requirement files, pip's cache entries): opened with ``O_NONBLOCK`` (a FIFO never
blocks the open), then ``fstat``: only a regular file is read, at most ``cap`` bytes; standard
input is read up to the cap (a log piped in: up to a read limit, keeping its end). ``/dev/zero``,
a FIFO or a directory is refused with :class:`NotRegularFile`; so is a symlink where the caller
does not follow links (a cache entry: ``O_NOFOLLOW``).
"""

from __future__ import annotations

import collections
import contextlib
import errno
import os
import select
import stat
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

if TYPE_CHECKING:
    from collections.abc import Iterable

_CHUNK = 1024 * 1024
_NOCTTY = getattr(os, "O_NOCTTY", 0)
_NONBLOCK = getattr(os, "O_NONBLOCK", 0)
# O_PATH (Linux) resolves a name without opening the file itself: no side effect on a device.
_PROBE_FLAGS = getattr(os, "O_PATH", os.O_RDONLY | _NONBLOCK) | _NOCTTY
#: ``os.O_NOFOLLOW``, or 0 where the platform has none (Windows): every open that must not
#: follow a planted link uses this one definition.
O_NOFOLLOW: int = getattr(os, "O_NOFOLLOW", 0)
#: What :class:`NotRegularFile` calls a symlink that was not followed.
SYMLINK = "a symlink"
#: A regular file that cannot be replaced by a rename is written in place after these.
_IN_PLACE_ERRNOS = frozenset({errno.EBUSY, errno.EXDEV, errno.EACCES, errno.EPERM})
#: Seconds a FIFO may go without a reader, or a FIFO, pipe or device take nothing, before a
#: write to it gives up.
WRITE_STALL = 5.0
#: How often the open of a FIFO without a reader is tried again.
_READER_POLL = 0.05


class NotRegularFile(OSError):
    """An input that is not a regular file (a device, a FIFO, a directory, a symlink not followed).

    It is never read.

    Attributes:
        what: what the path is instead (``a FIFO``, ``a directory``, :data:`SYMLINK`...).
    """

    def __init__(self, path: str, what: str) -> None:
        """Name the path and what it is instead (errno ELOOP for a symlink, else EINVAL)."""
        code = errno.ELOOP if what == SYMLINK else errno.EINVAL
        super().__init__(code, f"not a regular file ({what})", path)
        self.what = what


class TooLarge(OSError):
    """An input longer than the cap safepip reads.

    Attributes:
        cap: the cap, in bytes.
    """

    def __init__(self, path: str, cap: int) -> None:
        """Name the path and the cap."""
        super().__init__(errno.EFBIG, f"longer than {cap // (1024 * 1024)} MB", path)
        self.cap = cap


def describe(mode: int) -> str:
    """What kind of file a ``st_mode`` says (for messages)."""
    kinds = (
        (stat.S_ISDIR, "a directory"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISSOCK, "a socket"),
    )
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def reason(exc: OSError) -> str:
    """One short phrase for an OSError: its strerror, else its class name."""
    return exc.strerror or type(exc).__name__


# --- writing ---------------------------------------------------------------------------


def write_file(target: str, data: bytes | Iterable[bytes]) -> None:
    """Write ``data`` to the file the user named ``target`` (rules in the module docstring).

    Args:
        target: the path as the user gave it, or ``-`` for standard output.
        data: the whole content, or chunks of it (streamed, never all held in memory).

    Raises:
        OSError: the write failed; nothing is left behind but what the target held before
            (a device or FIFO may have received part of the data).
    """
    chunks: Iterable[bytes] = (data,) if isinstance(data, bytes) else data
    if target == "-":
        out = sys.stdout.buffer
        for chunk in chunks:
            out.write(chunk)
        out.flush()
        return
    found = _probe(target)
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), target)
    if found is not None and not stat.S_ISREG(found.st_mode):
        _write_in_place(target, chunks, truncate=False)
        return
    real = os.path.realpath(target)
    if found is not None and not _same_file(real, found):
        # a regular file behind a /proc magic link (/dev/stdout > file): no name to replace
        _write_in_place(target, chunks, truncate=True)
        return
    try:
        _replace(real, chunks, found)
    except OSError as exc:
        # A file that cannot be replaced but may be written, as `>` would: a file bind-mounted
        # into a container (EBUSY), or one in a directory the user may not write (EACCES).
        if found is None or not isinstance(data, bytes) or exc.errno not in _IN_PLACE_ERRNOS:
            raise
        _write_in_place(real, chunks, truncate=True, nofollow=True)


def append_file(target: str, text: str) -> None:
    """Append ``text`` to ``target`` as a shell ``>>`` would (the GitHub step summary).

    The path is named by the environment (``GITHUB_STEP_SUMMARY``), so a symlink there is
    followed like ``>>`` follows it; a FIFO or device is written in place.

    Raises:
        OSError: the write failed.
    """
    fd = _open_for_writing(target, os.O_WRONLY | os.O_APPEND | os.O_CREAT | _NOCTTY)
    try:
        _write_all(fd, (text.encode("utf-8", errors="replace"),), target)
    finally:
        os.close(fd)


def _probe(target: str) -> os.stat_result | None:
    """The file ``target`` resolves to (following links), or None when there is none."""
    try:
        fd = os.open(target, _PROBE_FLAGS)
    except FileNotFoundError:
        return None
    except OSError as exc:
        if exc.errno != errno.ENXIO:  # a socket cannot be opened: stat it instead
            raise
        return Path(target).stat()
    try:
        return os.fstat(fd)
    finally:
        os.close(fd)


def _same_file(path: str, found: os.stat_result) -> bool:
    try:
        here = os.lstat(path)
    except OSError:
        return False
    return (here.st_dev, here.st_ino) == (found.st_dev, found.st_ino)


def _write_in_place(
    target: str, chunks: Iterable[bytes], *, truncate: bool, nofollow: bool = False
) -> None:
    flags = os.O_WRONLY | _NOCTTY | (os.O_TRUNC if truncate else 0)
    flags |= O_NOFOLLOW if nofollow else 0
    fd = _open_for_writing(target, flags)
    try:
        _write_all(fd, chunks, target)
    finally:
        os.close(fd)


def _open_for_writing(target: str, flags: int) -> int:
    """Open for writing, never blocking; a regular file's descriptor is then made blocking.

    A FIFO nobody has open for reading is tried again for up to :data:`WRITE_STALL` seconds
    (a reader started just after safepip still gets the data), then given up.

    Raises:
        OSError: the open failed; a FIFO that found no reader (ENXIO) says so.
    """
    until = time.monotonic() + WRITE_STALL
    while True:
        try:
            fd = os.open(target, flags | _NONBLOCK, 0o666)
            break
        except OSError as exc:
            if exc.errno != errno.ENXIO or not _is_fifo(target):
                raise
            left = until - time.monotonic()
            if left <= 0:
                what = f"a FIFO that no process opened for reading in {WRITE_STALL:g} seconds"
                raise OSError(errno.ENXIO, what, target) from exc
            time.sleep(min(_READER_POLL, left))
    if _NONBLOCK:
        try:
            if stat.S_ISREG(os.fstat(fd).st_mode):
                os.set_blocking(fd, True)
        except BaseException:
            os.close(fd)
            raise
    return fd


def _is_fifo(target: str) -> bool:
    try:
        return stat.S_ISFIFO(Path(target).stat().st_mode)
    except OSError:
        return False


def _replace(real: str, chunks: Iterable[bytes], found: os.stat_result | None) -> None:
    """Temp file beside ``real`` (O_EXCL, random name), then rename over it.

    A replaced file keeps its mode, and its owner where safepip may set it (root rewriting a
    user's requirements file leaves it the user's).
    """
    directory, name = os.path.split(real)
    fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".safepip-tmp", dir=directory or ".")
    try:
        try:
            _write_all(fd, chunks, real)
            os.fchmod(fd, _default_mode() if found is None else stat.S_IMODE(found.st_mode))
            mine = os.fstat(fd)
            if found is not None and (found.st_uid, found.st_gid) != (mine.st_uid, mine.st_gid):
                with contextlib.suppress(OSError):
                    os.fchown(fd, found.st_uid, found.st_gid)
        finally:
            os.close(fd)
        Path(tmp).replace(real)
    except BaseException:
        with contextlib.suppress(OSError):
            Path(tmp).unlink()
        raise


def _default_mode() -> int:
    """0o666 less the umask: the mode a shell redirection gives a new file."""
    mask = os.umask(0o022)
    os.umask(mask)
    return 0o666 & ~mask


def _write_all(fd: int, chunks: Iterable[bytes], target: str) -> None:
    """Write every chunk; a reader that takes nothing for :data:`WRITE_STALL` seconds ends it.

    Only a non-blocking descriptor (a FIFO, a pipe, a device) ever waits here.

    Raises:
        OSError: the write failed, or nothing was read for that long (ETIMEDOUT).
    """
    for chunk in chunks:
        view = memoryview(chunk)
        stalled_until: float | None = None
        while view:
            try:
                written = os.write(fd, view)
            except BlockingIOError:
                if stalled_until is None:
                    stalled_until = time.monotonic() + WRITE_STALL
                _wait_for_room(fd, stalled_until, target)
                continue
            stalled_until = None
            view = view[written:]


def _wait_for_room(fd: int, until: float, target: str) -> None:
    left = until - time.monotonic()
    if left <= 0 or not select.select([], [fd], [], left)[1]:
        what = f"nothing was read from it for {WRITE_STALL:g} seconds"
        raise OSError(errno.ETIMEDOUT, what, target)


# --- reading ---------------------------------------------------------------------------


def open_regular(path: str, *, follow_links: bool = True) -> BinaryIO:
    """Open ``path`` for reading only when it is a regular file (never blocks on a FIFO).

    Args:
        path: the file.
        follow_links: False to refuse a symlink at ``path`` unread (``O_NOFOLLOW``): a name in
            pip's cache must be the file itself, never a link planted to ``/dev/zero`` or to a
            file elsewhere.

    Raises:
        NotRegularFile: a directory, device, FIFO or socket; with ``follow_links=False`` also
            a symlink (``what`` is :data:`SYMLINK`).
        OSError: the open failed (ENOENT, EACCES, ELOOP, ENXIO...).
    """
    flags = os.O_RDONLY | _NONBLOCK | _NOCTTY | (0 if follow_links else O_NOFOLLOW)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        if follow_links or exc.errno != errno.ELOOP:
            raise
        raise NotRegularFile(path, SYMLINK) from exc
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISREG(mode):
            if _NONBLOCK:
                os.set_blocking(fd, True)
            return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise
    os.close(fd)
    raise NotRegularFile(path, describe(mode))


def read_tail(stream: BinaryIO, cap: int) -> tuple[bytes, bool]:
    """The last ``cap`` bytes of a regular file, and whether anything before them was left out."""
    size = os.fstat(stream.fileno()).st_size
    if size > cap:
        stream.seek(size - cap)
        return _read_upto(stream, cap), True
    data = _read_upto(stream, cap + 1)  # /proc files report size 0: still bounded
    if len(data) > cap:
        return data[-cap:], True
    return data, False


def read_stream(
    stream: BinaryIO, cap: int, *, limit: int | None = None, name: str = "standard input"
) -> tuple[bytes, bool]:
    """Read a pipe (standard input) to its end, keeping at most its last ``cap`` bytes.

    Args:
        stream: the pipe.
        cap: the most bytes kept (the end of the stream).
        limit: the most bytes read in all (None: ``cap``); past it the read stops, so an
            endless stream (``/dev/zero``) cannot hang safepip.
        name: what to call the stream in the error.

    Returns:
        The kept bytes and whether anything before them was dropped.

    Raises:
        TooLarge: the stream held more than ``limit`` bytes.
    """
    limit = cap if limit is None else max(limit, cap)
    chunks: collections.deque[bytes] = collections.deque()
    kept = total = 0
    while chunk := stream.read(min(_CHUNK, limit + 1 - total)):
        total += len(chunk)
        if total > limit:
            raise TooLarge(name, limit)
        chunks.append(chunk)
        kept += len(chunk)
        while kept - len(chunks[0]) >= cap:
            kept -= len(chunks.popleft())
    data = b"".join(chunks)
    return data[-cap:], total > cap


def read_input(path: str, cap: int, *, tail: bool, limit: int | None = None) -> tuple[bytes, bool]:
    """Read a user-named input: ``-`` is standard input, anything else a regular file.

    Args:
        path: the path as given, or ``-``.
        cap: the most bytes kept.
        tail: keep the end of a longer input (a log); otherwise a longer input is refused.
        limit: for a log piped on standard input, the most bytes read before giving up
            (None: ``cap``).

    Returns:
        The bytes and whether the beginning was left out.

    Raises:
        OSError: the input is missing, closed, unreadable, not a regular file, or too long.
    """
    if path == "-":
        stdin = sys.stdin
        if stdin is None or stdin.closed:
            raise OSError(errno.EBADF, "standard input is closed", "-")
        stream: BinaryIO = stdin.buffer
        if tail and _is_regular(stream):
            return read_tail(stream, cap)
        data, dropped = read_stream(stream, cap, limit=limit if tail else cap)
        return data, dropped
    with open_regular(path) as stream:
        if tail:
            return read_tail(stream, cap)
        data = _read_upto(stream, cap + 1)
    if len(data) > cap:
        raise TooLarge(path, cap)
    return data, False


def _is_regular(stream: BinaryIO) -> bool:
    try:
        return stat.S_ISREG(os.fstat(stream.fileno()).st_mode)
    except (OSError, ValueError):  # not a real descriptor (embedded use): read it as a stream
        return False


def _read_upto(stream: BinaryIO, limit: int) -> bytes:
    buffer = bytearray()
    while len(buffer) < limit:
        chunk = stream.read(min(_CHUNK, limit - len(buffer)))
        if not chunk:
            break
        buffer += chunk
    return bytes(buffer)
