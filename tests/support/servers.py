"""Real index servers for the integration tests: devpi-server, pypiserver and proxpi.

``.ci/prepare-servers`` installs each into its own venv ``.ci/venvs/servers-NAME``; the starters
here run it on 127.0.0.1 (a free port) with its state in a given directory, wait until it
answers, and stop it (SIGTERM, then SIGKILL) when done. A missing venv raises
:class:`ServerMissing`, which the fixtures turn into a skip with the reason.

- devpi-server: ``devpi-init --no-root-pypi``, then ``devpi-server``; :meth:`Devpi.add_mirror`
  creates a mirror index (``type=mirror``, ``mirror_url`` at an upstream such as the fault index)
  with devpi-client.
- pypiserver: ``pypi-server run -P htpasswd -a download,list,update --disable-fallback``.
- proxpi: the Flask app with ``PROXPI_INDEX_URL`` at the upstream.

``support/server_setups.py`` sets them up as the scenarios of issue 16 need them.

Nothing here reaches beyond 127.0.0.1: each server process gets its own HOME and an environment
without proxies and without ``PIP_*`` variables.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from support import pips

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: devpi-server's ``--request-timeout`` (seconds it waits for the upstream; proxpi gets the same).
DEVPI_REQUEST_TIMEOUT = 3

ServerT = TypeVar("ServerT", bound="Server")

#: The servers ``.ci/prepare-servers`` installs (venv ``.ci/venvs/servers-NAME``).
NAMES = ("devpi", "pypiserver", "proxpi")

#: prctl(2) option: the signal a child gets when its parent dies.
_PR_SET_PDEATHSIG = 1

#: Seconds a server may take to answer its first request (devpi needs ~13 s on a busy machine).
START_TIMEOUT = 60.0


class ServerMissing(Exception):
    """The server's venv is not installed (run ``.ci/prepare-servers``)."""


