"""Load the failure path while a long pip run is still going, so that a retry starts sooner.

A clean install loads only what running pip needs (benchmarks/bench_overhead.py); the install
loop, the classifier, the remedy plan, the redaction and tenacity are imported after a failure,
and that costs 0.1-0.2 s between two attempts. A pip still running after :data:`WARM_AFTER`
seconds may be failing slowly (pip's own retries of one request take 7.5 s), so a background
thread imports them then, in parallel with pip: an index answering 503 x8 is recovered that much
sooner (issue 16). A shorter install imports nothing; a longer one pays that CPU time once, off
the critical path.

The thread only imports modules: no file, process or output. Whoever runs the first attempt
(the command line, or the loop when it runs that attempt itself) calls :meth:`Warmup.settle`
when pip has finished, before importing any of these or starting another process, so that two
threads never import at once. This module loads nothing itself (``_thread`` and ``time`` are
built in): the clean-install path starts it.
"""

from __future__ import annotations

import _thread
import time

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
#: Seconds of a pip run after which the failure path is loaded in the background: longer than
#: a small clean install, well inside pip's own retries (their last backoff alone is 4 s).
WARM_AFTER = 3.0

_WAITING, _LOADING, _DONE, _SETTLED = "waiting", "loading", "done", "settled"


def _import(name: str) -> object:
    return __import__(name)


class Warmup:
    """A one-shot background import of some modules, after a delay."""

    def __init__(
        self,
        modules: tuple[str, ...] = FAILURE_PATH,
        *,
        after: float = WARM_AFTER,
        load: Callable[[str], object] = _import,
    ) -> None:
        """Prepare the warm-up (its thread starts with :meth:`start`).

        Args:
            modules: the modules to import, in order.
            after: seconds before the thread starts importing.
            load: imports one module (``__import__``; a recorder in tests).
        """
        self._modules = modules
        self._after = after
        self._load = load
        self._lock = _thread.allocate_lock()
        self._finished = _thread.allocate_lock()
        self._state = _WAITING

    def start(self) -> Warmup:
        """Start the thread (it sleeps ``after`` seconds first); returns self."""
        self._finished.acquire()  # released when the imports are done
        _thread.start_new_thread(self._run, ())
        return self

    @property
    def began(self) -> bool:
        """Whether the thread started importing."""
        with self._lock:
            return self._state in (_LOADING, _DONE)

    def settle(self) -> None:
        """Stop a warm-up that has not begun, or wait for the one under way to finish.

        After this the caller imports alone. Waiting costs at most the rest of the imports
        (about 0.1 s), and only when pip ended just after :data:`WARM_AFTER`.
        """
        with self._lock:
            loading = self._state == _LOADING
            if self._state == _WAITING:
                self._state = _SETTLED
        if loading:
            with self._finished:
                pass

    def _run(self) -> None:
        time.sleep(self._after)
        with self._lock:
            if self._state != _WAITING:
                return
            self._state = _LOADING
        try:
            for name in self._modules:
                try:
                    self._load(name)
                except Exception:  # noqa: BLE001, S112 - the loop imports it again and reports
                    continue
        finally:
            with self._lock:
                self._state = _DONE
            self._finished.release()
