"""The target interpreter: the marker environment and wheel tags its installs must satisfy.

:func:`probe_target` asks the interpreter itself, through pip's vendored ``packaging``, so that
markers and tags are those of the environment pip installs into, not safepip's own (unless it
is the very binary running safepip, whose answers are read without starting it).
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING

from packaging.version import Version

from safepip import jsonparse

if TYPE_CHECKING:
    from collections.abc import Mapping


@dataclass(frozen=True)
class TargetEnvironment:
    """What the target interpreter accepts: its marker environment and wheel tags.

    Attributes:
        markers: PEP 508 marker variables (``python_version``, ``sys_platform``, ...).
        tags: the wheel tags it supports, most preferred first, as ``py3-none-any`` strings.
    """

    markers: tuple[tuple[str, str], ...]
    tags: frozenset[str]

    @classmethod
    def current(cls) -> TargetEnvironment:
        """Describe the interpreter running safepip."""
        from packaging.markers import default_environment  # noqa: PLC0415 - only here
        from packaging.tags import sys_tags  # noqa: PLC0415 - only here

        env = {key: str(value) for key, value in default_environment().items()}
        return cls(tuple(sorted(env.items())), frozenset(str(tag) for tag in sys_tags()))

    @property
    def python_version(self) -> Version:
        """The interpreter's version, for ``Requires-Python`` (``python_full_version``).

        A local build may report ``3.13.0+``; the release part is what counts then.
        """
        markers = dict(self.markers)
        for text in (markers.get("python_full_version", ""), markers.get("python_version", "")):
            match = re.match(r"\d+(?:\.\d+)*", text)
            if match:
                return Version(match.group(0))
        return Version("3")


_TARGET_PROBE = (
    "import json\n"
    "from pip._vendor.packaging import markers, tags\n"
    "print(json.dumps({'markers': markers.default_environment(),"
    " 'tags': [str(t) for t in tags.sys_tags()]}))\n"
)


def same_interpreter(python: str) -> bool:
    """Whether ``python`` is the binary running safepip (a venv's ``python`` links to its base).

    The same binary has the same marker environment and wheel tags, whatever its venv.
    """
    found = python if os.sep in python else shutil.which(python)
    if not found or not sys.executable:
        return False
    return os.path.realpath(found) == os.path.realpath(sys.executable)


def probe_target(python: str, env: Mapping[str, str]) -> TargetEnvironment | None:
    """Ask the target interpreter (through pip's vendored packaging) for markers and tags.

    When it is the interpreter running safepip, they are read here instead: starting it would
    cost a conflict's report about 0.1 s.
    """
    if same_interpreter(python):
        return TargetEnvironment.current()
    from safepip import runner  # noqa: PLC0415 - the process seam, needed only here

    code, out = runner.query([python, "-c", _TARGET_PROBE], env, timeout=30)
    if code != 0:
        return None
    try:
        data: object = jsonparse.loads(out)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    markers, tags = data.get("markers"), data.get("tags")
    if not isinstance(markers, dict) or not isinstance(tags, list):
        return None
    pairs = tuple(sorted((str(k), str(v)) for k, v in markers.items()))
    return TargetEnvironment(pairs, frozenset(str(tag) for tag in tags))
