"""HTTP plumbing shared by every provider: clients, rate limiting, retries, downloads.

* One ``httpx.AsyncClient`` per provider (keep-alive, timeouts, User-Agent). The transport is
  injectable: the simulators plug in there (``httpx.MockTransport``), so provider code never knows
  it is under test.
* :class:`RateLimiter` is a token bucket per provider/key; a 429's ``Retry-After`` empties it
  until the time the server named.
* :func:`retrying` retries only what the caller marks safe (idempotent, or known not charged),
  with exponential backoff, full jitter, and the server's ``Retry-After`` when it sent one.
* :func:`download` streams to a temp file beside the target, caps the size, fsyncs and renames:
  a crash or a cap never leaves a half-written file under the final name.

Nothing here imports Textual.
"""

from __future__ import annotations

import asyncio
import collections
import email.utils
import logging
import os
import random
import ssl
import tempfile
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

import httpx

from animetui import __version__
from animetui.errors import AnimetuiError, BadInput, Busy, NetworkError, RateLimited

if TYPE_CHECKING:
    from animetui.limits import SharedBucket

USER_AGENT = f"animetui/{__version__}"
log = logging.getLogger("animetui.net")
T = TypeVar("T")

Sleep = Callable[[float], Awaitable[None]]


_ssl_lock = threading.Lock()
_ssl_context: ssl.SSLContext | None = None


def shared_ssl_context() -> ssl.SSLContext:
    """One TLS context (httpx's defaults: certifi, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``) for every client.

    Building one reads the whole CA bundle (10-30 ms). httpx builds one per client, on the event
    loop, the first time a provider is used: the TUI stalled in its first lookups. Call this in a
    thread first (``await asyncio.to_thread(shared_ssl_context)``, as ``Providers.warm`` does);
    later calls return the same context at once. An SSLContext is safe to share between clients.
    """
    global _ssl_context
    with _ssl_lock:
        if _ssl_context is None:
            _ssl_context = httpx.create_ssl_context()
        return _ssl_context


def make_client(
    base_url: str,
    *,
    timeout: float = 60.0,
    transport: httpx.AsyncBaseTransport | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.AsyncClient:
    merged = {"User-Agent": USER_AGENT, "Accept": "application/json"}
    if headers:
        merged.update(headers)
    return httpx.AsyncClient(
        base_url=base_url.rstrip("/"),
        timeout=httpx.Timeout(timeout, connect=min(15.0, timeout)),
        limits=httpx.Limits(max_connections=20, max_keepalive_connections=10, keepalive_expiry=30),
        headers=merged,
        transport=transport,
        follow_redirects=True,
        verify=shared_ssl_context() if transport is None else True,
    )


# --------------------------------------------------------------------------- rate limiting
class RateLimiter:
    """Token bucket: ``capacity`` requests, refilled at ``per_second``.

    ``acquire()`` waits (without busy-looping) until a token is free. ``block_for(s)`` is called
    when the server said "slow down": nobody gets a token before then.

    ``window`` (seconds, optional) adds a sliding window on top: never more than ``capacity``
    grants in any ``window`` seconds. A bare bucket lets ``2 × capacity`` through in its first
    minute (a full bucket plus the refill), which a server counting "N per minute" refuses.

    ``shared`` (optional, an :class:`animetui.limits.SharedBucket`) is asked after the local token:
    the documented limits counted once for every animetui process on the machine. ``block_for``
    passes the server's "slow down" on to it too.
    """

    def __init__(
        self,
        capacity: float,
        per_second: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        window: float | None = None,
        shared: "SharedBucket | None" = None,
    ) -> None:
        self.shared = shared
        self.capacity = float(capacity)
        self.per_second = float(per_second)
        self.window = window
        self._grants: collections.deque[float] = collections.deque()
        self._tokens = float(capacity)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._blocked_until = 0.0
        self._lock = asyncio.Lock()

    @classmethod
    def per_minute(cls, count: int, **kwargs: object) -> "RateLimiter":
        return cls(count, count / 60.0, **kwargs)  # type: ignore[arg-type]

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)
        self._stamp = now
        self._tokens = min(self.capacity, self._tokens + elapsed * self.per_second)

    def wait_time(self) -> float:
        """Seconds until a token would be free (0 when one is free now)."""
        self._refill()
        now = self._clock()
        blocked = max(0.0, self._blocked_until - now)
        if self.window:
            while self._grants and self._grants[0] <= now - self.window:
                self._grants.popleft()
            if len(self._grants) >= self.capacity:
                blocked = max(blocked, self._grants[0] + self.window - now)
        if self._tokens >= 1:
            return blocked
        return max(blocked, (1 - self._tokens) / self.per_second)

    async def acquire(self) -> None:
        async with self._lock:
            while True:
                wait = self.wait_time()
                if wait <= 0:
                    self._tokens -= 1
                    if self.window:
                        self._grants.append(self._clock())
                    break
                await self._sleep(wait)
        if self.shared is not None:
            await self.shared.acquire()

    async def sent(self) -> None:
        """The request the last ``acquire`` (in this task) allowed has its answer (or failed)."""
        if self.shared is not None:
            await self.shared.sent()

    def block_for(self, seconds: float) -> None:
        self._refill()
        self._blocked_until = max(self._blocked_until, self._clock() + max(0.0, seconds))
        self._tokens = min(self._tokens, 0.0)
        if self.shared is not None:
            self.shared.block(seconds)


# --------------------------------------------------------------------------- retries
@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 3  # total tries, including the first
    base_delay: float = 0.5
    max_delay: float = 8.0
    max_retry_after: float = 60.0  # a longer Retry-After is reported, not waited for


