"""Real pip caches: `safepip cache purge|verify`, `fix-requirements` and `doctor` against them.

Each pip (23.2.1 for the old ``http/`` layout, 24.0 and 26.3 for ``http-v2/``) fills a private
cache from the local fault index; the tests then damage it the ways docs/failure-kinds.md §A lists and
check that purge removes exactly one project's entries and verify finds exactly the damage.
"""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import cachetree as ct
from support import pips
from support.indexserver import FaultIndex
from support.wheels import build_sdist, build_wheel, flip_member_byte

from safepip import cli, runner
from safepip.cache import layout as cache
from safepip.cache.msgpack_decode import unpackb
from safepip.cache.verify import (
    BAD_CRC,
    BODY_WITHOUT_METADATA,
    EMPTY_BODY,
    HASH_MISMATCH,
    INVALID_WHEEL,
    LENGTH_MISMATCH,
    METADATA_WITHOUT_BODY,
    STALE_TEMP,
    TRUNCATED_ENTRY,
    TRUNCATED_ZIP,
    verify,
)

if TYPE_CHECKING:
    from collections.abc import Iterator

pytestmark = pytest.mark.integration

CACHE_PIPS = ("23.2.1", "24.0", "26.3")
DEMO = "demo-1.0-py3-none-any.whl"
DEP = "dep-2.0-py3-none-any.whl"
OTHER = "other-1.0-py3-none-any.whl"
BUILT = "built_pkg-1.0.tar.gz"


@pytest.fixture(params=CACHE_PIPS, ids=[f"pip{v}" for v in CACHE_PIPS])
def cache_pip(request: pytest.FixtureRequest) -> tuple[str, Path]:
    """(version, interpreter) of each pip whose cache layout matters."""
    version: str = request.param
    if version not in pips.available_pip_versions():
        pytest.skip(f"pip {version} is not in .ci/wheelhouse: run .ci/prepare-pips")
    return version, pips.pip_python(version)


