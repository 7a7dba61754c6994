"""A scripted stand-in for a Python with pip, for driving ``safepip install`` without real pip."""

from __future__ import annotations

from pathlib import Path


def fake_pip(tmp_path: Path, body: str) -> Path:
    """An executable that stands in for `python`: `fakepy -m pip install ...` runs ``body``.

    ``$LOG`` is the --log path from the arguments, else the console (stderr), as pip writes
    its messages to both; ``$ARGS_FILE`` records every invocation.
    """
    script = tmp_path / "fakepy"
    script.write_text(
        "#!/usr/bin/env bash\n"
        'LOG=/dev/stderr; prev=""\n'
        'for a in "$@"; do [ "$prev" = "--log" ] && LOG="$a"; prev="$a"; done\n'
        f'ARGS_FILE="{tmp_path}/calls.txt"\n'
        'echo "$*" >> "$ARGS_FILE"\n' + body
    )
    script.chmod(0o755)
    return script
