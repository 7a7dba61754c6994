"""The examples in ``examples/`` run, and the configuration snippets say what they claim.

Scripts run as a user would run them (a subprocess with the example's own command line); the
ones that install something drive real pip against the local fault index and are integration
tests. Every pip is isolated: ``PIP_CONFIG_FILE=os.devnull``, no inherited ``PIP_*``, its own
``--cache-dir`` and ``--trusted-host 127.0.0.1``.
"""

from __future__ import annotations

import configparser
import importlib.util
import io
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import pips
from support.runs import poison_cache

from safepip.classifier import classify
from safepip.model import (
    DEFAULT_POLICY,
    Attempt,
    Diagnosis,
    FailureKind,
    InstallResult,
    Outcome,
    Remedy,
    RemedyAction,
    RetryPolicy,
)
from safepip.pipargs import SPECS

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence
    from types import ModuleType

    from support.indexserver import FaultIndex

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "pip-logs"
BIN = Path(sys.executable).parent

EXPECTED_FILES = (
    "README.md",
    "Dockerfile",
    "github-actions.yml",
    "gitlab-ci.yml",
    "tox.ini",
    "noxfile.py",
    "install.sh",
    "classify_log.py",
    "custom_reporter.py",
    "explain_conflict.py",
)

CACHED_CORRUPT_LOG = """\
Collecting demo
  Using cached http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl (154 kB)
ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE. If you have updated \
the package versions, please update the hashes. Otherwise, examine the package contents \
carefully; someone may have tampered with them.
    demo from http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl#sha256=60f040178d7a71c670ff\
65889259fa47dc4f185b6252e0d6b98daa81610e2b2e:
        Expected sha256 60f040178d7a71c670ff65889259fa47dc4f185b6252e0d6b98daa81610e2b2e
             Got        09493dde3ad887dcce6164f469786fb08d022fc02ca3ac6353a0abfb55a1e9a2
"""


def run(
    argv: Sequence[str],
    *,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
    stdin: str | None = None,
    timeout: float = 300,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        list(argv),
        env=pips.isolated_env() if env is None else env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        check=False,
        timeout=timeout,
    )


