"""A pip cache root whose name the OS refuses: one component longer than it allows.

Old: ``PIP_CACHE_DIR=/tmp/x/aaa...`` (300 ``a``) made ``safepip doctor``, ``cache purge --all``
and ``cache purge NAME`` end with an ``OSError: [Errno 36] File name too long`` traceback
(exit 3): ``Path.exists()`` and ``Path.is_dir()`` raise on that errno before Python 3.14. New:
the commands say ``cannot read the pip cache ROOT: File name too long`` in one line (exit 2), as
``cache verify`` did, and doctor says it on its ``cache`` line.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import sys
from typing import TYPE_CHECKING

import pytest
from support.fakes import FakeCache, FakeRunner

from safepip import cli
from safepip.cache import delete as guarded
from safepip.cache.purge import parse_target, plan_all, plan_purge
from safepip.commands import doctor
from safepip.errors import CacheRefused
from safepip.install.loop import Installer
from safepip.model import Options, Outcome, RemedyAction

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

    from support.fakes import FakeClock

TOO_LONG = os.strerror(errno.ENAMETOOLONG)


@pytest.fixture
def long_root(tmp_path: Path) -> Path:
    """An existing parent and a last component of 300 characters (NAME_MAX is 255)."""
    return tmp_path / ("a" * 300)


def _run_cli(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        status = cli.main(list(argv))
    return status, out.getvalue(), err.getvalue()


@pytest.mark.parametrize(
    "argv",
    [["purge", "--all"], ["purge", "demo"], ["purge", "demo", "-i", "https://i.example/simple/"]],
    ids=" ".join,
)
def test_cache_purge_says_the_root_cannot_be_read(long_root: Path, argv: list[str]) -> None:
    status, out, err = _run_cli("cache", *argv, "--cache-dir", str(long_root))
    assert (status, out) == (2, "")
    assert "Traceback" not in err
    assert (
        err.splitlines()[0] == f"safepip: error: cannot read the pip cache {long_root}: {TOO_LONG}"
    )
    assert len(err.splitlines()) <= 2  # the error and at most its hint


def test_cache_purge_all_from_pip_cache_dir(
    long_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The root named by the environment (untrusted): the same one line."""
    monkeypatch.setenv("PIP_CACHE_DIR", str(long_root))
    status, _out, err = _run_cli("cache", "purge", "--all", "--python", sys.executable)
    assert status == 2
    assert err.startswith(f"safepip: error: cannot read the pip cache {long_root}: {TOO_LONG}")


def test_cache_verify_still_says_so(long_root: Path) -> None:
    status, _out, err = _run_cli("cache", "verify", "--cache-dir", str(long_root))
    assert status == 2
    assert err.startswith(f"safepip: error: cannot read the pip cache {long_root}: {TOO_LONG}")


def test_doctor_fails_its_cache_line(long_root: Path) -> None:
    """One ``fail`` line for the cache, nothing after it about a cache that cannot be read."""
    checks = list(doctor.cache_checks(long_root))
    assert [(c.status, c.name) for c in checks] == [(doctor.FAIL, "cache")]
    assert checks[0].detail == f"cannot read the pip cache {long_root}: {TOO_LONG}"


def test_doctor_offline_ends_with_its_report(
    long_root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``safepip doctor --offline`` with that PIP_CACHE_DIR: exit 1 (a failed check), no crash."""
    monkeypatch.setenv("PIP_CACHE_DIR", str(long_root))
    status, out, err = _run_cli("doctor", "--offline", "--python", sys.executable)
    assert status == 1, err
    assert "Traceback" not in err
    assert f"fail  cache: cannot read the pip cache {long_root}: {TOO_LONG}" in out.splitlines()


def test_the_planners_and_the_delete_never_raise_a_raw_oserror(long_root: Path) -> None:
    """Used by the install loop too: nothing to plan, and the delete is refused (private cache)."""
    assert plan_purge(long_root, [parse_target("demo")], ["https://i.example/simple/"]) == []
    assert plan_all(long_root) == []
    with pytest.raises(CacheRefused, match=f"cannot open the pip cache .*: {TOO_LONG}"):
        guarded.delete(long_root, ["wheels/ab/ab/ab/" + "ab" * 25])


def test_an_install_remedy_there_uses_a_private_cache(long_root: Path, clock: FakeClock) -> None:
    """A corrupt cached download under that root: the purge is refused, the retry is private."""
    url = "http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl"
    good, bad = "a" * 64, "b" * 64
    log = (
        f"Collecting demo\n  Using cached {url} (206 kB)\n"
        "ERROR: THESE PACKAGES DO NOT MATCH THE HASHES FROM THE REQUIREMENTS FILE.\n"
        f"    demo from {url}#sha256={good}:\n"
        f"        Expected sha256 {good}\n             Got        {bad}\n"
    )

    def no_query(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        return 0, "24.0\n"

    installer = Installer(
        "python3",
        Options(),
        env={},
        run=FakeRunner([(1, log), (0, "")], clock),
        query=no_query,
        sleep=clock.sleep,
        clock=clock,
        rand=lambda: 0.0,
        cache=FakeCache(long_root),
    )
    result = installer.install(["demo"])
    assert result.outcome is Outcome.RECOVERED
    (remedy,) = result.attempts[0].remedies
    assert remedy.action is RemedyAction.PRIVATE_CACHE
    assert TOO_LONG in remedy.reason
    assert "--cache-dir" in result.attempts[1].args
