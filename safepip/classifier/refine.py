"""Refine the decisive line by its context (docs/failure-kinds.md §G.2 step 2).

Each function takes the decisive :class:`~safepip.classifier.scan.Hit` and the diagnosis its rule
alone
gives (``base``), reads the lines around it and returns ``base`` or a sharper diagnosis: the
hash block (§C), the preceding ``Using cached``/``Downloading``/``Processing`` line (§A, §D),
the warning that explains a bare not-found (§B, §E), pip's own conflict explanation (§E).
:mod:`safepip.classifier.decide` picks which one applies.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from safepip import lazyre
from safepip.classifier import patterns as pat
from safepip.classifier.evidence import (
    LOOKBACK,
    Fetch,
    about,
    cached_wheel_link,
    fetch_before,
    found_links,
    progress_done,
    project,
    project_spelling,
    read_hash_block,
    resolve,
    same_path,
    silence_before,
    split_req,
    stopped_short,
    url_in,
)
from safepip.model import DEFAULT_POLICY, Cause, Diagnosis, FailureKind, RetryPolicy
from safepip.pipfacts import EMPTY_SHA256

if TYPE_CHECKING:
    from safepip.classifier.normalize import Log
    from safepip.classifier.scan import Hit

K = FailureKind
#: ``requirement <name>==<version>`` / ``found for <name>==<version>`` of a not-found line;
#: group 1 the version.
_PINNED = lazyre.compile(
    r"(?:requirement|found\x20for)\x20[A-Za-z0-9][\w.\[\],-]{0,200}?===?([\w.+!-]{1,64})"
)
_WINDOWS_PATH = lazyre.compile(r"[A-Za-z]:\\")
#: Windows MAX_PATH without the long-path opt-in (docs/failure-kinds.md §D); it counts the
#: terminating NUL, so a path of 260 characters is already too long.
_MAX_PATH = 260


def not_found(log: Log, hit: Hit, hits: list[Hit], base: Diagnosis) -> Diagnosis:
    """A bare not-found is explained by an earlier warning or silent retries (§B, §E)."""
    cluster = [
        h for h in hits if h.rule.kind is K.NOT_FOUND and hit.index - 5 <= h.index <= hit.index
    ]
    lines = tuple(h.line for h in cluster) or (hit.line,)
    # "(from versions: none)"; pip <= 18 printed "(from versions: )"; some lines carry neither.
    listed = [ln for ln in lines if "(from versions:" in ln]
    none = not listed or any("versions: none" in ln or "versions: )" in ln for ln in listed)
    wanted = project(lines)
    causes = [
        h
        for h in hits
        if h.weak
        and hit.index - LOOKBACK < h.index < hit.index
        and h.nested == hit.nested
        and h.rule.kind in pat.NOT_FOUND_CAUSES
        and (none or h.rule.kind is K.PYTHON_INCOMPATIBLE)
        and about(h.line, wanted)
        and not _other_versions(h.line, lines)
    ]
    base = replace(base, evidence=lines)
    if not causes and none:
        first = cluster[0].index if cluster else hit.index
        silence = silence_before(log, first)
        if silence >= pat.SILENT_RETRY_SECONDS:
            return replace(
                base,
                kind=K.NETWORK_TRANSIENT,
                policy=DEFAULT_POLICY[K.NETWORK_TRANSIENT],
                rule=f"{pat.SILENT_RETRY_RULE} ({silence:.1f} s of silence)",
            )
    if not causes:
        return base
    cause = causes[-1]
    page = pat.PAGE_URL.search(cause.line)
    urls = (page.group(1).split("#", 1)[0],) if page else url_in(cause.line, pool_only=False)
    return replace(
        base,
        kind=cause.rule.kind,
        policy=DEFAULT_POLICY[cause.rule.kind],
        urls=urls,
        evidence=(cause.line, *lines),
        rule=f"{cause.rule.source}; explains 'from versions: none'",
    )


def _other_versions(ignored: str, lines: tuple[str, ...]) -> bool:
    """Whether an 'Ignored the following versions' line skips other versions than the pinned one.

    pip lists every release it skipped for Requires-Python, of every project it looked at; a
    requirement pinned with ``==X`` is explained by that line only if it names ``X``.
    """
    if "Ignored the following" not in ignored:
        return False
    for line in lines:
        m = _PINNED.search(line)
        if m:
            return f"{m.group(1)} Requires-Python" not in ignored
    return False


def explained(
    hit: Hit, hits: list[Hit], base: Diagnosis, causes: frozenset[FailureKind], window: int = 60
) -> Diagnosis:
    """The warning just before ``hit`` that names its cause (one of ``causes``), if any."""
    before = [
        h
        for h in hits
        if h.weak and hit.index - window <= h.index < hit.index and h.rule.kind in causes
    ]
    if not before:
        return base
    cause = before[-1]
    return replace(
        base,
        kind=cause.rule.kind,
        policy=DEFAULT_POLICY[cause.rule.kind],
        evidence=(cause.line, hit.line),
        rule=f"{cause.rule.source}; explains the error after it",
        paths=base.paths,
    )


def hash_mismatch(log: Log, hit: Hit, base: Diagnosis) -> Diagnosis:
    """Split a hash mismatch into cache-corrupt / download-corrupt / hash-pin-mismatch (§C)."""
    block = read_hash_block(log, hit.index)
    url, got = block.url, block.got
    plain = url.split("#", 1)[0] if url else None
    fragment = url.split("#sha256=", 1)[1][:64].lower() if url and "#sha256=" in url else None
    name = posixpath.basename(plain) if plain else None
    index_hash = fragment or (found_links(log).get(name, ("", None))[1] if name else None)
    fetch = fetch_before(log, hit.index, name)
    cached = fetch is not None and fetch.verb == "Using cached"
    if got is not None and got == index_hash:
        kind, why = K.HASH_PIN_MISMATCH, "Got equals the index hash: the pins are stale"
    elif got == EMPTY_SHA256:  # an empty cache body or a zero-byte download (§C step 1)
        kind, why = K.CACHE_CORRUPT, "Got is the sha256 of empty input (pypa/pip#12361)"
    elif fragment is not None and block.expected and fragment not in block.expected:
        kind, why = (
            K.HASH_PIN_MISMATCH,
            "the pins do not include the hash the index publishes for this file: stale pins",
        )
    elif cached:
        kind, why = K.CACHE_CORRUPT, "the file came from the cache (Using cached)"
    elif fetch is not None and stopped_short(log, fetch.at, hit.index):
        # Cut short (cause cut-short): a network failure whatever bytes it ended with; the plan
        # retries it like one.
        kind, why = K.DOWNLOAD_CORRUPT, _CUT_WHY
    elif index_hash is None and (
        len(block.expected) > 1 or pat.USER_HASHES.search(log.text) is not None
    ):
        kind, why = K.HASH_PIN_MISMATCH, "user hash pins and a fresh download"
    else:
        kind, why = K.DOWNLOAD_CORRUPT, "a fresh download does not match the index hash"
    package, version = split_req(block.req)
    cause = None
    if why is _CUT_WHY:
        cause = Cause.CUT_SHORT
    elif kind is K.DOWNLOAD_CORRUPT and fetch is not None:
        cause = _whole_or_unsized(log, fetch, hit.index)
        why += _CAUSE_WHY.get(cause, "") if cause else ""
    return replace(
        base,
        kind=kind,
        # A cut is a network failure: it needs no remedy to be worth another attempt.
        policy=RetryPolicy.RETRY if cause is Cause.CUT_SHORT else DEFAULT_POLICY[kind],
        evidence=block.lines if fetch is None else (fetch.line, *block.lines),
        rule=f"{hit.rule.source}: {why}",
        package=package,
        version=version,
        urls=(plain,) if plain else (resolve(log, fetch.target) if fetch else ()),
        got_hash=got,
        expected_hashes=block.expected,
        from_cache=cached,
        cause=cause,
    )


#: Why a hash mismatch is a download cut short (cause ``cut-short``).
_CUT_WHY = "the download stopped short (progress bar or a broken connection): a truncated download"


def corrupt_file(log: Log, hit: Hit, hits: list[Hit], base: Diagnosis) -> Diagnosis:  # noqa: PLR0911 - one branch per piece of evidence
    """A zip/EOF/invalid-wheel error: the cache, a download, or an auth prompt (§E)."""
    if "EOFError" in hit.line and any(h.rule.kind is K.AUTH and h.index < hit.index for h in hits):
        return replace(
            base,
            kind=K.AUTH,
            policy=DEFAULT_POLICY[K.AUTH],
            rule="docs/failure-kinds.md §E auth: 'User for' prompt then EOFError (pypa/pip#6179)",
        )
    if hit.rule.warning:
        return base
    wheel = pat.INVALID_WHEEL.search(hit.line)
    if wheel and pat.CACHE_PATH.search(wheel.group(1)):
        return replace(base, paths=(wheel.group(1),), from_cache=True)
    if hit.rule.errnos:  # the Errno path itself lies in the cache
        return base
    # The file the line names: the invalid wheel's path, or the wheel whose member failed its
    # CRC ('idna-3.10.dist-info/RECORD' is in idna-3.10-*.whl), not merely the last download.
    member = pat.ARCHIVE_MEMBER.search(hit.line)
    if wheel:
        fetch = fetch_before(log, hit.index, posixpath.basename(wheel.group(1).replace("\\", "/")))
    elif member:
        fetch = fetch_before(log, hit.index, None, stem=f"{member.group(1)}-{member.group(2)}-")
        base = replace(base, package=member.group(1), version=member.group(2))
    else:  # a member in a package directory ('pkg/mod.py') names its wheel by that directory
        fetch = member_fetch(log, hit) or fetch_before(log, hit.index, None)
    if fetch is None:  # the cache needs positive evidence: without it, a damaged download
        return replace(
            base,
            kind=K.DOWNLOAD_CORRUPT,
            policy=DEFAULT_POLICY[K.DOWNLOAD_CORRUPT],
            rule=f"{hit.rule.source}; no 'Using cached' for it",
        )
    urls = resolve(log, fetch.target)
    if fetch.verb == "Using cached":
        # A wheel pip built earlier: its wheels/ entry, when the log names it (--log only).
        link = cached_wheel_link(log, fetch)
        return replace(
            base,
            from_cache=True,
            urls=urls,
            paths=(link,) if link else base.paths,
            evidence=(fetch.line, hit.line),
        )
    # A broken archive because it was cut short, or one that arrived whole (its bar full).
    cut = stopped_short(log, fetch.at, hit.index)
    return replace(
        base,
        kind=K.DOWNLOAD_CORRUPT,
        policy=RetryPolicy.RETRY if cut else DEFAULT_POLICY[K.DOWNLOAD_CORRUPT],
        urls=urls,
        evidence=(fetch.line, hit.line),
        rule=hit.rule.source
        + ("; after Downloading, which stopped short" if cut else "; after Downloading"),
        cause=Cause.CUT_SHORT if cut else _whole_or_unsized(log, fetch, hit.index),
    )


_CAUSE_WHY = {
    Cause.COMPLETE: " (the progress bar reached the file's size)",
    Cause.UNSIZED: " (no size announced: a cut would look the same)",
}


def _whole_or_unsized(log: Log, fetch: Fetch, end: int) -> Cause | None:
    """A fresh download not cut short: whole (its bar full), unsized (no length), or not known.

    Without a size (no Content-Length: the body ended when the connection closed) no pip can
    tell a cut, so the same bytes again prove nothing (docs/failure-kinds.md §C).
    """
    if fetch.verb != "Downloading":
        return None
    if progress_done(log, fetch.at, end):
        return Cause.COMPLETE
    return None if fetch.sized else Cause.UNSIZED


#: The zip member a wheel error names (``Bad CRC-32 for file 'pkg/mod.py'``).
_MEMBER = lazyre.compile(r"\bfor\x20file\x20'([^'\n]{1,512})'")


def member_fetch(log: Log, hit: Hit) -> Fetch | None:
    """The ``Downloading``/``Using cached`` line of the wheel whose member the error names.

    pip installs after it has downloaded everything, so the last fetch line is often another
    package: the member's top directory (``pkg/``, ``pkg-1.0.dist-info/``) names the wheel.
    """
    m = _MEMBER.search(hit.line)
    if m is None:
        return None
    top = m.group(1).split("/", 1)[0]
    top = re.sub(r"-[^-]*\.(?:dist-info|data)$", "", top)
    return fetch_before(log, hit.index, None, project=project_spelling(top))


def cut_short(log: Log, hit: Hit, base: Diagnosis) -> Diagnosis:
    """An incomplete or interrupted download of a sized cache entry is cache-corrupt (§A)."""
    fetch = fetch_before(log, hit.index, None)
    if fetch is None or fetch.verb != "Using cached" or not fetch.sized:
        return base
    return replace(
        base,
        kind=K.CACHE_CORRUPT,
        policy=DEFAULT_POLICY[K.CACHE_CORRUPT],
        from_cache=True,
        urls=resolve(log, fetch.target),
        evidence=(fetch.line, hit.line),
        rule=hit.rule.source + "; after Using cached (§A)",
    )


def errno2(log: Log, hit: Hit, base: Diagnosis) -> Diagnosis:
    """A conda/user path named by ``Processing <path>`` is local-path-missing (§D)."""
    if not base.paths:
        return base
    path = base.paths[0]
    if _WINDOWS_PATH.match(path) and len(path.replace("\\\\", "\\")) >= _MAX_PATH:
        return replace(
            base,
            kind=K.WINDOWS_LONG_PATH,
            policy=DEFAULT_POLICY[K.WINDOWS_LONG_PATH],
            rule="docs/failure-kinds.md §D: Windows path longer than 260 characters",
        )
    for index in range(hit.index - 1, max(-1, hit.index - 50), -1):
        m = pat.PROCESSING.match(log.clean(index))
        if m and same_path(m.group(1), path):
            return replace(
                base,
                kind=K.LOCAL_PATH_MISSING,
                policy=DEFAULT_POLICY[K.LOCAL_PATH_MISSING],
                evidence=(log.clean(index), hit.line),
                rule="docs/failure-kinds.md §D: Errno 2 on the path of 'Processing'",
            )
    return base


def conflict(log: Log, diagnosis: Diagnosis, index: int) -> Diagnosis:
    """Show pip's own explanation of a conflict and name the package the user pinned (§E)."""
    for start in range(index, max(-1, index - 60), -1):
        if "The conflict is caused by" in log.lines[start]:
            break
    else:
        return diagnosis
    cause = []
    for i in range(start + 1, min(len(log.lines), start + 12)):
        line = log.clean(i)
        if not line.strip():
            break
        cause.append(line)
    requested = [m.group(1) for m in map(pat.USER_REQUESTED.search, cause) if m]
    lead = [
        log.clean(i) for i in range(max(0, start - 3), start) if "Cannot install" in log.lines[i]
    ]
    return replace(
        diagnosis,
        evidence=(*lead, log.clean(start), *cause, *diagnosis.evidence),
        package=diagnosis.package or (requested[0] if requested else None),
    )


def network_setting(log: Log, diagnosis: Diagnosis) -> Diagnosis:
    """A network failure that a retry cannot outlive, told by where it happened (§B).

    - Name resolution that fails inside a container image build: the build network's DNS
      (the daemon's resolver, ``--network``), not a flaky link.
    - A nested build-dependency pip that cannot reach the index while the run was given
      ``--proxy``: that pip never got the proxy (pypa/pip#6018); set ``HTTPS_PROXY`` instead.
    """
    if diagnosis.kind is not K.NETWORK_TRANSIENT:
        return diagnosis
    why = None
    dns = any(pat.DNS_FAILURE.search(line) for line in diagnosis.evidence)
    if dns and any(marker in log.text for marker in pat.CONTAINER_BUILD):
        why = "name resolution fails inside a container build: the build network's DNS setting"
    elif diagnosis.nested and pat.PROXY_OPTION.search(log.text):
        why = "the build environment's pip does not get the run's --proxy (pypa/pip#6018)"
    if why is None:
        return diagnosis
    return replace(
        diagnosis,
        kind=K.NETWORK_CONFIG,
        policy=DEFAULT_POLICY[K.NETWORK_CONFIG],
        rule=f"docs/failure-kinds.md §B network-config: {why}",
    )
