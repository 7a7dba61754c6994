"""Reliability of `safepip install` on real pip (issue 6): concurrency, signals, budget, argv.

- Eight safepip processes started at once on one cold shared cache all succeed, and the cache
  they leave behind holds no empty, truncated or half-written entry.
- Ctrl-C (SIGINT) and SIGTERM during a download from a stalled server end safepip quickly with
  130 / 143, without a retry and without leaving the pip child running.
- A pip hanging on a stalled server is ended when ``--time-budget`` runs out (status 124).
- Requirement arguments full of shell metacharacters reach pip verbatim and never a shell.

Every pip is isolated (``PIP_CONFIG_FILE=os.devnull``, no ``PIP_*``/``SAFEPIP_*``), with its own
``--target``, ``--trusted-host 127.0.0.1`` and ``--disable-pip-version-check``, and talks only to
the fault index on 127.0.0.1. Time bounds here are generous "did not hang" limits, not goals.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import time
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import pips
from support.runs import run_cli, safepip_argv
from support.wheels import build_sdist, build_wheel

from safepip.runner import GRACE_SECONDS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from support.indexserver import FaultIndex

pytestmark = pytest.mark.integration

DEMO_WHEEL = "demo-1.0-py3-none-any.whl"
CONCURRENCY = 8
#: safepip's own bounds for every run here: quick backoff and waits.
SAFEPIP_BOUNDS = ("--backoff", "0.2", "--max-wait", "1")


def _safepip_argv(
    python: Path, report: Path, pip_args: Sequence[str], *, opts: Sequence[str] = ()
) -> list[str]:
    return safepip_argv(python, report, [*opts, *pip_args], bounds=SAFEPIP_BOUNDS)


def _pip_args(index: FaultIndex, cache: Path, target: Path, *, timeout: int = 3) -> list[str]:
    args = pips.common_args(index.url, cache, timeout=timeout, no_input=False)
    return [*args, "--target", str(target)]


def _children(pid: int) -> list[int]:
    """The pids whose parent is ``pid`` (from /proc)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def _alive(pid: int) -> bool:
    """The process exists and is not a zombie."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _processes_mentioning(marker: str) -> list[int]:
    """Live pids whose command line contains ``marker`` (a test-unique path)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            argv = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        pid = int(cmdline.parent.name)
        if marker in argv and pid != os.getpid() and _alive(pid):
            found.append(pid)
    return found


def _wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def _cache_problems(cache: Path, served: dict[str, bytes], base_url: str) -> list[str]:
    """Corrupt entries in a pip cache: our own check, independent of safepip's verifier.

    An http-v2 entry must have both halves and a non-empty body; a cached copy of a served file
    must equal its bytes exactly; a wheel in ``wheels/`` must be a valid zip.
    """
    import hashlib

    problems = []
    v2 = cache / "http-v2"
    for path in v2.rglob("*"):
        if not path.is_file() or len(path.name.removesuffix(".body")) != 56:
            continue
        if path.name.endswith(".body"):
            if path.stat().st_size == 0:
                problems.append(f"empty body {path}")
            if not path.with_name(path.name.removesuffix(".body")).is_file():
                problems.append(f"body without metadata {path}")
        elif not path.with_name(path.name + ".body").is_file():
            problems.append(f"metadata without body {path}")
    for name, data in served.items():
        key = hashlib.sha224(f"{base_url}/files/{name}".encode()).hexdigest()
        body = v2.joinpath(*key[:5], key + ".body")
        if body.is_file() and body.read_bytes() != data:
            problems.append(f"cached {name} differs from the served bytes ({body})")
    for wheel in (cache / "wheels").rglob("*.whl"):
        try:
            with zipfile.ZipFile(io.BytesIO(wheel.read_bytes())) as archive:
                if archive.testzip() is not None:
                    problems.append(f"bad member in {wheel}")
        except zipfile.BadZipFile:
            problems.append(f"invalid wheel {wheel}")
    return problems


