"""Building blocks of the contract simulators: clock, faults, request parsing, routing.

A simulator service is a plain object with ``routes``; the hub (``animetui.simulator.hub``) sends
each ``httpx.Request`` to the service owning its path. The same hub serves an in-process
``httpx.MockTransport`` and the loopback HTTP server, so tests of both paths share behaviour.
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from email.parser import BytesParser
from email.policy import HTTP
from email.utils import collapse_rfc2231_value
from typing import Any

import httpx


class SimClock:
    """Simulated wall-clock time: real time plus an offset tests can jump forward.

    ``freeze()`` stops it following real time, so a test that checks an exact figure (a
    ``Retry-After`` of 30) does not depend on how long the test itself took to run.
    """

    def __init__(self, start: float | None = None) -> None:
        self._offset = 0.0 if start is None else start - time.time()
        self._frozen_at: float | None = None

    def now(self) -> float:
        if self._frozen_at is not None:
            return self._frozen_at + self._offset
        return time.time() + self._offset

    def freeze(self) -> None:
        if self._frozen_at is None:
            self._frozen_at = time.time()

    def advance(self, seconds: float) -> None:
        self._offset += seconds

    def day(self) -> int:
        return int(self.now() // 86400)

    def hour(self) -> int:
        return int(self.now() // 3600)

    def minute(self) -> int:
        return int(self.now() // 60)


class ScaledClock(SimClock):
    """The test clock of ``animetui.limits`` (``ANIMETUI_TEST_CLOCK``), so that the loopback
    simulator and every client process agree on a time that runs faster than real time."""

    def __init__(self) -> None:
        from animetui.limits import clock_and_sleep

        super().__init__()
        self._scaled, _ = clock_and_sleep()

    def now(self) -> float:
        return self._scaled() + self._offset


class DropConnection(Exception):
    """Raised by a handler to make the server close the socket without answering."""


@dataclass(slots=True)
class Fault:
    """One injected misbehaviour.

    kind: ``latency`` (seconds), ``status`` (status, body, headers), ``rate_limit``
    (retry_after), ``busy`` (the service's own busy answer), ``server_error``, ``drop``,
    ``malformed`` (invalid JSON), ``hostile`` (the service fills strings with markup, escape
    sequences and huge text), ``timeout`` (sleeps ``seconds`` then answers normally).
    ``path`` limits the fault to paths containing that text; ``times`` how often it fires
    (None: until cleared).
    """

    kind: str
    times: int | None = 1
    path: str | None = None
    seconds: float = 0.0
    status: int = 500
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    retry_after: float | None = 1.0
    after_response: bool = False  # drop: do the work, then drop (e.g. a charged request)


class Faults:
    def __init__(self) -> None:
        self._faults: dict[str, list[Fault]] = {}

    def add(self, service: str, fault: Fault) -> Fault:
        self._faults.setdefault(service, []).append(fault)
        return fault

    def clear(self, service: str | None = None) -> None:
        if service is None:
            self._faults.clear()
        else:
            self._faults.pop(service, None)

    def take(self, service: str, path: str) -> list[Fault]:
        """The faults that fire for this request (counting each one down)."""
        fired: list[Fault] = []
        remaining: list[Fault] = []
        for fault in self._faults.get(service, []):
            if fault.path is None or fault.path in path:
                fired.append(fault)
                if fault.times is not None:
                    fault.times -= 1
                    if fault.times <= 0:
                        continue
            remaining.append(fault)
        self._faults[service] = remaining
        return fired

    def active(self, service: str, kind: str) -> bool:
        return any(f.kind == kind for f in self._faults.get(service, []))


# --------------------------------------------------------------------------- request parsing
@dataclass(slots=True)
class UploadedFile:
    filename: str
    content_type: str
    data: bytes


@dataclass(slots=True)
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    files: dict[str, UploadedFile] = field(default_factory=dict)
    json: Any = None
    error: str | None = None  # the body could not be parsed


def parse_body(request: httpx.Request) -> Form:
    content_type = request.headers.get("content-type", "")
    body = request.content
    form = Form()
    if not body:
        return form
    lower = content_type.lower()
    if lower.startswith("multipart/form-data"):
        try:
            message = BytesParser(policy=HTTP).parsebytes(
                b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
            )
            if not message.is_multipart():
                form.error = "malformed multipart body"
                return form
            for part in message.iter_parts():
                param = part.get_param("name", header="content-disposition")
                name = param if isinstance(param, str) else collapse_rfc2231_value(param) if param else ""
                if not name:
                    continue
                filename = part.get_filename()
                payload = part.get_payload(decode=True)
                if not isinstance(payload, bytes):
                    payload = b""
                if filename is not None:
                    form.files[name] = UploadedFile(filename, part.get_content_type(), payload)
                else:
                    form.fields[name] = payload.decode("utf-8", "replace")
        except Exception:  # noqa: BLE001 - a simulator answers 400, it does not crash
            form.error = "malformed multipart body"
    elif lower.startswith("application/x-www-form-urlencoded"):
        parsed = urllib.parse.parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
        form.fields = {k: v[-1] for k, v in parsed.items()}
    elif lower.startswith("application/json"):
        try:
            form.json = json.loads(body)
        except ValueError:
            form.error = "invalid JSON body"
    else:
        form.error = f"unsupported Content-Type {content_type or '(none)'}"
    return form


def json_response(status: int, payload: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(
        status,
        content=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
        headers={"content-type": "application/json; charset=utf-8", **(headers or {})},
    )


def bytes_response(status: int, data: bytes, content_type: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(status, content=data, headers={"content-type": content_type, **(headers or {})})


Handler = Callable[[httpx.Request, dict[str, str]], Awaitable[httpx.Response]]


@dataclass(slots=True)
class Route:
    method: str
    pattern: re.Pattern[str]
    handler: Handler


def route(method: str, path: str, handler: Handler) -> Route:
    """``path`` may hold ``{name}`` placeholders (one path segment each)."""
    regex = "^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", path) + "$"
    return Route(method.upper(), re.compile(regex), handler)


HOSTILE_STRINGS = (
    "[bold red]PWNED[/] [link=https://evil.example]click[/link]",
    "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b[31mred",
    "Title\u202egnp.exe",
    "A" * 5000,
)


class SimService:
    """Base for one simulated service. Subclasses fill ``routes`` in ``__init__``."""

    name = "service"
    #: path prefixes this service owns on a shared host (the hub routes by them)
    prefixes: tuple[str, ...] = ()

    def __init__(self, hub: "Any") -> None:
        self.hub = hub
        self.routes: list[Route] = []

    @property
    def clock(self) -> SimClock:
        return self.hub.clock

    @property
    def hostile(self) -> bool:
        return self.hub.faults.active(self.name, "hostile")

    def text(self, normal: str, index: int = 0) -> str:
        """``normal``, or a hostile string while the ``hostile`` fault is on."""
        if self.hostile:
            return HOSTILE_STRINGS[index % len(HOSTILE_STRINGS)]
        return normal

    def busy_response(self) -> httpx.Response:
        return json_response(503, {"error": "busy"})

    def owns(self, path: str) -> bool:
        return any(path == p or path.startswith(p) for p in self.prefixes)

    async def dispatch(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        allowed: list[str] = []
        for candidate in self.routes:
            match = candidate.pattern.match(path)
            if not match:
                continue
            if candidate.method != request.method:
                allowed.append(candidate.method)
                continue
            return await candidate.handler(request, match.groupdict())
        if allowed:
            return json_response(405, {"error": "Method Not Allowed"}, {"allow": ", ".join(sorted(set(allowed)))})
        return self.not_found(request)

    def not_found(self, request: httpx.Request) -> httpx.Response:
        return json_response(404, {"error": "Not Found"})
