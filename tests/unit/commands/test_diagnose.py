"""``safepip diagnose``: one result per log, exit statuses, JSON schema, redaction, limits."""

from __future__ import annotations

import argparse
import io
import json
from pathlib import Path
from typing import Any, cast

import pytest

from safepip.classifier import classify
from safepip.cli import main
from safepip.commands import diagnose
from safepip.errors import UsageError

CORPUS = Path(__file__).resolve().parents[2] / "data" / "pip-logs"
CACHE_CASE = CORPUS / "cache-corrupt" / "pip24.0-using-cached-url-hash-mismatch.txt"
NOT_FOUND_CASE = CORPUS / "not-found" / "pip22.0-typo-versions-listed.txt"


def _run(*args: str) -> tuple[int, str, str]:
    parser = argparse.ArgumentParser()
    diagnose.configure(parser)
    out, err = io.StringIO(), io.StringIO()
    status = diagnose.run(parser.parse_args(list(args)), out, err)
    return status, out.getvalue(), err.getvalue()


def test_text_report_names_kind_evidence_and_remedy() -> None:
    """A recognised log exits 0 and reports kind, evidence, URL, remedy and next step."""
    status, out, _ = _run(str(CACHE_CASE))
    assert status == 0
    assert "kind: cache-corrupt" in out
    assert "policy: after-remedy" in out
    assert "url: http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl" in out
    assert "safepip install would: purge the HTTP-cache entries of" in out
    assert "next step:" in out


def test_a_located_cache_entry_is_purged_with_no_private_cache() -> None:
    """An entry the log names is purged; "could not be located" is not said of it."""
    _, out, _ = _run(str(CACHE_CASE))
    assert "could not be located" not in out
    assert "private cache" not in out.split("safepip install would:", 1)[1].split("\n", 1)[0]


@pytest.mark.parametrize("pip", ["22.0.4", "24.0", "26.3"])
def test_a_corrupt_built_wheel_the_console_does_not_name_is_looked_up_in_the_log(pip: str) -> None:
    """Console: a rerun with --log locates the entry. --log: that wheels/ entry is purged."""
    case = CORPUS / "cache-corrupt" / f"real-pip{pip}-wheels-cache-bad-crc"
    _, console, _ = _run(f"{case}-console.txt")
    would = console.split("safepip install would: ", 1)[1].split("\n", 1)[0]
    assert would.startswith("run pip again with --log to locate the entry"), would
    _, logged, _ = _run(f"{case}-log.txt")
    would = logged.split("safepip install would: ", 1)[1].split("\n", 1)[0]
    assert would.startswith("purge the wheels/ entry file:///tmp/safepip-corpus/cache/wheels/"), (
        would
    )
    assert "private cache" not in would


def test_several_logs_one_result_each_in_json() -> None:
    """Several logs give one JSON result each, in order, with the documented keys."""
    status, out, _ = _run("--json", str(CACHE_CASE), str(NOT_FOUND_CASE))
    assert status == 0
    document = json.loads(out)
    assert document["schema"] == 1
    assert [r["kind"] for r in document["results"]] == ["cache-corrupt", "not-found"]
    assert set(document["results"][0]) == {
        "source",
        "kind",
        "recognised",
        "policy",
        "rule",
        "evidence",
        "package",
        "version",
        "urls",
        "paths",
        "got_hash",
        "expected_hashes",
        "from_cache",
        "nested",
        "cause",
        "remedy",
        "hint",
        "bytes_read",
        "truncated",
        "conflict",
    }
    first = document["results"][0]
    assert first["from_cache"] is True
    assert first["urls"] == ["http://127.0.0.1:8765/files/demo-1.0-py3-none-any.whl"]
    assert document["results"][1]["remedy"].startswith("stop")


def test_unrecognised_log_exits_1(tmp_path: Path) -> None:
    """A log without any pip failure is reported as unknown and the status is 1."""
    log = tmp_path / "ok.log"
    log.write_text("Collecting demo\nSuccessfully installed demo-1.0\n")
    status, out, _ = _run(str(log), str(CACHE_CASE))
    assert status == 1
    assert "kind: unknown (no pip failure found in this log)" in out


def test_empty_log_is_unknown(tmp_path: Path) -> None:
    """An empty file is not an error: it is an unknown result with an empty evidence list."""
    log = tmp_path / "empty.log"
    log.write_bytes(b"")
    status, out, _ = _run("--json", str(log))
    assert status == 1
    result = json.loads(out)["results"][0]
    assert result["kind"] == "unknown"
    assert result["evidence"] == []


@pytest.mark.parametrize("make", ["missing", "directory"])
def test_bad_path_is_usage_error(tmp_path: Path, make: str) -> None:
    """A missing path or a directory raises UsageError (exit 2 through the CLI), not a traceback."""
    target = tmp_path / "nope.log"
    if make == "directory":
        target.mkdir()
    with pytest.raises(UsageError):
        _run(str(target))


