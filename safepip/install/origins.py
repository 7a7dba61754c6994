"""Where each requirement of a ``pip install`` came from: a file and line, or the command line.

pip names the file and line of a requirement it collected (``(from -r reqs.txt (line 2))``), not
of one it could not find or parse. This module reads the user's own arguments and the ``-r``
files they name (nested ``-r`` too), so that a next step can say ``reqs/dev.txt, line 3``.
It only reads: regular files, at most :data:`MAX_FILE_BYTES` each, :data:`MAX_FILES` in all.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from safepip import lazyre
from safepip.classifier.facts import name_of
from safepip.files import read_input

if TYPE_CHECKING:
    from collections.abc import Sequence

MAX_FILE_BYTES = 4 * 1024 * 1024
MAX_FILES = 32
COMMAND_LINE = "the command line"

#: ``pip install`` options that take a value (the value is not a requirement).
_VALUED = frozenset(
    {
        "-c", "--constraint", "-e", "--editable", "-r", "--requirement", "-t", "--target",
        "--platform", "--python-version", "--implementation", "--abi", "--root", "--prefix",
        "--src", "--upgrade-strategy", "-C", "--config-settings", "--global-option",
        "--no-binary", "--only-binary", "--progress-bar", "--root-user-action", "--report",
        "--group", "-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--log",
        "--log-file", "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host",
        "--cert", "--client-cert", "--cache-dir", "--use-feature", "--use-deprecated",
        "--keyring-provider", "--resume-retries", "--python", "--build", "-b",
    }
)  # fmt: skip
_LINE_OPTION = lazyre.compile(r"^(-r|--requirement|-e|--editable)(?:\s*=\s*|\s+)(\S.*)$")


def _keys(requirement: str) -> list[str]:
    """The lookup keys of one requirement: its canonical name, the path or URL it names."""
    requirement = requirement.strip()
    keys = [requirement]
    name = name_of(requirement)
    if name:
        keys.append(name)
    if " @ " in requirement:
        url = requirement.split(" @ ", 1)[1].split(";", 1)[0].strip()
        keys.append(url)
        if url.startswith("file://"):
            keys.append(url[len("file://") :])
    return keys


def _read(path: Path) -> list[str] | None:
    """The lines of a regular file, or None (missing, special, too big, unreadable)."""
    try:  # the one bounded reader: a FIFO swapped in after a check can never block the open
        # a file named "-" is a file here, never standard input
        name = str(path) if str(path) != "-" else os.path.join(os.curdir, "-")  # noqa: PTH118
        data, _ = read_input(name, MAX_FILE_BYTES, tail=False)
    except OSError:
        return None
    return data.decode("utf-8", errors="replace").splitlines()


def _add(found: dict[str, str], keys: list[str], origin: str) -> None:
    for key in keys:
        found.setdefault(key, origin)


def _from_file(shown: str, path: Path, found: dict[str, str], seen: set[Path]) -> None:
    """Record the requirements of one requirements file (nested ``-r`` followed)."""
    if len(seen) >= MAX_FILES or path in seen:
        return
    seen.add(path)
    lines = _read(path)
    if lines is None:
        return
    logical = ""
    start = 0
    for number, raw in enumerate(lines, 1):
        if not logical:
            start = number
        line = raw.split(" #", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            logical += line[:-1]
            continue
        logical += line
        text, logical = logical.strip(), ""
        if not text:
            continue
        option = _LINE_OPTION.match(text)
        if option and option.group(1) in ("-r", "--requirement"):
            nested = option.group(2).strip()
            child = path.parent / nested  # an absolute `nested` replaces the parent
            _from_file(_join(shown, nested), child, found, seen)
            continue
        if option:
            text = option.group(2).strip()
        elif text.startswith("-"):
            continue
        _add(found, _keys(text.split(" --", 1)[0]), f"{shown}, line {start}")


def _join(parent_shown: str, nested: str) -> str:
    """A nested file as the user would write it: relative to the parent file's directory."""
    return os.path.normpath(Path(parent_shown).parent / nested)


def requirement_origins(pip_args: Sequence[str], cwd: Path | None = None) -> dict[str, str]:
    """Map each requirement of ``pip_args`` (name, path, URL) to where the user wrote it.

    Args:
        pip_args: the user's ``pip install`` arguments.
        cwd: the directory pip runs in (relative ``-r`` paths); the current one when None.

    Returns:
        Keys: the requirement as written, its canonical name, the path or URL it names. Values:
        ``FILE, line N`` (FILE as the user wrote it) or :data:`COMMAND_LINE`.
    """
    base = cwd or Path.cwd()
    found: dict[str, str] = {}
    seen: set[Path] = set()
    args = list(pip_args)
    i = 0
    while i < len(args):
        arg = args[i]
        flag, eq, inline = arg.partition("=")
        value: str | None = inline if eq and arg.startswith("--") else None
        if value is None and arg.startswith("-r") and len(arg) > 2 and not arg.startswith("--"):
            flag, value = "-r", arg[2:]
        if value is None and arg.startswith("-e") and len(arg) > 2 and not arg.startswith("--"):
            flag, value = "-e", arg[2:]
        if flag in _VALUED:
            if value is None:
                i += 1
                value = args[i] if i < len(args) else None
            if value is not None and flag in ("-r", "--requirement"):
                path = base / value  # an absolute value replaces the base
                _from_file(value, path, found, seen)
            elif value is not None and flag in ("-e", "--editable"):
                _add(found, _keys(value), COMMAND_LINE)
        elif not arg.startswith("-"):
            _add(found, _keys(arg), COMMAND_LINE)
        i += 1
    return found
