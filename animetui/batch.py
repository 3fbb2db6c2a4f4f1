"""Batch lookups: a folder of screenshots through scene search and/or character recognition.

* Files are hashed first (in threads); copies of the same image are looked up once.
* Each lookup kind has its own queue, served by the providers that can do it (from their specs):
  character recognition by AnimeTrace; scene search by the scene provider(s) chosen
  (``scene_providers``; default the ``general.scene_provider`` setting — ``all`` spreads the
  images over every scene provider, each taking the next image when it is free). All run side by
  side, each within its own limits (token bucket, ``Retry-After``, ``batch_concurrency``).
* Quotas: before starting, each scene provider that reports credits is asked what is left
  (whatanimeisthis's guest count is shared by every animetui process on the machine,
  ``animetui.limits``); the batch runs only as many searches as are left on each. A quota answer during the run (``QuotaError``, or
  a ``RateLimited`` longer than :data:`MAX_AUTO_WAIT`) stops that provider's queue — never past a
  quota; with several scene providers the others take the rest. Either way the items not yet
  looked up stay *pending*, the batch is *paused* (not done),
  a note says when the quota comes back, and ``animetui batch --resume`` continues from there. A
  shorter wait (a per-minute or per-hour limit) is waited out and the batch goes on by itself.
* Lookups go through :class:`~animetui.lookups.LookupService`, so anything already in the history
  is answered from it at no cost, and every answer lands in the history.
* State is journalled in the history database (tables ``batches``, ``batch_items``): a batch
  interrupted by a crash or a quit resumes with :meth:`BatchRunner.resume`, doing only what is
  left.
* Pause/resume/cancel are cooperative: running lookups finish, no new one starts.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from animetui.errors import AnimetuiError, QuotaError, RateLimited
from animetui.fsnames import from_db, shown, to_db
from animetui.history import headline, open_component, reset_hint_damaged
from animetui.models import ImageSource
from animetui.pictures.sources import IMAGE_SUFFIXES, read_source, sha256_bytes
from animetui.providers.spec import CHARACTERS, CREDITS
from animetui.providers.specs import capable, spec

KINDS = ("scene", "characters")
#: a quota that comes back within this many seconds is waited for; a longer one pauses the batch
MAX_AUTO_WAIT = 600.0


def find_images(root: Path, *, recursive: bool = False) -> list[Path]:
    if root.is_file():
        return [root] if root.suffix.lower() in IMAGE_SUFFIXES else []
    pattern = "**/*" if recursive else "*"
    return sorted(
        p for p in root.glob(pattern)
        if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not any(part.startswith(".") for part in p.relative_to(root).parts)
    )


def relative_to_root(path: str | Path, root: str | Path) -> str:
    """``path`` as shown in a batch: relative to the batch's folder (``sub/a.png``), else as given."""
    if not root:
        return str(path)
    root_path = Path(root)
    if root_path.is_file():
        root_path = root_path.parent
    try:
        return str(Path(path).relative_to(root_path))
    except ValueError:
        return str(path)


@dataclass(slots=True)
class BatchItem:
    id: int
    path: str
    sha256: str
    kind: str
    status: str = "pending"  # pending | done | cached | failed | skipped | duplicate
    detail: str = ""
    headline: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "status": self.status, "detail": self.detail, "best": self.headline, "sha256": self.sha256}


@dataclass(slots=True)
class BatchProgress:
    done: int
    total: int
    started_at: float
    now: float
    paused: bool = False
    last: BatchItem | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        elapsed = max(1e-6, self.now - self.started_at)
        return self.done / elapsed

    @property
    def eta(self) -> float | None:
        if self.done == 0 or self.rate <= 0:
            return None
        return (self.total - self.done) / self.rate


