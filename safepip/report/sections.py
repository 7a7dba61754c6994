"""GitLab CI's collapsible log sections, light enough to open before pip starts.

Each pip attempt's output sits in a collapsed section of the job log, headed by the attempt's
number and its redacted pip command: a recovered failure does not bury the log. The command line
opens the first attempt's section itself, just before it starts pip, so that pip starts at once
under GitLab as it does elsewhere; :class:`safepip.report.ci.GitLabReporter` opens the later ones
and closes them all. Only the markers live here: they load ``re`` and ``shlex``, and the redactor
when the first section opens (https://docs.gitlab.com/ci/jobs/job_logs/#custom-collapsible-sections).
"""

from __future__ import annotations

import re
import shlex
import time

TYPE_CHECKING = False  # mypy reads this as True; under GitLab this loads before pip starts
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from typing import IO


def name(number: int) -> str:
    """The section name of attempt ``number``."""
    return f"safepip_attempt_{number}"


def _marker(stream: IO[str], event: str, section: str, clock: Callable[[], float]) -> None:
    suffix = "[collapsed=true]" if event == "section_start" else ""
    stream.write(f"\x1b[0K{event}:{int(clock())}:{section}{suffix}\r\x1b[0K")


def start(
    stream: IO[str],
    number: int,
    argv: Sequence[str],
    *,
    clock: Callable[[], float] = time.time,
) -> str:
    """Open the collapsed section of attempt ``number``, headed by its pip command.

    Args:
        stream: safepip's stream (stderr; GitLab merges it with stdout).
        number: the attempt's number, from 1.
        argv: the pip command line; redacted and kept on one line in the header.
        clock: Unix time in seconds (GitLab shows a section's duration).

    Returns:
        The name of the section opened, for :func:`end`.
    """
    from safepip.report.redact import redact  # noqa: PLC0415 - loaded with the first section

    section = name(number)
    header = re.sub(r"[\r\n]+", " ", shlex.join(redact(arg) for arg in argv))
    _marker(stream, "section_start", section, clock)
    stream.write(f"safepip: attempt {number}: {header}\n")
    stream.flush()
    return section


def end(stream: IO[str], section: str, *, clock: Callable[[], float] = time.time) -> None:
    """Close ``section``: what follows stays visible in the job log."""
    _marker(stream, "section_end", section, clock)
    stream.write("\n")
    stream.flush()
