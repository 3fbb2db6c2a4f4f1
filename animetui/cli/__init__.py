"""The ``animetui`` command: the TUI with no subcommand, headless subcommands for scripts and SSH.

Every subcommand prints a readable table by default and a stable JSON object with ``--json``
(shapes pinned by tests/cli/test_cli.py). Errors are one line on stderr and an exit code:

    0 ok · 2 usage or config · 3 provider or input error · 4 network · 5 a waited-for job did
    not succeed (failed, expired or cancelled) · 130 interrupted

``--demo`` routes every provider to the in-process simulators and keeps its data (history,
jobs, session, downloads) under ``<data dir>/demo``, apart from the user's own.

Start-up cost matters (the TUI's first frame): this package imports only the standard library at
the top; everything else is imported inside the command that needs it.

The package: ``parser`` (the arguments), ``output`` (tables, JSON, errors, exit codes),
``dispatch`` (settings, the runtime, signals, the command table) and one module of commands per
domain — ``lookups`` (characters, scene, models, rankings, recent), ``jobs`` (generate,
cartoonize, jobs), ``accounts`` (credits, keys, login, logout, config), ``history`` (history,
batch), ``doctor``; ``animetui library …`` lives in :mod:`animetui.library.cli`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

from animetui.cli.dispatch import dispatch, load_settings
from animetui.cli.output import (
    EXIT_ERROR,
    EXIT_INTERRUPTED,
    EXIT_JOB,
    EXIT_NETWORK,
    EXIT_OK,
    EXIT_USAGE,
    UsageError,
    emit_json,
    err,
    fail,
    json_safe,
    json_text,
    mmss,
    percent,
    plain,
    print_table,
)
from animetui.cli.parser import COMMANDS, build_parser, build_tui_parser, is_tui, suggest_command

__all__ = [
    "COMMANDS", "EXIT_ERROR", "EXIT_INTERRUPTED", "EXIT_JOB", "EXIT_NETWORK", "EXIT_OK", "EXIT_USAGE",
    "UsageError", "build_parser", "emit_json", "err", "fail", "json_safe", "json_text", "main", "mmss",
    "percent", "plain", "print_table",
]


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    _never_raw_bytes()
    as_json = "--json" in args_list
    try:
        if is_tui(args_list):
            from animetui.ui import collector

            collector.hold()  # no garbage collection while the TUI starts (see the module)
            try:
                _no_typo(args_list)
                return _run_tui(build_tui_parser().parse_args(args_list))
            finally:
                collector.release()
        with _safe_output():
            args = build_parser().parse_args(args_list)
            if not getattr(args, "command", None):
                build_parser().print_help()
                return EXIT_USAGE
            return dispatch(args)
    except UsageError as exc:
        from animetui.text import for_stream

        if as_json:
            emit_json({"error": {"message": for_stream(str(exc)), "kind": "usage", "exit_code": EXIT_USAGE}})
        print(for_stream(str(exc)), file=sys.stderr)
        print("Try 'animetui --help'.", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("animetui: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return EXIT_OK


def _no_typo(argv: Sequence[str]) -> None:
    """``animetui charaters img.png``: a mistyped command, not a folder to start the app in."""
    words = [a for a in argv if not a.startswith("-")]
    if not words or Path(words[0]).expanduser().exists():
        return
    guess = suggest_command(words[0])
    if guess is not None:
        raise UsageError(f"animetui: unknown command {words[0]!r} — did you mean {guess}?")


def _never_raw_bytes() -> None:
    """Text that cannot be encoded (a non-UTF-8 file name) is printed as ``\\x``/``\\u`` escapes.

    Python's default for stdout is to fail (``UnicodeEncodeError``) or, in the C locale, to write
    the raw bytes (a byte like 0x9b is a C1 control to some terminals). Names are shown with
    :func:`animetui.fsnames.shown` where they are printed; this is the net under that.
    """
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            try:
                reconfigure(errors="backslashreplace")
            except (ValueError, OSError):
                pass


@contextlib.contextmanager
def _safe_output() -> Iterator[None]:
    """Every byte a command prints passes :func:`animetui.text.for_stream` (no control sequence ever)."""
    from animetui.text import SafeStream

    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = SafeStream(sys.stdout), SafeStream(sys.stderr)
    try:
        yield
    finally:
        if isinstance(sys.stdout, SafeStream):
            sys.stdout = saved[0]
        if isinstance(sys.stderr, SafeStream):
            sys.stderr = saved[1]

def _run_tui(args: argparse.Namespace) -> int:
    from animetui.errors import AnimetuiError

    try:
        settings = load_settings(args)
    except AnimetuiError as exc:
        err(str(exc))
        return EXIT_USAGE
    start = Path(args.path).expanduser() if args.path else None
    if start is not None and not start.exists():
        err(f"{start}: no such file or folder")
        return EXIT_USAGE
    from animetui.ui.app import run_tui

    return run_tui(settings, demo=bool(args.demo), start_path=start, renderer=args.renderer)
