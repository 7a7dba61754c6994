"""action.yml, run step by step as the Actions runner runs a composite action, on real pip.

The harness reads action.yml with PyYAML, substitutes the ``${{ ... }}`` expressions it uses
(``inputs.*``, ``steps.<id>.outputs.*``), and runs each step's ``run:`` script with
``bash --noprofile --norc -eo pipefail`` (the runner's ``shell: bash``) in the step's ``env:``,
with ``GITHUB_ACTIONS=true``, ``GITHUB_ACTION_PATH`` (this checkout), ``RUNNER_TEMP``, a fresh
``GITHUB_OUTPUT`` file per step and one ``GITHUB_STEP_SUMMARY``. An expression it does not know
fails the test, so the action can use nothing the harness does not check. The interpreter is a
venv with pip 26.3 and none of safepip's dependencies.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import pips
from support.runs import poison_cache

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from support.indexserver import FaultIndex

pytestmark = pytest.mark.integration

ACTION = pips.REPO_ROOT / "action.yml"
PIP = "26.3"
DEMO_WHEEL = "demo-1.0-py3-none-any.whl"
_EXPR = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


@pytest.fixture(scope="module")
def action() -> dict[str, Any]:
    yaml: Any = pytest.importorskip("yaml", reason="PyYAML is needed to read action.yml")
    document: dict[str, Any] = yaml.safe_load(ACTION.read_text("utf-8"))
    return document


@pytest.fixture
def python() -> Path:
    if PIP not in pips.available_pip_versions():
        pytest.skip(f"pip {PIP} is not in .ci/wheelhouse: run .ci/prepare-pips")
    return pips.pip_python(PIP)


@dataclass
class ActionRun:
    """The result of running every step: the status, the output, the action's outputs."""

    status: int
    output: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    summary: str = ""


def _parse_output_file(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIM`` blocks, as the runner reads ``GITHUB_OUTPUT``."""
    values: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and ("=" not in line or line.index("<<") < line.index("=")):
            name, delimiter = line.split("<<", 1)
            block = []
            for inner in lines:
                if inner == delimiter:
                    break
                block.append(inner)
            values[name] = "\n".join(block)
        elif line:
            name, _, value = line.partition("=")
            values[name] = value
    return values


def _substitute(text: str, context: Mapping[str, Mapping[str, str]]) -> str:
    def one(match: re.Match[str]) -> str:
        scope, _, rest = match[1].partition(".")
        if scope == "inputs":
            return context["inputs"][rest]
        if scope == "steps":
            step, outputs, name = rest.split(".")
            assert outputs == "outputs", match[0]
            return context["steps"].get(f"{step}.{name}", "")
        pytest.fail(f"action.yml uses an expression the harness does not emulate: {match[0]}")

    return _EXPR.sub(one, text)


def run_action(
    action: dict[str, Any], inputs: Mapping[str, str], tmp: Path, env: Mapping[str, str]
) -> ActionRun:
    """Run the composite action's steps in order, as the runner does; stop at a failed step."""
    declared: dict[str, Any] = action["inputs"]
    unknown = set(inputs) - set(declared)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    for name, spec in declared.items():
        if spec.get("required") and name not in inputs:
            pytest.fail(f"required input {name} not given")
    values = {
        name: inputs.get(name, str(spec.get("default", ""))) for name, spec in declared.items()
    }
    context: dict[str, dict[str, str]] = {"inputs": values, "steps": {}}
    runner_temp = tmp / "runner-temp"
    runner_temp.mkdir()
    summary = tmp / "step-summary.md"
    summary.touch()
    result = ActionRun(status=0)
    for number, step in enumerate(action["runs"]["steps"]):
        assert step["shell"] == "bash"
        script = tmp / f"step-{number}.sh"
        script.write_text(_substitute(step["run"], context), encoding="utf-8")
        output_file = tmp / f"output-{number}"
        output_file.touch()
        step_env = {
            **env,
            "GITHUB_ACTIONS": "true",
            "GITHUB_ACTION_PATH": str(pips.REPO_ROOT),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_STEP_SUMMARY": str(summary),
            **{k: _substitute(str(v), context) for k, v in step.get("env", {}).items()},
        }
        proc = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env=step_env,
            cwd=tmp,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=180,
        )
        result.output += proc.stdout
        for name, value in _parse_output_file(output_file.read_text("utf-8")).items():
            context["steps"][f"{step['id']}.{name}"] = value
        if proc.returncode != 0:
            result.status = proc.returncode
            break
    result.outputs = {
        name: _substitute(spec["value"], context) for name, spec in action["outputs"].items()
    }
    result.summary = summary.read_text("utf-8")
    return result


