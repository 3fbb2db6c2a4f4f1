"""``animetui library …`` and ``animetui scene IMAGE --provider local``.

Hooked into :mod:`animetui.cli` by two small calls (:func:`add_parser`, :func:`main`). Standard
library only at import time: the heavy modules load inside the command that needs them.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animetui.cli import output as cli

if TYPE_CHECKING:
    from animetui.library.db import LibraryDB
    from animetui.models import SceneMatch

EXIT_OK, EXIT_USAGE, EXIT_ERROR = 0, 2, 3


def add_parser(add: Any) -> None:
    """``add(name, help)`` is animetui.cli's sub-parser factory."""
    p = add("library", "your own anime library: offline scene search (no service, no quota)")
    sub = p.add_subparsers(dest="library_command", metavar="ACTION", parser_class=type(p))
    sub.required = True
    def action(name: str, text: str) -> argparse.ArgumentParser:
        q = sub.add_parser(name, help=text, description=text)
        q.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON")
        return q

    q = action("add", "add a folder of videos and index it in the background")
    q.add_argument("dir", metavar="DIR")
    q.add_argument("--watch", action="store_true", help="keep indexing new episodes as they appear")
    q.add_argument("--title", help="use this title for every file in the folder")
    q.add_argument("--wait", action="store_true", help="index in the foreground and wait until done")
    action("status", "folders, indexed hours, progress and ETA of the indexing job")
    q = action("rescan", "look for new or changed files and index them")
    q.add_argument("--wait", action="store_true", help="index in the foreground and wait until done")
    q = action("remove", "forget a folder and its index (the videos are not touched)")
    q.add_argument("dir", metavar="DIR")
    q = action("title", "correct the title of every file in a folder (empty: from the file names again)")
    q.add_argument("dir", metavar="DIR")
    q.add_argument("title", nargs="?", default="")
    action("pause", "pause the indexing job (resume with `library resume`)")
    action("resume", "resume a paused, cancelled or interrupted indexing job")
    action("cancel", "stop the indexing job (files done so far stay searchable)")


def _err(message: str) -> None:
    """One line on stderr, control characters removed (paths come from the user's disk)."""
    cli.err(cli.plain(message))


def _settings_section(settings: Any) -> dict:
    """The validated ``[library]`` keys (animetui.providers.specs.local)."""
    return settings.section("library") if hasattr(settings, "section") else {}


def _db(settings: Any) -> LibraryDB:
    from animetui.library.db import LibraryDB, default_path

    return LibraryDB(default_path(settings.data_dir))


def _start(settings: Any, args: argparse.Namespace, *, watch: bool = False) -> str:
    from animetui.library.db import default_path
    from animetui.library.indexer import start_worker

    pid = start_worker(default_path(settings.data_dir), watch=60.0 if watch else 0.0, config=getattr(args, "config", None), fresh=True)
    _journal(settings, args, watch=watch)
    return "indexing in the background (see `animetui library status`)" if pid else "the indexer is already running; it will pick these up"


def _journal(settings: Any, args: argparse.Namespace, *, watch: bool) -> None:
    """The indexing as an ``index`` job in the jobs journal (the Jobs pane and ``animetui jobs``
    show it; the next runner follows it). The command itself stays runner-free: starting a runner
    here would also resume every other queued job, some of them paid."""
    from animetui import locations
    from animetui.errors import AnimetuiError
    from animetui.jobs.index import journal_index
    from animetui.store import JobJournal

    try:
        journal = JobJournal(locations.jobs_db(settings.data_dir))
        try:
            journal_index(journal, settings.data_dir, config=getattr(args, "config", None), watch=watch)
        finally:
            journal.close()
    except (AnimetuiError, OSError) as exc:  # the indexing runs anyway; only the Jobs pane misses it
        _err(f"note: the indexing job could not be journalled ({exc})")


def _foreground(settings: Any, db: Any) -> int:
    from animetui.library.index import open_index
    from animetui.library.indexer import run, worker_lock

    lock = worker_lock(db.path)
    if lock is None:
        _err("the background indexer is running; watch it with `animetui library status`")
        return EXIT_ERROR
    try:
        index = open_index(db, _settings_section(settings))
        try:
            result = run(db, index, sampling=str(_settings_section(settings).get("sampling") or "nonref"),
                         on_file=lambda f, outcome: print(f"{outcome:>8}  {cli.plain(f.path)}", flush=True))
        finally:
            index.close()
    finally:
        lock.close()
    if result.stopped and result.stopped not in ("paused", "cancelled"):
        _err(result.stopped)
        return EXIT_ERROR
    print(f"indexed {result.files} file(s), {result.seconds / 3600:.2f} h of video")
    return EXIT_OK


