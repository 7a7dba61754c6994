"""Pythons with a given pip version, and an environment that isolates pip from the machine.

The pip wheels come from ``.ci/wheelhouse/`` (filled by ``.ci/prepare-pips``; nothing here touches
the network). Each version gets one virtual environment under ``.ci/venvs/pip-<version>/``, created
once and reused across runs; creation is serialised by a file lock and finished by an atomic rename,
so parallel test runs do not clash.

Every pip started by the harness must run with :func:`isolated_env` and its own ``--cache-dir``,
and with :func:`common_args` (``--trusted-host 127.0.0.1``: pip caches plain-http responses only from
trusted hosts, docs/failure-kinds.md §I).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence


REPO_ROOT = Path(__file__).resolve().parents[2]
WHEELHOUSE = REPO_ROOT / ".ci" / "wheelhouse"
VENVS = REPO_ROOT / ".ci" / "venvs"

#: Marker written last into a finished venv.
_READY = ".safepip-ready"
#: The start of pip's error when a download's sha256 differs from the one expected.
HASH_BLOCK = "THESE PACKAGES DO NOT MATCH THE HASHES"


def mentions_status(output: str, status: int) -> bool:
    """Whether pip's ``output`` names the HTTP ``status`` as a number of its own.

    A bare substring test is wrong here: the index's port is random and may contain the digits
    (``127.0.0.1:35031`` holds ``503``).
    """
    return re.search(rf"(?<![0-9]){status}(?![0-9])", output) is not None


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version))


def available_pip_versions() -> list[str]:
    """Return the pip versions whose wheels are in the wheelhouse, oldest first."""
    found = [wheel.name.split("-")[1] for wheel in WHEELHOUSE.glob("pip-*-py3-none-any.whl")]
    return sorted(found, key=_version_key)


def pip_wheel(version: str) -> Path:
    """Return the wheelhouse path of ``pip-<version>``.

    Raises:
        FileNotFoundError: if the wheelhouse lacks it (run ``.ci/prepare-pips``).
    """
    wheel = WHEELHOUSE / f"pip-{version}-py3-none-any.whl"
    if not wheel.is_file():
        raise FileNotFoundError(f"{wheel} is missing: run .ci/prepare-pips")
    return wheel


def isolated_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Return ``os.environ`` without ``PIP_*``/``SAFEPIP_*``, with pip's config files disabled.

    Sets ``PIP_CONFIG_FILE=os.devnull`` (the machine has a global pip config with extra indexes),
    ``PIP_DISABLE_PIP_VERSION_CHECK=1`` and ``PYTHONDONTWRITEBYTECODE=1``, and puts 127.0.0.1 into
    ``no_proxy`` so that a proxy in the environment can never carry test traffic elsewhere.

    Args:
        extra: variables to set on top.

    Returns:
        A fresh dict, safe to mutate.
    """
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().startswith(("PIP_", "SAFEPIP_"))
    }
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    for key in ("no_proxy", "NO_PROXY"):
        current = [part for part in env.get(key, "").split(",") if part]
        env[key] = ",".join([*current, "127.0.0.1", "localhost"])
    if extra:
        env.update(extra)
    return env


def private_env(base: Path) -> dict[str, str]:
    """:func:`isolated_env` with a HOME and TMPDIR of its own, and no active venv or Python path.

    Args:
        base: the directory under which ``home/`` (also holding ``XDG_CACHE_HOME``, as
            ``home/.cache``) and ``tmp/`` are created.

    Returns:
        A fresh dict, safe to mutate.
    """
    home, temp = base / "home", base / "tmp"
    home.mkdir(parents=True, exist_ok=True)
    temp.mkdir(exist_ok=True)
    env = isolated_env(
        {"HOME": str(home), "TMPDIR": str(temp), "XDG_CACHE_HOME": str(home / ".cache")}
    )
    for key in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME"):
        env.pop(key, None)
    return env


def common_args(
    index_url: str,
    cache_dir: Path | None,
    *,
    retries: int = 1,
    timeout: float = 5,
    no_input: bool = True,
) -> list[str]:
    """Return the options every harness pip run needs (after ``install``/``download``).

    Args:
        index_url: the fault index URL (``FaultIndex.url``).
        cache_dir: the run's private cache, or None for ``--no-cache-dir``.
        retries: pip's ``--retries`` (kept small so fault scenarios stay fast).
        timeout: pip's ``--timeout`` in seconds.
        no_input: include ``--no-input``; False for arguments handed to safepip, which adds
            it to every pip it starts (a plain pip run then passes it itself).

    Returns:
        ``--index-url``, ``--trusted-host 127.0.0.1``, the cache option, ``--no-input``,
        ``--disable-pip-version-check``, ``--retries`` and ``--timeout``.
    """
    cache = ["--no-cache-dir"] if cache_dir is None else ["--cache-dir", str(cache_dir)]
    return [
        "--index-url",
        index_url,
        "--trusted-host",
        "127.0.0.1",
        *cache,
        *(["--no-input"] if no_input else []),
        "--disable-pip-version-check",
        "--retries",
        str(retries),
        "--timeout",
        str(timeout),
    ]


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def run_checked(args: Sequence[str], *, env: Mapping[str, str], timeout: float = 300) -> str:
    """Run a set-up step and return its standard output.

    Raises:
        RuntimeError: the step failed (its output is in the message).
        subprocess.TimeoutExpired: it ran longer than ``timeout`` seconds.
    """
    proc = subprocess.run(
        list(args), env=dict(env), capture_output=True, text=True, check=False, timeout=timeout
    )
    if proc.returncode != 0:
        raise RuntimeError(
            f"command failed ({proc.returncode}): {' '.join(args)}\n{proc.stdout}\n{proc.stderr}"
        )
    return proc.stdout


