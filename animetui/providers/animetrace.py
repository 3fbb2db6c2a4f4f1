"""AnimeTrace (api.animetrace.com): who is in this picture.

Implements :class:`~animetui.providers.base.CharacterRecognizer` over the two documented endpoints,
``GET /v1/model/list`` and ``POST /v1/search`` (``seeds/animetrace-api.txt``, research section A).

Assumptions, where the docs are silent or the service is known to differ from them:

* **Models are never hard-coded.** The list is fetched, kept in memory for an hour and on disk
  (``<cache>/animetrace-models.json``, written atomically) so the picker still works when the
  service is briefly unreachable: a failed refresh falls back to the last list we saw, however old.
  With no model asked for (argument or ``providers.animetrace.model``) we send the list's
  ``default`` model if it is enabled, else the first enabled one, else no ``model`` field at all
  (the service then uses its own default). A model id that is not listed, or listed as paused, is
  still sent — the service maps old ids to new models — with a warning on the result
  (``CharacterResult.warning``) naming the listed ones.
* **Uploads.** Local files and in-memory bytes go as the multipart ``file`` part; URLs as the
  ``url`` field (the service downloads them itself). ``base64`` is never needed. The size limit is
  unpublished, so images are sent as JPEG, PNG or WEBP (BMP/GIF/others are converted), with the
  long side at most 1280 px and under 1 MB (re-encoded as JPEG when over). On 17701 / HTTP 413 we
  shrink once more (long side ×0.6, half the bytes) and retry automatically; a URL cannot be
  shrunk, so its 17701 is reported with the advice to download it first.
* **Errors: both the HTTP status and the body ``code`` count.** A JSON body whose ``code`` is not a
  success code (0, 200, 17720, 17721) is an error whatever the status; a success code with an
  HTTP error status is an error by status; a body that is not JSON is judged by its status alone;
  a JSON-typed body that does not parse is "an unexpected answer". Messages quote the service's
  ``message``/``zh_message`` (through :func:`server_text`) and its ``trace_id`` when present.
* **Code → error class** (table in :data:`CODES`): 17702/17731/17706 busy (retried with backoff),
  17704 maintenance (busy, not retried), 17728 quota, 17737 and HTTP 429 rate limit (honouring
  ``Retry-After``), 17701/17705/17708 unsupported input, 17703/17722/17729 bad input, everything
  else (17707, 17709–17712, 17799, -1, 404, unknown codes) a server error. 17711 ("please
  retry") and bare HTTP 5xx are retried: recognition has no side effect worth protecting.
* **Searches count against a usage limit** (17728 "Usage limit reached"), so ``POST /v1/search``
  is sent as a credit-spending request (``net.send(charged=True)``): a failure after it may have
  reached the service (a drop, a timeout, an unreadable or oversized answer) is ``maybe_charged``
  and not retried. The coded refusals above (busy, "please retry") are still retried: the service
  said the search was not done. **Redirects**: a search never follows one (it carries the photo);
  the model list follows one only to the same origin as ``base_url``.
* **Result parsing is defensive.** ``box`` must hold 4 numbers (the older API's 5th, a confidence,
  is dropped), each clamped to 0–1 and ordered; a detection with an unusable box keeps its
  candidates with the whole image as its box. A candidate without a character name is skipped; a
  missing work becomes "". The older ``char[{name, cartoonname}]`` shape is read too. ``ai`` is
  ``None`` when AI detection was not asked for.

Changed after the fidelity audit (issue 12), with the evidence:

* **Model ids are the service's business.** Any id not in ``/v1/model/list`` used to be refused
  here — the docs' own example ``animetrace_high_beta`` and old ids like ``pre_stable`` included —
  but the service maps old ids to new models (an SDK maintainer, July 2026). Now the id asked for
  is sent as it is, with a warning when it is not listed (or listed as paused); a 17729 (unknown
  model) or 17703 (wrong parameters) refreshes the cached model list at once and names the listed
  models in the message. The simulator maps old ids as the service does.
* **``is_multi=0`` is not trimmed here.** ``--single`` sends ``is_multi=0``; how many candidates
  come back is the service's answer, shown as it is (we used to keep one per box).
* **Codes the docs list with no HTTP status** ("-": 17703, 17705, 17708, 17722, 17728) are
  handled both as HTTP 200 + ``code`` and with an HTTP error status (tested against the simulator
  both ways).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from animetui.config import atomic_write_bytes
from animetui.errors import (
    AnimetuiError,
    BadInput,
    Busy,
    QuotaError,
    RateLimited,
    ServerError,
    Unsupported,
)
from animetui.models import Candidate, CharacterResult, Detection, ImageSource, ModelInfo
from animetui.net import json_body, parse_retry_after, retrying, send
from animetui.pictures import offload, sources
from animetui.providers.base import ProviderContext, as_bool, as_float, as_int, server_text

NAME = "animetrace"
TITLE = "AnimeTrace"
MODELS_TTL = 3600.0
CACHE_FILE = "animetrace-models.json"

#: what we upload (the service also reads BMP/GIF, but they are big or animated: convert)
UPLOAD_FORMATS = ("JPEG", "PNG", "WEBP")
MAX_SIDE = 1280
MAX_BYTES = 1_000_000
#: the automatic second try after 17701 / HTTP 413
SHRINK_FACTOR = 0.6
MIN_SHRUNK_SIDE = 320

SUCCESS_CODES = frozenset({0, 200, 17720, 17721})
MAINTENANCE = 17704


@dataclass(frozen=True, slots=True)
class CodeInfo:
    kind: type[AnimetuiError]
    text: str
    retryable: bool = False


#: Every code the docs list or clients report, with what we tell the user.
CODES: dict[int, CodeInfo] = {
    17701: CodeInfo(Unsupported, "the image is too large for AnimeTrace"),
    17702: CodeInfo(Busy, "AnimeTrace is busy; try again in a moment", True),
    17703: CodeInfo(BadInput, "AnimeTrace rejected the request parameters"),
    17704: CodeInfo(Busy, "AnimeTrace is under maintenance; try again later"),
    17705: CodeInfo(Unsupported, "AnimeTrace cannot read this image format; try a JPEG, PNG or WEBP"),
    17706: CodeInfo(Busy, "AnimeTrace could not finish the recognition (internal error); try again", True),
    17707: CodeInfo(ServerError, "AnimeTrace had an internal error"),
    17708: CodeInfo(Unsupported, "too many people in the image for AnimeTrace; crop it to fewer characters"),
    17709: CodeInfo(ServerError, "AnimeTrace could not load its statistics"),
    17710: CodeInfo(ServerError, "AnimeTrace asked for an image captcha, which animetui cannot answer"),
    17711: CodeInfo(ServerError, "AnimeTrace could not prepare the recognition; try again", True),
    17712: CodeInfo(ServerError, "AnimeTrace wanted an image file name"),
    17722: CodeInfo(
        BadInput,
        "AnimeTrace could not download the URL (private or expiring links fail); "
        "download the image and search the file instead",
    ),
    17728: CodeInfo(QuotaError, "AnimeTrace's usage limit is reached; try again later (usually tomorrow)"),
    17729: CodeInfo(BadInput, "AnimeTrace does not know the selected model"),
    17731: CodeInfo(Busy, "AnimeTrace has too many users right now; try again in a moment", True),
    17737: CodeInfo(RateLimited, "too many requests to AnimeTrace; slow down", True),
    17799: CodeInfo(ServerError, "AnimeTrace reported an unknown error"),
    -1: CodeInfo(ServerError, "AnimeTrace reported a failure on its side"),
    404: CodeInfo(ServerError, "AnimeTrace answered 'page not found' (check providers.animetrace.base_url)"),
}


def default_model(models: Sequence[ModelInfo]) -> ModelInfo | None:
    """The model to preselect: ``default`` and enabled, else the first enabled, else None."""
    for model in models:
        if model.default and model.enabled:
            return model
    return next((m for m in models if m.enabled), None)


class AnimeTraceProvider:
    name = NAME

    def __init__(self, ctx: ProviderContext, *, clock: Callable[[], float] = time.time) -> None:
        self.ctx = ctx
        #: wall clock for the model cache (tests inject their own)
        self.clock = clock
        self._models: list[ModelInfo] | None = None
        self._models_at = -math.inf
        self._models_lock = asyncio.Lock()

    # ------------------------------------------------------------------ models
    async def list_models(self, *, refresh: bool = False) -> list[ModelInfo]:
        """All models, paused ones included (``enabled=False``); cached for an hour."""
        async with self._models_lock:
            now = self.clock()
            if not refresh and self._models is not None and now - self._models_at < MODELS_TTL:
                return list(self._models)
            if not refresh and self._models is None:
                cached = self._read_cache()
                if cached is not None:
                    self._models, self._models_at = cached
                    if now - self._models_at < MODELS_TTL:
                        return list(self._models)
            try:
                models = await retrying(self._fetch_models, policy=self.ctx.retry, sleep=self.ctx.sleep, should_retry=_should_retry)
            except AnimetuiError:
                stale = self._models if self._models is not None else (self._read_cache() or (None, 0.0))[0]
                if stale:
                    self._models = stale
                    return list(stale)  # offline-ish: the last list we saw beats no list
                raise
            self._models, self._models_at = models, now
            self._write_cache(models, now)
            return list(models)

    async def default_model(self) -> ModelInfo | None:
        """The model recognitions use when none is named (see :func:`default_model`)."""
        return default_model(await self.list_models())

    async def _fetch_models(self) -> list[ModelInfo]:
        await self.ctx.limiter.acquire()
        response = await send(self.ctx.client, "GET", "/v1/model/list", provider=NAME)
        body = self._check(response)
        data = body.get("data")
        if not isinstance(data, list):
            raise ServerError("unexpected answer from AnimeTrace: the model list has no data", provider=NAME)
        models = [m for m in (_parse_model(item) for item in data) if m is not None]
        return models

    def _cache_path(self) -> Path | None:
        return None if self.ctx.cache_dir is None else self.ctx.cache_dir / CACHE_FILE

    def _read_cache(self) -> tuple[list[ModelInfo], float] | None:
        path = self._cache_path()
        if path is None:
            return None
        try:
            document = json.loads(path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(document, dict) or document.get("base_url") != self._base_url():
            return None
        fetched = as_float(document.get("fetched_at"))
        items = document.get("models")
        if fetched is None or not isinstance(items, list):
            return None
        models = [m for m in (_parse_model(item) for item in items) if m is not None]
        return models, fetched

    def _write_cache(self, models: list[ModelInfo], fetched_at: float) -> None:
        path = self._cache_path()
        if path is None:
            return
        document = {
            "version": 1,
            "base_url": self._base_url(),
            "fetched_at": fetched_at,
            "models": [
                {
                    "id": m.id,
                    "name": m.name,
                    "provider": m.provider,
                    "enabled": m.enabled,
                    "default": m.default,
                    "desc": {"en": m.description},
                }
                for m in models
            ],
        }
        try:
            atomic_write_bytes(path, json.dumps(document, ensure_ascii=False, indent=1).encode("utf-8"))
        except OSError:
            pass  # a cache we cannot write is not worth failing a lookup for

    def _base_url(self) -> str:
        return str(self.ctx.client.base_url).rstrip("/")

    # ------------------------------------------------------------------ recognition
    async def recognize(
        self,
        source: ImageSource,
        *,
        model: str | None = None,
        multi: bool = True,
        ai_detect: bool = True,
    ) -> CharacterResult:
        """Detected characters, best candidate first. No characters → empty ``detections``."""
        chosen, warning = await self._resolve_model(model)
        fields = {"is_multi": "1" if multi else "0", "ai_detect": "1" if ai_detect else "0"}
        if chosen:
            fields["model"] = chosen

        if source.url is not None:
            url = source.url.strip()
            if not url.lower().startswith(("http://", "https://")):
                raise BadInput(f"not an http(s) URL: {server_text(url, limit=120)}", provider=NAME)
            try:
                body = await self._search(fields, url=url)
            except Unsupported as exc:
                if exc.code in (17701, 413):
                    raise Unsupported(
                        f"{exc.message}; the image at the URL is too large for AnimeTrace to take — "
                        "download it and search the file (animetui shrinks files before sending)",
                        provider=NAME,
                        code=exc.code,
                    ) from None
                raise
            return _parse_result(body, model=chosen or None, ai_detect=ai_detect, warning=warning)

        prepared = await offload.run(_prepare, source)
        try:
            body = await self._search(fields, upload=prepared)
        except Unsupported as exc:
            if exc.code not in (17701, 413):
                raise
            smaller = await offload.run(_shrink, source, prepared)
            try:
                body = await self._search(fields, upload=smaller)
            except Unsupported as again:
                if again.code not in (17701, 413):
                    raise
                raise Unsupported(
                    f"the image is too large for AnimeTrace even shrunk to {smaller.width}×{smaller.height} px "
                    f"({sources.human_bytes(len(smaller.data))}); crop it and try again",
                    provider=NAME,
                    code=again.code,
                ) from None
        return _parse_result(body, model=chosen or None, ai_detect=ai_detect, warning=warning)

    async def _resolve_model(self, requested: str | None) -> tuple[str, str]:
        """(the model id to send, "" or a warning about it)."""
        wanted = (requested if requested is not None else str(self.ctx.settings.get("model") or "")).strip()
        try:
            models = await self.list_models()
        except AnimetuiError:
            # No list, not even a cached one: send what was asked (the service checks it) or
            # nothing (the service uses its default).
            return wanted, ""
        if not wanted:
            picked = default_model(models)
            return (picked.id if picked else ""), ""
        return wanted, _model_warning(wanted, models)

    async def _search(
        self,
        fields: dict[str, str],
        *,
        url: str | None = None,
        upload: sources.PreparedImage | None = None,
    ) -> dict[str, Any]:
        # multipart/form-data as documented, also for the url field ((None, value) = a plain part)
        parts: dict[str, Any] = {key: (None, value) for key, value in fields.items()}
        if url is not None:
            parts["url"] = (None, url)
        if upload is not None:
            parts["file"] = (upload.filename, upload.data, upload.content_type)

        async def attempt() -> dict[str, Any]:
            await self.ctx.limiter.acquire()
            response = await send(self.ctx.client, "POST", "/v1/search", provider=NAME, charged=True, files=parts)
            return self._check(response)

        try:
            return await retrying(attempt, policy=self.ctx.retry, sleep=self.ctx.sleep, should_retry=_should_retry)
        except BadInput as exc:
            if exc.code in (17729, 17703) and "model" in fields:
                # the model is unknown or its parameters wrong: our list may be stale, fetch it now
                self._models_at = -math.inf
                with contextlib.suppress(AnimetuiError):
                    await self.list_models(refresh=True)
                enabled = ", ".join(m.id for m in self._models or () if m.enabled)
                if enabled:
                    raise BadInput(f"{exc.message}; listed models: {enabled}", provider=NAME, code=exc.code) from None
            raise

    # ------------------------------------------------------------------ answers
    def _check(self, response: httpx.Response) -> dict[str, Any]:
        """The JSON body of a successful answer, or the right error (status and body code both count)."""
        status = response.status_code
        content_type = response.headers.get("content-type", "").lower()
        body = json_body(response)
        if body is None:
            if status >= 400:
                raise self._status_error(response, {})
            what = "malformed JSON" if "json" in content_type else f"not JSON ({content_type or 'no content type'})"
            raise ServerError(f"unexpected answer from AnimeTrace: {what} (HTTP {status})", provider=NAME, code=status)
        if not isinstance(body, dict):
            if status >= 400:
                raise self._status_error(response, {})
            raise ServerError(f"unexpected answer from AnimeTrace: a JSON {type(body).__name__}, not an object", provider=NAME, code=status)

        code = as_int(body.get("code"))
        new_code = as_int(body.get("new_code"))  # older API: code 0 plus new_code 17720
        if code is not None and code not in SUCCESS_CODES:
            raise self._code_error(code, response, body)
        if new_code is not None and new_code not in SUCCESS_CODES:
            raise self._code_error(new_code, response, body)
        if status >= 400:
            raise self._status_error(response, body)
        if code is None and "data" not in body:
            raise ServerError("unexpected answer from AnimeTrace: no code and no data", provider=NAME, code=status)
        return body

    def _code_error(self, code: int, response: httpx.Response, body: dict[str, Any]) -> AnimetuiError:
        info = CODES.get(code)
        suffix = _suffix(body)
        if info is None:
            return ServerError(f"AnimeTrace answered with error code {code}{suffix}", provider=NAME, code=code)
        text = info.text + suffix
        if info.kind is RateLimited:
            retry_after = parse_retry_after(response.headers)
            if retry_after is not None:
                self.ctx.limiter.block_for(retry_after)
            return RateLimited(text, retry_after=retry_after, provider=NAME, code=code)
        if info.kind is Busy:
            return Busy(text, retry_after=parse_retry_after(response.headers), provider=NAME, code=code)
        if info.kind is ServerError:
            return ServerError(text, provider=NAME, code=code, retryable=info.retryable)
        return info.kind(text, provider=NAME, code=code)

    def _status_error(self, response: httpx.Response, body: dict[str, Any]) -> AnimetuiError:
        status = response.status_code
        suffix = _suffix(body)
        retry_after = parse_retry_after(response.headers)
        if status == 429:
            if retry_after is not None:
                self.ctx.limiter.block_for(retry_after)
            return RateLimited(f"too many requests to AnimeTrace (HTTP 429); slow down{suffix}", retry_after=retry_after, provider=NAME, code=429)
        if status == 413:
            return Unsupported(f"the image is too large for AnimeTrace (HTTP 413){suffix}", provider=NAME, code=413)
        if status == 503:
            return Busy(f"AnimeTrace is busy (HTTP 503); try again in a moment{suffix}", retry_after=retry_after, provider=NAME, code=503)
        if status == 403:
            return Busy(f"AnimeTrace refused the request (HTTP 403: under maintenance or blocked); try again later{suffix}", provider=NAME, code=403)
        if status in (415, 422):
            return Unsupported(f"AnimeTrace cannot read this image (HTTP {status}); try a JPEG, PNG or WEBP{suffix}", provider=NAME, code=status)
        if status == 404:
            return ServerError(f"AnimeTrace answered 404 (check providers.animetrace.base_url){suffix}", provider=NAME, code=404)
        if status >= 500:
            return ServerError(f"AnimeTrace had a server error (HTTP {status}){suffix}", provider=NAME, code=status, retryable=True)
        return ServerError(f"AnimeTrace answered HTTP {status}{suffix}", provider=NAME, code=status)


def _should_retry(exc: AnimetuiError) -> bool:
    return exc.retryable and exc.code not in (MAINTENANCE, 403)


def _suffix(body: dict[str, Any]) -> str:
    """' — server said: …; trace id …' from an error body (empty when it has neither)."""
    said = server_text(body.get("message"), limit=160) or server_text(body.get("zh_message"), limit=160)
    trace = server_text(body.get("trace_id"), limit=80)
    out = f" — server said: {said}" if said else ""
    if trace:
        out += f" (trace id {trace})"
    return out


# --------------------------------------------------------------------------- parsing
def _parse_model(item: object) -> ModelInfo | None:
    if not isinstance(item, dict):
        return None
    model_id = server_text(item.get("id"), limit=120)
    if not model_id:
        return None
    desc = item.get("desc")
    if isinstance(desc, dict):
        description = next((server_text(desc.get(lang), limit=500) for lang in ("en", "ja", "zh") if server_text(desc.get(lang))), "")
    else:
        description = server_text(desc, limit=500)
    return ModelInfo(
        id=model_id,
        name=server_text(item.get("name"), limit=120) or model_id,
        provider=server_text(item.get("provider"), limit=60),
        enabled=as_bool(item.get("enabled"), default=True),
        default=as_bool(item.get("default"), default=False),
        description=description,
    )


def _parse_box(value: object) -> tuple[float, float, float, float] | None:
    if not isinstance(value, (list, tuple)) or len(value) not in (4, 5):
        return None
    parsed = [as_float(v) for v in value[:4]]
    numbers = [n for n in parsed if n is not None and math.isfinite(n)]
    if len(numbers) != 4:
        return None
    x1, y1, x2, y2 = (min(1.0, max(0.0, n)) for n in numbers)
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def _parse_candidate(item: object) -> Candidate | None:
    if not isinstance(item, dict):
        return None
    character = server_text(item.get("character")) or server_text(item.get("name"))
    if not character:
        return None
    work = server_text(item.get("work")) or server_text(item.get("cartoonname"))
    return Candidate(character=character, work=work)


def _model_warning(wanted: str, models: Sequence[ModelInfo]) -> str:
    """"" when ``wanted`` is listed and enabled, else a one-line warning (it is sent anyway)."""
    match = next((m for m in models if m.id == wanted), None)
    if match is not None and match.enabled:
        return ""
    listed = ", ".join(m.id for m in models if m.enabled) or "none right now"
    name = server_text(wanted, limit=80)
    if match is not None:
        return f"model {name} is listed as paused on AnimeTrace; sent anyway (enabled models: {listed})"
    by_name = next((m for m in models if m.name == wanted), None)
    hint = f" (it is the display name of {by_name.id})" if by_name is not None else ""
    return f"model {name} is not in AnimeTrace's model list{hint}; sent anyway, the service may map it (listed: {listed})"


def _parse_result(body: dict[str, Any], *, model: str | None, ai_detect: bool, warning: str = "") -> CharacterResult:
    data = body.get("data")
    if data is None:
        data = []
    if not isinstance(data, list):
        raise ServerError("unexpected answer from AnimeTrace: data is not a list", provider=NAME)
    detections = []
    for item in data:
        if not isinstance(item, dict):
            continue
        raw = item.get("character")
        if not isinstance(raw, list):
            char = item.get("char")
            raw = char if isinstance(char, list) else []
        candidates = tuple(c for c in (_parse_candidate(x) for x in raw) if c is not None)
        detections.append(
            Detection(
                box=_parse_box(item.get("box")) or (0.0, 0.0, 1.0, 1.0),
                candidates=candidates,
                not_confident=as_bool(item.get("not_confident")),
                box_id=server_text(item.get("box_id"), limit=80),
            )
        )
    ai = body.get("ai")
    return CharacterResult(
        detections=tuple(detections),
        ai=(as_bool(ai) if isinstance(ai, (bool, int)) else None) if ai_detect else None,
        trace_id=server_text(body.get("trace_id"), limit=80),
        model=model,
        warning=warning,
    )


# --------------------------------------------------------------------------- images (animetui.pictures.offload)
def _source_bytes(source: ImageSource) -> bytes:
    return sources.read_source(source.path) if source.path is not None else (source.data or b"")


def _prepare(source: ImageSource) -> sources.PreparedImage:
    return sources.prepare_upload(
        _source_bytes(source),
        label=source.label,
        formats=UPLOAD_FORMATS,
        max_bytes=MAX_BYTES,
        max_side=MAX_SIDE,
        service=TITLE,
    )


def _shrink(source: ImageSource, previous: sources.PreparedImage) -> sources.PreparedImage:
    """The second try after 17701: a smaller JPEG, aiming at half the bytes of the first."""
    original, label = _source_bytes(source), source.label
    side = max(MIN_SHRUNK_SIDE, int(max(previous.width, previous.height) * SHRINK_FACTOR))
    try:
        return sources.prepare_upload(
            original,
            label=label,
            formats=("JPEG",),
            max_bytes=max(50_000, len(previous.data) // 2),
            max_side=side,
            service=TITLE,
        )
    except Unsupported:
        # half the bytes is out of reach at this size: send the smaller picture anyway
        return sources.prepare_upload(original, label=label, formats=("JPEG",), max_side=side, service=TITLE)


def create(ctx: ProviderContext) -> AnimeTraceProvider:
    return AnimeTraceProvider(ctx)
