"""``safepip.classifier.normalize``: line cleaning (CI prefixes, ANSI, redraws) and nested-output marking."""

from __future__ import annotations

import pytest

from safepip.classifier.normalize import MAX_LINE, clean_line, normalize


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("2026-11-24T21:28:27,513 ERROR: boom", "ERROR: boom"),  # pip --log
        ("2026-11-24T21:28:27.1234567Z ERROR: boom", "ERROR: boom"),  # GitHub Actions
        ("#12 3.456 ERROR: boom", "ERROR: boom"),  # BuildKit --progress=plain
        ("2026-11-24T21:28:27.1234567Z #12 3.456 2026-11-24T21:28:27,513 ERROR: x", "ERROR: x"),
        ("[2026-11-24T21:28:27.513Z] ERROR: boom", "ERROR: boom"),  # Jenkins timestamper
        ("remote: ERROR: boom", "ERROR: boom"),
        ("E       ERROR: boom", "ERROR: boom"),  # pytest
        ("[conda/stderr] ERROR: boom", "ERROR: boom"),
        ("[pipenv.exceptions.InstallError]: ERROR: boom", "ERROR: boom"),
        (
            "\x1b[1;31merror\x1b[0m: \x1b[1msubprocess-exited-with-error\x1b[0m",
            "error: subprocess-exited-with-error",
        ),
        ("\x1b]8;;https://x\x07link\x1b]8;;\x07 text", "link text"),  # OSC hyperlink
        ("  Downloading x (1 MB)\r   ━━━ 0.5/1 MB\rERROR: Exception:", "ERROR: Exception:"),
        ("ERROR: boom\r", "ERROR: boom"),  # CRLF remainder
        (
            "    demo==1.0 from https://x/y.whl:",
            "    demo==1.0 from https://x/y.whl:",
        ),  # indent kept
        ("11:52:47         Expected sha256 ab", "        Expected sha256 ab"),  # clock times
        ("> ERROR: boom", "ERROR: boom"),  # an e-mail or markdown quote
        (">   Downloading x (1 MB)", "  Downloading x (1 MB)"),
        (" => => # WARNING: Retrying (Retry(total=3", "WARNING: Retrying (Retry(total=3"),  # TTY
        ("419.6 ERROR: boom", "ERROR: boom"),  # BuildKit output whose step id was cut
        ("  Error: ERROR: boom", "ERROR: boom"),  # GitHub Actions annotation
        ("stderr: ERROR: Exception:", "ERROR: Exception:"),  # a launcher's wrapper
        ("##[error]ERROR: boom", "ERROR: boom"),  # Azure Pipelines
        ("2026-10-17T07:56:56.262380Z 01E ERROR: boom", "ERROR: boom"),  # GitLab timestamps
        ("2026-10-17T07:56:56.262380Z 00O+ ERROR: boom", "ERROR: boom"),  # GitLab continuation
        (
            "Error: Process completed with exit code 1.",
            "Error: Process completed with exit code 1.",
        ),
        ("3.10 is not supported", "3.10 is not supported"),
    ],
)
def test_clean_line(raw: str, clean: str) -> None:
    """CI and wrapper prefixes, ANSI escapes and progress redraws are removed; indentation stays."""
    assert clean_line(raw) == clean


def test_clean_line_is_bounded() -> None:
    """A huge line is cut to MAX_LINE characters before any pattern sees it."""
    assert len(clean_line("x" * (10 * MAX_LINE))) == MAX_LINE


def test_crlf_folded() -> None:
    """CRLF line ends give the same lines as LF."""
    log = normalize("a\r\nb\r\nc")
    assert log.lines == ("a", "b", "c")


def test_find_lines_with_keywords() -> None:
    """find() returns each matching line once, in order, whatever the number of hits per line."""
    log = normalize("ok\nERROR ERROR\nfine\nWARNING: x\nERROR")
    assert log.find(("ERROR", "WARN")) == [1, 3, 4]


NEW_FORMAT = """\
Collecting x
  error: subprocess-exited-with-error

  \u00d7 pip subprocess to install build dependencies did not run successfully.
  │ exit code: 1
  ╰─> [4 lines of output]
      Collecting setuptools
      ╰─> [1 lines of output]
          inner
          [end of output]
      ERROR: No matching distribution found for setuptools
      [end of output]

  note: This error originates from a subprocess.
"""


def test_nested_block_pip22() -> None:
    """Lines between ``[N lines of output]`` and the matching ``[end of output]`` are nested."""
    log = normalize(NEW_FORMAT)
    nested = [i for i in range(len(log.lines)) if log.nested(i)]
    assert nested == list(range(6, 11))
    assert log.block_of(10) == (6, 10)
    assert log.block_of(1) is None


