"""Play a scene match's short muted preview clip with the user's player (``p`` in Results).

The clip saved with the search is played at once; another match's is downloaded first (its link
lives about 5 minutes after the search: after that the message says to search again).
:func:`animetui.opener.player_command` picks the player (``$ANIMETUI_PLAYER``, ``mpv``, else the
viewer); over SSH the user is asked first, as for "open with".
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animetui.opener import OpenFailed, Target, launch, player_command, remote_session

if TYPE_CHECKING:
    from animetui.models import SceneMatch
    from animetui.ui.panes.results import ResultsPane


def has_clip(match: "SceneMatch | None") -> bool:
    return match is not None and bool(match.clip_path or match.video_url)


def play_clip(pane: "ResultsPane") -> None:
    """The key's action: the highlighted match's clip, fetched if need be, then the player."""
    app = pane.app
    match = pane.selected_match()
    if match is None:
        app.notify("Highlight a scene match first.", title="Play clip", timeout=3)
        return
    if not has_clip(match):
        app.notify("This match has no preview clip (trace.moe gives one per match).", title="Play clip",
                   severity="warning", timeout=4)
        return
    pane.run_worker(_fetch_and_play(pane, match), group="play-clip", exclusive=True, exit_on_error=False)


async def _fetch_and_play(pane: "ResultsPane", match: "SceneMatch") -> None:
    from animetui.errors import AnimetuiError
    from animetui.pictures.previews import fetch_clip
    from animetui.ui.services import services_of

    app = pane.app
    saved = match.clip_path and Path(match.clip_path).is_file()
    if not saved:
        app.notify("Fetching the preview clip…", title="Play clip", timeout=2)
    try:
        services = await services_of(pane)
        path = await fetch_clip(services.providers, match, services.cache_dir)
    except AnimetuiError as exc:
        app.notify(str(exc), title="Play clip", severity="error", timeout=6, markup=False)
        return
    pane.clip_ready(match, path)
    target = Target(path=path, what="the clip")
    remote = remote_session()
    if remote is None:
        await _play(app, target)
        return
    from animetui.ui.flows.open_with import RemoteOpenScreen

    def answered(choice: str | None) -> None:
        if choice == "copy":
            app.copy_to_clipboard(str(path))
            app.notify(f"Copied {path}", title="Clipboard", timeout=4, markup=False)
        elif choice == "open":
            app.run_worker(_play(app, target), group="play-clip", exclusive=True, exit_on_error=False)

    app.push_screen(RemoteOpenScreen(target, remote, reveal=False), answered)


async def _play(app: Any, target: Target) -> None:
    assert target.path is not None
    try:
        command = player_command(target.path)
        await asyncio.to_thread(launch, command)
    except OpenFailed as exc:
        app.notify(str(exc), title="Play clip", severity="error", timeout=6, markup=False)
        return
    app.notify(f"Playing the clip with {Path(command[0]).name}", title="Play clip", timeout=3, markup=False)
