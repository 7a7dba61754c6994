"""Pure planning: from a diagnosis and the attempts so far to what happens next.

Nothing here touches the file system or runs anything; :func:`plan` returns the remedies and
whether another attempt can help, and :mod:`safepip.install.loop` applies them (deletions only
through :func:`safepip.cache.layout.delete`). Decisions follow docs/architecture.md §4 and
docs/failure-kinds.md §A/§I.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from safepip.classifier import hints
from safepip.install.downloads import plan_download
from safepip.install.planning import Context, Plan, host_of, purge_targets
from safepip.model import (
    Cause,
    Diagnosis,
    FailureKind,
    Remedy,
    RemedyAction,
    RetryPolicy,
    assert_never,
)
from safepip.pipfacts import EMPTY_SHA256

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


#: ``--resume-retries`` exists from pip 25.1 (docs/failure-kinds.md §F), default 0; from pip
#: 25.2 its default is 5 (pip's cli/cmdoptions.py): passing it then changes nothing.
RESUME_SINCE = (25, 1)
RESUME_DEFAULT_SINCE = (25, 2)
RESUME_RETRIES = 5

#: The wait before the next attempt when pip already retried inside the last one with its own
#: backoff (0.25 s doubling from the 2nd retry: 3 retries waited 1.5 s, pip's default 5 7.5 s):
#: none. The next pip's start-up (about half a second) already spaces its first request, and it
#: backs off again by itself (0, 0.5, 1, 2, 4 s), so a wait of safepip's would only add to the
#: time a burst of 5xx costs (issue 16: index 503 x8 and file 500 x8 within 9.5 s on pip 26.3).
AFTER_PIP_RETRIES_WAIT = 0.0
#: From this many of pip's own retries in one attempt, its backoff counts as waited.
PIP_BACKOFF_RETRIES = 3
#: The wait before the one retry of an empty index page (a mirror still fetching its upstream).
EMPTY_PAGE_WAIT = 1.0
#: The wait before the one more attempt at a host where nothing answered.
UNREACHABLE_WAIT = 1.0

#: Options and variables that point pip at an index or a file location, in the order named.
INDEX_OPTIONS = ("--index-url", "-i", "--extra-index-url", "--find-links", "-f")
INDEX_VARIABLES = ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_FIND_LINKS")


def index_settings(pip_args: Sequence[str], env: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Every option and ``PIP_*`` variable that points pip at an index, with its value."""
    found: list[tuple[str, str]] = []
    for position, token in enumerate(pip_args):
        if token == "--":
            break
        for name in INDEX_OPTIONS:
            if token == name and position + 1 < len(pip_args):
                found.append((name, pip_args[position + 1]))
            elif name.startswith("--") and token.startswith(name + "="):
                found.append((name, token[len(name) + 1 :]))
    found.extend((name, env[name]) for name in INDEX_VARIABLES if env.get(name))
    return tuple(found)


def _only_host(context: Context) -> str:
    """The one host pip was pointed at (pip 24's urllib3 names no host in its error), if one."""
    hosts = {host_of(url) for _, value in context.index_settings for url in value.split()}
    hosts.discard("")
    return hosts.pop() if len(hosts) == 1 else "the index host"


def setting_for(host: str, settings: Sequence[tuple[str, str]]) -> str:
    """The option or variable whose value points at ``host``, else pip's configuration."""
    for name, value in settings:
        if host and any(host_of(url) == host for url in value.split()):
            return name
    return "index-url in pip's configuration (`pip config list`)"


def _seen(history: Sequence[Diagnosis], *kinds: FailureKind) -> bool:
    return any(previous.kind in kinds for previous in history)


