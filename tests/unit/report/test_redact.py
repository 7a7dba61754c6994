"""``safepip.report.redact.redact``: credentials never reach safepip's output (docs/architecture.md §5)."""

from __future__ import annotations

from pathlib import Path

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


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("https://u:pa'ss@host.example/simple", "pa'ss"),
        ('https://u:pa"ss@host.example/simple', 'pa"ss'),
        ("https://u:pa<ss>@host.example/simple", "pa<ss>"),
        ("https://u:p%40ss%3A@host.example/simple", "p%40ss%3A"),
        ("https://u:a@b@c@d@e@host.example/simple", "a@b@c@d@e"),
        ("https://u:" + "L" * 5000 + "@host.example/simple", "L" * 5000),
        ("https://" + "T" * 5000 + "@host.example/simple", "T" * 5000),
        ("https://TOKEN123@host.example/simple", "TOKEN123"),
        ("(https://alice:cut-password", "cut-password"),
        (
            "https://0123456789abcdef0123456789abcdef:x-oauth-basic@github.com/o/r",
            "0123456789abcdef",
        ),
        ("https://h.example/f?token=" + "V" * 5000 + "&x=1", "V" * 5000),
        ("https://h.example/f?Api_Key=k3y", "k3y"),
        ("https://h.example/f?X-Amz-Credential=AKID%2F20240101", "AKID"),
        ("https://h.example/f?private_token=glp4&x=1", "glp4"),
        ("pypi-" + "A" * 5000, "A" * 5000),
    ],
)
def test_masks_what_old_redaction_missed(text: str, secret: str) -> None:
    """Quotes, `<`, escapes, several `@`, past 512 chars, token-only, cut URLs, long queries."""
    out = redact(text)
    assert secret not in out
    assert MASK in out


def test_a_query_right_after_the_scheme_is_no_user_name() -> None:
    """``://?token=...:`` has no authority: the token is masked once, and again changes nothing."""
    text = ":&://?token=://@" * 3
    once = redact(text)
    assert "://@" not in once
    assert redact(once) == once


def test_ports_ipv6_and_plain_urls_stay() -> None:
    text = "http://127.0.0.1:8080/simple/ and https://[::1]:443/x (see http://host:80)."
    assert redact(text) == text


_HOSTILE = st.lists(
    st.sampled_from(["://", "@", ":", "?token=", "&", "=", "a", "/", " ", "Bearer ", "pypi-", "'"]),
    min_size=1,
    max_size=12,
)


@settings(max_examples=10, deadline=None)
@given(pieces=_HOSTILE, repeat=st.integers(5_000, 20_000))
def test_linear_time_on_hostile_input(pieces: list[str], repeat: int) -> None:
    """Megabytes of repeated URL fragments redact in well under a second per megabyte.

    A quadratic scan would take hours on these inputs; the bound is a guard, not a goal.
    """
    import time

    text = "".join(pieces) * repeat
    started = time.perf_counter()
    once = redact(text)
    elapsed = time.perf_counter() - started
    assert elapsed < 60  # ~0.1 s here; a quadratic scan of a megabyte would take hours
    assert redact(once) == once


def test_redact_file_masks_in_place_and_keeps_other_bytes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Blocks of whole lines; bytes that are not UTF-8 survive; an endless line is left out."""
    from safepip.report import redact as module

    monkeypatch.setattr(module, "_BLOCK", 64)
    monkeypatch.setattr(module, "MAX_LINE", 256)
    log = tmp_path / "pip-2.log"
    log.write_bytes(
        b"\xff\xfe not utf-8 https://u:S1@h.example/\n"
        b"https://h.example/?token="
        + b"z" * 1000
        + b"TAIL\n"
        + b"ok line\nlast https://h.example/f?sig=S3"
    )
    assert module.redact_file(str(log)) is True
    data = log.read_bytes()
    assert data.startswith(b"\xff\xfe not utf-8 https://u:****@h.example/\n")
    assert b"S1" not in data
    assert b"TAIL" not in data
    assert b"S3" not in data
    assert b"a line longer than 16 MB was left out" in data
    assert data.endswith(b"ok line\nlast https://h.example/f?sig=****")
    assert module.redact_file(str(log)) is False


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("--proxy alice:S3cret@proxy.local:3128", "--proxy alice:****@proxy.local:3128"),
        ("--proxy=alice:S3cret@proxy:3128 -r r.txt", "--proxy=alice:****@proxy:3128 -r r.txt"),
        ("proxy 'bob:p%40ss:w0rd@10.0.0.1:8080'", "proxy 'bob:****@10.0.0.1:8080'"),
        ("--proxy=user:p@ss@proxy.corp:8080", "--proxy=user:****@proxy.corp:8080"),
        ("proxy user:secret@10.0.0.1:3128.", "proxy user:****@10.0.0.1:3128."),
        ("[user:pass@host]", "[user:****@host]"),
        ("git@github.com:org/repo.git", "git@github.com:org/repo.git"),
        ("demo @ file:///tmp/demo", "demo @ file:///tmp/demo"),
    ],
)
def test_a_proxy_password_without_a_scheme_is_masked(text: str, expected: str) -> None:
    """pip's --proxy takes `user:password@host:port`: no `://` to find the userinfo by."""
    assert redact(text) == expected
    assert redact(expected) == expected
