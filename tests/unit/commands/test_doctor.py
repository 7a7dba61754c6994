"""Tests of `safepip doctor`: each check on a healthy and on a broken environment."""

from __future__ import annotations

import argparse
import http.server
import io
import json
import os
import socket
import subprocess
import sys
import threading
import time
from typing import TYPE_CHECKING

import pytest
from support import cachetree as ct

from safepip import pipfacts
from safepip.commands import doctor

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence
    from pathlib import Path

CONFIG_DEBUG = """\
env_var:
  PIP_INDEX_URL='https://user:s3cret@mirror.example/simple'
env:
global:
  /etc/xdg/pip/pip.conf, exists: False
  /etc/pip.conf, exists: True
    global.extra-index-url: https://extra.example/simple file:///opt/pypi/simple
site:
  /venv/pip.conf, exists: False
user:
  /root/.config/pip/pip.conf, exists: True
    global.timeout: 60
"""


def test_parse_config_debug() -> None:
    """Files in use, their values and PIP_* variables are read from `pip config debug`."""
    config = pipfacts.parse_config_debug(CONFIG_DEBUG)
    assert config.files == ("/etc/pip.conf", "/root/.config/pip/pip.conf")
    assert config.values == {
        "global.extra-index-url": "https://extra.example/simple file:///opt/pypi/simple",
        "global.timeout": "60",
    }
    assert config.env_vars == {"PIP_INDEX_URL": "https://user:s3cret@mirror.example/simple"}


def test_configured_indexes() -> None:
    """Index URLs come from PIP_* variables and config values; PyPI only when no primary is set."""
    config = pipfacts.parse_config_debug(CONFIG_DEBUG)
    env = {"PIP_INDEX_URL": "https://user:s3cret@mirror.example/simple"}
    assert pipfacts.configured_indexes(config, env) == [
        "https://user:s3cret@mirror.example/simple",
        "https://extra.example/simple",
        "file:///opt/pypi/simple",
    ]
    assert pipfacts.configured_indexes(None, {}) == [pipfacts.DEFAULT_INDEX]


def test_config_check_redacts_credentials() -> None:
    """The config line names files and variables but never prints a password."""
    check = doctor.config_check(pipfacts.parse_config_debug(CONFIG_DEBUG))
    assert check.status == doctor.OK
    assert "/etc/pip.conf" in check.detail
    assert "PIP_INDEX_URL" in check.detail
    assert "s3cret" not in check.detail


def test_proxy_check_names_only() -> None:
    """Proxy variables are named, their values (which may hold credentials) never shown."""
    check = doctor.proxy_check({"https_proxy": "http://u:pw@proxy:3128", "PATH": "/bin"})
    assert "https_proxy" in check.detail
    assert "pw" not in check.detail
    assert doctor.proxy_check({}).detail == "no proxy variables set"


@pytest.mark.parametrize(
    ("version", "status", "words"),
    [
        (None, doctor.FAIL, "not installed"),
        ("21.3.1", doctor.WARN, "older than 22.0"),
        ("23.2.1", doctor.WARN, "no download resume"),
        ("24.0", doctor.WARN, "pypa/pip#12361"),
        ("25.1", doctor.WARN, "off by default"),
        ("26.3", doctor.OK, "26.3"),
    ],
)
def test_pip_version_check(version: str | None, status: str, words: str) -> None:
    """Known cache and resume bugs are flagged by pip version (docs/failure-kinds.md §A, §F)."""
    check = doctor.pip_version_check(version)
    assert check.status == status
    assert words in check.detail


# --- index probe ---------------------------------------------------------------------


