"""AILabTools "AI Cartoon Generator": turn a photo into an anime-style picture, as an async task.

Why this module exists: the service works in two steps (submit, then poll until done) and has an
envelope of its own whose meaning is spread over the HTTP status, ``error_code`` and
``error_detail.code``. This module hides both behind :class:`~animetui.providers.base.Cartoonizer`
so the job runner only sees task ids, :class:`~animetui.models.TaskInfo` and ``animetui.errors``.

The calls (contract: ``shared/seeds/ailabtools-cartoon-api.txt``, research section D):

* ``POST /api/image/effects/ai-anime-generator`` — multipart ``task_type=async``, ``index`` 0–8,
  ``image``; header ``ailabapi-api-key``. Answers ``task_id``. Costs 1 credit.
* ``GET /api/common/query-async-task-result?task_id=…`` — ``task_status`` 0 queued, 1 processing,
  2 done with ``data.result_url`` (valid 24 h: the job runner downloads it at once).
* ``GET /api/common/query-credits`` — ``data[]``, one entry per *product* the account holds
  (``unique_sign`` ``common`` for the general credits any API spends, ``image_ai_cartoon_generator``
  for this API's own package, ~80 others for unrelated APIs). We add up ``balance`` of only the
  entries that pay for this API (:data:`PAYING_PRODUCTS`).

Changed after the fidelity audit (issue 12), with the evidence:

* ``task_status: 3`` is a failed task. Evidence: the official ``ailabtools-sdk`` (PyPI,
  ``client.py``: ``if status == 3: … task failed``, the same in its other languages). It used to
  raise "unexpected task status 3" and the job failed only after 10 such answers (~7 min).
* An ``error_code`` on an HTTP 200 that is not an HTTP status (e.g. a service-specific "task not
  found") is a *final* error, not a retryable 500: the job used to poll it for 24 h. The message
  carries ``error_msg``, ``request_id`` and ``log_id`` (what AILabTools support asks for); every
  other error message now carries the two ids too.
* Credits count only :data:`PAYING_PRODUCTS`. Evidence: ``ailabtools-docs``,
  ``docs/ai-common/querying-credits`` (one entry per product); unrelated products' credits used to
  be shown as cartoon credits. An answer with signs but none of ours shows "unknown" and names the
  products found, rather than a guess.
* Polling is never faster than the documented 5 s (``MIN_POLL_INTERVAL``): the job runner's jitter
  only lengthens a wait, and ``providers.ailab.poll_interval`` refuses less than 5 s.

Assumptions where the docs are silent or unclear:

* **The query endpoint path.** The cartoon page only says "call Querying asynchronous task
  results"; the path ``/api/common/query-async-task-result`` comes from the current docs repo
  (research D.2). The RapidAPI copy's ``/api/rapidapi/…`` path is *not* used.
* **How a failed task shows up.** No failed ``task_status`` is documented. Third-party code sees
  a non-200 (typically 422) from the query endpoint with ``error_detail.code`` set (research D.2).
  So on *query*: a 422 (or ``error_code`` 422, or ``PROCESSING_FAILURE``), or a 200 whose
  ``data.status`` is ``PROCESS_FAILED``/``TIMEOUT_FAILED``/``LIMIT_RETRY_FAILED``, is a finished,
  failed task — ``TaskInfo(status=FAILED, detail=<server message>)``, not an exception. A 2 without a
  usable ``result_url`` is also reported as FAILED (polling again would not help).
* **Envelope order** (research D.3, as the official SDK does): HTTP status first, then
  ``error_code`` when present and non-zero, then ``error_detail.code``. Errors are classified by the
  string ``code`` first (the docs move codes between statuses) and by the status second.
* **Expired tasks.** Results live 24 h; a query after that is assumed to answer 410
  (``ERROR_RESOURCE_RECLAIMED``/``ERROR_TASK_REVOKED``). That raises :class:`TaskExpired`, an
  :class:`~animetui.errors.ResultExpired` (a ``NotFound``) — the job runner tells "expired" from
  "unknown task" (404, a plain ``NotFound`` with the server's code) by that class.
* **Retry-After.** None is documented. When a 503/429 carries one we honour it; when not,
  ``retry_after`` is :data:`DEFAULT_BACKOFF` (5 s, the docs' recommended polling interval), which the
  retry policy may or may not be willing to wait (``RetryPolicy.max_retry_after``); either way the
  caller sees it on the raised :class:`~animetui.errors.Busy`/:class:`~animetui.errors.RateLimited`.
* **Retries.** ``query`` and ``credits`` are idempotent reads: transient errors (network, 5xx,
  busy, rate-limited, unreadable body) are retried with ``ctx.retry``. ``submit`` costs a credit,
  so it is retried only when the service said it did nothing (503, 429 other than credits) or the
  connection never opened; a drop or timeout after sending is a ``NetworkError`` with
  ``maybe_charged``.
* **Uploads are checked before sending** (in a thread): JPEG/PNG/BMP/WEBP are sent as they are,
  anything Pillow reads (GIF, …) is converted; over 10,000,000 bytes (we read "10 MB" the strict
  way) is re-encoded as JPEG; larger than 5760×3240 (long × short side) is **downscaled to fit**,
  since a smaller input makes the same 1536 px output; smaller than 256×256 is **refused** (we would
  have to invent pixels), as is an image that falls under 256 px once fitted.
* **URL sources are downloaded first** (the API takes a file only): with this provider's client,
  no credentials sent, capped at ``sources.MAX_SOURCE_BYTES``, then checked like a file.
* **Redirects.** ``submit`` never follows one (it costs a credit and carries the key and the
  photo): a 3xx answer is an error saying the request may have been charged. ``query`` and
  ``credits`` follow a redirect only to the same origin (scheme, host, port of ``base_url``),
  at most ``net.MAX_REDIRECTS`` times; one to another host is refused, so ``ailabapi-api-key``
  never leaves for another host (httpx would forward it: it strips only ``Authorization``).
  A URL source's own redirects are followed (that request carries no key).
* **Money.** Anything after ``submit`` may have reached the service — a drop, a timeout, an
  unreadable or oversized answer, a redirect, a 5xx other than 503 — raises with
  ``maybe_charged`` ("may have been charged") and is never retried (``net.send(charged=True)``).
"""

