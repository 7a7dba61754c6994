"""The background import of the failure path: what starts it, and that it never races its caller."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from support.fakepip import fake_pip

from safepip.install.warm import SWITCH_INTERVAL, TROUBLE, Warmup

if TYPE_CHECKING:
    from pathlib import Path


@dataclass
class Recorder:
    """A ``load`` that records the names, can fail on one and can block until released."""

    fail: str = ""
    gate: threading.Event | None = None
    loaded: list[str] = field(default_factory=list)
    entered: threading.Event = field(default_factory=threading.Event)

    def __call__(self, name: str) -> object:
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(10)
        if name == self.fail:
            raise ImportError(name)
        self.loaded.append(name)
        return name


def _loaded(load: Recorder, names: list[str]) -> bool:
    """Wait (at most 10 s) until the warm-up has imported ``names``, in order."""
    deadline = time.monotonic() + 10
    while load.loaded != names and time.monotonic() < deadline:
        time.sleep(0.01)
    return load.loaded == names


CLEAN = (
    b"Collecting demo\n  Downloading demo-1.0-py3-none-any.whl (1.2 kB)\n"
    b"Installing collected packages: demo\nSuccessfully installed demo-1.0\n"
)
RETRYING = (
    b"WARNING: Retrying (Retry(total=4, connect=None, read=None, redirect=None, status=None))"
    b" after connection broken by 'NewConnectionError(...)': /simple/demo/\n"
)


def test_a_clean_run_imports_nothing() -> None:
    """Output with no trouble never starts the thread, however long pip runs."""
    load = Recorder()
    warm = Warmup(("a", "b"), load=load)
    for line in CLEAN.splitlines(keepends=True) * 50:
        warm.watch(line)
    warm.settle()
    warm.watch(RETRYING)  # after settle: pip has finished, nothing starts any more
    time.sleep(0.1)
    assert not warm.began
    assert load.loaded == []


def test_pip_retrying_starts_the_imports_at_once() -> None:
    """pip's own retry warning (a network fault) starts the imports while pip still runs."""
    load = Recorder()
    warm = Warmup(("a", "b"), load=load)
    warm.watch(CLEAN[:40])
    warm.watch(RETRYING)
    assert _loaded(load, ["a", "b"])  # while pip still runs: nobody settled yet
    warm.settle()
    assert warm.began


def test_a_marker_cut_between_two_reads_is_seen() -> None:
    """pip's output arrives in chunks of any size: a marker split across two still counts."""
    for marker in TROUBLE:
        for cut in range(1, len(marker)):
            load = Recorder()
            warm = Warmup(("a",), load=load)
            warm.watch(b"Collecting demo\n" + marker[:cut])
            assert not warm.began
            warm.watch(marker[cut:] + b" ...\n")
            assert load.entered.wait(10), (marker, cut)
            warm.settle()
            assert load.loaded == ["a"], (marker, cut)


def test_settle_waits_for_the_import_under_way_and_stops_the_rest() -> None:
    """settle returns only after the module being imported is done, and nothing starts after.

    A run that failed for good (pip's ``ERROR:`` line, then its exit) settles at once: the
    caller imports only what it needs, not the retry code still queued.
    """
    gate = threading.Event()
    load = Recorder(gate=gate)
    warm = Warmup(("a", "b", "c"), load=load)
    warm.watch(b"ERROR: No matching distribution found for demo\n")
    assert load.entered.wait(10)
    done = threading.Event()

    def settle() -> None:
        warm.settle()
        done.set()

    waiter = threading.Thread(target=settle)
    waiter.start()
    assert not done.wait(0.2)  # the caller must not import while the thread does
    gate.set()
    waiter.join(10)
    assert done.is_set()
    assert load.loaded == ["a"]
    assert warm.began
    warm.settle()  # settling again is a no-op
    assert load.loaded == ["a"]