def load_example(name: str) -> ModuleType:
    """Import ``examples/<name>.py`` as a module (examples are not a package)."""
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# -- every example ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", EXPECTED_FILES[1:])
def test_each_example_opens_with_its_scenario_and_how_to_run_it(name: str) -> None:
    """Each file exists and its first comment or docstring says the scenario and how to run it."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    head = "\n".join(text.splitlines()[:30])
    assert re.search(r"\bScenario\b", head), name
    assert re.search(r"\bRun\b", head), name


def test_readme_lists_every_example() -> None:
    """examples/README.md mentions every example file."""
    readme = (EXAMPLES / "README.md").read_text(encoding="utf-8")
    for name in EXPECTED_FILES[1:]:
        assert f"`{name}`" in readme, name


# -- configuration snippets ------------------------------------------------------------------


@pytest.mark.parametrize("name", ["github-actions.yml", "gitlab-ci.yml"])
def test_ci_yaml_parses_and_runs_safepip_install(name: str) -> None:
    """The CI files are valid YAML (when PyYAML is importable) whose job steps run safepip install."""
    text = (EXAMPLES / name).read_text(encoding="utf-8")
    assert re.search(r"safepip(\.pyz)? install ", text)
    yaml: Any = pytest.importorskip("yaml", reason="PyYAML is not installed: YAML not parsed")
    document = yaml.safe_load(text)
    commands: list[str] = []
    if name == "github-actions.yml":
        for job in document["jobs"].values():
            commands += [step["run"] for step in job["steps"] if "run" in step]
    else:
        commands += [
            line
            for job in document.values()
            if isinstance(job, dict)
            for line in job.get("script", [])
        ]
    assert any(re.match(r"(python \S*safepip\.pyz |safepip )install ", c) for c in commands), (
        commands
    )


def test_github_workflow_uses_the_action_as_action_yml_declares_it() -> None:
    """The Action step passes only declared inputs (the required ones too) and reads only declared outputs."""
    yaml: Any = pytest.importorskip("yaml", reason="PyYAML is not installed: YAML not parsed")
    action = yaml.safe_load((EXAMPLES.parent / "action.yml").read_text(encoding="utf-8"))
    text = (EXAMPLES / "github-actions.yml").read_text(encoding="utf-8")
    steps = [step for job in yaml.safe_load(text)["jobs"].values() for step in job["steps"]]
    [step] = [step for step in steps if step.get("uses") == "./.github/safepip"]
    required = {name for name, spec in action["inputs"].items() if spec.get("required")}
    assert required <= set(step["with"]) <= set(action["inputs"])
    used = set(re.findall(rf"steps\.{step['id']}\.outputs\.([a-z-]+)", text))
    assert used
    assert used <= set(action["outputs"])


def _run_instructions(dockerfile: str) -> list[str]:
    """The RUN instructions of a Dockerfile, continuation lines joined."""
    joined = re.sub(r"\\\n\s*", " ", dockerfile)
    return [line.strip() for line in joined.splitlines() if line.strip().startswith("RUN ")]


def _through_safepip(words: list[str]) -> bool:
    """``safepip install ...`` or ``python /path/safepip.pyz install ...``."""
    return "safepip" in words or any(word.endswith("/safepip.pyz") for word in words)


def test_dockerfile_installs_through_safepip_with_a_cache_mount() -> None:
    """Every RUN that installs requirements uses safepip.pyz install, with pip's cache mounted.

    The very first install of the image goes through safepip too: no `pip install safepip`.
    """
    text = (EXAMPLES / "Dockerfile").read_text(encoding="utf-8")
    runs = _run_instructions(text)
    assert runs
    for instruction in runs:
        for command in re.split(r"&&|;", instruction.removeprefix("RUN ")):
            words = command.split()
            if "install" in words and not _through_safepip(words):
                pytest.fail(f"plain pip install in {instruction!r}")
    installing = [run for run in runs if "safepip.pyz install" in run]
    assert installing
    assert all("--mount=type=cache,target=/root/.cache/pip" in run for run in installing)
    assert re.search(r"^COPY safepip\.pyz /tmp/$", text, re.MULTILINE)


def test_tox_install_command_is_safepip() -> None:
    """tox.ini parses and its install_command is `safepip install {opts} {packages}`."""
    config = configparser.ConfigParser(interpolation=None)
    config.read(EXAMPLES / "tox.ini", encoding="utf-8")
    assert config["testenv"]["install_command"] == "safepip install {opts} {packages}"


def test_noxfile_runs_safepip_install() -> None:
    """noxfile.py compiles and calls `safepip install --python <session python>`."""
    source = (EXAMPLES / "noxfile.py").read_text(encoding="utf-8")
    compile(source, "noxfile.py", "exec")
    assert '"safepip", "install", "--python", python' in source


# -- classify_log.py ---------------------------------------------------------------------------


def _classify_log(path: str, *args: str, stdin: str | None = None) -> dict[str, str]:
    result = run([sys.executable, str(EXAMPLES / "classify_log.py"), path, *args], stdin=stdin)
    assert result.returncode == 0, result.stderr
    fields = dict(re.findall(r"^(\w+):\s+(.*)$", result.stdout, re.MULTILINE))
    fields["stdout"] = result.stdout
    return fields


def test_classify_log_on_a_hand_made_log(tmp_path: Path) -> None:
    """The example prints the library's kind, policy, evidence and hint for a saved log."""
    log = tmp_path / "job.log"
    log.write_text(CACHED_CORRUPT_LOG, encoding="utf-8")
    expected = classify(CACHED_CORRUPT_LOG, returncode=1)
    fields = _classify_log(str(log), "--returncode", "1")
    assert fields["kind"] == expected.kind.value
    assert fields["policy"] == expected.policy.value
    for line in expected.evidence:
        assert f"  {line.strip()}\n" in fields["stdout"]
    assert "verdict" in fields
    assert _classify_log("-", "--returncode", "1", stdin=CACHED_CORRUPT_LOG) == fields


