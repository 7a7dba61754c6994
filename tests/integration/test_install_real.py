"""`safepip install` on real pip (24.0 and 26.3) against the fault-injecting index (issue 3).

Every scenario runs ``python -m safepip install`` as a subprocess, the way a user does, with
``--python`` pointing at a venv whose pip is the version under test, and reads the
``--report-json`` document. Where safepip must recover, the same pip arguments are first run
with plain pip against the same fault, and the test asserts that plain pip fails: the test then
proves that safepip added something. Where pip heals a fault by itself (docs/failure-kinds.md §I:
pip >= 25.2 resumes interrupted downloads and cached bodies that are too short), the test says
so and asserts that safepip succeeds in one attempt, touching nothing.

Every pip is isolated: ``PIP_CONFIG_FILE=os.devnull``, no inherited ``PIP_*``/``SAFEPIP_*``,
its own ``--cache-dir`` and ``--target``, ``--trusted-host 127.0.0.1``,
``--disable-pip-version-check``; pip's own network retries are cut to ``--retries 1 --timeout 3``
so that faults outlast them quickly.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import shutil
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from support import pips
from support.runs import Run, run_safepip, safepip_argv
from support.wheels import build_sdist, build_wheel, flip_member_byte, sha256_of

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from support.indexserver import FaultIndex

pytestmark = pytest.mark.integration

DEMO_WHEEL = "demo-1.0-py3-none-any.whl"
DEP_WHEEL = "dep-2.0-py3-none-any.whl"
#: The classic conda `pip freeze` artefact (docs/failure-kinds.md §D, local-path-missing).
CONDA_PATH = "/tmp/build/80754af9/pkg_1/work"
#: safepip's own bounds for every run here: quick backoff, a budget that ends any hang.
SAFEPIP_OPTS = ("--backoff", "0.2", "--max-wait", "1", "--time-budget", "60")
RUN_TIMEOUT = 120


# -- running pip and safepip ------------------------------------------------------------------


class Lab:
    """Runs plain pip and safepip the same way, each run with a fresh ``--target``."""

    def __init__(self, python: Path, tmp: Path) -> None:
        """Bind the interpreter under test and a scratch directory."""
        self.python = python
        self.tmp = tmp
        self._numbers = itertools.count(1)

    def fresh(self, stem: str) -> Path:
        """A new, not yet existing path under the scratch directory."""
        return self.tmp / f"{stem}-{next(self._numbers)}"

    def args(self, index: FaultIndex, cache: Path, *more: str, target: bool = True) -> list[str]:
        """The pip arguments shared by the plain and the safepip run of a scenario."""
        head = pips.common_args(index.url, cache, timeout=3, no_input=False)
        if target:
            head += ["--target", str(self.fresh("target"))]
        return [*head, *more]

    def pip(self, args: Sequence[str], *, python: Path | None = None) -> Run:
        """Plain ``python -m pip install --no-input <args>`` (safepip adds --no-input too)."""
        result = pips.run_pip(
            python or self.python, ["install", "--no-input", *args], timeout=RUN_TIMEOUT
        )
        return Run.of(result)

    def safepip(
        self, args: Sequence[str], *, opts: Sequence[str] = (), python: Path | None = None
    ) -> Run:
        """``python -m safepip install --python <pip under test> ... <args>`` with a JSON report."""
        report = self.fresh("report").with_suffix(".json")
        argv = safepip_argv(python or self.python, report, [*opts, *args], bounds=SAFEPIP_OPTS)
        # safepip may start pip without the user's --cache-dir (the --dry-run that verifies a
        # conflict proposal does): PIP_CACHE_DIR keeps such runs off the machine's cache too.
        env = pips.isolated_env({"PIP_CACHE_DIR": str(self.tmp / "env-pip-cache")})
        return run_safepip(argv, report=report, env=env, cwd=self.tmp, timeout=RUN_TIMEOUT)


@pytest.fixture
def lab(pip_python: Path, tmp_path: Path) -> Lab:
    """Plain pip and safepip runners for the pip version under test."""
    return Lab(pip_python, tmp_path)


def _release(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def _resumes(pip_version: str) -> bool:
    """pip >= 25.2 resumes interrupted downloads by default (docs/failure-kinds.md §A)."""
    return _release(pip_version) >= (25, 2)


def _entry(cache: Path, url: str) -> set[str]:
    """The http-v2 metadata and body files of ``url`` (docs/failure-kinds.md §A), resolved."""
    key = hashlib.sha224(url.encode()).hexdigest()
    meta = cache / "http-v2" / key[0] / key[1] / key[2] / key[3] / key[4] / key
    return {os.path.realpath(meta), os.path.realpath(meta.with_name(key + ".body"))}


def _files(root: Path) -> set[str]:
    return {os.path.realpath(p) for p in root.rglob("*") if p.is_file()}


def _assert_others_survive(before: set[str], cache: Path, deleted: set[str]) -> None:
    """Every cache file that existed before and that safepip did not delete still exists."""
    lost = {path for path in before - deleted if not Path(path).exists()}
    assert not lost, f"safepip removed cache files it did not report: {sorted(lost)}"


def _assert_recovered(run: Run, kinds: list[str]) -> None:
    assert run.returncode == 0, run.output
    assert run.report is not None, run.output
    assert run.report["outcome"] == "recovered", run.output
    assert run.kinds == kinds, run.output
    assert len(run.attempts) == len(kinds) + 1


def _assert_one_clean_attempt(run: Run) -> None:
    assert run.returncode == 0, run.output
    assert run.report is not None, run.output
    assert run.report["outcome"] == "success"
    assert len(run.attempts) == 1
    assert run.deleted == set()


def _assert_stopped(run: Run, plain: Run, kind: str) -> dict[str, Any]:
    """One attempt, the right kind, a next step, pip's own exit status; nothing deleted."""
    assert plain.returncode != 0, plain.output
    assert run.returncode == plain.returncode, run.output
    assert run.report is not None, run.output
    assert run.report["outcome"] == "failed", run.output
    assert len(run.attempts) == 1, run.output
    diagnosis: dict[str, Any] = run.attempts[0]["diagnosis"]
    assert diagnosis["kind"] == kind, run.output
    assert diagnosis["policy"] == "stop"
    assert diagnosis["hint"].strip(), "a deterministic failure needs a next step"
    assert run.deleted == set()
    return diagnosis