def _plan_cache(diagnosis: Diagnosis, history: Sequence[Diagnosis], context: Context) -> Plan:
    if context.private_cache and _seen(history, FailureKind.CACHE_CORRUPT):
        return Plan(again=False, why="the cache failure recurred with a fresh private cache")
    remedies: list[Remedy] = []
    targets = purge_targets(diagnosis, context.cache_root) if context.cache_root else ()
    if targets:
        remedies.append(
            Remedy(RemedyAction.PURGE, "remove the corrupt cache entries", paths=targets)
        )
    # It recurs when an earlier attempt located an entry (and purged it). A failure that named
    # no entry changed nothing: the console does not locate a wheels/ entry, and the attempt
    # after it ran only to read pip's --log (install/loop.py).
    recurs = any(
        previous.kind is FailureKind.CACHE_CORRUPT and (previous.urls or previous.paths)
        for previous in history
    )
    # An empty body: read while another pip was still writing it (pypa/pip#12361, §A Concurrency).
    race = diagnosis.got_hash == EMPTY_SHA256
    # Located: an entry in the cache in use; with no cache known (diagnose reads a saved log),
    # whatever the log names.
    located = bool(targets) if context.cache_root else bool(diagnosis.urls or diagnosis.paths)
    if (recurs or race or not located) and not context.private_cache and not context.no_cache:
        why = (
            "an empty cached body: another pip was writing it (pypa/pip#12361)"
            if race
            else "the cache failure recurred"
            if recurs
            else "the corrupt entry could not be located, and stays in the cache"
            " (`safepip cache verify --fix` finds and removes damaged entries)"
        )
        remedies.append(Remedy(RemedyAction.PRIVATE_CACHE, f"use a private cache: {why}"))
    return Plan(
        again=True, remedies=tuple(remedies), why="a corrupt pip cache entry", immediate=True
    )


def _plan_network(diagnosis: Diagnosis, history: Sequence[Diagnosis], context: Context) -> Plan:
    if diagnosis.cause is Cause.UNREACHABLE:
        host = host_of(diagnosis.urls[0] if diagnosis.urls else None) or _only_host(context)
        if any(previous.cause is Cause.UNREACHABLE for previous in history):
            setting = setting_for(host, context.index_settings)
            return Plan(
                again=False,
                why=f"nothing answers at {host} (twice): check {setting}",
                hint=hints.unreachable(host, setting),
            )
        return Plan(
            again=True,
            why=f"nothing answered at {host}: one more attempt",
            delay=UNREACHABLE_WAIT,
        )
    remedies: tuple[Remedy, ...] = ()
    version = context.pip_version
    if (
        not context.resume_retries
        and version is not None
        and RESUME_SINCE <= version < RESUME_DEFAULT_SINCE
    ):
        remedies = (
            Remedy(
                RemedyAction.RESUME_RETRIES,
                f"let pip resume interrupted downloads (--resume-retries {RESUME_RETRIES})",
            ),
        )
    # "too many 5xx error responses" counts as pip's default retries: no more than the user set.
    retried = diagnosis.pip_retries
    if context.pip_retries is not None:
        retried = min(retried, context.pip_retries)
    if retried >= PIP_BACKOFF_RETRIES:
        return Plan(
            again=True,
            remedies=remedies,
            why="a transient network failure (pip already retried with its own backoff)",
            delay=AFTER_PIP_RETRIES_WAIT,
        )
    return Plan(again=True, remedies=remedies, why="a transient network failure")


def _plan_empty_page(diagnosis: Diagnosis, history: Sequence[Diagnosis], context: Context) -> Plan:
    if any(previous.cause is Cause.EMPTY_PAGE for previous in history):
        return Plan(again=False, why="the index page listed no files again: not found")
    # pip revalidates its cached copy of the page, and a mirror may answer 304 for the empty
    # one: drop it so that the retry asks the mirror afresh.
    targets = purge_targets(diagnosis, context.cache_root) if context.cache_root else ()
    purge = Remedy(RemedyAction.PURGE, "forget the empty index page pip cached", paths=targets)
    return Plan(
        again=True,
        remedies=(purge,) if targets else (),
        why="the index page listed no files: a mirror may still be fetching it",
        delay=EMPTY_PAGE_WAIT,
    )


