"""The one guarded delete: pip's shapes only, the lock first, a descriptor walk, honest accounting."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import cachetree as ct

from safepip.cache import delete as guarded
from safepip.cache import layout as cache
from safepip.cache import lock
from safepip.errors import SafepipError

LAB_URL = "http://127.0.0.1:8765/ok/files/demo-1.0-py3-none-any.whl"
WHEEL_REST = "27/4d/c1/" + "a" * 50


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- guarded delete --------------------------------------------------------------------


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A cache root with one http-v2 entry, one old http/ entry and one wheels/ entry."""
    r = tmp_path / "cache"
    meta, body, old = cache.http_entry_paths(r, LAB_URL)
    _touch(meta, b"cc=4,meta")
    _touch(body, b"0123456789")
    _touch(old, b"cc=4,old")
    _touch(r / "wheels" / WHEEL_REST / "demo-1.0-py3-none-any.whl", b"wheel")
    _touch(r / "wheels" / WHEEL_REST / "origin.json", b"{}")
    return r


def test_delete_http_v2_pair_body_first(root: Path) -> None:
    """Naming the metadata removes both halves, the body first, and counts the bytes."""
    meta, body, _old = cache.http_entry_paths(root, LAB_URL)
    report = guarded.delete(root, [meta])
    assert report.deleted == (str(body), str(meta))
    assert report.bytes_freed == 10 + 9
    assert not meta.exists()
    assert not body.exists()
    assert report.refused == report.missing == report.failed == ()


def test_delete_body_alone_takes_metadata_too(root: Path) -> None:
    """Naming only the body removes the metadata as well (pip never trusts half an entry)."""
    meta, body, _old = cache.http_entry_paths(root, LAB_URL)
    report = guarded.delete(root, [str(body)])
    assert report.deleted == (str(body), str(meta))


def test_delete_wheel_entry_directory(root: Path) -> None:
    """A wheels/ entry directory is removed whole, with its size."""
    entry = root / "wheels" / Path(WHEEL_REST)
    report = guarded.delete(root, [entry])
    assert report.deleted == (str(entry),)
    assert report.bytes_freed == 7
    assert not entry.exists()
    assert (root / "wheels" / "27" / "4d" / "c1").is_dir()


def test_delete_dry_run_touches_nothing(root: Path) -> None:
    """--dry-run reports the same accounting and deletes nothing."""
    paths = [*cache.http_entry_paths(root, LAB_URL), root / "wheels" / Path(WHEEL_REST)]
    before = sorted(p for p in root.rglob("*"))
    report = guarded.delete(root, paths, dry_run=True)
    assert len(report.deleted) == 4
    assert report.bytes_freed == 10 + 9 + 8 + 7
    assert sorted(p for p in root.rglob("*")) == before


def test_delete_missing_paths_are_reported(root: Path) -> None:
    """A path inside the root that does not exist lands in `missing`, not in `refused`."""
    ghost = root / "http-v2" / "0" / "0" / "0" / "0" / "0" / ("0" * 56)
    report = guarded.delete(root, [ghost])
    assert report.missing == (str(ghost),)
    assert report.deleted == ()


@pytest.mark.parametrize(
    "bad",
    [
        "{root}/../victim.txt",
        "{root}/http-v2/../../victim.txt",
        "{root}/http-v2/../wheels",
        "{tmp}/victim.txt",
        "/etc/passwd",
        "{root}",
        "{root}/",
        "{root}/.safepip.lock",
        "../victim.txt",
    ],
)
def test_delete_refuses_paths_outside_root(root: Path, bad: str) -> None:
    """'..' tricks, absolute paths outside, the root itself and the lock file are refused."""
    victim = _touch(root.parent / "victim.txt", b"keep")
    path = bad.format(root=root, tmp=root.parent)
    report = guarded.delete(root, [path])
    assert report.refused == (path,)
    assert report.deleted == ()
    assert victim.read_bytes() == b"keep"
    assert (root / "wheels").is_dir()


def test_delete_unlinks_symlink_never_follows(root: Path) -> None:
    """A symlink with an entry's name, pointing outside, is unlinked; its target survives."""
    victim = _touch(root.parent / "victim" / "data.txt", b"keep")
    link = root / "wheels" / "27" / "4d" / "c1" / ("b" * 50)
    link.symlink_to(victim.parent, target_is_directory=True)
    report = guarded.delete(root, [link])
    assert report.deleted == (str(link),)
    assert not link.is_symlink()
    assert victim.read_bytes() == b"keep"


def test_delete_refuses_path_through_symlinked_parent(root: Path) -> None:
    """A path whose parent is a symlink leading out of the root is refused; the target survives."""
    outside = root.parent / "outside"
    victim = _touch(outside / "data.txt", b"keep")
    (root / "http-v2" / "escape").symlink_to(outside, target_is_directory=True)
    report = guarded.delete(root, [root / "http-v2" / "escape" / "data.txt"])
    assert len(report.refused) == 1
    assert victim.read_bytes() == b"keep"


def test_delete_directory_with_symlink_inside_keeps_target(root: Path) -> None:
    """rmtree of an entry dir unlinks a symlink inside it without touching the target."""
    victim = _touch(root.parent / "victim" / "data.txt", b"keep")
    entry = root / "wheels" / Path(WHEEL_REST)
    (entry / "evil").symlink_to(victim.parent, target_is_directory=True)
    guarded.delete(root, [entry])
    assert not entry.exists()
    assert victim.read_bytes() == b"keep"


