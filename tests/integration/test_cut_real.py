"""A download cut short at the same point twice, and whole bad bytes twice, on real pip (#16).

pip <= 24 does not compare what it received with Content-Length: a connection closed cleanly
half-way through a wheel arrives as a hash mismatch, and the same cut point gives the same
``Got`` each time. For a wheel under 40 kB pip draws no progress bar, so the console shows
nothing of the cut, and CacheControl keeps no copy of a body shorter than its Content-Length.
Nothing shows that those bytes were whole, so safepip retries them as a network failure. Whole
bad bytes (the ``corrupt`` fault: the right length, other bytes) are cached by pip before its
check; that copy shows they arrived whole, and the same bytes from a fresh download stop the
run. pip 26.3 resumes the cut download by itself, and checks the length of what it keeps. A
server that sends no Content-Length makes a cut look whole to every pip: pip caches the short
body, and that copy (a zip without its end record) shows the cut.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from support import pips
from support.runs import Run, run_safepip, safepip_argv
from support.terminal import run_on_terminal
from support.wheels import build_wheel

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from support.indexserver import FaultIndex

pytestmark = pytest.mark.integration

TINY = "tiny-1.0-py3-none-any.whl"
RUN_TIMEOUT = 120
#: safepip's own bounds: a quick backoff, a budget that ends any hang.
BOUNDS = ("--backoff", "0.2", "--max-wait", "1", "--time-budget", "60")


def _args(index: FaultIndex, cache: Path, target: Path) -> list[str]:
    common = pips.common_args(index.url, cache, no_input=False)
    return [*common, "--target", str(target), "tiny"]


def _safepip(python: Path, args: list[str], tmp: Path) -> Run:
    report = tmp / "report.json"
    env = pips.isolated_env({"PIP_CACHE_DIR": str(tmp / "env-pip-cache")})
    argv = safepip_argv(python, report, args, bounds=BOUNDS)
    return run_safepip(argv, report=report, env=env, cwd=tmp, timeout=RUN_TIMEOUT)


def _got(output: str) -> str:
    return next(line.split()[-1] for line in output.splitlines() if line.strip().startswith("Got"))


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """A wheel of about 8 kB: pip draws no progress bar for it."""
    return build_wheel(tmp_path / "dists", "tiny", "1.0", size_kb=8)


def test_the_same_cut_twice_is_retried_until_it_succeeds(
    pip_python: Path,
    pip_version: str,
    fault_index: Callable[..., FaultIndex],
    tiny: Path,
    tmp_path: Path,
) -> None:
    """pip 24.0: the same cut twice is the same Got twice; safepip's third attempt installs."""
    index = fault_index([tiny])
    if pip_version == "24.0":
        # Plain pip: the same cut gives the same Got twice, and the console shows no cut.
        index.truncate(f"/files/{TINY}", times=2)
        plain = [
            pips.run_pip(
                pip_python, ["install", *_args(index, tmp_path / f"c{i}", tmp_path / f"p{i}")]
            )
            for i in (1, 2)
        ]
        assert all(run.returncode == 1 and pips.HASH_BLOCK in run.output for run in plain)
        assert _got(plain[0].output) == _got(plain[1].output)
        assert "kB/s" not in plain[0].output  # no progress bar: the console shows no cut
    index.clear_faults()
    index.truncate(f"/files/{TINY}", times=2)
    args = _args(index, tmp_path / "cache", tmp_path / "target")
    run = _safepip(pip_python, args, tmp_path)
    assert run.returncode == 0, run.output
    assert run.report is not None, run.output
    assert (tmp_path / "target" / "tiny" / "__init__.py").is_file()
    assert "serves a damaged copy" not in run.output
    attempts = run.attempts
    if pip_version == "24.0":
        assert run.report["outcome"] == "recovered", run.output
        assert run.kinds == ["download-corrupt"] * 2
        assert attempts[0]["diagnosis"]["got_hash"] == attempts[1]["diagnosis"]["got_hash"]
        assert len(attempts) == 3, run.output  # the third attempt succeeds
        assert attempts[1]["wait"] > 0  # the backoff of a network failure
    else:  # pip 26.3 resumes the cut download itself: one clean attempt
        assert run.report["outcome"] == "success", run.output
        assert "Attempting to resume incomplete download" in run.output
        assert len(attempts) == 1