def _python_in(venv: Path) -> Path:
    return venv / "bin" / "python"


def _usable(venv: Path) -> bool:
    # Finished (marker written last) and its python symlink still resolves: a venv whose base
    # interpreter was removed or upgraded is rebuilt rather than failing obscurely.
    return (venv / _READY).is_file() and _python_in(venv).exists()


def pip_python(version: str) -> Path:
    """Return the interpreter of the cached venv that has ``pip==<version>``, creating it once.

    The venv is made with ``python -m venv --without-pip`` (the interpreter running the tests), then
    pip is installed from the wheelhouse by running pip from its own wheel with ``--no-index``.
    Run it as ``python -m pip`` (:func:`run_pip`): the venv was built under a temporary name and
    renamed, so the shebangs of its ``bin/pip*`` scripts point nowhere.

    Args:
        version: a pip version present in the wheelhouse.

    Returns:
        ``.ci/venvs/pip-<version>/bin/python``.

    Raises:
        FileNotFoundError: if the wheelhouse lacks that pip.
        RuntimeError: if creating the venv fails.
    """
    venv = VENVS / f"pip-{version}"
    if _usable(venv):
        return _python_in(venv)
    wheel = pip_wheel(version)
    with _locked(VENVS / f".pip-{version}.lock"):
        if _usable(venv):  # another process finished it while we waited
            return _python_in(venv)
        tmp = Path(tempfile.mkdtemp(prefix=f".pip-{version}-", dir=VENVS))
        try:
            install_pip_venv(sys.executable, tmp, wheel, env=isolated_env())
            (tmp / _READY).write_text(version + "\n", encoding="utf-8")
            tmp.chmod(0o755)  # mkdtemp made it private
            if venv.exists():  # a leftover: half-made, or its base interpreter is gone
                shutil.rmtree(venv)
            tmp.rename(venv)
        finally:
            if tmp.exists():
                shutil.rmtree(tmp, ignore_errors=True)
    return _python_in(venv)


def install_pip_venv(base_python: str, dest: Path, wheel: Path, *, env: Mapping[str, str]) -> Path:
    """Create a venv at ``dest`` from ``base_python`` and install the pip ``wheel`` into it.

    pip is installed by running pip from its own wheel with ``--no-index`` (no network).

    Args:
        base_python: the interpreter the venv is made from.
        dest: the directory to create.
        wheel: a pip wheel (:func:`pip_wheel`).
        env: the environment of both steps.

    Returns:
        ``dest/bin/python``.

    Raises:
        RuntimeError: a step failed (its output is in the message).
    """
    run_checked([base_python, "-m", "venv", "--without-pip", str(dest)], env=env)
    python = _python_in(dest)
    run_checked(
        [
            str(python),
            str(wheel / "pip"),
            "install",
            "--no-index",
            "--no-deps",
            "--disable-pip-version-check",
            "--no-cache-dir",
            "--quiet",
            str(wheel),
        ],
        env=env,
    )
    return python


def new_venv(dest: Path, version: str) -> Path:
    """Create a fresh, empty venv whose ``python -m pip`` is ``pip==<version>``.

    pip itself is not installed into it: a ``.pth`` file puts the cached venv's site-packages
    (:func:`pip_python`) on ``sys.path``, so creating one takes a fraction of a second while
    installs still land in ``dest``'s own site-packages.

    Args:
        dest: the directory to create.
        version: the pip version.

    Returns:
        ``dest/bin/python``.
    """
    base = pip_python(version)
    env = isolated_env()
    run_checked([sys.executable, "-m", "venv", "--without-pip", str(dest)], env=env)
    probe = "import sysconfig; print(sysconfig.get_paths()['purelib'])"
    base_site = subprocess.run(
        [str(base), "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    python = _python_in(dest)
    site = subprocess.run(
        [str(python), "-c", probe], env=env, capture_output=True, text=True, check=True
    ).stdout.strip()
    Path(site, "_safepip_test_pip.pth").write_text(base_site + "\n", encoding="utf-8")
    return python


@dataclass(frozen=True)
class PipResult:
    """One finished pip process.

    Attributes:
        args: the argv run.
        returncode: the exit status.
        output: stdout and stderr interleaved, as a terminal would show them.
        duration: wall time in seconds.
    """

    args: tuple[str, ...]
    returncode: int
    output: str
    duration: float


def run_pip(
    python: Path,
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> PipResult:
    """Run ``python -m pip <args>`` with stdout and stderr merged.

    Args:
        python: the interpreter (from :func:`pip_python` or :func:`new_venv`).
        args: pip's arguments, e.g. ``["install", *common_args(...), "demo"]``.
        env: the environment; :func:`isolated_env` when None.
        cwd: the working directory.
        timeout: seconds before the process is killed (raises ``subprocess.TimeoutExpired``).

    Returns:
        The result; a failing pip is not an exception.
    """
    return run_merged((str(python), "-m", "pip", *args), env=env, cwd=cwd, timeout=timeout)


def run_merged(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
    timeout: float = 120,
) -> PipResult:
    """Run ``argv`` (pip, or safepip) with stdout and stderr merged and stdin from /dev/null.

    Args:
        argv: the command.
        env: the environment; :func:`isolated_env` when None.
        cwd: the working directory.
        timeout: seconds before the process is killed (raises ``subprocess.TimeoutExpired``).

    Returns:
        The result, the output decoded as UTF-8 (undecodable bytes replaced).
    """
    start = time.monotonic()
    proc = subprocess.run(
        list(argv),
        env=dict(env) if env is not None else isolated_env(),
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        timeout=timeout,
    )
    return PipResult(tuple(argv), proc.returncode, proc.stdout, time.monotonic() - start)
