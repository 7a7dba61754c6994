"""``safepip doctor``: check the environment pip runs in, one line per check.

Each line reads ``ok|warn|fail  <check>: <detail>``. The checks cover the causes of failure in
docs/failure-kinds.md that can be seen before running pip: the pip version and its known cache bugs,
the cache (location, size, free space, corrupt entries), pip's configuration, proxies, index
reachability, PEP 668, and a damaged ``site-packages``. Questions to the target interpreter go
through the injected ``query``; index probes through the injected ``probe``.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from safepip import jsonparse
from safepip.cache import layout as cache
from safepip.cache.entries import root_exists
from safepip.cache.verify import verify
from safepip.commands.cache import human_size
from safepip.errors import UsageError
from safepip.pipargs import add_seconds_option, default_python
from safepip.pipfacts import (
    PipConfig,
    Query,
    cache_disabled,
    configured_indexes,
    parse_version,
    probe_index,
    read_config,
    switch,
)
from safepip.report.redact import redact, redact_data

if TYPE_CHECKING:
    import argparse
    from collections.abc import Iterator, Mapping, Sequence
    from typing import TextIO

#: ``probe(url, timeout) -> (ok, detail)``: one bounded request to an index.
Probe = Callable[[str, float], "tuple[bool, str]"]

OK, WARN, FAIL = "ok", "warn", "fail"
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
_LOW_SPACE = 1_000_000_000

#: Asks the target interpreter where it lives and which pip it has (one process, stdlib only).
PROBE_SCRIPT = (
    "import json, sys, sysconfig\n"
    "info = {'version': sys.version.split()[0], 'prefix': sys.prefix,\n"
    "        'base_prefix': getattr(sys, 'base_prefix', sys.prefix),\n"
    "        'stdlib': sysconfig.get_path('stdlib'), 'purelib': sysconfig.get_path('purelib'),\n"
    "        'platlib': sysconfig.get_path('platlib'), 'pip': None}\n"
    "try:\n"
    "    from importlib.metadata import version\n"
    "    info['pip'] = version('pip')\n"
    "except Exception:\n"
    "    pass\n"
    "print(json.dumps(info))\n"
)


@dataclass(frozen=True)
class Check:
    """One doctor line.

    Attributes:
        status: ``ok``, ``warn`` or ``fail``.
        name: the check.
        detail: what was found (already redacted).
    """

    status: str
    name: str
    detail: str

    def line(self) -> str:
        """The text form: ``ok    pip: 26.3``."""
        return f"{self.status:<4}  {self.name}: {self.detail}"


def pip_version_check(version: str | None) -> Check:
    """Judge a pip version by its known cache and retry bugs (docs/failure-kinds.md §A, §F)."""
    if version is None:
        return Check(FAIL, "pip", "not installed in the target interpreter (python -m ensurepip)")
    v = parse_version(version) or ()
    notes: list[str] = []
    if v < (22, 0):
        notes.append("older than 22.0, which safepip supports")
    if (23, 3) <= v < (25, 1):
        notes.append(
            "23.3-25.0 keep a corrupt http-v2 entry until it is purged (docs/failure-kinds.md §A) "
            "and race on a shared cache (pypa/pip#12361)"
        )
    if v < (25, 1):
        notes.append("no download resume (--resume-retries needs 25.1)")
    elif v < (25, 2):
        notes.append("download resume is off by default (--resume-retries 0)")
    detail = f"{version}: {'; '.join(notes)}" if notes else version
    return Check(WARN if notes else OK, "pip", detail)


def _tree_size(root: Path) -> int:
    total = 0
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size  # noqa: PTH118
            except OSError:
                continue
    return total


def _writable(path: Path) -> bool:
    while not path.exists() and path != path.parent:
        path = path.parent
    return os.access(path, os.W_OK)


def cache_checks(root: Path | None) -> Iterator[Check]:
    """Location, size, writability, free space and corrupt entries of the cache."""
    if root is None:
        yield Check(WARN, "cache", "disabled (PIP_NO_CACHE_DIR): every run downloads")
        return
    try:
        exists = root_exists(root)
    except UsageError as exc:  # a name longer than the OS allows: a failed check, not a crash
        yield Check(FAIL, "cache", str(exc))
        return
    if not exists:
        yield Check(OK, "cache", f"{root} (not created yet)")
    if not _writable(root):
        yield Check(FAIL, "cache", f"{root} is not writable: pip runs without a cache")
        return
    anchor = root if exists else next(p for p in root.parents if p.exists())
    free = shutil.disk_usage(anchor).free
    if exists:
        status = WARN if free < _LOW_SPACE else OK
        size = human_size(_tree_size(root))
        yield Check(status, "cache", f"{root}, {size}, {human_size(free)} free")
        try:
            report = verify(root)
        except UsageError as exc:  # an unreadable cache root: a failed check, not a usage error
            yield Check(FAIL, "cache entries", str(exc))
            return
        if report.problems:
            reasons = ", ".join(sorted({p.reason for p in report.problems}))
            count = f"{len(report.problems)} corrupt of {report.checked}"
            fix = "run safepip cache verify --fix"
            yield Check(WARN, "cache entries", f"{count} ({reasons}): {fix}")
        else:
            yield Check(OK, "cache entries", f"{report.checked} entries, none corrupt")
    elif free < _LOW_SPACE:
        yield Check(WARN, "cache", f"only {human_size(free)} free for {root}")


def config_check(config: PipConfig | None) -> Check:
    """Report the config files in use and the ``PIP_*`` variables (names and redacted values)."""
    if config is None:
        return Check(WARN, "pip config", "`pip config debug` failed (pip < 20?)")
    parts = [f"files: {', '.join(config.files) or 'none'}"]
    if config.values:
        parts.append(", ".join(f"{k}={v}" for k, v in sorted(config.values.items())))
    if config.env_vars:
        parts.append(f"env: {', '.join(sorted(config.env_vars))}")
    return Check(OK, "pip config", redact("; ".join(parts)))


def proxy_check(env: Mapping[str, str]) -> Check:
    """Name the proxy variables that are set (values are never shown: they may hold passwords)."""
    names = sorted(k for k in env if k.upper() in _PROXY_VARS and env[k].strip())
    if not names:
        return Check(OK, "proxy", "no proxy variables set")
    return Check(OK, "proxy", f"{', '.join(names)} set (pip uses them; values not shown)")


def index_checks(indexes: Sequence[str], probe: Probe, timeout: float) -> Iterator[Check]:
    """One bounded request per configured index."""
    for url in indexes:
        ok, detail = probe(url, timeout)
        if ok and detail.startswith("HTTP 40"):
            yield Check(WARN, "index", redact(f"{url}: {detail} (credentials needed?)"))
        else:
            yield Check(OK if ok else FAIL, "index", redact(f"{url}: {detail}"))


def site_checks(info: Mapping[str, str]) -> Iterator[Check]:
    """PEP 668 marker, virtual environment, broken ``*.dist-info`` and ``~`` leftovers."""
    in_venv = info.get("prefix") != info.get("base_prefix")
    marker = Path(info.get("stdlib") or "/nonexistent") / "EXTERNALLY-MANAGED"
    if marker.is_file() and not in_venv:
        yield Check(
            FAIL,
            "externally-managed",
            f"{marker}: pip refuses to install here (PEP 668); use a virtual environment",
        )
    else:
        state = "yes, but in a venv" if marker.is_file() else "no"
        yield Check(OK, "externally-managed", state)
    where = f"virtual environment at {info.get('prefix')}"
    yield (
        Check(OK, "virtualenv", where)
        if in_venv
        else Check(WARN, "virtualenv", f"not in a virtual environment ({info.get('prefix')})")
    )
    dirs = dict.fromkeys(p for p in (info.get("purelib"), info.get("platlib")) if p)
    # In a system interpreter the OS packages often ship no RECORD (the package manager owns
    # them): a warning there; in a virtual environment it is a broken install.
    for site in dirs:
        yield from _site_dir_checks(Path(site), FAIL if in_venv else WARN)


def _repair(dist_info: str) -> str:
    """The pip command that rewrites a RECORD: the same release, installed over itself."""
    name, _, version = dist_info[: -len(".dist-info")].partition("-")
    return f"`python -m pip install --ignore-installed --no-deps {name}=={version}`"


def _site_dir_checks(site: Path, no_record_status: str) -> Iterator[Check]:
    try:
        names = sorted(os.listdir(site))  # noqa: PTH208 - names only, fast
    except OSError:
        return
    no_metadata, no_record = [], []
    for name in names:
        if name.endswith(".dist-info"):
            if not (site / name / "METADATA").is_file():
                no_metadata.append(name)
            elif not (site / name / "RECORD").is_file():
                no_record.append(name)
    leftovers = [n for n in names if n.startswith("~")]
    if no_metadata:
        yield Check(
            FAIL,
            "site-packages",
            f"{site}: no METADATA in {', '.join(no_metadata)} "
            "(remove those directories; docs/failure-kinds.md §E env-broken)",
        )
    if no_record:
        repairs = "; ".join(_repair(name) for name in no_record)
        yield Check(
            no_record_status,
            "site-packages",
            f"{site}: no RECORD in {', '.join(no_record)}: pip cannot uninstall or upgrade"
            f" them; repair in place with {repairs}",
        )
    if leftovers:
        yield Check(
            WARN,
            "site-packages",
            f"{site}: leftovers of an interrupted install: {', '.join(leftovers)} (safe to remove)",
        )
    if not (no_metadata or no_record or leftovers):
        yield Check(
            OK,
            "site-packages",
            f"{site}: {sum(n.endswith('.dist-info') for n in names)} distributions, none broken",
        )


def run_checks(  # noqa: PLR0913 - every collaborator is injected on purpose
    python: str,
    env: Mapping[str, str],
    query: Query,
    probe: Probe,
    *,
    network: bool = True,
    timeout: float = 5.0,
) -> list[Check]:
    """Run every check against the interpreter ``python``.

    Args:
        python: the target interpreter.
        env: the environment pip would run with.
        query: runs a short command: ``(returncode, stdout)``.
        probe: one bounded request to an index URL.
        network: probe the indexes (off with ``--offline``).
        timeout: seconds per index probe.
    """
    returncode, stdout = query([python, "-c", PROBE_SCRIPT], env)
    try:
        info = jsonparse.loads(stdout) if returncode == 0 else None
    except ValueError:
        info = None
    if not isinstance(info, dict):
        return [Check(FAIL, "python", f"cannot run {python} (exit status {returncode})")]
    # an interpreter that answers oddly (a wrapper, a shim) is never trusted to be well-typed
    info = {
        k: v
        for k, v in info.items()
        if isinstance(k, str) and isinstance(v, str) and "\0" not in v and len(v) < 4096
    }
    checks = [Check(OK, "python", f"{python} (Python {info.get('version')})")]
    checks.append(pip_version_check(info.get("pip")))
    if info.get("pip") is None:
        return checks + list(site_checks(info))
    config = read_config(python, env, query)
    no_cache = cache_disabled(env, config)
    root = cache.locate(python, cache_dir_arg=None, no_cache=no_cache, env=env, query=query)
    checks.extend(cache_checks(root))
    checks.append(config_check(config))
    checks.append(proxy_check(env))
    if _no_index(config, env):
        checks.append(Check(OK, "index", "no-index configured: pip uses only --find-links"))
    elif network:
        checks.extend(index_checks(configured_indexes(config, env), probe, timeout))
    checks.extend(site_checks(info))
    return checks


def _no_index(config: PipConfig | None, env: Mapping[str, str]) -> bool:
    """True when pip is told not to use any index (``PIP_NO_INDEX`` or ``no-index`` in a file)."""
    return switch(config, env, "no-index")


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``doctor`` options."""
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="the interpreter to check (default: the active venv's python)",
    )
    parser.add_argument("--json", action="store_true", help="print a JSON document")
    parser.add_argument("--offline", action="store_true", help="do not probe the indexes")
    add_seconds_option(
        parser, "--timeout", default=5.0, text="per index probe (default 5; at most a week)"
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Print one line per check (or JSON); exit 1 when any check fails."""
    from safepip.runner import query  # noqa: PLC0415 - only when the target must be asked

    del err  # every finding is a result line
    env = dict(os.environ)
    python = options.python or default_python(env, sys.executable)
    checks = run_checks(
        python, env, query, probe_index, network=not options.offline, timeout=options.timeout
    )
    if options.json:
        doc = [{"status": c.status, "check": c.name, "detail": c.detail} for c in checks]
        out.write(json.dumps(redact_data(doc), indent=2) + "\n")
    else:
        out.writelines(redact(check.line()) + "\n" for check in checks)
    return 1 if any(check.status == FAIL for check in checks) else 0
