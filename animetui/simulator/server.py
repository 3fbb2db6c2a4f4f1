"""A small HTTP/1.1 server that puts a :class:`SimulatorHub` on a loopback port.

Standard library only (asyncio streams): request line, headers, ``Content-Length`` or chunked
bodies, keep-alive. Enough for httpx and curl; not a general web server. A ``drop`` fault closes
the socket without an answer, like a crashed upstream.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import httpx

from animetui.simulator.base import DropConnection
from animetui.simulator.hub import SimulatorHub

MAX_HEADER = 64 * 1024
MAX_BODY = 64 * 1024 * 1024


class _BadRequest(Exception):
    pass


async def _read_request(reader: asyncio.StreamReader, host: str) -> httpx.Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
    except asyncio.LimitOverrunError:
        raise _BadRequest("header too large") from None
    lines = head.decode("latin-1").split("\r\n")
    try:
        method, target, _version = lines[0].split(" ", 2)
    except ValueError:
        raise _BadRequest("bad request line") from None
    headers: list[tuple[str, str]] = []
    for line in lines[1:]:
        if not line:
            continue
        name, _, value = line.partition(":")
        headers.append((name.strip(), value.strip()))
    lookup = {k.lower(): v for k, v in headers}
    body = b""
    if lookup.get("transfer-encoding", "").lower() == "chunked":
        chunks = []
        total = 0
        while True:
            size_line = await reader.readuntil(b"\r\n")
            size = int(size_line.split(b";")[0].strip() or b"0", 16)
            if size == 0:
                await reader.readuntil(b"\r\n")
                break
            total += size
            if total > MAX_BODY:
                raise _BadRequest("body too large")
            chunks.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(chunks)
        headers = [(k, v) for k, v in headers if k.lower() != "transfer-encoding"]
        headers.append(("Content-Length", str(len(body))))
    elif "content-length" in lookup:
        length = int(lookup["content-length"])
        if length > MAX_BODY:
            raise _BadRequest("body too large")
        body = await reader.readexactly(length)
    url = f"http://{lookup.get('host', host)}{target}"
    return httpx.Request(method, url, headers=headers, content=body)


_REASONS = {200: "OK", 201: "Created", 400: "Bad Request", 401: "Unauthorized", 402: "Payment Required",
            403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 410: "Gone", 413: "Payload Too Large",
            415: "Unsupported Media Type", 422: "Unprocessable Entity", 429: "Too Many Requests",
            500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


async def _write_response(writer: asyncio.StreamWriter, response: httpx.Response, *, keep_alive: bool) -> None:
    body = await response.aread()
    lines = [f"HTTP/1.1 {response.status_code} {_REASONS.get(response.status_code, 'Status')}"]
    for name, value in response.headers.multi_items():
        if name.lower() in ("content-length", "transfer-encoding", "connection"):
            continue
        lines.append(f"{name}: {value}")
    lines.append(f"Content-Length: {len(body)}")
    lines.append("Connection: keep-alive" if keep_alive else "Connection: close")
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + body)
    await writer.drain()


async def _serve_connection(hub: SimulatorHub, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str) -> None:
    try:
        while True:
            try:
                request = await _read_request(reader, host)
            except (_BadRequest, ValueError):
                writer.write(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                await writer.drain()
                return
            if request is None:
                return
            keep_alive = request.headers.get("connection", "").lower() != "close"
            try:
                response = await hub.handle(request)
            except DropConnection:
                return
            except httpx.TimeoutException:
                return  # the in-process timeout fault: on a socket the client's own timer fires
            await _write_response(writer, response, keep_alive=keep_alive)
            if not keep_alive:
                return
    except (ConnectionError, asyncio.IncompleteReadError):
        return
    finally:
        with contextlib.suppress(Exception):
            writer.close()
            await writer.wait_closed()


@contextlib.asynccontextmanager
async def serve(hub: SimulatorHub, host: str = "127.0.0.1", port: int = 0) -> AsyncIterator[str]:
    """Serve ``hub`` while the context is open; yields the base URL (``http://127.0.0.1:PORT``)."""
    connections: set[asyncio.Task[None]] = set()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        connections.add(task)
        try:
            await _serve_connection(hub, reader, writer, f"{host}:{bound_port}")
        except asyncio.CancelledError:
            pass  # server shutting down
        finally:
            connections.discard(task)

    server = await asyncio.start_server(on_connect, host, port, limit=MAX_HEADER)
    bound_port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{bound_port}"
    finally:
        server.close()
        pending = list(connections)
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(server.wait_closed(), timeout=2)
