"""The classifier corpus: every ``tests/data/pip-logs/<kind>/<case>.txt`` is classified as ``<kind>``.

Hand-written cases (``pipX-...``) are written from pip's source for version X; real ones
(``real-pipX-...``) come from real pip runs against the local fault-injecting index. An optional
``<case>.toml`` sidecar holds ``comment``, ``pip_version``, ``format`` and expectations:
``package``, ``url`` (one of ``Diagnosis.urls``), ``path`` (one of ``Diagnosis.paths``), ``policy``,
``from_cache``, ``nested``.
Adding a regression test means adding a file; a known miss goes into :data:`XFAIL`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from safepip.classifier import classify
from safepip.classifier import patterns as pat
from safepip.model import FailureKind

if sys.version_info >= (3, 11):
    import tomllib

    _load_toml = tomllib.loads
else:  # pragma: no cover - CI's Python 3.9 pass has no tomllib

    def _load_toml(text: str) -> dict[str, object]:
        """Read the sidecar subset of TOML: ``key = "string"`` and ``key = true|false``."""
        data: dict[str, object] = {}
        for line in text.splitlines():
            key, sep, value = (part.strip() for part in line.partition("="))
            if sep and key.isidentifier():
                data[key] = json.loads(value)
        return data


CORPUS = Path(__file__).resolve().parents[2] / "data" / "pip-logs"

#: case name -> why it is still misclassified (strict: an unexpected pass fails the suite).
XFAIL: dict[str, str] = {
    # The console of an index-page reset names no package at all ("Collecting" is never printed);
    # only the --log variant (which passes) says "search for versions of demo".
    "real-pip22.0.4-index-reset-console": "no package name anywhere in this console output",
    "real-pip24.0-index-reset-console": "no package name anywhere in this console output",
    "real-pip26.3-index-reset-console": "no package name anywhere in this console output",
    # pip 22.0 prints no "Ignored the following versions" line (§E python-incompatible), so the
    # console is identical to a genuine not-found; the --log variant (which passes) has the cause.
    "real-pip22.0.4-requires-python-index-console": "indistinguishable from not-found on pip 22.0",
}


def _cases() -> list[object]:
    params: list[object] = []
    for path in sorted(CORPUS.glob("*/*.txt")):
        marks = []
        if path.stem in XFAIL:
            marks.append(pytest.mark.xfail(reason=XFAIL[path.stem], strict=True))
        params.append(pytest.param(path, id=f"{path.parent.name}/{path.stem}", marks=marks))
    return params


def test_corpus_has_every_kind() -> None:
    """Every failure kind except interrupted has at least three corpus cases."""
    counts = {kind: len(list((CORPUS / kind.value).glob("*.txt"))) for kind in FailureKind}
    thin = {k.value: n for k, n in counts.items() if n < 3 and k is not FailureKind.INTERRUPTED}
    assert thin == {}


@pytest.mark.parametrize("path", _cases())
def test_corpus_case(path: Path) -> None:
    """The case is classified as its folder's kind, with the sidecar's expectations."""
    text = path.read_bytes().decode("utf-8", errors="replace")
    diagnosis = classify(text)
    assert diagnosis.kind.value == path.parent.name, diagnosis
    assert diagnosis.evidence, "a recognised failure must show its evidence"
    sidecar = path.with_suffix(".toml")
    if not sidecar.exists():
        return
    expect = _load_toml(sidecar.read_text(encoding="utf-8"))
    if "package" in expect:
        assert diagnosis.package is not None
        assert diagnosis.package.lower().replace("_", "-") == expect["package"].lower().replace(
            "_", "-"
        )
    if "url" in expect:
        assert expect["url"] in diagnosis.urls, diagnosis.urls
    if "path" in expect:
        assert expect["path"] in diagnosis.paths, diagnosis.paths
    if "policy" in expect:
        assert diagnosis.policy.value == expect["policy"]
    if "from_cache" in expect:
        assert diagnosis.from_cache is expect["from_cache"]
    if "nested" in expect:
        assert diagnosis.nested is expect["nested"]


def test_a_damaged_member_names_its_wheel_not_the_last_download() -> None:
    """The package is the wheel the CRC error names; the last Downloading URL is not its file."""
    path = CORPUS / "download-corrupt" / "pip24.2-bad-crc-names-member-not-last-download.txt"
    diagnosis = classify(path.read_text(encoding="utf-8"))
    assert (diagnosis.package, diagnosis.version) == ("idna", "3.10")
    assert diagnosis.urls == ()  # nothing to purge: mdurl's cached copy is not the damaged file


WHEEL_LINK_CASES = ("real-pip22.0.4", "real-pip24.0", "real-pip26.3")
BUILT_ENTRY = (
    "file:///tmp/safepip-corpus/cache/wheels/c2/62/90/"
    "3d9a127e3313ad838bfebfddfe48fc051e5e874b03f14a612b/built_demo-3.0-py3-none-any.whl"
)


def _case(name: str) -> str:
    return (CORPUS / "cache-corrupt" / f"{name}.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("pip", WHEEL_LINK_CASES)
def test_a_corrupt_built_wheel_is_located_by_its_cached_wheel_link(pip: str) -> None:
    """pip's --log names the wheels/ file (``Using cached wheel link: file:///...``).

    The console does not, so a console diagnosis locates nothing (and the loop reruns with --log).
    """
    logged = classify(_case(f"{pip}-wheels-cache-bad-crc-log"))
    assert logged.paths == (BUILT_ENTRY,)
    assert logged.urls == ()
    console = classify(_case(f"{pip}-wheels-cache-bad-crc-console"))
    assert console.kind is FailureKind.CACHE_CORRUPT
    assert (console.paths, console.urls) == ((), ())


def test_the_wheel_link_of_another_file_locates_nothing() -> None:
    """Only the link whose file name is the one 'Using cached' read names the entry."""
    text = _case("real-pip26.3-wheels-cache-bad-crc-log").replace(
        "wheel link: file:///tmp/safepip-corpus/cache/wheels/c2/62/90/"
        "3d9a127e3313ad838bfebfddfe48fc051e5e874b03f14a612b/built_demo-3.0-py3-none-any.whl",
        "wheel link: file:///tmp/safepip-corpus/cache/wheels/c2/62/90/"
        "3d9a127e3313ad838bfebfddfe48fc051e5e874b03f14a612b/other-1.0-py3-none-any.whl",
    )
    diagnosis = classify(text)
    assert diagnosis.kind is FailureKind.CACHE_CORRUPT
    assert diagnosis.paths == ()


def test_a_percent_encoded_wheel_link_is_kept_as_printed() -> None:
    """A cache path with a space is a %20 in the link: compared decoded, kept as printed.

    The cache side decodes it (local hosts only).
    """
    text = _case("real-pip24.0-wheels-cache-bad-crc-log").replace(
        "/tmp/safepip-corpus/cache/", "/tmp/safepip%20corpus/cache/"
    )
    diagnosis = classify(text)
    assert diagnosis.paths == (BUILT_ENTRY.replace("safepip-corpus", "safepip%20corpus"),)


def test_the_wheel_link_line_is_not_a_fetch_of_a_project_named_wheel() -> None:
    """``Using cached wheel link:`` is pip's debug line, not ``Using cached <file>``."""
    assert pat.FETCH.match("Using cached wheel link: file:///c/wheels/a/b.whl") is None
    fetch = pat.FETCH.match("  Using cached wheel-0.45.1-py3-none-any.whl")
    assert fetch is not None
    assert fetch.group(2) == "wheel-0.45.1-py3-none-any.whl"
