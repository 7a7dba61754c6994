"""Benchmark `safepip cache verify` on a synthetic pip cache of 5,000 entries.

Scenario: a long-lived CI cache with wheel downloads, index pages, old ``http/`` entries from
pip <= 23.2 and locally built wheels, a few of them damaged. verify reads only metadata and the
tail of each body, the CRC-32s of each zip, and hashes the bodies that a cached page gives a
sha256 for, so it should scan thousands of entries per second.

Run: ``python benchmarks/bench_cache_verify.py [--entries N] [--repeat R]``
(with safepip importable, e.g. from the dev venv: ``PYTHONPATH=. .venv/bin/python ...``).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

from support import cachetree as ct

from safepip.cache.verify import verify

_HTML = {"Content-Type": "text/html"}


def build(root: Path, entries: int) -> int:
    """Fill ``root`` with ``entries`` entries (60% wheels, 20% pages, 10% old layout, 10% built)."""
    wheel = ct.wheel_bytes("bench", "1.0", payload=8000)
    sha256 = hashlib.sha256(wheel).hexdigest()
    damaged = 0
    for i in range(entries):
        slot = i % 10
        if slot < 6:
            body = wheel if i % 500 else wheel[:-100]  # one truncated body in 500
            damaged += 0 if i % 500 else 1
            ct.add_http_v2(root, f"https://f/p/{i}/bench-1.0-py3-none-any.whl", body)
        elif slot < 8:
            # PyPI-like: absolute links with #sha256, naming this decade's cached wheels
            files = [f"https://f/p/{j}/bench-1.0-py3-none-any.whl" for j in range(i - slot, i)]
            page = ct.html_page("bench", [f"{url}#sha256={sha256}" for url in files])
            ct.add_http_v2(root, f"https://pypi.org/simple/p{i}/", page, headers=_HTML)
        elif slot < 9:
            ct.add_http_v1(root, f"https://f/old/{i}/bench-1.0-py3-none-any.whl", wheel)
        else:
            ct.add_built_wheel(root, "bench", "1.0", link=f"file:///src/{i}")
    return damaged


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "cache"
        started = time.perf_counter()
        damaged = build(root, args.entries)
        print(f"built {args.entries} entries in {time.perf_counter() - started:.1f} s")
        best = float("inf")
        for _ in range(args.repeat):
            started = time.perf_counter()
            report = verify(root)
            best = min(best, time.perf_counter() - started)
        if report.checked != args.entries or len(report.problems) != damaged:
            sys.exit(f"wrong result: {report.checked} checked, {len(report.problems)} corrupt")
        print(
            f"verify: {report.checked} entries, {len(report.problems)} corrupt, best of "
            f"{args.repeat}: {best:.3f} s = {report.checked / best:,.0f} entries/s"
        )


if __name__ == "__main__":
    main()
