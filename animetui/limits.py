"""The services' documented limits, counted once per machine: shared by the TUI and every CLI run.

Why: each process used to count its own requests in memory, so twelve ``animetui generate`` runs in
one minute sent twelve requests and AnimeAPI refused the 11th (10 per minute per key). Now every
grant is written to one SQLite file in the data dir (``limits.sqlite3``), under ``BEGIN IMMEDIATE``
(one writer at a time across processes; the others wait on SQLite's busy timeout), so a limit holds
however many processes share the data dir.

The limits (``shared/seeds/``, research notes):

* AnimeAPI — 10 requests per minute per key (a sliding 60 s, the simulator's strictest reading)
  and 5,000 images per day (per UTC day).
* whatanimeisthis — guests 5 searches a day (per UTC day), signed-in users 100 an hour.

A bucket is named by the provider and a short hash of the key (never the key itself), so two keys
have two counts. :class:`SharedBucket` is what :class:`animetui.net.RateLimiter` calls after its
own in-process token: short waits (the per-minute window) are waited, a long one (a daily limit)
raises :class:`~animetui.errors.QuotaError` saying when the allowance comes back.

A grant is counted from when the request's *answer* came back (:meth:`SharedBucket.sent`,
called by the provider through ``RateLimiter.sent``), not from when it was granted: the service
saw the request in between, so the next grant can never reach the service inside its window
however long the earlier request took to upload.

``ANIMETUI_TEST_CLOCK`` (``EPOCH:SCALE``) is for tests only: the limits and the simulator both read
a clock that runs ``SCALE`` times faster than real time from ``EPOCH``, so a test of "never more
than 10 in any 60 s" needs seconds, not minutes.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import hashlib
import os
import sqlite3
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from animetui.errors import QuotaError

TEST_CLOCK_ENV = "ANIMETUI_TEST_CLOCK"
#: ``code`` of the QuotaError raised when this machine has used a limit up (nothing was sent)
LOCAL_LIMIT = "local-limit"
FILE_NAME = "limits.sqlite3"
DAY = 86400.0
#: real seconds a grant is counted longer than its window, so that a request granted just as an old
#: one leaves the window cannot reach the service before the old one has left the service's window
#: (the old one may have spent a while connecting and uploading)
MARGIN = 1.0
#: waits up to this long are waited; a longer one is reported (a daily limit, a whole hour)
MAX_WAIT = 120.0


#: the grant this task holds (taken by SharedBucket.acquire, settled by SharedBucket.sent)
_GRANT: contextvars.ContextVar[tuple["SharedLimits", int | None] | None] = contextvars.ContextVar("grant", default=None)


@dataclass(frozen=True, slots=True)
class Rule:
    count: int
    window: float  # seconds; DAY with ``utc_day`` counts the calendar day instead
    what: str  # "requests a minute", for messages
    utc_day: bool = False


#: the documented limits, by bucket kind
DOCUMENTED: dict[str, tuple[Rule, ...]] = {
    "animeapi": (Rule(10, 60.0, "requests a minute"), Rule(5000, DAY, "images a day", utc_day=True)),
    "whatanime.guest": (Rule(5, DAY, "guest searches a day", utc_day=True),),
    "whatanime.user": (Rule(100, 3600.0, "searches an hour"),),
}


# --------------------------------------------------------------------------- clock
def _test_clock() -> tuple[float, float]:
    spec = os.environ.get(TEST_CLOCK_ENV, "")
    if spec:
        try:
            epoch_text, scale_text = spec.split(":", 1)
            epoch, scale = float(epoch_text), float(scale_text)
        except ValueError:
            return 0.0, 1.0
        if scale > 0:
            return epoch, scale
    return 0.0, 1.0


def margin() -> float:
    """:data:`MARGIN` on the clock in use (a scaled test clock scales it too)."""
    return MARGIN * _test_clock()[1]


def clock_and_sleep() -> tuple[Callable[[], float], Callable[[float], Awaitable[None]]]:
    """Wall-clock seconds and a matching sleep; the scaled test clock when ``ANIMETUI_TEST_CLOCK`` is set."""
    epoch, scale = _test_clock()
    if scale != 1.0:

        def clock() -> float:
            return epoch + (time.time() - epoch) * scale

        async def sleep(seconds: float) -> None:
            await asyncio.sleep(max(0.0, seconds) / scale)

        return clock, sleep
    return time.time, asyncio.sleep


def bucket_name(kind: str, key: str | None) -> str:
    """``kind`` plus a short hash of ``key`` (the key itself is never written anywhere)."""
    if not key:
        return kind
    return f"{kind}:{hashlib.sha256(key.encode()).hexdigest()[:12]}"


# --------------------------------------------------------------------------- the store
class SharedLimits:
    """Grants and blocks per bucket in ``<data_dir>/limits.sqlite3``, safe across processes."""

    def __init__(self, data_dir: Path, *, clock: Callable[[], float] | None = None) -> None:
        self.path = Path(data_dir) / FILE_NAME
        default_clock, _ = clock_and_sleep()
        self.clock = clock or default_clock

    def _connect(self) -> sqlite3.Connection:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        db.execute("PRAGMA busy_timeout = 30000")
        db.execute("CREATE TABLE IF NOT EXISTS grants (bucket TEXT NOT NULL, at REAL NOT NULL)")
        db.execute("CREATE INDEX IF NOT EXISTS grants_by_bucket ON grants (bucket, at)")
        db.execute("CREATE TABLE IF NOT EXISTS blocks (bucket TEXT PRIMARY KEY, until REAL NOT NULL)")
        with contextlib.suppress(OSError):
            os.chmod(self.path, 0o600)
        return db

    def try_take(self, bucket: str, rules: tuple[Rule, ...]) -> tuple[float, Rule | None]:
        """Take one grant now: ``(0, None)``; or ``(seconds until one is free, the rule in the way)``."""
        wait, rule, _grant = self.take(bucket, rules)
        return wait, rule

    def sent(self, grant: int) -> None:
        """The request of ``grant`` has been answered: count it from now on, not from when it was
        granted. The service saw it somewhere in between, so a window counted from the answer can
        never be shorter than the service's — however long the request took to arrive."""
        db = self._connect()
        try:
            db.execute("UPDATE grants SET at = max(at, ?) WHERE rowid = ?", (self.clock(), grant))
        finally:
            db.close()

    def take(self, bucket: str, rules: tuple[Rule, ...]) -> tuple[float, Rule | None, int | None]:
        """:meth:`try_take`, with the grant's id (for :meth:`sent`) when one was granted."""
        db = self._connect()
        try:
            db.execute("BEGIN IMMEDIATE")
            try:
                now = self.clock()
                pad = margin()
                longest = max((rule.window for rule in rules), default=60.0) + pad
                db.execute("DELETE FROM grants WHERE bucket = ? AND at < ?", (bucket, now - longest - DAY))
                row = db.execute("SELECT until FROM blocks WHERE bucket = ?", (bucket,)).fetchone()
                if row is not None and row[0] > now:
                    db.execute("ROLLBACK")
                    return row[0] - now, None, None
                for rule in rules:
                    if rule.utc_day:
                        start = now // DAY * DAY
                        used = db.execute("SELECT COUNT(*) FROM grants WHERE bucket = ? AND at >= ?", (bucket, start)).fetchone()[0]
                        if used >= rule.count:
                            db.execute("ROLLBACK")
                            return start + DAY - now, rule, None
                        continue
                    since = now - rule.window - pad
                    times = [r[0] for r in db.execute(
                        "SELECT at FROM grants WHERE bucket = ? AND at > ? ORDER BY at DESC LIMIT ?",
                        (bucket, since, rule.count))]
                    if len(times) >= rule.count:
                        db.execute("ROLLBACK")
                        return max(0.001, times[-1] + rule.window + pad - now), rule, None
                grant = db.execute("INSERT INTO grants (bucket, at) VALUES (?, ?)", (bucket, now)).lastrowid
                db.execute("COMMIT")
                return 0.0, None, grant
            except BaseException:
                with contextlib.suppress(sqlite3.Error):
                    db.execute("ROLLBACK")
                raise
        finally:
            db.close()

    def block(self, bucket: str, seconds: float) -> None:
        """Nobody on this machine gets a grant from ``bucket`` for ``seconds`` (a server's Retry-After)."""
        db = self._connect()
        try:
            until = self.clock() + max(0.0, seconds)
            db.execute(
                "INSERT INTO blocks (bucket, until) VALUES (?, ?) "
                "ON CONFLICT(bucket) DO UPDATE SET until = max(until, excluded.until)",
                (bucket, until),
            )
        finally:
            db.close()

    def used(self, bucket: str, rule: Rule) -> int:
        """Grants ``rule`` counts now (for a "searches left" display)."""
        db = self._connect()
        try:
            now = self.clock()
            since = now // DAY * DAY if rule.utc_day else now - rule.window
            return db.execute("SELECT COUNT(*) FROM grants WHERE bucket = ? AND at >= ?", (bucket, since)).fetchone()[0]
        finally:
            db.close()

    def times(self, bucket: str) -> list[float]:
        db = self._connect()
        try:
            return [r[0] for r in db.execute("SELECT at FROM grants WHERE bucket = ? ORDER BY at", (bucket,))]
        finally:
            db.close()


