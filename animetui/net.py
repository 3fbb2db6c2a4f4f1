"""HTTP plumbing shared by every provider: clients, rate limiting, retries, downloads.

* One ``httpx.AsyncClient`` per provider (keep-alive, timeouts, User-Agent). The transport is
  injectable: the simulators plug in there (``httpx.MockTransport``), so provider code never knows
  it is under test.
* :class:`RateLimiter` is a token bucket per provider/key; a 429's ``Retry-After`` empties it
  until the time the server named.
* :func:`retrying` retries only what the caller marks safe (idempotent, or known not charged),
  with exponential backoff, full jitter, and the server's ``Retry-After`` when it sent one.
* :func:`send` is every API request: one whole-request deadline (the configured timeout), the
  body read in full but capped (:data:`MAX_JSON_BYTES`), redirects never followed to another
  origin (no key, cookie or upload ever follows one) and never for paid requests; a failure after
  a paid request may have reached the server is ``maybe_charged`` and never retried.
* :func:`download` streams to a temp file beside the target, caps the size, fsyncs and renames:
  a crash or a cap never leaves a half-written file under the final name. A link that leads to
  ``file://``, loops, or gives a non-image is :class:`~animetui.errors.ResultUnavailable`.

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
from animetui.errors import (
    AnimetuiError,
    BadInput,
    Busy,
    NetworkError,
    RateLimited,
    ResponseTooLarge,
    ResultUnavailable,
    ServerError,
)

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
        follow_redirects=False,  # never by httpx: send() and download() decide (credentials, loops, file://)
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
            # maybe_charged is final whatever should_retry says: a paid request is never sent twice
            if attempt >= policy.attempts or exc.maybe_charged or not should_retry(exc):
                raise
            hinted = exc.retry_after
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
#: the most an API answer may be (JSON bodies are a few KiB; rankings a few hundred KiB)
MAX_JSON_BYTES = 4 * 1024 * 1024
#: same-origin redirects followed per request (API calls) / per download
MAX_REDIRECTS = 5
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    port = url.port or {"http": 80, "https": 443}.get(url.scheme)
    return (url.scheme, url.host, port)


def request_deadline(client: httpx.AsyncClient) -> float:
    """Seconds a whole request (connect, send, every read) may take: the client's configured timeout.

    httpx's own timeouts apply per read, so a server dripping one byte at a time keeps a request
    alive for ever; :func:`send` puts this bound around all of it.
    """
    configured = client.timeout.read
    return float(configured) if configured else 60.0


def _transport_error(err: httpx.HTTPError, *, provider: str, charged: bool, answered: bool) -> AnimetuiError:
    """The error for an httpx failure. ``answered``: a status line had arrived already.

    A failure before the request could have reached the server (no connection) is retryable. Any
    later one, on a ``charged`` request, may have been acted on: ``maybe_charged``, not retryable.
    """
    if isinstance(err, httpx.ConnectTimeout):
        return NetworkError("could not connect (timed out)", provider=provider, timeout=True)
    if isinstance(err, httpx.ConnectError):
        return NetworkError("could not connect (is the network up? is base_url right?)", provider=provider)
    if isinstance(err, (httpx.InvalidURL, httpx.UnsupportedProtocol)):
        return BadInput("invalid URL (is base_url right?)", provider=provider)
    if isinstance(err, httpx.DecodingError):
        return ServerError(
            "the answer could not be read (its Content-Encoding is broken)",
            provider=provider,
            retryable=not charged,
            maybe_charged=charged,
        )
    if isinstance(err, httpx.TimeoutException):
        return NetworkError("no answer in time", provider=provider, maybe_charged=charged, timeout=True)
    what = "the connection dropped while reading the answer" if answered else "the connection dropped"
    return NetworkError(f"{what} ({type(err).__name__})", provider=provider, maybe_charged=charged)


async def _read_capped(response: httpx.Response, cap: int, *, provider: str, charged: bool) -> bytes:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > cap:
        raise ResponseTooLarge(
            f"the answer is {int(declared) / 2**20:.1f} MiB, over the {cap / 2**20:g} MiB cap for API answers; "
            "not read (is base_url right?)",
            provider=provider,
            code=response.status_code,
            maybe_charged=charged,
        )
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes(65536):  # decoded: a gzip bomb stops at the cap too
        size += len(chunk)
        if size > cap:
            raise ResponseTooLarge(
                f"the answer passed the {cap / 2**20:g} MiB cap for API answers; stopped reading (is base_url right?)",
                provider=provider,
                code=response.status_code,
                maybe_charged=charged,
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    provider: str,
    charged: bool = False,
    redirects: bool = True,
    max_bytes: int = MAX_JSON_BYTES,
    **kwargs: object,
) -> httpx.Response:
    """One API request, its whole answer read (capped at ``max_bytes``) within one deadline.

    * **Failures** become ``animetui.errors``: no connection → a retryable :class:`NetworkError`;
      anything after the request may have reached the server (a drop, a timeout, an unreadable
      or oversized answer, a redirect) on a ``charged=True`` request (paid, or spending credits) →
      ``maybe_charged=True``, never retryable, "may have been charged" in the message.
    * **Deadline**: the whole exchange, every redirect and read included, must end within
      :func:`request_deadline` (the configured timeout), whatever the server's pace.
    * **Redirects**: httpx never follows them for API clients (``make_client``), because it would
      carry custom credential headers (``ailabapi-api-key``, cookies) and upload bodies to the new
      host. Here a redirect to *another origin* (scheme, host, port) is never followed — an error
      naming the host. A same-origin one is followed (up to :data:`MAX_REDIRECTS`) only when
      ``redirects`` is true and the request is not ``charged``: a paid request is sent once, to
      the URL configured, and a redirect answer to it is an error.
    * **Body cap**: a ``Content-Length`` over ``max_bytes`` is refused unread; a longer stream is
      cut at ``max_bytes`` (:class:`~animetui.errors.ResponseTooLarge`). Memory stays bounded.

    The returned response is complete (``.content``/``.json()`` work) and already closed.
    """
    try:
        async with asyncio.timeout(request_deadline(client)):
            return await _send(client, method, url, provider=provider, charged=charged, redirects=redirects,
                               max_bytes=max_bytes, **kwargs)
    except TimeoutError:
        raise NetworkError(
            f"no complete answer within {request_deadline(client):g} s (the timeout setting)",
            provider=provider,
            maybe_charged=charged,
            timeout=True,
        ) from None


async def _send(
    client: httpx.AsyncClient,
    method: str,
    url: str,
    *,
    provider: str,
    charged: bool,
    redirects: bool,
    max_bytes: int,
    **kwargs: object,
) -> httpx.Response:
    try:
        request = client.build_request(method, url, **kwargs)  # type: ignore[arg-type]
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        raise BadInput("invalid URL (is base_url right?)", provider=provider) from None
    origin = _origin(request.url)
    hops = 0
    while True:
        try:
            response = await client.send(request, stream=True, follow_redirects=False)
        except httpx.HTTPError as err:
            raise _transport_error(err, provider=provider, charged=charged, answered=False) from None
        try:
            status = response.status_code
            location = response.headers.get("location")
            if status in _REDIRECT_STATUSES and location:
                try:
                    target = request.url.join(location.strip())
                except (httpx.InvalidURL, ValueError):
                    target = None
                elsewhere = target is None or _origin(target) != origin
                if elsewhere:
                    where = "an invalid URL" if target is None else f"another host, {target.scheme}://{target.host}{f':{target.port}' if target.port else ''}"
                    raise ServerError(
                        f"refused a redirect (HTTP {status}) to {where}: no key or file was sent there "
                        "(is base_url right?)",
                        provider=provider, code=status, maybe_charged=charged,
                    )
                if charged or not redirects:
                    why = "a paid request is sent once, to base_url" if charged else "not for this request"
                    raise ServerError(
                        f"a redirect (HTTP {status}) to another path was not followed: {why} (is base_url right?)",
                        provider=provider, code=status, maybe_charged=charged,
                    )
                hops += 1
                if hops > MAX_REDIRECTS:
                    raise ServerError(f"the service redirected more than {MAX_REDIRECTS} times (a loop?)",
                                      provider=provider, code=status, retryable=False)
                follow = response.next_request
                if follow is None:  # pragma: no cover - httpx builds it for every redirect status
                    raise ServerError(f"the service answered HTTP {status} with an unusable redirect",
                                      provider=provider, code=status)
                request = follow
                continue
            try:
                body = await _read_capped(response, max_bytes, provider=provider, charged=charged)
            except httpx.HTTPError as err:
                raise _transport_error(err, provider=provider, charged=charged, answered=True) from None
        finally:
            await response.aclose()
        log.info("%s %s %s -> %s", provider, method, request.url.path, status)
        headers = [(k, v) for k, v in response.headers.multi_items()
                   if k.lower() not in ("content-encoding", "content-length", "transfer-encoding")]
        return httpx.Response(status, headers=headers, content=body, request=request)


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
#: a whole download may take this many times the client's timeout (50 MB over a slow link)
DOWNLOAD_DEADLINE_FACTOR = 5

#: magic bytes of the image formats a result or preview may be in
_IMAGE_MAGIC: tuple[tuple[int, bytes], ...] = (
    (0, b"\x89PNG\r\n\x1a\n"),
    (0, b"\xff\xd8\xff"),
    (0, b"GIF87a"),
    (0, b"GIF89a"),
    (0, b"BM"),
    (8, b"WEBP"),  # RIFF....WEBP
    (4, b"ftypavif"),
    (4, b"ftypavis"),
    (4, b"ftypheic"),
    (4, b"ftypmif1"),
)


def looks_like_image(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a body) starts like a PNG/JPEG/GIF/BMP/WEBP/AVIF/HEIC."""
    if head.startswith(b"RIFF") and head[8:12] != b"WEBP":
        return False
    return any(head[offset:offset + len(magic)] == magic for offset, magic in _IMAGE_MAGIC)