def _assert_cache_left_healthy(
    lab: Lab, index: FaultIndex, run_args: Sequence[str], *requirements: str
) -> Run:
    """Plain pip on the cache safepip just recovered with (fresh target) succeeds.

    After any recovered fault safepip must not leave a bad entry behind for the next plain pip:
    a fault it recovered from with a private cache, or by a fresh download it did not store,
    would still fail every later run. Returns the plain run, for checks of what it reused.
    """
    cache = Path(run_args[run_args.index("--cache-dir") + 1])
    after = lab.pip(lab.args(index, cache, *requirements))
    assert after.returncode == 0, f"safepip must leave the user's cache healthy:\n{after.output}"
    return after


def _installed(run_args: Sequence[str], *names: str) -> bool:
    target = Path(run_args[run_args.index("--target") + 1])
    return all((target / name / "__init__.py").is_file() for name in names)


# -- recoverable: safepip succeeds where plain pip fails ---------------------------------------


def test_index_503_burst(
    lab: Lab, fault_index: Callable[..., FaultIndex], demo_dists: list[Path]
) -> None:
    """A 503 burst on the index page longer than pip's retries: safepip recovers.

    Plain pip reports a fake "from versions: none" and its console says nothing of the 503s
    (pip logs them at debug level only). So safepip's first attempt ends in a bare not-found,
    the retry adds ``--log``, its debug lines show the 503s (network-transient), and the third
    attempt installs (the burst of 4 outlasts two pip runs of 2 requests each).
    """
    index = fault_index(demo_dists)
    index.fail("/simple/demo/", status=503, times=3)
    plain = lab.pip(lab.args(index, lab.fresh("cache"), "demo"))
    assert plain.returncode == 1
    assert "(from versions: none)" in plain.output
    assert not pips.mentions_status(plain.output, 503)

    index.clear_faults()
    index.fail("/simple/demo/", status=503, times=4)
    args = lab.args(index, lab.fresh("cache"), "demo")
    run = lab.safepip(args)
    _assert_recovered(run, ["not-found", "network-transient"])
    assert "--log" not in run.attempts[0]["args"]
    assert "--log" in run.attempts[1]["args"]
    assert _installed(args, "demo", "dep")
    assert index.hits("/simple/demo/", status=503) == 2 + 4
    _assert_cache_left_healthy(lab, index, args, "demo")


def test_file_500_burst(
    lab: Lab, fault_index: Callable[..., FaultIndex], demo_dists: list[Path]
) -> None:
    """A 500 burst on the wheel URL longer than pip's retries: safepip recovers.

    Plain pip fails with "too many 500 error responses"; safepip retries (network-transient)
    and installs in two attempts.
    """
    index = fault_index(demo_dists)
    index.fail(f"/files/{DEMO_WHEEL}", status=500, times=3)
    plain = lab.pip(lab.args(index, lab.fresh("cache"), "demo"))
    assert plain.returncode == 1
    assert "too many 500 error responses" in plain.output

    index.clear_faults()
    index.fail(f"/files/{DEMO_WHEEL}", status=500, times=3)
    args = lab.args(index, lab.fresh("cache"), "demo")
    run = lab.safepip(args)
    _assert_recovered(run, ["network-transient"])
    assert _installed(args, "demo", "dep")
    _assert_cache_left_healthy(lab, index, args, "demo")


