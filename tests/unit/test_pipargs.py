"""Splitting safepip's options from pip's, and building pip's argv."""

from __future__ import annotations

import pytest

from safepip.errors import UsageError
from safepip.model import Options
from safepip.pipargs import build_argv, default_python, inspect, split_install_args


def test_pip_arguments_pass_through_untouched() -> None:
    """Everything from the first non-safepip token on goes to pip, in order."""
    options, pip_args = split_install_args(
        ["--attempts", "2", "-r", "req.txt", "--retries", "9", "x;rm -rf /"], {}
    )
    assert options.attempts == 2
    assert pip_args == ["-r", "req.txt", "--retries", "9", "x;rm -rf /"]


def test_inline_values_and_flags() -> None:
    """--flag=value and boolean flags are understood."""
    options, pip_args = split_install_args(
        ["--time-budget=30", "--no-remedy", "--report-json", "r.json", "demo"], {}
    )
    assert options == Options(time_budget=30.0, no_remedy=True, report_json="r.json")
    assert pip_args == ["demo"]


def test_double_dash_ends_safepip_options() -> None:
    """`--` hands a token that looks like a safepip option to pip."""
    options, pip_args = split_install_args(["--", "--attempts", "3"], {})
    assert options == Options()
    assert pip_args == ["--attempts", "3"]


@pytest.mark.parametrize(
    ("argv", "moved"),
    [
        (["six", "--attempts", "3"], "safepip install --attempts 3 six"),
        (
            ["--no-explain", "-r", "r.txt", "--time-budget=60", "-q"],
            "safepip install --no-explain --time-budget=60 -r r.txt -q",
        ),
        (["-r", "r.txt", "--no-explain"], "safepip install --no-explain -r r.txt"),
    ],
)
def test_a_safepip_option_after_pips_arguments_is_refused_with_the_fix(
    argv: list[str], moved: str
) -> None:
    """pip would reject it (`no such option`): safepip says where it goes instead."""
    with pytest.raises(UsageError) as caught:
        split_install_args(argv, {})
    assert caught.value.hint is not None
    assert caught.value.hint.endswith(moved)


def test_what_double_dash_passes_goes_to_pip() -> None:
    """Anything after `--` stays pip's; `--python` after pip's arguments is refused.

    pip would refuse it too: it takes its own `--python` only before its subcommand.
    """
    with pytest.raises(UsageError) as caught:
        split_install_args(["six", "--python", "/usr/bin/python3"], {})
    assert caught.value.hint is not None
    assert caught.value.hint.endswith("safepip install --python /usr/bin/python3 six")
    assert split_install_args(["--", "six", "--attempts", "3"], {})[1] == ["six", "--attempts", "3"]
    assert split_install_args(["six", "--", "--attempts"], {})[1] == ["six", "--", "--attempts"]


def test_environment_sets_defaults_and_command_line_wins() -> None:
    """SAFEPIP_* variables apply unless the command line says otherwise."""
    env = {"SAFEPIP_ATTEMPTS": "7", "SAFEPIP_NO_REMEDY": "yes", "SAFEPIP_BACKOFF": "0.5"}
    options, _ = split_install_args(["--attempts", "2", "demo"], env)
    assert options.attempts == 2
    assert options.no_remedy is True
    assert options.backoff_base == 0.5


@pytest.mark.parametrize(
    ("argv", "env"),
    [
        (["--attempts", "0", "x"], {}),
        (["--attempts", "many", "x"], {}),
        (["--time-budget", "-1", "x"], {}),
        (["--report-json"], {}),
        (["x"], {"SAFEPIP_NO_REMEDY": "perhaps"}),
        (["x"], {"SAFEPIP_MAX_WAIT": "nan"}),
    ],
)
def test_bad_values_are_usage_errors(argv: list[str], env: dict[str, str]) -> None:
    """Bad values raise UsageError naming the option, never a traceback."""
    with pytest.raises(UsageError):
        split_install_args(argv, env)


