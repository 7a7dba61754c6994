"""Where the user wrote each requirement: file and line, or the command line (issue 17)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from safepip.install.origins import COMMAND_LINE, requirement_origins

if TYPE_CHECKING:
    from pathlib import Path


def test_files_lines_nested_files_and_the_command_line(tmp_path: Path) -> None:
    reqs = tmp_path / "reqs"
    reqs.mkdir()
    (reqs / "base.txt").write_text("# base\nRequests[socks]>=2 ; python_version>'3'\n", "utf-8")
    (reqs / "dev.txt").write_text(
        "-r base.txt\n\n./libs/mypkg\n-e ../editable\nlong-name \\\n  ==1.0\n"
        "conda-pkg @ file:///tmp/build/80754af9/x_1/work\n",
        "utf-8",
    )
    found = requirement_origins(
        ["-i", "http://x/simple", "--target", "T", "-r", "reqs/dev.txt", "cli-pkg==1", "-e./e"],
        cwd=tmp_path,
    )
    assert found["requests"] == "reqs/base.txt, line 2"
    assert found["./libs/mypkg"] == "reqs/dev.txt, line 3"
    assert found["../editable"] == "reqs/dev.txt, line 4"
    assert found["long-name"] == "reqs/dev.txt, line 5"
    assert found["conda-pkg"] == "reqs/dev.txt, line 7"
    assert found["/tmp/build/80754af9/x_1/work"] == "reqs/dev.txt, line 7"
    assert found["cli-pkg"] == COMMAND_LINE
    assert found["./e"] == COMMAND_LINE
    assert "http://x/simple" not in found
    assert "T" not in found


def test_unreadable_inputs_are_skipped(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "fifo")  # never opened: reading it would block
    (tmp_path / "loop.txt").write_text("-r loop.txt\nok\n", "utf-8")
    found = requirement_origins(
        ["-r", "fifo", "-r", "missing.txt", "-r", "loop.txt", "-r"], cwd=tmp_path
    )
    assert found == {"ok": "loop.txt, line 2"}
