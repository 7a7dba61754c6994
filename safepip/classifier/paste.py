r"""Undo what transports and pastes did to pip's lines before the classifier reads them.

- The Docker Engine API streams a build's output as JSON objects, one per line
  (``{"stream":"...\n"}``, ``{"error":"..."}``): :func:`restore` decodes them back to text.
- A terminal, an e-mail or an issue viewer may hard-wrap a paste at a fixed width ``W``: every
  line that is exactly ``W`` characters long (and none is longer) continues on the next line,
  cut in the middle of a word (``There was a proble`` / ``m confirming``). Such lines are joined.
- A reporter's own line break right after an errno marker (``[Errno 2]`` / ``No such file or
  directory: '...'``) is joined too: the marker and its path belong to one message.

Only texts up to :data:`UNWRAP_MAX` characters are unwrapped: hard wraps come from pastes, which
are small, while a CI log or pip's ``--log`` file is never wrapped (so the 50 MB case stays a few
passes in C).
"""

from __future__ import annotations

from safepip import jsonparse, lazyre

#: Longest text (characters) checked for hard wraps.
UNWRAP_MAX = 1_000_000
#: Terminal and viewer widths that hard-wrap (Windows consoles default to 80 and 120).
_WIDTHS = frozenset({72, 76, 78, 79, 80, 100, 120, 132, 150, 160, 180, 200, 220, 240})
#: Distinct lines of exactly the wrap width needed to believe in a wrap (repeated lines of one
#: length, such as pip's Retrying warnings, are not a wrap).
_MIN_WRAPPED = 2
_DIGITS = lazyre.compile(r"\d")
#: Lines this close below the width count as long lines of the text.
_NEAR = 12
_ERRNO_BREAK = lazyre.compile(r"(\[(?:Errno|WinError)\x20-?\d{1,6}\])\x20?\n(?=\S)")
_JSON_STREAM = '{"stream":"'


def restore(text: str) -> str:
    """The text as pip printed it, as far as it can be told (see the module docstring)."""
    if text.lstrip()[:1] == "{" and _JSON_STREAM in text[:4096].replace(" ", ""):
        text = _docker_json(text)
    if len(text) > UNWRAP_MAX:
        return text
    if "]\n" in text or "] \n" in text:
        text = _ERRNO_BREAK.sub(r"\1 ", text)
    return _unwrap(text)


def _docker_json(text: str) -> str:
    """The ``stream`` and ``error`` texts of a Docker Engine API JSON stream, in order."""
    out: list[str] = []
    for line in text.split("\n"):
        stripped = line.strip()
        if not stripped:
            continue
        if not stripped.startswith("{"):
            out.append(line + "\n")
            continue
        try:
            item = jsonparse.loads(stripped)
        except ValueError:
            out.append(line + "\n")
            continue
        if not isinstance(item, dict):
            continue
        for key in ("stream", "error"):
            value = item.get(key)
            if isinstance(value, str):
                out.append(value if value.endswith("\n") else value + "\n")
    return "".join(out)


def _unwrap(text: str) -> str:
    """Join the lines of a paste hard-wrapped at a fixed width (none longer, several exactly)."""
    lines = text.split("\n")
    lengths = [len(line) for line in lines]
    width = max(lengths, default=0)
    if width not in _WIDTHS:
        return text
    full = {_DIGITS.sub("", line) for line, length in zip(lines, lengths) if length == width}
    if len(full) < _MIN_WRAPPED:
        return text
    # A wrap cuts most long lines at exactly the width; lines that merely come close to it
    # (longest lines of an unwrapped log) are spread over the lengths below it.
    near = sum(1 for length in lengths if length >= width - _NEAR)
    if 2 * lengths.count(width) < near:
        return text
    out: list[str] = []
    current = ""
    for line, length in zip(lines, lengths):
        current += line
        if length != width:
            out.append(current)
            current = ""
    if current:
        out.append(current)
    return "\n".join(out)
