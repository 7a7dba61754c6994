"""Pure argument handling for ``safepip install``.

safepip's own options come first, everything from the first unknown token on belongs to pip
and is passed through untouched. Each safepip option can also be set with a ``SAFEPIP_*``
environment variable (for Dockerfiles and CI); the command line wins over the environment.

safepip never rewrites the user's pip arguments. It adds ``--no-input`` (a 401 would otherwise
hang or die with EOFError in CI, docs/failure-kinds.md §E auth) and a private ``--log`` file
unless the user gave one, and remedies append their own options after the user's (optparse: last
one wins).
"""

from __future__ import annotations

import os

from safepip.errors import UsageError

#: ``typing``, ``dataclasses`` and ``pathlib`` stay off the path of a clean install, which parses
#: its options here before pip starts (benchmarks/bench_overhead.py): mypy reads this as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping, Sequence
    from typing import Callable

    from safepip.model import Options, PipFacts


#: Seconds after which safepip starts no new attempt and no new wait when the user gave no
#: ``--time-budget``. It never ends a running pip: only a budget the user gave does that.
DEFAULT_TIME_BUDGET = 900.0

#: The least a pip run is given under a time budget: an attempt that starts gets this much.
MIN_RUN_SECONDS = 1.0

#: The largest ``--time-budget`` accepted (a week): beyond it a timer cannot be armed reliably.
MAX_TIME_BUDGET = 7 * 24 * 3600.0


def run_timeout(budget: float | None, elapsed: float) -> float | None:
    """The seconds the next pip run gets under the user's ``--time-budget``.

    Args:
        budget: the user's budget; None when they gave none (then pip is never ended).
        elapsed: seconds of the budget spent so far.
    """
    return None if budget is None else max(MIN_RUN_SECONDS, budget - elapsed)


class _Spec:
    """One safepip option: its flag, its ``Options`` field, its conversion, its help.

    A plain class: a dataclass would load ``dataclasses`` before pip starts.
    """

    __slots__ = ("convert", "field", "flag", "help")

    def __init__(self, flag: str, field: str, convert: Callable[[str], object], help: str) -> None:  # noqa: A002
        """One row of :data:`SPECS`."""
        self.flag = flag
        self.field = field
        self.convert = convert
        self.help = help

    @property
    def env(self) -> str:
        """``SAFEPIP_<FLAG>``: ``--max-wait`` is ``SAFEPIP_MAX_WAIT``, ``--safepip-quiet`` QUIET."""
        name = self.flag.removeprefix("--").removeprefix("safepip-")
        return "SAFEPIP_" + name.upper().replace("-", "_")

    @property
    def takes_value(self) -> bool:
        """Whether the option takes a value; the others are switches."""
        return self.convert is not _truthy


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise ValueError(text)
    return value


def _non_negative_float(text: str) -> float:
    """Seconds: a finite number from 0 to a week (NaN, infinities and negatives are refused)."""
    value = float(text)
    if not 0 <= value <= MAX_TIME_BUDGET:  # also false for NaN
        raise ValueError(text)
    return value


def positive_seconds(text: str) -> float:
    """Seconds for a timeout: more than 0, at most a week (``argparse`` ``type=``)."""
    value = _non_negative_float(text)
    if value == 0:
        raise ValueError(text)
    return value


def add_seconds_option(
    parser: argparse.ArgumentParser, flag: str, *, default: float, text: str
) -> None:
    """Add ``flag SECONDS`` to a command: more than 0, at most a week (:func:`positive_seconds`).

    Args:
        parser: the command's parser.
        flag: the option, e.g. ``--timeout``.
        default: seconds when the option is not given.
        text: the ``--help`` text.
    """
    parser.add_argument(flag, type=positive_seconds, default=default, metavar="SECONDS", help=text)


def _truthy(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"", "0", "false", "no", "off"}:
        return False
    raise ValueError(text)


#: safepip's install options, in the order ``--help`` shows them (a table: one row per option).
SPECS: tuple[_Spec, ...] = (
    _Spec("--attempts", "attempts", _positive_int, "most pip runs in total (default 4; 1 disables"
          " retrying)"),
    _Spec("--time-budget", "time_budget", _non_negative_float, "seconds for the whole install,"
          " waits included; pip is ended when it runs out (default: none, a running pip is never"
          " ended; at most a week)"),
    _Spec("--backoff", "backoff_base", _non_negative_float, "first wait between attempts in"
          " seconds; doubles each time, with jitter (default 1)"),
    _Spec("--max-wait", "max_wait", _non_negative_float, "cap of one wait in seconds (default 30)"),
    _Spec("--no-remedy", "no_remedy", _truthy, "diagnose only: no cache change and no retry"),
    _Spec("--remedy-dry-run", "remedy_dry_run", _truthy, "show the cache entries a remedy would"
          " delete, delete nothing"),
    _Spec("--report-json", "report_json", str, "write a JSON report of every attempt to this file"),
    _Spec("--python", "python", str, "interpreter whose pip to run (default: the active virtual"
          " environment's, else safepip's)"),
    _Spec("--no-explain", "no_explain", _truthy, "on a resolution conflict, do not search the index"
          " for a verified fix"),
    _Spec("--safepip-quiet", "quiet", _truthy, "print only the final failure (pip's own -q also"
          " quiets safepip)"),
)  # fmt: skip
_BY_FLAG = {spec.flag: spec for spec in SPECS}