def test_reset_mid_download(
    lab: Lab,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    pip_version: str,
) -> None:
    """A TCP reset half-way through the wheel download.

    pip 24.0 dies with "Connection broken: ConnectionResetError" (exit 2) and safepip recovers
    with a second attempt (network-transient). pip 26.3 resumes the download by itself
    (docs/failure-kinds.md §A): plain pip succeeds, and safepip must succeed in one attempt too.
    """
    index = fault_index(demo_dists)
    index.reset(f"/files/{DEMO_WHEEL}", times=1)
    plain = lab.pip(lab.args(index, lab.fresh("cache"), "demo"))

    index.clear_faults()
    index.reset(f"/files/{DEMO_WHEEL}", times=1)
    args = lab.args(index, lab.fresh("cache"), "demo")
    run = lab.safepip(args)
    if _resumes(pip_version):
        assert plain.returncode == 0, plain.output
        assert "Attempting to resume incomplete download" in plain.output
        _assert_one_clean_attempt(run)
    else:
        assert plain.returncode != 0
        assert "Connection broken" in plain.output
        _assert_recovered(run, ["network-transient"])
    assert _installed(args, "demo", "dep")
    _assert_cache_left_healthy(lab, index, args, "demo")


def test_resets_outlasting_pips_resume(
    lab: Lab,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    pip_version: str,
) -> None:
    """Resets outlasting pip 26.3's own download resumption: safepip recovers.

    Six resets hit pip's first try and its 5 resume attempts: plain pip ends with
    ``error: incomplete-download``; safepip retries (network-transient) and installs.
    """
    if not _resumes(pip_version):
        pytest.skip("pip < 25.2 does not resume; test_reset_mid_download covers it")
    index = fault_index(demo_dists)
    index.reset(f"/files/{DEMO_WHEEL}", times=6)
    plain = lab.pip(lab.args(index, lab.fresh("cache"), "demo"))
    assert plain.returncode == 1
    assert "incomplete-download" in plain.output

    index.clear_faults()
    index.reset(f"/files/{DEMO_WHEEL}", times=6)
    args = lab.args(index, lab.fresh("cache"), "demo")
    run = lab.safepip(args)
    _assert_recovered(run, ["network-transient"])
    assert _installed(args, "demo", "dep")
    _assert_cache_left_healthy(lab, index, args, "demo")


def test_corrupt_download_cached_is_purged_exactly(
    lab: Lab, fault_index: Callable[..., FaultIndex], demo_dists: list[Path]
) -> None:
    """A corrupt download poisons pip's HTTP cache on both versions (docs/failure-kinds.md §I).

    The first plain run downloads corrupt bytes and fails the hash check; with the server
    healthy again the next plain run says "Using cached" and fails the same way. safepip on
    that cache diagnoses cache-corrupt, deletes exactly the two http-v2 files of the wheel
    URL (sha224 key), leaves every other cache entry alone, and installs on attempt two;
    a plain pip on that cache then succeeds.
    """
    index = fault_index(demo_dists)
    cache = lab.fresh("cache")
    warm = lab.pip(lab.args(index, cache, "dep"))  # other entries that must survive
    assert warm.returncode == 0, warm.output

    index.corrupt(f"/files/{DEMO_WHEEL}", times=1)
    first = lab.pip(lab.args(index, cache, "demo"))
    assert first.returncode == 1
    assert pips.HASH_BLOCK in first.output
    assert "Using cached" not in first.output
    second = lab.pip(lab.args(index, cache, "demo"))
    assert second.returncode == 1
    assert "Using cached" in second.output
    assert pips.HASH_BLOCK in second.output

    entry = _entry(cache, index.file_url(DEMO_WHEEL))
    before = _files(cache)
    assert entry <= before
    args = lab.args(index, cache, "demo")
    run = lab.safepip(args)
    _assert_recovered(run, ["cache-corrupt"])
    assert set(run.attempts[0]["deleted"]) == entry
    assert run.deleted == entry
    _assert_others_survive(before, cache, run.deleted)
    assert _installed(args, "demo", "dep")
    assert index.hits(f"/files/{DEMO_WHEEL}") == 2  # the corrupt one, and the one after the purge
    _assert_cache_left_healthy(lab, index, args, "demo")
    assert index.hits(f"/files/{DEMO_WHEEL}") == 2  # served from the good copy cached in its place


