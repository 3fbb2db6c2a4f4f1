"""Contract simulator of AnimeTrace (api.animetrace.com): character recognition.

Faithful to ``seeds/animetrace-api.txt`` and research section A (``research/providers.md``).

Endpoints
---------
* ``GET /v1/model/list`` → ``{"data": [model…], "code": 0, "message": "success"}``. The list
  (:attr:`Simulator.models`) has one ``default`` model, a paused one (``enabled: false``) and two
  more; tests may replace it.
* ``POST /v1/search`` → the docs' success body ``{"code": 0, "ai", "trace_id", "data": [{"box",
  "box_id", "not_confident", "character": [{"work", "character"}]}]}``.

Request bodies accepted: multipart/form-data (``file`` part, or ``url``/``base64`` fields), and —
as several clients send — JSON or a url-encoded form carrying ``url``/``base64``. Fields ``model``,
``is_multi`` (0|1) and ``ai_detect`` (1 on; 0 — or the older docs' 2 — off) are optional.

Where the docs are silent, this simulator chooses (the provider must cope with all of it):

=====================================  =======  ======  ==============================================
situation                              HTTP     code    note
=====================================  =======  ======  ==============================================
none, or more than one, of             400      17703   also: unparsable body, invalid base64 text,
file|url|base64                                         bad is_multi/ai_detect value
unknown model id                       500      17729   as reported by a client test (zh_message
                                                        "未找到选择的模型"); an *old* id in
                                                        :data:`LEGACY_MODELS` (the docs' own
                                                        ``animetrace_high_beta``, ``pre_stable`` …)
                                                        is mapped to a current model, as the
                                                        service does (an SDK maintainer, July 2026)
paused model (``enabled: false``)      400      17703   "temporarily paused" — the docs say paused
                                                        models "cannot be selected"
image over :attr:`max_upload_bytes`    413      17701   5 MB (the real limit is unpublished)
not an image / unsupported format      422      17705   JPEG, PNG, WEBP, BMP and GIF are decoded;
                                                        422 because clients treat 422 as "format"
url cannot be fetched                  400      17722   ``/sim-files/`` urls are served from the hub's
                                                        files (missing/expired → 17722); any other
                                                        url yields an image made from the url itself,
                                                        except unreachable ones: a ``.invalid`` host,
                                                        a loopback host outside ``/sim-files/``, or
                                                        "notfound"/"private"/"unreachable" in the url
more characters than :attr:`max_people` 422     17708   default 5, above what the simulator draws, so
                                                        only tests that lower it see 17708
usage per client per simulated day     429      17728   :attr:`daily_limit` = 1000 searches; the body
                                                        code (quota) is what matters, not the 429
requests per client per simulated      429      17737   :attr:`burst_limit` = 120 a minute (2/s), with
minute                                                  ``Retry-After``
:attr:`maintenance` switched on        403      17704   search only; the model list keeps working
busy fault (``hub.inject(..,"busy")``) 503      17702   no ``Retry-After`` (none is documented)
unknown path under /v1/                404      404     "Page not found"
=====================================  =======  ======  ==============================================

The codes the docs list with no HTTP status ("-": 17703, 17705, 17708, 17722, 17728) get the
status in the table above by default; with :attr:`Simulator.dash_codes_as_200` on they come as
HTTP 200 with the code in the body — the service may do either, the provider handles both.

A "client" is the first ``X-Forwarded-For`` address, else one shared anonymous client (neither the
in-process transport nor the loopback server passes a peer address). The public API has no key.

Every error body carries ``code``, ``message`` (English) and ``zh_message`` (Chinese, as the real
service sends). Results are deterministic in the image's sha256: 0–3 detections with
non-overlapping boxes, 1–5 candidates each (one with ``is_multi=0``), ``not_confident`` when a box
has more than two candidates, ``ai`` true for about a third of images (always false with
``ai_detect`` off). A flat one-colour image has no characters (``data: []``). With the ``hostile``
fault on, every work/character name is a hostile string.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import io
import random
import urllib.parse
import uuid
from dataclasses import dataclass
from typing import Any

import httpx

from animetui.simulator.base import SimService, json_response, parse_body, route
from animetui.simulator.imagery import rgb_extrema

#: (work, character) — a small cast mixing Japanese, Chinese and romaji, like the real answers.
CAST: tuple[tuple[str, str], ...] = (
    ("ご注文はうさぎですか?", "保登心愛"),
    ("ご注文はうさぎですか?", "香風智乃"),
    ("Clover Day's", "鷹倉杏璃"),
    ("Clover Day's", "鷹倉杏鈴"),
    ("恋×シンアイ彼女", "小鞠ゆい"),
    ("この素晴らしい世界に祝福を！", "めぐみん"),
    ("この素晴らしい世界に祝福を！", "アクア"),
    ("ラブライブ！サンシャイン!!", "高海千歌"),
    ("ラブライブ！サンシャイン!!", "桜内梨子"),
    ("Re:Zero kara Hajimeru Isekai Seikatsu", "Rem"),
    ("Re:Zero kara Hajimeru Isekai Seikatsu", "Emilia"),
    ("Bocchi the Rock!", "Gotou Hitori"),
    ("ぼっち・ざ・ろっく！", "伊地知虹夏"),
    ("Sousou no Frieren", "Frieren"),
    ("葬送のフリーレン", "フェルン"),
    ("K-ON!", "Hirasawa Yui"),
    ("けいおん！", "秋山澪"),
    ("Yuru Camp△", "Kagamihara Nadeshiko"),
    ("ゆるキャン△", "志摩リン"),
    ("SPY×FAMILY", "Anya Forger"),
    ("【推しの子】", "星野アイ"),
    ("やがて君になる", "小糸侑"),
    ("原神", "芙宁娜"),
    ("崩坏：星穹铁道", "三月七"),
)

#: Error texts: code -> (HTTP status, English message, Chinese message as the service words it).
ERRORS: dict[int, tuple[int, str, str]] = {
    17701: (413, "Image size too large", "图片大小过大"),
    17702: (503, "Server busy, please retry", "服务器繁忙，请重试"),
    17703: (400, "Request parameters incorrect", "请求参数不正确"),
    17704: (403, "API under maintenance", "API维护中"),
    17705: (422, "Unsupported image format", "图片格式不支持"),
    17708: (422, "Number of people in image exceeds limit", "图片中的人物数量超过限制"),
    17722: (400, "Image download failed", "图片下载失败"),
    17728: (429, "Usage limit reached", "已达到本次使用上限"),
    17729: (500, "Selected model not found", "未找到选择的模型"),
    17737: (429, "Too many requests, please try again later", "请求过于频繁，请稍后再试"),
    404: (404, "Page not found", "页面不存在"),
}

_FORMATS = {"JPEG", "PNG", "WEBP", "BMP", "GIF"}


def default_models() -> list[dict[str, Any]]:
    """The model list the simulator starts with (ids shaped like the ones seen in 2026)."""

    def desc(en: str, ja: str, zh: str) -> dict[str, str]:
        return {"en": en, "ja": ja, "zh": zh}

    return [
        {
            "id": "animetrace-yuri-4.2",
            "name": "AnimeTrace Yuri 4.2",
            "provider": "amt",
            "enabled": True,
            "default": True,
            "desc": desc("General model for anime and game characters.", "アニメ・ゲームキャラクター向けの汎用モデル。", "通用动画与游戏角色识别模型。"),
        },
        {
            "id": "animetrace-aqours-3.5",
            "name": "AnimeTrace Aqours 3.5",
            "provider": "amt",
            "enabled": False,
            "default": False,
            "desc": desc("Previous general model (temporarily paused).", "旧汎用モデル（一時停止中）。", "旧版通用模型（暂停使用）。"),
        },
        {
            "id": "animetrace-kira-2.1",
            "name": "AnimeTrace Kira 2.1",
            "provider": "amt",
            "enabled": True,
            "default": False,
            "desc": desc("Tuned for galgame characters.", "ギャルゲーのキャラクター向け。", "针对Gal游戏角色优化。"),
        },
        {
            "id": "animetrace-high-beta",
            "name": "AnimeTrace High (beta)",
            "provider": "amt",
            "enabled": True,
            "default": False,
            "desc": desc("Experimental high-accuracy model.", "高精度の試験モデル。", "高精度实验模型。"),
        },
    ]


#: old model ids the service still takes, and the current model each is answered by
LEGACY_MODELS = {
    "animetrace_high_beta": "animetrace-high-beta",
    "pre_stable": "animetrace-yuri-4.2",
    "anime": "animetrace-yuri-4.2",
    "anime_model_lovelive": "animetrace-yuri-4.2",
    "full_game_model_kira": "animetrace-kira-2.1",
    "game_model_kirakira": "animetrace-kira-2.1",
}

#: the docs list these with no HTTP status ("-")
DASH_CODES = (17703, 17705, 17708, 17722, 17728)


class SearchError(Exception):
    """A documented error answer (code → status and messages from :data:`ERRORS`)."""

    def __init__(self, code: int, detail: str = "", headers: dict[str, str] | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.detail = detail
        self.headers = headers or {}


@dataclass(slots=True)
class Analysis:
    """What the simulated model sees in one image (before ``is_multi``/``ai_detect`` are applied)."""

    boxes: list[tuple[float, float, float, float]]
    candidates: list[list[tuple[str, str]]]
    ai: bool


def analyse(data: bytes) -> Analysis:
    """Deterministic recognition of decoded-OK image bytes (pure; tests may call it)."""
    digest = hashlib.sha256(data).digest()
    if _flat(data):
        return Analysis([], [], bool(digest[1] % 3 == 0))
    rng = random.Random(digest)
    count = digest[0] % 4
    boxes: list[tuple[float, float, float, float]] = []
    candidates: list[list[tuple[str, str]]] = []
    width = 1.0 / max(1, count)
    for index in range(count):
        left = index * width
        x1 = left + rng.uniform(0.02, 0.25) * width
        x2 = left + width - rng.uniform(0.02, 0.25) * width
        y1 = rng.uniform(0.02, 0.4)
        y2 = min(0.99, y1 + rng.uniform(0.25, 0.55))
        boxes.append((round(x1, 3), round(y1, 3), round(x2, 3), round(y2, 3)))
        picks = rng.sample(range(len(CAST)), rng.randint(1, 5))
        candidates.append([CAST[p] for p in picks])
    return Analysis(boxes, candidates, bool(digest[1] % 3 == 0))


def _flat(data: bytes) -> bool:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        image.draft("RGB", (64, 64))
        small = image.convert("RGB").resize((32, 32))
    return all(low == high for low, high in rgb_extrema(small))


def _decode_ok(data: bytes) -> bool:
    """A format the service reads, and a body Pillow can decode."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            if (image.format or "").upper() not in _FORMATS:
                return False
            image.load()
    except Exception:  # noqa: BLE001 - any decode failure is "unsupported format"
        return False
    return True


