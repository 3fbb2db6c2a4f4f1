"""whatanimeisthis's answers: the tolerant parsers for every body (the shapes are assumed, see
:mod:`animetui.providers.whatanime`), the provider's constants and its user-facing messages.

Pure functions of the decoded JSON: no HTTP, no state. A body that does not fit raises
:class:`ServerError` (the provider keeps a redacted copy and says where).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from animetui.errors import ServerError
from animetui.models import ApiKey, ApiKeyPage, Credits, Ranking, RecentSearch, SceneMatch, SceneResult
from animetui.providers.base import as_bool, as_float, as_int, episode_of, seconds_of, server_text, wait_text  # noqa: F401 (re-exported for provider.py)
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


def error_message(body: object) -> tuple[str, str]:
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


def title_text(value: object) -> str:
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
        text = title_text(candidate)
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


def first(item: dict[str, Any], *keys: str) -> object:
    for key in keys:
        if key in item and item[key] is not None:
            return item[key]
    return None


def list_in(body: object, keys: tuple[str, ...]) -> list[Any] | None:
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
        return list_in(nested, keys)
    return None


def parse_match(item: object, base: str = "") -> SceneMatch | None:
    if not isinstance(item, dict):
        return None
    start = seconds_of(first(item, "from", "start", "timestamp"))
    at = seconds_of(item.get("at"))
    if start is None:
        start = at
    return SceneMatch(
        title=title_of(item),
        episode=episode_of(item.get("episode")),
        start=start,
        end=seconds_of(first(item, "to", "end")),
        similarity=similarity_of(first(item, "similarity", "score", "confidence")),
        anilist_id=anilist_id_of(item),
        image_url=url_of(first(item, "image", "thumbnail", "preview", "imageUrl"), base),
        video_url=url_of(first(item, "video", "videoUrl"), base),
        adult=adult_of(item),
    )


def credits_left_of(body: object) -> int | None:
    if not isinstance(body, dict):
        return None
    holder = body.get("credits")
    if isinstance(holder, dict):
        left = as_int(first(holder, "remaining", "totalCredits", "total"))
        if left is not None:
            return max(0, left)
    elif holder is not None and not isinstance(holder, (list, bool)):
        left = as_int(holder)
        if left is not None:
            return max(0, left)
    left = as_int(first(body, "remaining", "creditsRemaining", "remainingCredits"))
    if left is not None:
        return max(0, left)
    quota, used = as_int(body.get("quota")), as_int(body.get("quotaUsed"))
    if quota is not None and used is not None:
        return max(0, quota - used)
    return None


def parse_search(body: object, base: str = "") -> SceneResult:
    """The search body → up to 5 matches, best first. A body without a result list → ServerError."""
    items = list_in(body, ("results", "result", "matches", "candidates", "hits", "items", "data"))
    if items is None:
        message, _ = error_message(body)
        detail = f": {message}" if message else " (no result list)"
        raise ServerError(f"unexpected answer from whatanimeisthis{detail}", provider=NAME)
    matches = [m for m in (parse_match(item, base) for item in items) if m is not None]
    matches.sort(key=lambda m: -1.0 if m.similarity is None else m.similarity, reverse=True)
    return SceneResult(tuple(matches[:MAX_MATCHES]), credits_left=credits_left_of(body))


def parse_rankings(body: object, *, include_adult: bool, base: str = "") -> list[Ranking]:
    items = list_in(body, ("rankings", "ranking", "results", "items", "list", "anime", "data"))
    if items is None:
        raise ServerError("unexpected answer from whatanimeisthis: the rankings have no list", provider=NAME)
    out: list[Ranking] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            continue
        adult = adult_of(item)
        if adult and not include_adult:
            continue
        rank = as_int(first(item, "rank", "position", "rankNo"))
        searches = as_int(first(item, "searchCount", "searches", "count", "search_count", "total"))
        out.append(Ranking(
            rank=rank if rank is not None and rank > 0 else index + 1,
            title=title_of(item),
            searches=searches if searches is not None and searches >= 0 else None,
            anilist_id=anilist_id_of(item),
            adult=adult,
            image_url=url_of(first(item, "coverImage", "image", "cover", "thumbnail"), base),
        ))
    out.sort(key=lambda r: r.rank)
    return out


def when(value: object) -> str | None:
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
    items = list_in(body, ("items", "searches", "recent", "recentSearches", "results", "list", "data"))
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
            similarity=similarity_of(first(item, "similarity", "score", "confidence")),
            searched_at=when(first(item, "createdAt", "created_at", "searchedAt", "timestamp", "time")),
            anilist_id=anilist_id_of(item),
            image_url=url_of(first(item, "image", "thumbnail", "coverImage", "preview"), base),
        ))
    return out


def parse_credits(body: object) -> Credits:
    if not isinstance(body, dict):
        raise ServerError("unexpected answer from whatanimeisthis: the credits are not an object", provider=NAME)
    data = body.get("data")
    holder: dict[str, Any] = data if isinstance(data, dict) else body
    free = as_int(first(holder, "freeCredits", "dailyFreeCredits", "freeRemaining", "free"))
    paid = as_int(first(holder, "paidCredits", "credits", "balance", "paid"))
    total = as_int(first(holder, "totalCredits", "remaining", "total"))
    if total is None and (free is not None or paid is not None):
        total = (free or 0) + (paid or 0)
    if total is None:
        raise ServerError("unexpected answer from whatanimeisthis: no credit numbers in the answer", provider=NAME)
    parts = []
    if free is not None:
        limit = as_int(first(holder, "freeCreditsLimit", "dailyFreeLimit")) or FREE_DAILY
        parts.append(f"{free} of {limit} free today (reset at midnight)")
    if paid is not None:
        parts.append(f"{paid} paid")
    return Credits(provider=NAME, remaining=float(max(0, total)), unit="credits",
                   detail=" + ".join(parts) or "signed in", free=None if free is None else float(max(0, free)))


def masked_key(value: object) -> str:
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
    key_id = server_text(first(item, "id", "keyId"), limit=80)
    masked = masked_key(first(item, "maskedKey", "masked", "keyPreview", "start", "prefix", "key"))
    return ApiKey(
        id=key_id,
        title=server_text(first(item, "title", "name"), limit=MAX_TITLE) or "(untitled)",
        masked=masked,
        created_at=when(first(item, "createdAt", "created_at")),
    )


def parse_key_page(body: object, *, page: int, page_size: int) -> ApiKeyPage:
    items = list_in(body, ("items", "keys", "apiKeys", "data", "results"))
    if items is None:
        raise ServerError("unexpected answer from whatanimeisthis: the key list has no list", provider=NAME)
    keys = tuple(k for k in (parse_key(item) for item in items) if k is not None)
    total = as_int(body.get("total")) if isinstance(body, dict) else None
    if isinstance(body, dict):
        page = as_int(body.get("page")) or page
        page_size = as_int(body.get("pageSize")) or page_size
    return ApiKeyPage(keys=keys, page=page, page_size=page_size, total=total)