def test_corrupt_download_is_never_left_in_the_cache(
    lab: Lab, fault_index: Callable[..., FaultIndex], demo_dists: list[Path]
) -> None:
    """safepip meeting a corrupt download first leaves no poisoned cache entry behind.

    It diagnoses download-corrupt, retries without the cache and removes the entry pip stored,
    so a later plain pip on that cache succeeds.
    """
    index = fault_index(demo_dists)
    index.corrupt(f"/files/{DEMO_WHEEL}", times=1)
    cache = lab.fresh("cache")
    args = lab.args(index, cache, "demo")
    run = lab.safepip(args)
    _assert_recovered(run, ["download-corrupt"])
    assert _installed(args, "demo", "dep")
    assert _entry(cache, index.file_url(DEMO_WHEEL)) <= run.deleted
    _assert_cache_left_healthy(lab, index, args, "demo")


@pytest.mark.parametrize("hashes", [True, False], ids=["link-hashes", "no-link-hashes"])
def test_a_bad_copy_is_not_left_in_the_cache_when_the_run_stops(
    lab: Lab, fault_index: Callable[..., FaultIndex], demo_dists: list[Path], hashes: bool
) -> None:
    """The index keeps serving a broken wheel: safepip stops, and leaves no copy of it cached.

    pip stores a download before it checks it. Once the index serves the right file again, a
    plain pip on the same cache must get it, not the bad copy from the cache. Without link
    hashes pip 26.3's console names the file only; the --no-cache-dir retry then runs with
    --log, whose ``Found link`` gives the URL to purge.
    """
    index = fault_index(demo_dists, hashes=hashes)
    index.corrupt(f"/files/{DEMO_WHEEL}", times=10_000)
    args = lab.args(index, lab.fresh("cache"), "demo")
    run = lab.safepip(args)
    assert run.returncode != 0, run.output
    assert run.report is not None, run.output
    assert run.report["outcome"] == "failed", run.output
    assert run.kinds == ["download-corrupt", "download-corrupt"], run.output
    cache = Path(args[args.index("--cache-dir") + 1])
    assert not any(Path(path).exists() for path in _entry(cache, index.file_url(DEMO_WHEEL)))
    index.clear_faults()
    _assert_cache_left_healthy(lab, index, args, "demo")


def _damaged_http_cache(
    lab: Lab, index: FaultIndex, damage: Callable[[Path], None]
) -> tuple[Path, Path, set[str]]:
    """Install once into a fresh cache, damage demo's cached body, and copy the cache.

    Returns:
        ``(cache for safepip, identical copy for plain pip, the wheel's entry files)``.
    """
    cache = lab.fresh("cache")
    warm = lab.pip(lab.args(index, cache, "demo"))
    assert warm.returncode == 0, warm.output
    entry = _entry(cache, index.file_url(DEMO_WHEEL))
    body = next(Path(path) for path in entry if path.endswith(".body"))
    damage(body)
    copy = lab.fresh("cache-copy")
    shutil.copytree(cache, copy, symlinks=True)
    return cache, copy, entry


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda body: body.write_bytes(b""), id="empty-body"),
        pytest.param(
            lambda body: body.write_bytes(body.read_bytes()[: body.stat().st_size // 2]),
            id="truncated-body",
        ),
    ],
)
def test_damaged_cached_body(
    lab: Lab,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    pip_version: str,
    damage: Callable[[Path], None],
) -> None:
    """A cached wheel body that is empty (the pypa/pip#12361 race) or cut in half.

    pip 24.0 says "Using cached" and fails the hash check on every run; safepip diagnoses
    cache-corrupt, deletes exactly that entry and installs on attempt two, other entries
    intact. pip 26.3 treats the short body as an interrupted download and resumes it from the
    index (docs/failure-kinds.md §A): plain pip succeeds, and safepip succeeds in one attempt.
    """
    index = fault_index(demo_dists)
    cache, copy, entry = _damaged_http_cache(lab, index, damage)
    plain = lab.pip(lab.args(index, copy, "demo"))
    before = _files(cache)
    args = lab.args(index, cache, "demo")
    run = lab.safepip(args)
    if _resumes(pip_version):
        assert plain.returncode == 0, plain.output
        assert "Attempting to resume incomplete download" in plain.output
        _assert_one_clean_attempt(run)
    else:
        assert plain.returncode == 1
        assert "Using cached" in plain.output
        assert pips.HASH_BLOCK in plain.output
        _assert_recovered(run, ["cache-corrupt"])
        assert run.deleted == entry
        _assert_others_survive(before, cache, run.deleted)
    assert _installed(args, "demo", "dep")
    _assert_cache_left_healthy(lab, index, args, "demo")


