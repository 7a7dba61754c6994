"""A fault-injecting PEP 503 "simple" index on 127.0.0.1, standard library only.

Usage::

    with FaultIndex([wheel, sdist]) as index:
        index.fail("/simple/demo/", status=503, times=8)   # the next 8 page requests get 503
        index.corrupt("/files/demo-*.whl")                  # the next file download is corrupt
        run_pip(..., "--index-url", index.url, "--trusted-host", "127.0.0.1", ...)
        assert index.hits("/simple/demo/") == 2

Layout served: ``/simple/`` (project list), ``/simple/<project>/`` (anchors
``<a href="../../files/<file>#sha256=<hex>" data-requires-python="...">``) and ``/files/<file>``.

Header modes (docs/failure-kinds.md §I: what pip heals by itself depends on them):

- ``pypi_like=True``: ``Content-Length``, ``Cache-Control: max-age=...``, ``ETag`` (and
  ``If-None-Match`` -> 304), ``Accept-Ranges`` with single-range ``Range`` support (pip >= 25.1
  resumes downloads with it), HTTP/1.1 keep-alive.
- ``pypi_like=False`` ("plain"): no cache headers at all (so pip's HTTP cache stores nothing),
  no range support; ``Content-Length`` only if ``content_length=True`` is passed, otherwise the body
  is delimited by closing the connection.

Faults are matched against the request path (``fnmatch`` glob, so an exact path matches itself)
in the order they were added; each applies to the next ``times`` matching requests.
"""

from __future__ import annotations

import contextlib
import fnmatch
import hashlib
import html
import socket
import struct
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from support.wheels import normalize, project_of, read_metadata

if TYPE_CHECKING:
    from collections.abc import Iterable
    from types import TracebackType

FaultKind = Literal["status", "reset", "truncate", "corrupt", "stall"]

#: Cache-Control values PyPI sends (index pages are revalidated after 10 minutes, files never).
PAGE_MAX_AGE = 600
FILE_MAX_AGE = 365_000_000


@dataclass
class Fault:
    """One programmed fault.

    Attributes:
        pattern: ``fnmatch`` pattern over the request path (no query string).
        kind: ``status`` (answer ``status`` with a short body), ``reset`` (headers and
            ``fraction`` of the body, then a TCP RST), ``truncate`` (full ``Content-Length``,
            ``fraction`` of the body, then a clean close), ``corrupt`` (full length, different bytes)
            or ``stall`` (wait ``seconds`` after ``after_bytes`` body bytes, or before the headers
            when ``after_bytes`` is None, then answer normally).
        remaining: how many more matching requests it applies to.
        status: the HTTP status of a ``status`` fault.
        fraction: the share of the body sent by ``reset`` and ``truncate``.
        seconds: the stall duration.
        after_bytes: where a stall happens (None: before the status line).
    """

    pattern: str
    kind: FaultKind
    remaining: int
    status: int = 503
    fraction: float = 0.5
    seconds: float = 0.0
    after_bytes: int | None = None


