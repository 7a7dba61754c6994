"""``safepip.files``: the one writer and the bounded reader, on real files, FIFOs and devices."""

from __future__ import annotations

import errno
import os
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from safepip import files
from safepip.files import (
    SYMLINK,
    NotRegularFile,
    TooLarge,
    append_file,
    open_regular,
    read_input,
    write_file,
)


def _fifo_reader(path: Path) -> tuple[threading.Thread, list[bytes]]:
    got: list[bytes] = []

    def read() -> None:
        with path.open("rb") as handle:
            got.append(handle.read())

    thread = threading.Thread(target=read, daemon=True)
    thread.start()
    return thread, got


def test_new_file_gets_the_data_and_a_shell_like_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    write_file(str(target), b"{}\n")
    assert target.read_bytes() == b"{}\n"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(target.stat().st_mode) == 0o666 & ~mask
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.json"]


def test_existing_file_is_replaced_and_keeps_its_mode(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_bytes(b"old content that is longer")
    target.chmod(0o640)
    write_file(str(target), [b"new ", b"content"])
    assert target.read_bytes() == b"new content"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640


def test_a_link_planted_at_the_temp_name_is_never_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Even if the random temp name were guessed, O_EXCL skips the planted link."""
    victim = tmp_path / "victim"
    victim.write_text("precious")
    names = iter(["guessed", "guessed", "other"])
    monkeypatch.setattr(tempfile, "_get_candidate_names", lambda: names)
    (tmp_path / ".out.json.guessed.safepip-tmp").symlink_to(victim)
    write_file(str(tmp_path / "out.json"), b"{}")
    assert victim.read_text() == "precious"
    assert (tmp_path / "out.json").read_bytes() == b"{}"


def test_a_symlink_the_user_named_is_followed_like_a_redirection(tmp_path: Path) -> None:
    """The link stays a link; the file it points to gets the data."""
    real = tmp_path / "real.txt"
    real.write_text("old")
    link = tmp_path / "link.txt"
    link.symlink_to(real)
    write_file(str(link), b"new")
    assert link.is_symlink()
    assert real.read_bytes() == b"new"
    dangling = tmp_path / "dangling"
    dangling.symlink_to(tmp_path / "created-by-write")
    write_file(str(dangling), b"x")
    assert (tmp_path / "created-by-write").read_bytes() == b"x"
    assert dangling.is_symlink()


def test_a_fifo_is_written_in_place(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    thread, got = _fifo_reader(fifo)
    write_file(str(fifo), b"through the pipe")
    thread.join(10)
    assert got == [b"through the pipe"]
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_dev_null_and_a_link_to_it_stay_devices(tmp_path: Path) -> None:
    """Writing to a character device never creates a temp file beside it or replaces it."""
    link = tmp_path / "null-link"
    link.symlink_to(os.devnull)
    write_file(str(link), b"discarded")
    write_file(os.devnull, b"discarded")
    assert stat.S_ISCHR(Path(os.devnull).stat().st_mode)
    assert link.is_symlink()


def test_dev_stdout_on_a_pipe_reaches_the_pipe(tmp_path: Path) -> None:
    """``/dev/stdout`` resolves through a /proc magic link to a pipe: written in place."""
    code = "from safepip.files import write_file; write_file('/dev/stdout', b'via stdout')"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, check=True, cwd=tmp_path, timeout=60
    )
    assert done.stdout == b"via stdout"


def test_dev_stdout_redirected_to_a_file_truncates_that_file(tmp_path: Path) -> None:
    """Like ``> /dev/stdout`` in a shell: the file behind fd 1 is written, not a new name."""
    out = tmp_path / "out"
    out.write_bytes(b"previous, longer content")
    code = "from safepip.files import write_file; write_file('/dev/stdout', b'fresh')"
    with out.open("r+b") as handle:
        subprocess.run([sys.executable, "-c", code], stdout=handle, check=True, timeout=60)
    assert out.read_bytes() == b"fresh"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_directory_target_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        write_file(str(tmp_path), b"x")


def test_a_missing_directory_is_an_error_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        write_file(str(tmp_path / "missing" / "out.json"), b"x")
    assert list(tmp_path.iterdir()) == []


def test_dev_full_fails_with_enospc() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full on this system")
    with pytest.raises(OSError, match="No space") as caught:
        write_file("/dev/full", b"x" * 10)
    assert caught.value.errno == errno.ENOSPC
    assert stat.S_ISCHR(Path("/dev/full").stat().st_mode)


def test_a_failed_write_removes_its_temp_file_and_keeps_the_old_content(tmp_path: Path) -> None:
    """A real short write: RLIMIT_FSIZE makes the temp file's write fail (EFBIG)."""
    target = tmp_path / "report.json"
    target.write_bytes(b"old")
    code = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))\n"
        "from safepip.files import write_file\n"
        "try:\n"
        "    write_file(sys.argv[1], b'x' * 100000)\n"
        "except OSError as exc:\n"
        "    print(exc.errno)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(target)],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert done.stdout.strip() == str(errno.EFBIG)
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["report.json"]


