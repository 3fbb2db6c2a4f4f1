"""Contract simulator of whatanimeisthis.com: scene search, rankings, recent searches, credits,
API keys and better-auth email sign-in.

Written from ``seeds/whatanimeisthis-api.txt`` and research section B (B.1 the site's docs, B.2
trace.moe as the closest documented analog, B.3 better-auth, B.4). What the docs say, the
simulator does:

* ``POST /api/anime/search`` with a multipart ``image`` (JPEG/PNG) or ``url`` field; "up to 5
  candidate matches with timestamps and similarity scores".
* Guests: 5 searches a day by IP. Signed-in users (better-auth session cookie, or
  ``Authorization: Bearer <key>``): 10 free credits a day (they expire at midnight), then 1 credit
  per search, and at most 100 searches an hour.
* ``GET /api/anime/rankings?period=daily|weekly|monthly|yearly|all&limit=50&includeAdult=false``.
* ``GET /api/anime/recent-searches?limit&offset``.
* ``GET /api/user/anime-credits`` and ``GET/POST /api/apikeys`` need a session; the plaintext of
  a new key is returned once.
* ``POST /api/auth/sign-in/email`` (better-auth): Origin checks, ``INVALID_EMAIL_OR_PASSWORD``,
  3 attempts per 10 s per IP with ``X-Retry-After``, session cookie ``<prefix>.session_token``
  (``<token>.<signature>``, URL-encoded) — and ``<prefix>.session_data`` only with
  :attr:`Simulator.cookie_cache` on; ``POST /api/auth/sign-out``.

Aligned with a real better-auth 1.7 server on loopback (issue 12): a request with neither Origin
nor cookie is not refused (the Origin check applies to cookie-bearing requests; an untrusted
Origin is refused whenever one is sent); the cookie's signature is standard base64 (HMAC-SHA256,
``=`` padded) and the whole ``<token>.<signature>`` value URL-encoded, as better-call signs
cookies; no ``session_data`` cookie at sign-in (better-auth sets it only with its cookie cache on).

Where the docs are silent, these are the choices (the provider must cope with all of them):

* **Search body** (undocumented; trace.moe-like)::

    {"frameCount": 41235678, "error": "",
     "result": [{"anilist": {"id", "idMal", "title": {"romaji", "english", "native"},
                             "synonyms": [], "isAdult"},
                 "filename", "episode" (int | "12" | [3, 4] | null), "duration",
                 "from", "to", "at" (seconds), "similarity" (0–1),
                 "image", "video" (absolute URLs, alive for 300 s)}],
     "credits": {"charged": "guest", "guestLimit": 5, "remaining": 4}}
               | {"charged": "free" | "paid", "freeRemaining", "paidCredits", "remaining"}

  Results are deterministic from the image's sha256 (or the URL text), best first, mostly 5;
  the lower ones are under 0.9 similarity. An image of one flat colour finds nothing
  (``result: []``). ``image`` is a real JPEG still; ``video`` is a short animated GIF standing in
  for trace.moe's MP4 clip (no video encoder here).
* **Search errors** use trace.moe's envelope ``{"error": "…"}`` (plus a ``code``): 400 neither
  field / unreadable image / bad or unfetchable URL; 415 another image format (WEBP, GIF, BMP …);
  413 over 25 MB (trace.moe's limit); 401 unknown key or dead session; 402
  ``INSUFFICIENT_CREDITS``; 429 ``GUEST_LIMIT_REACHED`` (``Retry-After`` until midnight UTC) or
  ``HOURLY_LIMIT_REACHED`` (``Retry-After`` until the next hour).
* **Order of checks** for search: credentials (401, 403 Origin for a cookie-bearing POST) →
  guest daily / hourly limit (429) → input (400/413/415) → credits (402) → 200. Only a 200 is
  charged (a guest search counts against the 5, a user's takes a free credit, else a paid one).
* A URL is never fetched: the result is derived from its text. A URL whose path contains
  ``404`` answers 400 "Failed to fetch image (HTTP 404)"; one containing ``blank`` finds nothing.
* **Session rules**: a cookie-bearing POST without ``Origin`` → 403 ``MISSING_OR_NULL_ORIGIN``;
  an ``Origin`` other than https://whatanimeisthis.com or the request's own base → 403
  ``INVALID_ORIGIN`` (better-auth's envelope ``{"code", "message"}``). Sign-in wants an Origin
  only when the request carries a cookie (as better-auth 1.7 does). Sessions live 7 simulated days and slide like better-auth's defaults: a session used
  more than a day after its last refresh is extended and its cookies are set again. A dead
  session on an endpoint → 401.
* **Client IP**: the first ``X-Forwarded-For`` entry, else 127.0.0.1.
* **Rankings body**: ``{"period", "includeAdult", "limit", "total", "rankings": [{"rank",
  "anilistId", "title": {…}, "coverImage", "searchCount", "isAdult"}]}``; a different list per
  period (deterministic from ``hub.seed``); adult entries are in the data and left out (ranks
  renumbered) unless ``includeAdult=true``. ``limit`` 1–100 (more is capped), else 400.
* **Recent searches body**: ``{"items": [{"id", "anilistId", "title": {…}, "episode",
  "similarity", "at", "image", "createdAt"}], "total", "limit", "offset"}``, 300 entries newest
  first; ``limit`` default 20 (1–100), past the end → ``items: []``.
* **Credits body**: ``{"freeCredits", "freeCreditsLimit": 10, "paidCredits", "totalCredits",
  "resetsAt"}``.
* **API keys**: list ``{"items": [{"id", "title", "maskedKey", "createdAt", "lastUsedAt"}],
  "total", "page", "pageSize", "totalPages"}`` (page ≥ 1, pageSize 1–100, default 10); create →
  201 ``{"id", "title", "key", "maskedKey", "createdAt"}``; a missing/blank/over-100-character
  title → 400. Keys look like ``wait_<32 hex>``.

Test helpers: :meth:`Simulator.expire_sessions`, :meth:`Simulator.set_credits`,
:meth:`Simulator.guest_remaining`, :meth:`Simulator.add_user`, :attr:`Simulator.uploads` (every
image the search endpoint received), :attr:`Simulator.cookie_prefix`.
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
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from animetui.simulator.base import SimService, UploadedFile, json_response, parse_body, route
from animetui.simulator.hub import DEMO_KEYS
from animetui.simulator.imagery import rgb_extrema, scene

DEMO_EMAIL = "demo@animetui.dev"
DEMO_PASSWORD = "demo-password"
DEMO_NAME = "Demo User"
DEMO_PAID_CREDITS = 25

SITE_ORIGIN = "https://whatanimeisthis.com"
GUEST_DAILY = 5
FREE_DAILY = 10
HOURLY = 100
SESSION_SECONDS = 7 * 86400.0
SESSION_UPDATE_AGE = 86400.0
SIGN_IN_LIMIT = 3
SIGN_IN_WINDOW = 10.0
PREVIEW_TTL = 300.0
MAX_UPLOAD = 25 * 1024 * 1024
MAX_LIMIT = 100
RECENT_COUNT = 300

_IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "JPEG"),
    (b"\x89PNG\r\n\x1a\n", "PNG"),
    (b"GIF87a", "GIF"),
    (b"GIF89a", "GIF"),
    (b"BM", "BMP"),
    (b"II*\x00", "TIFF"),
    (b"MM\x00*", "TIFF"),
)


@dataclass(frozen=True, slots=True)
class Anime:
    id: int
    romaji: str
    english: str | None
    native: str
    episodes: int  # 0: a film (episode null)
    adult: bool = False
    id_mal: int | None = None


# Real titles with their AniList ids; the adult entries at the end are invented for the simulator.
CATALOGUE: tuple[Anime, ...] = (
    Anime(1, "Cowboy Bebop", "Cowboy Bebop", "カウボーイビバップ", 26, id_mal=1),
    Anime(30, "Shin Seiki Evangelion", "Neon Genesis Evangelion", "新世紀エヴァンゲリオン", 26, id_mal=30),
    Anime(1535, "DEATH NOTE", "Death Note", "デスノート", 37, id_mal=1535),
    Anime(5114, "Hagane no Renkinjutsushi: FULLMETAL ALCHEMIST", "Fullmetal Alchemist: Brotherhood",
          "鋼の錬金術師 FULLMETAL ALCHEMIST", 64, id_mal=5114),
    Anime(9253, "Steins;Gate", "Steins;Gate", "STEINS;GATE", 24, id_mal=9253),
    Anime(16498, "Shingeki no Kyojin", "Attack on Titan", "進撃の巨人", 25, id_mal=16498),
    Anime(21519, "Kimi no Na wa.", "Your Name.", "君の名は。", 0, id_mal=32281),
    Anime(101922, "Kimetsu no Yaiba", "Demon Slayer: Kimetsu no Yaiba", "鬼滅の刃", 26, id_mal=38000),
    Anime(140960, "SPY×FAMILY", "SPY x FAMILY", "SPY×FAMILY", 12, id_mal=50265),
    Anime(154587, "Sousou no Frieren", "Frieren: Beyond Journey’s End", "葬送のフリーレン", 28, id_mal=52991),
    Anime(113415, "Jujutsu Kaisen", "JUJUTSU KAISEN", "呪術廻戦", 24, id_mal=40748),
    Anime(127230, "Chainsaw Man", "Chainsaw Man", "チェンソーマン", 12, id_mal=44511),
    Anime(97986, "Made in Abyss", "Made in Abyss", "メイドインアビス", 13, id_mal=34599),
    Anime(21827, "Violet Evergarden", "Violet Evergarden", "ヴァイオレット・エヴァーガーデン", 13, id_mal=33352),
    Anime(21507, "Mob Psycho 100", "Mob Psycho 100", "モブサイコ100", 12, id_mal=32182),
    Anime(21087, "One Punch Man", "One-Punch Man", "ワンパンマン", 12, id_mal=30276),
    Anime(4224, "Toradora!", "Toradora!", "とらドラ！", 25, id_mal=4224),
    Anime(5680, "K-On!", "K-ON!", "けいおん！", 13, id_mal=5680),
    Anime(130003, "Bocchi the Rock!", "BOCCHI THE ROCK!", "ぼっち・ざ・ろっく！", 12, id_mal=47917),
    Anime(150672, "Oshi no Ko", "[Oshi No Ko]", "【推しの子】", 11, id_mal=52034),
    Anime(11061, "HUNTER×HUNTER (2011)", "Hunter x Hunter (2011)", "HUNTER×HUNTER (2011)", 148, id_mal=11061),
    Anime(20464, "Haikyuu!!", "Haikyu!!", "ハイキュー!!", 25, id_mal=20583),
    Anime(101921, "Kaguya-sama wa Kokurasetai: Tensai-tachi no Renai Zunousen", "Kaguya-sama: Love is War",
          "かぐや様は告らせたい～天才たちの恋愛頭脳戦～", 12, id_mal=37999),
    Anime(21355, "Re:Zero kara Hajimeru Isekai Seikatsu", "Re:ZERO -Starting Life in Another World-",
          "Re:ゼロから始める異世界生活", 25, id_mal=31240),
    Anime(99939, "Nekopara OVA", None, "ネコぱら OVA", 1, id_mal=35247),
    Anime(1575, "Code Geass: Hangyaku no Lelouch", "Code Geass: Lelouch of the Rebellion",
          "コードギアス 反逆のルルーシュ", 25, id_mal=1575),
    Anime(20954, "Koe no Katachi", "A Silent Voice", "聲の形", 0, id_mal=28851),
    Anime(199, "Sen to Chihiro no Kamikakushi", "Spirited Away", "千と千尋の神隠し", 0, id_mal=199),
    Anime(171018, "Dandadan", "DAN DA DAN", "ダンダダン", 12, id_mal=57334),
    Anime(143270, "Lycoris Recoil", "Lycoris Recoil", "リコリス・リコイル", 13, id_mal=50709),
    Anime(21202, "Kono Subarashii Sekai ni Shukufuku wo!", "KONOSUBA -God's blessing on this wonderful world!",
          "この素晴らしい世界に祝福を！", 10, id_mal=30831),
    Anime(2001, "Tengen Toppa Gurren Lagann", "Gurren Lagann", "天元突破グレンラガン", 27, id_mal=2001),
    Anime(20, "NARUTO", "Naruto", "NARUTO -ナルト-", 220, id_mal=20),
    Anime(21, "ONE PIECE", "ONE PIECE", "ONE PIECE", 1100, id_mal=21),
    Anime(990001, "Yoru no Kyoushitsu", None, "夜の教室", 2, adult=True),
    Anime(990002, "Himitsu no Yakata", "The Secret Mansion", "秘密の館", 4, adult=True),
    Anime(990003, "Tsukiyo no Yuuwaku", "Moonlit Temptation", "月夜の誘惑", 3, adult=True),
    Anime(990004, "Kindan no Kajitsu", None, "禁断の果実", 2, adult=True),
)
_BY_ID = {a.id: a for a in CATALOGUE}
_SAFE = tuple(a for a in CATALOGUE if not a.adult)
_ADULT = tuple(a for a in CATALOGUE if a.adult)

# entries per period, adult entries among them, search-count scale
_PERIODS: dict[str, tuple[int, int, int]] = {
    "daily": (20, 2, 600),
    "weekly": (26, 2, 4_000),
    "monthly": (30, 3, 15_000),
    "yearly": (34, 4, 150_000),
    "all": (38, 4, 900_000),
}


@dataclass(slots=True)
class User:
    id: str
    email: str
    password: str
    name: str
    paid_credits: int
    created_at: float
    free_day: int = -1
    free_used: int = 0
    hour: int = -1
    hour_count: int = 0


@dataclass(slots=True)
class SessionRecord:
    token: str
    email: str
    created_at: float
    updated_at: float
    expires_at: float
    remember: bool = True


@dataclass(slots=True)
class KeyRecord:
    id: str
    key: str
    title: str
    email: str
    created_at: float
    last_used_at: float | None = None


@dataclass(slots=True)
class _Guest:
    day: int = -1
    used: int = 0


@dataclass(slots=True)
class _Caller:
    """Who made a search: a user (by key or session) or a guest (by IP)."""

    kind: str  # "guest" | "key" | "session"
    ip: str
    user: User | None = None
    session: SessionRecord | None = None
    key: KeyRecord | None = None
    set_cookies: list[str] = field(default_factory=list)


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _mask_key(key: str) -> str:
    return f"{key[:5]}{'*' * 8}{key[-4:]}"


def _error(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None,
           **extra: Any) -> httpx.Response:
    body: dict[str, Any] = {"error": message}
    if code:
        body["code"] = code
    body.update(extra)
    return json_response(status, body, headers)


def _auth_error(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """better-auth's envelope."""
    return json_response(status, {"code": code, "message": message}, headers)


