"""Remove credentials from text before safepip shows or stores it (docs/architecture.md §5).

:func:`redact` is pure and idempotent; every text and JSON output of safepip passes through it.
It masks, as pip's own ``redact_auth_from_url`` does, the password of ``user:password@`` in URLs
(the user stays visible) and a lone ``token@`` user part; and, beyond pip, secrets in query
strings (``?token=...``), ``Authorization:`` headers and the token formats of PyPI, GitHub and
GitLab. Every pattern has bounded repetitions, so the cost is linear in the text.
"""

from __future__ import annotations

import re

MASK = "****"

# scheme://userinfo@host : the userinfo runs to the last "@" before the path.
_USERINFO = re.compile(
    r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]{0,30}://)(?P<userinfo>[^\s/?#@'\"<>]{1,512}"
    r"(?:@[^\s/?#@'\"<>]{1,512}){0,3})@(?=[^\s@/?#'\"<>]{1,512})"
)
_QUERY_SECRET = re.compile(
    r"(?P<key>[?&;](?:[\w.-]{0,40}token|auth|api[_-]?key|apikey|key|password|passwd|pwd|secret"
    r"|sig|signature|x-amz-signature|x-amz-credential|x-amz-security-token|code)=)"
    r"(?P<value>[^&;#\s'\"<>]{1,4096})",
    re.IGNORECASE,
)
_AUTH_HEADER = re.compile(
    r"(?P<key>\b(?:Authorization|Proxy-Authorization)\s{0,4}[:=]\s{0,4}"
    r"(?:(?:Bearer|Basic|Token|token)\s{1,4})?)(?P<value>[^\s'\",]{1,4096})",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<key>\bBearer\s{1,4})(?P<value>[A-Za-z0-9._~+/=-]{8,4096})")
_TOKENS = re.compile(
    r"\b(?:pypi-[A-Za-z0-9_-]{16,4096}|gh[pousr]_[A-Za-z0-9]{20,255}|github_pat_[A-Za-z0-9_]{20,255}"
    r"|glpat-[A-Za-z0-9_-]{20,255}|AKIA[0-9A-Z]{16})\b"
)


def _userinfo(match: re.Match[str]) -> str:
    user, sep, _password = match.group("userinfo").partition(":")
    if sep:
        return f"{match.group('scheme')}{user}:{MASK}@"
    if user in {"git", MASK}:  # ssh-style user names carry no secret
        return match.group(0)
    return f"{match.group('scheme')}{MASK}@"


def _keep_key(match: re.Match[str]) -> str:
    return match.group("key") + MASK


def redact(text: str) -> str:
    """Mask the credentials in ``text``.

    Args:
        text: any text safepip is about to print or write (pip output, URLs, messages).

    Returns:
        The text with passwords, tokens and secrets replaced by ``****``.

    Examples:
        >>> redact("https://alice:s3cret@pypi.example.org/simple/")
        'https://alice:****@pypi.example.org/simple/'
        >>> redact("https://ghp_aaaaaaaaaaaaaaaaaaaaaaaa@git.example.org/x.git")
        'https://****@git.example.org/x.git'
    """
    if "@" in text and "://" in text:
        text = _USERINFO.sub(_userinfo, text)
    if "=" in text:
        text = _QUERY_SECRET.sub(_keep_key, text)
    text = _AUTH_HEADER.sub(_keep_key, text)
    text = _BEARER.sub(_keep_key, text)
    return _TOKENS.sub(MASK, text)
