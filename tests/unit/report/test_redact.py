"""``safepip.report.redact.redact``: credentials never reach safepip's output (docs/architecture.md §5)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from safepip.report.redact import MASK, redact


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Looking in indexes: https://alice:s3cret@pypi.example.org/simple/",
            "Looking in indexes: https://alice:****@pypi.example.org/simple/",
        ),
        ("https://tok3n@gitlab.example.org/simple/", "https://****@gitlab.example.org/simple/"),
        (
            "https://aws:eyJhbGci.x-y_z@d-1.codeartifact.aws/pypi/",
            "https://aws:****@d-1.codeartifact.aws/pypi/",
        ),
        ("https://u:p@ss@host.example/simple", "https://u:****@host.example/simple"),
        (
            "https://idx.example/simple/?token=abc123&x=1",
            "https://idx.example/simple/?token=****&x=1",
        ),
        (
            "https://s3.example/f.whl?X-Amz-Signature=deadbeef",
            "https://s3.example/f.whl?X-Amz-Signature=****",
        ),
        ("Authorization: Bearer abcdefghijklmnop", "Authorization: Bearer ****"),
        (
            "PIP_INDEX_URL=https://__token__:pypi-AgEIcHlwaS5vcmc@x.example/",
            "PIP_INDEX_URL=https://__token__:****@x.example/",
        ),
        ("token ghp_0123456789abcdefghijABCDEFGHIJ012345 leaked", f"token {MASK} leaked"),
        ("glpat-abcdefghij0123456789", MASK),
    ],
)
def test_masks_credentials(text: str, expected: str) -> None:
    """Passwords, lone token users, query secrets, auth headers and known token formats are masked."""
    assert redact(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "Collecting demo==1.0",
        "http://127.0.0.1:8765/simple/demo/",
        "git+ssh://git@github.com/pypa/pip.git",
        "mail me at user@example.com",
        "Got        e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "https://files.pythonhosted.org/packages/aa/bb/demo-1.0.whl#sha256=60f040178d7a71c6",
    ],
)
def test_leaves_ordinary_text_alone(text: str) -> None:
    """Text without credentials (plain URLs, ssh user 'git', e-mail, hashes) is unchanged."""
    assert redact(text) == text


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_idempotent(text: str) -> None:
    """Redacting twice changes nothing more than redacting once."""
    once = redact(text)
    assert redact(once) == once


@settings(max_examples=100, deadline=None)
@given(
    user=st.from_regex(r"[A-Za-z0-9_.-]{1,20}", fullmatch=True),
    password=st.from_regex(r"[A-Za-z0-9_.~!$%-]{1,40}", fullmatch=True),
    host=st.from_regex(r"[a-z][a-z0-9-]{0,20}\.example", fullmatch=True),
)
def test_password_never_survives(user: str, password: str, host: str) -> None:
    """Whatever the user and password, the password is gone and the host stays."""
    out = redact(f"ERROR: HTTP error 401 while getting https://{user}:{password}@{host}/simple/x/")
    assert f":{password}@" not in out
    assert f"{host}/simple/x/" in out