@pytest.fixture
def http_index() -> Iterator[str]:
    """A tiny HTTP server on 127.0.0.1: / answers 200, /private/ 401, /broken/ 503."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_HEAD(self) -> None:
            code = {"/private/": 401, "/broken/": 503}.get(self.path, 200)
            self.send_response(code)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_probe_index_statuses(http_index: str) -> None:
    """200 is reachable, 401 reachable (credentials), 503 not; credentials are never sent."""
    assert pipfacts.probe_index(http_index + "/simple/", 5) == (True, "HTTP 200")
    assert pipfacts.probe_index(http_index.replace("//", "//u:p@") + "/private/", 5) == (
        True,
        "HTTP 401",
    )
    assert pipfacts.probe_index(http_index + "/broken/", 5) == (False, "HTTP 503")


def test_probe_index_does_not_hang() -> None:
    """A server that accepts but never answers: the probe gives up after its timeout.

    By design that takes at most the timeout plus 1 s (0.5 + 1 here); the bound only tells
    "gave up" from "waits for an answer that never comes", on a loaded machine too.
    """
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)
        started = time.monotonic()
        ok, detail = pipfacts.probe_index(f"http://127.0.0.1:{silent.getsockname()[1]}/", 0.5)
    assert not ok
    assert "timed out" in detail or "no answer" in detail
    assert time.monotonic() - started < 30


def test_probe_index_refused_and_file(tmp_path: Path) -> None:
    """A closed port is unreachable; a file:// index is checked as a directory."""
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        port = free.getsockname()[1]
    assert pipfacts.probe_index(f"http://127.0.0.1:{port}/", 2)[0] is False
    assert pipfacts.probe_index(tmp_path.as_uri(), 1) == (True, "local directory")
    assert pipfacts.probe_index((tmp_path / "no").as_uri(), 1)[0] is False


@pytest.mark.parametrize("cut", ["#", "?"])
def test_probe_index_password_cut_by_hash_or_question_mark(cut: str) -> None:
    """urlsplit ends the address at the `#`/`?`: a prompt failure with a next step, no secret."""
    url = f"https://alice:Q7X{cut}Z9K@idx.example/simple"
    started = time.monotonic()
    ok, detail = pipfacts.probe_index(url, 60)
    assert time.monotonic() - started < 30  # answered, not abandoned at the timeout
    assert not ok
    assert detail.startswith(pipfacts.UNREACHABLE)
    assert "%23 and %3F" in detail
    assert "Q7X" not in detail
    assert "Z9K" not in detail


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:Q7X/simple", "http://127.0.0.1:1/simple/Q7X\x01", "idx.example/Q7X"],
)
def test_probe_index_request_that_cannot_be_built(url: str) -> None:
    """No number for a port, a control character, no scheme: urllib refuses to send it."""
    started = time.monotonic()
    ok, detail = pipfacts.probe_index(url, 60)  # an exception left in the thread fails the test
    assert time.monotonic() - started < 30
    assert (ok, detail) == (False, pipfacts.UNREACHABLE + "not a valid URL")


def test_index_checks_statuses() -> None:
    """Index lines: ok when reachable, warn on 401/403, fail when unreachable; redacted."""
    answers = {
        "https://a/": (True, "HTTP 200"),
        "https://u:pw@b/": (True, "HTTP 401"),
        "https://c/": (False, "timed out"),
    }
    checks = list(doctor.index_checks(list(answers), lambda u, _t: answers[u], 1))
    assert [c.status for c in checks] == [doctor.OK, doctor.WARN, doctor.FAIL]
    assert "pw" not in checks[1].detail


# --- environments --------------------------------------------------------------------


def _fake_env(tmp_path: Path, *, venv: bool) -> dict[str, str]:
    """A fake interpreter layout: stdlib and site-packages dirs, as the probe script reports."""
    stdlib = tmp_path / "lib" / "python3.11"
    site = stdlib / "site-packages"
    site.mkdir(parents=True)
    prefix = str(tmp_path / ("venv" if venv else "usr"))
    return {
        "version": "3.11.7",
        "prefix": prefix,
        "base_prefix": str(tmp_path / "usr"),
        "stdlib": str(stdlib),
        "purelib": str(site),
        "platlib": str(site),
        "pip": "26.3",
    }


def test_missing_record_in_a_venv_fails_with_the_pinned_repair(tmp_path: Path) -> None:
    """A venv's dist-info without RECORD is broken (exit 1), with the repair for that version."""
    info = _fake_env(tmp_path, venv=True)
    broken = tmp_path / "lib/python3.11/site-packages/idna-3.4.dist-info"
    broken.mkdir()
    (broken / "METADATA").write_text("Name: idna\n")
    [check] = [c for c in doctor.site_checks(info) if c.name == "site-packages"]
    assert check.status == doctor.FAIL
    assert "idna-3.4.dist-info" in check.detail
    assert "python -m pip install --ignore-installed --no-deps idna==3.4" in check.detail


