"""A minimal msgpack decoder, enough to read CacheControl's cache entries without pip.

pip never gets imported (it is driven as a subprocess), and its vendored msgpack belongs to
whatever pip version the target interpreter has, so safepip decodes the format itself: the
cache entries are small maps (``cachecontrol/serialize.py``), and the decoder guards against
hostile input (truncation, huge declared lengths, deep nesting). It is written for speed
(``cache verify`` decodes one entry per cache key): one function, plain bytes indexing.

Why not the ``msgpack`` package: it publishes no pure-Python wheel, and ``safepip.pyz`` vendors
pure-Python wheels only (pinned by hash in ``tools/pyz/requirements.txt``). Its C decoder is
about 20x faster per entry (4 us against 90 us for a 275-byte entry), which would take
``cache verify`` from about 3,000 to about 5,000 entries/s on ``benchmarks/bench_cache_verify.py``;
the 2,000 entries/s target is met without it.
"""

from __future__ import annotations

import struct


class MsgpackError(ValueError):
    """The bytes are not one complete msgpack value."""


class MsgpackTruncated(MsgpackError):
    """The bytes stop before the value does (a file cut short)."""


def unpackb(data: bytes, *, max_depth: int = 32) -> object:
    """Decode one msgpack value (every type; ext values come back as their raw bytes).

    Raises:
        MsgpackError: truncated or malformed input, trailing bytes, or nesting deeper than
            ``max_depth``.
    """
    try:
        value, end = _unpack(data, 0, max_depth)
    except (IndexError, struct.error) as exc:
        raise MsgpackTruncated("truncated") from exc
    except UnicodeDecodeError as exc:
        raise MsgpackError("invalid utf-8 in a str") from exc
    if end != len(data):
        raise MsgpackError(f"{len(data) - end} trailing bytes")
    return value


_INTS = {
    0xCC: ">B",
    0xCD: ">H",
    0xCE: ">I",
    0xCF: ">Q",
    0xD0: ">b",
    0xD1: ">h",
    0xD2: ">i",
    0xD3: ">q",
    0xCA: ">f",
    0xCB: ">d",
}
_LENGTHS = {
    0xC4: ">B",
    0xC5: ">H",
    0xC6: ">I",
    0xD9: ">B",
    0xDA: ">H",
    0xDB: ">I",
    0xC7: ">B",
    0xC8: ">H",
    0xC9: ">I",
    0xDC: ">H",
    0xDD: ">I",
    0xDE: ">H",
    0xDF: ">I",
}
_FIXEXT = {0xD4: 1, 0xD5: 2, 0xD6: 4, 0xD7: 8, 0xD8: 16}
_CONST: dict[int, object] = {0xC0: None, 0xC2: False, 0xC3: True}
_STR = frozenset({0xD9, 0xDA, 0xDB})
_BIN = frozenset({0xC4, 0xC5, 0xC6})
_ARRAY = frozenset({0xDC, 0xDD})


def _slice(data: bytes, pos: int, n: int) -> tuple[bytes, int]:
    end = pos + n
    if end > len(data):
        raise MsgpackTruncated("truncated")
    return data[pos:end], end


def _unpack(data: bytes, pos: int, depth: int) -> tuple[object, int]:  # noqa: C901, PLR0911, PLR0912
    b = data[pos]
    pos += 1
    if b <= 0x7F:
        return b, pos
    if b >= 0xE0:
        return b - 0x100, pos
    if 0xA0 <= b <= 0xBF:
        raw, pos = _slice(data, pos, b & 0x1F)
        return raw.decode("utf-8"), pos
    if 0x80 <= b <= 0x9F:
        n, is_map = b & 0x0F, b <= 0x8F
    elif b in _CONST:
        return _CONST[b], pos
    elif b in _INTS:
        fmt = _INTS[b]
        return struct.unpack_from(fmt, data, pos)[0], pos + struct.calcsize(fmt)
    elif b in _FIXEXT:
        raw, pos = _slice(data, pos, 1 + _FIXEXT[b])
        return raw[1:], pos
    elif b in _LENGTHS:
        fmt = _LENGTHS[b]
        n = struct.unpack_from(fmt, data, pos)[0]
        pos += struct.calcsize(fmt)
        if b in _STR:
            raw, pos = _slice(data, pos, n)
            return raw.decode("utf-8"), pos
        if b in _BIN:
            return _slice(data, pos, n)
        if b <= 0xC9:  # ext 8/16/32: a type byte, then the data
            raw, pos = _slice(data, pos, n + 1)
            return raw[1:], pos
        is_map = b not in _ARRAY
    else:
        raise MsgpackError(f"invalid type byte 0x{b:02x}")
    if depth <= 0:
        raise MsgpackError("nested too deeply")
    if n > len(data) - pos:  # every element takes at least one byte
        raise MsgpackTruncated("truncated")
    if not is_map:
        items: list[object] = []
        for _ in range(n):
            item, pos = _unpack(data, pos, depth - 1)
            items.append(item)
        return items, pos
    mapping: dict[object, object] = {}
    for _ in range(n):
        key, pos = _unpack(data, pos, depth - 1)
        value, pos = _unpack(data, pos, depth - 1)
        if isinstance(key, (list, dict)):
            raise MsgpackError("unhashable map key")
        mapping[key] = value
    return mapping, pos
