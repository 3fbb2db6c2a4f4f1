"""Contract simulator of AILabTools' AI Cartoon Generator ("photo to anime"), an async-task API.

Written from ``shared/seeds/ailabtools-cartoon-api.txt`` and research section D (D.1–D.5):

* ``POST /api/image/effects/ai-anime-generator`` (multipart: ``task_type=async``, ``index`` 0–8,
  ``image``) → ``{"error_code": 0, …, "task_type": "async", "task_id": "…"}``;
* ``GET /api/common/query-async-task-result?task_id=…`` → ``task_status`` 0 (queued), 1 (processing),
  2 (done) with ``data.result_url``;
* ``GET /api/common/query-credits`` → ``data[]`` of credit packages (``balance``, ``total`` …).

Every request needs the ``ailabapi-api-key`` header. Every answer, success or not, carries the
documented envelope (D.3): ``request_id``, ``log_id``, ``error_code`` (0, else the HTTP status),
``error_code_str``/``error_msg`` (the "gradually deprecated" pair) and
``error_detail{status_code, code, code_message, message}`` with codes from the D.5 table.

Choices where the docs are silent (each one a guess a real capture may overturn):

* **Auth.** A missing or unknown key → 401 ``ERROR_APPLICATIONS_NOT_EXISTS`` (the key names an
  application; D.5 has no "missing key" code). A locked key (:meth:`Simulator.lock_key`) → 403
  ``ERROR_USER_LOCKED``. Tasks belong to the key that created them: another key gets 404.
* **Validation order on submit:** key → body → ``task_type`` (missing 400 ``MISSING_PARAMETERS``,
  other values 400 ``ERROR_INVALID_PARAMETER``) → ``index`` (same two codes) → ``image`` (missing
  400 ``MISSING_PARAMETERS``, empty 400 ``PARAMETERS_CANNOT_EMPTY``) → bytes over 10 MiB 413
  ``FILE_SIZE_EXCEEDS_LIMIT`` → format sniffed from the content (JPEG/PNG/BMP/WEBP, else 415
  ``UNSUPPORTED_FILE_TYPES``; the file name and part Content-Type are ignored) → dimensions (a
  side under 256 → 422 ``ERROR_LOW_RESOLUTION``; long side over 5760 or short side over 3240 →
  413 ``ERROR_HIGH_RESOLUTION``) → full decode (422 ``FILE_DECODING_FAILURE``) → credits (429
  ``ERROR_NOT_ENOUGH_CREDITS``). Invalid requests cost nothing; an accepted task costs 1 credit,
  charged at submit and not refunded if the task later fails. "10 MB" is read as 10 MiB.
* **Lifecycle, in simulated time** (``hub.clock``; tests jump it with ``clock.advance``): queued
  for :attr:`Simulator.QUEUED_FOR` = 1 s, processing until :attr:`Simulator.DONE_AFTER` = 6 s after
  submit, then done. In demo mode (``hub.realistic``) 3 s and 15 s, nearer the real service.
  Queued/processing answers carry ``data.status`` QUEUING/PROCESSING; done carries
  PROCESS_SUCCESS and an absolute ``result_url``.
* **The result is a real image**: the input cropped and stylised with Pillow (a different look per
  ``index``), short side 1536 px, aspect kept up to 1.5:1, else centre-cropped to exactly 1.5:1,
  JPEG. It is made at the first query that finds the task done (not at submit) and kept; the file
  expires with the task.
* **Failure** (research D.2 "How failure shows up": no documented status value, third-party code
  sees a non-200): a task whose input is one flat colour fails when it would have finished, with
  HTTP 422 ``ERROR_NO_RECOGNITION_TARGET_DETECTED`` and ``data.status`` ``PROCESS_FAILED`` (no
  ``task_status``). :meth:`Simulator.fail_task` forces any failure code for tests.
* **Expiry.** Results are "valid for 24 hours": from then on the query answers 410
  ``ERROR_RESOURCE_RECLAIMED`` and the result URL answers 410 too.
* **Busy fault** → 503 ``AI_SERVICE_FLOW_RESTRICTION`` envelope, without ``Retry-After`` (none is
  documented). No QPS limit is published (D.4), so none is simulated beyond the hub's faults.
* **Hostile fault**: every human-readable string (messages, package names) becomes markup,
  escape sequences, bidi overrides or 5,000 characters.
"""

