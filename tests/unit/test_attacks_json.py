"""Deeply nested JSON from every untrusted source takes that source's "not JSON" path.

``json.loads`` raises RecursionError, not ValueError, on JSON nested deeper than the recursion
limit (``[[[[...``, a few kilobytes). Before safepip.jsonparse, each source below let it escape:
a traceback, exit 3 ("internal error"). Each test plants such JSON where an attacker (or a broken
tool) could put it and checks the documented fallback of that reader.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import cachetree as ct
from support.memoryindex import TARGET, TRANSITIVE, Verifier

from safepip import jsonparse
from safepip.cache.layout import http_entry_paths
from safepip.cache.verify import INVALID_ORIGIN, verify
from safepip.classifier import classify
from safepip.classifier.paste import restore
from safepip.commands import cache as cachecmd
from safepip.commands import doctor
from safepip.commands import fix_requirements as fixreq
from safepip.commands.fix_sources import conda_versions
from safepip.conflicts.propose import propose
from safepip.conflicts.verify import _report_summary
from safepip.index.client import Budget, Index
from safepip.index.page import parse_page, read_page
from safepip.index.target import probe_target
from safepip.install.broken import locate
from safepip.model import DEFAULT_POLICY, Diagnosis, FailureKind

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

#: Far deeper than any recursion limit: the attacker test's ``[`` * 100000.
DEPTH = 100_000
INDEX = "https://pypi.org/simple/"

#: Nestings that make json.loads raise RecursionError (closed or not: it recurses first).
SHAPES: dict[str, Callable[[int], str]] = {
    "arrays": lambda n: "[" * n + "]" * n,
    "objects": lambda n: '{"a":' * n + "1" + "}" * n,
    "unclosed": lambda n: "[" * n,
    "mixed": lambda n: '[{"a":' * (n // 2) + "null" + "}]" * (n // 2),
}


@pytest.fixture(params=sorted(SHAPES))
def deep(request: pytest.FixtureRequest) -> str:
    """JSON nested :data:`DEPTH` levels deep, of each shape."""
    return SHAPES[request.param](DEPTH)


def test_the_raw_parser_raises_recursion_error_and_loads_a_value_error(deep: str) -> None:
    """What the readers rely on: json.loads escapes ValueError, jsonparse.loads does not."""
    with pytest.raises(RecursionError):
        json.loads(deep)
    with pytest.raises(ValueError, match="nested too deeply"):
        jsonparse.loads(deep)
    with pytest.raises(ValueError, match="nested too deeply"):
        jsonparse.loads(deep.encode())
    assert jsonparse.loads('{"a": [1, "x", null]}') == {"a": [1, "x", None]}
    with pytest.raises(ValueError):  # noqa: PT011 - JSONDecodeError's message is json's own
        jsonparse.loads("{not json")
    assert jsonparse.loads("[" * 50 + "]" * 50) is not None  # real nesting still parses


# --- pip's cache (shared by every user of the machine) ------------------------------------


def _cache(*argv: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser(prog="safepip cache")
    cachecmd.configure(parser)
    out, err = io.StringIO(), io.StringIO()

    def no_config(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        return 0, "env_var:\nenv:\nglobal:\n"

    status = cachecmd.run(parser.parse_args(list(argv)), out, err, query=no_config)
    return status, out.getvalue(), err.getvalue()


def test_cache_purge_survives_a_deep_cached_page_and_a_deep_body_only_entry(
    tmp_path: Path, deep: str
) -> None:
    """The project's cached page is purged as a page; a body-only entry is left unidentified."""
    root = tmp_path / "cache"
    page = '{"name": "demo", "files": ' + deep + "}"
    meta, body = ct.add_http_v2(root, INDEX + "demo/", page.encode())
    _meta, stray, _old = http_entry_paths(root, "https://elsewhere.example/simple/other/")
    stray.parent.mkdir(parents=True, exist_ok=True)
    stray.write_text('{"name": "demo", "files": ' + deep + "}")
    wheel_entry = ct.add_built_wheel(root, "demo", "1.0")
    status, out, err = _cache("purge", "demo", "--cache-dir", str(root))
    assert (status, err) == (0, "")
    assert f"index page {INDEX}demo/" in out
    assert not meta.exists()
    assert not body.exists()
    assert not wheel_entry.exists()
    assert stray.exists()  # its page could not be read: not known to be demo's


