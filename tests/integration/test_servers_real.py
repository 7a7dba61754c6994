"""`safepip install` behind real index servers (issue 16), on pip 24.0 and 26.3.

devpi-server and proxpi mirror the session's ``upstream`` fault index; pypiserver serves a
private package behind htpasswd (fixtures in ``tests/integration/conftest.py``, servers started
once per session). Each scenario runs plain pip and safepip with the same arguments against the
same fault, each on a project of its own (a fresh name, so no server cache carries over), and
prints one line ``SCENARIO ...: pip ...; safepip ...`` with exit status, attempts and wall time.

Every pip is isolated (``PIP_CONFIG_FILE=os.devnull``, no ``PIP_*``/``SAFEPIP_*``), with its own
``--cache-dir`` and ``--target``, ``--trusted-host 127.0.0.1``, ``--no-input`` and pip's network
retries cut to ``--retries 1 --timeout 6``; everything talks to 127.0.0.1 only.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support.runs import Client, Run, concurrently
from support.servers import DEVPI_REQUEST_TIMEOUT, free_port

from safepip.cache.layout import http_entry_paths

if TYPE_CHECKING:
    from support.server_setups import Mirror, PrivateIndex

pytestmark = pytest.mark.integration

#: safepip's bounds here: quick backoff, a budget that ends any hang.
SAFEPIP_OPTS = ("--backoff", "0.2", "--max-wait", "1", "--time-budget", "90")
RUN_TIMEOUT = 150
CONCURRENCY = 8


@pytest.fixture
def client(pip_python: Path, pip_version: str, tmp_path: Path) -> Client:
    """Plain pip and safepip runners for the pip version under test."""
    return Client(pip_python, pip_version, tmp_path, bounds=SAFEPIP_OPTS, run_timeout=RUN_TIMEOUT)


def _files(name: str) -> str:
    return f"/files/{name.replace('-', '_')}-*"


def _assert_no_bad_copy_cached(run: Run) -> None:
    """The files the failed attempts named have no entry left in the cache safepip used.

    pip stores a download before it checks it; a bad copy left there would fail every later
    plain pip, also once the server is fixed.
    """
    args = run.attempts[0]["args"]
    cache = Path(args[args.index("--cache-dir") + 1])
    named = {url for a in run.attempts if a["diagnosis"] for url in a["diagnosis"]["urls"]}
    assert named, run.output
    left = [p for url in named for p in http_entry_paths(cache, url) if p.exists()]
    assert left == [], run.output


def _assert_recovered(run: Run, client: Client, url: str, name: str) -> None:
    """safepip recovered, and plain pip on the cache it used then installs ``name`` too.

    A fault safepip recovered from must not stay in the user's cache (an empty page from a
    cold mirror that pip cached, a partial download) to fail the next plain pip.
    """
    assert run.returncode == 0, run.output
    assert run.report is not None, run.output
    assert run.report["outcome"] == "recovered", run.output
    args = run.attempts[0]["args"]
    after = client.pip(url, name, cache=Path(args[args.index("--cache-dir") + 1]))
    assert after.returncode == 0, f"safepip must leave the user's cache healthy:\n{after.output}"


# -- caching mirrors in front of a faulty upstream -------------------------------------------------


def test_healthy(mirror: Mirror, client: Client, tmp_path: Path) -> None:
    """Nothing wrong: both succeed at once, safepip in one attempt."""
    plain, safe = mirror.publish(tmp_path, "healthy-a", "healthy-b")
    pip_run, safe_run = client.both(mirror.url, plain, safe, f"{mirror.kind} healthy")
    assert pip_run.returncode == 0, pip_run.output
    assert safe_run.returncode == 0, safe_run.output
    assert safe_run.report is not None
    assert safe_run.report["outcome"] == "success"
    assert len(safe_run.attempts) == 1


def test_upstream_503_burst(mirror: Mirror, client: Client, tmp_path: Path) -> None:
    """The upstream answers 503 for a while: the mirror fails too; safepip waits it out."""
    plain, safe = mirror.publish(tmp_path, "burst-a", "burst-b")
    for name in (plain, safe):
        mirror.upstream.fail(f"/simple/{name}*", status=503, times=4)
    pip_run, safe_run = client.both(mirror.url, plain, safe, f"{mirror.kind} upstream 503 x4")
    assert pip_run.returncode != 0, pip_run.output
    _assert_recovered(safe_run, client, mirror.url, safe)
    assert set(safe_run.decided) <= {"network-transient"}, safe_run.output


def test_upstream_endless_503(mirror: Mirror, client: Client, tmp_path: Path) -> None:
    """The upstream is down for good: safepip gives up after its attempts, in bounded time."""
    plain, safe = mirror.publish(tmp_path, "down-a", "down-b")
    for name in (plain, safe):
        mirror.upstream.fail(f"/simple/{name}*", status=503, times=10_000)
    pip_run, safe_run = client.both(mirror.url, plain, safe, f"{mirror.kind} endless 503")
    assert pip_run.returncode != 0, pip_run.output
    assert safe_run.returncode == 1, safe_run.output
    assert safe_run.report is not None
    assert safe_run.report["outcome"] == "gave-up", safe_run.output
    assert set(safe_run.decided) <= {"network-transient"}, safe_run.output
    assert len(safe_run.attempts) == 4
    assert safe_run.duration < 60


def test_upstream_stall(mirror: Mirror, client: Client, tmp_path: Path) -> None:
    """The upstream stalls longer than the mirror waits for it (twice): safepip retries."""
    plain, safe = mirror.publish(tmp_path, "stall-a", "stall-b")
    for name in (plain, safe):
        mirror.upstream.stall(f"/simple/{name}*", DEVPI_REQUEST_TIMEOUT + 2, times=2)
    pip_run, safe_run = client.both(mirror.url, plain, safe, f"{mirror.kind} upstream stall")
    assert pip_run.returncode != 0, pip_run.output
    _assert_recovered(safe_run, client, mirror.url, safe)
    assert set(safe_run.decided) <= {"network-transient"}, safe_run.output


def test_cold_mirror_concurrent_installs(devpi: Mirror, client: Client, tmp_path: Path) -> None:
    """Eight installs at once on a cold devpi mirror whose upstream is slow: every safepip succeeds.

    A cold devpi answers some of the concurrent page requests with an empty page (200, no
    links) while it fetches the upstream; plain pip then fails with "from versions: none".
    (proxpi makes concurrent requests wait for its one upstream fetch: plain pip 8/8 there, so
    the scenario runs on devpi only, to keep CI short.)
    """
    mirror = devpi
    plain, safe = mirror.publish(tmp_path, "cold-a", "cold-b")
    for name in (plain, safe):
        mirror.upstream.stall(f"/simple/{name}*", 1.0, times=1)
    plain_runs = concurrently(
        lambda: client.pip(mirror.url, plain), CONCURRENCY, timeout=RUN_TIMEOUT + 10
    )
    safe_runs = concurrently(
        lambda: client.safepip(mirror.url, safe), CONCURRENCY, timeout=RUN_TIMEOUT + 10
    )
    ok = sum(run.returncode == 0 for run in plain_runs)
    attempts = sorted(len(run.attempts) for run in safe_runs if run.report)
    print(
        f"SCENARIO {mirror.kind} cold mirror x{CONCURRENCY} pip {client.version}:"
        f" pip {ok}/{CONCURRENCY} ok, max {max(r.duration for r in plain_runs):.1f} s;"
        f" safepip {sum(r.returncode == 0 for r in safe_runs)}/{CONCURRENCY} ok,"
        f" attempts {attempts}, max {max(r.duration for r in safe_runs):.1f} s"
    )
    for run in safe_runs:
        assert run.returncode == 0, run.output
        assert len(run.attempts) <= 2, run.output
        if len(run.attempts) > 1:  # the empty page pip cached was purged: the cache is sound
            _assert_recovered(run, client, mirror.url, safe)


def test_corrupt_upstream_file_with_link_hashes(
    mirror: Mirror, client: Client, tmp_path: Path
) -> None:
    """The upstream keeps serving bad bytes for a file its page hashes: safepip stops.

    After one fresh download brings the same bytes, it names the host that serves them and
    what its admin does.
    """
    plain, safe = mirror.publish(tmp_path, "badfile-a", "badfile-b")
    for name in (plain, safe):
        mirror.upstream.corrupt(_files(name), times=10_000)
    pip_run, safe_run = client.both(mirror.url, plain, safe, f"{mirror.kind} corrupt file, hashed")
    assert pip_run.returncode != 0, pip_run.output
    assert safe_run.returncode == 1, safe_run.output
    assert safe_run.report is not None
    assert safe_run.report["outcome"] == "failed", safe_run.output
    assert safe_run.kinds == ["download-corrupt", "download-corrupt"], safe_run.output
    _assert_no_bad_copy_cached(safe_run)
    hint = safe_run.report["diagnosis"]["hint"]
    host = mirror.url.split("/")[2]
    assert f"{host} serves a damaged copy" in hint or "serves a damaged copy" in hint, hint
    assert "retry once" not in hint


def test_corrupt_upstream_file_without_hashes(
    mirror: Mirror, client: Client, tmp_path: Path
) -> None:
    """No hash anywhere: the broken wheel fails at install; one fresh download, then a stop.

    safepip blames that wheel (not the dependency downloaded after it).
    """
    dep_a, dep_b = mirror.publish(tmp_path, "okdep-a", "okdep-b", hashes=False)
    (plain,) = mirror.publish(tmp_path, "broken-a", requires=(dep_a,), hashes=False)
    (safe,) = mirror.publish(tmp_path, "broken-b", requires=(dep_b,), hashes=False)
    for name in (plain, safe):
        mirror.upstream.corrupt(_files(name), times=10_000)
    pip_run, safe_run = client.both(mirror.url, plain, safe, f"{mirror.kind} corrupt file, no hash")
    assert pip_run.returncode != 0, pip_run.output
    assert safe_run.returncode != 0, safe_run.output
    assert safe_run.report is not None
    assert safe_run.kinds == ["download-corrupt", "download-corrupt"], safe_run.output
    assert "--no-cache-dir" in safe_run.attempts[1]["args"]
    _assert_no_bad_copy_cached(safe_run)
    diagnosis = safe_run.report["diagnosis"]
    assert diagnosis["package"] is not None
    assert diagnosis["package"].replace("_", "-") == safe, diagnosis
    assert "damaged copy" in diagnosis["hint"]


# -- pypiserver: credentials ----------------------------------------------------------------------


def test_private_index_right_credentials(pypiserver: PrivateIndex, client: Client) -> None:
    url = pypiserver.url_with()
    pip_run, safe_run = client.both(url, "private-pkg", "private-pkg", "pypiserver right creds")
    assert pip_run.returncode == 0, pip_run.output
    assert safe_run.returncode == 0, safe_run.output
    assert len(safe_run.attempts) == 1


def test_private_index_wrong_credentials(pypiserver: PrivateIndex, client: Client) -> None:
    url = pypiserver.url_with("wrong-Passw0rd")
    pip_run, safe_run = client.both(url, "private-pkg", "private-pkg", "pypiserver wrong creds")
    assert pip_run.returncode != 0, pip_run.output
    assert safe_run.returncode == 1, safe_run.output
    assert safe_run.decided == ["auth"], safe_run.output
    hint = safe_run.report["diagnosis"]["hint"] if safe_run.report else ""
    assert "refused the credentials pip sent" in hint, hint
    assert "wrong-Passw0rd" not in safe_run.output
    assert "wrong-Passw0rd" not in json.dumps(safe_run.report)


def test_private_index_no_credentials(pypiserver: PrivateIndex, client: Client) -> None:
    pip_run, safe_run = client.both(
        pypiserver.url, "private-pkg", "private-pkg", "pypiserver no creds"
    )
    assert pip_run.returncode != 0, pip_run.output
    assert safe_run.returncode == 1, safe_run.output
    assert safe_run.decided == ["auth"], safe_run.output
    hint = safe_run.report["diagnosis"]["hint"] if safe_run.report else ""
    assert "pip sent none" in hint, hint
    assert "netrc" in hint


def test_private_index_credentials_from_netrc(
    pypiserver: PrivateIndex, client: Client, hermetic_dirs: dict[str, Path]
) -> None:
    """Credentials in ~/.netrc (the test's own HOME) reach the index; nothing prints them."""
    pypiserver.write_netrc(hermetic_dirs["HOME"])
    pip_run, safe_run = client.both(
        pypiserver.url, "private-pkg", "private-pkg", "pypiserver netrc"
    )
    assert pip_run.returncode == 0, pip_run.output
    assert safe_run.returncode == 0, safe_run.output
    assert pypiserver.password not in safe_run.output


# -- nothing listening ------------------------------------------------------------------------------


def test_nothing_listening_gets_one_more_attempt_then_names_host_and_setting(
    client: Client,
) -> None:
    """Connection refused: one more attempt after a short wait, then a stop naming the host.

    The stop names the option that points pip at it too (pip already retried inside each
    attempt).
    """
    url = f"http://127.0.0.1:{free_port()}/simple/"
    pip_run, safe_run = client.both(url, "anything", "anything", "nothing listening")
    assert pip_run.returncode != 0, pip_run.output
    assert safe_run.returncode == 1, safe_run.output
    assert safe_run.report is not None
    assert safe_run.report["outcome"] == "failed", safe_run.output
    assert safe_run.decided == ["network-transient", "network-transient"], safe_run.output
    host = url.split("/")[2]
    diagnosis = safe_run.report["diagnosis"]
    assert diagnosis["cause"] == "unreachable"
    assert f"Nothing answers at {host}, twice" in diagnosis["hint"]
    assert "--index-url, which points pip at it" in diagnosis["hint"]
    assert f"Nothing answers at {host}" in safe_run.output