def test_byte_flipped_cached_download_without_link_hashes(
    lab: Lab,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    pip_version: str,
) -> None:
    """A cached wheel body of the right length with one flipped byte, on an index without hashes.

    pip has no hash to check, reuses the body ("Using cached ... (size)") and fails with
    ``Bad CRC-32`` on every run. pip 24.0's console names the URL (its cache key), so safepip
    purges at once; pip 26.3's console names only the file, so the rerun with --log finds the
    URL (``Found link``) and purges then. Only that entry goes; plain pip then works.
    """
    index = fault_index(demo_dists, hashes=False)
    cache = lab.fresh("cache")
    warm = lab.pip(lab.args(index, cache, "demo"))
    assert warm.returncode == 0, warm.output
    entry = _entry(cache, index.file_url(DEMO_WHEEL))
    body = next(Path(path) for path in entry if path.endswith(".body"))
    _flip_member_byte(body, "_padding.bin")
    copy = lab.fresh("cache-copy")
    shutil.copytree(cache, copy, symlinks=True)
    plain = lab.pip(lab.args(index, copy, "demo"))
    assert plain.returncode != 0
    assert "Bad CRC-32" in plain.output
    assert "Using cached" in plain.output

    before = _files(cache)
    args = lab.args(index, cache, "demo")
    run = lab.safepip(args)
    url_on_console = index.file_url(DEMO_WHEEL) in plain.output
    _assert_recovered(run, ["cache-corrupt"] if url_on_console else ["cache-corrupt"] * 2)
    assert run.deleted == entry
    assert "private-cache" not in json.dumps(run.report), run.output
    _assert_others_survive(before, cache, run.deleted)
    assert _installed(args, "demo", "dep")
    _assert_cache_left_healthy(lab, index, args, "demo")


