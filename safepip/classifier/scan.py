"""Label the lines of a normalised pip log with the first matching row of the signature table.

Step 1 of the decision (docs/failure-kinds.md §G.2): only lines holding a trigger keyword are tried
against :data:`safepip.classifier.rules.RULES`, and lines before the last top-level ``Successfully
installed`` belong to an earlier, successful pip run and are ignored. Which hit decides is
:mod:`safepip.classifier.decide`'s business.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safepip.classifier import patterns as pat
from safepip.classifier import rules as sig

if TYPE_CHECKING:
    from safepip.classifier.normalize import Log

#: A traceback frame's source line starts so; it quotes code, not a message.
SOURCE_LINES = ("raise ", "except ", 'File "')


@dataclass(frozen=True)
class Hit:
    """A line that a rule labels.

    Attributes:
        index: the line index in the log.
        line: the cleaned line.
        rule: the first rule that matches it.
        nested: whether the line is inside nested build output.
        weak: whether it is a warning or debug line (weak evidence).
    """

    index: int
    line: str
    rule: sig.Rule
    nested: bool
    weak: bool


def success_boundary(log: Log) -> int:
    """Index of the last top-level ``Successfully installed`` line, or -1."""
    text = log.text
    pos = text.rfind("Successfully installed")
    if pos == -1:
        return -1
    index = text.count("\n", 0, pos)
    while pos != -1:
        if not log.nested(index) and pat.SUCCESS.match(log.clean(index)):
            return index
        previous = text.rfind("Successfully installed", 0, pos)
        if previous != -1:
            index -= text.count("\n", previous, pos)  # walk back without recounting
        pos = previous
    return -1


def scan(log: Log, boundary: int) -> list[Hit]:
    """The labelled lines after line ``boundary``, in order."""
    hits = []
    seen: dict[str, sig.Rule | None] = {}  # logs repeat lines (warnings, retries)
    for index in log.find(sig.TRIGGERS):
        if index <= boundary:
            continue
        line = log.clean(index)
        if line.lstrip().startswith(SOURCE_LINES):
            continue  # a traceback frame's source line, not a message
        if line not in seen:
            seen[line] = first_rule(line)
        rule = seen[line]
        if rule is not None:
            weak = rule.warning or pat.WEAK_LINE.match(line) is not None
            hits.append(Hit(index, line, rule, log.nested(index), weak))
    return hits


def first_rule(line: str) -> sig.Rule | None:
    """The first rule of the table matching ``line`` (its needles gate the regex)."""
    errno: re.Match[str] | bool | None = False  # the Errno marker and path, read once
    for rule in sig.RULES:
        for needle in rule.needles:
            if needle not in line:
                continue
            if not rule.errnos:
                if rule.pattern.search(line):
                    return rule
                break
            if errno is False:
                errno = pat.ERRNO_PATH.search(line)
            if (
                isinstance(errno, re.Match)
                and errno.group(1) in rule.errnos
                and rule.pattern.search(errno.group(2))
            ):
                return rule
            break
    return None


def last_errors(log: Log, hits: list[Hit]) -> tuple[str, ...]:
    """Up to 5 last error lines (not warnings, not traceback source), for ``unknown``."""
    lines = [log.clean(i) for i in log.find(("ERROR", "error:", "Error:", "rror:"))[-20:]]
    errors = [
        line
        for line in lines
        if line.strip() and not line.lstrip().startswith(("WARNING", *SOURCE_LINES))
    ]
    return tuple(errors[-5:]) or tuple(h.line for h in hits[-5:])
