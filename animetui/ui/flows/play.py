"""Results pane, a match from the user's own library: ``p`` plays the video from that second,
``C`` copies its path with the time (:mod:`animetui.library.play` decides the command)."""

from __future__ import annotations

import asyncio
from typing import Any

from animetui.text import safe


def _local(pane: Any) -> Any:
    from animetui.library.play import local_file

    match = pane.selected_match()
    path = local_file(match)
    if path is None:
        pane.app.notify("Highlight a match from your library (Eng: local) to play or copy it.", title="Not a local match",
                        severity="warning", timeout=4, markup=False)
        return None, None
    return match, path


def play_match(pane: Any) -> None:
    """``p`` in Results: a match from the user's library plays the video from that second; any
    other scene match plays its muted preview clip (:mod:`animetui.ui.flows.play_clip`)."""
    from animetui.library.play import local_file

    if local_file(pane.selected_match()) is not None:
        play(pane)
    else:
        from animetui.ui.flows.play_clip import play_clip

        play_clip(pane)


def play(pane: Any) -> None:
    from animetui.library.play import clock, play_command, seconds_of
    from animetui.opener import OpenFailed, launch

    match, path = _local(pane)
    if path is None:
        return
    seconds = seconds_of(match)
    if not path.is_file():
        pane.app.notify(f"{safe(str(path), limit=200)} is not there (a disconnected drive?)", title="Cannot play",
                        severity="error", markup=False)
        return
    try:
        command, note = play_command(path, seconds)
    except OpenFailed as exc:
        pane.app.notify(safe(str(exc), limit=300), title="Cannot play", severity="error", markup=False)
        return

    async def go() -> None:
        try:
            await asyncio.to_thread(launch, command)
        except OpenFailed as exc:
            pane.app.notify(safe(str(exc), limit=300), title="Cannot play", severity="error", markup=False)
            return
        pane.app.notify(safe(note or f"{path.name} from {clock(seconds)}", limit=300), title="Playing", timeout=4, markup=False)

    pane.run_worker(go(), group="play", exit_on_error=False)


def copy_time(pane: Any) -> None:
    from animetui.library.play import path_with_time, seconds_of
    from animetui.ui.clipboard import copy

    match, path = _local(pane)
    if path is None:
        return
    text = path_with_time(path, seconds_of(match))
    copy(pane.app, text, shown=safe(text, limit=120))