def test_cache_verify_and_doctor_report_a_deep_origin_json(tmp_path: Path, deep: str) -> None:
    """A built wheel whose origin.json is nested too deeply is invalid-origin, as ``{not json``."""
    root = tmp_path / "cache"
    entry = ct.add_built_wheel(root, "demo", "1.0")
    (entry / "origin.json").write_text(deep)
    [problem] = verify(root).problems
    assert (problem.reason, problem.paths) == (INVALID_ORIGIN, (str(entry),))
    assert problem.detail == "origin.json is not valid JSON"
    status, out, err = _cache("verify", "--cache-dir", str(root))
    assert status == 1
    assert INVALID_ORIGIN in out
    assert err == ""
    checks = {c.name: c for c in doctor.cache_checks(root)}
    assert checks["cache entries"].status == doctor.WARN
    assert checks["cache entries"].detail.startswith(f"1 corrupt of 1 ({INVALID_ORIGIN})")


# --- the index ---------------------------------------------------------------------------


def test_a_deep_index_page_is_not_a_project_page(deep: str) -> None:
    """read_page gives None; Index.versions notes the page and finds no versions."""
    body = ('{"meta": {"api-version": "1.1"}, "name": "demo", "files": ' + deep + "}").encode()
    assert read_page(body, INDEX + "demo/") is None
    with pytest.raises(ValueError, match="not a PEP 691 project page"):
        parse_page(body, INDEX + "demo/", "demo")
    index = Index(INDEX, lambda _url: body, TARGET, Budget(deadline=float("inf"), max_candidates=9))
    assert index.versions("demo") == {}
    assert index.problems == [f"could not parse {INDEX}demo/: not a PEP 691 project page"]


def test_the_conflict_search_notes_a_deep_index_page(deep: str) -> None:
    """The fix search of a failed install ends with a note, not a traceback."""
    body = ('{"name": "a", "files": ' + deep + "}").encode()
    proposal = propose(
        TRANSITIVE,
        index_url="https://index.example/simple",
        python="python3",
        env={},
        fetch=lambda _url: body,
        verify=Verifier(),
        target=TARGET,
    )
    assert proposal is not None
    assert proposal.change == ""
    assert "not a PEP 691 project page" in proposal.note


# --- the target interpreter's answers (a wrapper or a shim may print anything) -----------


