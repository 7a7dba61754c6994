"""The command line: argv in, exit status out; the one place that maps errors to statuses.

Exit statuses: 0 success; pip's own status when ``safepip install`` fails; 2 usage error;
124 when the user's time budget ended pip; 130 Ctrl-C; 143 SIGTERM; 129 SIGHUP; 131 SIGQUIT;
3 an internal error of safepip (a bug: the traceback is printed).
"""

from __future__ import annotations

import os
import sys

from safepip.errors import SafepipError, Terminated, UsageError

#: ``typing`` costs more than the rest of ``safepip --version``: mypy reads this name as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    import argparse
    from collections.abc import Mapping, Sequence
    from types import FrameType, ModuleType, TracebackType
    from typing import IO, Any, Callable, NoReturn

    from safepip.model import InstallResult, PipRun

INTERNAL_ERROR = 3
USAGE_ERROR = 2

#: Subcommands other than ``install``, each a module with ``configure(parser)`` and
#: ``run(options, out, err) -> int``; imported only when used, to keep start-up fast.
COMMANDS: dict[str, tuple[str, str]] = {
    "diagnose": ("safepip.commands.diagnose", "classify saved pip / CI logs"),
    "cache": ("safepip.commands.cache", "purge one package's cache entries, or verify the cache"),
    "fix-requirements": (
        "safepip.commands.fix_requirements",
        "rewrite conda `pkg @ file:///...` freeze lines as pkg==version",
    ),
    "doctor": ("safepip.commands.doctor", "check the environment pip runs in, one line per check"),
}


def _version() -> str:
    from safepip import __version__  # noqa: PLC0415 - keeps `import safepip.cli` light

    return __version__


def _top_help() -> str:
    lines = [
        "usage: safepip <command> [options]",
        "",
        "A drop-in `pip install` that retries what a retry can fix, repairs pip's cache",
        "precisely, and explains the rest.",
        "",
        "commands:",
        f"  {'install':<18} pip install with diagnosis, targeted remedies and retries",
    ]
    lines += [f"  {name:<18} {summary}" for name, (_, summary) in COMMANDS.items()]
    lines += ["", "`safepip <command> --help` shows the options of a command."]
    return "\n".join(lines)


#: Signals turned into :class:`Terminated` (SIGINT is Python's KeyboardInterrupt already).
_TERMINATING = ("SIGTERM", "SIGHUP", "SIGQUIT")


def _raise_terminated(signum: int, _frame: FrameType | None) -> None:
    raise Terminated(signum)


class _SignalsRaise:
    """Turn SIGTERM, SIGHUP and SIGQUIT into :class:`Terminated` for the block.

    pip gets them forwarded (see :mod:`safepip.runner`), nothing retries, and safepip exits
    128 + the signal number. A signal the caller set to be ignored (``nohup``) stays ignored.
    """

    def __init__(self) -> None:
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> None:
        import signal  # noqa: PLC0415 - imports enum: not for `safepip --version`

        try:
            for name in _TERMINATING:
                signum = getattr(signal, name, None)
                if signum is not None and signal.getsignal(signum) is not signal.SIG_IGN:
                    self.previous[signum] = signal.signal(signum, _raise_terminated)
        except ValueError:  # not the main thread (embedded use): leave signals alone
            pass

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _traceback: TracebackType | None,
    ) -> None:
        if not self.previous:
            return
        import signal  # noqa: PLC0415

        for signum, old in self.previous.items():
            signal.signal(signum, old)


def _write_report(path: str, result: InstallResult, conflict: Mapping[str, object] | None) -> None:
    """Write the JSON report through the one writer; a failure is one line, never the exit status.

    The report is lost, not the install: pip's status stands whatever happens here.
    """
    import json  # noqa: PLC0415 - only needed with --report-json

    from safepip.files import reason, write_file  # noqa: PLC0415
    from safepip.report.json import install_report  # noqa: PLC0415
    from safepip.report.redact import redact  # noqa: PLC0415

    document = install_report(result, conflict=conflict)
    try:
        write_file(path, (json.dumps(document, indent=2) + "\n").encode("utf-8"))
    except OSError as exc:
        print(
            f"safepip: warning: cannot write the JSON report to {redact(path)}: {reason(exc)}"
            " (report not written; pip's exit status is kept)",
            file=sys.stderr,
        )


