"""The versioned JSON document of ``--report-json``.

Every string of the document passes through :func:`safepip.report.redact.redact_data`:
credentials never reach the output, whatever field carries them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from safepip.report.redact import redact_data

if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.model import Attempt, Diagnosis, InstallResult

#: Version of the ``--report-json`` document; bumped on any incompatible change.
SCHEMA_VERSION = 1


def diagnosis_json(diagnosis: Diagnosis) -> dict[str, Any]:
    """A diagnosis as JSON, redacted: the one serializer (``--report-json`` and ``diagnose``)."""
    return {
        "kind": diagnosis.kind.value,
        "policy": diagnosis.policy.value,
        "evidence": list(diagnosis.evidence),
        "rule": diagnosis.rule,
        "package": diagnosis.package,
        "version": diagnosis.version,
        "urls": list(diagnosis.urls),
        "paths": list(diagnosis.paths),
        "got_hash": diagnosis.got_hash,
        "expected_hashes": list(diagnosis.expected_hashes),
        "from_cache": diagnosis.from_cache,
        "nested": diagnosis.nested,
        "cause": diagnosis.cause.value if diagnosis.cause else None,
        "hint": diagnosis.hint,
    }


def _attempt_json(attempt: Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "returncode": attempt.returncode,
        "duration": round(attempt.duration, 3),
        "diagnosis": diagnosis_json(attempt.diagnosis) if attempt.diagnosis else None,
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
        "args": list(attempt.args),
    }


def install_report(
    result: InstallResult, *, conflict: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The ``--report-json`` document (schema version :data:`SCHEMA_VERSION`).

    Keys: ``schema``, ``outcome`` (success, recovered, failed, gave-up),
    ``returncode``, ``pip_version``, ``log_path``, ``timed_out``, ``unredacted_log`` (the
    user's own ``--log`` when pip wrote credentials into it, else null), ``diagnosis`` (of the
    last failed attempt, or null) and ``attempts`` (each: number, returncode, duration,
    diagnosis, remedies, deleted, wait, args), and ``conflict`` (only on a resolution
    conflict: ``explanation`` lines and the ``proposal``). README.md documents every field.
    """
    document = {
        "schema": SCHEMA_VERSION,
        "outcome": result.outcome.value,
        "returncode": result.returncode,
        "pip_version": result.pip_version,
        "log_path": result.log_path,
        "timed_out": result.timed_out,
        "unredacted_log": result.unredacted_log,
        "diagnosis": diagnosis_json(result.diagnosis) if result.diagnosis else None,
        "attempts": [_attempt_json(attempt) for attempt in result.attempts],
    }
    if conflict is not None:
        document["conflict"] = dict(conflict)
    redacted: dict[str, Any] = redact_data(document)
    return redacted
