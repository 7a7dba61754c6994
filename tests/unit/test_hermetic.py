"""The hermetic test environment (tests/support/hermetic.py) isolates and detects leaks."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from support import hermetic


def test_every_test_has_its_own_home_cache_and_tmp(hermetic_dirs: dict[str, Path]) -> None:
    for name in hermetic.ISOLATED_VARS:
        assert os.environ[name] == str(hermetic_dirs[name])
        assert hermetic_dirs[name].is_dir()
    made = Path(tempfile.mkdtemp(prefix="safepip-"))
    assert made.parent == hermetic_dirs["TMPDIR"]
    assert Path.home() == hermetic_dirs["HOME"]


def test_real_user_cache_follows_pip_rules(tmp_path: Path) -> None:
    assert hermetic.real_user_cache({"HOME": "/h"}) == Path("/h/.cache/pip")
    assert hermetic.real_user_cache({"HOME": "/h", "XDG_CACHE_HOME": "/x"}) == Path("/x/pip")
    assert hermetic.real_user_cache({"PIP_CACHE_DIR": str(tmp_path)}) == tmp_path


def _watch(tmp_path: Path) -> hermetic.Watch:
    cache = tmp_path / "cache"
    (cache / "http-v2" / "a").mkdir(parents=True)
    (cache / "http-v2" / "a" / "old").write_bytes(b"x")
    temp = tmp_path / "tmp"
    temp.mkdir()
    (temp / "pip-old").mkdir()
    (temp / "unrelated").mkdir()
    watch = hermetic.Watch(cache, temp)
    watch.cache_before = hermetic.cache_snapshot(cache)
    watch.temp_before = hermetic.temp_entries(temp)
    return watch


def test_a_clean_run_has_no_leaks(tmp_path: Path) -> None:
    watch = _watch(tmp_path)
    (watch.tmpdir / "other-tool").mkdir()  # not safepip's or pip's
    assert watch.leaks(sleep=lambda _s: None) == []


def test_new_and_changed_cache_files_and_leftover_temp_dirs_are_leaks(tmp_path: Path) -> None:
    watch = _watch(tmp_path)
    (watch.cache_root / "http-v2" / "a" / "new").write_bytes(b"y")
    old = watch.cache_root / "http-v2" / "a" / "old"
    os.utime(old, (1, 1))
    (watch.tmpdir / "safepip-abc").mkdir()
    leaks = watch.leaks(sleep=lambda _s: None)
    assert f"written to the real user cache: {watch.cache_root / 'http-v2/a/new'}" in leaks
    assert f"changed in the real user cache: {old}" in leaks
    assert f"left in the real temp dir: {watch.tmpdir / 'safepip-abc'}" in leaks
    # The directory that gained a file changed too (a deletion shows only that way).
    assert f"changed in the real user cache: {watch.cache_root / 'http-v2/a'}" in leaks
    assert len(leaks) == 4


def test_a_temp_dir_that_goes_away_while_settling_is_no_leak(tmp_path: Path) -> None:
    watch = _watch(tmp_path)
    transient = watch.tmpdir / "pip-install-123"
    transient.mkdir()
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        transient.rmdir()  # another program's pip finished meanwhile

    assert watch.leaks(sleep=sleep) == []
    assert slept == [0.5]