def test_append_keeps_what_was_there(tmp_path: Path) -> None:
    target = tmp_path / "summary.md"
    target.write_text("# earlier\n")
    link = tmp_path / "link.md"
    link.symlink_to(target)
    append_file(str(link), "## safepip\n")
    assert target.read_text() == "# earlier\n## safepip\n"
    assert link.is_symlink()


def _in_thread(call: Callable[[], None]) -> tuple[threading.Thread, list[OSError]]:
    """Run ``call`` in a thread (a write that hangs must not hang the suite); keep its OSError."""
    raised: list[OSError] = []

    def run() -> None:
        try:
            call()
        except OSError as exc:
            raised.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, raised


def _fifo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, stall: float) -> Path:
    """A FIFO in ``tmp_path``, with writes giving up after ``stall`` seconds without progress."""
    monkeypatch.setattr(files, "WRITE_STALL", stall)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    return fifo


@pytest.mark.parametrize("writer", ["write_file", "append_file"])
def test_a_fifo_nobody_opens_for_reading_is_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, writer: str
) -> None:
    """ENXIO, said in words, once the wait for a reader is over (old: open() waited forever)."""
    fifo = _fifo(tmp_path, monkeypatch, stall=0.2)
    if writer == "write_file":
        thread, raised = _in_thread(lambda: write_file(str(fifo), b"x"))
    else:
        thread, raised = _in_thread(lambda: append_file(str(fifo), "x"))
    thread.join(30)
    if thread.is_alive():
        with fifo.open("rb"):  # let the stuck open through, so that the thread ends
            pass
        pytest.fail("the write waited for a reader without end")
    (exc,) = raised
    assert exc.errno == errno.ENXIO
    said = "a FIFO that no process opened for reading in 0.2 seconds"
    assert str(exc) == f"[Errno {errno.ENXIO}] {said}: '{fifo}'"
    assert stat.S_ISFIFO(fifo.lstat().st_mode)


def test_a_reader_that_opens_the_fifo_a_little_later_gets_the_data(tmp_path: Path) -> None:
    """``safepip ... -o f & cat f``: the reader may start after safepip's open (within the wait)."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list[bytes] = []

    def read_later() -> None:
        time.sleep(0.5)
        got.append(fifo.read_bytes())

    reader = threading.Thread(target=read_later, daemon=True)
    reader.start()
    write_file(str(fifo), b"late but read")
    reader.join(30)
    assert got == [b"late but read"]


def test_a_reader_that_takes_nothing_ends_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader holds the FIFO open and never reads: ETIMEDOUT once the pipe stays full."""
    fifo = _fifo(tmp_path, monkeypatch, stall=0.3)
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)
    try:
        thread, raised = _in_thread(lambda: write_file(str(fifo), b"x" * (4 * 1024 * 1024)))
        thread.join(30)
        assert not thread.is_alive(), "the write waited for the reader without end"
    finally:
        os.close(reader)  # a write still stuck (old behaviour) gets EPIPE and ends
    (exc,) = raised
    assert exc.errno == errno.ETIMEDOUT
    assert "nothing was read from it for 0.3 seconds" in str(exc)