def _corpus_case() -> Path | None:
    cases = sorted(CORPUS.glob("*/*.txt"))
    preferred = [case for case in cases if case.parent.name == "cache-corrupt"]
    return next(iter(preferred or cases), None)


def test_classify_log_on_a_corpus_log() -> None:
    """On a real pip log from the classifier corpus the example agrees with `safepip.classifier.decide`."""
    case = _corpus_case()
    if case is None:
        pytest.skip("the classifier corpus (tests/data/pip-logs) is empty")
    text = case.read_text(encoding="utf-8")
    fields = _classify_log(str(case))
    diagnosis = classify(text)
    assert fields["kind"] == diagnosis.kind.value
    assert fields["policy"] == diagnosis.policy.value


# -- custom_reporter.py ----------------------------------------------------------------------


def test_custom_reporter_events_are_json_lines_and_redacted() -> None:
    """The example's EventLog writes one JSON object per hook and never a credential."""
    example = load_example("custom_reporter")
    stream = io.StringIO()
    log = example.EventLog(stream)
    diagnosis = Diagnosis(
        FailureKind.AUTH,
        RetryPolicy.STOP,
        evidence=("ERROR: 401 for url: https://bob:hunter2@pypi.example.com/simple/x/",),
    )
    attempt = Attempt(1, 1, 0.5, diagnosis)
    log.attempt_started(1, ["python", "-m", "pip", "install", "-i", "https://bob:hunter2@h/simple"])
    log.attempt_failed(attempt)
    log.remedy_applied(Remedy(RemedyAction.NO_CACHE_DIR, "bypass"), [], dry_run=False)
    log.retry_scheduled(attempt, 2.0)
    log.stopping(attempt, "a retry cannot fix this")
    log.finished(InstallResult(Outcome.FAILED, 1, (attempt,)))
    events = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert [event["event"] for event in events] == [
        "attempt-started",
        "attempt-failed",
        "remedy",
        "retry",
        "stopping",
        "finished",
    ]
    assert events[1]["kind"] == "auth"
    assert events[-1]["outcome"] == "failed"
    assert "hunter2" not in stream.getvalue()


# -- scripts against the local fault index ---------------------------------------------------


@pytest.fixture
def console_script() -> Path:
    """The ``safepip`` console script beside this Python; the test is skipped without one."""
    found = shutil.which("safepip", path=str(BIN))
    if found is None:
        pytest.skip(f"no safepip console script beside {sys.executable}")
    return Path(found)


@pytest.fixture
def target_venv(tmp_path: Path) -> Path:
    """A fresh venv whose pip is 26.3: the environment the examples install into."""
    if "26.3" not in pips.available_pip_versions():
        pytest.skip("pip 26.3 is not in .ci/wheelhouse: run .ci/prepare-pips")
    return pips.new_venv(tmp_path / "venv", "26.3").parent.parent


def _install_sh(
    python: Path, index: FaultIndex, cache: Path, work: Path, requirement: str, **env: str
) -> subprocess.CompletedProcess[str]:
    """``sh examples/install.sh requirements.txt`` in ``work``, installing with ``python``'s pip.

    ``requirements.txt`` holds ``requirement``; ``env`` adds variables (``SAFEPIP_*``).
    """
    (work / "requirements.txt").write_text(f"{requirement}\n", encoding="utf-8")
    variables = {"PATH": f"{BIN}:/usr/bin:/bin", "SAFEPIP_PYTHON": str(python), **env}
    variables["PYTHON"] = sys.executable
    where = ["--index-url", index.url, "--trusted-host", "127.0.0.1", "--cache-dir", str(cache)]
    return run(
        ["sh", str(EXAMPLES / "install.sh"), "requirements.txt", *where],
        env=pips.isolated_env(variables),
        cwd=work,
    )