def test_nested_block_old_format_ignores_dashes_in_new_block() -> None:
    """pip <= 21 ``Complete output`` blocks end at 40 dashes; dashes inside new blocks do not."""
    old = (
        "ERROR: Command errored out with exit status 1:\n"
        " command: python setup.py egg_info\n"
        "Complete output (2 lines):\n"
        "FileNotFoundError: [Errno 2] x\n"
        "more\n" + "-" * 40 + "\n"
        "ERROR: Command errored out with exit status 1: python setup.py egg_info\n"
    )
    log = normalize(old)
    assert [i for i in range(len(log.lines)) if log.nested(i)] == [3, 4]
    new = "╰─> [2 lines of output]\n    " + "-" * 40 + "\n    x\n    [end of output]\nafter\n"
    log = normalize(new)
    assert [i for i in range(len(log.lines)) if log.nested(i)] == [1, 2]


def test_streamed_output_in_log_mode() -> None:
    """In --log files a failed ``Running command`` streams its output up to the failure line."""
    text = (
        "2026-11-24T21:28:27,513   Running command git clone -q https://x/y.git\n"
        "2026-11-24T21:28:27,514   Cloning done\n"
        "2026-11-24T21:28:27,515 Resolved https://x/y.git to commit abc\n"
        "2026-11-24T21:28:27,516   Running command pip subprocess to install build dependencies\n"
        "2026-11-24T21:28:27,517   ERROR: No matching distribution found for setuptools\n"
        "2026-11-24T21:28:27,518   ERROR: pip subprocess to install build dependencies exited with 1\n"
        "2026-11-24T21:28:27,519 ERROR: pip subprocess to install build dependencies exited with 1\n"
    )
    log = normalize(text)
    assert [i for i in range(len(log.lines)) if log.nested(i)] == [4]


def test_successful_streamed_output_is_not_nested() -> None:
    """A ``Running command`` that finishes with status 'done' leaves no nested range behind."""
    text = (
        "  Running command Building wheel\n"
        "  ERROR: something the backend printed\n"
        "  Building wheel: finished with status 'done'\n"
        "ERROR: later top-level failure\n"
    )
    assert normalize(text).blocks == ()


def test_unclosed_block_runs_to_the_end() -> None:
    """A block whose end marker is missing (truncated log) extends to the last line."""
    log = normalize("x\n╰─> [9 lines of output]\n  a\n  b")
    assert log.blocks == ((2, 3),)


def test_unclosed_block_ends_after_the_lines_pip_announced() -> None:
    """pip prints exactly the N lines it announced: a paste that lost the closer ends there."""
    text = "╰─> [2 lines of output]\n  a\n  b\n\nnote: x\nerror: subprocess-exited-with-error\n"
    assert normalize(text).blocks == ((1, 2),)
    old = "  Complete output (1 lines):\n  a\nERROR: Command errored out with exit status 1\n"
    assert normalize(old).blocks == ((1, 1),)


def test_hidden_build_output_ends_at_the_step_end() -> None:
    """The lines after the last 'Running command' up to the step's end, timestamps removed."""
    from safepip.classifier.normalize import hidden_build_output

    log = (
        "2026-11-25T20:15:48,436   Building wheel for x (pyproject.toml): started\n"
        "2026-11-25T20:15:48,437   Running command Building wheel for x (pyproject.toml)\n"
        "2026-11-25T20:15:48,518   compiler says no\n"
        "2026-11-25T20:15:48,519   error: subprocess-exited-with-error\n"
        "2026-11-25T20:15:48,520   unrelated later line\n"
    )
    assert hidden_build_output(log) == ["  compiler says no"]
    assert hidden_build_output("no build here\n") == []
    many = "Running command x\n" + "".join(f"line {n}\n" for n in range(100))
    assert hidden_build_output(many, limit=3) == ["line 97", "line 98", "line 99"]


@pytest.mark.parametrize(
    "raw",
    [
        "ERROR: x\x1b[" + "1" * 40 + "2J",  # a CSI too long for the escape pattern
        "ERROR: x\x1b(0 switched character set",
        "ERROR: x\x08\x08\x08hidden",
        "ERROR: x\x07\x00\x7f\x9b",
        "ERROR: x \u202eevil\u202c",
    ],
)
def test_no_character_a_terminal_acts_on_survives_cleaning(raw: str) -> None:
    """A log's line is shown by safepip: nothing in it may move the cursor or reorder text."""
    line = clean_line(raw)
    assert line.startswith("ERROR: x")
    assert all(ch == "\t" or ch.isprintable() for ch in line), repr(line)
    assert "?" in line


def test_tabs_and_plain_text_are_left_as_they_are() -> None:
    assert clean_line("  \tERROR: résumé 100% — done") == "  \tERROR: résumé 100% — done"
