"""AnimeAPI's generate endpoint and a result link, played by a :class:`HostileServer`.

    api = FakeAnimeAPI(hostile)                   # POST /api/generate answers at once
    api = FakeAnimeAPI(hostile, hold=True)        # ... only after api.release() (a slow answer)
    api.arrived.wait(30)                          # the paid request is on the wire (an event)
    api.result_body(b"<html>…")                   # what the result link serves
    api.result_redirect("file:///etc/passwd")     # the result link redirects there

The answer is the documented success body (``image_url``, ``balance_usd``, …); the image is a
real PNG made with Pillow, so a saved result can be checked as a picture.
"""

from __future__ import annotations

import io
import json
import threading

from PIL import Image

from .hostile_server import HostileServer, Recorded, Reply

GENERATE = "/api/generate"
RESULT = "/cdn/result.png"


def png_bytes(size: tuple[int, int] = (64, 48)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 120, 40)).save(buffer, "PNG")
    return buffer.getvalue()


class FakeAnimeAPI:
    def __init__(self, server: HostileServer, *, hold: bool = False, balance: float = 9.5) -> None:
        self.server = server
        self.image_url = server.url + RESULT
        self.arrived = threading.Event()
        self._released = threading.Event()
        if not hold:
            self._released.set()
        self.balance = balance
        server.route(GENERATE, handler=self._generate)
        self.result_body(png_bytes())

    def _generate(self, _request: Recorded) -> Reply:
        self.arrived.set()
        self._released.wait(60)
        body = {
            "image_url": self.image_url,
            "enhanced_prompt": "a fox in the snow, detailed",
            "balance_usd": self.balance,
            "generation_time_ms": 4200,
        }
        return Reply(200, {"Content-Type": "application/json"}, json.dumps(body).encode())

    def release(self) -> None:
        self._released.set()

    def result_body(self, body: bytes, content_type: str = "image/png") -> None:
        self.server.route(RESULT, body=body, headers={"Content-Type": content_type})

    def result_redirect(self, location: str, *, status: int = 302) -> None:
        self.server.redirect(RESULT, location, status=status)

    def generate_requests(self) -> int:
        return len(self.server.requests_to(GENERATE))

    def result_requests(self) -> int:
        return len(self.server.requests_to(RESULT))