def test_delete_through_symlinked_root(root: Path, tmp_path: Path) -> None:
    """A cache root reached through a symlink still accepts its own entries."""
    alias = tmp_path / "alias"
    alias.symlink_to(root, target_is_directory=True)
    meta, _body, _old = cache.http_entry_paths(alias, LAB_URL)
    report = guarded.delete(alias, [meta])
    assert len(report.deleted) == 2
    assert report.refused == ()


def test_delete_relative_path_is_taken_relative_to_root(root: Path) -> None:
    """A relative path names an entry below the root."""
    report = guarded.delete(root, [f"wheels/{WHEEL_REST}"])
    assert report.deleted == (str(root / "wheels" / Path(WHEEL_REST)),)


def test_delete_missing_root(tmp_path: Path) -> None:
    """Deleting in a cache that does not exist reports missing paths and creates nothing."""
    root = tmp_path / "nope"
    ghost = root / "http" / "0" / "0" / "0" / "0" / "0" / ("0" * 56)
    report = guarded.delete(root, [ghost])
    assert report.missing == (str(ghost),)
    assert not root.exists()


def test_delete_dedupes(root: Path) -> None:
    """The same entry named twice (and via both halves) is deleted once."""
    meta, body, _old = cache.http_entry_paths(root, LAB_URL)
    report = guarded.delete(root, [meta, body, meta])
    assert report.deleted == (str(body), str(meta))


# --- the lock --------------------------------------------------------------------------


@pytest.mark.skipif(sys.platform == "win32", reason="the holder script uses fcntl")
def test_cache_lock_excludes_other_processes(tmp_path: Path) -> None:
    """While another process holds .safepip.lock, acquiring it times out with a SafepipError."""
    held = ct.lock_held(tmp_path)  # until the block ends, however slow the machine
    refused = pytest.raises(SafepipError, match="locked")
    with held, refused, lock.cache_lock(tmp_path, timeout=0.2):
        pass  # pragma: no cover - never entered
    with lock.cache_lock(tmp_path, timeout=1):  # the holder is gone: the lock is free again
        pass


def test_cache_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    """Two holders never overlap, even in one process (each takes its own open file)."""
    outer = lock.cache_lock(tmp_path)
    with outer, pytest.raises(lock.CacheLockedError), lock.cache_lock(tmp_path, timeout=0.1):
        pass  # pragma: no cover - never entered


def test_delete_waits_for_the_lock(root: Path) -> None:
    """A delete while another holder keeps the lock does not proceed: it raises after waiting."""
    meta, _body, _old = cache.http_entry_paths(root, LAB_URL)
    with lock.cache_lock(root), pytest.raises(lock.CacheLockedError):
        guarded.delete(root, [meta], lock_timeout=0.1)
    assert meta.exists()


def test_cache_lock_is_reentrant_across_sequential_uses(tmp_path: Path) -> None:
    """The lock is released on exit, so sequential holders in one process both succeed."""
    with lock.cache_lock(tmp_path, timeout=0.5):
        pass
    with lock.cache_lock(tmp_path, timeout=0.5):
        assert (tmp_path / ".safepip.lock").exists()


def test_delete_reports_failures_without_raising(root: Path) -> None:
    """An entry that cannot be removed (read-only parent) is reported in `failed`."""
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    entry_parent = root / "wheels" / "27" / "4d" / "c1"
    entry_parent.chmod(0o555)
    try:
        report = guarded.delete(root, [entry_parent / ("a" * 50)])
    finally:
        entry_parent.chmod(0o755)
    assert len(report.failed) == 1
    assert report.deleted == ()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.sampled_from(["..", ".", "a", "wheels", "http-v2", "", "link", "/"]), max_size=8)
)
def test_delete_never_accepts_a_path_outside(
    tmp_path_factory: pytest.TempPathFactory, parts: list[str]
) -> None:
    """Whatever the path (dots, slashes, a symlink leading out), an accepted path is inside."""
    base = tmp_path_factory.mktemp("prop")
    root = base / "cache"
    (root / "wheels").mkdir(parents=True)
    (root / "link").symlink_to(base, target_is_directory=True)
    path = "/".join(parts)
    for candidate in (path, f"{root}/{path}"):
        report = guarded.delete(root, [candidate], dry_run=True)
        for accepted in (*report.deleted, *report.missing):
            real_parent = Path(os.path.realpath(Path(accepted).parent))
            assert real_parent == root.resolve() or root.resolve() in real_parent.parents
            assert Path(accepted) != root.resolve()


def test_without_descriptor_calls_every_delete_is_refused(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Where the platform lacks dir_fd/O_NOFOLLOW (Windows), nothing is deleted or created."""
    monkeypatch.setattr(guarded, "FD_SUPPORTED", False)
    meta, _body, _old = cache.http_entry_paths(root, LAB_URL)
    with pytest.raises(SafepipError, match="cannot delete without following links"):
        guarded.delete(root, [meta])
    assert meta.exists()
    assert not (root / ".safepip.lock").exists()
