"""trace.moe (api.trace.moe): which anime, episode and moment a screenshot comes from.

Implements :class:`~animetui.providers.base.SceneSearcher` (plus vector search, ``/me`` as credits
and preview downloads) over the documented API. The contract is soruly/trace.moe-api at b9106a5
(2026-08-22): ``docs/docs.md``, ``docs/limits.md``, ``src/search.ts``, ``src/get-me.ts``; the
simulator (``animetui.simulator.tracemoe``) answers as they say.

What is documented, and used here:

* ``POST /search`` with the image as the raw body (``Content-Type: image/*``, ``video/*`` or
  ``application/octet-stream``; setting ``upload = "multipart"`` sends the form field ``image``
  instead), or ``GET /search?url=`` for an http(s) URL; ≤ 25 MB (413 above). ``POST /search`` with
  ``{"vector": …}`` (33 colour-layout coefficients, up to 10 per request, 1 quota each).
* Query flags, read by the server by *presence*: ``cutBorders`` (on by default here: setting
  ``cut_borders``), ``anilistID=<id>`` (restrict to one anime), ``anilistInfo`` (on by default:
  setting ``anilist_info``).
* Key: the ``x-trace-key`` header (setting ``api_key``); none → a guest, counted by IP. The key is
  never put in a query string (no longer supported upstream) and is registered with
  :mod:`animetui.redact`.
* Answer ``{frameCount, error, quota, quotaUsed, result: [{anilist, filename, episode,
  episode_start, episode_end, from, at, to, duration, similarity, video, image}]}``, ≤ 10, best
  first. Read defensively: ``episode`` null / number / string / list (→ "3–4"); ``from``/``to``
  may be missing (``from`` falls back to ``at``); ``anilist`` an id or ``{id, idMal, title{native,
  romaji, english}, synonyms, isAdult}``; numbers may arrive as strings (``quotaUsed`` does);
  unknown fields ignored; a 200 without a result list, or with a non-empty ``error``, is a
  :class:`ServerError`.
* Errors (the ``{"error": "…"}`` envelope, or an HTML page from a proxy): 400 bad URL / image /
  vector → :class:`BadInput`; 402 "Search quota depleted" → :class:`QuotaError`; 402 "Concurrency
  limit exceeded" → :class:`Busy` (nothing was done: wait for our search in flight, retry); 403 →
  :class:`AuthError`; 405 → :class:`BadInput` (no image reached the server); 413 →
  :class:`Unsupported`; 429 → :class:`RateLimited` (``Retry-After``, limiter blocked); 500
  database unavailable → :class:`ServerError`; 503 queue full, 504 overloaded → :class:`Busy`.
* Limits (``limits.md``): 100 requests/min per IP on *every* path (``ctx.limiter``, one token per
  request, previews and ``/me`` included; a ``RateLimit-Remaining: 0`` header blocks it until
  ``RateLimit-Reset``); concurrency 1 for guests (:class:`SearchSlots`: searches wait for a free
  slot; the capacity follows ``/me``'s ``concurrency``); quota in a rolling 24 h window.
* Previews: ``image``/``video`` URLs expire ~300 s after the search, so the preview images of the
  first ``previews`` matches (default 3; 0 turns it off) are downloaded at once into the cache
  directory and their path is kept on the match (``preview_path``). ``size=l|m|s``, video
  ``mute``, ``minDuration`` 0.5–2, ``maxDuration`` 0.5–5 (:func:`preview_url`).
* ``GET /me`` (free): ``{id, priority, concurrency, quota, quotaUsed}`` → :meth:`account`,
  :meth:`credits`.

Assumptions (where the sources are silent):

* **Retries** spend no quota only when the server *answered* with a failure ("failed search
  requests like HTTP 4xx and 5xx don't count"). So a search is retried automatically only after a
  402 concurrency answer, a 503, a 504, a 429 with a short ``Retry-After``, or a failure to
  connect; never after a timeout or a dropped connection once the request was sent
  (``send(charged=True)``), never after a 500.
* **AniList failure**: ``anilistInfo`` "may fail depending on their availability"; how is not
  documented. A 500 that is not the database message, or a 502, on a search that asked for it →
  the same search once more without ``anilistInfo`` (the failure did not count), and the result
  says ``anilist_info=False``. Matches then carry the bare AniList id, the file name as title and
  ``adult=False`` (unknown).
* **Title** of a match: the setting ``title_language`` (``romaji`` default, ``english``,
  ``native``) with the others as fallback, then the file name; every title variant is kept.
* **Confidence**: :func:`animetui.models.confidence_label` (≥ 0.90 likely, 0.87–0.90 uncertain,
  below: probably wrong — the episode may not be indexed).
* **Redirects**: a search (1 quota; it carries the photo and ``x-trace-key``) follows none — a 3xx
  is an error that may have been charged; ``/me`` follows one only to the same origin as
  ``base_url`` (``net.send``). Preview images and clips (no key) may redirect anywhere http(s).
* **Swappable limits**: the per-minute limiter is ``ctx.limiter`` (any object with ``acquire()``
  and ``block_for(seconds)``); the concurrency limiter is any :class:`SearchSlots` given to
  :func:`create` — a cross-process one (``animetui.limits``) can replace :class:`LocalSlots`.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import hashlib
import logging
import math
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import httpx

from animetui.pictures import offload, sources
from animetui.errors import (
    AnimetuiError,
    AuthError,
    BadInput,
    Busy,
    NetworkError,
    NotFound,
    QuotaError,
    RateLimited,
    ServerError,
    Unsupported,
)
from animetui.models import Credits, ImageSource, SceneMatch, SceneResult, confidence_label
from animetui.net import download, json_body, parse_retry_after, retrying, send
from animetui.providers.base import ProviderContext, as_bool, as_float, as_int, episode_of, seconds_of, server_text
from animetui.redact import register_secret

NAME = "tracemoe"
TITLE = "trace.moe"
DEFAULT_BASE_URL = "https://api.trace.moe"
MAX_BYTES = 25 * 1024 * 1024
MAX_RESULTS = 10
MAX_VECTORS = 10
VECTOR_LENGTH = 33
MAX_SIDE = 1280  # the docs recommend 640×360; "higher resolution doesn't yield better results"
PREVIEW_TTL = 300.0
MAX_PREVIEW_BYTES = 20 * 1024 * 1024
PREVIEW_SIZES = ("l", "m", "s")
TITLE_LANGUAGES = ("romaji", "english", "native")
GUEST_QUOTA = 100
GUEST_CONCURRENCY = 1
PER_MINUTE = 100

__all__ = [
    "LocalSlots",
    "SearchSlots",
    "TraceMoeAccount",
    "TraceMoeProvider",
    "confidence_label",
    "create",
    "episode_of",
    "parse_account",
    "parse_match",
    "parse_search",
    "preview_url",
]

log = logging.getLogger("animetui.providers.tracemoe")


# =========================================================================== concurrency
class SearchSlots(Protocol):
    """How many searches may be in flight at once (trace.moe's ``concurrency``)."""

    def slot(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Held for the whole of one search request."""

    def set_capacity(self, capacity: int) -> None:
        """The server's figure (``/me``'s ``concurrency``), once known."""


class LocalSlots:
    """:class:`SearchSlots` within one process: waiters queue in order, no busy loop."""

    def __init__(self, capacity: int = GUEST_CONCURRENCY) -> None:
        self.capacity = max(1, int(capacity))
        self.in_use = 0
        self._changed = asyncio.Condition()

    def set_capacity(self, capacity: int) -> None:
        self.capacity = max(1, int(capacity))

    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        async with self._changed:
            await self._changed.wait_for(lambda: self.in_use < self.capacity)
            self.in_use += 1
        try:
            yield
        finally:
            async with self._changed:
                self.in_use -= 1
                self._changed.notify_all()


# =========================================================================== parsing
def _error_text(response: httpx.Response) -> str:
    body = json_body(response)
    if isinstance(body, dict):
        return server_text(body.get("error"))
    return ""


def _title_variant(titles: object, key: str) -> str | None:
    if not isinstance(titles, dict):
        return None
    return server_text(titles.get(key), limit=200) or None


def _preview_link(value: object) -> str | None:
    if not isinstance(value, str):
        return None
    text = value.strip()
    if len(text) > 4096 or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        return None
    return text if text.lower().startswith(("http://", "https://")) else None


def parse_match(item: object, *, language: str = "romaji") -> SceneMatch | None:
    """One result item → a :class:`SceneMatch` (``None`` when it is not an object)."""
    if not isinstance(item, dict):
        return None
    anilist = item.get("anilist")
    info = anilist if isinstance(anilist, dict) else {}
    anilist_id = as_int(info.get("id") if info else anilist)
    if anilist_id is not None and anilist_id <= 0:
        anilist_id = None
    mal_id = as_int(info.get("idMal"))
    titles = info.get("title")
    synonyms_raw = info.get("synonyms")
    synonyms = tuple(
        s for s in (server_text(v, limit=200) for v in (synonyms_raw if isinstance(synonyms_raw, list) else [])[:20]) if s
    )
    filename = server_text(item.get("filename"), limit=300)
    at = seconds_of(item.get("at"))
    start = seconds_of(item.get("from"))
    end = seconds_of(item.get("to"))
    similarity = seconds_of(item.get("similarity"))
    if similarity is not None:
        similarity = min(1.0, similarity)
    match = SceneMatch(
        title="",
        episode=episode_of(item.get("episode")),
        start=start if start is not None else at,
        end=end,
        similarity=similarity,
        anilist_id=anilist_id,
        image_url=_preview_link(item.get("image")),
        video_url=_preview_link(item.get("video")),
        adult=as_bool(info.get("isAdult")) if info else False,
        engine=NAME,
        mal_id=mal_id if mal_id is not None and mal_id > 0 else None,
        title_native=_title_variant(titles, "native"),
        title_romaji=_title_variant(titles, "romaji"),
        title_english=_title_variant(titles, "english"),
        synonyms=synonyms,
        filename=filename,
        at=at,
        duration=seconds_of(item.get("duration")),
    )
    fallback = filename or (f"AniList {anilist_id}" if anilist_id else "(untitled)")
    title = dataclasses.replace(match, title=fallback).title_in(language)
    return dataclasses.replace(match, title=title)


def _quota_left(body: dict[str, Any]) -> int | None:
    quota, used = as_int(body.get("quota")), as_int(body.get("quotaUsed"))
    if quota is None or used is None:
        return None
    return max(0, quota - used - 1) if used < quota else 0


def _result_list(body: object) -> tuple[dict[str, Any], list[Any]]:
    if not isinstance(body, dict):
        raise ServerError("unexpected answer from trace.moe (not a JSON object)", provider=NAME)
    error = server_text(body.get("error"))
    if error:
        raise ServerError(f"trace.moe reported an error: {error}", provider=NAME)
    items = body.get("result")
    if not isinstance(items, list):
        raise ServerError("unexpected answer from trace.moe (no result list)", provider=NAME)
    return body, items


def _sorted(items: list[Any], language: str) -> tuple[SceneMatch, ...]:
    matches = [m for m in (parse_match(item, language=language) for item in items[: MAX_RESULTS * 3]) if m is not None]
    matches.sort(key=lambda m: -1.0 if m.similarity is None else m.similarity, reverse=True)
    return tuple(matches[:MAX_RESULTS])


def parse_search(body: object, *, language: str = "romaji") -> SceneResult:
    """A single search's body → up to 10 matches, best first. ``credits_left`` after this search."""
    holder, items = _result_list(body)
    if items and all(isinstance(i, list) for i in items):  # a batch answer where one was expected
        items = items[0]
    # quotaUsed is read before the search is counted (search.ts): one more is used now
    return SceneResult(_sorted(items, language), credits_left=_quota_left(holder))


def parse_batch(body: object, count: int, *, language: str = "romaji") -> list[SceneResult]:
    """A vector batch's body (``result`` a list of lists, in the order sent)."""
    holder, items = _result_list(body)
    if count == 1 and not (items and all(isinstance(i, list) for i in items)):
        items = [items]
    if len(items) != count or not all(isinstance(i, list) for i in items):
        raise ServerError(f"unexpected answer from trace.moe ({len(items)} result lists for {count} vectors)", provider=NAME)
    used = as_int(holder.get("quotaUsed"))
    quota = as_int(holder.get("quota"))
    left = None if quota is None or used is None else max(0, quota - used - count)
    return [SceneResult(_sorted(i, language), credits_left=left) for i in items]


@dataclass(frozen=True, slots=True)
class TraceMoeAccount:
    """``GET /me``: ``id`` is the IP (guest) or the account's email — shown masked, never logged."""

    id: str
    priority: int
    concurrency: int
    quota: int
    quota_used: int

    @property
    def remaining(self) -> int:
        return max(0, self.quota - self.quota_used)

    def to_json(self) -> dict[str, Any]:
        return {"priority": self.priority, "concurrency": self.concurrency, "quota": self.quota,
                "quota_used": self.quota_used, "remaining": self.remaining}


def parse_account(body: object) -> TraceMoeAccount:
    if not isinstance(body, dict):
        raise ServerError("unexpected answer from trace.moe /me (not a JSON object)", provider=NAME)
    quota = as_int(body.get("quota"))
    used = as_int(body.get("quotaUsed"))
    if quota is None or used is None:
        raise ServerError("unexpected answer from trace.moe /me (no quota figures)", provider=NAME)
    return TraceMoeAccount(
        id=server_text(body.get("id"), limit=120),
        priority=max(0, as_int(body.get("priority")) or 0),
        concurrency=max(1, as_int(body.get("concurrency")) or GUEST_CONCURRENCY),
        quota=max(0, quota),
        quota_used=max(0, used),
    )


def preview_url(
    url: str,
    *,
    size: str | None = None,
    mute: bool = False,
    min_duration: float | None = None,
    max_duration: float | None = None,
) -> str:
    """A preview link with only the documented parameters appended (the docs: "do not attempt to
    parse and modify the urls except documented above")."""
    params: dict[str, str] = {}
    if size is not None:
        if size not in PREVIEW_SIZES:
            raise BadInput(f"preview size must be one of l, m, s (not {server_text(size, limit=10)})", provider=NAME)
        params["size"] = size
    if mute:
        params["mute"] = ""
    if min_duration is not None:
        if not 0.5 <= min_duration <= 2.0:
            raise BadInput("minDuration must be 0.5–2 s", provider=NAME)
        params["minDuration"] = f"{min_duration:g}"
    if max_duration is not None:
        if not 0.5 <= max_duration <= 5.0:
            raise BadInput("maxDuration must be 0.5–5 s", provider=NAME)
        params["maxDuration"] = f"{max_duration:g}"
    return str(httpx.URL(url).copy_merge_params(params)) if params else url


def _vector_payload(vector: object) -> str | list[int]:
    """A base64 string of 33 bytes or 33 numbers 0–255, checked here so a bad one costs no request."""
    if isinstance(vector, str):
        try:
            raw = base64.b64decode(vector, validate=True)
        except ValueError:
            raise BadInput("a colour-layout vector in base64 must be valid base64", provider=NAME) from None
        if len(raw) != VECTOR_LENGTH:
            raise BadInput(f"a colour-layout vector has {VECTOR_LENGTH} values (this one {len(raw)})", provider=NAME)
        return vector
    if isinstance(vector, (bytes, bytearray)):
        return _vector_payload(base64.b64encode(bytes(vector)).decode("ascii"))
    if isinstance(vector, Sequence):
        values = list(vector)
        if len(values) != VECTOR_LENGTH:
            raise BadInput(f"a colour-layout vector has {VECTOR_LENGTH} values (this one {len(values)})", provider=NAME)
        out: list[int] = []
        for value in values:
            number = as_float(value)
            if number is None or not number.is_integer() or not 0 <= number <= 255:
                raise BadInput("colour-layout values are whole numbers 0–255", provider=NAME)
            out.append(int(number))
        return out
    raise BadInput("a colour-layout vector is a base64 string or 33 numbers", provider=NAME)


_MAGIC = (
    (b"\xff\xd8\xff", "image/jpeg", "jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", "png"),
    (b"GIF87a", "image/gif", "gif"),
    (b"GIF89a", "image/gif", "gif"),
    (b"\x1a\x45\xdf\xa3", "video/webm", "webm"),
)


def _sniff(data: bytes) -> tuple[str, str]:
    for magic, ctype, ext in _MAGIC:
        if data.startswith(magic):
            return ctype, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if data[4:8] == b"ftyp":
        return "video/mp4", "mp4"
    return "application/octet-stream", "bin"


@dataclass(frozen=True, slots=True)
class _Upload:
    data: bytes
    content_type: str
    filename: str


def _prepare(source: ImageSource) -> _Upload:
    """The bytes to send: as they are when ≤ 25 MB (trace.moe decodes anything ffmpeg can), else an
    image downscaled and re-encoded to fit; anything else over 25 MB is refused here."""
    data = sources.read_source(source.path) if source.path is not None else source.data
    assert data is not None
    if not data:
        raise BadInput(f"{source.label}: the file is empty", provider=NAME)
    ctype, ext = _sniff(data)
    stem = Path(source.label).stem or "image"
    if ctype.startswith("image/"):  # the same pixel safety limit as every engine (header only: cheap)
        try:
            sources.inspect(data, source.label)
        except BadInput:  # Pillow cannot read it; trace.moe (ffmpeg) may: its answer says
            pass
    if len(data) <= MAX_BYTES:
        return _Upload(data, ctype, f"{stem}.{ext}")
    if not ctype.startswith("image/"):
        raise Unsupported(f"{source.label}: {sources.human_bytes(len(data))} is over trace.moe's 25 MB limit", provider=NAME)
    prepared = sources.prepare_upload(data, label=source.label, formats=("JPEG", "PNG"), max_bytes=MAX_BYTES,
                                     max_side=MAX_SIDE, service=TITLE)
    return _Upload(prepared.data, prepared.content_type, prepared.filename)


def _wait_text(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 90:
        return f"; retry in {max(1, math.ceil(seconds))} s"
    if seconds < 5400:
        return f"; retry in about {math.ceil(seconds / 60)} min"
    return f"; retry in about {seconds / 3600:.1f} h"


# =========================================================================== provider
class TraceMoeProvider:
    name = NAME

    def __init__(self, ctx: ProviderContext, *, slots: SearchSlots | None = None) -> None:
        self.ctx = ctx
        self.slots: SearchSlots = slots or LocalSlots(GUEST_CONCURRENCY)
        #: after the last search: did the AniList info come (False: the fallback without it ran)
        self.anilist_info_ok: bool | None = None
        self.last_account: TraceMoeAccount | None = None
        key = self._api_key()
        if key:
            register_secret(key)

    # ------------------------------------------------------------------ settings
    @property
    def settings(self) -> dict[str, Any]:
        return self.ctx.settings

    def _api_key(self) -> str:
        return str(self.settings.get("api_key") or "").strip()

    def _flag(self, name: str, default: bool) -> bool:
        return as_bool(self.settings.get(name), default) if name in self.settings else default

    def _language(self) -> str:
        value = str(self.settings.get("title_language") or "romaji").lower()
        return value if value in TITLE_LANGUAGES else "romaji"

    def _headers(self) -> dict[str, str]:
        key = self._api_key()
        if key:
            register_secret(key)
            return {"x-trace-key": key}
        return {}

    # ------------------------------------------------------------------ transport
    async def _call(self, method: str, path: str, *, charged: bool = False, **kwargs: Any) -> httpx.Response:
        await self.ctx.limiter.acquire()
        headers = {**self._headers(), **kwargs.pop("headers", {})}
        response = await send(self.ctx.client, method, path, provider=NAME, charged=charged, headers=headers, **kwargs)
        self._observe_limit(response)
        return response

    def _observe_limit(self, response: httpx.Response) -> None:
        """``RateLimit-Remaining: 0`` → nobody here sends before ``RateLimit-Reset`` seconds."""
        remaining = as_int(response.headers.get("ratelimit-remaining"))
        reset = as_float(response.headers.get("ratelimit-reset"))
        if remaining == 0 and reset is not None and 0 < reset <= 3600:
            self.ctx.limiter.block_for(reset)

    def _error(self, response: httpx.Response) -> AnimetuiError:
        status = response.status_code
        message = _error_text(response)
        suffix = f" ({message})" if message else ""
        retry_after = parse_retry_after(response.headers)
        if status == 400 or message.startswith("Failed to fetch image"):  # its status mirrors the remote host
            if message.startswith("Failed to fetch image"):
                return BadInput(f"trace.moe could not fetch the image URL (HTTP {status}) — try the file instead",
                                provider=NAME, code=status)
            return BadInput(f"trace.moe could not use the input: {message or 'HTTP 400'}", provider=NAME, code=400)
        if status == 402:
            if message.lower().startswith("concurrency"):
                return Busy("trace.moe is still busy with another of your searches (concurrency limit); "
                            "it is sent again when that one answers", provider=NAME, code="concurrency")
            body = json_body(response)
            quota = as_int(body.get("quota")) if isinstance(body, dict) else None
            used = as_int(body.get("quotaUsed")) if isinstance(body, dict) else None
            figures = f" ({used} of {quota} in the last 24 h)" if quota is not None and used is not None else ""
            who = "this API key" if self._api_key() else "guests from this IP address"
            return QuotaError(f"trace.moe search quota used up for {who}{figures}; it frees up over a rolling "
                              "24 hours — a sponsor key (providers.tracemoe.api_key) raises it", provider=NAME, code="quota")
        if status == 403:
            return AuthError("trace.moe refused the API key (HTTP 403) — check providers.tracemoe.api_key, "
                             "or remove it to search as a guest", provider=NAME, code=403)
        if status == 404:
            return NotFound(f"trace.moe has no such endpoint (HTTP 404) — check providers.tracemoe.base_url{suffix}",
                            provider=NAME, code=404)
        if status == 405:
            return BadInput(f"trace.moe received no image (HTTP 405){suffix}", provider=NAME, code=405)
        if status == 413:
            return Unsupported("the file is over trace.moe's 25 MB limit (HTTP 413)", provider=NAME, code=413)
        if status == 429:
            if retry_after is not None and retry_after <= 3600:
                self.ctx.limiter.block_for(retry_after)
            return RateLimited(f"too many requests to trace.moe (HTTP 429, 100 a minute per IP){_wait_text(retry_after)}",
                               retry_after=retry_after, provider=NAME, code=429)
        if status == 503:
            return Busy(f"trace.moe's search queue is full (HTTP 503){_wait_text(retry_after)}",
                        retry_after=retry_after, provider=NAME, code=503)
        if status == 504:
            return Busy("trace.moe is overloaded (HTTP 504); try again in a minute", retry_after=retry_after,
                        provider=NAME, code=504)
        if status == 500 and "database" in message.lower():
            return ServerError("trace.moe's database is temporarily unavailable (HTTP 500); the search was not "
                               "counted — try again later", provider=NAME, code=500)
        if status >= 500:
            return ServerError(f"trace.moe had a server error (HTTP {status}){suffix}", provider=NAME, code=status)
        return ServerError(f"trace.moe answered HTTP {status}{suffix}", provider=NAME, code=status)

    @staticmethod
    def _search_retry(exc: AnimetuiError) -> bool:
        """Only answers that say the search was not done (so not counted) are sent again."""
        if isinstance(exc, NetworkError):
            return exc.retryable and not exc.maybe_charged
        return isinstance(exc, (Busy, RateLimited))

    @staticmethod
    def _read_retry(exc: AnimetuiError) -> bool:
        if isinstance(exc, NetworkError):
            return exc.retryable
        if isinstance(exc, (Busy, RateLimited)):
            return True
        return isinstance(exc, ServerError) and isinstance(exc.code, int) and exc.code >= 500

    def _json(self, response: httpx.Response, what: str) -> object:
        body = json_body(response)
        if body is None:
            raise ServerError(f"unexpected answer from trace.moe to {what}: not JSON (HTTP {response.status_code})",
                              provider=NAME, code=response.status_code)
        return body

    async def _search_request(self, method: str, params: dict[str, str], **kwargs: Any) -> object:
        async def attempt() -> object:
            async with self.slots.slot():
                response = await self._call(method, "/search", charged=True, params=params, **kwargs)
            if response.status_code >= 400:
                raise self._error(response)
            return self._json(response, "the search (it may have been counted)")

        return await retrying(attempt, policy=self.ctx.retry, sleep=self.ctx.sleep, should_retry=self._search_retry)

    @staticmethod
    def _anilist_failed(exc: AnimetuiError) -> bool:
        if not isinstance(exc, ServerError) or exc.maybe_charged:
            return False
        return exc.code == 502 or (exc.code == 500 and "database" not in exc.message.lower())

    async def _search_with_info(self, method: str, params: dict[str, str], want_info: bool, **kwargs: Any) -> object:
        if not want_info:
            self.anilist_info_ok = None
            return await self._search_request(method, params, **kwargs)
        try:
            body = await self._search_request(method, {**params, "anilistInfo": ""}, **kwargs)
        except AnimetuiError as exc:
            if not self._anilist_failed(exc):
                raise
            log.info("tracemoe: search with anilistInfo failed (%s); sending it without", exc.code)
            self.anilist_info_ok = False
            return await self._search_request(method, params, **kwargs)
        self.anilist_info_ok = True
        return body

    def _params(self, anilist_id: int | None, cut_borders: bool | None) -> dict[str, str]:
        params: dict[str, str] = {}
        if cut_borders if cut_borders is not None else self._flag("cut_borders", True):
            params["cutBorders"] = ""
        if anilist_id is not None:
            if not isinstance(anilist_id, int) or isinstance(anilist_id, bool) or anilist_id <= 0:
                raise BadInput("an AniList id is a positive whole number", provider=NAME)
            params["anilistID"] = str(anilist_id)
        return params

    # ------------------------------------------------------------------ scene search
    async def search_scene(
        self,
        source: ImageSource,
        *,
        anilist_id: int | None = None,
        cut_borders: bool | None = None,
        anilist_info: bool | None = None,
    ) -> SceneResult:
        """Up to 10 matches, best first; nothing found → empty ``matches``. Costs 1 quota."""
        params = self._params(anilist_id, cut_borders)
        want_info = anilist_info if anilist_info is not None else self._flag("anilist_info", True)
        if source.url is not None:
            url = source.url.strip()
            if not url.lower().startswith(("http://", "https://")):
                raise BadInput(f"not an http(s) URL: {server_text(url, limit=120)}", provider=NAME)
            body = await self._search_with_info("GET", {**params, "url": url}, want_info)
        else:
            upload = await offload.run(_prepare, source)
            if str(self.settings.get("upload") or "raw").lower() == "multipart":
                kwargs: dict[str, Any] = {"files": {"image": (upload.filename, upload.data, upload.content_type)}}
            else:
                kwargs = {"content": upload.data, "headers": {"Content-Type": upload.content_type}}
            body = await self._search_with_info("POST", params, want_info, **kwargs)
        result = parse_search(body, language=self._language())
        return await self._with_previews(result)

    async def search_vectors(
        self,
        vectors: Sequence[object],
        *,
        anilist_id: int | None = None,
        anilist_info: bool | None = None,
    ) -> list[SceneResult]:
        """One result per colour-layout vector (1–10, each 33 values), in order. Costs 1 quota each.

        Preview images are downloaded for a single vector only (a batch would spend up to 30 of
        the 100 requests a minute on them); a batch's matches keep their links for 300 s.
        """
        if isinstance(vectors, (str, bytes)) or not 1 <= len(vectors) <= MAX_VECTORS:
            raise BadInput(f"send 1 to {MAX_VECTORS} colour-layout vectors", provider=NAME)
        payload = [_vector_payload(v) for v in vectors]
        params = self._params(anilist_id, False)
        want_info = anilist_info if anilist_info is not None else self._flag("anilist_info", True)
        body_json = {"vector": payload[0] if len(payload) == 1 else payload}
        body = await self._search_with_info("POST", params, want_info, json=body_json)
        results = parse_batch(body, len(payload), language=self._language())
        if len(results) > 1:  # a batch: 3 previews × 10 results would eat a third of a minute's requests
            return results
        return [await self._with_previews(results[0])]

    async def search_vector(self, vector: object, **kwargs: Any) -> SceneResult:
        return (await self.search_vectors([vector], **kwargs))[0]

    # ------------------------------------------------------------------ previews
    def _preview_dir(self) -> Path | None:
        if self.ctx.cache_dir is None:
            return None
        return Path(self.ctx.cache_dir) / "tracemoe-previews"

    async def _with_previews(self, result: SceneResult) -> SceneResult:
        count = as_int(self.settings.get("previews", 3))
        folder = self._preview_dir()
        if not count or count <= 0 or folder is None:
            return result
        size = str(self.settings.get("preview_size") or "m")
        size = size if size in PREVIEW_SIZES else "m"
        matches = list(result.matches)
        for index, match in enumerate(matches[:count]):
            if not match.image_url:
                continue
            name = hashlib.sha256(match.image_url.encode()).hexdigest()[:24] + ".jpg"
            try:
                path = await self.download_preview(match.image_url, folder / name, size=size)
            except AnimetuiError as exc:  # a preview is a nicety: the search result stands without it
                log.info("tracemoe: preview %d not downloaded: %s", index, exc)
                continue
            matches[index] = dataclasses.replace(match, preview_path=str(path))
        return dataclasses.replace(result, matches=tuple(matches))

    async def download_preview(self, url: str, dest: Path, *, size: str | None = None) -> Path:
        """The preview image (JPEG) into ``dest`` (atomically). Its URL lives ~300 s after the search."""
        await self.ctx.limiter.acquire()
        try:
            return await download(self.ctx.client, preview_url(url, size=size), dest, provider=NAME,
                                  max_bytes=MAX_PREVIEW_BYTES)
        except NotFound as exc:
            raise NotFound("the trace.moe preview link has expired (they live about 5 minutes) — search again",
                           provider=NAME, code=exc.code) from None

    async def download_clip(
        self,
        url: str,
        dest: Path,
        *,
        mute: bool = True,
        size: str | None = None,
        min_duration: float | None = None,
        max_duration: float | None = None,
    ) -> Path:
        """The short preview clip (muted by default) into ``dest``; for the user's player."""
        link = preview_url(url, size=size, mute=mute, min_duration=min_duration, max_duration=max_duration)
        await self.ctx.limiter.acquire()
        try:
            return await download(self.ctx.client, link, dest, provider=NAME, max_bytes=MAX_PREVIEW_BYTES,
                                  image=False)  # a video clip: download() checks image magic otherwise
        except NotFound as exc:
            raise NotFound("the trace.moe preview link has expired (they live about 5 minutes) — search again",
                           provider=NAME, code=exc.code) from None

    # ------------------------------------------------------------------ /me
    async def account(self) -> TraceMoeAccount:
        """Quota, concurrency and priority (free: costs no quota). Also sizes the search slots."""

        async def attempt() -> object:
            response = await self._call("GET", "/me")
            if response.status_code >= 400:
                raise self._error(response)
            return self._json(response, "/me")

        body = await retrying(attempt, policy=self.ctx.retry, sleep=self.ctx.sleep, should_retry=self._read_retry)
        account = parse_account(body)
        self.slots.set_capacity(account.concurrency)
        self.last_account = account
        return account

    async def credits(self) -> Credits:
        account = await self.account()
        who = "API key" if self._api_key() else "guest (by IP address)"
        return Credits(
            provider=NAME,
            remaining=float(account.remaining),
            unit="searches",
            total=float(account.quota),
            detail=f"{who}; rolling 24 h; concurrency {account.concurrency}, priority {account.priority}",
        )


def create(ctx: ProviderContext, *, slots: SearchSlots | None = None) -> TraceMoeProvider:
    return TraceMoeProvider(ctx, slots=slots)