def _scan_lines(report: Any) -> list[str]:
    lines = [f"{report.new} new, {report.changed} changed, {report.gone} gone, {report.same} unchanged"]
    lines += [f"{path}: not reachable (drive disconnected?); its index is kept" for path in report.offline]
    lines += report.problems[:20]
    return lines


def main(args: argparse.Namespace, settings: Any) -> int:
    from animetui.errors import AnimetuiError
    from animetui.library import db as dbm

    command = args.library_command
    as_json = bool(getattr(args, "json", False))
    try:
        if command == "status":
            return _status(settings, as_json)
        with _db(settings) as db:
            if command == "add":
                root = Path(args.dir).expanduser().resolve()
                if not root.is_dir():
                    _err(f"{root}: no such folder")
                    return EXIT_USAGE
                folder_id = db.add_folder(root, watch=args.watch)
                if args.title:
                    db.set_title(folder_id, args.title.strip())
                from animetui.library.indexer import scan

                report = scan(db, folder_ids={folder_id})
                for line in _scan_lines(report):
                    print(cli.plain(line))
                if args.wait:
                    return _foreground(settings, db)
                print(_start(settings, args, watch=args.watch))
                return EXIT_OK
            if command == "rescan":
                from animetui.library.indexer import scan

                for line in _scan_lines(scan(db)):
                    print(cli.plain(line))
                db.request(dbm.IDLE, only_if=(dbm.PAUSED, dbm.CANCELLED, dbm.FAILED))
                if args.wait:
                    return _foreground(settings, db)
                print(_start(settings, args, watch=any(w for *_, w in db.folders())))
                return EXIT_OK
            if command in ("remove", "title"):
                target = Path(args.dir).expanduser().resolve()
                match = next(((fid, p) for fid, p, _, _ in db.folders() if Path(p) == target), None)
                if match is None:
                    _err(f"{target}: not a library folder (see `animetui library status`)")
                    return EXIT_USAGE
                if command == "title":
                    db.set_title(match[0], args.title.strip() or None)
                    if not args.title.strip():
                        from animetui.library.indexer import scan
                        from animetui.library.names import title_and_episode

                        for f in db.files(folder_id=match[0]):
                            show, episode = title_and_episode(Path(f.path), root=target)
                            with db.tx() as c:
                                c.execute("UPDATE lib_files SET title = ?, episode = ? WHERE id = ?", (show, episode, f.id))
                    print(f"title for {cli.plain(str(target))}: {cli.plain(args.title.strip() or '(from the file names)')}")
                    return EXIT_OK
                dropped = db.remove_folder(match[0])  # searches stop showing it at once
                _start(settings, args)  # the index files are rewritten without it in the background
                print(f"removed {cli.plain(str(target))} ({dropped} file(s)); the videos were not touched")
                return EXIT_OK
            if command == "pause":
                ok = db.request(dbm.PAUSED)
                print("pausing after the current batch" if ok else "no indexing job is running")
                return EXIT_OK
            if command == "cancel":  # idle with work queued: a worker is starting (it honours the cancel)
                starting = (dbm.IDLE,) if db.totals()["pending_files"] else ()
                ok = db.request(dbm.CANCELLED, only_if=(dbm.RUNNING, dbm.PAUSED, *starting))
                print("cancelling; files indexed so far stay searchable" if ok else "no indexing job to cancel")
                return EXIT_OK
            if command == "resume":
                db.request(dbm.IDLE, only_if=(dbm.PAUSED, dbm.CANCELLED, dbm.FAILED))
                print(_start(settings, args))
                return EXIT_OK
    except AnimetuiError as exc:
        _err(str(exc))
        return exc.exit_code
    except OSError as exc:
        _err(f"cannot use the library ({exc.strerror or exc})")
        return EXIT_ERROR
    return EXIT_USAGE


