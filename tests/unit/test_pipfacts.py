"""``safepip.pipfacts``: pip's facts read once, the way pip reads them."""

from __future__ import annotations

import os
import re
import sys
from typing import TYPE_CHECKING

import pytest
from packaging.version import InvalidVersion, Version

from safepip import pipargs, pipfacts
from safepip.cache import layout

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from pathlib import Path

#: pip's strtobool words, in every case pip accepts.
VALID = ["1", "0", "true", "false", "FALSE", "yes", "No", "on", "off", "y", "n", "t", "f"]


def _config(*lines: str) -> pipfacts.PipConfig:
    text = "env_var:\nenv:\nglobal:\n  /etc/pip.conf, exists: True\n"
    return pipfacts.parse_config_debug(text + "".join(f"    {line}\n" for line in lines))


@pytest.mark.parametrize("word", VALID)
def test_strtobool_is_pips(word: str) -> None:
    """The same words as pip's strtobool, case-insensitive."""
    assert pipfacts.strtobool(word) is (word.lower() in {"1", "true", "yes", "on", "y", "t"})


@pytest.mark.parametrize("word", ["", "2", "maybe", " true"])
def test_strtobool_rejects_what_pip_rejects(word: str) -> None:
    """pip fails on these ("invalid truth value"), so do we; pip does not strip."""
    with pytest.raises(ValueError, match=r"\A"):
        pipfacts.strtobool(word)


@pytest.mark.parametrize("value", VALID)
def test_any_valid_no_cache_dir_value_disables_the_cache(value: str) -> None:
    """pip's compatibility quirk: PIP_NO_CACHE_DIR=false disables the cache as =true does."""
    assert pipfacts.cache_disabled({"PIP_NO_CACHE_DIR": value})
    assert pipfacts.cache_disabled({}, _config(f"global.no-cache-dir: {value}"))


@pytest.mark.parametrize("value", [None, "", "maybe"])
def test_an_unset_empty_or_invalid_no_cache_dir_leaves_the_cache_on(value: str | None) -> None:
    """pip drops empty values and fails on invalid ones; neither disables the cache."""
    env = {} if value is None else {"PIP_NO_CACHE_DIR": value}
    assert not pipfacts.cache_disabled(env)


