"""Writes and credentials under attack, with real pip against the fault index (issue 12).

Real pip prints some secrets itself: a ``?token=`` query string on every version, and the
userinfo of a direct URL in some lines. What pip prints on its own console is pip's; what
safepip prints (its ``safepip:`` lines, the JSON report, the pip log it keeps) must hold none.
The report is written next to a symlink planted at its old temp name ``PATH.tmp``.
"""

from __future__ import annotations

import json
import subprocess
from typing import TYPE_CHECKING

import pytest
from support import pips
from support.runs import run_cli

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from support.indexserver import FaultIndex

pytestmark = pytest.mark.integration

PASSWORD = "pw'Q7X<p@ss"
TOKEN = "tokQ7XZ9Kvalue"


def _safepip(python: Path, tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = pips.isolated_env({"PIP_CACHE_DIR": str(tmp_path / "env-cache")})
    return run_cli(["install", "--python", str(python), *args], env=env, cwd=tmp_path, timeout=180)


def _safepip_lines(output: str) -> str:
    return "\n".join(line for line in output.splitlines() if line.startswith("safepip:"))


@pytest.mark.parametrize("own_log", [False, True], ids=["safepip-log", "user-log"])
def test_secrets_in_a_failing_direct_url_stay_out_of_safepip_output(
    pip_python: Path,
    tmp_path: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
    own_log: bool,
) -> None:
    index = fault_index(demo_dists)
    index.fail("/files/*", status=403, times=20)
    netloc = index.base_url.replace("http://", f"http://alice:{PASSWORD}@")
    url = f"{netloc}/files/{demo_dists[1].name}?token={TOKEN}"
    victim = tmp_path / "victim"
    victim.write_text("precious\n")
    report = tmp_path / "report.json"
    (tmp_path / "report.json.tmp").symlink_to(victim)
    mine = tmp_path / "mine.log"
    pip_args = [
        *pips.common_args(index.url, tmp_path / "cache", retries=0, no_input=False),
        "--target",
        str(tmp_path / "target"),
        f"dep @ {url}",
        *(["--log", str(mine)] if own_log else []),
    ]
    done = _safepip(pip_python, tmp_path, "--report-json", str(report), "--backoff", "0", *pip_args)
    assert done.returncode != 0, done.stderr
    assert victim.read_text() == "precious\n"
    ours = _safepip_lines(done.stderr) + _safepip_lines(done.stdout)
    text = report.read_text(encoding="utf-8")
    document = json.loads(text)
    for secret in (PASSWORD, TOKEN, "Q7X"):
        assert secret not in ours, ours
        assert secret not in text
    if own_log:
        assert document["unredacted_log"] == str(mine)
        assert TOKEN in mine.read_text(encoding="utf-8")  # the user's file is never edited
        assert "may hold credentials" in ours


def test_the_pip_log_safepip_keeps_is_redacted(
    pip_python: Path,
    tmp_path: Path,
    fault_index: Callable[..., FaultIndex],
    demo_dists: list[Path],
) -> None:
    """The pip log that safepip keeps is redacted in place.

    A page that keeps failing leaves the kind open on the console, so safepip asks pip for
    --log; pip writes the ``?token=`` URL into it.
    """
    index = fault_index(demo_dists)
    index.fail("/simple/demo/*", status=503, times=50)
    links = f"{index.page_url('demo')}?token={TOKEN}"
    args = ["--attempts", "2", "--backoff", "0", "--report-json", str(tmp_path / "r.json")]
    pip_args = [
        "--no-index",
        "--find-links",
        links,
        "--trusted-host",
        "127.0.0.1",
        "--cache-dir",
        str(tmp_path / "cache"),
        "--target",
        str(tmp_path / "target"),
        "--retries",
        "0",
        "demo",
    ]
    done = _safepip(pip_python, tmp_path, *args, *pip_args)
    assert done.returncode != 0, done.stderr
    document = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    kept = document["log_path"]
    assert kept is not None, done.stderr
    text = (tmp_path / kept).read_text(encoding="utf-8")
    assert TOKEN not in text
    assert "token=****" in text
    assert pips.mentions_status(text, 503)
    assert TOKEN not in _safepip_lines(done.stderr)
