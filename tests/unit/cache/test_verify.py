"""cache verify's content checks: zip CRCs of cached wheels, in http-v2/, http/ and wheels/."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st
from support import cachetree as ct

from safepip.cache.layout import http_entry_paths
from safepip.cache.verify import BAD_CRC, verify, zip_crcs_match

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