@pytest.mark.integration
@pytest.mark.usefixtures("console_script")
def test_install_sh_recovers_from_a_poisoned_cache(
    target_venv: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    tmp_path: Path,
) -> None:
    """install.sh: safepip purges the cached corrupt wheel, succeeds, and the script says so."""
    index = fault_index(demo_dists)
    cache = tmp_path / "cache"
    python = target_venv / "bin" / "python"
    poison_cache(python, index, cache, tmp_path, wheel="demo-1.0-py3-none-any.whl")
    result = _install_sh(python, index, cache, tmp_path, "demo", SAFEPIP_BACKOFF="0")
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads((tmp_path / "safepip-report.json").read_text(encoding="utf-8"))
    assert report["outcome"] == "recovered"
    first = report["attempts"][0]
    assert first["diagnosis"]["kind"] == "cache-corrupt"
    assert "purge" in [remedy["action"] for remedy in first["remedies"]]
    assert (
        f"outcome: recovered (exit status 0, {len(report['attempts'])} attempt(s))" in result.stdout
    )
    assert "  attempt 1: cache-corrupt; remedies: purge" in result.stdout
    assert "Successfully installed demo-1.0 dep-2.0" in result.stdout


@pytest.mark.integration
@pytest.mark.usefixtures("console_script")
def test_install_sh_reports_a_deterministic_failure(
    target_venv: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    tmp_path: Path,
) -> None:
    """install.sh: a requirement the index lacks stops at once; pip's status and the kind are shown."""
    index = fault_index(demo_dists)
    (tmp_path / "safepip-report.json").write_text("stale", encoding="utf-8")
    python = target_venv / "bin" / "python"
    result = _install_sh(python, index, tmp_path / "c", tmp_path, "no-such-project")
    assert result.returncode == 1, result.stdout + result.stderr
    report = json.loads((tmp_path / "safepip-report.json").read_text(encoding="utf-8"))
    assert report["outcome"] == "failed"
    # A bare "from versions: none" on the console leaves the cause open: the second and last
    # attempt runs with pip's --log, whose debug lines confirm the project is not there.
    first, second = report["attempts"]
    assert "--log" not in first["args"]
    assert "--log" in second["args"]
    assert report["diagnosis"]["kind"] == "not-found"
    assert f"kind:    {report['diagnosis']['kind']}" in result.stdout
    assert "outcome: failed (exit status 1, 2 attempt(s))" in result.stdout


@pytest.mark.integration
@pytest.mark.usefixtures("console_script")
def test_install_sh_without_a_report_passes_safepips_status_on(tmp_path: Path) -> None:
    """A safepip usage error (no report written) is reported and its status 2 passed on."""
    env = pips.isolated_env({"PATH": f"{BIN}:/usr/bin:/bin", "SAFEPIP_ATTEMPTS": "zero"})
    result = run(["sh", str(EXAMPLES / "install.sh")], env=env, cwd=tmp_path)
    assert result.returncode == 2
    assert "no report written; safepip exited with status 2" in result.stderr


