"""pip's lines as a report shows them: no markup, no caret rows, no internals, short, once.

pip's log carries what its console hides: rich markup (``[bold magenta]full command[/]``),
Python's ``^^^^`` rows under a traceback line, and the ``pip._internal...`` traceback of the
error it already printed in plain words. The text and CI reporters show the decisive lines
through :func:`shown`; the JSON report keeps them verbatim.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from safepip import lazyre

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

#: The longest line a report shows; longer ones keep their start and end.
MAX_CHARS = 300

_STYLE = (
    r"(?:not\x20)?(?:bold|dim|italic|underline|blink|reverse|strike|red|green|yellow|blue"
    r"|magenta|cyan|white|black|bright_\w{1,10}|present-rich|link[^\]]{0,200})"
)
_MARKUP = lazyre.compile(rf"\[/\]|\[/?{_STYLE}(?:\x20{_STYLE}){{0,4}}\]")
_CARETS = lazyre.compile(r"^\s*[\^~]{2,}[\s\^~]*$")
_INTERNAL = lazyre.compile(
    r"^\s*(?:pip\._internal|pip\._vendor)\.[\w.]{1,200}?\.(\w{1,100}(?::|$))"
)


def count(number: int, one: str, many: str) -> str:
    """``number`` with its noun: ``1 entry``, ``2 entries``, ``0 entries``."""
    return f"{number} {one if number == 1 else many}"


def plain(line: str) -> str:
    """``line`` without rich markup and surrounding whitespace."""
    return _MARKUP.sub("", line).strip()


def elide(line: str, limit: int = MAX_CHARS) -> str:
    """``line`` cut to ``limit`` characters, the middle replaced by `` ... ``."""
    if len(line) <= limit:
        return line
    head = limit * 2 // 3
    tail = limit - head - 5
    return f"{line[:head]} ... {line[-tail:]}"


def is_noise(line: str) -> bool:
    """A row of carets or tildes, or an empty line: nothing to read."""
    return not line.strip() or bool(_CARETS.match(line))


def shown(lines: Iterable[str], *, last: int, skip: Iterable[str] = ()) -> list[str]:
    """The decisive lines as a report shows them: clean, elided, each once, the last ``last``.

    ``pip._internal`` traceback lines are left out while any other line is left; when they are
    all there is, they are shown without the module path (``DistributionNotFound: ...``).

    Args:
        lines: the evidence, oldest first.
        last: how many to show at most.
        skip: lines already shown (in their shown form): not repeated.
    """
    cleaned = [plain(line) for line in lines if not is_noise(plain(line))]
    internal = [line for line in cleaned if _INTERNAL.match(line)]
    others = [line for line in cleaned if not _INTERNAL.match(line)]
    picked = others or [_INTERNAL.sub(r"\1", line) for line in internal]
    done = set(skip)
    out = [elide(line) for line in dict.fromkeys(picked)]
    return [line for line in out if line not in done][-last:] if last > 0 else []


def build_lines(lines: Sequence[str]) -> list[str]:
    """A build step's output as shown: markup stripped, caret rows dropped, lines elided."""
    return [elide(_MARKUP.sub("", line).rstrip()) for line in lines if not _CARETS.match(line)]
