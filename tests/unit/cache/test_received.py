"""What pip's cache holds of a download that failed its hash: cut short, whole, or nothing."""

from __future__ import annotations

import hashlib
import os
from typing import TYPE_CHECKING

from support import cachetree as ct

from safepip.cache.layout import http_entry_paths
from safepip.cache.received import received

if TYPE_CHECKING:
    from pathlib import Path

URL = "https://files.example/p/demo-1.0-py3-none-any.whl"
WHEEL = ct.wheel_bytes("demo", "1.0", payload=4000)
HALF = WHEEL[: len(WHEEL) // 2]


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_body_shorter_than_its_content_length_is_cut_in_both_layouts(tmp_path: Path) -> None:
    full = {"Content-Length": str(len(WHEEL))}
    v2 = tmp_path / "v2"
    ct.add_http_v2(v2, URL, HALF, headers=full)
    found = received(v2, URL, _sha(HALF))
    assert found is not None
    assert (found.cut, found.size, found.length) == (True, len(HALF), len(WHEEL))
    assert found.path == str(http_entry_paths(v2, URL)[1])
    assert f"holds {len(HALF)} of the {len(WHEEL)} bytes" in found.line
    v1 = tmp_path / "v1"
    ct.add_http_v1(v1, URL, HALF, headers=full)
    found = received(v1, URL, _sha(HALF).upper())  # a Got line's case does not matter
    assert found is not None
    assert found.cut
    assert found.path == str(http_entry_paths(v1, URL)[2])


def test_a_body_of_its_full_length_arrived_whole(tmp_path: Path) -> None:
    """A whole body whose bytes are wrong (a server's bad copy) is whole, not cut."""
    bad = WHEEL.replace(b"x = 1", b"x = 2")
    ct.add_http_v2(tmp_path, URL, bad)
    found = received(tmp_path, URL, _sha(bad))
    assert found is not None
    assert not found.cut
    assert found.size == found.length == len(bad)


def test_without_content_length_a_zip_tail_decides(tmp_path: Path) -> None:
    """A body delimited by the end of the connection: its zip tail says whether it is whole."""
    ct.add_http_v2(tmp_path, URL, HALF, headers={})
    cut = received(tmp_path, URL, _sha(HALF))
    assert cut is not None
    assert cut.cut
    assert cut.length is None
    assert "a zip cut short" in cut.line
    ct.add_http_v2(tmp_path, URL + "2", WHEEL, headers={})
    whole = received(tmp_path, URL + "2", _sha(WHEEL))
    assert whole is not None
    assert not whole.cut
    tarball = b"\x1f\x8b" + b"\0" * 500  # no length and no zip: nothing to judge by
    ct.add_http_v2(tmp_path, URL + "3", tarball, headers={})
    assert received(tmp_path, URL + "3", _sha(tarball)) is None


def test_a_copy_of_other_bytes_says_nothing_about_this_download(tmp_path: Path) -> None:
    """An older copy of the URL (another sha256) is no evidence, whatever its length."""
    ct.add_http_v2(tmp_path, URL, HALF, headers={"Content-Length": str(len(WHEEL))})
    assert received(tmp_path, URL, _sha(WHEEL)) is None
    assert received(tmp_path, URL + "?other", _sha(HALF)) is None  # no entry at all
    assert received(tmp_path, "not a url", _sha(HALF)) is None


def test_no_evidence_from_redirects_empty_bodies_longer_bodies_or_planted_files(
    tmp_path: Path,
) -> None:
    ct.add_http_v2(tmp_path, URL, HALF, status=301, headers={"Content-Length": str(len(WHEEL))})
    assert received(tmp_path, URL, _sha(HALF)) is None
    ct.add_http_v2(tmp_path, URL + "1", b"", headers={"Content-Length": "10"})
    assert received(tmp_path, URL + "1", _sha(b"")) is None
    ct.add_http_v2(tmp_path, URL + "2", WHEEL, headers={"Content-Length": "10"})
    assert received(tmp_path, URL + "2", _sha(WHEEL)) is None  # longer than its length: odd
    outside = tmp_path / "outside"
    outside.write_bytes(HALF)
    meta, body, _old = http_entry_paths(tmp_path, URL + "3")
    ct.add_http_v2(tmp_path, URL + "3", b"x", headers={"Content-Length": str(len(WHEEL))})
    body.unlink()
    body.symlink_to(outside)  # a planted link is never followed
    assert received(tmp_path, URL + "3", _sha(HALF)) is None
    meta.unlink()
    os.mkfifo(meta)  # a FIFO named like the metadata never hangs the reader
    assert received(tmp_path, URL + "3", _sha(HALF)) is None
