"""The one place for pip's facts: its version, ``PIP_*`` truthiness, configuration and indexes.

Everything that needs to know how pip reads its settings asks here, so two parts of safepip
cannot disagree about them. Nothing here judges; it only reads. The index probe is one bounded
request that cannot hang (docs/failure-kinds.md §B: a silent index failure looks like not-found).
Imports stay light: :mod:`safepip.pipargs` uses this module on every install.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import urlsplit, urlunsplit

from safepip import lazyre

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping, Sequence

#: pip's default index (``--index-url``), with the trailing slash pip's pages have.
DEFAULT_INDEX = "https://pypi.org/simple/"
#: SHA-256 of empty input: the ``Got`` of an empty cached body (docs/failure-kinds.md §C).
EMPTY_SHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

#: ``query(argv, env) -> (returncode, stdout)``: runs a short command (:func:`safepip.runner.query`
#: in production, a fake in tests).
Query = Callable[["Sequence[str]", "Mapping[str, str]"], "tuple[int, str]"]

#: pip's ``strtobool`` (``pip/_internal/utils/misc.py``), case-insensitive and unstripped.
_TRUE_WORDS = frozenset({"y", "yes", "t", "true", "on", "1"})
_FALSE_WORDS = frozenset({"n", "no", "f", "false", "off", "0"})
#: The script that prints the version of the pip installed for an interpreter.
_VERSION_SCRIPT = "import pip; print(pip.__version__)"


def strtobool(value: str) -> bool:
    """Read a boolean setting exactly as pip does.

    Raises:
        ValueError: pip rejects the value too ("invalid truth value").
    """
    lowered = value.lower()
    if lowered in _TRUE_WORDS:
        return True
    if lowered in _FALSE_WORDS:
        return False
    raise ValueError(value)


def setting(config: PipConfig | None, env: Mapping[str, str], name: str) -> str:
    """What ``pip install`` takes for the option ``name`` (``index-url``, ``no-index``, ...).

    pip's order: the ``PIP_*`` variable, then ``[install]``, then ``[global]`` of the config
    files; empty values count as unset. ``""`` when none sets it.
    """
    variable = "PIP_" + name.upper().replace("-", "_")
    if env.get(variable):
        return env[variable]
    values = config.values if config else {}
    return values.get(f"install.{name}") or values.get(f"global.{name}") or ""


def switch(config: PipConfig | None, env: Mapping[str, str], name: str) -> bool:
    """Whether pip treats the on/off option ``name`` (``no-index``, ...) as on.

    A value pip cannot parse with :func:`strtobool` makes pip itself fail; it counts as off.
    """
    try:
        return strtobool(setting(config, env, name) or "0")
    except ValueError:
        return False


def cache_disabled(env: Mapping[str, str], config: PipConfig | None = None) -> bool:
    """Whether ``PIP_NO_CACHE_DIR`` (or ``no-cache-dir`` in a config file) turns pip's cache off.

    pip keeps an old quirk for compatibility (``cmdoptions._handle_no_cache_dir``): *any* valid
    boolean disables the cache, ``PIP_NO_CACHE_DIR=false`` included. A value that is not a
    boolean makes pip fail, so it disables nothing here.
    """
    return setting(config, env, "no-cache-dir").lower() in _TRUE_WORDS | _FALSE_WORDS


#: A PEP 440 version (what :class:`packaging.version.Version` accepts, any case); group 1 its
#: release. Read here rather than with packaging, which costs a failure ~3 ms to import.
_PEP440 = lazyre.compile(
    r"""
    (?:\d{1,9}!)?                                       # epoch
    (\d{1,9}(?:\.\d{1,9}){0,15})                          # release
    (?:[-_.]?(?:a|b|c|rc|alpha|beta|pre|preview)[-_.]?\d{0,9})?
    (?:-\d{1,9}|[-_.]?(?:post|rev|r)[-_.]?\d{0,9})?
    (?:[-_.]?dev[-_.]?\d{0,9})?
    (?:\+[a-z0-9]{1,64}(?:[-_.][a-z0-9]{1,64}){0,15})?   # local version
    """,
    re.VERBOSE | re.IGNORECASE,
)


def parse_version(text: str) -> tuple[int, ...] | None:
    """The release of a pip version string (``26.3``, ``24.1b1``, ``pip 26.3 from ...``)."""
    match = re.search(r"\d+(?:\.\d+)*\S*", text)
    if match is None:
        return None
    version = _PEP440.fullmatch(match.group(0))
    return None if version is None else tuple(int(part) for part in version.group(1).split("."))


def pip_version(python: str, env: Mapping[str, str], query: Query) -> tuple[int, ...] | None:
    """The version of the pip installed for ``python``, or None if it cannot be read.

    A virtual environment's pip is read from its ``site-packages`` (:func:`venv_pip_version`);
    any other interpreter is asked.
    """
    found = venv_pip_version(python, env)
    if found is not None:
        return found
    status, out = query([python, "-c", _VERSION_SCRIPT], env)
    return parse_version(out.strip()) if status == 0 else None


def venv_pip_version(python: str, env: Mapping[str, str]) -> tuple[int, ...] | None:
    """The pip version of a virtual environment's interpreter, read without starting it.

    ``<venv>/bin/python`` (``<venv>/Scripts/python.exe``) with ``pyvenv.cfg`` in ``<venv>``
    imports the pip of ``<venv>/lib/python*/site-packages`` (``<venv>/Lib/site-packages``), whose
    one ``pip-<version>.dist-info`` names it: a file lookup instead of a ~20-70 ms interpreter
    start after every failure. None when that does not hold (not a venv, no pip or several
    there, ``PYTHONPATH`` set, which may put another pip first): then the interpreter is asked.
    """
    if env.get("PYTHONPATH"):
        return None
    venv = Path(python).parent.parent
    if not (venv / "pyvenv.cfg").is_file():
        return None
    found = [
        *venv.glob("lib/python*/site-packages/pip-*.dist-info"),
        *venv.glob("Lib/site-packages/pip-*.dist-info"),
    ]
    if len(found) != 1:
        return None
    return parse_version(found[0].name[len("pip-") : -len(".dist-info")])


@dataclass(frozen=True)
class PipConfig:
    """What ``pip config debug`` says: files in use, values, ``PIP_*`` variables."""

    files: tuple[str, ...]
    values: dict[str, str]
    env_vars: dict[str, str]


#: pip's precedence of its config files, weakest first (``configuration.OVERRIDE_ORDER``);
#: ``pip config debug`` prints them in another order (env, global, site, user).
_FILE_ORDER = ("global", "user", "site", "env")


def parse_config_debug(text: str) -> PipConfig:
    """Parse ``pip config debug`` output (pip >= 20); a value set in several files is pip's."""
    files: list[str] = []
    by_section: dict[str, dict[str, str]] = {}
    env_vars: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        if re.fullmatch(r"[a-z_]+:", line):
            section = line[:-1]
            continue
        file_line = re.fullmatch(r"  (\S.*), exists: (True|False)", line)
        if file_line:
            if file_line.group(2) == "True":
                files.append(file_line.group(1))
            continue
        value = re.fullmatch(r"    ([\w.:-]+): (.*)", line)
        if value:
            by_section.setdefault(section, {})[value.group(1)] = value.group(2)
            continue
        env_var = re.fullmatch(r"  (PIP_\w+)='(.*)'", line)
        if env_var and section == "env_var":
            env_vars[env_var.group(1)] = env_var.group(2)
    order = sorted(
        by_section, key=lambda name: _FILE_ORDER.index(name) + 1 if name in _FILE_ORDER else 0
    )
    values = {key: value for name in order for key, value in by_section[name].items()}
    return PipConfig(tuple(files), values, env_vars)


