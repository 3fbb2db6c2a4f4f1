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
* Answer (read by :mod:`animetui.providers.tracemoe_answers`) ``{frameCount, error, quota,
  quotaUsed, result: [{anilist, filename, episode, episode_start, episode_end, from, at, to,
  duration, similarity, video, image}]}``, ≤ 10, best first. Read defensively: ``episode``
  null / number / string / list (→ "3–4"); ``from``/``to`` may be missing (``from`` falls back to ``at``); ``anilist`` an id or ``{id, idMal, title{native,
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
  first ``previews`` matches (default 3; 0 turns it off) and the muted clips (``video`` + ``mute``,
  an MP4) of the first ``clips`` matches (default 1) are downloaded at once into the cache
  directory and their paths kept on the match (``preview_path``, ``clip_path``); :meth:`save_clip`
  fetches another match's clip while its link lives. ``size=l|m|s``, video ``mute``,
  ``minDuration`` 0.5–2, ``maxDuration`` 0.5–5 (:func:`preview_url`).
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
import contextlib
import dataclasses
import hashlib
import logging
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import httpx

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
from animetui.pictures import offload
from animetui.providers.base import ProviderContext, as_bool, as_float, as_int, server_text, wait_text
from animetui.providers.tracemoe_answers import (
    GUEST_CONCURRENCY,
    MAX_BYTES,
    MAX_RESULTS,
    MAX_VECTORS,
    NAME,
    PREVIEW_SIZES,
    TITLE,
    TraceMoeAccount,
    episode_of,
    error_text,
    parse_account,
    parse_batch,
    parse_match,
    parse_search,
    prepare_upload,
    preview_url,
    sniff_type,
    vector_payload,
)
from animetui.redact import register_secret

DEFAULT_BASE_URL = "https://api.trace.moe"
PREVIEW_TTL = 300.0
MAX_PREVIEW_BYTES = 20 * 1024 * 1024
TITLE_LANGUAGES = ("romaji", "english", "native")
GUEST_QUOTA = 100
PER_MINUTE = 100

__all__ = [
    "MAX_BYTES",
    "MAX_RESULTS",
    "TITLE",
    "LocalSlots",
    "SearchSlots",
    "TraceMoeAccount",
    "TraceMoeProvider",
    "confidence_label",
    "create",
    "episode_of",
    "parse_account",
    "parse_batch",
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
        message = error_text(response)
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
            return RateLimited(f"too many requests to trace.moe (HTTP 429, 100 a minute per IP){wait_text(retry_after)}",
                               retry_after=retry_after, provider=NAME, code=429)
        if status == 503:
            return Busy(f"trace.moe's search queue is full (HTTP 503){wait_text(retry_after)}",
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
            upload = await offload.run(prepare_upload, source)
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
        payload = [vector_payload(v) for v in vectors]
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
        """The first ``previews`` preview images and ``clips`` muted clips, downloaded at once (the
        links die ~300 s after the search); a failed download leaves the match as it was."""
        count = as_int(self.settings.get("previews", 3)) or 0
        clips = as_int(self.settings.get("clips", 1)) or 0
        folder = self._preview_dir()
        if (count <= 0 and clips <= 0) or folder is None:
            return result
        size = str(self.settings.get("preview_size") or "m")
        size = size if size in PREVIEW_SIZES else "m"
        matches = list(result.matches)
        for index, match in enumerate(matches):
            changes: dict[str, str] = {}
            if index < count and match.image_url:
                name = hashlib.sha256(match.image_url.encode()).hexdigest()[:24] + ".jpg"
                try:
                    changes["preview_path"] = str(await self.download_preview(match.image_url, folder / name, size=size))
                except AnimetuiError as exc:  # a preview is a nicety: the search result stands without it
                    log.info("tracemoe: preview %d not downloaded: %s", index, exc)
            if index < clips and match.video_url:
                try:
                    changes["clip_path"] = str(await self.save_clip(match))
                except AnimetuiError as exc:
                    log.info("tracemoe: clip %d not downloaded: %s", index, exc)
            if changes:
                matches[index] = dataclasses.replace(match, **changes)  # type: ignore[arg-type]
        return dataclasses.replace(result, matches=tuple(matches))

    def clip_path(self, match: SceneMatch) -> Path | None:
        """Where :meth:`save_clip` keeps the match's clip (None: no cache directory, or no clip)."""
        if self.ctx.cache_dir is None or not match.video_url:
            return None
        return Path(self.ctx.cache_dir) / "tracemoe-clips" / (hashlib.sha256(match.video_url.encode()).hexdigest()[:24] + ".mp4")

    async def save_clip(self, match: SceneMatch) -> Path:
        """The match's muted preview clip on disk (downloaded once; the link lives ~300 s)."""
        dest = self.clip_path(match)
        if dest is None or match.video_url is None:
            raise Unsupported("this match has no preview clip", provider=NAME)
        if dest.is_file():
            return dest
        size = str(self.settings.get("preview_size") or "m")
        return await self.download_clip(match.video_url, dest, size=size if size in PREVIEW_SIZES else "m")

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
            path = await download(self.ctx.client, link, dest, provider=NAME, max_bytes=MAX_PREVIEW_BYTES,
                                  image=False)  # a video clip: download() checks image magic otherwise
        except NotFound as exc:
            raise NotFound("the trace.moe preview link has expired (they live about 5 minutes) — search again",
                           provider=NAME, code=exc.code) from None
        with path.open("rb") as handle:
            kind = sniff_type(handle.read(64))[0]
        if not kind.startswith("video/") and kind != "image/gif":  # an HTML page from a proxy, say
            path.unlink(missing_ok=True)
            raise ServerError("trace.moe's preview clip was not a video", provider=NAME)
        return path

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
            detail=f"{who}; {account.quota_used} of {account.quota} used in the rolling 24 h; priority {account.priority}",
            concurrency=account.concurrency,
            priority=account.priority,
        )


def create(ctx: ProviderContext, *, slots: SearchSlots | None = None) -> TraceMoeProvider:
    return TraceMoeProvider(ctx, slots=slots)