def test_cli_usage_error_status_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Through cli.main a missing log exits 2 with a one-line message."""
    status = main(["diagnose", str(tmp_path / "missing.log")])
    captured = capsys.readouterr()
    assert status == 2
    assert "no such file" in captured.err
    assert "Traceback" not in captured.err


def test_credentials_redacted_in_text_and_json(tmp_path: Path) -> None:
    """Index credentials in the log never appear in the text or JSON output."""
    log = tmp_path / "auth.log"
    log.write_text(
        "Looking in indexes: https://bob:hunter2@idx.example.org/simple\n"
        "Collecting demo==1.0\n"
        "  ERROR: HTTP error 401 while getting https://bob:hunter2@idx.example.org/f/demo-1.0.whl\n"
    )
    for args in ([str(log)], ["--json", str(log)]):
        status, out, _ = _run(*args)
        assert status == 0
        assert "hunter2" not in out
        assert "bob:****@idx.example.org" in out


def test_reads_only_the_tail_of_a_huge_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A log longer than the limit is read from its end (where pip's error is) and marked truncated."""
    monkeypatch.setattr(diagnose, "MAX_BYTES", 4096)
    log = tmp_path / "big.log"
    noise = (
        b"ERROR: Could not find a version that satisfies the requirement old (from versions: 1.0)\n"
    )
    log.write_bytes(noise * 200 + CACHE_CASE.read_bytes())
    status, out, _ = _run("--json", str(log))
    result = json.loads(out)["results"][0]
    assert status == 0
    assert result["truncated"] is True
    assert result["bytes_read"] == 4096
    assert result["kind"] == "cache-corrupt"


def test_stdin_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    """'-' (and no argument) reads standard input as bytes, undecodable bytes replaced."""
    data = NOT_FOUND_CASE.read_bytes() + b"\xff\xfe garbage\n"
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(data)))
    status, out, _ = _run("--json")
    result = json.loads(out)["results"][0]
    assert status == 0
    assert result["source"] == "-"
    assert result["kind"] == "not-found"


class _Pipe(io.RawIOBase):
    """A non-seekable byte stream, like a shell pipe."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray) -> int:  # type: ignore[override]
        chunk = self._data.read(len(buffer))
        buffer[: len(chunk)] = chunk
        return len(chunk)


def test_pipe_keeps_bounded_tail(monkeypatch: pytest.MonkeyPatch) -> None:
    """From a pipe (no seek) the log is streamed and only the last MAX_BYTES are kept."""
    monkeypatch.setattr(diagnose, "MAX_BYTES", 4096)
    data = b"x" * 50_000 + b"\n" + CACHE_CASE.read_bytes()
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(cast("Any", _Pipe(data)))))
    status, out, _ = _run("--json", "-")
    result = json.loads(out)["results"][0]
    assert status == 0
    assert result["truncated"] is True
    assert result["kind"] == "cache-corrupt"


def test_no_argument_on_a_terminal_is_usage_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a LOG argument and with a terminal on stdin, diagnose refuses instead of hanging."""

    class _Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    monkeypatch.setattr("sys.stdin", _Tty())
    with pytest.raises(UsageError):
        _run()


def test_utf16_log_from_powershell(tmp_path: Path) -> None:
    """A log saved by PowerShell 5 (UTF-16 with a byte-order mark) is decoded, not garbled."""
    log = tmp_path / "ps.log"
    log.write_bytes(NOT_FOUND_CASE.read_text(encoding="utf-8").encode("utf-16"))
    status, out, _ = _run("--json", str(log))
    assert status == 0
    assert json.loads(out)["results"][0]["kind"] == "not-found"


def test_conflict_is_explained_in_text_and_json(capsys: pytest.CaptureFixture[str]) -> None:
    """A resolution-conflict log gets the plain-words clash in both renderings."""
    log = next((CORPUS / "resolution-conflict").glob("real-pip24.0-*console.txt"))
    assert main(["diagnose", str(log)]) == 0
    assert "needs dep==2.0" in capsys.readouterr().out
    assert main(["diagnose", "--json", str(log)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert any("needs dep==2.0" in line for line in document["results"][0]["conflict"])


BARE_NOT_FOUND = (
    "ERROR: Could not find a version that satisfies the requirement reqeusts-typo"
    " (from versions: none)\n"
    "ERROR: No matching distribution found for reqeusts-typo\n"
)


def test_a_bare_not_found_says_install_would_first_ask_the_debug_log() -> None:
    """As install does for console output: one more run with --log, then stop."""
    diagnosis = classify(BARE_NOT_FOUND)
    said = diagnose.describe_remedy(diagnosis)
    assert said.startswith("if this is pip's console output, run pip once more with --log")
    assert said.endswith("stop (not-found: a retry cannot fix this)")
    assert diagnosis.hint.startswith("pip found no release of reqeusts-typo on this index")


def test_a_not_found_with_versions_listed_stops_at_once() -> None:
    """pip listed releases: the console decided, no --log run would change it."""
    text = BARE_NOT_FOUND.replace(
        "reqeusts-typo (from versions: none)", "demo==3 (from versions: 1.0)"
    )
    assert diagnose.describe_remedy(classify(text)).startswith("stop (not-found")


def test_a_long_log_is_read_as_install_keeps_pip_output(tmp_path: Path) -> None:
    """Tens of MB: the tail and the earlier marker lines are classified, the same way."""
    early = "WARNING: Retrying (Retry(total=4)) after connection broken by 'reset': /simple/demo/"
    noise = "".join(
        f"  building step {i}: compiling a long enough line of output\n" for i in range(150_000)
    )
    text = early + "\n" + noise + BARE_NOT_FOUND
    kept = diagnose._kept(text)
    assert len(kept) < len(text) // 2
    assert early in kept
    assert kept.endswith(BARE_NOT_FOUND)
    log = tmp_path / "long.log"
    log.write_text(text, encoding="utf-8")
    result = diagnose.diagnose_source(str(log))
    assert result.diagnosis.kind == classify(text).kind
    assert result.bytes_read == len(text)
