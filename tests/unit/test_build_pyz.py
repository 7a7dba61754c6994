"""tools/build_pyz.py: a reproducible, hash-checked, self-contained safepip.pyz.

Running the archive against real pip is in tests/integration/test_pyz.py.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from support import pips, pyz

import safepip

ROOT = pips.REPO_ROOT
LOCK = ROOT / "tools" / "pyz" / "requirements.txt"
WHEELS = ROOT / "tools" / "pyz" / "wheels"


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return pyz.build(tmp_path_factory.mktemp("pyz") / "safepip.pyz")


def _pins() -> dict[str, str]:
    pins: dict[str, str] = {}
    for line in LOCK.read_text("utf-8").splitlines():
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)\s", line)
        if match:
            pins[canonicalize_name(match[1])] = match[2]
    return pins


def test_the_build_is_byte_for_byte_reproducible(archive: Path, tmp_path: Path) -> None:
    again = pyz.build(tmp_path / "again.pyz")
    assert (
        hashlib.sha256(again.read_bytes()).digest() == hashlib.sha256(archive.read_bytes()).digest()
    )
    with zipfile.ZipFile(archive) as zf:
        assert {info.date_time for info in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert {info.external_attr >> 16 for info in zf.infolist()} == {0o100644}
    assert archive.read_bytes().startswith(b"#!/usr/bin/env python3\n")


def test_source_date_epoch_sets_the_timestamps(tmp_path: Path) -> None:
    env = pips.isolated_env({"SOURCE_DATE_EPOCH": "1700000000"})
    built = pyz.build(tmp_path / "dated.pyz", env=env)
    with zipfile.ZipFile(built) as zf:
        assert {info.date_time for info in zf.infolist()} == {(2023, 11, 14, 22, 13, 20)}


def test_the_archive_holds_safepip_and_the_pinned_wheels_only(archive: Path) -> None:
    with zipfile.ZipFile(archive) as zf:
        names = set(zf.namelist())
        main = zf.read("__main__.py").decode()
    ours = {
        p.relative_to(ROOT).as_posix()
        for p in (ROOT / "safepip").rglob("*.py")
        if "__pycache__" not in p.parts
    }
    assert ours <= names
    top = {name.split("/")[0] for name in names}
    dist_infos = {t for t in top if t.endswith(".dist-info")}
    assert {d.split("-")[0].lower() for d in dist_infos} == set(_pins())
    assert top - dist_infos == {"__main__.py", "LICENSE", "safepip", *_pins()}
    assert not [n for n in names if n.endswith((".so", ".pyd", ".dylib", "/RECORD"))]
    # Bytecode for the building Python, next to each module (where zipimport looks for it).
    assert {n[:-1] for n in names if n.endswith(".pyc")} == {
        n for n in names if n.endswith(".py") and n != "__main__.py"
    }
    assert "sys.dont_write_bytecode = True" in main


def test_it_runs_and_says_its_version(archive: Path) -> None:
    proc = _python(archive, "--version")
    assert (proc.returncode, proc.stdout, proc.stderr) == (
        0,
        f"safepip {safepip.__version__}\n",
        "",
    )


def test_a_wheel_that_does_not_match_its_pin_stops_the_build(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    shutil.copytree(WHEELS, wheels)
    victim = min(wheels.glob("*.whl"))
    victim.write_bytes(victim.read_bytes() + b"\0")
    output = tmp_path / "out.pyz"
    proc = _python(pyz.BUILD_SCRIPT, "--wheels", str(wheels), "--output", str(output))
    assert proc.returncode == 2
    assert proc.stderr.startswith("build_pyz: error: ")
    assert victim.name in proc.stderr
    assert "is not the one pinned" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1
    assert not output.exists()
    assert list(tmp_path.glob("*.pyz")) == []


def test_a_missing_wheel_names_the_download_step(tmp_path: Path) -> None:
    proc = _python(pyz.BUILD_SCRIPT, "--wheels", str(tmp_path), "--output", str(tmp_path / "x.pyz"))
    assert proc.returncode == 2
    assert "--download" in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_every_runtime_dependency_is_pinned_for_the_archive() -> None:
    """A dependency added to pyproject.toml must be added to tools/pyz/requirements.txt too."""
    tomllib = pytest.importorskip("tomllib", reason="tomllib needs Python 3.11")
    project = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]
    pins = _pins()
    for line in project["dependencies"]:
        requirement = Requirement(line)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{name} is a dependency but not pinned in {LOCK}"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"{name}=={pins[name]} in {LOCK} does not satisfy pyproject's {requirement}"
        )
    assert sorted(WHEELS.glob("*.whl")), f"{WHEELS} is empty"
    assert {canonicalize_name(w.name.split("-")[0]) for w in WHEELS.glob("*.whl")} == set(pins)


def _python(script: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python SCRIPT ARGS`` (the archive, or its build script), isolated, under a timeout."""
    return subprocess.run(
        [sys.executable, str(script), *args],
        env=pips.isolated_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
