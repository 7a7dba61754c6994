"""``safepip fix-requirements``: rewrite conda ``pip freeze`` artefacts as ``name==version``.

``pip freeze`` in a conda environment writes ``pkg @ file:///tmp/build/80754af9/pkg_1620000000000/work``
for conda-installed packages (PEP 610 ``direct_url.json``, pip >= 20.1). Anywhere else that path
does not exist and pip stops with ``[Errno 2] No such file or directory`` (docs/failure-kinds.md §D,
local-path-missing). Each such line whose path is missing becomes ``pkg==<version>``, with the
version installed in the target environment or, failing that, one found in the path (conda
package dirs such as ``pkgs/pkg-1.2.3-py39_0``, wheel or sdist file names). Every other byte of
the file is kept: comments, options, markers, ``--hash`` continuation lines, line endings.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable
from urllib.parse import unquote, urlsplit

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

from safepip import jsonparse, lazyre
from safepip.errors import UsageError
from safepip.files import read_input, reason, write_file
from safepip.index.page import file_version
from safepip.pipargs import default_python
from safepip.report.redact import redact

if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping
    from typing import TextIO

    from safepip.pipfacts import Query

#: ``name[extras] @ file:...`` up to the first whitespace; the rest of the line (marker after
#: `` ;``, a `` #`` comment, options, a trailing ``\``) is kept as it is.
_LINE = lazyre.compile(
    r"(?P<lead>[ \t\ufeff]*)(?P<name>[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)"
    r"(?P<extras>[ \t]*\[[^\]\r\n]*\])?[ \t]*@[ \t]*(?P<url>file:[^ \t\r\n]+)(?P<rest>[^\r\n]*)"
)
#: The largest requirements file read (a real one is a few kB).
MAX_BYTES = 16 * 1024 * 1024
_SDIST = (".tar.gz", ".zip", ".tar.bz2", ".tgz")

#: Asks the target interpreter for ``{name: version}`` of every installed distribution.
INSTALLED_SCRIPT = (
    "import importlib.metadata as m, json\n"
    "out = {}\n"
    "for d in m.distributions():\n"
    "    n = d.metadata['Name']\n"
    "    if n: out.setdefault(n, d.version)\n"
    "print(json.dumps(out))\n"
)


@dataclass(frozen=True)
class LineChange:
    """One line rewritten, or one that could not be.

    Attributes:
        lineno: 1-based line number in the input.
        name: the project name.
        old: the line as it was (without its line ending).
        new: the new line, or "" when it could not be fixed.
        detail: where the version came from, or why the line could not be fixed.
    """

    lineno: int
    name: str
    old: str
    new: str
    detail: str


@dataclass(frozen=True)
class FixResult:
    """The rewritten text and what happened to each ``@ file:`` line.

    Attributes:
        text: the new file content.
        changed: lines rewritten as ``name==version``.
        unfixed: lines with a missing path and no known version (kept as they were).
    """

    text: str
    changed: tuple[LineChange, ...]
    unfixed: tuple[LineChange, ...]


def url_path(url: str) -> str:
    """The local path of a ``file:`` URL (``file:///x``, ``file://localhost/x``, ``file:/x``)."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" in the authority: take the text after "file:"
        return unquote(url[len("file:") :])
    path = unquote(parts.path)
    if parts.netloc not in ("", "localhost"):
        path = f"//{parts.netloc}{path}"  # a UNC share
    if re.match(r"/[A-Za-z]:[/\\]", path) and sys.platform == "win32":  # pragma: no cover
        path = path[1:]
    return path


def version_from_path(path: str, name: str) -> str | None:
    """Find a version of project ``name`` in a path (conda pkgs dir, wheel, sdist), else None.

    ``/tmp/build/80754af9/numpy_1620000000000/work`` holds none; ``.../pkgs/numpy-1.20.1-py39h_0/``
    and ``.../numpy-1.20.1-cp39-cp39-linux_x86_64.whl`` do.
    """
    canonical = canonicalize_name(name)
    for segment in reversed(re.split(r"[/\\]", path)):
        parsed = file_version(segment, canonical)  # a wheel or an sdist of the project
        if parsed is not None:
            return str(parsed[0])
        if segment.endswith((".whl", *_SDIST)):
            continue
        pieces = segment.split("-")
        # name-version (plain dirs), then name-version-build (conda package dirs)
        for cut in (len(pieces) - 1, len(pieces) - 2):
            name_part = "-".join(pieces[:cut])
            if cut >= 1 and canonicalize_name(name_part) == canonical and _is_version(pieces[cut]):
                return pieces[cut]
    return None


def _is_version(text: str) -> bool:
    try:
        Version(text)
    except InvalidVersion:
        return False
    return True


#: A fallback source: (name, path) -> (version, where it came from), or None.
Fallback = Callable[[str, str], "tuple[str, str] | None"]

#: Sources whose version is a guess, not what the file's environment had: the line says so.
_NOTED = ("the index",)


def fix_text(
    text: str,
    installed: Mapping[str, str],
    exists: Callable[[str], bool],
    *,
    fallback: Fallback | None = None,
    unpin: bool = False,
) -> FixResult:
    """Rewrite the ``name @ file:`` lines of a requirements text whose path does not exist.

    Args:
        text: the requirements file content (any line endings).
        installed: versions installed in the target environment, by project name (any spelling).
        exists: tells whether a local path exists (injected: the core stays pure).
        fallback: asked, after the installed versions and the path, for a version and its
            source (a conda environment's records, the index).
        unpin: write the bare name instead of ``name==version`` (no version needed).

    Returns:
        The new text (identical bytes except for the rewritten lines) and the per-line report.
    """
    versions: dict[str, str] = {str(canonicalize_name(k)): v for k, v in installed.items()}
    out: list[str] = []
    changed: list[LineChange] = []
    unfixed: list[LineChange] = []
    continued = False
    for lineno, line in enumerate(text.splitlines(keepends=True), start=1):
        body = line.rstrip("\r\n")
        ending = line[len(body) :]
        match = None if continued else _LINE.fullmatch(body)
        continued = body.endswith("\\")
        if match is None or exists(url_path(match.group("url"))):
            out.append(line)
            continue
        name = match.group("name")
        found = (None, "unpinned: --unpin") if unpin else _version(match, versions, fallback)
        version, detail = found or (None, "")
        if version is None and not unpin:
            unfixed.append(LineChange(lineno, name, body, "", _UNFIXED))
            out.append(line)
            continue
        extras = (match.group("extras") or "").strip()
        pin = f"=={version}" if version else ""
        new = f"{match.group('lead')}{name}{extras}{pin}{match.group('rest')}"
        if continued or "--hash" in body:
            detail += "; its --hash values pin the local build and may not match the index's files"
        elif any(source in detail for source in _NOTED) and "#" not in match.group("rest"):
            old = f"{name}{extras} @ {match.group('url')}"
            new += f"  # was: {old} (version {detail})"
        changed.append(LineChange(lineno, name, body, new, detail))
        out.append(new + ending)
    return FixResult("".join(out), tuple(changed), tuple(unfixed))


def _version(
    match: re.Match[str], versions: Mapping[str, str], fallback: Fallback | None
) -> tuple[str, str] | None:
    """The version of a line's project and where it came from, in the documented order."""
    name = match.group("name")
    version = versions.get(canonicalize_name(name))
    if version is not None:
        return version, "installed in the target environment"
    path = url_path(match.group("url"))
    version = version_from_path(path, name)
    if version is not None:
        return version, "found in the path"
    return fallback(name, path) if fallback else None


_UNFIXED = "the path does not exist and no version is known (install it or pin it by hand)"


# --- the subcommand --------------------------------------------------------------------


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``fix-requirements`` arguments."""
    parser.add_argument("input", metavar="IN", help="requirements file ('-' for stdin)")
    parser.add_argument("-o", "--output", metavar="OUT", help="write here (default: stdout)")
    parser.add_argument("--in-place", action="store_true", help="rewrite IN itself")
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="the environment whose versions to use (default: the active venv)",
    )
    parser.add_argument(
        "--conda-prefix",
        metavar="PATH",
        help="a conda environment whose conda-meta records give versions (default: $CONDA_PREFIX)",
    )
    parser.add_argument(
        "--unpin", action="store_true", help="write the bare project name, with no version"
    )


def installed_versions(python: str, env: Mapping[str, str], query: Query) -> dict[str, str] | None:
    """Ask ``python`` for its installed distributions; None when it cannot answer."""
    for argv in (
        [python, "-c", INSTALLED_SCRIPT],
        [python, "-m", "pip", "list", "--format", "json", "--disable-pip-version-check"],
    ):
        returncode, stdout = query(argv, env)
        if returncode != 0:
            continue
        try:
            data = jsonparse.loads(stdout)
        except ValueError:
            continue
        if isinstance(data, dict):
            return {str(k): str(v) for k, v in data.items()}
        if isinstance(data, list):
            return {
                str(d["name"]): str(d["version"])
                for d in data
                if isinstance(d, dict) and "name" in d and "version" in d
            }
    return None


def run(
    options: argparse.Namespace, out: TextIO, err: TextIO, *, query: Query | None = None
) -> int:
    """Rewrite the file; report each changed or unfixable line on ``err``.

    Args:
        options: the parsed command line.
        out: where the rewritten file goes without ``-o``.
        err: where changed and unfixable lines are reported.
        query: asks the target interpreter for its installed versions
            (:func:`safepip.runner.query` by default).

    Returns:
        0 when every missing-path line was fixed, 1 when some line was left unfixed.

    Raises:
        UsageError: unreadable input, or an output that would overwrite IN without --in-place.
    """
    text = _read(options.input)
    if options.in_place and (options.input == "-" or options.output):
        raise UsageError("--in-place rewrites IN itself: give a file and no -o")
    if options.output and options.input != "-" and _same_file(options.input, options.output):
        raise UsageError("refusing to overwrite IN", hint="pass --in-place to rewrite it")
    env = dict(os.environ)
    python = options.python or default_python(env, sys.executable)
    if query is None:
        from safepip.runner import query as real  # noqa: PLC0415 - only when asking the target

        query = real
    installed = installed_versions(python, env, query)
    if installed is None:
        err.write(
            redact(f"safepip: could not list the packages of {python}; using versions in paths")
            + "\n"
        )
    fallback = _fallback(options, python, env, query, err)
    result = fix_text(text, installed or {}, _exists, fallback=fallback, unpin=bool(options.unpin))
    said = [
        (c.lineno, f"line {c.lineno}: {c.name}: {c.old.strip()} -> {_pin(c.new)} ({c.detail})")
        for c in result.changed
    ]
    said += [
        (c.lineno, f"line {c.lineno}: {c.name}: NOT FIXED: {c.detail}") for c in result.unfixed
    ]
    err.writelines(redact(text) + "\n" for _, text in sorted(said))
    _write(options, result.text, out)
    unfixed = f", {len(result.unfixed)} not fixed" if result.unfixed else ""
    err.write(f"{len(result.changed)} line(s) changed{unfixed}\n")
    return 1 if result.unfixed else 0


def _pin(line: str) -> str:
    """A rewritten line as a message shows it: without the ``# was:`` note it carries."""
    return line.split("  # was: ", 1)[0].strip()


def _fallback(
    options: argparse.Namespace, python: str, env: Mapping[str, str], query: Query, err: TextIO
) -> Fallback:
    """Versions from a conda environment's records, then from the configured index (lazily)."""
    from safepip.commands import fix_sources  # noqa: PLC0415

    prefix = getattr(options, "conda_prefix", None) or env.get("CONDA_PREFIX")
    conda = fix_sources.conda_versions(prefix)
    lookup: list[Callable[[str], str | None]] = []

    def find(name: str, _path: str) -> tuple[str, str] | None:
        version = conda.get(canonicalize_name(name))
        if version is not None:
            return version, f"recorded in {prefix}/conda-meta"
        if not lookup:
            index = fix_sources.configured_index(python, env, query)
            if index is None:
                lookup.append(lambda _name: None)
                err.write(f"safepip: {python}'s pip did not report its index: not asked\n")
            else:
                lookup.append(fix_sources.index_lookup(index, python, env))
                err.write(redact(f"safepip: versions not found locally come from {index}") + "\n")
        newest = lookup[0](name)
        return None if newest is None else (newest, "from the index")

    return find


def _read(name: str) -> str:
    """Read IN (a regular file, or standard input), at most :data:`MAX_BYTES`."""
    try:
        data, _ = read_input(name, MAX_BYTES, tail=False)
    except OSError as exc:
        where = "standard input" if name == "-" else name
        raise UsageError(f"cannot read {where}: {reason(exc)}") from exc
    # surrogateescape: bytes that are not UTF-8 come back out unchanged
    return data.decode("utf-8", errors="surrogateescape")


def _exists(path: str) -> bool:
    """Whether a local path exists; a name too long, or holding a NUL, does not."""
    try:
        Path(path).stat()
    except (OSError, ValueError):
        return False
    return True


def _same_file(a: str, b: str) -> bool:
    try:
        return Path(a).resolve() == Path(b).resolve()
    except OSError:
        return False


def _write(options: argparse.Namespace, text: str, out: TextIO) -> None:
    target = options.input if options.in_place else options.output
    if not target:
        out.write(text)
        return
    out.flush()  # "-o -" shares standard output with anything already written there
    try:
        write_file(target, text.encode("utf-8", errors="surrogateescape"))
    except OSError as exc:
        raise UsageError(f"cannot write {target}: {reason(exc)}") from exc
