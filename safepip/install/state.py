"""One install run's state, and how the run ends: its result, exit status and temp dir."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from safepip.install.warm import Warmup
from safepip.model import Attempt, Diagnosis, InstallResult, Outcome, PipFacts, PipRun

#: Exit status when safepip ended pip because the time budget ran out (as timeout(1) does).
TIMEOUT_STATUS = 124


@dataclass
class RunState:
    """The mutable state of one install run (the loop's)."""

    pip_args: tuple[str, ...]
    facts: PipFacts
    start: float
    workdir_path: Path | None = None
    extra: list[str] = field(default_factory=list)
    history: list[Diagnosis] = field(default_factory=list)
    attempts: list[Attempt] = field(default_factory=list)
    private_cache: Path | None = None
    no_cache: bool = False
    resume: bool = False
    version: tuple[int, ...] | None = None
    version_known: bool = False
    cache_root: Path | None = None
    cache_known: bool = False
    gave_up: str = ""
    timed_out: bool = False
    debug_log: bool = False
    #: The next attempt is the one that adds --log (said when it is scheduled, if it is).
    debug_retry: bool = False
    text: str = ""
    origins: dict[str, str] | None = None
    first: PipRun | None = None
    warmup: Warmup = field(default_factory=Warmup)

    @property
    def workdir(self) -> Path:
        """safepip's own temp dir (private logs and cache), made when first needed."""
        if self.workdir_path is None:
            import tempfile  # noqa: PLC0415 - a clean install needs no temp dir

            self.workdir_path = Path(tempfile.mkdtemp(prefix="safepip-"))
        return self.workdir_path

    unredacted_log: str | None = None


def origins_of(state: RunState) -> dict[str, str]:
    """Where the user wrote each requirement, read once from their arguments and files."""
    if state.origins is None:
        from safepip.install.origins import requirement_origins  # noqa: PLC0415

        state.origins = requirement_origins(state.pip_args)
    return state.origins


def finish(state: RunState, budget: float | None) -> InstallResult:
    """The result of the run; safepip's own temp dir is removed, or kept with its redacted log."""
    attempts = tuple(state.attempts)
    last = attempts[-1]
    if last.diagnosis is None:
        outcome = Outcome.SUCCESS if len(attempts) == 1 else Outcome.RECOVERED
        returncode = 0
    elif state.timed_out or state.gave_up:
        outcome = Outcome.GAVE_UP
        returncode = TIMEOUT_STATUS if state.timed_out else exit_status(last.returncode)
    else:
        outcome = Outcome.FAILED
        returncode = exit_status(last.returncode)
    log_path: str | None = None
    workdir = state.workdir_path
    if workdir is not None and outcome in (Outcome.SUCCESS, Outcome.RECOVERED):
        remove_own(workdir)
    elif workdir is not None:
        logs = sorted(workdir.glob("pip-*.log"), key=lambda p: int(p.stem.split("-")[1]))
        logs = [log for log in logs if redact_kept_log(log)]
        log_path = str(logs[-1]) if logs else None
        if not logs:  # the user's own --log holds everything: keep no empty temp dir
            remove_own(workdir)
    return InstallResult(
        outcome=outcome,
        returncode=returncode,
        attempts=attempts,
        log_path=log_path,
        pip_version=".".join(map(str, state.version)) if state.version else None,
        timed_out=state.timed_out,
        budget=budget,
        text=state.text,
        unredacted_log=state.unredacted_log,
    )


def redact_kept_log(path: Path) -> bool:
    """Mask the credentials in a pip log safepip asked for, before the report points to it.

    Returns:
        False when the log could not be rewritten and was removed rather than kept with secrets.
    """
    from safepip.report.redact import redact_file  # noqa: PLC0415

    try:
        redact_file(str(path))
    except OSError:
        path.unlink(missing_ok=True)
        return False
    return True


def exit_status(returncode: int) -> int:
    """pip's exit status; 128 + N when signal N killed it (negative returncode), as a shell says."""
    if returncode < 0:
        return 128 - returncode
    return returncode or 1


def remove_own(path: Path) -> None:
    """Remove safepip's own temp dir (logs, private cache): never a user path or the pip cache."""
    import shutil  # noqa: PLC0415 - only when safepip made a temp dir

    shutil.rmtree(path, ignore_errors=True)  # noqa: TID251 - safepip's own mkdtemp dir
