"""env-broken: find the broken ``*.dist-info`` directory and name it in the next step.

pip's console says "no RECORD file was found for idna" and which version it found, not where.
:func:`locate` looks where that pip installs (``--target``, else the interpreter's
site-packages, asked through the one short-query seam) and puts the full path and the
interpreter into the diagnosis: the repair in the next step is then a command to paste.
"""

from __future__ import annotations

import shlex
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from safepip import jsonparse, lazyre
from safepip.pipargs import option_value

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from safepip.model import Diagnosis
    from safepip.pipfacts import Query

#: The directory name the next step gives (:func:`safepip.classifier.hints.dist_info_name`).
_DIST_INFO = lazyre.compile(r"\b[a-z0-9_]{1,200}-[\w.+!]{1,64}\.dist-info\b")
_PROBE = (
    "import json, sysconfig; "
    "print(json.dumps([sysconfig.get_path('purelib'), sysconfig.get_path('platlib')]))"
)


def _site_dirs(
    python: str, pip_args: Sequence[str], env: Mapping[str, str], query: Query
) -> list[Path]:
    target = option_value(pip_args, ("--target", "-t"))
    if target:
        return [Path(target)]
    status, out = query([python, "-c", _PROBE], env)
    if status != 0:
        return []
    try:
        found = jsonparse.loads(out.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return []
    if not isinstance(found, list):
        return []
    # a wrapper may answer anything: only strings are paths (a list in the list is unhashable)
    return [Path(p) for p in dict.fromkeys(p for p in found if isinstance(p, str))]


def locate(
    diagnosis: Diagnosis, python: str, pip_args: Sequence[str], env: Mapping[str, str], query: Query
) -> Diagnosis:
    """``diagnosis`` with the broken directory's full path and the interpreter in its hint."""
    hint = diagnosis.hint.replace("`python -m pip ", f"`{shlex.quote(python)} -m pip ")
    named = _DIST_INFO.search(hint)
    if diagnosis.paths or named is None:
        return replace(diagnosis, hint=hint)
    wanted = named.group(0)
    for site in _site_dirs(python, pip_args, env, query):
        try:
            names = [p.name for p in site.iterdir()]
        except OSError:
            continue
        match = next((n for n in names if n.lower() == wanted.lower()), None)
        if match is not None:
            full = str(site / match)
            return replace(diagnosis, paths=(full,), hint=hint.replace(wanted, full))
    return replace(diagnosis, hint=hint)
