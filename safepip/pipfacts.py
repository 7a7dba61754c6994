"""Facts about what pip talks to: its configuration (``pip config debug``) and its indexes.

Used by ``safepip doctor``; nothing here judges, it only reads. The index probe is one bounded
request that cannot hang (docs/failure-kinds.md §B: a silent index failure looks like not-found).
"""

from __future__ import annotations

import re
import threading
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

if TYPE_CHECKING:
    from collections.abc import Mapping

DEFAULT_INDEX = "https://pypi.org/simple/"


@dataclass(frozen=True)
class PipConfig:
    """What ``pip config debug`` says: files in use, values, ``PIP_*`` variables."""

    files: tuple[str, ...]
    values: dict[str, str]
    env_vars: dict[str, str]


def parse_config_debug(text: str) -> PipConfig:
    """Parse ``pip config debug`` output (pip >= 20)."""
    files: list[str] = []
    values: dict[str, str] = {}
    env_vars: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        if re.fullmatch(r"[a-z_]+:", line):
            section = line[:-1]
            continue
        file_line = re.fullmatch(r"  (\S.*), exists: (True|False)", line)
        if file_line:
            if file_line.group(2) == "True":
                files.append(file_line.group(1))
            continue
        value = re.fullmatch(r"    ([\w.:-]+): (.*)", line)
        if value:
            values[value.group(1)] = value.group(2)
            continue
        env_var = re.fullmatch(r"  (PIP_\w+)='(.*)'", line)
        if env_var and section == "env_var":
            env_vars[env_var.group(1)] = env_var.group(2)
    return PipConfig(tuple(files), values, env_vars)


def configured_indexes(config: PipConfig | None, env: Mapping[str, str]) -> list[str]:
    """Every index URL pip may use: ``PIP_*`` variables, config values, else PyPI."""
    found: list[str] = []
    values = dict(config.values) if config else {}
    for key in ("PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL"):
        found.extend(env.get(key, "").split())
    found.extend(
        url
        for key, value in sorted(values.items())
        if key.endswith(("index-url", "extra-index-url"))
        for url in value.split()
    )
    has_primary = env.get("PIP_INDEX_URL") or any(
        k.endswith(".index-url") and not k.endswith("extra-index-url") for k in values
    )
    if not has_primary:
        found.insert(0, DEFAULT_INDEX)
    return list(dict.fromkeys(found))


def probe_index(url: str, timeout: float) -> tuple[bool, str]:
    """One bounded HEAD request (GET-free) to an index; never hangs past ``timeout``.

    DNS resolution ignores socket timeouts, so the request runs in a daemon thread that is
    abandoned when the deadline passes.
    """
    parts = urlsplit(url)
    if parts.scheme == "file":
        exists = Path(urllib.request.url2pathname(parts.path)).is_dir()
        return exists, "local directory" if exists else "local directory missing"
    netloc = parts.netloc.rsplit("@", 1)[-1]  # credentials are not sent in a doctor probe
    request = urllib.request.Request(  # noqa: S310 - http(s) only: file: handled above
        urlunsplit((parts.scheme, netloc, parts.path or "/", "", "")), method="HEAD"
    )
    result: list[tuple[bool, str]] = []

    def attempt() -> None:
        try:
            with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                result.append((True, f"HTTP {response.status}"))
        except urllib.error.HTTPError as exc:
            reachable = exc.code < 500
            result.append((reachable, f"HTTP {exc.code}"))
        except (urllib.error.URLError, OSError, ValueError) as exc:
            reason = getattr(exc, "reason", exc)
            result.append((False, str(reason)))

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout + 1)
    return result[0] if result else (False, f"no answer in {timeout:g} s")
