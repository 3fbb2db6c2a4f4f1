"""From parsed arguments to an exit code: the settings, the one :class:`~animetui.runtime.Runtime`
a command runs with, SIGTERM/SIGHUP, and the table of which module runs which command.

A handler is ``async def command(args, settings, runtime) -> int`` in one of the domain modules
(``animetui.cli.lookups``, ``.jobs``, ``.accounts``, ``.history``, ``.doctor``); ``config`` and
``library`` need no runtime and are called directly.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, cast

from animetui.cli.output import (
    EXIT_ERROR,
    EXIT_NETWORK,
    EXIT_USAGE,
    UsageError,
    error_kind,
    fail,
    wants_json,
)

if TYPE_CHECKING:
    from animetui.config import Settings
    from animetui.runtime import Runtime

Handler = Callable[[argparse.Namespace, "Settings", "Runtime"], Awaitable[int]]

#: command -> (module under animetui.cli, function)
HANDLERS: dict[str, tuple[str, str]] = {
    "characters": ("lookups", "characters"),
    "scene": ("lookups", "scene"),
    "models": ("lookups", "models"),
    "rankings": ("lookups", "rankings"),
    "recent": ("lookups", "recent"),
    "generate": ("jobs", "generate"),
    "cartoonize": ("jobs", "cartoonize"),
    "jobs": ("jobs", "jobs"),
    "credits": ("accounts", "credits"),
    "keys": ("accounts", "keys"),
    "login": ("accounts", "login"),
    "logout": ("accounts", "logout"),
    "doctor": ("doctor", "doctor"),
    "history": ("history", "history"),
    "batch": ("history", "batch"),
}


def load_settings(args: argparse.Namespace) -> Settings:
    from animetui.config import Settings

    return Settings.load(getattr(args, "config", None), demo=bool(getattr(args, "demo", False)))


def handler_for(command: str) -> Handler:
    """The coroutine function behind ``command`` (its module imported now, not at start-up)."""
    module, name = HANDLERS[command]
    return cast(Handler, getattr(importlib.import_module(f"animetui.cli.{module}"), name))


def dispatch(args: argparse.Namespace) -> int:
    from animetui.errors import AnimetuiError, ConfigError, NetworkError

    as_json = wants_json(args)
    try:
        settings = load_settings(args)
        if args.command == "config":
            from animetui.cli.accounts import config

            return config(args, settings)
        if args.command == "library" or (args.command == "scene" and args.provider == "local"):
            from animetui.library import cli as library_cli

            return library_cli.main(args, settings) if args.command == "library" else library_cli.scene(args, settings)
        return asyncio.run(_with_runtime(handler_for(args.command), args, settings))
    except ConfigError as exc:
        return fail(str(exc), kind="config", exit_code=EXIT_USAGE, as_json=as_json)
    except NetworkError as exc:
        return fail(str(exc), kind="network", exit_code=EXIT_NETWORK, as_json=as_json)
    except AnimetuiError as exc:
        import logging

        if not logging.getLogger("animetui").handlers:  # no log file (yet): never logging's stderr fallback
            logging.getLogger("animetui").addHandler(logging.NullHandler())
        logging.getLogger("animetui.cli").warning("%s failed: %s", args.command, exc)
        return fail(str(exc), kind=error_kind(exc), exit_code=exc.exit_code, as_json=as_json)
    except (UsageError, KeyboardInterrupt, BrokenPipeError):
        raise
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one line, no traceback
        return fail(f"unexpected error ({type(exc).__name__}): {exc}. Please report this.", kind="unexpected", exit_code=EXIT_ERROR, as_json=as_json)


async def _with_runtime(handler: Handler, args: argparse.Namespace, settings: Settings) -> int:
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
