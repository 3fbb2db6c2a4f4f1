"""whatanimeisthis.com: which anime, episode and moment a screenshot comes from — plus the most
searched anime, recent public searches, search credits, API keys and email sign-in.

Implements :class:`~animetui.providers.base.SceneSearcher`, :class:`RankingsSource` and
:class:`AccountProvider` over the documented endpoints (``seeds/whatanimeisthis-api.txt``,
research section B). The site documents paths, fields and quotas but **no response bodies**, so
every parser here is tolerant (research B.4): unknown fields are ignored, every field is optional,
and the shapes below are what we *assume*, modelled on trace.moe (B.2) and better-auth (B.3).

Assumed bodies (the simulator, ``animetui.simulator.whatanime``, answers exactly these):

* **Search** — trace.moe-like: ``{"result": [{"anilist": {"id", "title": {"romaji", "english",
  "native"}, "isAdult"}, "episode", "from", "to", "at", "similarity", "image", "video"}],
  "credits": {"remaining", …}}``. Also read: a top-level list, or the list under ``results`` /
  ``result`` / ``matches`` / ``data``; ``similarity`` | ``score`` | ``confidence`` as 0–1 or
  0–100 (normalised to 0–1); ``from`` | ``start`` | ``timestamp`` | ``at`` and ``to`` | ``end``
  (seconds); ``episode`` as a number, a string, a list (``[3, 4]`` → "3–4") or null; the title as
  a plain ``title`` string or a ``title`` object on the item, its ``anilist`` or its ``anime``
  (English preferred, then romaji, then native); ``isAdult`` on the item or its anime object.
  Matches are sorted by similarity (best first) and capped at 5. Preview URLs live ~300 s.
  Credits left: ``credits.remaining``, ``remaining``, ``creditsRemaining`` or ``quota - quotaUsed``.
* **Rankings** — a list under ``rankings`` | ``data`` | ``results`` | ``items`` (or top level):
  ``rank``, title, ``searchCount`` | ``searches`` | ``count``, ``anilistId``, ``isAdult``,
  ``coverImage`` (a URL or an AniList-style ``{large, medium}`` object). Adult entries are also
  dropped here unless asked for, whatever the server did.
* **Recent searches** — a list under ``items`` | ``searches`` | ``data`` | ``results``:
  ``id``, title, ``episode``, ``similarity``, ``createdAt`` (ISO text or epoch s/ms), ``image``.
* **Credits** — ``{"freeCredits", "paidCredits", "totalCredits"}`` (also ``remaining`` /
  ``credits`` / ``balance``); remaining = total, else free + paid.
* **API keys** — list: ``items`` | ``keys`` | ``data`` with ``id``, ``title``, ``maskedKey`` |
  ``key`` (masked again here if it looks whole), ``createdAt`` and ``total``; create: the
  plaintext under ``key`` | ``apiKey`` | ``token`` — shown once, never stored by us.
* **Errors** — ``{"error": "…"}`` (the site, trace.moe style) or ``{"code", "message"}``
  (better-auth); both are read, and quoted only through :func:`server_text`.

Auth, in this order for a search: the signed-in session (the whole cookie jar in a ``Cookie``
header plus the ``Origin`` header from ``providers.whatanime.origin``), else ``Authorization:
Bearer <api_key>``, else a guest search (5 a day per IP). A 401 on the session during a search
ends the session (its file is deleted), sets :attr:`WhatAnimeProvider.session_expired` and the
search is sent once more with the API key, or as a guest. On the session-only endpoints (credits,
keys) a 401 ends the session and raises :class:`AuthError`.

The session is kept in ``<data dir>/whatanime-session.json`` (mode 0600, written atomically): the
whole cookie jar (better-auth sets ``session_token``, plus ``session_data`` with its cookie cache on; the names change
with the deployment — ``__Secure-`` behind HTTPS — so no name is hard-coded), the email and the
base URL it belongs to; it is never sent to another base URL. Cookies the server sets again
(better-auth slides a session daily) are merged and saved. Every cookie value, the API key and the
password are registered with :mod:`animetui.redact`, so no message can show them.

Uploads: JPEG/PNG only (documented); anything else is converted (first frame) in a thread, and
images with a long side over 1920 px are downscaled. The 25 MB limit is trace.moe's (B.2).

Retries: a search is retried only on 502/503/504 (a failed search is not charged) and on
failures to connect; reads (rankings, recent searches, credits, key list) are retried on network
errors, 5xx and 429 with backoff. Sign-in and key creation are never retried automatically.

Redirects: a search (it spends a credit and carries the photo plus the key or the session
cookies) never follows one — a 3xx answer is an error that may have been charged. Every other
request (rankings, recent searches, credits, keys, sign-in/out) follows a redirect only to the
same origin as ``base_url`` (at most ``net.MAX_REDIRECTS``); one to another host is refused, so
no ``Authorization``, ``Cookie``, ``Origin`` or password body leaves for another host. Every answer
is read within one whole-request deadline (the timeout) and capped at ``net.MAX_JSON_BYTES``.

Where the guest allowance comes from: the site has no endpoint for it, so :meth:`credits` for a
guest reports what the last search's body said today, else this machine's count (below), else
"guest: 5 searches/day".

Changed after the fidelity audit (issue 12), with the evidence:

* **Search limits counted once per machine** (:mod:`animetui.limits`): guests 5 a UTC day (the
  site counts by IP, so one count per machine) and signed-in users or keys 100 an hour (per
  account), shared by the TUI and every CLI run; a used-up allowance is refused before sending
  (nothing charged), with when it comes back, and a 429's wait blocks every process. Evidence:
  the same limits were tracked in one process's memory, so a batch started "unknown".
* **Cookies as a browser sends them.** Only unexpired cookies whose path matches the request are
  sent (RFC 6265), longest path first; each cookie's expiry is kept in the session file. Evidence:
  sign-in against a real better-auth 1.7 server on loopback (login, credits, logout, wrong
  password, 429 with ``x-retry-after``, untrusted Origin) — which also showed that better-auth
  sets only ``session_token`` at sign-in (``session_data`` needs its cookie cache), signs it with
  standard base64 and URL-encodes the value; the simulator now does the same.
* **Tolerant parsing, and a copy of what did not fit.** The bodies are undocumented (modelled on
  trace.moe): the result list is also read under ``candidates``/``hits``/``items``, the rankings
  and recent lists under more names. An answer that still does not fit is kept, redacted, in
  ``<data dir>/unexpected/`` (:mod:`animetui.unexpected`), and the message says where and that
  attaching it to a bug report lets the parser be fixed; ``animetui doctor`` lists the copies.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
import time
import urllib.parse
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx

from animetui import unexpected
from animetui.config import atomic_write_bytes
from animetui.errors import (
    AnimetuiError,
    AuthError,
    BadInput,
    NetworkError,
    NotFound,
    QuotaError,
    RateLimited,
    ServerError,
    SessionExpired,
    Unsupported,
)
from animetui.models import ApiKey, ApiKeyPage, Credits, ImageSource, Ranking, RecentSearch, SceneMatch, SceneResult, Session
from animetui.net import json_body, parse_retry_after, retrying, send
from animetui.pictures import offload, sources
from animetui.providers.base import ProviderContext, as_bool, as_float, as_int, episode_of, seconds_of, server_text
from animetui.redact import mask, register_secret

NAME = "whatanime"
TITLE = "whatanimeisthis"
SESSION_FILE = "whatanime-session.json"
DEFAULT_ORIGIN = "https://whatanimeisthis.com"

PERIODS = ("daily", "weekly", "monthly", "yearly", "all")
UPLOAD_FORMATS = ("JPEG", "PNG")
MAX_SIDE = 1920
MAX_BYTES = 25 * 1024 * 1024
MAX_MATCHES = 5
GUEST_DAILY = 5
FREE_DAILY = 10
MAX_TITLE = 100
#: statuses after which a search was certainly not done (so not charged): safe to send again
SEARCH_RETRY_STATUSES = frozenset({502, 503, 504})

NOT_SIGNED_IN = "sign in first (animetui login)"
SESSION_EXPIRED = "your whatanimeisthis session has expired — sign in again"
GUEST_LIMIT = "guest limit of 5 searches a day reached — sign in or set an API key"


class _SessionRejected(Exception):
    """A 401 while the session was in use (internal: never leaves this module)."""


# =========================================================================== parsing helpers
def _message(body: object) -> tuple[str, str]:
    """(message, code) from ``{"error": …}`` or better-auth's ``{"code", "message"}``."""
    if not isinstance(body, dict):
        return "", ""
    code = server_text(body.get("code"), limit=60)
    error = body.get("error")
    if isinstance(error, dict):
        code = code or server_text(error.get("code"), limit=60)
        error = error.get("message")
    text = server_text(error) or server_text(body.get("message"))
    return text, code