from __future__ import annotations

import asyncio
import urllib.parse
from typing import Any, Literal, NoReturn

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
    ResultExpired,
    ServerError,
    Unsupported,
)
from animetui.models import CARTOON_STYLES, Credits, ImageSource, TaskInfo, TaskStatus
from animetui.net import json_body, parse_retry_after, request_deadline, retrying, send
from animetui.pictures import offload, sources
from animetui.providers.base import ProviderContext, as_float, as_int, server_text
from animetui.redact import register_secret

SUBMIT_PATH = "/api/image/effects/ai-anime-generator"
QUERY_PATH = "/api/common/query-async-task-result"
CREDITS_PATH = "/api/common/query-credits"
KEY_HEADER = "ailabapi-api-key"

FORMATS = ("JPEG", "PNG", "BMP", "WEBP")
MAX_BYTES = 10_000_000
MIN_SIZE = (256, 256)
MAX_SIZE = (5760, 3240)  # long side × short side
#: seconds to wait when the service is busy and says nothing (the docs' polling interval)
DEFAULT_BACKOFF = 5.0
#: the docs' recommended polling interval is also the shortest we poll at
MIN_POLL_INTERVAL = 5.0
#: ``unique_sign`` of the credit packages this API spends: the general credits and its own product
PAYING_PRODUCTS = ("common", "image_ai_cartoon_generator", "ai_anime_generator")
#: the official SDK's failed task status
FAILED_TASK_STATUS = 3

_FAILED_STATUSES = {"PROCESS_FAILED", "TIMEOUT_FAILED", "LIMIT_RETRY_FAILED"}
_AUTH_CODES = {
    "ERROR_USER_NOT_EXISTS",
    "ERROR_APPLICATIONS_NOT_EXISTS",
    "ERROR_USER_LOCKED",
    "ERROR_ILLEGAL_OPERATION",
}
_EXPIRED_CODES = {"ERROR_RESOURCE_RECLAIMED", "ERROR_TASK_REVOKED"}
_BUSY_CODES = {
    "AI_SERVICE_FLOW_RESTRICTION",
    "ERROR_INSUFFICIENT_RESOURCES",
    "ERROR_RESOURCE_UNAVAILABLE",
    "ERROR_RESOURCE_IN_TRANSIT",
}
_NOT_FOUND_CODES = {"ERROR_RESOURCE_NOT_FOUND", "ERROR_CONTENT_NOT_FOUND", "ERROR_FILE_NOT_FOUND"}

