"""A hostile HTTP server of our own, on a real loopback socket, for the tests in tests/hostile/.

It speaks just enough HTTP/1.1 to be believed, then misbehaves on purpose, path by path:

    server = HostileServer()                     # started: server.url is http://127.0.0.1:<port>
    server.route("/api/x", status=200, json={"ok": True})
    server.redirect("/a", other.url + "/b", status=307)
    server.lying_gzip("/api/search")             # Content-Encoding: gzip, body is not gzip
    server.endless("/api/rankings")              # a JSON body that never ends (streamed)
    server.huge("/big", size=64 << 20)           # a declared, finite but huge body
    server.drip("/slow", every=20.0)             # one byte every 20 s
    server.drop("/gone")                         # read the request, close without a status line
    server.route("/pic.png", body=b"<html>…", headers={"Content-Type": "image/png"})
    server.route("/fn", handler=lambda request: Reply(...))   # anything else

Every request is recorded in full (method, path, query, headers, body) *before* it is answered:
``server.requests``, ``server.requests_to(path)``, and ``server.wait_for(n)`` (an event, not a
sleep). Unknown paths get a 404 JSON body. One thread per connection; ``Connection: close``
after every answer, so each request is one connection and counting them is exact.

Nothing here imports animetui: the server knows nothing of the code it attacks.
"""

from __future__ import annotations

import json as jsonlib
import socket
import socketserver
import threading
import urllib.parse
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

__all__ = ["HostileServer", "Recorded", "Reply"]

MAX_HEADER_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True)
class Recorded:
    """One request as the server received it."""

    method: str
    target: str  # the raw request target, e.g. "/api/x?y=1"
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names; repeated headers joined with ", "
    body: bytes
    port: int  # which server got it

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(slots=True)
class Reply:
    """What to send back. ``body`` is bytes, or an iterable of chunks (streamed as they come).

    ``length``: None → ``Content-Length`` of a bytes body, or no length at all for a stream (the
    end is the connection closing); an int → that ``Content-Length`` is declared whatever is sent.
    ``drop``: close the connection right after reading the request, sending nothing.
    ``drop_after``: close after sending this many body bytes (a read error mid-body).
    """

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes | Iterable[bytes] = b""
    length: int | None = None
    drop: bool = False
    drop_after: int | None = None
    reason: str = ""


Handler = Callable[[Recorded], Reply]

_REASONS = {200: "OK", 301: "Moved Permanently", 302: "Found", 303: "See Other", 307: "Temporary Redirect",
            308: "Permanent Redirect", 404: "Not Found", 500: "Internal Server Error"}


