"""``history`` (past lookups, answered offline) and ``batch`` (a folder of images within each
service's limits, resumable)."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from animetui.cli.output import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_OK,
    UsageError,
    emit_json,
    err,
    json_safe,
    mmss,
    print_table,
    wants_json,
)

if TYPE_CHECKING:
    from animetui.batch import BatchProgress
    from animetui.config import Settings
    from animetui.runtime import Runtime


async def history(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    import time as _time

    from animetui.history import export_csv, export_json, reset

    if args.reset:
        moved = reset(rt.history_path)
        if moved is None:
            print("There is no history file to move aside.")
        else:
            print(f"Moved the history aside to {moved}; a new one starts with the next lookup. Jobs are not affected.")
        return EXIT_OK
    entries = rt.history.list(query=args.query, limit=max(1, args.limit))
    if args.export == "csv":
        sys.stdout.write(export_csv(entries))
        return EXIT_OK
    if args.export == "json" or wants_json(args):
        print(json_safe(export_json(entries)))
        return EXIT_OK
    if not entries:
        print("No lookups yet." if not args.query else f"No lookups match {args.query!r}.")
        return EXIT_OK
    rows = [[_time.strftime("%Y-%m-%d %H:%M", _time.localtime(e.created_at)), e.kind, e.source_label, e.headline] for e in entries]
    print_table(["when", "kind", "source", "best answer"], rows, max_width=50)
    return EXIT_OK


async def batch(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    from animetui.batch import BatchRunner, find_images

    service = rt.lookups
    journal = rt.batches
    quiet = wants_json(args) or not sys.stderr.isatty()
    from animetui.text import safe

    def progress(p: BatchProgress) -> None:
        if quiet and p.done != p.total:
            return
        eta = f", ETA {mmss(p.eta)}" if p.eta is not None else ""
        last = f" — {safe(Path(p.last.path).name)}: {safe(p.last.status)}" if p.last else ""
        print(f"\r[{p.done}/{p.total}] {p.rate * 60:.1f}/min{eta}{last}"[:200].ljust(80), end="", file=sys.stderr, flush=True)

    runner = BatchRunner(service, journal, on_progress=progress, scene_providers=args.provider)
    if args.resume:
        pending = journal.unfinished()
        if not pending:
            print("No interrupted batch to resume.")
            return EXIT_OK
        batch_id = pending[-1]
    else:
        if not args.folder:
            raise UsageError("animetui batch: DIR is required (or --resume)")
        root = Path(args.folder).expanduser()
        if not root.exists():
            raise UsageError(f"animetui batch: {root}: no such folder")
        kinds = [k for k, on in (("scene", args.scene), ("characters", args.characters)) if on] or ["scene", "characters"]
        batch_id = await runner.plan(find_images(root, recursive=args.recursive), kinds, root=str(root))
    journal_root = journal.root(batch_id)
    try:
        items = await runner.run(batch_id)
    except (KeyboardInterrupt, asyncio.CancelledError):
        print("\ninterrupted — continue with `animetui batch --resume`", file=sys.stderr)
        return EXIT_INTERRUPTED
    print(file=sys.stderr)
    for note in runner.notes:
        err(note)
    if wants_json(args):
        emit_json({"batch": batch_id, "items": [i.to_json() for i in items], "notes": runner.notes})
    else:
        from animetui.batch import relative_to_root

        shown_root = journal_root
        print_table(["file", "kind", "status", "best match"], [[relative_to_root(i.path, shown_root), i.kind, i.status, i.headline or i.detail] for i in items], max_width=50)
    failed = any(i.status == "failed" for i in items)
    return EXIT_ERROR if failed else EXIT_OK

