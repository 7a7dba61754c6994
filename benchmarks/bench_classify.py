"""Throughput and linearity of ``safepip.classifier.decide.classify`` on large synthetic logs.

Scenario: a CI log of realistic pip ``--log`` output (collecting, downloading, progress bars,
``Found link`` lines, streamed build output with compiler noise, thousands of harmless
``[Errno 2]`` lines in build output) with the decisive error at the very end, plus one 10 MB
line (a progress bar that never printed a newline). The 2x log is the 1x log twice (two 10 MB
lines), so the ratio measures linearity. Targets: at least 20 MB/s, and time(2x) / time(1x)
at most 2.2.

Run: ``.venv/bin/python benchmarks/bench_classify.py``
"""

from __future__ import annotations

import gc
import time

from safepip.classifier import classify

BLOCK = """\
2026-11-24T21:28:27,513 Collecting requests==2.31.0 (from -r requirements.txt (line 3))
2026-11-24T21:28:27,514   Found link https://files.pythonhosted.org/packages/aa/bb/requests-2.31.0.tar.gz#sha256=942c5a758f98d790eaed1a29cb6eefc7ffb0d1cf7af05c3d2791656dbd6ad1e1 (from https://pypi.org/simple/requests/) (requires-python:>=3.7), version: 2.31.0
2026-11-24T21:28:27,515   Downloading requests-2.31.0-py3-none-any.whl.metadata (4.6 kB)
2026-11-24T21:28:27,516   Using cached idna-3.6-py3-none-any.whl (61 kB)
2026-11-24T21:28:27,517 Requirement already satisfied: urllib3<3,>=1.21.1 in ./venv/lib/python3.11/site-packages (from requests) (2.1.0)
2026-11-24T21:28:27,518    ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 62.6/62.6 kB 3.1 MB/s eta 0:00:00
2026-11-24T21:28:27,519   Created temporary directory: /tmp/pip-unpack-abc123
2026-11-24T21:28:27,520   Looking up "https://files.pythonhosted.org/packages/aa/bb/requests-2.31.0-py3-none-any.whl" in the cache
2026-11-24T21:28:27,521   Running command Building wheel for lxml (pyproject.toml)
2026-11-24T21:28:27,522   warning: no files found matching '*.txt' under directory 'docs'
2026-11-24T21:28:27,523   copying src/lxml/etree.pyx -> build/lib.linux-x86_64-cpython-311/lxml
2026-11-24T21:28:27,524   gcc -pthread -fno-strict-overflow -Wsign-compare -DNDEBUG -g -O2 -Wall -fPIC -c src/lxml/etree.c -o build/temp/etree.o
2026-11-24T21:28:27,525   src/lxml/etree.c:1234:5: warning: 'PyUnicode_AS_UNICODE' is deprecated [-Wdeprecated-declarations]
2026-11-24T21:28:27,527   Building wheel for lxml (pyproject.toml): finished with status 'done'
2026-11-24T21:28:27,528   Stored in directory: /root/.cache/pip/wheels/27/4d/c1/0e8a1f3b5d7c9e2f
"""

#: Harmless Errno 2 output of a build step (a probe for an optional library).
ERRNO_LINE = (
    "2026-11-24T21:28:27,526   ls: cannot access '/opt/lib/libxslt.so': "
    "[Errno 2] No such file or directory: '/opt/lib/libxslt.so'\n"
)
ERRNO_EVERY = 4  # one block in four carries it: about 3,000 such lines per 25 MB

TAIL = """\
2026-11-24T21:30:00,001 Collecting demo==1.0
2026-11-24T21:30:00,002   Using cached http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl (206 kB)
2026-11-24T21:30:00,003 ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated the package versions, please update the hashes. Otherwise, examine the package contents carefully; someone may have tampered with them.
2026-11-24T21:30:00,004     demo==1.0 from http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl#sha256=d3529d74c3b6f2a1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7:
2026-11-24T21:30:00,005         Expected sha256 d3529d74c3b6f2a1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7
2026-11-24T21:30:00,006              Got        5f1f3b2a4c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f
"""


def build(megabytes: float) -> str:
    """One unit of about ``megabytes`` MB: noise, one 10 MB line in the middle, the error at the end."""
    long_line = "2026-11-24T21:29:00,000 " + "━" * 3_333_333 + "\n"  # 10 MB of UTF-8
    unit = BLOCK * (ERRNO_EVERY - 1) + BLOCK + ERRNO_LINE
    count = max(1, int((megabytes * 1_000_000 - len(long_line.encode())) / len(unit.encode())))
    half = count // 2
    return unit * half + long_line + unit * (count - half)


def measure(text: str, repeat: int = 5) -> float:
    """Best wall time of ``repeat`` classifications, in seconds."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()  # start each run from the same heap: the ratio measures classify, not GC
        start = time.perf_counter()
        diagnosis = classify(text)
        best = min(best, time.perf_counter() - start)
        if diagnosis.kind.value != "cache-corrupt":
            raise SystemExit(f"misclassified: {diagnosis}")
    return best


def main() -> None:
    """Time a 25 MB log and the same log twice (50 MB); print throughput and the ratio."""
    unit = build(25)
    times = {}
    for size, text in ((25, unit + TAIL), (50, unit + unit + TAIL)):
        mb = len(text.encode()) / 1_000_000
        seconds = measure(text)
        times[size] = seconds
        print(f"{mb:6.1f} MB  {seconds:6.3f} s  {mb / seconds:7.1f} MB/s")
    ratio = times[50] / times[25]
    print(f"ratio time(2x)/time(1x) = {ratio:.2f}  (target <= 2.2)")
    hostile = "[Errno 2] No such file or directory: '" * 200_000 + "\n"
    start = time.perf_counter()
    classify(hostile * 3)
    print(
        f"hostile 3 x {len(hostile) / 1e6:.1f} MB '[Errno 2]' lines: {time.perf_counter() - start:.3f} s"
    )


if __name__ == "__main__":
    main()
