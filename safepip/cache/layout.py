"""pip's cache: where it lives, which files belong to a URL, and the one guarded delete.

Layout (docs/failure-kinds.md §A)::

    <root>/http-v2/h0/h1/h2/h3/h4/<h>        pip >= 23.3: CacheControl metadata ("cc=4," + msgpack)
    <root>/http-v2/h0/h1/h2/h3/h4/<h>.body   pip >= 23.3: the raw response body
    <root>/http/h0/h1/h2/h3/h4/<h>           pip <= 23.2: metadata and body in one msgpack file
    <root>/wheels/aa/bb/cc/<rest>/<x>.whl    wheels pip built locally (plus origin.json)

with ``h = sha224(normalize_url(url))``. Everything here except :func:`delete` and
:func:`cache_lock` is pure (``locate`` only calls the injected ``query``). :func:`delete` is the
only code in safepip that removes files (ruff bans ``shutil.rmtree`` elsewhere): paths come from
pip logs, which are untrusted input, so every path is checked against the cache root first.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import shutil
import stat
import sys
import time
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import TYPE_CHECKING

from safepip.errors import SafepipError, UsageError
from safepip.pipfacts import Query, cache_disabled

if TYPE_CHECKING:
    from collections.abc import Generator, Iterable, Mapping

_log = logging.getLogger(__name__)

HTTP_V2 = "http-v2"
HTTP_V1 = "http"
WHEELS = "wheels"
LOCK_NAME = ".safepip.lock"
BODY_SUFFIX = ".body"

#: RFC 3986 appendix B, the regex CacheControl's ``parse_uri`` uses.
_URI = re.compile(r"^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?")
_HEX = re.compile(r"[0-9a-f]+")


class CacheLockedError(SafepipError):
    """Another safepip process holds the cache lock for longer than we are willing to wait."""

    def __init__(self, lock_path: str, timeout: float) -> None:
        """Name the lock file and how long we waited."""
        super().__init__(
            f"the pip cache is locked by another safepip process ({lock_path}) "
            f"for more than {timeout:g} s",
            hint="wait for the other run to finish, or use a private --cache-dir",
        )
        self.lock_path = lock_path


def normalize_url(url: str) -> str:
    """Normalise a URL the way CacheControl's ``_urlnorm`` does before hashing it.

    Scheme and authority are lower-cased, the ``#fragment`` is dropped, an empty path becomes
    ``/`` and an empty query (a bare ``?``) is dropped (docs/failure-kinds.md §A; pip's vendored
    ``cachecontrol/controller.py``).

    Raises:
        UsageError: the URL is not absolute (CacheControl refuses those too).
    """
    match = _URI.match(url)  # the pattern matches every string
    scheme = match.group(2) if match else None
    authority = match.group(4) if match else None
    path = match.group(5) if match else ""
    query = match.group(7) if match else None
    if not scheme or not authority:
        raise UsageError(f"not an absolute URL: {url!r}")
    path = path or "/"
    request_uri = f"{path}?{query}" if query else path
    return f"{scheme.lower()}://{authority.lower()}{request_uri}"


def http_key(url: str) -> str:
    """Return the HTTP-cache key of ``url``: the sha224 hex digest of its normalised form."""
    return hashlib.sha224(normalize_url(url).encode()).hexdigest()


def _key_path(base: Path, key: str) -> Path:
    return base.joinpath(*key[:5], key)


def http_entry_paths(root: Path, url: str) -> tuple[Path, ...]:
    """Return every file that can hold the cached response for ``url``.

    Returns:
        ``(http-v2 metadata, http-v2 body, old http/ entry)``; they need not exist.
    """
    key = http_key(url)
    v2 = _key_path(root / HTTP_V2, key)
    return (v2, v2.with_name(key + BODY_SUFFIX), _key_path(root / HTTP_V1, key))


def wheel_entry_dir(root: Path, wheel_path: str) -> Path | None:
    """Return the ``wheels/`` entry directory that holds a logged wheel path, or None.

    pip logs ``Wheel 'x' located at <cache>/wheels/aa/bb/cc/<rest>/x.whl is invalid``
    (docs/failure-kinds.md §A); the whole ``aa/bb/cc/<rest>`` directory is one cache entry.
    Pure: no file-system access, so ``..`` components are refused outright.

    Returns:
        ``root/wheels/aa/bb/cc/<rest>``, or None when the path is not a wheel in that layout.
    """
    path = PurePath(wheel_path)
    if ".." in path.parts or path.suffix != ".whl":
        return None
    try:
        rel = path.relative_to(root / WHEELS)
    except ValueError:
        return None
    parts = rel.parts
    if len(parts) != 5 or not all(_HEX.fullmatch(p) for p in parts[:4]):
        return None
    if any(len(p) != 2 for p in parts[:3]):
        return None
    return root.joinpath(WHEELS, *parts[:4])


@dataclass(frozen=True)
class DeleteReport:
    """What :func:`delete` did (or, under ``dry_run``, would do).

    Attributes:
        deleted: resolved paths removed (or that would be removed), in deletion order.
        refused: paths refused because they do not resolve inside the cache root.
        missing: paths that did not exist.
        bytes_freed: total size of the regular files removed.
        failed: paths whose removal raised an OSError (``path: error``).
    """

    deleted: tuple[str, ...]
    refused: tuple[str, ...]
    missing: tuple[str, ...]
    bytes_freed: int
    failed: tuple[str, ...] = ()


def _inside(root_real: Path, path: str | os.PathLike[str]) -> Path | None:
    """Return the path with its parents' symlinks resolved if it lies strictly inside the root."""
    raw = Path(path)
    if ".." in raw.parts:
        return None  # never resolve '..' from logged paths (docs/architecture.md §5)
    if not raw.is_absolute():
        raw = root_real / raw
    if not raw.name:
        return None
    candidate = Path(os.path.realpath(raw.parent)) / raw.name
    if candidate == root_real or root_real not in candidate.parents:
        return None
    if candidate == root_real / LOCK_NAME:
        return None  # unlinking a held lock file would break mutual exclusion
    return candidate


