"""The cache lock: ``.safepip.lock`` in the cache root, held for the span of one delete.

pip itself takes no cross-process cache lock (pypa/pip#2361, #8187): this one only serialises
safepip processes. Anyone who can open the file can hold it (a read-only descriptor is enough),
so the delete never depends on it for safety: the lock is taken *before* any check, and the
checks are the descriptor walk of :mod:`safepip.cache.delete`. The file is opened relative to the
root's descriptor, never through a symlink, and must be a regular file.

Why not the ``filelock`` package: it takes a path (it cannot open relative to the root's
descriptor that the delete already holds), it costs ~60 ms of import on a path that otherwise
costs none, and on file systems without ``flock`` it falls back to marker files that it would
create in the user's cache.
"""

from __future__ import annotations

import contextlib
import os
import stat
import time
from pathlib import Path
from typing import TYPE_CHECKING

from safepip.cache.layout import LOCK_NAME
from safepip.errors import CacheRefused
from safepip.files import O_NOFOLLOW

if TYPE_CHECKING:
    from collections.abc import Generator

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
#: How long a delete waits for another process's lock by default.
DEFAULT_TIMEOUT = 5.0


class CacheLockedError(CacheRefused):
    """Another process holds the cache lock for longer than we are willing to wait."""

    def __init__(self, lock_path: str, timeout: float) -> None:
        """Name the lock file and how long we waited."""
        super().__init__(
            f"the pip cache is locked by another process ({lock_path}) for more than {timeout:g} s",
            hint="wait for the other run to finish, or use a private --cache-dir",
        )
        self.lock_path = lock_path


@contextlib.contextmanager
def locked(root_fd: int, root: str, timeout: float, poll: float = 0.05) -> Generator[None]:
    """Hold ``.safepip.lock`` in the root (opened relative to its descriptor, never a link).

    pip itself takes no cross-process cache lock (pypa/pip#2361, #8187): this one only
    serialises safepip processes. Anyone who can open the file can hold it, which is why the
    delete never depends on it for safety, only on the descriptor walk that follows.

    Raises:
        CacheLockedError: the lock was not acquired within ``timeout`` seconds.
        CacheRefused: the lock file cannot be opened or is not a regular file.
    """
    import fcntl  # noqa: PLC0415 - POSIX only, and FD_SUPPORTED is checked first

    lock_path = str(Path(root, LOCK_NAME))
    flags = os.O_NONBLOCK | O_NOFOLLOW | _CLOEXEC
    try:
        try:
            fd = os.open(LOCK_NAME, os.O_RDWR | os.O_CREAT | flags, 0o666, dir_fd=root_fd)
        except PermissionError:  # another user's lock file: a read descriptor locks as well
            fd = os.open(LOCK_NAME, os.O_RDONLY | flags, dir_fd=root_fd)
    except OSError as exc:
        raise CacheRefused(f"cannot open the lock file {lock_path}: {exc.strerror}") from exc
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise CacheRefused(f"the lock file {lock_path} is not a regular file")
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    raise CacheLockedError(lock_path, timeout) from None
                time.sleep(poll)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


@contextlib.contextmanager
def cache_lock(root: Path, *, timeout: float = DEFAULT_TIMEOUT) -> Generator[None]:
    """Hold the cache lock of ``root`` (an existing directory) for the ``with`` block.

    Raises:
        CacheLockedError: the lock was not acquired within ``timeout`` seconds.
        CacheRefused: the root or its lock file cannot be opened.
    """
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    except OSError as exc:
        raise CacheRefused(f"cannot open the pip cache {root}: {exc.strerror}") from exc
    try:
        with locked(root_fd, str(root), timeout):
            yield
    finally:
        os.close(root_fd)
