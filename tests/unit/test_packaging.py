"""safepip's wheel installs into a fresh virtual environment, offline, and runs from there.

The wheel is built from this checkout with ``pip wheel --no-build-isolation`` (flit_core from the
test interpreter, no index). When flit_core is not importable here, the wheel that ``.ci/test``
has just built into ``dist/`` from this same tree is used if it is newer than every source file;
otherwise the test skips and says why.

The dependencies (``packaging``, ``tenacity``, ``resolvelib``) cannot be downloaded (no internet
in tests), so the test re-packs the copies installed for the test interpreter into wheels, from
their ``RECORD`` files, into a local wheelhouse. The fresh venv then gets a normal
``pip install --no-index --find-links ... safepip``, which also proves that the wheel's declared
dependencies resolve. Nothing from the test environment is put on the venv's ``sys.path``.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import importlib.util
import re
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import pips

import safepip

if TYPE_CHECKING:
    from collections.abc import Sequence

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
#: Files of an installed distribution that are not part of its wheel.
_INSTALL_ONLY = {"INSTALLER", "REQUESTED", "RECORD", "direct_url.json"}


def _env() -> dict[str, str]:
    """pip and the venv isolated from the machine and from this checkout."""
    env = pips.isolated_env()
    env.pop("PYTHONPATH", None)
    return env


def _run(
    argv: Sequence[str], *, cwd: Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        env=_env(),
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def _pip(cache: Path) -> list[str]:
    """The test interpreter's pip, isolated: own cache, no index, no version check."""
    return [
        sys.executable,
        "-m",
        "pip",
        "--disable-pip-version-check",
        "--no-input",
        "--cache-dir",
        str(cache),
    ]


def _build_wheel(dest: Path, cache: Path) -> Path:
    """Build safepip's wheel from the checkout (see the module docstring for the fallback)."""
    dest.mkdir()
    if importlib.util.find_spec("flit_core") is not None:
        result = _run(
            [
                *_pip(cache),
                "wheel",
                "--no-deps",
                "--no-index",
                "--no-build-isolation",
                "--trusted-host",
                "127.0.0.1",
                "--wheel-dir",
                str(dest),
                str(ROOT),
            ],
            cwd=dest,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        (wheel,) = dest.glob("safepip-*.whl")
        return wheel
    sources = [*ROOT.joinpath("safepip").rglob("*"), ROOT / "pyproject.toml", ROOT / "README.md"]
    newest = max(path.stat().st_mtime for path in sources if path.is_file())
    built = [
        wheel
        for wheel in ROOT.joinpath("dist").glob(f"safepip-{safepip.__version__}-*.whl")
        if wheel.stat().st_mtime >= newest
    ]
    if not built:
        pytest.skip(
            "cannot build the wheel offline: flit_core is not importable by the test interpreter"
            " and dist/ holds no wheel newer than the sources (run .ci/test, or install flit_core)"
        )
    return built[0]


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def repack(project: str, dest: Path) -> Path:
    """Re-pack an installed pure-Python distribution into a wheel in ``dest``.

    Args:
        project: the distribution name, installed for the test interpreter.
        dest: the wheelhouse directory.

    Returns:
        The wheel path.
    """
    dist = importlib.metadata.distribution(project)
    wheel_meta = dist.read_text("WHEEL") or ""
    if "Root-Is-Purelib: true" not in wheel_meta:
        pytest.skip(f"{project} is not a pure-Python install: it cannot be re-packed here")
    tags = re.findall(r"^Tag: (\S+)$", wheel_meta, re.MULTILINE)
    name = re.sub(r"[-_.]+", "_", dist.metadata["Name"]).lower()
    version = dist.version
    site = Path(str(dist.locate_file("")))
    files = [
        str(path)
        for path in dist.files or ()
        if ".." not in path.parts
        and "__pycache__" not in path.parts
        and not (path.parent.name.endswith(".dist-info") and path.name in _INSTALL_ONLY)
    ]
    info = next(path for path in files if path.endswith(".dist-info/METADATA")).rsplit("/", 1)[0]
    wheel = dest / f"{name}-{version}-{_tag(tags)}.whl"
    records: list[str] = []
    with zipfile.ZipFile(wheel, "w", zipfile.ZIP_DEFLATED) as archive:
        for relative in files:
            data = (site / relative).read_bytes()
            archive.writestr(relative, data)
            records.append(_record_line(relative, data))
        records.append(f"{info}/RECORD,,")
        archive.writestr(f"{info}/RECORD", "\n".join(records) + "\n")
    return wheel


def _tag(tags: Sequence[str]) -> str:
    """Compress ``py2-none-any`` + ``py3-none-any`` into ``py2.py3-none-any``."""
    parts = [tag.split("-") for tag in tags]
    return "-".join(".".join(dict.fromkeys(part[i] for part in parts)) for i in range(3))


def test_wheel_installs_offline_and_runs(tmp_path: Path) -> None:
    """The built wheel ships every module and py.typed; installed alone it runs both entry points.

    ``safepip --version`` exercises the console script, ``python -m safepip --help`` the
    ``__main__`` module; both run from a directory outside the checkout, with the venv's own
    site-packages only.
    """
    cache = tmp_path / "pip-cache"
    wheel = _build_wheel(tmp_path / "dist", cache)

    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert "safepip/py.typed" in names
    modules = {f"safepip/{path.name}" for path in ROOT.joinpath("safepip").glob("*.py")}
    assert modules <= names, sorted(modules - names)

    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    for project in ("packaging", "tenacity", "resolvelib"):
        repack(project, wheelhouse)

    venv = tmp_path / "venv"
    made = _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    installed = _run(
        [
            *_pip(cache),
            "--python",
            str(python),
            "install",
            "--no-index",
            "--trusted-host",
            "127.0.0.1",
            "--find-links",
            str(wheel.parent),
            "--find-links",
            str(wheelhouse),
            "safepip",
        ],
        cwd=tmp_path,
    )
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert "Successfully installed" in installed.stdout

    where = _run([str(python), "-c", "import safepip; print(safepip.__file__)"], cwd=tmp_path)
    assert where.returncode == 0, where.stderr
    location = Path(where.stdout.strip())
    assert location.is_relative_to(venv), location
    assert (location.parent / "py.typed").is_file()

    version = _run([str(venv / "bin" / "safepip"), "--version"], cwd=tmp_path)
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == f"safepip {safepip.__version__}"

    helped = _run([str(python), "-m", "safepip", "--help"], cwd=tmp_path)
    assert helped.returncode == 0, helped.stderr
    assert helped.stdout.startswith("usage: safepip <command>")
    assert "install" in helped.stdout
