"""Build pip cache trees by hand, byte-compatible with what pip writes (docs/failure-kinds.md §A).

Used by the cache unit tests and by ``benchmarks/bench_cache_verify.py``. Entries are written the
way pip's CacheControl does: metadata ``b"cc=4," + msgpack({...})``, the body raw, in
``http-v2/h0/h1/h2/h3/h4/<h>`` (+ ``.body``) or in the old one-file ``http/`` layout.
:func:`lock_held` has another process hold a cache's lock.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import io
import json
import struct
import subprocess
import sys
import tarfile
import zipfile
from typing import TYPE_CHECKING

from safepip.cache import layout as cache

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

_HOLDER = """
import fcntl, os, sys, time
fd = os.open(sys.argv[1], os.O_RDONLY | os.O_CREAT, 0o666)
fcntl.flock(fd, fcntl.LOCK_EX)
print("locked", flush=True)
time.sleep(int(sys.argv[2]))
"""


@contextlib.contextmanager
def lock_held(root: Path, *, seconds: int = 120) -> Iterator[None]:
    """Another process holds the lock of the cache at ``root`` until the block ends.

    It opens the lock file read-only, as a reader would, takes ``flock(LOCK_EX)`` and keeps it
    for ``seconds`` at most; the block starts once the lock is taken.
    """
    lock = root / cache.LOCK_NAME
    argv = [sys.executable, "-c", _HOLDER, str(lock), str(seconds)]
    with subprocess.Popen(argv, stdout=subprocess.PIPE) as holder:
        try:
            assert holder.stdout is not None
            assert holder.stdout.readline().strip() == b"locked"
            yield
        finally:
            holder.kill()


def packb(obj: object) -> bytes:  # noqa: PLR0911 - one return per msgpack type
    """Encode a value as msgpack (the subset CacheControl writes; ``use_bin_type=True``)."""
    if obj is None:
        return b"\xc0"
    if obj is True:
        return b"\xc3"
    if obj is False:
        return b"\xc2"
    if isinstance(obj, int):
        if 0 <= obj <= 0x7F:
            return bytes([obj])
        if -32 <= obj < 0:
            return struct.pack(">b", obj)
        return b"\xd3" + struct.pack(">q", obj) if obj < 0 else b"\xcf" + struct.pack(">Q", obj)
    if isinstance(obj, float):
        return b"\xcb" + struct.pack(">d", obj)
    if isinstance(obj, str):
        raw = obj.encode()
        if len(raw) < 32:
            return bytes([0xA0 | len(raw)]) + raw
        return b"\xdb" + struct.pack(">I", len(raw)) + raw
    if isinstance(obj, bytes):
        return b"\xc6" + struct.pack(">I", len(obj)) + obj
    if isinstance(obj, (list, tuple)):
        return b"\xdd" + struct.pack(">I", len(obj)) + b"".join(packb(x) for x in obj)
    if isinstance(obj, dict):
        items = b"".join(packb(k) + packb(v) for k, v in obj.items())
        return b"\xdf" + struct.pack(">I", len(obj)) + items
    raise TypeError(type(obj))


def metadata(
    *, status: int = 200, headers: Mapping[str, str] | None = None, body: bytes = b""
) -> bytes:
    """A CacheControl ``cc=4`` entry, as pip's ``Serializer.dumps`` writes it."""
    data = {
        "response": {
            "body": body,
            "headers": dict(headers or {}),
            "status": status,
            "version": 11,
            "reason": "OK",
            "decode_content": True,
        },
        "vary": {},
    }
    return b"cc=4," + packb(data)


def _write(path: Path, data: bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def add_http_v2(
    root: Path,
    url: str,
    body: bytes,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> tuple[Path, Path]:
    """Write an http-v2 entry (pip >= 23.3): metadata and ``.body``; Content-Length by default."""
    hdrs = {"Content-Length": str(len(body))} if headers is None else dict(headers)
    meta, body_path, _old = cache.http_entry_paths(root, url)
    _write(meta, metadata(status=status, headers=hdrs))
    _write(body_path, body)
    return meta, body_path


def add_http_v1(
    root: Path,
    url: str,
    body: bytes,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Path:
    """Write an old ``http/`` entry (pip <= 23.2): one file, body inside the msgpack."""
    hdrs = {"Content-Length": str(len(body))} if headers is None else dict(headers)
    _meta, _body, old = cache.http_entry_paths(root, url)
    return _write(old, metadata(status=status, headers=hdrs, body=body))


def wheel_bytes(name: str, version: str, *, payload: int = 0) -> bytes:
    """A minimal valid wheel (zip with ``<name>-<version>.dist-info/``)."""
    dist = name.replace("-", "_")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(f"{dist}/__init__.py", "x = 1\n" + "#" * payload)
        zf.writestr(
            f"{dist}-{version}.dist-info/METADATA",
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
        )
        zf.writestr(f"{dist}-{version}.dist-info/WHEEL", "Wheel-Version: 1.0\n")
        zf.writestr(f"{dist}-{version}.dist-info/RECORD", "")
    return buf.getvalue()


def sdist_bytes(name: str, version: str) -> bytes:
    """A minimal sdist tarball (``<name>-<version>/PKG-INFO``), gzip-compressed."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tf:
        data = f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode()
        info = tarfile.TarInfo(f"{name}-{version}/PKG-INFO")
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return gzip.compress(raw.getvalue())


def core_metadata(name: str, version: str) -> bytes:
    """A PEP 658 ``.metadata`` body."""
    return f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\nlong description\n".encode()


def html_page(name: str, hrefs: Sequence[str]) -> bytes:
    """A PEP 503 project page."""
    links = "".join(f'<a href="{h}">{h.rsplit("/", 1)[-1].split("#")[0]}</a><br/>\n' for h in hrefs)
    return (
        f"<!DOCTYPE html><html><head><title>Links for {name}</title></head>"
        f"<body><h1>Links for {name}</h1>\n{links}</body></html>\n"
    ).encode()


def json_page(name: str, urls: Sequence[str]) -> bytes:
    """A PEP 691 project page."""
    files = [{"filename": u.rsplit("/", 1)[-1], "url": u, "hashes": {}} for u in urls]
    return json.dumps({"meta": {"api-version": "1.0"}, "name": name, "files": files}).encode()


def add_built_wheel(root: Path, name: str, version: str, *, link: str = "") -> Path:
    """Write a ``wheels/aa/bb/cc/<rest>/`` entry the way pip's wheel cache does; return the dir."""
    key = hashlib.sha224(json.dumps({"url": link or f"{name}-{version}"}).encode()).hexdigest()
    entry = root / "wheels" / key[:2] / key[2:4] / key[4:6] / key[6:]
    dist = name.replace("-", "_")
    _write(entry / f"{dist}-{version}-py3-none-any.whl", wheel_bytes(name, version))
    _write(entry / "origin.json", json.dumps({"url": link or "file:///src"}).encode())
    return entry


def snapshot(root: Path) -> set[str]:
    """Every file below ``root`` (relative paths), to compare before/after a purge."""
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}
