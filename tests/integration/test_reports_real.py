"""Reports a person can act on (issue 17): real pip (24.0, 26.3) against the local fault index.

Each test runs ``python -m safepip install`` the way a user does and asserts the text of its
last lines: the file and line of the requirement, the releases that exist, the Python a release
needs, evidence without markup or internals, shown once.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import pips
from support.runs import install_args, run_cli
from support.wheels import build_sdist, build_wheel

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from support.indexserver import FaultIndex

pytestmark = pytest.mark.integration

#: safepip's own bounds for every run here: quick backoff, a budget that ends any hang.
SAFEPIP_BOUNDS = ("--backoff", "0.2", "--time-budget", "60")


@dataclass(frozen=True)
class Run:
    """A finished ``safepip install``: status, its own lines (stderr) and the JSON report."""

    returncode: int
    stderr: str
    report: dict[str, Any]

    @property
    def ours(self) -> list[str]:
        """safepip's own lines."""
        return [line for line in self.stderr.splitlines() if line.startswith("safepip:")]

    @property
    def hint(self) -> str:
        """The next step of the final block."""
        return next(line for line in self.ours if "next step:" in line)

    @property
    def kind(self) -> str:
        kind: str = self.report["diagnosis"]["kind"]
        return kind


def _sdist_with_syntax_error(dest: Path) -> Path:
    """An sdist whose build backend is Python 2 code (a SyntaxError), needing a build dep."""
    path = build_sdist(dest, "bench-syn", "1.0", size_kb=1, build_requires=("bench-a",))
    data = io.BytesIO()
    with tarfile.open(path) as src, tarfile.open(fileobj=data, mode="w:gz") as dst:
        for member in src.getmembers():
            handle = src.extractfile(member)
            body = handle.read() if handle else b""
            if member.name.endswith("/_backend.py"):
                body = body.replace(b"import json\n", b"import json\nprint 'hello'\n", 1)
                member.size = len(body)
            dst.addfile(member, io.BytesIO(body))
    path.write_bytes(data.getvalue())
    return path


@pytest.fixture
def index(tmp_path: Path, fault_index: Callable[..., FaultIndex]) -> FaultIndex:
    dists = tmp_path / "dists"
    files = [
        build_wheel(dists, "bench-a", "1.0", size_kb=1),
        build_wheel(dists, "bench-a", "2.0", size_kb=1),
        *(build_wheel(dists, "bench-d", v, size_kb=1) for v in ("1.0", "1.5", "2.0")),
        build_wheel(dists, "bench-conf-x", "1.0", requires=("bench-a==1.0",), size_kb=1),
        build_wheel(dists, "bench-conf-y", "1.0", requires=("bench-a==2.0",), size_kb=1),
        build_wheel(dists, "bench-e", "1.0", size_kb=1),
        build_wheel(dists, "bench-e", "2.0", size_kb=1),
        build_wheel(dists, "bench-py", "1.0", size_kb=1),
        build_wheel(dists, "bench-py", "2.0", size_kb=1, requires_python=">=3.8"),
        build_wheel(dists, "bench-py", "3.0", size_kb=1, requires_python=">=4"),
        _sdist_with_syntax_error(dists),
    ]
    return fault_index(files)


def _safepip(
    python: Path,
    index: FaultIndex,
    cwd: Path,
    *args: str,
    opts: Sequence[str] = (),
    target: bool = True,
) -> Run:
    report = cwd / "report.json"
    pip_args = pips.common_args(index.url, cwd / "pip-cache", timeout=3, no_input=False)
    pip_args += ["--target", str(cwd / "target")] if target else []
    argv = install_args(python, report, [*opts, *pip_args, *args], bounds=SAFEPIP_BOUNDS)
    env = {"PIP_CACHE_DIR": str(cwd / "env-cache"), "PIP_TRUSTED_HOST": "127.0.0.1"}
    proc = run_cli(argv, cwd=cwd, env=pips.isolated_env(env))
    return Run(proc.returncode, proc.stderr, json.loads(report.read_text("utf-8")))


