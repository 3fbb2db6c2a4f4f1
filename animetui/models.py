"""Domain types: what leaves a provider and what the UI, CLI, store and jobs work with.

Frozen dataclasses, no I/O, no httpx, no Textual. Every type has ``to_json()`` giving the stable
machine-readable shape the CLI prints with ``--json`` (documented in README "CLI"); change those
shapes only on purpose, tests pin them.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*)://")


# --------------------------------------------------------------------------- image sources
@dataclass(frozen=True, slots=True)
class ImageSource:
    """Exactly one of a local file, a URL or in-memory bytes."""

    path: Path | None = None
    url: str | None = None
    data: bytes | None = field(default=None, repr=False)
    name: str = ""

    def __post_init__(self) -> None:
        given = sum(x is not None for x in (self.path, self.url, self.data))
        if given != 1:
            raise ValueError("ImageSource needs exactly one of path, url or data")

    @classmethod
    def parse(cls, text: str) -> "ImageSource":
        """A CLI/UI argument: an http(s) URL or a file path (``~`` expanded)."""
        stripped = text.strip()
        if stripped.lower().startswith(("http://", "https://")):
            return cls(url=stripped, name=stripped)
        scheme = _SCHEME.match(stripped)
        if scheme is not None:
            from animetui.errors import BadInput

            name = scheme.group(1).lower()
            hint = "give the file's path instead" if name == "file" else "give an http:// or https:// URL or a file path"
            raise BadInput(f"{name}:// URLs are not supported; {hint}")
        path = Path(stripped).expanduser()
        return cls(path=path, name=path.name)

    @property
    def label(self) -> str:
        if self.name:
            return self.name
        if self.path is not None:
            return self.path.name
        if self.url is not None:
            return self.url
        return "<image>"


# --------------------------------------------------------------------------- AnimeTrace
@dataclass(frozen=True, slots=True)
class Candidate:
    character: str
    work: str

    def to_json(self) -> dict[str, Any]:
        return {"character": self.character, "work": self.work}


@dataclass(frozen=True, slots=True)
class Detection:
    """One detected character: a box (x1, y1, x2, y2 relative 0–1) and candidates, best first."""

    box: tuple[float, float, float, float]
    candidates: tuple[Candidate, ...]
    not_confident: bool = False
    box_id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "box": list(self.box),
            "box_id": self.box_id,
            "not_confident": self.not_confident,
            "candidates": [c.to_json() for c in self.candidates],
        }


@dataclass(frozen=True, slots=True)
class CharacterResult:
    detections: tuple[Detection, ...]
    ai: bool | None = None
    trace_id: str = ""
    model: str | None = None
    #: one line for the user about the request (e.g. a model id the service does not list), or ""
    warning: str = ""

    def to_json(self) -> dict[str, Any]:
        data = {
            "ai": self.ai,
            "trace_id": self.trace_id,
            "model": self.model,
            "detections": [d.to_json() for d in self.detections],
        }
        if self.warning:
            data["warning"] = self.warning
        return data


@dataclass(frozen=True, slots=True)
class ModelInfo:
    id: str
    name: str
    provider: str = ""
    enabled: bool = True
    default: bool = False
    description: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "provider": self.provider,
            "enabled": self.enabled,
            "default": self.default,
            "description": self.description,
        }


# --------------------------------------------------------------------------- whatanimeisthis
@dataclass(frozen=True, slots=True)
class SceneMatch:
    title: str
    episode: str | None = None
    start: float | None = None  # seconds ("from" in JSON)
    end: float | None = None  # seconds ("to" in JSON)
    similarity: float | None = None  # 0..1
    anilist_id: int | None = None
    image_url: str | None = None
    video_url: str | None = None
    adult: bool = False
    # added with trace.moe (all optional: engines that do not know them leave the defaults)
    engine: str = ""  # the provider that found it ("tracemoe", "whatanime", …)
    mal_id: int | None = None  # MyAnimeList id (AniList's idMal)
    title_native: str | None = None
    title_romaji: str | None = None
    title_english: str | None = None
    synonyms: tuple[str, ...] = ()
    filename: str = ""  # the indexed file the match is in
    at: float | None = None  # seconds: the best-matching frame
    duration: float | None = None  # seconds: length of that file
    preview_path: str | None = None  # the preview image, downloaded at once (its URL expires)
    clip_path: str | None = None  # the short muted preview clip (a video file), when saved

    @property
    def confidence(self) -> str:
        return confidence_label(self.similarity)

    @property
    def anilist_url(self) -> str | None:
        return f"https://anilist.co/anime/{self.anilist_id}" if self.anilist_id else None

    @property
    def mal_url(self) -> str | None:
        return f"https://myanimelist.net/anime/{self.mal_id}" if self.mal_id else None

    def title_in(self, language: str) -> str:
        """The title in ``language`` (native | romaji | english), else the other ones, else ``title``."""
        order = {"native": ("native", "romaji", "english"), "english": ("english", "romaji", "native")}.get(
            language, ("romaji", "english", "native"))
        for name in order:
            value = getattr(self, f"title_{name}")
            if value:
                return value
        return self.title

    def to_json(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "episode": self.episode,
            "from": self.start,
            "to": self.end,
            "similarity": self.similarity,
            "confidence": self.confidence,
            "anilist_id": self.anilist_id,
            "image": self.image_url,
            "video": self.video_url,
            "adult": self.adult,
            "engine": self.engine,
            "mal_id": self.mal_id,
            "titles": {"native": self.title_native, "romaji": self.title_romaji, "english": self.title_english},
            "synonyms": list(self.synonyms),
            "filename": self.filename,
            "at": self.at,
            "duration": self.duration,
            "preview": self.preview_path,
            "clip": self.clip_path,
        }


#: similarity thresholds for :func:`confidence_label` (trace.moe's docs: "similarity lower than 90%
#: are most likely incorrect"; its web client autoplays previews only above 87%)
LIKELY_AT = 0.90
UNCERTAIN_AT = 0.87
LIKELY = "likely"
UNCERTAIN = "uncertain"
PROBABLY_WRONG = "probably wrong — the episode may not be indexed"


def confidence_label(similarity: float | None) -> str:
    """What a scene match's similarity (0–1) means to a user, whatever the engine.

    ≥ 0.90 "likely", 0.87–0.90 "uncertain", below "probably wrong — the episode may not be
    indexed"; no similarity at all → "" (nothing to say).
    """
    if similarity is None or similarity != similarity:
        return ""
    if similarity >= LIKELY_AT:
        return LIKELY
    if similarity >= UNCERTAIN_AT:
        return UNCERTAIN
    return PROBABLY_WRONG


@dataclass(frozen=True, slots=True)
class SceneResult:
    matches: tuple[SceneMatch, ...]
    credits_left: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "matches": [m.to_json() for m in self.matches],
            "credits_left": self.credits_left,
        }


@dataclass(frozen=True, slots=True)
class Ranking:
    rank: int
    title: str
    searches: int | None = None
    anilist_id: int | None = None
    adult: bool = False
    image_url: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "title": self.title,
            "searches": self.searches,
            "anilist_id": self.anilist_id,
            "adult": self.adult,
            "image": self.image_url,
        }


@dataclass(frozen=True, slots=True)
class RecentSearch:
    title: str
    episode: str | None = None
    similarity: float | None = None
    searched_at: str | None = None  # ISO 8601 as the server sent it
    anilist_id: int | None = None
    image_url: str | None = None
    id: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "episode": self.episode,
            "similarity": self.similarity,
            "searched_at": self.searched_at,
            "anilist_id": self.anilist_id,
            "image": self.image_url,
        }


@dataclass(frozen=True, slots=True)
class Credits:
    """What a provider says is left. ``unit`` is "credits", "searches" or "usd"."""

    provider: str
    remaining: float | None
    unit: str = "credits"
    total: float | None = None
    detail: str = ""
    free: float | None = None  # of ``remaining``, how many are free (e.g. today's free searches), if known
    concurrency: int | None = None  # searches the service runs at once for this account (trace.moe's /me)
    priority: int | None = None  # the account's queue priority (trace.moe's /me; guests 0)

    def to_json(self) -> dict[str, Any]:
        return {
            "provider": self.provider,
            "remaining": self.remaining,
            "unit": self.unit,
            "total": self.total,
            "detail": self.detail,
            "free": self.free,
            "concurrency": self.concurrency,
            "priority": self.priority,
        }


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: str
    title: str
    masked: str  # never the full key
    created_at: str | None = None
    plaintext: str | None = field(default=None, repr=False)  # only right after creation

    def to_json(self, *, reveal: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "title": self.title,
            "key": self.masked,
            "created_at": self.created_at,
        }
        if reveal and self.plaintext:
            out["plaintext"] = self.plaintext
        return out


@dataclass(frozen=True, slots=True)
class ApiKeyPage:
    keys: tuple[ApiKey, ...]
    page: int
    page_size: int
    total: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "keys": [k.to_json() for k in self.keys],
            "page": self.page,
            "page_size": self.page_size,
            "total": self.total,
        }


@dataclass(frozen=True, slots=True)
class Session:
    """A signed-in whatanimeisthis session: the whole cookie jar, never one hard-coded name."""

    email: str
    cookies: tuple[tuple[str, str, str, str], ...] = field(default=(), repr=False)  # (name, value, domain, path)
    user_id: str = ""
    name: str = ""

    def to_json(self) -> dict[str, Any]:  # the public part only
        return {"email": self.email, "user_id": self.user_id, "name": self.name}


# --------------------------------------------------------------------------- generation
class Orientation(enum.StrEnum):
    PORTRAIT = "portrait"
    SQUARE = "square"
    LANDSCAPE = "landscape"


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    prompt: str
    orientation: Orientation = Orientation.PORTRAIT
    allow_nsfw: bool = False
    enhance: bool = True


@dataclass(frozen=True, slots=True)
class GeneratedImage:
    image_url: str
    enhanced_prompt: str = ""
    balance_usd: float | None = None
    generation_time_ms: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "image_url": self.image_url,
            "enhanced_prompt": self.enhanced_prompt,
            "balance_usd": self.balance_usd,
            "generation_time_ms": self.generation_time_ms,
        }


CARTOON_STYLES: tuple[str, ...] = (
    "Vintage Comic",
    "3D Fairy Tale",
    "Two-dimensional (2D)",
    "Refreshing and Elegant",
    "Future Technology",
    "Traditional Chinese Painting Style",
    "General in a Hundred Battles",
    "Colorful Cartoon",
    "Graceful Chinese Style",
)


class TaskStatus(enum.StrEnum):
    QUEUED = "queued"
    PROCESSING = "processing"
    SUCCEEDED = "succeeded"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class TaskInfo:
    """An AILabTools async task as last seen."""

    task_id: str
    status: TaskStatus
    result_url: str | None = None
    detail: str = ""

    @property
    def terminal(self) -> bool:
        return self.status in (TaskStatus.SUCCEEDED, TaskStatus.FAILED)

    def to_json(self) -> dict[str, Any]:
        return {
            "task_id": self.task_id,
            "status": self.status.value,
            "result_url": self.result_url,
            "detail": self.detail,
        }


# --------------------------------------------------------------------------- jobs
class JobKind(enum.StrEnum):
    """The kinds animetui ships (``animetui.jobs.generate`` / ``.cartoonize``). ``Job.kind`` is a
    plain string so that another registered kind (``animetui.jobs.kinds``) is a job like these."""

    GENERATE = "generate"
    CARTOONIZE = "cartoonize"


class JobState(enum.StrEnum):
    QUEUED = "queued"
    SUBMITTING = "submitting"
    RUNNING = "running"
    DOWNLOADING = "downloading"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    EXPIRED = "expired"
    CANCELLED = "cancelled"

    @property
    def terminal(self) -> bool:
        return self in (JobState.SUCCEEDED, JobState.FAILED, JobState.EXPIRED, JobState.CANCELLED)


@dataclass(frozen=True, slots=True)
class Job:
    id: str
    kind: str  # a JobKind for the built-in kinds; the registry (animetui.jobs.kinds) knows them all
    provider: str
    params: dict[str, Any]
    state: JobState
    created_at: float
    updated_at: float
    remote_id: str | None = None
    attempts: int = 0
    result_url: str | None = None
    result_path: str | None = None
    error: str = ""
    cost_usd: float | None = None
    balance_usd: float | None = None
    finished_at: float | None = None
    submitted_at: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "kind": str(self.kind),
            "provider": self.provider,
            "params": dict(self.params),
            "state": self.state.value,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
            "submitted_at": self.submitted_at,
            "finished_at": self.finished_at,
            "remote_id": self.remote_id,
            "attempts": self.attempts,
            "result_url": self.result_url,
            "result_path": self.result_path,
            "error": self.error,
            "cost_usd": self.cost_usd,
            "balance_usd": self.balance_usd,
        }
