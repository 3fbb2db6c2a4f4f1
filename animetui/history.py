"""Lookup history and result cache: every lookup saved, a repeated one answered from disk.

One SQLite file (``<data dir>/history.sqlite3``, WAL) with one row per lookup: the image's
SHA-256, a small JPEG thumbnail, provider, kind, parameters, the parsed result (the domain
object's JSON), the source's label/path/URL and the time. A lookup of the same image (same bytes,
or the same URL text) with the same provider, kind and parameters is a cache hit: no request,
no credit spent. The history is the same table read newest first.

Filtering is a ``LIKE`` over a pre-lowered ``search_text`` column (titles, characters, works,
file name), so 10,000 rows filter in a few milliseconds (see tests/benchmarks/bench_history.py).

Thread-safety: one connection per History object, used from one thread at a time (the event
loop); writes are small, single-transaction and quick.
"""

from __future__ import annotations

import contextlib
import io
import json
import sqlite3
import threading
import time
from dataclasses import dataclass
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from animetui.errors import AnimetuiError
from animetui.store import JournalError, connect, explain, migrate

from animetui.fsnames import from_db, json_text, shown, to_db
from animetui.models import (
    Candidate,
    CharacterResult,
    Detection,
    SceneMatch,
    SceneResult,
)

THUMB_SIZE = 96


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    id: int
    created_at: float
    kind: str  # "characters" | "scene"
    provider: str
    sha256: str
    params: dict[str, Any]
    source_label: str
    source_path: str | None
    source_url: str | None
    result: CharacterResult | SceneResult
    has_thumbnail: bool

    @property
    def headline(self) -> str:
        """The best answer in a few words (best title or character)."""
        return headline(self.result)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "created_at": self.created_at,
            "kind": self.kind,
            "provider": self.provider,
            "sha256": self.sha256,
            "params": self.params,
            "source": self.source_path or self.source_url or self.source_label,
            "headline": self.headline,
            "result": self.result.to_json(),
        }


def headline(result: CharacterResult | SceneResult, *, detail: bool = False) -> str:
    """The best answer in a few words: the best match's title (``detail``: with episode and
    similarity), or the first three characters' best candidates."""
    if isinstance(result, SceneResult):
        if not result.matches:
            return "(no match)"
        best = result.matches[0]
        if not detail:
            return best.title
        episode = f" ep {best.episode}" if best.episode else ""
        similarity = f" {best.similarity * 100:.0f}%" if best.similarity is not None else ""
        return f"{best.title}{episode}{similarity}"
    names = [d.candidates[0].character for d in result.detections if d.candidates]
    return ", ".join(names[:3]) if names else "(no characters)"


def canonical_params(params: dict[str, Any]) -> str:
    return json.dumps({k: params[k] for k in sorted(params)}, separators=(",", ":"), default=str)


def result_from_json(kind: str, data: dict[str, Any]) -> CharacterResult | SceneResult:
    if kind == "scene":
        return SceneResult(
            matches=tuple(
                SceneMatch(
                    title=m.get("title") or "",
                    episode=m.get("episode"),
                    start=m.get("from"),
                    end=m.get("to"),
                    similarity=m.get("similarity"),
                    anilist_id=m.get("anilist_id"),
                    image_url=m.get("image"),
                    video_url=m.get("video"),
                    adult=bool(m.get("adult")),
                    engine=m.get("engine") or "",
                    mal_id=m.get("mal_id"),
                    title_native=(m.get("titles") or {}).get("native"),
                    title_romaji=(m.get("titles") or {}).get("romaji"),
                    title_english=(m.get("titles") or {}).get("english"),
                    synonyms=tuple(m.get("synonyms") or ()),
                    filename=m.get("filename") or "",
                    at=m.get("at"),
                    duration=m.get("duration"),
                    preview_path=m.get("preview"),
                    clip_path=m.get("clip"),
                )
                for m in data.get("matches", [])
            ),
            credits_left=data.get("credits_left"),
        )
    return CharacterResult(
        detections=tuple(
            Detection(
                box=tuple(d["box"]),
                candidates=tuple(Candidate(c["character"], c["work"]) for c in d.get("candidates", [])),
                not_confident=bool(d.get("not_confident")),
                box_id=d.get("box_id", ""),
            )
            for d in data.get("detections", [])
        ),
        ai=data.get("ai"),
        trace_id=data.get("trace_id", ""),
        model=data.get("model"),
    )


def search_text_for(result: CharacterResult | SceneResult, label: str) -> str:
    parts = [label]
    if isinstance(result, SceneResult):
        parts += [m.title for m in result.matches]
    else:
        for det in result.detections:
            for cand in det.candidates:
                parts += [cand.character, cand.work]
    return "\n".join(parts).lower()