def _describe(python: str) -> Callable[[], str] | None:
    """Names the pip that ran, for the final report, when it is not the active environment's."""
    from safepip.pipargs import default_python  # noqa: PLC0415

    if python == default_python(os.environ, sys.executable):
        return None

    def describe() -> str:
        from safepip import runner  # noqa: PLC0415
        from safepip.pipfacts import pip_version  # noqa: PLC0415

        version = pip_version(python, os.environ, runner.query)
        found = f"pip {'.'.join(map(str, version))}" if version else "pip version unknown"
        return f"{python} ({found}), not the active environment's"

    return describe


def _install(args: Sequence[str]) -> int:
    """``safepip install``: pip runs at once, as the user would run it; the rest only on failure.

    Only the option parser and the runner are loaded before pip starts. A run that succeeds, with
    no report asked for and no CI output to write, ends with pip's status and nothing else loaded
    (benchmarks/bench_overhead.py times it against plain pip).
    """
    from safepip import pipargs  # noqa: PLC0415 - lazy: fast --help and subcommands
    from safepip.report import ci_systems  # noqa: PLC0415

    values, pip_args = pipargs.parse_install_args(args, os.environ)
    if pip_args[:1] in (["-h"], ["--help"]) or args[:1] in (["-h"], ["--help"]):
        print(pipargs.help_text())
        return 0
    if not pip_args:
        raise UsageError(
            "nothing to install", hint="usage: safepip install [safepip options] <pip args>"
        )
    chosen = values.get("python")
    python = str(chosen) if chosen else pipargs.default_python(os.environ, sys.executable)
    systems = ci_systems(os.environ)
    from safepip import runner  # noqa: PLC0415
    from safepip.install.warm import FAILURE_PATH, Warmup  # noqa: PLC0415

    # A report follows whatever pip does (CI output, --report-json): what writes it loads while
    # pip runs. Otherwise nothing loads unless pip's output shows trouble.
    reported = bool(systems) or bool(values.get("report_json"))
    report = Warmup(RECOVERY_PATH)
    failure = Warmup(FAILURE_PATH if reported else RECOVERY_PATH + FAILURE_PATH)
    if reported:
        report.start()
    argv = pipargs.build_argv(python, pip_args, log_path=None)
    opened = None
    if "gitlab" in systems:  # the attempt's collapsible section opens before pip's first line
        from safepip.report import sections  # noqa: PLC0415

        opened = sections.start(sys.stderr, 1, argv)
    budget = values.get("time_budget")
    try:
        first = runner.run(
            argv,
            env=os.environ,
            log_path=pipargs.option_value(pip_args, pipargs.LOG_OPTIONS),
            timeout=pipargs.run_timeout(budget if isinstance(budget, float) else None, 0.0),
            watch=failure.watch,
        )
    except BaseException:  # pip could not start, Ctrl-C: what safepip says next stays visible
        if opened is not None:
            sections.end(sys.stderr, opened)
        raise
    finally:
        failure.settle()  # from here this thread imports alone
        report.settle()
    if first.succeeded and not reported:
        return 0
    return _recover(values, pip_args, python, first=first.record(), opened=opened)


#: What :func:`_recover` imports after a failed first attempt (loaded in the background once a
#: run's output shows trouble, with the loop's own :data:`safepip.install.warm.FAILURE_PATH`).
RECOVERY_PATH = (
    "safepip.install.loop",
    "safepip.model",
    "safepip.report.ci",
    "safepip.report.hooks",
    "safepip.report.text",
    "safepip.report.json",
    "safepip.files",
)


