"""Tests of `safepip cache purge|verify` and the scanning behind them, on hand-built cache trees."""

from __future__ import annotations

import argparse
import contextlib
import gzip
import io
import json
import os
import tarfile
import zipfile
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from support import cachetree as ct

from safepip.cache.delete import delete
from safepip.cache.entries import HttpEntry, parse_metadata, zip_is_intact
from safepip.cache.identify import identify
from safepip.cache.layout import http_entry_paths
from safepip.cache.msgpack_decode import MsgpackError, unpackb
from safepip.cache.purge import (
    PurgeTarget,
    page_urls,
    parse_target,
    plan_all,
    plan_purge,
)
from safepip.cache.verify import (
    BODY_WITHOUT_METADATA,
    EMPTY_BODY,
    INVALID_ORIGIN,
    INVALID_WHEEL,
    LENGTH_MISMATCH,
    METADATA_WITHOUT_BODY,
    STALE_TEMP,
    TRUNCATED_ZIP,
    UNREADABLE_METADATA,
    verify,
)
from safepip.commands import cache as cachecmd
from safepip.errors import UsageError
from safepip.index.page import page_links

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from safepip.pipfacts import Query

INDEX = "https://pypi.org/simple/"
FILES = "https://files.example/packages/ab/cd"


def _no_config(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
    """The target pip as a fake: no configuration files, and nothing else may be asked."""
    assert list(argv[1:5]) == ["-m", "pip", "config", "debug"], argv
    return 0, "env_var:\nenv:\nglobal:\n"


def _run(*argv: str, query: Query = _no_config) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="safepip cache")
    cachecmd.configure(parser)
    out, err = io.StringIO(), io.StringIO()
    status = cachecmd.run(parser.parse_args(list(argv)), out, err, query=query)
    return status, out.getvalue(), err.getvalue()


# --- msgpack and metadata ---------------------------------------------------------------


@given(
    st.recursive(
        st.none()
        | st.booleans()
        | st.integers(-(2**63), 2**64 - 1)
        | st.text()
        | st.binary()
        | st.floats(allow_nan=False),
        lambda children: (
            st.lists(children, max_size=4)
            | st.dictionaries(st.text(max_size=5), children, max_size=4)
        ),
        max_leaves=20,
    )
)
def test_unpackb_roundtrips(value: object) -> None:
    """What the test encoder writes, the decoder reads back unchanged."""
    assert unpackb(ct.packb(value)) == value


@settings(max_examples=300)
@given(st.binary(max_size=200))
def test_unpackb_never_crashes(data: bytes) -> None:
    """Arbitrary bytes either decode or raise MsgpackError, never anything else."""
    with contextlib.suppress(MsgpackError):
        unpackb(data)


def test_unpackb_refuses_huge_declared_length() -> None:
    """A 4 GiB array header on 5 bytes is truncation, not a 4 GiB allocation."""
    with pytest.raises(MsgpackError):
        unpackb(b"\xdd\xff\xff\xff\xff")


def test_parse_metadata_reads_cachecontrol_entry() -> None:
    """A cc=4 entry gives status, lower-cased headers and the embedded body."""
    parsed = parse_metadata(ct.metadata(headers={"Content-Length": "3"}, body=b"abc"))
    assert parsed is not None
    assert (parsed.status, parsed.content_length, parsed.body) == (200, 3, b"abc")


@pytest.mark.parametrize("data", [b"", b"cc=2,xxxx", b"cc=4,\xc1", b"cc=4," + ct.packb([1])])
def test_parse_metadata_rejects_unreadable(data: bytes) -> None:
    """Other serde versions, bad msgpack and wrong shapes are unreadable (pip ignores them)."""
    assert parse_metadata(data) is None


# --- zip tail check ---------------------------------------------------------------------