def _positive_int(raw: str | None, *, default: int, name: str, minimum: int = 1) -> int | str:
    """The parsed value, or an error message."""
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        return f"{name} must be an integer, got {raw[:40]!r}"
    if value < minimum:
        return f"{name} must be at least {minimum}"
    return value


class Simulator(SimService):
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
        #: cookie name prefix (better-auth's default; "__Secure-better-auth" behind HTTPS in production)
        self.cookie_prefix = "better-auth"
        #: better-auth's session cookie cache (off by default there): also set ``session_data``
        self.cookie_cache = False
        self.site_origin = SITE_ORIGIN
        self._secret = hashlib.sha256(f"whatanime-sim-{hub.seed}".encode()).digest()
        self.users: dict[str, User] = {}
        self.sessions: dict[str, SessionRecord] = {}
        self.keys: dict[str, KeyRecord] = {}
        self.guests: dict[str, _Guest] = {}
        #: every image the search endpoint received (filename, content type, bytes), oldest first
        self.uploads: list[UploadedFile] = []
        #: every search answered 200, as (caller kind, what was charged)
        self.charges: list[tuple[str, str]] = []
        self._sign_in_hits: dict[str, list[float]] = {}
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

    # ------------------------------------------------------------------ test/demo helpers
    def add_user(self, email: str, password: str, *, name: str = "", paid_credits: int = 0) -> User:
        user = User(
            id=_b64(hashlib.sha256(f"user:{email}".encode()).digest())[:24],
            email=email,
            password=password,
            name=name or email.split("@")[0],
            paid_credits=paid_credits,
            created_at=self.clock.now() - 90 * 86400,
        )
        self.users[email.lower()] = user
        return user

    def set_credits(self, email: str = DEMO_EMAIL, *, paid: int | None = None, free_used: int | None = None) -> None:
        user = self.users[email.lower()]
        if paid is not None:
            user.paid_credits = paid
        if free_used is not None:
            user.free_day = self.clock.day()
            user.free_used = free_used

    def user(self, email: str = DEMO_EMAIL) -> User:
        return self.users[email.lower()]

    def expire_sessions(self) -> None:
        """Every session ends now (the next use of its cookie gets 401)."""
        past = self.clock.now() - 1
        for record in self.sessions.values():
            record.expires_at = past

    def guest_remaining(self, ip: str = "127.0.0.1") -> int:
        guest = self.guests.get(ip)
        if guest is None or guest.day != self.clock.day():
            return GUEST_DAILY
        return max(0, GUEST_DAILY - guest.used)

    def free_remaining(self, user: User) -> int:
        if user.free_day != self.clock.day():
            return FREE_DAILY
        return max(0, FREE_DAILY - user.free_used)

    def _add_key(self, user: User, title: str, key: str, *, created_at: float) -> KeyRecord:
        record = KeyRecord(id="key_" + hashlib.sha256(key.encode()).hexdigest()[:12], key=key, title=title,
                           email=user.email.lower(), created_at=created_at)
        self.keys[key] = record
        return record

    # ------------------------------------------------------------------ request helpers
    @staticmethod
    def client_ip(request: httpx.Request) -> str:
        forwarded = request.headers.get("x-forwarded-for", "")
        first = forwarded.split(",")[0].strip()
        return first or "127.0.0.1"

    def _cookies(self, request: httpx.Request) -> dict[str, str]:
        jar: dict[str, str] = {}
        for header in request.headers.get_list("cookie"):
            for part in header.split(";"):
                name, sep, value = part.strip().partition("=")
                if sep:
                    jar[name.strip()] = value.strip()
        return jar

    def _sign(self, token: str) -> str:
        """better-call's cookie signature: HMAC-SHA256, standard base64 with padding."""
        return base64.b64encode(hmac.new(self._secret, token.encode(), hashlib.sha256).digest()).decode("ascii")

    def _signed(self, value: str) -> str:
        """``<value>.<signature>``, URL-encoded as better-call writes a signed cookie."""
        return urllib.parse.quote(f"{value}.{self._sign(value)}", safe="")

    @property
    def _token_cookie(self) -> str:
        return f"{self.cookie_prefix}.session_token"

    @property
    def _data_cookie(self) -> str:
        return f"{self.cookie_prefix}.session_data"

    def _has_session_cookie(self, request: httpx.Request) -> bool:
        return self._token_cookie in self._cookies(request)

    def _session_of(self, request: httpx.Request) -> tuple[SessionRecord | None, list[str]]:
        """The live session the cookie names (or None), and cookies to set again if it slid."""
        raw = self._cookies(request).get(self._token_cookie)
        if not raw:
            return None, []
        token, _, signature = urllib.parse.unquote(raw).rpartition(".")
        if not token or not hmac.compare_digest(signature, self._sign(token)):
            return None, []
        record = self.sessions.get(token)
        now = self.clock.now()
        if record is None or now >= record.expires_at:
            return None, []
        if now - record.updated_at >= SESSION_UPDATE_AGE:
            record.updated_at = now
            record.expires_at = now + SESSION_SECONDS
            return record, self._session_cookies(record)
        return record, []

    def _session_cookies(self, record: SessionRecord) -> list[str]:
        user = self.users[record.email]
        max_age = f"; Max-Age={int(SESSION_SECONDS)}" if record.remember else ""
        data = json.dumps(
            {"session": {"userId": user.id, "expiresAt": _iso(record.expires_at)},
             "updatedAt": int(record.updated_at * 1000)},
            separators=(",", ":"),
        ).encode()
        payload = _b64(data)
        cookies = [f"{self._token_cookie}={self._signed(record.token)}{max_age}; Path=/; HttpOnly; SameSite=Lax"]
        if self.cookie_cache:
            cookies.append(f"{self._data_cookie}={self._signed(payload)}{max_age}; Path=/; HttpOnly; SameSite=Lax")
        return cookies

    def _expired_cookies(self) -> list[str]:
        return [f"{name}=; Max-Age=0; Path=/; HttpOnly; SameSite=Lax"
                for name in (self._token_cookie, self._data_cookie, f"{self.cookie_prefix}.dont_remember")]

    def _origin_problem(self, request: httpx.Request, *, required: bool) -> httpx.Response | None:
        origin = request.headers.get("origin")
        if origin is None or origin.strip() in ("", "null"):
            if required:
                return _auth_error(403, "MISSING_OR_NULL_ORIGIN", "Missing or null Origin")
            if origin is None or not origin.strip():
                return None  # no Origin and no cookie: nothing to check (better-auth 1.7)
            return _auth_error(403, "INVALID_ORIGIN", "Invalid origin")  # "null" is no trusted origin
        trusted = {self.site_origin, self.hub.base_of(request)}
        if origin.strip().rstrip("/") not in trusted:
            return _auth_error(403, "INVALID_ORIGIN", "Invalid origin")
        return None

    def _respond(self, status: int, payload: Any, *, cookies: list[str] | None = None,
                 headers: dict[str, str] | None = None) -> httpx.Response:
        raw_headers: list[tuple[str, str]] = [("content-type", "application/json; charset=utf-8")]
        raw_headers += list((headers or {}).items())
        raw_headers += [("set-cookie", c) for c in cookies or []]
        return httpx.Response(status, content=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                              headers=raw_headers)

    def _require_session(self, request: httpx.Request) -> tuple[SessionRecord | None, list[str], httpx.Response | None]:
        record, cookies = self._session_of(request)
        if record is None:
            return None, [], _error(401, "Unauthorized: sign in first", "UNAUTHORIZED")
        return record, cookies, None

    async def _realistic_pause(self, seconds: float) -> None:
        if self.hub.realistic:
            await asyncio.sleep(seconds)

    # ------------------------------------------------------------------ search
    def _identify(self, request: httpx.Request) -> _Caller | httpx.Response:
        ip = self.client_ip(request)
        authorization = request.headers.get("authorization")
        if authorization is not None:
            scheme, _, value = authorization.strip().partition(" ")
            record = self.keys.get(value.strip()) if scheme.lower() == "bearer" else None
            if record is None:
                return _error(401, "Invalid API key", "INVALID_API_KEY")
            record.last_used_at = self.clock.now()
            return _Caller("key", ip, user=self.users[record.email], key=record)
        if self._has_session_cookie(request):
            problem = self._origin_problem(request, required=True)
            if problem is not None:
                return problem
            session, cookies = self._session_of(request)
            if session is None:
                return _error(401, "Unauthorized: invalid or expired session", "UNAUTHORIZED")
            return _Caller("session", ip, user=self.users[session.email], session=session, set_cookies=cookies)
        return _Caller("guest", ip)

    def _limits(self, caller: _Caller) -> httpx.Response | None:
        now = self.clock.now()
        if caller.user is None:
            guest = self.guests.setdefault(caller.ip, _Guest())
            if guest.day != self.clock.day():
                guest.day, guest.used = self.clock.day(), 0
            if guest.used >= GUEST_DAILY:
                wait = max(1, math.ceil((self.clock.day() + 1) * 86400 - now))
                return _error(
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
            return _error(429, f"Rate limit exceeded: {HOURLY} searches per hour", "HOURLY_LIMIT_REACHED",
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
            return _error(400, f"Bad request: {form.error}", "BAD_REQUEST")
        upload = form.files.get("image")
        url = (form.fields.get("url") or "").strip()
        if isinstance(form.json, dict) and not url:
            url = str(form.json.get("url") or "").strip()
        flat = False
        if upload is not None and upload.data:
            if len(upload.data) > MAX_UPLOAD:
                return _error(413, f"File size is limited to {MAX_UPLOAD // (1024 * 1024)}MB", "FILE_TOO_LARGE")
            self.uploads.append(upload)
            del self.uploads[:-20]
            fmt = self._sniff(upload.data)
            if fmt is None:
                return _error(400, "Failed to process image: not an image", "INVALID_IMAGE")
            if fmt not in ("JPEG", "PNG"):
                return _error(415, f"Unsupported image format ({fmt}). Only JPEG and PNG are accepted.",
                              "UNSUPPORTED_FORMAT")
            decoded = self._decode_flat(upload.data)
            if decoded is None:
                return _error(400, "Failed to process image", "INVALID_IMAGE")
            flat = decoded
            digest = hashlib.sha256(upload.data).digest()
        elif url:
            if not re.match(r"^https?://[^\s/]+", url, re.IGNORECASE):
                return _error(400, "Invalid image url", "INVALID_URL")
            if "404" in url.split("?")[0].split("://", 1)[1]:
                return _error(400, "Failed to fetch image (HTTP 404)", "FETCH_FAILED")
            flat = "blank" in url.lower()
            digest = hashlib.sha256(url.encode()).digest()
        else:
            return _error(400, "Provide an image file (field 'image') or an image url (field 'url')", "MISSING_INPUT")

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

    def _charge(self, caller: _Caller) -> dict[str, Any] | httpx.Response:
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
            return _error(
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
        for magic, fmt in _IMAGE_MAGIC:
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
        pool = list(_SAFE)
        picks = rng.sample(pool, count)
        if rng.random() < 0.1:
            picks[-1] = rng.choice(_ADULT)
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
        if period not in _PERIODS:
            return _error(400, f"Invalid period {period[:40]!r}: use one of {', '.join(_PERIODS)}", "INVALID_PERIOD")
        limit = _positive_int(query.get("limit"), default=50, name="limit")
        if isinstance(limit, str):
            return _error(400, limit, "INVALID_LIMIT")
        limit = min(limit, MAX_LIMIT)
        include_adult = (query.get("includeAdult") or "false").strip().lower() in ("true", "1", "yes")
        size, adult_count, scale = _PERIODS[period]
        rng = random.Random(f"{self.hub.seed}/rankings/{period}")
        entries = rng.sample(list(_SAFE), size - adult_count) + rng.sample(list(_ADULT), adult_count)
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
            row["coverImage"] = self._cover(_BY_ID[row["anilistId"]], base)
        return json_response(200, {"period": period, "includeAdult": include_adult, "limit": limit,
                                   "total": total, "rankings": rows})

    def _recent_entry(self, index: int, base: str) -> dict[str, Any]:
        rng = random.Random(f"{self.hub.seed}/recent/{index}")
        anime = rng.choice(_SAFE)
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
            "createdAt": _iso(created),
        }

    async def _recent(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        query = request.url.params
        limit = _positive_int(query.get("limit"), default=20, name="limit")
        if isinstance(limit, str):
            return _error(400, limit, "INVALID_LIMIT")
        offset = _positive_int(query.get("offset"), default=0, name="offset", minimum=0)
        if isinstance(offset, str):
            return _error(400, offset, "INVALID_OFFSET")
        limit = min(limit, MAX_LIMIT)
        base = self.hub.base_of(request)
        items = [self._recent_entry(i, base) for i in range(offset, min(offset + limit, RECENT_COUNT))]
        return json_response(200, {"items": items, "total": RECENT_COUNT, "limit": limit, "offset": offset})

    # ------------------------------------------------------------------ account
    async def _credits(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        record, cookies, problem = self._require_session(request)
        if problem is not None:
            return problem
        assert record is not None
        user = self.users[record.email]
        free = self.free_remaining(user)
        midnight = (self.clock.day() + 1) * 86400
        return self._respond(200, {
            "freeCredits": free,
            "freeCreditsLimit": FREE_DAILY,
            "paidCredits": user.paid_credits,
            "totalCredits": free + user.paid_credits,
            "resetsAt": _iso(midnight),
        }, cookies=cookies)

    async def _list_keys(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        record, cookies, problem = self._require_session(request)
        if problem is not None:
            return problem
        assert record is not None
        query = request.url.params
        page = _positive_int(query.get("page"), default=1, name="page")
        if isinstance(page, str):
            return _error(400, page, "INVALID_PAGE")
        size = _positive_int(query.get("pageSize"), default=10, name="pageSize")
        if isinstance(size, str):
            return _error(400, size, "INVALID_PAGE_SIZE")
        if size > MAX_LIMIT:
            return _error(400, f"pageSize must be at most {MAX_LIMIT}", "INVALID_PAGE_SIZE")
        mine = sorted((k for k in self.keys.values() if k.email == record.email),
                      key=lambda k: k.created_at, reverse=True)
        chunk = mine[(page - 1) * size: page * size]
        items = [{
            "id": k.id,
            "title": self.text(k.title, i),
            "maskedKey": _mask_key(k.key),
            "createdAt": _iso(k.created_at),
            "lastUsedAt": None if k.last_used_at is None else _iso(k.last_used_at),
        } for i, k in enumerate(chunk)]
        return self._respond(200, {"items": items, "total": len(mine), "page": page, "pageSize": size,
                                   "totalPages": max(1, math.ceil(len(mine) / size))}, cookies=cookies)

    async def _create_key(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        if self._has_session_cookie(request):
            problem = self._origin_problem(request, required=True)
            if problem is not None:
                return problem
        record, cookies, problem = self._require_session(request)
        if problem is not None:
            return problem
        assert record is not None
        form = parse_body(request)
        payload = form.json if isinstance(form.json, dict) else form.fields
        title = payload.get("title") if isinstance(payload, dict) else None
        if form.error or not isinstance(title, str) or not title.strip():
            return _error(400, "title is required", "INVALID_TITLE")
        if len(title) > 100:
            return _error(400, "title must be at most 100 characters", "INVALID_TITLE")
        key = "wait_" + secrets.token_hex(16)
        created = self._add_key(self.users[record.email], title.strip(), key, created_at=self.clock.now())
        return self._respond(201, {"id": created.id, "title": created.title, "key": key,
                                   "maskedKey": _mask_key(key), "createdAt": _iso(created.created_at)},
                             cookies=cookies)

    # ------------------------------------------------------------------ better-auth
    async def _sign_in(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        ip = self.client_ip(request)
        now = self.clock.now()
        hits = [t for t in self._sign_in_hits.get(ip, []) if now - t < SIGN_IN_WINDOW]
        if len(hits) >= SIGN_IN_LIMIT:
            wait = max(1, math.ceil(hits[0] + SIGN_IN_WINDOW - now))
            self._sign_in_hits[ip] = hits
            return json_response(429, {"message": "Too many requests. Please try again later."},
                                 {"X-Retry-After": str(wait)})
        hits.append(now)
        self._sign_in_hits[ip] = hits
        problem = self._origin_problem(request, required=bool(request.headers.get("cookie")))
        if problem is not None:
            return problem
        form = parse_body(request)
        payload: Any = form.json if form.json is not None else form.fields
        if form.error or not isinstance(payload, dict):
            return _auth_error(400, "VALIDATION_ERROR", "Invalid body: expected a JSON object")
        email, password = payload.get("email"), payload.get("password")
        for name, value in (("email", email), ("password", password)):
            if not isinstance(value, str):
                return _auth_error(400, "VALIDATION_ERROR", f"[body.{name}] Invalid input: expected string")
        assert isinstance(email, str) and isinstance(password, str)
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", email.strip()):
            return _auth_error(400, "INVALID_EMAIL", "Invalid email")
        user = self.users.get(email.strip().lower())
        await self._realistic_pause(0.3)
        if user is None or not hmac.compare_digest(user.password.encode(), password.encode()):
            return _auth_error(401, "INVALID_EMAIL_OR_PASSWORD", "Invalid email or password")
        remember = payload.get("rememberMe", True) is not False
        token = secrets.token_urlsafe(24)
        record = SessionRecord(token, user.email.lower(), now, now, now + SESSION_SECONDS, remember)
        self.sessions[token] = record
        cookies = self._session_cookies(record)
        if not remember:
            cookies.append(f"{self.cookie_prefix}.dont_remember={self._signed('true')}; Path=/; HttpOnly; SameSite=Lax")
        body = {
            "redirect": False,
            "token": token,
            "url": None,
            "user": {
                "id": user.id,
                "email": user.email,
                "name": self.text(user.name),
                "image": None,
                "emailVerified": True,
                "createdAt": _iso(user.created_at),
                "updatedAt": _iso(user.created_at),
            },
        }
        return self._respond(200, body, cookies=cookies)

    async def _sign_out(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        problem = self._origin_problem(request, required=self._has_session_cookie(request))
        if problem is not None:
            return problem
        record, _ = self._session_of(request)
        if record is None:
            return _auth_error(400, "FAILED_TO_GET_SESSION", "Failed to get session")
        self.sessions.pop(record.token, None)
        return self._respond(200, {"success": True}, cookies=self._expired_cookies())

    async def _get_session(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        record, cookies = self._session_of(request)
        if record is None:
            return json_response(200, None)
        user = self.users[record.email]
        return self._respond(200, {
            "session": {"id": record.token[:12], "userId": user.id, "expiresAt": _iso(record.expires_at),
                        "createdAt": _iso(record.created_at), "updatedAt": _iso(record.updated_at)},
            "user": {"id": user.id, "email": user.email, "name": self.text(user.name)},
        }, cookies=cookies)

    def busy_response(self) -> httpx.Response:
        return _error(503, "Search queue is full, please try again later", "QUEUE_FULL")


__all__ = ["CATALOGUE", "DEMO_EMAIL", "DEMO_PASSWORD", "Simulator"]