def _recover(
    values: Mapping[str, object],
    pip_args: list[str],
    python: str,
    *,
    first: PipRun,
    opened: str | None,
) -> int:
    """The install loop from the first attempt on, then the reports.

    Args:
        values: safepip's own options.
        pip_args: the user's pip arguments.
        python: the interpreter whose pip runs.
        first: the first attempt, which ran before the loop was loaded.
        opened: the GitLab section opened for that attempt, which the reporter closes.
    """
    from safepip.install.loop import Installer  # noqa: PLC0415 - loaded after a failure
    from safepip.model import FailureKind, Options  # noqa: PLC0415
    from safepip.pipargs import carried_env, inspect  # noqa: PLC0415
    from safepip.report.ci import ci_reporters  # noqa: PLC0415
    from safepip.report.hooks import FanOut  # noqa: PLC0415
    from safepip.report.text import TextReporter  # noqa: PLC0415

    options = Options(**values)  # type: ignore[arg-type]
    facts = inspect(pip_args, os.environ)
    quiet = options.quiet or facts.quiet
    reporter = FanOut(
        [
            TextReporter(sys.stderr, quiet=quiet, interpreter=_describe(python)),
            *ci_reporters(os.environ, stdout=sys.stdout, stderr=sys.stderr, opened=opened),
        ]
    )
    installer = Installer(python, options, env=dict(os.environ), reporter=reporter)
    result = installer.install(pip_args, first=first)
    conflict = None
    diagnosis = result.diagnosis
    if diagnosis is not None and diagnosis.kind is FailureKind.RESOLUTION_CONFLICT and result.text:
        from safepip.conflicts.fix import report_conflict, search_bound  # noqa: PLC0415
        from safepip.install.origins import requirement_origins  # noqa: PLC0415

        spent = sum(a.duration + a.wait for a in result.attempts)
        remaining = None if options.time_budget is None else options.time_budget - spent
        conflict = report_conflict(
            result.text,
            index_url=_primary_index(facts.index_url, python),
            python=python,
            env={**os.environ, **carried_env(pip_args)},
            search=not options.no_explain,
            reporter=reporter,
            pip_args=pip_args,
            origins=requirement_origins(pip_args),
            bound=search_bound(result.attempts[-1].duration, remaining),
        )
    if options.report_json:
        _write_report(options.report_json, result, conflict)
    return result.returncode


def _primary_index(option: str | None, python: str) -> str:
    """The index the user's pip reads: ``-i``, else ``PIP_INDEX_URL``, its config files, PyPI."""
    from safepip import pipfacts, runner  # noqa: PLC0415 - only after a resolution conflict

    if option:
        return option
    config = pipfacts.read_config(python, os.environ, runner.query)
    return pipfacts.configured_indexes(config, os.environ)[0]


def _subcommand(name: str, args: Sequence[str]) -> int:
    import argparse  # noqa: PLC0415 - `safepip install` does not need it
    import importlib  # noqa: PLC0415

    module_name, summary = COMMANDS[name]
    module: ModuleType = importlib.import_module(module_name)
    parser = argparse.ArgumentParser(prog=f"safepip {name}", description=summary)
    configure: Callable[[argparse.ArgumentParser], None] = module.configure
    run: Callable[[argparse.Namespace, IO[str], IO[str]], int] = module.run
    configure(parser)
    return run(parser.parse_args(list(args)), sys.stdout, sys.stderr)


def _dispatch(args: Sequence[str]) -> int:
    """Run the command ``args`` names (``--version`` and help before anything is imported)."""
    if not args or args[0] in {"-h", "--help", "help"}:
        print(_top_help())
        return 0 if args else USAGE_ERROR
    if args[0] == "--version":
        print(f"safepip {_version()}")
        return 0
    command, rest = args[0], args[1:]
    if command == "install":
        with _SignalsRaise():
            return _install(rest)
    if command in COMMANDS:
        with _SignalsRaise():
            return _subcommand(command, rest)
    import difflib  # noqa: PLC0415 - only for a mistyped command

    close = difflib.get_close_matches(command, ["install", *COMMANDS], n=1)
    hint = f"did you mean `safepip {close[0]}`?" if close else "`safepip --help` lists the commands"
    raise UsageError(f"unknown command {command!r}", hint=hint)


def _say(line: str) -> None:
    """Print one last line to stderr; a hung-up terminal (SIGHUP) or closed pipe is no error.

    A reader that stopped reading (``2>&1 | less`` left open) does not hold the exit: the line
    is dropped when stderr has no room for it within a second.
    """
    import contextlib  # noqa: PLC0415 - only on the way out after a signal
    import select  # noqa: PLC0415

    with contextlib.suppress(OSError, ValueError):
        try:
            fd = sys.stderr.fileno()
        except (OSError, ValueError):  # not a file (embedded use, a test's capture)
            fd = None
        if fd is None or select.select([], [fd], [], 1.0)[1]:
            print(line, file=sys.stderr)


def _closed_streams_to_devnull() -> None:
    """Give safepip's own lines a sink when it started with stdout or stderr closed (``2>&-``).

    Python then has no ``sys.stderr`` (None): a report written to it would fail (an internal
    error instead of pip's status) and ``print`` would fall back to stdout. They go nowhere, as
    the user asked; pip's output follows its own streams (:mod:`safepip.runner`).
    """
    for name in ("stdout", "stderr"):
        if getattr(sys, name) is None:
            setattr(sys, name, os.fdopen(os.open(os.devnull, os.O_RDWR), "w"))


