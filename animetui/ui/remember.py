"""What the TUI remembers between runs: the theme picked in the palette, the Rankings period,
limit and NSFW switch. Each is a config key (``general.theme``, ``rankings.period``,
``rankings.limit``, ``providers.whatanime.include_adult``), saved the way the Settings screen saves
(validated, only that key written, the file replaced atomically), off the event loop.

A save that fails (a read-only or hand-broken config file) says so once in a notification and
the running app keeps the choice.
"""

from __future__ import annotations

import asyncio
from typing import Any

from textual.app import App


_LOCK = "_animetui_remember_lock"


def remember(app: App[Any], values: dict[str, Any]) -> None:
    """Save ``values`` (name → value) to the config file, those that differ from what it says."""
    settings = getattr(app, "settings", None)
    if settings is None:
        return
    changed = {name: value for name, value in values.items() if settings.get(name) != value}
    if changed:
        app.run_worker(_save(app, settings, changed), group="remember", exit_on_error=False)


async def _save(app: App[Any], settings: Any, values: dict[str, Any]) -> None:
    from animetui.errors import ConfigError

    lock = getattr(app, _LOCK, None)
    if lock is None:
        lock = asyncio.Lock()
        setattr(app, _LOCK, lock)

    def write() -> None:
        for name, value in values.items():
            settings.set(name, value)
        settings.save()

    what = ", ".join(values)
    async with lock:  # one writer at a time: Settings keeps the pending changes in one dict
        try:
            await asyncio.to_thread(write)
        except ConfigError as exc:
            app.notify(f"{exc}; the choice lasts until you quit.", title=f"{what} not saved", severity="warning", markup=False)
        except OSError as exc:
            app.notify(
                f"could not write the config file ({exc.strerror or type(exc).__name__}); the choice lasts until you quit.",
                title=f"{what} not saved",
                severity="warning",
                markup=False,
            )


def follow_theme(app: App[Any]) -> None:
    """Save the theme whenever it changes (the palette's "Change theme", or Settings)."""

    def changed(theme: str) -> None:
        from animetui.config import THEMES

        if theme in THEMES:  # a theme we could load again at the next start
            remember(app, {"general.theme": theme})

    app.watch(app, "theme", changed, init=False)
