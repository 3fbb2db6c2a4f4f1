"""Contract simulator of AnimeAPI (api.animeapi.com): paid text-to-image, ``POST /api/generate``.

Written from ``seeds/animeapi-api.txt`` (and research section C). What the docs say, the simulator
does:

* ``Authorization: Bearer ank_…`` on every request; a missing or unknown key →
  401 ``{"error": "Invalid API key", "code": "INVALID_KEY"}``.
* JSON body: ``prompt`` (required, at most 1000 characters), ``orientation`` ``portrait``
  (832×1280, the default) | ``square`` (1024×1024) | ``landscape`` (1280×832), ``allowNSFW``
  (default **true**), ``enhance`` (default true: Danbooru-style tags are added to the prompt).
* 200 ``{"image_url", "enhanced_prompt", "balance_usd", "generation_time_ms"}``; the image is a
  real WEBP of the orientation's size, served under ``/sim-files/…`` on the host the request came
  to. Each image costs $0.009, taken from the key's balance.
* 402 ``INSUFFICIENT_BALANCE``, 429 ``DAILY_LIMIT_EXCEEDED`` (5,000 images per user per day),
  500 ``GENERATION_FAILED``.

Where the docs are silent (every choice here is what the provider must cope with):

* **Per-minute limit**: 10 requests per key in any sliding 60 s window (the strictest reading of
  "10 per minute": a client that passes it also passes a fixed window or a token bucket). Every
  authenticated request that gets past the limiter counts, also those later refused with 400/402;
  a 429 itself does not count. Answer: 429 ``{"error": "Rate limit exceeded", "code":
  "RATE_LIMITED"}`` with ``Retry-After`` (whole seconds until the oldest request leaves the window).
* **Order of checks**: key (401) → per-minute limit (429) → Content-Type (415) → JSON (400) →
  fields (400) → daily limit (429) → balance (402) → generation (500 or 200).
* **Content-Type** other than ``application/json`` → 415 ``{"error": "Content-Type must be
  application/json", "code": "UNSUPPORTED_MEDIA_TYPE"}``; a body that is not a JSON object → 400
  ``INVALID_JSON``.
* **Field errors** → 400 with ``code`` ``INVALID_PROMPT`` (missing, not a string, blank, or over
  1000 characters — counted as Unicode code points), ``INVALID_ORIENTATION``, or
  ``INVALID_PARAMETER`` (``allowNSFW``/``enhance`` not a boolean). ``null`` means "not given".
* **Daily limit**: counts generated images per *user* (a user may own several keys) per UTC day;
  the 429 carries ``Retry-After`` until the next UTC midnight.
* **Charging**: only a generated image is charged. Anything refused (401/4xx/429) and a failed
  generation (500) is not; :attr:`Simulator.charges` records every charge so tests can prove it.
* **Generation failure**: :meth:`Simulator.fail_next`, or a prompt containing
  :data:`FAIL_TRIGGER`, answers 500 ``{"error": "Generation failed", "code":
  "GENERATION_FAILED"}``. (The hub's generic ``server_error`` fault works too.)
* **Images** stay downloadable for 7 days of simulated time (the real ones live on a CDN).
* **Timing**: ``generation_time_ms`` is 4000–8000, deterministic from the prompt. With
  ``hub.realistic`` the answer really takes that long (demo mode); in tests it is immediate.
"""

from __future__ import annotations

import asyncio
import hashlib
import math
import re
import secrets
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import httpx

from animetui.simulator.base import HOSTILE_STRINGS, SimService, json_response, parse_body, route
from animetui.simulator.hub import DEMO_KEYS
from animetui.simulator.imagery import scene

SIZES: dict[str, tuple[int, int]] = {
    "portrait": (832, 1280),
    "square": (1024, 1024),
    "landscape": (1280, 832),
}
DEFAULT_ORIENTATION = "portrait"
MAX_PROMPT = 1000
COST_MICROUSD = 9_000  # $0.009 per image; money is kept in whole micro-dollars (no float drift)
PER_MINUTE = 10
WINDOW_SECONDS = 60.0
DAILY_LIMIT = 5_000
IMAGE_TTL = 7 * 86400.0
DEMO_BALANCE_USD = 0.50
#: a prompt containing this text makes the generation fail (500 GENERATION_FAILED)
FAIL_TRIGGER = "[sim:generation-failed]"

