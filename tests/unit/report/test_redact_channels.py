"""Generated credentials never leave safepip, in any channel, through the real CLI entry.

Each secret carries the markers ``Q7X`` (start) and ``Z9K`` (end) around a body that hypothesis
fills with quotes, ``<``, ``%``-escapes, several ``@`` and any length: neither marker may appear in
what safepip prints or writes (text report, JSON report, GitHub annotations and step summary,
GitLab section headers, ``diagnose`` text and JSON, ``doctor`` text and JSON, ``fix-requirements``
messages, the pip log safepip keeps). The user's own ``--log`` is left as pip wrote it, and the
report says it may hold credentials.
"""

from __future__ import annotations

import json
import os
import string
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from support.fakepip import fake_pip

from safepip.cli import main

START, END = "Q7X", "Z9K"
#: Anything a password may hold except what ends a URL's authority (whitespace, `/`, `\`).
_PASSWORD_CHARS = st.characters(
    blacklist_categories=("Cs", "Zs", "Zl", "Zp", "Cc"), blacklist_characters="/\\"
)
_QUERY_CHARS = string.ascii_letters + string.digits + "%._~+/=-:@!$'()*,;"


@st.composite
def credential_urls(draw: st.DrawFn) -> str:
    """A URL carrying a secret in one of the forms pip users write or pip prints."""
    body = draw(
        st.one_of(
            st.text(_PASSWORD_CHARS, max_size=40),
            st.integers(0, 3000).map(lambda n: "x" * n),
            st.lists(
                st.sampled_from(["@", "'", '"', "<", ">", "%40", "%2F", ":"]), max_size=12
            ).map("".join),
        )
    )
    secret = f"{START}{body}{END}"
    user = draw(st.sampled_from(["alice", "__token__", "aws", "oauth2"]))
    host = draw(st.sampled_from(["idx.example", "127.0.0.1:1", "gitlab.example.org"]))
    form = draw(st.sampled_from(["password", "token", "query"]))
    if form == "password":
        return f"https://{user}:{secret}@{host}/simple"
    if form == "token":  # a `:` would make the part before it a (shown) user name
        return f"https://{secret.replace(':', '%3A')}@{host}/simple"
    key = draw(st.sampled_from(["token", "access_token", "sig", "X-Amz-Signature", "api_key"]))
    value = START + draw(st.text(_QUERY_CHARS, max_size=60)) + END
    return f"https://{host}/simple?{key}={value}&v=1"


def _clean(text: str) -> None:
    assert START not in text
    assert END not in text


