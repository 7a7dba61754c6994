"""``safepip.index.page``: the one reader of index pages (the conflict search and the cache scanner)."""

from __future__ import annotations

import json

import pytest
from packaging.version import Version

from safepip.index.page import file_version, page_links, parse_page, read_page

HTML = b"""<!DOCTYPE html><html><head><TITLE>Links for Demo_Pkg</TITLE>
<base href="https://files.example/p/"></head><body>
<a href="demo_pkg-1.0.tar.gz#sha256=00" data-requires-python="&gt;=3.8">demo</a>
<A HREF='demo_pkg-1.1-py3-none-any.whl' data-core-metadata="sha256=11">demo</A>
<a href=demo_pkg-1.2-py3-none-any.whl data-yanked>demo</a>
<a href="demo_pkg-1.3-py3-none-any.whl" data-dist-info-metadata="false">demo</a>
<a href="other-1.0.tar.gz">other</a>
</body></html>"""


def test_read_page_html_title_base_attributes_and_yanking() -> None:
    """Title name, <base>, entities in attributes, metadata and yanked marks, any case."""
    page = read_page(HTML, "https://index.example/simple/demo-pkg/")
    assert page is not None
    assert page.name == "Demo_Pkg"
    assert [link.url for link in page.links] == [
        "https://files.example/p/demo_pkg-1.0.tar.gz",
        "https://files.example/p/demo_pkg-1.1-py3-none-any.whl",
        "https://files.example/p/demo_pkg-1.2-py3-none-any.whl",
        "https://files.example/p/demo_pkg-1.3-py3-none-any.whl",
        "https://files.example/p/other-1.0.tar.gz",
    ]
    first, second, third, fourth, _ = page.links
    assert first.requires_python == ">=3.8"
    assert (second.has_metadata, third.yanked, fourth.has_metadata) == (True, True, False)


def test_parse_page_keeps_the_projects_unyanked_files() -> None:
    """Files of other projects and yanked ones are left out; versions and tags come parsed."""
    files = parse_page(HTML, "https://index.example/simple/demo-pkg/", "demo-pkg")
    assert [(f.version, f.wheel_tags) for f in files] == [
        (Version("1.0"), None),
        (Version("1.1"), frozenset({"py3-none-any"})),
        (Version("1.3"), frozenset({"py3-none-any"})),
    ]
    assert files[1].metadata_url == files[1].url + ".metadata"


def test_json_pages_and_pages_that_are_not() -> None:
    """A PEP 691 page gives its name and files; JSON without files is no project page."""
    body = json.dumps(
        {
            "name": "demo",
            "files": [
                {"filename": "demo-1.0.tar.gz", "url": "../f/demo-1.0.tar.gz#x", "yanked": "bad"},
                {"url": "/g/demo-2.0-py3-none-any.whl", "core-metadata": {"sha256": "0"}},
                {"filename": "no-url.tar.gz"},
            ],
        }
    ).encode()
    page = read_page(body, "https://h/simple/demo/")
    assert page is not None
    assert page.name == "demo"
    assert [(link.url, link.filename, link.yanked, link.has_metadata) for link in page.links] == [
        ("https://h/simple/f/demo-1.0.tar.gz", "demo-1.0.tar.gz", True, False),
        ("https://h/g/demo-2.0-py3-none-any.whl", "demo-2.0-py3-none-any.whl", False, True),
    ]
    for not_a_page in (b"{", b'{"name": "x"}', b'{"files": {}}'):
        assert read_page(not_a_page, "https://h/") is None
        assert page_links(not_a_page, "https://h/") == []
    with pytest.raises(ValueError, match="project page"):
        parse_page(b'{"meta": {}}', "https://h/simple/demo/", "demo")


@pytest.mark.parametrize(
    "body",
    [
        b"<a " * 200_000,
        b"<" * 500_000,
        b"<a href='" + b"x" * 500_000,
        b"<title>" * 100_000,
        b'<a href="x.whl>y</a>',
    ],
)
def test_hostile_html_gives_no_links_and_no_error(body: bytes) -> None:
    """Unclosed tags and quotes are read as nothing (the scanner stops a tag at the next '<')."""
    page = read_page(body, "https://h/")
    assert page is not None
    assert all(link.url.startswith("https://h/") for link in page.links)


@pytest.mark.parametrize(
    ("filename", "project", "version"),
    [
        ("demo-1.0-py3-none-any.whl", "demo", "1.0"),
        ("Demo_Pkg-2.0-1-py3-none-any.whl", "demo-pkg", "2.0"),
        ("demo-1.0-py3-none-any.whl.metadata", "demo", "1.0"),
        ("foo-bar-1.0.tar.gz", "foo-bar", "1.0"),
        ("foo-bar-1.0.tar.gz", "foo", None),
        ("foo.bar-3.zip", "foo-bar", "3"),
        ("demo-0.9.tar.bz2", "demo", "0.9"),
        ("demo-0.8.tgz", "demo", "0.8"),
        ("demo-1.0.exe", "demo", None),
        ("demolition-1.0-py3-none-any.whl", "demo", None),
        ("demo-notaversion-py3-none-any.whl", "demo", None),
    ],
)
def test_file_version(filename: str, project: str, version: str | None) -> None:
    """Distribution file names map to a version of exactly that project (PEP 503 names)."""
    parsed = file_version(filename, project)
    assert (str(parsed[0]) if parsed else None) == version


def test_read_page_gives_each_links_sha256() -> None:
    """#sha256= in HTML and hashes.sha256 in JSON, lower-cased; anything else is None."""
    digest = "AB" * 32
    html_page = (
        f'<a href="https://f/x-1.0.tar.gz#sha256={digest}">x</a>'
        '<a href="https://f/x-2.0.tar.gz#md5=00">x</a><a href="https://f/x-3.0.tar.gz#sha256=zz">x</a>'
    ).encode()
    page = read_page(html_page, "https://i/simple/x/")
    assert page is not None
    assert [link.sha256 for link in page.links] == [digest.lower(), None, None]
    json_page = (
        '{"name": "x", "files": [{"url": "x-1.0.tar.gz", "hashes": {"sha256": "'
        + digest
        + '"}}, {"url": "x-2.0.tar.gz", "hashes": {}}]}'
    ).encode()
    page = read_page(json_page, "https://i/simple/x/")
    assert page is not None
    assert [link.sha256 for link in page.links] == [digest.lower(), None]
