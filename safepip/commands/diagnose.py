"""``safepip diagnose [LOG ...|-] [--json]``: classify saved pip or CI logs.

Each log (a file, or ``-`` for standard input; no argument reads a piped standard input and
is a usage error on a terminal) gets one result: the failure
kind, its retry policy, the evidence lines, the package, URLs and paths involved, what
``safepip install`` would do about it, and the next step for a human. Logs are read as bytes,
decoded as UTF-8 with replacement (UTF-16 when it starts with a byte-order mark, as PowerShell 5
redirections do), and at most :data:`MAX_BYTES` of each are read: the **last**
64 MB, because pip's decisive error is at the end (the result then says it was truncated).
Only regular files are read (a device, a FIFO or a directory is refused without blocking); a
log piped on standard input is read up to :data:`MAX_STDIN` (512 MB), keeping its last 64 MB,
and a closed standard input is a usage error. Of a log longer than a few MB, the classifier
reads what ``safepip install`` keeps of pip's output: the last 4 MB and the earlier lines that
carry its markers (memory stays a small multiple of that, whatever the log).
All output is passed through :func:`safepip.report.redact.redact`.

Exit status: 0 when a failure cause was identified in every log; 1 when some log had no
recognisable failure (kind ``unknown``, including an empty log or a successful run); 2 for a
usage error (:class:`~safepip.errors.UsageError`: a missing, unreadable or non-regular path,
a closed or endless standard input).

JSON document (``--json``), schema version 1::

    {
      "schema": 1,
      "results": [
        {
          "source": "<path as given, or '-' for standard input>",
          "kind": "<FailureKind value, e.g. 'cache-corrupt'>",
          "recognised": true,              # false when kind is 'unknown'
          "policy": "retry" | "after-remedy" | "stop",
          "rule": "<the signature's source: docs/failure-kinds.md section or pip issue>",
          "evidence": ["<decisive line>", ...],
          "package": "<name>" | null,
          "version": "<version>" | null,
          "urls": ["<file or index-page URL, without #fragment>", ...],
          "paths": ["<path implicated>", ...],
          "got_hash": "<sha256>" | null,
          "expected_hashes": ["<sha256>", ...],
          "from_cache": false,
          "nested": false,                 # decided inside a build step's nested output
          "remedy": "<what safepip install would do, one sentence>",
          "hint": "<the next step for a human>",
          "bytes_read": 1234,
          "truncated": false,              # true when only the last MAX_BYTES were read
          "conflict": ["<plain-words line>", ...]  # resolution-conflict only: who needs what
        }
      ]
    }

Keys are only ever added within a schema version; a change of meaning bumps ``schema``.
"""

from __future__ import annotations

import codecs
import json
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Union

from safepip.capture import MARKER_BYTES, READ_CHUNK, TAIL_BYTES, Capture
from safepip.classifier import classify
from safepip.conflicts.explain import explain, parse_conflict
from safepip.errors import UsageError
from safepip.files import NotRegularFile, TooLarge, read_input, reason
from safepip.install.planning import Context
from safepip.install.remedies import needs_debug_lines, plan
from safepip.model import Diagnosis, FailureKind
from safepip.report.json import diagnosis_json
from safepip.report.redact import redact, redact_data, redact_userinfo

if TYPE_CHECKING:
    import argparse
    from typing import TextIO

#: Bytes read per log (the tail of a longer one).
MAX_BYTES = 64 * 1024 * 1024
#: Bytes read at most from a log piped on standard input (its last MAX_BYTES are kept).
MAX_STDIN = 512 * 1024 * 1024
SCHEMA = 1

JSONValue = Union[str, int, bool, None, list[str]]


