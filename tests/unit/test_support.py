"""Helpers the integration tests read pip's output with (tests/support/pips.py)."""

from __future__ import annotations

import pytest
from support import pips


@pytest.mark.parametrize(
    ("output", "expected"),
    [
        ("Looking in indexes: http://127.0.0.1:35031/simple", False),
        ("Looking in indexes: http://127.0.0.1:50300/simple", False),
        ("ERROR: ... (from versions: none)", False),
        ("Retrying ... after connection broken by 'too many 503 error responses'", True),
        ("HTTP error 503 while getting http://127.0.0.1:35031/files/demo.whl", True),
        ("503", True),
    ],
)
def test_a_status_counts_only_as_a_number_of_its_own(output: str, expected: bool) -> None:
    assert pips.mentions_status(output, 503) is expected
