"""Cache attacks of issue 12 against real pip (24.0 and 26.3) and the fault index.

A cached corrupt download makes every plain pip run fail; safepip's remedy is to delete exactly
that entry. Here the cache is one safepip must not delete in, or cannot delete in now: another
process holds its lock, or it is the user's home directory. Each time the run must still recover
(with a private cache, said in one line) and the shared directory must be left as it was.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import cachetree as ct
from support import pips
from support.runs import poison_cache, run_safepip, safepip_argv

from safepip.cache.layout import http_entry_paths

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from support.indexserver import FaultIndex

pytestmark = pytest.mark.integration

DEMO_WHEEL = "demo-1.0-py3-none-any.whl"
RUN_TIMEOUT = 120
#: safepip's own bounds for every run here: quick backoff, a budget that ends any hang.
SAFEPIP_BOUNDS = ("--backoff", "0.2", "--max-wait", "1", "--time-budget", "90")


def _args(index: FaultIndex, cache: Path, target: Path) -> list[str]:
    return [
        *pips.common_args(index.url, cache, timeout=3, no_input=False),
        "--target",
        str(target),
        "demo",
    ]


def _poison(pip_python: Path, index: FaultIndex, cache: Path, tmp: Path) -> set[Path]:
    """Cache a corrupt download of demo; return its entry files (plain pip now always fails)."""
    poison_cache(pip_python, index, cache, tmp, wheel=DEMO_WHEEL)
    entry = {p for p in http_entry_paths(cache, index.file_url(DEMO_WHEEL)) if p.exists()}
    assert entry, "pip cached nothing: the scenario needs a cached corrupt download"
    return entry


def _safepip(
    pip_python: Path, args: list[str], tmp: Path, env: dict[str, str]
) -> tuple[int, str, dict[str, object]]:
    report = tmp / "report.json"
    argv = safepip_argv(pip_python, report, args, bounds=SAFEPIP_BOUNDS)
    run = run_safepip(argv, report=report, env=env, cwd=tmp, timeout=RUN_TIMEOUT)
    assert run.report is not None, run.output
    return run.returncode, run.output, run.report


def _first_remedy(doc: dict[str, object]) -> dict[str, object]:
    attempts = doc["attempts"]
    assert isinstance(attempts, list)
    remedies = attempts[0]["remedies"]
    assert len(remedies) == 1, remedies
    remedy: dict[str, object] = remedies[0]
    return remedy


@pytest.fixture
def held(tmp_path: Path) -> Iterator[Path]:
    """A cache directory whose ``.safepip.lock`` another process holds (read-only descriptor)."""
    cache = tmp_path / "cache"
    cache.mkdir()
    with ct.lock_held(cache):
        yield cache


def test_a_held_lock_means_a_private_cache_not_a_stall(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    held: Path,
    tmp_path: Path,
) -> None:
    """Lock held past the short wait: the retry uses a private cache and recovers (one line)."""
    index = fault_index(demo_dists)
    entry = _poison(pip_python, index, held, tmp_path)
    status, output, doc = _safepip(
        pip_python, _args(index, held, tmp_path / "t3"), tmp_path, pips.isolated_env()
    )
    assert status == 0, output
    assert doc["outcome"] == "recovered", output
    remedy = _first_remedy(doc)
    assert remedy["action"] == "private-cache"
    assert "locked by another process" in str(remedy["reason"])
    # The user is told that the poisoned entry stays, and where: plain pip still fails on it.
    assert "the corrupt entry stays in the cache" in str(remedy["reason"])
    assert any(str(path) in str(remedy["reason"]) for path in entry)
    assert sum("locked by another process" in line for line in output.splitlines()) == 1
    assert all(p.exists() for p in entry)  # nothing deleted under someone else's lock


def test_a_home_directory_as_the_cache_is_never_deleted_in(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    tmp_path: Path,
) -> None:
    """PIP_CACHE_DIR=$HOME holding wheels/ and http/ of its own: recovered, nothing deleted."""
    home = tmp_path / "home"
    mine = [
        home / "wheels" / "ab" / "cd" / "ef" / "myproject" / "notes.txt",
        home / "wheels" / "aa" / "bb" / "cc" / ("d" * 50) / "mine-1.0-py3-none-any.whl",
        home / "http" / "index.html",
    ]
    for path in mine:
        path.parent.mkdir(parents=True)
        path.write_bytes(b"mine")
    index = fault_index(demo_dists)
    entry = _poison(pip_python, index, home, tmp_path)
    env = pips.isolated_env({"HOME": str(home), "PIP_CACHE_DIR": str(home)})
    status, output, doc = _safepip(pip_python, _args(index, home, tmp_path / "t3"), tmp_path, env)
    assert status == 0, output
    remedy = _first_remedy(doc)
    assert remedy["action"] == "private-cache"
    assert "home directory" in str(remedy["reason"])
    assert "the corrupt entry stays in the cache" in str(remedy["reason"])
    assert all(p.read_bytes() == b"mine" for p in mine)
    assert all(p.exists() for p in entry)
    assert not (home / ".safepip.lock").exists()