Action = Literal["submit", "query", "credits"]

KEY_HINT = "set providers.ailab.api_key in the config or the ANIMETUI_AILAB_KEY environment variable"


class TaskExpired(ResultExpired):
    """The task (and its result) is older than the service keeps them (24 h)."""

    def __init__(self, message: str, *, provider: str = "ailab") -> None:
        super().__init__(message, provider=provider, code="expired")  # the code stays for the JSON output


def style_list() -> str:
    return ", ".join(f"{i} {name}" for i, name in enumerate(CARTOON_STYLES))


def _prepare(raw: bytes, label: str) -> sources.PreparedImage:
    """Runs in animetui.pictures.offload (a thread, or the TUI's upload process): the upload AILabTools
    accepts, or a clear refusal (the caller names the provider on it)."""
    prepared = sources.prepare_upload(
        raw,
        label=label,
        formats=FORMATS,
        max_bytes=MAX_BYTES,
        max_size=MAX_SIZE,
        min_size=MIN_SIZE,
        service="AILabTools",
    )
    if prepared.width < MIN_SIZE[0] or prepared.height < MIN_SIZE[1]:
        raise BadInput(
            f"{label}: too long and thin — fitted into {MAX_SIZE[0]}×{MAX_SIZE[1]} px it would be "
            f"{prepared.width}×{prepared.height} px, under AILabTools' {MIN_SIZE[0]}×{MIN_SIZE[1]} px "
            "minimum; crop it closer to 16:9 first",
        )
    return prepared


