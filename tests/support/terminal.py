"""Run a command on a pseudo-terminal, as on a developer's screen, and read what it showed."""

from __future__ import annotations

import fcntl
import os
import select
import struct
import subprocess
import termios
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence


def run_on_terminal(
    argv: Sequence[str],
    env: Mapping[str, str],
    *,
    timeout: float,
    rows: int = 40,
    columns: int = 100,
) -> tuple[int, str]:
    """Run with stdin, stdout and stderr on one pseudo-terminal of ``rows`` x ``columns``.

    Returns:
        The exit status and every byte written to the terminal (decoded, redraws included).
    """
    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    proc = subprocess.Popen(
        list(argv), env=dict(env), stdin=slave, stdout=slave, stderr=slave, start_new_session=True
    )
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 1.0)
        if not ready:
            if proc.poll() is not None:
                break
            continue
        try:
            data = os.read(master, 65536)
        except OSError:  # EIO: every writer is gone
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    returncode = proc.wait(timeout=30)
    return returncode, b"".join(chunks).decode("utf-8", "replace")
