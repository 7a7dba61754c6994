"""safepip shows what pip shows (issue 14): plain pip and safepip side by side on real pip.

Each test runs the same ``pip install`` command twice, once as ``python -m pip install --no-input``
and once through ``python -m safepip install --python ...``, each with a fresh cache, target,
HOME and TMPDIR, against the local index, and compares what the user sees: stdout and stderr
through pipes, or the screen of a pseudo-terminal. Sizes, rates, times and temp paths are
normalised; nothing else is.
"""

from __future__ import annotations

import itertools
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import pips
from support.terminal import run_on_terminal
from support.wheels import build_sdist, build_wheel

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from support.indexserver import FaultIndex

#: The pips whose console behaviour differs most (rich progress from 22.0, --report from 22.2).
FIDELITY_PIPS = ("22.0.4", "24.0", "26.3")
RUN_TIMEOUT = 120

pytestmark = [
    pytest.mark.integration,
    # conftest's pip_version fixture (it skips a pip the wheelhouse lacks), over these pips
    pytest.mark.parametrize(
        "pip_version", FIDELITY_PIPS, indirect=True, ids=[f"pip{v}" for v in FIDELITY_PIPS]
    ),
]


@dataclass(frozen=True)
class Seen:
    """What the user saw: exit status, stdout and stderr (a terminal: all in ``stdout``)."""

    returncode: int
    stdout: str
    stderr: str


class Bench:
    """Runs one command as plain pip and through safepip, each in fresh directories."""

    def __init__(self, python: Path, tmp: Path, index: FaultIndex) -> None:
        """Bind the pip under test, a scratch directory and the index."""
        self.python = python
        self.tmp = tmp
        self.index = index
        self._numbers = itertools.count(1)

    def _fresh(self) -> tuple[dict[str, str], list[str], list[Path]]:
        run = self.tmp / f"run-{next(self._numbers)}"
        dirs = {name: run / name for name in ("home", "tmp", "cache", "target")}
        for path in dirs.values():
            path.mkdir(parents=True)
        env = pips.isolated_env(
            {
                "HOME": str(dirs["home"]),
                "XDG_CACHE_HOME": str(dirs["home"] / ".cache"),
                "TMPDIR": str(dirs["tmp"]),
                "COLUMNS": "100",
                "TERM": "xterm-256color",
            }
        )
        env.pop("NO_COLOR", None)
        env.pop("FORCE_COLOR", None)
        # A developer's terminal, not a CI job: with CI=true pip's console draws no progress
        # bars even on a terminal, and CI variables would add safepip's CI reporters.
        for name in ("CI", "GITHUB_ACTIONS", "GITLAB_CI"):
            env.pop(name, None)
        args = pips.common_args(self.index.url, dirs["cache"], no_input=False)
        return env, args, [run]

    def both(
        self,
        args: Sequence[str],
        *,
        target: bool = True,
        tty: bool = False,
        opts: Sequence[str] = (),
    ) -> tuple[Seen, Seen]:
        """Run ``args`` with plain pip, then through safepip; both results normalised."""
        seen = []
        for wrapped in (False, True):
            env, head, roots = self._fresh()
            more = ["--target", str(roots[0] / "target")] if target else []
            pip_args = [*head, *more, *args]
            if wrapped:
                argv = [sys.executable, "-m", "safepip", "install", "--python", str(self.python)]
                argv += [*opts, *pip_args]
            else:
                argv = [str(self.python), "-m", "pip", "install", "--no-input", *pip_args]
            raw = _on_terminal(argv, env) if tty else _through_pipes(argv, env)
            seen.append(
                Seen(
                    raw.returncode,
                    normalise(raw.stdout, roots[0]),
                    normalise(raw.stderr, roots[0]),
                )
            )
        return seen[0], seen[1]


def _through_pipes(argv: Sequence[str], env: dict[str, str]) -> Seen:
    done = subprocess.run(
        list(argv),
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        timeout=RUN_TIMEOUT,
        check=False,
    )
    return Seen(
        done.returncode,
        done.stdout.decode("utf-8", "replace"),
        done.stderr.decode("utf-8", "replace"),
    )


def _on_terminal(argv: Sequence[str], env: dict[str, str]) -> Seen:
    """Run on one pseudo-terminal of 40x100; return the screen."""
    returncode, screen = run_on_terminal(argv, env, timeout=RUN_TIMEOUT)
    return Seen(returncode, screen, "")


_NORMALISE = (
    (re.compile(r"\x1b\[\?25[lh]"), ""),  # cursor hide/show around progress bars
    (re.compile(r"\d+(?:\.\d+)?/\d+(?:\.\d+)? [kMG]?B"), "<done>/<size>"),
    (re.compile(r"\(\d+(?:\.\d+)? [kMG]?B\)"), "(<size>)"),
    (re.compile(r"\d+(?:\.\d+)? [kMG]?B/s"), "<rate>"),
    (re.compile(r"eta \d+:\d\d:\d\d"), "eta <t>"),
    (re.compile(r"\d+(?:\.\d+)?s\b"), "<secs>"),
    (re.compile(r"/pip-[\w.-]+"), "/pip-<tmp>"),
    (re.compile(r"_[0-9a-f]{32}\b"), "_<hex>"),  # pip's unpack dirs
    (re.compile(r"127\.0\.0\.1:\d+"), "127.0.0.1:<port>"),
)


