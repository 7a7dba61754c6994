"""The cache attacks of issue 12, played against the guarded delete, the commands and the loop.

Each test names the attack; on the code before the descriptor walk each of them lost a file,
hung, stalled or crashed (the closing note of the issue lists old and new outcomes).
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import io
import json
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from support import cachetree as ct
from support.fakes import FakeCache, FakeRunner

from safepip import cli
from safepip.cache import delete as guarded
from safepip.cache.layout import http_entry_paths
from safepip.install.loop import Installer
from safepip.model import Options, Outcome, RemedyAction
from safepip.report.text import TextReporter

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping, Sequence

    from support.fakes import FakeClock

KEY = "ab" * 28  # a sha224-shaped key: wheels/ab/ab/ab/<50 hex>
URL = "http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl"
GOOD, BAD = "a" * 64, "b" * 64


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def _wheel_entry(root: Path, key: str = KEY) -> Path:
    entry = root / "wheels" / key[:2] / key[2:4] / key[4:6] / key[6:]
    _touch(entry / "demo-1.0-py3-none-any.whl", b"PK not a zip")
    return entry


def _run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(list(argv))
    return status, out.getvalue(), err.getvalue()


def _files(base: Path) -> dict[str, bytes]:
    return {str(p.relative_to(base)): p.read_bytes() for p in base.rglob("*") if p.is_file()}


def _no_query(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
    return 0, "24.0\n"


def _installer(clock: FakeClock, script: list[tuple[int, str]], root: Path) -> Installer:
    return Installer(
        "python3",
        Options(),
        env={},
        run=FakeRunner(list(script), clock),
        query=_no_query,
        sleep=clock.sleep,
        clock=clock,
        rand=lambda: 0.0,
        cache=FakeCache(root),
    )


def _invalid_wheel_log(entry: Path) -> str:
    wheel = entry / "demo-1.0-py3-none-any.whl"
    return f"Processing {wheel}\nERROR: Wheel 'demo' located at {wheel} is invalid.\n"


def _hash_log(url: str) -> str:
    return (
        f"Collecting demo\n  Using cached {url} (206 kB)\n"
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.\n"
        f"    demo from {url}#sha256={GOOD}:\n"
        f"        Expected sha256 {GOOD}\n             Got        {BAD}\n"
    )


# --- 1. the symlink swap while the delete waits for the lock ------------------------------


def test_lock_wait_symlink_swap_loses_no_canary(tmp_path: Path) -> None:
    """Hold the lock (read-only fd), swap a checked level for a symlink to canaries, release."""
    root = tmp_path / "cache"
    entry = _wheel_entry(root)
    secret = tmp_path / "secret"
    secret.mkdir(mode=0o700)
    canaries = [_touch(secret / KEY[6:] / f"canary-{i}.txt", b"keep") for i in range(10)]
    holder = os.open(root / ".safepip.lock", os.O_RDONLY | os.O_CREAT, 0o666)
    fcntl.flock(holder, fcntl.LOCK_EX)  # a read-only descriptor is enough to hold it
    reports: list[guarded.DeleteReport] = []
    worker = threading.Thread(
        target=lambda: reports.append(guarded.delete(root, [entry], lock_timeout=30))
    )
    try:
        worker.start()
        time.sleep(0.5)  # the delete is waiting for the lock now
        level = entry.parent
        level.rename(level.with_name("moved"))
        level.symlink_to(secret, target_is_directory=True)
    finally:
        fcntl.flock(holder, fcntl.LOCK_UN)
        os.close(holder)
        worker.join(30)
    assert all(c.read_bytes() == b"keep" for c in canaries)
    (report,) = reports
    assert report.deleted == ()
    assert report.refused == (str(entry),)


# --- 2. a cache root that is not a pip cache ----------------------------------------------


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home directory holding wheels/ and http/ of the user's own, one of pip's shape."""
    home = tmp_path / "home"
    _wheel_entry(home)  # looks like pip's, but this is $HOME
    _touch(home / "wheels" / "ab" / "cd" / "ef" / "myproject" / "notes.txt", b"mine")
    _touch(home / "http" / "index.html", b"<html>mine</html>")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("PIP_CACHE_DIR", str(home))
    return home


def test_remedy_in_a_home_directory_deletes_nothing(home: Path, clock: FakeClock) -> None:
    """An invalid wheel 'in the cache' at $HOME: a private cache, nothing of the user's goes."""
    before = _files(home)
    installer = _installer(clock, [(1, _invalid_wheel_log(_wheel_entry(home))), (0, "")], home)
    result = installer.install(["demo"])
    assert _files(home) == before
    assert result.outcome is Outcome.RECOVERED
    (remedy,) = result.attempts[0].remedies
    assert remedy.action is RemedyAction.PRIVATE_CACHE
    assert "home directory" in remedy.reason
    assert "\n" not in remedy.reason


