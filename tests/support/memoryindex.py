"""An in-memory package index and a scripted verifier for the conflict-proposal tests."""

from __future__ import annotations

import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from safepip.conflicts.explain import Clash, Conflict
from safepip.conflicts.propose import propose
from safepip.index.target import TargetEnvironment

if TYPE_CHECKING:
    from safepip.conflicts.verify import Proposal

INDEX = "https://user:s3cret@index.example/simple"


TARGET = TargetEnvironment(
    markers=(
        ("python_full_version", "3.11.4"),
        ("python_version", "3.11"),
        ("sys_platform", "linux"),
    ),
    tags=frozenset({"py3-none-any", "cp311-cp311-manylinux_2_17_x86_64"}),
)


@dataclass
class Release:
    """One release served by :class:`MemoryIndex`."""

    version: str
    requires: tuple[str, ...] = ()
    metadata: str = "wheel"  # "wheel" (download the wheel), "pep658" (.metadata file), "sdist"
    requires_python: str | None = None
    yanked: bool = False
    tag: str = "py3-none-any"


@dataclass
class MemoryIndex:
    """A fake index behind ``fetch``: PEP 503 HTML or PEP 691 JSON pages, wheels, .metadata."""

    projects: dict[str, list[Release]]
    json_pages: bool = False
    fetched: list[str] = field(default_factory=list)

    def _metadata(self, name: str, release: Release) -> bytes:
        lines = ["Metadata-Version: 2.1", f"Name: {name}", f"Version: {release.version}"]
        lines += [f"Requires-Dist: {req}" for req in release.requires]
        return ("\n".join(lines) + "\n\n").encode()

    def _filename(self, name: str, release: Release) -> str:
        if release.metadata == "sdist":
            return f"{name}-{release.version}.tar.gz"
        return f"{name}-{release.version}-{release.tag}.whl"

    def _page(self, name: str) -> bytes:
        releases = self.projects[name]
        if self.json_pages:
            files: list[dict[str, object]] = [
                {
                    "filename": self._filename(name, r),
                    "url": f"../../files/{self._filename(name, r)}",
                    "hashes": {},
                    "requires-python": r.requires_python,
                    "yanked": r.yanked,
                    "core-metadata": r.metadata == "pep658",
                }
                for r in releases
            ]
            return json.dumps(
                {"meta": {"api-version": "1.1"}, "name": name, "files": files}
            ).encode()
        anchors = []
        for r in releases:
            attrs = f'href="../../files/{self._filename(name, r)}#sha256=00"'
            if r.requires_python:
                attrs += f' data-requires-python="{r.requires_python.replace(">", "&gt;")}"'
            if r.yanked:
                attrs += ' data-yanked=""'
            if r.metadata == "pep658":
                attrs += ' data-dist-info-metadata="sha256=00"'
            anchors.append(f"<a {attrs}>{self._filename(name, r)}</a><br/>")
        return f"<html><body>{''.join(anchors)}</body></html>".encode()

    def __call__(self, url: str) -> bytes:
        self.fetched.append(url)
        prefix = "https://user:s3cret@index.example/"
        assert url.startswith(prefix), url
        path = url[len(prefix) :]
        if path.startswith("simple/"):
            name = path[len("simple/") :].strip("/")
            if name not in self.projects:
                raise OSError(f"HTTP Error 404: Not Found for {url}")
            return self._page(name)
        filename = path[len("files/") :]
        for name, releases in self.projects.items():
            for r in releases:
                if filename == self._filename(name, r) + ".metadata" and r.metadata == "pep658":
                    return self._metadata(name, r)
                if filename == self._filename(name, r):
                    if r.metadata == "sdist":
                        return b"not a zip"
                    buffer = io.BytesIO()
                    with zipfile.ZipFile(buffer, "w") as zf:
                        zf.writestr(f"{name}/__init__.py", "")
                        zf.writestr(
                            f"{name}-{r.version}.dist-info/METADATA", self._metadata(name, r)
                        )
                    return buffer.getvalue()
        raise OSError(f"HTTP Error 404: Not Found for {url}")


@dataclass
class Verifier:
    """Records what it is asked; answers from a script (default: always yes)."""

    answers: list[bool] = field(default_factory=list)
    asked: list[list[str]] = field(default_factory=list)

    def __call__(self, args: object) -> bool:
        assert isinstance(args, (list, tuple))
        self.asked.append([str(a) for a in args])
        return self.answers.pop(0) if self.answers else True


def run_propose(
    conflict: Conflict, index: MemoryIndex, verifier: Verifier | None = None, **kwargs: object
) -> Proposal | None:
    return propose(
        conflict,
        index_url=INDEX,
        python="python3",
        env={},
        fetch=index,
        verify=verifier or Verifier(),
        target=TARGET,
        **kwargs,  # type: ignore[arg-type]
    )


def transitive_index(*, json_pages: bool = False) -> MemoryIndex:
    return MemoryIndex(
        {
            "a": [Release("1.0", ("c==1.0",))],
            "b": [
                Release("1.0", ("c>=1,<2",)),
                Release("1.5", ("c>=1,<2",)),
                Release("2.0", ("c==2.0",)),
            ],
            "c": [Release("1.0"), Release("2.0"), Release("3.0")],
        },
        json_pages=json_pages,
    )


TRANSITIVE = Conflict(
    package="c",
    clashes=(Clash("a 1.0", "c==1.0"), Clash("b 2.0", "c==2.0")),
    user_requirements=("a==1.0", "b==2.0"),
)