def _title_text(value: object) -> str:
    if isinstance(value, str):
        return server_text(value)
    if isinstance(value, dict):
        for key in ("english", "romaji", "native", "userPreferred"):
            text = server_text(value.get(key))
            if text:
                return text
    return ""


def title_of(item: dict[str, Any]) -> str:
    """The best title: a plain ``title``, else the title object on the item, its anilist or anime."""
    candidates: list[object] = [item.get("title")]
    for holder in ("anilist", "anime", "media"):
        nested = item.get(holder)
        if isinstance(nested, dict):
            candidates.append(nested.get("title"))
    candidates += [item.get("name"), item.get("animeTitle"), item.get("filename")]
    for candidate in candidates:
        text = _title_text(candidate)
        if text:
            return text
    return "(untitled)"


def anilist_id_of(item: dict[str, Any]) -> int | None:
    for key in ("anilist", "anilistId", "anilist_id", "anilistID"):
        value = item.get(key)
        if isinstance(value, dict):
            value = value.get("id")
        number = as_int(value)
        if number is not None and number > 0:
            return number
    anime = item.get("anime")
    if isinstance(anime, dict):
        number = as_int(anime.get("id"))
        if number is not None and number > 0:
            return number
    return None


def adult_of(item: dict[str, Any]) -> bool:
    for holder in (item, item.get("anilist"), item.get("anime"), item.get("media")):
        if isinstance(holder, dict):
            for key in ("isAdult", "is_adult", "adult", "nsfw"):
                if key in holder and holder[key] is not None:
                    return as_bool(holder[key])
    return False


def similarity_of(value: object) -> float | None:
    """0–1, from 0–1 or 0–100 (a percentage); junk → None."""
    number = as_float(value)
    if number is None or not math.isfinite(number) or number < 0:
        return None
    if number > 1.0:
        number = number / 100.0
    return max(0.0, min(1.0, number))


