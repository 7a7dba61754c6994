"""The bounded capture of pip's output, and the memory of the install path on a 200 MB log."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from safepip.capture import PARTIAL_LINE, Capture, capture_file, marker_line_starts

FILLER = b"2026-12-07T03:59:34,123 Found link https://idx.example/demo-1.0.tar.gz, version: 1.0\n"
WARNING = b"WARNING: Retrying (Retry(total=4)) after connection broken by 'ProtocolError': /simple/demo/\n"
NOT_FOUND = (
    b"ERROR: Could not find a version that satisfies the requirement demo (from versions: none)\n"
    b"ERROR: No matching distribution found for demo\n"
)


def test_small_output_is_kept_whole() -> None:
    """Below the tail size nothing is dropped, whatever the chunking."""
    capture = Capture(tail_bytes=1000, marker_bytes=100)
    data = b"Collecting demo\n  Downloading demo-1.0.whl (1 kB)\nSuccessfully installed demo-1.0\n"
    for byte in range(0, len(data), 7):
        capture.feed(data[byte : byte + 7])
    assert capture.text() == data.decode()
    assert capture.dropped == 0


def test_large_output_keeps_the_tail_and_the_earlier_markers_in_order() -> None:
    """An early warning survives megabytes of noise; the end is kept whole; the middle goes."""
    capture = Capture(tail_bytes=64 * 1024, marker_bytes=4096)
    capture.feed(WARNING)
    for _ in range(20_000):
        capture.feed(FILLER)
    capture.feed(NOT_FOUND)
    text = capture.text()
    assert text.startswith(WARNING.decode())
    assert text.endswith(NOT_FOUND.decode())
    assert len(text) <= 64 * 1024 + 4096
    assert capture.dropped > 15_000
    assert capture.total == len(WARNING) + 20_000 * len(FILLER) + len(NOT_FOUND)


def test_markers_are_bounded_and_the_most_recent_win() -> None:
    """Old marker lines beyond the marker budget are dropped first."""
    capture = Capture(tail_bytes=1024, marker_bytes=300)
    for number in range(200):
        capture.feed(f"WARNING: number {number:04d}\n".encode())
        capture.feed(FILLER * 20)
    text = capture.text()
    kept = [line for line in text.splitlines() if line.startswith("WARNING")]
    assert kept
    assert kept[-1] == "WARNING: number 0199" or "WARNING: number 0199" in text
    assert "WARNING: number 0000" not in text
    assert sum(len(line) + 1 for line in kept) <= 300 + 1024


def test_a_giant_line_without_newlines_is_still_bounded() -> None:
    """A progress bar redrawn with carriage returns forever is cut, not kept whole."""
    capture = Capture(tail_bytes=1000, marker_bytes=100)
    for _ in range(1000):
        capture.feed(b"\r 45% |#####     | 1.2 MB/s" * 10)
    assert len(capture.text()) <= 1100


@given(st.lists(st.sampled_from([b"ERROR: x\n", b"plain\n", b"WARNING y\n", b"a"]), max_size=60))
@settings(max_examples=200)
def test_marker_line_starts_matches_a_line_by_line_scan(parts: list[bytes]) -> None:
    """The C-speed scan finds exactly the lines a naive loop finds."""
    data = b"".join(parts)
    triggers = (b"ERROR", b"WARN")
    expected = []
    offset = 0
    for line in data.splitlines(keepends=True):
        if any(t in line for t in triggers):
            expected.append(offset)
        offset += len(line)
    assert marker_line_starts(data, triggers) == expected


def test_capture_file_honours_the_limit() -> None:
    """Only ``limit`` bytes are read from the current position."""
    handle = io.BytesIO(b"skip\n" + NOT_FOUND + b"not read\n")
    handle.seek(5)
    assert capture_file(handle, limit=len(NOT_FOUND)) == NOT_FOUND.decode()


def test_install_path_memory_on_a_200_mb_log(tmp_path: Path) -> None:
    """A pip that prints 200 MB and writes a 200 MB --log: safepip stays under 150 MB resident.

    The run goes through the real runner (the output pumped to /dev/null and captured) and the
    classifier reads the captured text, as the install loop does.
    """
    big = tmp_path / "big.log"
    with big.open("wb") as handle:
        handle.write(WARNING)
        block = FILLER * 10_000
        while handle.tell() < 200 * 1024 * 1024:
            handle.write(block)
        handle.write(NOT_FOUND)
    log = tmp_path / "pip.log"
    pip = (
        "import shutil, sys;"
        f"shutil.copyfileobj(open({str(big)!r}, 'rb'), sys.stdout.buffer);"
        f"shutil.copyfile({str(big)!r}, {str(log)!r}); sys.exit(1)"
    )
    probe = textwrap.dedent(
        f"""
        import json, os, resource, sys
        from pathlib import Path
        from safepip.runner import run_pip
        from safepip.classifier import classify
        run = run_pip([sys.executable, "-c", {pip!r}], env=dict(os.environ),
                      log_path=Path({str(log)!r}))
        kind = classify(run.text, returncode=run.returncode).kind.value
        # VmHWM is this process's own peak: ru_maxrss would carry the peak of the pytest
        # process that forked it (Linux keeps it across exec).
        status = Path("/proc/self/status")
        hwm = [line for line in status.read_text().splitlines() if line.startswith("VmHWM:")]
        if hwm:
            peak = int(hwm[0].split()[1]) / 1024
        else:
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(json.dumps({{"kind": kind, "peak_mb": peak, "output": len(run.output),
                          "log": len(run.log)}}), file=sys.stderr)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", probe],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        check=True,
        timeout=300,
    )
    result = json.loads(done.stderr.decode().strip().splitlines()[-1])
    assert result["kind"] == "not-found"
    assert result["output"] < 8 * 1024 * 1024
    assert result["log"] < 8 * 1024 * 1024
    print(f"peak RSS on a 200 MB log: {result['peak_mb']:.0f} MB")
    assert result["peak_mb"] < 150, result


def test_lines_from_two_streams_are_kept_whole() -> None:
    """One stream's line written in pieces is not cut by the other stream's line."""
    capture = Capture()
    capture.feed_from(2, b"ERROR: No matching distri")
    capture.feed_from(1, b"Collecting demo\n")
    capture.feed_from(2, b"bution found for demo\nlast")
    capture.feed_from(1, b"unfinished too")
    assert capture.text().splitlines() == [
        "Collecting demo",
        "ERROR: No matching distribution found for demo",
        "last",
        "unfinished too",
    ]


def test_a_stream_that_never_ends_its_line_is_kept_bounded() -> None:
    """An unfinished line is held back only up to PARTIAL_LINE bytes."""
    capture = Capture()
    capture.feed_from(1, b"x" * (PARTIAL_LINE + 10))
    capture.feed_from(2, b"ERROR: y\n")
    assert capture.text() == "x" * (PARTIAL_LINE + 10) + "ERROR: y\n"
    capture.feed_from(1, b"z" * 10)
    assert capture.text().endswith("ERROR: y\n" + "z" * 10 + "\n")
