"""``python -m safepip``."""

from safepip.cli import run

run()
