"""The one guarded delete: the only code in safepip that removes files from pip's cache.

Paths come from pip logs and cache scans (untrusted input), and the cache may be shared with
users who can rename its directories at any moment, or hold the lock file open. So:

1. The root must be a pip cache: not ``/``, not ``$HOME``, not the current directory or one of
   its parents, and holding at least one of pip's top directories. Otherwise nothing is
   deleted and nothing (not even the lock file) is created.
2. Each path is mapped, without touching the file system, to its parts below the root; it must
   have pip's shape (:func:`safepip.cache.layout.entry_kind`) and no ``..``.
3. The lock is taken first (a short, bounded wait), relative to the root's descriptor.
4. Only then is each entry reached from the root's descriptor, one ``O_NOFOLLOW | O_DIRECTORY``
   open per level, and removed relative to its parent's descriptor (``dir_fd=``). A directory
   swapped for a symlink at any moment makes that open fail: no path string checked earlier is
   ever resolved again, so a delete cannot leave the cache. An entry that is itself a symlink is
   unlinked, never followed.

Where the platform lacks descriptor-relative calls (Windows), permission bits cannot tell who
else may write to the cache, so every delete there is refused and the install loop uses a
private cache instead.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from safepip.cache.layout import BODY_SUFFIX, HTTP_V2, MARKERS, WHEELS, entry_kind
from safepip.cache.lock import DEFAULT_TIMEOUT, locked
from safepip.errors import CacheRefused
from safepip.files import O_NOFOLLOW

if TYPE_CHECKING:
    from collections.abc import Iterable

#: How long a delete waits for another process's lock before giving up (the install loop then
#: uses a private cache; the cache commands say so in one line).
LOCK_TIMEOUT = DEFAULT_TIMEOUT

_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | O_NOFOLLOW | _CLOEXEC
_MAX_DEPTH = 16  # pip's entries are one level deep; a deeper tree is hostile or not pip's

#: Descriptor-relative open/stat/unlink/rmdir and listing by descriptor (POSIX, not Windows).
FD_SUPPORTED = (
    bool(O_NOFOLLOW)
    and hasattr(os, "O_DIRECTORY")
    and hasattr(os, "fstatvfs")
    and {os.open, os.stat, os.unlink, os.rmdir} <= os.supports_dir_fd
    and os.scandir in os.supports_fd
)
#: shutil.rmtree walks with descriptors here and takes ``dir_fd`` (Python >= 3.11).
_RMTREE_AT = sys.version_info >= (3, 11) and shutil.rmtree.avoids_symlink_attacks


class NotAPipCache(CacheRefused):
    """The root is ``/``, the home directory, a parent of the current directory: exit 2."""

    exit_status = 2


@dataclass(frozen=True)
class DeleteReport:
    """What :func:`delete` did (or, under ``dry_run``, would do).

    Attributes:
        deleted: paths removed (or that would be removed), in deletion order, spelled with the
            root as the caller spelled it.
        refused: paths refused: not pip's layout, ``..``, outside the root, or a symlink or a
            file where pip has a directory.
        missing: paths that did not exist.
        bytes_freed: total size of the regular files that really went.
        failed: paths whose removal failed (``path: error``); what went of them still counts
            in ``bytes_freed``, they never count as deleted.
    """

    deleted: tuple[str, ...]
    refused: tuple[str, ...]
    missing: tuple[str, ...]
    bytes_freed: int
    failed: tuple[str, ...] = ()


@dataclass
class _Tally:
    deleted: list[str] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    freed: int = 0

    def report(self) -> DeleteReport:
        return DeleteReport(
            tuple(self.deleted),
            tuple(self.refused),
            tuple(self.missing),
            self.freed,
            tuple(self.failed),
        )


@dataclass(frozen=True)
class _Target:
    shown: str
    parts: tuple[str, ...]
    requested: bool


def root_refusal(root_real: str, *, homes: Iterable[str], cwd: str) -> str | None:
    """Say why safepip will not delete below ``root_real`` (a resolved path), or None."""
    if Path(root_real).parent == Path(root_real):
        return "it is the file system root"
    if any(home and root_real == os.path.realpath(home) for home in homes):
        return "it is the home directory"
    if cwd and (cwd == root_real or cwd.startswith(root_real.rstrip(os.sep) + os.sep)):
        return "it holds the current directory"
    return None


def _guard_root(root: Path) -> None:
    try:
        cwd = os.path.realpath(Path.cwd())
    except OSError:
        cwd = ""
    homes = (os.environ.get("HOME", ""), str(Path("~").expanduser()))
    why = root_refusal(os.path.realpath(root), homes=homes, cwd=cwd)
    if why:
        raise NotAPipCache(
            f"safepip will not delete in {root}: {why}, not a pip cache",
            hint="point --cache-dir or PIP_CACHE_DIR at a directory of pip's own",
        )


def _plan(root: Path, paths: Iterable[str | os.PathLike[str]]) -> tuple[list[_Target], list[str]]:
    """Map each path to its parts below the root (lexically) and add http-v2 partners."""
    spellings = dict.fromkeys((os.fspath(root), os.path.realpath(root)))
    targets: dict[tuple[str, ...], _Target] = {}
    refused: list[str] = []
    for path in paths:
        found = _below(os.fspath(path), spellings)
        if found is None:
            refused.append(os.fspath(path))
            continue
        prefix, parts = found
        for partner in _partners(parts):
            old = targets.get(partner)
            requested = partner == parts or bool(old and old.requested)
            targets[partner] = _Target(str(Path(prefix, *partner)), partner, requested)
    return list(targets.values()), refused


def _below(text: str, spellings: Iterable[str]) -> tuple[str, tuple[str, ...]] | None:
    """The root spelling and the parts of a pip-shaped entry path, or None."""
    pure = PurePath(text)
    if not text or ".." in pure.parts:
        return None
    if not pure.is_absolute():
        prefix = next(iter(spellings))
        return (prefix, pure.parts) if entry_kind(pure.parts) else None
    for prefix in spellings:
        with contextlib.suppress(ValueError):
            parts = pure.relative_to(prefix).parts
            if entry_kind(parts):
                return prefix, parts
    return None


def _partners(parts: tuple[str, ...]) -> list[tuple[str, ...]]:
    """Either half of an http-v2 entry names both, the body first.

    pip serves an http-v2 entry only when both files exist (``SafeFileCache.get``); removing the
    body first means a concurrent pip never reads a metadata whose body is about to vanish.
    """
    name = parts[-1]
    key = name[:56]
    if parts[0] != HTTP_V2 or name not in (key, key + BODY_SUFFIX):
        return [parts]
    return [(*parts[:-1], key + BODY_SUFFIX), (*parts[:-1], key)]


def delete(
    root: Path,
    paths: Iterable[str | os.PathLike[str]],
    *,
    dry_run: bool = False,
    lock_timeout: float | None = None,
) -> DeleteReport:
    """Delete entries of pip's cache layout below ``root``, refusing anything else.

    Args:
        root: the pip cache directory (it may itself be a symlink: the user named it).
        paths: files or entry directories to remove (from ``remedies.plan`` or a scan);
            relative paths are taken relative to ``root``.
        dry_run: report what would be removed, touch nothing (and take no lock).
        lock_timeout: how long to wait for another process's lock (:data:`LOCK_TIMEOUT`).

    Returns:
        The accounting of what was deleted, refused, missing or failed.

    Raises:
        NotAPipCache: the root is ``/``, the home directory or holds the current directory.
        CacheLockedError: another process held the lock for ``lock_timeout`` seconds.
        CacheRefused: the root cannot be opened, is read-only, its lock file is not a regular
            file, or the platform cannot delete without following links.
    """
    _guard_root(root)
    targets, refused = _plan(root, paths)
    tally = _Tally(refused=refused)
    nothing = [t.shown for t in targets if t.requested]
    try:
        is_dir = stat.S_ISDIR(Path(root).stat().st_mode)
    except (FileNotFoundError, NotADirectoryError):
        is_dir = False
    except OSError as exc:  # a name longer than the OS allows, a loop of links...
        raise CacheRefused(f"cannot open the pip cache {root}: {exc.strerror}") from exc
    if not is_dir:
        tally.missing += nothing
        return tally.report()
    if not FD_SUPPORTED:
        raise CacheRefused(
            f"not deleting in {root}: this platform cannot delete without following links"
        )
    try:
        root_fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY | _CLOEXEC)
    except OSError as exc:
        raise CacheRefused(f"cannot open the pip cache {root}: {exc.strerror}") from exc
    try:
        if not _has_marker(root_fd):
            tally.missing += nothing  # no pip directory: nothing of pip's below, nothing created
            return tally.report()
        with contextlib.ExitStack() as stack:
            if not dry_run:
                if os.fstatvfs(root_fd).f_flag & os.ST_RDONLY:
                    raise CacheRefused(f"the pip cache {root} is on a read-only file system")
                wait = LOCK_TIMEOUT if lock_timeout is None else lock_timeout
                stack.enter_context(locked(root_fd, str(root), wait))
            for target in targets:
                _delete_one(root_fd, target, tally, dry_run=dry_run)
    finally:
        os.close(root_fd)
    return tally.report()


def _has_marker(root_fd: int) -> bool:
    for name in MARKERS:
        with contextlib.suppress(OSError):
            if stat.S_ISDIR(os.stat(name, dir_fd=root_fd, follow_symlinks=False).st_mode):
                return True
    return False


def _delete_one(root_fd: int, target: _Target, tally: _Tally, *, dry_run: bool) -> None:
    """Reach the entry level by level without following links; remove it relative to its parent."""
    fds: list[int] = []
    try:
        parent = root_fd
        for name in target.parts[:-1]:
            fds.append(os.open(name, _DIR_FLAGS, dir_fd=parent))
            parent = fds[-1]
        leaf = target.parts[-1]
        st = os.stat(leaf, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        if target.requested:
            tally.missing.append(target.shown)
        return
    except OSError as exc:
        if exc.errno in (errno.ELOOP, errno.ENOTDIR):  # a link or a file where pip has a dir
            tally.refused.append(target.shown)
        else:
            tally.failed.append(f"{target.shown}: {exc.strerror or exc}")
        return
    else:
        _remove_leaf(parent, st, target, tally, dry_run=dry_run)
    finally:
        for fd in reversed(fds):
            os.close(fd)


def _remove_leaf(
    parent: int, st: os.stat_result, target: _Target, tally: _Tally, *, dry_run: bool
) -> None:
    leaf = target.parts[-1]
    is_dir = stat.S_ISDIR(st.st_mode)
    if is_dir and entry_kind(target.parts) != WHEELS:
        tally.refused.append(target.shown)  # pip keeps files there, never directories
        return
    size = _tree_size(parent, leaf) if is_dir else (st.st_size if stat.S_ISREG(st.st_mode) else 0)
    if dry_run:
        tally.deleted.append(target.shown)
        tally.freed += size
        return
    error = _remove_tree(parent, leaf) if is_dir else _unlink(parent, leaf)
    left = _left(parent, leaf)
    if error is None and left is None:
        tally.deleted.append(target.shown)
        tally.freed += size
        return
    tally.failed.append(f"{target.shown}: {error or 'still there'}")
    tally.freed += max(0, size - (left or 0))


def _unlink(parent: int, name: str) -> str | None:
    try:
        os.unlink(name, dir_fd=parent)
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _left(parent: int, name: str) -> int | None:
    """The bytes still there under ``name`` after a removal, or None when it is gone."""
    try:
        st = os.stat(name, dir_fd=parent, follow_symlinks=False)
    except FileNotFoundError:
        return None
    except OSError:
        return 0
    if stat.S_ISDIR(st.st_mode):
        return _tree_size(parent, name)
    return st.st_size if stat.S_ISREG(st.st_mode) else 0


def _tree_size(parent: int, name: str) -> int:
    """The size of the regular files in a tree, walked by descriptors, links never followed."""
    total = 0
    with contextlib.suppress(OSError):
        for _dir, _dirs, files, dir_fd in os.fwalk(name, dir_fd=parent):
            for file in files:
                with contextlib.suppress(OSError):
                    st = os.stat(file, dir_fd=dir_fd, follow_symlinks=False)
                    total += st.st_size if stat.S_ISREG(st.st_mode) else 0
    return total


def _remove_tree(parent: int, name: str) -> str | None:
    """Remove a directory tree relative to ``parent``; return the first error, if any."""
    if _RMTREE_AT:
        shutil.rmtree(name, dir_fd=parent, ignore_errors=True)  # type: ignore[call-arg,unused-ignore]
        if _left(parent, name) is None:
            return None
    errors: list[OSError] = []
    _walk_remove(parent, name, errors, 0)  # whatever is left, with the errors it gives
    first = next((e for e in errors if e.errno != errno.ENOTEMPTY), errors[0] if errors else None)
    return (first.strerror or str(first)) if first else None


def _walk_remove(parent: int, name: str, errors: list[OSError], depth: int) -> None:
    if depth > _MAX_DEPTH:
        errors.append(OSError(errno.ELOOP, "nested too deeply"))
        return
    try:
        fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
    except OSError as exc:
        errors.append(exc)
        return
    try:
        with os.scandir(fd) as it:
            children = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
        for child, is_dir in children:
            if is_dir:
                _walk_remove(fd, child, errors, depth + 1)
            else:
                try:
                    os.unlink(child, dir_fd=fd)
                except OSError as exc:
                    if exc.errno != errno.ENOENT:
                        errors.append(exc)
    except OSError as exc:
        errors.append(exc)
    finally:
        os.close(fd)
    try:
        os.rmdir(name, dir_fd=parent)
    except OSError as exc:
        errors.append(exc)
