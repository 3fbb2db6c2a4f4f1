"""trace.moe's answers, read defensively, and the bytes we send it — no HTTP here.

The contract is described in :mod:`animetui.providers.tracemoe` (soruly/trace.moe-api at b9106a5);
this module holds its data side: the search answer (:func:`parse_search`, :func:`parse_batch`,
:func:`parse_match`), ``/me`` (:func:`parse_account`), the documented preview-link parameters
(:func:`preview_url`), colour-layout vectors (:func:`vector_payload`) and the upload body
(:func:`prepare_upload`). Everything here is pure and synchronous (tested without a server); the
provider in ``tracemoe.py`` does the requests, limits and retries.
"""

from __future__ import annotations

import base64
import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from animetui.errors import BadInput, ServerError, Unsupported
from animetui.models import ImageSource, SceneMatch, SceneResult
from animetui.net import json_body
from animetui.pictures import sources
from animetui.providers.base import as_bool, as_float, as_int, episode_of, seconds_of, server_text

NAME = "tracemoe"
TITLE = "trace.moe"
MAX_BYTES = 25 * 1024 * 1024
MAX_RESULTS = 10
MAX_VECTORS = 10
VECTOR_LENGTH = 33
MAX_SIDE = 1280  # the docs recommend 640×360; "higher resolution doesn't yield better results"
PREVIEW_SIZES = ("l", "m", "s")
GUEST_CONCURRENCY = 1

__all__ = [
    "TraceMoeAccount",
    "Upload",
    "episode_of",
    "error_text",
    "parse_account",
    "parse_batch",
    "parse_match",
    "parse_search",
    "prepare_upload",
    "sniff_type",
    "preview_url",
    "vector_payload",
]


def error_text(response: httpx.Response) -> str:
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


def vector_payload(vector: object) -> str | list[int]:
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
        return vector_payload(base64.b64encode(bytes(vector)).decode("ascii"))
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


def sniff_type(data: bytes) -> tuple[str, str]:
    for magic, ctype, ext in _MAGIC:
        if data.startswith(magic):
            return ctype, ext
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp", "webp"
    if data[4:8] == b"ftyp":
        return "video/mp4", "mp4"
    return "application/octet-stream", "bin"


@dataclass(frozen=True, slots=True)
class Upload:
    data: bytes
    content_type: str
    filename: str


def prepare_upload(source: ImageSource) -> Upload:
    """The bytes to send: as they are when ≤ 25 MB (trace.moe decodes anything ffmpeg can), else an
    image downscaled and re-encoded to fit; anything else over 25 MB is refused here."""
    data = sources.read_source(source.path) if source.path is not None else source.data
    assert data is not None
    if not data:
        raise BadInput(f"{source.label}: the file is empty", provider=NAME)
    ctype, ext = sniff_type(data)
    stem = Path(source.label).stem or "image"
    if ctype.startswith("image/"):  # the same pixel safety limit as every engine (header only: cheap)
        try:
            sources.inspect(data, source.label)
        except BadInput:  # Pillow cannot read it; trace.moe (ffmpeg) may: its answer says
            pass
    if len(data) <= MAX_BYTES:
        return Upload(data, ctype, f"{stem}.{ext}")
    if not ctype.startswith("image/"):
        raise Unsupported(f"{source.label}: {sources.human_bytes(len(data))} is over trace.moe's 25 MB limit", provider=NAME)
    prepared = sources.prepare_upload(data, label=source.label, formats=("JPEG", "PNG"), max_bytes=MAX_BYTES,
                                     max_side=MAX_SIDE, service=TITLE)
    return Upload(prepared.data, prepared.content_type, prepared.filename)
