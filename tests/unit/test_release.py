"""Ready to publish: ``python -m build`` makes an sdist and a wheel that pass ``twine check``.

The build runs without isolation (flit_core from the test environment: no index). ``.ci/test``
installs build, flit_core and twine; elsewhere the tests skip and say what is missing.
docs/releasing.md is the release checklist these tests back.
"""

from __future__ import annotations

import email.parser
import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest
from support import pips, pyz

import safepip

ROOT = pips.REPO_ROOT
PYTHONS = ("3.9", "3.10", "3.11", "3.12", "3.13")


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    for module in ("build", "flit_core", "twine"):
        pytest.importorskip(module, reason=f"{module} is not installed (.ci/test installs it)")
    out = tmp_path_factory.mktemp("dist")
    temp = tmp_path_factory.mktemp("build-tmp")  # a module fixture runs before the per-test TMPDIR
    proc = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
        env=pips.isolated_env({"TMPDIR": str(temp)}),
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    [wheel] = out.glob("*.whl")
    [sdist] = out.glob("*.tar.gz")
    return {"wheel": wheel, "sdist": sdist}


def test_twine_check_passes(dists: dict[str, Path]) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "twine", "check", "--strict", *map(str, dists.values())],
        env=pips.isolated_env({"NO_COLOR": "1"}),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.count("PASSED") == 2, proc.stdout
    assert "WARNING" not in proc.stdout + proc.stderr


def test_the_wheel_metadata_is_complete(dists: dict[str, Path]) -> None:
    wheel = dists["wheel"]
    assert wheel.name == f"safepip-{safepip.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as zf:
        info = f"safepip-{safepip.__version__}.dist-info"
        metadata = email.parser.Parser().parsestr(zf.read(f"{info}/METADATA").decode())
        assert "MIT License" in zf.read(f"{info}/licenses/LICENSE").decode()
    assert metadata["Version"] == safepip.__version__
    assert metadata["License-Expression"] == "MIT"
    assert metadata["License-File"] == "LICENSE"
    assert metadata["Requires-Python"] == ">=3.9"
    assert metadata["Description-Content-Type"] == "text/markdown"
    readme = metadata.get_payload()
    assert isinstance(readme, str)
    assert readme.startswith("# safepip\n")
    classifiers = metadata.get_all("Classifier") or []
    assert [
        c for c in classifiers if re.fullmatch(r"Programming Language :: Python :: 3\.\d+", c)
    ] == [f"Programming Language :: Python :: {v}" for v in PYTHONS]
    assert any(c.startswith("Development Status :: ") for c in classifiers)
    assert {r.split(">=")[0] for r in metadata.get_all("Requires-Dist") or []} == {
        "packaging",
        "resolvelib",
        "tenacity",
    }


def test_the_sdist_builds_safepip_pyz_offline(dists: dict[str, Path], tmp_path: Path) -> None:
    """Everything the archive and the Action need ships in the sdist, and builds with no index."""
    with tarfile.open(dists["sdist"]) as tf:
        names = tf.getnames()
        top = f"safepip-{safepip.__version__}"
        for needed in ("LICENSE", "action.yml", "tools/build_pyz.py", "tools/pyz/requirements.txt"):
            assert f"{top}/{needed}" in names, needed
        if hasattr(tarfile, "data_filter"):  # 3.12+, and security releases of older ones
            tf.extractall(tmp_path, filter="data")
        else:
            tf.extractall(tmp_path)  # noqa: S202 - our own sdist, built just now
    archive = tmp_path / "safepip.pyz"
    proc = subprocess.run(
        [
            sys.executable,
            str(tmp_path / top / "tools" / "build_pyz.py"),
            "--quiet",
            "--output",
            str(archive),
        ],
        env=pips.isolated_env(),
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    # Byte for byte the archive this checkout builds: same sources, same pinned wheels.
    assert archive.read_bytes() == pyz.build(tmp_path / "from-checkout.pyz").read_bytes()


def test_the_version_is_written_in_one_place() -> None:
    """Only safepip/__init__.py holds the version; the docs and examples never repeat it."""
    places = [
        path
        for pattern in (
            "*.md",
            "*.yml",
            "*.toml",
            "docs/**/*",
            "examples/**/*",
            "safepip/**/*.py",
            "tools/*.py",
        )
        for path in ROOT.glob(pattern)
        if path.is_file() and path.name != "CHANGELOG.md"
    ]
    assert ROOT / "safepip" / "__init__.py" in places
    holding = sorted(
        str(path.relative_to(ROOT))
        for path in places
        if safepip.__version__ in path.read_text("utf-8", errors="replace")
    )
    assert holding == ["safepip/__init__.py"]