def test_missing_path_names_its_file_and_line(
    pip_python: Path, index: FaultIndex, tmp_path: Path
) -> None:
    """`./libs/mypkg` on line 3 of reqs/dev.txt: plain-path advice naming the file and line."""
    (tmp_path / "reqs").mkdir()
    (tmp_path / "reqs" / "dev.txt").write_text("bench-a==1.0\n# libs\n./libs/mypkg\n", "utf-8")
    run = _safepip(pip_python, index, tmp_path, "-r", "reqs/dev.txt")
    assert run.returncode == 1, run.stderr
    assert run.kind == "local-path-missing"
    assert "./libs/mypkg (reqs/dev.txt, line 3) does not exist" in run.hint
    assert "conda" not in run.hint
    assert "fix-requirements" not in run.hint


def test_missing_editable_path_is_local_path_missing(
    pip_python: Path, index: FaultIndex, tmp_path: Path
) -> None:
    """`-e ./no-such-dir`: a missing path, said once, never retried."""
    run = _safepip(pip_python, index, tmp_path, "-e", "./no-such-dir")
    assert run.returncode == 1, run.stderr
    assert run.kind == "local-path-missing"
    assert len(run.report["attempts"]) == 1
    assert "./no-such-dir (on the command line) does not exist" in run.hint
    evidence = [line for line in run.ours if "evidence:" in line]
    assert len(evidence) == len(set(evidence)) >= 1
    assert all(len(line) < 400 for line in evidence), evidence
    assert not any("pip._internal" in line for line in run.ours), run.stderr


def test_conda_build_path_gets_the_freeze_story(
    pip_python: Path, index: FaultIndex, tmp_path: Path
) -> None:
    """A conda `pkg @ file:///tmp/build/...` line: fix-requirements on the user's own file."""
    lines = "bench-a\nbench-x @ file:///tmp/build/80754af9/bench-x_1/work\n"
    (tmp_path / "frozen.txt").write_text(lines, "utf-8")
    run = _safepip(pip_python, index, tmp_path, "-r", "frozen.txt")
    assert run.kind == "local-path-missing", run.stderr
    assert "(frozen.txt, line 2)" in run.hint
    assert "safepip fix-requirements frozen.txt -o fixed.txt" in run.hint


def test_not_found_lists_the_newest_releases(
    pip_python: Path, index: FaultIndex, tmp_path: Path
) -> None:
    """`bench-d==9.9` from line 2 of a file: the releases the index has, newest first."""
    (tmp_path / "r.txt").write_text("bench-a==1.0\nbench-d==9.9\n", "utf-8")
    run = _safepip(pip_python, index, tmp_path, "-r", "r.txt")
    assert run.kind == "not-found", run.stderr
    assert "`bench-d==9.9` (r.txt, line 2)" in run.hint
    assert "the newest it has: 2.0, 1.5, 1.0" in run.hint
    assert "`bench-d==2.0`" in run.hint
    version = pip_python.parent.parent.name.removeprefix("pip-")
    assert f"pip that ran: {pip_python} (pip {version}), not the active" in run.stderr


def test_a_typo_says_the_name_is_unknown_on_the_index(
    pip_python: Path, index: FaultIndex, tmp_path: Path
) -> None:
    """`bench-dd`: no project of that name on the index, which the hint names."""
    run = _safepip(pip_python, index, tmp_path, "bench-dd")
    assert run.kind == "not-found", run.stderr
    assert f"The index {index.url} has no project named bench-dd" in run.hint
    assert "(on the command line)" in run.hint


def test_python_incompatible_names_the_python_and_the_release_that_works(
    pip_python: Path, index: FaultIndex, tmp_path: Path
) -> None:
    """bench-py 3.0 needs Python >=4: the hint says so and proposes bench-py 2.0."""
    (tmp_path / "r.txt").write_text("bench-a==1.0\n\nbench-py>=3\n", "utf-8")
    run = _safepip(pip_python, index, tmp_path, "-r", "r.txt")
    assert run.kind == "python-incompatible", run.stderr
    assert "bench-py 3.0 requires Python >=4" in run.hint
    assert "pin `bench-py==2.0` (r.txt, line 3)" in run.hint