@pytest.mark.integration
def test_custom_reporter_script_logs_a_recovery(
    target_venv: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    tmp_path: Path,
) -> None:
    """custom_reporter.py installs into $VIRTUAL_ENV and logs the corrupt download it recovered from."""
    index = fault_index(demo_dists)
    index.corrupt("/files/demo-1.0-py3-none-any.whl", times=1)
    events = tmp_path / "events.jsonl"
    env = pips.isolated_env({"VIRTUAL_ENV": str(target_venv)})
    argv = [
        sys.executable,
        str(EXAMPLES / "custom_reporter.py"),
        "--events",
        str(events),
        "--",
        *pips.common_args(index.url, tmp_path / "cache"),
        "demo",
    ]
    result = run(argv, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    records = [json.loads(line) for line in events.read_text(encoding="utf-8").splitlines()]
    names = [record["event"] for record in records]
    assert names[:2] == ["attempt-started", "attempt-failed"]
    assert "retry" in names
    assert records[1]["kind"] == "download-corrupt"
    assert records[-1] == {
        **records[-1],
        "event": "finished",
        "outcome": "recovered",
        "returncode": 0,
    }
    assert records[0]["argv"][0] == str(target_venv / "bin" / "python")
    installed = run(
        [str(target_venv / "bin" / "python"), "-c", "import demo"], env=pips.isolated_env()
    )
    assert installed.returncode == 0, installed.stderr


# -- tox and nox, when installed ---------------------------------------------------------------


def _adapted(tool: str, project: Path) -> None:
    """Copy the tool's example into ``project``, installing ``demo`` instead of the test deps."""
    if tool == "tox":
        text = (EXAMPLES / "tox.ini").read_text(encoding="utf-8")
        text = text.replace("[testenv]\n", "[testenv]\nskip_install = true\n")
        text = text.replace(
            "    pytest\ncommands =\n    pytest {posargs}",
            "    demo\ncommands =\n    python -c 'import demo; print(demo.__file__)'",
        )
        assert "    demo\n" in text
        (project / "tox.ini").write_text(text, encoding="utf-8")
    else:
        text = (EXAMPLES / "noxfile.py").read_text(encoding="utf-8")
        old = 'safepip_install(session, "-r", "requirements.txt", "-e", ".")\n    session.run("pytest", *session.posargs)'
        new = 'safepip_install(session, "demo")\n    session.run("python", "-c", "import demo; print(demo.__file__)")'
        assert old in text
        (project / "noxfile.py").write_text(text.replace(old, new), encoding="utf-8")


@pytest.mark.integration
@pytest.mark.parametrize("tool", ["tox", "nox"])
@pytest.mark.usefixtures("console_script")
def test_tox_and_nox_install_through_safepip(
    tool: str,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    tmp_path: Path,
) -> None:
    """The tox.ini / noxfile.py examples install into the tool's own env, recovering from a 503.

    Skipped when the tool is not installed (neither is a test dependency); pip is pointed at the
    fault index with ``PIP_*`` variables, which both tools pass through to safepip and pip.
    """
    executable = shutil.which(tool)
    if executable is None:
        pytest.skip(f"{tool} is not installed")
    index = fault_index(demo_dists)
    index.fail("/simple/demo/", status=503, times=1)
    project = tmp_path / "project"
    project.mkdir()
    _adapted(tool, project)
    env = pips.isolated_env(
        {
            "PATH": f"{BIN}:{Path(executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}",
            "PIP_INDEX_URL": index.url,
            "PIP_TRUSTED_HOST": "127.0.0.1",
            "PIP_CACHE_DIR": str(tmp_path / "cache"),
            "PIP_RETRIES": "0",
            "SAFEPIP_BACKOFF": "0",
            "VIRTUALENV_DOWNLOAD": "0",
        }
    )
    env.pop("VIRTUAL_ENV", None)
    argv = [executable, "-e", "py"] if tool == "tox" else [executable, "-s", "tests"]
    result = run(argv, env=env, cwd=project, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    assert index.hits("/simple/demo/", status=503) == 1
    assert f"/{'.tox/py' if tool == 'tox' else '.nox/tests'}/" in result.stdout + result.stderr


# -- the top-level README ----------------------------------------------------------------------


README = EXAMPLES.parent / "README.md"


def test_readme_tables_cover_every_kind_and_option() -> None:
    """README.md lists every FailureKind with its default policy, and every option with its variable."""
    text = README.read_text(encoding="utf-8")
    for kind in FailureKind:
        row = re.search(rf"^\| `{re.escape(kind.value)}` \| ([a-z-]+) \|", text, re.MULTILINE)
        assert row is not None, kind
        assert row.group(1) == DEFAULT_POLICY[kind].value, kind
    for spec in SPECS:
        assert re.search(
            rf"^\| `{re.escape(spec.flag)}[^`]*` \| `{spec.env}` \|", text, re.MULTILINE
        ), spec.flag


def test_readme_starts_with_the_install_and_test_commands() -> None:
    """The first code block of README.md is the install-and-run and the test-suite command."""
    lines = README.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# safepip"
    assert lines[2] == "```sh"
    assert lines[3].startswith("pip install . && safepip install --help ")
    assert lines[4].startswith("bash .ci/test ")
