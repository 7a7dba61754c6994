"""Tests of safepip.cache.layout: key -> path layout, locate, and the guarded delete."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from safepip.cache import layout as cache
from safepip.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

LAB_URL = "http://127.0.0.1:8765/ok/files/demo-1.0-py3-none-any.whl"


def _touch(path: Path, data: bytes = b"x") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


# --- URL normalisation and keys --------------------------------------------------------


def test_lab_key_matches_pip_failures_a() -> None:
    """The [lab] check of docs/failure-kinds.md §A: the key of the demo wheel starts with d3529d74."""
    assert cache.http_key(LAB_URL).startswith("d3529d74")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("HTTPS://PyPI.ORG/simple/Foo/", "https://pypi.org/simple/Foo/"),
        ("https://pypi.org", "https://pypi.org/"),
        ("https://h/x.whl#sha256=abc", "https://h/x.whl"),
        ("https://h/x?a=1#frag", "https://h/x?a=1"),
        ("https://h/x?", "https://h/x"),
        ("https://user:Pw@H:8080/p", "https://user:pw@h:8080/p"),
    ],
)
def test_normalize_url_follows_cachecontrol(url: str, expected: str) -> None:
    """Scheme and authority are lower-cased, the fragment and an empty query dropped, '' -> '/'."""
    assert cache.normalize_url(url) == expected


def test_normalize_url_refuses_relative() -> None:
    """A relative URL has no cache key (CacheControl refuses it too): a UsageError, not a crash."""
    with pytest.raises(UsageError):
        cache.normalize_url("/simple/foo/")


def test_http_key_is_sha224_of_normalised_url() -> None:
    """The key is the sha224 hex digest of the normalised URL, fragment ignored."""
    expected = hashlib.sha224(LAB_URL.encode()).hexdigest()
    assert cache.http_key(LAB_URL + "#sha256=00") == expected


def test_http_entry_paths_layout(tmp_path: Path) -> None:
    """http-v2 metadata and body, then the old http/ entry, five one-char levels deep."""
    key = cache.http_key(LAB_URL)
    meta, body, old = cache.http_entry_paths(tmp_path, LAB_URL)
    assert meta == tmp_path / "http-v2" / "d" / "3" / "5" / "2" / "9" / key
    assert body == meta.with_name(key + ".body")
    assert old == tmp_path / "http" / "d" / "3" / "5" / "2" / "9" / key


# --- wheels/ entries -------------------------------------------------------------------

WHEEL_REST = "27/4d/c1/" + "a" * 50


def test_wheel_entry_dir_of_logged_wheel(tmp_path: Path) -> None:
    """A logged wheel path maps to its aa/bb/cc/<rest> entry directory."""
    logged = f"{tmp_path}/wheels/{WHEEL_REST}/demo-1.0-py3-none-any.whl"
    assert cache.wheel_entry_dir(tmp_path, logged) == tmp_path / "wheels" / Path(WHEEL_REST)


def test_wheel_entry_dir_of_a_cached_wheel_link(tmp_path: Path) -> None:
    """`Using cached wheel link: file:///...`: the URL's decoded path, local hosts only."""
    entry = tmp_path / "wheels" / Path(WHEEL_REST)
    link = (entry / "demo-1.0-py3-none-any.whl").as_uri()
    assert cache.wheel_entry_dir(tmp_path, link) == entry
    assert cache.wheel_entry_dir(tmp_path, link.replace("file://", "file://localhost")) == entry
    assert cache.wheel_entry_dir(tmp_path, link.replace("file://", "file://evil.example")) is None
    dotted = link.replace("/wheels/", "/wheels/%2e%2e/wheels/")
    assert cache.wheel_entry_dir(tmp_path, dotted) is None


@pytest.mark.parametrize(
    "rel",
    [
        f"wheels/{WHEEL_REST}/../../../../../../etc/x.whl",
        f"wheels/27/4d/../4d/c1/{'a' * 50}/demo.whl",
        f"http-v2/{WHEEL_REST}/demo.whl",
        f"wheels/{WHEEL_REST}/demo.tar.gz",
        "wheels/27/4d/c1/demo.whl",
        f"wheels/{WHEEL_REST}/sub/demo.whl",
        f"wheels/zz/4d/c1/{'a' * 50}/demo.whl",
    ],
)
def test_wheel_entry_dir_rejects_other_paths(tmp_path: Path, rel: str) -> None:
    """'..' tricks, other subdirs, non-wheels and wrong depths give None."""
    assert cache.wheel_entry_dir(tmp_path, f"{tmp_path}/{rel}") is None


