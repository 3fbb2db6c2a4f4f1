"""Contract simulator of trace.moe's API (api.trace.moe): scene search, ``/me``, previews.

Written from soruly/trace.moe-api at b9106a5 (2026-08-22): ``docs/docs.md``, ``docs/limits.md``,
``src/search.ts``, ``src/get-me.ts``, ``src/app.ts``. What they say, the simulator does:

* ``POST /search`` with the image as the raw body (``image/*``, ``video/*``,
  ``application/octet-stream``, ``application/x-www-form-urlencoded``), as the multipart field
  ``image`` (any field name, first file — multer's ``.any()``), or a JSON body ``{"vector": …}``
  (one base64 string or 33 numbers, or a list of up to 10 of them: then ``result`` is a list of
  lists, and each vector counts 1 quota); ``GET /search?url=…``. Anything else on ``/search`` →
  405 ``Method Not Allowed``. A body over 25 MB → 413 (express's HTML error page).
* Flags are read by presence (``"cutBorders" in req.query``): ``cutBorders`` crops black borders
  before searching; ``anilistID=<digits>`` restricts the search to that anime (an id with no files
  → ``frameCount: 0, result: []``); ``anilistInfo`` puts ``{id, idMal, title{native, romaji,
  english}, synonyms, isAdult}`` in ``anilist`` instead of the bare id.
* ``x-trace-key`` header: unknown key → 403 ``Invalid API key``. A ``key`` query parameter is
  ignored (no longer supported upstream): the request is a guest's.
* Order of checks on a search (``search.ts``): key (403) → quota depleted (402, with ``quota`` and
  ``quotaUsed``) → concurrency (402 ``Concurrency limit exceeded``) → queue full (503) → body
  (400/405) → database (500 ``Search failed. Database temporarily unavailable.``) → 200.
  Only a 200 counts against the quota ("failed search requests like HTTP 4xx and 5xx don't count").
* Limits: 100 requests a minute per IP on every path (express-rate-limit: ``RateLimit-*`` and
  ``X-RateLimit-*`` headers, 429 with ``Retry-After`` and a plain-text body); quota in a rolling
  24 h window (guests 100 by IP; keys by tier); concurrency per identity (guests 1).
* Answer ``{quota, quotaUsed, frameCount, error: "", result: [{anilist, filename, episode,
  episode_start, episode_end, from, at, to, duration, similarity, video, image}]}``, at most 10,
  best first. ``episode`` is what aniep makes of the filename: a number, a string, a list or null.
* Previews: ``/image/<id>?size=l|m|s`` (640/320/160 px wide, JPEG, or WebP when ``Accept`` asks)
  and ``/video/<id>?size&mute&minDuration&maxDuration`` with ``x-video-start``, ``x-video-end``,
  ``x-video-duration``. Links expire 300 s after the search (410 Gone); a tampered id → 403.
* ``GET /me`` → ``{id, priority, concurrency, quota, quotaUsed}``; ``?period=minute|hour|day`` →
  the usage history list; another period → 400 ``Invalid period``.

Choices where the sources leave room (the provider copes with all of them):

* ``quotaUsed`` on ``/me`` and on keyed searches is a *string* (Postgres ``bigint`` through
  postgres.js); on guest searches a number (``COUNT(*)::integer``).
* Results are deterministic from the sha256 of the searched pixels (after the border crop), so the
  same scene finds the same anime; a screenshot with black borders searched *without*
  ``cutBorders`` scores under 0.87. A flat single-colour image finds nothing.
* AniList being down (:attr:`Simulator.anilist_down`) makes an ``anilistInfo`` search fail with
  502 ``{"error": "Failed to fetch Anilist info"}``; the same search without the flag works.
* 504 (:attr:`Simulator.overloaded`) comes from the proxy in front: an HTML body, no JSON.
* The preview ``video`` is a real MP4 (H.264, an AAC tone track unless ``mute``; ``size`` sets the
  width as for images) made by :mod:`animetui.simulator.clip`; :attr:`clips` records each one served.
* A URL is never fetched: a URL whose path contains ``404`` → HTTP 404 ``Failed to fetch image``;
  one containing ``blank`` finds nothing; anything else is searched by its text.

Test hooks: :attr:`hold` (an ``asyncio.Event`` searches wait on once admitted; :attr:`entered` is
set when one is waiting), :attr:`queue_full`, :attr:`db_down`, :attr:`anilist_down`,
:attr:`overloaded`, :attr:`sparse` (results without ``from``/``to``), :attr:`per_minute`,
:meth:`add_key`, :attr:`uploads` (every image searched), :attr:`searches` (the query flags seen).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import io
import json
import math
import random
import time
import urllib.parse
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import httpx

from animetui.simulator.base import (
    SimService,
    bytes_response,
    json_response,
    parse_body,
    route,
)
from animetui.simulator.imagery import scene

MAX_BODY = 25 * 1024 * 1024
MAX_RESULTS = 10
MAX_VECTORS = 10
PREVIEW_TTL = 300.0
GUEST_QUOTA = 100
PER_MINUTE = 100
WINDOW = 86400.0
RAW_TYPES = ("image/", "video/", "application/octet-stream", "application/x-www-form-urlencoded")
SIZES = {"l": 640, "m": 320, "s": 160}
DEMO_KEY = "tm_demo_3f9a1c7e5b2d8046"

#: (id, idMal, native, romaji, english or None, synonyms, isAdult, episodes, duration s)
CATALOGUE: tuple[tuple[int, int | None, str, str, str | None, tuple[str, ...], bool, int, float], ...] = (
    (1, 1, "カウボーイビバップ", "Cowboy Bebop", "Cowboy Bebop", (), False, 26, 1477.0),
    (21, 21, "ONE PIECE", "ONE PIECE", "One Piece", ("OP",), False, 1100, 1420.0),
    (99939, 34658, "ネコぱらOVA", "Nekopara OVA", None, ("Neko Para OVA",), False, 1, 3486.4817),
    (20954, 28851, "聲の形", "Koe no Katachi", "A Silent Voice", (), False, 1, 7770.0),
    (101921, 37999, "かぐや様は告らせたい", "Kaguya-sama wa Kokurasetai", "Kaguya-sama: Love is War",
     (), False, 12, 1420.0),
    (9253, 9253, "シュタインズ・ゲート", "Steins;Gate", "Steins;Gate", (), False, 24, 1440.0),
    (30001, None, "成人向けアニメ", "Seijin Muke", None, (), True, 2, 1500.0),
    (11061, 11061, "HUNTER×HUNTER (2011)", "HUNTER×HUNTER (2011)", "Hunter x Hunter (2011)",
     ("HxH",), False, 148, 1420.0),
    (30002, None, "アダルトOVA", "Adult OVA", None, (), True, 1, 1800.0),
    (16498, 16498, "進撃の巨人", "Shingeki no Kyojin", "Attack on Titan", ("AoT",), False, 25, 1440.0),
)


@dataclass(slots=True)
class Identity:
    """Who a search is counted against: a guest IP or a key's user."""

    id: str
    quota: int
    concurrency: int
    priority: int
    keyed: bool = False
    done: deque[float] = field(default_factory=deque)  # times of counted searches (rolling 24 h)
    in_flight: int = 0
    history: list[tuple[float, int]] = field(default_factory=list)  # (time, status) for /me?period

    def used(self, now: float) -> int:
        while self.done and self.done[0] <= now - WINDOW:
            self.done.popleft()
        return len(self.done)


