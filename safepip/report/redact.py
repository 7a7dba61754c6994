"""Remove credentials from text before safepip shows or stores it (docs/architecture.md).

One redactor for every output: the text report, the JSON report, CI annotations, the step
summary, GitLab section headers, ``doctor``, ``diagnose``, ``fix-requirements`` messages, and the
pip log that safepip keeps for the user. It masks:

- the userinfo of any URL, whatever it holds (quotes, ``<``, ``%``-escapes, several unescaped
  ``@``, any length): ``scheme://user:password@host`` keeps a plain user name and masks the
  password; a token-only userinfo (``https://TOKEN@host``) is masked whole, except the ssh user
  ``git``. The userinfo is everything from ``://`` to the last ``@`` before the end of the
  authority (the first whitespace, ``/`` or a backslash): a password with a raw ``@`` or quote
  is masked whole;
- ``user:password@host[:port]`` written without a scheme, as pip's ``--proxy`` takes it (a
  word of its own: the password is everything up to its last ``@``);
- secret-looking query parameters (``token``, ``access_token``, ``auth``, ``key``, ``apikey``,
  ``password``, ``secret``, ``sig``, ``signature``, every ``X-Amz-*``, any name ending in
  ``token``, ``secret``, ``password`` or ``key``...);
- ``Authorization:`` headers, ``Bearer`` tokens and the token formats of PyPI, GitHub, GitLab and
  AWS access keys.

Every scan is linear in the text: the URL scanner looks at each character a bounded number of
times, and the regular expressions have no nested or unbounded-then-constrained repetitions.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from safepip import lazyre
from safepip.files import open_regular, write_file

if TYPE_CHECKING:
    from collections.abc import Iterator

MASK = "****"

#: ``://`` and the authority after it, up to whitespace or a path (a raw backslash too, as
#: browsers do).
_AUTHORITY = lazyre.compile(r"://(?=([^\s/\\]*))")
#: What may follow a host's port in running text: nothing, or closing punctuation.
_AUTHORITY_TAIL = lazyre.compile(r"[0-9]*[)\]'\",.;:!?>]*")
#: A user name shown in clear: plain characters, not too long, not token-like.
_PLAIN_USER = lazyre.compile(r"[A-Za-z0-9._~+%-]{1,64}")
_SSH_USERS = frozenset({"git", "hg", MASK})
#: ``?name=`` / ``&name=`` / ``;name=``: the start of a query parameter (names are short).
_PARAM = lazyre.compile(r"[?&;]([A-Za-z0-9_.\-\[\]]{1,64})=")
#: Where a parameter value ends.
_VALUE_END = lazyre.compile(r"[\s&#\"<>`]")
_SECRET_NAMES = frozenset(
    {
        "auth",
        "key",
        "apikey",
        "password",
        "passwd",
        "pwd",
        "pass",
        "secret",
        "sig",
        "signature",
        "code",
        "credential",
        "credentials",
        "session",
        "jwt",
    }
)
_SECRET_SUFFIXES = ("token", "secret", "password", "key", "signature", "credential")
_SECRET_PREFIXES = ("x-amz-", "x-goog-", "x_amz_")
#: Trailing punctuation that belongs to the sentence around a URL, not to a token.
_TRAILING = "'),.:;!?]"

_AUTH_HEADER = lazyre.compile(
    r"(?P<key>\b(?:Authorization|Proxy-Authorization)\s{0,4}[:=]\s{0,4}"
    r"(?:(?:Bearer|Basic|Token|token|Digest)\s{1,4})?)(?P<value>[^\s'\",]+)",
    re.IGNORECASE,
)
_BEARER = lazyre.compile(r"(?P<key>Bearer\s{1,4})(?P<value>[A-Za-z0-9._~+/=-]{8,})")
#: What ends a word that may be a ``user:password@host`` (with no scheme).
_WORD_END = frozenset(" \t\n\r\f\v'\"<>()[],=`")
#: The host part after the last ``@`` of such a word, sentence punctuation allowed after it.
_BARE_HOST = lazyre.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,252}(?::[0-9]{1,5})?[.:;!?]{0,3}")
_BARE_USER = lazyre.compile(r"[A-Za-z0-9._~%+-]{1,64}")
_TOKENS = lazyre.compile(
    r"(?:pypi-[A-Za-z0-9_-]{16,}|gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,}"
    r"|glpat-[A-Za-z0-9_-]{20,}|AKIA[0-9A-Z]{16}\b)"
)
_TOKEN_PREFIXES = ("pypi-", "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "AKIA")
#: The longest pip log line redacted whole; a longer one is replaced by a note.
MAX_LINE = 16 * 1024 * 1024
_DROPPED = b"[safepip: a line longer than 16 MB was left out]\n"
#: How much of a log is read and redacted at a time (whole lines).
_BLOCK = 1024 * 1024


def _token_like(name: str) -> bool:
    return len(name) >= 20 and any(c.isdigit() for c in name) and any(c.isalpha() for c in name)


def _mask_userinfo(userinfo: str) -> str:
    if not userinfo:
        return userinfo
    user, sep, _password = userinfo.partition(":")
    plain = (_PLAIN_USER.fullmatch(user) is not None and not _token_like(user)) or user == MASK
    if sep:
        return f"{user if plain else MASK}:{MASK}"
    return userinfo if userinfo in _SSH_USERS else MASK


def _cut_password(text: str, start: int, end: int) -> bool:
    """An authority without ``@`` whose ``:`` is not followed by a port: a URL cut mid-password."""
    colon = text.find(":", start, end)
    if colon < 0 or text.startswith("[", start):  # no colon, or an IPv6 literal
        return False
    if any(mark in text[start:colon] for mark in "?#"):  # a query or fragment, not a user name
        return False
    port = text[colon + 1 : end]
    return not port.isdigit() and port != MASK and not _AUTHORITY_TAIL.fullmatch(port)


def redact_userinfo(text: str) -> str:
    """Mask only the userinfo of URLs (see the module docstring); query strings stay.

    The install loop and ``diagnose`` classify pip's log through this: every URL fragment the
    classifier cuts out of a line (at a quote, a parenthesis, a length cap) is then free of
    userinfo, while signed query strings stay intact for the cache keys of a purge.
    """
    if "://" not in text:
        return text
    parts: list[str] = []
    copied = 0
    # the lookahead reads each authority once; matching resumes right after its `://`, so a
    # `/` that ends one authority may still start the next `://`
    for match in _AUTHORITY.finditer(text):
        start, end = match.start(1), match.end(1)
        authority = match.group(1)
        if "@" in authority:
            at = text.rfind("@", start, end)
            parts += [text[copied:start], _mask_userinfo(text[start:at])]
            copied = at
        elif ":" in authority and _cut_password(text, start, end):  # `https://u:secr` cut short
            colon = text.index(":", start, end)
            parts += [text[copied : colon + 1], MASK]
            copied = end
    if not parts:
        return text
    parts.append(text[copied:])
    return "".join(parts)


def _secret_name(name: str) -> bool:
    lowered = name.lower().strip("[]")
    return (
        lowered in _SECRET_NAMES
        or lowered.endswith(_SECRET_SUFFIXES)
        or lowered.startswith(_SECRET_PREFIXES)
    )


def _redact_query(text: str) -> str:
    parts: list[str] = []
    copied = 0
    for match in _PARAM.finditer(text):
        if match.start() < copied or not _secret_name(match.group(1)):
            continue
        start = match.end()
        end_match = _VALUE_END.search(text, start)
        end = end_match.start() if end_match else len(text)
        while end > start and text[end - 1] in _TRAILING:
            end -= 1
        if end > start and text[start:end] != MASK:
            parts += [text[copied:start], MASK]
            copied = end
    if not parts:
        return text
    parts.append(text[copied:])
    return "".join(parts)


def _redact_bare_userinfo(text: str) -> str:
    """Mask ``user:password@host[:port]`` words with no scheme (pip's ``--proxy`` form).

    The password is everything between the first ``:`` and the last ``@`` of the word (a raw
    ``@`` in it included); a URL with a scheme is :func:`redact_userinfo`'s. Each character is
    looked at a bounded number of times: the scan jumps from one ``@`` to the end of its word.
    """
    out: list[str] = []
    done = 0
    at = text.find("@")
    while at != -1:
        start = at
        while start > done and text[start - 1] not in _WORD_END:
            start -= 1
        end = at + 1
        while end < len(text) and text[end] not in _WORD_END:
            end += 1
        word = text[start:end]
        head, _, host = word.rpartition("@")
        user, colon, password = head.partition(":")
        if (
            colon
            and password
            and password != MASK
            and "://" not in word
            and _BARE_USER.fullmatch(user)
            and _BARE_HOST.fullmatch(host)
        ):
            out.append(text[done:start])
            out.append(f"{user}:{MASK}@{host}")
            done = end
        at = text.find("@", end)
    out.append(text[done:])
    return "".join(out)


def _keep_key(match: re.Match[str]) -> str:
    return match.group("key") + MASK


def redact(text: str) -> str:
    """Mask the credentials in ``text`` (pure, idempotent, linear in ``len(text)``).

    Args:
        text: any text safepip is about to print or write (pip output, URLs, messages).

    Returns:
        The text with passwords, tokens and secrets replaced by ``****``.

    Examples:
        >>> redact("https://alice:s3cret@pypi.example.org/simple/")
        'https://alice:****@pypi.example.org/simple/'
        >>> redact("https://ghp_aaaaaaaaaaaaaaaaaaaaaaaa@git.example.org/x.git")
        'https://****@git.example.org/x.git'
        >>> redact("https://files.example/f.whl?X-Amz-Signature=abc&v=1")
        'https://files.example/f.whl?X-Amz-Signature=****&v=1'
    """
    text = redact_userinfo(text)
    if "@" in text:
        text = _redact_bare_userinfo(text)
    if "=" in text:
        text = _redact_query(text)
    if "authorization" in text.lower():  # a cheap test first: the pattern ignores case
        text = _AUTH_HEADER.sub(_keep_key, text)
    text = _BEARER.sub(_keep_key, text)
    if any(prefix in text for prefix in _TOKEN_PREFIXES):
        text = _TOKENS.sub(MASK, text)
    return text


def redact_data(value: Any) -> Any:  # noqa: ANN401 - any JSON-shaped value
    """Redact every string in a JSON-shaped value (dicts, lists, tuples; keys too).

    Redacting the strings before ``json.dumps`` keeps the document valid whatever a secret holds.
    """
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        return {redact_data(key): redact_data(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_data(item) for item in value]
    return value


def has_secrets(text: str) -> bool:
    """True when :func:`redact` would change ``text``."""
    return redact(text) != text


def redact_file(path: str) -> bool:
    """Redact a log file that safepip asked pip to write, in place, through the one writer.

    The file is read in blocks of whole lines (at most :data:`MAX_LINE` bytes of one line in
    memory) and replaced atomically; a longer line is replaced by a note. Never call it on a
    user's file.

    Returns:
        True when something was masked.

    Raises:
        OSError: the file could not be read or rewritten (it is then left as it was).
    """
    changed = False

    def blocks() -> Iterator[bytes]:
        nonlocal changed
        pending = bytearray()  # the start of a line whose end is not read yet
        skipping = False  # inside a line too long to keep: drop it up to its end
        with open_regular(path) as stream:
            while chunk := stream.read(_BLOCK):
                cut = chunk.rfind(b"\n") + 1
                if skipping:
                    first = chunk.find(b"\n") + 1
                    if not first:
                        continue
                    skipping, chunk, cut = False, chunk[first:], cut - first
                if not cut:  # no line ends in this chunk
                    pending += chunk
                    if len(pending) > MAX_LINE:
                        changed, skipping = True, True
                        pending.clear()
                        yield _DROPPED
                    continue
                block = bytes(pending + chunk[:cut])
                pending = bytearray(chunk[cut:])
                yield _redact_bytes(block)
        if pending and not skipping:
            yield _redact_bytes(bytes(pending))

    def _redact_bytes(block: bytes) -> bytes:
        nonlocal changed
        text = block.decode("utf-8", errors="surrogateescape")
        masked = redact(text)
        if masked == text:
            return block
        changed = True
        return masked.encode("utf-8", errors="surrogateescape")

    write_file(path, blocks())
    return changed
