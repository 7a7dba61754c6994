"""The install loop: run → classify → plan → apply → wait → run again, then report.

Every side effect is an injected collaborator with a real default (docs/architecture.md §3): the pip
runner, the short-query runner, sleep, clock, randomness, the cache operations and the reporter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from safepip import lazyre, pipargs, runner
from safepip.errors import CacheRefused
from safepip.install.cacheops import CacheOps, PipCache, judge_download
from safepip.install.retry import Backoff, Step, retry_loop
from safepip.install.state import RunState, finish, origins_of, remove_own
from safepip.model import (
    Attempt,
    Cause,
    Diagnosis,
    FailureKind,
    InstallResult,
    Options,
    PipRun,
    Remedy,
    RemedyAction,
    assert_never,
)
from safepip.pipargs import build_argv, inspect
from safepip.report.hooks import Reporter

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from safepip.install.planning import Context, Plan
    from safepip.pipfacts import Query

# The cache module, remedy planning and the classifier are imported on the first failure
# (PLC0415 below): a clean install pays only for running pip (benchmarks/bench_overhead.py).

#: Why a failure is run again at once with ``--log`` (a bare not-found, an unknown failure...).
DEBUG_RETRY = (
    "pip's console does not say why it failed: the next attempt runs pip with --log, whose"
    " debug lines do"
)
#: What ``python -m pip`` says, and all it says, when the interpreter has no pip.
_NO_PIP = lazyre.compile(r"^(?:\S[^\n]{0,4096}: )?No module named pip\Z")


def _random() -> float:
    """``random.random``, imported on the first retry (a clean install draws no jitter)."""
    import random  # noqa: PLC0415

    return random.random()  # noqa: S311 - jitter, not security


@dataclass(frozen=True)
class Installer:
    """Runs ``pip install`` until it succeeds or no retry can help.

    Attributes:
        python: the interpreter whose pip is driven.
        options: safepip's own options.
        env: the environment pip runs with (the user's; their pip configuration applies).
        run: the pip runner (:func:`safepip.runner.run_pip`).
        query: runs a short command and returns ``(status, stdout)`` (:func:`safepip.runner.query`).
        sleep: waits between attempts.
        clock: monotonic seconds.
        rand: uniform [0, 1) for jitter.
        cache: cache location and the guarded delete.
        reporter: told about every step.
    """

    python: str
    options: Options
    env: Mapping[str, str]
    run: runner.Runner = runner.run_pip
    query: Query = runner.query
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = _random
    cache: CacheOps = field(default_factory=PipCache)
    reporter: Reporter = field(default_factory=Reporter)

    def install(self, pip_args: Sequence[str], *, first: PipRun | None = None) -> InstallResult:
        """Install with retries and remedies; never raises for a pip failure.

        Args:
            pip_args: the user's ``pip install`` arguments, untouched.
            first: the first attempt when it already ran (the command line runs pip at once,
                before loading this loop): pip with the user's arguments plus ``--no-input``.

        Returns:
            The result; ``returncode`` is 0, pip's own status, or 124 after a budget timeout.
        """
        facts = inspect(pip_args, self.env)
        spent = 0.0 if first is None else first.duration  # the budget counts the first attempt
        state = RunState(
            pip_args=tuple(pip_args),
            facts=facts,
            start=self.clock() - spent,
            no_cache=facts.no_cache,
            resume=facts.resume_retries,
            first=first,
        )
        options = self.options
        backoff = Backoff(
            base=options.backoff_base,
            max_wait=options.max_wait,
            attempts=1 if options.no_remedy else options.attempts,
            budget=_budget(options) - spent,
        )

        def before_wait(attempt: Attempt, wait: float) -> None:
            state.attempts[-1] = replace(attempt, wait=wait)
            if state.debug_retry:  # only now is it sure that the next attempt runs
                state.debug_retry = False
                self.reporter.progress(DEBUG_RETRY)
            self.reporter.retry_scheduled(attempt, wait)

        def give_up(_attempt: Attempt, why: str) -> None:
            state.gave_up = why

        try:
            retry_loop(
                lambda number: self._step(state, number),
                backoff=backoff,
                sleep=self.sleep,
                clock=self.clock,
                rand=self.rand,
                before_wait=before_wait,
                on_give_up=give_up,
            )
        except BaseException:  # Ctrl-C, a signal: pip is gone, and so is safepip's temp dir
            if state.workdir_path is not None:
                remove_own(state.workdir_path)
            self.reporter.interrupted()
            raise
        finally:
            state.warmup.settle()
            if state.private_cache is not None:
                remove_own(state.private_cache)
        result = finish(state, self.options.time_budget)
        self.reporter.finished(result)
        return result

    def _step(self, state: RunState, number: int) -> Step[Attempt]:
        """Run pip once; on failure classify, plan and apply the remedies."""
        facts = state.facts
        # The first attempt runs pip as the user would: no --log unless the user gave one.
        own_log = state.workdir / f"pip-{number}.log" if state.debug_log and not facts.log else None
        log_path = Path(facts.log) if facts.log else own_log
        argv = build_argv(
            self.python,
            state.pip_args,
            log_path=None if own_log is None else str(own_log),
            extra=state.extra,
        )
        pip = self._run(state, number, argv, log_path)
        argv = list(pip.args)
        if pip.returncode == 0 and not pip.timed_out:
            attempt = Attempt(number, 0, pip.duration, None, args=tuple(argv))
            state.attempts.append(attempt)
            return Step(attempt, again=False)
        state.warmup.settle()  # from here this thread imports the failure path, alone
        _pip_started(self.python, pip)
        from safepip.classifier import hints  # noqa: PLC0415
        from safepip.classifier.normalize import hidden_build_output  # noqa: PLC0415
        from safepip.install.remedies import needs_debug_lines  # noqa: PLC0415
        from safepip.report.redact import has_secrets  # noqa: PLC0415

        state.text = pip.text
        diagnosis = self._classify(state, pip)
        if facts.log and state.unredacted_log is None and has_secrets(pip.log):
            state.unredacted_log = facts.log  # the user's file: named in the report, not edited
        log_empty = log_path is not None and not pip.log.strip()
        if log_empty and not pip.timed_out:
            diagnosis = replace(diagnosis, hint=hints.NO_LOG.format(python=self.python))
        built = diagnosis.kind is FailureKind.BUILD_FAILURE or diagnosis.nested
        if built and log_path is not None and not facts.verbose:
            # Only with --log does pip keep a failed build's output off the console.
            hidden = hidden_build_output(pip.log)
            if hidden:
                self.reporter.build_output(hidden)
        if pip.timed_out:
            state.timed_out = True
            attempt = Attempt(number, pip.returncode, pip.duration, diagnosis, args=tuple(argv))
            state.attempts.append(attempt)
            self.reporter.attempt_failed(attempt)
            return Step(attempt, again=False)
        debug_retry = (
            log_path is None and needs_debug_lines(diagnosis) and not self.options.no_remedy
        )
        diagnosis, plan = self._plan(state, diagnosis, log_path, debug_retry, log_empty=log_empty)
        state.history.append(diagnosis)
        again = plan.again and not self.options.no_remedy
        applied, deleted = self._apply(_to_apply(plan, again, self.options), state, again=again)
        attempt = Attempt(
            number,
            pip.returncode,
            pip.duration,
            # A stop the history explains (the same bad bytes twice) has its own next step.
            replace(diagnosis, hint=plan.hint or diagnosis.hint),
            remedies=applied,
            deleted=tuple(deleted),
            args=tuple(argv),
        )
        state.attempts.append(attempt)
        self.reporter.attempt_failed(attempt)
        for remedy in applied:
            self.reporter.remedy_applied(remedy, deleted, dry_run=self.options.remedy_dry_run)
        if not again:
            self.reporter.stopping(attempt, plan.why)
        return Step(attempt, again=again, immediate=plan.immediate, delay=plan.delay)

    def _plan(
        self,
        state: RunState,
        diagnosis: Diagnosis,
        log_path: Path | None,
        debug_retry: bool,
        *,
        log_empty: bool,
    ) -> tuple[Diagnosis, Plan]:
        """What to do about ``diagnosis``: the debug-log retry, or the remedies' plan."""
        from safepip.install import remedies  # noqa: PLC0415
        from safepip.install.planning import Plan  # noqa: PLC0415

        if debug_retry:
            # The console does not decide this kind: the next attempt, with --log, is the retry.
            state.debug_log = state.debug_retry = True
            return diagnosis, Plan(again=True, immediate=True)
        context = self._context(state, diagnosis, state.facts.cache_dir, log_empty=log_empty)
        diagnosis = judge_download(self.cache, diagnosis, context.cache_root)
        # pip >= 26.1's console names a download by its file only: the next log names its URL,
        # so that what pip cached of a bad download can be removed.
        state.debug_log |= log_path is None and _download_unlocated(diagnosis)
        return diagnosis, remedies.plan(diagnosis, state.history, context)

    def _run(self, state: RunState, number: int, argv: list[str], log_path: Path | None) -> PipRun:
        """Run attempt ``number``, or take the first attempt that ran already."""
        self.reporter.attempt_started(
            number, list(argv if state.first is None else state.first.args)
        )
        if state.first is not None:  # it ran before this loop was loaded: pip as the user runs it
            pip, state.first = state.first, None
            return pip
        # Only a budget the user gave ends a running pip; the default bounds new attempts only.
        remaining = pipargs.run_timeout(self.options.time_budget, self.clock() - state.start)
        # The failure path loads in the background once the output shows trouble (once a run
        # failed, it is loaded: the later watches find nothing to do).
        watch = state.warmup.watch
        return self.run(argv, env=self.env, log_path=log_path, timeout=remaining, watch=watch)

    def _classify(self, state: RunState, pip: PipRun) -> Diagnosis:
        """The diagnosis of a failed run, its next step naming the user's input and paths."""
        from safepip.classifier import classify  # noqa: PLC0415
        from safepip.report.redact import redact_userinfo  # noqa: PLC0415

        diagnosis = classify(
            redact_userinfo(pip.text), returncode=pip.returncode, origins=origins_of(state)
        )
        if diagnosis.kind is FailureKind.ENV_BROKEN:
            from safepip.install.broken import locate  # noqa: PLC0415

            diagnosis = locate(diagnosis, self.python, state.pip_args, self.env, self.query)
        return diagnosis

    def _context(
        self, state: RunState, diagnosis: Diagnosis, cache_dir: str | None, *, log_empty: bool
    ) -> Context:
        """Gather what the plan needs, querying pip only when this kind needs it."""
        from safepip.install.planning import Context  # noqa: PLC0415
        from safepip.install.remedies import index_settings  # noqa: PLC0415

        kind = diagnosis.kind
        # The pip version decides --resume-retries, and whether pip checked a download's length.
        downloads = (FailureKind.NETWORK_TRANSIENT, FailureKind.DOWNLOAD_CORRUPT)
        if kind in downloads and not state.version_known:
            from safepip.pipfacts import pip_version  # noqa: PLC0415

            state.version = pip_version(self.python, self.env, self.query)
            state.version_known = True
        if (
            kind in (FailureKind.CACHE_CORRUPT, FailureKind.DOWNLOAD_CORRUPT)
            or diagnosis.cause is Cause.EMPTY_PAGE
        ) and not state.cache_known:
            state.cache_root = self.cache.locate(
                self.python, cache_dir_arg=cache_dir, no_cache=state.no_cache, env=self.env
            )
            state.cache_known = True
        root = state.private_cache if state.private_cache is not None else state.cache_root
        return Context(
            cache_root=root,
            pip_version=state.version,
            resume_retries=state.resume,
            private_cache=state.private_cache is not None,
            no_cache=state.no_cache,
            log_empty=log_empty,
            index_settings=index_settings(state.pip_args, self.env),
            pip_retries=pipargs.retries_setting(state.pip_args, self.env),
        )

    def _apply(
        self, planned: Sequence[Remedy], state: RunState, *, again: bool = True
    ) -> tuple[tuple[Remedy, ...], list[str]]:
        """Apply the remedies; return those really applied and the paths deleted.

        On a stop (not ``again``) a refused purge changes nothing: no attempt follows that a
        private cache could serve.
        """
        applied: list[Remedy] = []
        deleted: list[str] = []
        for remedy in planned:
            action = remedy.action
            if action is RemedyAction.PURGE:
                root = state.private_cache or state.cache_root
                try:
                    dry_run = self.options.remedy_dry_run
                    removed = self.cache.delete(root, remedy.paths, dry_run=dry_run) if root else ()
                    if not removed and not dry_run:
                        continue  # a purge that found nothing changed nothing: not reported
                    deleted.extend(removed)
                except CacheRefused as exc:  # locked, read-only, not pip's: never wait, never fail
                    if not again:
                        continue
                    why = f"{exc}: the next attempt uses a private cache instead{_left(remedy)}"
                    remedy = Remedy(RemedyAction.PRIVATE_CACHE, why)  # noqa: PLW2901
                    self._use_private_cache(state)
            elif action is RemedyAction.NO_CACHE_DIR:
                state.extra.append("--no-cache-dir")
                state.no_cache = True
            elif action is RemedyAction.PRIVATE_CACHE:
                self._use_private_cache(state)
            elif action is RemedyAction.RESUME_RETRIES:
                from safepip.install.remedies import RESUME_RETRIES  # noqa: PLC0415

                state.extra += ["--resume-retries", str(RESUME_RETRIES)]
                state.resume = True
            else:
                assert_never(action)
            applied.append(remedy)
        return tuple(applied), deleted

    @staticmethod
    def _use_private_cache(state: RunState) -> None:
        if state.private_cache is None:
            state.private_cache = state.workdir / "cache"
            state.private_cache.mkdir(exist_ok=True)
            state.extra += ["--cache-dir", str(state.private_cache)]


def _left(purge: Remedy) -> str:
    """Name the corrupt entries a refused purge leaves in the cache (plain pip fails on them)."""
    if not purge.paths:
        return ""
    more = f" and {len(purge.paths) - 1} more" if len(purge.paths) > 1 else ""
    return (
        f"; the corrupt entry stays in the cache ({purge.paths[0]}{more}), and plain pip fails"
        " on it until it is removed"
    )


def _download_unlocated(diagnosis: Diagnosis) -> bool:
    """A corrupt download whose URL the output does not give (pip >= 26.1 prints file names)."""
    return diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT and not diagnosis.urls


def _to_apply(plan: Plan, again: bool, options: Options) -> tuple[Remedy, ...]:
    """The plan's remedies; a stop's purges only (a bad copy pip cached); none if --no-remedy."""
    if again:
        return plan.remedies
    if options.no_remedy:
        return ()
    return tuple(remedy for remedy in plan.remedies if remedy.action is RemedyAction.PURGE)


def _pip_started(python: str, pip: PipRun) -> None:
    """Raise when ``python -m pip`` failed because the interpreter has no pip at all.

    Raises:
        PipNotFound: a usage error (exit 2): the interpreter is not one safepip can drive.
    """
    if _NO_PIP.match(pip.text.strip()[-500:]):
        from safepip.errors import PipNotFound  # noqa: PLC0415

        raise PipNotFound(python, "it has no pip (No module named pip)")


def _budget(options: Options) -> float:
    """The seconds after which no new attempt or wait starts: the user's, else the default."""
    if options.time_budget is not None:
        return options.time_budget
    return pipargs.DEFAULT_TIME_BUDGET  # read at call time: one definition, patchable in tests