def test_site_checks_healthy(tmp_path: Path) -> None:
    """A venv with whole dist-infos and no PEP 668 marker passes every site check."""
    info = _fake_env(tmp_path, venv=True)
    good = tmp_path / "lib/python3.11/site-packages/good-1.0.dist-info"
    good.mkdir()
    (good / "METADATA").write_text("Name: good\n")
    (good / "RECORD").write_text("")
    checks = list(doctor.site_checks(info))
    assert {c.status for c in checks} == {doctor.OK}
    assert "1 distributions, none broken" in checks[-1].detail


def test_site_checks_broken(tmp_path: Path) -> None:
    """PEP 668 outside a venv fails; no METADATA fails; no RECORD and ~ leftovers warn."""
    info = _fake_env(tmp_path, venv=False)
    site = tmp_path / "lib/python3.11/site-packages"
    (tmp_path / "lib/python3.11/EXTERNALLY-MANAGED").write_text("[externally-managed]\n")
    (site / "pickleshare-0.7.5.dist-info").mkdir()
    norecord = site / "debianpkg-1.0.dist-info"
    norecord.mkdir()
    (norecord / "METADATA").write_text("Name: debianpkg\n")
    (site / "~umpy").mkdir()
    checks = {(c.status, c.name, c.detail.split(":")[0]) for c in doctor.site_checks(info)}
    statuses = [c.status for c in doctor.site_checks(info)]
    assert (
        doctor.FAIL,
        "externally-managed",
        str(tmp_path / "lib/python3.11/EXTERNALLY-MANAGED"),
    ) in checks
    assert statuses.count(doctor.FAIL) == 2
    assert statuses.count(doctor.WARN) == 3  # no venv, no RECORD, leftovers
    text = " ".join(c.detail for c in doctor.site_checks(info))
    assert "pickleshare-0.7.5.dist-info" in text
    assert "debianpkg-1.0.dist-info" in text
    assert "~umpy" in text


def test_cache_checks(tmp_path: Path) -> None:
    """The cache line gives size and free space; corrupt entries are counted; disabled warns."""
    root = tmp_path / "cache"
    ct.add_http_v2(root, "https://f/x.whl", ct.wheel_bytes("x", "1.0"))
    checks = list(doctor.cache_checks(root))
    assert [c.name for c in checks] == ["cache", "cache entries"]
    assert "free" in checks[0].detail
    assert checks[1].detail == "1 entries, none corrupt"
    ct.add_http_v2(root, "https://f/y.whl", b"", headers={})
    assert "1 corrupt of 2 (empty-body)" in list(doctor.cache_checks(root))[1].detail
    assert next(doctor.cache_checks(None)).status == doctor.WARN
    assert "not created yet" in next(doctor.cache_checks(tmp_path / "new")).detail


def test_an_unreadable_cache_is_a_failed_check(tmp_path: Path) -> None:
    """A cache root doctor cannot list is a failed check line, not a usage error of doctor."""
    root = tmp_path / "cache"
    root.write_bytes(b"not a directory")  # unreadable as a cache whoever runs the test
    checks = list(doctor.cache_checks(root))
    assert [c.name for c in checks] == ["cache", "cache entries"]
    assert checks[1].status == doctor.FAIL
    assert f"cannot read the pip cache {root}" in checks[1].detail