def read_config(python: str, env: Mapping[str, str], query: Query) -> PipConfig | None:
    """Ask the pip of ``python`` for its configuration (``pip config debug``), None if it fails."""
    argv = [python, "-m", "pip", "config", "debug", "--disable-pip-version-check", "--no-input"]
    status, text = query(argv, env)
    return parse_config_debug(text) if status == 0 else None


def configured_indexes(
    config: PipConfig | None,
    env: Mapping[str, str],
    *,
    index_urls: Iterable[str] = (),
    extra_urls: Iterable[str] = (),
) -> list[str]:
    """Every index ``pip install`` uses, primary first, in pip's precedence.

    The primary index is the last ``--index-url`` given, else ``PIP_INDEX_URL``, else the config
    files (``[install]`` over ``[global]``), else PyPI. Extra indexes come from
    ``PIP_EXTRA_INDEX_URL`` or the config files (whitespace-separated), and the command line's
    ``--extra-index-url`` values add to them, as pip's append options do.
    """
    primary = [*index_urls][-1:] or setting(config, env, "index-url").split()[-1:]
    extra = [*setting(config, env, "extra-index-url").split(), *extra_urls]
    return list(dict.fromkeys([*(primary or [DEFAULT_INDEX]), *extra]))


#: Every probe failure that is not an HTTP status starts so: the request never got an answer.
UNREACHABLE = "the index cannot be reached: "
_CUT_PASSWORD = (
    "not a valid URL: a '#' or '?' in the password ends the address before its '@'"
    " (write them as %23 and %3F)"
)


