"""The install loop end to end with a scripted runner, a fake clock and a real cache tree."""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import cachetree as ct

from safepip.cache.layout import http_entry_paths
from safepip.errors import CacheRefused
from safepip.install.loop import Installer
from safepip.install.state import TIMEOUT_STATUS
from safepip.model import Cause, FailureKind, Options, Outcome, PipRun, RemedyAction

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from support.fakes import FakeClock

from support.fakes import FakeCache, FakeRunner

URL = "http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl"
GOOD = "a" * 64
BAD = "b" * 64

TRANSIENT = """\
Collecting demo
WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) \
after connection broken by 'ProtocolError('Connection aborted.', \
ConnectionResetError(104, 'Connection reset by peer'))': /simple/demo/
ERROR: Could not find a version that satisfies the requirement demo (from versions: none)
ERROR: No matching distribution found for demo
"""

NOT_FOUND = """\
ERROR: Could not find a version that satisfies the requirement nosuchpkg (from versions: none)
ERROR: No matching distribution found for nosuchpkg
"""


def hash_block(*, cached: bool, got: str) -> str:
    line = f"  Using cached {URL} (206 kB)" if cached else f"  Downloading {URL} (206 kB)"
    return f"""\
Collecting demo
{line}
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have \
updated the package versions, please update the hashes. Otherwise, examine the package \
contents carefully; someone may have tampered with them.
    demo from {URL}#sha256={GOOD}:
        Expected sha256 {GOOD}
             Got        {got}

"""