def normalise(text: str, root: Path) -> str:
    """The final screen text, with the run's directory, sizes, rates, times, temp names replaced."""
    text = text.replace(str(root), "<run>").replace("\r\n", "\n").replace("\x1b[2K", "")
    # A progress bar redraws its line after \r: keep the last frame, as the screen does.
    text = "\n".join(line.rsplit("\r", 1)[-1] for line in text.split("\n"))
    for pattern, replacement in _NORMALISE:
        text = pattern.sub(replacement, text)
    return text


def _own(line: str) -> bool:
    return line.startswith(("safepip:", "\x1b[")) and "safepip:" in line[:20]


def _pip_lines_then_own(plain: str, wrapped: str) -> list[str]:
    """Assert ``wrapped`` starts with every line of ``plain``, unchanged; return the rest."""
    ours = wrapped.splitlines()
    theirs = plain.splitlines()
    assert ours[: len(theirs)] == theirs, wrapped
    return ours[len(theirs) :]


@pytest.fixture
def bench(
    pip_version: str,
    tmp_path: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
) -> Bench:
    """The pip under test, its scratch space and an index with demo, dep and a broken sdist."""
    dists = tmp_path / "more"
    index = fault_index(
        [
            *demo_dists,
            build_sdist(dists, "broken", "1.0", fail="wheel", size_kb=4),
            build_wheel(dists, "needsold", "1.0", requires=("dep<2",), size_kb=4),
        ]
    )
    return Bench(pips.pip_python(pip_version), tmp_path, index)


def test_clean_install_shows_exactly_what_pip_shows(bench: Bench) -> None:
    """Through pipes: the same stdout and stderr, the same exit status."""
    plain, wrapped = bench.both(["demo"])
    assert plain.returncode == wrapped.returncode == 0, wrapped
    assert "Successfully installed" in plain.stdout
    assert wrapped.stdout == plain.stdout
    assert wrapped.stderr == plain.stderr


@pytest.mark.parametrize("quiet", ["-q", "-qq"])
def test_quiet_on_a_terminal_prints_nothing_pip_does_not(bench: Bench, quiet: str) -> None:
    """On a terminal with -q/-qq: no progress bar, no line of safepip's; the screen is pip's."""
    plain, wrapped = bench.both([quiet, "demo"], tty=True)
    assert plain.returncode == wrapped.returncode == 0, wrapped
    assert "\u2501" not in wrapped.stdout
    assert wrapped.stdout == plain.stdout


def test_clean_install_on_a_terminal_looks_the_same(bench: Bench) -> None:
    """On a terminal: pip still sees a TTY (its progress bars), and the screen is the same."""
    plain, wrapped = bench.both(["demo"], tty=True)
    assert plain.returncode == wrapped.returncode == 0, wrapped
    assert "\u2501" in plain.stdout, plain.stdout  # pip drew its progress bar: it saw a TTY
    assert wrapped.stdout == plain.stdout


def test_failing_sdist_build_shows_every_pip_line_in_order(bench: Bench) -> None:
    """A failed build: pip's lines unchanged and in order, safepip's after; pip's exit status."""
    plain, wrapped = bench.both(["broken"])
    assert plain.returncode != 0
    assert wrapped.returncode == plain.returncode
    assert wrapped.stdout == plain.stdout
    assert "the safepip test backend was told to fail" in plain.stderr
    rest = _pip_lines_then_own(plain.stderr, wrapped.stderr)
    assert rest, "safepip says why it stopped"
    assert all(_own(line) or not line.strip() for line in rest), rest


def test_report_to_stdout_stays_pips_json(bench: Bench, pip_version: str) -> None:
    """``--report - --dry-run -q``: stdout is pip's JSON report alone, and it parses."""
    if pips._version_key(pip_version) < (22, 2):
        pytest.skip("pip < 22.2 has no --report")
    plain, wrapped = bench.both(["--dry-run", "-q", "--report", "-", "demo"], target=False)
    assert plain.returncode == wrapped.returncode == 0, wrapped
    mine, theirs = json.loads(wrapped.stdout), json.loads(plain.stdout)
    assert [item["metadata"]["name"] for item in mine["install"]] == ["demo", "dep"]
    assert mine["install"] == theirs["install"]
    assert wrapped.stderr == plain.stderr


def test_not_found_keeps_pips_lines_and_adds_safepips_after(bench: Bench) -> None:
    """A version that does not exist: pip's lines unchanged, then safepip's; pip's status."""
    plain, wrapped = bench.both(["demo==9.9"])
    assert plain.returncode == wrapped.returncode == 1
    assert "(from versions: 1.0)" in plain.stderr
    assert wrapped.stdout == plain.stdout
    rest = _pip_lines_then_own(plain.stderr, wrapped.stderr)
    assert any("not-found" in line for line in rest)
    assert all(_own(line) or not line.strip() for line in rest), rest


def test_conflict_keeps_pips_lines_and_adds_safepips_after(bench: Bench) -> None:
    """Two requirements that clash: pip's lines unchanged, then safepip's; pip's status."""
    plain, wrapped = bench.both(["dep==2.0", "needsold"], opts=["--no-explain"])
    assert plain.returncode != 0
    assert wrapped.returncode == plain.returncode
    assert "ResolutionImpossible" in plain.stderr or "conflict" in plain.stderr
    assert wrapped.stdout == plain.stdout
    rest = _pip_lines_then_own(plain.stderr, wrapped.stderr)
    assert any("resolution-conflict" in line for line in rest), rest
    assert all(_own(line) or not line.strip() for line in rest), rest
