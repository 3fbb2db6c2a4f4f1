"""The hub: all the simulated services behind one request handler.

Paths of the real services (AnimeTrace, whatanimeisthis, AnimeAPI, AILabTools, trace.moe) do not
collide, so one handler routes by path. That lets the same hub serve

* in process: :meth:`SimulatorHub.transport` is an ``httpx.MockTransport`` (tests, ``--demo``);
* on loopback: ``python -m animetui.simulator --port N`` (``animetui.simulator.server``) — point
  every provider's ``base_url`` at ``http://127.0.0.1:N``.

Result/preview images the services make are kept in :attr:`files` and served under
``/sim-files/<id>`` on whatever host the request came to, with an expiry in simulated time.
"""

from __future__ import annotations

import asyncio
import importlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from animetui.simulator.base import (
    DropConnection,
    Fault,
    Faults,
    SimClock,
    SimService,
    bytes_response,
    json_response,
)

SERVICE_MODULES = {
    "animetrace": "animetui.simulator.animetrace",
    "whatanime": "animetui.simulator.whatanime",
    "animeapi": "animetui.simulator.animeapi",
    "ailab": "animetui.simulator.ailab",
    "tracemoe": "animetui.simulator.tracemoe",
}

#: Keys every simulator accepts out of the box (demo mode and tests use them).
DEMO_KEYS = {
    "whatanime": "wait_demo_7c1e2b9a4f3d8e60",
    "animeapi": "ank_demo4b7e91c2d5a8f3e6",
    "ailab": "ailab_demo_9d2f4c6b8a1e3f57",
}


@dataclass(slots=True)
class StoredFile:
    data: bytes
    content_type: str
    expires_at: float | None


@dataclass(slots=True)
class LoggedRequest:
    service: str
    method: str
    path: str
    status: int | None
    at: float = 0.0  # when it arrived, on the hub's clock


class SimulatorHub:
    def __init__(
        self,
        *,
        seed: int = 7,
        clock: SimClock | None = None,
        services: tuple[str, ...] | None = None,
        realistic: bool = False,
    ) -> None:
        self.seed = seed
        #: demo mode: services take as long as the real ones (AnimeAPI 4-8 s, …); tests: instant
        self.realistic = realistic
        self.clock = clock or SimClock()
        self.faults = Faults()
        self.files: dict[str, StoredFile] = {}
        self.log: list[LoggedRequest] = []
        #: called with each answered request (``python -m animetui.simulator --log FILE`` writes them)
        self.on_logged: "Callable[[LoggedRequest], None] | None" = None
        self.services: dict[str, SimService] = {}
        for name in services or tuple(SERVICE_MODULES):
            module = importlib.import_module(SERVICE_MODULES[name])
            self.services[name] = module.Simulator(self)

    # ------------------------------------------------------------------ helpers for services
    def store_file(self, data: bytes, content_type: str, *, ttl: float | None = None, suffix: str = "") -> str:
        """Keep ``data`` and return its path (``/sim-files/<id><suffix>``)."""
        self.purge_expired()
        file_id = secrets.token_hex(12) + suffix
        expires = None if ttl is None else self.clock.now() + ttl
        self.files[file_id] = StoredFile(data, content_type, expires)
        return f"/sim-files/{file_id}"

    def purge_expired(self) -> None:
        """Forget files whose link expired more than a day ago (they answer 410 until then)."""
        cutoff = self.clock.now() - 86400
        for file_id in [k for k, f in self.files.items() if f.expires_at is not None and f.expires_at < cutoff]:
            del self.files[file_id]

    @staticmethod
    def base_of(request: httpx.Request) -> str:
        return f"{request.url.scheme}://{request.url.netloc.decode('ascii')}"

    def requests_to(self, service: str) -> list[LoggedRequest]:
        return [r for r in self.log if r.service == service]

    # ------------------------------------------------------------------ faults (test API)
    def inject(self, service: str, kind: str, **kwargs: object) -> Fault:
        if service not in self.services:
            raise KeyError(f"no simulated service {service!r}")
        return self.faults.add(service, Fault(kind, **kwargs))  # type: ignore[arg-type]

    # ------------------------------------------------------------------ dispatch
    def owner(self, path: str) -> SimService | None:
        for service in self.services.values():
            if service.owns(path):
                return service
        return None

    async def handle(self, request: httpx.Request) -> httpx.Response:
        """Answer one request. Raises :class:`DropConnection` or ``httpx.TimeoutException`` for faults."""
        await request.aread()
        path = request.url.path
        if path.startswith("/sim-files/"):
            return self._serve_file(path.removeprefix("/sim-files/"))
        service = self.owner(path)
        if service is None:
            self.log.append(LoggedRequest("?", request.method, path, 404))
            return json_response(404, {"error": "Not Found"})
        entry = LoggedRequest(service.name, request.method, path, None, self.clock.now())
        self.log.append(entry)
        response = await self._with_faults(service, request)
        entry.status = response.status_code
        if self.on_logged is not None:
            self.on_logged(entry)
        return response

    async def _with_faults(self, service: SimService, request: httpx.Request) -> httpx.Response:
        after: list[Fault] = []
        for fault in self.faults.take(service.name, request.url.path):
            kind = fault.kind
            if kind == "latency":
                await asyncio.sleep(fault.seconds)
            elif kind == "hostile":
                continue  # services read it through SimService.hostile
            elif kind in ("drop", "timeout") and fault.after_response:
                after.append(fault)
            elif kind == "drop":
                raise DropConnection()
            elif kind == "timeout":
                await asyncio.sleep(fault.seconds)
                raise httpx.ReadTimeout("simulated timeout", request=request)
            elif kind == "rate_limit":
                headers = {} if fault.retry_after is None else {"Retry-After": f"{fault.retry_after:g}"}
                body = fault.body if fault.body is not None else {"error": "Too Many Requests"}
                return json_response(429, body, headers)
            elif kind == "busy":
                return service.busy_response()
            elif kind == "server_error":
                return json_response(fault.status or 500, fault.body if fault.body is not None else {"error": "Internal Server Error"})
            elif kind == "status":
                return json_response(fault.status, fault.body, fault.headers)
            elif kind == "malformed":
                return bytes_response(200, b'{"code": 0, "data": [ {"box": [0.1,', "application/json")
        response = await service.dispatch(request)
        for fault in after:
            if fault.kind == "drop":
                raise DropConnection()
            await asyncio.sleep(fault.seconds)
            raise httpx.ReadTimeout("simulated timeout", request=request)
        return response

    def _serve_file(self, file_id: str) -> httpx.Response:
        stored = self.files.get(file_id)
        if stored is None:
            return json_response(404, {"error": "Not Found"})
        if stored.expires_at is not None and self.clock.now() > stored.expires_at:
            return json_response(410, {"error": "Gone: the link has expired"})
        return bytes_response(200, stored.data, stored.content_type, {"cache-control": "no-store"})

    # ------------------------------------------------------------------ in-process transport
    def transport(self) -> httpx.MockTransport:
        async def handler(request: httpx.Request) -> httpx.Response:
            try:
                return await self.handle(request)
            except DropConnection:
                raise httpx.RemoteProtocolError("Server disconnected without sending a response.", request=request) from None

        return httpx.MockTransport(handler)