def test_a_slow_reader_that_keeps_reading_gets_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wait is per stall, not for the whole write: a reader pausing less still gets it all."""
    fifo = _fifo(tmp_path, monkeypatch, stall=1.0)
    data = bytes(range(256)) * 2048  # 512 KiB: about 8 pipe buffers
    got = bytearray()

    def read_slowly() -> None:
        with fifo.open("rb", buffering=0) as handle:
            while chunk := handle.read(64 * 1024):
                got.extend(chunk)
                time.sleep(0.2)

    reader = threading.Thread(target=read_slowly, daemon=True)
    reader.start()
    write_file(str(fifo), data)
    reader.join(60)
    assert bytes(got) == data


# --- reading ---------------------------------------------------------------------------


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom", "/dev/null"])
def test_devices_are_refused_without_reading(device: str) -> None:
    with pytest.raises(NotRegularFile, match="character device"):
        read_input(device, 1024, tail=True)


def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    """No writer ever opens the FIFO: the open must not wait for one."""
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFile, match="FIFO"):
        open_regular(str(fifo))


def test_a_link_to_a_device_is_refused(tmp_path: Path) -> None:
    link = tmp_path / "log.txt"
    link.symlink_to("/dev/zero")
    with pytest.raises(NotRegularFile):
        read_input(str(link), 1024, tail=False)


def test_a_symlink_is_refused_unread_where_links_are_not_followed(tmp_path: Path) -> None:
    """A cache entry's name must be the file itself: a link to a healthy file is refused too."""
    real = tmp_path / "real.whl"
    real.write_bytes(b"PK whole")
    link = tmp_path / "entry.whl"
    link.symlink_to(real)
    with pytest.raises(NotRegularFile) as refused:
        open_regular(str(link), follow_links=False)
    assert (refused.value.what, refused.value.errno) == (SYMLINK, errno.ELOOP)
    assert refused.value.filename == str(link)
    with open_regular(str(link)) as followed:  # a path the user named: followed
        assert followed.read() == b"PK whole"
    with open_regular(str(real), follow_links=False) as direct:
        assert direct.read() == b"PK whole"


def test_what_a_refused_input_is_comes_as_data(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for follow_links in (True, False):
        with pytest.raises(NotRegularFile) as refused:
            open_regular(str(fifo), follow_links=follow_links)
        assert (refused.value.what, refused.value.errno) == ("a FIFO", errno.EINVAL)
    with pytest.raises(NotRegularFile) as refused:
        open_regular(str(tmp_path), follow_links=False)
    assert refused.value.what == "a directory"


def test_tail_keeps_the_end_of_a_long_file(tmp_path: Path) -> None:
    path = tmp_path / "log"
    path.write_bytes(b"a" * 100 + b"END")
    assert read_input(str(path), 10, tail=True) == (b"a" * 7 + b"END", True)
    assert read_input(str(path), 1000, tail=True) == (b"a" * 100 + b"END", False)


def test_a_long_file_without_tail_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "req.txt"
    path.write_bytes(b"x" * 100)
    with pytest.raises(TooLarge):
        read_input(str(path), 10, tail=False)


def test_an_endless_stdin_stops_at_the_cap() -> None:
    """``... < /dev/zero`` through a pipe: the read stops after the cap, one error."""
    code = (
        "from safepip.files import read_input, TooLarge\n"
        "try:\n"
        "    read_input('-', 1 << 20, tail=True)\n"
        "except TooLarge as exc:\n"
        "    print('too large', exc.strerror)\n"
    )
    with subprocess.Popen(["cat", "/dev/zero"], stdout=subprocess.PIPE) as cat:
        done = subprocess.run(
            [sys.executable, "-c", code],
            stdin=cat.stdout,
            capture_output=True,
            text=True,
            check=True,
            timeout=60,
        )
        cat.kill()
    assert done.stdout.startswith("too large")


def test_a_replaced_file_keeps_its_owner_when_root_rewrites_it(tmp_path: Path) -> None:
    """``sudo safepip fix-requirements --in-place``: the user's file stays the user's."""
    if os.geteuid() != 0:
        pytest.skip("only root can give a file to another user")
    target = tmp_path / "req.txt"
    target.write_text("old\n")
    os.chown(target, 65534, 65534)
    write_file(str(target), b"new\n")
    assert (target.stat().st_uid, target.stat().st_gid) == (65534, 65534)
    assert target.read_text() == "new\n"
