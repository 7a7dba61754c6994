"""``safepip.classifier.paste``: Docker JSON streams decoded, hard-wrapped pastes rejoined."""

from __future__ import annotations

import json

from safepip.classifier.paste import UNWRAP_MAX, restore

RETRY = (
    "WARNING: Retrying (Retry(total={n}, connect=None, read=None, redirect=None, status=None)) "
    "after connection broken by 'NewConnectionError(...)': /simple/x/"
)


def test_a_paste_wrapped_at_80_columns_is_rejoined() -> None:
    """Lines of exactly the width (and none longer) continue on the next line, mid-word."""
    first = "  Could not fetch URL https://pypi.python.org/simple/pyzdde/: There was a proble"
    second = "m confirming the ssl certificate: [SSL: CERTIFICATE_VERIFY_FAILED] certificate v"
    assert len(first) == len(second) == 80
    text = f"Collecting pyzdde\n{first}\n{second}\nerify failed - skipping\nNo matching x\n"
    assert restore(text).split("\n")[1] == first + second + "erify failed - skipping"


def test_repeated_lines_of_one_length_are_not_a_wrap() -> None:
    """pip's Retrying warnings differ only in a digit: same length, but each is a whole line."""
    lines = [RETRY.format(n=n)[:80] for n in range(4, 0, -1)]
    assert {len(line) for line in lines} == {80}
    text = "\n".join(lines) + "\n"
    assert restore(text) == text


def test_a_line_longer_than_the_width_means_no_wrap() -> None:
    """A text with one line longer than the candidate width was not wrapped at that width."""
    text = "a" * 80 + "\n" + "b" * 80 + "\n" + "c" * 81 + "\n"
    assert restore(text) == text


def test_a_break_after_an_errno_marker_is_joined() -> None:
    """The marker and the path it is about belong to one message."""
    text = "ERROR: Could not install packages due to an OSError: [Errno 2] \nNo such file: 'x'\n"
    assert restore(text) == (
        "ERROR: Could not install packages due to an OSError: [Errno 2] No such file: 'x'\n"
    )


def test_docker_json_stream_is_decoded() -> None:
    """Each object's stream (and a final error) becomes text again, in order."""
    objects = [
        {"stream": "Step 1/2 : RUN pip install x\n"},
        {"stream": "ERROR: No matching distribution found for x\n"},
        {"aux": {"ID": "sha256:0"}},
        {"errorDetail": {"code": 1}, "error": "The command returned a non-zero code: 1"},
    ]
    text = "\n".join(json.dumps(o) for o in objects) + "\n"
    assert restore(text) == (
        "Step 1/2 : RUN pip install x\n"
        "ERROR: No matching distribution found for x\n"
        "The command returned a non-zero code: 1\n"
    )


def test_a_large_text_is_not_unwrapped() -> None:
    """CI logs and --log files are never wrapped; they stay untouched (and linear)."""
    line = "x" * 79 + "y"
    text = (line + "\n") * (UNWRAP_MAX // 80 + 10)
    assert restore(text) is text


def test_a_log_whose_longest_lines_happen_to_end_at_80_is_not_a_wrap() -> None:
    """Two lines of exactly 80 among many long lines of other lengths: a coincidence."""
    lines = ["a" * 80, "b" * 80, *("c" * n for n in range(70, 80))]
    text = "\n".join(lines) + "\n"
    assert restore(text) == text
