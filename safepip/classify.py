"""Classify pip's output: text (+ return code) in, :class:`~safepip.model.Diagnosis` out.

Pure: no files, processes, printing or logging. The same function reads a live run's ``--log``
file, a saved CI log (``safepip diagnose``) and the test corpus.

How it decides (pip-failures.md §G.2):

1. Lines holding a trigger keyword are labelled by the first matching row of
   :data:`safepip.signatures.RULES`. Lines before the last top-level ``Successfully installed``
   belong to an earlier, successful pip run and are ignored.
2. The **last** error line outside nested build output decides, refined by its context:
   the hash block (§C: cache-corrupt / download-corrupt / hash-pin-mismatch), the preceding
   ``Using cached``/``Downloading``/``Processing`` line, and, for a bare not-found, an earlier
   warning that explains it (§B, §E not-found).
3. A build failure is first explained by its nested output: if that holds a network, cache or
   disk failure (build dependencies come from a nested pip), that is the kind, with
   ``nested=True``.
4. With no error line, the last warning line decides; with none, the kind is ``unknown``.

"Nothing found" is cheap to test: ``diagnosis.kind is FailureKind.UNKNOWN`` means no signature
explained the failure, and ``diagnosis.evidence == ()`` means there was not even an error line
(for instance ``returncode=0``).
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, replace

from safepip import signatures as sig
from safepip.model import DEFAULT_POLICY, Diagnosis, FailureKind
from safepip.normalize import Log, normalize

K = FailureKind
_LOOKBACK = 3000  # lines searched back for a context line (Using cached, Processing, ...)


@dataclass(frozen=True)
class _Hit:
    index: int
    line: str
    rule: sig.Rule
    nested: bool
    weak: bool


def classify(text: str, *, returncode: int | None = None) -> Diagnosis:
    """Classify one pip run from its output.

    Args:
        text: pip's ``--log`` file, its console output, or a CI log holding either.
        returncode: pip's exit status when known; 0 means success (nothing to find), 130 or
            -2 (SIGINT) mean interrupted.

    Returns:
        The diagnosis. ``kind`` is ``unknown`` when nothing was recognised; ``evidence`` is
        empty when there was no error line at all.
    """
    if returncode in (130, -2):
        return _finish(Diagnosis(K.INTERRUPTED, DEFAULT_POLICY[K.INTERRUPTED], rule="returncode"))
    if returncode == 0:
        return _finish(Diagnosis(K.UNKNOWN, DEFAULT_POLICY[K.UNKNOWN]))
    log = normalize(text)
    hits = _scan(log, _success_boundary(log))
    decided = _decide(log, hits)
    if decided is None:
        evidence = _last_errors(log, hits)
        return _finish(Diagnosis(K.UNKNOWN, DEFAULT_POLICY[K.UNKNOWN], evidence=evidence))
    return _finish(_context(log, *decided))


def _success_boundary(log: Log) -> int:
    """Index of the last top-level ``Successfully installed`` line, or -1."""
    text = log.text
    pos = text.rfind("Successfully installed")
    if pos == -1:
        return -1
    index = text.count("\n", 0, pos)
    while pos != -1:
        if not log.nested(index) and sig.SUCCESS.match(log.clean(index)):
            return index
        previous = text.rfind("Successfully installed", 0, pos)
        if previous != -1:
            index -= text.count("\n", previous, pos)  # walk back without recounting
        pos = previous
    return -1


def _scan(log: Log, boundary: int) -> list[_Hit]:
    hits = []
    seen: dict[str, sig.Rule | None] = {}  # logs repeat lines (warnings, retries)
    for index in log.find(sig.TRIGGERS):
        if index <= boundary:
            continue
        line = log.clean(index)
        if line.lstrip().startswith(_SOURCE_LINES):
            continue  # a traceback frame's source line, not a message
        if line not in seen:
            seen[line] = _first_rule(line)
        rule = seen[line]
        if rule is not None:
            weak = rule.warning or sig.WEAK_LINE.match(line) is not None
            hits.append(_Hit(index, line, rule, log.nested(index), weak))
    return hits


_SOURCE_LINES = ("raise ", "except ", 'File "')


def _first_rule(line: str) -> sig.Rule | None:
    """The first rule of the table matching ``line`` (its needles gate the regex)."""
    errno: re.Match[str] | bool | None = False  # the Errno marker and path, read once
    for rule in sig.RULES:
        for needle in rule.needles:
            if needle not in line:
                continue
            if not rule.errnos:
                if rule.pattern.search(line):
                    return rule
                break
            if errno is False:
                errno = sig.ERRNO_PATH.search(line)
            if (
                isinstance(errno, re.Match)
                and errno.group(1) in rule.errnos
                and rule.pattern.search(errno.group(2))
            ):
                return rule
            break
    return None


def _decide(log: Log, hits: list[_Hit]) -> tuple[Diagnosis, int] | None:
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
    explaining = [h for h in top if h.rule.kind in sig.NOT_FOUND_CAUSES]
    if explaining:
        return _refine(log, explaining[-1], hits), explaining[-1].index
    return None


def _refine(log: Log, hit: _Hit, hits: list[_Hit]) -> Diagnosis:  # noqa: PLR0911 - one branch per refinement
    kind = hit.rule.kind
    base = _diag(kind, hit)
    if kind is K.BUILD_FAILURE:
        return _build_failure(log, hit, hits, base)
    if kind is K.NOT_FOUND:
        return _not_found(log, hit, hits, base)
    if "THESE PACKAGES DO NOT MATCH THE HASHES" in hit.line:
        return _hash_mismatch(log, hit, base)
    if kind is K.CACHE_CORRUPT:
        return _corrupt_file(log, hit, hits, base)
    if kind is K.NETWORK_TRANSIENT and (
        "incomplete-download" in hit.line or "interrupted" in hit.line
    ):
        fetch = _fetch_before(log, hit.index, None)
        if fetch is not None and fetch[0] == "Using cached" and fetch[2]:
            url = _resolve(log, fetch[1])
            return replace(
                base,
                kind=K.CACHE_CORRUPT,
                from_cache=True,
                urls=url,
                evidence=(fetch[3], hit.line),
                rule=hit.rule.source + "; after Using cached (§A)",
            )
        return base
    if kind in (K.TEMP_VANISHED, K.LOCAL_PATH_MISSING):
        return _errno2(log, hit, base)
    return base


def _context(log: Log, diagnosis: Diagnosis, index: int) -> Diagnosis:
    """Fill the URL and package from the lines around the decisive one when it lacks them."""
    kind = diagnosis.kind
    if not diagnosis.urls and kind in _URL_KINDS:
        diagnosis = replace(diagnosis, urls=_urls_near(log, index))
    if kind is K.RESOLUTION_CONFLICT:
        diagnosis = _conflict(log, diagnosis, index)
    if diagnosis.package is None and not _package_in(diagnosis):
        package = _package_before(log, index, top_level=False)
        if package is not None:
            return replace(diagnosis, package=package)
    return diagnosis


def _conflict(log: Log, diagnosis: Diagnosis, index: int) -> Diagnosis:
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
    requested = [m.group(1) for m in map(sig.USER_REQUESTED.search, cause) if m]
    lead = [
        log.clean(i) for i in range(max(0, start - 3), start) if "Cannot install" in log.lines[i]
    ]
    return replace(
        diagnosis,
        evidence=(*lead, log.clean(start), *cause, *diagnosis.evidence),
        package=diagnosis.package or (requested[0] if requested else None),
    )


_RICH_CONTEXT = ("\u00d7", "\u2570", "\u2502", "URL")  # rich's cross, corner, bar (pip >= 22)
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


def _urls_near(log: Log, index: int) -> tuple[str, ...]:
    """The file URL of a network failure (pip-failures.md §A, §I).

    In order: a URL or a urllib3 ``ConnectionPool(host=...)...url: /path`` in the decisive line or
    its rich context lines (``╰─> URL: ...``); the nearest ``Downloading``/``Using
    cached`` before it (a bare file name is mapped through ``Found link``); a pool repr in the
    traceback before it.
    """
    for i in range(index, min(len(log.lines), index + 4)):
        line = log.clean(i)
        if i > index and not line.lstrip().startswith(_RICH_CONTEXT):
            continue
        found = _url_in(line, pool_only=False)
        if found:
            return found
    fetch = _fetch_before(log, index, None)
    if fetch is not None:
        resolved = _resolve(log, fetch[1])
        if resolved:
            return resolved
    for i in range(index - 1, max(-1, index - 400), -1):
        if "ConnectionPool" in log.lines[i]:
            found = _url_in(log.clean(i), pool_only=True)
            if found:
                return found
    return ()


def _url_in(line: str, *, pool_only: bool) -> tuple[str, ...]:
    pool = sig.POOL_URL.search(line)
    if pool:
        scheme, host, port, path = pool.groups()
        default = {"http": "80", "https": "443"}[scheme.lower()]
        netloc = host if port == default else f"{host}:{port}"
        return (f"{scheme.lower()}://{netloc}{path}".split("#", 1)[0],)
    urls = [] if pool_only else sig.URL.findall(line)
    return (urls[0].split("#", 1)[0],) if urls else ()


def _package_in(diagnosis: Diagnosis) -> bool:
    return any(
        p.search(text)
        for text in (*diagnosis.evidence, *diagnosis.paths, *diagnosis.urls)
        for p in sig.PACKAGE
    )


def _diag(kind: FailureKind, hit: _Hit) -> Diagnosis:
    paths: tuple[str, ...] = ()
    path = sig.ERRNO_PATH.search(hit.line)
    local = sig.LOCAL_PATH.search(hit.line) if kind is K.LOCAL_PATH_MISSING else None
    if path:
        paths = (path.group(2),)
    elif local:
        paths = (local.group(1),)
    urls: tuple[str, ...] = ()
    if kind in _URL_KINDS:  # not the documentation links of other errors
        urls = tuple(u.split("#", 1)[0] for u in sig.URL.findall(hit.line)[:3])
    return Diagnosis(
        kind,
        DEFAULT_POLICY[kind],
        evidence=(hit.line,),
        rule=hit.rule.source,
        paths=paths,
        urls=urls,
        nested=hit.nested,
    )


def _build_failure(log: Log, hit: _Hit, hits: list[_Hit], base: Diagnosis) -> Diagnosis:
    """Explain a build failure by its nested output first (pip-failures.md §E build-failure)."""
    inner = [replace(h, nested=False) for h in hits if h.nested and h.index < hit.index + 200]
    decided = _decide(log, inner) if inner else None
    outer = _package_before(log, hit.index, top_level=True)
    if decided is not None and decided[0].kind in sig.NESTED_PROPAGATES:
        found = _context(log, *decided)
        return replace(
            found, nested=True, evidence=(*found.evidence, hit.line), package=outer, version=None
        )
    if decided is not None and decided[0].kind is not K.UNKNOWN:
        evidence = (*decided[0].evidence[:2], hit.line)
        return replace(base, evidence=evidence, package=outer or base.package)
    # No signature inside: the last lines of the build's own output say what went wrong.
    blocks = [b for b in log.blocks if b[1] < hit.index + 200]
    tail = [log.clean(i) for i in range(blocks[-1][1], blocks[-1][0] - 1, -1)] if blocks else []
    said = [line for line in tail[:12] if line.strip() and "[end of output]" not in line][:2]
    return replace(base, evidence=(*reversed(said), hit.line), package=outer or base.package)


def _package_before(log: Log, index: int, *, top_level: bool) -> str | None:
    """The project the user asked for, from the ``Collecting`` lines before ``index``.

    A ``Collecting dep (from demo)`` line (pip >= 23.1) names a dependency: the nearest line
    without such a parent wins, else the nearest line at all.
    """
    fallback = None
    for i in range(index, max(-1, index - _LOOKBACK), -1):
        raw = log.lines[i]
        if "Collecting" not in raw and "versions of" not in raw:
            continue
        if top_level and log.nested(i):
            continue
        line = log.clean(i)
        m = sig.COLLECTING.match(line)
        if m is None:
            continue
        if line.lstrip().startswith("Collecting") and not sig.FROM_PARENT.search(line):
            return m.group(1)
        fallback = fallback or m.group(1)
    return fallback


def _not_found(log: Log, hit: _Hit, hits: list[_Hit], base: Diagnosis) -> Diagnosis:
    cluster = [
        h for h in hits if h.rule.kind is K.NOT_FOUND and hit.index - 5 <= h.index <= hit.index
    ]
    lines = tuple(h.line for h in cluster) or (hit.line,)
    # "(from versions: none)"; pip <= 18 printed "(from versions: )"; some lines carry neither.
    listed = [ln for ln in lines if "(from versions:" in ln]
    none = not listed or any("versions: none" in ln or "versions: )" in ln for ln in listed)
    wanted = _project(lines)
    causes = [
        h
        for h in hits
        if h.weak
        and hit.index - _LOOKBACK < h.index < hit.index
        and h.nested == hit.nested
        and h.rule.kind in sig.NOT_FOUND_CAUSES
        and (none or h.rule.kind is K.PYTHON_INCOMPATIBLE)
        and _about(h.line, wanted)
    ]
    base = replace(base, evidence=lines)
    if not causes and none:
        first = cluster[0].index if cluster else hit.index
        silence = _silence_before(log, first)
        if silence >= sig.SILENT_RETRY_SECONDS:
            return replace(
                base,
                kind=K.NETWORK_TRANSIENT,
                policy=DEFAULT_POLICY[K.NETWORK_TRANSIENT],
                rule=f"{sig.SILENT_RETRY_RULE} ({silence:.1f} s of silence)",
            )
    if not causes:
        return base
    cause = causes[-1]
    page = sig.PAGE_URL.search(cause.line)
    urls = (page.group(1).split("#", 1)[0],) if page else _url_in(cause.line, pool_only=False)
    return replace(
        base,
        kind=cause.rule.kind,
        policy=DEFAULT_POLICY[cause.rule.kind],
        urls=urls,
        evidence=(cause.line, *lines),
        rule=f"{cause.rule.source}; explains 'from versions: none'",
    )


def _project(lines: tuple[str, ...]) -> str | None:
    """The normalised project name a not-found line is about (PEP 503)."""
    for line in lines:
        for pattern in sig.NOT_FOUND_PROJECT:
            m = pattern.search(line)
            if m:
                return _canonical(m.group(1))
    return None


def _about(line: str, project: str | None) -> bool:
    """Whether a warning concerns ``project``: an index page of another project does not."""
    page = sig.SIMPLE_PAGE.search(line)
    return project is None or page is None or _canonical(page.group(1)) == project


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _silence_before(log: Log, index: int) -> float:
    """Seconds between the timestamps of line ``index`` and the line before it (0 if unknown).

    The innermost timestamp of a line counts: pip's own ``--log`` stamp, not the one a CI
    system added when it printed the file.
    """
    if index < 1:
        return 0.0
    now = _stamp(log.lines[index])
    before = _stamp(log.lines[index - 1])
    if now is None or before is None:
        return 0.0
    return now - before


def _stamp(raw: str) -> float | None:
    last = None
    for last in sig.TIMESTAMP.finditer(raw, 0, 120):  # noqa: B007 - keep the last one
        pass
    return None if last is None else _seconds(last)


def _seconds(match: re.Match[str]) -> float:
    day, hours, minutes, seconds, fraction = match.groups()
    whole = ((int(day) * 24 + int(hours)) * 60 + int(minutes)) * 60 + int(seconds)
    return whole + float(f"0.{fraction or 0}")


@dataclass(frozen=True)
class _HashBlock:
    """What the hash-mismatch block says (pip-failures.md §C)."""

    req: str | None
    url: str | None
    expected: tuple[str, ...]
    got: str | None
    lines: tuple[str, ...]


def _read_hash_block(log: Log, header: int) -> _HashBlock:
    req = url = got = None
    expected: list[str] = []
    lines = [log.clean(header)]
    for index in range(header + 1, min(len(log.lines), header + 40)):
        line = log.clean(index)
        m_req = sig.HASH_REQ.match(line) or sig.HASH_REQ_BARE.match(line)
        m_exp = sig.HASH_EXPECTED.match(line)
        m_got = sig.HASH_GOT.match(line)
        if m_got:
            got = m_got.group(1).lower()
            lines.append(line)
            break
        if m_exp:
            expected.append(m_exp.group(1).lower())
            lines.append(line)
        elif m_req and req is None:
            req = m_req.group(1)
            url = m_req.group(2) if m_req.re is sig.HASH_REQ else None
            lines.append(line)
    return _HashBlock(req, url, tuple(expected), got, tuple(lines))


def _hash_mismatch(log: Log, hit: _Hit, base: Diagnosis) -> Diagnosis:
    """Split a hash mismatch into cache-corrupt / download-corrupt / hash-pin-mismatch (§C)."""
    block = _read_hash_block(log, hit.index)
    url, got = block.url, block.got
    plain = url.split("#", 1)[0] if url else None
    fragment = url.split("#sha256=", 1)[1][:64].lower() if url and "#sha256=" in url else None
    name = posixpath.basename(plain) if plain else None
    index_hash = fragment or (_found_links(log).get(name, ("", None))[1] if name else None)
    fetch = _fetch_before(log, hit.index, name)
    cached = fetch is not None and fetch[0] == "Using cached"
    if got is not None and got == index_hash:
        kind, why = K.HASH_PIN_MISMATCH, "Got equals the index hash: the pins are stale"
    elif got == sig.EMPTY_SHA256:
        kind, why = K.CACHE_CORRUPT, "Got is the sha256 of empty input (pypa/pip#12361)"
    elif cached:
        kind, why = K.CACHE_CORRUPT, "the file came from the cache (Using cached)"
    elif fetch is not None and _stopped_short(log, fetch[4], hit.index):
        kind, why = K.DOWNLOAD_CORRUPT, "the progress bar stopped short: a truncated download"
    elif index_hash is None and (
        len(block.expected) > 1 or sig.USER_HASHES.search(log.text) is not None
    ):
        kind, why = K.HASH_PIN_MISMATCH, "user hash pins and a fresh download"
    else:
        kind, why = K.DOWNLOAD_CORRUPT, "a fresh download does not match the index hash"
    package, version = _split_req(block.req)
    return replace(
        base,
        kind=kind,
        policy=DEFAULT_POLICY[kind],
        evidence=block.lines if fetch is None else (fetch[3], *block.lines),
        rule=f"{hit.rule.source}: {why}",
        package=package,
        version=version,
        urls=(plain,) if plain else (_resolve(log, fetch[1]) if fetch else ()),
        got_hash=got,
        expected_hashes=block.expected,
        from_cache=cached,
    )


def _stopped_short(log: Log, start: int, end: int) -> bool:
    """Whether the last progress bar between two lines stopped before its total (§C step 4)."""
    for i in range(end - 1, start, -1):
        m = sig.PROGRESS.search(log.clean(i))
        if m:
            return float(m.group(1)) < float(m.group(2))
    return False


def _corrupt_file(log: Log, hit: _Hit, hits: list[_Hit], base: Diagnosis) -> Diagnosis:
    """A zip/EOF/invalid-wheel error: the cache, a download, or an auth prompt (§E)."""
    if "EOFError" in hit.line and any(h.rule.kind is K.AUTH and h.index < hit.index for h in hits):
        return replace(
            base,
            kind=K.AUTH,
            policy=DEFAULT_POLICY[K.AUTH],
            rule="pip-failures.md §E auth: 'User for' prompt then EOFError (pypa/pip#6179)",
        )
    if hit.rule.warning:
        return base
    wheel = sig.INVALID_WHEEL.search(hit.line)
    if wheel and sig.CACHE_PATH.search(wheel.group(1)):
        return replace(base, paths=(wheel.group(1),), from_cache=True)
    fetch = _fetch_before(log, hit.index, None)
    if fetch is None:
        return base
    urls = _resolve(log, fetch[1])
    if fetch[0] == "Using cached":
        return replace(base, from_cache=True, urls=urls, evidence=(fetch[3], hit.line))
    return replace(
        base,
        kind=K.DOWNLOAD_CORRUPT,
        policy=DEFAULT_POLICY[K.DOWNLOAD_CORRUPT],
        urls=urls,
        evidence=(fetch[3], hit.line),
        rule=hit.rule.source + "; after Downloading",
    )


def _errno2(log: Log, hit: _Hit, base: Diagnosis) -> Diagnosis:
    """A conda/user path named by ``Processing <path>`` is local-path-missing (§D)."""
    if not base.paths:
        return base
    path = base.paths[0]
    if _WINDOWS_PATH.match(path) and len(path.replace("\\\\", "\\")) > _MAX_PATH:
        return replace(
            base,
            kind=K.WINDOWS_LONG_PATH,
            policy=DEFAULT_POLICY[K.WINDOWS_LONG_PATH],
            rule="pip-failures.md §D: Windows path longer than 260 characters",
        )
    for index in range(hit.index - 1, max(-1, hit.index - 50), -1):
        m = sig.PROCESSING.match(log.clean(index))
        if m and _same_path(m.group(1), path):
            return replace(
                base,
                kind=K.LOCAL_PATH_MISSING,
                policy=DEFAULT_POLICY[K.LOCAL_PATH_MISSING],
                evidence=(log.clean(index), hit.line),
                rule="pip-failures.md §D: Errno 2 on the path of 'Processing'",
            )
    return base


_WINDOWS_PATH = re.compile(r"[A-Za-z]:\\")
_MAX_PATH = 260  # Windows MAX_PATH without the long-path opt-in (pip-failures.md §D)


def _same_path(processing: str, path: str) -> bool:
    processing = processing.removeprefix("file://").rstrip("/\\")
    return bool(processing) and (
        path.startswith(processing) or processing.startswith(path.rstrip("/\\"))
    )


def _fetch_before(log: Log, index: int, name: str | None) -> tuple[str, str, bool, str, int] | None:
    """The nearest ``Using cached``/``Downloading`` line before ``index`` (for file ``name``).

    Returns:
        (verb, target, size shown, line, line index) or None.
    """
    for i in range(index - 1, max(-1, index - _LOOKBACK), -1):
        raw = log.lines[i]
        if "Using cached" not in raw and "Downloading" not in raw:
            continue
        line = log.clean(i)
        m = sig.FETCH.match(line)
        if m and (name is None or posixpath.basename(m.group(2).split("#", 1)[0]) == name):
            return m.group(1), m.group(2), m.group(3) is not None, line, i
    return None


def _found_links(log: Log) -> dict[str, tuple[str, str | None]]:
    """Map file name -> (URL without fragment, index sha256) from ``Found link`` lines (§I)."""
    links: dict[str, tuple[str, str | None]] = {}
    if "Found link" not in log.text:
        return links
    for m in sig.FOUND_LINK.finditer(log.text):
        links[posixpath.basename(m.group(1))] = (m.group(1), m.group(2))
    return links


def _resolve(log: Log, target: str) -> tuple[str, ...]:
    """A ``Using cached``/``Downloading`` target as a URL: as printed, or via ``Found link``."""
    target = target.split("#", 1)[0]
    if "://" in target:
        return (target,)
    found = _found_links(log).get(target)
    return (found[0],) if found else ()


def _split_req(req: str | None) -> tuple[str | None, str | None]:
    if not req:
        return None, None
    name, sep, version = req.partition("==")
    name = name.split("[", 1)[0].split(";", 1)[0].strip()
    return (name or None), (version.split(";", 1)[0].strip() or None) if sep else None


def _last_errors(log: Log, hits: list[_Hit]) -> tuple[str, ...]:
    """Up to 5 last error lines (not warnings, not traceback source), for ``unknown``."""
    lines = [log.clean(i) for i in log.find(("ERROR", "error:", "Error:", "rror:"))[-20:]]
    errors = [
        line
        for line in lines
        if line.strip() and not line.lstrip().startswith(("WARNING", *_SOURCE_LINES))
    ]
    return tuple(errors[-5:]) or tuple(h.line for h in hits[-5:])


def _finish(diagnosis: Diagnosis) -> Diagnosis:
    """Fill package/version from the evidence and paths, and render the hint."""
    package, version = diagnosis.package, diagnosis.version
    if package is None:
        for text in (*diagnosis.evidence, *diagnosis.paths, *diagnosis.urls):
            for pattern in sig.PACKAGE:
                m = pattern.search(text)
                if m:
                    package = m.group(1)
                    if version is None and m.lastindex and m.lastindex >= 2:
                        version = m.group(2)
                    break
            if package is not None:
                break
    paths = diagnosis.paths
    if diagnosis.kind is K.ENV_BROKEN:
        paths = tuple(_dist_info_dir(p) for p in paths)
    fields = {
        "package": package or "the package",
        "path": paths[0] if paths else _NO_PATH.get(diagnosis.kind, "the path pip names above"),
        "url": diagnosis.urls[0] if diagnosis.urls else "",
        "where": (diagnosis.urls or paths or ("",))[0],
        "got": diagnosis.got_hash or "?",
        "expected": ", ".join(diagnosis.expected_hashes) or "?",
    }
    hint = sig.HINTS[diagnosis.kind].format(**fields).replace(" ()", "")
    if diagnosis.kind is K.UNKNOWN and not diagnosis.evidence:
        hint = sig.NOTHING_FOUND
    return replace(
        diagnosis,
        package=package,
        version=version,
        paths=paths,
        hint=hint,
        evidence=tuple(dict.fromkeys(diagnosis.evidence)),
    )


_NO_PATH = {K.ENV_BROKEN: "its *.dist-info directory in site-packages"}


def _dist_info_dir(path: str) -> str:
    for marker in (".dist-info", ".egg-info"):
        cut = path.find(marker)
        if cut != -1:
            return path[: cut + len(marker)]
    return path