def _episode_value(anime: tuple[Any, ...], index: int, rng: random.Random) -> tuple[str, Any]:
    """(filename, episode as aniep would give it): number, string, list or null."""
    romaji, episodes = anime[3], anime[7]
    kind = index % 4
    if episodes <= 1 or kind == 3:
        return f"{romaji} - OVA (BD 1280x720 x264 AAC).mp4", None
    first = rng.randint(1, episodes)
    if kind == 1 and first < episodes:
        return f"[Group] {romaji} - {first:02d}-{first + 1:02d} [1080p].mkv", [first, first + 1]
    if kind == 2:
        return f"[Group] {romaji} - {first:02d}.5 [720p].mp4", f"{first}.5"
    return f"[Group] {romaji} - {first:02d} [1080p].mp4", first


def _has_black_border(image: Any) -> bool:
    gray = image.convert("L")
    box = gray.point(lambda v: 255 if v > 24 else 0).getbbox()
    if box is None:
        return False
    width, height = gray.size
    return (box[2] - box[0]) * (box[3] - box[1]) < 0.9 * width * height


def _cut_borders(image: Any) -> Any:
    box = image.convert("L").point(lambda v: 255 if v > 24 else 0).getbbox()
    return image.crop(box) if box else image


class Simulator(SimService):
    name = "tracemoe"
    prefixes = ("/search", "/me", "/image/", "/video/")

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)
        self.routes = [
            route("GET", "/search", self._search),
            route("POST", "/search", self._search),
            route("GET", "/me", self._me),
            route("GET", "/image/{token}", self._image),
            route("GET", "/video/{token}", self._video),
        ]
        self._secret = hashlib.sha256(f"tracemoe-{hub.seed}".encode()).digest()
        self.per_minute = PER_MINUTE
        self._minute: dict[str, deque[float]] = {}
        self.guests: dict[str, Identity] = {}
        self.keys: dict[str, Identity] = {}
        self.add_key(DEMO_KEY, email="demo@example.com", quota=1000, concurrency=1, priority=2)
        self.max_queue = 8
        self.queue_full = False
        self.db_down = False
        self.anilist_down = False
        self.overloaded = False
        self.sparse = False
        self.hold: asyncio.Event | None = None
        self.entered = asyncio.Event()
        self._queue = 0
        self.uploads: list[bytes] = []
        self.searches: list[dict[str, str]] = []
        self.clips: list[dict[str, Any]] = []  # each preview clip served: size, mute, seconds

    # ------------------------------------------------------------------ test helpers
    def add_key(self, key: str, *, email: str, quota: int = 1000, concurrency: int = 1, priority: int = 2) -> Identity:
        identity = Identity(email, quota, concurrency, priority, keyed=True)
        self.keys[key] = identity
        return identity

    def guest(self, ip: str = "127.0.0.1") -> Identity:
        if ip not in self.guests:
            self.guests[ip] = Identity(ip, GUEST_QUOTA, 1, 0)
        return self.guests[ip]

    @staticmethod
    def client_ip(request: httpx.Request) -> str:
        forwarded = request.headers.get("x-forwarded-for", "")
        return forwarded.split(",")[0].strip() or "127.0.0.1"

    # ------------------------------------------------------------------ every path: rate limit
    async def dispatch(self, request: httpx.Request) -> httpx.Response:
        ip = self.client_ip(request)
        now = self.clock.now()
        window = self._minute.setdefault(ip, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        reset = max(1, math.ceil(window[0] + 60 - now)) if window else 60
        if len(window) >= self.per_minute:
            headers = self._limit_headers(0, reset)
            headers["Retry-After"] = str(reset)
            return httpx.Response(429, content=b"Too many requests, please try again later.",
                                  headers={"content-type": "text/html; charset=utf-8", **headers})
        window.append(now)
        response = await super().dispatch(request)
        response.headers.update(self._limit_headers(self.per_minute - len(window), reset))
        return response

    def _limit_headers(self, remaining: int, reset: int) -> dict[str, str]:
        return {
            "RateLimit-Policy": f"{self.per_minute};w=60",
            "RateLimit-Limit": str(self.per_minute),
            "RateLimit-Remaining": str(max(0, remaining)),
            "RateLimit-Reset": str(reset),
            "X-RateLimit-Limit": str(self.per_minute),
            "X-RateLimit-Remaining": str(max(0, remaining)),
            "X-RateLimit-Reset": str(int(time.time()) + reset),
        }

    def _identity(self, request: httpx.Request) -> Identity | None:
        key = request.headers.get("x-trace-key")
        if key:
            return self.keys.get(key)
        return self.guest(self.client_ip(request))

    # ------------------------------------------------------------------ /search
    async def _search(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        if len(request.content) > MAX_BODY:
            return httpx.Response(413, content=b"<!DOCTYPE html><pre>PayloadTooLargeError: request entity too large</pre>",
                                  headers={"content-type": "text/html; charset=utf-8"})
        query = dict(urllib.parse.parse_qsl(request.url.query.decode("ascii", "replace"), keep_blank_values=True))
        identity = self._identity(request)
        if identity is None:
            return json_response(403, {"error": "Invalid API key"})
        now = self.clock.now()
        identity.in_flight += 1
        self._queue += 1
        status = 500
        try:
            response = await self._admitted(request, query, identity, now)
            status = response.status_code
            return response
        finally:
            identity.in_flight -= 1
            self._queue -= 1
            identity.history.append((now, status))

    async def _admitted(self, request: httpx.Request, query: dict[str, str], identity: Identity, now: float) -> httpx.Response:
        used = identity.used(now)
        quota_used: int | str = str(used) if identity.keyed else used
        if used >= identity.quota:
            return json_response(402, {"quota": identity.quota, "quotaUsed": quota_used,
                                       "error": f"Search quota depleted (quota per 24 hours: {identity.quota}, used: {used})"})
        if identity.in_flight > identity.concurrency:
            return json_response(402, {"error": "Concurrency limit exceeded"})
        if self.queue_full or self._queue > self.max_queue:
            return json_response(503, {"error": "Error: Search queue is full"})
        if self.overloaded:
            return httpx.Response(504, content=b"<html><body><h1>504 Gateway Time-out</h1></body></html>",
                                  headers={"content-type": "text/html"})
        if self.hold is not None:
            self.entered.set()
            await self.hold.wait()
        # the search takes time: let other requests in meanwhile (so overlapping ones are seen)
        await asyncio.sleep(0.4 if self.hub.realistic else 0)
        await asyncio.sleep(0)

        vectors, multiple, error = self._vectors(request, query)
        if error is not None:
            return error
        self.searches.append(dict(query))
        anilist_filter: int | None = None
        raw_filter = query.get("anilistID", "")
        if raw_filter.isdigit():
            anilist_filter = int(raw_filter)
            if not any(a[0] == anilist_filter for a in CATALOGUE):
                identity.done.append(now)
                return json_response(200, {"frameCount": 0, "error": "", "result": []})
        if self.db_down:
            return json_response(500, {"error": "Search failed. Database temporarily unavailable."})
        if "anilistInfo" in query and self.anilist_down:
            return json_response(502, {"error": "Failed to fetch Anilist info"})
        base = self.hub.base_of(request)
        lists = [self._results(seed, penalty, anilist_filter, "anilistInfo" in query, base, now)
                 for seed, penalty in vectors]
        for _ in lists:
            identity.done.append(now)
        return json_response(200, {
            "quota": identity.quota,
            "quotaUsed": str(used) if identity.keyed else used,
            "frameCount": 745506 + self.hub.seed,
            "error": "",
            "result": lists if multiple else lists[0],
        })

    def _vectors(self, request: httpx.Request, query: dict[str, str]) -> tuple[list[tuple[bytes | None, float]], bool, httpx.Response | None]:
        """[(seed or None for "finds nothing", similarity penalty)], is-batch, or an error answer."""
        content_type = request.headers.get("content-type", "").lower()
        if content_type.startswith("application/json"):
            try:
                body = json.loads(request.content or b"null")
            except ValueError:
                return [], False, json_response(400, {"error": "Invalid vector format"})
            vector = body.get("vector") if isinstance(body, dict) else None
            if vector:
                return self._parse_vectors(vector)
        if request.method == "GET" or query.get("url"):
            url = query.get("url")
            if url:
                parsed = urllib.parse.urlsplit(url)
                if parsed.scheme not in ("http", "https") or not parsed.netloc:
                    return [], False, json_response(400, {"error": f"Invalid image url {url}"})
                if "404" in parsed.path:
                    return [], False, json_response(404, {"error": f"Failed to fetch image {url}"})
                seed = None if "blank" in parsed.path else hashlib.sha256(url.encode()).digest()
                return [(seed, 0.0)], False, None
            return [], False, json_response(405, {"error": "Method Not Allowed"})
        data: bytes | None = None
        if content_type.startswith("multipart/form-data"):
            form = parse_body(request)
            if form.files:
                data = next(iter(form.files.values())).data
        elif content_type.startswith(RAW_TYPES) and request.content:
            data = request.content
        if data is None:
            return [], False, json_response(405, {"error": "Method Not Allowed"})
        if not data:
            return [], False, json_response(400, {"error": "Failed to process file"})
        self.uploads.append(data)
        return self._image_seed(data, "cutBorders" in query)

    def _parse_vectors(self, value: Any) -> tuple[list[tuple[bytes | None, float]], bool, httpx.Response | None]:
        bad = json_response(400, {"error": "Invalid vector format"})

        def one(item: Any) -> list[int] | None:
            if isinstance(item, str):
                try:
                    raw = base64.b64decode(item, validate=False)
                except ValueError:
                    return None
                return list(raw) if len(raw) == 33 else None
            if isinstance(item, list) and len(item) == 33 and all(
                    isinstance(n, (int, float)) and not isinstance(n, bool) for n in item):
                return [int(n) for n in item]
            return None

        def seed_of(vector: list[int]) -> tuple[bytes | None, float]:
            flat = len(set(vector[1:21])) <= 1 and vector[0] in (0, 255)
            return (None if flat else hashlib.sha256(bytes(v & 255 for v in vector)).digest(), 0.0)

        if isinstance(value, list) and value and all(isinstance(n, (int, float)) and not isinstance(n, bool) for n in value):
            parsed = one(value)
            return ([seed_of(parsed)], False, None) if parsed else ([], False, bad)
        if isinstance(value, str):
            parsed = one(value)
            return ([seed_of(parsed)], False, None) if parsed else ([], False, bad)
        if not isinstance(value, list) or not value:
            return [], False, bad
        if len(value) > MAX_VECTORS:
            return [], False, json_response(400, {"error": "Too many vectors (max 10)"})
        parsed_all = [one(item) for item in value]
        if any(p is None for p in parsed_all):
            return [], False, bad
        return [seed_of(p) for p in parsed_all if p is not None], True, None

    def _image_seed(self, data: bytes, cut: bool) -> tuple[list[tuple[bytes | None, float]], bool, httpx.Response | None]:
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as opened:
                opened.seek(0)  # a GIF/animated image: its 1st frame
                image = opened.convert("RGB")
        except Exception:  # noqa: BLE001 - what ffmpeg cannot decode
            return [], False, json_response(400, {"error": "Failed to process image"})
        bordered = _has_black_border(image)
        core = _cut_borders(image)
        penalty = 0.0 if (cut or not bordered) else 0.12
        small = core.resize((32, 18))
        colours = small.getcolors(32 * 18)
        if colours is not None and len(colours) == 1:
            return [(None, 0.0)], False, None
        return [(hashlib.sha256(small.tobytes()).digest(), penalty)], False, None

    def _results(self, seed: bytes | None, penalty: float, anilist_filter: int | None, info: bool,
                 base: str, now: float) -> list[dict[str, Any]]:
        if seed is None:
            return []
        rng = random.Random(seed)
        pool = [a for a in CATALOGUE if anilist_filter is None or a[0] == anilist_filter]
        count = MAX_RESULTS if anilist_filter is None else 4
        top = 0.975 - rng.random() * 0.05 - penalty
        results: list[dict[str, Any]] = []
        for index in range(count):
            anime = pool[rng.randrange(len(pool))] if index else pool[int.from_bytes(seed[:2], "big") % len(pool)]
            similarity = max(0.0, top - index * (0.015 + rng.random() * 0.025))
            filename, episode = _episode_value(anime, index, rng)
            duration = anime[8]
            at = round(rng.uniform(5, duration - 10), 4)
            start, end = round(max(0.0, at - rng.uniform(0.2, 2.5)), 4), round(min(duration, at + rng.uniform(0.2, 2.5)), 4)
            token = self._token(anime[0], at, start, end, now + PREVIEW_TTL, index)
            item: dict[str, Any] = {
                "anilist": self._anilist(anime) if info else anime[0],
                "filename": filename,
                "episode": episode,
                "episode_start": episode[0] if isinstance(episode, list) else None,
                "episode_end": episode[-1] if isinstance(episode, list) else None,
                "from": start,
                "at": at,
                "to": end,
                "duration": duration,
                "similarity": similarity,
                "video": f"{base}/video/{token}",
                "image": f"{base}/image/{token}",
            }
            if self.sparse:
                del item["from"], item["to"]
            if self.hostile:
                item["filename"] = self.text(filename, index)
            results.append(item)
        results.sort(key=lambda r: -r["similarity"])
        return results

    def _anilist(self, anime: tuple[Any, ...]) -> dict[str, Any]:
        return {
            "id": anime[0],
            "idMal": anime[1],
            "title": {"native": self.text(anime[2], 0), "romaji": anime[3], "english": anime[4]},
            "synonyms": list(anime[5]),
            "isAdult": anime[6],
        }

    # ------------------------------------------------------------------ previews
    def _token(self, anilist_id: int, at: float, start: float, end: float, expires: float, index: int) -> str:
        payload = json.dumps([anilist_id, at, start, end, round(expires, 3), index], separators=(",", ":")).encode()
        mac = hmac.new(self._secret, payload, hashlib.sha256).digest()[:8]
        return base64.urlsafe_b64encode(payload + mac).decode().rstrip("=")

    def _untoken(self, token: str) -> list[Any] | None:
        try:
            raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        except ValueError:
            return None
        payload, mac = raw[:-8], raw[-8:]
        if not hmac.compare_digest(mac, hmac.new(self._secret, payload, hashlib.sha256).digest()[:8]):
            return None
        try:
            return json.loads(payload)
        except ValueError:
            return None

    def _preview_check(self, request: httpx.Request, token: str) -> tuple[list[Any] | None, httpx.Response | None]:
        fields = self._untoken(token)
        if fields is None:
            return None, bytes_response(403, b"Forbidden", "text/plain")
        if self.clock.now() > fields[4]:
            return None, bytes_response(410, b"Gone", "text/plain")
        if not any(a[0] == fields[0] for a in CATALOGUE):
            return None, bytes_response(404, b"Not found", "text/plain")
        size = request.url.params.get("size", "m")
        if size not in SIZES:
            return None, bytes_response(400, b"Bad Request", "text/plain")
        return fields, None

    async def _image(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        fields, error = self._preview_check(request, params["token"])
        if error is not None:
            return error
        assert fields is not None
        width = SIZES[request.url.params.get("size", "m")]
        fmt, ctype = ("WEBP", "image/webp") if "image/webp" in request.headers.get("accept", "") else ("JPEG", "image/jpeg")
        seed = fields[0] * 1000 + int(fields[1])
        data = scene(width, width * 9 // 16, seed=seed, boxes=[(0.3, 0.2, 0.6, 0.95)], fmt=fmt)
        return bytes_response(200, data, ctype, {"cache-control": "max-age=300"})

    async def _video(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        from animetui.simulator.clip import mp4_clip

        fields, error = self._preview_check(request, params["token"])
        if error is not None:
            return error
        assert fields is not None
        query = request.url.params
        try:
            low = float(query.get("minDuration", "0.5"))
            high = float(query.get("maxDuration", "5"))
        except ValueError:
            return bytes_response(400, b"Bad Request", "text/plain")
        if not (0.5 <= low <= 2.0 and 0.5 <= high <= 5.0 and low <= high):
            return bytes_response(400, b"Bad Request", "text/plain")
        at, start, end = float(fields[1]), float(fields[2]), float(fields[3])
        length = round(min(high, max(low, end - start)), 2)
        begin = max(0.0, at - length / 2)
        width = SIZES[query.get("size", "m")]
        muted = "mute" in query
        self.clips.append({"size": query.get("size", "m"), "mute": muted, "seconds": length})
        data = await asyncio.to_thread(mp4_clip, width, width * 9 // 16, length, int(fields[0]), audio=not muted)
        headers = {
            "x-video-start": f"{begin:.4f}",
            "x-video-end": f"{begin + length:.4f}",
            "x-video-duration": f"{length:.4f}",
            "cache-control": "max-age=300",
        }
        return bytes_response(200, data, "video/mp4", headers)

    # ------------------------------------------------------------------ /me
    async def _me(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        period = request.url.params.get("period")
        if period is not None and period not in ("minute", "hour", "day"):
            return json_response(400, {"error": "Invalid period"})
        identity = self._identity(request)
        if identity is None:
            return json_response(403, {"error": "Invalid API key"})
        now = self.clock.now()
        if period is not None:
            span, back = {"minute": (60, 3600), "hour": (3600, 72 * 3600), "day": (86400, 60 * 86400)}[period]
            buckets: dict[int, dict[str, Any]] = {}
            for when, status in identity.history:
                if when <= now - back:
                    continue
                slot = int(when // span) * span
                row = buckets.setdefault(slot, {"time": _iso(slot), "200": 0, "400": 0, "402": 0, "405": 0,
                                                "500": 0, "503": 0, "total": 0})
                row[str(status)] = row.get(str(status), 0) + 1
                row["total"] += 1
            return json_response(200, [buckets[k] for k in sorted(buckets)])
        return json_response(200, {
            "id": identity.id,
            "priority": identity.priority,
            "concurrency": identity.concurrency,
            "quota": identity.quota,
            "quotaUsed": str(identity.used(now)),
        })


def _iso(seconds: float) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(seconds, dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z")


__all__ = ["CATALOGUE", "DEMO_KEY", "Identity", "Simulator"]
