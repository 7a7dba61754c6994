"""A proposed conflict fix as the user applies it: an edit of their input and their own command.

:func:`~safepip.conflicts.propose.propose` answers with a new requirement set. The user wrote
theirs in a requirements file or on the command line, next to other options (``--target``,
``--index-url``, more ``-r`` files). This module says which line to edit, and how
(``line 1 of req.txt: remove `bench-conf-x```, ``change `urllib3==1.20` to
`urllib3>=1.21.1```), and gives the user's own command with only that change.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safepip.classifier.facts import name_of

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

COMMAND_LINE = "the command line"


@dataclass(frozen=True)
class Edit:
    """One change to the user's input.

    Attributes:
        where: ``line 1 of req.txt`` or ``on the command line``.
        old: the requirement as the user wrote it (as pip read it).
        new: its replacement, or None when it is removed.
    """

    where: str
    old: str
    new: str | None

    def __str__(self) -> str:
        """``line 1 of req.txt: remove `x``` or ``on the command line: change `a` to `b```."""
        what = (
            f"remove `{self.old}`" if self.new is None else f"change `{self.old}` to `{self.new}`"
        )
        return f"{self.where}: {what}"


def _by_name(requirements: Sequence[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for text in requirements:
        name = name_of(text)
        if name:
            found.setdefault(name, text)
    return found


def _where(origin: str | None) -> str:
    if origin is None or origin == COMMAND_LINE:
        return "on the command line" if origin else "in your requirements"
    file, _, line = origin.rpartition(", line ")
    return f"line {line} of {file}" if file else origin


def edits(before: Sequence[str], after: Sequence[str], origins: Mapping[str, str]) -> list[Edit]:
    """The changes from ``before`` to ``after``, each at the place the user wrote it.

    Args:
        before: the user's requirements (or constraints) as pip read them.
        after: the proposed set.
        origins: canonical name or requirement text -> ``FILE, line N`` or ``the command line``
            (:func:`safepip.install.origins.requirement_origins`).
    """
    old, new = _by_name(before), _by_name(after)
    found = []
    for name, text in old.items():
        replacement = new.get(name)
        if replacement is not None and replacement.replace(" ", "") == text.replace(" ", ""):
            continue
        origin = origins.get(text) or origins.get(name)
        found.append(Edit(_where(origin), text, replacement))
    return found


def _same(arg: str, old: str) -> bool:
    return arg.replace(" ", "") == old.replace(" ", "") or (
        name_of(arg) is not None and name_of(arg) == name_of(old) and arg.strip() == old.strip()
    )


def user_command(pip_args: Sequence[str], changes: Sequence[Edit], *, program: str) -> str:
    """The user's own command with only ``changes`` applied to its command-line requirements.

    Requirements that live in a file are edited there: the command stays as it was. Every
    other argument is kept, in order.

    Args:
        pip_args: the user's ``pip install`` arguments.
        changes: the edits (:func:`edits`).
        program: what the user ran before them (``safepip install``).
    """
    args = list(pip_args)
    for change in changes:
        if change.where != "on the command line":
            continue
        for i, arg in enumerate(args):
            if _same(arg, change.old):
                if change.new is None:
                    del args[i]
                else:
                    args[i] = change.new
                break
    return f"{program} {shlex.join(args)}".strip()
