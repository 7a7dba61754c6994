"""Reporting, separate from deciding: hooks, text, JSON, CI systems and redaction."""

from __future__ import annotations

TYPE_CHECKING = False  # mypy reads this as True; the command line imports this before pip runs
if TYPE_CHECKING:
    from collections.abc import Mapping

#: The CI systems safepip writes its own output for, and the variable each sets to ``true``.
CI_SYSTEMS = (("github", "GITHUB_ACTIONS"), ("gitlab", "GITLAB_CI"))


def ci_systems(env: Mapping[str, str]) -> tuple[str, ...]:
    """The CI systems the environment says safepip runs in (``github``, ``gitlab``)."""
    return tuple(name for name, variable in CI_SYSTEMS if env.get(variable) == "true")