async def download(
    client: httpx.AsyncClient,
    url: str,
    dest: Path,
    *,
    provider: str,
    max_bytes: int = DEFAULT_MAX_DOWNLOAD,
    on_progress: Callable[[int, int | None], None] | None = None,
    image: bool = True,
    deadline: float | None = None,
) -> Path:
    """Stream ``url`` into ``dest`` atomically. Returns ``dest``.

    The body goes to a temp file in ``dest``'s directory; only a complete body within
    ``max_bytes`` is fsynced and renamed into place. Anything else removes the temp file.

    Redirects are followed here (result links live on CDNs), each hop checked: only http(s), at
    most :data:`MAX_REDIRECTS`, no URL twice. A redirect to ``file://`` (or any other scheme), a
    loop, or — with ``image=True`` — a body that does not start like an image (an HTML page) is
    :class:`~animetui.errors.ResultUnavailable` (``permanent``: retrying cannot help). The whole
    download must end within ``deadline`` s (default: :data:`DOWNLOAD_DEADLINE_FACTOR` × the
    client's timeout); past it, a :class:`NetworkError` with ``timeout`` (temporary).
    """
    from animetui.errors import NotFound, Unsupported

    limit = deadline if deadline is not None else request_deadline(client) * DOWNLOAD_DEADLINE_FACTOR
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as handle:
            try:
                async with asyncio.timeout(limit):
                    response = await _open_download(client, url, provider=provider)
                    try:
                        if response.status_code in (404, 410):
                            raise NotFound(f"download failed: HTTP {response.status_code} (the link may have expired)", provider=provider)
                        if response.status_code >= 400:
                            raise ServerError(f"download failed: HTTP {response.status_code}", provider=provider, retryable=response.status_code >= 500)
                        declared = response.headers.get("content-length")
                        total = int(declared) if declared and declared.isdigit() else None
                        if total is not None and total > max_bytes:
                            raise Unsupported(f"download is {total / 1e6:.1f} MB, over the {max_bytes / 1e6:.0f} MB cap", provider=provider)
                        received = 0
                        head = b""
                        async for chunk in response.aiter_bytes(65536):
                            received += len(chunk)
                            if received > max_bytes:
                                raise Unsupported(f"download passed the {max_bytes / 1e6:.0f} MB cap", provider=provider)
                            if image and len(head) < 16:
                                head += chunk[: 16 - len(head)]
                                if len(head) >= 16 and not looks_like_image(head):
                                    raise _not_an_image(response, provider)
                            handle.write(chunk)
                            if on_progress:
                                on_progress(received, total)
                        if image and not looks_like_image(head):
                            raise _not_an_image(response, provider)
                        if total is not None and received != total:
                            raise NetworkError(f"download incomplete ({received} of {total} bytes)", provider=provider)
                    finally:
                        await response.aclose()
            except TimeoutError:
                raise NetworkError(f"download did not finish within {limit:g} s", provider=provider, timeout=True) from None
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