def _pip_args(index: FaultIndex, cache: Path, target: Path, *more: str) -> list[str]:
    args = pips.common_args(index.url, cache, timeout=3, no_input=False)
    return [*args, "--target", str(target), *more]


def _install(
    action: dict[str, Any], python: Path, index: FaultIndex, tmp: Path, project: str, **inputs: str
) -> ActionRun:
    """The action installing ``project`` from ``index`` into ``tmp/target`` (cache ``tmp/cache``)."""
    args = shlex.join(_pip_args(index, tmp / "cache", tmp / "target", project))
    return run_action(
        action, {"args": args, "python": str(python), **inputs}, tmp, pips.private_env(tmp)
    )


def test_the_action_is_composite_with_the_documented_interface(action: dict[str, Any]) -> None:
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"args", "python", "attempts", "time-budget", "report"}
    assert set(action["outputs"]) == {"outcome", "kind", "attempts", "report"}
    text = ACTION.read_text("utf-8")
    # Inputs reach the scripts through env only (no ${{ }} pasted into shell code).
    for step in action["runs"]["steps"]:
        assert not _EXPR.search(step["run"]), step["name"]
    assert "pip install safepip" not in text
    assert not re.search(r"https?://", text)  # nothing fetched


def test_recovers_a_poisoned_cache_and_sets_the_outputs(
    action: dict[str, Any],
    python: Path,
    tmp_path: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
) -> None:
    index = fault_index(demo_dists)
    cache = tmp_path / "cache"
    env = pips.private_env(tmp_path)
    poison_cache(python, index, cache, tmp_path, wheel=DEMO_WHEEL, env=env)
    report = tmp_path / "my report.json"
    target = tmp_path / "target"
    run = run_action(
        action,
        {
            "args": shlex.join(_pip_args(index, cache, target, "demo")),
            "python": str(python),
            "attempts": "3",
            "time-budget": "120",
            "report": str(report),
        },
        tmp_path,
        env,
    )
    assert run.status == 0, run.output
    assert run.outputs == {
        "outcome": "recovered",
        "kind": "cache-corrupt",
        "attempts": "2",
        "report": str(report),
    }
    document = json.loads(report.read_text("utf-8"))
    assert document["outcome"] == "recovered"
    assert [a["args"][0] for a in document["attempts"]] == [str(python)] * 2
    assert (target / "demo" / "__init__.py").is_file()
    assert "::warning title=safepip" in run.output  # the recovered failure, annotated
    assert "cache-corrupt" in run.summary
    assert "recovered" in run.summary


def test_the_attempts_input_bounds_the_retries(
    action: dict[str, Any],
    python: Path,
    tmp_path: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
) -> None:
    """A 503 burst that safepip would retry: with attempts 1 it gives up after one pip run."""
    index = fault_index(demo_dists)
    index.fail("/simple/demo/", status=503, times=50)
    run = _install(action, python, index, tmp_path, "demo", attempts="1")
    assert run.status == 1, run.output
    assert run.outputs["outcome"] == "gave-up"
    assert run.outputs["attempts"] == "1"
    report = Path(run.outputs["report"])
    assert report.is_relative_to(tmp_path / "runner-temp")  # the default: in RUNNER_TEMP
    document = json.loads(report.read_text("utf-8"))
    assert document["outcome"] == "gave-up"
    assert len(document["attempts"]) == 1
    kind = document["diagnosis"]["kind"]
    assert run.outputs["kind"] == kind
    assert f"::error title=safepip {kind}" in run.output
    assert "gave-up" in run.summary or "gave up" in run.summary


def test_a_deterministic_failure_fails_the_step_with_the_kind(
    action: dict[str, Any],
    python: Path,
    tmp_path: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
) -> None:
    index = fault_index(demo_dists)
    run = _install(action, python, index, tmp_path, "no-such-project")
    assert run.status == 1, run.output
    assert run.outputs["outcome"] == "failed"
    assert run.outputs["kind"] == "not-found"
    # safepip may rerun pip once with --log to read the cause; the output counts every pip run.
    document = json.loads(Path(run.outputs["report"]).read_text("utf-8"))
    assert run.outputs["attempts"] == str(len(document["attempts"]))
    assert "::error title=safepip not-found" in run.output


def test_args_that_are_not_shell_words_are_a_one_line_error(
    action: dict[str, Any], python: Path, tmp_path: Path
) -> None:
    run = run_action(
        action,
        {"args": "-r 'requirements.txt", "python": str(python)},
        tmp_path,
        pips.private_env(tmp_path),
    )
    assert run.status == 2
    errors = [line for line in run.output.splitlines() if line.startswith("::error")]
    assert len(errors) == 1, run.output
    assert "the args input is not valid shell words" in errors[0]
    assert "Traceback" not in run.output
    assert run.outputs["outcome"] == ""
