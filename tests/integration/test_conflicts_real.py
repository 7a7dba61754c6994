"""Real pip meets real conflicts on a local index; safepip explains them and proposes a fix.

For each scenario, pip (26.3 and 24.0) fails with ResolutionImpossible against a
:class:`~support.indexserver.FaultIndex` on 127.0.0.1; its console output and its ``--log`` are
parsed, :func:`safepip.conflicts.propose.propose` searches the same index (default urllib fetch, real
``pip install --dry-run --report -`` confirmation through :mod:`safepip.runner`), and the proposal
is then checked by installing it for real into a fresh ``--target``.
"""

from __future__ import annotations

import base64
import contextlib
import http.server
import sys
import threading
from typing import TYPE_CHECKING

import pytest
from packaging.requirements import Requirement
from support import pips
from support.wheels import build_wheel

from safepip.conflicts.explain import Conflict, explain, parse_conflict
from safepip.conflicts.propose import propose
from safepip.index.target import TargetEnvironment

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from pathlib import Path

    from support.indexserver import FaultIndex

    from safepip.conflicts.verify import Proposal

pytestmark = pytest.mark.integration

#: (name, version, requires) of every release a scenario serves.
Releases = list[tuple[str, str, tuple[str, ...]]]

DIRECT: Releases = [
    ("a", "1.0", ("c==1.0",)),
    ("c", "1.0", ()),
    ("c", "2.0", ()),
]
TRANSITIVE: Releases = [
    ("a", "1.0", ("c==1.0",)),
    ("b", "1.0", ("c>=1.0,<2",)),
    ("b", "1.5", ("c>=1.0,<2",)),
    ("b", "2.0", ("c==2.0",)),
    ("c", "1.0", ()),
    ("c", "2.0", ()),
    ("c", "3.0", ()),
]
# app>=2.0,<3 needs lib<2, the user pins lib==2.0; app 3.0 (one range up) takes lib>=2.
ONE_RANGE_AWAY: Releases = [
    ("app", "1.9", ("lib>=1.5",)),
    ("app", "2.0", ("lib<2",)),
    ("app", "2.1", ("lib<2",)),
    ("app", "3.0", ("lib>=2",)),
    ("lib", "1.5", ()),
    ("lib", "2.0", ()),
]
# Every x needs its own z, every y needs z==99, which does not exist: nothing can work, and a
# search through 30 releases of each runs into a candidate cap of 12 first.
NO_SOLUTION: Releases = [
    *[("x", f"1.{i}", (f"z==1.{i}",)) for i in range(30)],
    *[("y", f"1.{i}", ("z==99",)) for i in range(30)],
    *[("z", f"1.{i}", ()) for i in range(30)],
]


def _serve(
    tmp_path: Path, fault_index: Callable[..., FaultIndex], releases: Releases
) -> FaultIndex:
    dists = tmp_path / "dists"
    wheels = [build_wheel(dists, n, v, requires=r, size_kb=1) for n, v, r in releases]
    return fault_index(wheels)


def _pip_install(
    python: Path, index: FaultIndex, tmp_path: Path, requirements: tuple[str, ...], tag: str
) -> tuple[pips.PipResult, str, Path]:
    """Run ``pip install --target`` (isolated: devnull config, own cache); return output and log."""
    target = tmp_path / f"target-{tag}"
    log = tmp_path / f"pip-{tag}.log"
    args = [
        "install",
        *pips.common_args(index.url, tmp_path / "pip-cache"),
        "--target",
        str(target),
        "--log",
        str(log),
        *requirements,
    ]
    result = pips.run_pip(python, args, env=pips.isolated_env(), timeout=120)
    return result, log.read_text(encoding="utf-8") if log.exists() else "", target


def _installed(target: Path) -> dict[str, str]:
    found = {}
    for info in target.glob("*.dist-info"):
        name, _, version = info.name[: -len(".dist-info")].partition("-")
        found[name] = version
    return found


def _conflict_from_real_pip(
    python: Path, index: FaultIndex, tmp_path: Path, requirements: tuple[str, ...]
) -> Conflict:
    result, log, _ = _pip_install(python, index, tmp_path, requirements, "conflict")
    assert result.returncode == 1, result.output
    assert "ResolutionImpossible" in result.output
    conflict = parse_conflict(result.output)
    assert conflict is not None
    from_log = parse_conflict(log)
    assert from_log is not None
    assert from_log.clashes == conflict.clashes  # console and --log tell the same story
    assert {str(Requirement(r)) for r in conflict.user_requirements} == {
        str(Requirement(r)) for r in requirements
    }
    return conflict