def test_a_cut_cached_without_content_length_is_purged_and_retried(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    tiny: Path,
    tmp_path: Path,
) -> None:
    """A server that sends no Content-Length ends the body by closing the connection.

    A cut then looks like a whole response to every pip (26.3 too): pip caches the short body
    and fails its hash. safepip reads that copy (these very bytes, a zip without its end
    record): a cut, so it purges the copy and retries with the backoff, and the cache it leaves
    serves plain pip.
    """
    index = fault_index([tiny], content_length=False)
    index.truncate(f"/files/{TINY}", times=2)
    cache = tmp_path / "cache"
    run = _safepip(pip_python, _args(index, cache, tmp_path / "target"), tmp_path)
    assert run.returncode == 0, run.output
    assert run.report is not None
    assert run.report["outcome"] == "recovered", run.output
    assert len(run.attempts) == 3, run.output
    for attempt in run.attempts[:2]:
        diagnosis = attempt["diagnosis"]
        assert diagnosis["cause"] == "cut-short", diagnosis
        assert "no length) is a zip cut short" in diagnosis["evidence"][-1], diagnosis
        assert attempt["deleted"], "the cut copy pip cached is purged"
        assert "--no-cache-dir" not in attempt["args"]
    assert run.attempts[1]["wait"] > 0
    plain = pips.run_pip(
        pip_python, ["install", *_args(index, cache, tmp_path / "plain")], timeout=RUN_TIMEOUT
    )
    assert plain.returncode == 0, plain.output


def test_whole_bad_bytes_twice_stop_naming_the_host(
    pip_python: Path,
    pip_version: str,
    fault_index: Callable[..., FaultIndex],
    tiny: Path,
    tmp_path: Path,
) -> None:
    """The right length, other bytes, every time: one fresh download, then a stop.

    pip 24.0: its cached copy of the bad bytes holds all of its Content-Length (safepip reads
    it, then purges it). pip 26.3 checks the length itself. Either way the same bytes from a
    fresh download stop the run, and the next step names the host.
    """
    index = fault_index([tiny])
    index.corrupt(f"/files/{TINY}", times=100)
    args = _args(index, tmp_path / "cache", tmp_path / "target")
    run = _safepip(pip_python, args, tmp_path)
    assert run.returncode == 1, run.output
    assert run.report is not None, run.output
    assert run.report["outcome"] == "failed", run.output
    attempts = run.attempts
    assert len(attempts) == 2, run.output
    assert "--no-cache-dir" in attempts[1]["args"]
    if pip_version == "24.0":
        first = attempts[0]["diagnosis"]
        assert first["cause"] == "complete-download", first
        assert any("of its Content-Length" in line for line in first["evidence"]), first
        assert attempts[0]["deleted"], "the whole bad copy pip cached is purged"
    host = index.url.split("/")[2]
    assert f"{host} serves a damaged copy of {TINY}" in run.report["diagnosis"]["hint"]


def test_on_a_terminal_the_progress_bar_shows_the_cut(
    pip_python: Path,
    pip_version: str,
    fault_index: Callable[..., FaultIndex],
    tmp_path: Path,
) -> None:
    """A 150 kB wheel cut in half twice, safepip on a terminal: pip's own bar shows the cut.

    pip 24.0 redraws its progress bar on the terminal and stops at half the size; safepip reads
    that from its copy of the console (cause cut-short on both attempts) and installs on the
    third. pip 26.3 resumes the download itself.
    """
    index = fault_index([build_wheel(tmp_path / "dists", "tiny", "1.0", size_kb=150)])
    index.truncate(f"/files/{TINY}", times=2)
    report = tmp_path / "report.json"
    args = _args(index, tmp_path / "cache", tmp_path / "target")
    env = pips.isolated_env(
        {"PIP_CACHE_DIR": str(tmp_path / "env-pip-cache"), "COLUMNS": "100", "TERM": "xterm"}
    )
    for name in ("CI", "GITHUB_ACTIONS", "GITLAB_CI"):  # CI=true hides pip's progress bars
        env.pop(name, None)
    argv = safepip_argv(pip_python, report, args, bounds=BOUNDS)
    returncode, screen = run_on_terminal(argv, env, timeout=RUN_TIMEOUT)
    run = Run(returncode, screen, 0.0, json.loads(report.read_text("utf-8")))
    assert run.returncode == 0, screen
    assert (tmp_path / "target" / "tiny" / "__init__.py").is_file()
    if pip_version == "24.0":
        assert "\r" in screen  # the bar was redrawn in place, as on any terminal
        causes = [a["diagnosis"]["cause"] for a in run.attempts if a["diagnosis"]]
        assert causes == ["cut-short", "cut-short"], screen
        assert len(run.attempts) == 3
        assert all("--no-cache-dir" not in a["args"] for a in run.attempts)
    else:
        assert len(run.attempts) == 1, screen
