"""safepip.pyz, built in this test session, run by Pythons that have none of its dependencies.

Each test runs ``VENV/bin/python safepip.pyz ...`` in a *bare* venv (pip 24.0 and nothing else)
made from the test interpreter and from Python 3.9 (skipped when no 3.9 is found). safepip is
not given ``--python``: the archive must drive the pip of the interpreter that runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import pips, pyz
from support.runs import poison_cache
from support.wheels import build_wheel

import safepip
from safepip.cache.layout import http_entry_paths

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from support.indexserver import FaultIndex

pytestmark = pytest.mark.integration

DEMO_WHEEL = "demo-1.0-py3-none-any.whl"
CORPUS = pips.REPO_ROOT / "tests" / "data" / "pip-logs"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """safepip.pyz built from this checkout, once for the module."""
    return pyz.build(tmp_path_factory.mktemp("pyz") / "safepip.pyz")


def _base_python(which: str) -> str:
    if which == "ci":
        return sys.executable
    found = pyz.find_python39()
    if found is None:
        pytest.skip("no working Python 3.9 (python3.9 or /root/.pyenv/versions/3.9*)")
    return found


@pytest.fixture(scope="module", params=["ci", "py39"])
def bare_python(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv of the CI Python or of 3.9 holding pip 24.0 only (shared by the module's tests)."""
    if pyz.BARE_PIP not in pips.available_pip_versions():
        pytest.skip(f"pip {pyz.BARE_PIP} is not in .ci/wheelhouse: run .ci/prepare-pips")
    base = _base_python(str(request.param))
    return pyz.bare_venv(base, tmp_path_factory.mktemp(f"bare-{request.param}") / "venv")


def _run(
    argv: Sequence[str | Path], *, env: Mapping[str, str], cwd: Path
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(a) for a in argv],
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


def _index_args(index: FaultIndex, cache: Path) -> list[str]:
    return pips.common_args(index.url, cache, timeout=3, no_input=False)


def test_version_with_nothing_installed(archive: Path, bare_python: Path, tmp_path: Path) -> None:
    env = pips.private_env(tmp_path)
    missing = _run([bare_python, "-c", "import packaging"], env=env, cwd=tmp_path)
    assert missing.returncode != 0, "the bare venv must not have safepip's dependencies"
    proc = _run([bare_python, archive, "--version"], env=env, cwd=tmp_path)
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        0,
        f"safepip {safepip.__version__}\n",
        "",
    )