from __future__ import annotations

import asyncio
import io
import random
import secrets
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import httpx

from animetui.simulator.base import SimService, json_response, parse_body, route
from animetui.simulator.imagery import rgb_extrema

if TYPE_CHECKING:
    from PIL.Image import Image as PILImage

SUBMIT_PATH = "/api/image/effects/ai-anime-generator"
QUERY_PATH = "/api/common/query-async-task-result"
CREDITS_PATH = "/api/common/query-credits"

MAX_BYTES = 10 * 1024 * 1024
MIN_SIDE = 256
MAX_LONG, MAX_SHORT = 5760, 3240
OUTPUT_SHORT_SIDE = 1536
MAX_RATIO = 1.5
RESULT_TTL = 24 * 3600.0
STARTING_CREDITS = 100

#: ``code_message`` per ``error_detail.code`` (wording from the D.5 table)
CODE_MESSAGES: dict[str, str] = {
    "ERROR_PARAMETERS": "Invalid parameters.",
    "MISSING_PARAMETERS": "Missing parameters.",
    "ERROR_INVALID_PARAMETER": "Invalid parameter.",
    "PARAMETERS_CANNOT_EMPTY": "Parameters cannot be empty.",
    "ERROR_APPLICATIONS_NOT_EXISTS": "The application does not exist.",
    "ERROR_USER_LOCKED": "The user is locked.",
    "ERROR_RESOURCE_NOT_FOUND": "Resource not found.",
    "ERROR_RESOURCE_RECLAIMED": "Resource has been reclaimed.",
    "FILE_SIZE_EXCEEDS_LIMIT": "File size exceeds limit.",
    "ERROR_HIGH_RESOLUTION": "File resolution too high.",
    "UNSUPPORTED_FILE_TYPES": "Unsupported file types.",
    "FILE_DECODING_FAILURE": "File decoding failed.",
    "ERROR_LOW_RESOLUTION": "File resolution too low.",
    "ERROR_NO_RECOGNITION_TARGET_DETECTED": "No recognition target detected in the image.",
    "ERROR_NOT_ENOUGH_CREDITS": "Insufficient credits.",
    "PROCESSING_FAILURE": "Processing failed.",
    "AI_SERVICE_FLOW_RESTRICTION": (
        "AI service is rate-limited. Please try again later. If not resolved promptly, contact the platform."
    ),
}

@dataclass(slots=True)
class Account:
    key: str
    balance: int
    total: int
    created: float
    locked: bool = False
    sign: str = ""
    #: credit packages of unrelated APIs the account also holds: unique_sign -> (name, balance)
    other_products: dict[str, tuple[str, int]] = field(
        default_factory=lambda: {"image_face_analyzer": ("Face Analyzer", 500), "image_hd_upscaler": ("HD Upscaler", 40)}
    )


@dataclass(slots=True)
class Task:
    id: str
    key: str
    index: int
    image: bytes = field(repr=False)
    created: float
    flat: bool = False
    failure: tuple[int, str, str, str] | None = None  # (http status, code, message, data.status)
    failed_status: int | None = None  # a task_status to answer with the failure (the SDK's 3)
    result_path: str | None = None


