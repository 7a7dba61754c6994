"""A minimal msgpack decoder, enough to read CacheControl's cache entries without pip.

pip never gets imported (it is driven as a subprocess), and its vendored msgpack belongs to
whatever pip version the target interpreter has, so safepip decodes the format itself: the
cache entries are small, trusted-shape maps (``cachecontrol/serialize.py``), and the decoder
guards against hostile input (truncation, huge declared lengths, deep nesting).
"""

from __future__ import annotations

import struct


class MsgpackError(ValueError):
    """The bytes are not one complete msgpack value."""


def unpackb(data: bytes, *, max_depth: int = 32) -> object:
    """Decode one msgpack value (the subset CacheControl writes, plus ext as bytes).

    Raises:
        MsgpackError: truncated or malformed input, trailing bytes, or nesting deeper than
            ``max_depth``.
    """
    value, end = _unpack(memoryview(data), 0, max_depth)
    if end != len(data):
        raise MsgpackError(f"{len(data) - end} trailing bytes")
    return value


def _take(buf: memoryview, pos: int, n: int) -> tuple[memoryview, int]:
    if pos + n > len(buf):
        raise MsgpackError("truncated")
    return buf[pos : pos + n], pos + n


def _uint(buf: memoryview, pos: int, size: int) -> tuple[int, int]:
    raw, pos = _take(buf, pos, size)
    return int.from_bytes(raw, "big"), pos


_FIXED = {0xCC: (1, False), 0xCD: (2, False), 0xCE: (4, False), 0xCF: (8, False),
          0xD0: (1, True), 0xD1: (2, True), 0xD2: (4, True), 0xD3: (8, True)}
_SIZED = {0xC4: ("bin", 1), 0xC5: ("bin", 2), 0xC6: ("bin", 4), 0xD9: ("str", 1),
          0xDA: ("str", 2), 0xDB: ("str", 4), 0xC7: ("ext", 1), 0xC8: ("ext", 2),
          0xC9: ("ext", 4), 0xDC: ("array", 2), 0xDD: ("array", 4), 0xDE: ("map", 2),
          0xDF: ("map", 4)}
_FIXEXT = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}
_CONST: dict[int, object] = {0xC0: None, 0xC2: False, 0xC3: True}


def _unpack(buf: memoryview, pos: int, depth: int) -> tuple[object, int]:
    raw, pos = _take(buf, pos, 1)
    b = raw[0]
    if b <= 0x7F or b >= 0xE0:
        return (b if b <= 0x7F else b - 0x100), pos
    if b in _CONST:
        return _CONST[b], pos
    if b in _FIXED:
        size, signed = _FIXED[b]
        raw, pos = _take(buf, pos, size)
        return int.from_bytes(raw, "big", signed=signed), pos
    if b in (0xCA, 0xCB):
        raw, pos = _take(buf, pos, 4 if b == 0xCA else 8)
        return struct.unpack(">f" if b == 0xCA else ">d", raw)[0], pos
    if b in _FIXEXT:
        raw, pos = _take(buf, pos, 1 + _FIXEXT[b])
        return bytes(raw[1:]), pos
    if 0xA0 <= b <= 0xBF:
        kind, n = "str", b & 0x1F
    elif 0x90 <= b <= 0x9F:
        kind, n = "array", b & 0x0F
    elif 0x80 <= b <= 0x8F:
        kind, n = "map", b & 0x0F
    elif b in _SIZED:
        kind, size = _SIZED[b]
        n, pos = _uint(buf, pos, size)
    else:
        raise MsgpackError(f"invalid type byte 0x{b:02x}")
    return _unpack_sized(buf, pos, kind, n, depth)


def _unpack_sized(buf: memoryview, pos: int, kind: str, n: int, depth: int) -> tuple[object, int]:
    if kind in ("str", "bin", "ext"):
        raw, pos = _take(buf, pos, n + (1 if kind == "ext" else 0))
        if kind == "str":
            try:
                return str(raw, "utf-8"), pos
            except UnicodeDecodeError as exc:
                raise MsgpackError("invalid utf-8 in str") from exc
        return bytes(raw[1:] if kind == "ext" else raw), pos
    if depth <= 0:
        raise MsgpackError("nested too deeply")
    if n > len(buf) - pos:  # every element takes at least one byte
        raise MsgpackError("truncated")
    if kind == "array":
        items: list[object] = []
        for _ in range(n):
            item, pos = _unpack(buf, pos, depth - 1)
            items.append(item)
        return items, pos
    mapping: dict[object, object] = {}
    for _ in range(n):
        key, pos = _unpack(buf, pos, depth - 1)
        value, pos = _unpack(buf, pos, depth - 1)
        if isinstance(key, (list, dict)):
            raise MsgpackError("unhashable map key")
        mapping[key] = value
    return mapping, pos
