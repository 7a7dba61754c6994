"""pip's cache: where it lives, which files belong to a URL, and which names are pip's.

Layout (docs/failure-kinds.md §A)::

    <root>/http-v2/h0/h1/h2/h3/h4/<h>        pip >= 23.3: CacheControl metadata ("cc=4," + msgpack)
    <root>/http-v2/h0/h1/h2/h3/h4/<h>.body   pip >= 23.3: the raw response body
    <root>/http/h0/h1/h2/h3/h4/<h>           pip <= 23.2: metadata and body in one msgpack file
    <root>/wheels/aa/bb/cc/<rest>/<x>.whl    wheels pip built locally (plus origin.json)

with ``h = sha224(normalize_url(url))`` (56 hex digits, one per directory level for the first
five) and ``aa/bb/cc/<rest>`` the 2+2+2+50 hex digits of the sha224 of the wheel's link (pip's
``Cache._get_cache_path_parts``). Everything here is pure (``locate`` only calls the injected
``query``); the one guarded delete is :mod:`safepip.cache.delete`, which deletes only what
:func:`entry_kind` recognises as pip's.
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path, PurePath
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from safepip import lazyre
from safepip.errors import UsageError
from safepip.pipfacts import Query, cache_disabled

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

HTTP_V2 = "http-v2"
HTTP_V1 = "http"
WHEELS = "wheels"
LOCK_NAME = ".safepip.lock"
BODY_SUFFIX = ".body"

#: RFC 3986 appendix B, the regex CacheControl's ``parse_uri`` uses.
_URI = lazyre.compile(r"^(([^:/?#]+):)?(//([^/?#]*))?([^?#]*)(\?([^#]*))?(#(.*))?")
_HEX = lazyre.compile(r"[0-9a-f]+")
#: A key: the 56 hex digits of a sha224 (an HTTP-cache file name, a ``wheels/`` entry's levels).
KEY = lazyre.compile(r"[0-9a-f]{56}")
#: pip writes every cache file through ``adjacent_tmp_file``: ``NamedTemporaryFile(prefix=<name>,
#: suffix=".tmp")`` beside it, then ``os.replace`` (pip's ``utils/filesystem.py``). A crash or a
#: kill between the two leaves ``<h>XXXXXXXX.tmp`` / ``<h>.bodyXXXXXXXX.tmp`` behind.
TEMP_NAME = lazyre.compile(r"(?P<target>[0-9a-f]{56}(?:\.body)?)[a-z0-9_]{8}\.tmp")
#: The top-level directories pip creates; a root holding none of them is not a pip cache.
MARKERS = (HTTP_V2, HTTP_V1, WHEELS)


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
    (docs/failure-kinds.md §A), or ``Using cached wheel link: file:///<cache>/wheels/...`` (a
    ``file:`` URL, taken as its percent-decoded path); the whole ``aa/bb/cc/<rest>`` directory
    is one cache entry. Pure: no file-system access, so ``..`` components are refused outright.

    Returns:
        ``root/wheels/aa/bb/cc/<rest>``, or None when the path is not a wheel in that layout.
    """
    if wheel_path.startswith("file:"):
        parsed = urlsplit(wheel_path)
        if parsed.netloc not in ("", "localhost"):
            return None
        wheel_path = unquote(parsed.path)
    path = PurePath(wheel_path)
    if ".." in path.parts or path.suffix != ".whl":
        return None
    try:
        rel = path.relative_to(root / WHEELS)
    except ValueError:
        return None
    parts = rel.parts
    if len(parts) != 5 or entry_kind((WHEELS, *parts[:4])) != WHEELS:
        return None
    return root.joinpath(WHEELS, *parts[:4])


def entry_kind(parts: Sequence[str]) -> str | None:
    """Return the layout of a cache entry named by its path parts below the root, or None.

    Only pip's own shapes are entries: ``http-v2``/``http`` + five one-hex-digit levels that are
    the key's first five digits + the 56-hex key (``.body`` too in ``http-v2``, and pip's temp
    files beside either); ``wheels`` + ``aa/bb/cc`` + 50 hex digits (the entry directory).
    Anything else under a cache root (a user's own ``wheels/ab/cd/ef/myproject``) is not
    pip's, and :mod:`safepip.cache.delete` never removes it.
    """
    if len(parts) == 5 and parts[0] == WHEELS:
        levels = "".join(parts[1:])
        ok = [len(p) for p in parts[1:]] == [2, 2, 2, 50] and KEY.fullmatch(levels)
        return WHEELS if ok else None
    if len(parts) != 7 or parts[0] not in (HTTP_V2, HTTP_V1):
        return None
    name = parts[6]
    temp = TEMP_NAME.fullmatch(name)
    key = temp.group("target") if temp else name
    if key.endswith(BODY_SUFFIX):
        if parts[0] != HTTP_V2:
            return None
        key = key[: -len(BODY_SUFFIX)]
    if not KEY.fullmatch(key) or tuple(parts[1:6]) != tuple(key[:5]):
        return None
    return parts[0]


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