def make_thumbnail(data: bytes, size: int = THUMB_SIZE) -> bytes | None:
    """A small JPEG of the image (first frame), or None if it cannot be decoded. Run in a thread."""
    from PIL import Image

    from animetui.pictures.sources import MAX_PIXELS

    try:
        Image.MAX_IMAGE_PIXELS = MAX_PIXELS
        with Image.open(io.BytesIO(data)) as image:
            image.draft("RGB", (size * 2, size * 2))
            image.thumbnail((size, size))
            buffer = io.BytesIO()
            image.convert("RGB").save(buffer, "JPEG", quality=80)
            return buffer.getvalue()
    except Exception:  # noqa: BLE001 - a missing thumbnail is fine
        return None


class HistoryError(AnimetuiError):
    """The history file cannot be used (damaged, read-only folder, full disk): one clear line."""

    exit_code = 2


#: The default advice for a damaged history file (the CLI passes one with its own flags).
RESET_HINT = "animetui history --reset"


def reset(path: Path) -> Path | None:
    """Move a history file (and its WAL/SHM sidecars) aside; returns the new name, None if absent.

    Renamed, never deleted: ``history.sqlite3.broken-20261202-010203``. The job journal lives in
    another file and is not touched.
    """
    if not path.exists():
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S")
    target = path.with_name(f"{path.name}.broken-{stamp}")
    for suffix in ("", "-wal", "-shm"):  # a stale WAL would be replayed into the new file
        source = path.with_name(path.name + suffix)
        if source.exists():
            source.rename(target.with_name(target.name + suffix))
    return target


def reset_hint_damaged(reset_hint: str = RESET_HINT) -> str:
    return (
        f"the lookup history is damaged ({{reason}}); move it aside with `{reset_hint}` (it is renamed, "
        "not deleted; jobs are kept in jobs.sqlite3 and are not touched)"
    )


def open_component(path: Path, component: str, migrations: tuple[str, ...], *, action: str, damaged: str) -> sqlite3.Connection:
    """A connection to the history file (``history.sqlite3``) through the one store
    (:func:`animetui.store.connect`, WAL, ``synchronous=NORMAL``: it is a cache, not a ledger) with
    ``component``'s tables migrated; any trouble is a :class:`HistoryError` saying what to do."""
    try:
        conn = connect(path, synchronous="NORMAL", damaged=damaged)
    except JournalError as exc:
        raise HistoryError(exc.message) from None
    try:
        migrate(conn, component, migrations, path=path)
    except JournalError as exc:
        conn.close()
        raise HistoryError(exc.message) from None
    except sqlite3.Error as exc:
        conn.close()
        raise HistoryError(explain(path, exc, action, damaged=damaged)) from None
    except BaseException:
        conn.close()
        raise
    return conn


