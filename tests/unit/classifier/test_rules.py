"""``safepip.classifier.rules``: the rule table is sound, complete, ordered and linear."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from safepip.classifier import classify, frames
from safepip.classifier import patterns as pat
from safepip.classifier import rules as sig
from safepip.classifier.normalize import MAX_LINE, clean_line
from safepip.model import FailureKind

CORPUS = Path(__file__).resolve().parents[2] / "data" / "pip-logs"

#: Kinds no rule names directly: the hash-block rule is refined into them (docs/failure-kinds.md §C).
DERIVED = {FailureKind.HASH_PIN_MISMATCH}


def _corpus_lines() -> list[str]:
    lines: set[str] = set()
    for path in sorted(CORPUS.glob("*/*.txt")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        lines.update(clean_line(raw) for raw in text.replace("\r\n", "\n").split("\n"))
    return sorted(line for line in lines if line)


CORPUS_LINES = _corpus_lines()


def _matches(rule: sig.Rule, line: str) -> bool:
    if not rule.errnos:
        return rule.pattern.search(line) is not None
    errno = pat.ERRNO_PATH.search(line)
    return bool(errno and errno.group(1) in rule.errnos and rule.pattern.search(errno.group(2)))


def test_every_kind_has_a_rule_and_a_hint() -> None:
    """Each failure kind is named by a rule (or derived from one) and has a hint."""
    named = {rule.kind for rule in sig.RULES}
    assert set(FailureKind) - named - {FailureKind.UNKNOWN} <= DERIVED
    assert set(sig.HINTS) == set(FailureKind)


def test_rules_are_verbose_and_cited() -> None:
    """Every pattern is compiled with re.VERBOSE and every rule cites its source."""
    for rule in sig.RULES:
        assert rule.pattern.flags & re.VERBOSE
        assert rule.source
        assert rule.needles


@pytest.mark.parametrize("rule", sig.RULES, ids=lambda r: f"{r.kind.value}:{r.source[:40]}")
def test_needles_gate_soundly_on_the_corpus(rule: sig.Rule) -> None:
    """Every corpus line a rule matches holds one of its needles.

    The needles are a cheap pre-filter: if they missed a line the pattern matches, the
    classifier would silently lose that signature. (TRIGGERS may miss context lines such as
    ``╰─> ...``; the line pip prints with ``ERROR:``/``error:`` next to them is found.)
    """
    missed = [
        line
        for line in CORPUS_LINES
        if _matches(rule, line) and not any(needle in line for needle in rule.needles)
    ]
    assert missed == []


def test_every_rule_fires_somewhere_in_the_corpus() -> None:
    """No dead rows: each rule matches at least one corpus line (or a listed example)."""
    examples = {
        "ssl-missing": "error: ssl-missing",
        "hashes-required": "ERROR: Can't verify hashes for these requirements",
    }
    dead = [
        rule.source
        for rule in sig.RULES
        if not any(_matches(rule, line) for line in CORPUS_LINES)
        and not _matches(rule, examples.get(rule.kind.value, ""))
    ]
    assert dead == []


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        # §D: Errno 2 decided by its path, before the generic Errno 2 row.
        (
            "ERROR: Could not install packages due to an OSError: [Errno 2] No such file or directory: '/home/u/.cache/pip/wheels/ab/cd/ef/0123/x-1.0-py3-none-any.whl'",
            "cache-corrupt",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 2] No such file or directory: '/v/lib/python3.11/site-packages/six-1.16.0.dist-info/RECORD'",
            "env-broken",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 2] No such file or directory: '/tmp/pip-unpack-x1/y.whl'",
            "temp-vanished",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 2] No such file or directory: '/tmp/build/80754af9/six_1/work'",
            "local-path-missing",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 2] No such file or directory: './dist/x.whl'",
            "local-path-missing",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 2] Aucun fichier ou dossier de ce type: '/tmp/pip-install-ab/x/setup.py'",
            "temp-vanished",
        ),
        # §B: the same Retrying line is config or transient by its inner error.
        (
            "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ProtocolError('Connection aborted.', FileNotFoundError(2, 'No such file or directory'))': /simple/x/",
            "network-config",
        ),
        (
            "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'ProtocolError('Connection aborted.', RemoteDisconnected('Remote end closed connection without response'))': /simple/x/",
            "network-transient",
        ),
        (
            "WARNING: Retrying (Retry(total=0, connect=None, read=None, redirect=None, status=None)) after connection broken by 'SSLError(SSLCertVerificationError(1, '[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed'))': /simple/x/",
            "ssl-cert",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 28] No space left on device",
            "disk-full",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [WinError 5] Access is denied: 'C:\\\\Users\\\\x\\\\AppData\\\\Local\\\\Temp\\\\pip-unpack-ab\\\\x.whl'",
            "temp-vanished",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [WinError 5] Access is denied: 'C:\\\\Python311\\\\Scripts\\\\pip.exe'",
            "permission",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 5] Input/output error",
            "unknown",
        ),
        (
            "ERROR: Could not install packages due to an OSError: [Errno 122] Disk quota exceeded",
            "disk-full",
        ),
        ("ValueError: check_hostname requires server_hostname", "network-config"),
        ("error: connection-timeout", "network-transient"),
        ("error: proxy-connection-failed", "network-config"),
        ("ERROR: HTTP error 403 while getting https://x/y.whl", "auth"),
        ("ERROR: HTTP error 503 while getting https://x/y.whl", "network-transient"),
    ],
)
def test_precedence(line: str, kind: str) -> None:
    """Table order decides between rules that match the same line (docs/failure-kinds.md §0)."""
    assert classify(line).kind.value == kind


@pytest.mark.parametrize(
    "fragment",
    [
        'File "/x/urllib3/response.py", line 1, in ',
        "pip-build-env-",
        "[Errno 2] No such file or directory: '",
        "Wheel 'x' located at ",
        "Skipping page ",
        "It looks like a path. File ",
        "ERROR: Could not install packages due to an OSError: [Errno 2] '",
        "HTTPSConnectionPool(host='x', port=443) ",
        "Found link ",
        "    x from ",
        "\x1b[",
        "#1 1.0 ",
    ],
)
def test_patterns_are_linear_on_hostile_lines(fragment: str) -> None:
    """A maximal line of a repeated rule prefix is matched by every pattern quickly."""
    line = (fragment * (MAX_LINE // len(fragment) + 1))[:MAX_LINE]
    patterns = [rule.pattern for rule in sig.RULES] + [
        pat.ERRNO_PATH,
        pat.INVALID_WHEEL,
        pat.HASH_REQ,
        pat.HASH_REQ_BARE,
        pat.FETCH,
        pat.FOUND_LINK,
        pat.PAGE_URL,
        pat.URL,
        pat.POOL_URL,
        *pat.PACKAGE,
        *(rule.pattern for rule in frames.FRAME_RULES),
    ]
    start = time.perf_counter()
    for pattern in patterns:
        pattern.search(line)
    assert time.perf_counter() - start < 1.0
