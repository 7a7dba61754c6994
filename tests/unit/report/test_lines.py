"""pip's lines as a report shows them (issue 17): clean, short, once."""

from __future__ import annotations

from safepip.report.lines import MAX_CHARS, build_lines, elide, shown


def test_markup_carets_and_internals_are_dropped() -> None:
    evidence = (
        "  [bold magenta]full command[/]: [blue]/usr/bin/python x.py[/]",
        "      ^^^^^^^^^^^^^",
        "pip._internal.exceptions.DistributionNotFound: No matching distribution found for x",
        "ERROR: [Errno 2] No such file: 'a[b]'",
    )
    assert shown(evidence, last=5) == [
        "full command: /usr/bin/python x.py",
        "ERROR: [Errno 2] No such file: 'a[b]'",
    ]


def test_internal_lines_stay_when_nothing_else_is_left() -> None:
    line = (
        "pip._internal.exceptions._base.InstallationError: ./x is not a valid editable requirement"
    )
    assert shown([line], last=2) == ["InstallationError: ./x is not a valid editable requirement"]


def test_long_lines_keep_start_and_end_and_repeats_go() -> None:
    long = "A" * 500 + "END"
    out = elide(long)
    assert len(out) <= MAX_CHARS
    assert out.startswith("AAA")
    assert out.endswith("END")
    assert " ... " in out
    assert shown([long, long, "b"], last=3) == [out, "b"]
    assert shown(["a", "b", "c"], last=2, skip=["c"]) == ["a", "b"]  # only what is not shown yet


def test_build_output_without_markup_and_caret_rows() -> None:
    lines = ["  [bold magenta]cwd[/]: /tmp/x", "    ^^^^^^", "  SyntaxError: bad"]
    assert build_lines(lines) == ["  cwd: /tmp/x", "  SyntaxError: bad"]
