"""The provider contract: small capability protocols, and what every provider shares.

A provider implements the capabilities its service has (harlequin's adapter habit):

* :class:`CharacterRecognizer` — AnimeTrace
* :class:`SceneSearcher`, :class:`RankingsSource`, :class:`AccountProvider` — whatanimeisthis
* :class:`ImageGenerator` — AnimeAPI
* :class:`Cartoonizer` — AILabTools
* :class:`PaidWork` — both of those: what the job runner needs to know about a request that costs
  money or credits (its price, whether an error proves nothing was charged, the rate-limit wait)

Rules every implementation follows:

* Domain types in, domain types out (``animetui.models``); never a dict or an httpx object.
* Every failure is one of ``animetui.errors``; messages are written for a user, contain no secret,
  and quote server text only through :func:`server_text` (a data normaliser: length-capped, the
  characters :func:`animetui.text.safe` escapes removed); whatever reaches the terminal still goes
  through :func:`animetui.text.safe` where it is shown.
* Parse defensively: unknown fields ignored, missing optional fields tolerated; a body that is not
  what the docs say is a :class:`~animetui.errors.ServerError`, never a ``KeyError``.
* Retry only what is safe: idempotent reads, and writes the service says were not done. A paid
  request that may have been charged is never retried automatically.
* CPU work (image decode/convert) runs in a thread (``asyncio.to_thread``).
* No import from ``animetui.ui`` or Textual.
"""

from __future__ import annotations

import asyncio
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import httpx

from animetui.errors import AnimetuiError
from animetui.models import (
    ApiKey,
    ApiKeyPage,
    CharacterResult,
    Credits,
    GeneratedImage,
    GenerateRequest,
    ImageSource,
    ModelInfo,
    Ranking,
    RecentSearch,
    SceneResult,
    Session,
    TaskInfo,
)
from animetui.net import RateLimiter, RetryPolicy, Sleep
from animetui.text import without_controls


@dataclass(slots=True)
class ProviderContext:
    """What a provider is built with. Tests build one around a simulator transport."""

    name: str
    settings: dict[str, Any]  # this provider's section of the settings (base_url, api_key, …)
    client: httpx.AsyncClient
    limiter: RateLimiter
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    cache_dir: Path | None = None
    data_dir: Path | None = None
    sleep: Sleep = asyncio.sleep
    #: the machine-wide count of the documented limits (``animetui.limits``); None: in memory only
    shared_limits: Any = None


def server_text(value: object, *, limit: int = 300, default: str = "") -> str:
    """A string from a server, normalised as *data*: a ``str`` (numbers converted), stripped, with
    the characters :func:`animetui.text.safe` would escape deleted (:func:`animetui.text.without_controls`:
    escape sequences, C1, bidi overrides, invisible format characters, lone surrogates; line breaks
    and tabs kept) and the length capped.

    This is not the display sanitiser and never replaces it: what a provider returns is stored,
    exported and compared, and shown only through :func:`animetui.text.safe` (which would escape
    anything left, e.g. the kept line breaks in a table cell). One definition of "unsafe" serves both.
    Rich markup is not escaped here either — the UI puts text in ``rich.text.Text``.
    """
    if value is None:
        return default
    if not isinstance(value, str):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)
        else:
            return default
    cleaned = without_controls(value).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1] + "…"
    return cleaned


def as_float(value: object) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip())
        except ValueError:
            return None
    return None


def as_int(value: object) -> int | None:
    number = as_float(value)
    if number is None or number != number:  # NaN
        return None
    return int(number)


def as_bool(value: object, default: bool = False) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return bool(value)
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes")
    return default


def seconds_of(value: object) -> float | None:
    """A finite, non-negative number of seconds (or similarity), else None."""
    number = as_float(value)
    if number is None or not math.isfinite(number) or number < 0:
        return None
    return number


