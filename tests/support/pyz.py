"""safepip.pyz for the tests: build it from this checkout, and bare venvs to run it in.

The archive is built by ``tools/build_pyz.py`` from the pinned wheels in ``tools/pyz/wheels/``
(no network). A *bare* venv has pip (from ``.ci/wheelhouse``) and nothing else: none of
safepip's dependencies, so the archive must bring its own.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from support import pips

if TYPE_CHECKING:
    from collections.abc import Mapping

BUILD_SCRIPT = pips.REPO_ROOT / "tools" / "build_pyz.py"
#: The pip every bare venv gets: old enough for Python 3.9, and one the integration tests know.
BARE_PIP = "24.0"


def build(
    output: Path, *, python: str = sys.executable, env: Mapping[str, str] | None = None
) -> Path:
    """Run ``tools/build_pyz.py --output OUTPUT`` with ``python``; return the archive.

    Raises:
        RuntimeError: the build failed (its output is in the message).
    """
    argv = [python, str(BUILD_SCRIPT), "--quiet", "--output", str(output)]
    pips.run_checked(argv, env=pips.isolated_env() if env is None else env, timeout=120)
    if not output.is_file():
        raise RuntimeError(f"build_pyz wrote no {output}")
    return output


def find_python39() -> str | None:
    """A working CPython 3.9 (its real path, past any pyenv shim), found as ``.ci/run`` does."""
    candidates = [
        "python3.9",
        *sorted(str(p) for p in Path("/root/.pyenv/versions").glob("3.9*/bin/python3.9")),
    ]
    for candidate in candidates:
        try:
            proc = subprocess.run(
                [
                    candidate,
                    "-c",
                    "import sys; print(sys.version_info[:2] == (3, 9), sys.executable)",
                ],
                capture_output=True,
                text=True,
                check=False,
                timeout=30,
            )
        except OSError:
            continue
        verdict, _, executable = proc.stdout.strip().partition(" ")
        if proc.returncode == 0 and verdict == "True" and executable:
            return executable
    return None


def bare_venv(base_python: str, dest: Path) -> Path:
    """Create a venv at ``dest`` from ``base_python`` with only pip in it; return its python.

    Raises:
        RuntimeError: a step failed.
    """
    wheel = pips.pip_wheel(BARE_PIP)
    # Its own TMPDIR: pip leaves an empty pip-unpack-* dir behind when it installs from a wheel
    # file, and a module-scoped fixture runs before the per-test TMPDIR is set.
    temp = dest.parent / f"{dest.name}-tmp"
    temp.mkdir(parents=True, exist_ok=True)
    return pips.install_pip_venv(
        base_python, dest, wheel, env=pips.isolated_env({"TMPDIR": str(temp)})
    )