class HostileServer:
    """A threaded loopback HTTP server whose answers are scripted per path (see module doc)."""

    def __init__(self, host: str = "127.0.0.1") -> None:
        self._routes: dict[str, Handler] = {}
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._requests: list[Recorded] = []
        #: set when the server shuts down: streaming/dripping handlers stop at once
        self.stopping = threading.Event()
        #: body bytes actually written to clients, per path (what a streamed body cost us)
        self.sent: dict[str, int] = {}
        owner = self

        class _Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:  # noqa: D401 - socketserver API
                owner._serve_connection(self.request)

        class _Server(socketserver.ThreadingTCPServer):
            daemon_threads = True
            allow_reuse_address = True
            block_on_close = False

        self._server = _Server((host, 0), _Handler)
        self.port: int = self._server.server_address[1]
        self.url = f"http://{host}:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name=f"hostile-{self.port}", daemon=True)
        self._thread.start()

    # ------------------------------------------------------------------ scripting
    def route(
        self,
        path: str,
        *,
        status: int = 200,
        headers: dict[str, str] | None = None,
        body: bytes | str = b"",
        json: object = None,
        handler: Handler | None = None,
    ) -> None:
        """Answer ``path`` (any method, any query) with a fixed reply, or with ``handler(request)``."""
        if handler is None:
            data = body.encode() if isinstance(body, str) else body
            hdrs = dict(headers or {})
            if json is not None:
                data = jsonlib.dumps(json).encode()
                hdrs.setdefault("Content-Type", "application/json")
            fixed = Reply(status=status, headers=hdrs, body=data)
            handler = lambda _request: Reply(fixed.status, dict(fixed.headers), fixed.body)  # noqa: E731
        with self._lock:
            self._routes[path] = handler

    def redirect(self, path: str, location: str, *, status: int = 302) -> None:
        """``path`` answers ``status`` with ``Location: location`` (another origin, file://, itself…)."""
        self.route(path, status=status, headers={"Location": location, "Content-Type": "text/plain"}, body=b"moved")

    def lying_gzip(self, path: str, *, body: bytes = b'{"this is": "not gzip"}', status: int = 200) -> None:
        """``Content-Encoding: gzip`` on a body that is not gzip: the client cannot decode it."""
        self.route(path, status=status, headers={"Content-Type": "application/json", "Content-Encoding": "gzip"}, body=body)

    def endless(self, path: str, *, prefix: bytes = b'{"rankings": [', item: bytes = b'{"rank": 1, "title": "x"},',
                content_type: str = "application/json") -> None:
        """A body that never ends (no length; the server writes until the client hangs up)."""

        def chunks() -> Iterator[bytes]:
            yield prefix
            block = item * max(1, 65536 // len(item))
            while not self.stopping.is_set():
                yield block

        self.route(path, handler=lambda _r: Reply(200, {"Content-Type": content_type}, chunks()))

    def huge(self, path: str, *, size: int, content_type: str = "application/json", declare: bool = True) -> None:
        """A finite body of ``size`` bytes (``Content-Length`` declared unless ``declare=False``)."""

        def chunks() -> Iterator[bytes]:
            left = size
            block = b" " * 65536
            while left > 0 and not self.stopping.is_set():
                piece = block[: min(left, len(block))]
                left -= len(piece)
                yield piece

        self.route(path, handler=lambda _r: Reply(200, {"Content-Type": content_type}, chunks(),
                                                   length=size if declare else None))

    def drip(self, path: str, *, every: float, byte: bytes = b" ", content_type: str = "application/json",
             status: int = 200, length: int | None = None) -> None:
        """Headers at once, then one byte every ``every`` seconds, for ever (a per-read timeout never fires).

        ``length``: a ``Content-Length`` to declare (default none: the body ends when the connection does).
        """

        def chunks() -> Iterator[bytes]:
            while True:
                yield byte
                if self.stopping.wait(every):
                    return

        self.route(path, handler=lambda _r: Reply(status, {"Content-Type": content_type}, chunks(), length=length))

    def drop(self, path: str) -> None:
        """Read the whole request, then close the connection without answering."""
        self.route(path, handler=lambda _r: Reply(drop=True))

    # ------------------------------------------------------------------ what was received
    @property
    def requests(self) -> list[Recorded]:
        with self._lock:
            return list(self._requests)

    def requests_to(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    def wait_for(self, count: int, *, timeout: float = 30.0) -> list[Recorded]:
        """Block until at least ``count`` requests arrived (or ``timeout``); returns them all."""
        with self._changed:
            self._changed.wait_for(lambda: len(self._requests) >= count, timeout=timeout)
            return list(self._requests)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self.sent.clear()

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        self.stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> "HostileServer":
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ the wire
    def _serve_connection(self, sock: socket.socket) -> None:
        sock.settimeout(30)
        try:
            request = self._read_request(sock)
        except (OSError, ValueError):
            return
        if request is None:
            return
        with self._changed:
            self._requests.append(request)
            self._changed.notify_all()
            handler = self._routes.get(request.path)
        if handler is None:
            reply = Reply(404, {"Content-Type": "application/json"}, b'{"error": "no such path on the hostile server"}')
        else:
            try:
                reply = handler(request)
            except Exception as exc:  # a broken test handler: say so on the wire
                reply = Reply(500, {"Content-Type": "text/plain"}, f"handler failed: {exc!r}".encode())
        try:
            self._write_reply(sock, request.path, reply)
        except OSError:
            pass  # the client hung up: that is often the point
        finally:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            sock.close()

    def _read_request(self, sock: socket.socket) -> Recorded | None:
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            data = sock.recv(65536)
            if not data:
                return None
            buffer += data
            if len(buffer) > MAX_HEADER_BYTES:
                raise ValueError("headers too long")
        head, _, rest = buffer.partition(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        method, target, _version = lines[0].split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            key, value = name.strip().lower(), value.strip()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        body = rest
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = self._read_chunked(sock, rest)
        else:
            length = int(headers.get("content-length") or 0)
            while len(body) < length:
                data = sock.recv(min(1 << 20, length - len(body)))
                if not data:
                    break
                body += data
        split = urllib.parse.urlsplit(target)
        return Recorded(method, target, split.path, urllib.parse.parse_qs(split.query), headers, body, self.port)

    @staticmethod
    def _read_chunked(sock: socket.socket, pending: bytes) -> bytes:
        body = b""

        def need(n: int) -> None:
            nonlocal pending
            while len(pending) < n:
                data = sock.recv(65536)
                if not data:
                    raise ValueError("connection closed inside a chunked body")
                pending += data

        while True:
            while b"\r\n" not in pending:
                need(len(pending) + 1)
            size_line, _, pending = pending.partition(b"\r\n")
            size = int(size_line.split(b";")[0], 16)
            need(size + 2)
            body += pending[:size]
            pending = pending[size + 2:]
            if size == 0:
                return body

    def _write_reply(self, sock: socket.socket, path: str, reply: Reply) -> None:
        if reply.drop:
            return
        headers = dict(reply.headers)
        body = reply.body
        if isinstance(body, (bytes, bytearray)):
            length = reply.length if reply.length is not None else len(body)
            chunks: Iterable[bytes] = [bytes(body)]
        else:
            length = reply.length
            chunks = body
        if length is not None:
            headers["Content-Length"] = str(length)
        headers["Connection"] = "close"
        reason = reply.reason or _REASONS.get(reply.status, "Whatever")
        head = f"HTTP/1.1 {reply.status} {reason}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) + "\r\n"
        sock.sendall(head.encode("latin-1"))
        written = 0
        try:
            for chunk in chunks:
                if reply.drop_after is not None and written + len(chunk) > reply.drop_after:
                    chunk = chunk[: reply.drop_after - written]
                    sock.sendall(chunk)
                    written += len(chunk)
                    return
                sock.sendall(chunk)
                written += len(chunk)
        finally:
            with self._lock:
                self.sent[path] = self.sent.get(path, 0) + written