def test_inspect_reads_cache_log_and_quiet() -> None:
    """Facts about the user's own pip options are read, not changed."""
    facts = inspect(["-qq", "--cache-dir=/c", "--log", "/l.txt", "demo"], {})
    assert facts.cache_dir == "/c"
    assert facts.log == "/l.txt"
    assert facts.quiet is True
    assert facts.no_cache is False
    assert inspect(["demo"], {"PIP_NO_CACHE_DIR": "true"}).no_cache is True
    assert inspect(["--no-cache-dir", "demo"], {}).no_cache is True
    assert inspect(["demo"], {}).quiet is False


def test_build_argv_adds_no_input_log_and_remedies_last() -> None:
    """--no-input and --log come first; remedy options come after the user's, before `--`."""
    argv = build_argv("py", ["demo", "--cache-dir", "/c"], log_path="/l", extra=["--no-cache-dir"])
    assert argv == [
        "py",
        "-m",
        "pip",
        "install",
        "--no-input",
        "--log",
        "/l",
        "demo",
        "--cache-dir",
        "/c",
        "--no-cache-dir",
    ]
    argv = build_argv("py", ["-r", "r.txt", "--", "x"], log_path=None, extra=["--no-cache-dir"])
    assert argv == [
        "py",
        "-m",
        "pip",
        "install",
        "--no-input",
        "-r",
        "r.txt",
        "--no-cache-dir",
        "--",
        "x",
    ]


def test_default_python_prefers_the_active_venv(tmp_path: object) -> None:
    """VIRTUAL_ENV's interpreter is driven when it exists, else safepip's own."""
    from pathlib import Path

    venv = Path(str(tmp_path))
    (venv / "bin").mkdir()
    (venv / "bin" / "python").write_text("")
    assert default_python({"VIRTUAL_ENV": str(venv)}, "/usr/bin/python3") == str(
        venv / "bin" / "python"
    )
    assert (
        default_python({"VIRTUAL_ENV": str(venv / "missing")}, "/usr/bin/python3")
        == "/usr/bin/python3"
    )
    assert default_python({}, "/usr/bin/python3") == "/usr/bin/python3"


def test_index_url_is_the_command_line_option_only() -> None:
    """-i/--index-url, the last one given; PIP_INDEX_URL and pip.conf are pipfacts' to read."""
    assert (
        inspect(["-i", "http://127.0.0.1:1/simple", "x"], {}).index_url
        == "http://127.0.0.1:1/simple"
    )
    assert (
        inspect(["--index-url=http://h/s", "x"], {"PIP_INDEX_URL": "http://e/s"}).index_url
        == "http://h/s"
    )
    assert inspect(["x"], {"PIP_INDEX_URL": "http://e/s"}).index_url is None
    assert inspect(["x"], {}).index_url is None


def test_carried_env_maps_cache_and_index_options() -> None:
    """The user's cache and index options become PIP_* variables for safepip's own pip runs."""
    from safepip.pipargs import carried_env

    env = carried_env(
        [
            "--cache-dir",
            "/c",
            "--trusted-host",
            "a",
            "--trusted-host=b",
            "-f",
            "/w",
            "--extra-index-url",
            "http://x/simple",
            "--no-index",
            "demo",
        ]
    )
    assert env == {
        "PIP_CACHE_DIR": "/c",
        "PIP_TRUSTED_HOST": "a b",
        "PIP_FIND_LINKS": "/w",
        "PIP_EXTRA_INDEX_URL": "http://x/simple",
        "PIP_NO_INDEX": "1",
    }
    assert carried_env(["demo"]) == {}


def test_the_retries_pip_was_told() -> None:
    """``--retries N`` wins over ``PIP_RETRIES``; neither, or not a number: pip's default."""
    from safepip.pipargs import retries_setting

    assert retries_setting(["--retries", "1", "x"], {"PIP_RETRIES": "9"}) == 1
    assert retries_setting(["--retries=3", "x"], {}) == 3
    assert retries_setting(["x"], {"PIP_RETRIES": "9"}) == 9
    assert retries_setting(["x"], {}) is None
    assert retries_setting(["--retries", "many", "x"], {}) is None
