"""Tests of safepip.cache.layout: key -> path layout, locate, and the guarded delete."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepip.cache import layout as cache
from safepip.errors import SafepipError, UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

LAB_URL = "http://127.0.0.1:8765/ok/files/demo-1.0-py3-none-any.whl"


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- URL normalisation and keys --------------------------------------------------------


def test_lab_key_matches_pip_failures_a() -> None:
    """The [lab] check of docs/failure-kinds.md §A: the key of the demo wheel starts with d3529d74."""
    assert cache.http_key(LAB_URL).startswith("d3529d74")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://PyPI.ORG/simple/Foo/", "https://pypi.org/simple/Foo/"),
        ("https://pypi.org", "https://pypi.org/"),
        ("https://h/x.whl#sha256=abc", "https://h/x.whl"),
        ("https://h/x?a=1#frag", "https://h/x?a=1"),
        ("https://h/x?", "https://h/x"),
        ("https://user:Pw@H:8080/p", "https://user:pw@h:8080/p"),
    ],
)
def test_normalize_url_follows_cachecontrol(url: str, expected: str) -> None:
    """Scheme and authority are lower-cased, the fragment and an empty query dropped, '' -> '/'."""
    assert cache.normalize_url(url) == expected


def test_normalize_url_refuses_relative() -> None:
    """A relative URL has no cache key (CacheControl refuses it too): a UsageError, not a crash."""
    with pytest.raises(UsageError):
        cache.normalize_url("/simple/foo/")


def test_http_key_is_sha224_of_normalised_url() -> None:
    """The key is the sha224 hex digest of the normalised URL, fragment ignored."""
    expected = hashlib.sha224(LAB_URL.encode()).hexdigest()
    assert cache.http_key(LAB_URL + "#sha256=00") == expected


def test_http_entry_paths_layout(tmp_path: Path) -> None:
    """http-v2 metadata and body, then the old http/ entry, five one-char levels deep."""
    key = cache.http_key(LAB_URL)
    meta, body, old = cache.http_entry_paths(tmp_path, LAB_URL)
    assert meta == tmp_path / "http-v2" / "d" / "3" / "5" / "2" / "9" / key
    assert body == meta.with_name(key + ".body")
    assert old == tmp_path / "http" / "d" / "3" / "5" / "2" / "9" / key


# --- wheels/ entries -------------------------------------------------------------------

WHEEL_REST = "27/4d/c1/" + "a" * 50


def test_wheel_entry_dir_of_logged_wheel(tmp_path: Path) -> None:
    """A logged wheel path maps to its aa/bb/cc/<rest> entry directory."""
    logged = f"{tmp_path}/wheels/{WHEEL_REST}/demo-1.0-py3-none-any.whl"
    assert cache.wheel_entry_dir(tmp_path, logged) == tmp_path / "wheels" / Path(WHEEL_REST)


@pytest.mark.parametrize(
    "rel",
    [
        f"wheels/{WHEEL_REST}/../../../../../../etc/x.whl",
        f"wheels/27/4d/../4d/c1/{'a' * 50}/demo.whl",
        f"http-v2/{WHEEL_REST}/demo.whl",
        f"wheels/{WHEEL_REST}/demo.tar.gz",
        "wheels/27/4d/c1/demo.whl",
        f"wheels/{WHEEL_REST}/sub/demo.whl",
        f"wheels/zz/4d/c1/{'a' * 50}/demo.whl",
    ],
)
def test_wheel_entry_dir_rejects_other_paths(tmp_path: Path, rel: str) -> None:
    """'..' tricks, other subdirs, non-wheels and wrong depths give None."""
    assert cache.wheel_entry_dir(tmp_path, f"{tmp_path}/{rel}") is None


def test_wheel_entry_dir_outside_root(tmp_path: Path) -> None:
    """A wheel in another cache's wheels/ is not this cache's entry."""
    other = tmp_path / "other"
    assert cache.wheel_entry_dir(tmp_path / "c", f"{other}/wheels/{WHEEL_REST}/d.whl") is None


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
    report = cache.delete(root, [meta])
    assert report.deleted == (str(body), str(meta))
    assert report.bytes_freed == 10 + 9
    assert not meta.exists()
    assert not body.exists()
    assert report.refused == report.missing == report.failed == ()


def test_delete_body_alone_takes_metadata_too(root: Path) -> None:
    """Naming only the body removes the metadata as well (pip never trusts half an entry)."""
    meta, body, _old = cache.http_entry_paths(root, LAB_URL)
    report = cache.delete(root, [str(body)])
    assert report.deleted == (str(body), str(meta))


def test_delete_wheel_entry_directory(root: Path) -> None:
    """A wheels/ entry directory is removed whole, with its size."""
    entry = root / "wheels" / Path(WHEEL_REST)
    report = cache.delete(root, [entry])
    assert report.deleted == (str(entry),)
    assert report.bytes_freed == 7
    assert not entry.exists()
    assert (root / "wheels" / "27" / "4d" / "c1").is_dir()


def test_delete_dry_run_touches_nothing(root: Path) -> None:
    """--dry-run reports the same accounting and deletes nothing."""
    paths = [*cache.http_entry_paths(root, LAB_URL), root / "wheels" / Path(WHEEL_REST)]
    before = sorted(p for p in root.rglob("*"))
    report = cache.delete(root, paths, dry_run=True)
    assert len(report.deleted) == 4
    assert report.bytes_freed == 10 + 9 + 8 + 7
    assert sorted(p for p in root.rglob("*")) == before


def test_delete_missing_paths_are_reported(root: Path) -> None:
    """A path inside the root that does not exist lands in `missing`, not in `refused`."""
    ghost = root / "http-v2" / "0" / "0" / "0" / "0" / "0" / ("0" * 56)
    report = cache.delete(root, [ghost])
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
    report = cache.delete(root, [path])
    assert report.refused == (path,)
    assert report.deleted == ()
    assert victim.read_bytes() == b"keep"
    assert (root / "wheels").is_dir()


def test_delete_unlinks_symlink_never_follows(root: Path) -> None:
    """A symlink entry pointing outside is unlinked; its target survives."""
    victim = _touch(root.parent / "victim" / "data.txt", b"keep")
    link = root / "wheels" / "27" / "link"
    link.symlink_to(victim.parent, target_is_directory=True)
    report = cache.delete(root, [link])
    assert report.deleted == (str(link),)
    assert not link.is_symlink()
    assert victim.read_bytes() == b"keep"


def test_delete_refuses_path_through_symlinked_parent(root: Path) -> None:
    """A path whose parent is a symlink leading out of the root is refused; the target survives."""
    outside = root.parent / "outside"
    victim = _touch(outside / "data.txt", b"keep")
    (root / "http-v2" / "escape").symlink_to(outside, target_is_directory=True)
    report = cache.delete(root, [root / "http-v2" / "escape" / "data.txt"])
    assert len(report.refused) == 1
    assert victim.read_bytes() == b"keep"


def test_delete_directory_with_symlink_inside_keeps_target(root: Path) -> None:
    """rmtree of an entry dir unlinks a symlink inside it without touching the target."""
    victim = _touch(root.parent / "victim" / "data.txt", b"keep")
    entry = root / "wheels" / Path(WHEEL_REST)
    (entry / "evil").symlink_to(victim.parent, target_is_directory=True)
    cache.delete(root, [entry])
    assert not entry.exists()
    assert victim.read_bytes() == b"keep"


def test_delete_through_symlinked_root(root: Path, tmp_path: Path) -> None:
    """A cache root reached through a symlink still accepts its own entries."""
    alias = tmp_path / "alias"
    alias.symlink_to(root, target_is_directory=True)
    meta, _body, _old = cache.http_entry_paths(alias, LAB_URL)
    report = cache.delete(alias, [meta])
    assert len(report.deleted) == 2
    assert report.refused == ()


def test_delete_relative_path_is_taken_relative_to_root(root: Path) -> None:
    """A relative path names an entry below the root."""
    report = cache.delete(root, [f"wheels/{WHEEL_REST}"])
    assert report.deleted == (str(root / "wheels" / Path(WHEEL_REST)),)


def test_delete_missing_root(tmp_path: Path) -> None:
    """Deleting in a cache that does not exist reports missing paths and creates nothing."""
    root = tmp_path / "nope"
    report = cache.delete(root, [root / "http" / "x"])
    assert report.missing == (str(root / "http" / "x"),)
    assert not root.exists()


def test_delete_dedupes(root: Path) -> None:
    """The same entry named twice (and via both halves) is deleted once."""
    meta, body, _old = cache.http_entry_paths(root, LAB_URL)
    report = cache.delete(root, [meta, body, meta])
    assert report.deleted == (str(body), str(meta))


# --- the lock --------------------------------------------------------------------------


_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="the holder script uses fcntl")
def test_cache_lock_excludes_other_processes(tmp_path: Path) -> None:
    """While another process holds .safepip.lock, acquiring it times out with a SafepipError."""
    with subprocess.Popen(
        [sys.executable, "-c", _HOLDER, str(tmp_path / ".safepip.lock"), "3"],
        stdout=subprocess.PIPE,
        text=True,
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(SafepipError, match="locked"), cache.cache_lock(tmp_path, timeout=0.2):
            pass  # pragma: no cover - never entered
    with cache.cache_lock(tmp_path, timeout=1):
        pass


def test_cache_lock_excludes_a_second_holder(tmp_path: Path) -> None:
    """Two holders never overlap, even in one process (each takes its own open file)."""
    outer = cache.cache_lock(tmp_path)
    with outer, pytest.raises(cache.CacheLockedError), cache.cache_lock(tmp_path, timeout=0.1):
        pass  # pragma: no cover - never entered


def test_delete_waits_for_the_lock(root: Path) -> None:
    """A delete while another holder keeps the lock does not proceed: it raises after waiting."""
    meta, _body, _old = cache.http_entry_paths(root, LAB_URL)
    with cache.cache_lock(root), pytest.raises(cache.CacheLockedError):
        cache.delete(root, [meta], lock_timeout=0.1)
    assert meta.exists()


def test_cache_lock_is_reentrant_across_sequential_uses(tmp_path: Path) -> None:
    """The lock is released on exit, so sequential holders in one process both succeed."""
    with cache.cache_lock(tmp_path, timeout=0.5):
        pass
    with cache.cache_lock(tmp_path, timeout=0.5):
        assert (tmp_path / ".safepip.lock").exists()


# --- locate ----------------------------------------------------------------------------


class FakeQuery:
    """Records argv/env and answers with a scripted (returncode, stdout)."""

    def __init__(self, returncode: int = 0, stdout: str = "") -> None:
        """Script the answer."""
        self.answer = (returncode, stdout)
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __call__(self, argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        """Record the call and answer."""
        self.calls.append((list(argv), dict(env)))
        return self.answer


def test_locate_explicit_cache_dir_wins(tmp_path: Path) -> None:
    """--cache-dir wins over everything and pip is not asked."""
    query = FakeQuery(0, "/elsewhere\n")
    found = cache.locate("py", cache_dir_arg=str(tmp_path), no_cache=True, env={}, query=query)
    assert found == tmp_path
    assert query.calls == []


def test_locate_expands_user_in_cache_dir_arg(tmp_path: Path) -> None:
    """A ~ in --cache-dir expands against HOME of the given environment."""
    found = cache.locate(
        "py", cache_dir_arg="~/pc", no_cache=False, env={"HOME": str(tmp_path)}, query=FakeQuery()
    )
    assert found == tmp_path / "pc"


@pytest.mark.parametrize("value", ["1", "true", "off", "false", "No"])
def test_locate_no_cache_dir_env(value: str) -> None:
    """PIP_NO_CACHE_DIR with any valid boolean (even 'false', as pip does) disables the cache."""
    query = FakeQuery(0, "/x\n")
    assert (
        cache.locate(
            "py", cache_dir_arg=None, no_cache=False, env={"PIP_NO_CACHE_DIR": value}, query=query
        )
        is None
    )
    assert query.calls == []


def test_locate_no_cache_flag() -> None:
    """--no-cache-dir means no cache."""
    assert cache.locate("py", cache_dir_arg=None, no_cache=True, env={}, query=FakeQuery()) is None


def test_locate_asks_pip_cache_dir() -> None:
    """Otherwise `python -m pip cache dir` decides, with the given environment."""
    query = FakeQuery(0, "WARNING: something\n/home/u/.cache/pip\n")
    env = {"PIP_CACHE_DIR": "/ignored"}
    found = cache.locate(
        "/venv/bin/python", cache_dir_arg=None, no_cache=False, env=env, query=query
    )
    assert found == Path("/home/u/.cache/pip")
    argv, seen_env = query.calls[0]
    assert argv[:5] == ["/venv/bin/python", "-m", "pip", "cache", "dir"]
    assert seen_env == env


def test_locate_falls_back_to_pip_cache_dir_env(tmp_path: Path) -> None:
    """When `pip cache dir` fails (pip < 20.1), PIP_CACHE_DIR is used."""
    found = cache.locate(
        "py",
        cache_dir_arg=None,
        no_cache=False,
        env={"PIP_CACHE_DIR": str(tmp_path)},
        query=FakeQuery(1, ""),
    )
    assert found == tmp_path


def test_locate_falls_back_to_platform_default(tmp_path: Path) -> None:
    """Without anything else, the platform default (XDG on Linux) is used."""
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    found = cache.locate("py", cache_dir_arg=None, no_cache=False, env=env, query=FakeQuery(2))
    expected = cache.default_cache_dir(env)
    assert found == expected


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"HOME": "/h"}, "/h/.cache/pip"),
        ("linux", {"HOME": "/h", "XDG_CACHE_HOME": "/x"}, "/x/pip"),
        ("darwin", {"HOME": "/h"}, "/h/Library/Caches/pip"),
        (
            "win32",
            {"LOCALAPPDATA": "C:/Users/u/AppData/Local"},
            "C:/Users/u/AppData/Local/pip/Cache",
        ),
    ],
)
def test_default_cache_dir(platform: str, env: dict[str, str], expected: str) -> None:
    """The platform defaults match platformdirs' user_cache_dir('pip')."""
    assert cache.default_cache_dir(env, platform) == Path(expected)


def test_delete_reports_failures_without_raising(root: Path) -> None:
    """An entry that cannot be removed (read-only parent) is reported in `failed`."""
    if os.geteuid() == 0:
        pytest.skip("root ignores directory permissions")
    entry_parent = root / "wheels" / "27" / "4d" / "c1"
    entry_parent.chmod(0o555)
    try:
        report = cache.delete(root, [entry_parent / ("a" * 50)])
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
        report = cache.delete(root, [candidate], dry_run=True)
        for accepted in (*report.deleted, *report.missing):
            real_parent = Path(os.path.realpath(Path(accepted).parent))
            assert real_parent == root.resolve() or root.resolve() in real_parent.parents
            assert Path(accepted) != root.resolve()
