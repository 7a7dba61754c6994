"""The few exceptions safepip raises.

Each carries data; only ``cli.py`` turns them into messages and exit statuses.
"""

from __future__ import annotations


class SafepipError(Exception):
    """Base class of every error safepip reports to the user without a traceback.

    Attributes:
        hint: the next step for the user, or an empty string.
    """

    exit_status: int = 1

    def __init__(self, message: str, *, hint: str = "") -> None:
        """Store the message and an optional hint."""
        super().__init__(message)
        self.hint = hint


class UsageError(SafepipError):
    """Bad command line or bad input file: exit status 2."""

    exit_status = 2


class PipNotFound(SafepipError):
    """The target interpreter does not exist or has no pip."""

    exit_status = 2

    def __init__(self, python: str, detail: str, *, missing: bool = False) -> None:
        """Name the interpreter and what went wrong.

        Args:
            python: the interpreter.
            detail: why it cannot run pip.
            missing: the interpreter itself cannot be started (absent, not executable, a
                directory): no ensurepip advice then.
        """
        hint = (
            "--python takes the path of an existing interpreter (such as .venv/bin/python)"
            if missing
            else f"install pip into that interpreter ({python} -m ensurepip) or pass --python"
        )
        super().__init__(f"cannot run pip with {python}: {detail}", hint=hint)
        self.python = python

    @classmethod
    def not_started(cls, python: str, exc: OSError) -> PipNotFound:
        """The error for an interpreter the OS could not start (``exc`` from the spawn).

        Not there, not executable, a directory: no interpreter to install pip into.
        """
        missing = isinstance(exc, (FileNotFoundError, PermissionError, NotADirectoryError))
        return cls(python, exc.strerror or str(exc), missing=missing)


class CacheRefused(SafepipError):
    """safepip will not delete in this pip cache now: not pip's, locked, read-only, unsafe.

    The cache commands report it in one line (exit status 2 for a root that is not a pip
    cache, 1 otherwise); the install loop uses a private cache for the next attempt instead.
    """


class Terminated(BaseException):
    """safepip received SIGTERM; like ``KeyboardInterrupt`` it is never retried.

    It derives from BaseException so that no ``except Exception`` swallows it.
    """

    def __init__(self, signum: int) -> None:
        """Remember which signal ended the run."""
        super().__init__(signum)
        self.signum = signum
