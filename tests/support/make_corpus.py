"""Regenerate the real-pip part of the classifier corpus (``tests/data/pip-logs/``).

Run from the repository root (after ``.ci/prepare-pips``)::

    .venv/bin/python tests/support/make_corpus.py                 # every scenario, every pip
    .venv/bin/python tests/support/make_corpus.py --pip 24.0 --only file-500 --dry-run

For each pip version and scenario it starts the fault index, runs the setup steps, then the failing
``pip install`` with ``--log``, and writes

- ``<kind>/real-pip<VER>-<scenario>-console.txt``: stdout and stderr as a terminal shows them;
- ``<kind>/real-pip<VER>-<scenario>-log.txt``: pip's ``--log`` file (timestamped, debug level);

each with a ``.toml`` sidecar (``comment``, ``pip_version``, ``format`` and optional ``package``,
``url``). The random port becomes 8765 and the scratch directory ``/tmp/safepip-corpus``; nothing else
is edited. A scenario that pip survives (it healed itself) or that fails differently than expected
writes nothing and is reported, so the corpus holds only real failures of the named kind.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from support import pips
from support.indexserver import FaultIndex
from support.wheels import build_sdist, build_wheel, sha256_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

CORPUS = pips.REPO_ROOT / "tests" / "data" / "pip-logs"
VERSIONS = ("22.0.4", "24.0", "26.3")
PORT = 8765
SCRATCH = "/tmp/safepip-corpus"
#: The conda-build artefact path of docs/failure-kinds.md §D; it must not exist on this machine.
CONDA_PATH = "/tmp/build/80754af9/demo_1/work"
#: A distribution Python that carries a PEP 668 ``EXTERNALLY-MANAGED`` marker (Debian 12 here).
SYSTEM_PYTHON = "/usr/bin/python3"


@dataclass
class Ctx:
    """What a scenario works with: one pip, one scratch dir, one index, one private cache."""

    version: str
    python: Path
    work: Path
    index: FaultIndex
    cache: Path
    log: Path

    def pip(
        self, *args: str, python: Path | None = None, log: bool = True, retries: int = 2
    ) -> pips.PipResult:
        """Run ``pip install`` with the harness options (and ``--log`` on the final run)."""
        extra = ["--log", str(self.log)] if log else []
        argv = ["install", *pips.common_args(self.index.url, self.cache, retries=retries)]
        return pips.run_pip(python or self.python, [*argv, *extra, *args], timeout=180)

    def target(self, name: str = "target") -> list[str]:
        """``--target <work>/<name>``."""
        return ["--target", str(self.work / name)]

    def requirements(self, text: str) -> list[str]:
        """Write a requirements file and return ``["-r", path]``."""
        path = self.work / "requirements.txt"
        path.write_text(text, encoding="utf-8")
        return ["-r", str(path)]

    def system_pip(self, *args: str, user: str | None = None, python: str = "") -> pips.PipResult:
        """Run this pip, from its wheel, with the distribution's Python (``SYSTEM_PYTHON``).

        Args:
            args: ``pip install`` arguments after the harness options.
            user: run as this user (through ``runuser``; needs root), for permission errors.
            python: another interpreter (default ``SYSTEM_PYTHON``).
        """
        argv = [python or SYSTEM_PYTHON, str(pips.pip_wheel(self.version) / "pip"), "install"]
        argv += [*pips.common_args(self.index.url, self.cache), "--log", str(self.log), *args]
        if user is not None:
            argv = ["runuser", "-u", user, "--", *argv]
        env = pips.isolated_env({"HOME": str(self.work / "home")})
        return pips.run_merged(argv, env=env, timeout=180)


@dataclass
class Scenario:
    """One corpus case: how to make pip fail, and how to tell that it failed the intended way."""

    name: str
    kind: str
    comment: str
    run: Callable[[Ctx], pips.PipResult]
    expect: str
    dists: Callable[[Path], list[Path]]
    console_kind: str | None = None
    package: str | None = None
    url_file: str | None = None
    versions: Sequence[str] = VERSIONS
    index_options: dict[str, object] = field(default_factory=dict)


# -- distributions ----------------------------------------------------------------------------


def _demo(d: Path) -> list[Path]:
    return [build_wheel(d, "demo", "1.0", requires=("dep",)), build_wheel(d, "dep", "2.0")]


def _demo_upgrade(d: Path) -> list[Path]:
    return [*_demo(d), build_wheel(d, "demo", "1.1", requires=("dep",))]


def _conflict(d: Path) -> list[Path]:
    return [
        build_wheel(d, "demo", "1.0", requires=("dep==2.0",)),
        build_wheel(d, "dep", "1.0"),
        build_wheel(d, "dep", "2.0"),
    ]


def _future_python(d: Path) -> list[Path]:
    return [build_wheel(d, "future-only", "1.0", requires_python=">=3.99")]


def _future_and_demo(d: Path) -> list[Path]:
    return [
        build_wheel(d, "future-only", "1.0", requires_python=">=3.99"),
        build_wheel(d, "future-only", "0.9"),
        *_demo(d),
    ]


def _sdist_ok(d: Path) -> list[Path]:
    return [build_sdist(d, "built-demo", "3.0")]


def _sdist_fail_metadata(d: Path) -> list[Path]:
    return [
        build_sdist(
            d, "broken-build", "1.0", fail="metadata", fail_message="cannot find the C compiler"
        )
    ]


def _sdist_build_deps(d: Path) -> list[Path]:
    return [
        build_sdist(d, "needs-helper", "1.0", build_requires=("build-helper>=1.0",)),
        build_wheel(d, "build-helper", "1.0"),
    ]


def _sdist_fail_wheel(d: Path) -> list[Path]:
    return [
        build_sdist(d, "broken-build", "1.0", fail="wheel", fail_message="linking failed: -lfoo")
    ]


# -- scenario bodies --------------------------------------------------------------------------


def _install_demo(ctx: Ctx) -> pips.PipResult:
    return ctx.pip(*ctx.target(), "demo")


def _index_503(ctx: Ctx) -> pips.PipResult:
    ctx.index.fail("/simple/demo/", status=503, times=1000)
    return _install_demo(ctx)


def _index_reset(ctx: Ctx) -> pips.PipResult:
    ctx.index.reset("/simple/demo/", times=1000)
    return _install_demo(ctx)


def _index_304(ctx: Ctx) -> pips.PipResult:
    ctx.index.fail("/simple/demo/", status=304, times=1000)
    return _install_demo(ctx)


def _index_stall(ctx: Ctx) -> pips.PipResult:
    ctx.index.stall("/simple/demo/", 30, times=1000)
    return ctx.pip("--timeout", "1", *ctx.target(), "demo")  # the later --timeout wins


def _index_refused(ctx: Ctx) -> pips.PipResult:
    # A port that was just listening and is now closed: connection refused, at once.
    url = ctx.index.url
    ctx.index.stop()
    argv = ["install", *pips.common_args(url, ctx.cache, retries=2), "--log", str(ctx.log)]
    return pips.run_pip(ctx.python, [*argv, *ctx.target(), "demo"], timeout=180)


def _file_truncated(ctx: Ctx) -> pips.PipResult:
    ctx.index.truncate("/files/demo-*", times=1000)
    return _install_demo(ctx)


def _file_truncated_then_cached(ctx: Ctx) -> pips.PipResult:
    ctx.index.truncate("/files/demo-*", times=1)
    ctx.pip(*ctx.target("first"), "demo", log=False)
    return _install_demo(ctx)


def _file_500(ctx: Ctx) -> pips.PipResult:
    ctx.index.fail("/files/demo-*", status=500, times=1000)
    return _install_demo(ctx)


def _file_reset(ctx: Ctx) -> pips.PipResult:
    ctx.index.reset("/files/demo-*", times=1000)
    return _install_demo(ctx)


def _file_stall(ctx: Ctx) -> pips.PipResult:
    ctx.index.stall("/files/demo-*", 30, times=1000)
    argv = ["--timeout", "1", *ctx.target(), "demo"]  # the later --timeout wins
    return ctx.pip(*argv)


def _corrupt_fresh(ctx: Ctx) -> pips.PipResult:
    ctx.index.corrupt("/files/demo-*", times=1)
    return _install_demo(ctx)


def _corrupt_cached(ctx: Ctx) -> pips.PipResult:
    ctx.index.corrupt("/files/demo-*", times=1)
    ctx.pip(*ctx.target("first"), "demo", log=False)
    return _install_demo(ctx)


def _damaged_body(how: str) -> Callable[[Ctx], pips.PipResult]:
    def run(ctx: Ctx) -> pips.PipResult:
        first = ctx.pip(*ctx.target("first"), "demo", log=False)
        if first.returncode != 0:
            return first
        url = ctx.index.file_url("demo-1.0-py3-none-any.whl")
        for path in _http_cache_files(ctx.cache, url):
            if path.name.endswith(".body") or path.parent.parts[-6] == "http":
                data = path.read_bytes()
                path.write_bytes(b"" if how == "empty" else data[: len(data) // 2])
        return _install_demo(ctx)

    return run


def _http_cache_files(cache: Path, url: str) -> list[Path]:
    key = hashlib.sha224(url.encode()).hexdigest()
    found = []
    for sub in ("http", "http-v2"):
        entry = cache / sub / key[0] / key[1] / key[2] / key[3] / key[4] / key
        found += [p for p in (entry, entry.with_name(key + ".body")) if p.is_file()]
    return found


def _wheels_truncated(ctx: Ctx) -> pips.PipResult:
    first = ctx.pip(*ctx.target("first"), "built-demo", log=False)
    if first.returncode != 0:
        return first
    for wheel in (ctx.cache / "wheels").rglob("*.whl"):
        data = wheel.read_bytes()
        wheel.write_bytes(data[: len(data) // 2])
    return ctx.pip(*ctx.target(), "built-demo")


def _local_path(ctx: Ctx) -> pips.PipResult:
    if Path(CONDA_PATH).exists():
        raise RuntimeError(f"{CONDA_PATH} exists; the scenario needs it missing")
    reqs = ctx.requirements(f"dep==2.0\ndemo @ file://{CONDA_PATH}\n")
    return ctx.pip(*ctx.target(), *reqs)


def _not_found(ctx: Ctx) -> pips.PipResult:
    return ctx.pip(*ctx.target(), "no-such-project")


def _no_such_version(ctx: Ctx) -> pips.PipResult:
    return ctx.pip(*ctx.target(), "demo==9.9")


def _conflict_run(ctx: Ctx) -> pips.PipResult:
    return ctx.pip(*ctx.target(), "demo", "dep==1.0")


def _env_broken(victim: str) -> Callable[[Ctx], pips.PipResult]:
    def run(ctx: Ctx) -> pips.PipResult:
        return _break_dist_info(ctx, victim)

    return run


def _break_dist_info(ctx: Ctx, victim: str) -> pips.PipResult:
    python = pips.new_venv(ctx.work / "venv", ctx.version)
    first = ctx.pip("demo==1.0", python=python, log=False)
    if first.returncode != 0:
        return first
    for path in (ctx.work / "venv").glob(f"lib/python*/site-packages/demo-1.0.dist-info/{victim}"):
        path.unlink()
    return ctx.pip("--upgrade", "demo", python=python)


def _hash_pin(ctx: Ctx) -> pips.PipResult:
    wrong = "0" * 64
    reqs = ctx.requirements(
        f"demo==1.0 --hash=sha256:{wrong}\n"
        f"dep==2.0 --hash=sha256:{sha256_of(ctx.work / 'dists' / 'dep-2.0-py3-none-any.whl')}\n"
    )
    return ctx.pip(*ctx.target(), *reqs)


def _file_404(ctx: Ctx) -> pips.PipResult:
    ctx.index.fail("/files/demo-*", status=404, times=1000)
    return _install_demo(ctx)


def _vcs_auth(ctx: Ctx) -> pips.PipResult:
    # A git remote that answers 401 to everything: git has no credentials and no terminal.
    ctx.index.fail("/private/*", status=401, times=1000)
    url = f"git+{ctx.index.url.rsplit('/simple', 1)[0]}/private/demo.git#egg=demo"
    return ctx.pip(*ctx.target(), url)


def _editable_name(ctx: Ctx) -> pips.PipResult:
    return ctx.pip(*ctx.target(), "-e", "demo")


def _editable_missing_path(ctx: Ctx) -> pips.PipResult:
    return ctx.pip(*ctx.target(), "-e", "./no-such-dir")


def _glob_no_match(ctx: Ctx) -> pips.PipResult:
    # The shell found no wheel to expand the glob to and passed it on as it was.
    return ctx.pip(*ctx.target(), str(ctx.work / "dist" / "*.whl"))


def _find_links_missing(ctx: Ctx) -> pips.PipResult:
    return ctx.pip(
        *ctx.target(), "--no-index", "--find-links", str(ctx.work / "wheelhouse"), "demo"
    )


def _not_a_project(ctx: Ctx) -> pips.PipResult:
    (ctx.work / "checkout").mkdir()
    return ctx.pip(*ctx.target(), str(ctx.work / "checkout"))


def _unsupported_wheel(ctx: Ctx) -> pips.PipResult:
    # A wheel built for another Python and platform (the tags in its name say so).
    foreign = ctx.work / "demo-1.0-cp27-cp27m-win32.whl"
    shutil.copy(ctx.work / "dists" / "demo-1.0-py3-none-any.whl", foreign)
    return ctx.pip(*ctx.target(), str(foreign))


def _vcs_no_name(ctx: Ctx) -> pips.PipResult:
    url = f"git+{ctx.index.url.rsplit('/simple', 1)[0]}/repos/demo.git"
    return ctx.pip(*ctx.target(), "-e", url)


def _vcs_tool_missing(ctx: Ctx) -> pips.PipResult:
    # Mercurial is not installed on this machine (the scenario checks pip says so).
    url = f"hg+{ctx.index.url.rsplit('/simple', 1)[0]}/repos/demo#egg=demo"
    return ctx.pip(*ctx.target(), url)


def _vcs_repo_missing(ctx: Ctx) -> pips.PipResult:
    ctx.index.fail("/repos/*", status=404, times=1000)
    url = f"git+{ctx.index.url.rsplit('/simple', 1)[0]}/repos/gone.git#egg=gone"
    return ctx.pip(*ctx.target(), url)


def _auth(ctx: Ctx) -> pips.PipResult:
    ctx.index.fail("/simple/demo/", status=401, times=1000)
    return _install_demo(ctx)


def _file_auth(ctx: Ctx) -> pips.PipResult:
    ctx.index.fail("/files/demo-*", status=401, times=1000)
    return _install_demo(ctx)


def _invalid_requirement(ctx: Ctx) -> pips.PipResult:
    return ctx.pip(*ctx.target(), *ctx.requirements("dep==2.0\ndemo=1.0\n"))


def _hashes_required(ctx: Ctx) -> pips.PipResult:
    reqs = ctx.requirements("demo==1.0\ndep==2.0\n")
    return ctx.pip("--require-hashes", *ctx.target(), *reqs)


def _requires_python_index(ctx: Ctx) -> pips.PipResult:
    return ctx.pip(*ctx.target(), "future-only")


def _pinned_missing_after_skip(ctx: Ctx) -> pips.PipResult:
    # future-only 1.0 is skipped for its Requires-Python (0.9 is taken); demo==0.5 does not exist.
    return ctx.pip(*ctx.target(), "future-only", "demo==0.5")


def _requires_python_metadata(ctx: Ctx) -> pips.PipResult:
    # The index hides data-requires-python, so pip learns it only from the downloaded metadata.
    ctx.index.add(ctx.work / "dists" / "future_only-1.0-py3-none-any.whl", requires_python="")
    return ctx.pip(*ctx.target(), "future-only")


def _build_deps_503(ctx: Ctx) -> pips.PipResult:
    ctx.index.fail("/simple/build-helper/", status=503, times=1000)
    return ctx.pip(*ctx.target(), "needs-helper")


def _build_deps_missing(ctx: Ctx) -> pips.PipResult:
    ctx.index.remove("build_helper-1.0-py3-none-any.whl")
    return ctx.pip(*ctx.target(), "needs-helper")


def _build_deps_reset(ctx: Ctx) -> pips.PipResult:
    ctx.index.reset("/files/build_helper-*", times=1000)
    return ctx.pip(*ctx.target(), "needs-helper")


def _externally_managed(ctx: Ctx) -> pips.PipResult:
    probe = (
        "import os, sys, sysconfig; print(sys.prefix == sys.base_prefix and os.path.isfile("
        "os.path.join(sysconfig.get_path('stdlib'), 'EXTERNALLY-MANAGED')))"
    )
    marked = subprocess.run(
        [SYSTEM_PYTHON, "-c", probe], capture_output=True, text=True, check=False
    ).stdout.strip()
    if marked != "True":
        raise RuntimeError(f"{SYSTEM_PYTHON} has no EXTERNALLY-MANAGED marker: not run")
    # Belt and braces: the index serves nothing, so even a pip that skipped the PEP 668 check
    # could not install anything into the system Python (it would fail with not-found instead).
    ctx.index.remove("demo-1.0-py3-none-any.whl")
    ctx.index.remove("dep-2.0-py3-none-any.whl")
    return ctx.system_pip("demo")


def _open_to_nobody(ctx: Ctx) -> None:
    """Let user 'nobody' traverse the scratch dir and write the cache and the log."""
    if os.geteuid() != 0:
        raise RuntimeError("permission scenarios run pip as 'nobody' through runuser: need root")
    ctx.work.chmod(0o755)
    for path in (ctx.cache, ctx.work / "logs"):
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(0o777)
    ctx.log = ctx.work / "logs" / "pip.log"


def _permission_target(ctx: Ctx) -> pips.PipResult:
    _open_to_nobody(ctx)
    target = ctx.work / "root-owned-target"
    target.mkdir(mode=0o755)
    return ctx.system_pip("--target", str(target), "demo", user="nobody")


def _permission_venv(ctx: Ctx) -> pips.PipResult:
    _open_to_nobody(ctx)
    venv = ctx.work / "root-owned-venv"
    subprocess.run([SYSTEM_PYTHON, "-m", "venv", "--without-pip", str(venv)], check=True)
    return ctx.system_pip("demo", user="nobody", python=str(venv / "bin" / "python"))


def _build(ctx: Ctx) -> pips.PipResult:
    return ctx.pip(*ctx.target(), "broken-build")


LOCAL = "real pip run against the local fault index (tests/support/indexserver.py)"
DEMO_WHL = "demo-1.0-py3-none-any.whl"

SCENARIOS: list[Scenario] = [
    Scenario(
        "index-503",
        "network-transient",
        "The project page answers 503 on every request (more than pip's --retries 2); pip ends "
        "with 'from versions: none'. Only --log shows \"too many 503 error responses\": the "
        "console variant is filed under not-found because nothing in it shows the cause.",
        _index_503,
        "too many 503 error responses",
        _demo,
        console_kind="not-found",
        package="demo",
    ),
    Scenario(
        "index-reset",
        "network-transient",
        "The project page connection is reset (TCP RST) halfway through the body, every time.",
        _index_reset,
        "Connection reset by peer",
        _demo,
        package="demo",
    ),
    Scenario(
        "index-read-timeout",
        "network-transient",
        "The project page stalls 30 s before answering; pip runs with --timeout 1 and --retries "
        "2. The console shows the 'Retrying (Retry(total=...' warnings before 'from versions: none'.",
        _index_stall,
        "Read timed out",
        _demo,
        package="demo",
    ),
    Scenario(
        "index-connection-refused",
        "network-transient",
        "Nothing listens on the index port any more (connection refused at once); --retries 2.",
        _index_refused,
        "NewConnectionError",
        _demo,
        package="demo",
    ),
    Scenario(
        "index-304-no-content-type",
        "cache-corrupt",
        "The project page answers 304 Not Modified (no body, no Content-Type) to a request that "
        "carried no If-None-Match, as PyPI's 304 reaches pip when its cached page entry vanished "
        "in between (another pip sharing the cache); pip skips the page ('Content-Type: Unknown'; "
        "pip 22.0.4 prints an empty type: 'Content-Type: .The only supported...').",
        _index_304,
        "because the GET request got Content-Type",
        _demo,
        package="demo",
    ),
    Scenario(
        "file-truncated",
        "network-transient",
        "The wheel download stops at half the advertised Content-Length and the server closes the "
        "connection cleanly, on every attempt (resumed attempts included).",
        _file_truncated,
        "ncomplete",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
        versions=("26.3",),
    ),
    Scenario(
        "file-truncated-unnoticed",
        "download-corrupt",
        "The wheel download stops at half the advertised Content-Length and the server closes the "
        "connection cleanly. pip <= 24.0 (urllib3 1.26 does not enforce Content-Length) does not "
        "notice: it hashes the short file and reports a hash mismatch after 'Downloading'.",
        _file_truncated,
        "DO NOT MATCH THE HASHES",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
        versions=("22.0.4", "24.0"),
    ),
    Scenario(
        "file-truncated-then-cached",
        "cache-corrupt",
        "A first run got the wheel cut at half its Content-Length (clean close, one time only); "
        "this is the second run, with no fault left.",
        _file_truncated_then_cached,
        "Using cached",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
    ),
    Scenario(
        "file-500",
        "network-transient",
        "The wheel URL answers 500 on every request (more than pip's --retries 2).",
        _file_500,
        "too many 500 error responses",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
    ),
    Scenario(
        "file-reset",
        "network-transient",
        "The wheel download is reset (TCP RST) halfway through the body, on every attempt "
        "(resumed attempts of pip >= 25.1 included).",
        _file_reset,
        "onnection",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
    ),
    Scenario(
        "file-read-timeout",
        "network-transient",
        "The wheel URL stalls 30 s before answering; pip runs with --timeout 1 and --retries 2.",
        _file_stall,
        "Read timed out",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
    ),
    Scenario(
        "corrupt-download",
        "download-corrupt",
        "The wheel arrives complete but with different bytes (fresh, empty cache): hash "
        "mismatch after 'Downloading', Got differs from the #sha256 of the index link.",
        _corrupt_fresh,
        "DO NOT MATCH THE HASHES",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
    ),
    Scenario(
        "corrupt-download-then-cached",
        "cache-corrupt",
        "A first run downloaded a corrupt wheel (hash mismatch) and pip stored it in its HTTP "
        "cache; this is the second run, with no fault left: 'Using cached' and the same Got.",
        _corrupt_cached,
        "Using cached",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
    ),
    Scenario(
        "cached-body-empty",
        "cache-corrupt",
        "The cached body of the wheel (http-v2 <key>.body) was emptied after a good install; "
        "PyPI-like headers (Content-Length, max-age, ETag). Got is the sha256 of empty input.",
        _damaged_body("empty"),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
    ),
    Scenario(
        "cached-body-empty-no-content-length",
        "cache-corrupt",
        "The cached body of the wheel was emptied after a good install; the index sends max-age "
        "and ETag but no Content-Length (so pip >= 25.1 cannot notice the short body and resume).",
        _damaged_body("empty"),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
        index_options={"content_length": False},
    ),
    Scenario(
        "cached-body-truncated",
        "cache-corrupt",
        "The cached body of the wheel was cut to half its size after a good install; PyPI-like "
        "headers.",
        _damaged_body("half"),
        "Using cached",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
    ),
    Scenario(
        "wheels-cache-truncated",
        "cache-corrupt",
        "The wheel pip built from an sdist and stored under <cache>/wheels/ was cut to half its "
        "size; the next run says 'Using cached <file>' (no size) and the wheel is invalid.",
        _wheels_truncated,
        "is invalid",
        _sdist_ok,
        package="built-demo",
    ),
    Scenario(
        "conda-file-url",
        "local-path-missing",
        "A requirements file from a conda 'pip freeze' names a conda-build work dir: "
        f"'demo @ file://{CONDA_PATH}', which does not exist here.",
        _local_path,
        "80754af9",
        _demo,
        package="demo",
    ),
    Scenario(
        "no-such-project",
        "not-found",
        "The project does not exist on the index (its page answers 404).",
        _not_found,
        "from versions: none",
        _demo,
        package="no-such-project",
    ),
    Scenario(
        "no-such-version",
        "not-found",
        "The project exists (demo 1.0) but the requested version demo==9.9 does not.",
        _no_such_version,
        "from versions: 1.0",
        _demo,
        package="demo",
    ),
    Scenario(
        "conflicting-pins",
        "resolution-conflict",
        "'demo' requires dep==2.0 while the user asks for dep==1.0.",
        _conflict_run,
        "conflict",
        _conflict,
        package="dep",
    ),
    Scenario(
        "dist-info-without-metadata",
        "env-broken",
        "demo 1.0 was installed into a venv, then its demo-1.0.dist-info/METADATA was deleted; "
        "then 'pip install --upgrade demo'. (On Python 3.11 pip 22.0.4, 24.0 and 26.3 survive "
        "this: they skip or uninstall 'demo None'; the script reports it and writes nothing.)",
        _env_broken("METADATA"),
        "demo-1.0.dist-info",
        _demo_upgrade,
        package="demo",
    ),
    Scenario(
        "dist-info-without-record",
        "env-broken",
        "demo 1.0 was installed into a venv, then its demo-1.0.dist-info/RECORD was deleted; "
        "'pip install --upgrade demo' cannot uninstall the old version.",
        _env_broken("RECORD"),
        "RECORD",
        _demo_upgrade,
        package="demo",
    ),
    Scenario(
        "stale-hash-pin",
        "hash-pin-mismatch",
        "The requirements file pins demo==1.0 with a wrong --hash (zeros); the download is fine "
        "and Got equals the #sha256 of the index link.",
        _hash_pin,
        "DO NOT MATCH THE HASHES",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
    ),
    Scenario(
        "index-401",
        "auth",
        "The project page answers 401 (with WWW-Authenticate: Basic); pip runs with --no-input. "
        "Only --log shows '401 Client Error': the console variant says just 'from versions: "
        "none' and is filed under not-found.",
        _auth,
        "401 Client Error",
        _demo,
        console_kind="not-found",
        package="demo",
    ),
    Scenario(
        "file-401",
        "auth",
        "The project page is public but the wheel URL answers 401 (WWW-Authenticate: Basic); "
        "pip runs with --no-input.",
        _file_auth,
        "401",
        _demo,
        package="demo",
        url_file=DEMO_WHL,
    ),
    Scenario(
        "typo-operator",
        "invalid-requirement",
        "A requirements file line 'demo=1.0' (single '=').",
        _invalid_requirement,
        "Invalid requirement",
        _demo,
        package="demo",
    ),
    Scenario(
        "require-hashes-missing",
        "hashes-required",
        "--require-hashes with pinned requirements that carry no --hash.",
        _hashes_required,
        "Hashes are required",
        _demo,
    ),
    Scenario(
        "requires-python-index",
        "python-incompatible",
        "The only release has data-requires-python '>=3.99' on the index page.",
        _requires_python_index,
        "different",
        _future_python,
        package="future-only",
    ),
    Scenario(
        "requires-python-metadata",
        "python-incompatible",
        "The only release requires Python >=3.99 in its METADATA, but the index page does not "
        "say so: pip downloads it and then rejects it.",
        _requires_python_metadata,
        "requires a different Python",
        _future_python,
        package="future-only",
    ),
    Scenario(
        "system-python",
        "externally-managed",
        f"pip run from its wheel by the distribution's {SYSTEM_PYTHON} (Debian 12, which ships "
        "an EXTERNALLY-MANAGED marker), installing into the system site-packages (PEP 668).",
        _externally_managed,
        "externally-managed-environment",
        _demo,
        versions=("24.0", "26.3"),  # PEP 668 support starts with pip 23.0
    ),
    Scenario(
        "target-not-writable",
        "permission",
        f"pip run as user 'nobody' (runuser) by {SYSTEM_PYTHON}, from its wheel, with --target "
        "a directory owned by root (mode 755).",
        _permission_target,
        "Errno 13",
        _demo,
        package="dep",  # installed first, so the path in the error is dep's
    ),
    Scenario(
        "venv-not-writable",
        "permission",
        "pip run as user 'nobody' (runuser), from its wheel, by the python of a venv that root "
        "created (site-packages mode 755): the install into site-packages is refused.",
        _permission_venv,
        "Errno 13",
        _demo,
        # No package expectation: the error path names dep (installed first) while the console
        # only says "Collecting demo" before it; which one is "implicated" is the classifier's call.
    ),
    Scenario(
        "backend-fails-metadata",
        "build-failure",
        "An sdist whose in-tree PEP 517 backend raises in prepare_metadata_for_build_wheel.",
        _build,
        "cannot find the C compiler",
        _sdist_fail_metadata,
        package="broken-build",
    ),
    Scenario(
        "build-deps-missing",
        "not-found",
        "An sdist whose [build-system] requires 'build-helper>=1.0', which the index does not "
        "have: pip's nested build-dependency install fails with 'from versions: none' (the "
        "innermost cause decides). Only --log holds the nested output; the console variant is a "
        "plain build-failure.",
        _build_deps_missing,
        "build-helper",
        _sdist_build_deps,
        console_kind="build-failure",
        package="needs-helper",
    ),
    Scenario(
        "build-deps-index-503",
        "network-transient",
        "An sdist whose [build-system] requires 'build-helper>=1.0'; the index page of "
        "build-helper answers 503 every time, so the nested pip that installs build dependencies "
        "fails. The outer error is a build-dependency failure; the cause, nested in its output, is "
        "network-transient (docs/architecture.md §4: classify the nested output first). Only --log holds the nested "
        "output; the console (not a terminal) shows none of it, so that variant is a plain "
        "build-failure.",
        _build_deps_503,
        "build-helper",
        _sdist_build_deps,
        console_kind="build-failure",
        package="needs-helper",
    ),
    Scenario(
        "build-deps-file-reset",
        "network-transient",
        "An sdist whose [build-system] requires 'build-helper>=1.0'; the download of the "
        "build-helper wheel is reset halfway every time, inside the nested build-dependency pip. "
        "Only --log holds the nested output; the console variant is a plain build-failure.",
        _build_deps_reset,
        "build-helper",
        _sdist_build_deps,
        console_kind="build-failure",
        package="needs-helper",
    ),
    Scenario(
        "file-404",
        "network-transient",
        "The project page lists the wheel but its URL answers 404 every time: the index and its "
        "file server disagree (a stale mirror or CDN), which a later retry outlives.",
        _file_404,
        "HTTP error 404 while getting",
        _demo,
        package="demo",
    ),
    Scenario(
        "vcs-auth",
        "auth",
        "A git+http:// requirement whose remote answers 401: git has no credentials and no "
        "terminal to ask for them, so the clone fails before pip sees any code.",
        _vcs_auth,
        "could not read Username",
        _demo,
    ),
    Scenario(
        "pinned-missing-after-skip",
        "not-found",
        "demo==0.5 does not exist (the index has demo 1.0); pip also skipped future-only 1.0 for "
        "its Requires-Python and lists it in 'Ignored the following versions': that line names "
        "another project's version, not the pinned one, so this is a genuine not-found.",
        _pinned_missing_after_skip,
        "demo==0.5",
        _future_and_demo,
        package="demo",
    ),
    Scenario(
        "find-links-missing",
        "local-path-missing",
        "--no-index --find-links <dir> where the directory does not exist: pip warns that the "
        "location is ignored, then finds nothing.",
        _find_links_missing,
        "is ignored",
        _demo,
        package="demo",
    ),
    Scenario(
        "not-a-project",
        "local-path-missing",
        "pip install <dir> where the directory exists but holds no setup.py or pyproject.toml: "
        "the path given is not the project.",
        _not_a_project,
        "checkout",
        _demo,
    ),
    Scenario(
        "unsupported-wheel",
        "python-incompatible",
        "pip install of a wheel file whose tags are for another Python and platform "
        "(cp27-cp27m-win32): not installable on this interpreter.",
        _unsupported_wheel,
        "is not a supported wheel on this platform",
        _demo,
    ),
    Scenario(
        "vcs-no-name",
        "invalid-requirement",
        "pip install -e git+<url> without #egg=: pip cannot tell the requirement's name.",
        _vcs_no_name,
        "Could not detect requirement name",
        _demo,
    ),
    Scenario(
        "vcs-tool-missing",
        "build-failure",
        "An hg+ requirement on a machine without Mercurial: pip cannot fetch the source to build.",
        _vcs_tool_missing,
        "Cannot find command 'hg'",
        _demo,
    ),
    Scenario(
        "vcs-repo-missing",
        "not-found",
        "A git+http:// requirement whose repository does not exist (the server answers 404): "
        "git reports the repository not found.",
        _vcs_repo_missing,
        "not found",
        _demo,
    ),
    Scenario(
        "editable-not-a-path",
        "invalid-requirement",
        "pip install -e with a project name: -e takes a local path or a VCS URL.",
        _editable_name,
        "not a valid editable requirement",
        _demo,
    ),
    Scenario(
        "editable-missing-path",
        "local-path-missing",
        "pip install -e ./no-such-dir: the path does not exist (pip calls it not a valid "
        "editable requirement).",
        _editable_missing_path,
        "not a valid editable requirement",
        _demo,
    ),
    Scenario(
        "glob-no-match",
        "local-path-missing",
        "pip install dist/*.whl where the glob matched nothing: pip warns that the requirement "
        "looks like a file name but the file does not exist, then fails on the wheel name.",
        _glob_no_match,
        "looks like a filename",
        _demo,
    ),
    Scenario(
        "backend-fails-wheel",
        "build-failure",
        "An sdist whose in-tree PEP 517 backend raises in build_wheel.",
        _build,
        "linking failed",
        _sdist_fail_wheel,
        package="broken-build",
    ),
]


# -- driver -----------------------------------------------------------------------------------


def _normalise(text: str, port: int, work: Path) -> str:
    text = text.replace(f"127.0.0.1:{port}", f"127.0.0.1:{PORT}")
    text = text.replace(f"port={port})", f"port={PORT})")  # HTTPConnectionPool(host=..., port=N)
    return text.replace(str(work), SCRATCH)


def _toml_str(value: str) -> str:
    # A JSON string literal is a valid TOML basic string.
    return json.dumps(value, ensure_ascii=False)


def _sidecar(scenario: Scenario, version: str, fmt: str, kind: str) -> str:
    comment = f"{scenario.comment} pip {version}, {LOCAL}."
    if fmt == "console" and kind != scenario.kind:
        comment += f" The --log of the same run is filed under {scenario.kind}."
    lines = [
        f"comment = {_toml_str(comment)}",
        f"pip_version = {_toml_str(version)}",
        f"format = {_toml_str(fmt)}",
    ]
    if scenario.package:
        lines.append(f"package = {_toml_str(scenario.package)}")
    if scenario.url_file:
        lines.append(f"url = {_toml_str(f'http://127.0.0.1:{PORT}/files/{scenario.url_file}')}")
    return "\n".join(lines) + "\n"


def run_one(scenario: Scenario, version: str, *, dry_run: bool = False) -> str:
    """Run one scenario with one pip and write its corpus files.

    Returns:
        A one-line status: what was written, or why nothing was.
    """
    python = pips.pip_python(version)
    work = Path(tempfile.mkdtemp(prefix="safepip-corpus-"))
    try:
        dists = scenario.dists(work / "dists")
        with FaultIndex(dists, **scenario.index_options) as index:  # type: ignore[arg-type]
            ctx = Ctx(version, python, work, index, work / "cache", work / "pip.log")
            port = index.port
            result = scenario.run(ctx)
        log = ctx.log.read_text(encoding="utf-8") if ctx.log.is_file() else ""
        status = f"pip {version:7} {scenario.name:38}"
        if result.returncode == 0:
            return f"{status} SKIPPED: pip succeeded (healed itself)"
        if scenario.expect not in result.output + log:
            tail = result.output.strip().splitlines()[-3:]
            return f"{status} SKIPPED: {scenario.expect!r} not seen; rc={result.returncode}; {tail}"
        written = []
        for fmt, text in (("console", result.output), ("log", log)):
            if not text:
                continue
            kind = (
                scenario.console_kind
                if fmt == "console" and scenario.console_kind
                else scenario.kind
            )
            stem = f"real-pip{version}-{scenario.name}-{fmt}"
            folder = CORPUS / kind
            if not dry_run:
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{stem}.txt").write_text(_normalise(text, port, work), encoding="utf-8")
                (folder / f"{stem}.toml").write_text(
                    _sidecar(scenario, version, fmt, kind), encoding="utf-8"
                )
            written.append(f"{kind}/{stem}.txt ({len(text.splitlines())} lines)")
        return f"{status} rc={result.returncode} {result.duration:4.1f}s -> " + ", ".join(written)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: regenerate the corpus files; print one status line per case."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--pip", action="append", help="pip version(s) (default: all)")
    parser.add_argument("--only", action="append", help="scenario name(s) (default: all)")
    parser.add_argument("--dry-run", action="store_true", help="run, but write nothing")
    parser.add_argument("--list", action="store_true", help="list the scenarios and exit")
    args = parser.parse_args(argv)
    if args.list:
        for scenario in SCENARIOS:
            print(f"{scenario.name:38} {scenario.kind}")
        return 0
    missing = [v for v in (args.pip or VERSIONS) if v not in pips.available_pip_versions()]
    if missing:
        print(f"missing from .ci/wheelhouse: {missing}; run .ci/prepare-pips", file=sys.stderr)
        return 2
    for scenario in SCENARIOS:
        if args.only and scenario.name not in args.only:
            continue
        for version in scenario.versions:
            if args.pip and version not in args.pip:
                continue
            print(run_one(scenario, version, dry_run=args.dry_run), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