def test_zip_is_intact_on_whole_and_truncated_wheels() -> None:
    """A whole wheel passes; any truncation of its tail fails."""
    data = ct.wheel_bytes("demo", "1.0", payload=5000)
    assert zip_is_intact(io.BytesIO(data), len(data))
    for cut in (1, 10, 22, 100, len(data) // 2):
        short = data[:-cut]
        assert not zip_is_intact(io.BytesIO(short), len(short))


def test_zip_is_intact_with_comment() -> None:
    """An archive comment after the EOCD record is allowed."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("a", "b")
        zf.comment = b"PK\x05\x06 tricky comment"
    data = buf.getvalue()
    assert zip_is_intact(io.BytesIO(data), len(data))


# --- verify -----------------------------------------------------------------------------


@pytest.fixture
def healthy(tmp_path: Path) -> Path:
    """A cache with healthy entries of every kind: pages, wheels, sdists, old layout, redirects."""
    root = tmp_path / "cache"
    ct.add_http_v2(
        root, INDEX + "demo/", ct.html_page("demo", [f"{FILES}/demo-1.0-py3-none-any.whl"])
    )
    ct.add_http_v2(root, f"{FILES}/demo-1.0-py3-none-any.whl", ct.wheel_bytes("demo", "1.0"))
    ct.add_http_v2(root, f"{FILES}/dep-2.0.tar.gz", ct.sdist_bytes("dep", "2.0"))
    ct.add_http_v2(root, "https://h/redirect/", b"", status=301, headers={"Content-Length": "57"})
    ct.add_http_v2(root, "https://h/chunked/", b"<html></html>", headers={})
    ct.add_http_v1(root, f"{FILES}/old-1.0-py3-none-any.whl", ct.wheel_bytes("old", "1.0"))
    ct.add_built_wheel(root, "built", "0.1")
    return root


def test_verify_healthy_cache_has_no_problems(healthy: Path) -> None:
    """No healthy entry is ever reported, and every entry is counted."""
    report = verify(healthy)
    assert report.problems == ()
    assert report.checked == 7


def _damage(root: Path) -> dict[str, set[str]]:
    """Add one damaged entry per reason; return reason -> expected paths."""
    expected: dict[str, set[str]] = {}
    wheel = ct.wheel_bytes("bad", "1.0", payload=3000)
    m, b = ct.add_http_v2(
        root, f"{FILES}/empty.whl", b"", headers={"Content-Length": str(len(wheel))}
    )
    expected[EMPTY_BODY] = {str(m), str(b)}
    m, b = ct.add_http_v2(root, f"{FILES}/trunc.whl", wheel[:-100], headers={})
    expected[TRUNCATED_ZIP] = {str(m), str(b)}
    m, b = ct.add_http_v2(
        root, f"{FILES}/short.tar.gz", b"x" * 10, headers={"Content-Length": "99"}
    )
    expected[LENGTH_MISMATCH] = {str(m), str(b)}
    m, b = ct.add_http_v2(root, f"{FILES}/nobody.whl", wheel)
    b.unlink()
    expected[METADATA_WITHOUT_BODY] = {str(m)}
    m, b = ct.add_http_v2(root, f"{FILES}/nometa.whl", wheel)
    m.unlink()
    expected[BODY_WITHOUT_METADATA] = {str(b)}
    m, b = ct.add_http_v2(root, f"{FILES}/garbage.whl", wheel)
    m.write_bytes(b"cc=4,\xc1garbage")
    expected[UNREADABLE_METADATA] = {str(m), str(b)}
    old = ct.add_http_v1(root, f"{FILES}/oldtrunc.whl", wheel[:-50], headers={})
    expected[TRUNCATED_ZIP] |= {str(old)}
    entry = ct.add_built_wheel(root, "brokenwheel", "1.0")
    whl = next(entry.glob("*.whl"))
    whl.write_bytes(whl.read_bytes()[:-30])
    expected[INVALID_WHEEL] = {str(entry)}
    entry = ct.add_built_wheel(root, "badorigin", "1.0")
    (entry / "origin.json").write_text("{not json")
    expected[INVALID_ORIGIN] = {str(entry)}
    temp = m.with_name(m.name + ".bodyab12cd_9.tmp")
    temp.write_bytes(b"partial")
    os.utime(temp, (1, 1))
    fresh = m.with_name(m.name + "zz12cd_9.tmp")
    fresh.write_bytes(b"being written")
    expected[STALE_TEMP] = {str(temp)}
    return expected


def test_verify_finds_every_damaged_entry_and_no_healthy_one(healthy: Path) -> None:
    """Each kind of damage is found with exactly its files; healthy entries and fresh temps stay."""
    expected = _damage(healthy)
    found: dict[str, set[str]] = {}
    for problem in verify(healthy).problems:
        found.setdefault(problem.reason, set()).update(problem.paths)
    assert found == expected


def test_verify_fix_removes_exactly_the_damage(healthy: Path) -> None:
    """--fix deletes the reported entries and nothing else; a second verify is clean."""
    before = ct.snapshot(healthy)
    _damage(healthy)
    status, out, _err = _run("verify", "--fix", "--cache-dir", str(healthy))
    assert status == 0
    assert "removed" in out
    after = ct.snapshot(healthy) - {".safepip.lock"}
    fresh_temp = {p for p in after if p.endswith("zz12cd_9.tmp")}
    assert after - fresh_temp == before
    assert verify(healthy).problems == ()


def test_verify_exit_status_and_json(healthy: Path) -> None:
    """verify exits 1 when corruption is found, and --json lists reasons and paths."""
    _damage(healthy)
    status, out, _err = _run("verify", "--json", "--cache-dir", str(healthy))
    assert status == 1
    doc = json.loads(out)
    assert doc["checked"] > 7
    assert {p["reason"] for p in doc["problems"]} >= {EMPTY_BODY, TRUNCATED_ZIP, STALE_TEMP}
    assert "fix" not in doc


def test_verify_fix_dry_run_deletes_nothing(healthy: Path) -> None:
    """verify --fix --dry-run reports what would go and leaves the cache as it was."""
    _damage(healthy)
    before = ct.snapshot(healthy)
    status, out, _err = _run("verify", "--fix", "--dry-run", "--cache-dir", str(healthy))
    assert status == 0
    assert "would remove" in out
    assert ct.snapshot(healthy) == before


def test_verify_empty_or_missing_cache(tmp_path: Path) -> None:
    """A missing cache dir verifies clean (nothing to check)."""
    status, out, _err = _run("verify", "--cache-dir", str(tmp_path / "none"))
    assert status == 0
    assert "0 entries checked" in out


# --- purge: names, files, pages ---------------------------------------------------------


@pytest.mark.parametrize("spec", ["demo>=1", "demo[x]", "https://x/demo.whl", ""])
def test_parse_target_rejects(spec: str) -> None:
    """Only NAME and NAME==VERSION are accepted."""
    with pytest.raises(UsageError):
        parse_target(spec)


def test_page_urls_both_spellings() -> None:
    """Index pages are tried with the normalised and the given name, per index."""
    urls = page_urls(["https://a/simple", "https://b/s/"], parse_target("Foo_Bar==1"))
    assert urls == [
        "https://a/simple/foo-bar/",
        "https://a/simple/Foo_Bar/",
        "https://b/s/foo-bar/",
        "https://b/s/Foo_Bar/",
    ]


def test_page_links_html_relative_and_base() -> None:
    """HTML hrefs resolve against the page (or its <base>), fragments dropped, entities decoded."""
    page = b"<a href=\"../../f/demo-1.0.tar.gz#sha256=00\">x</a><a href='x.whl?a=1&amp;b=2'>y</a>"
    assert page_links(page, "https://h/simple/demo/") == [
        "https://h/f/demo-1.0.tar.gz",
        "https://h/simple/demo/x.whl?a=1&b=2",
    ]
    based = b'<base href="https://cdn/p/"><a href="demo-1.0.tar.gz">x</a>'
    assert page_links(based, "https://h/simple/demo/") == ["https://cdn/p/demo-1.0.tar.gz"]


def test_page_links_json() -> None:
    """PEP 691 JSON pages give their files' URLs."""
    page = ct.json_page("demo", ["https://f/demo-1.0.tar.gz", "/rel/demo-1.0-py3-none-any.whl"])
    assert page_links(page, "https://h/simple/demo/") == [
        "https://f/demo-1.0.tar.gz",
        "https://h/rel/demo-1.0-py3-none-any.whl",
    ]


@pytest.fixture
def mixed(tmp_path: Path) -> tuple[Path, set[str]]:
    """A cache holding demo 1.0 and 2.0 (in many shapes) and other projects; returns the others' files."""
    root = tmp_path / "cache"
    ct.add_http_v2(root, INDEX + "other/", ct.html_page("other", [f"{FILES}/other-1.0.tar.gz"]))
    ct.add_http_v2(root, f"{FILES}/other-1.0.tar.gz", ct.sdist_bytes("other", "1.0"))
    ct.add_http_v2(
        root, f"{FILES}/demolition-1.0-py3-none-any.whl", ct.wheel_bytes("demolition", "1.0")
    )
    ct.add_http_v1(root, f"{FILES}/old-1.0-py3-none-any.whl", ct.wheel_bytes("old", "1.0"))
    ct.add_built_wheel(root, "other", "1.0")
    others = ct.snapshot(root)
    w1, w2 = f"{FILES}/demo-1.0-py3-none-any.whl", f"{FILES}/demo-2.0-py3-none-any.whl"
    ct.add_http_v2(
        root, INDEX + "demo/", ct.html_page("demo", [w1, w2, f"{FILES}/demo-1.0.tar.gz"])
    )
    ct.add_http_v2(root, w1, ct.wheel_bytes("demo", "1.0")[:-40], headers={})  # truncated
    ct.add_http_v2(root, w1 + ".metadata", ct.core_metadata("demo", "1.0"))
    ct.add_http_v2(root, w2, b"", headers={})  # empty: only its URL identifies it
    ct.add_http_v2(root, f"{FILES}/demo-1.0.tar.gz", ct.sdist_bytes("demo", "1.0"))
    # a mirror not in the configured indexes: found by content only
    ct.add_http_v2(
        root, "https://mirror/simple/demo/", ct.json_page("demo", ["https://mirror/d.whl"])
    )
    ct.add_http_v2(root, "https://mirror/d.whl", ct.wheel_bytes("demo", "2.0"))
    ct.add_http_v1(root, f"{FILES}/x/demo-1.0-py3-none-any.whl", ct.wheel_bytes("demo", "1.0"))
    ct.add_built_wheel(root, "demo", "1.0")
    ct.add_built_wheel(root, "demo", "2.0")
    return root, others


def test_purge_removes_every_entry_of_the_project_and_nothing_else(
    mixed: tuple[Path, set[str]],
) -> None:
    """Pages, files by URL (even empty/truncated), by content, old layout and built wheels go."""
    root, others = mixed
    status, out, _err = _run("purge", "demo", "--cache-dir", str(root))
    assert status == 0
    assert ct.snapshot(root) - {".safepip.lock"} == others
    assert "index page https://pypi.org/simple/demo/" in out
    assert "freed" in out


def test_purge_one_version(mixed: tuple[Path, set[str]]) -> None:
    """NAME==VERSION keeps the other version's files (the shared page goes)."""
    root, _others = mixed
    plan = plan_purge(root, [parse_target("demo==2.0")], [INDEX])
    whats = " | ".join(item.what for item in plan)
    assert "demo-2.0-py3-none-any.whl" in whats
    assert "demo-1.0" not in whats
    assert "wheel demo 1.0" not in whats


def test_purge_dry_run_and_json(mixed: tuple[Path, set[str]]) -> None:
    """--dry-run --json lists the entries and bytes and deletes nothing."""
    root, _others = mixed
    before = ct.snapshot(root)
    status, out, _err = _run("purge", "demo", "--dry-run", "--json", "--cache-dir", str(root))
    doc = json.loads(out)
    assert status == 0
    assert doc["dry_run"] is True
    assert doc["bytes_freed"] > 0
    assert len(doc["entries"]) >= 10
    assert ct.snapshot(root) == before


def test_purge_all(mixed: tuple[Path, set[str]]) -> None:
    """--all empties http/, http-v2/ and wheels/, counting the entries that really went."""
    root, _others = mixed
    entries = len(plan_all(root))
    status, out, _err = _run("purge", "--all", "--cache-dir", str(root))
    assert status == 0
    assert ct.snapshot(root) <= {".safepip.lock"}
    assert entries >= 10
    assert f"removed {entries} entries" in out


def test_purge_honours_the_index_of_pip_conf(tmp_path: Path) -> None:
    """The index set in a pip config file is the one whose cached page of the project goes.

    An empty cached page (PyPI's bodiless 304, docs/failure-kinds.md §A) names no project, so
    only its URL finds it. Before, the purge read only ``PIP_INDEX_URL`` and left it behind.
    """
    root = tmp_path / "cache"
    mirror = "https://mirror.example/simple/"
    ct.add_http_v2(root, mirror + "demo/", b"", headers={})
    ct.add_http_v2(root, mirror + "other/", b"", headers={})
    config = (
        f"env_var:\nenv:\nglobal:\n  /etc/pip.conf, exists: True\n    global.index-url: {mirror}\n"
    )

    def pip_with_a_mirror(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        assert list(argv[1:5]) == ["-m", "pip", "config", "debug"]
        return 0, config

    status, out, _err = _run("purge", "demo", "--cache-dir", str(root), query=pip_with_a_mirror)
    assert status == 0
    assert f"index page {mirror}demo/" in out
    assert ct.snapshot(root) - {".safepip.lock"} == {
        str(p.relative_to(root)) for p in http_entry_paths(root, mirror + "other/")[:2]
    }


@pytest.mark.parametrize("argv", [["purge"], ["purge", "--all", "demo"], ["purge", "demo>=1"]])
def test_purge_usage_errors(tmp_path: Path, argv: list[str]) -> None:
    """No names, names with --all, or a range raise UsageError (exit 2 via the CLI)."""
    with pytest.raises(UsageError):
        _run(*argv, "--cache-dir", str(tmp_path))


def test_purge_nothing_cached(tmp_path: Path) -> None:
    """Purging a project with no entries says so and succeeds."""
    status, out, _err = _run("purge", "nope", "--cache-dir", str(tmp_path))
    assert status == 0
    assert "nothing cached" in out


def test_purge_redacts_credentials_in_index_urls(tmp_path: Path) -> None:
    """An index URL with user:password never reaches the output."""
    index = "https://user:s3cret@private.example/simple/"
    ct.add_http_v2(tmp_path, index + "demo/", ct.html_page("demo", []))
    status, out, err = _run("purge", "demo", "-i", index, "--cache-dir", str(tmp_path))
    assert status == 0
    assert "s3cret" not in out + err
    assert "private.example" in out


def test_cache_disabled_is_a_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """With PIP_NO_CACHE_DIR set and no --cache-dir there is no cache to work on."""
    monkeypatch.setenv("PIP_NO_CACHE_DIR", "1")
    with pytest.raises(UsageError, match="disabled"):
        _run("verify")


def test_common_options_before_subcommand(healthy: Path) -> None:
    """--cache-dir may also come before the subcommand."""
    status, out, _err = _run("--cache-dir", str(healthy), "verify")
    assert status == 0
    assert "7 entries checked" in out


def test_delete_refuses_paths_from_a_hostile_plan(healthy: Path) -> None:
    """Even a plan pointing outside the cache (hand-made here) cannot delete there."""
    report = delete(healthy, [str(healthy.parent)])
    assert report.refused == (str(healthy.parent),)
    assert healthy.is_dir()


def test_target_is_frozen() -> None:
    """Targets carry the given and the normalised name."""
    assert parse_target("Foo.Bar == 1.0") == PurgeTarget("Foo.Bar", "foo-bar", "1.0")


# --- what a body is (cachesniff) -----------------------------------------------------------


def _entry(root: Path, url: str) -> HttpEntry:
    meta, body, _old = http_entry_paths(root, url)
    return HttpEntry("http-v2", meta.name, str(meta), str(body) if body.exists() else None)


def test_identify_gzip_encoded_page_like_pypi(tmp_path: Path) -> None:
    """A page cached with Content-Encoding: gzip (as PyPI serves it) is read after decoding."""
    page = ct.json_page("Demo", [f"{FILES}/demo-1.0-py3-none-any.whl"])
    url = INDEX + "demo/"
    ct.add_http_v2(tmp_path, url, gzip.compress(page), headers={"Content-Encoding": "gzip"})
    identity = identify(_entry(tmp_path, url))
    assert identity is not None
    assert (identity.kind, identity.name) == ("page", "Demo")
    assert identity.filenames == ("demo-1.0-py3-none-any.whl",)


def test_purge_follows_links_of_a_gzip_page(tmp_path: Path) -> None:
    """The file entries of a gzip-encoded page are found by URL even when their body is empty."""
    wheel_url = f"{FILES}/demo-1.0-py3-none-any.whl"
    page = ct.html_page("demo", [wheel_url + "#sha256=00"])
    ct.add_http_v2(
        tmp_path, INDEX + "demo/", gzip.compress(page), headers={"Content-Encoding": "gzip"}
    )
    ct.add_http_v2(tmp_path, wheel_url, b"", headers={})
    whats = {item.what for item in plan_purge(tmp_path, [parse_target("demo")], [INDEX])}
    assert whats == {f"index page {INDEX}demo/", wheel_url}


def test_identify_pax_sdist_and_zip_sdist(tmp_path: Path) -> None:
    """Sdists are recognised through pax headers (tar) and by PKG-INFO (zip)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tf:
        data = b"Metadata-Version: 2.1\nName: paxy\nVersion: 3.0\n"
        info = tarfile.TarInfo("paxy-3.0/" + "d" * 120 + "/PKG-INFO")  # long name: pax header
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    ct.add_http_v2(tmp_path, f"{FILES}/paxy-3.0.tar.gz", gzip.compress(raw.getvalue()))
    zipped = io.BytesIO()
    with zipfile.ZipFile(zipped, "w") as zf:
        zf.writestr("zippy-0.1/PKG-INFO", "Name: zippy\n")
    ct.add_http_v2(tmp_path, f"{FILES}/zippy-0.1.zip", zipped.getvalue())
    pax = identify(_entry(tmp_path, f"{FILES}/paxy-3.0.tar.gz"))
    zipped_id = identify(_entry(tmp_path, f"{FILES}/zippy-0.1.zip"))
    assert pax is not None
    assert (pax.kind, pax.name) == ("sdist", "paxy-3.0")
    assert zipped_id is not None
    assert (zipped_id.kind, zipped_id.name) == ("sdist", "zippy-0.1")


def test_identify_unknown_and_unreadable(tmp_path: Path) -> None:
    """Random bytes, brotli-encoded pages and missing bodies identify as nothing (never crash)."""
    ct.add_http_v2(tmp_path, "https://h/a", b"\x00\x01random")
    ct.add_http_v2(tmp_path, "https://h/b", b"....", headers={"Content-Encoding": "br"})
    _meta, body = ct.add_http_v2(tmp_path, "https://h/c", b"x")
    body.unlink()
    for url in ("https://h/a", "https://h/b", "https://h/c"):
        assert identify(_entry(tmp_path, url)) is None


@settings(max_examples=200)
@given(st.binary(max_size=300))
def test_scanners_never_crash_on_garbage(data: bytes) -> None:
    """Metadata parsing and the zip tail check accept any bytes without raising."""
    parse_metadata(b"cc=4," + data)
    zip_is_intact(io.BytesIO(b"PK" + data), len(data) + 2)
    zip_is_intact(io.BytesIO(data + b"PK\x05\x06" + data[:18]), len(data) + 4 + len(data[:18]))


def test_purge_by_content_removes_both_layouts_copies(tmp_path: Path) -> None:
    """A URL cached in http/ (pip <= 23.2) and http-v2/ goes from both in one run (issue 16)."""
    root = tmp_path / "cache"
    url = "https://mirror.example/files/demo-1.0-py3-none-any.whl"  # on no configured index
    wheel = ct.wheel_bytes("demo", "1.0")
    ct.add_http_v2(root, url, wheel)
    ct.add_http_v1(root, url, wheel)
    status, out, _err = _run("purge", "demo", "--cache-dir", str(root))
    assert status == 0
    assert not [p for p in http_entry_paths(root, url) if p.exists()]
    assert "(by content, http-v2/)" in out
    assert "(by content, http/)" in out


@pytest.mark.parametrize("value", ["-1", "0", "nan", "inf"])
def test_verify_refuses_a_stale_after_that_is_not_positive(tmp_path: Path, value: str) -> None:
    """A negative --stale-after would call every pip temp file stale, a running pip's too.

    It is refused like doctor's --timeout (one rule for seconds): argparse's usage error, exit 2.
    """
    with pytest.raises(SystemExit) as stopped:
        _run("verify", "--fix", "--stale-after", value, "--cache-dir", str(tmp_path))
    assert stopped.value.code == 2