def url_of(value: object, base: str = "") -> str | None:
    """An http(s) URL (or a path made absolute with ``base``); anything else → None."""
    if isinstance(value, dict):  # AniList-style {"extraLarge", "large", "medium"}
        for key in ("large", "extraLarge", "medium", "url"):
            found = url_of(value.get(key), base)
            if found:
                return found
        return None
    if not isinstance(value, str):
        return None
    text = value.strip()
    if not text or len(text) > 4096 or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None
    if text.lower().startswith(("http://", "https://")):
        return text
    if text.startswith("/") and not text.startswith("//") and base:
        return base.rstrip("/") + text
    return None


def _first(item: dict[str, Any], *keys: str) -> object:
    for key in keys:
        if key in item and item[key] is not None:
            return item[key]
    return None


def _list_in(body: object, keys: tuple[str, ...]) -> list[Any] | None:
    """The list of records: the body itself, or under the first of ``keys`` (one level of ``data``)."""
    if isinstance(body, list):
        return body
    if not isinstance(body, dict):
        return None
    for key in keys:
        value = body.get(key)
        if isinstance(value, list):
            return value
    nested = body.get("data")
    if isinstance(nested, dict):
        return _list_in(nested, keys)
    return None


def parse_match(item: object, base: str = "") -> SceneMatch | None:
    if not isinstance(item, dict):
        return None
    start = seconds_of(_first(item, "from", "start", "timestamp"))
    at = seconds_of(item.get("at"))
    if start is None:
        start = at
    return SceneMatch(
        title=title_of(item),
        episode=episode_of(item.get("episode")),
        start=start,
        end=seconds_of(_first(item, "to", "end")),
        similarity=similarity_of(_first(item, "similarity", "score", "confidence")),
        anilist_id=anilist_id_of(item),
        image_url=url_of(_first(item, "image", "thumbnail", "preview", "imageUrl"), base),
        video_url=url_of(_first(item, "video", "videoUrl"), base),
        adult=adult_of(item),
    )


def credits_left_of(body: object) -> int | None:
    if not isinstance(body, dict):
        return None
    holder = body.get("credits")
    if isinstance(holder, dict):
        left = as_int(_first(holder, "remaining", "totalCredits", "total"))
        if left is not None:
            return max(0, left)
    elif holder is not None and not isinstance(holder, (list, bool)):
        left = as_int(holder)
        if left is not None:
            return max(0, left)
    left = as_int(_first(body, "remaining", "creditsRemaining", "remainingCredits"))
    if left is not None:
        return max(0, left)
    quota, used = as_int(body.get("quota")), as_int(body.get("quotaUsed"))
    if quota is not None and used is not None:
        return max(0, quota - used)
    return None


def parse_search(body: object, base: str = "") -> SceneResult:
    """The search body → up to 5 matches, best first. A body without a result list → ServerError."""
    items = _list_in(body, ("results", "result", "matches", "candidates", "hits", "items", "data"))
    if items is None:
        message, _ = _message(body)
        detail = f": {message}" if message else " (no result list)"
        raise ServerError(f"unexpected answer from whatanimeisthis{detail}", provider=NAME)
    matches = [m for m in (parse_match(item, base) for item in items) if m is not None]
    matches.sort(key=lambda m: -1.0 if m.similarity is None else m.similarity, reverse=True)
    return SceneResult(tuple(matches[:MAX_MATCHES]), credits_left=credits_left_of(body))


def parse_rankings(body: object, *, include_adult: bool, base: str = "") -> list[Ranking]:
    items = _list_in(body, ("rankings", "ranking", "results", "items", "list", "anime", "data"))
    if items is None:
        raise ServerError("unexpected answer from whatanimeisthis: the rankings have no list", provider=NAME)
    out: list[Ranking] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        adult = adult_of(item)
        if adult and not include_adult:
            continue
        rank = as_int(_first(item, "rank", "position", "rankNo"))
        searches = as_int(_first(item, "searchCount", "searches", "count", "search_count", "total"))
        out.append(Ranking(
            rank=rank if rank is not None and rank > 0 else index + 1,
            title=title_of(item),
            searches=searches if searches is not None and searches >= 0 else None,
            anilist_id=anilist_id_of(item),
            adult=adult,
            image_url=url_of(_first(item, "coverImage", "image", "cover", "thumbnail"), base),
        ))
    out.sort(key=lambda r: r.rank)
    return out


def _when(value: object) -> str | None:
    if isinstance(value, str):
        return server_text(value, limit=40) or None
    number = as_float(value)
    if number is None or not math.isfinite(number) or number <= 0:
        return None
    if number > 1e12:  # epoch milliseconds
        number /= 1000
    try:
        return dt.datetime.fromtimestamp(number, dt.UTC).isoformat(timespec="seconds").replace("+00:00", "Z")
    except (OverflowError, OSError, ValueError):
        return None


def parse_recent(body: object, base: str = "") -> list[RecentSearch]:
    items = _list_in(body, ("items", "searches", "recent", "recentSearches", "results", "list", "data"))
    if items is None:
        raise ServerError("unexpected answer from whatanimeisthis: the recent searches have no list", provider=NAME)
    out: list[RecentSearch] = []
    for item in items:
        if not isinstance(item, dict):
            continue
        out.append(RecentSearch(
            id=server_text(item.get("id"), limit=80),
            title=title_of(item),
            episode=episode_of(item.get("episode")),
            similarity=similarity_of(_first(item, "similarity", "score", "confidence")),
            searched_at=_when(_first(item, "createdAt", "created_at", "searchedAt", "timestamp", "time")),
            anilist_id=anilist_id_of(item),
            image_url=url_of(_first(item, "image", "thumbnail", "coverImage", "preview"), base),
        ))
    return out


