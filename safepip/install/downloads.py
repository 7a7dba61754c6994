"""Pure planning of a download that failed its hash or arrived as a broken archive.

A download cut short is a network failure, retried with the backoff until the attempts run out;
the same bad bytes from a fresh download stop the run only when they are known to have arrived
whole (docs/failure-kinds.md §C). Whether they did comes from the log (the classifier's causes
``cut-short``, ``complete-download``, ``unsized-download``), from pip's cached copy of those
bytes (:func:`needs_received` asks, the loop reads the cache, :func:`with_received` answers),
and from the pip version (:data:`LENGTH_CHECKED_SINCE`).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from safepip.classifier import hints
from safepip.install.planning import Context, Plan, host_of, purge_targets
from safepip.model import Cause, Diagnosis, FailureKind, Remedy, RemedyAction, RetryPolicy

if TYPE_CHECKING:
    from collections.abc import Sequence

    from safepip.cache.received import Received

#: From pip 25.1 a download that ends before its Content-Length is resumed or fails as
#: ``incomplete-download`` (docs/failure-kinds.md §F): a hash mismatch then had every byte.
LENGTH_CHECKED_SINCE = (25, 1)


def needs_received(diagnosis: Diagnosis) -> str | None:
    """The URL whose cached copy can tell whether a failed download arrived whole, if any.

    A fresh download (not ``Using cached``) that failed its hash, when the log does not tell
    already: pip cached it before the check, so the copy with the ``Got`` sha256 is those bytes
    (:func:`safepip.cache.received.received`, run by the loop).
    """
    if (
        diagnosis.kind is not FailureKind.DOWNLOAD_CORRUPT
        or diagnosis.cause not in (None, Cause.UNSIZED)
        or diagnosis.from_cache
        or not diagnosis.got_hash
        or not diagnosis.urls
    ):
        return None
    return diagnosis.urls[0]


def with_received(diagnosis: Diagnosis, found: Received | None) -> Diagnosis:
    """The diagnosis with what pip's cached copy says: cut short, or whole (pure)."""
    if found is None:
        return diagnosis
    cause = Cause.CUT_SHORT if found.cut else Cause.COMPLETE
    state = "cut short" if found.cut else "whole"
    return replace(
        diagnosis,
        cause=cause,
        policy=RetryPolicy.RETRY if found.cut else diagnosis.policy,
        evidence=(*diagnosis.evidence, found.line),
        rule=f"{diagnosis.rule}; pip's cached copy of these bytes is {state}",
    )


def _whole(diagnosis: Diagnosis, context: Context) -> bool:
    """Whether the download of ``diagnosis`` is known to have arrived whole."""
    if diagnosis.cause is Cause.COMPLETE:
        return True
    # pip >= 25.1 checks what it received against the Content-Length, when there was one.
    version = context.pip_version
    fresh = diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT and diagnosis.cause is None
    return fresh and version is not None and version >= LENGTH_CHECKED_SINCE


def plan_download(diagnosis: Diagnosis, history: Sequence[Diagnosis], context: Context) -> Plan:
    """What follows a download-corrupt attempt (called by :func:`safepip.install.remedies.plan`).

    Cut short: purge what pip cached and retry with the backoff. The same bytes as an earlier
    attempt: stop naming the host when they are known whole, else retry as a network failure.
    Otherwise one download bypassing the cache, at once.
    """
    got = diagnosis.got_hash
    url = diagnosis.urls[0] if diagnosis.urls else None
    targets = purge_targets(diagnosis, context.cache_root) if context.cache_root else ()
    if diagnosis.cause is Cause.CUT_SHORT:
        # A download cut short is a network failure, however often it happens: drop what pip
        # cached of it and retry with backoff until the attempts run out.
        purge = Remedy(RemedyAction.PURGE, "remove the partial download pip cached", paths=targets)
        return Plan(
            again=True,
            remedies=(purge,) if targets else (),
            why="a download was cut short: a transient network failure",
        )
    same = [
        previous
        for previous in history
        if got
        and previous.got_hash == got
        and previous.kind in {FailureKind.DOWNLOAD_CORRUPT, FailureKind.CACHE_CORRUPT}
    ]
    if same and any(_whole(d, context) for d in (diagnosis, *same)):
        # The same sha256 is the same bytes: one whole copy of them makes all of them whole.
        return Plan(
            again=False,
            why=f"the same wrong bytes twice (Got {got[:12] if got else ''}…), arrived whole:"
            f" {host_of(url) or 'the index'} serves them",
            hint=hints.bad_copy(url, diagnosis.package),
        )
    if same:
        # The same bytes, but nothing shows that they were all of the file: a cut at the same
        # point (pip <= 24 does not check Content-Length) is a network failure.
        purge = Remedy(RemedyAction.PURGE, "remove the download pip cached", paths=targets)
        return Plan(
            again=True,
            remedies=(purge,) if targets else (),
            why="the same bytes again, not known to be whole: perhaps cut at the same point;"
            " retried as a network failure",
            hint=hints.bad_copy(url, diagnosis.package, whole=False),
        )
    broken = [p for p in history if p.kind is FailureKind.DOWNLOAD_CORRUPT and not p.got_hash]
    if got is None and broken and any(_whole(d, context) for d in (diagnosis, *broken)):
        # No hash to compare: one fresh download was the test, and it came back broken too.
        return Plan(
            again=False,
            why=f"a fresh download came back broken again: {host_of(url) or 'the index'}"
            " serves a bad copy",
            hint=hints.bad_copy(url, diagnosis.package),
        )
    if got is None and broken:
        return Plan(
            again=True,
            why="a fresh download came back broken again, not known to be whole: perhaps cut;"
            " retried as a network failure",
            hint=hints.bad_copy(url, diagnosis.package, whole=False),
        )
    remedies: list[Remedy] = []
    # A corrupt download is stored in the HTTP cache before the hash check fails and poisons
    # every later run (docs/failure-kinds.md §I): remove it even though the retry bypasses the
    # cache.
    if targets:
        remedies.append(
            Remedy(RemedyAction.PURGE, "remove the corrupt download pip cached", paths=targets)
        )
    if not context.no_cache:
        remedies.append(Remedy(RemedyAction.NO_CACHE_DIR, "download again, bypassing the cache"))
    return Plan(
        again=True, remedies=tuple(remedies), why="a download arrived corrupt", immediate=True
    )