def _size(path: Path, st: os.stat_result) -> int:
    if not stat.S_ISDIR(st.st_mode):
        return st.st_size if stat.S_ISREG(st.st_mode) else 0
    total = 0
    for dirpath, _dirs, files in os.walk(path):  # os.walk does not follow symlinks
        for name in files:
            with contextlib.suppress(OSError):
                lst = (Path(dirpath) / name).lstat()
                total += lst.st_size if stat.S_ISREG(lst.st_mode) else 0
    return total


def _with_partners(root_real: Path, paths: list[Path]) -> list[Path]:
    """Add the other half of each http-v2 entry and order every body before its metadata.

    pip serves an http-v2 entry only when both files exist (``SafeFileCache.get`` checks both,
    read in pip 24.0 and 26.3). Removing the body first means a concurrent pip never reads a
    metadata whose body is about to vanish.
    """
    v2 = root_real / HTTP_V2
    out: dict[Path, None] = {}
    for p in paths:
        if v2 in p.parents:
            meta = p.with_name(p.name[: -len(BODY_SUFFIX)]) if p.name.endswith(BODY_SUFFIX) else p
            if len(meta.name) == 56 and _HEX.fullmatch(meta.name):
                out[meta.with_name(meta.name + BODY_SUFFIX)] = None
                out[meta] = None
                continue
        out[p] = None
    return list(out)


def delete(
    root: Path,
    paths: Iterable[str | os.PathLike[str]],
    *,
    dry_run: bool = False,
    lock_timeout: float = 60.0,
) -> DeleteReport:
    """Delete files and entry directories inside the pip cache, refusing anything else.

    A path is refused (never raised on) when it contains ``..``, when its parent's resolved
    location is not strictly inside the resolved ``root``, or when it is the root itself.
    A symlink is unlinked, never followed. Relative paths are taken relative to ``root``.
    Either half of an http-v2 entry removes both (body first). Deletions hold the inter-process
    lock :func:`cache_lock` so concurrent safepip runs do not race (pypa/pip#12361).

    Args:
        root: the pip cache directory.
        paths: files or directories to remove (typically from ``remedies.plan`` or a scan).
        dry_run: report what would be removed, touch nothing.
        lock_timeout: how long to wait for another safepip's lock.

    Returns:
        The accounting of what was deleted, refused, missing or failed.

    Raises:
        CacheLockedError: another safepip held the cache lock for ``lock_timeout`` seconds.
    """
    root_real = Path(os.path.realpath(root))
    refused: list[str] = []
    accepted: list[Path] = []
    for path in paths:
        candidate = _inside(root_real, path)
        if candidate is None:
            refused.append(os.fspath(path))
        else:
            accepted.append(candidate)
    targets = _with_partners(root_real, accepted)
    requested = set(accepted)
    deleted: list[str] = []
    missing: list[str] = []
    failed: list[str] = []
    freed = 0
    with contextlib.ExitStack() as stack:
        if not dry_run:
            _enter_lock(stack, root_real, lock_timeout)
        for target in targets:
            try:
                st = target.lstat()
            except FileNotFoundError:
                if target in requested:
                    missing.append(str(target))
                continue
            size = _size(target, st)
            error = None if dry_run else _remove(target, st)
            if error:
                failed.append(f"{target}: {error}")
            else:
                deleted.append(str(target))
                freed += size
    return DeleteReport(tuple(deleted), tuple(refused), tuple(missing), freed, tuple(failed))


