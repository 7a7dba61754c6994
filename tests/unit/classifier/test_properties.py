"""Properties of ``classify``: total on any text, stable under CI wrapping, linear in time."""

from __future__ import annotations

import time
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from safepip.classifier import classify
from safepip.model import DEFAULT_POLICY, FailureKind

CORPUS = Path(__file__).resolve().parents[2] / "data" / "pip-logs"
CASES = sorted(CORPUS.glob("*/*.txt"))
#: Cases that tests/unit/classifier/test_classify.py expects to misclassify; wrapping cannot fix them.
KNOWN_MISSES = {
    "real-pip22.0.4-requires-python-index-console",
}
#: Pastes a terminal hard-wrapped: the wrap is the last thing done to them (a CI prefix on each
#: wrapped piece does not happen), so prefixing their lines is not a realistic transformation.
HARD_WRAPPED = {
    "pip9-could-not-fetch-wrapped-80-columns",
}


def _read(path: Path) -> str:
    return path.read_bytes().decode("utf-8", errors="replace")


def _buildkit(lines: list[str]) -> list[str]:
    return [f"#7 {1.0 + i * 0.01:.3f} {line}" for i, line in enumerate(lines)]


def _github(lines: list[str]) -> list[str]:
    return [f"2026-11-25T10:00:{i % 60:02d}.{i:07d}Z {line}" for i, line in enumerate(lines)]


def _piplog(lines: list[str]) -> list[str]:
    return [f"2026-11-25T10:00:00,{i % 1000:03d} {line}" for i, line in enumerate(lines)]


def _crlf_ansi(lines: list[str]) -> list[str]:
    return [f"\x1b[0m{line}\r" for line in lines]


WRAPPERS = {"buildkit": _buildkit, "github": _github, "piplog": _piplog, "crlf-ansi": _crlf_ansi}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text())
@example("\x1b[")
@example("[Errno 2] No such file or directory: ''")
@example("ERROR: THESE PACKAGES DO NOT MATCH THE HASHES\n    x from :\n        Got zz")
@example("╰─> [3 lines of output]\n" * 3)
def test_any_text_gives_a_consistent_diagnosis(text: str) -> None:
    """Arbitrary text never crashes, and the policy is always the kind's default."""
    diagnosis = classify(text)
    assert diagnosis.policy is DEFAULT_POLICY[diagnosis.kind]
    assert isinstance(diagnosis.hint, str)
    assert diagnosis.hint


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from([p for p in CASES if p.stem not in KNOWN_MISSES | HARD_WRAPPED]),
    wrapper=st.sampled_from(sorted(WRAPPERS)),
)
def test_ci_wrapping_keeps_the_kind(path: Path, wrapper: str) -> None:
    """Wrapping a corpus case in BuildKit, GitHub Actions or --log prefixes keeps its kind."""
    text = _read(path)
    wrapped = "\n".join(WRAPPERS[wrapper](text.replace("\r\n", "\n").split("\n")))
    assert classify(wrapped).kind is classify(text).kind


@settings(max_examples=40, deadline=None)
@given(path=st.sampled_from(CASES))
def test_success_and_interrupt_return_codes(path: Path) -> None:
    """returncode 0 means nothing to find (empty evidence); 130 means interrupted."""
    text = _read(path)
    ok = classify(text, returncode=0)
    assert ok.kind is FailureKind.UNKNOWN
    assert ok.evidence == ()
    assert classify(text, returncode=130).kind is FailureKind.INTERRUPTED


def _best_time(text: str) -> float:
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        classify(text)
        best = min(best, time.perf_counter() - start)
    return best


@settings(max_examples=10, deadline=None)
@given(
    fragment=st.sampled_from(
        [
            "[Errno 2] No such file or directory: '/tmp/pip-unpack-x/",
            "ERROR: Could not find a version that satisfies the requirement x (from versions: none)\n",
            "╰─> [9 lines of output]\n",
            "Running command x\n",
            "WARNING: Retrying (Retry(total=0)) after connection broken by 'ReadTimeoutError()': /\n",
            "ERROR",
            "\x1b[31m",
            "\r",
            "╰─> [1 lines of output]\n  Successfully installed x\n",
            "  Found link https://h/x-1.0.whl#sha256=ab (from https://h/simple/x/), version: 1\n",
            '  File "/x/urllib3/response.py", line 1, in read\n',
            "  copying a -> build/lib\n",
            "x" * 79 + "\n",  # lines of exactly 80 columns: a hard-wrap candidate
            '{"stream":"ERROR: x\\n"}\n',  # the Docker API's JSON stream
        ]
    )
)
def test_time_is_linear_in_size(fragment: str) -> None:
    """Doubling a hostile input at most about doubles the time (no quadratic pattern)."""
    small = fragment * (300_000 // len(fragment))
    one = _best_time(small)
    two = _best_time(small + small)
    assert two < 3 * one + 0.1