def test_concurrent_installs_share_one_cold_cache(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    tmp_path: Path,
) -> None:
    """Eight safepip runs started at once on one cold cache all install, and leave it sound.

    Each installs two wheels from the index and builds an sdist (so ``http-v2/`` and
    ``wheels/`` are written concurrently). Afterwards neither our own check nor
    ``safepip cache verify --json`` finds an empty, truncated or half-written entry.
    """
    sdist = build_sdist(tmp_path / "dists", "built-demo", "3.0", size_kb=64)
    files = [*demo_dists, sdist]
    index = fault_index(files)
    cache = tmp_path / "shared-cache"
    env = pips.isolated_env({"PIP_CACHE_DIR": str(tmp_path / "env-pip-cache")})
    procs = []
    for number in range(CONCURRENCY):
        target = tmp_path / f"target-{number}"
        report = tmp_path / f"report-{number}.json"
        argv = _safepip_argv(
            pip_python,
            report,
            [*_pip_args(index, cache, target), "demo", "built-demo"],
            opts=("--time-budget", "150"),
        )
        out = (tmp_path / f"out-{number}.txt").open("w")
        procs.append(
            (
                subprocess.Popen(
                    argv, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
                ),
                out,
                target,
                report,
            )
        )
    for proc, out, target, report in procs:
        try:
            proc.wait(timeout=180)
        finally:
            out.close()
        output = Path(out.name).read_text(encoding="utf-8", errors="replace")
        assert proc.returncode == 0, output
        assert json.loads(report.read_text("utf-8"))["outcome"] in {"success", "recovered"}
        for module in ("demo", "dep", "built_demo"):
            assert (target / module / "__init__.py").is_file(), output

    served = {path.name: path.read_bytes() for path in files}
    assert _cache_problems(cache, served, index.base_url) == []
    verify = run_cli(["cache", "verify", "--cache-dir", str(cache), "--json"], env=env, timeout=60)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    document = json.loads(verify.stdout)
    assert document["problems"] == []
    assert document["checked"] > 0


def _start_stalled(
    pip_python: Path, index: FaultIndex, tmp_path: Path, opts: Sequence[str], *, group: bool
) -> tuple[subprocess.Popen[str], Path, Path]:
    """Start safepip on a download that stalls after 4 kB; return once pip is stuck in it."""
    index.stall(f"/files/{DEMO_WHEEL}", 120, after_bytes=4096, times=10)
    target = tmp_path / "target-stalled"
    report = tmp_path / "report.json"
    argv = _safepip_argv(
        pip_python,
        report,
        [*_pip_args(index, tmp_path / "cache", target, timeout=60), "demo"],
        opts=opts,
    )
    proc = subprocess.Popen(
        argv,
        env=pips.isolated_env({"PIP_CACHE_DIR": str(tmp_path / "env-pip-cache")}),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        text=True,
        start_new_session=group,
    )
    _wait_for(lambda: index.hits(f"/files/{DEMO_WHEEL}") >= 1, 60, "pip to start the download")
    return proc, target, report


@pytest.mark.parametrize(
    ("signum", "status", "group"),
    [
        pytest.param(signal.SIGINT, 130, False, id="sigint-to-safepip"),
        pytest.param(signal.SIGINT, 130, True, id="ctrl-c-to-process-group"),
        pytest.param(signal.SIGTERM, 143, False, id="sigterm-to-safepip"),
    ],
)
def test_signal_during_stalled_download(  # noqa: PLR0917 - pytest parameters
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    tmp_path: Path,
    signum: int,
    status: int,
    group: bool,
) -> None:
    """A signal while pip hangs mid-download ends safepip with 130/143 within seconds.

    The signal goes to safepip alone (it must forward it to pip) or, like a terminal's Ctrl-C,
    to the whole process group. Afterwards the pip child is gone, no process still mentions
    the run's target directory, and safepip did not start a second attempt.
    """
    index = fault_index(demo_dists)
    proc, target, _ = _start_stalled(
        pip_python, index, tmp_path, ("--time-budget", "120"), group=group
    )
    children = _children(proc.pid)
    assert children, "safepip should be running pip now"
    started = time.monotonic()
    if group:
        os.killpg(proc.pid, signum)
    else:
        proc.send_signal(signum)
    try:
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    elapsed = time.monotonic() - started
    assert proc.returncode == status, output
    assert elapsed < 15, f"safepip took {elapsed:.1f}s to stop"
    assert "Traceback" not in output.split("Looking in indexes", 1)[0]
    for child in children:
        assert not _alive(child), f"pip child {child} outlived safepip"
    assert _processes_mentioning(str(target)) == []
    assert index.hits(f"/files/{DEMO_WHEEL}") == 1, "an interrupted install must not retry"


