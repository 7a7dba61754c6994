"""The repository is self-contained: every ``docs/*.md`` it cites exists, with the sections cited.

Code, tests, README and the JSON ``rule`` field cite ``docs/failure-kinds.md §X`` and
``docs/architecture.md §N``; a section mark is a heading (``## §X ...``) of that file.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from safepip.classifier.rules import RULES

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs"
#: Where the repository's text lives (tests/data holds pip logs, whose text is pip's).
SCANNED = ("safepip", "tests", "benchmarks", "examples", "docs", "tools", ".ci")
TOP_FILES = ("README.md", "CHANGELOG.md", "pyproject.toml")
SUFFIXES = {".py", ".md", ".toml", ".txt", ".yml", ".ini", ".sh", ""}

_CITE = re.compile(r"docs/([\w-]+\.md)")
_MARK = re.compile(r"§([0-9A-Z](?:\.[0-9]+)?)")
_HEADING = re.compile(r"^#+\s+§([0-9A-Z](?:\.[0-9]+)?)\b", re.MULTILINE)
#: The notes the project grew from, which live outside the repository.
_OUTSIDE = tuple(name + ".md" for name in ("pip-failures", "DESIGN", "STYLE"))


def _texts() -> list[tuple[Path, str]]:
    paths = [ROOT / name for name in TOP_FILES]
    for folder in SCANNED:
        base = ROOT / folder
        if not base.is_dir():
            continue
        paths += [
            p
            for p in sorted(base.rglob("*"))
            if p.is_file()
            and p.suffix in SUFFIXES
            and "__pycache__" not in p.parts
            and not any(part.endswith(("venv", "wheelhouse", "venvs")) for part in p.parts)
            and not (p.suffix == ".txt" and "pip-logs" in p.parts)
        ]
    return [(p, p.read_text(encoding="utf-8", errors="replace")) for p in paths if p.is_file()]


def _citations(text: str) -> list[tuple[str, str]]:
    """(document, section) pairs; a section is '' when the citation names none."""
    found: list[tuple[str, str]] = []
    for line in text.splitlines():
        matches = list(_CITE.finditer(line))
        for i, match in enumerate(matches):
            end = matches[i + 1].start() if i + 1 < len(matches) else len(line)
            marks = _MARK.findall(line[match.end() : end])
            found += [(match.group(1), mark) for mark in marks] or [(match.group(1), "")]
    return found


def _headings(doc: str) -> set[str]:
    return set(_HEADING.findall((DOCS / doc).read_text(encoding="utf-8")))


@pytest.mark.skipif(not DOCS.is_dir(), reason="run from a checkout of the repository")
def test_every_cited_doc_and_section_exists() -> None:
    """A citation of a missing document, or of a section that is not a heading in it, fails."""
    missing: list[str] = []
    for path, text in _texts():
        if path == Path(__file__).resolve():
            continue  # its own examples
        for doc, mark in _citations(text):
            where = f"{path.relative_to(ROOT)}: docs/{doc} {'§' + mark if mark else ''}"
            if not (DOCS / doc).is_file() or (mark and mark not in _headings(doc)):
                missing.append(where)
    assert missing == []


@pytest.mark.skipif(not DOCS.is_dir(), reason="run from a checkout of the repository")
def test_nothing_points_outside_the_repository() -> None:
    """The design notes the project grew from are outside the repository: nothing names them."""
    offenders = [
        str(path.relative_to(ROOT))
        for path, text in _texts()
        if any(name in text for name in _OUTSIDE)
    ]
    assert offenders == []


def test_rules_cite_the_failure_catalogue() -> None:
    """The JSON ``rule`` field is a rule's source: a cited document is docs/failure-kinds.md."""
    cited = [rule.source for rule in RULES if ".md" in rule.source]
    assert len(cited) > len(RULES) // 2
    assert [s for s in cited if not s.startswith("docs/failure-kinds.md §")] == []


def test_the_citation_reader_finds_each_mark() -> None:
    """The checker itself: several marks after one citation, two citations on one line."""
    line = "see docs/a.md §A, §G.2 and docs/b.md §4; docs/c.md alone"
    assert _citations(line) == [("a.md", "A"), ("a.md", "G.2"), ("b.md", "4"), ("c.md", "")]
