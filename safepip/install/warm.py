"""Load the failure path while a failing pip run is still going, so that a retry starts sooner.

A clean install loads only what running pip needs (benchmarks/bench_overhead.py); the install
loop, the classifier, the remedy plan, the redaction and tenacity are imported after a failure,
and that costs 0.1-0.2 s between two attempts. When pip's output shows trouble while it runs
(:data:`TROUBLE`: pip retrying a request, whose own backoff takes 7.5 s, or an ``ERROR:``
line), a background thread imports them at once, in parallel with pip: an index answering 503
x8 is recovered that much sooner (issue 16). A run whose output shows no trouble, a clean install
however long, imports nothing.

The thread only imports modules: no file, process or output. Whoever runs the first attempt
(the command line, or the loop when it runs that attempt itself) passes :meth:`Warmup.watch` to
the runner and calls :meth:`Warmup.settle` when pip has finished, before importing any of these
or starting another process, so that the failure path is never imported by that thread and a
warm-up at once. Two warm-ups may run together (the report's writers, loaded while pip runs
when a report is due whatever pip does, and the failure path); an import cycle between them
would fail in a warm-up thread, which leaves that module to the caller. One import may overlap
the warm-up: with a ``--log``, the runner loads ``safepip.files``
to read it back; it imports only the standard library, so it cannot wait on a module the
warm-up holds while the warm-up waits on it. This module loads nothing itself (``_thread``
is built in): the clean-install path creates it.
"""

from __future__ import annotations

import _thread
import sys

#: ``typing`` costs start-up time a clean install does not pay: mypy reads this name as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

#: What classifying a failure and planning the next attempt import (lazily, in the loop).
#: tenacity is named, not imported, here: install/retry.py imports it on the first retry.
FAILURE_PATH = (
    "safepip.classifier",
    "safepip.classifier.hints",
    "safepip.classifier.normalize",
    "safepip.install.origins",
    "safepip.install.remedies",
    "safepip.pipfacts",
    "safepip.report.lines",
    "safepip.report.redact",
    "tenacity",
    "random",
)
#: What in pip's output starts the warm-up: pip retrying a request (a network fault it may not
#: get past), or an error. Not in a clean install's output, on any pip.
TROUBLE = (b"WARNING: Retrying (", b"ERROR:")
#: The bytes of the previous chunk kept, so that a marker cut between two reads is still seen.
_OVERLAP = max(len(marker) for marker in TROUBLE) - 1

#: The interpreter's thread switch interval while the warm-up runs (Python's default: 5 ms).
#: The main thread copies pip's output and waits for pip's exit; each time it wakes it needs
#: the interpreter lock the importing thread holds, and would wait up to the interval for it.
SWITCH_INTERVAL = 0.0005

#: Warm-ups running, and the switch interval to restore when the last one ends.
_switches = {"running": 0, "restore": 0.0}
_switches_lock = _thread.allocate_lock()


def _short_switches(change: int) -> None:
    """Count a warm-up in (+1) or out (-1): the first in shortens the switch interval.

    The last one out restores the interval it found.
    """
    with _switches_lock:
        if change > 0 and _switches["running"] == 0:
            _switches["restore"] = sys.getswitchinterval()
            sys.setswitchinterval(min(_switches["restore"], SWITCH_INTERVAL))
        _switches["running"] += change
        if _switches["running"] == 0:
            sys.setswitchinterval(_switches["restore"])


_WAITING, _LOADING, _STOPPING, _DONE, _SETTLED = "waiting", "loading", "stopping", "done", "settled"


def _import(name: str) -> object:
    return __import__(name)


class Warmup:
    """A one-shot background import of some modules, once pip's output shows trouble."""

    def __init__(
        self,
        modules: tuple[str, ...] = FAILURE_PATH,
        *,
        load: Callable[[str], object] = _import,
    ) -> None:
        """Prepare the warm-up (its thread starts when :meth:`watch` sees trouble).

        Args:
            modules: the modules to import, in order.
            load: imports one module (``__import__``; a recorder in tests).
        """
        self._modules = modules
        self._load = load
        self._lock = _thread.allocate_lock()
        self._finished = _thread.allocate_lock()
        self._state = _WAITING
        self._tail = b""

    def watch(self, data: bytes) -> None:
        """Read the next chunk of pip's output; start the imports when it first shows trouble."""
        if self._state != _WAITING:  # started or settled: nothing more to look for
            return
        seen = self._tail + data
        self._tail = seen[-_OVERLAP:]
        if any(marker in seen for marker in TROUBLE):
            self.start()

    def start(self) -> None:
        """Start the imports in a thread now, unless they began or were settled already."""
        with self._lock:
            if self._state != _WAITING:
                return
            self._state = _LOADING
            self._finished.acquire()  # released when the imports are done
        _thread.start_new_thread(self._run, ())

    @property
    def began(self) -> bool:
        """Whether the thread started importing."""
        with self._lock:
            return self._state in (_LOADING, _STOPPING, _DONE)

    def settle(self) -> None:
        """Stop the warm-up: it began nothing, or it ends with the module it is importing.

        After this the caller imports alone, and only what it needs: a run that failed for
        good (pip printed its ``ERROR:`` and exited at once) does not wait for the retry code.
        Waiting costs at most the one import under way.
        """
        with self._lock:
            loading = self._state == _LOADING
            if self._state == _WAITING:
                self._state = _SETTLED
            elif loading:
                self._state = _STOPPING
        if loading:
            with self._finished:
                pass

    def _run(self) -> None:
        _short_switches(+1)
        try:
            for name in self._modules:
                with self._lock:
                    if self._state == _STOPPING:
                        break
                try:
                    self._load(name)
                except Exception:  # noqa: BLE001, S112 - the loop imports it again and reports
                    continue
        finally:
            _short_switches(-1)
            with self._lock:
                self._state = _DONE
            self._finished.release()