@pytest.fixture(scope="module")
def dists(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """demo 1.0 (requires dep), dep 2.0, other 1.0 wheels and a built-pkg sdist."""
    where = tmp_path_factory.mktemp("dists")
    return [
        build_wheel(where, "demo", "1.0", requires=("dep",), size_kb=60),
        build_wheel(where, "dep", "2.0", size_kb=60),
        build_wheel(where, "other", "1.0", size_kb=60),
        build_sdist(where, "built-pkg", "1.0", size_kb=30),
    ]


@pytest.fixture
def index(dists: list[Path]) -> Iterator[FaultIndex]:
    """The fault index (PyPI-like headers, so pip caches pages and files) serving the dists."""
    with FaultIndex(dists) as served:
        yield served


def _install(python: Path, index: FaultIndex, pip_cache: Path, target: Path, *reqs: str) -> None:
    args = ["install", *pips.common_args(index.url, pip_cache), "--target", str(target), *reqs]
    result = pips.run_pip(python, args, timeout=120)
    assert result.returncode == 0, result.output


@pytest.fixture
def filled(
    cache_pip: tuple[str, Path], index: FaultIndex, tmp_path: Path
) -> tuple[str, Path, Path, FaultIndex]:
    """A cache filled by real pip: four pages, three wheels, one sdist, one built wheel."""
    version, python = cache_pip
    pip_cache = tmp_path / "pip-cache"
    _install(python, index, pip_cache, tmp_path / "t1", "demo", "other", "built-pkg")
    return version, python, pip_cache, index


def _entry_files(root: Path, url: str) -> set[str]:
    return {str(p.relative_to(root)) for p in cache.http_entry_paths(root, url) if p.exists()}


def _main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out + captured.err


def test_layout_matches_pip(filled: tuple[str, Path, Path, FaultIndex]) -> None:
    """pip wrote its entries exactly where http_entry_paths says (http/ for 23.2, http-v2 after)."""
    version, _python, root, index = filled
    layout = "http" if version == "23.2.1" else "http-v2"
    for url in (index.page_url("demo"), index.file_url(DEMO), index.file_url(BUILT)):
        files = _entry_files(root, url)
        assert files, url
        assert all(f.startswith(layout + "/") for f in files)
        assert len(files) == (1 if layout == "http" else 2)
    assert len(list((root / "wheels").rglob("built_pkg-1.0-*.whl"))) == 1


def test_locate_asks_real_pip(cache_pip: tuple[str, Path], tmp_path: Path) -> None:
    """`pip cache dir` of each real pip honours PIP_CACHE_DIR; PIP_NO_CACHE_DIR disables it."""
    _version, python = cache_pip
    env = pips.isolated_env({"PIP_CACHE_DIR": str(tmp_path / "c")})
    found = cache.locate(
        str(python), cache_dir_arg=None, no_cache=False, env=env, query=runner.query
    )
    assert found == tmp_path / "c"
    env["PIP_NO_CACHE_DIR"] = "1"
    assert (
        cache.locate(str(python), cache_dir_arg=None, no_cache=False, env=env, query=runner.query)
        is None
    )


def test_verify_healthy_real_cache(filled: tuple[str, Path, Path, FaultIndex]) -> None:
    """A cache pip filled without trouble has no corrupt entry."""
    _version, _python, root, _index = filled
    report = verify(root)
    assert report.problems == ()
    assert report.checked >= 9


def test_purge_removes_exactly_one_project(
    filled: tuple[str, Path, Path, FaultIndex], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """purge demo removes its page and file entries; every other entry survives; pip re-fetches."""
    _version, python, root, index = filled
    before = ct.snapshot(root)
    demo = _entry_files(root, index.page_url("demo")) | _entry_files(root, index.file_url(DEMO))
    status, out = _main(capsys, "cache", "purge", "demo", "--cache-dir", str(root), "-i", index.url)
    assert status == 0, out
    assert ct.snapshot(root) - {".safepip.lock"} == before - demo
    assert "freed" in out
    hits = index.hits(f"/files/{DEMO}")
    _install(python, index, root, tmp_path / "t2", "demo")
    assert index.hits(f"/files/{DEMO}") == hits + 1  # downloaded again, not from the cache


def test_purge_built_package_and_dry_run(
    filled: tuple[str, Path, Path, FaultIndex], capsys: pytest.CaptureFixture[str]
) -> None:
    """purge of an sdist project takes its page, sdist and built wheel; --dry-run nothing."""
    _version, _python, root, index = filled
    before = ct.snapshot(root)
    status, out = _main(
        capsys,
        "cache",
        "purge",
        "built-pkg",
        "--dry-run",
        "--json",
        "--cache-dir",
        str(root),
        "-i",
        index.url,
    )
    assert status == 0
    doc = json.loads(out)
    assert ct.snapshot(root) == before
    (wheel_dir,) = {p.parent for p in (root / "wheels").rglob("built_pkg-1.0-*.whl")}
    expected = _entry_files(root, index.page_url("built-pkg")) | _entry_files(
        root, index.file_url(BUILT)
    )
    deleted = {os.path.relpath(p, os.path.realpath(root)) for p in doc["deleted"]}
    assert deleted == expected | {str(wheel_dir.relative_to(root))}


def test_purge_by_content_without_index_option(
    filled: tuple[str, Path, Path, FaultIndex], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """Without -i (default PyPI), the local index's page and files are still found by content."""
    _version, python, root, index = filled
    before = ct.snapshot(root)
    dep = _entry_files(root, index.page_url("dep")) | _entry_files(root, index.file_url(DEP))
    status, _out = _main(capsys, "cache", "purge", "dep", "--cache-dir", str(root))
    assert status == 0
    assert ct.snapshot(root) - {".safepip.lock"} == before - dep
    _install(python, index, root, tmp_path / "t2", "demo")  # plain pip on the purged cache


def _damage(version: str, root: Path, index: FaultIndex) -> dict[str, set[str]]:
    """Damage the real cache the ways docs/failure-kinds.md §A lists; return reason -> files."""
    expected: dict[str, set[str]] = {}
    if version == "23.2.1":
        old_demo = cache.http_entry_paths(root, index.file_url(DEMO))[2]
        data = old_demo.read_bytes()
        old_demo.write_bytes(data[: len(data) // 2])  # a half-written one-file entry
        expected[TRUNCATED_ENTRY] = {str(old_demo)}
        old_dep = cache.http_entry_paths(root, index.file_url(DEP))[2]
        entry = unpackb(old_dep.read_bytes()[len(b"cc=4,") :])
        assert isinstance(entry, dict)
        entry["response"]["body"] = b""  # a well-formed entry whose body was lost
        old_dep.write_bytes(b"cc=4," + ct.packb(entry))
        expected[EMPTY_BODY] = {str(old_dep)}
    else:
        meta, body, _old = cache.http_entry_paths(root, index.file_url(DEMO))
        body.write_bytes(body.read_bytes()[:-1000])  # truncated wheel body
        expected[LENGTH_MISMATCH] = {str(meta), str(body)}  # PyPI-like: Content-Length known
        meta, body, _old = cache.http_entry_paths(root, index.file_url(DEP))
        body.write_bytes(b"")  # pypa/pip#12361
        expected[EMPTY_BODY] = {str(meta), str(body)}
        meta, body, _old = cache.http_entry_paths(root, index.page_url("other"))
        body.unlink()
        expected[METADATA_WITHOUT_BODY] = {str(meta)}
        meta, body, _old = cache.http_entry_paths(root, index.file_url(OTHER))
        meta.unlink()
        expected[BODY_WITHOUT_METADATA] = {str(body)}
        temp = meta.with_name(meta.name + ".bodyk3j_x9q2.tmp")
        temp.write_bytes(b"half")
        old = time.time() - 3600
        os.utime(temp, (old, old))
        expected[STALE_TEMP] = {str(temp)}
    (wheel,) = (root / "wheels").rglob("built_pkg-1.0-*.whl")
    wheel.write_bytes(wheel.read_bytes()[:-500])
    expected[INVALID_WHEEL] = {str(wheel.parent)}
    return expected


def test_verify_finds_every_damage_and_fix_heals(
    filled: tuple[str, Path, Path, FaultIndex],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """verify reports each damaged entry and no healthy one; --fix removes just those; pip works."""
    version, python, root, index = filled
    expected = _damage(version, root, index)
    damaged = ct.snapshot(root)
    found: dict[str, set[str]] = {}
    for problem in verify(root).problems:
        found.setdefault(problem.reason, set()).update(problem.paths)
    assert found == expected
    status, out = _main(capsys, "cache", "verify", "--fix", "--cache-dir", str(root))
    assert status == 0, out
    gone = {os.path.relpath(p, root) for paths in expected.values() for p in paths}
    survivors = ct.snapshot(root) - {".safepip.lock"}
    assert survivors == {f for f in damaged if not _under_any(f, gone)}
    _install(python, index, root, tmp_path / "t3", "demo", "other", "built-pkg")
    assert verify(root).problems == ()


def _flip(version: str, root: Path, index: FaultIndex) -> dict[str, set[str]]:
    """Flip one byte (same length) in demo's cached wheel and the built wheel; return what to fix.

    Returns:
        ``{cache file or wheels/ entry dir of the damage: the reasons verify may give}``, as
        paths relative to ``root``.
    """
    meta, body, old = cache.http_entry_paths(root, index.file_url(DEMO))
    if version == "23.2.1":  # one msgpack file: the body sits inside the response
        entry = unpackb(old.read_bytes()[len(b"cc=4,") :])
        assert isinstance(entry, dict)
        entry["response"]["body"] = flip_member_byte(entry["response"]["body"], "_padding.bin")
        old.write_bytes(b"cc=4," + ct.packb(entry))
        http = {str(old.relative_to(root))}
    else:
        body.write_bytes(flip_member_byte(body.read_bytes(), "_padding.bin"))
        http = {str(meta.relative_to(root)), str(body.relative_to(root))}
    (wheel,) = (root / "wheels").rglob("built_pkg-1.0-*.whl")
    wheel.write_bytes(flip_member_byte(wheel.read_bytes(), "_padding.bin"))
    return {"http": http, "wheels": {str(wheel.parent.relative_to(root))}}


def test_verify_fix_heals_byte_flipped_entries_for_plain_pip(
    filled: tuple[str, Path, Path, FaultIndex],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    """A flipped byte in a cached download and in a built wheel: verify --fix heals the cache.

    Plain pip fails on each from the cache (the lengths are right); ``cache verify --fix``
    removes exactly those entries, after which plain pip on the same cache succeeds and verify
    finds nothing.
    """
    version, python, root, index = filled
    damaged = _flip(version, root, index)
    copy = tmp_path / "copy"
    shutil.copytree(root, copy, symlinks=True)
    for requirement in ("demo", "built-pkg"):
        args = ["install", *pips.common_args(index.url, copy), "--target", str(tmp_path / "tx")]
        failed = pips.run_pip(python, [*args, requirement], timeout=120)
        assert failed.returncode != 0, failed.output

    found = {
        str(Path(p).relative_to(root)) for problem in verify(root).problems for p in problem.paths
    }
    reasons = {problem.reason for problem in verify(root).problems}
    assert found == damaged["http"] | damaged["wheels"]
    assert reasons <= {BAD_CRC, HASH_MISMATCH}, reasons
    before = ct.snapshot(root)
    status, out = _main(capsys, "cache", "verify", "--fix", "--cache-dir", str(root))
    assert status == 0, out
    gone = damaged["http"] | damaged["wheels"]
    assert ct.snapshot(root) - {".safepip.lock"} == {f for f in before if not _under_any(f, gone)}
    _install(python, index, root, tmp_path / "t4", "demo", "built-pkg")
    assert verify(root).problems == ()


def _under_any(path: str, prefixes: set[str]) -> bool:
    """True when ``path`` is one of the deleted paths (a file) or lies below one (a directory)."""
    return any(path == p or path.startswith(p + "/") for p in prefixes)


@pytest.mark.parametrize("pip_version", ["24.0", "26.3"])
def test_verify_truncated_zip_without_content_length(
    pip_version: str, dists: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """When the server sent no Content-Length, a truncated wheel body is found by its zip tail.

    ``--fix`` removes it, and plain pip on that cache then installs again.
    """
    if pip_version not in pips.available_pip_versions():
        pytest.skip(f"pip {pip_version} is not in .ci/wheelhouse")
    root = tmp_path / "pip-cache"
    python = pips.pip_python(pip_version)
    with FaultIndex(dists, content_length=False) as index:
        _install(python, index, root, tmp_path / "t", "dep")
        meta, body, _old = cache.http_entry_paths(root, index.file_url(DEP))
        assert verify(root).problems == ()
        body.write_bytes(body.read_bytes()[:-300])
        problems = verify(root).problems
        assert [(p.reason, set(p.paths)) for p in problems] == [
            (TRUNCATED_ZIP, {str(meta), str(body)})
        ]
        status, out = _main(capsys, "cache", "verify", "--fix", "--cache-dir", str(root))
        assert status == 0, out
        assert not body.exists()
        _install(python, index, root, tmp_path / "t2", "dep")
    assert verify(root).problems == ()


def test_fix_requirements_against_a_real_environment(
    index: FaultIndex, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A conda freeze line for an installed package becomes name==version and installs."""
    if "26.3" not in pips.available_pip_versions():
        pytest.skip("pip 26.3 is not in .ci/wheelhouse")
    venv_python = pips.new_venv(tmp_path / "venv", "26.3")
    env = pips.isolated_env()
    args = ["install", *pips.common_args(index.url, tmp_path / "c"), "dep"]
    assert pips.run_pip(venv_python, args, env=env).returncode == 0
    frozen = tmp_path / "requirements.txt"
    frozen.write_text(
        "dep @ file:///tmp/build/80754af9/dep_1600000000000/work\n"
        "other @ file:///opt/conda/pkgs/other-1.0-py_0/lib\n"
        "# keep me\n"
    )
    fixed = tmp_path / "fixed.txt"
    status, out = _main(
        capsys, "fix-requirements", str(frozen), "-o", str(fixed), "--python", str(venv_python)
    )
    assert status == 0, out
    assert fixed.read_text() == "dep==2.0\nother==1.0\n# keep me\n"
    target = tmp_path / "t"
    args = [
        "install",
        *pips.common_args(index.url, tmp_path / "c"),
        "--target",
        str(target),
        "-r",
        str(fixed),
    ]
    result = pips.run_pip(venv_python, args, env=env)
    assert result.returncode == 0, result.output


def test_doctor_on_a_real_pip(
    cache_pip: tuple[str, Path],
    index: FaultIndex,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """doctor on each real pip: version line, cache line, the local index reachable, no fail."""
    version, python = cache_pip
    for key, value in pips.isolated_env(
        {"PIP_INDEX_URL": index.url, "PIP_CACHE_DIR": str(tmp_path / "c")}
    ).items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith("PIP_")]:
        if key not in {
            "PIP_INDEX_URL",
            "PIP_CACHE_DIR",
            "PIP_CONFIG_FILE",
            "PIP_DISABLE_PIP_VERSION_CHECK",
        }:
            monkeypatch.delenv(key)
    status, out = _main(capsys, "doctor", "--python", str(python))
    lines = out.splitlines()
    assert any(line.startswith(("ok", "warn")) and f"pip: {version}" in line for line in lines)
    assert any(line.startswith("ok") and "index:" in line and "HTTP 200" in line for line in lines)
    assert any("cache:" in line and str(tmp_path / "c") in line for line in lines)
    fails = [line for line in lines if line.startswith("fail")]
    assert status == (1 if fails else 0)
    assert not [f for f in fails if "externally-managed" not in f], out