def _convert(spec: _Spec, raw: str, origin: str) -> object:
    try:
        return spec.convert(raw)
    except ValueError:
        msg = f"invalid value {raw!r} for {origin}"
        raise UsageError(msg, hint=f"{spec.flag}: {spec.help}") from None


def split_install_args(argv: Sequence[str], env: Mapping[str, str]) -> tuple[Options, list[str]]:
    """Split ``safepip install`` arguments into safepip's options and pip's arguments.

    See :func:`parse_install_args`; this returns the options as an
    :class:`~safepip.model.Options` record.

    Raises:
        UsageError: a bad value, or a safepip option missing its value.
    """
    from safepip.model import Options  # noqa: PLC0415 - the record, after pip started

    values, pip_args = parse_install_args(argv, env)
    return Options(**values), pip_args  # type: ignore[arg-type]


def parse_install_args(
    argv: Sequence[str], env: Mapping[str, str]
) -> tuple[dict[str, object], list[str]]:
    """Split ``safepip install`` arguments into safepip's option values and pip's arguments.

    safepip options are recognised only before the first argument that is not one of them;
    ``--`` ends them explicitly. ``--flag value`` and ``--flag=value`` are both accepted.

    Args:
        argv: the arguments after ``install``.
        env: the environment, for ``SAFEPIP_*`` defaults.

    Returns:
        The values of the options given (by :class:`~safepip.model.Options` field name; the
        others keep their defaults) and the pip arguments, untouched and in order.

    Raises:
        UsageError: a bad value, or a safepip option missing its value.
    """
    values: dict[str, object] = {}
    for spec in SPECS:
        raw = env.get(spec.env)
        if raw is not None and raw != "":
            values[spec.field] = _convert(spec, raw, spec.env)
    index = 0
    ended = False  # by `--`: what follows is pip's, whatever it looks like
    while index < len(argv):
        token = argv[index]
        if token == "--":
            index += 1
            ended = True
            break
        name, has_inline, inline = token.partition("=")
        option = _BY_FLAG.get(name)
        if option is None:
            break
        if option.takes_value and not has_inline:
            if index + 1 == len(argv):
                raise UsageError(f"{option.flag} needs a value", hint=option.help)
            index += 1
            values[option.field] = _convert(option, argv[index], option.flag)
        else:
            values[option.field] = _convert(option, inline, option.flag) if has_inline else True
        index += 1
    if not ended:
        _refuse_misplaced(argv[:index], argv[index:])
    return values, list(argv[index:])


def _refuse_misplaced(options: Sequence[str], pip_args: Sequence[str]) -> None:
    """Refuse a safepip option given among pip's arguments: pip would reject it, or worse.

    ``--python`` too: pip (>= 22.3) takes its own only before its subcommand, and safepip's
    command line puts ``install`` first.

    Raises:
        UsageError: naming the option and the command line with it in its place.
    """
    for position, token in enumerate(pip_args):
        if token == "--":
            return
        flag = token.partition("=")[0]
        spec = _BY_FLAG.get(flag)
        if spec is None:
            continue
        end = position + 1
        if spec.takes_value and "=" not in token and end < len(pip_args):
            end += 1
        import shlex  # noqa: PLC0415 - only for this message

        moved = [*options, *pip_args[position:end], *pip_args[:position], *pip_args[end:]]
        raise UsageError(
            f"{flag} is safepip's option, but it comes after pip's arguments (pip does not know"
            " it)",
            hint=f"safepip's options go first: safepip install {shlex.join(moved)}",
        )


#: pip's options that name a log file pip appends to (``--log-file`` and ``--local-log`` are
#: its older spellings).
LOG_OPTIONS = ("--log", "--log-file", "--local-log")


def option_value(args: Sequence[str], names: tuple[str, ...]) -> str | None:
    """The value of the last of ``names`` in ``args`` (``--opt V`` or ``--opt=V``), if any."""
    found: str | None = None
    for position, token in enumerate(args):
        if token == "--":
            break
        for name in names:
            if token == name and position + 1 < len(args):
                found = args[position + 1]
            elif token.startswith(name + "="):
                found = token[len(name) + 1 :]
    return found


