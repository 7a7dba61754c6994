"""What a plan is made of: the run's context, the plan itself, the cache paths a purge removes.

Shared by :mod:`safepip.install.remedies` (the plan of every kind) and
:mod:`safepip.install.downloads` (the plan of a damaged download), which builds on it: both import
from here, and neither from the other's caller. Pure: nothing here touches the file system.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from safepip.errors import UsageError

if TYPE_CHECKING:
    from pathlib import Path

    from safepip.model import Diagnosis, Remedy


@dataclass(frozen=True)
class Context:
    """The state of the run that a plan depends on.

    Attributes:
        cache_root: the pip cache in use, or None when pip runs without a cache.
        pip_version: the version of the pip being driven, when known.
        resume_retries: ``--resume-retries`` is already passed (by the user or a remedy).
        private_cache: the attempts already run with safepip's private cache.
        no_cache: the attempts already run with ``--no-cache-dir``.
        log_empty: pip wrote nothing to its log (it failed before it started working).
        index_settings: ``(setting, value)`` of every option and variable that points pip at
            an index (:func:`index_settings`), to name the one behind an unreachable host.
        pip_retries: the retries the user set for pip (``--retries``, ``PIP_RETRIES``); None:
            pip's default (5).
    """

    cache_root: Path | None = None
    pip_version: tuple[int, ...] | None = None
    resume_retries: bool = False
    private_cache: bool = False
    no_cache: bool = False
    log_empty: bool = False
    index_settings: tuple[tuple[str, str], ...] = ()
    pip_retries: int | None = None


@dataclass(frozen=True)
class Plan:
    """What to do after a failed attempt.

    Attributes:
        again: another attempt can help (subject to the attempt cap and time budget).
        remedies: what to change before it, in order.
        why: one short line for the report.
        immediate: the remedies themselves fix the cause, so the next attempt needs no
            backoff wait (cache purges, a private cache, ``--no-cache-dir``).
        delay: a fixed wait before the next attempt instead of the backoff (None: backoff).
        hint: the next step for a human when it differs from the diagnosis's own (a stop the
            history explains, e.g. the same bad bytes twice); empty to keep the diagnosis's.
    """

    again: bool
    remedies: tuple[Remedy, ...] = ()
    why: str = ""
    immediate: bool = False
    delay: float | None = None
    hint: str = ""


def host_of(url: str | None) -> str:
    """``host[:port]`` of a URL without credentials; empty when there is none."""
    return urlsplit(url or "").netloc.rsplit("@", 1)[-1]


def purge_targets(diagnosis: Diagnosis, cache_root: Path) -> tuple[str, ...]:
    """The cache paths a targeted purge of ``diagnosis`` removes.

    Every implicated URL gives its HTTP-cache key in ``http-v2/`` (metadata and ``.body``) and
    the old ``http/`` layout; every implicated wheel path under ``wheels/`` gives that entry's
    directory. Paths that do not lie in the cache give nothing (logs are untrusted input).
    """
    # Loaded for a cache remedy only: a failure that stops at once does not need hashlib.
    from safepip.cache.layout import http_entry_paths, wheel_entry_dir  # noqa: PLC0415

    targets: list[str] = []
    for url in diagnosis.urls:
        try:
            targets.extend(str(path) for path in http_entry_paths(cache_root, url))
        except UsageError:  # not an absolute URL: nothing in the cache can be keyed by it
            continue
    for logged in diagnosis.paths:
        entry = wheel_entry_dir(cache_root, logged)
        if entry is not None:
            targets.append(str(entry))
    return tuple(dict.fromkeys(targets))