def test_time_budget_ends_a_hanging_pip(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    tmp_path: Path,
) -> None:
    """A pip stuck on a stalled download is ended when ``--time-budget`` runs out.

    Exit status 124 (as timeout(1)), ended long before the stall (120 s) or pip's own timeout
    (60 s) would end it, one attempt, a "gave-up" JSON report, a final message, and no pip
    process left.
    """
    budget = 10.0  # pip must reach the stalled download first: about 1-2 s, more under load
    index = fault_index(demo_dists)
    proc, target, report = _start_stalled(
        pip_python, index, tmp_path, ("--time-budget", str(budget)), group=False
    )
    stalled = time.monotonic()
    children = _children(proc.pid)
    try:
        output, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    elapsed = time.monotonic() - stalled
    assert proc.returncode == 124, output
    # From the stall on: the rest of the budget, pip's unwinding on SIGINT (at most the grace,
    # then the kill) and safepip's report and exit, with room for a loaded machine.
    assert elapsed < budget + GRACE_SECONDS + 15, f"{elapsed:.1f}s for a {budget:g}s budget"
    document = json.loads(report.read_text("utf-8"))
    assert document["outcome"] == "gave-up"
    assert document["returncode"] == 124
    assert len(document["attempts"]) == 1
    for child in children:
        assert not _alive(child)
    assert _processes_mentioning(str(target)) == []
    assert "safepip:" in output
    assert "time budget 10 s ran out" in output
    assert document["timed_out"] is True


def test_shell_metacharacters_never_reach_a_shell(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    tmp_path: Path,
) -> None:
    """Requirement strings with ``;``, ``&&``, ``|``, ``$()`` and backticks run no command.

    They reach pip verbatim as single argv entries and none of the ``touch`` commands inside
    them ever runs. (pip 26.3 rejects them as invalid requirements; pip 24.0 crashes with
    ``InvalidMarker`` on the ``;`` one, which safepip does not recognise and retries once.)
    """
    index = fault_index([build_wheel(tmp_path / "dists", "demo", "1.0", size_kb=4)])
    markers = [tmp_path / f"pwned-{n}" for n in range(5)]
    hostile = [
        f"demo; touch {markers[0]}",
        f"demo && touch {markers[1]}",
        f"demo | touch {markers[2]}",
        f"demo$(touch {markers[3]})",
        f"demo`touch {markers[4]}`",
    ]
    report = tmp_path / "report.json"
    argv = _safepip_argv(
        pip_python,
        report,
        [*_pip_args(index, tmp_path / "cache", tmp_path / "target"), *hostile],
        opts=("--time-budget", "60"),
    )
    done = subprocess.run(
        argv,
        env=pips.isolated_env({"PIP_CACHE_DIR": str(tmp_path / "env-pip-cache")}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=tmp_path,
    )
    output = done.stdout + done.stderr
    assert done.returncode != 0, output
    for marker in markers:
        assert not marker.exists(), f"{marker} was created: a shell ran"
    document: dict[str, Any] = json.loads(report.read_text("utf-8"))
    assert 1 <= len(document["attempts"]) <= 2  # pip 24.0 crashes on the marker: one retry
    for attempt in document["attempts"]:
        for requirement in hostile:
            assert requirement in attempt["args"]