class SharedBucket:
    """One bucket of :class:`SharedLimits`, as :class:`animetui.net.RateLimiter` uses it."""

    def __init__(
        self,
        limits: SharedLimits,
        bucket: str,
        rules: tuple[Rule, ...],
        *,
        provider: str = "",
        title: str = "",
        sleep: Callable[[float], Awaitable[None]] | None = None,
        max_wait: float = MAX_WAIT,
    ) -> None:
        self.limits = limits
        self.bucket = bucket
        self.rules = rules
        self.provider = provider
        self.title = title or provider
        _, default_sleep = clock_and_sleep()
        self._sleep = sleep or default_sleep
        self.max_wait = max_wait

    async def acquire(self) -> None:
        """Wait for a grant; a wait longer than ``max_wait`` raises :class:`QuotaError` (nothing sent).

        The grant is remembered for this task; :meth:`sent` (after the answer) moves its time."""
        while True:
            wait, rule, grant = await asyncio.to_thread(self.limits.take, self.bucket, self.rules)
            if wait <= 0:
                _GRANT.set((self.limits, grant))
                return
            if wait > self.max_wait:
                exc = QuotaError(self._quota_text(wait, rule), provider=self.provider, code=LOCAL_LIMIT)
                exc.retry_after = wait
                raise exc
            await self._sleep(wait)

    def _quota_text(self, wait: float, rule: Rule | None) -> str:
        when = time.strftime("%H:%M UTC", time.gmtime(time.time() + wait))
        if rule is None:
            return f"{self.title} asked us to wait; it can be used again at about {when}"
        return f"{self.title} allows {rule.count} {rule.what}, all used on this machine; more at about {when}"

    def block(self, seconds: float) -> None:
        self.limits.block(self.bucket, seconds)

    async def sent(self) -> None:
        """This task's request (granted by :meth:`acquire`) has its answer."""
        held = _GRANT.get()
        _GRANT.set(None)
        if held is not None and held[1] is not None:
            await asyncio.to_thread(held[0].sent, held[1])

    def retry_in(self) -> float:
        """Seconds until a grant would be free (0 now), without taking one. Reads only."""
        wait, _ = self.peek()
        return wait

    def peek(self) -> tuple[float, Rule | None]:
        limits = self.limits
        now = limits.clock()
        times = limits.times(self.bucket)
        worst: tuple[float, Rule | None] = (0.0, None)
        for rule in self.rules:
            if rule.utc_day:
                start = now // DAY * DAY
                if sum(1 for t in times if t >= start) >= rule.count:
                    worst = max(worst, (start + DAY - now, rule), key=lambda pair: pair[0])
                continue
            pad = margin()
            recent = [t for t in times if t > now - rule.window - pad]
            if len(recent) >= rule.count:
                worst = max(worst, (recent[-rule.count] + rule.window + pad - now, rule), key=lambda pair: pair[0])
        return worst
