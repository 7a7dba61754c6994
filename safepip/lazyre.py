"""Regular expressions compiled on first use instead of when their module is imported.

safepip's modules hold about ninety patterns. Compiling all of them costs about 16 ms, and
that cost falls after a failed pip run, while the user waits for the report; classifying one
log uses a handful of them (7 is the median over a corpus of real logs). :func:`compile`
takes what :func:`re.compile` takes and returns an object that compiles the pattern the first
time one of its attributes is read, then answers every later read from the compiled pattern.

Two threads that read a new pattern at once may both compile it; each gets a correct result.
A match's ``.re`` is the compiled pattern, not the stand-in: compare matches, never a pattern's
identity (``m.re is PATTERN`` is always false).
"""

from __future__ import annotations

import re

#: What a compiled pattern offers; each is copied onto the stand-in when it compiles, so that
#: later reads are plain attribute reads.
_ATTRIBUTES = (
    "search",
    "match",
    "fullmatch",
    "finditer",
    "findall",
    "sub",
    "subn",
    "split",
    "pattern",
    "flags",
    "groups",
    "groupindex",
)


class _Deferred:
    """Stands for ``re.compile(pattern, flags)`` until an attribute of it is first read."""

    def __init__(self, pattern: str, flags: int) -> None:
        self._source = (pattern, flags)

    def __getattr__(self, name: str) -> object:
        if name == "_source":  # not set yet (a copy under construction): no compiling
            raise AttributeError(name)
        compiled = re.compile(*self._source)
        for attribute in _ATTRIBUTES:
            setattr(self, attribute, getattr(compiled, attribute))
        return getattr(compiled, name)

    def __repr__(self) -> str:
        pattern, flags = self._source
        return f"lazyre.compile({pattern!r}, {flags!r})"


def compile(pattern: str, flags: int = 0) -> re.Pattern[str]:  # noqa: A001 - re.compile's twin
    """``re.compile(pattern, flags)``, compiled when first used (a syntax error shows then)."""
    return _Deferred(pattern, flags)  # type: ignore[return-value] # reads as re.Pattern[str]