def test_truncated_wheel_in_wheel_cache(
    lab: Lab, fault_index: Callable[..., FaultIndex], tmp_path: Path
) -> None:
    """A wheel pip built from an sdist, truncated in ``wheels/`` (pypa/pip#9964, #13540).

    Every plain run says "Using cached <file>" (no size) and "Wheel ... is invalid", on both
    versions. safepip deletes exactly that ``wheels/`` entry directory (named in pip's
    message), pip rebuilds from the cached sdist into the user's cache, and the install
    succeeds on attempt two; a plain pip on that cache then uses the rebuilt wheel.
    """
    sdist = build_sdist(tmp_path / "dists", "built-demo", "3.0")
    index = fault_index([sdist])
    cache = lab.fresh("cache")
    warm = lab.pip(lab.args(index, cache, "built-demo"))
    assert warm.returncode == 0, warm.output
    (wheel,) = (cache / "wheels").rglob("built_demo-3.0-py3-none-any.whl")
    wheel.write_bytes(wheel.read_bytes()[: wheel.stat().st_size // 2])
    copy = lab.fresh("cache-copy")
    shutil.copytree(cache, copy, symlinks=True)

    plain = lab.pip(lab.args(index, copy, "built-demo"))
    assert plain.returncode == 1
    assert "is invalid" in plain.output

    before = _files(cache)
    args = lab.args(index, cache, "built-demo")
    run = lab.safepip(args)
    _assert_recovered(run, ["cache-corrupt"])
    assert run.deleted == {os.path.realpath(wheel.parent)}
    _assert_others_survive(before - {os.path.realpath(wheel)}, cache, run.deleted)
    assert _installed(args, "built_demo")
    healed = _assert_cache_left_healthy(lab, index, args, "built-demo")
    assert "Using cached built_demo-3.0-py3-none-any.whl" in healed.output  # rebuilt in place


def _flip_member_byte(path: Path, member_suffix: str) -> None:
    path.write_bytes(flip_member_byte(path.read_bytes(), member_suffix))


#: pip 22.0.4 too: the oldest pip whose console and --log lines docs/failure-kinds.md §A quotes.
WHEEL_LINK_PIPS = ("22.0.4", "24.0", "26.3")


@pytest.mark.parametrize(
    "pip_version", WHEEL_LINK_PIPS, indirect=True, ids=[f"pip{v}" for v in WHEEL_LINK_PIPS]
)
@pytest.mark.parametrize(
    ("member", "error"),
    [
        pytest.param("_padding.bin", "Bad CRC-32", id="payload-crc"),
        pytest.param("METADATA", "Error -3 while decompressing", id="metadata-deflate"),
    ],
)
def test_corrupt_wheel_in_wheel_cache_is_located_from_the_log(
    lab: Lab, fault_index: Callable[..., FaultIndex], tmp_path: Path, member: str, error: str
) -> None:
    """A wheel pip built, byte-flipped in ``wheels/`` (right length, bad zip data).

    pip's console says only ``Using cached built_demo-3.0-py3-none-any.whl`` and a zip error
    (pip 22.0.4, 24.0 and 26.3 alike); its ``--log`` adds ``Using cached wheel link:
    file:///<cache>/wheels/...``. safepip's first attempt (no --log) cannot locate the entry,
    so attempt two runs with --log on the same cache and changes nothing else; its log names
    the entry, safepip deletes exactly that ``wheels/`` directory, and attempt three rebuilds it
    in the user's cache. A plain pip on that cache then succeeds.
    """
    sdist = build_sdist(tmp_path / "dists", "built-demo", "3.0")
    index = fault_index([sdist])
    cache = lab.fresh("cache")
    warm = lab.pip(lab.args(index, cache, "built-demo"))
    assert warm.returncode == 0, warm.output
    (wheel,) = (cache / "wheels").rglob("built_demo-3.0-py3-none-any.whl")
    size = wheel.stat().st_size
    _flip_member_byte(wheel, member)
    assert wheel.stat().st_size == size
    copy = lab.fresh("cache-copy")
    shutil.copytree(cache, copy, symlinks=True)

    plain = lab.pip(lab.args(index, copy, "built-demo"))
    assert plain.returncode != 0
    assert "Using cached built_demo-3.0-py3-none-any.whl" in plain.output
    assert error in plain.output
    assert "wheels/" not in plain.output  # the console does not name the entry

    before = _files(cache)
    args = lab.args(index, cache, "built-demo")
    run = lab.safepip(args)
    _assert_recovered(run, ["cache-corrupt", "cache-corrupt"])
    first, second = run.attempts[0], run.attempts[1]
    assert "--log" not in first["args"]
    assert "--log" in second["args"]
    assert first["remedies"] == []
    assert first["deleted"] == []
    assert set(second["deleted"]) == {os.path.realpath(wheel.parent)}
    assert "private-cache" not in json.dumps(run.report), run.output
    assert run.deleted == {os.path.realpath(wheel.parent)}
    _assert_others_survive(before - {os.path.realpath(wheel)}, cache, run.deleted)
    assert _installed(args, "built_demo")
    healed = _assert_cache_left_healthy(lab, index, args, "built-demo")
    assert "Using cached built_demo-3.0-py3-none-any.whl" in healed.output  # rebuilt in place


# -- deterministic: safepip stops after one attempt with the right diagnosis ------------------


def test_local_path_missing(
    lab: Lab, fault_index: Callable[..., FaultIndex], tmp_path: Path
) -> None:
    """A conda `pip freeze` line ``pkg @ file:///tmp/build/80754af9/...`` stops at once.

    One attempt, local-path-missing, a hint pointing at ``safepip fix-requirements``, pip's
    exit status.
    """
    assert not Path(CONDA_PATH).exists()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(f"pkg @ file://{CONDA_PATH}\n", encoding="utf-8")
    index = fault_index()
    plain = lab.pip(lab.args(index, lab.fresh("cache"), "-r", str(requirements)))
    run = lab.safepip(lab.args(index, lab.fresh("cache"), "-r", str(requirements)))
    diagnosis = _assert_stopped(run, plain, "local-path-missing")
    assert "fix-requirements" in diagnosis["hint"]


def test_not_found(
    lab: Lab, fault_index: Callable[..., FaultIndex], demo_dists: list[Path]
) -> None:
    """A project the index does not have (404): not-found, pip's exit status.

    The console's bare "from versions: none" could hide a 5xx or a reset: the one retry adds
    ``--log``, whose debug lines show a plain 404, and safepip stops there.
    """
    index = fault_index(demo_dists)
    plain = lab.pip(lab.args(index, lab.fresh("cache"), "no-such-project"))
    assert "(from versions: none)" in plain.output
    run = lab.safepip(lab.args(index, lab.fresh("cache"), "no-such-project"))
    assert run.returncode == plain.returncode, run.output
    assert run.report is not None, run.output
    assert run.report["outcome"] == "failed", run.output
    assert run.kinds == ["not-found", "not-found"]
    assert ["--log" in attempt["args"] for attempt in run.attempts] == [False, True]
    assert run.report["diagnosis"]["policy"] == "stop"
    assert run.deleted == set()
    version_listed = lab.safepip(lab.args(index, lab.fresh("cache"), "demo==9.9"))
    _assert_stopped(version_listed, plain, "not-found")


def test_resolution_conflict(
    lab: Lab, fault_index: Callable[..., FaultIndex], tmp_path: Path
) -> None:
    """Pins that cannot both hold stop at once.

    demo 1.0 needs dep<2 and the user pins dep==2.0: one attempt, resolution-conflict, pip's
    exit status.
    """
    dists = tmp_path / "dists"
    index = fault_index(
        [
            build_wheel(dists, "demo", "1.0", requires=("dep<2",), size_kb=4),
            build_wheel(dists, "dep", "1.0", size_kb=4),
            build_wheel(dists, "dep", "2.0", size_kb=4),
        ]
    )
    pins = ("demo==1.0", "dep==2.0")
    plain = lab.pip(lab.args(index, lab.fresh("cache"), *pins))
    assert "ResolutionImpossible" in plain.output or "conflict" in plain.output
    run = lab.safepip(lab.args(index, lab.fresh("cache"), *pins))
    _assert_stopped(run, plain, "resolution-conflict")


def test_hash_pin_mismatch(
    lab: Lab, fault_index: Callable[..., FaultIndex], demo_dists: list[Path], tmp_path: Path
) -> None:
    """A stale ``--hash`` pin under ``--require-hashes`` stops at once.

    The download is fine, the pin is not: one attempt, hash-pin-mismatch, nothing deleted,
    pip's exit status.
    """
    index = fault_index(demo_dists)
    demo, dep = demo_dists
    stale = hashlib.sha256(b"an older build of demo").hexdigest()
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        f"demo==1.0 --hash=sha256:{stale}\ndep==2.0 --hash=sha256:{sha256_of(dep)}\n",
        encoding="utf-8",
    )
    assert sha256_of(demo) != stale
    pin = ("--require-hashes", "-r", str(requirements))
    plain = lab.pip(lab.args(index, lab.fresh("cache"), *pin))
    assert pips.HASH_BLOCK in plain.output
    run = lab.safepip(lab.args(index, lab.fresh("cache"), *pin))
    _assert_stopped(run, plain, "hash-pin-mismatch")


def _broken_venv(lab: Lab, index: FaultIndex, pip_version: str, remove: str) -> tuple[Path, Path]:
    """A venv with dep 2.0 installed whose ``dep-2.0.dist-info/<remove>`` was deleted."""
    python = pips.new_venv(lab.fresh("venv"), pip_version)
    setup = lab.pip(lab.args(index, lab.fresh("cache"), "dep==2.0", target=False), python=python)
    assert setup.returncode == 0, setup.output
    venv = python.parent.parent
    (info,) = venv.glob("lib/python*/site-packages/dep-2.0.dist-info")
    (info / remove).unlink()
    return python, info


def test_env_broken_missing_record(
    lab: Lab, fault_index: Callable[..., FaultIndex], tmp_path: Path, pip_version: str
) -> None:
    """An installed ``dep-2.0.dist-info`` without RECORD stops at once.

    Upgrading dep cannot uninstall it ("RECORD file not found" /
    ``uninstall-no-record-file``): one attempt, env-broken, the repair naming dep in the hint,
    pip's exit status.
    """
    dists = tmp_path / "dists"
    index = fault_index([build_wheel(dists, "dep", v, size_kb=4) for v in ("2.0", "2.1")])
    python, _ = _broken_venv(lab, index, pip_version, "RECORD")
    upgrade = ("dep==2.1",)
    plain = lab.pip(lab.args(index, lab.fresh("cache"), *upgrade, target=False), python=python)
    assert "RECORD file not found" in plain.output or "uninstall-no-record-file" in plain.output
    run = lab.safepip(lab.args(index, lab.fresh("cache"), *upgrade, target=False), python=python)
    diagnosis = _assert_stopped(run, plain, "env-broken")
    assert "dep" in diagnosis["hint"]


def test_env_broken_missing_metadata_is_tolerated_by_pip(
    lab: Lab, fault_index: Callable[..., FaultIndex], tmp_path: Path, pip_version: str
) -> None:
    """An installed ``dep-2.0.dist-info`` without METADATA does NOT make pip 24.0 or 26.3 fail.

    pip 24.0 skips the distribution ("invalid metadata entry 'name'") and pip 26.3 uninstalls
    it as "dep None"; both then install dep 2.1. So safepip, which only acts on a failure,
    must succeed in one attempt and change nothing (the env-broken STOP is covered by the
    missing-RECORD test above).
    """
    dists = tmp_path / "dists"
    index = fault_index([build_wheel(dists, "dep", v, size_kb=4) for v in ("2.0", "2.1")])
    python, _ = _broken_venv(lab, index, pip_version, "METADATA")
    run = lab.safepip(lab.args(index, lab.fresh("cache"), "dep==2.1", target=False), python=python)
    _assert_one_clean_attempt(run)


# -- the guarded delete, against a hostile log ------------------------------------------------


def _hostile_blocks(paths: Sequence[str], style: str) -> tuple[str, list[str]]:
    """A cache-corrupt log naming each path, and the paths as the classifier should take them.

    ``located-at``: pip's ``Wheel 'x' located at <path> is invalid``. ``wheel-link``: the
    ``Using cached wheel link: file://<path>`` debug line before ``Using cached x.whl`` and a
    ``Bad CRC-32`` (a byte-flipped built wheel), plus a link on another host.
    """
    stamp = "2026-11-25T20:00:00,000 "
    if style == "located-at":
        return "".join(
            f"{stamp}Using cached x-1.0-py3-none-any.whl\n"
            f"{stamp}ERROR: Wheel 'x' located at {path} is invalid.\n"
            for path in paths
        ), list(paths)
    links = [f"file://evil.example{paths[1]}", *(f"file://{path}" for path in paths)]
    return "".join(
        f"{stamp}Using cached wheel link: {link}\n"
        f"{stamp}Using cached x-1.0-py3-none-any.whl\n"
        f"{stamp}zipfile.BadZipFile: Bad CRC-32 for file 'x/_padding.bin'\n"
        for link in links
    ), links


@pytest.mark.parametrize("style", ["located-at", "wheel-link"])
def test_hostile_log_paths_delete_nothing_outside_the_cache(tmp_path: Path, style: str) -> None:
    """Paths in a hostile pip log never make safepip delete anything outside the cache.

    A pip log is untrusted input. A fake pip writes a cache-corrupt log naming wheel paths
    that escape the cache (``..``, an absolute path elsewhere, a symlinked ``wheels/`` dir and
    a symlinked entry dir pointing outside), as invalid-wheel paths or as cached wheel links:
    safepip may unlink the symlinks inside the cache, but every file outside the cache
    survives and nothing outside is reported deleted.
    """
    cache = tmp_path / "cache"
    outside = tmp_path / "outside"
    for name in ("dotdot", "absolute", "via-dir-link", "via-entry-link"):
        victim = outside / name / "x-1.0-py3-none-any.whl"
        victim.parent.mkdir(parents=True)
        victim.write_bytes(b"precious")
    wheels = cache / "wheels"
    (wheels / "ab" / "cd" / "ef").mkdir(parents=True)
    (wheels / "12").symlink_to(outside / "via-dir-link", target_is_directory=True)
    (outside / "via-dir-link" / "34" / "56" / "789abc").mkdir(parents=True)
    shutil.copy(
        outside / "via-dir-link" / "x-1.0-py3-none-any.whl",
        outside / "via-dir-link" / "34" / "56" / "789abc" / "x-1.0-py3-none-any.whl",
    )
    (wheels / "ab" / "cd" / "ef" / "0123abcd").symlink_to(
        outside / "via-entry-link", target_is_directory=True
    )
    hostile = [
        f"{wheels}/ab/cd/ef/0123abcd/../../../../../outside/dotdot/x-1.0-py3-none-any.whl",
        f"{outside}/absolute/x-1.0-py3-none-any.whl",
        f"{wheels}/12/34/56/789abc/x-1.0-py3-none-any.whl",
        f"{wheels}/ab/cd/ef/0123abcd/x-1.0-py3-none-any.whl",
    ]
    log, hostile = _hostile_blocks(hostile, style)
    (tmp_path / "pip.log.txt").write_text(log, encoding="utf-8")
    fake = tmp_path / "fakepy"
    fake.write_text(
        "#!/usr/bin/env bash\n"
        'LOG=""; prev=""\n'
        'for a in "$@"; do [ "$prev" = "--log" ] && LOG="$a"; prev="$a"; done\n'
        f'echo "$*" >> "{tmp_path}/calls.txt"\n'
        f'[ -n "$LOG" ] || LOG=/dev/stderr; cat "{tmp_path}/pip.log.txt" >> "$LOG"\n'
        "exit 1\n",
        encoding="utf-8",
    )
    fake.chmod(0o755)
    lab = Lab(fake, tmp_path)
    run = lab.safepip(
        ["--cache-dir", str(cache), "--target", str(tmp_path / "t"), "x"],
        opts=("--attempts", "3"),
    )
    assert run.returncode == 1, run.output
    assert run.report is not None, run.output
    assert run.kinds[0] == "cache-corrupt", run.output
    logged = {p for a in run.attempts for p in a["diagnosis"]["paths"]}
    assert logged & set(hostile), f"the classifier saw none of the hostile paths: {logged}"
    for victim in outside.rglob("*.whl"):
        assert victim.read_bytes() == b"precious", victim
    assert len(list(outside.rglob("*.whl"))) == 5
    cache_real = os.path.realpath(cache)
    for path in run.deleted:
        assert path.startswith(cache_real + os.sep), path
        assert os.path.realpath(outside) not in path