@pytest.mark.parametrize(
    "argv", [["purge", "--all"], ["verify", "--fix"], ["purge", "demo"]], ids=" ".join
)
def test_cache_commands_refuse_a_home_directory(home: Path, argv: list[str]) -> None:
    """purge --all, verify --fix and purge NAME: exit 2, one line, the home untouched."""
    before = _files(home)
    status, _out, err = _run_cli("cache", *argv, "--cache-dir", str(home))
    assert _files(home) == before
    assert status == 2
    assert err.startswith("safepip: error: safepip will not delete in ")
    assert "Traceback" not in err
    assert not (home / ".safepip.lock").exists()


def test_only_pip_shaped_entries_are_ever_deleted(tmp_path: Path) -> None:
    """A user's wheels/ab/cd/ef/myproject and stray files in a real cache survive every command."""
    root = tmp_path / "cache"
    ct.add_http_v2(root, URL, b"", headers={})  # a real (empty-body) entry so there is work to do
    mine = {
        _touch(root / "wheels" / "ab" / "cd" / "ef" / "myproject" / "x.whl", b"bad zip"),
        _touch(root / "http" / "notes.txt", b"mine"),
        _touch(root / "http-v2" / "a" / "b" / "c" / "d" / "e" / ("f" * 56), b"wrong level"),
    }
    assert _run_cli("cache", "verify", "--fix", "--cache-dir", str(root))[0] == 0
    assert _run_cli("cache", "purge", "--all", "--cache-dir", str(root))[0] == 0
    assert all(p.exists() for p in mine)
    assert not any(p.exists() for p in http_entry_paths(root, URL))


def test_the_file_system_root_is_refused_and_nothing_is_created() -> None:
    """PIP_CACHE_DIR=/ : refused before anything is opened, no /.safepip.lock."""
    lock = Path("/.safepip.lock")
    existed = lock.exists()  # only a run of the old code leaves one behind
    with pytest.raises(guarded.NotAPipCache, match="file system root"):
        guarded.delete(Path("/"), ["/wheels/ab/ab/ab/" + KEY[6:]])
    status, _out, err = _run_cli("cache", "purge", "--all", "--dry-run", "--cache-dir", "/")
    assert status == 2
    assert "file system root" in err
    assert lock.exists() == existed


def test_a_root_holding_the_current_directory_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A cache root that is a parent of the current project is not a pip cache."""
    root = tmp_path / "work"
    entry = _wheel_entry(root)
    (root / "project").mkdir()
    monkeypatch.chdir(root / "project")
    with pytest.raises(guarded.NotAPipCache, match="current directory"):
        guarded.delete(root, [entry])
    assert entry.is_dir()


# --- 3. the lock held by someone else -----------------------------------------------------


@pytest.fixture
def held(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A cache whose lock another process holds (for a minute, or until the test ends)."""
    root = tmp_path / "cache"
    ct.add_http_v2(root, URL, b"", headers={})
    monkeypatch.setattr(guarded, "LOCK_TIMEOUT", 0.3)
    with ct.lock_held(root, seconds=60):
        yield root


def test_a_held_lock_makes_the_install_use_a_private_cache(held: Path, clock: FakeClock) -> None:
    """No 60 s stall and no failure: the next attempt runs with a private cache, said once."""
    runner_script = [(1, _hash_log(URL)), (0, "")]
    err = io.StringIO()
    installer = dataclasses.replace(
        _installer(clock, runner_script, held), reporter=TextReporter(err)
    )
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    (remedy,) = result.attempts[0].remedies
    assert remedy.action is RemedyAction.PRIVATE_CACHE
    assert "locked by another process" in remedy.reason
    assert "--cache-dir" in result.attempts[1].args
    assert sum("locked by another process" in line for line in err.getvalue().splitlines()) == 1
    assert all(p.exists() for p in http_entry_paths(held, URL)[:2])


def test_a_held_lock_fails_verify_fix_in_one_line(held: Path) -> None:
    """verify --fix with the lock held: exit 1, one error line (and its hint), nothing removed."""
    status, _out, err = _run_cli("cache", "verify", "--fix", "--cache-dir", str(held))
    assert status == 1
    assert err.splitlines()[0].startswith("safepip: error: the pip cache is locked")
    assert len(err.splitlines()) <= 2
    assert all(p.exists() for p in http_entry_paths(held, URL)[:2])