@pytest.mark.parametrize("value", [*VALID, "", "maybe"])
def test_pipargs_and_the_cache_locator_agree_on_no_cache_dir(value: str) -> None:
    """pipargs and the cache locator agree with pip on every PIP_NO_CACHE_DIR value.

    The bug this fixed: with PIP_NO_CACHE_DIR=false pipargs said the cache was on while the
    cache locator (and pip) said off. Both now read one function.
    """
    env = {"PIP_NO_CACHE_DIR": value, "HOME": "/home/u"}

    def pip_cache_dir(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        return 0, "/home/u/.cache/pip\n"

    facts = pipargs.inspect(["demo"], env)
    root = layout.locate(
        "python", cache_dir_arg=None, no_cache=facts.no_cache, env=env, query=pip_cache_dir
    )
    alone = layout.locate(
        "python", cache_dir_arg=None, no_cache=False, env=env, query=pip_cache_dir
    )
    assert facts.no_cache is (root is None) is (alone is None)
    assert facts.no_cache is (value in VALID)


def test_switch_reads_env_then_install_then_global() -> None:
    """PIP_NO_INDEX wins over the files; [install] over [global]; bad or empty values are off."""
    both = _config("global.no-index: yes", "install.no-index: no")
    assert pipfacts.switch(both, {}, "no-index") is False
    assert pipfacts.switch(both, {"PIP_NO_INDEX": "1"}, "no-index") is True
    assert pipfacts.switch(_config("global.no-index: yes"), {}, "no-index") is True
    assert pipfacts.switch(None, {"PIP_NO_INDEX": "false"}, "no-index") is False
    assert pipfacts.switch(None, {"PIP_NO_INDEX": "maybe"}, "no-index") is False
    assert pipfacts.switch(None, {}, "no-index") is False


def test_configured_indexes_in_pips_precedence() -> None:
    """Options beat PIP_*, which beat [install], which beats [global]; command-line extras add."""
    files = _config(
        "global.index-url: https://global/simple",
        "global.extra-index-url: https://g1",
        "install.index-url: https://install/simple",
    )
    env = {"PIP_INDEX_URL": "https://env/simple", "PIP_EXTRA_INDEX_URL": "https://e1 https://e2"}
    assert pipfacts.configured_indexes(None, {}) == [pipfacts.DEFAULT_INDEX]
    assert pipfacts.configured_indexes(files, {}) == ["https://install/simple", "https://g1"]
    assert pipfacts.configured_indexes(files, env) == [
        "https://env/simple",
        "https://e1",
        "https://e2",
    ]
    assert pipfacts.configured_indexes(
        files, env, index_urls=["https://a", "https://opt"], extra_urls=["https://x"]
    ) == ["https://opt", "https://e1", "https://e2", "https://x"]


def test_read_config_asks_pip_config_debug() -> None:
    """One ``pip config debug`` question; a failing pip gives no configuration."""
    asked: list[list[str]] = []

    def pip(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        asked.append(list(argv))
        return 0, "global:\n  /etc/pip.conf, exists: True\n    global.index-url: https://m/\n"

    config = pipfacts.read_config("py", {}, pip)
    assert config is not None
    assert config.values == {"global.index-url": "https://m/"}
    assert asked[0][:5] == ["py", "-m", "pip", "config", "debug"]
    assert pipfacts.read_config("py", {}, lambda argv, env: (1, "")) is None


@pytest.mark.parametrize(
    ("text", "release"),
    [
        ("26.3", (26, 3)),
        ("22.0.4\n", (22, 0, 4)),
        ("24.1b1", (24, 1)),
        ("pip 23.2.1 from /venv/lib/python3.12/site-packages/pip (python 3.12)", (23, 2, 1)),
        ("", None),
        ("not a version", None),
        ("26.3garbage", None),
        ("1!2.0", (2, 0)),
        ("23.0.dev0", (23, 0)),
        ("24.0.post1", (24, 0)),
        ("25.1rc1+local.7", (25, 1)),
    ],
)
def test_parse_version(text: str, release: tuple[int, ...] | None) -> None:
    """Plain versions, pre-releases and ``pip --version`` lines; garbage gives None.

    The answer is packaging's ``Version(text).release`` (checked here), without importing it.
    """
    assert pipfacts.parse_version(text) == release
    token = re.search(r"\d+(?:\.\d+)*\S*", text)
    if token is not None:
        try:
            assert Version(token.group(0)).release == release
        except InvalidVersion:
            assert release is None


def test_pip_version_asks_the_target_interpreter() -> None:
    """The version of the target's pip; a failing interpreter gives None."""
    answers = {"good": (0, "25.1\n"), "broken": (1, "")}

    def query(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        assert argv[1:] == ["-c", "import pip; print(pip.__version__)"]
        return answers[argv[0]]

    assert pipfacts.pip_version("good", {}, query) == (25, 1)
    assert pipfacts.pip_version("broken", {}, query) is None


def _venv(root: Path, *pips: str, windows: bool = False) -> str:
    """A venv layout (no interpreter in it) whose site-packages holds these pip dist-infos."""
    root.mkdir()
    (root / "pyvenv.cfg").write_text("home = /usr/bin\n")
    site = root / ("Lib/site-packages" if windows else "lib/python3.11/site-packages")
    for version in pips:
        (site / f"pip-{version}.dist-info").mkdir(parents=True)
    python = root / ("Scripts/python.exe" if windows else "bin/python")
    python.parent.mkdir(parents=True, exist_ok=True)
    return str(python)


def _never(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
    raise AssertionError(f"asked {list(argv)}")


def test_a_venvs_pip_version_is_read_without_starting_it(tmp_path: Path) -> None:
    """A venv's one pip dist-info names the version: no interpreter is started."""
    assert pipfacts.pip_version(_venv(tmp_path / "a", "26.3"), {}, _never) == (26, 3)
    assert pipfacts.pip_version(_venv(tmp_path / "w", "24.0", windows=True), {}, _never) == (24, 0)


def test_anything_else_asks_the_interpreter(tmp_path: Path) -> None:
    """No venv, two pips, none, or PYTHONPATH (which may put another pip first): pip is asked."""
    asked: list[str] = []

    def query(argv: Sequence[str], env: Mapping[str, str]) -> tuple[int, str]:
        asked.append(argv[0])
        return 0, "22.0.4\n"

    cases = [
        (str(tmp_path / "plain" / "bin" / "python"), {}),
        (_venv(tmp_path / "two", "24.0", "26.3"), {}),
        (_venv(tmp_path / "none"), {}),
        (_venv(tmp_path / "path", "26.3"), {"PYTHONPATH": "/elsewhere"}),
    ]
    for python, env in cases:
        assert pipfacts.pip_version(python, env, query) == (22, 0, 4)
    assert asked == [python for python, _ in cases]


def test_the_primary_index_comes_from_a_real_pip_conf(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The conflict search reads the index named in pip.conf, as the user's pip does.

    Real pip answers ``pip config debug`` here: its output is what :func:`read_config` parses.
    """
    from safepip import cli

    conf = tmp_path / "pip.conf"
    conf.write_text("[global]\nindex-url = http://127.0.0.1:9/mirror/simple/\n")
    for name in [n for n in os.environ if n.startswith("PIP_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PIP_CONFIG_FILE", str(conf))
    assert cli._primary_index(None, sys.executable) == "http://127.0.0.1:9/mirror/simple/"
    assert cli._primary_index("http://other/simple/", sys.executable) == "http://other/simple/"
    monkeypatch.setenv("PIP_INDEX_URL", "http://127.0.0.1:9/env/simple/")
    assert cli._primary_index(None, sys.executable) == "http://127.0.0.1:9/env/simple/"


def test_config_files_override_in_pips_order() -> None:
    """PIP_CONFIG_FILE beats site, site beats user, user beats global, whatever the print order."""
    text = (
        "env_var:\nenv:\n  /tmp/env.conf, exists: True\n    global.index-url: https://env/\n"
        "global:\n  /etc/pip.conf, exists: True\n    global.index-url: https://global/\n"
        "    global.timeout: 9\n"
        "site:\n  /venv/pip.conf, exists: True\n    global.retries: 2\n"
        "user:\n  /home/u/.config/pip/pip.conf, exists: True\n    global.retries: 7\n"
        "    global.timeout: 3\n"
    )
    config = pipfacts.parse_config_debug(text)
    assert config.values == {
        "global.index-url": "https://env/",
        "global.timeout": "3",
        "global.retries": "2",
    }
