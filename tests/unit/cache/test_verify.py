"""cache verify's content checks: zip CRCs of cached wheels, in http-v2/, http/ and wheels/."""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from support import cachetree as ct

from safepip.cache.layout import http_entry_paths
from safepip.cache.verify import (
    BAD_CRC,
    HASH_MISMATCH,
    NOT_REGULAR,
    TRUNCATED_ENTRY,
    _unreadable,
    verify,
    zip_crcs_match,
)
from safepip.files import TooLarge

URL = "https://files.example/p/demo-1.0-py3-none-any.whl"


def _flip(wheel: bytes) -> bytes:
    """The same wheel with one payload byte changed: same length, intact zip structure."""
    flipped = wheel.replace(b"x = 1\n", b"x = 2\n", 1)
    assert flipped != wheel
    assert len(flipped) == len(wheel)
    return flipped


def _deflated(payload: bytes) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("demo/__init__.py", payload)
        zf.writestr("demo-1.0.dist-info/METADATA", "Metadata-Version: 2.1\nName: demo\n")
    return buf.getvalue()


def test_a_flipped_byte_of_the_right_length_is_a_bad_crc(tmp_path: Path) -> None:
    """A cached body whose length and zip structure are right but whose bytes are not."""
    root = tmp_path / "cache"
    ct.add_http_v2(root, URL, _flip(ct.wheel_bytes("demo", "1.0", payload=500)))
    ct.add_http_v1(root, URL + "2", _flip(ct.wheel_bytes("demo", "2.0", payload=500)))
    ct.add_http_v2(root, URL + "3", ct.wheel_bytes("demo", "3.0", payload=500))
    report = verify(root)
    assert [p.reason for p in report.problems] == [BAD_CRC, BAD_CRC]
    meta, body, _old = http_entry_paths(root, URL)
    assert set(report.problems[0].paths) == {str(meta), str(body)}
    assert report.problems[1].paths == (str(http_entry_paths(root, URL + "2")[2]),)


def test_a_built_wheel_with_a_flipped_byte_is_a_bad_crc(tmp_path: Path) -> None:
    """wheels/: the entry directory is the problem's path (verify --fix removes it whole)."""
    root = tmp_path / "cache"
    entry = ct.add_built_wheel(root, "built", "0.1")
    (wheel,) = entry.glob("*.whl")
    wheel.write_bytes(_flip(ct.wheel_bytes("built", "0.1", payload=100)))
    (problem,) = verify(root).problems
    assert problem.reason == BAD_CRC
    assert problem.paths == (str(entry),)


def test_a_damaged_deflate_stream_is_a_bad_crc() -> None:
    """Deflated members are decompressed and checked too."""
    good = _deflated(b"print('hello')\n" * 200)
    assert zip_crcs_match(io.BytesIO(good), len(good))
    start = good.index(b"demo/__init__.py") + len(b"demo/__init__.py") + 5
    bad = good[:start] + bytes([good[start] ^ 0xFF]) + good[start + 1 :]
    assert not zip_crcs_match(io.BytesIO(bad), len(bad))


def test_the_budget_bounds_what_is_decompressed() -> None:
    """Past the budget the remaining members are trusted (bounded time on huge wheels)."""
    bad = _flip(ct.wheel_bytes("demo", "1.0", payload=500))
    assert not zip_crcs_match(io.BytesIO(bad), len(bad))
    assert zip_crcs_match(io.BytesIO(bad), len(bad), budget=10)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.binary(max_size=2000), min_size=1, max_size=5), st.booleans())
def test_healthy_zips_are_never_flagged(members: list[bytes], deflate: bool) -> None:
    """Whatever the member bytes and the method, an untouched zip matches its CRCs."""
    buf = io.BytesIO()
    method = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
    with zipfile.ZipFile(buf, "w", compression=method) as zf:
        for n, data in enumerate(members):
            zf.writestr(f"m{n}", data)
    raw = buf.getvalue()
    assert zip_crcs_match(io.BytesIO(raw), len(raw))


# --- the sha256 a cached index page states ---------------------------------------------------

HTML = {"Content-Type": "text/html; charset=utf-8"}
JSON = {"Content-Type": "application/vnd.pypi.simple.v1+json"}


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_body_whose_hash_differs_from_its_page_is_reported(tmp_path: Path) -> None:
    """Same length, a valid zip, CRCs fine: only the page's #sha256 tells it is the wrong file."""
    root = tmp_path / "cache"
    good, other = ct.wheel_bytes("demo", "1.0"), ct.wheel_bytes("demo", "1.1")
    assert len(good) == len(other)
    page = ct.html_page("demo", [f"{URL}#sha256={_sha(good)}"])
    ct.add_http_v2(root, "https://pypi.example/simple/demo/", page, headers=HTML)
    ct.add_http_v2(root, URL, other)
    ct.add_http_v1(root, URL, other)
    problems = verify(root).problems
    assert [p.reason for p in problems] == [HASH_MISMATCH, HASH_MISMATCH]
    meta, body, old = http_entry_paths(root, URL)
    assert {frozenset(p.paths) for p in problems} == {
        frozenset({str(meta), str(body)}),
        frozenset({str(old)}),
    }
    assert URL in problems[0].detail


