r"""Turn raw pip output (console, ``--log`` file, CI log) into lines the classifier can read.

Pure and lazy, so that a 50 MB CI log costs a few whole-text passes in C, not a Python loop
over every line:

- :func:`normalize` splits the text once (CRLF folded) and marks the line ranges that sit inside
  nested build output (docs/failure-kinds.md §E build-failure, §D): pip >= 22
  ``[N lines of output]`` …
  ``[end of output]``; pip <= 21 ``Complete output (N lines):`` … a 40-dash line; and, in pip's
  ``--log`` file or at ``-v`` (where pip streams the output instead of boxing it),
  ``Running command <desc>`` … the failure that ends it.
- :meth:`Log.find` returns the lines holding any of a few literal keywords (``str.find`` in C).
- :meth:`Log.clean` cleans one line on demand: keeps the text after the last ``\\r`` (progress
  redraws), cuts it to :data:`MAX_LINE` characters, strips ANSI escapes and the prefixes that CI
  systems and wrappers add (pip ``--log`` and GitHub Actions timestamps, BuildKit ``#12 3.456``,
  ``remote:``, pytest ``E       ``, ``[conda/stderr]``, ``[pipenv.exceptions.…]:``, poetry ``|``
  gutters; docs/failure-kinds.md §G.1).

Every pattern here is linear: bounded repetitions only, applied to bounded lines.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safepip import lazyre
from safepip.classifier import paste

if TYPE_CHECKING:
    from collections.abc import Iterable

#: Longest line (in characters) the classifier looks at; the rest of a longer line is ignored.
MAX_LINE = 8192

_ANSI = lazyre.compile(
    r"""
    \x1b
    (?: \[ [0-?]{0,32} [ -/]{0,8} [@-~]        # CSI: colours, cursor moves
      | \] [^\x07\x1b]{0,512} (?:\x07|\x1b\\)  # OSC: hyperlinks, titles
      | [@-Z\\-_]                              # two-byte escapes
    )
    """,
    re.VERBOSE,
)

_PREFIX = lazyre.compile(
    r"""
    (?:
        \d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:[.,]\d{1,9})?(?:Z|[+-]\d\d:?\d\d)?\x20  # --log, GHA
        (?:\d{2}[OE]\+?\x20)?                                             # GitLab: stream, O/E
      | \[\d{4}-\d\d-\d\d[T\x20][\d:.,]{8,20}Z?\]\x20                # Jenkins timestamper
      | \#\d{1,6}\x20\d{1,7}\.\d{1,4}\x20                            # BuildKit --progress=plain
      | remote:\x20?                                                  # git / Heroku builds
      | E\x20{7}                                                      # pytest failure output
      | \[conda/std(?:err|out)\]:?\x20?                               # conda env create
      | \[pipenv\.exceptions\.\w{1,64}\]:\x20?                        # pipenv (§C)
      | \x20{0,4}\|\x20                                               # poetry/tox gutters
      | \d\d:\d\d:\d\d(?:[.,]\d{1,6})?\x20                                 # bare clock times
      | >\x20?(?=\S|\x20)                                              # e-mail / markdown quote
      | \x20{0,2}=>\x20=>\x20\#\x20                                     # BuildKit TTY step output
      | \d{1,6}\.\d{1,4}\x20(?=[A-Z\x20])                                # BuildKit, step id cut
      | \x20{0,8}(?:(?:std(?:out|err)|docker|Error):|\#\#\[(?:error|warning)\])\x20?  # wrappers
        (?=\x20{0,12}(?:ERROR|WARNING|error|Error|Collecting|Downloading|Using|Looking|\S{1,64}Error))
    ){1,6}
    """,
    re.VERBOSE,
)

# Nested build output (docs/failure-kinds.md §E build-failure, classify the inner block first):
# the literal that marks each kind of boundary. ``open`` is checked to follow ``[<digits> ``.
_BLOCK_MARKERS: tuple[tuple[str, str], ...] = (
    ("lines of output]", "open"),  # pip >= 22: ╰─> [N lines of output]
    ("[end of output]", "close"),
    ("Complete output (", "oldopen"),  # pip <= 21: Complete output (N lines):
    ("Complete output from command", "oldopen"),  # pip <= 19
    ("-" * 40, "oldclose"),
    ("Running command ", "run"),  # --log / -v: the output is streamed, not boxed
    ("did not run successfully", "fail"),
    ("subprocess-exited-with-error", "fail"),
    (" exited with ", "fail"),  # --log: "<desc> exited with 1"
    ("finished with status 'error'", "fail"),
    ("Command errored out", "fail"),
    ("finished with status 'done'", "done"),
)
_COUNT_OPEN = lazyre.compile(r"\[(\d{1,9})\x20\Z", re.VERBOSE)
_COUNT_OLD = lazyre.compile(r"(\d{1,9})\x20lines\)", re.VERBOSE)
_CLOSER = {"open": "close", "oldopen": "oldclose"}


#: Characters a terminal acts on rather than shows: C0 controls but the tab, DEL, C1 controls,
#: and the bidirectional overrides that reorder what is shown. A log is untrusted text; safepip
#: prints its lines (evidence, names, paths) and must not let them move the cursor, clear the
#: screen or hide a word.
_CONTROLS = dict.fromkeys(
    [
        *range(0x09),
        *range(0x0A, 0x20),
        0x7F,
        *range(0x80, 0xA0),
        *range(0x202A, 0x202F),
        *range(0x2066, 0x206A),
    ],
    "?",
)


def clean_line(raw: str) -> str:
    r"""Clean one raw line: progress redraws, length bound, ANSI, CI and wrapper prefixes.

    Args:
        raw: one line of pip output, without its ``\n``.

    Returns:
        The line as pip printed it (leading indentation kept, trailing blanks removed).
    """
    line = raw
    if "\r" in line:
        line = line.rstrip("\r")
        line = line[line.rfind("\r") + 1 :]
    line = line[:MAX_LINE]
    if "\x1b" in line:
        line = _ANSI.sub("", line)
    if not line.isprintable():  # what no escape sequence explains: shown as "?", never run
        line = line.translate(_CONTROLS)
    match = _PREFIX.match(line)
    if match:
        line = line[match.end() :]
    return line.rstrip()


@dataclass(frozen=True)
class Log:
    r"""A pip log split into lines, with its nested-output ranges.

    Attributes:
        text: the whole text, CRLF folded to LF.
        lines: the raw lines (``text.split("\\n")``); use :meth:`clean` to read one.
        blocks: sorted, non-overlapping ``(first, last)`` line ranges (inclusive) of nested build
            output.
    """

    text: str
    lines: tuple[str, ...]
    blocks: tuple[tuple[int, int], ...]

    def clean(self, index: int) -> str:
        """Return line ``index`` cleaned by :func:`clean_line`."""
        return clean_line(self.lines[index])

    def nested(self, index: int) -> bool:
        """Tell whether line ``index`` sits inside nested build output."""
        pos = bisect.bisect_right(self.blocks, (index, len(self.lines))) - 1
        return pos >= 0 and self.blocks[pos][0] <= index <= self.blocks[pos][1]

    def block_of(self, index: int) -> tuple[int, int] | None:
        """Return the nested-output range holding line ``index``, if any."""
        pos = bisect.bisect_right(self.blocks, (index, len(self.lines))) - 1
        if pos >= 0 and self.blocks[pos][0] <= index <= self.blocks[pos][1]:
            return self.blocks[pos]
        return None

    def find(self, keywords: Iterable[str]) -> list[int]:
        """Return, in order, the indices of the lines that contain any of ``keywords``.

        Each keyword costs one ``str.find`` pass in C; each line is reported once per keyword.
        """
        return _find_lines(self.text, keywords)


def _find_lines(text: str, keywords: Iterable[str]) -> list[int]:
    positions: list[int] = []
    for keyword in keywords:
        pos = text.find(keyword)
        while pos != -1:
            positions.append(pos)
            end = text.find("\n", pos)
            if end == -1:
                break
            pos = text.find(keyword, end + 1)
    positions.sort()
    return sorted(set(_line_numbers(text, positions)))


def _line_numbers(text: str, positions: list[int]) -> list[int]:
    """Map sorted character offsets to line indices, counting newlines in C."""
    out: list[int] = []
    line = 0
    prev = 0
    for pos in positions:
        line += text.count("\n", prev, pos)
        prev = pos
        out.append(line)
    return out


def normalize(text: str) -> Log:
    """Split ``text`` into lines and mark the nested build output.

    Args:
        text: pip's console output, its ``--log`` file, or a CI log holding either.

    Returns:
        The :class:`Log`; it keeps a reference to the (CRLF-folded) text.
    """
    if "\r\n" in text:
        text = text.replace("\r\n", "\n")
    text = paste.restore(text)
    lines = tuple(text.split("\n"))
    return Log(text=text, lines=lines, blocks=_blocks(text))


def _blocks(text: str) -> tuple[tuple[int, int], ...]:  # noqa: C901, PLR0912 - one flat state machine
    """Find the nested-output ranges from the block markers (``str.find`` passes in C)."""
    marks: list[tuple[int, str, int]] = []  # (offset, kind, line count announced or -1)
    for literal, kind in _BLOCK_MARKERS:
        pos = text.find(literal)
        while pos != -1:
            count = -1
            if kind == "open":
                m = _COUNT_OPEN.search(text, max(0, pos - 12), pos)
                count = int(m.group(1)) if m else -2
            elif kind == "oldopen":
                m = _COUNT_OLD.match(text, pos + len(literal), pos + len(literal) + 20)
                count = int(m.group(1)) if m else -1
            if count != -2:
                marks.append((pos, kind, count))
            end = text.find("\n", pos)
            if end == -1:
                break
            pos = text.find(literal, end + 1)
    marks.sort()
    numbers = _line_numbers(text, [pos for pos, _, _ in marks])
    blocks: list[tuple[int, int]] = []
    stack: list[str] = []  # the closers expected, innermost last
    start = 0
    announced = -1  # the line count the outermost open block announced (pip prints exactly N)
    running: int | None = None  # a "Running command" whose output is streaming (--log, -v)
    for line, (_, kind, count) in zip(numbers, marks):
        if kind in _CLOSER:
            if not stack:
                start = line + 1
                announced = count
            stack.append(_CLOSER[kind])
            running = None
        elif stack:
            if kind == stack[-1]:
                stack.pop()
                if not stack and line > start:
                    blocks.append((start, line - 1))
        elif kind == "run":
            running = line + 1
        elif kind == "fail" and running is not None:
            # pip logs the streamed output, then the failure: the lines between are nested.
            if line > running:
                blocks.append((running, line - 1))
            running = None
        elif kind == "done":
            running = None
    if stack:  # never closed (a paste cut the closer): the announced count bounds it
        last = text.count("\n")
        blocks.append((start, min(last, start + announced - 1) if announced > 0 else last))
    return tuple(_merge(blocks))


def _merge(blocks: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort and merge overlapping ranges."""
    merged: list[tuple[int, int]] = []
    for first, last in sorted(blocks):
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