def test_install_recovers_a_poisoned_cache(
    archive: Path,
    bare_python: Path,
    tmp_path: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
) -> None:
    """A corrupt download cached by plain pip: the archive purges exactly that entry and installs."""
    index = fault_index(demo_dists)
    cache = tmp_path / "cache"
    env = pips.private_env(tmp_path)
    poison_cache(bare_python, index, cache, tmp_path, wheel=DEMO_WHEEL, env=env)
    meta, body, _old = http_entry_paths(cache, index.file_url(DEMO_WHEEL))
    entry = {os.path.realpath(meta), os.path.realpath(body)}

    report, target = tmp_path / "report.json", tmp_path / "target"
    proc = _run(
        [bare_python, archive, "install", "--backoff", "0.2", "--time-budget", "90",
         "--report-json", report, *_index_args(index, cache), "--target", target, "demo"],
        env=env,
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    document: dict[str, Any] = json.loads(report.read_text("utf-8"))
    assert document["outcome"] == "recovered"
    attempts = document["attempts"]
    assert [a["diagnosis"]["kind"] for a in attempts if a["diagnosis"]] == ["cache-corrupt"]
    assert set(attempts[0]["deleted"]) == entry
    # The pip it drove is the one of the interpreter running the archive.
    assert attempts[0]["args"][:3] == [str(bare_python), "-m", "pip"]
    assert (target / "demo" / "__init__.py").is_file()
    assert (target / "dep" / "__init__.py").is_file()


def _snapshot(root: Path) -> dict[str, tuple[int, int]]:
    return {
        p.relative_to(root).as_posix(): (p.stat().st_size, p.stat().st_mtime_ns)
        for p in root.rglob("*")
        if p.is_file() or p.is_symlink()
    }


def test_the_environment_gains_the_package_and_nothing_else(
    archive: Path,
    tmp_path: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
) -> None:
    """Installing ``dep`` into a venv with the archive: the venv gains dep's files only.

    Every new file is in dep's RECORD, no existing file changed, and HOME and TMPDIR are
    left empty. Bytecode writing stays on (no PYTHONDONTWRITEBYTECODE): the archive itself
    must not write any.
    """
    if pyz.BARE_PIP not in pips.available_pip_versions():
        pytest.skip(f"pip {pyz.BARE_PIP} is not in .ci/wheelhouse: run .ci/prepare-pips")
    python = pyz.bare_venv(sys.executable, tmp_path / "venv")
    venv = tmp_path / "venv"
    index = fault_index(demo_dists)
    env = pips.private_env(tmp_path)
    env.pop("PYTHONDONTWRITEBYTECODE")
    before = _snapshot(venv)
    proc = _run(
        [python, archive, "install", *_index_args(index, tmp_path / "cache"), "dep"],
        env=env,
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    after = _snapshot(venv)
    assert {path: after[path] for path in before} == before, "an existing file changed"
    gained = set(after) - set(before)
    [record] = [p for p in gained if p.endswith(".dist-info/RECORD")]
    assert record.split("/")[-2] == "dep-2.0.dist-info"
    site = record.rsplit("/", 2)[0]
    listed = {
        f"{site}/{line.split(',')[0]}"
        for line in (venv / record).read_text("utf-8").splitlines()
        if line
    }
    assert gained == listed
    assert {p.split("/")[len(site.split("/"))] for p in gained} == {"dep", "dep-2.0.dist-info"}
    assert list((tmp_path / "tmp").iterdir()) == []
    # HOME: whatever plain pip leaves there by itself (pip 24.0's user agent runs
    # `rustc --version`, and a rustup shim creates ~/.rustup), and nothing more.
    plain_home = tmp_path / "plain" / "home"
    plain_env = pips.private_env(tmp_path / "plain")
    plain = _run(
        [python, "-m", "pip", "install", "--no-input", *_index_args(index, tmp_path / "cache2"),
         "--target", tmp_path / "plain-target", "dep"],
        env=plain_env,
        cwd=tmp_path,
    )  # fmt: skip
    assert plain.returncode == 0, plain.stdout + plain.stderr
    pip_leaves = {p.name for p in plain_home.iterdir()}
    assert {p.name for p in (tmp_path / "home").iterdir()} <= pip_leaves


def test_diagnose_corpus_logs(archive: Path, bare_python: Path, tmp_path: Path) -> None:
    """One saved log of every kind in tests/data/pip-logs, classified by the archive."""
    logs = {
        folder.name: min(folder.glob("*.txt"))
        for folder in sorted(CORPUS.iterdir())
        if folder.is_dir() and list(folder.glob("*.txt"))
    }
    assert len(logs) >= 20
    proc = _run(
        [bare_python, archive, "diagnose", "--json", *logs.values()],
        env=pips.private_env(tmp_path),
        cwd=tmp_path,
    )
    assert proc.returncode in {0, 1}, proc.stderr
    document = json.loads(proc.stdout)
    got = {Path(result["source"]).parent.name: result["kind"] for result in document["results"]}
    # The in-process classifier is the reference: the archive must agree with it on every log.
    from safepip.classifier import classify

    expected = {
        kind: classify(log.read_text("utf-8", errors="replace"), returncode=1).kind.value
        for kind, log in logs.items()
    }
    assert got == expected
    assert got["cache-corrupt"] == "cache-corrupt"


def test_a_conflict_is_explained_and_a_verified_fix_proposed(
    archive: Path, bare_python: Path, tmp_path: Path, fault_index: Callable[..., FaultIndex]
) -> None:
    """The conflict search (resolvelib, vendored in the archive) runs from the zip.

    a 1.0 needs c==1.0 and the user pins c==2.0: safepip stops (resolution-conflict) and
    proposes c<2.0, confirmed by pip --dry-run.
    """
    dists = tmp_path / "dists"
    wheels = [
        build_wheel(dists, "a", "1.0", requires=("c==1.0",)),
        build_wheel(dists, "c", "1.0"),
        build_wheel(dists, "c", "2.0"),
    ]
    index = fault_index(wheels)
    report = tmp_path / "report.json"
    proc = _run(
        [bare_python, archive, "install", "--report-json", report,
         *_index_args(index, tmp_path / "cache"), "--target", tmp_path / "target",
         "a==1.0", "c==2.0"],
        env=pips.private_env(tmp_path),
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stdout + proc.stderr
    document = json.loads(report.read_text("utf-8"))
    assert document["outcome"] == "failed"
    assert document["diagnosis"]["kind"] == "resolution-conflict"
    proposal = document["conflict"]["proposal"]
    assert proposal["change"] == "c<2.0 (instead of c==2.0)"
    assert proposal["verified"] is True
    assert "Traceback" not in proc.stderr


def test_the_start_up_benchmark_runs(tmp_path: Path) -> None:
    """benchmarks/bench_pyz.py --runs 1 builds the archive and prints its size and its table.

    The figures themselves are the benchmark's business (no timing is asserted here).
    """
    proc = _run(
        [sys.executable, pips.REPO_ROOT / "benchmarks" / "bench_pyz.py", "--runs", "1"],
        env=pips.private_env(tmp_path),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("safepip.pyz: ")
    assert "python safepip.pyz --version" in proc.stdout
    assert "start-up target (--version <= 120 ms, median): " in proc.stdout


def test_nothing_is_imported_from_the_environments_site_packages(
    archive: Path,
    tmp_path: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
) -> None:
    """Modules planted in the venv's site-packages are never imported by the archive.

    A ``packaging`` that refuses to import and a ``tornado`` that leaves a mark when imported
    (tenacity tries ``import tornado``): an install that needs a retry (so tenacity loads)
    succeeds with the vendored copies, and the mark never appears.
    """
    if pyz.BARE_PIP not in pips.available_pip_versions():
        pytest.skip(f"pip {pyz.BARE_PIP} is not in .ci/wheelhouse: run .ci/prepare-pips")
    python = pyz.bare_venv(sys.executable, tmp_path / "venv")
    site = _run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        env=pips.private_env(tmp_path),
        cwd=tmp_path,
    ).stdout.strip()
    mark = tmp_path / "tornado-was-imported"
    (Path(site) / "packaging").mkdir()
    (Path(site) / "packaging" / "__init__.py").write_text('raise ImportError("planted")\n')
    (Path(site) / "tornado").mkdir()
    (Path(site) / "tornado" / "__init__.py").write_text(
        f"open({str(mark)!r}, 'w').close()\n", encoding="utf-8"
    )
    index = fault_index(demo_dists)
    index.fail("/simple/dep/", status=503, times=3)
    report = tmp_path / "report.json"
    proc = _run(
        [python, archive, "install", "--backoff", "0.1", "--report-json", report,
         *_index_args(index, tmp_path / "cache"), "--target", tmp_path / "target", "dep"],
        env=pips.private_env(tmp_path),
        cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(report.read_text("utf-8"))["outcome"] == "recovered"
    assert not mark.exists(), "the archive imported tornado from the environment"