class Simulator(SimService):
    name = "ailab"
    prefixes = ("/api/image/effects/", "/api/common/")

    def __init__(self, hub: object) -> None:
        super().__init__(hub)
        from animetui.simulator.hub import DEMO_KEYS

        self._rng = random.Random(f"ailab-{getattr(hub, 'seed', 0)}")
        self.accounts: dict[str, Account] = {}
        self.tasks: dict[str, Task] = {}
        self.add_key(DEMO_KEYS["ailab"], credits=STARTING_CREDITS)
        self.routes = [
            route("POST", SUBMIT_PATH, self.submit),
            route("GET", QUERY_PATH, self.query),
            route("GET", CREDITS_PATH, self.query_credits),
        ]

    # ------------------------------------------------------------------ lifecycle timing
    @property
    def QUEUED_FOR(self) -> float:  # noqa: N802 - reads like the constant it documents
        return 3.0 if self.hub.realistic else 1.0

    @property
    def DONE_AFTER(self) -> float:  # noqa: N802
        return 15.0 if self.hub.realistic else 6.0

    # ------------------------------------------------------------------ test / demo helpers
    def add_key(self, key: str | None = None, *, credits: int = STARTING_CREDITS) -> str:
        """Register an API key holding ``credits`` credits; returns the key."""
        key = key or f"ailab_{secrets.token_hex(12)}"
        self.accounts[key] = Account(
            key, credits, credits, self.clock.now(), sign=f"api_credits_{self._rng.getrandbits(32):08x}"
        )
        return key

    def lock_key(self, key: str) -> None:
        """From now on this key gets 403 ERROR_USER_LOCKED."""
        self.accounts[key].locked = True

    def fail_task(
        self,
        task_id: str,
        code: str = "PROCESSING_FAILURE",
        message: str = "processing failed",
        *,
        status: int = 422,
        data_status: str = "PROCESS_FAILED",
        task_status: int | None = None,
    ) -> None:
        """Make ``task_id`` fail (when it would have finished) with this code; ``task_status=3``
        answers as the official SDK expects a failed task (HTTP 200, ``task_status`` 3)."""
        self.tasks[task_id].failure = (status, code, message, data_status)
        self.tasks[task_id].failed_status = task_status

    # ------------------------------------------------------------------ envelope
    def _ids(self) -> dict[str, str]:
        rid = "".join(self._rng.choice("0123456789ABCDEF") for _ in range(32))
        log = "".join(self._rng.choice("0123456789abcdef") for _ in range(16))
        return {"request_id": rid, "log_id": log}

    def envelope(self, status: int = 200, code: str = "", message: str = "", **extra: object) -> httpx.Response:
        """A response in the documented envelope (D.3), ``extra`` fields merged in."""
        ok = status == 200
        payload: dict[str, object] = {
            **self._ids(),
            "error_code": 0 if ok else status,
            "error_code_str": code,
            "error_msg": self.text(message, 0) if message else "",
            "error_detail": {
                "status_code": status,
                "code": code,
                "code_message": self.text(CODE_MESSAGES.get(code, ""), 2) if code else "",
                "message": self.text(message, 1) if message else "",
            },
        }
        payload.update(extra)
        return json_response(status, payload)

    def busy_response(self) -> httpx.Response:
        return self.envelope(503, "AI_SERVICE_FLOW_RESTRICTION", "AI service is busy, please try again later")

    def not_found(self, request: httpx.Request) -> httpx.Response:
        return self.envelope(404, "ERROR_RESOURCE_NOT_FOUND", f"no API at {request.url.path}")

    def _account(self, request: httpx.Request) -> Account | httpx.Response:
        key = request.headers.get("ailabapi-api-key", "").strip()
        if not key:
            return self.envelope(401, "ERROR_APPLICATIONS_NOT_EXISTS", "missing ailabapi-api-key header")
        account = self.accounts.get(key)
        if account is None:
            return self.envelope(401, "ERROR_APPLICATIONS_NOT_EXISTS", "invalid API key")
        if account.locked:
            return self.envelope(403, "ERROR_USER_LOCKED", "this account is locked")
        return account

    # ------------------------------------------------------------------ POST submit
    async def submit(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        account = self._account(request)
        if isinstance(account, httpx.Response):
            return account
        form = parse_body(request)
        if form.error:
            return self.envelope(400, "ERROR_PARAMETERS", f"cannot read the request body: {form.error}")
        task_type = form.fields.get("task_type")
        if task_type is None:
            return self.envelope(400, "MISSING_PARAMETERS", "task_type is required")
        if task_type != "async":
            return self.envelope(400, "ERROR_INVALID_PARAMETER", "task_type must be async")
        raw_index = form.fields.get("index")
        if raw_index is None:
            return self.envelope(400, "MISSING_PARAMETERS", "index is required")
        if not raw_index.strip().isdigit() or not 0 <= int(raw_index) <= 8:
            return self.envelope(400, "ERROR_INVALID_PARAMETER", "index must be an integer from 0 to 8")
        upload = form.files.get("image")
        if upload is None:
            return self.envelope(400, "MISSING_PARAMETERS", "image is required")
        data = upload.data
        if not data:
            return self.envelope(400, "PARAMETERS_CANNOT_EMPTY", "image is empty")
        if len(data) > MAX_BYTES:
            return self.envelope(413, "FILE_SIZE_EXCEEDS_LIMIT", "image must be no more than 10 MB")
        fmt = sniff_format(data)
        if fmt is None:
            return self.envelope(415, "UNSUPPORTED_FILE_TYPES", "image format must be JPEG, PNG, BMP or WEBP")
        checked = await asyncio.to_thread(_check_image, data)
        if checked is None:
            return self.envelope(422, "FILE_DECODING_FAILURE", "the image could not be decoded")
        width, height = checked.width, checked.height
        long_, short = max(width, height), min(width, height)
        if short < MIN_SIDE:
            return self.envelope(422, "ERROR_LOW_RESOLUTION", "image must be at least 256x256 pixels")
        if long_ > MAX_LONG or short > MAX_SHORT:
            return self.envelope(413, "ERROR_HIGH_RESOLUTION", "image must be at most 5760x3240 pixels")
        if not checked.decoded:
            return self.envelope(422, "FILE_DECODING_FAILURE", "the image could not be decoded")
        if account.balance < 1:
            return self.envelope(429, "ERROR_NOT_ENOUGH_CREDITS", "your credits are used up")
        account.balance -= 1
        task_id = "".join(self._rng.choice("0123456789abcdef") for _ in range(32))
        self.tasks[task_id] = Task(task_id, account.key, int(raw_index), data, self.clock.now(), flat=checked.flat)
        return self.envelope(200, task_type="async", task_id=task_id)

    # ------------------------------------------------------------------ GET query
    async def query(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        account = self._account(request)
        if isinstance(account, httpx.Response):
            return account
        task_id = request.url.params.get("task_id", "").strip()
        if not task_id:
            return self.envelope(400, "MISSING_PARAMETERS", "task_id is required")
        task = self.tasks.get(task_id)
        if task is None or task.key != account.key:
            return self.envelope(404, "ERROR_RESOURCE_NOT_FOUND", "no such task")
        age = self.clock.now() - task.created
        if age > RESULT_TTL:
            return self.envelope(410, "ERROR_RESOURCE_RECLAIMED", "the task result has expired (24 h)")
        if age < self.QUEUED_FOR:
            return self.envelope(200, task_status=0, data={"status": "QUEUING"})
        if age < self.DONE_AFTER:
            return self.envelope(200, task_status=1, data={"status": "PROCESSING"})
        failure = task.failure
        if failure is None and task.flat:
            failure = (422, "ERROR_NO_RECOGNITION_TARGET_DETECTED", "nothing to cartoonize was found in the image", "PROCESS_FAILED")
        if failure is not None:
            status, code, message, data_status = failure
            extra: dict[str, object] = {"data": {"status": data_status}}
            if task.failed_status is not None:
                extra["task_status"] = task.failed_status
            return self.envelope(status, code, message, **extra)
        if task.result_path is None:
            rendered = await asyncio.to_thread(stylise, task.image, task.index)
            if task.result_path is None:  # a concurrent query may have stored it meanwhile
                ttl = max(0.0, task.created + RESULT_TTL - self.clock.now())
                task.result_path = self.hub.store_file(rendered, "image/jpeg", ttl=ttl, suffix=".jpg")
        url = self.hub.base_of(request) + task.result_path
        return self.envelope(200, task_status=2, data={"status": "PROCESS_SUCCESS", "result_url": url})

    # ------------------------------------------------------------------ GET credits
    async def query_credits(self, request: httpx.Request, _params: dict[str, str]) -> httpx.Response:
        account = self._account(request)
        if isinstance(account, httpx.Response):
            return account
        # one entry per product (ailabtools-docs, docs/ai-common/querying-credits): the general
        # credits ("common", which this simulator spends) and products of unrelated APIs
        def package(sign: str, name: str, balance: int, total: int) -> dict[str, object]:
            return {
                "unique_sign": sign,
                "name": name,
                "balance": balance,
                "total": total,
                "last_recharge_balance": total,
                "balance_warning": 10,
                "first_buy_time": int(account.created),
                "last_update_time": int(self.clock.now()),
            }

        packages = [package("common", self.text("API general credits", 3), account.balance, account.total)]
        packages += [package(sign, name, balance, balance) for sign, (name, balance) in account.other_products.items()]
        return self.envelope(200, data=packages)


# --------------------------------------------------------------------------- image work
def sniff_format(data: bytes) -> str | None:
    """The format the bytes say they are (JPEG/PNG/BMP/WEBP), or None for anything else."""
    if data.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if data.startswith(b"BM") and len(data) >= 26:
        return "BMP"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP"
    return None


@dataclass(frozen=True, slots=True)
class Checked:
    width: int
    height: int
    decoded: bool  # the whole image decodes (not only its header)
    flat: bool  # one flat colour: nothing to cartoonize


def _check_image(data: bytes) -> Checked | None:
    """What the service learns from the upload; None when not even the header reads."""
    from PIL import Image

    try:
        image = Image.open(io.BytesIO(data))
        width, height = image.size
    except Exception:  # noqa: BLE001 - any failure to read is the service's 422
        return None
    long_, short = max(width, height), min(width, height)
    if short < MIN_SIDE or long_ > MAX_LONG or short > MAX_SHORT:
        return Checked(width, height, decoded=True, flat=False)  # refused on size before decoding
    try:
        image.load()
        extrema = rgb_extrema(image)
    except Exception:  # noqa: BLE001
        return Checked(width, height, decoded=False, flat=False)
    flat = all(high - low <= 2 for low, high in extrema)
    return Checked(width, height, decoded=True, flat=flat)


def output_size(width: int, height: int, short_side: int = OUTPUT_SHORT_SIDE) -> tuple[tuple[int, int, int, int], tuple[int, int]]:
    """The crop box on the input and the output size, by the documented rule."""
    long_, short = max(width, height), min(width, height)
    box = (0, 0, width, height)
    if long_ / short > MAX_RATIO:
        kept = round(short * MAX_RATIO)
        if width >= height:
            left = (width - kept) // 2
            box = (left, 0, left + kept, height)
        else:
            top = (height - kept) // 2
            box = (0, top, width, top + kept)
        out_long = round(short_side * MAX_RATIO)
    else:
        out_long = round(long_ * short_side / short)
    size = (out_long, short_side) if width >= height else (short_side, out_long)
    return box, size


def stylise(data: bytes, index: int, *, short_side: int = OUTPUT_SHORT_SIDE) -> bytes:
    """The "cartoon": ``data`` cropped/resized by the output rule and given style ``index``; JPEG."""
    from PIL import Image, ImageOps

    with Image.open(io.BytesIO(data)) as opened:
        image = ImageOps.exif_transpose(opened) or opened
        image = image.convert("RGB")
    box, size = output_size(image.width, image.height, short_side)
    # style at a working size (fast, and the look is the same), then scale to the output size
    work_scale = min(1.0, 768 / short_side)
    work = (max(1, round(size[0] * work_scale)), max(1, round(size[1] * work_scale)))
    image = image.resize(work, Image.Resampling.BILINEAR, box=box)
    styled = _STYLES[index % len(_STYLES)](image)
    if styled.size != size:
        styled = styled.resize(size, Image.Resampling.BICUBIC)
    buffer = io.BytesIO()
    styled.save(buffer, "JPEG", quality=88)
    return buffer.getvalue()


def _ink(image: PILImage, threshold: int = 28, darkness: int = 40) -> PILImage:
    """Dark outlines where the picture has edges (the cel-shaded look)."""
    from PIL import Image, ImageChops, ImageFilter, ImageOps

    edges = ImageOps.grayscale(image).filter(ImageFilter.SMOOTH).filter(ImageFilter.FIND_EDGES)
    mask = edges.point(lambda v: darkness if v > threshold else 255).filter(ImageFilter.MinFilter(3))
    return ImageChops.multiply(image, Image.merge("RGB", (mask, mask, mask)))


def _tint(image: PILImage, colour: tuple[int, int, int], alpha: float) -> PILImage:
    from PIL import Image

    return Image.blend(image, Image.new("RGB", image.size, colour), alpha)


def _vintage_comic(image):  # noqa: ANN001, ANN202
    from PIL import Image, ImageOps

    sepia = ImageOps.colorize(ImageOps.grayscale(image), "#2b1a0e", "#f4e1b5")
    return _ink(Image.blend(ImageOps.posterize(image, 3), sepia, 0.45))


def _fairy_tale_3d(image):  # noqa: ANN001, ANN202
    from PIL import Image, ImageEnhance, ImageFilter

    soft = image.filter(ImageFilter.GaussianBlur(2))
    glow = ImageEnhance.Brightness(soft.filter(ImageFilter.GaussianBlur(6))).enhance(1.25)
    out = Image.blend(ImageEnhance.Color(soft).enhance(1.5), glow, 0.3)
    return ImageEnhance.Contrast(out).enhance(1.15)


def _two_d(image):  # noqa: ANN001, ANN202
    from PIL import ImageFilter

    flat = image.filter(ImageFilter.GaussianBlur(1.5)).quantize(12, dither=0).convert("RGB")
    return _ink(flat)


def _refreshing(image):  # noqa: ANN001, ANN202
    from PIL import ImageEnhance

    out = ImageEnhance.Brightness(ImageEnhance.Color(image).enhance(0.7)).enhance(1.12)
    return _tint(out, (196, 236, 228), 0.2)


def _future_tech(image):  # noqa: ANN001, ANN202
    from PIL import ImageFilter, ImageOps

    gray = ImageOps.autocontrast(ImageOps.grayscale(image))
    neon = ImageOps.colorize(gray, black="#050a30", white="#ff4fd8", mid="#00e5ff")
    return neon.filter(ImageFilter.EDGE_ENHANCE_MORE)


def _chinese_painting(image):  # noqa: ANN001, ANN202
    from PIL import ImageFilter, ImageOps

    gray = ImageOps.autocontrast(ImageOps.grayscale(image), cutoff=2).filter(ImageFilter.GaussianBlur(1.2))
    wash = ImageOps.colorize(ImageOps.posterize(gray, 3), "#2a2622", "#f2eadb")
    return _ink(_tint(wash, (242, 234, 219), 0.35), darkness=30)


def _hundred_battles(image):  # noqa: ANN001, ANN202
    from PIL import Image, ImageEnhance, ImageFilter, ImageOps

    hard = ImageEnhance.Color(ImageEnhance.Contrast(image).enhance(1.6)).enhance(0.5)
    bronze = ImageOps.colorize(ImageOps.grayscale(hard), "#120a04", "#e8b86a")
    return Image.blend(hard, bronze, 0.5).filter(ImageFilter.SHARPEN)


def _colorful_cartoon(image):  # noqa: ANN001, ANN202
    from PIL import Image, ImageEnhance

    vivid = ImageEnhance.Color(image).enhance(1.9).quantize(8, dither=Image.Dither.NONE).convert("RGB")
    return _ink(vivid, darkness=20)


def _graceful_chinese(image):  # noqa: ANN001, ANN202
    from PIL import Image, ImageEnhance, ImageFilter, ImageOps

    gilded = ImageOps.colorize(ImageOps.grayscale(image), "#5a0f14", "#f6d28b", mid="#c8363d")
    out = Image.blend(image.filter(ImageFilter.GaussianBlur(1)), gilded, 0.45)
    return ImageEnhance.Brightness(out).enhance(1.05)


_STYLES = (
    _vintage_comic,
    _fairy_tale_3d,
    _two_d,
    _refreshing,
    _future_tech,
    _chinese_painting,
    _hundred_battles,
    _colorful_cartoon,
    _graceful_chinese,
)
