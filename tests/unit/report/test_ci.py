"""CI reporters: GitHub annotations and step summary, GitLab sections, detection from the env.

The reporters are driven with hand-made records from :mod:`safepip.model` (no pip), and once
through the real install loop with the fakes of ``conftest.py``.
"""

from __future__ import annotations

import io
import re
import shlex
from typing import TYPE_CHECKING, Any

import pytest
from support.fakes import FakeCache, FakeClock, FakeRunner

from safepip.install.loop import Installer
from safepip.model import (
    Attempt,
    Diagnosis,
    FailureKind,
    InstallResult,
    Options,
    Outcome,
    PipRun,
    Remedy,
    RemedyAction,
    RetryPolicy,
)
from safepip.report.ci import (
    GitHubReporter,
    GitLabReporter,
    ci_reporters,
    escape_data,
    escape_property,
    summary_markdown,
)
from safepip.report.redact import redact

if TYPE_CHECKING:
    from collections.abc import Sequence
    from pathlib import Path

    from safepip.report.hooks import Reporter
    from safepip.runner import Runner

SECRET = "s3cr3t-t0ken"
PRIVATE = f"https://ci-user:{SECRET}@pypi.example.com/simple/"
URL = "http://127.0.0.1:8000/files/demo-1.0-py3-none-any.whl"

CACHE_CORRUPT = Diagnosis(
    FailureKind.CACHE_CORRUPT,
    RetryPolicy.AFTER_REMEDY,
    evidence=(
        f"  Using cached {URL}",
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.",
    ),
    urls=(URL,),
    from_cache=True,
)
PRIVATE_CACHE = Remedy(RemedyAction.PRIVATE_CACHE, "use a private cache")
CONFLICT = Diagnosis(
    FailureKind.RESOLUTION_CONFLICT,
    RetryPolicy.STOP,
    evidence=("ERROR: ResolutionImpossible: for help visit https://pip.pypa.io",),
    hint=f"relax one of the pins; index {PRIVATE}",
)
PURGE = Remedy(RemedyAction.PURGE, "remove the corrupt cache entries", paths=("/c/a", "/c/a.body"))


def recovered() -> InstallResult:
    """Attempt 1: cache-corrupt, purged, waited 1.5 s; attempt 2 succeeds."""
    return InstallResult(
        Outcome.RECOVERED,
        0,
        (
            Attempt(1, 1, 2.04, CACHE_CORRUPT, remedies=(PURGE,), wait=1.5, deleted=PURGE.paths),
            Attempt(2, 0, 3.0, None),
        ),
    )


def failed() -> InstallResult:
    """A single attempt that stops on a resolution conflict."""
    return InstallResult(Outcome.FAILED, 1, (Attempt(1, 1, 4.2, CONFLICT),))


def github(env_summary: str | None = None) -> tuple[GitHubReporter, io.StringIO]:
    stream = io.StringIO()
    return GitHubReporter(stream, summary_path=env_summary), stream


# -- detection ------------------------------------------------------------------------------


def test_no_ci_variable_no_reporter_and_no_output() -> None:
    """Outside CI ci_reporters returns nothing and writes nothing to either stream."""
    out, err = io.StringIO(), io.StringIO()
    for env in ({}, {"GITHUB_ACTIONS": "false"}, {"GITLAB_CI": ""}, {"CI": "true"}):
        assert ci_reporters(env, stdout=out, stderr=err) == []
    assert out.getvalue() == err.getvalue() == ""