class AILabProvider:
    """The :class:`~animetui.providers.base.Cartoonizer` and :class:`~animetui.providers.base.PaidWork` for AILabTools."""

    name = "ailab"
    #: AILabTools charges credits, not dollars
    cost_usd: float | None = None

    def __init__(self, ctx: ProviderContext) -> None:
        self.ctx = ctx
        register_secret(self._key_or_none())  # in demo mode the key never passed through Settings

    # ------------------------------------------------------------------ PaidWork (the job runner)
    def is_safe_to_resubmit(self, exc: BaseException) -> bool:
        """Only a refusal before any work (busy, rate limited) that may not have used a credit."""
        if not isinstance(exc, AnimetuiError) or exc.maybe_charged:
            return False
        return isinstance(exc, (RateLimited, Busy))

    def slot_wait(self) -> float:
        return self.ctx.limiter.wait_time()

    # ------------------------------------------------------------------ public API
    async def submit(self, source: ImageSource, *, style: int) -> str:
        """Upload ``source`` and start a cartoon task in ``style`` (0–8); returns the task id."""
        if isinstance(style, bool) or not isinstance(style, int) or not 0 <= style < len(CARTOON_STYLES):
            raise BadInput(f"style {style!r} does not exist; choose 0–8: {style_list()}", provider=self.name)
        key = self._key()
        raw = await self._read(source)
        try:
            prepared = await offload.run(_prepare, raw, source.label)
        except AnimetuiError as exc:
            exc.provider = exc.provider or self.name
            raise

        async def attempt() -> str:
            await self.ctx.limiter.acquire()
            response = await send(
                self.ctx.client,
                "POST",
                SUBMIT_PATH,
                provider=self.name,
                charged=True,
                headers={KEY_HEADER: key},
                data={"task_type": "async", "index": str(style)},
                files={"image": (prepared.filename, prepared.data, prepared.content_type)},
            )
            body = self._check(response, action="submit")
            task_id = server_text(body.get("task_id"), limit=200)
            if not task_id:
                raise ServerError(
                    "the service accepted the image but sent no task id; the request may have been charged (a credit spent)",
                    provider=self.name,
                    maybe_charged=True,
                )
            return task_id

        return await retrying(
            attempt,
            policy=self.ctx.retry,
            should_retry=lambda exc: exc.retryable and not exc.maybe_charged,
            sleep=self.ctx.sleep,
        )

    async def query(self, task_id: str) -> TaskInfo:
        """The task as it is now. A failed task is ``TaskInfo(FAILED)``, not an exception."""
        task_id = (task_id or "").strip()
        if not task_id:
            raise BadInput("no task id given", provider=self.name)
        key = self._key()

        async def attempt() -> TaskInfo:
            await self.ctx.limiter.acquire()
            response = await send(
                self.ctx.client,
                "GET",
                QUERY_PATH,
                provider=self.name,
                headers={KEY_HEADER: key},
                params={"task_id": task_id},
            )
            return self._task_info(task_id, response)

        return await retrying(attempt, policy=self.ctx.retry, sleep=self.ctx.sleep)

    async def credits(self) -> Credits:
        """Credits left for this API: the ``balance`` of the packages in :data:`PAYING_PRODUCTS`."""
        key = self._key()

        async def attempt() -> Credits:
            await self.ctx.limiter.acquire()
            response = await send(self.ctx.client, "GET", CREDITS_PATH, provider=self.name, headers={KEY_HEADER: key})
            body = self._check(response, action="credits")
            packages = body.get("data")
            if not isinstance(packages, list):
                raise ServerError("the credits answer has no package list", provider=self.name, retryable=True)
            return _paying_credits(self.name, packages)

        return await retrying(attempt, policy=self.ctx.retry, sleep=self.ctx.sleep)

    # ------------------------------------------------------------------ input
    def _key_or_none(self) -> str | None:
        value = self.ctx.settings.get("api_key")
        return value.strip() if isinstance(value, str) and value.strip() else None

    def _key(self) -> str:
        key = self._key_or_none()
        if key is None:
            raise AuthError(f"no AILabTools API key; {KEY_HINT}", provider=self.name)
        return key

    async def _read(self, source: ImageSource) -> bytes:
        if source.data is not None:
            return source.data
        if source.path is not None:
            return await asyncio.to_thread(sources.read_source, source.path)
        assert source.url is not None
        return await self._fetch(source.url)

    async def _fetch(self, url: str) -> bytes:
        """Download a URL source (no credentials), capped; AILabTools itself takes files only."""
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise BadInput(f"{server_text(url, limit=120)}: only http(s) URLs can be fetched", provider=self.name)
        cap = sources.MAX_SOURCE_BYTES
        try:
            async with asyncio.timeout(request_deadline(self.ctx.client)), self.ctx.client.stream(
                "GET", url, headers={"Accept": "image/*"}, follow_redirects=True
            ) as response:
                if response.status_code >= 400:
                    raise BadInput(
                        f"could not download the image: HTTP {response.status_code}; download it yourself and "
                        "pick the file",
                        provider=self.name,
                    )
                chunks: list[bytes] = []
                size = 0
                async for chunk in response.aiter_bytes(65536):
                    size += len(chunk)
                    if size > cap:
                        raise BadInput(
                            f"the image at that URL is over {sources.human_bytes(cap)}; too big to use",
                            provider=self.name,
                        )
                    chunks.append(chunk)
        except (httpx.TimeoutException, TimeoutError):
            raise NetworkError("downloading the image timed out", provider=self.name, timeout=True) from None
        except httpx.InvalidURL:
            raise BadInput("invalid image URL", provider=self.name) from None
        except httpx.HTTPError as exc:
            raise NetworkError(f"could not download the image ({type(exc).__name__})", provider=self.name) from None
        return b"".join(chunks)

    # ------------------------------------------------------------------ answers
    def _task_info(self, task_id: str, response: httpx.Response) -> TaskInfo:
        body = json_body(response)
        envelope = body if isinstance(body, dict) else {}
        status, code, message = _problem(response.status_code, envelope)
        data = _object_at(envelope, "data")
        data_status = server_text(data.get("status"), limit=40).upper()

        if status != 200 and (status == 422 or code == "PROCESSING_FAILURE"):
            detail = message or server_text(code) or f"the task failed (HTTP {status})"
            return TaskInfo(task_id, TaskStatus.FAILED, detail=detail)
        if status == SERVICE_CODE:  # a code of the service's own: final for this task
            return TaskInfo(task_id, TaskStatus.FAILED, detail=_service_code_text(envelope, code, message))
        if status != 200 or body is None or not isinstance(body, dict):
            self._raise(response, status, code, message, action="query")

        if data_status in _FAILED_STATUSES:
            detail = message or {
                "TIMEOUT_FAILED": "the task timed out on the service",
                "LIMIT_RETRY_FAILED": "the service gave up after retrying the task",
            }.get(data_status, "the service could not process the image")
            return TaskInfo(task_id, TaskStatus.FAILED, detail=detail)
        task_status = as_int(envelope.get("task_status"))
        if task_status is None:
            task_status = {"QUEUING": 0, "PROCESSING": 1, "PROCESS_SUCCESS": 2}.get(data_status)
        if task_status == 0:
            return TaskInfo(task_id, TaskStatus.QUEUED)
        if task_status == 1:
            return TaskInfo(task_id, TaskStatus.PROCESSING)
        if task_status == FAILED_TASK_STATUS:
            return TaskInfo(task_id, TaskStatus.FAILED, detail=message or "the task failed on the service")
        if task_status == 2:
            url = self._result_url(data.get("result_url"))
            if url is None:
                return TaskInfo(task_id, TaskStatus.FAILED, detail="the service reported success but sent no result link")
            return TaskInfo(task_id, TaskStatus.SUCCEEDED, result_url=url)
        raise ServerError(
            f"unexpected task status {server_text(envelope.get('task_status'), limit=20) or '(none)'}",
            provider=self.name,
        )

    def _result_url(self, value: object) -> str | None:
        text = server_text(value, limit=4096)
        if not text:
            return None
        url = urllib.parse.urljoin(str(self.ctx.client.base_url) + "/", text)
        return url if urllib.parse.urlsplit(url).scheme in ("http", "https") else None

    def _check(self, response: httpx.Response, *, action: Action) -> dict[str, Any]:
        """The envelope of a successful answer, or the matching error raised."""
        body = json_body(response)
        envelope = body if isinstance(body, dict) else {}
        status, code, message = _problem(response.status_code, envelope)
        if status != 200 or not isinstance(body, dict):
            self._raise(response, status, code, message, action=action)
        return envelope

    def _raise(
        self,
        response: httpx.Response,
        status: int,
        code: str,
        message: str,
        *,
        action: Action,
    ) -> NoReturn:
        name = self.name
        submitting = action == "submit"
        envelope = json_body(response)
        envelope = envelope if isinstance(envelope, dict) else {}
        if status == SERVICE_CODE:
            raise ServerError(
                _service_code_text(envelope, code, message)
                + ("; the task may have been created — check the task list before retrying" if submitting else ""),
                provider=name,
                code=as_int(envelope.get("error_code")),
                retryable=False,
                maybe_charged=submitting,
            )
        said = f": {message}" if message else ""
        said += _ids_text(envelope)
        tag = f" ({code})" if code else ""
        if status == 200:  # HTTP and envelope say fine, but the body is not JSON
            raise ServerError(
                "the service sent an unreadable answer"
                + ("; the task may have been created: the request may have been charged (a credit spent)" if submitting else ""),
                provider=name,
                retryable=not submitting,
                maybe_charged=submitting,
            )
        if code == "ERROR_NOT_ENOUGH_CREDITS":
            raise QuotaError(f"out of AILabTools credits{said}; top up your account, then try again", provider=name, code=code)
        if code in _AUTH_CODES or status in (401, 403):
            what = "locked" if code == "ERROR_USER_LOCKED" else "refused"
            raise AuthError(f"the API key was {what}{tag}{said}; {KEY_HINT}", provider=name, code=code or status)
        if code in _EXPIRED_CODES or status == 410:
            raise TaskExpired(f"the task and its result have expired (results are kept 24 h){said}", provider=name)
        retry_after = parse_retry_after(response.headers)
        if code in _BUSY_CODES or status == 503:
            raise Busy(
                f"AILabTools is busy{said}",
                retry_after=DEFAULT_BACKOFF if retry_after is None else retry_after,
                provider=name,
                code=code or status,
            )
        if status == 429:
            raise RateLimited(
                f"too many requests to AILabTools{tag}{said}",
                retry_after=DEFAULT_BACKOFF if retry_after is None else retry_after,
                provider=name,
                code=code or status,
            )
        if code in _NOT_FOUND_CODES or status == 404:
            if action == "query":
                raise NotFound(f"no such task (unknown id, or made with another key){said}", provider=name, code=code or status)
            raise NotFound(f"AILabTools has no such API (HTTP 404){said}; is providers.ailab.base_url right?", provider=name, code=code or status)
        if submitting and status in (413, 415):
            raise Unsupported(f"AILabTools refused the image{tag}{said}", provider=name, code=code or status)
        if 400 <= status < 500:
            raise BadInput(f"AILabTools refused the request{tag}{said}", provider=name, code=code or status)
        raise ServerError(
            f"AILabTools failed (HTTP {status}){tag}{said}"
            + ("; the task may have been created: the request may have been charged (a credit spent)" if submitting else ""),
            provider=name,
            code=code or status,
            retryable=not submitting,
            maybe_charged=submitting,
        )


