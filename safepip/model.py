"""The shared vocabulary of safepip: enums for closed sets and frozen records.

Nothing here imports from the rest of safepip; every other module imports from here.
The values of :class:`FailureKind` are the labels used in reports, JSON and the test corpus
(``tests/data/pip-logs/<kind>/``), so they are part of the public interface.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

TYPE_CHECKING = False  # ``typing`` stays off a clean install's path; mypy reads this as True
if TYPE_CHECKING:
    from typing import NoReturn


def assert_never(value: NoReturn) -> NoReturn:  # pragma: no cover - only reached on a bug
    """Mark a branch that exhaustive enum handling makes unreachable.

    ``typing.assert_never`` needs Python 3.11; safepip supports 3.9 (as pip-audit does).

    Raises:
        AssertionError: always, naming the unexpected value.
    """
    msg = f"unhandled value: {value!r}"
    raise AssertionError(msg)


class FailureKind(str, enum.Enum):
    """Why a pip run failed (docs/failure-kinds.md §0)."""

    NETWORK_TRANSIENT = "network-transient"
    NETWORK_CONFIG = "network-config"
    CACHE_CORRUPT = "cache-corrupt"
    DOWNLOAD_CORRUPT = "download-corrupt"
    HASH_PIN_MISMATCH = "hash-pin-mismatch"
    LOCAL_PATH_MISSING = "local-path-missing"
    ENV_BROKEN = "env-broken"
    TEMP_VANISHED = "temp-vanished"
    DISK_FULL = "disk-full"
    PERMISSION = "permission"
    EXTERNALLY_MANAGED = "externally-managed"
    AUTH = "auth"
    SSL_CERT = "ssl-cert"
    SSL_MISSING = "ssl-missing"
    INVALID_REQUIREMENT = "invalid-requirement"
    HASHES_REQUIRED = "hashes-required"
    PYTHON_INCOMPATIBLE = "python-incompatible"
    RESOLUTION_CONFLICT = "resolution-conflict"
    BUILD_FAILURE = "build-failure"
    WINDOWS_LONG_PATH = "windows-long-path"
    NOT_FOUND = "not-found"
    INTERRUPTED = "interrupted"
    UNKNOWN = "unknown"


class RetryPolicy(enum.Enum):
    """Whether another attempt can help."""

    RETRY = "retry"
    """A plain retry with backoff usually succeeds."""
    AFTER_REMEDY = "after-remedy"
    """A retry succeeds only after a remedy safepip applies itself (purge, private cache)."""
    STOP = "stop"
    """A human or a configuration change is needed: report and stop."""


#: The default policy of each kind (docs/architecture.md §4). ``download-corrupt`` is retried once
#: with ``--no-cache-dir``; ``unknown`` gets one plain retry at most (the loop enforces the caps).
DEFAULT_POLICY: dict[FailureKind, RetryPolicy] = {
    FailureKind.NETWORK_TRANSIENT: RetryPolicy.RETRY,
    FailureKind.NETWORK_CONFIG: RetryPolicy.STOP,
    FailureKind.CACHE_CORRUPT: RetryPolicy.AFTER_REMEDY,
    FailureKind.DOWNLOAD_CORRUPT: RetryPolicy.AFTER_REMEDY,
    FailureKind.HASH_PIN_MISMATCH: RetryPolicy.STOP,
    FailureKind.LOCAL_PATH_MISSING: RetryPolicy.STOP,
    FailureKind.ENV_BROKEN: RetryPolicy.STOP,
    FailureKind.TEMP_VANISHED: RetryPolicy.RETRY,
    FailureKind.DISK_FULL: RetryPolicy.STOP,
    FailureKind.PERMISSION: RetryPolicy.STOP,
    FailureKind.EXTERNALLY_MANAGED: RetryPolicy.STOP,
    FailureKind.AUTH: RetryPolicy.STOP,
    FailureKind.SSL_CERT: RetryPolicy.STOP,
    FailureKind.SSL_MISSING: RetryPolicy.STOP,
    FailureKind.INVALID_REQUIREMENT: RetryPolicy.STOP,
    FailureKind.HASHES_REQUIRED: RetryPolicy.STOP,
    FailureKind.PYTHON_INCOMPATIBLE: RetryPolicy.STOP,
    FailureKind.RESOLUTION_CONFLICT: RetryPolicy.STOP,
    FailureKind.BUILD_FAILURE: RetryPolicy.STOP,
    FailureKind.WINDOWS_LONG_PATH: RetryPolicy.STOP,
    FailureKind.NOT_FOUND: RetryPolicy.STOP,
    FailureKind.INTERRUPTED: RetryPolicy.STOP,
    FailureKind.UNKNOWN: RetryPolicy.RETRY,
}


class Cause(str, enum.Enum):
    """What the log shows beyond the kind, where the plan or the advice depends on it."""

    EMPTY_PAGE = "empty-page"
    """not-found right after the index answered the project page with no links (a mirror
    still fetching its upstream answers so): one short delayed retry."""
    UNREACHABLE = "unreachable"
    """Nothing answers at the host (connection refused, unknown name, no route): one more
    attempt, then stop naming the host."""
    CUT_SHORT = "cut-short"
    """A download ended before its announced size (its progress line stopped short, urllib3
    said the connection broke mid-body, or pip's cached copy is shorter than its
    Content-Length): retried as a network failure, whatever the hash says."""
    COMPLETE = "complete-download"
    """A download that failed its hash arrived whole (its progress line reached the size, or
    pip's cached copy of these very bytes holds all of its Content-Length): the bad bytes are
    what the server sends, so the same ones from a fresh download stop the run."""
    UNSIZED = "unsized-download"
    """A download that failed its hash or its archive check with no size announced (no
    Content-Length: the body ended when the connection closed). No pip can tell a cut from it,
    so the same bytes again are not known whole."""
    NO_CREDENTIALS = "no-credentials"
    """A 401 where pip sent no credentials (and ``--no-input`` kept it from asking)."""
    CREDENTIALS_REFUSED = "credentials-refused"
    """A 401/403 on credentials pip did send."""
    CRASHED = "crashed"
    """pip's interpreter crashed (SIGSEGV, SIGABRT, SIGBUS, SIGILL, SIGFPE): a fault in Python or
    a compiled extension, not a failure pip reported."""
    KILLED = "killed"
    """pip was killed (SIGKILL) by something other than safepip: most often the kernel's
    out-of-memory killer. Running it again in the same memory ends the same way."""


@dataclass(frozen=True)
class PipRun:
    """What one pip process did, as the rest of safepip sees it.

    Attributes:
        args: the full argv that was run (``python -m pip install ...``).
        returncode: pip's exit status; negative when it was killed by a signal.
        log: what this run wrote to pip's ``--log`` file (debug level, timestamped lines), or
            "" when it had none; bounded (:mod:`safepip.capture`).
        duration: wall time in seconds.
        timed_out: True when safepip ended pip because the time budget ran out.
        output: pip's console output (stdout and stderr in the order read), bounded the same way.
    """

    args: tuple[str, ...]
    returncode: int
    log: str
    duration: float
    timed_out: bool = False
    output: str = ""

    @property
    def text(self) -> str:
        """What the classifier reads: the debug log when there is one, else the console."""
        return self.log if self.log.strip() else self.output


@dataclass(frozen=True)
class Diagnosis:
    """The classifier's verdict on one pip log.

    Attributes:
        kind: the failure class.
        policy: whether a retry can help (the kind's default, see :data:`DEFAULT_POLICY`).
        evidence: the decisive line(s), verbatim after normalisation (not yet redacted).
        rule: the ``source`` of the signature rule that decided (a docs/failure-kinds.md
            section or a pip issue).
        package: the project name implicated, when the log names one.
        version: its version, when known.
        urls: file or index-page URLs implicated (hash blocks, ``Using cached``, ``Skipping page``),
            without ``#fragment``. These are the keys of a targeted HTTP-cache purge.
        paths: file-system paths implicated (a ``wheels/`` entry, a ``*.dist-info``, a missing
            local path).
        got_hash: the ``Got`` sha256 of a hash-mismatch block.
        expected_hashes: the ``Expected sha256`` values of a hash-mismatch block.
        from_cache: True when the failing file came from pip's cache (``Using cached``).
        nested: True when the decisive line sits inside the nested output of a build step.
        hint: the next step for a human, one or two sentences.
        cause: the finer cause within the kind, when the log shows one.
        pip_retries: how many times pip itself retried a request in this run (its
            ``Retrying (Retry(total=...))`` lines): pip already waited its own backoff.
    """

    kind: FailureKind
    policy: RetryPolicy
    evidence: tuple[str, ...] = ()
    rule: str = ""
    package: str | None = None
    version: str | None = None
    urls: tuple[str, ...] = ()
    paths: tuple[str, ...] = ()
    got_hash: str | None = None
    expected_hashes: tuple[str, ...] = ()
    from_cache: bool = False
    nested: bool = False
    hint: str = ""
    cause: Cause | None = None
    pip_retries: int = 0


class RemedyAction(enum.Enum):
    """A change safepip makes before the next attempt."""

    PURGE = "purge"
    """Delete exactly :attr:`Remedy.paths` (HTTP-cache keys, a ``wheels/`` entry) in the cache."""
    NO_CACHE_DIR = "no-cache-dir"
    """Run the next attempt with ``--no-cache-dir``."""
    PRIVATE_CACHE = "private-cache"
    """Run the next attempts with a fresh temporary ``--cache-dir``."""
    RESUME_RETRIES = "resume-retries"
    """Pass ``--resume-retries N`` (pip >= 25.1)."""


@dataclass(frozen=True)
class Remedy:
    """One planned change, with the reason shown to the user.

    Attributes:
        action: what to do.
        reason: why, in a short sentence.
        paths: for :attr:`RemedyAction.PURGE`, the absolute paths to delete (each must resolve
            inside the cache root; the guarded delete checks again).
    """

    action: RemedyAction
    reason: str
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class Attempt:
    """One pip run and what safepip made of it.

    Attributes:
        number: 1 for the first attempt.
        returncode: pip's exit status.
        duration: wall time of the pip process in seconds.
        diagnosis: the classification, or None when pip succeeded.
        remedies: the remedies applied after this attempt (empty when none or when stopping).
        wait: seconds slept before the next attempt (0 when none).
        deleted: paths actually deleted by the remedies (empty under ``--dry-run``).
        args: the pip argv of this attempt.
    """

    number: int
    returncode: int
    duration: float
    diagnosis: Diagnosis | None
    remedies: tuple[Remedy, ...] = ()
    wait: float = 0.0
    deleted: tuple[str, ...] = ()
    args: tuple[str, ...] = field(default=())


class Outcome(enum.Enum):
    """How a ``safepip install`` ended."""

    SUCCESS = "success"
    RECOVERED = "recovered"
    """Succeeded after at least one failed attempt."""
    FAILED = "failed"
    """Stopped on a kind a retry cannot fix."""
    GAVE_UP = "gave-up"
    """A retryable failure outlasted the attempts or the time budget."""


@dataclass(frozen=True)
class InstallResult:
    """The whole story of one ``safepip install``.

    Attributes:
        outcome: how it ended.
        returncode: the exit status safepip should return (0, pip's, or 124).
        attempts: every attempt in order.
        log_path: where pip's full log of the last attempt is kept (None when removed).
        pip_version: the version of the pip that was driven, when known.
        timed_out: safepip ended pip because the time budget ran out.
        budget: the time budget in seconds.
        text: the bounded pip output the last diagnosis was read from ("" on success).
        unredacted_log: the user's own ``--log`` when pip wrote credentials into it (safepip
            never edits the user's file; it says the file may hold secrets).
    """

    outcome: Outcome
    returncode: int
    attempts: tuple[Attempt, ...]
    log_path: str | None = None
    pip_version: str | None = None
    timed_out: bool = False
    budget: float | None = None
    text: str = field(default="", repr=False)
    unredacted_log: str | None = None

    @property
    def diagnosis(self) -> Diagnosis | None:
        """The diagnosis of the last failed attempt, if any."""
        for attempt in reversed(self.attempts):
            if attempt.diagnosis is not None:
                return attempt.diagnosis
        return None


@dataclass(frozen=True)
class Options:
    """safepip's own options for ``install``.

    Attributes:
        attempts: the most pip runs in total (1 disables retrying).
        time_budget: seconds for the whole install, waits included, as the user gave them; pip is
            ended when it runs out. None: no limit on a running pip, and new attempts and waits
            stop after :data:`safepip.pipargs.DEFAULT_TIME_BUDGET`.
        backoff_base: the first wait in seconds; each later wait doubles, with jitter.
        max_wait: the cap of a single wait in seconds.
        no_remedy: diagnose and report only: no cache change, no retry.
        remedy_dry_run: plan remedies and show them, but delete nothing.
        report_json: write the JSON report to this path.
        python: the interpreter whose pip to drive (None: the active venv's, else safepip's own).
        quiet: print only the final failure.
        no_explain: on a resolution conflict, skip the search for a verified fix.
    """

    attempts: int = 4
    time_budget: float | None = None
    backoff_base: float = 1.0
    max_wait: float = 30.0
    no_remedy: bool = False
    remedy_dry_run: bool = False
    report_json: str | None = None
    python: str | None = None
    quiet: bool = False
    no_explain: bool = False


@dataclass(frozen=True)
class PipFacts:
    """What safepip needs to know about the user's pip arguments and environment.

    Attributes:
        cache_dir: the value of ``--cache-dir`` if given on the command line.
        no_cache: the cache is disabled (``--no-cache-dir`` or ``PIP_NO_CACHE_DIR``).
        log: the user's own ``--log`` file, if any.
        quiet: pip was asked to be quiet (``-q``).
        resume_retries: the user already chose ``--resume-retries``.
        index_url: the ``-i``/``--index-url`` given to pip, if any (otherwise pip's environment
            and config files decide: :func:`safepip.pipfacts.configured_indexes`).
        verbose: pip was asked for verbose output (``-v``): it shows build output itself.
    """

    cache_dir: str | None
    no_cache: bool
    log: str | None
    quiet: bool
    resume_retries: bool
    index_url: str | None = None
    verbose: bool = False