def test_detection_picks_the_reporter_of_each_ci() -> None:
    """GITHUB_ACTIONS=true gives the GitHub reporter (with the summary path), GITLAB_CI=true GitLab's."""
    out, err = io.StringIO(), io.StringIO()
    (gh,) = ci_reporters(
        {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": "/tmp/s.md"}, stdout=out, stderr=err
    )
    assert isinstance(gh, GitHubReporter)
    assert gh.summary_path == "/tmp/s.md"
    assert gh.stream is err
    (gl,) = ci_reporters({"GITLAB_CI": "true"}, stdout=out, stderr=err)
    assert isinstance(gl, GitLabReporter)
    (gh2,) = ci_reporters(
        {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": ""}, stdout=out, stderr=err
    )
    assert isinstance(gh2, GitHubReporter)
    assert gh2.summary_path is None


def test_ci_output_never_goes_to_pips_stdout(tmp_path: Path) -> None:
    """A whole failed run writes only to stderr: `pip install --report -` keeps stdout clean."""
    out, err = io.StringIO(), io.StringIO()
    env = {
        "GITHUB_ACTIONS": "true",
        "GITLAB_CI": "true",
        "GITHUB_STEP_SUMMARY": str(tmp_path / "s"),
    }
    for reporter in ci_reporters(env, stdout=out, stderr=err):
        reporter.attempt_started(1, ["python", "-m", "pip", "install", "demo"])
        reporter.attempt_failed(failed().attempts[0])
        reporter.finished(failed())
    assert out.getvalue() == ""
    assert "::error" in err.getvalue()
    assert "section_start" in err.getvalue()


# -- GitHub annotations ---------------------------------------------------------------------


def test_escaping_follows_the_workflow_command_rules() -> None:
    """Messages escape %, CR, LF; property values also ':' and ','."""
    assert escape_data("100% done\r\nnext") == "100%25 done%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


def test_retried_attempt_gives_one_warning_line() -> None:
    """A retried failure becomes a single ::warning line naming kind, exit, wait, remedy, evidence."""
    reporter, stream = github()
    attempt = recovered().attempts[0]
    reporter.attempt_failed(attempt)
    reporter.retry_scheduled(attempt, 1.5)
    text = stream.getvalue()
    assert text.count("\n") == 1
    assert text.startswith("::warning title=safepip::attempt 1 failed with cache-corrupt")
    message = text.rstrip("\n").split("::", 2)[2]
    assert message.split("%0A") == [
        "attempt 1 failed with cache-corrupt (pip exit 1); retrying in 1.5s",
        "remedy: purge (2 cache entries deleted)",
        f"Using cached {URL}",
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.",
    ]


def test_final_failure_gives_one_error_with_kind_in_title() -> None:
    """A failed install emits exactly one ::error line titled `safepip <kind>`, with the next step."""
    reporter, stream = github()
    reporter.stopping(failed().attempts[0], "a retry cannot fix this")
    reporter.finished(failed())
    lines = stream.getvalue().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(
        "::error title=safepip resolution-conflict::"
        "pip install failed: resolution-conflict (pip exit 1)%0AERROR: ResolutionImpossible"
    )
    assert "%0Anext step: relax one of the pins" in lines[0]


def test_gave_up_error_counts_the_attempts() -> None:
    """A retryable failure that outlasted the attempts says so in the error annotation."""
    net = Diagnosis(FailureKind.NETWORK_TRANSIENT, RetryPolicy.RETRY, evidence=("ERROR: 503",))
    attempts = tuple(Attempt(n, 1, 1.0, net) for n in (1, 2, 3))
    reporter, stream = github()
    reporter.finished(InstallResult(Outcome.GAVE_UP, 1, attempts))
    assert stream.getvalue().startswith(
        "::error title=safepip network-transient::pip install still failing after 3 attempt(s)"
    )


def test_success_and_recovery_give_no_error() -> None:
    """Success and recovery emit no ::error (and, without a summary path, nothing at all)."""
    reporter, stream = github()
    reporter.finished(recovered())
    reporter.finished(InstallResult(Outcome.SUCCESS, 0, (Attempt(1, 0, 1.0, None),)))
    assert stream.getvalue() == ""


def test_annotations_are_single_lines_even_with_hostile_evidence() -> None:
    """CR/LF/% inside evidence cannot end the command early or inject a second command."""
    evil = Diagnosis(
        FailureKind.UNKNOWN,
        RetryPolicy.RETRY,
        evidence=("50% of\r\n::error title=x::injected",),
        hint="a\nb",
    )
    reporter, stream = github()
    reporter.finished(InstallResult(Outcome.FAILED, 2, (Attempt(1, 2, 1.0, evil),)))
    (line,) = stream.getvalue().splitlines()
    assert "50%25 of%0D%0A::error title=x::injected" in line
    assert line.endswith("next step: a%0Ab")


def test_credentials_are_redacted_in_annotations() -> None:
    """user:password@ in evidence and hints never reaches a workflow command."""
    leaky = Diagnosis(
        FailureKind.AUTH,
        RetryPolicy.STOP,
        evidence=(f"ERROR: 401 Client Error: Unauthorized for url: {PRIVATE}demo/",),
        hint=f"check the credentials of {PRIVATE}",
    )
    reporter, stream = github()
    attempt = Attempt(1, 1, 1.0, leaky)
    reporter.retry_scheduled(attempt, 1.0)
    reporter.finished(InstallResult(Outcome.FAILED, 1, (attempt,)))
    text = stream.getvalue()
    assert SECRET not in text
    assert "pypi.example.com" in text


def test_purge_counts_only_the_files_deleted() -> None:
    """A purge whose planned files were missing (or a dry run) says how many really went."""
    planned = Remedy(RemedyAction.PURGE, "remove", paths=("/c/a", "/c/a.body", "/c/old"))
    attempt = Attempt(
        1, 1, 1.0, CACHE_CORRUPT, remedies=(planned, PRIVATE_CACHE), deleted=("/c/a.body",)
    )
    result = InstallResult(Outcome.RECOVERED, 0, (attempt, Attempt(2, 0, 1.0, None)))
    assert "| purge (1 cache entry deleted), private-cache |" in summary_markdown(result)


# -- step summary ---------------------------------------------------------------------------


def test_summary_has_outcome_and_a_row_per_attempt() -> None:
    """The Markdown lists attempt, pip exit, kind, remedy, wait and duration, then the outcome."""
    text = summary_markdown(recovered())
    lines = text.splitlines()
    assert lines[0] == "### safepip install"
    assert "**Outcome:** recovered after 2 attempts (cache-corrupt)" in lines
    header = lines.index("| attempt | pip exit | kind | remedy | wait | duration |")
    assert lines[header + 2 : header + 4] == [
        "| 1 | 1 | cache-corrupt | purge (2 cache entries deleted) | 1.5s | 2.0s |",
        "| 2 | 0 | - | - | - | 3.0s |",
    ]
    assert text.endswith("\n\n")


def test_summary_of_a_failure_shows_evidence_and_next_step_redacted() -> None:
    """A failed install's summary carries the evidence in a code block and the redacted hint."""
    text = summary_markdown(failed())
    assert "**Outcome:** failed: `resolution-conflict` (exit status 1)" in text
    assert "```\nERROR: ResolutionImpossible: for help visit https://pip.pypa.io\n```" in text
    assert "**Next step:** relax one of the pins" in text
    assert SECRET not in text


def test_summary_cells_cannot_break_the_table() -> None:
    """A '|' or newline in a hint is escaped; a backtick run lengthens the code fence."""
    odd = Diagnosis(
        FailureKind.UNKNOWN, RetryPolicy.RETRY, evidence=("a ``` b",), hint="x | y\n<b>z</b>"
    )
    text = summary_markdown(InstallResult(Outcome.FAILED, 1, (Attempt(1, 1, 1.0, odd),)))
    assert "**Next step:** x \\| y &lt;b>z&lt;/b>" in text
    assert "````\na ``` b\n````" in text


def test_summary_is_appended_to_the_step_summary_file(tmp_path: Path) -> None:
    """Each install appends its section; what other steps wrote stays."""
    path = tmp_path / "summary.md"
    path.write_text("# earlier step\n", encoding="utf-8")
    reporter, stream = github(str(path))
    reporter.finished(recovered())
    reporter.finished(failed())
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# earlier step\n### safepip install")
    assert text.count("### safepip install") == 2
    assert stream.getvalue().count("::error") == 1


def test_unwritable_summary_gives_one_warning_and_no_crash(tmp_path: Path) -> None:
    """A summary path that cannot be opened (a directory) costs one ::warning line, not the run."""
    reporter, stream = github(str(tmp_path))
    reporter.finished(recovered())
    (line,) = stream.getvalue().splitlines()
    assert line.startswith(f"::warning title=safepip::cannot write the step summary {tmp_path}")


def test_conflict_explanation_is_a_notice_and_a_summary_section(tmp_path: Path) -> None:
    """The explained hook adds one ::notice and a fenced block to the step summary."""
    path = tmp_path / "summary.md"
    reporter, stream = github(str(path))
    reporter.finished(failed())
    reporter.explained(["a==1.0 needs b<2", f"you asked for b==2.0 from {PRIVATE}"])
    reporter.explained([])
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    assert lines[1].startswith("::notice title=safepip resolution-conflict::a==1.0 needs b<2%0A")
    text = path.read_text(encoding="utf-8")
    assert text.index("**Outcome:**") < text.index(
        "**Why it conflicts:**\n\n```\na==1.0 needs b<2\n"
    )
    assert SECRET not in text + stream.getvalue()


def test_summary_survives_undecodable_bytes_from_a_log(tmp_path: Path) -> None:
    """A lone surrogate (bytes a log could not decode) is replaced, not an encoding crash."""
    odd = Diagnosis(FailureKind.UNKNOWN, RetryPolicy.RETRY, evidence=("bad byte \udcff here",))
    path = tmp_path / "summary.md"
    reporter, _ = github(str(path))
    reporter.finished(InstallResult(Outcome.FAILED, 1, (Attempt(1, 1, 1.0, odd),)))
    assert "bad byte ? here" in path.read_text(encoding="utf-8")


def test_unwritable_summary_warns_only_once(tmp_path: Path) -> None:
    """After one failed write the reporter stops trying: one warning for the whole run."""
    reporter, stream = github(str(tmp_path / "missing-dir" / "summary.md"))
    reporter.finished(failed())
    reporter.explained(["a==1.0 needs b<2"])
    warnings = [line for line in stream.getvalue().splitlines() if line.startswith("::warning")]
    assert len(warnings) == 1
    assert "No such file or directory" in warnings[0]


# -- GitLab sections ------------------------------------------------------------------------


def test_gitlab_sections_wrap_each_attempt() -> None:
    """Each attempt opens a collapsed section; a failure or the end closes it, with timestamps."""
    clock = iter([1700000000.2, 1700000002.9, 1700000004.0, 1700000007.5])
    stream = io.StringIO()
    reporter = GitLabReporter(stream, clock=lambda: next(clock))
    result = recovered()
    reporter.attempt_started(1, ["python", "-m", "pip", "install", "--index-url", PRIVATE, "a b"])
    reporter.attempt_failed(result.attempts[0])
    reporter.retry_scheduled(result.attempts[0], 1.5)
    reporter.attempt_started(2, ["python", "-m", "pip", "install", "demo"])
    reporter.finished(result)
    assert stream.getvalue() == (
        "\x1b[0Ksection_start:1700000000:safepip_attempt_1[collapsed=true]\r\x1b[0K"
        f"safepip: attempt 1: python -m pip install --index-url {shlex.quote(redact(PRIVATE))}"
        " 'a b'\n"
        "\x1b[0Ksection_end:1700000002:safepip_attempt_1\r\x1b[0K\n"
        "\x1b[0Ksection_start:1700000004:safepip_attempt_2[collapsed=true]\r\x1b[0K"
        "safepip: attempt 2: python -m pip install demo\n"
        "\x1b[0Ksection_end:1700000007:safepip_attempt_2\r\x1b[0K\n"
    )


def test_gitlab_redacts_and_keeps_the_header_on_one_line() -> None:
    """The section header carries no credentials and no line break from argv."""
    stream = io.StringIO()
    GitLabReporter(stream, clock=lambda: 0.0).attempt_started(1, ["pip", f"-i{PRIVATE}", "x\ny"])
    header = stream.getvalue()
    assert SECRET not in header
    assert header.count("\n") == 1
    assert header.endswith("'x y'\n")


# -- through the real install loop ----------------------------------------------------------


def _installer(clock: FakeClock, run: Runner, reporter: Reporter) -> Installer:
    """The real install loop with a scripted pip, a fake clock and no cache, telling ``reporter``."""
    return Installer(
        "python",
        Options(backoff_base=0.5),
        env={},
        run=run,
        query=lambda _argv, _env: (1, ""),
        sleep=clock.sleep,
        clock=clock,
        rand=lambda: 0.0,
        cache=FakeCache(None),
        reporter=reporter,
    )


@pytest.mark.parametrize("ci", ["github", "gitlab"])
def test_reporters_follow_the_real_install_loop(ci: str, clock: FakeClock, tmp_path: Path) -> None:
    """An unrecognised failure, one plain retry, then success: the hooks fire in loop order."""
    summary = tmp_path / "summary.md"
    env = (
        {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(summary)}
        if ci == "github"
        else {"GITLAB_CI": "true"}
    )
    err = io.StringIO()
    (reporter,) = ci_reporters(env, stdout=io.StringIO(), stderr=err)
    runner = FakeRunner(
        [(1, "something odd happened\n"), (0, "Successfully installed demo-1.0\n")], clock
    )
    result = _installer(clock, runner, reporter).install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    text = err.getvalue()
    if ci == "github":
        assert text.startswith(
            "::warning title=safepip::attempt 1 failed with unknown (pip exit 1)"
        )
        assert "::error" not in text
        rows = [
            line
            for line in summary.read_text(encoding="utf-8").splitlines()
            if line.startswith("| 1 ")
        ]
        wait = f"{clock.sleeps[0]:.1f}s" if clock.sleeps[0] else "-"  # the --log retry: no wait
        assert rows == [f"| 1 | 1 | unknown | - | {wait} | 1.0s |"]
    else:
        assert text.count("section_start:") == text.count("section_end:") == 2
        names = re.findall(r"section_(start|end):\d+:(\w+)", text)
        assert names == [
            ("start", "safepip_attempt_1"),
            ("end", "safepip_attempt_1"),
            ("start", "safepip_attempt_2"),
            ("end", "safepip_attempt_2"),
        ]


def test_an_interrupted_install_closes_its_gitlab_section(clock: FakeClock) -> None:
    """Ctrl-C during the second attempt: its section is closed before safepip's last line."""
    err = io.StringIO()
    (reporter,) = ci_reporters({"GITLAB_CI": "true"}, stdout=io.StringIO(), stderr=err)
    replay = FakeRunner([(1, "something odd happened\n")], clock)

    def runner(argv: Sequence[str], **kwargs: Any) -> PipRun:
        if replay.script:
            return replay(argv, **kwargs)
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        _installer(clock, runner, reporter).install(["demo"])
    names = re.findall(r"section_(start|end):\d+:(\w+)", err.getvalue())
    assert names == [
        ("start", "safepip_attempt_1"),
        ("end", "safepip_attempt_1"),
        ("start", "safepip_attempt_2"),
        ("end", "safepip_attempt_2"),
    ]