def test_build_failure_evidence_is_clean_and_names_the_package(
    pip_python: Path, index: FaultIndex, tmp_path: Path
) -> None:
    """A SyntaxError in a build: the package that failed, no compiler advice, no markup."""
    run = _safepip(pip_python, index, tmp_path, "bench-syn==1.0")
    assert run.kind == "build-failure", run.stderr
    assert "Building bench-syn" in run.hint
    assert "SyntaxError" in run.hint
    assert "compiler" not in run.hint
    for line in run.ours:
        assert "[bold" not in line, line
        assert "[/]" not in line, line
        assert "[present-rich]" not in line, line
        assert "^^^" not in line, line
        assert "pip._internal" not in line, line
    cut = next(i for i, ln in enumerate(run.ours) if "pip install failed" in ln)
    before = {ln for ln in run.ours[:cut] if "evidence:" in ln}
    after = {ln for ln in run.ours[cut:] if "evidence:" in ln}
    assert before, run.stderr
    assert not before & after, "the final block repeats the attempt block"


def test_conflict_fix_is_an_edit_of_the_file_and_the_users_own_command(
    pip_python: Path, index: FaultIndex, tmp_path: Path
) -> None:
    """`-r req.txt --target T`: remove line 1 of req.txt, then the same command, all kept."""
    (tmp_path / "req.txt").write_text("bench-conf-x\nbench-conf-y\nbench-a\n", "utf-8")
    run = _safepip(pip_python, index, tmp_path, "-r", "req.txt")
    assert run.kind == "resolution-conflict", run.stderr
    assert "(bench-a)" not in run.hint
    fix = "smallest fix (verified with pip --dry-run): line 1 of req.txt: remove `bench-conf-x`"
    assert any(line.endswith(fix) for line in run.ours), run.stderr
    command = next(line for line in run.ours if "then run: " in line).split("then run: ", 1)[1]
    assert command.startswith("safepip install ")
    for kept in ("-r req.txt", f"--target {tmp_path / 'target'}", f"--index-url {index.url}"):
        assert kept in command, command
    proposal = run.report["conflict"]["proposal"]
    assert proposal["edits"] == ["line 1 of req.txt: remove `bench-conf-x`"]
    assert proposal["user_command"] == command
    # The fix works: the same command after the edit installs.
    (tmp_path / "req.txt").write_text("bench-conf-y\nbench-a\n", "utf-8")
    again = _safepip(pip_python, index, tmp_path, "-r", "req.txt")
    assert again.returncode == 0, again.stderr


def test_env_broken_names_the_dist_info_and_its_repair_works(
    pip_version: str, index: FaultIndex, tmp_path: Path
) -> None:
    """A missing RECORD: the path, a pinned repair that real pip runs, then the install works."""
    python = pips.new_venv(tmp_path / "venv", pip_version)
    env = pips.isolated_env()
    where = ["--index-url", index.url, "--trusted-host", "127.0.0.1", "--no-cache-dir"]
    first = pips.run_pip(python, ["install", *where, "bench-e==1.0"], env=env)
    assert first.returncode == 0, first.output
    site = next((tmp_path / "venv").glob("lib/python*/site-packages"))
    (site / "bench_e-1.0.dist-info" / "RECORD").unlink()

    doctor = run_cli(["doctor", "--python", str(python), "--offline"], env=env)
    assert doctor.returncode == 1, doctor.stdout
    assert "fail  site-packages" in doctor.stdout
    assert "--ignore-installed --no-deps bench_e==1.0" in doctor.stdout

    run = _safepip(python, index, tmp_path, "bench-e==2.0", target=False)
    assert run.kind == "env-broken", run.stderr
    assert str(site / "bench_e-1.0.dist-info") in run.hint
    assert run.report["diagnosis"]["paths"] == [str(site / "bench_e-1.0.dist-info")]
    repair = run.hint.split("Repair it in place with `", 1)[1].split("`", 1)[0]
    assert repair.startswith(f"{python} -m pip install --ignore-installed --no-deps ")
    assert repair.endswith("bench-e==1.0")
    argv = repair.split()
    fixed = pips.run_pip(python, [*argv[3:4], *where, *argv[4:]], env=env)
    assert fixed.returncode == 0, fixed.output

    again = _safepip(python, index, tmp_path, "bench-e==2.0", target=False)
    assert again.returncode == 0, again.stderr
    assert sorted(p.name for p in site.glob("bench_e*.dist-info")) == ["bench_e-2.0.dist-info"]


