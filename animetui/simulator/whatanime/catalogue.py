"""The whatanimeisthis simulator's data: the catalogue of real titles (and a few invented adult
ones), the documented limits, the records it keeps (users, sessions, keys, guests) and the error
envelopes it answers with. No behaviour: :mod:`.accounts` and :mod:`.service` use these."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from animetui.simulator.base import json_response

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

IMAGE_MAGIC: tuple[tuple[bytes, str], ...] = (
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
BY_ID = {a.id: a for a in CATALOGUE}
SAFE = tuple(a for a in CATALOGUE if not a.adult)
ADULT = tuple(a for a in CATALOGUE if a.adult)

# entries per period, adult entries among them, search-count scale
PERIODS: dict[str, tuple[int, int, int]] = {
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
class Guest:
    day: int = -1
    used: int = 0


@dataclass(slots=True)
class Caller:
    """Who made a search: a user (by key or session) or a guest (by IP)."""

    kind: str  # "guest" | "key" | "session"
    ip: str
    user: User | None = None
    session: SessionRecord | None = None
    key: KeyRecord | None = None
    set_cookies: list[str] = field(default_factory=list)


def iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def mask_key(key: str) -> str:
    return f"{key[:5]}{'*' * 8}{key[-4:]}"


def error_response(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None,
           **extra: Any) -> httpx.Response:
    body: dict[str, Any] = {"error": message}
    if code:
        body["code"] = code
    body.update(extra)
    return json_response(status, body, headers)


def auth_error_response(status: int, code: str, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    """better-auth's envelope."""
    return json_response(status, {"code": code, "message": message}, headers)


def positive_int(raw: str | None, *, default: int, name: str, minimum: int = 1) -> int | str:
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
