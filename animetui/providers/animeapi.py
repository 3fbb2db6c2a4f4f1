"""AnimeAPI (api.animeapi.com): paid text-to-image, one ``POST /api/generate`` per image.

Every image costs money ($0.009), so this module is built around one rule: **a request that may
have been charged is never sent twice automatically.** A timeout, a connection dropped after the
request went out, a 5xx, or a 200 we cannot read all raise an error with ``maybe_charged=True``
and a message telling the user to check their balance; none is retryable. Only a 429 is known to
be refused before any work, so only :class:`~animetui.errors.RateLimited` is safe to resubmit
(:func:`is_safe_to_resubmit`, used by the job runner).

Assumptions where the docs (seeds/animeapi-api.txt, research §C) are silent:

* Errors come as ``{"error": <text>, "code": <CODE>}`` (the documented 401/402/429/500 bodies);
  an error without that shape is still mapped by status. A 429 whose code (or text) says "daily"
  is the 5,000-a-day limit (:class:`~animetui.errors.QuotaError`); any other 429 is the
  per-minute limit (:class:`~animetui.errors.RateLimited`).
* The per-minute limit may be counted over a sliding 60 s window, so the client never sends more
  than ``requests_per_minute`` requests in any 60 s (the registry's token bucket alone lets up to
  twice that through in its first minute): the registry (``animetui.providers``) gives the limiter a 60 s window. A 429
  blocks the limiter for ``Retry-After`` seconds (one slot, 60/rpm s, when the header is missing).
* "max 1000 characters" is counted in Unicode code points, after trimming surrounding
  whitespace (which is not sent). If the service counts differently its 400 comes back as
  :class:`~animetui.errors.BadInput` with its own message (a 400 is not charged).
* ``allowNSFW`` defaults to *true* on the service, so it is always sent explicitly, as are
  ``orientation`` and ``enhance``: the request never depends on a server default.
* There is no balance endpoint: the only balance signal is ``balance_usd`` in each success.
  :attr:`AnimeAPIProvider.last_balance_usd` keeps the last one seen (None until then), in memory.
* ``image_url`` is an absolute http(s) URL on another host (a CDN), fetched without credentials
  (``Providers.downloads``); a relative URL is resolved against ``base_url``. ``balance_usd`` and
  ``generation_time_ms`` may be missing, or numbers sent as strings ("$9.99" included).
* A 403 is treated like a 401 (a disabled key); other 4xx are refusals (not charged).
* **Redirects are never followed** for ``POST /api/generate``: it is paid and carries the key, so
  it goes once, to ``base_url``, and a 3xx answer is a :class:`~animetui.errors.ServerError` with
  ``maybe_charged`` (nothing is sent to the ``Location``, same host or not). An answer over
  ``net.MAX_JSON_BYTES``, an unreadable one (a broken ``Content-Encoding``) or no complete answer
  within the timeout (a whole-request deadline) also says "may have been charged".

Changed after the fidelity audit (issue 12), with the evidence:

* **The limits are counted once per machine.** Twelve ``animetui generate`` runs in 62 s got a 429
  on the 11th: each process counted its own requests. Now the registry gives the limiter an
  :class:`animetui.limits.SharedBucket` (SQLite in the data dir, ``BEGIN IMMEDIATE``): 10 in any
  60 s (+1 s for the time a request takes to arrive) and 5,000 a UTC day per key, for the TUI and
  every CLI run together; a 429's ``Retry-After`` blocks every process. Tested with twelve CLI
  processes at once against the loopback simulator (``tests/test_limits.py``).
* ``requests_per_minute`` cannot be set above the documented 10 (a config file saying more is
  refused at load, and the registry clamps it too); a lower value is kept as a stricter limit.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from animetui.errors import (
    AnimetuiError,
    AuthError,
    BadInput,
    QuotaError,
    RateLimited,
    ServerError,
)
from animetui.models import Credits, GeneratedImage, GenerateRequest, Orientation
from animetui.net import json_body, parse_retry_after, send
from animetui.providers.base import ProviderContext, as_float, server_text
from animetui.providers.specs.animeapi import COST_USD

NAME = "animeapi"
TITLE = "AnimeAPI"
GENERATE_PATH = "/api/generate"
MAX_PROMPT = 1000
DAILY_LIMIT = 5_000
WINDOW_SECONDS = 60.0

_KEY_HELP = "set providers.animeapi.api_key (animetui config set providers.animeapi.api_key ank_…) or the ANIMETUI_ANIMEAPI_KEY environment variable"
_CHARGED_HINT = "the request may have been charged — check your balance in the AnimeAPI dashboard before trying again"
_SENDABLE_KEY = re.compile(r"^[\x21-\x7e]+$")  # a header value: printable ASCII, no spaces


def is_safe_to_resubmit(exc: BaseException) -> bool:
    """True when ``exc`` proves the request was refused before any work (so it was not charged).

    Only a 429 (:class:`RateLimited`) qualifies. Everything else either will fail again the same
    way (401, 402, 400, the daily limit) or may have been charged (timeouts, drops, 5xx).
    """
    return isinstance(exc, RateLimited)


class AnimeAPIProvider:
    """:class:`~animetui.providers.base.ImageGenerator` and :class:`~animetui.providers.base.PaidWork` for AnimeAPI."""

    name = NAME

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        #: the balance in USD from the last successful generation (None until the first one)
        self.last_balance_usd: float | None = None

    # ------------------------------------------------------------------ helpers for callers
    @property
    def requests_per_minute(self) -> int:
        try:
            return max(1, int(self.ctx.settings.get("requests_per_minute", 10)))
        except (TypeError, ValueError):
            return 10

    def make_request(
        self,
        prompt: str,
        *,
        orientation: Orientation | str | None = None,
        allow_nsfw: bool | None = None,
        enhance: bool | None = None,
    ) -> GenerateRequest:
        """A :class:`GenerateRequest` with this provider's configured defaults filled in."""
        settings = self.ctx.settings
        chosen = orientation if orientation is not None else settings.get("orientation", "portrait")
        return GenerateRequest(
            prompt=prompt,
            orientation=_orientation(chosen),
            allow_nsfw=bool(settings.get("allow_nsfw", False)) if allow_nsfw is None else allow_nsfw,
            enhance=bool(settings.get("enhance", True)) if enhance is None else enhance,
        )

    # ------------------------------------------------------------------ PaidWork (the job runner)
    #: the documented price of one image
    cost_usd: float | None = COST_USD

    def is_safe_to_resubmit(self, exc: BaseException) -> bool:
        return is_safe_to_resubmit(exc)

    def slot_wait(self) -> float:
        return self.ctx.limiter.wait_time()

    async def credits(self) -> Credits:
        """The last balance seen; AnimeAPI has no balance endpoint, so this sends nothing."""
        if self.last_balance_usd is None:
            detail = "unknown until the first image is generated (AnimeAPI reports it with each image)"
        else:
            images = int(self.last_balance_usd / COST_USD + 1e-9)
            detail = f"as of the last image; about {images:,} more at ${COST_USD} each"
        return Credits(provider=NAME, remaining=self.last_balance_usd, unit="usd", detail=detail)

    # ------------------------------------------------------------------ the paid call
    async def generate(self, request: GenerateRequest) -> GeneratedImage:
        """One paid generation. Never retried automatically once sent."""
        key = self._key()
        prompt = _checked_prompt(request.prompt)
        payload = {
            "prompt": prompt,
            "orientation": _orientation(request.orientation).value,
            "allowNSFW": bool(request.allow_nsfw),
            "enhance": bool(request.enhance),
        }
        await self.ctx.limiter.acquire()
        try:
            response = await send(
                self.ctx.client,
                "POST",
                GENERATE_PATH,
                provider=NAME,
                charged=True,
                json=payload,
                headers={"Authorization": f"Bearer {key}", "Content-Type": "application/json"},
            )
        finally:  # the service saw it by now: the machine-wide window counts it from here
            await self.ctx.limiter.sent()
        body = json_body(response)
        if response.status_code == 200:
            return self._success(body)
        raise self._failure(response, body)

    # ------------------------------------------------------------------ internals
    def _key(self) -> str:
        key = str(self.ctx.settings.get("api_key") or "").strip()
        if not key:
            raise AuthError(f"no AnimeAPI key is set: {_KEY_HELP}; keys are made in your AnimeAPI dashboard", provider=NAME)
        if not _SENDABLE_KEY.match(key):
            raise AuthError(
                f"the AnimeAPI key contains spaces or characters that cannot be sent; paste it again: {_KEY_HELP}",
                provider=NAME,
            )
        return key

    def _success(self, body: object) -> GeneratedImage:
        if not isinstance(body, dict):
            raise ServerError(
                f"AnimeAPI answered 200 but not with JSON; the image may have been made and {_CHARGED_HINT}",
                provider=NAME,
                maybe_charged=True,
            )
        balance = _money(body.get("balance_usd"))
        if balance is not None:
            self.last_balance_usd = balance
        image_url = self._image_url(body.get("image_url"))
        if image_url is None:
            raise ServerError(
                f"AnimeAPI answered without an image URL; {_CHARGED_HINT}",
                provider=NAME,
                maybe_charged=True,
            )
        return GeneratedImage(
            image_url=image_url,
            enhanced_prompt=server_text(body.get("enhanced_prompt"), limit=4000),
            balance_usd=balance,
            generation_time_ms=as_float(body.get("generation_time_ms")),
        )

    def _image_url(self, value: object) -> str | None:
        if not isinstance(value, str):
            return None
        url = value.strip()
        if not url or any(ch.isspace() or ord(ch) < 0x20 or ord(ch) == 0x7F for ch in url):
            return None
        if url.startswith("/") and not url.startswith("//"):
            url = str(self.ctx.client.base_url.join(url))
        try:
            parsed = httpx.URL(url)
        except (httpx.InvalidURL, ValueError):
            return None
        if parsed.scheme not in ("http", "https") or not parsed.host:
            return None
        return url

    def _failure(self, response: httpx.Response, body: object) -> AnimetuiError:
        status = response.status_code
        fields: dict[str, Any] = body if isinstance(body, dict) else {}
        code = server_text(fields.get("code"), limit=60) or None
        said = server_text(fields.get("error") or fields.get("message"), limit=300)
        quoted = f" ({said})" if said else ""
        balance = _money(fields.get("balance_usd"))
        if balance is not None:
            self.last_balance_usd = balance

        if status in (401, 403):
            return AuthError(
                f"AnimeAPI rejected the API key{quoted}: check it, or {_KEY_HELP}",
                provider=NAME,
                code=code or status,
            )
        if status == 402:
            known = f" (last known balance ${self.last_balance_usd:.3f})" if self.last_balance_usd is not None else ""
            return QuotaError(
                f"insufficient balance{known}: each image costs ${COST_USD}; top up in your AnimeAPI dashboard",
                provider=NAME,
                code=code or "INSUFFICIENT_BALANCE",
            )
        if status == 429:
            retry_after = parse_retry_after(response.headers)
            if (code or "").upper() == "DAILY_LIMIT_EXCEEDED" or "daily" in said.lower():
                when = f"; it resets in about {_duration(retry_after)}" if retry_after else "; try again tomorrow"
                return QuotaError(
                    f"daily limit of {DAILY_LIMIT:,} images reached{when}",
                    provider=NAME,
                    code=code or "DAILY_LIMIT_EXCEEDED",
                )
            self.ctx.limiter.block_for(retry_after if retry_after is not None else WINDOW_SECONDS / self.requests_per_minute)
            wait = f"; wait {_duration(retry_after)}" if retry_after is not None else ""
            return RateLimited(
                f"too many requests: AnimeAPI allows {self.requests_per_minute} per minute per key{wait} (not charged)",
                retry_after=retry_after,
                provider=NAME,
                code=code or status,
            )
        if status >= 500:
            what = "could not generate the image" if (code or "").upper() == "GENERATION_FAILED" else f"had a server error (HTTP {status})"
            return ServerError(
                f"AnimeAPI {what}{quoted}; {_CHARGED_HINT}",
                provider=NAME,
                code=code or status,
                retryable=False,
                maybe_charged=True,
            )
        if status in (400, 413, 415, 422):
            return BadInput(
                f"AnimeAPI refused the request{quoted or f' (HTTP {status})'}; it was not charged",
                provider=NAME,
                code=code or status,
            )
        if status == 404:
            return ServerError(
                f"AnimeAPI has no {GENERATE_PATH} here (HTTP 404): is providers.animeapi.base_url right?",
                provider=NAME,
                code=code or status,
            )
        return ServerError(
            f"AnimeAPI answered HTTP {status}{quoted}",
            provider=NAME,
            code=code or status,
            maybe_charged=status < 400,  # a 2xx/3xx we do not understand may have done the work
        )


