"""Reporters for CI systems: GitHub Actions annotations and step summary, GitLab log sections.

:func:`ci_reporters` reads the environment and returns the reporters that fit the CI safepip runs
in (none outside CI). They are :class:`safepip.report.hooks.Reporter` hooks like the text reporter
and
are meant to run beside it; they only render, they never decide.

Everything goes to safepip's own stream (stderr), never to pip's stdout: ``pip install --report -``
writes JSON there, and the drop-in promise keeps it parseable. Both runners read workflow
commands and section markers from either stream. Every text passes through
:func:`safepip.report.redact.redact` before it is written, so credentials in index URLs never reach
a log,
an annotation or a step summary.
"""

from __future__ import annotations

import re
import time
from typing import IO, TYPE_CHECKING, Callable

from safepip.model import Attempt, InstallResult, Outcome, RemedyAction
from safepip.report import ci_systems, sections
from safepip.report.hooks import Reporter
from safepip.report.lines import count, shown

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

#: GitHub truncates longer annotation messages; the evidence lines come first and are kept.
_MAX_EVIDENCE = 3
#: What one safepip run may add to the step summary (GitHub refuses a summary over 1 MiB).
SUMMARY_BUDGET = 256 * 1024
#: The longest annotation message written (GitHub shows far less of it).
MAX_MESSAGE = 4096


def redact(text: str) -> str:
    """:func:`safepip.report.redact.redact`, loaded when a CI reporter first writes.

    ``ci_reporters`` runs on every install: a clean one outside CI loads no redactor.
    """
    from safepip.report.redact import redact as _redact  # noqa: PLC0415

    return _redact(text)