SETTINGS = settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def ci_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Both CI reporters on: annotations, step summary and GitLab sections."""
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITLAB_CI", "true")


@SETTINGS
@given(url=credential_urls())
def test_install_channels(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], ci_env: None
) -> None:
    """Text report, JSON report, annotations, step summary, GitLab headers, the kept log."""
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    os.environ["GITHUB_STEP_SUMMARY"] = str(work / "summary.md")
    log = work / "pip-output.txt"
    log.write_text(
        f"Looking in indexes: {url}\n"
        f"Collecting demo@ {url}/demo-1.0.tar.gz\n"
        f"ERROR: HTTP error 401 while getting {url}/demo/\n"
        f"ERROR: Could not install requirement demo from {url}/demo-1.0.tar.gz because of HTTP"
        f" error 401 Client Error: Unauthorized for url: {url}/demo-1.0.tar.gz\n",
        encoding="utf-8",
    )
    # the console leaves the kind open, so safepip asks for pip's --log on the next attempt
    python = fake_pip(
        work,
        f'[ "$LOG" = /dev/stderr ] && {{ echo "ERROR: odd failure" >&2; exit 1; }}\ncat "{log}" > "$LOG"\nexit 1\n',
    )
    report = work / "report.json"
    args = ["install", "--python", str(python), "--report-json", str(report), "--no-explain"]
    status = main([*args, "--index-url", url, "demo"])
    assert status == 1
    out, err = capsys.readouterr()
    _clean(out + err)
    document = json.loads(report.read_text(encoding="utf-8"))
    _clean(report.read_text(encoding="utf-8"))
    _clean((work / "summary.md").read_text(encoding="utf-8"))
    kept = document["log_path"]
    assert kept is not None
    _clean(Path(kept).read_text(encoding="utf-8"))
    assert "401" in Path(kept).read_text(encoding="utf-8")
    assert document["unredacted_log"] is None


def test_the_users_own_log_is_untouched_but_flagged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """``--log mine.log``: pip's secrets stay in the user's file; the report says so."""
    secret_url = f"https://alice:{START}pw{END}@idx.example/simple"
    python = fake_pip(
        tmp_path,
        f"echo 'ERROR: HTTP error 401 while getting {secret_url}/demo/' >> \"$LOG\"\nexit 1\n",
    )
    mine = tmp_path / "mine.log"
    report = tmp_path / "r.json"
    status = main(
        [
            "install",
            "--python",
            str(python),
            "--report-json",
            str(report),
            "demo",
            "--log",
            str(mine),
        ]
    )
    assert status == 1
    err = capsys.readouterr().err
    _clean(err)
    assert f"your pip log {mine} may hold credentials" in err
    assert START in mine.read_text()
    assert json.loads(report.read_text())["unredacted_log"] == str(mine)


@SETTINGS
@given(url=credential_urls())
def test_diagnose_text_and_json(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    log = work / "ci.log"
    log.write_text(
        f"ERROR: HTTP error 403 while getting {url}/demo-1.0.whl\n"
        f"ERROR: Could not install requirement demo from {url}/demo-1.0.whl because of HTTP"
        f" error 403 Client Error: Forbidden for url: {url}/demo-1.0.whl\n",
        encoding="utf-8",
    )
    main(["diagnose", str(log)])
    main(["diagnose", "--json", str(log)])
    out, err = capsys.readouterr()
    _clean(out + err)
    document = json.loads(out[out.index('{\n  "schema"') :])
    assert document["results"][0]["kind"] != "unknown"


def _fake_python(tmp_path: Path, *, config: str, info: object) -> Path:
    """A stand-in interpreter answering doctor's and fix-requirements' questions."""
    answers = tmp_path / "answers.json"
    answers.write_text(json.dumps({"config": config, "info": info}), encoding="utf-8")
    script = tmp_path / "python"
    script.write_text(
        f"#!{sys.executable}\n"
        "import json, sys\n"
        f"answers = json.load(open({str(answers)!r}))\n"
        "args = sys.argv[1:]\n"
        "if args[:1] == ['-c'] and 'sysconfig' in args[1]:\n"
        "    print(json.dumps(answers['info']))\n"
        "elif args[:4] == ['-m', 'pip', 'config', 'debug']:\n"
        "    print(answers['config'])\n"
        "elif args[:4] == ['-m', 'pip', 'cache', 'dir']:\n"
        f"    print({str(tmp_path / 'cache')!r})\n"
        "else:\n"
        "    sys.exit(1)\n",
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


@SETTINGS
@given(url=credential_urls())
# A `#` or `?` in the password ends the address before its `@`: urllib cannot build the probe.
@example(url=f"https://alice:{START}#{END}@idx.example/simple")
@example(url=f"https://alice:{START}?{END}@idx.example/simple")
def test_doctor_text_and_json(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Config values, index probes (to a closed loopback port) and odd interpreter answers."""
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    monkeypatch.delenv("PIP_INDEX_URL", raising=False)
    monkeypatch.delenv("PIP_NO_INDEX", raising=False)
    config = (
        f"env_var:\nenv:\nglobal:\n  /etc/pip.conf, exists: True\n    global.index-url: {url}\n"
    )
    info = {
        "version": f"3.11 {url}",
        "prefix": url,
        "base_prefix": "/usr",
        "stdlib": "/nonexistent",
        "purelib": "/nonexistent",
        "platlib": "/nonexistent",
        "pip": "24.0",
    }
    python = _fake_python(work, config=config, info=info)
    main(["doctor", "--python", str(python), "--timeout", "0.5"])
    main(["doctor", "--python", str(python), "--timeout", "0.5", "--json"])
    out, err = capsys.readouterr()
    _clean(out + err)
    assert "pip config" in out


@SETTINGS
@given(url=credential_urls())
def test_fix_requirements_messages(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The per-line messages name the line without its credentials; the output keeps its bytes."""
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    file_url = url.replace("https://", "file://", 1) + "/tmp/build/demo-1.0.tar.gz"
    req = work / "req.txt"
    req.write_text(f"demo @ {file_url}\n", encoding="utf-8")
    out_file = work / "out.txt"
    python = _fake_python(work, config="", info={})
    main(["fix-requirements", str(req), "-o", str(out_file), "--python", str(python)])
    out, err = capsys.readouterr()
    _clean(out + err)
    assert "line 1: demo" in err
    assert out_file.read_text(encoding="utf-8") in (f"demo @ {file_url}\n", "demo==1.0\n")