def plan(  # noqa: RET503 - exhaustive over RetryPolicy; ends in assert_never
    diagnosis: Diagnosis, history: Sequence[Diagnosis], context: Context
) -> Plan:
    """Decide what follows a failed attempt.

    Whether another attempt can help is the diagnosis's ``policy`` (the one table,
    :data:`safepip.model.DEFAULT_POLICY`, unless the classifier refined it); the kind then
    picks the remedies that make the next attempt differ from the last.

    Args:
        diagnosis: the classification of the attempt that just failed.
        history: the diagnoses of the earlier failed attempts, oldest first.
        context: the state of the run.

    Returns:
        The plan; ``again`` is False whenever the policy is ``STOP``.
    """
    if context.log_empty:
        return Plan(again=False, why="pip failed before it wrote a log (see its output above)")
    policy = diagnosis.policy
    if policy is RetryPolicy.STOP:
        return Plan(again=False, why=f"{diagnosis.kind.value}: a retry cannot fix this")
    if policy is RetryPolicy.RETRY or policy is RetryPolicy.AFTER_REMEDY:
        return _on_the_way_out(_plan_retry(diagnosis, history, context), diagnosis, context)
    assert_never(policy)


def _on_the_way_out(decided: Plan, diagnosis: Diagnosis, context: Context) -> Plan:
    """A stop after a bad download still removes what pip cached of it.

    pip stores a download before it checks it: left in the cache, the bad copy fails every
    later plain pip, also after the index is fixed. The loop applies a stop's purges.
    """
    if decided.again or diagnosis.kind is not FailureKind.DOWNLOAD_CORRUPT:
        return decided
    targets = purge_targets(diagnosis, context.cache_root) if context.cache_root else ()
    if not targets:
        return decided
    purge = Remedy(RemedyAction.PURGE, "remove the bad copy pip cached", paths=targets)
    return replace(decided, remedies=(*decided.remedies, purge))


def _plan_retry(  # noqa: PLR0911 - one branch per kind
    diagnosis: Diagnosis, history: Sequence[Diagnosis], context: Context
) -> Plan:
    """The remedies of a kind whose policy lets it run again."""
    kind = diagnosis.kind
    if kind is FailureKind.NETWORK_TRANSIENT:
        return _plan_network(diagnosis, history, context)
    if diagnosis.cause is Cause.EMPTY_PAGE:
        return _plan_empty_page(diagnosis, history, context)
    if kind is FailureKind.CACHE_CORRUPT:
        return _plan_cache(diagnosis, history, context)
    if kind is FailureKind.DOWNLOAD_CORRUPT:
        return plan_download(diagnosis, history, context)
    if kind is FailureKind.TEMP_VANISHED:
        return Plan(again=True, why="a pip temp directory vanished: a fresh process")
    # unknown, and any kind the classifier judged retryable for this log: one plain retry.
    if _seen(history, kind):
        return Plan(again=False, why=f"the {kind.value} failure recurred")
    what = "an unrecognised failure" if kind is FailureKind.UNKNOWN else kind.value
    return Plan(again=True, why=f"{what}: one plain retry")


def needs_debug_lines(diagnosis: Diagnosis) -> bool:
    """Whether pip's console leaves the kind open, so that only its debug lines can decide.

    An unknown failure, and a not-found with no visible cause and no versions listed ("from
    versions: none"): pip says that too when the index answered 5xx, reset the connection or
    refused the credentials, and only its ``--log`` has those lines. A corrupt cache entry the
    console does not locate: the console says ``Using cached x.whl``, and only the debug lines
    name the file (``Using cached wheel link: file:///<cache>/wheels/...``, ``Found link``), so
    the retry with ``--log`` finds the entry to purge instead of leaving it in the user's cache.
    """
    if diagnosis.kind is FailureKind.UNKNOWN:
        return True
    if diagnosis.kind is FailureKind.CACHE_CORRUPT:
        return not diagnosis.urls and not diagnosis.paths
    if diagnosis.kind is not FailureKind.NOT_FOUND:
        return False
    listed = [line for line in diagnosis.evidence if "(from versions:" in line]
    return not listed or any("versions: none" in line or "versions: )" in line for line in listed)
