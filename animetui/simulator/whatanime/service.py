"""The whatanimeisthis simulator: scene search (limits, charges, deterministic results with real
preview images), rankings and recent searches, on top of :class:`~.accounts.Accounts` (sign-in,
sessions, credits, keys). The rules are in :mod:`animetui.simulator.whatanime`."""

from __future__ import annotations

import hashlib
import io
import math
import random
import re
from typing import Any

import httpx

from animetui.simulator.base import UploadedFile, json_response, parse_body, route
from animetui.simulator.hub import DEMO_KEYS
from animetui.simulator.imagery import rgb_extrema, scene
from animetui.simulator.whatanime.accounts import Accounts
from animetui.simulator.whatanime.catalogue import (
    ADULT,
    BY_ID,
    DEMO_EMAIL,
    DEMO_NAME,
    DEMO_PAID_CREDITS,
    DEMO_PASSWORD,
    FREE_DAILY,
    GUEST_DAILY,
    HOURLY,
    IMAGE_MAGIC,
    MAX_LIMIT,
    MAX_UPLOAD,
    PERIODS,
    PREVIEW_TTL,
    RECENT_COUNT,
    SAFE,
    Anime,
    Caller,
    Guest,
    error_response,
    iso,
    positive_int,
)


class Simulator(Accounts):
    name = "whatanime"
    prefixes = ("/api/anime/", "/api/user/", "/api/apikeys", "/api/auth/")

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)
        self.routes = [
            route("POST", "/api/anime/search", self._search),
            route("GET", "/api/anime/rankings", self._rankings),
            route("GET", "/api/anime/recent-searches", self._recent),
            route("GET", "/api/user/anime-credits", self._credits),
            route("GET", "/api/apikeys", self._list_keys),
            route("POST", "/api/apikeys", self._create_key),
            route("POST", "/api/auth/sign-in/email", self._sign_in),
            route("POST", "/api/auth/sign-out", self._sign_out),
            route("GET", "/api/auth/get-session", self._get_session),
        ]
        self.guests: dict[str, Guest] = {}
        #: every image the search endpoint received (filename, content type, bytes), oldest first
        self.uploads: list[UploadedFile] = []
        #: every search answered 200, as (caller kind, what was charged)
        self.charges: list[tuple[str, str]] = []
        # newest first: each recent search a few minutes older than the one before
        anchor = math.floor(self.clock.now() / 60) * 60
        gaps = random.Random(f"{hub.seed}/recent-gaps")
        self._recent_times: list[float] = []
        for _ in range(RECENT_COUNT):
            anchor -= gaps.randint(40, 900)
            self._recent_times.append(anchor)
        self._covers: dict[int, str] = {}
        self._previews: dict[tuple[int, int, int], tuple[bytes, bytes]] = {}
        demo = self.add_user(DEMO_EMAIL, DEMO_PASSWORD, name=DEMO_NAME, paid_credits=DEMO_PAID_CREDITS)
        rng = random.Random(f"{hub.seed}/keys")
        self._add_key(demo, "demo", DEMO_KEYS["whatanime"], created_at=self.clock.now() - 40 * 86400)
        for index in range(11):
            key = "wait_" + "".join(rng.choice("0123456789abcdef") for _ in range(32))
            self._add_key(demo, f"key {index + 1}", key, created_at=self.clock.now() - (39 - index * 3) * 86400)

    def __getstate__(self) -> dict[str, Any]:  # the demo pickles the hub: drop caches
        state = self.__dict__.copy()
        state["_previews"] = {}
        state["_covers"] = {}
        state["uploads"] = []
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)

    def guest_remaining(self, ip: str = "127.0.0.1") -> int:
        guest = self.guests.get(ip)
        if guest is None or guest.day != self.clock.day():
            return GUEST_DAILY
        return max(0, GUEST_DAILY - guest.used)

    # ------------------------------------------------------------------ search
    def _identify(self, request: httpx.Request) -> Caller | httpx.Response:
        ip = self.client_ip(request)
        authorization = request.headers.get("authorization")
        if authorization is not None:
            scheme, _, value = authorization.strip().partition(" ")
            record = self.keys.get(value.strip()) if scheme.lower() == "bearer" else None
            if record is None:
                return error_response(401, "Invalid API key", "INVALID_API_KEY")
            record.last_used_at = self.clock.now()
            return Caller("key", ip, user=self.users[record.email], key=record)
        if self._has_session_cookie(request):
            problem = self._origin_problem(request, required=True)
            if problem is not None:
                return problem
            session, cookies = self._session_of(request)
            if session is None:
                return error_response(401, "Unauthorized: invalid or expired session", "UNAUTHORIZED")
            return Caller("session", ip, user=self.users[session.email], session=session, set_cookies=cookies)
        return Caller("guest", ip)

    def _limits(self, caller: Caller) -> httpx.Response | None:
        now = self.clock.now()
        if caller.user is None:
            guest = self.guests.setdefault(caller.ip, Guest())
            if guest.day != self.clock.day():
                guest.day, guest.used = self.clock.day(), 0
            if guest.used >= GUEST_DAILY:
                wait = max(1, math.ceil((self.clock.day() + 1) * 86400 - now))
                return error_response(
                    429,
                    f"Guest limit reached: {GUEST_DAILY} searches per day. Sign in for {FREE_DAILY} free credits a day.",
                    "GUEST_LIMIT_REACHED",
                    {"Retry-After": str(wait)},
                    limit=GUEST_DAILY,
                    remaining=0,
                )
            return None
        user = caller.user
        if user.hour != self.clock.hour():
            user.hour, user.hour_count = self.clock.hour(), 0
        if user.hour_count >= HOURLY:
            wait = max(1, math.ceil((self.clock.hour() + 1) * 3600 - now))
            return error_response(429, f"Rate limit exceeded: {HOURLY} searches per hour", "HOURLY_LIMIT_REACHED",
                          {"Retry-After": str(wait)})
        user.hour_count += 1
        return None

    async def _search(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        caller = self._identify(request)
        if isinstance(caller, httpx.Response):
            return caller
        limited = self._limits(caller)
        if limited is not None:
            return limited
        form = parse_body(request)
        if form.error:
            return error_response(400, f"Bad request: {form.error}", "BAD_REQUEST")
        upload = form.files.get("image")
        url = (form.fields.get("url") or "").strip()
        if isinstance(form.json, dict) and not url:
            url = str(form.json.get("url") or "").strip()
        flat = False
        if upload is not None and upload.data:
            if len(upload.data) > MAX_UPLOAD:
                return error_response(413, f"File size is limited to {MAX_UPLOAD // (1024 * 1024)}MB", "FILE_TOO_LARGE")
            self.uploads.append(upload)
            del self.uploads[:-20]
            fmt = self._sniff(upload.data)
            if fmt is None:
                return error_response(400, "Failed to process image: not an image", "INVALID_IMAGE")
            if fmt not in ("JPEG", "PNG"):
                return error_response(415, f"Unsupported image format ({fmt}). Only JPEG and PNG are accepted.",
                              "UNSUPPORTED_FORMAT")
            decoded = self._decode_flat(upload.data)
            if decoded is None:
                return error_response(400, "Failed to process image", "INVALID_IMAGE")
            flat = decoded
            digest = hashlib.sha256(upload.data).digest()
        elif url:
            if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
                return error_response(400, "Invalid image url", "INVALID_URL")
            if "404" in url.split("?")[0].split("://", 1)[1]:
                return error_response(400, "Failed to fetch image (HTTP 404)", "FETCH_FAILED")
            flat = "blank" in url.lower()
            digest = hashlib.sha256(url.encode()).digest()
        else:
            return error_response(400, "Provide an image file (field 'image') or an image url (field 'url')", "MISSING_INPUT")

        charged = self._charge(caller)
        if isinstance(charged, httpx.Response):
            return charged
        await self._realistic_pause(0.6 + digest[0] / 255 * 1.2)
        results = [] if flat else self._results(digest, self.hub.base_of(request))
        body = {
            "frameCount": 41_235_678 + self.hub.seed,
            "error": "",
            "result": results,
            "credits": charged,
        }
        return self._respond(200, body, cookies=caller.set_cookies)

    def _charge(self, caller: Caller) -> dict[str, Any] | httpx.Response:
        if caller.user is None:
            guest = self.guests[caller.ip]
            guest.used += 1
            self.charges.append(("guest", "guest"))
            return {"charged": "guest", "guestLimit": GUEST_DAILY, "remaining": max(0, GUEST_DAILY - guest.used)}
        user = caller.user
        if user.free_day != self.clock.day():
            user.free_day, user.free_used = self.clock.day(), 0
        if user.free_used < FREE_DAILY:
            user.free_used += 1
            what = "free"
        elif user.paid_credits > 0:
            user.paid_credits -= 1
            what = "paid"
        else:
            return error_response(
                402,
                f"Insufficient credits: today's {FREE_DAILY} free credits are used and no credits are left",
                "INSUFFICIENT_CREDITS",
                freeRemaining=0,
                paidCredits=0,
            )
        self.charges.append((caller.kind, what))
        free = self.free_remaining(user)
        return {"charged": what, "freeRemaining": free, "paidCredits": user.paid_credits,
                "remaining": free + user.paid_credits}

    @staticmethod
    def _sniff(data: bytes) -> str | None:
        for magic, fmt in IMAGE_MAGIC:
            if data.startswith(magic):
                return fmt
        if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
            return "WEBP"
        if data[4:12] in (b"ftypavif", b"ftypheic", b"ftypmif1"):
            return "AVIF/HEIC"
        return None

    @staticmethod
    def _decode_flat(data: bytes) -> bool | None:
        """True for an image of one flat colour, False for any other, None if it does not decode."""
        from PIL import Image

        try:
            with Image.open(io.BytesIO(data)) as image:
                image.draft("RGB", (64, 64))
                small = image.convert("RGB")
                small.thumbnail((64, 64))
                extrema = rgb_extrema(small)
        except Exception:  # noqa: BLE001 - anything Pillow cannot decode is "failed to process"
            return None
        return all(low == high for low, high in extrema)

    def _results(self, digest: bytes, base: str) -> list[dict[str, Any]]:
        rng = random.Random(int.from_bytes(digest[:8], "big") ^ self.hub.seed)
        count = 5 if rng.random() < 0.8 else rng.choice((2, 3, 4))
        pool = list(SAFE)
        picks = rng.sample(pool, count)
        if rng.random() < 0.1:
            picks[-1] = rng.choice(ADULT)
        # the best match is usually the same anime twice (neighbouring scenes): trace.moe does that too
        if count >= 3 and rng.random() < 0.4:
            picks[1] = picks[0]
        similarity = 0.88 + rng.random() * 0.11
        out: list[dict[str, Any]] = []
        for index, anime in enumerate(picks):
            if index:
                similarity -= 0.015 + rng.random() * 0.06
            if anime.episodes:
                number = rng.randint(1, anime.episodes)
                roll = rng.random()
                episode: Any = number
                if roll < 0.12:
                    episode = str(number)
                elif roll < 0.18 and number < anime.episodes:
                    episode = [number, number + 1]
                duration = round(1380 + rng.random() * 120, 4)
            else:
                number, episode = 0, None
                duration = round(5400 + rng.random() * 1800, 4)
            at = round(rng.random() * (duration - 10) + 5, 4)
            start = round(at - rng.random() * 2, 4)
            end = round(at + rng.random() * 2, 4)
            still, clip = self._preview(anime, number, int(at))
            image_path = self.hub.store_file(still, "image/jpeg", ttl=PREVIEW_TTL, suffix=".jpg")
            video_path = self.hub.store_file(clip, "image/gif", ttl=PREVIEW_TTL, suffix=".gif")
            out.append({
                "anilist": self._anilist(anime, index),
                "filename": f"[Sim] {anime.romaji}" + (f" - {number:02d}" if number else "") + " (BD 1280x720).mp4",
                "episode": episode,
                "duration": duration,
                "from": start,
                "to": end,
                "at": at,
                "similarity": round(max(0.0, min(1.0, similarity)), 6),
                "image": base + image_path,
                "video": base + video_path,
            })
        return out

    def _anilist(self, anime: Anime, index: int) -> dict[str, Any]:
        return {
            "id": anime.id,
            "idMal": anime.id_mal,
            "title": self._title(anime, index),
            "synonyms": [],
            "isAdult": anime.adult,
        }

    def _title(self, anime: Anime, index: int) -> dict[str, str | None]:
        return {
            "romaji": self.text(anime.romaji, index),
            "english": None if anime.english is None else self.text(anime.english, index + 1),
            "native": self.text(anime.native, index + 2),
        }

    def _preview(self, anime: Anime, episode: int, at: int) -> tuple[bytes, bytes]:
        key = (anime.id, episode, at)
        cached = self._previews.get(key)
        if cached is not None:
            return cached
        from PIL import Image

        seed = anime.id * 1009 + episode * 31 + at
        label = f"{anime.romaji[:28]} ep {episode or '-'} {at // 60}:{at % 60:02d}"
        still = scene(320, 180, seed=seed, boxes=[(0.35, 0.25, 0.65, 0.95)], fmt="JPEG", caption=label)
        frames = [Image.open(io.BytesIO(scene(160, 90, seed=seed + step, boxes=[(0.3 + step * 0.05, 0.3, 0.6 + step * 0.05, 0.95)])))
                  for step in range(3)]
        buffer = io.BytesIO()
        frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=300, loop=0)
        result = (still, buffer.getvalue())
        if len(self._previews) > 256:
            self._previews.clear()
        self._previews[key] = result
        return result

    def _cover(self, anime: Anime, base: str) -> str:
        path = self._covers.get(anime.id)
        if path is None or path.removeprefix("/sim-files/") not in self.hub.files:
            data = scene(100, 140, seed=anime.id, boxes=[(0.2, 0.2, 0.8, 0.98)], fmt="JPEG")
            path = self.hub.store_file(data, "image/jpeg", suffix=".jpg")
            self._covers[anime.id] = path
        return base + path

    # ------------------------------------------------------------------ rankings / recent
    async def _rankings(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        query = request.url.params
        period = query.get("period") or "all"
        if period not in PERIODS:
            return error_response(400, f"Invalid period {period[:40]!r}: use one of {', '.join(PERIODS)}", "INVALID_PERIOD")
        limit = positive_int(query.get("limit"), default=50, name="limit")
        if isinstance(limit, str):
            return error_response(400, limit, "INVALID_LIMIT")
        limit = min(limit, MAX_LIMIT)
        include_adult = (query.get("includeAdult") or "false").strip().lower() in ("true", "1", "yes")
        size, adult_count, scale = PERIODS[period]
        rng = random.Random(f"{self.hub.seed}/rankings/{period}")
        entries = rng.sample(list(SAFE), size - adult_count) + rng.sample(list(ADULT), adult_count)
        rng.shuffle(entries)
        counts = sorted((int(scale * (0.9 ** i) * (0.8 + rng.random() * 0.2)) + 1 for i in range(size)), reverse=True)
        base = self.hub.base_of(request)
        rows: list[dict[str, Any]] = []
        for index, (anime, count) in enumerate(zip(entries, counts)):
            if anime.adult and not include_adult:
                continue
            rows.append({
                "rank": len(rows) + 1,
                "anilistId": anime.id,
                "title": self._title(anime, index),
                "coverImage": None,
                "searchCount": count,
                "isAdult": anime.adult,
            })
        total = len(rows)
        rows = rows[:limit]
        for row in rows:
            row["coverImage"] = self._cover(BY_ID[row["anilistId"]], base)
        return json_response(200, {"period": period, "includeAdult": include_adult, "limit": limit,
                                   "total": total, "rankings": rows})

    def _recent_entry(self, index: int, base: str) -> dict[str, Any]:
        rng = random.Random(f"{self.hub.seed}/recent/{index}")
        anime = rng.choice(SAFE)
        created = self._recent_times[index]
        episode = rng.randint(1, anime.episodes) if anime.episodes else None
        return {
            "id": f"rs_{hashlib.sha256(f'{self.hub.seed}/{index}'.encode()).hexdigest()[:12]}",
            "anilistId": anime.id,
            "title": self._title(anime, index),
            "episode": episode,
            "similarity": round(0.9 + rng.random() * 0.099, 4),
            "at": round(rng.random() * 1400, 2),
            "image": self._cover(anime, base),
            "createdAt": iso(created),
        }

    async def _recent(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        query = request.url.params
        limit = positive_int(query.get("limit"), default=20, name="limit")
        if isinstance(limit, str):
            return error_response(400, limit, "INVALID_LIMIT")
        offset = positive_int(query.get("offset"), default=0, name="offset", minimum=0)
        if isinstance(offset, str):
            return error_response(400, offset, "INVALID_OFFSET")
        limit = min(limit, MAX_LIMIT)
        base = self.hub.base_of(request)
        items = [self._recent_entry(i, base) for i in range(offset, min(offset + limit, RECENT_COUNT))]
        return json_response(200, {"items": items, "total": RECENT_COUNT, "limit": limit, "offset": offset})

    def busy_response(self) -> httpx.Response:
        return error_response(503, "Search queue is full, please try again later", "QUEUE_FULL")

