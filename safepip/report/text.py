"""The text report: short ``safepip:``-prefixed lines on stderr, for terminals and CI logs.

Every string that can carry a URL passes through :func:`safepip.report.redact.redact` first:
credentials never reach the output.
"""

from __future__ import annotations

import os
from typing import IO, TYPE_CHECKING

from safepip.model import Attempt, InstallResult, Outcome, Remedy, RemedyAction
from safepip.report.hooks import PREFIX, Reporter

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence


def _color_enabled(stream: IO[str], env: Mapping[str, str]) -> bool:
    # https://no-color.org and the FORCE_COLOR convention; otherwise only on a terminal.
    if env.get("NO_COLOR"):
        return False
    if env.get("FORCE_COLOR"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


class TextReporter(Reporter):
    """Short prefixed lines on a stream (stderr), for terminals and CI logs.

    Args:
        stream: where to write.
        quiet: only the final failure is written.
        env: the environment, for ``NO_COLOR`` / ``FORCE_COLOR``.
    """

    def __init__(
        self,
        stream: IO[str],
        *,
        quiet: bool = False,
        env: Mapping[str, str] | None = None,
        interpreter: Callable[[], str] | None = None,
    ) -> None:
        """Bind the stream; colour is decided once.

        ``interpreter`` describes the pip that ran (``/path/python (pip 24.0)``) when it is not
        the active environment's; the final report then names it.
        """
        self.stream = stream
        self.quiet = quiet
        self.interpreter = interpreter
        self.color = _color_enabled(stream, os.environ if env is None else env)
        self._shown: set[str] = set()  # evidence lines already on screen: said once

    def _paint(self, text: str, code: str) -> str:
        return f"\033[{code}m{text}\033[0m" if self.color else text

    def _line(self, text: str, *, force: bool = False) -> None:
        if self.quiet and not force:
            return
        from safepip.report.redact import redact  # noqa: PLC0415 - a clean install says nothing

        self.stream.write(f"{self._paint(PREFIX, '1')} {redact(text)}\n")
        self.stream.flush()

    def attempt_failed(self, attempt: Attempt) -> None:
        """Name the kind and show the decisive line."""
        diagnosis = attempt.diagnosis
        if diagnosis is None:
            return
        # The finer cause, when the log showed one: "download-corrupt, cut short".
        cause = f", {diagnosis.cause.value.replace('-', ' ')}" if diagnosis.cause else ""
        self._line(
            f"attempt {attempt.number} failed: {self._paint(diagnosis.kind.value, '33')}{cause}"
            f" (pip exit {attempt.returncode}, {attempt.duration:.1f}s)"
        )
        from safepip.report.lines import shown  # noqa: PLC0415 - only after a failure

        for line in shown(diagnosis.evidence, last=2):
            self._line(f"  evidence: {line}")
            if not self.quiet:
                self._shown.add(line)

    def remedy_applied(self, remedy: Remedy, deleted: Sequence[str], *, dry_run: bool) -> None:
        """Say what was changed, listing deleted cache entries."""
        if remedy.action is RemedyAction.PURGE:
            verb = "would delete" if dry_run else "deleted"
            existing = [path for path in remedy.paths if path in deleted]
            from safepip.report.lines import count  # noqa: PLC0415 - only after a failure

            self._line(
                f"{remedy.reason}: {verb} {count(len(existing), 'cache entry', 'cache entries')}"
            )
            for path in existing:
                self._line(f"  {verb} {path}")
        else:
            self._line(remedy.reason)

    def retry_scheduled(self, attempt: Attempt, wait: float) -> None:
        """Say how long safepip waits and for what."""
        if wait <= 0:
            self._line(f"retrying now (attempt {attempt.number + 1})")
        else:
            self._line(f"retrying in {wait:.1f}s (attempt {attempt.number + 1})")

    def finished(self, result: InstallResult) -> None:
        """One summary: recovered, or the diagnosis and the next step."""
        if result.outcome is Outcome.SUCCESS:
            return
        if result.outcome is Outcome.RECOVERED:
            kinds = ", ".join(
                dict.fromkeys(a.diagnosis.kind.value for a in result.attempts if a.diagnosis)
            )
            self._line(
                self._paint(f"recovered after {len(result.attempts)} attempts ({kinds})", "32")
            )
            return
        self._final(result)

    def build_output(self, lines: Sequence[str]) -> None:
        """Show the build step's output that pip's console left out (pip shows it even with -q)."""
        self._line("the failed build step's output (pip wrote it only to its log):", force=True)
        from safepip.report.lines import build_lines  # noqa: PLC0415 - only after a failure

        for line in build_lines(lines):
            self._line(f"  | {line}", force=True)

    def progress(self, text: str) -> None:
        """One line on what safepip does between or after pip runs (not with --safepip-quiet)."""
        self._line(text)

    def explained(self, lines: Sequence[str]) -> None:
        """Write the explanation; shown even with -q since it belongs to the final failure."""
        for line in lines:
            self._line(f"  {line}", force=True)

    def _final(self, result: InstallResult) -> None:
        if result.timed_out:
            self._timed_out(result)
            return
        diagnosis = result.diagnosis
        kind = diagnosis.kind.value if diagnosis else "unknown"
        headline = {
            Outcome.FAILED: f"pip install failed: {kind}",
            Outcome.GAVE_UP: f"pip install still failing after {len(result.attempts)}"
            f" attempt(s): {kind}",
        }.get(result.outcome, kind)
        self._line(self._paint(headline, "31;1"), force=True)
        if self.interpreter is not None:
            self._line(f"  pip that ran: {self.interpreter()}", force=True)
        if diagnosis is not None:
            from safepip.report.lines import shown  # noqa: PLC0415 - only after a failure

            for line in shown(diagnosis.evidence, last=3, skip=self._shown):
                self._line(f"  evidence: {line}", force=True)
            if diagnosis.hint:
                self._line(f"  next step: {diagnosis.hint}", force=True)
        if result.log_path:
            self._line(f"  full pip log: {result.log_path}", force=True)
        self._unredacted(result)

    def _unredacted(self, result: InstallResult) -> None:
        if result.unredacted_log:
            self._line(
                f"  note: your pip log {result.unredacted_log} may hold credentials pip wrote"
                " (safepip masks them only in its own output)",
                force=True,
            )

    def _timed_out(self, result: InstallResult) -> None:
        budget = f"{result.budget:g} s " if result.budget is not None else ""
        headline = f"time budget {budget}ran out: pip was still running and was ended"
        self._line(self._paint(headline, "31;1"), force=True)
        diagnosis = result.diagnosis
        if diagnosis is not None and diagnosis.evidence:
            from safepip.report.lines import shown  # noqa: PLC0415 - only after a failure

            for line in shown(diagnosis.evidence, last=2):
                self._line(f"  last error before the end: {line}", force=True)
        self._line(
            "  next step: raise --time-budget (SAFEPIP_TIME_BUDGET) if the install is just slow;"
            " if pip hung on a stalled download, check the index or proxy (pip's --timeout"
            " bounds each read)",
            force=True,
        )
        if result.log_path:
            self._line(f"  full pip log: {result.log_path}", force=True)
        self._unredacted(result)
