"""Classify pip's output: text (+ return code) in, :class:`~safepip.model.Diagnosis` out.

Pure: no files, processes, printing or logging. The same function reads a live run's ``--log``
file, a saved CI log (``safepip diagnose``) and the test corpus.

How it decides (docs/failure-kinds.md §G.2):

1. Lines holding a trigger keyword are labelled by the first matching row of
   :data:`safepip.classifier.rules.RULES`. Lines before the last top-level ``Successfully
   installed``
   belong to an earlier, successful pip run and are ignored.
2. The **last** error line outside nested build output decides, refined by its context:
   the hash block (§C: cache-corrupt / download-corrupt / hash-pin-mismatch), the preceding
   ``Using cached``/``Downloading``/``Processing`` line, and, for a bare not-found, an earlier
   warning that explains it (§B, §E not-found).
3. A build failure is first explained by its nested output: if that holds a network, cache or
   disk failure (build dependencies come from a nested pip), that is the kind, with
   ``nested=True``.
4. With no error line, the last warning line decides; with none, the kind is ``unknown``.

The steps live in their own modules: :mod:`safepip.classifier.scan` labels the lines (step 1),
:mod:`safepip.classifier.refine` reads the context of the decisive line (step 2),
:mod:`safepip.classifier.evidence`
extracts hashes, URLs, package and paths, and :mod:`safepip.classifier.hints` words the next step.
This
module is the decision procedure that ties them together.

"Nothing found" is cheap to test: ``diagnosis.kind is FailureKind.UNKNOWN`` means no signature
explained the failure, and ``diagnosis.evidence == ()`` means there was not even an error line
(for instance ``returncode=0``).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from safepip.classifier import causes, frames, hints, refine
from safepip.classifier import patterns as pat
from safepip.classifier.evidence import (
    dist_info_dir,
    names_project,
    package_before,
    package_in,
    urls_near,
)
from safepip.classifier.facts import gather
from safepip.classifier.normalize import normalize
from safepip.classifier.scan import last_errors, scan, success_boundary
from safepip.model import DEFAULT_POLICY, Cause, Diagnosis, FailureKind

if TYPE_CHECKING:
    from collections.abc import Mapping

    from safepip.classifier.normalize import Log
    from safepip.classifier.scan import Hit

K = FailureKind
#: Lines between a cause and the build failure it explains (see :func:`_cause_before`).
_CAUSE_GAP = 40
#: Kinds whose diagnosis names the URL that failed (not the documentation links of others).
_URL_KINDS = frozenset(
    {
        K.NETWORK_TRANSIENT,
        K.NETWORK_CONFIG,
        K.AUTH,
        K.SSL_CERT,
        K.SSL_MISSING,
        K.CACHE_CORRUPT,
        K.DOWNLOAD_CORRUPT,
        K.HASH_PIN_MISMATCH,
    }
)


#: The signals a process dies of when it crashes (SIGILL, SIGABRT, SIGBUS, SIGFPE, SIGSEGV).
_CRASHES = dict.fromkeys((4, 6, 7, 8, 11), Cause.CRASHED)


def classify(
    text: str, *, returncode: int | None = None, origins: Mapping[str, str] | None = None
) -> Diagnosis:
    """Classify one pip run from its output.

    Args:
        text: pip's ``--log`` file, its console output, or a CI log holding either.
        returncode: pip's exit status when known; 0 means success (nothing to find), 130 or
            -2 (SIGINT) mean interrupted.
        origins: where the user's requirements came from (canonical name or path -> ``FILE,
            line N`` or ``the command line``), read from their arguments; the next step names
            it (pip's own ``(from -r FILE (line N))`` text wins).

    Returns:
        The diagnosis. ``kind`` is ``unknown`` when nothing was recognised; ``evidence`` is
        empty when there was no error line at all.
    """
    if returncode in (130, -2):
        return _finish(Diagnosis(K.INTERRUPTED, DEFAULT_POLICY[K.INTERRUPTED], rule="returncode"))
    if returncode is not None and returncode < 0:  # a signal ended pip: it did not fail itself
        return _finish(
            Diagnosis(
                K.INTERRUPTED,
                DEFAULT_POLICY[K.INTERRUPTED],
                rule=f"returncode: pip was ended by signal {-returncode}",
                cause=Cause.KILLED if returncode == -9 else _CRASHES.get(-returncode),  # SIGKILL
            )
        )
    if returncode == 0:
        return _finish(Diagnosis(K.UNKNOWN, DEFAULT_POLICY[K.UNKNOWN]))
    log = normalize(text)
    boundary = success_boundary(log)
    hits = scan(log, boundary)
    decided = _decide(log, hits)
    if decided is None or decided[0].kind is K.UNKNOWN:
        found = frames.decide(log, boundary)
        if found is not None:  # a traceback or the step pip was in says more than nothing
            said = decided[0].evidence if decided else last_errors(log, hits)
            diagnosis = Diagnosis(
                found.kind,
                DEFAULT_POLICY[found.kind],
                evidence=(*found.evidence, *said[-2:]),
                rule=found.source,
            )
            return _finish(causes.detail(log, _context(log, diagnosis, found.at)), log, origins)
    if decided is None:
        evidence = last_errors(log, hits)
        return _finish(Diagnosis(K.UNKNOWN, DEFAULT_POLICY[K.UNKNOWN], evidence=evidence))
    return _finish(
        causes.detail(log, refine.network_setting(log, _context(log, *decided))), log, origins
    )


def _decide(log: Log, hits: list[Hit]) -> tuple[Diagnosis, int] | None:
    """Pick the decisive hit among ``hits``, refine it by context; also return its line index."""
    top = [h for h in hits if not h.nested]
    strong = [h for h in top if not h.weak]
    if strong:
        return _refine(log, strong[-1], hits), strong[-1].index
    inner = [h for h in hits if h.nested]
    if inner:
        found = _decide(log, [replace(h, nested=False) for h in inner])
        return None if found is None else (replace(found[0], nested=True), found[1])
    # Only a warning that can explain a failure decides alone (not "Ignoring invalid
    # distribution" or the resolver's after-install note).
    explaining = [h for h in top if h.rule.kind in pat.WEAK_DECIDES]
    if explaining:
        return _refine(log, explaining[-1], hits), explaining[-1].index
    return None


def _refine(log: Log, hit: Hit, hits: list[Hit]) -> Diagnosis:  # noqa: PLR0911 - one branch per refinement
    kind = hit.rule.kind
    base = _diag(kind, hit)
    if kind is K.BUILD_FAILURE:
        return _build_failure(log, hit, hits, base)
    if kind is K.NOT_FOUND:
        return refine.not_found(log, hit, hits, base)
    if "THESE PACKAGES DO NOT MATCH THE HASHES" in hit.line:
        return refine.hash_mismatch(log, hit, base)
    if kind is K.CACHE_CORRUPT:
        return refine.corrupt_file(log, hit, hits, base)
    if kind is K.NETWORK_TRANSIENT and (
        "incomplete-download" in hit.line
        or "interrupted" in hit.line
        or "not enough bytes" in hit.line
        or "network connectivity" in hit.line
    ):
        return refine.cut_short(log, hit, base)
    if kind in (K.TEMP_VANISHED, K.LOCAL_PATH_MISSING):
        return refine.errno2(log, hit, base)
    if kind is K.INVALID_REQUIREMENT and "wheel filename" in hit.line:
        # pip warned first that the "wheel" is a path that does not exist (a glob that
        # matched nothing): the name it then cannot parse is a consequence.
        return refine.explained(hit, hits, base, frozenset({K.LOCAL_PATH_MISSING}))
    return base


def _context(log: Log, diagnosis: Diagnosis, index: int) -> Diagnosis:
    """Fill the URL and package from the lines around the decisive one when it lacks them."""
    kind = diagnosis.kind
    if not diagnosis.urls and kind in _URL_KINDS:
        urls = urls_near(log, index)
        if diagnosis.package is not None:  # a nearby URL of another project is not evidence
            urls = tuple(url for url in urls if names_project(url, diagnosis.package))
        diagnosis = replace(diagnosis, urls=urls)
    if kind is K.RESOLUTION_CONFLICT:
        diagnosis = refine.conflict(log, diagnosis, index)
    if diagnosis.package is None and package_in(_texts(diagnosis))[0] is None:
        package = package_before(log, index, top_level=False)
        if package is not None:
            return replace(diagnosis, package=package)
    return diagnosis


def _diag(kind: FailureKind, hit: Hit) -> Diagnosis:
    """The diagnosis the decisive line gives alone: its kind, path and URLs."""
    paths: tuple[str, ...] = ()
    path = pat.ERRNO_PATH.search(hit.line)
    local = pat.LOCAL_PATH.search(hit.line) if kind is K.LOCAL_PATH_MISSING else None
    if path:
        paths = (path.group(2),)
    elif local:
        paths = (local.group(1) or local.group(2),)
    urls: tuple[str, ...] = ()
    if kind in _URL_KINDS:  # not the documentation links of other errors
        urls = tuple(u.split("#", 1)[0] for u in pat.URL.findall(hit.line)[:3])
    return Diagnosis(
        kind,
        DEFAULT_POLICY[kind],
        evidence=(hit.line,),
        rule=hit.rule.source,
        paths=paths,
        urls=urls,
        nested=hit.nested,
    )


def _build_failure(log: Log, hit: Hit, hits: list[Hit], base: Diagnosis) -> Diagnosis:
    """Explain a build failure by its nested output first (docs/failure-kinds.md §E)."""
    inner = [replace(h, nested=False) for h in hits if h.nested and h.index < hit.index + 200]
    decided = _decide(log, inner) if inner else None
    outer = package_before(log, hit.index, top_level=True)
    if decided is not None and decided[0].kind in pat.NESTED_PROPAGATES:
        found = _context(log, *decided)
        return replace(
            found, nested=True, evidence=(*found.evidence, hit.line), package=outer, version=None
        )
    cause = _cause_before(hit, hits)
    if cause is not None and (decided is None or decided[0].kind is K.UNKNOWN):
        found = _context(log, _refine(log, cause, hits), cause.index)
        return replace(found, evidence=(*found.evidence, hit.line), package=outer or found.package)
    if decided is not None and decided[0].kind is not K.UNKNOWN:
        evidence = (*decided[0].evidence[:2], hit.line)
        return replace(base, evidence=evidence, package=outer or base.package)
    # No signature inside: the last lines of the build's own output say what went wrong.
    blocks = [b for b in log.blocks if b[1] < hit.index + 200]
    tail = [log.clean(i) for i in range(blocks[-1][1], blocks[-1][0] - 1, -1)] if blocks else []
    said = [line for line in tail[:12] if line.strip() and "[end of output]" not in line][:2]
    return replace(base, evidence=(*reversed(said), hit.line), package=outer or base.package)


def _cause_before(hit: Hit, hits: list[Hit]) -> Hit | None:
    """The error just before a build failure's own lines that caused it, if any.

    A paste cut above the build's output block (or a pip that reports the failure to start
    the step, such as an antivirus refusing the file) leaves the cause as an ordinary line
    right before ``error: subprocess-exited-with-error``: it decides when it is the last error
    before the build failure's lines, at most :data:`_CAUSE_GAP` lines above them.
    """
    strong = [h for h in hits if not h.weak and h.index < hit.index]
    first = hit.index
    while strong and strong[-1].rule.kind is K.BUILD_FAILURE:
        first = strong.pop().index
    if strong and first - strong[-1].index <= _CAUSE_GAP:
        candidate = strong[-1]
        if candidate.rule.kind in pat.NESTED_PROPAGATES or candidate.rule.kind is K.TEMP_VANISHED:
            return candidate
    return None


def _texts(diagnosis: Diagnosis) -> tuple[str, ...]:
    """Where a package name may show: the evidence lines, then the paths, then the URLs."""
    return (*diagnosis.evidence, *diagnosis.paths, *diagnosis.urls)


def _finish(
    diagnosis: Diagnosis, log: Log | None = None, origins: Mapping[str, str] | None = None
) -> Diagnosis:
    """Fill package/version from the evidence and paths, and render the hint."""
    package, version = diagnosis.package, diagnosis.version
    if package is None:
        package, found = package_in(_texts(diagnosis))
        if version is None:
            version = found
    paths = diagnosis.paths
    if diagnosis.kind is K.ENV_BROKEN:
        paths = tuple(dist_info_dir(p) for p in paths)
    diagnosis = replace(
        diagnosis,
        package=package,
        version=version,
        paths=paths,
        evidence=tuple(dict.fromkeys(diagnosis.evidence)),
    )
    facts = None
    if log is not None:
        facts = gather(log, package, paths[0] if paths else None, origins)
    return replace(diagnosis, hint=hints.next_step(diagnosis, facts))