def parse_credits(body: object) -> Credits:
    if not isinstance(body, dict):
        raise ServerError("unexpected answer from whatanimeisthis: the credits are not an object", provider=NAME)
    holder = body.get("data") if isinstance(body.get("data"), dict) else body
    free = as_int(_first(holder, "freeCredits", "dailyFreeCredits", "freeRemaining", "free"))
    paid = as_int(_first(holder, "paidCredits", "credits", "balance", "paid"))
    total = as_int(_first(holder, "totalCredits", "remaining", "total"))
    if total is None and (free is not None or paid is not None):
        total = (free or 0) + (paid or 0)
    if total is None:
        raise ServerError("unexpected answer from whatanimeisthis: no credit numbers in the answer", provider=NAME)
    parts = []
    if free is not None:
        limit = as_int(_first(holder, "freeCreditsLimit", "dailyFreeLimit")) or FREE_DAILY
        parts.append(f"{free} of {limit} free today (reset at midnight)")
    if paid is not None:
        parts.append(f"{paid} paid")
    return Credits(provider=NAME, remaining=float(max(0, total)), unit="credits",
                   detail=" + ".join(parts) or "signed in", free=None if free is None else float(max(0, free)))


def _masked(value: object) -> str:
    text = server_text(value, limit=80)
    if not text:
        return "(hidden)"
    if "*" in text or "…" in text or "..." in text or len(text) < 16:
        return text
    register_secret(text)  # the server sent what looks like a whole key: never show it
    return mask(text)


def parse_key(item: object) -> ApiKey | None:
    if not isinstance(item, dict):
        return None
    key_id = server_text(_first(item, "id", "keyId"), limit=80)
    masked = _masked(_first(item, "maskedKey", "masked", "keyPreview", "start", "prefix", "key"))
    return ApiKey(
        id=key_id,
        title=server_text(_first(item, "title", "name"), limit=MAX_TITLE) or "(untitled)",
        masked=masked,
        created_at=_when(_first(item, "createdAt", "created_at")),
    )


def parse_key_page(body: object, *, page: int, page_size: int) -> ApiKeyPage:
    items = _list_in(body, ("items", "keys", "apiKeys", "data", "results"))
    if items is None:
        raise ServerError("unexpected answer from whatanimeisthis: the key list has no list", provider=NAME)
    keys = tuple(k for k in (parse_key(item) for item in items) if k is not None)
    total = as_int(body.get("total")) if isinstance(body, dict) else None
    if isinstance(body, dict):
        page = as_int(body.get("page")) or page
        page_size = as_int(body.get("pageSize")) or page_size
    return ApiKeyPage(keys=keys, page=page, page_size=page_size, total=total)


def _wait_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 90:
        return f"; retry in {max(1, math.ceil(seconds))} s"
    if seconds < 5400:
        return f"; retry in about {math.ceil(seconds / 60)} min"
    return f"; retry in about {seconds / 3600:.1f} h"


def _prepare(source: ImageSource) -> sources.PreparedImage:
    data = sources.read_source(source.path) if source.path is not None else source.data
    assert data is not None
    return sources.prepare_upload(
        data,
        label=source.label,
        formats=UPLOAD_FORMATS,
        max_bytes=MAX_BYTES,
        max_side=MAX_SIDE,
        service=TITLE,
    )


def _path_matches(request_path: str, cookie_path: str) -> bool:
    """RFC 6265 5.1.4 path-match."""
    if request_path == cookie_path:
        return True
    if request_path.startswith(cookie_path):
        return cookie_path.endswith("/") or request_path[len(cookie_path)] == "/"
    return False


def _closed_jar() -> CookieJar:
    """A cookie jar that accepts nothing (for the shared client: auth is explicit per request)."""
    return CookieJar(policy=DefaultCookiePolicy(allowed_domains=[]))


