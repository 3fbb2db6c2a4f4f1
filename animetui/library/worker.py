"""``python -m animetui.library.worker DB [--watch SECONDS] [--config PATH]``: the background
indexer. Niced (10), one per library (a lock file), exits when nothing is left to do (or keeps
watching). Started by ``animetui library add|rescan`` through :func:`indexer.start_worker`."""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from pathlib import Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="animetui.library.worker")
    parser.add_argument("db")
    parser.add_argument("--watch", type=float, default=0.0)
    parser.add_argument("--config")
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args(argv)
    with contextlib.suppress(AttributeError, OSError):
        os.nice(10)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    from animetui.errors import AnimetuiError
    from animetui.library.db import LibraryDB
    from animetui.library.indexer import run, worker_lock

    db_path = Path(args.db)
    lock = worker_lock(db_path)
    if lock is None:
        return 0  # another worker is on it
    try:
        settings = _library_settings(args.config)
        with LibraryDB(db_path) as db:
            from animetui.library.index import open_index

            index = open_index(db, settings)
            try:
                result = run(db, index, sampling=str(settings.get("sampling") or "nonref"), threads=args.threads, watch=args.watch,
                             watch_folders=True)
            finally:
                index.close()
        print(f"library worker: {result.files} file(s), {result.seconds:.0f} s of video; {result.stopped or 'done'}", flush=True)
        return 0 if not result.stopped or result.stopped in ("paused", "cancelled") else 2
    except AnimetuiError as exc:
        print(f"library worker: {exc}", file=sys.stderr, flush=True)
        return 2
    finally:
        lock.close()


def _library_settings(config: str | None) -> dict:
    try:
        from animetui.config import Settings

        return Settings.load(config).section("library")  # validated (animetui.providers.specs.local)
    except Exception:  # noqa: BLE001 - a broken config is reported by the CLI, not here
        return {}


if __name__ == "__main__":
    raise SystemExit(main())