def _propose(
    python: Path, index: FaultIndex, tmp_path: Path, conflict: Conflict, **limits: float
) -> Proposal:
    env = pips.isolated_env(
        {"PIP_TRUSTED_HOST": "127.0.0.1", "PIP_CACHE_DIR": str(tmp_path / "verify-cache")}
    )
    proposal = propose(conflict, index_url=index.url, python=str(python), env=env, **limits)  # type: ignore[arg-type]
    assert proposal is not None
    print("\n".join(["", *explain(conflict), f"proposal: {proposal}"]))  # shown with -s
    return proposal


def _install_proposal(
    python: Path, index: FaultIndex, tmp_path: Path, proposal: Proposal
) -> dict[str, str]:
    result, _, target = _pip_install(python, index, tmp_path, proposal.requirements, "fixed")
    assert result.returncode == 0, result.output
    return _installed(target)


def test_direct_pin_conflict(
    pip_python: Path, tmp_path: Path, fault_index: Callable[..., FaultIndex]
) -> None:
    """a==1.0 needs c==1.0, the user pins c==2.0: loosen c to c<2.0, which installs c 1.0."""
    index = _serve(tmp_path, fault_index, DIRECT)
    conflict = _conflict_from_real_pip(pip_python, index, tmp_path, ("a==1.0", "c==2.0"))
    assert explain(conflict)[:2] == [
        "you asked for c==2.0; a 1.0 needs c==1.0",
        "no version of c satisfies all of these at once",
    ]
    proposal = _propose(pip_python, index, tmp_path, conflict)
    assert proposal.change == "c<2.0 (instead of c==2.0)"
    assert proposal.verified
    assert _install_proposal(pip_python, index, tmp_path, proposal) == {"a": "1.0", "c": "1.0"}


def test_transitive_conflict(
    pip_python: Path, tmp_path: Path, fault_index: Callable[..., FaultIndex]
) -> None:
    """a 1.0 and b 2.0 need different c's: b goes below 2.0 (b 1.5), confirmed and installed."""
    index = _serve(tmp_path, fault_index, TRANSITIVE)
    conflict = _conflict_from_real_pip(pip_python, index, tmp_path, ("a==1.0", "b==2.0"))
    assert explain(conflict)[0] == "a 1.0 needs c==1.0; b 2.0 needs c==2.0"
    proposal = _propose(pip_python, index, tmp_path, conflict)
    assert proposal.change == "b<2.0 (instead of b==2.0)"
    assert proposal.requirements == ("a==1.0", "b<2.0")
    assert proposal.verified
    installed = _install_proposal(pip_python, index, tmp_path, proposal)
    assert installed == {"a": "1.0", "b": "1.5", "c": "1.0"}


def test_conflict_one_range_away(
    pip_python: Path, tmp_path: Path, fault_index: Callable[..., FaultIndex]
) -> None:
    """app>=2.0,<3 with lib==2.0: widening app's range one release up (app>=3.0) is enough."""
    index = _serve(tmp_path, fault_index, ONE_RANGE_AWAY)
    conflict = _conflict_from_real_pip(pip_python, index, tmp_path, ("app>=2.0,<3", "lib==2.0"))
    proposal = _propose(pip_python, index, tmp_path, conflict)
    assert proposal.change == "app>=3.0 (instead of app<3,>=2.0)"
    assert proposal.verified
    assert "pip confirms it" in proposal.note
    assert _install_proposal(pip_python, index, tmp_path, proposal) == {"app": "3.0", "lib": "2.0"}


def test_no_solution_within_the_caps(
    pip_python: Path, tmp_path: Path, fault_index: Callable[..., FaultIndex]
) -> None:
    """Within a small cap no change is found and the note says so; with room, y is dropped.

    No release of y can ever install (z==99 does not exist), so loosening cannot help; only
    leaving y out can, and that is found only once the loosening attempts are exhausted.
    """
    index = _serve(tmp_path, fault_index, NO_SOLUTION)
    conflict = _conflict_from_real_pip(pip_python, index, tmp_path, ("x==1.0", "y==1.0"))
    proposal = _propose(pip_python, index, tmp_path, conflict, max_candidates=12)
    assert proposal.change == ""
    assert not proposal.verified
    assert "the search stopped at the candidate cap (12)" in proposal.note
    complete = _propose(pip_python, index, tmp_path, conflict, max_candidates=500, time_limit=60)
    assert complete.change == "remove y==1.0 from the request"
    assert complete.verified
    assert _install_proposal(pip_python, index, tmp_path, complete) == {"x": "1.0", "z": "1.0"}