def test_wheel_entry_dir_outside_root(tmp_path: Path) -> None:
    """A wheel in another cache's wheels/ is not this cache's entry."""
    other = tmp_path / "other"
    assert cache.wheel_entry_dir(tmp_path / "c", f"{other}/wheels/{WHEEL_REST}/d.whl") is None


# --- locate ----------------------------------------------------------------------------


class FakeQuery:
    """Records argv/env and answers with a scripted (returncode, stdout)."""

    def __init__(self, returncode: int = 0, stdout: str = "") -> None:
        """Script the answer."""
        self.answer = (returncode, stdout)
        self.calls: list[tuple[list[str], dict[str, str]]] = []

    def __call__(self, argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        """Record the call and answer."""
        self.calls.append((list(argv), dict(env)))
        return self.answer


def test_locate_explicit_cache_dir_wins(tmp_path: Path) -> None:
    """--cache-dir wins over everything and pip is not asked."""
    query = FakeQuery(0, "/elsewhere\n")
    found = cache.locate("py", cache_dir_arg=str(tmp_path), no_cache=True, env={}, query=query)
    assert found == tmp_path
    assert query.calls == []


def test_locate_expands_user_in_cache_dir_arg(tmp_path: Path) -> None:
    """A ~ in --cache-dir expands against HOME of the given environment."""
    found = cache.locate(
        "py", cache_dir_arg="~/pc", no_cache=False, env={"HOME": str(tmp_path)}, query=FakeQuery()
    )
    assert found == tmp_path / "pc"


@pytest.mark.parametrize("value", ["1", "true", "off", "false", "No"])
def test_locate_no_cache_dir_env(value: str) -> None:
    """PIP_NO_CACHE_DIR with any valid boolean (even 'false', as pip does) disables the cache."""
    query = FakeQuery(0, "/x\n")
    assert (
        cache.locate(
            "py", cache_dir_arg=None, no_cache=False, env={"PIP_NO_CACHE_DIR": value}, query=query
        )
        is None
    )
    assert query.calls == []


def test_locate_no_cache_flag() -> None:
    """--no-cache-dir means no cache."""
    assert cache.locate("py", cache_dir_arg=None, no_cache=True, env={}, query=FakeQuery()) is None


def test_locate_asks_pip_cache_dir() -> None:
    """Otherwise `python -m pip cache dir` decides, with the given environment."""
    query = FakeQuery(0, "WARNING: something\n/home/u/.cache/pip\n")
    env = {"PIP_CACHE_DIR": "/ignored"}
    found = cache.locate(
        "/venv/bin/python", cache_dir_arg=None, no_cache=False, env=env, query=query
    )
    assert found == Path("/home/u/.cache/pip")
    argv, seen_env = query.calls[0]
    assert argv[:5] == ["/venv/bin/python", "-m", "pip", "cache", "dir"]
    assert seen_env == env


def test_locate_falls_back_to_pip_cache_dir_env(tmp_path: Path) -> None:
    """When `pip cache dir` fails (pip < 20.1), PIP_CACHE_DIR is used."""
    found = cache.locate(
        "py",
        cache_dir_arg=None,
        no_cache=False,
        env={"PIP_CACHE_DIR": str(tmp_path)},
        query=FakeQuery(1, ""),
    )
    assert found == tmp_path


def test_locate_falls_back_to_platform_default(tmp_path: Path) -> None:
    """Without anything else, the platform default (XDG on Linux) is used."""
    env = {"HOME": str(tmp_path), "XDG_CACHE_HOME": str(tmp_path / "xdg")}
    found = cache.locate("py", cache_dir_arg=None, no_cache=False, env=env, query=FakeQuery(2))
    expected = cache.default_cache_dir(env)
    assert found == expected


@pytest.mark.parametrize(
    ("platform", "env", "expected"),
    [
        ("linux", {"HOME": "/h"}, "/h/.cache/pip"),
        ("linux", {"HOME": "/h", "XDG_CACHE_HOME": "/x"}, "/x/pip"),
        ("darwin", {"HOME": "/h"}, "/h/Library/Caches/pip"),
        (
            "win32",
            {"LOCALAPPDATA": "C:/Users/u/AppData/Local"},
            "C:/Users/u/AppData/Local/pip/Cache",
        ),
    ],
)
def test_default_cache_dir(platform: str, env: dict[str, str], expected: str) -> None:
    """The platform defaults match platformdirs' user_cache_dir('pip')."""
    assert cache.default_cache_dir(env, platform) == Path(expected)