def _orientation(value: object) -> Orientation:
    try:
        return Orientation(str(getattr(value, "value", value)).strip().lower())
    except ValueError:
        choices = ", ".join(o.value for o in Orientation)
        raise BadInput(f"unknown orientation {server_text(value, limit=40)!r}: choose {choices}", provider=NAME) from None


def _checked_prompt(prompt: object) -> str:
    text = prompt.strip() if isinstance(prompt, str) else ""
    if not text:
        raise BadInput("the prompt is empty: describe the image to generate", provider=NAME)
    if len(text) > MAX_PROMPT:
        over = len(text) - MAX_PROMPT
        raise BadInput(
            f"the prompt is {len(text):,} characters, {over:,} over AnimeAPI's limit of {MAX_PROMPT:,}: shorten it",
            provider=NAME,
        )
    return text


def _money(value: object) -> float | None:
    if isinstance(value, str):
        value = value.strip().lstrip("$").replace(",", "")
    number = as_float(value)
    if number is None or number != number or number in (float("inf"), float("-inf")):
        return None
    return number


def _duration(seconds: float | None) -> str:
    if seconds is None:
        return "a moment"
    if seconds < 90:
        return f"{max(1, round(seconds))} s"
    if seconds < 90 * 60:
        return f"{round(seconds / 60)} min"
    return f"{seconds / 3600:.1f} h"


def create(ctx: ProviderContext) -> AnimeAPIProvider:
    # The registry (animetui.providers) gives the limiter its 60 s window.
    return AnimeAPIProvider(ctx)
