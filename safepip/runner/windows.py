"""Windows: no pseudo-terminals and no process groups to signal, so pipes and threads."""

from __future__ import annotations

import contextlib
import subprocess
import sys
import threading

from safepip.capture import Capture
from safepip.errors import PipNotFound
from safepip.runner.session import DRAIN_SECONDS, READ_SIZE

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence


def run_pipes_only(
    argv: Sequence[str],
    env: Mapping[str, str],
    timeout: float | None,
    watch: Callable[[bytes], None] | None = None,
) -> tuple[int, str, bool]:  # pragma: no cover - Windows
    """Windows: pipes for both streams, a thread copying each; pip in its own process group."""
    capture = Capture()
    lock = threading.Lock()
    flags = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
    try:
        process = subprocess.Popen(
            list(argv),
            env=dict(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            creationflags=flags,
        )
    except OSError as exc:
        raise PipNotFound.not_started(argv[0], exc) from exc

    threads = [
        threading.Thread(
            target=_copy,
            args=(process.stdout, sys.stdout.buffer, capture, lock, watch),
            daemon=True,
        ),
        threading.Thread(
            target=_copy,
            args=(process.stderr, sys.stderr.buffer, capture, lock, watch),
            daemon=True,
        ),
    ]
    for thread in threads:
        thread.start()
    timed_out = False
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        timed_out = True
        process.kill()
        process.wait()
    except BaseException:
        process.kill()
        process.wait()
        raise
    for thread, stream in zip(threads, (process.stdout, process.stderr)):
        thread.join(DRAIN_SECONDS)
        if not thread.is_alive() and stream is not None:  # one still read is left to its thread
            stream.close()
    with lock:
        return process.returncode, capture.text(), timed_out


def _copy(
    source: object,
    target: object,
    capture: Capture,
    lock: threading.Lock,
    watch: Callable[[bytes], None] | None,
) -> None:
    """Copy one of pip's streams to the user's, into the shared capture (whole lines)."""
    key = id(source)
    while True:
        data = source.read1(READ_SIZE)  # type: ignore[attr-defined]
        if not data:
            with lock:
                capture.end(key)
            return
        with lock:
            capture.feed_from(key, data)  # whole lines: the two streams' chunks interleave
            if watch is not None:
                watch(data)
        with contextlib.suppress(OSError):
            target.write(data)  # type: ignore[attr-defined]
            target.flush()  # type: ignore[attr-defined]
