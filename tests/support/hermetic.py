"""Keep the test run off the real user's cache and temp dir, and prove it at the end.

Every test runs with its own ``HOME``, ``XDG_CACHE_HOME``, ``TMPDIR`` and ``PIP_CACHE_DIR``
(:func:`isolate`, an autouse fixture in ``tests/conftest.py``). At session start
:class:`Watch` records the real user's pip cache (names and mtimes) and the ``safepip-*``/``pip-*``
entries of the real temp dir; at session end :meth:`Watch.leaks` names whatever the run added,
and the run fails.

Other programs on the machine (a developer's own pip) may create ``pip-*`` temp dirs at the same
moment: an entry that disappears within a few seconds was transient and is not a leak.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    import pytest

#: Entries of the temp dir that safepip or pip create (``safepip-*`` work dirs, ``pip-*`` build
#: and unpack dirs).
TEMP_PREFIXES = ("safepip-", "pip-")

#: The names isolate() sets for every test.
ISOLATED_VARS = ("HOME", "XDG_CACHE_HOME", "TMPDIR", "PIP_CACHE_DIR")


def real_user_cache(environ: dict[str, str] | os._Environ[str] = os.environ) -> Path:
    """The pip cache of the real user (before any test changed ``HOME``/``XDG_CACHE_HOME``)."""
    configured = environ.get("PIP_CACHE_DIR")
    if configured:
        return Path(configured).expanduser()
    xdg = environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path(environ.get("HOME", str(Path.home()))) / ".cache"
    return base / "pip"


def cache_snapshot(root: Path) -> dict[str, float]:
    """Every path under ``root`` (relative) with its mtime; empty when ``root`` is absent."""
    found: dict[str, float] = {}
    if not root.is_dir():
        return found
    for dirpath, dirnames, filenames in os.walk(root):
        for name in (*dirnames, *filenames):
            path = Path(dirpath, name)
            try:
                found[str(path.relative_to(root))] = path.lstat().st_mtime
            except OSError:  # removed while walking
                continue
    return found


def temp_entries(tmpdir: Path) -> set[str]:
    """The names in ``tmpdir`` that safepip or pip would create."""
    try:
        return {path.name for path in tmpdir.iterdir() if path.name.startswith(TEMP_PREFIXES)}
    except OSError:
        return set()


@dataclass
class Watch:
    """What the real user cache and temp dir held when the session started."""

    cache_root: Path
    tmpdir: Path
    cache_before: dict[str, float] = field(default_factory=dict)
    temp_before: set[str] = field(default_factory=set)

    @classmethod
    def start(cls) -> Watch:
        """Snapshot the real user's pip cache and temp dir now."""
        watch = cls(real_user_cache(), Path(tempfile.gettempdir()))
        watch.cache_before = cache_snapshot(watch.cache_root)
        watch.temp_before = temp_entries(watch.tmpdir)
        return watch

    def leaks(
        self, *, settle: float = 3.0, sleep: Callable[[float], None] = time.sleep
    ) -> list[str]:
        """What the run wrote to the real user cache or left in the real temp dir.

        A new temp entry must still be there after ``settle`` seconds to count (another
        program's pip may be running at this very moment).
        """
        problems = []
        after = cache_snapshot(self.cache_root)
        for name, mtime in sorted(after.items()):
            if name not in self.cache_before:
                problems.append(f"written to the real user cache: {self.cache_root / name}")
            elif mtime != self.cache_before[name]:
                problems.append(f"changed in the real user cache: {self.cache_root / name}")
        new = temp_entries(self.tmpdir) - self.temp_before
        waited = 0.0
        while new and waited < settle:
            sleep(0.5)
            waited += 0.5
            new &= temp_entries(self.tmpdir)
        problems.extend(f"left in the real temp dir: {self.tmpdir / name}" for name in sorted(new))
        return problems


def isolate(monkeypatch: pytest.MonkeyPatch, base: Path) -> dict[str, Path]:
    """Point the test's HOME, XDG_CACHE_HOME, TMPDIR and PIP_CACHE_DIR into ``base``.

    This process's :mod:`tempfile` follows TMPDIR too; the directories are created empty.

    Returns:
        The directories by variable name.
    """
    dirs = {
        "HOME": base / "home",
        "XDG_CACHE_HOME": base / "cache",
        "TMPDIR": base / "tmp",
        "PIP_CACHE_DIR": base / "cache" / "pip",
    }
    for name, path in dirs.items():
        path.mkdir(parents=True, exist_ok=True)
        monkeypatch.setenv(name, str(path))
    # tempfile caches the temp dir of this process on first use: reset it for this test.
    monkeypatch.setattr(tempfile, "tempdir", str(dirs["TMPDIR"]))
    return dirs