def inspect(pip_args: Sequence[str], env: Mapping[str, str]) -> PipFacts:
    """Read the facts safepip needs from pip's arguments and ``PIP_*`` variables."""
    from safepip.model import PipFacts  # noqa: PLC0415 - not before pip starts
    from safepip.pipfacts import cache_disabled  # noqa: PLC0415

    options = [token for token in pip_args if token.startswith("-")]
    no_cache = "--no-cache-dir" in options or cache_disabled(env)
    quiet = any(
        token == "--quiet" or (token.startswith("-q") and set(token[1:]) == {"q"})
        for token in options
    )
    return PipFacts(
        cache_dir=option_value(pip_args, ("--cache-dir",)),
        no_cache=no_cache,
        log=option_value(pip_args, LOG_OPTIONS),
        quiet=quiet,
        resume_retries=any(token.startswith("--resume-retries") for token in options),
        index_url=option_value(pip_args, ("-i", "--index-url")),
        verbose=any(
            token == "--verbose" or (token.startswith("-v") and set(token[1:]) == {"v"})
            for token in options
        ),
    )


def retries_setting(pip_args: Sequence[str], env: Mapping[str, str]) -> int | None:
    """The retries per request the user set for pip (``--retries N``, else ``PIP_RETRIES``).

    None when neither is set or the value is not a number: pip's default (5) applies.
    """
    raw = option_value(pip_args, ("--retries",))
    if raw is None:
        raw = env.get("PIP_RETRIES")
    try:
        return int(raw) if raw is not None else None
    except ValueError:
        return None


#: pip options that change where a verifying ``pip install --dry-run`` may look or write, and the
#: ``PIP_*`` variable each maps to (pip reads list options from space-separated variables).
_CARRIED = (
    (("--cache-dir",), "PIP_CACHE_DIR"),
    (("--trusted-host",), "PIP_TRUSTED_HOST"),
    (("--extra-index-url",), "PIP_EXTRA_INDEX_URL"),
    (("-f", "--find-links"), "PIP_FIND_LINKS"),
)
_CARRIED_FLAGS = (("--no-cache-dir", "PIP_NO_CACHE_DIR"), ("--no-index", "PIP_NO_INDEX"))


def carried_env(pip_args: Sequence[str]) -> dict[str, str]:
    """The user's index and cache options as ``PIP_*`` variables, for safepip's own pip runs.

    A verifying ``pip install --dry-run`` must use the same cache, trusted hosts and extra
    indexes as the user's install, or it would write the machine's default cache and miss
    packages only reachable there.
    """
    overlay: dict[str, str] = {}
    for names, variable in _CARRIED:
        values = [
            args_value
            for position, token in enumerate(pip_args)
            for name in names
            for args_value in _values_at(pip_args, position, token, name)
        ]
        if values:
            overlay[variable] = " ".join(values)
    for flag, variable in _CARRIED_FLAGS:
        if flag in pip_args:
            overlay[variable] = "1"
    return overlay


def _values_at(args: Sequence[str], position: int, token: str, name: str) -> list[str]:
    if token == name and position + 1 < len(args):
        return [args[position + 1]]
    if name.startswith("--") and token.startswith(name + "="):
        return [token[len(name) + 1 :]]
    return []


def build_argv(
    python: str,
    pip_args: Sequence[str],
    *,
    log_path: str | None,
    extra: Sequence[str] = (),
) -> list[str]:
    """Build the argv of one pip run.

    Args:
        python: the interpreter to run pip with.
        pip_args: the user's pip install arguments, passed through untouched.
        log_path: a private ``--log`` file to add, or None when the user gave their own.
        extra: remedy options (``--no-cache-dir``, ``--cache-dir DIR``, ``--resume-retries N``),
            placed after the user's so that they win.

    Returns:
        ``[python, "-m", "pip", "install", "--no-input", ("--log", path), *pip_args, *extra]``;
        when the user's arguments contain ``--``, ``extra`` goes before it.
    """
    head = [python, "-m", "pip", "install", "--no-input"]
    if log_path is not None:
        head += ["--log", log_path]
    args = list(pip_args)
    if "--" in args:
        cut = args.index("--")
        return head + args[:cut] + list(extra) + args[cut:]
    return head + args + list(extra)


def default_python(env: Mapping[str, str], running: str) -> str:
    """The interpreter whose pip to drive when ``--python`` is not given.

    Args:
        env: the environment (``VIRTUAL_ENV`` names the active virtual environment).
        running: the interpreter running safepip (``sys.executable``).
    """
    venv = env.get("VIRTUAL_ENV")
    if venv:
        for candidate in (("bin", "python"), ("Scripts", "python.exe")):
            path = os.path.join(venv, *candidate)
            if os.path.exists(path):
                return path
    return running


def help_text() -> str:
    """The text of ``safepip install --help``."""
    lines = [
        "usage: safepip install [safepip options] [--] <pip install arguments>",
        "",
        "Runs `pip install` with every other argument passed through untouched, classifies a",
        "failure, applies the targeted remedy and retries when that can help.",
        "",
        "safepip options (before pip's arguments; also as environment variables):",
    ]
    for spec in SPECS:
        metavar = " VALUE" if spec.takes_value else ""
        lines.append(f"  {spec.flag + metavar:<24} {spec.help}")
        lines.append(f"  {'':<24} env: {spec.env}")
    lines += [
        "",
        "Every other argument goes to pip (see `pip install --help`).",
    ]
    return "\n".join(lines)
