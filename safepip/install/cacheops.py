"""The install loop's cache collaborator: where pip's cache is, what it holds, the way out.

:class:`CacheOps` is the protocol the loop depends on; :class:`PipCache` is the real one, which
asks the target interpreter's pip where its cache is, reads what it holds of a download that
failed its hash through :mod:`safepip.cache.received` and deletes only through
:mod:`safepip.cache.delete`. Both import the cache code on first use: a clean install never
loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from safepip import runner
from safepip.errors import CacheRefused

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from safepip.cache.received import Received
    from safepip.model import Diagnosis
    from safepip.pipfacts import Query


class CacheOps(Protocol):
    """Where the pip cache is and how entries leave it (:mod:`safepip.cache.layout` by default)."""

    def locate(
        self, python: str, *, cache_dir_arg: str | None, no_cache: bool, env: Mapping[str, str]
    ) -> Path | None:
        """Return the cache root pip uses, or None when the cache is disabled."""

    def delete(self, root: Path, paths: Sequence[str], *, dry_run: bool) -> Sequence[str]:
        """Delete ``paths`` inside ``root`` (guarded); return those removed (or to be, if dry).

        Raises:
            CacheRefused: the cache cannot be touched now (the loop then uses a private cache).
        """

    def received(self, root: Path, url: str, sha256: str) -> Received | None:
        """How much of the failed download of ``url`` (bytes hashing to ``sha256``) is cached."""


def judge_download(cache: CacheOps, diagnosis: Diagnosis, root: Path | None) -> Diagnosis:
    """A download that failed its hash, judged cut short or whole by the copy pip cached of it.

    The question and the answer are the plan's (:func:`safepip.install.downloads.needs_received`,
    :func:`~safepip.install.downloads.with_received`); only the read of the cache is done here.
    """
    if root is None or not diagnosis.got_hash:  # no cache, or no bytes to match a copy with
        return diagnosis
    from safepip.install.downloads import needs_received, with_received  # noqa: PLC0415

    url = needs_received(diagnosis)
    if url is None:
        return diagnosis
    return with_received(diagnosis, cache.received(root, url, diagnosis.got_hash))


@dataclass(frozen=True)
class PipCache:
    """The real cache operations, asking the target interpreter's pip through ``query``."""

    query: Query = runner.query

    def locate(
        self, python: str, *, cache_dir_arg: str | None, no_cache: bool, env: Mapping[str, str]
    ) -> Path | None:
        """Locate pip's cache exactly as that pip does (see :func:`safepip.cache.layout.locate`)."""
        from safepip.cache import layout as _cache  # noqa: PLC0415

        return _cache.locate(
            python, cache_dir_arg=cache_dir_arg, no_cache=no_cache, env=env, query=self.query
        )

    def delete(self, root: Path, paths: Sequence[str], *, dry_run: bool) -> Sequence[str]:
        """Delete through the one guarded delete; refused paths are never removed.

        Raises:
            CacheRefused: the cache is locked past a short wait, read-only or not pip's, or
                none of the entries could be removed.
        """
        from safepip.cache.delete import delete  # noqa: PLC0415

        report = delete(root, paths, dry_run=dry_run)
        if report.failed and not report.deleted:
            raise CacheRefused(f"could not remove {report.failed[0]}")
        return report.deleted

    def received(self, root: Path, url: str, sha256: str) -> Received | None:
        """Read pip's cached copy of a failed download (:func:`safepip.cache.received.received`)."""
        from safepip.cache.received import received  # noqa: PLC0415

        return received(root, url, sha256)