class ScriptedQuery:
    """Answers the doctor's questions like a target interpreter would."""

    def __init__(self, info: Mapping[str, object] | None, cache_dir: str, config: str) -> None:
        """Script the probe, `pip cache dir` and `pip config debug` answers."""
        self.info, self.cache_dir, self.config = info, cache_dir, config
        self.envs: list[dict[str, str]] = []

    def __call__(self, argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        """Answer by the command asked."""
        self.envs.append(dict(env))
        if argv[1] == "-c":
            return (0, json.dumps(self.info)) if self.info else (127, "")
        if list(argv[3:5]) == ["cache", "dir"]:
            return 0, self.cache_dir + "\n"
        if list(argv[3:5]) == ["config", "debug"]:
            return 0, self.config
        return 1, ""  # pragma: no cover - no other question is asked


def test_run_checks_broken_environment(tmp_path: Path) -> None:
    """A broken interpreter layout gives fail lines; the index probe is called per index."""
    info = _fake_env(tmp_path, venv=False)
    (tmp_path / "lib/python3.11/EXTERNALLY-MANAGED").write_text("")
    probed: list[str] = []

    def probe(url: str, timeout: float) -> tuple[bool, str]:
        probed.append(url)
        return False, "timed out"

    query = ScriptedQuery(info, str(tmp_path / "cache"), CONFIG_DEBUG)
    checks = doctor.run_checks("py", {"PIP_INDEX_URL": "https://m/simple"}, query, probe)
    names = [c.name for c in checks]
    assert names[:3] == ["python", "pip", "cache"]
    assert "index" in names
    assert probed[0] == "https://m/simple"
    assert any(c.status == doctor.FAIL and c.name == "externally-managed" for c in checks)
    assert all(env == {"PIP_INDEX_URL": "https://m/simple"} for env in query.envs)


def test_run_checks_no_index_skips_probes(tmp_path: Path) -> None:
    """With PIP_NO_INDEX (or no-index in a config file) no index is probed."""
    info = _fake_env(tmp_path, venv=True)
    query = ScriptedQuery(
        info,
        str(tmp_path / "cache"),
        "global:\n  /etc/pip.conf, exists: True\n    global.no-index: true\n",
    )

    def probe(url: str, timeout: float) -> tuple[bool, str]:  # pragma: no cover - never called
        raise AssertionError(url)

    checks = doctor.run_checks("py", {}, query, probe)
    assert [c.detail for c in checks if c.name == "index"] == [
        "no-index configured: pip uses only --find-links"
    ]


def test_run_checks_cannot_run_python() -> None:
    """A target interpreter that does not run gives a single fail line."""
    checks = doctor.run_checks(
        "/nope/python", {}, ScriptedQuery(None, "", ""), lambda _u, _t: (True, "")
    )
    assert [(c.status, c.name) for c in checks] == [(doctor.FAIL, "python")]


def test_run_checks_without_pip_skips_pip_questions(tmp_path: Path) -> None:
    """Without pip, the pip line fails and the site checks still run."""
    info = {**_fake_env(tmp_path, venv=True), "pip": None}
    checks = doctor.run_checks("py", {}, ScriptedQuery(info, "", ""), lambda _u, _t: (True, ""))
    assert (checks[1].status, checks[1].name) == (doctor.FAIL, "pip")
    assert checks[-1].name == "site-packages"


def _real_query(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
    done = subprocess.run(list(argv), env=dict(env), capture_output=True, text=True, check=False)
    return done.returncode, done.stdout


@pytest.fixture(scope="module")
def real_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real `python -m venv` (with pip from ensurepip), created once for this module."""
    path = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, capture_output=True)
    return path


def test_doctor_on_a_real_healthy_venv(real_venv: Path, tmp_path: Path) -> None:
    """A fresh real venv: no fail line, inside a venv, pip found, site-packages clean."""
    python = str(real_venv / "bin" / "python")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env |= {"PIP_CONFIG_FILE": os.devnull, "PIP_CACHE_DIR": str(tmp_path / "c")}
    checks = doctor.run_checks(python, env, _real_query, lambda _u, _t: (True, "HTTP 200"))
    by_name = {c.name: c for c in checks}
    assert not [c for c in checks if c.status == doctor.FAIL], [c.line() for c in checks]
    assert by_name["virtualenv"].status == doctor.OK
    assert by_name["cache"].detail.startswith(str(tmp_path / "c"))
    assert by_name["site-packages"].status == doctor.OK


def test_doctor_on_a_real_broken_venv(
    real_venv: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same venv with a half-removed dist-info fails, and the command exits 1 (JSON too)."""
    monkeypatch.setenv("PIP_CACHE_DIR", str(tmp_path / "cache"))  # never scan the user's cache
    site = next(real_venv.glob("lib/python3*/site-packages"))
    broken = site / "halfgone-1.0.dist-info"
    broken.mkdir()
    try:
        parser = argparse.ArgumentParser()
        doctor.configure(parser)
        options = parser.parse_args(
            ["--python", str(real_venv / "bin" / "python"), "--offline", "--json"]
        )
        out = io.StringIO()
        status = doctor.run(options, out, io.StringIO())
    finally:
        broken.rmdir()
    doc = json.loads(out.getvalue())
    assert status == 1
    assert any(c["status"] == "fail" and "halfgone" in c["detail"] for c in doc)
    assert not any(c["check"] == "index" for c in doc)