def _remove(target: Path, st: os.stat_result) -> str | None:
    """Remove one file, symlink (never followed) or directory tree; return the error, if any."""
    try:
        if stat.S_ISDIR(st.st_mode):
            shutil.rmtree(target)
        else:
            target.unlink()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _enter_lock(stack: contextlib.ExitStack[bool | None], root_real: Path, timeout: float) -> None:
    """Hold :func:`cache_lock` for the rest of ``stack`` when the root exists and is writable."""
    if not root_real.is_dir():
        return  # nothing can exist below a missing root
    try:
        stack.enter_context(cache_lock(root_real, timeout=timeout))
    except PermissionError:
        # A read-only cache root: no lock file possible. Removals will fail (and be reported)
        # unless the subdirectories are writable.
        _log.warning("cannot create %s; deleting without the lock", root_real / LOCK_NAME)


@contextlib.contextmanager
def cache_lock(root: Path, *, timeout: float = 60.0, poll: float = 0.05) -> Generator[None]:
    """Hold an exclusive inter-process lock on ``root/.safepip.lock``.

    pip itself takes no cross-process cache lock (pypa/pip#2361, #8187); this one only
    serialises safepip processes. POSIX uses ``fcntl.flock``, Windows ``msvcrt.locking``.

    Raises:
        CacheLockedError: the lock was not acquired within ``timeout`` seconds.
    """
    lock_path = root / LOCK_NAME
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o666)
    deadline = time.monotonic() + timeout
    try:
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                raise CacheLockedError(str(lock_path), timeout)
            time.sleep(poll)
        try:
            yield
        finally:
            _unlock(fd)
    finally:
        os.close(fd)


if sys.platform == "win32":  # pragma: no cover - exercised on Windows CI only
    import msvcrt

    def _try_lock(fd: int) -> bool:
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _expand(path: str, env: Mapping[str, str]) -> Path:
    if path.startswith("~"):
        home = env.get("USERPROFILE" if sys.platform == "win32" else "HOME")
        if home:
            path = home + path[1:]
    return Path(path).expanduser().absolute()


def default_cache_dir(env: Mapping[str, str], platform: str = sys.platform) -> Path:
    """Return pip's platform default cache dir (platformdirs ``user_cache_dir("pip")``)."""
    if platform == "win32":
        base = env.get("LOCALAPPDATA") or str(_expand("~", env) / "AppData" / "Local")
        return Path(base) / "pip" / "Cache"
    if platform == "darwin":
        return _expand("~", env) / "Library" / "Caches" / "pip"
    xdg = env.get("XDG_CACHE_HOME", "").strip()
    return (Path(xdg) if xdg else _expand("~", env) / ".cache") / "pip"


def locate(
    python: str,
    *,
    cache_dir_arg: str | None,
    no_cache: bool,
    env: Mapping[str, str],
    query: Query,
) -> Path | None:
    """Find the cache directory that the pip of ``python`` uses.

    Order: an explicit ``--cache-dir`` wins; ``--no-cache-dir`` or ``PIP_NO_CACHE_DIR`` means
    no cache; otherwise ``python -m pip cache dir`` (pip >= 20.1; honours ``PIP_CACHE_DIR`` and
    config files); if that fails, ``PIP_CACHE_DIR`` or the platform default.

    Args:
        python: the target interpreter.
        cache_dir_arg: the value of ``--cache-dir`` on pip's command line, if any.
        no_cache: ``--no-cache-dir`` was given.
        env: the environment pip runs with.
        query: runs a short command, returning ``(returncode, stdout)``.

    Returns:
        The cache directory (it may not exist yet), or None when pip's cache is disabled.
    """
    if cache_dir_arg:
        return _expand(cache_dir_arg, env)
    if no_cache or cache_disabled(env):
        return None
    argv = [python, "-m", "pip", "cache", "dir", "--disable-pip-version-check", "--no-input"]
    returncode, stdout = query(argv, env)
    lines = [line.strip() for line in stdout.splitlines() if line.strip()]
    if returncode == 0 and lines:
        return Path(lines[-1])
    explicit = env.get("PIP_CACHE_DIR", "").strip()
    return _expand(explicit, env) if explicit else default_cache_dir(env)