def _not_an_image(response: httpx.Response, provider: str) -> ResultUnavailable:
    kind = response.headers.get("content-type", "").split(";")[0].strip()[:60] or "no content type"
    return ResultUnavailable(f"the link gave something that is not an image ({kind}); not saved", provider=provider)


async def _open_download(client: httpx.AsyncClient, url: str, *, provider: str) -> httpx.Response:
    """The streamed answer at the end of ``url``'s redirects (each hop checked); the caller closes it."""
    try:
        request = client.build_request("GET", url)
    except (httpx.InvalidURL, httpx.UnsupportedProtocol):
        raise ResultUnavailable("the result link is not a valid http(s) URL", provider=provider) from None
    seen = {str(request.url)}
    while True:
        if request.url.scheme not in ("http", "https"):
            raise ResultUnavailable(f"the result link leads to a {request.url.scheme}: URL, which animetui does not fetch",
                                    provider=provider)
        response = await client.send(request, stream=True, follow_redirects=False)
        location = response.headers.get("location")
        if response.status_code not in _REDIRECT_STATUSES or not location:
            return response
        await response.aclose()
        try:
            target = request.url.join(location.strip())
        except (httpx.InvalidURL, ValueError):
            raise ResultUnavailable("the result link redirects to an invalid URL", provider=provider) from None
        if target.scheme not in ("http", "https"):
            raise ResultUnavailable(f"the result link redirects to a {target.scheme or 'schemeless'}: URL, which animetui "
                                    "does not fetch", provider=provider)
        if str(target) in seen or len(seen) > MAX_REDIRECTS:
            raise ResultUnavailable("the result link redirects in a loop (or too many times)", provider=provider)
        seen.add(str(target))
        request = client.build_request("GET", target)
