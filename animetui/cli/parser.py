"""The command line: every subcommand's arguments (``build_parser``) and the TUI's own
(``build_tui_parser``); ``is_tui`` tells which of the two an argument list is for."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NoReturn

from animetui.cli.output import UsageError

COMMANDS = (
    "characters", "scene", "models", "generate", "cartoonize", "jobs", "rankings", "recent",
    "credits", "keys", "login", "logout", "config", "history", "batch", "doctor", "library",
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse would print usage + exit 2 itself
        raise UsageError(f"{self.prog}: {message}")


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
    choices = scene_provider_choices()  # "local" (your library) among them: its spec says it searches scenes
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

    p = add("jobs", "list generation, cartoonize and library indexing jobs; cancel or retry one")
    p.add_argument("action", nargs="?", choices=("list", "watch", "cancel", "retry"), default="list")
    p.add_argument("id", nargs="?", help="the job (cancel, retry)")

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


def is_tui(argv: Sequence[str]) -> bool:
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


def scene_provider_choices() -> tuple[str, ...]:
    """Each scene-capable provider's name (from the specs), and ``all``."""
    from animetui.providers.spec import SCENE
    from animetui.providers.specs import capable

    return (*(spec.name for spec in capable(SCENE)), "all")


def suggest_command(word: str) -> str | None:
    import difflib

    close = difflib.get_close_matches(word, COMMANDS, n=1, cutoff=0.6)
    return close[0] if close else None
