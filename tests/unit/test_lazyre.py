"""Patterns compiled on first use: same answers as re.compile, and every one of safepip's compiles."""

from __future__ import annotations

import importlib
import pkgutil
import re
import subprocess
import sys

import safepip
from safepip import lazyre


def test_a_deferred_pattern_answers_as_the_compiled_one() -> None:
    eager = re.compile(r"(?P<name>[a-z]+)-(\d+)", re.IGNORECASE)
    lazy = lazyre.compile(r"(?P<name>[a-z]+)-(\d+)", re.IGNORECASE)
    text = "Demo-1 and dep-22"
    assert lazy.search(text).group("name") == eager.search(text).group("name")  # type: ignore[union-attr]
    assert lazy.findall(text) == eager.findall(text)
    assert [m.span() for m in lazy.finditer(text)] == [m.span() for m in eager.finditer(text)]
    assert lazy.sub("x", text) == eager.sub("x", text)
    assert lazy.match("nope") is None
    assert (lazy.pattern, lazy.flags, lazy.groups) == (eager.pattern, eager.flags, eager.groups)


def test_nothing_is_compiled_until_used() -> None:
    """A pattern that is never used is never compiled: an invalid one raises only when read."""
    broken = lazyre.compile(r"(unclosed")
    try:
        broken.search("x")
    except re.error:
        pass
    else:  # pragma: no cover - the assertion this test makes
        raise AssertionError("an invalid pattern compiled")


def test_importing_the_failure_path_compiles_none_of_its_patterns() -> None:
    """Importing the classifier, the reports and the loop leaves all their patterns uncompiled."""
    code = (
        "import sys\n"
        "import safepip.classifier, safepip.install.loop, safepip.report.redact\n"
        "from safepip.lazyre import _Deferred\n"
        "found = [v for m in list(sys.modules.values()) for v in vars(m).values()"
        " if isinstance(v, _Deferred)]\n"
        "print(len(found), sum('search' in vars(v) for v in found))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    found, compiled = map(int, done.stdout.split())
    assert found >= 40
    assert compiled == 0


def test_every_pattern_in_safepip_compiles() -> None:
    """Deferring the compile must not defer a syntax error to a user's failed install."""
    seen = 0
    for info in pkgutil.walk_packages(safepip.__path__, "safepip."):
        if info.name.endswith((".windows", ".__main__")):
            continue  # Windows-only imports; running safepip
        module = importlib.import_module(info.name)
        for value in vars(module).values():
            for item in value if isinstance(value, tuple) else (value,):
                if isinstance(item, lazyre._Deferred):
                    assert isinstance(item.pattern, str)  # reading it compiles it
                    assert isinstance(item.search, type(re.compile("").search))
                    seen += 1
    assert seen >= 80