#: the "effective status" of an HTTP 200 whose ``error_code`` is not an HTTP status
SERVICE_CODE = -1


def _ids_text(envelope: dict[str, Any]) -> str:
    """`` (request_id …, log_id …)`` from the envelope, or "" — what AILabTools support asks for."""
    parts = []
    for field_name in ("request_id", "log_id"):
        value = server_text(envelope.get(field_name), limit=64)
        if value:
            parts.append(f"{field_name} {value}")
    return f" ({', '.join(parts)})" if parts else ""


def _service_code_text(envelope: dict[str, Any], code: str, message: str) -> str:
    number = server_text(envelope.get("error_code"), limit=20)
    tag = f" {code}" if code else ""
    said = f": {message}" if message else ""
    return f"AILabTools error {number}{tag}{said}{_ids_text(envelope)}"


def _paying_credits(provider: str, packages: list[object]) -> Credits:
    """The credits that pay for this API, from the per-product list."""
    remaining = total = 0.0
    matched: list[str] = []
    others: list[str] = []
    entries = [package for package in packages if isinstance(package, dict)]
    # no entry says which product it is (an older shape): every entry counts, as before
    signed = any(server_text(package.get("unique_sign")) for package in entries)
    for package in entries:
        sign = server_text(package.get("unique_sign"), limit=80)
        name = server_text(package.get("name"), limit=60) or sign
        if not signed or sign.lower() in PAYING_PRODUCTS:
            remaining += as_float(package.get("balance")) or 0.0
            total += as_float(package.get("total")) or 0.0
            if name:
                matched.append(name)
        elif name:
            others.append(name)
    if not matched and signed:
        return Credits(
            provider=provider,
            remaining=None,
            unit="credits",
            detail=server_text("none of the packages pays for this API: " + ", ".join(others), limit=200),
        )
    return Credits(
        provider=provider,
        remaining=remaining,
        unit="credits",
        total=total or None,
        detail=server_text(", ".join(matched), limit=200),
    )


def _object_at(envelope: dict[str, Any], key: str) -> dict[str, Any]:
    """``envelope[key]`` when it is a JSON object, else ``{}``."""
    value = envelope.get(key)
    return value if isinstance(value, dict) else {}


def _problem(http_status: int, envelope: dict[str, Any]) -> tuple[int, str, str]:
    """(effective status, error_detail.code, message) — HTTP status, then error_code, then the code.

    An ``error_code`` on an HTTP 200 that is not an HTTP status gives :data:`SERVICE_CODE`."""
    detail = _object_at(envelope, "error_detail")
    code = server_text(detail.get("code") or envelope.get("error_code_str"), limit=80)
    message = (
        server_text(detail.get("message"))
        or server_text(envelope.get("error_msg"))
        or server_text(detail.get("code_message"))
    )
    status = http_status
    if status == 200:
        error_code = as_int(envelope.get("error_code"))
        if error_code:
            status = error_code if 400 <= error_code < 600 else SERVICE_CODE
        elif code:
            detail_status = as_int(detail.get("status_code"))
            if detail_status is None or detail_status >= 400:
                status = detail_status or 500
    return status, code, message


def create(ctx: ProviderContext) -> AILabProvider:
    return AILabProvider(ctx)