class Simulator(SimService):
    name = "animetrace"
    prefixes = ("/v1/",)

    #: bytes of image the service takes (after base64 decoding / download)
    max_upload_bytes = 5 * 1024 * 1024
    #: searches per client per simulated day
    daily_limit = 1000
    #: searches per client per simulated minute
    burst_limit = 120
    #: more detected characters than this → 17708
    max_people = 5

    def __init__(self, hub: Any) -> None:
        super().__init__(hub)
        self.models: list[dict[str, Any]] = default_models()
        self.maintenance = False
        #: answer the "-" codes (:data:`DASH_CODES`) as HTTP 200 + code instead of an error status
        self.dash_codes_as_200 = False
        #: the image bytes of the last search that got that far (tests check what was sent)
        self.last_image: bytes | None = None
        #: the form fields of the last search (``model``, ``is_multi`` … as sent)
        self.last_fields: dict[str, str] = {}
        self._daily: dict[tuple[str, int], int] = {}
        self._minute: dict[tuple[str, int], int] = {}
        self.routes = [
            route("GET", "/v1/model/list", self._model_list),
            route("POST", "/v1/search", self._search),
        ]

    # ------------------------------------------------------------------ answers
    def error(self, code: int, detail: str = "", headers: dict[str, str] | None = None) -> httpx.Response:
        status, message, zh = ERRORS[code]
        if self.dash_codes_as_200 and code in DASH_CODES:
            status = 200
        body = {"code": code, "message": f"{message}: {detail}" if detail else message, "zh_message": zh, "data": None}
        return json_response(status, body, headers)

    def busy_response(self) -> httpx.Response:
        return self.error(17702)

    def not_found(self, request: httpx.Request) -> httpx.Response:
        return self.error(404)

    # ------------------------------------------------------------------ GET /v1/model/list
    async def _model_list(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        return json_response(200, {"data": self.models, "code": 0, "message": "success"})

    # ------------------------------------------------------------------ POST /v1/search
    async def _search(self, request: httpx.Request, params: dict[str, str]) -> httpx.Response:
        try:
            return await self._recognise(request)
        except SearchError as exc:
            return self.error(exc.code, exc.detail, exc.headers)

    async def _recognise(self, request: httpx.Request) -> httpx.Response:
        if self.maintenance:
            raise SearchError(17704)
        fields, upload = self._fields(request)
        self.last_fields = dict(fields)
        model = self._model(fields.get("model", ""))
        is_multi = self._flag(fields, "is_multi", default=True)
        ai_detect = self._flag(fields, "ai_detect", default=True, off=("0", "2"))

        sources = [name for name in ("file", "url", "base64") if (upload if name == "file" else fields.get(name))]
        if len(sources) != 1:
            got = "none" if not sources else ", ".join(sources)
            raise SearchError(17703, f"send exactly one of file, url or base64 (got {got})")

        self._count_usage(request)
        if sources[0] == "file":
            data = upload or b""
        elif sources[0] == "base64":
            data = self._from_base64(fields["base64"])
        else:
            data = self._download(fields["url"])
        self.last_image = data
        if len(data) > self.max_upload_bytes:
            raise SearchError(17701, f"{len(data)} bytes, limit {self.max_upload_bytes}")
        if not data or not _decode_ok(data):
            raise SearchError(17705)

        found = await asyncio.to_thread(analyse, data)
        if len(found.boxes) > self.max_people:
            raise SearchError(17708, f"{len(found.boxes)} people, limit {self.max_people}")
        if self.hub.realistic:
            await asyncio.sleep(1.0 + (data[-1] % 10) / 10 if data else 1.0)
        return json_response(200, self._body(found, model, is_multi=is_multi, ai_detect=ai_detect))

    def _body(self, found: Analysis, model: str, *, is_multi: bool, ai_detect: bool) -> dict[str, Any]:
        results = []
        seed = hashlib.sha256(repr((found.boxes, model)).encode()).digest()
        rng = random.Random(seed)
        counter = 0
        for box, cands in zip(found.boxes, found.candidates):
            shown = cands if is_multi else cands[:1]
            characters = []
            for work, character in shown:
                characters.append({"work": self.text(work, counter), "character": self.text(character, counter + 1)})
                counter += 1
            results.append(
                {
                    "box": list(box),
                    "box_id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                    "not_confident": len(cands) > 2,
                    "character": characters,
                }
            )
        return {
            "code": 0,
            "ai": found.ai if ai_detect else False,
            "trace_id": str(uuid.uuid4()),
            "data": results,
        }

    # ------------------------------------------------------------------ request pieces
    def _fields(self, request: httpx.Request) -> tuple[dict[str, str], bytes | None]:
        form = parse_body(request)
        if form.error:
            raise SearchError(17703, form.error)
        fields: dict[str, str] = {}
        if form.json is not None:
            if not isinstance(form.json, dict):
                raise SearchError(17703, "the JSON body must be an object")
            for key, value in form.json.items():
                if isinstance(value, bool):
                    fields[key] = "1" if value else "0"
                elif isinstance(value, (str, int, float)):
                    fields[key] = str(value)
        fields.update({k: v for k, v in form.fields.items()})
        fields = {k: v.strip() for k, v in fields.items()}
        upload = form.files.get("file")
        return fields, (upload.data if upload is not None else None)

    def _model(self, requested: str) -> str:
        if not requested:
            default = next((m for m in self.models if m.get("default") and m.get("enabled")), None)
            default = default or next((m for m in self.models if m.get("enabled")), None)
            return str(default["id"]) if default else ""
        for model in self.models:
            if model.get("id") == requested:
                if not model.get("enabled", True):
                    raise SearchError(17703, f"model {requested} is temporarily paused")
                return requested
        mapped = LEGACY_MODELS.get(requested)
        if mapped is not None and any(m.get("id") == mapped and m.get("enabled", True) for m in self.models):
            return mapped
        raise SearchError(17729, requested[:100])

    @staticmethod
    def _flag(fields: dict[str, str], name: str, *, default: bool, off: tuple[str, ...] = ("0",)) -> bool:
        value = fields.get(name, "")
        if value == "":
            return default
        if value in off:
            return False
        if value == "1":
            return True
        raise SearchError(17703, f"{name} must be 0 or 1")

    def _count_usage(self, request: httpx.Request) -> None:
        client = request.headers.get("x-forwarded-for", "").split(",")[0].strip() or "anonymous"
        minute_key = (client, self.clock.minute())
        if self._minute.get(minute_key, 0) >= self.burst_limit:
            wait = max(1, int(60 - self.clock.now() % 60))
            raise SearchError(17737, headers={"Retry-After": str(wait)})
        day_key = (client, self.clock.day())
        if self._daily.get(day_key, 0) >= self.daily_limit:
            raise SearchError(17728, f"{self.daily_limit} searches a day")
        self._minute[minute_key] = self._minute.get(minute_key, 0) + 1
        self._daily[day_key] = self._daily.get(day_key, 0) + 1

    def _from_base64(self, text: str) -> bytes:
        if text.startswith("data:") and "," in text:
            text = text.split(",", 1)[1]
        try:
            return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
        except (binascii.Error, ValueError):
            raise SearchError(17703, "base64 is not valid Base64 text") from None

    def _download(self, url: str) -> bytes:
        parsed = urllib.parse.urlsplit(url)
        if parsed.scheme not in ("http", "https") or not parsed.netloc:
            raise SearchError(17722, "not an http(s) URL")
        if parsed.path.startswith("/sim-files/"):
            stored = self.hub.files.get(parsed.path.removeprefix("/sim-files/"))
            if stored is None or (stored.expires_at is not None and self.clock.now() > stored.expires_at):
                raise SearchError(17722, "HTTP 404 from the image host")
            return stored.data
        lowered = url.lower()
        if "notfound" in lowered or "private" in lowered:
            raise SearchError(17722, "the image host refused the download")
        host = (parsed.hostname or "").lower()
        if host.endswith(".invalid") or host == "invalid" or "unreachable" in lowered or host in ("localhost", "127.0.0.1", "::1"):
            raise SearchError(17722, f"could not reach {host}")
        from animetui.simulator.imagery import scene

        seed = int.from_bytes(hashlib.sha256(url.encode()).digest()[:4], "big")
        return scene(640, 360, seed=seed, fmt="JPEG")
