"""The one way safepip parses JSON it did not write: it never raises anything but ValueError.

Every JSON text safepip reads comes from outside: pip's shared cache (``origin.json``, a cached
PEP 691 page), an index, the answer of the target interpreter (which may be a wrapper or a shim),
a pasted Docker log, a conda record. :func:`json.loads` raises :class:`ValueError` for text that
is not JSON, but :class:`RecursionError` for JSON nested deeper than the interpreter's recursion
limit (``[[[[...``, about 1000 levels, a few kilobytes), on every Python safepip supports (3.9 and
later, the C scanner and the pure-Python one alike). :func:`loads` turns that into a
:class:`ValueError` too, so that each caller's existing "not valid JSON" path (skip the entry,
report it, fall back) covers it instead of a traceback.

A value that did parse is at most as deep as the recursion limit allowed here; callers keep only
typed leaves of it (a ``str``, a ``list`` of ``str``) and never walk it recursively.
"""

from __future__ import annotations

import json


def loads(text: str | bytes) -> object:
    """The value of the JSON ``text``.

    Raises:
        ValueError: ``text`` is not JSON (:class:`json.JSONDecodeError`, a bad encoding, an
            integer longer than Python converts), or is nested too deeply to parse.
    """
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
