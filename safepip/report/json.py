"""The versioned JSON document of ``--report-json``.

Every string that can carry a URL passes through :func:`safepip.report.redact.redact` first:
credentials never reach the output.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from safepip.report.redact import redact

if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.model import Attempt, Diagnosis, InstallResult

#: Version of the ``--report-json`` document; bumped on any incompatible change.
SCHEMA_VERSION = 1


def _diagnosis_json(diagnosis: Diagnosis) -> dict[str, Any]:
    return {
        "kind": diagnosis.kind.value,
        "policy": diagnosis.policy.value,
        "evidence": [redact(line) for line in diagnosis.evidence],
        "rule": diagnosis.rule,
        "package": diagnosis.package,
        "version": diagnosis.version,
        "urls": [redact(url) for url in diagnosis.urls],
        "paths": list(diagnosis.paths),
        "got_hash": diagnosis.got_hash,
        "expected_hashes": list(diagnosis.expected_hashes),
        "from_cache": diagnosis.from_cache,
        "nested": diagnosis.nested,
        "hint": redact(diagnosis.hint),
    }


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "returncode": attempt.returncode,
        "duration": round(attempt.duration, 3),
        "diagnosis": _diagnosis_json(attempt.diagnosis) if attempt.diagnosis else None,
        "remedies": [
            {
                "action": remedy.action.value,
                "reason": remedy.reason,
                "paths": list(remedy.paths),
            }
            for remedy in attempt.remedies
        ],
        "deleted": list(attempt.deleted),
        "wait": round(attempt.wait, 3),
        "args": [redact(arg) for arg in attempt.args],
    }


def to_json(result: InstallResult, *, conflict: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The ``--report-json`` document (schema version :data:`SCHEMA_VERSION`).

    Keys: ``schema``, ``outcome`` (success, recovered, failed, gave-up),
    ``returncode``, ``pip_version``, ``log_path``, ``diagnosis`` (of the last failed attempt, or
    null) and ``attempts`` (each: number, returncode, duration, diagnosis, remedies, deleted,
    wait, args), and ``conflict`` (only on a resolution conflict: ``explanation`` lines and the
    ``proposal``). README.md documents every field.
    """
    document = {
        "schema": SCHEMA_VERSION,
        "outcome": result.outcome.value,
        "returncode": result.returncode,
        "pip_version": result.pip_version,
        "log_path": result.log_path,
        "timed_out": result.timed_out,
        "diagnosis": _diagnosis_json(result.diagnosis) if result.diagnosis else None,
        "attempts": [_attempt_json(attempt) for attempt in result.attempts],
    }
    if conflict is not None:
        document["conflict"] = dict(conflict)
    return document