# --- 4. honest accounting: a symlinked root, an immutable file ----------------------------


def test_a_symlinked_root_reports_what_really_went(tmp_path: Path, clock: FakeClock) -> None:
    """The remedy's paths are spelled through the alias, and so is what it reports deleted."""
    real = tmp_path / "real"
    ct.add_http_v2(real, URL, b"corrupt")
    alias = tmp_path / "alias"
    alias.symlink_to(real, target_is_directory=True)
    result = _installer(clock, [(1, _hash_log(URL)), (0, "")], alias).install(["demo"])
    meta, body, _old = http_entry_paths(alias, URL)
    assert set(result.attempts[0].deleted) == {str(meta), str(body)}
    assert not any(p.exists() for p in http_entry_paths(real, URL))


@pytest.fixture
def immutable(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    """A cache with an immutable (chattr +i) body; skipped where chattr does not work."""
    root = tmp_path / "cache"
    ct.add_http_v2(root, URL, b"x" * 619)
    ct.add_http_v2(root, URL + ".metadata", b"Metadata-Version: 2.1\nName: demo\n")
    _meta, body, _old = http_entry_paths(root, URL)
    chattr = shutil.which("chattr")
    done = chattr and subprocess.run([chattr, "+i", str(body)], capture_output=True, check=False)
    if not chattr or not done or done.returncode != 0:
        pytest.skip("chattr +i is not available here (not root, or the file system lacks it)")
    try:
        yield root, body
    finally:
        subprocess.run([chattr, "-i", str(body)], check=True)


def test_an_immutable_file_is_not_claimed_removed(immutable: tuple[Path, Path]) -> None:
    """purge --all: the immutable entry is reported failed, its bytes are not 'freed'."""
    root, body = immutable
    total = sum(len(data) for data in _files(root).values())
    status, out, _err = _run_cli(
        "cache", "purge", "--all", "--dry-run", "--json", "--cache-dir", str(root)
    )
    assert json.loads(out)["bytes_freed"] == total
    status, out, _err = _run_cli("cache", "purge", "--all", "--json", "--cache-dir", str(root))
    assert status == 1
    assert body.exists()
    doc = json.loads(out)
    assert str(body) not in doc["deleted"]
    assert [f.split(": ")[0] for f in doc["failed"]] == [str(body)]
    assert sorted(e["removed"] for e in doc["entries"]) == [False, True]
    assert doc["bytes_freed"] == total - 619
    status, out, err = _run_cli("cache", "purge", "--all", "--cache-dir", str(root))
    assert status == 1
    assert f"could not remove {body}: Operation not permitted" in err
    assert out.startswith("removed 0 entries (0 files or directories), freed 0 bytes")


# --- 5. a read-only cache ------------------------------------------------------------------


def _unshare_ro(root: Path, argv: list[str]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` in a private mount namespace where ``root`` is bind-mounted read-only."""
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    private = ["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh"]
    return _run([*private, str(root), *argv])


def _run(argv: Sequence[str]) -> subprocess.CompletedProcess[str]:
    """Run ``argv`` under a timeout, with this test's ``sys.path`` (a hang fails the test)."""
    return subprocess.run(
        list(argv),
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
        check=False,
    )


@pytest.fixture
def read_only(tmp_path: Path) -> Path:
    """A cache with one corrupt entry; skipped where no private read-only mount can be made."""
    root = tmp_path / "cache"
    ct.add_http_v2(root, URL, b"", headers={})
    probe = _unshare_ro(root, ["sh", "-c", f'! touch "{root}/probe" 2>/dev/null'])
    if shutil.which("unshare") is None or probe.returncode != 0:
        pytest.skip(f"cannot make a read-only bind mount here: {probe.stderr.strip()[:200]}")
    return root


def test_a_read_only_cache_fails_verify_fix_in_one_line(read_only: Path) -> None:
    """EROFS: no traceback, one line, exit 1, and no lock file could be (or was) created."""
    done = _unshare_ro(
        read_only,
        [
            sys.executable,
            "-m",
            "safepip",
            "cache",
            "verify",
            "--fix",
            "--cache-dir",
            str(read_only),
        ],
    )
    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.startswith("safepip: error: the pip cache ")
    assert "read-only file system" in done.stderr
    assert all(p.exists() for p in http_entry_paths(read_only, URL)[:2])


_INSTALL_SCRIPT = """
import sys
from pathlib import Path
from support.fakes import FakeCache, FakeClock, FakeRunner
from safepip.install.loop import Installer
from safepip.model import Options
log = sys.argv[2]
clock = FakeClock()
runner = FakeRunner([(1, log), (0, "")], clock)
installer = Installer("python3", Options(), env={}, run=runner, query=lambda a, e: (0, "24.0"),
                      sleep=clock.sleep, clock=clock, rand=lambda: 0.0,
                      cache=FakeCache(Path(sys.argv[1])))
result = installer.install(["demo"])
print(result.outcome.value, result.attempts[0].remedies[0].action.value)
print(result.attempts[0].remedies[0].reason)
"""


def test_a_read_only_cache_makes_the_install_use_a_private_cache(read_only: Path) -> None:
    """EROFS + a cache-corrupt failure: one line, a private cache for the retry, recovered."""
    done = _unshare_ro(
        read_only, [sys.executable, "-c", _INSTALL_SCRIPT, str(read_only), _hash_log(URL)]
    )
    assert done.returncode == 0, done.stderr
    first, reason = done.stdout.splitlines()[:2]
    assert first == "recovered private-cache"
    assert "read-only file system" in reason


# --- 6. bounded input: what is named like an entry is never trusted to be one -------------


def _safepip(*argv: str, user: Sequence[str] = ()) -> subprocess.CompletedProcess[str]:
    """Run safepip in a subprocess under a timeout: a hang fails the test instead of the run."""
    return _run([*user, sys.executable, "-m", "safepip", *argv])


@pytest.fixture
def planted(tmp_path: Path) -> tuple[Path, list[Path]]:
    """A cache whose entry names hold a FIFO and symlinks to /dev/zero and /dev/urandom."""
    root = tmp_path / "cache"
    ct.add_http_v2(root, URL, ct.wheel_bytes("demo", "1.0"))
    meta, body, old = http_entry_paths(root, "http://127.0.0.1:8765/simple/demo/")
    meta.parent.mkdir(parents=True)
    os.mkfifo(meta)
    body.symlink_to("/dev/zero")
    old.parent.mkdir(parents=True)
    old.symlink_to("/dev/urandom")
    entry = _wheel_entry(root, "cd" * 28)
    (entry / "demo-1.0-py3-none-any.whl").unlink()
    os.mkfifo(entry / "demo-1.0-py3-none-any.whl")
    ok = root / "wheels" / "ef" / "ef" / "ef" / ("ef" * 25)
    _touch(ok / "demo-1.0-py3-none-any.whl", ct.wheel_bytes("demo", "1.0"))
    (ok / "origin.json").symlink_to("/dev/zero")
    return root, [meta, body, old, entry, ok]


def test_fifo_and_device_entries_are_reported_never_read(planted: tuple[Path, list[Path]]) -> None:
    """verify: every planted name is a not-a-regular-file problem, in bounded time."""
    root, planted_paths = planted
    done = _safepip("cache", "verify", "--json", "--cache-dir", str(root))
    assert done.returncode == 1, done.stderr
    doc = json.loads(done.stdout)
    reasons = {p["reason"] for p in doc["problems"]}
    assert reasons == {"not-a-regular-file"}
    reported = {path for p in doc["problems"] for path in p["paths"]}
    assert {str(p) for p in planted_paths} <= reported
    assert doc["checked"] == 5


@pytest.mark.parametrize(
    "argv", [["verify", "--fix"], ["purge", "demo"], ["purge", "--all"]], ids=" ".join
)
def test_fifo_and_device_entries_never_hang_the_commands(
    planted: tuple[Path, list[Path]], argv: list[str]
) -> None:
    """verify --fix, purge NAME and purge --all finish and unlink the planted names, unread."""
    root, planted_paths = planted
    index = ["-i", "http://127.0.0.1:8765/simple/"] if argv == ["purge", "demo"] else []
    done = _safepip("cache", *argv, *index, "--cache-dir", str(root))
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert not [p for p in planted_paths if p.exists() or p.is_symlink()]
    assert Path("/dev/zero").is_char_device()


def test_an_unreadable_cache_is_an_error_not_zero_entries(tmp_path: Path) -> None:
    """As a user who may not read the cache: exit 2 and one line, not '0 entries, 0 corrupt'."""
    root = tmp_path / "cache"
    ct.add_http_v2(root, URL, b"", headers={})
    root.chmod(0o700)
    user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run safepip as another user")
    probe = _safepip("--version", user=user)
    if probe.returncode != 0:
        pytest.skip(f"safepip cannot start as nobody here: {probe.stderr.strip()[-200:]}")
    done = _safepip("cache", "verify", "--cache-dir", str(root), user=user)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.startswith(f"safepip: error: cannot read the pip cache {root}")
    assert "Permission denied" in done.stderr
    assert "Traceback" not in done.stderr