def _ended(exc: KeyboardInterrupt | Terminated) -> int:
    """Say that a signal ended safepip (pip was ended first); return 128 + its number."""
    if isinstance(exc, KeyboardInterrupt):
        _say("safepip: interrupted")
        return 128 + 2  # SIGINT
    import signal  # noqa: PLC0415

    _say(f"safepip: terminated ({signal.Signals(exc.signum).name})")
    return 128 + exc.signum


def _reader_gone() -> None:
    """Point a stream whose reader has gone at the null device: what is left in it goes there.

    Nothing more can reach that reader, and the exit's flush must not fail on it again.
    """
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BrokenPipeError:
            null = os.open(os.devnull, os.O_WRONLY)
            os.dup2(null, stream.fileno())
            os.close(null)
        except (OSError, ValueError):  # closed or unflushable otherwise: the exit copes
            pass


def main(argv: Sequence[str] | None = None) -> int:
    """Run safepip and return its exit status (the console script passes it to ``sys.exit``).

    Args:
        argv: the arguments after the program name; ``sys.argv[1:]`` when None.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    _closed_streams_to_devnull()
    try:
        return _funnel(args)
    except BrokenPipeError:  # the reader left (`| head`), during the command or its last line
        _reader_gone()
        return SIGPIPE_STATUS


#: What a shell reports of a tool SIGPIPE ended (128 + 13).
SIGPIPE_STATUS = 141


def _funnel(args: list[str]) -> int:
    """Run the command; every way it can end becomes an exit status and at most a few lines."""
    try:
        return _dispatch(args)
    except SafepipError as exc:
        from safepip.report.redact import redact  # noqa: PLC0415 - only for a message

        print(f"safepip: error: {redact(str(exc))}", file=sys.stderr)
        if exc.hint:
            print(f"safepip: hint: {redact(exc.hint)}", file=sys.stderr)
        return exc.exit_status
    except (KeyboardInterrupt, Terminated) as exc:
        return _ended(exc)
    except SystemExit as exc:  # argparse: --help (0) and usage errors (2)
        return exc.code if isinstance(exc.code, int) else USAGE_ERROR
    except BrokenPipeError:  # `safepip doctor | head`: the reader left; main() ends it quietly
        raise
    except Exception:  # noqa: BLE001 - the one funnel: a bug in safepip, reported as such
        return _internal_error()


def _internal_error() -> int:
    """Print the traceback being handled (redacted) and say it is safepip's bug."""
    import traceback  # noqa: PLC0415 - only for a bug

    from safepip.report.redact import redact  # noqa: PLC0415

    print(redact(traceback.format_exc()), end="", file=sys.stderr)
    print(
        "safepip: internal error (a bug in safepip); pip's own state is untouched",
        file=sys.stderr,
    )
    return INTERNAL_ERROR


def run() -> NoReturn:
    """The console script, ``python -m safepip`` and ``safepip.pyz``: :func:`main`, then exit.

    The exit skips the interpreter's teardown of every module safepip loaded (about 10 ms
    after a failure, which on a pip that fails in 0.4 s is 2-3% of the run): safepip has no
    open file or child process left when :func:`main` returns. What the teardown would still
    do is done first: the exit handlers run (``atexit``, which also ends ``weakref.finalize``
    objects) and both streams are flushed. When a thread is still running, or a stream cannot be
    flushed (a closed pipe), the ordinary exit handles it as Python always does.
    """
    status = main()
    threading = sys.modules.get("threading")
    if threading is None or threading.active_count() <= 1:
        try:
            for stream in (sys.stdout, sys.stderr):
                if stream is not None:
                    stream.flush()
        except (OSError, ValueError):
            raise SystemExit(status) from None  # Python reports it and sets the status
        import atexit  # noqa: PLC0415 - built in
        import contextlib  # noqa: PLC0415

        atexit._run_exitfuncs()  # noqa: SLF001 - what the teardown would run first
        for stream in (sys.stdout, sys.stderr):  # what a handler printed
            with contextlib.suppress(OSError, ValueError, AttributeError):
                stream.flush()
        os._exit(status)
    raise SystemExit(status)