_QUALITY_TAGS = ("masterpiece", "best quality", "absurdres")
_SUBJECT_TAGS = {
    "girl": ("1girl", "solo"),
    "woman": ("1girl", "solo", "mature_female"),
    "boy": ("1boy", "solo"),
    "man": ("1boy", "solo"),
    "cat": ("cat", "animal"),
    "dragon": ("dragon", "fantasy"),
}
_SCENE_TAGS = {
    "forest": ("forest", "nature", "trees"),
    "magical": ("magical", "glowing", "fantasy"),
    "city": ("cityscape", "buildings"),
    "night": ("night", "night_sky", "stars"),
    "sea": ("ocean", "water", "horizon"),
    "rain": ("rain", "wet"),
}
_ORIENTATION_TAGS = {"portrait": "upper_body", "square": "portrait", "landscape": "scenery"}


def _usd(micro: int) -> float:
    return round(micro / 1_000_000, 6)


def _micro(usd: float) -> int:
    return int(round(usd * 1_000_000))


def _error(status: int, message: str, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    return json_response(status, {"error": message, "code": code}, headers)


def enhance_prompt(prompt: str, orientation: str) -> str:
    """Danbooru-style tags for ``prompt`` (what ``enhance: true`` does), deterministic."""
    lowered = prompt.lower()
    tags: list[str] = list(_QUALITY_TAGS)
    for word, extra in _SUBJECT_TAGS.items():
        if re.search(rf"\b{word}s?\b", lowered):
            tags.extend(extra)
    # "blue hair" → blue_hair, "red eyes" → red_eyes
    for colour, part in re.findall(r"\b([a-z]+) (hair|eyes|dress|sky)\b", lowered):
        tags.append(f"{colour}_{part}")
        if part == "hair":
            tags.append("long_hair")
    for word, extra in _SCENE_TAGS.items():
        if word in lowered:
            tags.extend(extra)
    # keep the user's own comma-separated phrases as tags too
    for phrase in (p.strip() for p in prompt.split(",")):
        if phrase and len(phrase.split()) <= 3 and len(phrase) <= 40:
            tags.append(phrase.lower().replace(" ", "_"))
    tags.extend((_ORIENTATION_TAGS[orientation], "soft_lighting"))
    unique = list(dict.fromkeys(tags))
    return ", ".join(unique)


@dataclass(slots=True)
class Account:
    """One API key and whose it is."""

    key: str
    user: str
    balance_micro: int


@dataclass(slots=True)
class Charge:
    """One image paid for (what tests check to prove a request was or was not charged)."""

    key: str
    amount_usd: float
    balance_after_usd: float
    prompt: str
    image_url: str
    at: float


@dataclass(slots=True)
class Received:
    """One authenticated request as it arrived (the parsed JSON body, if any)."""

    key: str
    content_type: str
    body: Any
    at: float


@dataclass(slots=True)
class _User:
    day: int = -1
    used: int = 0


class Simulator(SimService):
    name = "animeapi"
    prefixes = ("/api/generate",)

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)
        self.routes = [route("POST", "/api/generate", self._generate)]
        self.accounts: dict[str, Account] = {}
        self.users: dict[str, _User] = {}
        #: every image charged, oldest first
        self.charges: list[Charge] = []
        #: every authenticated request that passed the per-minute limit, oldest first
        self.received: list[Received] = []
        self._window: dict[str, deque[float]] = {}
        self._fail_next = 0
        #: how the simulator waits in realistic mode (tests swap in a recorder)
        self.sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
        self.add_key(DEMO_KEYS["animeapi"], balance_usd=DEMO_BALANCE_USD, user="demo")

    # ------------------------------------------------------------------ test/demo helpers
    def add_key(self, key: str | None = None, *, balance_usd: float = DEMO_BALANCE_USD, user: str | None = None) -> str:
        """Create (or reset) an account; returns its key. ``user`` groups keys for the daily limit."""
        key = key or f"ank_{secrets.token_hex(12)}"
        self.accounts[key] = Account(key, user or key, _micro(balance_usd))
        return key

    def balance_usd(self, key: str | None = None) -> float:
        return _usd(self.accounts[key or DEMO_KEYS["animeapi"]].balance_micro)

    def set_balance(self, usd: float, key: str | None = None) -> None:
        self.accounts[key or DEMO_KEYS["animeapi"]].balance_micro = _micro(usd)

    def set_daily_used(self, count: int, key: str | None = None) -> None:
        """Pretend the user owning ``key`` (default: the demo key) made ``count`` images today."""
        user = self._user(self.accounts[key or DEMO_KEYS["animeapi"]].user)
        user.used = count

    def daily_used(self, key: str | None = None) -> int:
        return self._user(self.accounts[key or DEMO_KEYS["animeapi"]].user).used

    def fail_next(self, times: int = 1) -> None:
        """The next ``times`` generations fail with 500 GENERATION_FAILED (not charged)."""
        self._fail_next += times

    def charges_for(self, key: str | None = None) -> list[Charge]:
        wanted = key or DEMO_KEYS["animeapi"]
        return [c for c in self.charges if c.key == wanted]

    @property
    def last_body(self) -> Any:
        """The JSON body of the last request that got past auth and the per-minute limit."""
        return self.received[-1].body if self.received else None

    # ------------------------------------------------------------------ internals
    def _user(self, name: str) -> _User:
        user = self.users.setdefault(name, _User())
        today = self.clock.day()
        if user.day != today:
            user.day, user.used = today, 0
        return user

    def _authenticate(self, request: httpx.Request) -> Account | None:
        scheme, _, token = request.headers.get("authorization", "").strip().partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.accounts.get(token.strip())

    def _rate_limit(self, key: str) -> float | None:
        """Seconds to wait when this request is over the limit, else None (and it is counted)."""
        now = self.clock.now()
        window = self._window.setdefault(key, deque())
        while window and window[0] <= now - WINDOW_SECONDS:
            window.popleft()
        if len(window) >= PER_MINUTE:
            return window[0] + WINDOW_SECONDS - now
        window.append(now)
        return None

    def _message(self, text: str) -> str:
        return self.text(text, 1)

    async def _generate(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        account = self._authenticate(request)
        if account is None:
            return _error(401, "Invalid API key", "INVALID_KEY")

        wait = self._rate_limit(account.key)
        if wait is not None:
            return _error(
                429,
                self._message("Rate limit exceeded: 10 requests per minute"),
                "RATE_LIMITED",
                {"Retry-After": str(max(1, math.ceil(wait)))},
            )

        content_type = request.headers.get("content-type", "")
        form = parse_body(request) if content_type.lower().startswith("application/json") else None
        self.received.append(Received(account.key, content_type, form.json if form else None, self.clock.now()))
        if form is None:
            return _error(415, "Content-Type must be application/json", "UNSUPPORTED_MEDIA_TYPE")
        body = form.json
        if form.error or not isinstance(body, dict):
            return _error(400, self._message("Invalid JSON body"), "INVALID_JSON")

        prompt = body.get("prompt")
        if not isinstance(prompt, str) or not prompt.strip():
            return _error(400, self._message("prompt is required"), "INVALID_PROMPT")
        if len(prompt) > MAX_PROMPT:
            return _error(400, self._message(f"prompt must be at most {MAX_PROMPT} characters"), "INVALID_PROMPT")
        orientation = body.get("orientation")
        if orientation is None:
            orientation = DEFAULT_ORIENTATION
        if orientation not in SIZES:
            return _error(400, self._message("orientation must be portrait, square or landscape"), "INVALID_ORIENTATION")
        for name in ("allowNSFW", "enhance"):
            if body.get(name) is not None and not isinstance(body[name], bool):
                return _error(400, self._message(f"{name} must be a boolean"), "INVALID_PARAMETER")
        enhance = body.get("enhance") is not False  # default true

        user = self._user(account.user)
        if user.used >= DAILY_LIMIT:
            now = self.clock.now()
            until_midnight = (self.clock.day() + 1) * 86400 - now
            return _error(
                429,
                self._message("Daily limit exceeded"),
                "DAILY_LIMIT_EXCEEDED",
                {"Retry-After": str(max(1, math.ceil(until_midnight)))},
            )
        if account.balance_micro < COST_MICROUSD:
            return _error(402, self._message("Insufficient balance"), "INSUFFICIENT_BALANCE")

        digest = hashlib.sha256(f"{orientation}\n{prompt}".encode("utf-8", "surrogatepass")).digest()
        generation_ms = 4000 + int.from_bytes(digest[:4], "big") % 4001
        if self.hub.realistic:
            await self.sleep(generation_ms / 1000)

        if self._fail_next > 0 or FAIL_TRIGGER in prompt:
            self._fail_next = max(0, self._fail_next - 1)
            return _error(500, self._message("Generation failed"), "GENERATION_FAILED")

        width, height = SIZES[orientation]
        seed = int.from_bytes(digest[4:8], "big")
        data = await asyncio.to_thread(
            scene, width, height, seed=seed, boxes=[(0.3, 0.25, 0.7, 0.98)], fmt="WEBP"
        )
        image_url = self.hub.base_of(request) + self.hub.store_file(data, "image/webp", ttl=IMAGE_TTL, suffix=".webp")

        account.balance_micro -= COST_MICROUSD
        user.used += 1
        self.charges.append(
            Charge(account.key, _usd(COST_MICROUSD), _usd(account.balance_micro), prompt, image_url, self.clock.now())
        )
        used_prompt = enhance_prompt(prompt, orientation) if enhance else prompt
        if self.hostile:
            used_prompt = " ".join(HOSTILE_STRINGS)
        return json_response(
            200,
            {
                "image_url": image_url,
                "enhanced_prompt": used_prompt,
                "balance_usd": _usd(account.balance_micro),
                "generation_time_ms": generation_ms,
            },
        )