async def retrying(
    call: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy,
    should_retry: Callable[[AnimetuiError], bool] = lambda exc: exc.retryable,
    sleep: Sleep = asyncio.sleep,
    on_retry: Callable[[AnimetuiError, float], None] | None = None,
) -> T:
    """Run ``call`` and retry on errors ``should_retry`` accepts (default: ``exc.retryable``)."""
    attempt = 0
    while True:
        attempt += 1
        try:
            return await call()
        except AnimetuiError as exc:
            if attempt >= policy.attempts or not should_retry(exc):
                raise
            hinted = getattr(exc, "retry_after", None)
            if hinted is not None:
                if hinted > policy.max_retry_after:
                    raise
                delay = hinted
            else:
                delay = random.uniform(0, min(policy.max_delay, policy.base_delay * 2 ** (attempt - 1)))
            if on_retry:
                on_retry(exc, delay)
            await sleep(delay)


def parse_retry_after(headers: httpx.Headers, *, now: float | None = None) -> float | None:
    """Seconds from ``Retry-After`` (seconds or HTTP date) or better-auth's ``X-Retry-After``."""
    for name in ("retry-after", "x-retry-after"):
        value = headers.get(name)
        if not value:
            continue
        value = value.strip()
        try:
            return max(0.0, float(value))
        except ValueError:
            pass
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            continue
        if when is None:
            continue
        current = time.time() if now is None else now
        return max(0.0, when.timestamp() - current)
    return None


# --------------------------------------------------------------------------- sending
async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    provider: str,
    charged: bool = False,
    **kwargs: object,
) -> httpx.Response:
    """``client.request`` with transport failures turned into :class:`NetworkError`.

    ``charged=True`` marks a request that may cost money once the server has it: a failure after
    the request was sent then says so (``maybe_charged``) and is never retryable.
    """
    try:
        response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
    except httpx.ConnectTimeout:
        raise NetworkError("could not connect (timed out)", provider=provider, timeout=True) from None
    except httpx.ConnectError:
        raise NetworkError("could not connect (is the network up? is base_url right?)", provider=provider) from None
    except httpx.TimeoutException:
        if charged:
            exc = NetworkError(
                "no answer in time; the request may have been charged — check your balance",
                provider=provider,
                maybe_charged=True,
                timeout=True,
            )
            exc.retryable = False
            raise exc from None
        raise NetworkError("no answer in time", provider=provider, timeout=True) from None
    except (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError) as err:
        if charged:
            exc = NetworkError(
                "the connection dropped; the request may have been charged — check your balance",
                provider=provider,
                maybe_charged=True,
            )
            exc.retryable = False
            raise exc from None
        raise NetworkError(f"the connection dropped ({type(err).__name__})", provider=provider) from None
    except httpx.InvalidURL:
        raise BadInput("invalid URL", provider=provider) from None
    except httpx.HTTPError as err:
        raise NetworkError(f"HTTP error ({type(err).__name__})", provider=provider) from None
    log.info("%s %s %s -> %s", provider, method, response.request.url.path, response.status_code)
    return response


def json_body(response: httpx.Response) -> object | None:
    """The parsed JSON body, or None when it is not JSON (never raises)."""
    try:
        return response.json()
    except (ValueError, UnicodeDecodeError):
        return None


def rate_limited_from(response: httpx.Response, message: str, *, provider: str, code: object = None) -> RateLimited:
    return RateLimited(message, retry_after=parse_retry_after(response.headers), provider=provider, code=code)  # type: ignore[arg-type]


def busy_from(response: httpx.Response, message: str, *, provider: str, code: object = None) -> Busy:
    return Busy(message, retry_after=parse_retry_after(response.headers), provider=provider, code=code)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- downloads
DEFAULT_MAX_DOWNLOAD = 50 * 1024 * 1024


async def download(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    provider: str,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD,
    on_progress: Callable[[int, int | None], None] | None = None,
) -> Path:
    """Stream ``url`` into ``dest`` atomically. Returns ``dest``.

    The body goes to a temp file in ``dest``'s directory; only a complete body within
    ``max_bytes`` is fsynced and renamed into place. Anything else removes the temp file.
    """
    from animetui.errors import NotFound, ServerError, Unsupported

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            try:
                async with client.stream("GET", url) as response:
                    if response.status_code in (404, 410):
                        raise NotFound(f"download failed: HTTP {response.status_code} (the link may have expired)", provider=provider)
                    if response.status_code >= 400:
                        raise ServerError(f"download failed: HTTP {response.status_code}", provider=provider, retryable=response.status_code >= 500)
                    declared = response.headers.get("content-length")
                    total = int(declared) if declared and declared.isdigit() else None
                    if total is not None and total > max_bytes:
                        raise Unsupported(f"download is {total / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB cap", provider=provider)
                    received = 0
                    async for chunk in response.aiter_bytes(65536):
                        received += len(chunk)
                        if received > max_bytes:
                            raise Unsupported(f"download passed the {max_bytes / 1e6:.0f} MB cap", provider=provider)
                        handle.write(chunk)
                        if on_progress:
                            on_progress(received, total)
                    if total is not None and received != total:
                        raise NetworkError(f"download incomplete ({received} of {total} bytes)", provider=provider)
            except httpx.TimeoutException:
                raise NetworkError("download timed out", provider=provider, timeout=True) from None
            except httpx.HTTPError as err:
                raise NetworkError(f"download failed ({type(err).__name__})", provider=provider) from None
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return dest
