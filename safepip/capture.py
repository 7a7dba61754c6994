"""What safepip keeps of pip's output: a bounded tail plus the earlier lines that carry markers.

pip's output passes through safepip on its way to the user (:mod:`safepip.runner`) and its
``--log`` file is read back after a run; both can be hundreds of megabytes (a verbose build, the
debug lines of a large resolution). The classifier needs the end of the output, where pip says
why it failed, and a few earlier lines that explain it (a ``WARNING: Retrying`` long before a
bare not-found, a ``Using cached`` before a hash mismatch). :class:`Capture` keeps exactly that:

- the last :data:`TAIL_BYTES` bytes, cut at a line boundary;
- from everything older, the lines holding one of the classifier's trigger literals, the most
  recent :data:`MARKER_BYTES` bytes of them, each cut to :data:`MAX_LINE_BYTES`.

Memory stays below a few times ``TAIL_BYTES`` whatever the input size. The trigger list is
imported from the classifier only the first time output outgrows the tail, so a clean install
with ordinary output never loads the classifier. Pure: no I/O.
"""

from __future__ import annotations

#: ``typing`` stays off the path of a clean install (pip's output passes through here): mypy reads
#: this name as True.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import BinaryIO

#: The end of the output kept whole (the decisive lines are there).
TAIL_BYTES = 4 * 1024 * 1024
#: Older lines with markers kept at most (the most recent ones win).
MARKER_BYTES = 1024 * 1024
#: A kept marker line is cut to this length (the classifier reads 8192 characters of a line).
MAX_LINE_BYTES = 8192
#: The chunk size used when a file is streamed through a capture.
READ_CHUNK = 1024 * 1024
#: The most of one stream's unfinished line held back by :meth:`Capture.feed_from`.
PARTIAL_LINE = 65536


class Capture:
    """A bounded copy of a byte stream: the tail, plus older marker lines, in order."""

    def __init__(self, *, tail_bytes: int = TAIL_BYTES, marker_bytes: int = MARKER_BYTES) -> None:
        """Start empty; ``tail_bytes`` and ``marker_bytes`` bound what is kept."""
        self._tail_limit = tail_bytes
        self._marker_limit = marker_bytes
        self._chunks: list[bytes] = []
        self._size = 0
        self._markers: list[bytes] = []
        self._marker_size = 0
        self._triggers: Sequence[bytes] | None = None
        #: Per source (:meth:`feed_from`): its last chunk's end after its last newline.
        self._partial: dict[int, bytes] = {}
        #: Bytes seen in total (kept or not).
        self.total = 0
        #: Lines dropped from the middle (neither in the tail nor markers).
        self.dropped = 0

    def feed(self, data: bytes) -> None:
        """Append ``data`` (any split: lines may span calls)."""
        if not data:
            return
        self._chunks.append(data)
        self._size += len(data)
        self.total += len(data)
        if self._size > 2 * self._tail_limit:
            self._compact()

    def feed_from(self, source: int, data: bytes) -> None:
        """Append ``data`` from one of several streams, whole lines at a time.

        pip's stdout and stderr are two pipes whose chunks arrive in any order, and an
        unbuffered ``print`` writes its text and its newline apart: each stream's unfinished
        line waits (at most :data:`PARTIAL_LINE` bytes) for its end, :meth:`end` or
        :meth:`text`, so that the other stream's lines never cut it.
        """
        pending = self._partial.pop(source, b"") + data
        end = pending.rfind(b"\n") + 1
        if end == 0 and len(pending) < PARTIAL_LINE:
            self._partial[source] = pending
            return
        end = end or len(pending)
        self.feed(pending[:end])
        if end < len(pending):
            self._partial[source] = pending[end:]

    def end(self, source: int) -> None:
        """``source`` has ended: what it left unfinished is appended, as a line of its own."""
        rest = self._partial.pop(source, b"")
        if rest:
            self.feed(rest + b"\n")

    def text(self) -> str:
        """Everything kept, decoded (invalid UTF-8 replaced): markers first, then the tail."""
        for source in list(self._partial):
            self.end(source)
        if self._size > self._tail_limit:
            self._compact()
        head = b"".join(self._markers)
        return (head + b"".join(self._chunks)).decode("utf-8", errors="replace")

    def _compact(self) -> None:
        blob = b"".join(self._chunks)
        cut = len(blob) - self._tail_limit
        newline = blob.rfind(b"\n", 0, cut)
        cut = newline + 1 if newline != -1 else cut  # one giant line: cut inside it
        self._keep_markers(blob[:cut])
        rest = blob[cut:]
        self._chunks = [rest]
        self._size = len(rest)

    def _keep_markers(self, head: bytes) -> None:
        if self._triggers is None:
            # Only output larger than the tail gets here: a clean install never loads this.
            from safepip.classifier.rules import TRIGGERS  # noqa: PLC0415

            self._triggers = tuple(t.encode() for t in TRIGGERS)
        starts = marker_line_starts(head, self._triggers)
        lines = head.count(b"\n")
        self.dropped += lines - len(starts)
        for start in starts:
            end = head.find(b"\n", start)
            end = len(head) if end == -1 else end + 1
            line = head[start:end]
            if len(line) > MAX_LINE_BYTES:
                line = line[: MAX_LINE_BYTES - 1] + b"\n"
            self._markers.append(line)
            self._marker_size += len(line)
        drop = 0
        while self._marker_size > self._marker_limit and drop < len(self._markers):
            self._marker_size -= len(self._markers[drop])
            drop += 1
        if drop:
            self.dropped += drop
            del self._markers[:drop]


def marker_line_starts(data: bytes, triggers: Sequence[bytes]) -> list[int]:
    """The start offsets, in order, of the lines of ``data`` holding any of ``triggers``.

    One ``bytes.find`` pass per trigger (C speed), never a Python loop over every line.
    """
    starts: set[int] = set()
    for trigger in triggers:
        pos = data.find(trigger)
        while pos != -1:
            start = data.rfind(b"\n", 0, pos) + 1
            starts.add(start)
            end = data.find(b"\n", pos)
            if end == -1:
                break
            pos = data.find(trigger, end + 1)
    return sorted(starts)


def capture_file(handle: BinaryIO, *, limit: int | None = None) -> str:
    """Stream an open file from its current position through a :class:`Capture`.

    Args:
        handle: an open binary file, positioned where reading starts.
        limit: read at most this many bytes (None: to the end).

    Returns:
        The kept text.
    """
    capture = Capture()
    remaining = limit
    while remaining is None or remaining > 0:
        size = READ_CHUNK if remaining is None else min(READ_CHUNK, remaining)
        chunk = handle.read(size)
        if not chunk:
            break
        capture.feed(chunk)
        if remaining is not None:
            remaining -= len(chunk)
    return capture.text()