def _status(settings: Any, as_json: bool) -> int:
    from animetui.library import db as dbm
    from animetui.library.indexer import worker_running

    path = dbm.default_path(settings.data_dir)
    if not path.exists():
        if as_json:
            cli.emit_json({"folders": [], "job": None})
        else:
            print("No library yet. Add one with: animetui library add DIR")
        return EXIT_OK
    with _db(settings) as db:
        job = db.job()
        running = worker_running(db.path)
        if job.state == dbm.RUNNING and not running:
            job.state = "interrupted"  # the worker was killed: `library resume` picks it up
        folders = []
        for fid, fpath, title, watch in db.folders():
            files = db.files(folder_id=fid)
            folders.append({
                "path": fpath, "title": title, "watch": watch, "files": len(files),
                "indexed_files": sum(f.state == dbm.DONE for f in files),
                "indexed_hours": round(sum(f.duration for f in files if f.state == dbm.DONE) / 3600, 3),
                "offline": any(f.state == dbm.OFFLINE for f in files) or not Path(fpath).is_dir(),
            })
        problems = [{"file": f.path, "state": f.state, "error": f.error} for f in db.files(states=[dbm.ERROR, dbm.MISSING])]
        problems += [{"file": f.path, "state": "warning", "error": f.error} for f in db.files(states=[dbm.DONE]) if f.error]
        totals = db.totals()
        size = dbm.disk_bytes(settings.data_dir)
    progress = (job.seconds_done / job.seconds_total) if job.seconds_total else None
    payload = {
        "folders": folders,
        "job": {"state": job.state, "progress": progress, "eta_seconds": job.eta, "current": job.current, "message": job.message},
        "totals": totals, "disk_bytes": size, "problems": problems,
    }
    if as_json:
        cli.emit_json(payload)
        return EXIT_OK
    rows = [[f["path"], f["title"] or "(from file names)", f"{f['indexed_files']}/{f['files']}", f"{f['indexed_hours']:.2f} h",
             "not reachable" if f["offline"] else ("watching" if f["watch"] else "")] for f in folders]
    cli.print_table(["folder", "title", "files", "indexed", ""], rows)
    line = f"\njob: {job.state}"
    waiting = int(totals.get("pending_files") or 0)
    if job.state == dbm.IDLE and waiting:  # just added or rescanned: the worker has not picked them up yet
        line = (f"\njob: starting · {waiting} file(s) to index" if running
                else f"\njob: {waiting} file(s) waiting to be indexed (`animetui library resume` starts it)")
        progress = None
    if progress is not None:
        line += f" · {progress * 100:.0f} %"
    if job.eta is not None:
        line += f" · ETA {cli.mmss(job.eta)}"
    if job.current:
        line += f" · {Path(job.current).name}"
    print("\n" + cli.plain(line.strip()))
    if job.message:
        print(cli.plain(job.message))
    print(f"index on disk: {size / 1e6:.1f} MB for {totals['indexed_seconds'] / 3600:.2f} h of video")
    for p in problems[:20]:
        print(cli.plain(f"{p['state']}: {p['error'] or p['file']}"))
    return EXIT_OK


def scene(args: argparse.Namespace, settings: Any) -> int:
    """``animetui scene IMAGE --provider local``."""
    from animetui.errors import AnimetuiError
    from animetui.library.provider import LocalLibraryProvider
    from animetui.models import ImageSource

    source = ImageSource.parse(args.image)
    provider = LocalLibraryProvider(settings.data_dir, _settings_section(settings),
                                    cut_borders=not getattr(args, "no_cut", False), flip=bool(getattr(args, "flip", False)))
    try:
        if source.url is not None:
            _err("the local library searches a file, not a URL")
            return EXIT_USAGE
        started = time.perf_counter()
        result = provider.search_sync(source.path)
        took = time.perf_counter() - started
    except AnimetuiError as exc:
        _err(str(exc))
        return exc.exit_code
    finally:
        provider.close()
    if getattr(args, "json", False):
        cli.emit_json({**result.to_json(), "cached": False, "provider": "local"})
        return EXIT_OK
    if not result.matches:
        print("No matching scene in your library.")
        return EXIT_OK
    rows = [[m.title, m.episode or "–", f"{cli.mmss(m.at)} ({cli.mmss(m.start)}–{cli.mmss(m.end)})",
             f"{cli.percent(m.similarity)}  {m.confidence}", Path(_file_of(m)).name] for m in result.matches]
    cli.print_table(["title", "episode", "at (scene)", "similarity", "file"], rows)
    best = result.matches[0]
    print(f"\nplay from here: mpv --start={best.at or 0.0:.1f} {cli.plain(_quote(_file_of(best)))}   ({took * 1000:.0f} ms)")
    return EXIT_OK


def _file_of(match: SceneMatch) -> str:
    """The full path of a library match (plain scene matches only know the file's name)."""
    from animetui.library.search import LibraryMatch

    return match.file if isinstance(match, LibraryMatch) else match.filename


def _quote(path: str) -> str:
    import shlex

    return shlex.quote(path)