def test_pep_691_hashes_and_matching_bodies(tmp_path: Path) -> None:
    """A JSON page's hashes are read too; a body that matches its hash is never reported."""
    root = tmp_path / "cache"
    good = ct.wheel_bytes("demo", "1.0")
    bad_url = URL.replace("demo-1.0", "demo-2.0")
    files = [
        {"filename": "demo-1.0-py3-none-any.whl", "url": URL, "hashes": {"sha256": _sha(good)}},
        {"filename": "demo-2.0-py3-none-any.whl", "url": bad_url, "hashes": {"sha256": "0" * 64}},
    ]
    page = json.dumps({"meta": {"api-version": "1.0"}, "name": "demo", "files": files}).encode()
    ct.add_http_v2(root, "https://pypi.example/simple/demo/", page, headers=JSON)
    ct.add_http_v2(root, URL, good)
    ct.add_http_v2(root, bad_url, ct.wheel_bytes("demo", "2.0"))
    (problem,) = verify(root).problems
    assert problem.reason == HASH_MISMATCH
    assert bad_url in problem.detail


def test_relative_links_and_pages_without_hashes_are_not_judged(tmp_path: Path) -> None:
    """A relative link cannot be matched to a cache key: no false alarm, whatever the body."""
    root = tmp_path / "cache"
    page = ct.html_page("demo", [f"../../files/demo-1.0-py3-none-any.whl#sha256={'0' * 64}"])
    ct.add_http_v2(root, "https://mirror.example/simple/demo/", page, headers=HTML)
    ct.add_http_v2(root, "https://mirror.example/files/demo-1.0-py3-none-any.whl", b"PK..")
    ct.add_http_v2(root, "https://pypi.example/simple/x/", ct.html_page("x", [URL]), headers=HTML)
    ct.add_http_v2(root, URL, ct.wheel_bytes("x", "1.0"))
    assert [p.reason for p in verify(root).problems] == ["truncated-zip"]


def test_a_half_written_http_entry_is_truncated_not_unreadable(tmp_path: Path) -> None:
    """An http/ entry cut short is a CacheControl entry that lost its end (issue 16)."""
    root = tmp_path / "cache"
    old = ct.add_http_v1(root, URL, ct.wheel_bytes("demo", "1.0"))
    data = old.read_bytes()
    old.write_bytes(data[: len(data) // 2])
    garbage = ct.add_http_v1(root, URL + "2", b"x")
    garbage.write_bytes(b"cc=4,\xc1garbage")
    reasons = {p.paths[0]: p.reason for p in verify(root).problems}
    assert reasons == {str(old): TRUNCATED_ENTRY, str(garbage): "unreadable-metadata"}


def test_a_symlink_to_a_healthy_file_is_not_a_regular_file(tmp_path: Path) -> None:
    """Entry names are never followed: a link to a whole wheel is reported, as pip keeps none."""
    root = tmp_path / "cache"
    ct.add_http_v2(root, URL, ct.wheel_bytes("demo", "1.0"))
    _meta, body, _old = http_entry_paths(root, URL)
    elsewhere = tmp_path / "healthy.body"
    body.rename(elsewhere)
    body.symlink_to(elsewhere)
    entry = ct.add_built_wheel(root, "built", "0.1")
    (wheel,) = entry.glob("*.whl")
    wheel.rename(tmp_path / wheel.name)
    wheel.symlink_to(tmp_path / wheel.name)
    report = verify(root)
    assert [(p.reason, p.detail) for p in report.problems] == [
        (NOT_REGULAR, "a symlink, FIFO or device where pip keeps a file: never read"),
        (
            NOT_REGULAR,
            f"{wheel.name}: a symlink, FIFO or device where pip keeps a file: never read",
        ),
    ]
    assert report.problems[1].paths == (str(entry),)
    assert report.unreadable == ()


def test_a_file_over_the_read_cap_is_unreadable_naming_the_cap() -> None:
    line = _unreadable(TooLarge("/c/http-v2/a/b", 256 * 1024 * 1024), "/c/other")
    assert line == "/c/http-v2/a/b: larger than 268435456 bytes: not read"
    assert (
        _unreadable(PermissionError(13, "Permission denied"), "/c/x") == "/c/x: Permission denied"
    )