#: The ``batch`` component's migrations (:func:`animetui.store.migrate`), in the history file.
#: Version 1 is the tables animetui created before the one store (with no version at all): "if not
#: exists", so an existing user's batch journal is adopted as it is.
BATCH_MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE IF NOT EXISTS batches (
        id INTEGER PRIMARY KEY AUTOINCREMENT, created_at REAL NOT NULL, root TEXT NOT NULL,
        kinds TEXT NOT NULL, state TEXT NOT NULL DEFAULT 'running');
    CREATE TABLE IF NOT EXISTS batch_items (
        id INTEGER PRIMARY KEY AUTOINCREMENT, batch_id INTEGER NOT NULL, path TEXT NOT NULL,
        sha256 TEXT NOT NULL, kind TEXT NOT NULL, status TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '',
        headline TEXT NOT NULL DEFAULT '');
    CREATE INDEX IF NOT EXISTS batch_items_batch ON batch_items (batch_id)
    """,
)


class BatchJournal:
    """Batches and their items, in the history file, through the one store (component ``batch``)."""

    COMPONENT = "batch"

    def __init__(self, path: Path) -> None:
        self._db = open_component(
            path, self.COMPONENT, BATCH_MIGRATIONS, action="open the batch journal", damaged=reset_hint_damaged()
        )

    def close(self) -> None:
        self._db.close()

    def create(self, root: str, kinds: list[str], items: list[tuple[str, str, str, str]]) -> int:
        with self._db:
            self._db.execute("BEGIN")
            batch_id = self._db.execute("INSERT INTO batches (created_at, root, kinds) VALUES (?,?,?)", (time.time(), to_db(root), json.dumps(kinds))).lastrowid
            self._db.executemany(
                "INSERT INTO batch_items (batch_id, path, sha256, kind, status) VALUES (?,?,?,?,?)",
                [(batch_id, to_db(path), sha, kind, status) for path, sha, kind, status in items],
            )
        return int(batch_id or 0)

    def items(self, batch_id: int) -> list[BatchItem]:
        rows = self._db.execute("SELECT id, path, sha256, kind, status, detail, headline FROM batch_items WHERE batch_id=? ORDER BY id", (batch_id,)).fetchall()
        return [BatchItem(row[0], from_db(row[1]), *row[2:]) for row in rows]

    def update(self, item: BatchItem) -> None:
        self._db.execute("UPDATE batch_items SET status=?, detail=?, headline=? WHERE id=?", (item.status, shown(item.detail), shown(item.headline), item.id))

    def set_state(self, batch_id: int, state: str) -> None:
        self._db.execute("UPDATE batches SET state=? WHERE id=?", (state, batch_id))

    def root(self, batch_id: int) -> str:
        row = self._db.execute("SELECT root FROM batches WHERE id=?", (batch_id,)).fetchone()
        return from_db(row[0]) if row else ""

    def unfinished(self) -> list[int]:
        return [row[0] for row in self._db.execute("SELECT id FROM batches WHERE state IN ('running','paused') ORDER BY id")]


class BatchRunner:
    def __init__(
        self,
        lookups: Any,  # LookupService
        journal: BatchJournal,
        *,
        on_progress: Callable[[BatchProgress], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Any] = asyncio.sleep,
        scene_providers: str | tuple[str, ...] | None = None,
    ) -> None:
        from animetui.lookups import resolve_scene_providers

        if scene_providers is None:
            settings = getattr(getattr(lookups, "providers", None), "settings", None)
            scene_providers = str(settings.get("general.scene_provider", "all") if settings is not None else "all")
        self.scene_providers = resolve_scene_providers(scene_providers)
        self.sleep = sleep
        #: set when a quota paused the batch (the items left stay pending for --resume)
        self.quota_paused = False
        self.lookups = lookups
        self.journal = journal
        self.on_progress = on_progress
        self.clock = clock
        self._resume = asyncio.Event()
        self._resume.set()
        self._cancelled = False
        self.notes: list[str] = []

    # ------------------------------------------------------------------ control
    def pause(self) -> None:
        self._resume.clear()

    def resume_running(self) -> None:
        self._resume.set()

    def cancel(self) -> None:
        self._cancelled = True
        self._resume.set()

    @property
    def cancelled(self) -> bool:
        return self._cancelled

    @property
    def paused(self) -> bool:
        return not self._resume.is_set()

    # ------------------------------------------------------------------ planning
    async def plan(self, paths: list[Path], kinds: list[str], *, root: str = "") -> int:
        """Hash every file (in a thread), drop duplicates, journal the batch. Returns its id."""
        if not paths:
            raise AnimetuiError("no images to look up (jpg, jpeg, png, webp, bmp, gif)")
        for kind in kinds:
            if kind not in KINDS:
                raise AnimetuiError(f"unknown lookup kind {kind!r}")

        def hash_all() -> list[tuple[str, str | None, str]]:
            out: list[tuple[str, str | None, str]] = []
            for path in paths:
                try:
                    out.append((str(path), sha256_bytes(read_source(path)), ""))
                except AnimetuiError as exc:
                    out.append((str(path), None, exc.message))
            return out

        hashed = await asyncio.to_thread(hash_all)
        first_of: dict[str, str] = {}  # sha256 -> the first path with that content
        duplicate_of: dict[str, str] = {}
        rows: list[tuple[str, str, str, str]] = []
        for path, sha, problem in hashed:
            status = "pending"
            if sha is None:
                status, sha = "failed", ""
            elif sha in first_of:
                status = "duplicate"
                duplicate_of[path] = first_of[sha]
            else:
                first_of[sha] = path
            for kind in kinds:
                rows.append((path, sha, kind, status))
        batch_id = self.journal.create(root, kinds, rows)
        for item in self.journal.items(batch_id):
            if item.status == "failed":
                item.detail = next(p for path, _s, p in hashed if path == item.path)
                self.journal.update(item)
            elif item.status == "duplicate" and item.path in duplicate_of:
                item.detail = f"duplicate of {relative_to_root(duplicate_of[item.path], root)}"
                self.journal.update(item)
        return batch_id

    # ------------------------------------------------------------------ running
    async def run(self, batch_id: int) -> list[BatchItem]:
        items = self.journal.items(batch_id)
        todo = [i for i in items if i.status == "pending"]
        total = len(todo)
        started = self.clock()
        done = 0
        self.journal.set_state(batch_id, "running")
        queues: dict[str, asyncio.Queue[BatchItem]] = {}
        for item in todo:
            queues.setdefault(item.kind, asyncio.Queue()).put_nowait(item)
        serving = {kind: self._providers_for(kind) for kind in queues}
        allowance = await self._allowances(queues, serving)
        stops = {name: asyncio.Event() for names in serving.values() for name in names}

        def report(last: BatchItem | None) -> None:
            if self.on_progress:
                self.on_progress(BatchProgress(done, total, started, self.clock(), self.paused, last, list(self.notes)))

        def spent(name: str) -> bool:
            left = allowance.get(name)
            return stops[name].is_set() or (left is not None and left <= 0)

        async def worker(provider: str, kind: str, stop: asyncio.Event) -> None:
            nonlocal done
            queue = queues[kind]
            partners = serving[kind]
            while not queue.empty():
                await self._resume.wait()
                if self._cancelled:
                    return
                if spent(provider) and not all(spent(name) for name in partners):
                    return  # the other provider(s) take the rest
                item = queue.get_nowait()
                if stop.is_set():
                    continue  # stays pending: the batch is paused at the quota
                if allowance.get(provider) is not None and (allowance[provider] or 0) <= 0:
                    stop.set()
                    continue
                await self._one(item, provider, allowance, stop)
                if item.status == "pending":
                    continue
                self.journal.update(item)
                done += 1
                report(item)

        tasks = [
            asyncio.create_task(worker(name, kind, stops[name]))
            for kind, names in serving.items()
            for name in names
            for _ in range(spec(name).batch_concurrency)
        ]
        report(None)
        try:
            await asyncio.gather(*tasks)
        except asyncio.CancelledError:
            for task in tasks:
                task.cancel()
            self.journal.set_state(batch_id, "paused")
            raise
        if self._cancelled:
            state = "cancelled"
        elif any(stop.is_set() for stop in stops.values()) and any(
            item.status == "pending" for item in self.journal.items(batch_id)
        ):
            state, self.quota_paused = "paused", True
            left = sum(1 for item in self.journal.items(batch_id) if item.status == "pending")
            self.notes.append(f"batch paused at a quota with {left} left — `animetui batch --resume` continues from there")
        else:
            state = "done"
        self.journal.set_state(batch_id, state)
        return self.journal.items(batch_id)

    def _providers_for(self, kind: str) -> tuple[str, ...]:
        if kind == "scene":
            return self.scene_providers
        recognizers = capable(CHARACTERS)
        if not recognizers:
            raise AnimetuiError("no provider can recognise characters")
        return (recognizers[0].name,)

    async def _allowances(
        self, queues: dict[str, asyncio.Queue[BatchItem]], serving: dict[str, tuple[str, ...]]
    ) -> dict[str, int | None]:
        """What each searching provider that reports credits has left (unknown: no limit here)."""
        allowance: dict[str, int | None] = {}
        for kind, names in serving.items():
            if kind != "scene":
                continue
            lefts: list[int] = []
            for name in names:
                allowance[name] = None
                if not spec(name).can(CREDITS):
                    continue
                try:
                    credits = await self.lookups.providers.get(name).credits()
                except AnimetuiError:
                    continue
                if credits.remaining is not None:
                    allowance[name] = int(credits.remaining)
                    lefts.append(int(credits.remaining))
            need = queues[kind].qsize()
            if len(lefts) == len(names) and sum(lefts) < need:
                who = spec(names[0]).title if len(names) == 1 else " + ".join(spec(n).title for n in names)
                self.notes.append(
                    f"{who}: {sum(lefts)} searches left, {need} needed — "
                    "the batch pauses after those (images already in the history cost nothing)"
                )
        return allowance

    async def _one(self, item: BatchItem, provider: str, allowance: dict[str, int | None], stop: asyncio.Event) -> None:
        source = ImageSource(path=Path(item.path))
        title = spec(provider).title
        while True:
            try:
                if item.kind == "scene":
                    outcome = await self.lookups.scene(source, providers=provider)
                else:
                    outcome = await self.lookups.characters(source)
            except (QuotaError, RateLimited) as exc:
                wait = getattr(exc, "retry_after", None)
                if isinstance(exc, RateLimited) and wait is not None and wait <= MAX_AUTO_WAIT:
                    self.notes.append(f"{title}: {exc.message} — waiting {wait:.0f} s, then going on")
                    await self.sleep(wait)
                    continue
                stop.set()  # this item and the rest stay pending
                back = ""
                if wait is not None:
                    back = time.strftime("; it comes back at about %H:%M", time.localtime(time.time() + wait))
                self.notes.append(f"{title}: {exc.message}{back} — stopped before going over")
                return
            except AnimetuiError as exc:
                item.status, item.detail = "failed", exc.message
                return
            break
        item.status = "cached" if outcome.cached else "done"
        item.headline = headline(outcome.result, detail=True)
        if not outcome.cached and allowance.get(provider) is not None:
            allowance[provider] = int(allowance[provider] or 0) - 1


class BatchSession:
    """One batch run: plans (or resumes) it, runs it, keeps the latest progress and items.

    ``listeners`` are called on the event loop after every change (the screen redraws).
    """

    def __init__(
        self,
        lookups: Any,  # LookupService
        journal: BatchJournal,
        *,
        paths: list[Path] | None = None,
        kinds: tuple[str, ...] = ("scene", "characters"),
        batch_id: int | None = None,
        root: str = "",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lookups = lookups
        self.journal = journal  # the runtime's; not closed here
        self.paths = paths or []
        self.kinds = kinds
        self.batch_id = batch_id
        self.root = root
        self.clock = clock
        self.state = "planning"  # planning | running | paused | done | cancelled | failed | stopped
        self.error = ""
        self.items: dict[int, BatchItem] = {}
        self.progress: BatchProgress | None = None
        self.notes: list[str] = []
        self.listeners: list[Callable[["BatchSession"], None]] = []
        self.runner: BatchRunner | None = None
        self.resumed = batch_id is not None

    # ------------------------------------------------------------------ control
    @property
    def running(self) -> bool:
        return self.state in ("planning", "running", "paused")

    def pause(self) -> None:
        if self.runner is not None and self.state == "running":
            self.runner.pause()
            self.state = "paused"
            self._changed()

    def resume(self) -> None:
        if self.runner is not None and self.state == "paused":
            self.runner.resume_running()
            self.state = "running"
            self._changed()

    def cancel(self) -> None:
        if self.runner is not None and self.running:
            self.runner.cancel()

    def counts(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for item in self.items.values():
            out[item.status] = out.get(item.status, 0) + 1
        return out

    # ------------------------------------------------------------------ running
    async def run(self) -> None:
        journal = self.journal
        self.runner = BatchRunner(self.lookups, journal, on_progress=self._on_progress, clock=self.clock)
        try:
            if self.batch_id is None:
                self.batch_id = await self.runner.plan(self.paths, list(self.kinds), root=self.root)
            else:
                kinds = {item.kind for item in journal.items(self.batch_id)}
                self.kinds = tuple(k for k in ("scene", "characters") if k in kinds)
            self.items = {item.id: item for item in journal.items(self.batch_id)}
            self.state = "running"
            self._changed()
            await self.runner.run(self.batch_id)
            self.items = {item.id: item for item in journal.items(self.batch_id)}
            self.state = "cancelled" if self.runner.cancelled else "done"
        except asyncio.CancelledError:
            self.state = "stopped"  # the journal says "paused": resumable at the next start
            raise
        except AnimetuiError as exc:
            self.state, self.error = "failed", str(exc)
        except Exception as exc:  # noqa: BLE001 - never a traceback on screen
            self.state, self.error = "failed", f"unexpected error ({type(exc).__name__}); see the log"
        finally:
            self.notes = list(self.runner.notes)
            self._changed()

    def _on_progress(self, progress: BatchProgress) -> None:
        self.progress = progress
        self.notes = list(progress.notes)
        if progress.last is not None:
            self.items[progress.last.id] = progress.last
        self._changed()

    def _changed(self) -> None:
        for listener in list(self.listeners):
            listener(self)

    # ------------------------------------------------------------------ export
    def summary(self) -> list[BatchItem]:
        return sorted(self.items.values(), key=lambda item: item.id)