def test_verification_really_asks_pip(
    pip_python: Path, tmp_path: Path, fault_index: Callable[..., FaultIndex]
) -> None:
    """A request pip cannot satisfy is not confirmed: the default verifier runs pip, not a stub."""
    index = _serve(tmp_path, fault_index, DIRECT)
    conflict = _conflict_from_real_pip(pip_python, index, tmp_path, ("a==1.0", "c==2.0"))
    # Hide the working c 1.0 from pip only: propose still sees it through its own fetch.
    fetched = {}

    def fetch(url: str) -> bytes:
        import urllib.request

        with urllib.request.urlopen(url, timeout=5) as response:  # 127.0.0.1 only
            fetched[url] = True
            return bytes(response.read())

    fresh = _serve(tmp_path / "two", fault_index, DIRECT)
    index.remove("c-1.0-py3-none-any.whl")
    proposal = propose(
        conflict,
        index_url=index.url,
        python=str(pip_python),
        env=pips.isolated_env({"PIP_TRUSTED_HOST": "127.0.0.1"}),
        fetch=lambda url: fetch(url.replace(index.base_url, fresh.base_url)),
    )
    assert proposal is not None
    assert proposal.change == "c<2.0 (instead of c==2.0)"
    assert not proposal.verified
    assert "pip did not confirm it" in proposal.note
    assert fetched


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Serves pages and files from ``server.routes``; records each request's Authorization."""

    server: _RecordingServer

    def do_GET(self) -> None:
        self.server.seen.append((self.path, self.headers.get("Authorization")))
        status, headers, body = self.server.routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        return


class _RecordingServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    routes: dict[str, tuple[int, dict[str, str], bytes]]
    seen: list[tuple[str, str | None]]


@contextlib.contextmanager
def _recording_server() -> Iterator[_RecordingServer]:
    server = _RecordingServer(("127.0.0.1", 0), _Recorder)
    server.routes, server.seen = {}, []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_default_fetch_sends_index_credentials_to_the_index_host_only(tmp_path: Path) -> None:
    """user:password@ of the index URL goes to the index as Basic auth, never across a redirect.

    The index redirects wheel downloads to a second host (as PyPI-like indexes do); that host
    must not see the Authorization header, and no note may show the password.
    """
    dists = tmp_path / "dists"
    releases = [*TRANSITIVE]
    with _recording_server() as index, _recording_server() as files:
        for name in sorted({n for n, _, _ in releases}):
            links = "".join(
                f'<a href="/files/{w.name}">{w.name}</a>'
                for n, v, r in releases
                if n == name
                for w in [build_wheel(dists, n, v, requires=r, size_kb=1)]
            )
            index.routes[f"/simple/{name}/"] = (200, {}, f"<html>{links}</html>".encode())
        files_url = f"http://127.0.0.1:{files.server_address[1]}"
        for wheel in dists.iterdir():
            index.routes[f"/files/{wheel.name}"] = (
                302,
                {"Location": f"{files_url}/{wheel.name}"},
                b"",
            )
            files.routes[f"/{wheel.name}"] = (200, {}, wheel.read_bytes())
        index_url = f"http://alice:s3cret@127.0.0.1:{index.server_address[1]}/simple"
        conflict = Conflict("c", (), user_requirements=("a==1.0", "b==2.0"))
        proposal = propose(
            conflict,
            index_url=index_url,
            python=sys.executable,
            env={},
            verify=lambda args: True,
            target=TargetEnvironment.current(),
        )
    assert proposal is not None
    assert proposal.change == "b<2.0 (instead of b==2.0)"
    basic = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    assert index.seen
    assert all(auth == basic for _, auth in index.seen)
    assert files.seen
    assert all(auth is None for _, auth in files.seen)
    assert "s3cret" not in proposal.note + proposal.command