@dataclass(frozen=True)
class Resource:
    """A distribution file the index serves."""

    filename: str
    project: str
    data: bytes
    sha256: str
    requires_python: str | None


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False
    allow_reuse_address = True
    index: FaultIndex

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients hang up mid-body on purpose in these tests; tracebacks would only be noise.
        return


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "safepip-fault-index/1"

    def setup(self) -> None:
        super().setup()
        self.server.index._track(self.connection, add=True)

    def finish(self) -> None:
        with contextlib.suppress(OSError):
            super().finish()
        self.server.index._track(self.connection, add=False)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        return

    def do_GET(self) -> None:
        """Serve a GET."""
        self._serve(head=False)

    def do_HEAD(self) -> None:
        """Serve a HEAD."""
        self._serve(head=True)

    # -- plumbing -------------------------------------------------------------------------

    def _serve(self, *, head: bool) -> None:
        index = self.server.index
        path = self.path.split("?", 1)[0].split("#", 1)[0]
        fault = index._take_fault(path)
        try:
            if fault is not None and fault.kind == "stall" and fault.after_bytes is None:
                if index._stopping.wait(fault.seconds):
                    self._abort(rst=True)
                    return
                fault = None
            if fault is not None and fault.kind == "status":
                self._send_status(fault.status, head=head)
                return
            status, headers, body = index._resolve(path, self.headers)
            self._send(status, headers, body, head=head, fault=fault)
        except OSError:
            # The client went away (or a reset fault closed the socket): nothing to answer.
            self.close_connection = True

    def _send_status(self, status: int, *, head: bool) -> None:
        body = f"<html><body><h1>{status} injected by the fault index</h1></body></html>\n".encode()
        headers = {"Content-Type": "text/html; charset=utf-8", "Content-Length": str(len(body))}
        if status == 401:
            headers["WWW-Authenticate"] = 'Basic realm="safepip-fault-index"'
        if status in {204, 304}:
            # No body and no Content-Type, as PyPI's 304 (docs/failure-kinds.md §A "Content-Type: Unknown").
            headers, body = {}, b""
        self._send(status, headers, body, head=head, fault=None)

    def _send(
        self,
        status: int,
        headers: dict[str, str],
        body: bytes,
        *,
        head: bool,
        fault: Fault | None,
    ) -> None:
        index = self.server.index
        if "Content-Length" not in headers and status not in {204, 304}:
            # Plain mode without Content-Length: the end of the body is the end of the connection.
            headers["Connection"] = "close"
            self.close_connection = True
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        index._log(self.command, self.path, status)
        if head:
            return
        if fault is None:
            self.wfile.write(body)
            return
        cut = max(1, int(len(body) * fault.fraction)) if body else 0
        if fault.kind == "corrupt":
            self.wfile.write(_corrupt(body))
        elif fault.kind == "truncate":
            self.wfile.write(body[:cut])
            self._abort(rst=False)
        elif fault.kind == "reset":
            self.wfile.write(body[:cut])
            self._abort(rst=True)
        elif fault.kind == "stall":
            split = min(fault.after_bytes or 0, len(body))
            self.wfile.write(body[:split])
            self.wfile.flush()
            if index._stopping.wait(fault.seconds):
                self._abort(rst=True)
                return
            self.wfile.write(body[split:])
        else:  # pragma: no cover - "status" is answered before the body is resolved
            self.wfile.write(body)

    def _abort(self, *, rst: bool) -> None:
        """End the connection now: a TCP RST (``rst``) or a clean FIN."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.wfile.flush()
            if rst:
                # SO_LINGER 0 turns close() into an RST; the real close happens when the
                # handler's rfile/wfile let go of the socket in finish().
                self.connection.setsockopt(
                    socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0)
                )
            else:
                self.connection.shutdown(socket.SHUT_WR)
            self.connection.close()


def _corrupt(body: bytes) -> bytes:
    """Return bytes of the same length that differ in the middle (so the hash differs)."""
    if not body:
        return body
    start = len(body) // 3
    end = min(len(body), start + 4096)
    return body[:start] + bytes(b ^ 0x5A for b in body[start:end]) + body[end:]


class FaultIndex:
    """A PEP 503 index on 127.0.0.1 (random port) with programmable faults.

    Args:
        files: wheels and sdists to serve; project names come from the file names and
            ``data-requires-python`` from their metadata.
        pypi_like: send PyPI-like headers (see the module docstring) or plain ones.
        content_length: send ``Content-Length`` (default: as ``pypi_like``; plain mode without it
            delimits bodies by closing the connection).
        hashes: put ``#sha256=`` fragments in the index page links (see also ``unhashed``).
        page_max_age: ``max-age`` of index pages in PyPI-like mode.
        file_max_age: ``max-age`` of files in PyPI-like mode.
    """

    def __init__(
        self,
        files: Iterable[Path | str] = (),
        *,
        pypi_like: bool = True,
        content_length: bool | None = None,
        hashes: bool = True,
        page_max_age: int = PAGE_MAX_AGE,
        file_max_age: int = FILE_MAX_AGE,
    ) -> None:
        """Prepare the index; it serves only after :meth:`start` (or ``with``)."""
        self.pypi_like = pypi_like
        self.content_length = pypi_like if content_length is None else content_length
        self.hashes = hashes
        #: Projects whose page links carry no ``#sha256=`` even when ``hashes`` is on (a mirror
        #: of an index without hashes; one index can serve both kinds of project).
        self.unhashed: set[str] = set()
        self.page_max_age = page_max_age
        self.file_max_age = file_max_age
        self.requests: list[tuple[str, str, int]] = []
        self._faults: list[Fault] = []
        self._resources: dict[str, Resource] = {}
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        for file in files:
            self.add(file)

    # -- content --------------------------------------------------------------------------

    def add(self, path: Path | str, *, requires_python: str | None = None) -> Resource:
        """Serve one more distribution file.

        Args:
            path: a wheel or sdist.
            requires_python: the ``data-requires-python`` value; by default the file's own
                ``Requires-Python`` metadata.

        Returns:
            The served resource (file name, project, sha256).
        """
        path = Path(path)
        data = path.read_bytes()
        if requires_python is None:
            for line in read_metadata(path).splitlines():
                if line.startswith("Requires-Python:"):
                    requires_python = line.split(":", 1)[1].strip()
        resource = Resource(
            filename=path.name,
            project=project_of(path.name),
            data=data,
            sha256=hashlib.sha256(data).hexdigest(),
            requires_python=requires_python,
        )
        with self._lock:
            self._resources[path.name] = resource
        return resource

    def remove(self, filename: str) -> None:
        """Stop serving a file (its project page no longer lists it)."""
        with self._lock:
            del self._resources[filename]

    # -- faults ---------------------------------------------------------------------------

    def fail(self, pattern: str, *, status: int = 503, times: int = 1) -> Fault:
        """Answer the next ``times`` requests matching ``pattern`` with HTTP ``status``.

        A 401 carries ``WWW-Authenticate: Basic``; a 304 has no body and no ``Content-Type``.
        """
        return self._add_fault(Fault(pattern, "status", times, status=status))

    def reset(self, pattern: str, *, times: int = 1, fraction: float = 0.5) -> Fault:
        """Send headers and ``fraction`` of the body, then reset the connection (TCP RST)."""
        return self._add_fault(Fault(pattern, "reset", times, fraction=fraction))

    def truncate(self, pattern: str, *, times: int = 1, fraction: float = 0.5) -> Fault:
        """Advertise the full length, send ``fraction`` of the body, then close cleanly."""
        return self._add_fault(Fault(pattern, "truncate", times, fraction=fraction))

    def corrupt(self, pattern: str, *, times: int = 1) -> Fault:
        """Send a body of the right length with different bytes (a hash mismatch)."""
        return self._add_fault(Fault(pattern, "corrupt", times))

    def stall(
        self, pattern: str, seconds: float, *, times: int = 1, after_bytes: int | None = None
    ) -> Fault:
        """Wait ``seconds`` before the status line (or after ``after_bytes`` body bytes).

        The wait ends at once when the server stops; the connection is then reset.
        """
        return self._add_fault(
            Fault(pattern, "stall", times, seconds=seconds, after_bytes=after_bytes)
        )

    def clear_faults(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._faults.clear()

    def _add_fault(self, fault: Fault) -> Fault:
        if fault.remaining < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(fault)
        return fault

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for fault in self._faults:
                if fault.remaining > 0 and fnmatch.fnmatchcase(path, fault.pattern):
                    fault.remaining -= 1
                    return fault
        return None

    # -- requests log ---------------------------------------------------------------------

    def _log(self, method: str, path: str, status: int) -> None:
        with self._lock:
            self.requests.append((method, path, status))

    def hits(self, pattern: str, *, status: int | None = None) -> int:
        """Count logged requests whose path matches ``pattern`` (and ``status``, if given)."""
        with self._lock:
            return sum(
                1
                for _, path, code in self.requests
                if fnmatch.fnmatchcase(path.split("?", 1)[0], pattern)
                and (status is None or code == status)
            )

    # -- URLs -----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port (only once started)."""
        if self._server is None:
            raise RuntimeError("the index is not running")
        return int(self._server.server_address[1])

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def url(self) -> str:
        """The index URL for ``--index-url``: ``http://127.0.0.1:PORT/simple``."""
        return f"{self.base_url}/simple"

    def page_url(self, project: str) -> str:
        """The URL of a project page, as pip requests it (``.../simple/<project>/``)."""
        return f"{self.url}/{normalize(project)}/"

    def file_url(self, filename: str) -> str:
        """The URL of a served file, without fragment (the key of pip's HTTP cache entry)."""
        return f"{self.base_url}/files/{filename}"

    # -- responses ------------------------------------------------------------------------

    def _resolve(self, path: str, request_headers: Any) -> tuple[int, dict[str, str], bytes]:
        with self._lock:
            resources = list(self._resources.values())
        if path in {"/simple", "/simple/"}:
            return self._page(self._root_page(resources), request_headers)
        if path.startswith("/simple/"):
            project = normalize(path[len("/simple/") :].strip("/"))
            links = [r for r in resources if r.project == project]
            if not links:
                return self._not_found()
            return self._page(self._project_page(project, links), request_headers)
        if path.startswith("/files/"):
            name = path[len("/files/") :]
            match = next((r for r in resources if r.filename == name), None)
            if match is None:
                return self._not_found()
            return self._file(match, request_headers)
        return self._not_found()

    def _not_found(self) -> tuple[int, dict[str, str], bytes]:
        body = b"<html><body><h1>404 Not Found</h1></body></html>\n"
        return 404, {"Content-Type": "text/html", "Content-Length": str(len(body))}, body

    def _root_page(self, resources: list[Resource]) -> bytes:
        projects = sorted({r.project for r in resources})
        anchors = "".join(f'<a href="{p}/">{p}</a><br/>\n' for p in projects)
        return _html("Simple index", anchors)

    def _project_page(self, project: str, links: list[Resource]) -> bytes:
        anchors = []
        for r in sorted(links, key=lambda r: r.filename):
            href = f"../../files/{r.filename}"
            if self.hashes and project not in self.unhashed:
                href += f"#sha256={r.sha256}"
            attrs = f'href="{html.escape(href)}"'
            if r.requires_python:
                attrs += f' data-requires-python="{html.escape(r.requires_python)}"'
            anchors.append(f"<a {attrs}>{r.filename}</a><br/>\n")
        return _html(f"Links for {project}", "".join(anchors))

    def _page(self, body: bytes, request_headers: Any) -> tuple[int, dict[str, str], bytes]:
        headers = {"Content-Type": "text/html; charset=utf-8"}
        return self._finish(body, headers, request_headers, self.page_max_age, ranges=False)

    def _file(self, r: Resource, request_headers: Any) -> tuple[int, dict[str, str], bytes]:
        kind = "application/octet-stream"
        if r.filename.endswith(".tar.gz"):
            kind = "application/x-tar"
        return self._finish(
            r.data, {"Content-Type": kind}, request_headers, self.file_max_age, ranges=True
        )

    def _finish(
        self,
        body: bytes,
        headers: dict[str, str],
        request_headers: Any,
        max_age: int,
        *,
        ranges: bool,
    ) -> tuple[int, dict[str, str], bytes]:
        status = 200
        if self.pypi_like:
            etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
            headers["ETag"] = etag
            headers["Cache-Control"] = f"max-age={max_age}, public"
            if request_headers.get("If-None-Match") == etag:
                return 304, {"ETag": etag, "Cache-Control": headers["Cache-Control"]}, b""
            if ranges:
                headers["Accept-Ranges"] = "bytes"
                start = _range_start(request_headers.get("Range"), len(body))
                if start is not None:
                    headers["Content-Range"] = f"bytes {start}-{len(body) - 1}/{len(body)}"
                    body = body[start:]
                    status = 206
        if self.content_length:
            headers["Content-Length"] = str(len(body))
        return status, headers, body

    # -- lifecycle ------------------------------------------------------------------------

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._lock:
            if add:
                self._connections.add(conn)
            else:
                self._connections.discard(conn)

    def start(self) -> FaultIndex:
        """Bind 127.0.0.1:0 and serve in a daemon thread.

        Returns:
            self, for chaining.
        """
        if self._server is not None:
            return self
        self._stopping.clear()
        server = _Server(("127.0.0.1", 0), _Handler)
        server.index = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"fault-index-{self.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving: wake stalls, drop open connections, close the socket (fast)."""
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping.set()
        server.shutdown()
        server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FaultIndex:  # noqa: PYI034 - typing.Self needs 3.11
        """Start the server (see :meth:`start`)."""
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop the server (see :meth:`stop`)."""
        self.stop()


def _html(title: str, anchors: str) -> bytes:
    return (
        "<!DOCTYPE html>\n<html>\n<head>\n"
        '<meta name="pypi:repository-version" content="1.0">\n'
        f"<title>{html.escape(title)}</title>\n</head>\n<body>\n<h1>{html.escape(title)}</h1>\n"
        f"{anchors}</body>\n</html>\n"
    ).encode()


def _range_start(value: str | None, size: int) -> int | None:
    """Parse ``bytes=N-`` (the only form pip sends); None for no or unsupported ranges."""
    if not value or not value.startswith("bytes="):
        return None
    spec = value[len("bytes=") :].strip()
    if "," in spec or not spec.endswith("-"):
        return None
    try:
        start = int(spec[:-1])
    except ValueError:
        return None
    return start if 0 <= start < size else None