def no_query(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
    """The target interpreter's pip is 24.0 (no --resume-retries) unless a test says otherwise."""
    assert "import pip" in " ".join(argv), f"unexpected query {argv}"
    return 0, "24.0\n"


def make(
    clock: FakeClock,
    script: list[tuple[int, str] | tuple[int, str, float]],
    *,
    cache_root: Path | None = None,
    query: object = no_query,
    **options: object,
) -> tuple[Installer, FakeRunner, FakeCache]:
    runner = FakeRunner(script, clock)
    cache = FakeCache(cache_root)
    installer = Installer(
        "python3",
        Options(**options),  # type: ignore[arg-type]
        env={},
        run=runner,
        query=query,  # type: ignore[arg-type]
        sleep=clock.sleep,
        clock=clock,
        rand=lambda: 0.0,
        cache=cache,
    )
    return installer, runner, cache


def test_success_runs_pip_once_as_the_user_would(clock: FakeClock) -> None:
    """A clean install is one pip run: the user's arguments plus --no-input, no --log."""
    installer, runner, _ = make(clock, [(0, "Successfully installed demo-1.0\n")])
    result = installer.install(["demo"])
    assert result.outcome is Outcome.SUCCESS
    assert result.returncode == 0
    assert clock.sleeps == []
    assert runner.calls == [["python3", "-m", "pip", "install", "--no-input", "demo"]]
    assert result.log_path is None


def test_a_first_attempt_that_already_ran_is_not_run_again(clock: FakeClock) -> None:
    """The command line runs pip before loading the loop: the loop takes that run as attempt 1.

    It classifies it and goes on from the second attempt.
    """
    first = PipRun(
        args=("python3", "-m", "pip", "install", "--no-input", "demo"),
        returncode=1,
        log="",
        duration=2.5,
        output=TRANSIENT,
    )
    installer, runner, _ = make(clock, [(0, "")])
    result = installer.install(["demo"], first=first)
    assert result.outcome is Outcome.RECOVERED
    assert len(runner.calls) == 1  # only the retry ran here
    assert [a.args for a in result.attempts] == [first.args, tuple(runner.calls[0])]
    assert result.attempts[0].duration == 2.5
    assert result.attempts[0].diagnosis is not None
    assert result.attempts[0].diagnosis.kind is FailureKind.NETWORK_TRANSIENT


def test_the_budget_counts_a_first_attempt_that_already_ran(clock: FakeClock) -> None:
    """A first attempt that used up the budget leaves no time for a retry."""
    first = PipRun(args=("python3",), returncode=1, log="", duration=30.0, output=TRANSIENT)
    installer, runner, _ = make(clock, [(0, "")], time_budget=20.0)
    result = installer.install(["demo"], first=first)
    assert runner.calls == []
    assert result.outcome is Outcome.GAVE_UP
    assert result.returncode == 1


def test_transient_failure_is_retried_after_backoff(clock: FakeClock) -> None:
    """A network-transient failure is retried once the backoff wait has passed."""
    installer, runner, _ = make(clock, [(1, TRANSIENT), (0, "")])
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    assert result.returncode == 0
    assert clock.sleeps == [1.0]
    assert len(runner.calls) == 2
    first = result.attempts[0]
    assert first.diagnosis is not None
    assert first.diagnosis.kind is FailureKind.NETWORK_TRANSIENT
    assert first.wait == 1.0


def test_backoff_doubles_and_gives_up_after_the_attempt_cap(clock: FakeClock) -> None:
    """Waits double (1, 2, 4) and the last pip status is returned after the cap."""
    installer, runner, _ = make(clock, [(1, TRANSIENT)] * 4, attempts=4)
    result = installer.install(["demo"])
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert len(runner.calls) == 4
    assert result.outcome is Outcome.GAVE_UP
    assert result.returncode == 1
    assert all("--log" not in argv for argv in runner.calls)  # the console decided every time
    assert result.log_path is None
    assert result.text == TRANSIENT


def test_max_wait_caps_each_wait(clock: FakeClock) -> None:
    """No single wait exceeds --max-wait."""
    installer, _, _ = make(clock, [(1, TRANSIENT)] * 5, attempts=5, max_wait=3.0)
    installer.install(["demo"])
    assert clock.sleeps == [1.0, 2.0, 3.0, 3.0]


def test_deterministic_failure_stops_after_one_attempt(clock: FakeClock) -> None:
    """A not-found whose versions the console lists is never retried; pip's status is returned."""
    listed = NOT_FOUND.replace("(from versions: none)", "(from versions: 1.0, 2.0)")
    installer, runner, _ = make(clock, [(1, listed)])
    result = installer.install(["nosuchpkg==3"])
    assert len(runner.calls) == 1
    assert clock.sleeps == []
    assert result.outcome is Outcome.FAILED
    assert result.returncode == 1
    assert result.diagnosis is not None
    assert result.diagnosis.kind is FailureKind.NOT_FOUND


def test_a_bare_not_found_is_decided_by_one_attempt_with_the_debug_log(clock: FakeClock) -> None:
    """A bare "from versions: none" on the console: the retry adds --log; its not-found stops."""
    installer, runner, _ = make(clock, [(1, NOT_FOUND), (1, NOT_FOUND)])
    result = installer.install(["nosuchpkg"])
    assert len(runner.calls) == 2
    assert "--log" not in runner.calls[0]
    assert runner.calls[1][5] == "--log"
    assert sum(clock.sleeps) == 0  # no backoff: the retry changes what pip shows, not the luck
    assert result.outcome is Outcome.FAILED
    assert result.returncode == 1
    assert result.diagnosis is not None
    assert result.diagnosis.kind is FailureKind.NOT_FOUND


def test_the_debug_log_retry_says_why_it_runs_pip_again(clock: FakeClock) -> None:
    """The user sees pip's not-found twice: safepip says, once, why the second run happens."""
    from safepip.install.loop import DEBUG_RETRY
    from safepip.report.hooks import Reporter

    said: list[str] = []

    class Recorder(Reporter):
        def progress(self, text: str) -> None:
            said.append(text)

    installer, runner, _ = make(clock, [(1, NOT_FOUND), (1, NOT_FOUND)])
    installer = dataclasses.replace(installer, reporter=Recorder())
    installer.install(["nosuchpkg"])
    assert len(runner.calls) == 2
    assert said == [DEBUG_RETRY]
    # No attempt left: no retry to announce.
    installer, runner, _ = make(clock, [(1, NOT_FOUND)], attempts=1)
    dataclasses.replace(installer, reporter=Recorder()).install(["nosuchpkg"])
    assert len(runner.calls) == 1
    assert said == [DEBUG_RETRY]


def test_debug_lines_that_show_a_transient_cause_lead_to_normal_retries(clock: FakeClock) -> None:
    """A bare not-found whose debug log shows a reset connection is retried as network-transient."""
    installer, runner, _ = make(clock, [(1, NOT_FOUND), (1, TRANSIENT), (0, "")])
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    kinds = [a.diagnosis.kind for a in result.attempts if a.diagnosis is not None]
    assert kinds == [FailureKind.NOT_FOUND, FailureKind.NETWORK_TRANSIENT]
    assert "--log" in runner.calls[2]  # once needed, the debug log stays
    assert clock.sleeps == [0.0, 2.0]


def test_no_debug_rerun_when_the_user_gave_a_log_or_one_attempt(clock: FakeClock) -> None:
    """With the user's own --log, or --attempts 1, a bare not-found is one run."""
    installer, runner, _ = make(clock, [(1, NOT_FOUND)], attempts=1)
    installer.install(["nosuchpkg"])
    assert len(runner.calls) == 1


#: pip 26.3 after its 5 retries of a file that answered 500 (urllib3 logs no Retrying line for
#: a status retry, each one after pip's own backoff: 0, 0.5, 1, 2, 4 s).
FILE_500_BURST = """\
Collecting demo
ERROR: Could not install packages due to an OSError: HTTPConnectionPool(host='127.0.0.1', \
port=8765): Max retries exceeded with url: /files/demo-1.0-py3-none-any.whl \
(Caused by ResponseError('too many 500 error responses'))
"""

#: pip refused at the index: 5 Retrying lines (its backoff waited 7.5 s), then not-found.
REFUSED = "".join(
    f"WARNING: Retrying (Retry(total={left}, connect=None, read=None, redirect=None, "
    "status=None)) after connection broken by 'NewConnectionError(\"HTTPConnection("
    "host='127.0.0.1', port=8765): Failed to establish a new connection: [Errno 111] "
    "Connection refused\")': /simple/demo/\n"
    for left in range(4, -1, -1)
) + NOT_FOUND.replace("nosuchpkg", "demo")


def test_after_pips_own_retries_the_next_attempt_starts_at_once(clock: FakeClock) -> None:
    """pip already backed off 7.5 s inside the attempt: safepip adds no wait of its own."""
    installer, runner, _ = make(clock, [(1, FILE_500_BURST), (0, "")])
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    assert clock.sleeps == [0.0]
    assert result.attempts[0].wait == 0.0
    assert "--log" not in runner.calls[1]  # the console decided the kind: no debug log


def test_an_endless_5xx_burst_gives_up_after_the_attempt_cap(clock: FakeClock) -> None:
    """No wait between attempts does not mean no end: the attempt cap still stops it."""
    installer, runner, _ = make(clock, [(1, FILE_500_BURST)] * 4, attempts=4)
    result = installer.install(["demo"])
    assert len(runner.calls) == 4
    assert clock.sleeps == [0.0, 0.0, 0.0]
    assert result.outcome is Outcome.GAVE_UP
    assert result.returncode == 1


def test_with_retries_1_an_endless_5xx_gets_safepips_backoff(clock: FakeClock) -> None:
    """``--retries 1``: pip gave up at once, so the attempts are spaced by safepip's backoff."""
    installer, runner, _ = make(clock, [(1, FILE_500_BURST)] * 4, attempts=4)
    result = installer.install(["--retries", "1", "demo"])
    assert len(runner.calls) == 4
    assert clock.sleeps == [1.0, 2.0, 4.0]
    assert result.outcome is Outcome.GAVE_UP


def test_nothing_listening_gets_one_more_attempt_after_a_short_wait(clock: FakeClock) -> None:
    """Refused after pip's own retries: one more attempt after UNREACHABLE_WAIT, then stop."""
    from safepip.install.remedies import UNREACHABLE_WAIT

    installer, runner, _ = make(clock, [(1, REFUSED)] * 4, attempts=4)
    result = installer.install(["demo"])
    assert len(runner.calls) == 2
    assert clock.sleeps == [UNREACHABLE_WAIT]
    assert result.outcome is Outcome.FAILED
    assert result.diagnosis is not None
    assert "127.0.0.1:8765" in result.diagnosis.hint


def test_time_budget_prevents_a_wait_that_would_overrun(clock: FakeClock) -> None:
    """A wait that would end past the budget is not started."""
    script: list[tuple[int, str] | tuple[int, str, float]] = [(1, TRANSIENT, 4.0)] * 3
    installer, runner, _ = make(clock, script, time_budget=6.0, attempts=5)
    result = installer.install(["demo"])
    # attempt 1 (4 s) + wait 1 s = 5 s < 6; attempt 2 ends at 9 s: no further wait.
    assert clock.sleeps == [1.0]
    assert len(runner.calls) == 2
    assert result.outcome is Outcome.GAVE_UP


def test_pip_runs_are_bounded_by_the_remaining_budget(clock: FakeClock) -> None:
    """A pip that outlasts the budget is ended; safepip reports 124 and does not retry."""
    installer, runner, _ = make(clock, [(1, TRANSIENT, 50.0)], time_budget=20.0)
    result = installer.install(["demo"])
    assert runner.timeouts == [20.0]
    assert result.outcome is Outcome.GAVE_UP
    assert result.returncode == TIMEOUT_STATUS
    assert result.timed_out is True


def test_no_remedy_diagnoses_without_retrying(clock: FakeClock) -> None:
    """--no-remedy makes one attempt even for a retryable failure."""
    installer, runner, _ = make(clock, [(1, TRANSIENT)], no_remedy=True)
    result = installer.install(["demo"])
    assert len(runner.calls) == 1
    assert result.attempts[0].remedies == ()
    assert result.returncode == 1


def test_resume_retries_added_on_network_retry_for_new_pip(clock: FakeClock) -> None:
    """With pip 25.1 the retry passes --resume-retries; the version is asked once."""
    asked: list[list[str]] = []

    def query(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        asked.append(list(argv))
        return 0, "25.1.1\n"

    installer, runner, _ = make(clock, [(1, TRANSIENT), (1, TRANSIENT), (0, "")], query=query)
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    assert len(asked) == 1
    assert "--resume-retries" not in runner.calls[0]
    assert runner.calls[1][-2:] == ["--resume-retries", "5"]
    assert runner.calls[2].count("--resume-retries") == 1
    assert result.pip_version == "25.1.1"


def test_resume_retries_not_added_where_it_is_pips_default(clock: FakeClock) -> None:
    """pip >= 25.2 resumes 5 times by default: that remedy is neither applied nor reported."""
    installer, runner, _ = make(
        clock, [(1, TRANSIENT), (0, "")], query=lambda argv, env: (0, "26.3\n")
    )
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    assert "--resume-retries" not in runner.calls[1]
    assert result.attempts[0].remedies == ()


def test_resume_retries_not_added_for_old_pip(clock: FakeClock) -> None:
    """pip 24.0 has no --resume-retries: the retry runs with the same arguments."""
    installer, runner, _ = make(
        clock, [(1, TRANSIENT), (0, "")], query=lambda argv, env: (0, "24.0\n")
    )
    installer.install(["demo"])
    assert runner.calls[1][-1] == "demo"
    assert "--resume-retries" not in runner.calls[1]


def _fill(root: Path, url: str) -> tuple[Path, ...]:
    paths = http_entry_paths(root, url)
    for path in paths[:2]:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x" * 10)
    return paths


def test_cached_corrupt_download_purges_exactly_its_entries(
    clock: FakeClock, tmp_path: Path
) -> None:
    """'Using cached' + hash mismatch deletes that URL's http-v2 entry and nothing else."""
    root = tmp_path / "cache"
    bad = _fill(root, URL)
    other = _fill(root, "http://127.0.0.1:8765/files/other-1.0-py3-none-any.whl")
    installer, runner, _ = make(
        clock, [(1, hash_block(cached=True, got=BAD)), (0, "")], cache_root=root
    )
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    assert clock.sleeps == [0.0]  # the purge is the fix: no backoff wait
    assert not bad[0].exists()
    assert not bad[1].exists()
    assert other[0].exists()
    assert other[1].exists()
    first = result.attempts[0]
    assert first.remedies[0].action is RemedyAction.PURGE
    assert set(first.deleted) == {str(bad[0]), str(bad[1])}
    assert "--no-cache-dir" not in runner.calls[1]


def test_remedy_dry_run_deletes_nothing(clock: FakeClock, tmp_path: Path) -> None:
    """--remedy-dry-run reports the entries it would delete and leaves them."""
    root = tmp_path / "cache"
    bad = _fill(root, URL)
    installer, _, _ = make(
        clock,
        [(1, hash_block(cached=True, got=BAD)), (0, "")],
        cache_root=root,
        remedy_dry_run=True,
    )
    result = installer.install(["demo"])
    assert bad[0].exists()
    assert bad[1].exists()
    assert set(result.attempts[0].deleted) == {str(bad[0]), str(bad[1])}


def test_recurring_cache_failure_switches_to_a_private_cache(
    clock: FakeClock, tmp_path: Path
) -> None:
    """When the purge did not help, the next attempt gets its own temporary cache."""
    root = tmp_path / "cache"
    _fill(root, URL)
    script: list[tuple[int, str] | tuple[int, str, float]] = [
        (1, hash_block(cached=True, got=BAD)),
        (1, hash_block(cached=True, got=BAD + "")),
        (0, ""),
    ]
    installer, runner, _ = make(clock, script, cache_root=root)
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    assert "--cache-dir" not in runner.calls[1]
    index = runner.calls[2].index("--cache-dir")
    private = Path(runner.calls[2][index + 1])
    assert private != root
    assert not private.exists()  # removed when the install ended


#: A damaged wheel body: the bytes pip "downloaded" in the scripted runs below.
DAMAGED = b"PK\x03\x04" + b"damaged wheel bytes " * 500


def test_the_same_whole_bad_bytes_twice_stop(clock: FakeClock, tmp_path: Path) -> None:
    """pip cached the whole download before its hash check: the same bytes again stop the run.

    The copy with the Got sha256 holds all of its Content-Length, so the server sent them
    whole; it is purged, one download without the cache brings the same bytes, and the stop
    names the host that serves them.
    """
    root = tmp_path / "cache"
    got = hashlib.sha256(DAMAGED).hexdigest()
    meta, body = ct.add_http_v2(root, URL, DAMAGED)
    script: list[tuple[int, str] | tuple[int, str, float]] = [
        (1, hash_block(cached=False, got=got)),
        (1, hash_block(cached=False, got=got)),
    ]
    installer, runner, _ = make(clock, script, cache_root=root)
    result = installer.install(["demo"])
    assert len(runner.calls) == 2
    assert runner.calls[1][-1] == "--no-cache-dir"
    assert result.outcome is Outcome.FAILED
    first = result.attempts[0].diagnosis
    assert first is not None
    assert first.cause is Cause.COMPLETE
    assert f"holds {len(DAMAGED)} of the {len(DAMAGED)} bytes" in first.evidence[-1]
    assert set(result.attempts[0].deleted) >= {str(meta), str(body)}
    assert result.diagnosis is not None
    assert result.diagnosis.kind is FailureKind.DOWNLOAD_CORRUPT
    assert "127.0.0.1:8765 serves a damaged copy" in result.diagnosis.hint


def test_the_same_cut_twice_is_retried_as_a_network_failure(
    clock: FakeClock, tmp_path: Path
) -> None:
    """pip 24 cut at the same byte twice: no bar, no cached copy, the same Got; a third run.

    Nothing shows that the bytes were whole, so the same Got is no reason to stop: the third
    attempt runs after the backoff wait and succeeds.
    """
    script = [(1, hash_block(cached=False, got=BAD)), (1, hash_block(cached=False, got=BAD))]
    installer, runner, _ = make(clock, [*script, (0, "")], cache_root=tmp_path / "cache")
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    assert len(runner.calls) == 3
    assert runner.calls[1][-1] == "--no-cache-dir"
    assert clock.sleeps[-1] > 0  # the backoff, as for any network failure
    assert [a.diagnosis.cause for a in result.attempts if a.diagnosis] == [None, None]


def test_the_same_bytes_until_the_attempts_run_out_end_with_advice_for_both(
    clock: FakeClock, tmp_path: Path
) -> None:
    """Not known whole, the same Got on every attempt: safepip gives up at the attempt cap.

    The last next step allows for a cut (try again, pip >= 25.1) and for a bad copy; it does
    not tell the user to "retry once with --no-cache-dir", which safepip did.
    """
    script: list[tuple[int, str] | tuple[int, str, float]] = [
        (1, hash_block(cached=False, got=BAD))
    ] * 4
    installer, runner, _ = make(clock, script, cache_root=tmp_path / "cache", attempts=4)
    result = installer.install(["demo"])
    assert len(runner.calls) == 4
    assert result.outcome is Outcome.GAVE_UP
    assert result.diagnosis is not None
    assert "nothing shows whether it was all of the file" in result.diagnosis.hint
    assert "retry once" not in result.diagnosis.hint
    assert clock.sleeps[0] == 0.0  # --no-cache-dir first: no wait
    assert clock.sleeps[1:] == [2.0, 4.0]  # then the backoff of a network failure


def test_a_cached_copy_shorter_than_its_length_is_a_cut(clock: FakeClock, tmp_path: Path) -> None:
    """The copy with the Got sha256 is short of its Content-Length: a cut, purged, retried."""
    root = tmp_path / "cache"
    half = DAMAGED[: len(DAMAGED) // 2]
    meta, body = ct.add_http_v2(root, URL, half, headers={"Content-Length": str(len(DAMAGED))})
    got = hashlib.sha256(half).hexdigest()
    installer, runner, _ = make(
        clock, [(1, hash_block(cached=False, got=got)), (0, "")], cache_root=root
    )
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    first = result.attempts[0]
    assert first.diagnosis is not None
    assert first.diagnosis.cause is Cause.CUT_SHORT
    assert set(first.deleted) >= {str(meta), str(body)}
    assert "--no-cache-dir" not in runner.calls[1]  # a network failure: the cache stays on
    assert clock.sleeps == [1.0]


def test_from_pip_25_1_the_same_bad_bytes_twice_stop(clock: FakeClock, tmp_path: Path) -> None:
    """pip >= 25.1 checks Content-Length itself: a hash mismatch it finished is whole bytes."""

    def pip_26(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        return 0, "26.3\n"

    script: list[tuple[int, str] | tuple[int, str, float]] = [
        (1, hash_block(cached=False, got=BAD)),
        (1, hash_block(cached=False, got=BAD)),
    ]
    installer, runner, _ = make(clock, script, cache_root=tmp_path / "cache", query=pip_26)
    result = installer.install(["demo"])
    assert len(runner.calls) == 2
    assert result.outcome is Outcome.FAILED
    assert result.diagnosis is not None
    assert "serves a damaged copy" in result.diagnosis.hint


def test_users_own_log_is_used_and_not_replaced(clock: FakeClock, tmp_path: Path) -> None:
    """With the user's --log, safepip adds no log of its own and reads theirs."""
    log = tmp_path / "mine.log"
    installer, runner, _ = make(clock, [(1, NOT_FOUND)])
    result = installer.install(["--log", str(log), "nosuchpkg"])
    assert runner.calls[0].count("--log") == 1
    assert result.log_path is None  # the user's log is the log; no private copy is kept
    assert result.diagnosis is not None
    assert result.diagnosis.kind is FailureKind.NOT_FOUND


def test_empty_log_is_not_retried(clock: FakeClock) -> None:
    """pip that fails before logging anything (bad option, no pip) is not retried again.

    Its console leaves the kind open, so the second attempt asks for --log: an empty log says
    pip never started working.
    """
    installer, runner, _ = make(clock, [(2, ""), (2, "")])
    result = installer.install(["--no-such-option", "demo"])
    assert len(runner.calls) == 2
    assert "--log" in runner.calls[1]
    assert result.returncode == 2
    assert result.diagnosis is not None
    assert "ensurepip" in result.diagnosis.hint


@pytest.mark.parametrize("status", [-9, -15, -11])
def test_killed_pip_reports_failure_status(clock: FakeClock, status: int) -> None:
    """A pip a signal ended: the shell's 128 + N, one run (its output is no failure of its own).

    SIGKILL is most often the out-of-memory killer: the next step says so.
    """
    installer, runner, _ = make(clock, [(status, NOT_FOUND)] * 2)
    result = installer.install(["demo"])
    assert result.returncode == 128 - status
    assert len(runner.calls) == 1
    assert result.diagnosis is not None
    assert result.diagnosis.kind is FailureKind.INTERRUPTED
    assert ("out-of-memory" in result.diagnosis.hint) is (status == -9)
    assert ("crashed" in result.diagnosis.hint) is (status == -11)  # SIGSEGV


BUILD_LOG = (
    Path(__file__).resolve().parents[2]
    / "data/pip-logs/build-failure/real-pip26.3-backend-fails-wheel-log.txt"
)


@pytest.mark.parametrize("own_log", [True, False])
def test_build_output_hidden_by_log_is_shown_once(
    clock: FakeClock, tmp_path: Path, *, own_log: bool
) -> None:
    """pip keeps build output out of the console under --log; safepip shows it from the log.

    Without --log pip prints the build's output itself: safepip prints none of it again.
    """
    from safepip.report.hooks import Reporter

    shown: list[list[str]] = []

    class Recorder(Reporter):
        def build_output(self, lines: Sequence[str]) -> None:
            shown.append(list(lines))

    runner = FakeRunner([(1, BUILD_LOG.read_text())], clock)
    installer = Installer(
        "python3",
        Options(),
        env={},
        run=runner,
        query=no_query,
        sleep=clock.sleep,
        clock=clock,
        rand=lambda: 0.0,
        cache=FakeCache(None),
        reporter=Recorder(),
    )
    log = ["--log", str(tmp_path / "mine.log")] if own_log else []
    result = installer.install([*log, "broken-build"])
    assert result.diagnosis is not None
    assert result.diagnosis.kind is FailureKind.BUILD_FAILURE
    assert len(runner.calls) == 1
    if not own_log:
        assert shown == []
        return
    (lines,) = shown
    assert any("refusing to build broken-build at stage wheel" in line for line in lines)
    assert not any(line.startswith("2026-") for line in lines)  # timestamps stripped
    assert len(runner.calls) == 1


EMPTY_PAGE_CONSOLE = """\
ERROR: Could not find a version that satisfies the requirement demo (from versions: none)
ERROR: No matching distribution found for demo
"""
EMPTY_PAGE_LOG = """\
Fetching project page and analyzing links: http://127.0.0.1:3141/root/pypi/+simple/demo/
Fetched page http://127.0.0.1:3141/root/pypi/+simple/demo/ as application/vnd.pypi.simple.v1+json
ERROR: Could not find a version that satisfies the requirement demo (from versions: none)
ERROR: No matching distribution found for demo
"""


def test_an_empty_mirror_page_is_retried_once_after_a_fixed_delay(
    clock: FakeClock, tmp_path: Path
) -> None:
    """The plan's delay replaces the backoff; pip's cached copy of the page is removed."""
    from safepip.install.remedies import EMPTY_PAGE_WAIT

    page = "http://127.0.0.1:3141/root/pypi/+simple/demo/"
    cached = http_entry_paths(tmp_path, page)[0]
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"cc=4")
    script: list[tuple[int, str] | tuple[int, str, float]] = [
        (1, EMPTY_PAGE_CONSOLE),  # the console leaves a bare not-found open: again with --log
        (1, EMPTY_PAGE_LOG),  # the debug lines show the empty page
        (0, ""),
    ]
    installer, _runner, _ = make(clock, script, cache_root=tmp_path)
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    assert clock.sleeps == [0.0, EMPTY_PAGE_WAIT]
    assert not cached.exists()
    assert [r.action for r in result.attempts[1].remedies] == [RemedyAction.PURGE]


def test_an_empty_page_twice_is_not_found_and_a_purge_of_nothing_is_not_reported(
    clock: FakeClock, tmp_path: Path
) -> None:
    script: list[tuple[int, str] | tuple[int, str, float]] = [(1, EMPTY_PAGE_CONSOLE)]
    installer, runner, _ = make(clock, script + [(1, EMPTY_PAGE_LOG)] * 2, cache_root=tmp_path)
    result = installer.install(["demo"])
    assert len(runner.calls) == 3
    assert result.outcome is Outcome.FAILED
    assert result.diagnosis is not None
    assert result.diagnosis.kind is FailureKind.NOT_FOUND
    assert result.attempts[1].remedies == ()  # nothing was cached: no purge to report


CORPUS = Path(__file__).resolve().parents[2] / "data" / "pip-logs" / "cache-corrupt"
CORPUS_CACHE = "/tmp/safepip-corpus/cache"
BUILT_REST = "c2/62/90/3d9a127e3313ad838bfebfddfe48fc051e5e874b03f14a612b"


def _real(name: str, root: Path) -> str:
    """A real pip 26.3 run on a byte-flipped built wheel, its cache moved to ``root``."""
    return (CORPUS / f"{name}.txt").read_text(encoding="utf-8").replace(CORPUS_CACHE, str(root))


def _built_entries(root: Path) -> tuple[Path, Path]:
    """The corrupt built wheel's wheels/ entry, and another that must survive."""
    entry = root / "wheels" / BUILT_REST
    other = root / "wheels" / "aa" / "bb" / "cc" / ("d" * 50)
    for where, name in (
        (entry, "built_demo-3.0-py3-none-any.whl"),
        (other, "x-1.0-py3-none-any.whl"),
    ):
        where.mkdir(parents=True)
        (where / name).write_bytes(b"PK\x03\x04" + b"x" * 20)
    return entry, other


def test_a_built_wheel_the_console_does_not_locate_is_located_by_a_rerun_with_log(
    clock: FakeClock, tmp_path: Path
) -> None:
    """A built wheel the console names only as 'Using cached x.whl' is located by a --log rerun.

    Attempt 2 runs with --log and no remedy; its 'Using cached wheel link:' locates the entry,
    which alone is purged, and attempt 3 rebuilds it in the user's own cache (no private cache).
    """
    root = tmp_path / "cache"
    entry, other = _built_entries(root)
    script: list[tuple[int, str] | tuple[int, str, float]] = [
        (2, _real("real-pip26.3-wheels-cache-bad-crc-console", root)),
        (2, _real("real-pip26.3-wheels-cache-bad-crc-log", root)),
        (0, "Successfully installed built-demo-3.0\n"),
    ]
    installer, runner, _ = make(clock, script, cache_root=root)
    result = installer.install(["built-demo"])
    assert result.outcome is Outcome.RECOVERED
    assert "--log" not in runner.calls[0]
    assert "--log" in runner.calls[1]
    first, second = result.attempts[0], result.attempts[1]
    assert (first.remedies, first.deleted) == ((), ())
    assert [r.action for r in second.remedies] == [RemedyAction.PURGE]
    assert second.deleted == (str(entry),)
    assert not entry.exists()
    assert other.exists()
    assert all("--cache-dir" not in argv for argv in runner.calls)
    assert clock.sleeps == [0.0, 0.0]  # neither rerun waits: nothing was wrong with the network


def test_a_built_wheel_the_log_does_not_locate_either_gets_a_private_cache(
    clock: FakeClock, tmp_path: Path
) -> None:
    """When the --log names no entry either, the third attempt gets a private cache."""
    root = tmp_path / "cache"
    entry, _ = _built_entries(root)
    unlinked = "\n".join(
        line
        for line in _real("real-pip26.3-wheels-cache-bad-crc-log", root).splitlines()
        if "wheel link:" not in line
    )
    script: list[tuple[int, str] | tuple[int, str, float]] = [
        (2, _real("real-pip26.3-wheels-cache-bad-crc-console", root)),
        (2, unlinked),
        (0, "Successfully installed built-demo-3.0\n"),
    ]
    installer, runner, _ = make(clock, script, cache_root=root)
    result = installer.install(["built-demo"])
    assert result.outcome is Outcome.RECOVERED
    assert [r.action for r in result.attempts[1].remedies] == [RemedyAction.PRIVATE_CACHE]
    assert "--cache-dir" in runner.calls[2]
    assert entry.exists()  # nothing located, nothing deleted


@dataclass
class _RefusingCache(FakeCache):
    """A cache whose every delete is refused (another process holds its lock)."""

    def delete(self, root: Path, paths: Sequence[str], *, dry_run: bool) -> Sequence[str]:
        raise CacheRefused(f"the pip cache {root} is locked by another process")


def test_a_refused_purge_says_which_corrupt_entry_stays(clock: FakeClock, tmp_path: Path) -> None:
    """A purge the cache refuses becomes a private cache, and the reason names what stays."""
    root = tmp_path / "cache"
    bad = _fill(root, URL)
    installer, runner, _ = make(clock, [(1, hash_block(cached=True, got=BAD)), (0, "")])
    result = dataclasses.replace(installer, cache=_RefusingCache(root)).install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    (remedy,) = result.attempts[0].remedies
    assert remedy.action is RemedyAction.PRIVATE_CACHE
    assert remedy.reason.startswith(f"the pip cache {root} is locked by another process")
    assert f"the corrupt entry stays in the cache ({bad[0]} and 2 more)" in remedy.reason
    assert bad[0].exists()
    assert "--cache-dir" in runner.calls[1]


DOWNLOAD_CORPUS = CORPUS.parent / "download-corrupt"
DEMO_FILE = "http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl"


def pip_26_3(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
    assert "import pip" in " ".join(argv), f"unexpected query {argv}"
    return 0, "26.3\n"


@pytest.mark.parametrize("no_remedy", [False, True])
def test_a_bad_copy_pip_cached_is_removed_when_the_run_stops(
    clock: FakeClock, tmp_path: Path, no_remedy: bool
) -> None:
    """pip 26.3, an index without hashes serving a broken wheel (real pip text).

    The console names the file only, so the --no-cache-dir retry also runs with --log; its
    'Found link' names the URL, and the stop removes what attempt 1 cached of the bad copy
    (plain pip would fail from it even once the index is fixed). --no-remedy touches nothing.
    """
    root = tmp_path / "cache"
    entry = _fill(root, DEMO_FILE)
    other = _fill(root, "http://127.0.0.1:8765/files/dep-2.0-py3-none-any.whl")
    texts = [
        (DOWNLOAD_CORPUS / f"real-pip26.3-corrupt-download-no-link-hash-{fmt}.txt").read_text(
            encoding="utf-8"
        )
        for fmt in ("console", "log")
    ]
    script: list[tuple[int, str] | tuple[int, str, float]] = [(2, texts[0]), (2, texts[1])]
    installer, runner, _ = make(clock, script, cache_root=root, query=pip_26_3, no_remedy=no_remedy)
    result = installer.install(["demo"])
    assert result.outcome is Outcome.FAILED
    if no_remedy:
        assert len(runner.calls) == 1
        assert all(path.exists() for path in entry[:2])
        return
    assert "--log" not in runner.calls[0]
    assert "--log" in runner.calls[1]
    assert "--no-cache-dir" in runner.calls[1]
    first, second = result.attempts
    assert first.deleted == ()
    assert [r.action for r in second.remedies] == [RemedyAction.PURGE]
    assert set(second.deleted) == {str(entry[0]), str(entry[1])}
    assert not entry[0].exists()
    assert other[0].exists()