def probe_index(url: str, timeout: float) -> tuple[bool, str]:
    """One bounded HEAD request (GET-free) to an index; never hangs past ``timeout``.

    DNS resolution ignores socket timeouts, so the request runs in a daemon thread that is
    abandoned when the deadline passes. A request that cannot even be built or sent (a port
    that is no number, a control character) fails at once; the detail never repeats the part
    of the address urllib choked on, which may be a cut-off password.
    """
    import http.client  # noqa: PLC0415 - the probe is doctor's alone; keep pipargs light
    import threading  # noqa: PLC0415
    import urllib.error  # noqa: PLC0415
    import urllib.request  # noqa: PLC0415

    try:
        parts = urlsplit(url)
    except ValueError:  # an unbalanced "[" in the host or the password: not a URL urllib takes
        return False, UNREACHABLE + "not a valid URL"
    cut, at, host = url.partition("//")[2][len(parts.netloc) :].partition("/")[0].rpartition("@")
    if cut[:1] in {"#", "?"} and at and not {"=", "&"} & set(host):  # not a query's "@"
        return False, UNREACHABLE + _CUT_PASSWORD
    netloc = parts.netloc.rsplit("@", 1)[-1]  # credentials are not sent in a doctor probe
    if parts.scheme == "file":
        exists = Path(urllib.request.url2pathname(parts.path)).is_dir()
        return exists, "local directory" if exists else "local directory missing"
    address = urlunsplit((parts.scheme, netloc, parts.path or "/", "", ""))
    result: list[tuple[bool, str]] = []

    def attempt() -> None:
        try:
            request = urllib.request.Request(address, method="HEAD")  # noqa: S310 - file: above
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                result.append((True, f"HTTP {response.status}"))
        except urllib.error.HTTPError as exc:
            reachable = exc.code < 500
            result.append((reachable, f"HTTP {exc.code}"))
        except (urllib.error.URLError, OSError) as exc:
            result.append((False, f"{UNREACHABLE}{getattr(exc, 'reason', exc)}"))
        except (http.client.InvalidURL, ValueError):  # urllib's words repeat the address
            result.append((False, UNREACHABLE + "not a valid URL"))
        except Exception as exc:  # noqa: BLE001 - any other failure to send or to read an answer
            result.append((False, f"{UNREACHABLE}{type(exc).__name__}"))

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout + 1)
    return result[0] if result else (False, f"{UNREACHABLE}no answer in {timeout:g} s")
