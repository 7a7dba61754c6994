"""Install a nox session's dependencies through safepip instead of ``session.install``.

Scenario: nox sessions in CI whose installs fail now and then on a flaky index or a corrupt pip
cache. ``session.install`` always runs plain pip; calling safepip with ``--python`` pointed at the
session's interpreter gives the same install with safepip's diagnosis and targeted retries.

Run: copy the helper and the session into your noxfile.py, have safepip on PATH (``pipx
install`` of a safepip checkout or of a wheel built from one), then ``nox -s tests``.
"""

from __future__ import annotations

import os

import nox


def safepip_install(session: nox.Session, *args: str) -> None:
    """``session.install(*args)``, through safepip, into the session's virtual environment."""
    python = os.path.join(session.bin, "python")  # noqa: PTH118 - session.bin is a str
    session.run("safepip", "install", "--python", python, *args, external=True)


@nox.session
def tests(session: nox.Session) -> None:
    """Install the project and its test requirements, then run the tests."""
    safepip_install(session, "-r", "requirements.txt", "-e", ".")
    session.run("pytest", *session.posargs)