def _plain_run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run_cli(["install", *args], cwd=cwd, env=pips.isolated_env())


def test_python_without_pip_or_missing_is_a_usage_error(tmp_path: Path) -> None:
    """`--python` at a venv without pip, or at nothing: exit 2, the right advice."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(tmp_path / "v")], check=True)
    nopip = tmp_path / "v" / "bin" / "python"
    run = _plain_run("--python", str(nopip), "bench-a", cwd=tmp_path)
    assert run.returncode == 2, run.stderr
    assert "has no pip" in run.stderr
    assert f"{nopip} -m ensurepip" in run.stderr
    missing = _plain_run("--python", str(tmp_path / "nonexistent" / "python"), "x", cwd=tmp_path)
    assert missing.returncode == 2, missing.stderr
    assert "No such file or directory" in missing.stderr
    assert "ensurepip" not in missing.stderr


def test_fix_requirements_fixes_a_conda_freeze_file_in_a_fresh_venv(
    pip_version: str, index: FaultIndex, tmp_path: Path
) -> None:
    """Versions from conda-meta, else the configured index; notes, line order, a summary."""
    python = pips.new_venv(tmp_path / "venv", pip_version)
    frozen = tmp_path / "frozen.txt"
    frozen.write_text(
        "bench-d @ file:///tmp/build/80754af9/bench-d_1/work\n"
        "# keep me\n"
        "bench-a @ file:///home/conda/feedstock_root/build_artifacts/bench-a_1/work\n"
        "no-such-project @ file:///opt/conda/conda-bld/nsp_1/work\n",
        "utf-8",
    )
    conda = tmp_path / "conda-env"
    (conda / "conda-meta").mkdir(parents=True)
    (conda / "conda-meta" / "bench-a-1.0-py_0.json").write_text(
        json.dumps({"name": "bench-a", "version": "1.0"}), "utf-8"
    )
    env = pips.isolated_env({"PIP_INDEX_URL": index.url, "PIP_TRUSTED_HOST": "127.0.0.1"})

    def fix(*more: str) -> subprocess.CompletedProcess[str]:
        argv = ["fix-requirements", str(frozen), "--python", str(python)]
        return run_cli([*argv, "--conda-prefix", str(conda), *more], env=env)

    done = fix("-o", str(tmp_path / "fixed.txt"))
    assert done.returncode == 1, done.stderr  # no-such-project is on no index: left unfixed
    fixed = (tmp_path / "fixed.txt").read_text("utf-8").splitlines()
    assert fixed[0] == (
        "bench-d==2.0  # was: bench-d @ file:///tmp/build/80754af9/bench-d_1/work"
        " (version from the index)"
    )
    assert fixed[1] == "# keep me"
    assert fixed[2] == "bench-a==1.0"
    assert fixed[3].startswith("no-such-project @ file:")
    said = [line for line in done.stderr.splitlines() if line.startswith("line ")]
    assert [line.split(":")[0] for line in said] == ["line 1", "line 3", "line 4"]
    assert "NOT FIXED" in said[2]
    assert done.stderr.rstrip().endswith("2 line(s) changed, 1 not fixed")

    unpinned = fix("--unpin")
    assert unpinned.returncode == 0, unpinned.stderr
    assert unpinned.stdout.splitlines()[2] == "bench-a"
    assert unpinned.stderr.rstrip().endswith("3 line(s) changed")
