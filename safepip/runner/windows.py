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

    def copy(source: object, target: object) -> None:
        while True:
            data = source.read1(READ_SIZE)  # type: ignore[attr-defined]
            if not data:
                return
            with lock:
                capture.feed(data)
                if watch is not None:
                    watch(data)
            with contextlib.suppress(OSError):
                target.write(data)  # type: ignore[attr-defined]
                target.flush()  # type: ignore[attr-defined]

    threads = [
        threading.Thread(target=copy, args=(process.stdout, sys.stdout.buffer), daemon=True),
        threading.Thread(target=copy, args=(process.stderr, sys.stderr.buffer), daemon=True),
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
    for thread in threads:
        thread.join(DRAIN_SECONDS)
    with lock:
        return process.returncode, capture.text(), timed_out
