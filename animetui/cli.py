"""The ``animetui`` command: the TUI with no subcommand, headless subcommands for scripts and SSH.

Every subcommand prints a readable table by default and a stable JSON object with ``--json``
(shapes pinned by tests/test_cli.py). Errors are one line on stderr and an exit code:

    0 ok · 2 usage or config · 3 provider or input error · 4 network · 5 a waited-for job did
    not succeed (failed, expired or cancelled) · 130 interrupted

``--demo`` routes every provider to the in-process simulators and keeps its data (history,
jobs, session, downloads) under ``<data dir>/demo``, apart from the user's own.

Start-up cost matters (the TUI's first frame): this module imports only the standard library at
the top; everything else is imported inside the command that needs it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from animetui.runtime import Runtime

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_ERROR = 3
EXIT_NETWORK = 4
EXIT_JOB = 5
EXIT_INTERRUPTED = 130

COMMANDS = (
    "characters", "scene", "models", "generate", "cartoonize", "jobs", "rankings", "recent",
    "credits", "keys", "login", "logout", "config", "history", "batch", "doctor", "library",
)


class UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print usage + exit 2 itself
        raise UsageError(f"{self.prog}: {message}")


# --------------------------------------------------------------------------- output helpers
def _cell_len(text: str) -> int:
    try:
        from rich.cells import cell_len

        return cell_len(text)
    except Exception:  # noqa: BLE001
        return len(text)


def _clip(text: str, width: int) -> str:
    if _cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if _cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 48, file=None) -> None:  # noqa: ANN001
    out = file or sys.stdout
    cells = [[_clip(_plain(v), max_width) for v in row] for row in rows]
    widths = [_cell_len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], _cell_len(value))

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (widths[i] - _cell_len(v)) for i, v in enumerate(values)).rstrip()

    print(line(list(headers)), file=out)
    print("  ".join("─" * w for w in widths), file=out)
    for row in cells:
        print(line(row), file=out)


def _flag(given: bool | None, configured: Any) -> bool:
    """A --x/--no-x switch: what the command line said, else the setting."""
    return bool(configured) if given is None else given


def _plain(value: Any) -> str:
    """A value for terminal output: no control characters, ever (server strings are untrusted)."""
    from animetui.text import safe

    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return safe(value, limit=10_000)


def mmss(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = max(0.0, seconds)
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def percent(similarity: float | None) -> str:
    return "–" if similarity is None else f"{similarity * 100:.1f}%"


def emit_json(payload: Any) -> None:
    print(json_text(payload))


def json_text(payload: Any) -> str:
    """JSON, readable (non-ASCII kept) but with every control/bidi/lone-surrogate character ``\\u``-escaped."""
    return json_safe(json.dumps(payload, ensure_ascii=False, indent=2))


def json_safe(text: str) -> str:
    """A JSON text with its control/bidi/lone-surrogate characters ``\\u``-escaped (still the same JSON)."""
    from animetui.text import _BAD

    # JSON escapes C0 itself; C1, DEL, bidi and lone surrogates (a non-UTF-8 file name) are left raw by
    # ensure_ascii=False. Outside strings there is only ASCII structure and whitespace (\n from indent).
    return _BAD.sub(lambda m: m.group() if m.group() == "\n" else "".join(f"\\u{u:04x}" for u in _utf16(m.group())), text)


def _utf16(char: str) -> list[int]:
    code = ord(char)
    if code <= 0xFFFF:
        return [code]
    code -= 0x10000
    return [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]


def err(message: str) -> None:
    from animetui.redact import redact
    from animetui.text import safe

    print(f"animetui: {safe(redact(message))}", file=sys.stderr)


def _error_kind(exc: BaseException | type[BaseException]) -> str:
    """``NetworkError`` -> ``network``, ``RateLimited`` -> ``rate_limited`` (the JSON error's kind)."""
    import re

    name = (exc if isinstance(exc, type) else type(exc)).__name__.lstrip("_")
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return snake.removesuffix("_error") or "error"


def fail(message: str, *, kind: str, exit_code: int, as_json: bool) -> int:
    """The one way a command fails: one line on stderr and, with ``--json``, an error object on stdout."""
    from animetui.redact import redact
    from animetui.text import safe

    if as_json:
        emit_json({"error": {"message": safe(redact(message)), "kind": kind, "exit_code": exit_code}})
    err(message)
    return exit_code


def _suggest_command(word: str) -> str | None:
    import difflib

    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    return close[0] if close else None


# --------------------------------------------------------------------------- the parser
def build_parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--demo", action="store_true", default=argparse.SUPPRESS, help="use the built-in simulators (no keys, no network)")
    common.add_argument("--config", metavar="PATH", default=argparse.SUPPRESS, help="config file (default: $ANIMETUI_CONFIG or the per-user path)")
    common.add_argument("--json", action="store_true", default=argparse.SUPPRESS, help="print machine-readable JSON")

    parser = _Parser(
        prog="animetui",
        description="Anime image work from the terminal. Without a command, starts the full-screen app.",
        parents=[common],
    )
    from animetui import __version__

    parser.add_argument("--version", action="version", version=f"animetui {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text, parents=[common])

    p = add("characters", "recognise the characters in an image (AnimeTrace)")
    p.add_argument("image", metavar="IMAGE|URL")
    p.add_argument("--model", metavar="ID", help="model id (see `animetui models`; default: the service's default)")
    p.add_argument("--single", dest="multi", action="store_const", const=False, default=None,
                   help="ask for one candidate per character (is_multi=0; default: providers.animetrace.is_multi)")
    p.add_argument("--multi", dest="multi", action="store_const", const=True, help="ask for several candidates per character")
    p.add_argument("--ai-detect", action=argparse.BooleanOptionalAction, default=None,
                   help="ask whether the image is AI-generated (default: providers.animetrace.ai_detect)")
    p.add_argument("--refresh", action="store_true", help="ask the service again even if this image was looked up before")

    p = add("scene", "find the anime, episode and time of a screenshot")
    p.add_argument("image", metavar="IMAGE|URL")
    choices = (*scene_provider_choices(), "local")  # local: the library (not a spec yet)
    p.add_argument("--provider", choices=choices, default=None,
                   help=f"which engine to ask: {', '.join(choices)} (default: the general.scene_provider setting; "
                        "local: search your own library, animetui library add DIR)")
    p.add_argument("--no-cut-borders", action="store_true", help="trace.moe: keep black borders (they are cropped by default)")
    p.add_argument("--adult", action="store_true", help="show NSFW matches (hidden by default)")
    p.add_argument("--refresh", action="store_true", help="ask the service again even if this image was looked up before")
    p.add_argument("--flip", action="store_true", help="local: also try the mirror image")
    p.add_argument("--no-cut", action="store_true", help="local: do not also try with black borders cut")

    from animetui.library.cli import add_parser as _library_parser

    _library_parser(add)

    p = add("history", "past lookups, newest first (answered offline)")
    p.add_argument("query", nargs="?", default="", help="filter by title, character, work or file name")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--export", choices=("json", "csv"), help="write the listed lookups as JSON or CSV to stdout")
    p.add_argument("--reset", action="store_true", help="move a damaged history file aside (renamed, not deleted) and start a new one")

    add("models", "list AnimeTrace's recognition models")

    p = add("generate", "generate an anime image from a prompt (AnimeAPI, paid)")
    p.add_argument("prompt")
    p.add_argument("--orientation", choices=("portrait", "square", "landscape"))
    p.add_argument("--nsfw", action=argparse.BooleanOptionalAction, default=None,
                   help="allow NSFW output (default: providers.animeapi.allow_nsfw)")
    p.add_argument("--enhance", action=argparse.BooleanOptionalAction, default=None,
                   help="let the service enhance the prompt (default: providers.animeapi.enhance)")
    p.add_argument("--raw", dest="enhance", action="store_const", const=False, help="the same as --no-enhance")
    p.add_argument("--wait", action="store_true", help="show progress on stderr until the image is saved")

    p = add("cartoonize", "turn a photo into anime art (AILabTools async task)")
    p.add_argument("image", metavar="IMAGE")
    p.add_argument("--style", required=True, metavar="0-8", help="style number or name (see --help-styles)")
    p.add_argument("--wait", action="store_true", help="wait until the result is saved (progress on stderr)")

    p = add("jobs", "list generation and cartoonize jobs")
    p.add_argument("action", nargs="?", choices=("list", "watch"), default="list")

    p = add("rankings", "most searched anime")
    p.add_argument("--period", choices=("daily", "weekly", "monthly", "yearly", "all"), default="all")
    p.add_argument("--limit", type=int, default=50, help="how many (default 50, as the service)")
    p.add_argument("--adult", action=argparse.BooleanOptionalAction, default=None,
                   help="include NSFW entries (default: providers.whatanime.include_adult)")

    p = add("recent", "recent public searches")
    p.add_argument("--limit", type=int, default=20)
    p.add_argument("--offset", type=int, default=0)

    add("credits", "credits and quotas left")

    p = add("batch", "look up a whole folder of images within each service's limits")
    p.add_argument("folder", metavar="DIR", nargs="?", help="folder (or a single image)")
    p.add_argument("--scene", action="store_true", help="scene search (the general.scene_provider setting, or --provider)")
    p.add_argument("--provider", choices=scene_provider_choices(), default=None,
                   help="scene engine(s); all spreads the images over every engine within each one's limits")
    p.add_argument("--characters", action="store_true", help="character recognition (AnimeTrace)")
    p.add_argument("--recursive", "-r", action="store_true", help="include sub-folders")
    p.add_argument("--resume", action="store_true", help="finish the batch that was interrupted")

    p = add("keys", "whatanimeisthis API keys (signed in)")
    p.add_argument("action", choices=("list", "create"))
    p.add_argument("title", nargs="?", help="title of the new key (create)")
    p.add_argument("--page", type=int, default=1)
    p.add_argument("--page-size", type=int, default=20)

    add("doctor", "versions, terminal image support, each service's reachability and settings source, kept unexpected answers")

    p = add("login", "sign in to whatanimeisthis (password prompted, or $ANIMETUI_PASSWORD)")
    p.add_argument("--email", help="account email (default: providers.whatanime.email)")

    add("logout", "sign out of whatanimeisthis and delete the stored session")

    p = add("config", "show or change settings")
    p.add_argument("action", choices=("path", "show", "set", "unset"))
    p.add_argument("key", nargs="?")
    p.add_argument("value", nargs="?")
    p.add_argument("--reveal", action="store_true", help="show secrets unmasked (config show)")
    return parser


def build_tui_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="animetui", description="Start the full-screen app (see `animetui --help` for commands).")
    parser.add_argument("path", nargs="?", help="folder (or image) to start in")
    parser.add_argument("--demo", action="store_true")
    parser.add_argument("--config", metavar="PATH")
    parser.add_argument("--renderer", choices=("auto", "kitty", "sixel", "halfcell", "unicode", "none"))
    return parser


def _is_tui(argv: Sequence[str]) -> bool:
    skip_next = False
    for arg in argv:
        if skip_next:
            skip_next = False
            continue
        if arg in ("-h", "--help", "--version"):
            return False
        if arg in ("--config", "--renderer"):
            skip_next = True
            continue
        if arg.startswith("-"):
            continue
        return arg not in COMMANDS
    return True


# --------------------------------------------------------------------------- entry
def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    _never_raw_bytes()
    as_json = "--json" in args_list
    try:
        if _is_tui(args_list):
            _no_typo(args_list)
            return _run_tui(build_tui_parser().parse_args(args_list))
        with _safe_output():
            args = build_parser().parse_args(args_list)
            if not getattr(args, "command", None):
                build_parser().print_help()
                return EXIT_USAGE
            return _dispatch(args)
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
    guess = _suggest_command(words[0])
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
def _safe_output():  # noqa: ANN202
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


def _load_settings(args: argparse.Namespace):  # noqa: ANN202
    from animetui.config import Settings

    return Settings.load(getattr(args, "config", None), demo=bool(getattr(args, "demo", False)))


def _run_tui(args: argparse.Namespace) -> int:
    from animetui.errors import AnimetuiError

    try:
        settings = _load_settings(args)
    except AnimetuiError as exc:
        err(str(exc))
        return EXIT_USAGE
    start = Path(args.path).expanduser() if args.path else None
    if start is not None and not start.exists():
        err(f"{start}: no such file or folder")
        return EXIT_USAGE
    from animetui.ui.app import run_tui

    return run_tui(settings, demo=bool(args.demo), start_path=start, renderer=args.renderer)


def _dispatch(args: argparse.Namespace) -> int:
    from animetui.errors import AnimetuiError, ConfigError, NetworkError

    handler = _HANDLERS.get(args.command)
    as_json = _json(args)
    try:
        settings = _load_settings(args)
        if args.command == "config":
            return _cmd_config(args, settings)
        if args.command == "library" or (args.command == "scene" and args.provider == "local"):
            from animetui.library import cli as library_cli

            return library_cli.main(args, settings) if args.command == "library" else library_cli.scene(args, settings)
        return asyncio.run(_with_runtime(handler, args, settings))
    except ConfigError as exc:
        return fail(str(exc), kind="config", exit_code=EXIT_USAGE, as_json=as_json)
    except NetworkError as exc:
        return fail(str(exc), kind="network", exit_code=EXIT_NETWORK, as_json=as_json)
    except AnimetuiError as exc:
        import logging

        if not logging.getLogger("animetui").handlers:  # no log file (yet): never logging's stderr fallback
            logging.getLogger("animetui").addHandler(logging.NullHandler())
        logging.getLogger("animetui.cli").warning("%s failed: %s", args.command, exc)
        return fail(str(exc), kind=_error_kind(exc), exit_code=exc.exit_code, as_json=as_json)
    except (UsageError, KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        return fail(f"unexpected error ({type(exc).__name__}): {exc}. Please report this.", kind="unexpected", exit_code=EXIT_ERROR, as_json=as_json)


async def _with_runtime(handler: Callable[..., Any], args: argparse.Namespace, settings: Any) -> int:
    """Run one command with the services :mod:`animetui.runtime` builds (logging included), closed after."""
    import logging

    from animetui.runtime import Runtime

    async with Runtime(settings) as runtime:
        logging.getLogger("animetui.cli").info("command %s", args.command)
        uninstall, stopped_by = _stop_on_signals()
        try:
            return await handler(args, settings, runtime)
        except asyncio.CancelledError:
            if not stopped_by:
                raise
            task = asyncio.current_task()
            if task is not None:
                task.uncancel()
            from animetui import stopping

            stopping.say(f"animetui: stopped ({stopping.name(stopped_by[0])}); unfinished jobs resume at the next start (`animetui jobs watch`)")
            return stopping.exit_code(stopped_by[0])
        finally:
            uninstall()


def _stop_on_signals() -> tuple[Callable[[], None], list[int]]:
    """SIGTERM/SIGHUP cancel the running command like Ctrl-C does (see animetui.stopping): its
    ``finally`` blocks run, so a job runner stops with its grace for paid requests on the wire."""
    from animetui import stopping
    from animetui.jobs import STOP_GRACE

    task = asyncio.current_task()
    received: list[int] = []

    def on_signal(signum: int) -> None:
        received.append(signum)
        stopping.say(
            f"animetui: {stopping.name(signum)} received, stopping; a paid request already sent gets up to "
            f"{STOP_GRACE:.0f} s to come back and be recorded"
        )
        if task is not None:
            task.cancel()

    return stopping.install(asyncio.get_running_loop(), on_signal), received


def _json(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "json", False))


# --------------------------------------------------------------------------- lookups
def _cached_note(outcome: Any) -> None:
    if outcome.cached:
        print("(from history — no request made; --refresh to ask again)\n")


async def _cmd_characters(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    from animetui.models import ImageSource

    source = ImageSource.parse(args.image)
    model = args.model or settings["providers.animetrace.model"] or None
    outcome = await rt.lookups.characters(
        source,
        model=model,
        multi=_flag(args.multi, settings["providers.animetrace.is_multi"]),
        ai_detect=_flag(args.ai_detect, settings["providers.animetrace.ai_detect"]),
        refresh=args.refresh,
    )
    result = outcome.result
    if result.warning:  # e.g. a model id the service does not list (it was sent anyway)
        print(f"animetui: warning: {_plain(result.warning)}", file=sys.stderr)
    if _json(args):
        emit_json({**result.to_json(), "cached": outcome.cached})
        return EXIT_OK
    _cached_note(outcome)
    if not result.detections:
        print("No characters found.")
    else:
        rows = []
        for number, det in enumerate(result.detections, 1):
            for rank, cand in enumerate(det.candidates, 1):
                rows.append([
                    str(number) if rank == 1 else "",
                    "low" if det.not_confident and rank == 1 else ("high" if rank == 1 else ""),
                    cand.character,
                    cand.work,
                ])
            if not det.candidates:
                rows.append([str(number), "–", "(no candidate)", ""])
        print_table(["#", "confidence", "character", "work"], rows)
    if result.ai is not None:
        print(f"\nAI-generated: {'likely' if result.ai else 'no'}")
    if result.trace_id:
        print(f"trace id: {_plain(result.trace_id)}")
    return EXIT_OK


def scene_provider_choices() -> tuple[str, ...]:
    """Each scene-capable provider's name (from the specs), and ``all``."""
    from animetui.providers.spec import SCENE
    from animetui.providers.specs import capable

    return (*(spec.name for spec in capable(SCENE)), "all")


async def _cmd_scene(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    from animetui.models import ImageSource
    from animetui.providers import title_of

    options: dict[str, Any] = {}
    if args.no_cut_borders:
        options["cut_borders"] = False
    outcome = await rt.lookups.scene(
        ImageSource.parse(args.image), providers=args.provider, refresh=args.refresh, options=options
    )
    result = outcome.result
    show_adult = bool(args.adult or settings["general.show_adult_scenes"])
    shown = [m for m in result.matches if show_adult or not m.adult]
    hidden = len(result.matches) - len(shown)
    language = str(settings["general.title_language"])
    for name, problem in outcome.errors.items():
        err(f"{title_of(name)}: {problem}")
    if _json(args):
        emit_json({
            **result.to_json(),
            "matches": [{**m.to_json(), "title": m.title_in(language), "anilist_url": m.anilist_url, "mal_url": m.mal_url} for m in shown],
            "nsfw_hidden": hidden,
            "cached": outcome.cached,
            "providers": {name: {"cached": part.cached, "matches": len(part.result.matches),
                                 "credits_left": getattr(part.result, "credits_left", None)}
                          for name, part in outcome.parts.items()},
            "errors": {name: problem.message for name, problem in outcome.errors.items()},
        })
        return EXIT_OK
    _cached_note(outcome)
    if not shown:
        print("No matching scene found." if not hidden else "No matching scene shown.")
    else:
        rows = [
            [title_of(m.engine), m.title_in(language), m.episode or "–", f"{mmss(m.start)}–{mmss(m.end)}",
             percent(m.similarity), m.confidence or "–"]
            for m in shown
        ]
        print_table(["engine", "title", "episode", "time", "similarity", "confidence"], rows)
        links = []
        for m in shown:
            found = [link for link in (m.anilist_url, m.mal_url) if link]
            if found and (m.title_in(language), *found) not in links:
                links.append((m.title_in(language), *found))
        if links:
            print()
            for title, *urls in links[:5]:
                print(f"{_plain(title)}: {'  '.join(urls)}")
    if hidden:
        print(f"\n{hidden} NSFW result{'s' if hidden != 1 else ''} hidden (--adult, or general.show_adult_scenes, shows them)")
    for name, part in outcome.parts.items():
        credits_left = getattr(part.result, "credits_left", None)
        if credits_left is not None:
            print(f"{title_of(name)} credits left: {credits_left}")
    whatanime = rt.providers.built().get("whatanime")
    if whatanime is not None and getattr(whatanime, "session_expired", False):
        err("your whatanimeisthis session has expired; searched without it — run `animetui login`")
    return EXIT_OK


async def _cmd_models(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    models = await rt.providers.animetrace.list_models()
    if _json(args):
        emit_json({"models": [m.to_json() for m in models]})
        return EXIT_OK
    print_table(
        ["id", "name", "status", "default"],
        [[m.id, m.name, "available" if m.enabled else "paused", "yes" if m.default else ""] for m in models],
    )
    return EXIT_OK


async def _cmd_rankings(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    if args.limit < 1 or args.limit > 500:
        raise UsageError("animetui rankings: --limit must be between 1 and 500")
    items = await rt.providers.whatanime.rankings(period=args.period, limit=args.limit, include_adult=_flag(args.adult, settings["providers.whatanime.include_adult"]))
    if _json(args):
        emit_json({"period": args.period, "rankings": [r.to_json() for r in items]})
        return EXIT_OK
    if not items:
        print("No rankings for this period.")
        return EXIT_OK
    print_table(["#", "title", "searches"], [[r.rank, r.title + ("  (18+)" if r.adult else ""), r.searches] for r in items], max_width=60)
    return EXIT_OK


async def _cmd_recent(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    if args.limit < 1 or args.limit > 200 or args.offset < 0:
        raise UsageError("animetui recent: --limit must be 1-200 and --offset 0 or more")
    items = await rt.providers.whatanime.recent_searches(limit=args.limit, offset=args.offset)
    if _json(args):
        emit_json({"offset": args.offset, "limit": args.limit, "searches": [r.to_json() for r in items]})
        return EXIT_OK
    if not items:
        print("No more recent searches." if args.offset else "No recent searches.")
        return EXIT_OK
    print_table(["when", "title", "episode", "similarity"], [[r.searched_at, r.title, r.episode, percent(r.similarity)] for r in items], max_width=60)
    return EXIT_OK


async def _cmd_doctor(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    from animetui import doctor

    document = await doctor.report(settings, rt.providers, demo=bool(getattr(args, "demo", False)))
    if _json(args):
        emit_json(document)
        return EXIT_OK
    for line in doctor.lines(document):
        indent = line[: len(line) - len(line.lstrip(" "))]
        print(indent + _plain(line) if line.strip() else "")
    return EXIT_OK


async def _cmd_credits(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    from animetui.errors import AnimetuiError
    from animetui.models import Credits
    from animetui.providers import title_of
    from animetui.providers.spec import CREDITS, GENERATE
    from animetui.providers.specs import capable
    from animetui.providers.specs import spec as spec_of

    results: list[Credits] = []
    problems: dict[str, str] = {}
    for spec in capable(CREDITS):  # whoever can report credits, in the specs' order
        if spec.key_required and not (settings.demo or rt.providers.has_key(spec.name)):
            key = _schema_key(f"providers.{spec.name}.{spec.key_setting}")
            env = f" or {key.env}" if key is not None and key.env else ""
            problems[spec.name] = f"no API key set (providers.{spec.name}.{spec.key_setting}{env})"
            continue
        try:
            results.append(await rt.providers.get(spec.name).credits())
        except AnimetuiError as exc:
            problems[spec.name] = exc.message
    balance = _last_balance(rt)  # a generator reports its balance with each image: the journal keeps the last
    for index, credit in enumerate(results):
        if credit.remaining is None and spec_of(credit.provider).can(GENERATE):
            results[index] = Credits(credit.provider, balance, unit="usd", detail="last balance seen after a generation" if balance is not None else "unknown until the first generation")
    if _json(args):
        emit_json({"credits": [c.to_json() for c in results], "errors": problems})
        return EXIT_OK
    rows = []
    for c in results:
        if c.remaining is None:
            amount = "–"
        elif c.unit == "usd":
            amount = f"${c.remaining:.3f}"
        else:
            amount = f"{c.remaining:g} {c.unit}"
        rows.append([title_of(c.provider), amount, "–" if c.concurrency is None else str(c.concurrency), c.detail])
    for name, message in problems.items():
        rows.append([title_of(name), "?", "–", message])
    print_table(["service", "left", "at once", "note"], rows, max_width=70)
    return EXIT_OK


def _schema_key(name: str) -> Any:  # the settings schema's entry, or None
    from animetui.config import SCHEMA_BY_NAME

    return SCHEMA_BY_NAME.get(name)


def _last_balance(rt: "Runtime") -> float | None:
    if not rt.has_jobs():
        return None
    return rt.runner.last_balance_usd


async def _cmd_history(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
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
    if args.export == "json" or _json(args):
        print(json_safe(export_json(entries)))
        return EXIT_OK
    if not entries:
        print("No lookups yet." if not args.query else f"No lookups match {args.query!r}.")
        return EXIT_OK
    rows = [[_time.strftime("%Y-%m-%d %H:%M", _time.localtime(e.created_at)), e.kind, e.source_label, e.headline] for e in entries]
    print_table(["when", "kind", "source", "best answer"], rows, max_width=50)
    return EXIT_OK


async def _cmd_batch(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    from animetui.batch import BatchRunner, find_images

    service = rt.lookups
    journal = rt.batches
    quiet = _json(args) or not sys.stderr.isatty()
    from animetui.text import safe

    def progress(p: Any) -> None:
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
    if _json(args):
        emit_json({"batch": batch_id, "items": [i.to_json() for i in items], "notes": runner.notes})
    else:
        from animetui.batch import relative_to_root

        shown_root = journal_root
        print_table(["file", "kind", "status", "best match"], [[relative_to_root(i.path, shown_root), i.kind, i.status, i.headline or i.detail] for i in items], max_width=50)
    failed = any(i.status == "failed" for i in items)
    return EXIT_ERROR if failed else EXIT_OK


# --------------------------------------------------------------------------- account
async def _cmd_keys(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    provider = rt.providers.whatanime
    if args.action == "list":
        page = await provider.list_keys(page=args.page, page_size=args.page_size)
        if _json(args):
            emit_json(page.to_json())
            return EXIT_OK
        if not page.keys:
            print("No API keys.")
            return EXIT_OK
        print_table(["id", "title", "key", "created"], [[k.id, k.title, k.masked, k.created_at] for k in page.keys])
        if page.total is not None:
            print(f"\npage {page.page}, {len(page.keys)} of {page.total}")
        return EXIT_OK
    if not args.title:
        raise UsageError("animetui keys create: a TITLE is required")
    key = await provider.create_key(args.title)
    if _json(args):
        emit_json(key.to_json(reveal=True))
        return EXIT_OK
    from animetui.text import has_controls, safe

    print(f"Created API key {safe(repr(key.title))}. This is the only time the full key is shown:\n")
    print(f"  {safe(key.plaintext)}\n")
    if has_controls(key.plaintext):
        err("note: the server's key holds control or invisible characters (shown escaped above); animetui will not take it as a key")
        return EXIT_OK
    print("Save it with: animetui config set providers.whatanime.api_key <KEY>")
    return EXIT_OK


async def _cmd_login(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    from animetui.redact import register_secret

    email = args.email or settings["providers.whatanime.email"]
    if not email:
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError("animetui login: --email is required (no terminal to ask)")
        email = input("email: ").strip()
    password = os.environ.get("ANIMETUI_PASSWORD")
    if not password:
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError("animetui login: no password — set ANIMETUI_PASSWORD or run in a terminal")
        import getpass

        password = getpass.getpass("password: ")
    register_secret(password)
    session = await rt.providers.whatanime.sign_in(email, password)
    if _json(args):
        emit_json({"signed_in": True, **session.to_json()})
    else:
        print(f"Signed in to whatanimeisthis as {_plain(session.email)}.")
    return EXIT_OK


async def _cmd_logout(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    was_signed_in = rt.providers.whatanime.session is not None
    await rt.providers.whatanime.sign_out()
    if _json(args):
        emit_json({"signed_in": False, "was_signed_in": was_signed_in})
    elif was_signed_in:
        print("Signed out; the stored session was deleted.")
    else:
        print("Not signed in; nothing to do.")
    return EXIT_OK


# --------------------------------------------------------------------------- jobs
def _result_width() -> int:
    """How wide a job's result path may be: whole when not a terminal, else what fits the terminal."""
    stream = sys.stdout
    if not stream.isatty():
        return 1_000_000
    columns = shutil.get_terminal_size((220, 24)).columns
    # id (8) + kind (10) + prompt (40) + state (9) + gaps (2 × 4)
    return max(20, columns - (8 + 10 + 40 + 9 + 8))


def _job_row(job: Any) -> list[Any]:
    from animetui.models import JobState

    # A path only for a file that is there: a result still downloading (or waiting for disk
    # space) already has its future name in result_path, which must not read as "saved here".
    if job.state is JobState.SUCCEEDED and job.result_path:
        result = job.result_path if Path(job.result_path).exists() else "the saved file is no longer there"
    else:
        result = job.error or ""
    return [job.id[:8], job.kind.value, _clip(_plain(job.summary), 40), job.state.value, result]


def _progress(job: Any) -> None:
    from animetui.models import JobState

    detail = f" — {job.error}" if job.error else (f" → {job.result_path}" if job.result_path and job.state is JobState.SUCCEEDED else "")
    try:
        print(f"[{job.id[:8]}] {job.kind.value}: {job.state.value}{detail}", file=sys.stderr)
    except OSError:  # the terminal went away (an SSH drop): the journal has it all anyway
        pass


async def _finish_job(args: argparse.Namespace, runner: Any, job: Any, *, until_done: bool, progress: bool) -> int:
    """Follow ``job`` until it ends (``until_done``) or has been handed to the service; report it."""
    from animetui.models import JobState

    unsubscribe = runner.subscribe(lambda j: _progress(j) if j.id == job.id else None) if progress and not _json(args) else None
    try:
        if until_done:
            (job,) = await runner.wait([job.id])
        else:
            while job.state in (JobState.QUEUED, JobState.SUBMITTING):
                job = await _next_change(runner, job.id)
    finally:
        if unsubscribe:
            unsubscribe()
    if _json(args):
        emit_json(job.to_json())
    elif job.state is JobState.SUCCEEDED:
        print(f"Saved: {job.result_path}")
    elif job.state.terminal:
        print(f"Job {job.id[:8]} {job.state.value}: {_plain(job.error)}")
    else:
        print(f"Job {job.id[:8]} is {job.state.value}; follow it with `animetui jobs watch` or in the app.")
    return EXIT_OK if job.state is JobState.SUCCEEDED or not job.state.terminal else EXIT_JOB


async def _next_change(runner: Any, job_id: str) -> Any:
    changed: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    def on_change(job: Any) -> None:
        if job.id == job_id and not changed.done():
            changed.set_result(job)

    unsubscribe = runner.subscribe(on_change)
    try:
        return await changed
    finally:
        unsubscribe()


async def _cmd_generate(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    from animetui.models import GenerateRequest, Orientation

    request = GenerateRequest(
        prompt=args.prompt,
        orientation=Orientation(args.orientation or settings["providers.animeapi.orientation"]),
        allow_nsfw=_flag(args.nsfw, settings["providers.animeapi.allow_nsfw"]),
        enhance=_flag(args.enhance, settings["providers.animeapi.enhance"]),
    )
    runner = rt.runner
    await rt.start_jobs()
    try:
        job = await runner.submit_generate(request)
        # One paid request plus a download: always seen through, so the result is never left
        # behind; --wait adds progress on stderr.
        if args.wait and not _json(args):
            _progress(job)
        return await _finish_job(args, runner, job, until_done=True, progress=args.wait)
    finally:
        await runner.stop()


def _parse_style(text: str) -> int:
    from animetui.models import CARTOON_STYLES

    text = text.strip()
    if text.isdigit() and 0 <= int(text) < len(CARTOON_STYLES):
        return int(text)
    matches = [i for i, name in enumerate(CARTOON_STYLES) if text.lower() in name.lower()]
    if len(matches) == 1:
        return matches[0]
    listing = ", ".join(f"{i} {name}" for i, name in enumerate(CARTOON_STYLES))
    raise UsageError(f"animetui cartoonize: unknown style {text!r}; choose one of: {listing}")


async def _cmd_cartoonize(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    from animetui.errors import BadInput

    style = _parse_style(args.style)
    path = Path(args.image).expanduser()
    if args.image.lower().startswith(("http://", "https://")):
        raise BadInput("cartoonize needs a local image file; download it first")
    if not path.is_file():
        if path.is_dir():
            raise BadInput(f"{path}: is a directory, not an image")
        raise BadInput(f"{path}: not a regular file; give an image file" if path.exists() else f"{path}: no such file")
    runner = rt.runner
    await rt.start_jobs()
    try:
        job = await runner.submit_cartoonize(path, style)
        if args.wait and not _json(args):
            _progress(job)
        return await _finish_job(args, runner, job, until_done=args.wait, progress=args.wait)
    finally:
        await runner.stop()


async def _cmd_jobs(args: argparse.Namespace, settings: Any, rt: "Runtime") -> int:
    runner = rt.runner
    if args.action == "list":
        jobs = runner.list()
        if _json(args):
            emit_json({"jobs": [j.to_json() for j in jobs]})
            return EXIT_OK
        if not jobs:
            print("No jobs yet. Start one with `animetui generate PROMPT` or `animetui cartoonize IMAGE --style N`.")
            return EXIT_OK
        print_table(["id", "kind", "prompt / source", "state", "result"], [_job_row(j) for j in jobs], max_width=_result_width())
        return EXIT_OK
    await rt.start_jobs()
    try:
        if not _json(args):
            for job in runner.list():
                if not job.state.terminal:
                    _progress(job)
            unsubscribe = runner.subscribe(_progress)
        else:
            unsubscribe = None
        jobs = await runner.wait()
        if unsubscribe:
            unsubscribe()
        if _json(args):
            emit_json({"jobs": [j.to_json() for j in jobs]})
        else:
            print("All jobs have ended.")
        return EXIT_OK
    finally:
        await runner.stop()


# --------------------------------------------------------------------------- config
def _cmd_config(args: argparse.Namespace, settings: Any) -> int:
    from animetui.config import SCHEMA_BY_NAME

    if args.action == "path":
        if _json(args):
            emit_json({"config": str(settings.path), "data": str(settings.data_dir), "cache": str(settings.cache_dir), "downloads": str(settings.downloads_dir)})
        else:
            print(settings.path)
        return EXIT_OK
    if args.action == "show":
        reveal = bool(args.reveal)
        if _json(args):
            emit_json({
                "path": str(settings.path),
                "settings": {key.name: {"value": settings.display_value(key.name, reveal=reveal) if key.secret else value, "source": source} for key, value, source in settings.items()},
            })
            return EXIT_OK
        print(f"# {settings.path}{'' if settings.path.exists() else ' (not created yet)'}")
        print_table(["key", "value", "from"], [[key.name, settings.display_value(key.name, reveal=reveal), source] for key, _value, source in settings.items()], max_width=60)
        return EXIT_OK
    if not args.key:
        raise UsageError(f"animetui config {args.action}: KEY is required")
    if args.action == "unset":
        settings.unset(args.key)
        settings.save()
        print(f"{args.key} reset to its default")
        return EXIT_OK
    if args.value is None:
        raise UsageError("animetui config set: VALUE is required")
    settings.set(args.key, args.value)
    path = settings.save()
    key = SCHEMA_BY_NAME[args.key]
    shown = settings.display_value(args.key)
    if _json(args):
        emit_json({"key": args.key, "value": shown, "path": str(path)})
    else:
        print(f"{args.key} = {shown}  (saved to {path})")
        if key.env and os.environ.get(key.env):
            print(f"note: ${key.env} is set and takes precedence over the file", file=sys.stderr)
    return EXIT_OK


_HANDLERS: dict[str, Callable[..., Any]] = {
    "characters": _cmd_characters,
    "scene": _cmd_scene,
    "models": _cmd_models,
    "generate": _cmd_generate,
    "cartoonize": _cmd_cartoonize,
    "jobs": _cmd_jobs,
    "rankings": _cmd_rankings,
    "recent": _cmd_recent,
    "credits": _cmd_credits,
    "keys": _cmd_keys,
    "login": _cmd_login,
    "logout": _cmd_logout,
    "config": _cmd_config,
    "doctor": _cmd_doctor,
    "history": _cmd_history,
    "batch": _cmd_batch,
}