# =========================================================================== the provider
class WhatAnimeProvider:
    name = NAME

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        #: this provider's settings section; live — changes apply to the next request
        self.settings = ctx.settings
        #: set when a search found the session dead and fell back to the key or guest
        self.session_expired = False
        self._session: Session | None = None
        self._jar: httpx.Cookies | None = None
        self._loaded = False
        self._last_allowance: dict[str, tuple[str, int]] = {}  # mode → (UTC date, remaining)
        # The client would otherwise keep Set-Cookie on its own and send the session with guest
        # or API-key requests; our jar is explicit.
        ctx.client.cookies = _closed_jar()
        register_secret(self._api_key())

    # ------------------------------------------------------------------ settings
    def _api_key(self) -> str:
        return str(self.settings.get("api_key") or "").strip()

    def _origin(self) -> str:
        return str(self.settings.get("origin") or "").strip()

    def _base_url(self) -> str:
        return str(self.ctx.client.base_url).rstrip("/")

    def _session_path(self) -> Path | None:
        return None if self.ctx.data_dir is None else Path(self.ctx.data_dir) / SESSION_FILE

    # ------------------------------------------------------------------ session storage
    @property
    def session(self) -> Session | None:
        """The current session, if signed in (loaded from disk on first use)."""
        self._ensure_loaded()
        return self._session

    def _ensure_loaded(self) -> None:
        if self._loaded:
            return
        self._loaded = True
        path = self._session_path()
        if path is None:
            return
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return  # no session, or an unreadable file: signed out (the next sign-in overwrites it)
        if not isinstance(document, dict) or document.get("base_url") != self._base_url():
            return  # a session for another host is never sent here
        cookies = document.get("cookies")
        if not isinstance(cookies, list):
            return
        jar = httpx.Cookies()
        rows: list[tuple[str, str, str, str]] = []
        for entry in cookies:
            if not isinstance(entry, dict):
                continue
            name, value = entry.get("name"), entry.get("value")
            domain, cookie_path = entry.get("domain") or "", entry.get("path") or "/"
            if not isinstance(name, str) or not isinstance(value, str) or not name:
                continue
            jar.set(name, value, domain=str(domain), path=str(cookie_path))
            expires = entry.get("expires")
            if isinstance(expires, (int, float)) and not isinstance(expires, bool):
                for cookie in jar.jar:
                    if cookie.name == name and cookie.domain == str(domain) and cookie.path == str(cookie_path):
                        cookie.expires = int(expires)
            rows.append((name, value, str(domain), str(cookie_path)))
            self._register_cookie(value)
        if not rows:
            return
        self._jar = jar
        self._session = Session(
            email=str(document.get("email") or ""),
            cookies=tuple(rows),
            user_id=str(document.get("user_id") or ""),
            name=str(document.get("name") or ""),
        )

    @staticmethod
    def _register_cookie(value: str) -> None:
        for form in {value, urllib.parse.unquote(value)}:  # better-auth URL-encodes the signed value
            register_secret(form)
            token, _, _signature = form.rpartition(".")
            register_secret(token)

    def _rows(self) -> tuple[tuple[str, str, str, str], ...]:
        if self._jar is None:
            return ()
        return tuple((c.name, c.value or "", c.domain, c.path) for c in self._jar.jar)

    def _write_session(self) -> None:
        path = self._session_path()
        if path is None or self._session is None:
            return
        document = {
            "version": 1,
            "base_url": self._base_url(),
            "email": self._session.email,
            "user_id": self._session.user_id,
            "name": self._session.name,
            "cookies": [{"name": n, "value": v, "domain": d, "path": p, **self._expiry(n, d, p)}
                        for n, v, d, p in self._session.cookies],
        }
        try:
            atomic_write_bytes(path, json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"), mode=0o600)
        except OSError as exc:
            raise AuthError(f"signed in, but the session could not be saved to {path} ({exc.strerror})",
                            provider=NAME) from None

    def _expiry(self, name: str, domain: str, path: str) -> dict[str, int]:
        """``{"expires": epoch seconds}`` when the server gave the cookie a lifetime, else {}."""
        for cookie in self._jar.jar if self._jar is not None else ():
            if cookie.name == name and cookie.domain == domain and cookie.path == path and cookie.expires is not None:
                return {"expires": int(cookie.expires)}
        return {}

    def _forget_session(self) -> None:
        self._session = None
        self._jar = None
        self._loaded = True
        path = self._session_path()
        if path is not None:
            try:
                path.unlink(missing_ok=True)
            except OSError:
                pass

    async def _absorb(self, response: httpx.Response) -> None:
        """Merge cookies the server set again (a sliding session) into the jar, and save them."""
        if self._jar is None or self._session is None or not response.headers.get_list("set-cookie"):
            return
        before = self._rows()
        self._jar.extract_cookies(response)
        after = self._rows()
        if after == before:
            return
        for _name, value, _domain, _path in after:
            self._register_cookie(value)
        if not after:
            self._forget_session()
            return
        self._session = Session(self._session.email, after, self._session.user_id, self._session.name)
        try:
            await asyncio.to_thread(self._write_session)
        except AuthError:
            pass  # the session still works in memory; the next refresh tries again

    # ------------------------------------------------------------------ requests
    def _cookie_header(self, path: str) -> str:
        """The session cookies for a request to ``path``: only unexpired ones whose path matches
        (RFC 6265 5.1.4), as a browser sends them — a stale or foreign cookie is never sent."""
        if self._jar is None:
            return ""
        now = time.time()
        request_path = urllib.parse.urlsplit(path).path or "/"
        chosen = [c for c in self._jar.jar if not c.is_expired(now) and _path_matches(request_path, c.path or "/")]
        chosen.sort(key=lambda c: -len(c.path or "/"))  # longer paths first, as RFC 6265 5.4 asks
        return "; ".join(f"{c.name}={c.value}" for c in chosen)

    def _headers(self, auth: str, path: str = "/") -> dict[str, str]:
        headers: dict[str, str] = {}
        if auth in ("session", "origin"):
            origin = self._origin()
            if origin:
                headers["Origin"] = origin
        if auth == "session" and self._jar is not None:
            cookie = self._cookie_header(path)
            if cookie:
                headers["Cookie"] = cookie
        elif auth == "key":
            headers["Authorization"] = f"Bearer {self._api_key()}"
        return headers

    async def _call(self, method: str, path: str, *, auth: str, charged: bool = False, **kwargs: Any) -> httpx.Response:
        await self.ctx.limiter.acquire()
        response = await send(self.ctx.client, method, path, provider=NAME, charged=charged,
                              headers=self._headers(auth, path), **kwargs)
        if auth == "session":
            await self._absorb(response)
        return response

    def _json(self, response: httpx.Response, *, what: str) -> object:
        body = json_body(response)
        if body is None:
            content_type = response.headers.get("content-type", "") or "no content type"
            kind = "malformed JSON" if "json" in content_type.lower() else f"not JSON ({server_text(content_type, limit=60)})"
            saved = self._keep_unexpected(what, response.content, status=response.status_code,
                                          content_type=content_type, problem=kind)
            raise ServerError(f"unexpected answer from whatanimeisthis to {what}: {kind} (HTTP {response.status_code})"
                              + unexpected.notice(saved), provider=NAME, code=response.status_code)
        return body

    def _keep_unexpected(self, what: str, body: object, **details: Any) -> Path | None:
        return unexpected.save(self.ctx.data_dir, provider=NAME, what=what, body=body, **details)

    def _parsed(self, parse: Any, body: object, what: str, *args: Any, **kwargs: Any) -> Any:
        """``parse(body, …)``; an answer it cannot read is kept (redacted) and the user told where."""
        try:
            return parse(body, *args, **kwargs)
        except ServerError as exc:
            saved = self._keep_unexpected(what, body, problem=exc.message)
            charged = what == "search"
            raise ServerError(exc.message + (" (the search may have been charged)" if charged else "")
                              + unexpected.notice(saved), provider=NAME, code=exc.code,
                              retryable=False, maybe_charged=charged or exc.maybe_charged) from None

    def _error(self, response: httpx.Response, *, auth: str, search: bool = False) -> AnimetuiError:
        """The error for a non-2xx answer (a session 401 is handled by the callers first)."""
        status = response.status_code
        body = json_body(response)
        message, code = _message(body)
        suffix = f" ({message})" if message else ""
        retry_after = parse_retry_after(response.headers)
        if code in ("MISSING_OR_NULL_ORIGIN", "INVALID_ORIGIN"):
            origin = server_text(self._origin(), limit=120) or "not set"
            return AuthError(
                f"whatanimeisthis refused the Origin header ({code}; now: {origin}) — set "
                f"providers.whatanime.origin to the site's own address, e.g. {DEFAULT_ORIGIN}",
                provider=NAME, code=code)
        if status == 400:
            return BadInput(f"whatanimeisthis refused the request: {message or 'HTTP 400'}", provider=NAME, code=code or 400)
        if status == 401:
            if auth == "key":
                return AuthError("whatanimeisthis refused the API key (HTTP 401) — check providers.whatanime.api_key, "
                                 "or sign in and create a new key (animetui keys create)", provider=NAME, code=401)
            if auth == "session":
                return SessionExpired(SESSION_EXPIRED, provider=NAME, code=401)
            return AuthError(f"whatanimeisthis wants you to sign in (HTTP 401){suffix}", provider=NAME, code=401)
        if status == 402:
            return QuotaError(f"no search credits left — today's {FREE_DAILY} free credits are used and there are no "
                              "paid credits; they come back at midnight, or buy credits on whatanimeisthis.com",
                              provider=NAME, code=code or 402)
        if status == 403:
            if code == "EMAIL_NOT_VERIFIED":
                return AuthError("your email address is not verified yet — open the link whatanimeisthis sent you",
                                 provider=NAME, code=code)
            return AuthError(f"whatanimeisthis refused access (HTTP 403){suffix}", provider=NAME, code=code or 403)
        if status == 404:
            return NotFound(f"whatanimeisthis has no such endpoint (HTTP 404) — check providers.whatanime.base_url{suffix}",
                            provider=NAME, code=404)
        if status == 413:
            return Unsupported(f"the image is too large for whatanimeisthis (HTTP 413){suffix}", provider=NAME, code=413)
        if status == 415:
            return Unsupported(f"whatanimeisthis cannot take this image (HTTP 415){suffix}", provider=NAME, code=415)
        if status == 429:
            guest_daily = "GUEST" in code.upper() or (
                auth == "guest" and search and ("day" in message.lower() or (retry_after or 0) > 3600))
            if guest_daily:
                return QuotaError(GUEST_LIMIT + _wait_text(retry_after), provider=NAME, code=code or 429)
            if retry_after is not None and retry_after <= self.ctx.retry.max_retry_after:
                self.ctx.limiter.block_for(retry_after)
            return RateLimited(f"too many requests to whatanimeisthis (HTTP 429){_wait_text(retry_after)}{suffix}",
                               retry_after=retry_after, provider=NAME, code=code or 429)
        if status >= 500:
            retryable = status in SEARCH_RETRY_STATUSES if search else True
            return ServerError(f"whatanimeisthis had a server error (HTTP {status}){suffix}", provider=NAME,
                               code=status, retryable=retryable)
        return ServerError(f"whatanimeisthis answered HTTP {status}{suffix}", provider=NAME, code=status)

    @staticmethod
    def _read_retry(exc: AnimetuiError) -> bool:
        if isinstance(exc, NetworkError):
            return exc.retryable
        if isinstance(exc, RateLimited):
            return True
        if isinstance(exc, ServerError):
            return isinstance(exc.code, int) and exc.code >= 500
        return False

    @staticmethod
    def _search_retry(exc: AnimetuiError) -> bool:
        if isinstance(exc, NetworkError):
            return exc.retryable  # send() marks a request that reached the server as not retryable
        return isinstance(exc, ServerError) and exc.code in SEARCH_RETRY_STATUSES

    async def _read(self, path: str, *, params: dict[str, Any], auth: str, what: str) -> object:
        """A GET, retried on network errors, 5xx and 429. A session 401 ends the session."""

        async def attempt() -> object:
            response = await self._call("GET", path, auth=auth, params=params)
            if response.status_code == 401 and auth == "session":
                raise _SessionRejected()
            if response.status_code >= 400:
                raise self._error(response, auth=auth)
            return self._json(response, what=what)

        try:
            return await retrying(attempt, policy=self.ctx.retry, sleep=self.ctx.sleep, should_retry=self._read_retry)
        except _SessionRejected:
            self._forget_session()
            raise SessionExpired(SESSION_EXPIRED, provider=NAME, code=401) from None

    def _require_session(self) -> None:
        if self.session is None:
            raise AuthError(NOT_SIGNED_IN, provider=NAME)

    # ------------------------------------------------------------------ scene search
    async def search_scene(self, source: ImageSource) -> SceneResult:
        """Up to 5 matches, best first. Nothing found → empty ``matches``."""
        parts: dict[str, Any]
        if source.url is not None:
            url = source.url.strip()
            if not url.lower().startswith(("http://", "https://")):
                raise BadInput(f"not an http(s) URL: {server_text(url, limit=120)}", provider=NAME)
            parts = {"url": (None, url)}
        else:
            prepared = await offload.run(_prepare, source)
            parts = {"image": (prepared.filename, prepared.data, prepared.content_type)}

        fallback = "key" if self._api_key() else "guest"
        auth = "session" if self.session is not None else fallback
        try:
            response = await self._search_once(parts, auth)
        except _SessionRejected:
            self._forget_session()
            self.session_expired = True
            auth = fallback
            response = await self._search_once(parts, auth)
        body = self._json(response, what="the search (it may have been charged)")
        result = self._parsed(parse_search, body, "search", self._base_url())
        if result.credits_left is not None:
            self._last_allowance[auth] = (dt.datetime.now(dt.UTC).date().isoformat(), result.credits_left)
        return result

    def _search_bucket(self, auth: str) -> Any:
        """The machine-wide count of this kind of search (``animetui.limits``), or None.

        Guests: 5 a day (by IP: one count per machine). Signed in or with a key: 100 an hour, per
        account (the session's email, else a hash of the key)."""
        shared = self.ctx.shared_limits
        if shared is None:
            return None
        from animetui import limits

        if auth == "guest":
            return limits.SharedBucket(shared, "whatanime.guest", limits.DOCUMENTED["whatanime.guest"], provider=NAME,
                                       title="whatanimeisthis", sleep=self.ctx.sleep)
        who = (self.session.email if auth == "session" and self.session is not None else None) or self._api_key()
        return limits.SharedBucket(shared, limits.bucket_name("whatanime.user", who), limits.DOCUMENTED["whatanime.user"],
                                   provider=NAME, title="whatanimeisthis", sleep=self.ctx.sleep, max_wait=0.0)

    def _guest_searches_left(self) -> float | None:
        """Guest searches left today by this machine's count, when the data dir has one."""
        shared = self.ctx.shared_limits
        if shared is None:
            return None
        from animetui import limits

        rule = limits.DOCUMENTED["whatanime.guest"][0]
        return float(max(0, rule.count - shared.used("whatanime.guest", rule)))

    async def _search_once(self, parts: dict[str, Any], auth: str) -> httpx.Response:
        bucket = self._search_bucket(auth)

        async def attempt() -> httpx.Response:
            if bucket is not None:
                try:
                    await bucket.acquire()
                except QuotaError as exc:  # used up on this machine: nothing was sent
                    wait = getattr(exc, "retry_after", None)
                    if auth == "guest":
                        raise QuotaError(GUEST_LIMIT + _wait_text(wait), provider=NAME, code=exc.code) from None
                    raise RateLimited(f"100 searches an hour used on this machine{_wait_text(wait)}",
                                      retry_after=wait, provider=NAME, code=exc.code) from None
            try:
                response = await self._call("POST", "/api/anime/search", auth=auth, charged=True, files=parts)
            finally:
                if bucket is not None:
                    await bucket.sent()  # counted from the answer: the site saw it by now
            if response.status_code == 429 and bucket is not None:
                wait = parse_retry_after(response.headers)
                if wait is not None:  # the service's count wins: every process on the machine waits
                    bucket.block(wait)
            if response.status_code == 401 and auth == "session":
                raise _SessionRejected()
            if response.status_code >= 400:
                raise self._error(response, auth=auth, search=True)
            return response

        return await retrying(attempt, policy=self.ctx.retry, sleep=self.ctx.sleep, should_retry=self._search_retry)

    # ------------------------------------------------------------------ rankings / recent
    async def rankings(self, *, period: str = "all", limit: int = 50, include_adult: bool = False) -> list[Ranking]:
        """Most searched anime for ``period`` (daily|weekly|monthly|yearly|all)."""
        if period not in PERIODS:
            raise BadInput(f"unknown period {server_text(period, limit=40)!r}; use one of {', '.join(PERIODS)}", provider=NAME)
        if limit < 1:
            raise BadInput(f"limit must be at least 1, got {limit}", provider=NAME)
        params = {"period": period, "limit": limit, "includeAdult": "true" if include_adult else "false"}
        body = await self._read("/api/anime/rankings", params=params, auth="none", what="the rankings")
        return self._parsed(parse_rankings, body, "rankings", include_adult=include_adult, base=self._base_url())[:limit]

    async def recent_searches(self, *, limit: int = 20, offset: int = 0) -> list[RecentSearch]:
        """Recently confirmed public searches, newest first; an empty list past the end."""
        if limit < 1:
            raise BadInput(f"limit must be at least 1, got {limit}", provider=NAME)
        if offset < 0:
            raise BadInput(f"offset cannot be negative, got {offset}", provider=NAME)
        params = {"limit": limit, "offset": offset}
        body = await self._read("/api/anime/recent-searches", params=params, auth="none", what="the recent searches")
        return self._parsed(parse_recent, body, "recent", self._base_url())[:limit]

    # ------------------------------------------------------------------ account
    async def sign_in(self, email: str, password: str) -> Session:
        """Sign in with email and password; the whole cookie jar is kept (0600 file)."""
        email = email.strip()
        if not email or "@" not in email:
            raise BadInput("enter the email address of your whatanimeisthis account", provider=NAME)
        if not password:
            raise BadInput("enter your password", provider=NAME)
        register_secret(password)
        payload = {"email": email, "password": password, "rememberMe": True}
        response = await self._call("POST", "/api/auth/sign-in/email", auth="origin", json=payload)
        if response.status_code == 401:
            raise AuthError("wrong email or password", provider=NAME, code="INVALID_EMAIL_OR_PASSWORD")
        if response.status_code == 429:
            retry_after = parse_retry_after(response.headers)
            raise RateLimited(f"too many sign-in attempts{_wait_text(retry_after) or '; wait a little'} and try again",
                              retry_after=retry_after, provider=NAME, code=429)
        if response.status_code >= 400:
            raise self._error(response, auth="origin")
        body = self._json(response, what="the sign-in")
        jar = httpx.Cookies()
        jar.extract_cookies(response)
        rows = tuple((c.name, c.value or "", c.domain, c.path) for c in jar.jar)
        if not rows:
            raise ServerError("whatanimeisthis accepted the sign-in but set no session cookie", provider=NAME)
        for _name, value, _domain, _path in rows:
            self._register_cookie(value)
        if isinstance(body, dict) and isinstance(body.get("token"), str):
            register_secret(body["token"])
        user = body.get("user") if isinstance(body, dict) else None
        user = user if isinstance(user, dict) else {}
        session = Session(
            email=server_text(user.get("email"), limit=200) or email,
            cookies=rows,
            user_id=server_text(user.get("id"), limit=80),
            name=server_text(user.get("name"), limit=80),
        )
        self._jar, self._session, self._loaded = jar, session, True
        self.session_expired = False
        await asyncio.to_thread(self._write_session)
        return session

    async def sign_out(self) -> None:
        """Tell the server (best effort) and forget the stored session."""
        if self.session is None:
            self._forget_session()
            return
        try:
            await self._call("POST", "/api/auth/sign-out", auth="session", json={})
        except AnimetuiError:
            pass  # offline or refused: the local session goes anyway
        finally:
            self._forget_session()

    async def credits(self) -> Credits:
        """Search credits left (signed in), or the guest allowance as last seen."""
        if self.session is not None:
            body = await self._read("/api/user/anime-credits", params={}, auth="session", what="the credits")
            return self._parsed(parse_credits, body, "credits")
        today = dt.datetime.now(dt.UTC).date().isoformat()
        if self._api_key():
            seen = self._last_allowance.get("key")
            if seen and seen[0] == today:
                return Credits(NAME, float(seen[1]), "credits", detail="API key: as of the last search (sign in for details)")
            return Credits(NAME, None, "credits", detail="API key set: sign in (animetui login) to see the credits")
        seen = self._last_allowance.get("guest")
        if seen and seen[0] == today:
            return Credits(NAME, float(seen[1]), "searches", total=float(GUEST_DAILY),
                           detail=f"guest: {GUEST_DAILY} searches/day (as of the last search)")
        left = self._guest_searches_left()
        if left is not None:
            return Credits(NAME, left, "searches", total=float(GUEST_DAILY),
                           detail=f"guest: {GUEST_DAILY} searches/day (counted on this machine)")
        return Credits(NAME, None, "searches", total=float(GUEST_DAILY), detail=f"guest: {GUEST_DAILY} searches/day")

    async def list_keys(self, *, page: int = 1, page_size: int = 20) -> ApiKeyPage:
        """The signed-in user's API keys, masked."""
        if page < 1 or page_size < 1:
            raise BadInput("page and page size must be at least 1", provider=NAME)
        self._require_session()
        body = await self._read("/api/apikeys", params={"page": page, "pageSize": page_size}, auth="session",
                                what="the key list")
        return self._parsed(parse_key_page, body, "keys", page=page, page_size=page_size)

    async def create_key(self, title: str) -> ApiKey:
        """A new key; ``plaintext`` is set this once (the server never shows it again)."""
        title = title.strip()
        if not title:
            raise BadInput("give the new key a title (e.g. the machine it is for)", provider=NAME)
        if len(title) > MAX_TITLE:
            raise BadInput(f"the key title is {len(title)} characters; at most {MAX_TITLE}", provider=NAME)
        self._require_session()
        response = await self._call("POST", "/api/apikeys", auth="session", json={"title": title})
        if response.status_code == 401:
            self._forget_session()
            raise SessionExpired(SESSION_EXPIRED, provider=NAME, code=401)
        if response.status_code >= 400:
            raise self._error(response, auth="session")
        body = self._json(response, what="the key creation")
        holder = body.get("data") if isinstance(body, dict) and isinstance(body.get("data"), dict) else body
        plaintext = _first(holder, "key", "apiKey", "token", "plaintext") if isinstance(holder, dict) else None
        if not isinstance(plaintext, str) or not plaintext.strip():
            raise ServerError("whatanimeisthis created a key but did not return it — check the key list on the site",
                              provider=NAME)
        plaintext = plaintext.strip()
        register_secret(plaintext)
        assert isinstance(holder, dict)
        return ApiKey(
            id=server_text(_first(holder, "id", "keyId"), limit=80),
            title=server_text(holder.get("title"), limit=MAX_TITLE) or title,
            masked=mask(plaintext),
            created_at=_when(_first(holder, "createdAt", "created_at")),
            plaintext=plaintext,
        )


def create(ctx: ProviderContext) -> WhatAnimeProvider:
    return WhatAnimeProvider(ctx)