@dataclass(frozen=True)
class Result:
    """The diagnosis of one log and how it was read.

    Attributes:
        source: the path as given, or ``-``.
        diagnosis: the classifier's verdict.
        remedy: what ``safepip install`` would do, in one sentence.
        bytes_read: how many bytes were classified.
        truncated: True when the log was longer than :data:`MAX_BYTES`.
        conflict: for a resolution conflict, which requirements clash, in plain words.
    """

    source: str
    diagnosis: Diagnosis
    remedy: str
    bytes_read: int
    truncated: bool
    conflict: tuple[str, ...] = ()

    @property
    def recognised(self) -> bool:
        """True when a failure cause was identified."""
        return self.diagnosis.kind is not FailureKind.UNKNOWN


def configure(parser: argparse.ArgumentParser) -> None:
    """Add the ``diagnose`` arguments to ``parser``."""
    parser.add_argument(
        "logs",
        nargs="*",
        metavar="LOG",
        help="pip console output, pip --log file or CI log; '-' or nothing reads standard input",
    )
    parser.add_argument(
        "--json", action="store_true", help=f"write a JSON document (schema {SCHEMA}) to stdout"
    )


def run(options: argparse.Namespace, out: TextIO, err: TextIO) -> int:  # noqa: ARG001 - the subcommand contract
    """Diagnose every log named in ``options`` and write the results to ``out``.

    Returns:
        0 if every log had a recognised failure, 1 otherwise.

    Raises:
        UsageError: a log path is missing, a directory, or unreadable.
    """
    sources: list[str] = list(options.logs) or ["-"]
    if "-" in sources and (sys.stdin is None or sys.stdin.closed):
        raise UsageError(
            "standard input is closed: no log to read", hint="name a log file, or pipe one in"
        )
    if not options.logs and sys.stdin.isatty():
        raise UsageError(
            "no log to diagnose", hint="name a log file, or pipe one in: ... | safepip diagnose -"
        )
    results = [diagnose_source(source) for source in sources]
    if options.json:
        document = {"schema": SCHEMA, "results": [result_json(result) for result in results]}
        out.write(json.dumps(redact_data(document), indent=2, ensure_ascii=False) + "\n")
    else:
        for number, result in enumerate(results):
            if number:
                out.write("\n")
            out.write(redact(text_report(result, several=len(results) > 1)))
    return 0 if all(result.recognised for result in results) else 1


def diagnose_source(source: str) -> Result:
    """Read one log (path or ``-``) and classify it.

    Raises:
        UsageError: the path does not exist, is a directory, or cannot be read.
    """
    try:
        data, truncated = read_input(source, MAX_BYTES, tail=True, limit=MAX_STDIN)
    except TooLarge:
        raise UsageError(
            f"{_name(source)} holds more than {MAX_STDIN // (1024 * 1024)} MB",
            hint="save the log to a file: safepip reads the last 64 MB of a file",
        ) from None
    except NotRegularFile as exc:
        raise UsageError(
            f"{source}: {exc.strerror}", hint="name a log file, or '-' for stdin"
        ) from None
    except FileNotFoundError:
        raise UsageError(f"{source}: no such file", hint="name an existing log file") from None
    except OSError as exc:
        raise UsageError(f"{_name(source)}: cannot read: {reason(exc)}") from None
    text = _decode(data)
    if truncated:
        text = text.partition("\n")[2]  # the first line was cut in the middle
    text = redact_userinfo(_kept(text))  # no URL fragment the classifier cuts out keeps a password
    diagnosis = classify(text)
    conflict: tuple[str, ...] = ()
    if diagnosis.kind is FailureKind.RESOLUTION_CONFLICT:
        parsed = parse_conflict(text)
        conflict = tuple(explain(parsed)) if parsed is not None else ()
    return Result(source, diagnosis, describe_remedy(diagnosis), len(data), truncated, conflict)


def _kept(text: str) -> str:
    """What install keeps of pip's output, of a long log: its tail and its earlier marker lines.

    Classifying tens of MB line by line costs tens of times their size in memory; the decisive
    lines are at the end, and the earlier ones that explain it carry the classifier's markers
    (:class:`safepip.capture.Capture`).
    """
    if len(text) <= TAIL_BYTES + MARKER_BYTES:
        return text
    data = text.encode("utf-8", errors="replace")
    capture = Capture()
    for start in range(0, len(data), READ_CHUNK):
        capture.feed(data[start : start + READ_CHUNK])
    return capture.text()