#: Lines of a build step's output shown when pip kept them out of the console.
SHOWN_BUILD_LINES = 40


def hidden_build_output(text: str, *, limit: int = SHOWN_BUILD_LINES) -> list[str]:
    """The output of the last build step that pip streamed to its ``--log`` only.

    With ``--log`` pip raises its logging to DEBUG, decides the build output is "already shown",
    logs it at VERBOSE (the file gets it, the console does not) and the error block then says
    "No available output" / "See above for output" (pip's ``utils/subprocess.py``). safepip adds
    ``--log``, so it gives the user those lines back from the log.

    Args:
        text: pip's ``--log`` text.
        limit: the most lines returned (the last ones, where the error is).

    Returns:
        The cleaned lines after the last ``Running command <step>`` line up to the step's end
        (pip's ``error: subprocess-exited-with-error`` or ``...: finished with status``);
        empty when the log has no such step.
    """
    start = text.rfind("Running command ")
    if start < 0:
        return []
    lines = text[start:].splitlines()[1:]
    shown: list[str] = []
    for raw in lines:
        line = clean_line(raw)
        if "error: subprocess-exited-with-error" in line or ": finished with status" in line:
            break
        shown.append(line)
    while shown and not shown[-1].strip():
        shown.pop()
    return shown[-limit:]
