"""Where ``safepip fix-requirements`` finds a version when the target environment has none.

In order after the target environment: a conda environment's ``conda-meta/*.json`` (the one
given with ``--conda-prefix``, else the active one, ``$CONDA_PREFIX``), then the newest release
on the index the user's pip configuration names (``pip config debug`` of the target
interpreter, ``PIP_INDEX_URL``), filtered by the target's Python and wheel tags.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from packaging.utils import canonicalize_name

from safepip import jsonparse
from safepip.files import read_input

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from packaging.version import Version

    from safepip.pipfacts import Query

#: The largest conda-meta record read (a real one is a few kB to a few hundred kB).
MAX_RECORD_BYTES = 8 * 1024 * 1024
#: Seconds for each index page.
INDEX_TIMEOUT = 10.0


def conda_versions(prefix: str | None) -> dict[str, str]:
    """``{canonical name: version}`` from ``PREFIX/conda-meta/*.json``; empty when unreadable."""
    if not prefix:
        return {}
    found: dict[str, str] = {}
    try:
        records = sorted(Path(prefix, "conda-meta").glob("*.json"))
    except OSError:
        return {}
    for record in records[:10_000]:
        try:
            data, _ = read_input(str(record), MAX_RECORD_BYTES, tail=False)
            meta = jsonparse.loads(data)
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and isinstance(meta.get("name"), str):
            version = meta.get("version")
            if isinstance(version, str) and version:
                found.setdefault(canonicalize_name(meta["name"]), version)
    return found


def configured_index(python: str, env: Mapping[str, str], query: Query) -> str | None:
    """The primary index of the target's pip configuration (as ``pip install`` would use).

    None when that pip does not report its configuration: no index is guessed then.
    """
    from safepip import pipfacts  # noqa: PLC0415

    config = pipfacts.read_config(python, env, query)
    return None if config is None else pipfacts.configured_indexes(config, env)[0]


def index_lookup(
    index_url: str, python: str, env: Mapping[str, str]
) -> Callable[[str], str | None]:
    """A function: project name -> its newest release on ``index_url`` for ``python``, or None.

    Final releases win over pre-releases; the target's Python and wheel tags apply.
    """
    from safepip.index.client import Budget, Index, UrlFetch  # noqa: PLC0415
    from safepip.index.target import TargetEnvironment, probe_target  # noqa: PLC0415

    target = probe_target(python, env) or TargetEnvironment.current()
    index = Index(
        index_url,
        UrlFetch(index_url, INDEX_TIMEOUT),
        target,
        Budget(float("inf"), 10_000),
    )

    def newest(name: str) -> str | None:
        versions: list[Version] = list(index.versions(canonicalize_name(name)))
        finals = [v for v in versions if not v.is_prerelease]
        pick = max(finals or versions, default=None)
        return None if pick is None else str(pick)

    return newest