def venv_bin(name: str) -> Path:
    """The ``bin`` directory of the server's venv.

    Raises:
        ServerMissing: if ``.ci/prepare-servers`` has not installed it.
    """
    venv = pips.VENVS / f"servers-{name}"
    if not (venv / ".installed").is_file():
        raise ServerMissing(f"{name} is not installed in {venv}: run .ci/prepare-servers")
    return venv / "bin"


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(home: Path, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a server process: its own HOME, no proxies, no ``PIP_*`` settings."""
    env = {
        key: value
        for key, value in pips.isolated_env().items()
        if key.lower() not in {"http_proxy", "https_proxy", "all_proxy"}
    }
    home.mkdir(parents=True, exist_ok=True)
    env.update({"HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache"), "TMPDIR": str(home)})
    if extra:
        env.update(extra)
    return env


@dataclass
class Server:
    """One running server process.

    Attributes:
        name: which server.
        proc: the process (its own process group, so that stop() reaches its children).
        port: the port on 127.0.0.1.
        log: its stdout and stderr.
    """

    name: str
    proc: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the server's output (for failure messages)."""
        try:
            text = self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait_ready(self, path: str = "/", timeout: float = START_TIMEOUT) -> None:
        """Poll ``path`` until the server answers any HTTP status.

        Raises:
            RuntimeError: if the process exits or ``timeout`` passes first.
        """
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(self.base_url + path, timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers: a 401/404 is an answer
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(
                    f"{self.name} did not answer in {timeout:g} s:\n{self.log_tail()}"
                )
            time.sleep(0.2)

    def stop(self) -> None:
        """SIGTERM the process group, SIGKILL it after 10 s."""
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def _die_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: the server gets SIGTERM when the test process dies (even by SIGKILL)."""
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _spawn(
    name: str, argv: Sequence[str], workdir: Path, env: Mapping[str, str], port: int
) -> Server:
    workdir.mkdir(parents=True, exist_ok=True)
    log = workdir / f"{name}.log"
    with log.open("ab") as out:
        proc = subprocess.Popen(
            list(argv),
            env=dict(env),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,  # noqa: PLW1509
        )
    return Server(name, proc, port, log)


# -- devpi ------------------------------------------------------------------------------------


@dataclass
class Devpi(Server):
    """devpi-server with devpi-client set up to administer it as root (empty password)."""

    clientdir: Path = Path()
    env: dict[str, str] | None = None

    def devpi(self, *args: str) -> str:
        """Run one devpi-client command; returns its output.

        Raises:
            RuntimeError: if it fails.
        """
        argv = [str(venv_bin("devpi") / "devpi"), "--clientdir", str(self.clientdir), *args]
        return pips.run_checked(argv, env=os.environ if self.env is None else self.env, timeout=60)

    def add_mirror(self, name: str, upstream: str, *, cache_expiry: int = 1800) -> str:
        """Create the mirror index ``root/NAME`` of ``upstream``; returns its simple URL."""
        self.devpi(
            "index",
            "-c",
            f"root/{name}",
            "type=mirror",
            f"mirror_url={upstream.rstrip('/')}/",
            f"mirror_cache_expiry={cache_expiry}",
        )
        return self.simple_url(name)

    def simple_url(self, name: str) -> str:
        """The ``--index-url`` of index ``root/NAME``."""
        return f"{self.base_url}/root/{name}/+simple/"


def start_devpi(workdir: Path) -> Devpi:
    """Initialise a devpi server dir (no root/pypi), start devpi-server, log devpi-client in."""
    bin_dir = venv_bin("devpi")
    env = server_env(workdir / "home")
    serverdir = workdir / "server"
    init = [str(bin_dir / "devpi-init"), "--serverdir", str(serverdir), "--no-root-pypi"]
    pips.run_checked(init, env=env, timeout=120)
    port = free_port()
    server = _spawn(
        "devpi",
        [
            str(bin_dir / "devpi-server"),
            "--serverdir",
            str(serverdir),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--request-timeout",
            str(DEVPI_REQUEST_TIMEOUT),
            "--threads",
            "16",
        ],
        workdir,
        env,
        port,
    )
    devpi = Devpi(server.name, server.proc, port, server.log, clientdir=workdir / "client", env=env)
    devpi.wait_ready("/+api")
    try:
        devpi.devpi("use", devpi.base_url)
        devpi.devpi("login", "root", "--password", "")
    except RuntimeError:
        devpi.stop()
        raise
    return devpi


# -- pypiserver -------------------------------------------------------------------------------


def start_pypiserver(workdir: Path, packages: Path, htpasswd: Path | None) -> Server:
    """pypiserver over ``packages``, every action behind ``htpasswd``, no fallback to PyPI.

    With ``htpasswd`` None nothing needs credentials (pypiserver's ``-P . -a .``).
    """
    bin_dir = venv_bin("pypiserver")
    port = free_port()
    passwords, actions = (str(htpasswd), "download,list,update") if htpasswd else (".", ".")
    server = _spawn(
        "pypiserver",
        [
            str(bin_dir / "pypi-server"),
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "-P",
            passwords,
            "-a",
            actions,
            "--disable-fallback",
            str(packages),
        ],
        workdir,
        server_env(workdir / "home"),
        port,
    )
    server.wait_ready("/simple/")
    return server


def write_htpasswd(path: Path, user: str, password: str) -> None:
    """An htpasswd file with one bcrypt-free (apr1) entry, made by passlib in pypiserver's venv."""
    code = (
        "import sys; from passlib.apache import HtpasswdFile as H; "
        "f = H(sys.argv[1], new=True); f.set_password(sys.argv[2], sys.argv[3]); f.save()"
    )
    argv = [str(venv_bin("pypiserver") / "python"), "-c", code, str(path), user, password]
    pips.run_checked(argv, env=pips.isolated_env(), timeout=60)


# -- proxpi -----------------------------------------------------------------------------------


def start_proxpi(workdir: Path, upstream: str, **settings: str) -> Server:
    """proxpi in front of ``upstream``; ``settings`` are extra ``PROXPI_*`` variables."""
    bin_dir = venv_bin("proxpi")
    port = free_port()
    env = server_env(
        workdir / "home",
        {
            "PROXPI_INDEX_URL": upstream.rstrip("/") + "/",
            "PROXPI_CACHE_DIR": str(workdir / "cache"),
            "FLASK_APP": "proxpi.server",
            **settings,
        },
    )
    server = _spawn(
        "proxpi",
        [
            str(bin_dir / "python"),
            "-m",
            "flask",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--with-threads",
        ],
        workdir,
        env,
        port,
    )
    server.wait_ready("/index/")
    return server