def _decode(data: bytes) -> str:
    """UTF-8 with replacement; UTF-16 when a byte-order mark says so (PowerShell 5 ``>``)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return data.decode("utf-16", errors="replace")
    return data.decode("utf-8-sig", errors="replace")


def _name(source: str) -> str:
    return "standard input" if source == "-" else source


def describe_remedy(diagnosis: Diagnosis) -> str:
    """Say in one sentence what ``safepip install`` would do after this failure."""
    if diagnosis.kind is FailureKind.UNKNOWN and not diagnosis.evidence:
        return "nothing: no pip failure in this log"
    decision = plan(diagnosis, (), Context())
    if not decision.again:
        stop = f"stop ({decision.why})"
        if needs_debug_lines(diagnosis):  # as install does when pip ran without --log
            return (
                "if this is pip's console output, run pip once more with --log (its debug lines"
                " may show a 5xx, a reset connection or refused credentials); if they show"
                f" nothing more, {stop}"
            )
        return stop
    steps = [remedy.reason for remedy in decision.remedies]
    if diagnosis.kind is FailureKind.CACHE_CORRUPT and not (diagnosis.urls or diagnosis.paths):
        # pip's console names no entry (a wheel built earlier: 'Using cached x.whl'): the retry
        # runs with --log, whose 'Using cached wheel link:' line names it (install/loop.py).
        steps = [
            (
                "run pip again with --log to locate the entry (its console does not name it) and"
                " purge it; use a private cache if the log does not name it either"
            )
        ]
    elif diagnosis.kind is FailureKind.CACHE_CORRUPT and diagnosis.urls:
        steps.insert(0, "purge the HTTP-cache entries of " + ", ".join(diagnosis.urls))
    elif diagnosis.kind is FailureKind.CACHE_CORRUPT and diagnosis.paths:
        steps.insert(0, "purge the wheels/ entry " + diagnosis.paths[0])
    return "; ".join([*steps, "retry"]) + f" ({decision.why})"


def result_json(result: Result) -> dict[str, JSONValue]:
    """The JSON object of one result (schema in the module docstring).

    The diagnosis fields come from :func:`safepip.report.json.diagnosis_json`, the serializer
    ``--report-json`` uses too.
    """
    return {
        "source": result.source,
        "recognised": result.recognised,
        **diagnosis_json(result.diagnosis),
        "remedy": result.remedy,
        "bytes_read": result.bytes_read,
        "truncated": result.truncated,
        "conflict": list(result.conflict),
    }


def text_report(result: Result, *, several: bool) -> str:
    """The human-readable report of one result (not yet redacted)."""
    d = result.diagnosis
    lines = [f"== {result.source}"] if several else []
    if result.truncated:
        lines.append(f"note: only the last {MAX_BYTES // (1024 * 1024)} MB were read")
    if not result.recognised and not d.evidence:
        lines.append("kind: unknown (no pip failure found in this log)")
    else:
        nested = " (inside a build step's nested output)" if d.nested else ""
        lines.append(f"kind: {d.kind.value}{nested}   policy: {d.policy.value}")
    if d.evidence:
        lines.append("evidence:")
        lines.extend(f"  | {line}" for line in d.evidence)
    if d.package:
        lines.append(f"package: {d.package}" + (f" {d.version}" if d.version else ""))
    lines.extend(f"url: {url}" for url in d.urls)
    lines.extend(f"path: {path}" for path in d.paths)
    if d.got_hash:
        expected = ", ".join(d.expected_hashes) or "?"
        lines.append(f"hashes: got {d.got_hash}, expected {expected}")
    if d.rule:
        lines.append(f"rule: {d.rule}")
    if result.conflict:
        lines.append("conflict:")
        lines.extend(f"  {line}" for line in result.conflict)
    lines.append(f"safepip install would: {result.remedy}")
    lines.append(f"next step: {d.hint}")
    return "\n".join(lines) + "\n"
