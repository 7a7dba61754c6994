"""The install loop's progress hooks: :class:`Reporter` (all no-ops) and :class:`FanOut`.

:class:`Reporter` is all no-op hooks (as resolvelib's ``BaseReporter``); the install loop calls
them and never prints. Concrete reporters live beside this module: text on stderr
(:mod:`safepip.report.text`) and the CI systems (:mod:`safepip.report.ci`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Sequence

    from safepip.model import Attempt, InstallResult, Remedy

PREFIX = "safepip:"


class Reporter:
    """Hooks called by the install loop; the base class does nothing."""

    def attempt_started(self, number: int, argv: Sequence[str]) -> None:
        """Attempt ``number`` is about to run ``argv``."""

    def attempt_failed(self, attempt: Attempt) -> None:
        """An attempt failed and was classified."""

    def remedy_applied(self, remedy: Remedy, deleted: Sequence[str], *, dry_run: bool) -> None:
        """A remedy was applied (``deleted`` lists every path removed by this attempt's purges)."""

    def retry_scheduled(self, attempt: Attempt, wait: float) -> None:
        """safepip will sleep ``wait`` seconds before the next attempt."""

    def stopping(self, attempt: Attempt, why: str) -> None:
        """No retry will follow ``attempt``, for the reason ``why``."""

    def finished(self, result: InstallResult) -> None:
        """The install ended."""

    def interrupted(self) -> None:
        """The install was cut off (Ctrl-C, a signal, pip that cannot start): no result follows."""

    def explained(self, lines: Sequence[str]) -> None:
        """Extra explanation of the final failure (a resolution conflict and its fix)."""

    def build_output(self, lines: Sequence[str]) -> None:
        """The output of a failed build step that pip wrote to its log only."""

    def progress(self, text: str) -> None:
        """What safepip does between or after pip runs (a debug-log retry, a fix search)."""


class FanOut(Reporter):
    """Passes every hook to several reporters in order (text on stderr plus CI annotations)."""

    def __init__(self, reporters: Sequence[Reporter]) -> None:
        """Keep the reporters."""
        self.reporters = tuple(reporters)

    def attempt_started(self, number: int, argv: Sequence[str]) -> None:
        """Forward to each reporter."""
        for reporter in self.reporters:
            reporter.attempt_started(number, argv)

    def attempt_failed(self, attempt: Attempt) -> None:
        """Forward to each reporter."""
        for reporter in self.reporters:
            reporter.attempt_failed(attempt)

    def remedy_applied(self, remedy: Remedy, deleted: Sequence[str], *, dry_run: bool) -> None:
        """Forward to each reporter."""
        for reporter in self.reporters:
            reporter.remedy_applied(remedy, deleted, dry_run=dry_run)

    def retry_scheduled(self, attempt: Attempt, wait: float) -> None:
        """Forward to each reporter."""
        for reporter in self.reporters:
            reporter.retry_scheduled(attempt, wait)

    def stopping(self, attempt: Attempt, why: str) -> None:
        """Forward to each reporter."""
        for reporter in self.reporters:
            reporter.stopping(attempt, why)

    def finished(self, result: InstallResult) -> None:
        """Forward to each reporter."""
        for reporter in self.reporters:
            reporter.finished(result)

    def interrupted(self) -> None:
        """Forward to each reporter."""
        for reporter in self.reporters:
            reporter.interrupted()

    def explained(self, lines: Sequence[str]) -> None:
        """Forward to each reporter."""
        for reporter in self.reporters:
            reporter.explained(lines)

    def build_output(self, lines: Sequence[str]) -> None:
        """Forward to each reporter."""
        for reporter in self.reporters:
            reporter.build_output(lines)

    def progress(self, text: str) -> None:
        """Forward to each reporter."""
        for reporter in self.reporters:
            reporter.progress(text)