def episode_of(value: object) -> str | None:
    """A scene engine's episode (trace.moe follows aniep): number / string / list / null → text or None ("12", "12.5", "3–4", "1, 3, 5")."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            return None
        return str(int(value)) if float(value).is_integer() else f"{value:g}"
    if isinstance(value, str):
        return server_text(value, limit=40) or None
    if isinstance(value, list):
        parts = [p for p in (episode_of(v) for v in value[:20] if not isinstance(v, (list, dict))) if p]
        if not parts:
            return None
        return "–".join(parts) if len(parts) == 2 else ", ".join(parts)
    return None


@runtime_checkable
class CharacterRecognizer(Protocol):
    name: str

    async def list_models(self, *, refresh: bool = False) -> list[ModelInfo]:
        """All models the service lists (paused ones included, ``enabled=False``), cached ~1 h."""

    async def recognize(
        self,
        source: ImageSource,
        *,
        model: str | None = None,
        multi: bool = True,
        ai_detect: bool = True,
    ) -> CharacterResult:
        """Detected characters, best candidate first. No characters → empty ``detections``."""


@runtime_checkable
class SceneSearcher(Protocol):
    name: str

    async def search_scene(self, source: ImageSource) -> SceneResult:
        """Up to 5 matches, best first. Nothing found → empty ``matches``."""


@runtime_checkable
class RankingsSource(Protocol):
    name: str

    async def rankings(self, *, period: str = "all", limit: int = 50, include_adult: bool = False) -> list[Ranking]:
        """Most searched anime for ``period`` (daily|weekly|monthly|yearly|all)."""

    async def recent_searches(self, *, limit: int = 20, offset: int = 0) -> list[RecentSearch]:
        """Recently confirmed public searches, newest first; an empty list past the end."""


@runtime_checkable
class AccountProvider(Protocol):
    name: str

    async def sign_in(self, email: str, password: str) -> Session:
        """Sign in and keep the session (whole cookie jar, 0600 on disk)."""

    async def sign_out(self) -> None:
        """Forget the stored session."""

    @property
    def session(self) -> Session | None:
        """The current session, if signed in."""

    async def credits(self) -> Credits:
        """Search credits left (signed in), or the guest allowance."""

    async def list_keys(self, *, page: int = 1, page_size: int = 20) -> ApiKeyPage:
        """The signed-in user's API keys, masked."""

    async def create_key(self, title: str) -> ApiKey:
        """A new key; ``plaintext`` is set this once."""


@runtime_checkable
class ImageGenerator(Protocol):
    name: str

    async def generate(self, request: GenerateRequest) -> GeneratedImage:
        """One paid generation. Never retried automatically once sent."""


@runtime_checkable
class Cartoonizer(Protocol):
    name: str

    async def submit(self, source: ImageSource, *, style: int) -> str:
        """Start an async task; returns its task id."""

    async def query(self, task_id: str) -> TaskInfo:
        """The task as it is now."""

    async def credits(self) -> Credits:
        """Credits left on the account."""


@runtime_checkable
class PaidWork(Protocol):
    """A provider whose requests cost money or credits; the job runner (``animetui.jobs``) asks
    these, and nothing else, about it."""

    name: str
    #: the documented price of one request in US dollars (journalled with the job); None when the
    #: service charges in credits
    cost_usd: float | None

    def is_safe_to_resubmit(self, exc: AnimetuiError) -> bool:
        """True only when ``exc`` proves the request was refused before any work (nothing was
        charged), so sending it again later is safe. Never for a ``maybe_charged`` error."""
        ...

    def slot_wait(self) -> float:
        """Seconds until this provider's rate limiter lets the next request go (0: now). The
        runner waits this out *before* it journals "submitting", so that state means "on the wire"."""
        ...


def wait_text(seconds: float | None) -> str:
    """The "; retry in …" tail of a limit message (empty when the wait is unknown)."""
    if seconds is None:
        return ""
    if seconds < 90:
        return f"; retry in {max(1, math.ceil(seconds))} s"
    if seconds < 5400:
        return f"; retry in about {math.ceil(seconds / 60)} min"
    return f"; retry in about {seconds / 3600:.1f} h"