def escape_data(text: str) -> str:
    """Escape a workflow-command message (``%``, CR, LF), as ``@actions/core`` does.

    Args:
        text: the message, possibly multi-line.

    Returns:
        The text with ``%`` -> ``%25``, CR -> ``%0D`` and LF -> ``%0A``.
    """
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    """Escape a workflow-command property value: as :func:`escape_data`, plus ``:`` and ``,``."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def _command(kind: str, title: str, message: str) -> str:
    """One ``::warning``/``::error`` line, redacted, capped, then escaped."""
    message = redact(message)
    if len(message) > MAX_MESSAGE:
        message = message[:MAX_MESSAGE] + "\n(cut: the full text is in safepip's log lines)"
    return f"::{kind} title={escape_property(redact(title))}::{escape_data(message)}\n"


def _remedies_text(attempt: Attempt) -> str:
    """The remedies of an attempt; a purge counts the files it actually deleted."""
    parts: list[str] = []
    for remedy in attempt.remedies:
        if remedy.action is RemedyAction.PURGE:
            deleted = sum(path in attempt.deleted for path in remedy.paths)
            parts.append(
                f"{remedy.action.value} ({count(deleted, 'cache entry', 'cache entries')} deleted)"
            )
        else:
            parts.append(remedy.action.value)
    return ", ".join(parts)


def _kind(attempt: Attempt) -> str:
    return attempt.diagnosis.kind.value if attempt.diagnosis else ""


class GitHubReporter(Reporter):
    """GitHub Actions: warning annotations for recovered failures, one error, a step summary.

    A resolution conflict's explanation (the ``explained`` hook, after ``finished``) becomes a
    ``::notice`` and a section of the step summary.

    Args:
        stream: where workflow commands go (safepip's stderr).
        summary_path: the ``$GITHUB_STEP_SUMMARY`` file, or None to write no summary.
    """

    def __init__(self, stream: IO[str], *, summary_path: str | None = None) -> None:
        """Bind the stream and the summary file."""
        self.stream = stream
        self.summary_path = summary_path
        self._summary_failed = False
        self._summary_left = SUMMARY_BUDGET

    def _write(self, line: str) -> None:
        self.stream.write(line)
        self.stream.flush()

    def retry_scheduled(self, attempt: Attempt, wait: float) -> None:
        """A failed attempt that safepip retries: one ``::warning`` line."""
        kind = _kind(attempt) or "an error"
        head = f"attempt {attempt.number} failed with {kind} (pip exit {attempt.returncode})"
        lines = [f"{head}; retrying in {wait:.1f}s"]
        remedies = _remedies_text(attempt)
        if remedies:
            lines.append(f"remedy: {remedies}")
        if attempt.diagnosis is not None:
            lines += shown(attempt.diagnosis.evidence, last=_MAX_EVIDENCE)
        self._write(_command("warning", "safepip", "\n".join(lines)))

    def finished(self, result: InstallResult) -> None:
        """One ``::error`` line for a final failure; the step summary for every outcome."""
        if result.outcome not in (Outcome.SUCCESS, Outcome.RECOVERED):
            self._write(_error_command(result))
        if self.summary_path:
            self._append_summary(self.summary_path, result)

    def explained(self, lines: Sequence[str]) -> None:
        """The explanation of a resolution conflict: a ``::notice`` and a summary section."""
        if not lines:
            return
        self._write(_command("notice", "safepip resolution-conflict", "\n".join(lines)))
        if self.summary_path:
            text = "\n".join(["**Why it conflicts:**", "", *_fence(lines), "", ""])
            self._append(self.summary_path, redact(text))

    def _append_summary(self, path: str, result: InstallResult) -> None:
        self._append(path, summary_markdown(result))

    def _append(self, path: str, text: str) -> None:
        """Append to the step summary; on failure warn once and stop trying."""
        if self._summary_failed or self._summary_left <= 0:
            return
        data = text.encode("utf-8", errors="surrogateescape")
        if len(data) > self._summary_left:
            note = "\n\n(safepip cut its step summary here: the job log has the rest)\n\n"
            keep = max(0, self._summary_left - len(note.encode()))
            text = data[:keep].decode("utf-8", errors="ignore") + note
            data = text.encode("utf-8")
        self._summary_left -= len(data)
        from safepip.files import append_file  # noqa: PLC0415 - only under CI
        from safepip.files import reason as describe_error  # noqa: PLC0415

        try:
            append_file(path, text)
        except OSError as exc:
            self._summary_failed = True
            reason = describe_error(exc)
            self._write(
                _command("warning", "safepip", f"cannot write the step summary {path}: {reason}")
            )


def _error_command(result: InstallResult) -> str:
    diagnosis = result.diagnosis
    kind = diagnosis.kind.value if diagnosis else "unknown"
    count = len(result.attempts)
    if result.outcome is Outcome.GAVE_UP:
        headline = f"pip install still failing after {count} attempt(s): {kind}"
    else:
        headline = f"pip install failed: {kind} (pip exit {result.returncode})"
    lines = [headline]
    if diagnosis is not None:
        lines += shown(diagnosis.evidence, last=_MAX_EVIDENCE)
        if diagnosis.hint:
            lines.append(f"next step: {diagnosis.hint}")
    return _command("error", f"safepip {kind}", "\n".join(lines))


def _cell(text: str) -> str:
    """A Markdown table cell: one line, no column break, no HTML."""
    flat = re.sub(r"\s+", " ", redact(text)).strip()
    return flat.replace("&", "&amp;").replace("<", "&lt;").replace("|", "\\|") or "-"


def _outcome_line(result: InstallResult) -> str:
    count = len(result.attempts)
    kinds = ", ".join(dict.fromkeys(_kind(a) for a in result.attempts if a.diagnosis))
    if result.outcome is Outcome.SUCCESS:
        return "**Outcome:** success on the first attempt"
    if result.outcome is Outcome.RECOVERED:
        return f"**Outcome:** recovered after {count} attempts ({kinds})"
    diagnosis = result.diagnosis
    kind = diagnosis.kind.value if diagnosis else "unknown"
    return f"**Outcome:** {result.outcome.value}: `{kind}` (exit status {result.returncode})"


def _fence(lines: Sequence[str]) -> list[str]:
    """A fenced code block longer than any backtick run inside it."""
    longest = max((len(run) for line in lines for run in re.findall(r"`+", line)), default=0)
    fence = "`" * max(3, longest + 1)
    return [fence, *lines, fence]


def summary_markdown(result: InstallResult) -> str:
    """The step-summary section of one ``safepip install``: outcome and a table of attempts.

    Args:
        result: the finished install.

    Returns:
        Markdown ending in a blank line (several installs append in turn); every text from pip
        or the user is redacted.
    """
    lines = [
        "### safepip install",
        "",
        _outcome_line(result),
        "",
        "| attempt | pip exit | kind | remedy | wait | duration |",
        "|---:|---:|---|---|---:|---:|",
    ]
    for attempt in result.attempts:
        wait = f"{attempt.wait:.1f}s" if attempt.wait else "-"
        lines.append(
            f"| {attempt.number} | {attempt.returncode} | {_cell(_kind(attempt))}"
            f" | {_cell(_remedies_text(attempt))} | {wait} | {attempt.duration:.1f}s |"
        )
    diagnosis = result.diagnosis
    if result.outcome not in (Outcome.SUCCESS, Outcome.RECOVERED) and diagnosis is not None:
        if diagnosis.evidence:
            evidence = [redact(line) for line in shown(diagnosis.evidence, last=_MAX_EVIDENCE)]
            lines += ["", *_fence(evidence)]
        if diagnosis.hint:
            lines += ["", f"**Next step:** {_cell(diagnosis.hint)}"]
    lines += ["", ""]
    return "\n".join(lines)


class GitLabReporter(Reporter):
    """GitLab CI: each attempt's pip output in a collapsed section of the job log.

    Args:
        stream: where the markers go (safepip's stderr; GitLab merges it with stdout).
        clock: Unix time in seconds, for the marker timestamps (GitLab shows the duration).
        opened: the section the command line opened for the first attempt before it started
            pip (:func:`safepip.report.sections.start`); this reporter closes it.
    """

    def __init__(
        self,
        stream: IO[str],
        *,
        clock: Callable[[], float] = time.time,
        opened: str | None = None,
    ) -> None:
        """Bind the stream and the clock, and take over a section already open."""
        self.stream = stream
        self.clock = clock
        self._open = opened

    def _end(self) -> None:
        if self._open is not None:
            sections.end(self.stream, self._open, clock=self.clock)
            self._open = None

    def attempt_started(self, number: int, argv: Sequence[str]) -> None:
        """Open a collapsed section headed by the attempt number and the pip command."""
        if self._open == sections.name(number):
            return  # opened before pip started: its header is written
        self._end()
        self._open = sections.start(self.stream, number, argv, clock=self.clock)

    def attempt_failed(self, attempt: Attempt) -> None:  # noqa: ARG002 - the event is enough
        """Close the section: what safepip says next stays visible."""
        self._end()

    def finished(self, result: InstallResult) -> None:  # noqa: ARG002 - the event is enough
        """Close the section of a successful last attempt."""
        self._end()

    def interrupted(self) -> None:
        """Close the open section: safepip's last line stays visible."""
        self._end()


def ci_reporters(
    env: Mapping[str, str],
    *,
    stdout: IO[str],
    stderr: IO[str],
    opened: str | None = None,
) -> list[Reporter]:
    """The reporters for the CI safepip runs in, detected from its environment.

    Args:
        env: the environment (``GITHUB_ACTIONS``, ``GITHUB_STEP_SUMMARY``, ``GITLAB_CI``).
        stdout: pip's standard output. Nothing is written to it (``pip install --report -``
            owns it); it is accepted so that callers pass both streams and the choice stays here.
        stderr: safepip's own stream, which the CI output goes to.
        opened: the GitLab section already open on ``stderr`` (the first attempt's), if any.

    Returns:
        A :class:`GitHubReporter` when ``GITHUB_ACTIONS=true``, a :class:`GitLabReporter` when
        ``GITLAB_CI=true``, otherwise an empty list.
    """
    del stdout  # see Args: pip's stream stays pip's
    reporters: list[Reporter] = []
    systems = ci_systems(env)
    if "github" in systems:
        summary = env.get("GITHUB_STEP_SUMMARY") or None
        reporters.append(GitHubReporter(stderr, summary_path=summary))
    if "gitlab" in systems:
        reporters.append(GitLabReporter(stderr, opened=opened))
    return reporters
