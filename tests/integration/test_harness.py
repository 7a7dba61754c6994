"""The real-pip harness works, and pins down the pip facts safepip relies on.

Every pip here is isolated (``PIP_CONFIG_FILE=os.devnull``, no inherited ``PIP_*``), has its own
``--cache-dir`` and ``--target``, and talks only to the fault index on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import http.client
import threading
import time
from typing import TYPE_CHECKING

import pytest
from support import pips
from support.indexserver import FaultIndex
from support.wheels import build_sdist, build_wheel

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

pytestmark = pytest.mark.integration


def _install(
    python: Path,
    index: FaultIndex,
    cache: Path | None,
    target: Path,
    *requirements: str,
    log: Path | None = None,
) -> pips.PipResult:
    args = ["install", *pips.common_args(index.url, cache), "--target", str(target)]
    if log is not None:
        args += ["--log", str(log)]
    return pips.run_pip(python, [*args, *requirements], timeout=60)


def _http_cache_entry(cache: Path, url: str) -> tuple[Path, Path]:
    """The http-v2 metadata and body files of ``url`` (docs/failure-kinds.md §A)."""
    key = hashlib.sha224(url.encode()).hexdigest()
    meta = cache / "http-v2" / key[0] / key[1] / key[2] / key[3] / key[4] / key
    return meta, meta.with_name(key + ".body")


def _get(index: FaultIndex, path: str) -> tuple[int, bytes, str | None]:
    conn = http.client.HTTPConnection("127.0.0.1", index.port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        try:
            return response.status, response.read(), None
        except (http.client.HTTPException, OSError) as exc:
            return response.status, b"", type(exc).__name__
    finally:
        conn.close()


# -- the server alone -----------------------------------------------------------------------


def test_index_serves_pep503_pages_and_files(tmp_path: Path) -> None:
    """The project page links each file with its sha256 and requires-python; files match."""
    wheel = build_wheel(tmp_path, "Demo_Pkg", "1.0", requires_python=">=3.8")
    with FaultIndex([wheel]) as index:
        status, page, _ = _get(index, "/simple/demo-pkg/")
        assert status == 200
        sha = hashlib.sha256(wheel.read_bytes()).hexdigest()
        assert f'href="../../files/{wheel.name}#sha256={sha}"' in page.decode()
        assert 'data-requires-python="&gt;=3.8"' in page.decode()
        status, body, _ = _get(index, f"/files/{wheel.name}")
        assert (status, body) == (200, wheel.read_bytes())
        assert _get(index, "/simple/nothing-here/")[0] == 404
        assert index.requests[0] == ("GET", "/simple/demo-pkg/", 200)


def test_faults_apply_to_the_next_n_matching_requests(tmp_path: Path) -> None:
    """Status, reset, truncate and corrupt faults each hit only the next N matching requests."""
    wheel = build_wheel(tmp_path, "demo", "1.0")
    good = wheel.read_bytes()
    with FaultIndex([wheel]) as index:
        index.fail("/simple/demo/", status=503, times=2)
        assert [_get(index, "/simple/demo/")[0] for _ in range(3)] == [503, 503, 200]
        file = f"/files/{wheel.name}"
        index.reset("/files/*.whl")
        assert _get(index, file)[2] == "ConnectionResetError"
        index.truncate("/files/*.whl")
        assert _get(index, file)[2] == "IncompleteRead"
        index.corrupt(file)
        status, body, _ = _get(index, file)
        assert status == 200
        assert len(body) == len(good)
        assert body != good
        assert _get(index, file)[1] == good
        assert index.hits("/simple/demo/", status=503) == 2


def test_stalls_end_when_the_server_stops(tmp_path: Path) -> None:
    """A 60 s stall does not keep the server (or the test) alive: stop() wakes it at once.

    The bound only tells a woken stall from one served to its end (60 s), on a loaded machine.
    """
    wheel = build_wheel(tmp_path, "demo", "1.0", size_kb=8)
    outcome: list[object] = []
    index = FaultIndex([wheel]).start()
    index.stall("/files/*", 60, after_bytes=100)
    file = f"/files/{wheel.name}"
    client = threading.Thread(target=lambda: outcome.append(_get(index, file)))
    client.start()
    deadline = time.monotonic() + 30
    while not index.hits(file):  # logged with the headers, just before the stall
        assert time.monotonic() < deadline, "the request never reached the index"
        time.sleep(0.02)
    started = time.monotonic()
    index.stop()
    client.join(timeout=30)
    assert time.monotonic() - started < 30
    assert not client.is_alive()
    assert outcome


# -- real pip -------------------------------------------------------------------------------


@pytest.mark.parametrize("pypi_like", [True, False], ids=["pypi-like", "plain"])
def test_clean_install_succeeds(  # noqa: PLR0917 - pytest fixtures
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    pip_cache: Path,
    tmp_path: Path,
    pypi_like: bool,
) -> None:
    """Without faults, real pip installs demo and its dependency from the index, in both modes."""
    index = fault_index(demo_dists, pypi_like=pypi_like)
    result = _install(pip_python, index, pip_cache, tmp_path / "target", "demo")
    assert result.returncode == 0, result.output
    assert "Successfully installed demo-1.0 dep-2.0" in result.output
    assert (tmp_path / "target" / "demo" / "_padding.bin").stat().st_size == 150 * 1024
    assert index.hits("/simple/demo/") == 1
    assert index.hits("/files/dep-2.0-py3-none-any.whl") == 1


def test_503_burst_longer_than_retries_looks_like_not_found(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    pip_cache: Path,
    tmp_path: Path,
) -> None:
    """A 503 burst outlasting ``--retries 1`` ends in "from versions: none"; only --log says 503."""
    index = fault_index(demo_dists)
    index.fail("/simple/demo/", status=503, times=100)
    log = tmp_path / "pip.log"
    result = _install(pip_python, index, pip_cache, tmp_path / "target", "demo", log=log)
    assert result.returncode == 1
    assert "(from versions: none)" in result.output
    assert not pips.mentions_status(result.output, 503)
    assert "too many 503 error responses" in log.read_text(encoding="utf-8")
    assert index.hits("/simple/demo/", status=503) == 2  # the first try plus one retry


def test_cached_corrupt_download_fails_every_later_run(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    pip_cache: Path,
    tmp_path: Path,
) -> None:
    """A corrupt download is cached: the next run says "Using cached" and fails the same hash.

    Deleting exactly the http-v2 entry of the file URL (sha224 key) heals it (docs/failure-kinds.md §I).
    """
    index = fault_index(demo_dists)
    index.corrupt("/files/demo-1.0-py3-none-any.whl", times=1)
    first = _install(pip_python, index, pip_cache, tmp_path / "t1", "demo")
    assert first.returncode == 1
    assert pips.HASH_BLOCK in first.output
    assert "Using cached" not in first.output
    got = first.output.split("Got", 1)[1].split()[0]

    second = _install(pip_python, index, pip_cache, tmp_path / "t2", "demo")
    assert second.returncode == 1
    assert "Using cached" in second.output
    assert pips.HASH_BLOCK in second.output
    assert f"Got        {got}" in second.output
    assert index.hits("/files/demo-1.0-py3-none-any.whl") == 1  # served from the cache

    meta, body = _http_cache_entry(pip_cache, index.file_url("demo-1.0-py3-none-any.whl"))
    assert meta.is_file()
    assert body.is_file()
    meta.unlink()
    body.unlink()
    third = _install(pip_python, index, pip_cache, tmp_path / "t3", "demo")
    assert third.returncode == 0, third.output


def test_sdist_builds_offline_into_the_wheel_cache(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    pip_cache: Path,
    tmp_path: Path,
) -> None:
    """An sdist with the in-tree backend builds offline, with build isolation.

    pip caches the built wheel under ``wheels/`` and reuses it: "Using cached <file>" without a size.
    """
    sdist = build_sdist(tmp_path / "dists", "built-demo", "3.0")
    index = fault_index([sdist])
    first = _install(pip_python, index, pip_cache, tmp_path / "t1", "built-demo")
    assert first.returncode == 0, first.output
    built = list((pip_cache / "wheels").rglob("built_demo-3.0-py3-none-any.whl"))
    assert len(built) == 1
    second = _install(pip_python, index, pip_cache, tmp_path / "t2", "built-demo")
    assert second.returncode == 0, second.output
    assert "Using cached built_demo-3.0-py3-none-any.whl\n" in second.output


def test_failing_backend_is_a_build_failure(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    pip_cache: Path,
    tmp_path: Path,
) -> None:
    """A backend told to fail at the metadata stage makes pip report a subprocess error."""
    sdist = build_sdist(tmp_path / "dists", "broken", "1.0", fail="metadata", fail_message="boom")
    index = fault_index([sdist])
    result = _install(pip_python, index, pip_cache, tmp_path / "t", "broken")
    assert result.returncode == 1
    assert "subprocess-exited-with-error" in result.output
    assert "RuntimeError: boom" in result.output


def _damage_cached_body(cache: Path, url: str, how: str) -> None:
    _, body = _http_cache_entry(cache, url)
    data = body.read_bytes()
    body.write_bytes(b"" if how == "empty" else data[: len(data) // 2])


@pytest.mark.parametrize("how", ["empty", "half"])
@pytest.mark.parametrize("content_length", [True, False], ids=["content-length", "no-length"])
def test_damaged_cached_body_heals_only_on_resuming_pip_with_content_length(  # noqa: PLR0917
    pip_python: Path,
    pip_version: str,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    pip_cache: Path,
    tmp_path: Path,
    how: str,
    content_length: bool,
) -> None:
    """A damaged cached body heals only on a resuming pip that knows the Content-Length.

    An emptied or halved http-v2 body: pip 24.0 fails on it ("Using cached" + hash mismatch)
    whatever the headers; pip 26.3 notices the short body and resumes only when the cached
    response has a Content-Length (PyPI sends one), else it fails the same way.
    """
    index = fault_index(demo_dists, content_length=content_length)
    assert _install(pip_python, index, pip_cache, tmp_path / "t1", "demo").returncode == 0
    _damage_cached_body(pip_cache, index.file_url("demo-1.0-py3-none-any.whl"), how)
    result = _install(pip_python, index, pip_cache, tmp_path / "t2", "demo")
    heals = pip_version == "26.3" and content_length
    if heals:
        assert result.returncode == 0, result.output
        assert "Attempting to resume incomplete download" in result.output
    else:
        assert result.returncode == 1
        assert "Using cached" in result.output
        assert pips.HASH_BLOCK in result.output
        if how == "empty":
            assert (
                "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" in result.output
            )


def test_truncated_wheel_in_wheels_cache_persists(
    pip_python: Path,
    fault_index: Callable[..., FaultIndex],
    pip_cache: Path,
    tmp_path: Path,
) -> None:
    """A built wheel cut short under ``wheels/`` fails every later run, naming its cache path."""
    index = fault_index([build_sdist(tmp_path / "dists", "built-demo", "3.0")])
    assert _install(pip_python, index, pip_cache, tmp_path / "t1", "built-demo").returncode == 0
    (wheel,) = (pip_cache / "wheels").rglob("*.whl")
    wheel.write_bytes(wheel.read_bytes()[:1000])
    for attempt in ("t2", "t3"):
        result = _install(pip_python, index, pip_cache, tmp_path / attempt, "built-demo")
        assert result.returncode == 1
        assert f"located at {wheel} is invalid" in result.output


def test_truncated_download_fails_once_or_resumes_and_is_never_cached(  # noqa: PLR0917
    pip_python: Path,
    pip_version: str,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    pip_cache: Path,
    tmp_path: Path,
) -> None:
    """A download cut short of its Content-Length fails once (24.0) or resumes (26.3), uncached.

    pip 24.0 does not notice the short read (clean close) and reports a hash mismatch after
    "Downloading", not a network error (safepip: download-corrupt, cut short). pip 26.3 resumes
    with a Range request. Either way nothing bad is cached (CacheControl keeps no body shorter
    than its Content-Length): the next run succeeds.
    """
    index = fault_index(demo_dists)
    index.truncate("/files/demo-1.0-py3-none-any.whl", times=1)
    first = _install(pip_python, index, pip_cache, tmp_path / "t1", "demo")
    if pip_version == "24.0":
        assert first.returncode == 1
        assert pips.HASH_BLOCK in first.output
        assert "Using cached" not in first.output
    else:
        assert first.returncode == 0, first.output
        assert "Attempting to resume incomplete download" in first.output
    second = _install(pip_python, index, pip_cache, tmp_path / "t2", "demo")
    assert second.returncode == 0, second.output