#: The ``history`` component's migrations (:func:`animetui.store.migrate`). Version 1 is the table
#: animetui kept before the one store (then numbered by ``PRAGMA user_version``): "if not exists",
#: so an existing user's file is adopted as it is.
HISTORY_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS lookups (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        created_at REAL NOT NULL,
        kind TEXT NOT NULL,
        provider TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        params TEXT NOT NULL,
        source_label TEXT NOT NULL,
        source_path TEXT,
        source_url TEXT,
        thumbnail BLOB,
        result TEXT NOT NULL,
        search_text TEXT NOT NULL
    );
    CREATE INDEX IF NOT EXISTS lookups_cache ON lookups (sha256, kind, provider, params, created_at);
    CREATE INDEX IF NOT EXISTS lookups_time ON lookups (created_at)
    """,
)


class History:
    COMPONENT = "history"

    def __init__(self, path: Path, *, reset_hint: str = RESET_HINT) -> None:
        self.path = path
        self._damaged = reset_hint_damaged(reset_hint)
        # One connection used from worker threads (lookups run in ``asyncio.to_thread``), so every use
        # holds ``_lock``: sqlite3 shares one prepared statement per SQL text, and two threads running the
        # same query at once reset each other's (a cached lookup read as a miss, and paid for again).
        self._lock = threading.Lock()
        self._db = open_component(path, self.COMPONENT, HISTORY_MIGRATIONS, action="open the history", damaged=self._damaged)

    @contextlib.contextmanager
    def _guard(self, action: str) -> Iterator[None]:
        try:
            yield
        except sqlite3.Error as exc:
            raise HistoryError(explain(self.path, exc, action, damaged=self._damaged)) from None

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------------ writing
    def add(
        self,
        *,
        kind: str,
        provider: str,
        sha256: str,
        params: dict[str, Any],
        result: CharacterResult | SceneResult,
        source_label: str,
        source_path: str | None = None,
        source_url: str | None = None,
        thumbnail: bytes | None = None,
        created_at: float | None = None,
    ) -> int:
        lastrowid, _ = self._write(
            "INSERT INTO lookups (created_at, kind, provider, sha256, params, source_label, source_path,"
            " source_url, thumbnail, result, search_text) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
            (
                time.time() if created_at is None else created_at,
                kind,
                provider,
                sha256,
                canonical_params(params),
                to_db(source_label),
                to_db(source_path),
                to_db(source_url),
                thumbnail,
                json_text(result.to_json()),  # exact even for a lone surrogate a server sent
                shown(search_text_for(result, source_label)),
            ),
        )
        return lastrowid

    def delete(self, ids: list[int]) -> int:
        if not ids:
            return 0
        marks = ",".join("?" * len(ids))
        return self._write(f"DELETE FROM lookups WHERE id IN ({marks})", ids)[1]  # noqa: S608

    def _write(self, sql: str, args: Any) -> tuple[int, int]:
        """Run one statement under the lock; (lastrowid, rowcount) read before another thread can run one."""
        with self._lock, self._guard("write the history"):
            cursor = self._db.execute(sql, args)
            return int(cursor.lastrowid or 0), cursor.rowcount

    def _rows(self, sql: str, args: Any = ()) -> list[tuple[Any, ...]]:
        """Run one query under the lock and fetch all its rows before letting go."""
        with self._lock, self._guard("read the history"):
            return self._db.execute(sql, args).fetchall()

    # ------------------------------------------------------------------ reading
    def cached(self, *, kind: str, provider: str, sha256: str, params: dict[str, Any]) -> HistoryEntry | None:
        rows = self._rows(
            f"SELECT {self._COLUMNS} FROM lookups WHERE sha256=? AND kind=? AND provider=? AND params=?"  # noqa: S608
            " ORDER BY created_at DESC LIMIT 1",
            (sha256, kind, provider, canonical_params(params)),
        )
        return self._entry(rows[0]) if rows else None

    def get(self, entry_id: int) -> HistoryEntry | None:
        rows = self._rows(f"SELECT {self._COLUMNS} FROM lookups WHERE id=?", (entry_id,))  # noqa: S608
        return self._entry(rows[0]) if rows else None

    def thumbnail(self, entry_id: int) -> bytes | None:
        rows = self._rows("SELECT thumbnail FROM lookups WHERE id=?", (entry_id,))
        return rows[0][0] if rows else None

    def list(self, *, query: str = "", limit: int = 200, offset: int = 0) -> list[HistoryEntry]:
        """Newest first; ``query`` matches titles, characters, works and file names (case-insensitive)."""
        sql = f"SELECT {self._COLUMNS} FROM lookups"  # noqa: S608
        args: list[Any] = []
        words = [w for w in query.lower().split() if w]
        if words:
            sql += " WHERE " + " AND ".join("search_text LIKE ? ESCAPE '\\'" for _ in words)
            args += [f"%{_escape_like(w)}%" for w in words]
        sql += " ORDER BY created_at DESC, id DESC LIMIT ? OFFSET ?"
        args += [limit, offset]
        return [self._entry(row) for row in self._rows(sql, args)]

    def count(self) -> int:
        return int(self._rows("SELECT COUNT(*) FROM lookups")[0][0])

    _COLUMNS = "id, created_at, kind, provider, sha256, params, source_label, source_path, source_url, thumbnail IS NOT NULL, result"

    @staticmethod
    def _entry(row: tuple[Any, ...]) -> HistoryEntry:
        kind = row[2]
        return HistoryEntry(
            id=row[0],
            created_at=row[1],
            kind=kind,
            provider=row[3],
            sha256=row[4],
            params=json.loads(row[5]),
            source_label=from_db(row[6]),
            source_path=from_db(row[7]),
            source_url=from_db(row[8]),
            has_thumbnail=bool(row[9]),
            result=result_from_json(kind, json.loads(row[10])),
        )


class UnavailableHistory:
    """Stands in for a :class:`History` that could not be opened (the TUI keeps its jobs, rankings
    and everything else running): every lookup and listing raises the same clear
    :class:`HistoryError`, so nothing is looked up (or paid for) without the cache the user expects."""

    def __init__(self, path: Path, error: HistoryError) -> None:
        self.path = path
        self.error = error

    def _fail(self, *_args: Any, **_kwargs: Any) -> Any:
        raise HistoryError(str(self.error))

    cached = add = delete = get = thumbnail = list = count = _fail

    def close(self) -> None:
        pass


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --------------------------------------------------------------------------- export
def export_json(entries: list[HistoryEntry]) -> str:
    return json.dumps([e.to_json() for e in entries], ensure_ascii=False, indent=2)


def export_csv(entries: list[HistoryEntry]) -> str:
    """One row per lookup: time, kind, source, best answer, and its details."""
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["time", "kind", "provider", "source", "best", "episode", "from", "to", "similarity", "sha256"])
    for e in entries:
        when = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(e.created_at))
        source = e.source_path or e.source_url or e.source_label
        if isinstance(e.result, SceneResult) and e.result.matches:
            m = e.result.matches[0]
            writer.writerow([when, e.kind, e.provider, source, _csv_safe(m.title), m.episode or "", m.start, m.end, m.similarity, e.sha256])
        else:
            writer.writerow([when, e.kind, e.provider, source, _csv_safe(e.headline), "", "", "", "", e.sha256])
    return buffer.getvalue()


def _csv_safe(text: str) -> str:
    """Defuse spreadsheet formula injection from server-provided titles."""
    return "'" + text if text[:1] in ("=", "+", "-", "@") else text