def test_a_module_that_fails_to_import_does_not_stop_the_rest() -> None:
    """The failure is left to the caller's own import, which reports it; nothing escapes here."""
    load = Recorder(fail="b")
    warm = Warmup(("a", "b", "c"), load=load)
    warm.start()
    assert _loaded(load, ["a", "c"])
    warm.settle()


def test_the_main_thread_gets_the_lock_sooner_while_the_warm_up_runs() -> None:
    """While importing, the thread switch interval is short; after it, the user's is back.

    The main thread copies pip's output and waits for its exit meanwhile: it must not wait
    Python's default 5 ms for the interpreter lock each time it wakes.
    """
    before = sys.getswitchinterval()
    seen: list[float] = []
    warm = Warmup(("a", "b"), load=lambda name: seen.append(sys.getswitchinterval()))
    warm.watch(RETRYING)
    deadline = time.monotonic() + 10
    while len(seen) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    warm.settle()
    assert seen == [SWITCH_INTERVAL, SWITCH_INTERVAL]
    assert before > SWITCH_INTERVAL
    assert sys.getswitchinterval() == before


def test_two_warm_ups_restore_the_interval_only_when_both_have_ended() -> None:
    """The report's writers and the failure path may load together (a report is due)."""
    before = sys.getswitchinterval()
    first_gate, second_gate = threading.Event(), threading.Event()
    first, second = Recorder(gate=first_gate), Recorder(gate=second_gate)
    one, two = Warmup(("a",), load=first), Warmup(("b",), load=second)
    one.start()
    two.start()
    assert first.entered.wait(10)
    assert second.entered.wait(10)
    first_gate.set()
    one.settle()
    assert sys.getswitchinterval() == SWITCH_INTERVAL  # the other still imports
    second_gate.set()
    two.settle()
    assert sys.getswitchinterval() == before


def test_a_warmup_never_started_settles_at_once() -> None:
    warm = Warmup(("a",), load=Recorder())
    warm.settle()
    assert not warm.began
    warm.start()  # settled: a late start does nothing
    assert not warm.began


#: A failed first attempt (pip's retries of a file ran out on 500s), then a recovery, through
#: `safepip install` with a stand-in python, in a fresh interpreter that imported everything
#: the warm-up would: it prints the safepip and tenacity modules the failure still imported.
_AFTER_WARM = textwrap.dedent(
    """
    import sys
    from safepip import cli
    from safepip.install.warm import FAILURE_PATH
    for name in cli.RECOVERY_PATH + FAILURE_PATH:
        __import__(name)
    before = set(sys.modules)
    status = cli.main(["install", "--python", sys.argv[1], "demo"])
    print(status, *sorted(
        name for name in set(sys.modules) - before if name.startswith(("safepip", "tenacity"))
    ))
    """
)

_BURST_THEN_SUCCESS = """\
case "$*" in *"import pip"*) echo 26.3; exit 0;; esac
if [ -e "$0.failed" ]; then echo "Successfully installed demo-1.0"; exit 0; fi
touch "$0.failed"
echo "ERROR: Could not install packages due to an OSError: HTTPConnectionPool(host='127.0.0.1',\
 port=8765): Max retries exceeded with url: /files/demo-1.0-py3-none-any.whl (Caused by\
 ResponseError('too many 500 error responses'))" >&2
exit 1
"""


def test_the_lists_cover_what_a_network_failure_imports(tmp_path: Path) -> None:
    """After the warm-up, classifying and retrying a network failure imports nothing more."""
    python = fake_pip(tmp_path, _BURST_THEN_SUCCESS)
    env = {key: value for key, value in os.environ.items() if not key.startswith("SAFEPIP_")}
    for ci in ("CI", "GITHUB_ACTIONS", "GITLAB_CI", "TF_BUILD", "BUILDKITE", "JENKINS_URL"):
        env.pop(ci, None)
    done = subprocess.run(
        [sys.executable, "-c", _AFTER_WARM, str(python)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "attempt 1 failed: network-transient" in done.stderr
    assert done.stdout.splitlines()[-1].split() == ["0"]  # nothing imported after pip