def _answer(text: str) -> Callable[[Sequence[str], Mapping[str, str]], tuple[int, str]]:
    def query(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        return 0, text

    return query


def test_doctor_cannot_use_a_deep_answer(deep: str) -> None:
    """The doctor's probe answered with deep JSON: the one python fail line."""
    checks = doctor.run_checks("py", {}, _answer(deep), lambda _u, _t: (True, ""))
    assert [(c.status, c.name) for c in checks] == [(doctor.FAIL, "python")]
    assert checks[0].detail == "cannot run py (exit status 0)"


def test_fix_requirements_gets_no_versions_from_a_deep_answer(deep: str) -> None:
    """Both questions answered with deep JSON: no installed versions (None), as for ``not json``."""
    assert fixreq.installed_versions("py", {}, _answer(deep)) is None


def test_a_broken_environment_is_not_located_from_a_deep_answer(deep: str) -> None:
    """The site-packages probe answered with deep JSON: the hint stays, no path is guessed."""
    hint = "Remove demo-1.0.dist-info, then run `python -m pip install demo`."
    diagnosis = Diagnosis(FailureKind.ENV_BROKEN, DEFAULT_POLICY[FailureKind.ENV_BROKEN], hint=hint)
    found = locate(diagnosis, "/venv/bin/python", ["demo"], {}, _answer(deep + "\n"))
    assert found.paths == ()
    assert found.hint == hint.replace("`python -m pip", "`/venv/bin/python -m pip")


def test_a_broken_environment_is_located_past_answers_that_are_not_paths(tmp_path: Path) -> None:
    """Lists and objects among the site directories are skipped (they were unhashable: a crash)."""
    site = tmp_path / "site"
    (site / "demo-1.0.dist-info").mkdir(parents=True)
    diagnosis = Diagnosis(
        FailureKind.ENV_BROKEN, DEFAULT_POLICY[FailureKind.ENV_BROKEN], hint="demo-1.0.dist-info"
    )
    answer = json.dumps([[str(site)], {"a": 1}, 3, str(site)])
    found = locate(diagnosis, "py", ["demo"], {}, _answer(answer))
    assert found.paths == (str(site / "demo-1.0.dist-info"),)


@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX shell wrapper")
def test_the_target_probe_gives_up_on_a_deep_answer(tmp_path: Path) -> None:
    """An interpreter whose markers answer is nested too deeply gives no target (None)."""
    answer = tmp_path / "answer.py"
    answer.write_text(f"print('{{\"markers\": ' + '[' * {DEPTH} + '], \"tags\": []}}')\n")
    script = tmp_path / "python"
    script.write_text(f'#!/bin/sh\nexec "{sys.executable}" "{answer}"\n')
    script.chmod(0o755)
    assert probe_target(str(script), {}) is None


def test_pips_installation_report_summary_is_empty_when_deep(deep: str) -> None:
    """pip's --report answered with deep JSON: no summary, as for text that is not JSON."""
    assert _report_summary('{"install": ' + deep + "}") == ""


# --- logs and conda records ---------------------------------------------------------------


def test_a_docker_json_log_with_a_deep_line_is_still_read(deep: str) -> None:
    """The deep line stays as text; the stream lines around it are decoded and classified."""
    lines = [
        json.dumps({"stream": "Collecting demo\n"}),
        '{"aux": ' + deep + "}",
        json.dumps({"stream": "ERROR: No matching distribution found for demo\n"}),
    ]
    text = "\n".join(lines) + "\n"
    restored = restore(text)
    assert restored.startswith("Collecting demo\n")
    assert restored.endswith("ERROR: No matching distribution found for demo\n")
    assert '{"aux": ' in restored
    assert classify(text).kind is FailureKind.NOT_FOUND


def test_a_deep_conda_record_is_skipped(tmp_path: Path, deep: str) -> None:
    """conda-meta/*.json nested too deeply is skipped; the other records still give versions."""
    meta = tmp_path / "conda-meta"
    meta.mkdir()
    (meta / "bad-1.0-0.json").write_text('{"name": "bad", "version": "1.0", "x": ' + deep + "}")
    (meta / "NumPy-1.26.4-0.json").write_text(json.dumps({"name": "NumPy", "version": "1.26.4"}))
    assert conda_versions(str(tmp_path)) == {"numpy": "1.26.4"}


# --- JSON that parses, nested just within the limit ---------------------------------------

#: Each in-process reader, given one nested value inside the JSON it expects.
READERS: dict[str, Callable[[str], object]] = {
    "index page": lambda v: read_page(
        (
            '{"name": '
            + v
            + ', "files": [{"url": "a", "filename": '
            + v
            + ', "hashes": '
            + v
            + ', "yanked": '
            + v
            + ', "requires-python": '
            + v
            + ', "core-metadata": '
            + v
            + "}]}"
        ).encode(),
        INDEX,
    ),
    "installed versions": lambda v: fixreq.installed_versions(
        "py", {}, _answer('[{"name": "x", "version": ' + v + "}]")
    ),
    "doctor probe": lambda v: doctor.run_checks(
        "py", {}, _answer('{"version": ' + v + ', "pip": null}'), lambda _u, _t: (True, "")
    ),
    "pip report": lambda v: _report_summary('{"install": [{"metadata": {"name": ' + v + "}}]}"),
    "docker log": lambda v: classify('{"stream":"x\\n"}\n{"stream": ' + v + "}\n"),
    "site dirs": lambda v: locate(
        Diagnosis(
            FailureKind.ENV_BROKEN, DEFAULT_POLICY[FailureKind.ENV_BROKEN], hint="a-1.dist-info"
        ),
        "py",
        [],
        {},
        _answer("[" + v + "]"),
    ),
}


@pytest.mark.parametrize("reader", sorted(READERS))
def test_values_nested_around_the_recursion_limit_never_escape(reader: str) -> None:
    """Whether a value parses or not near the limit, its reader neither raises nor recurses out.

    A value that parsed is only ever used through typed leaves (a str), never walked or printed.
    """
    limit = sys.getrecursionlimit()
    for depth in range(limit - 300, limit + 30, 3):
        for shape in ("arrays", "objects"):
            READERS[reader](SHAPES[shape](depth))
