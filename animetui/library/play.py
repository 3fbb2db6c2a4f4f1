""""Play from here" for a match from the user's own library (issue 15).

The player is ``mpv --start=SECONDS PATH`` when mpv is on ``PATH`` (it seeks), else the user's
opener (:mod:`animetui.opener`: ``$ANIMETUI_OPENER``, ``xdg-open`` / ``open``), which opens the
file at its start — the returned note says so. :func:`path_with_time` is what "copy" puts on the
clipboard. No Textual here; the TUI launches the command in a thread (:func:`animetui.opener.launch`).
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit


def local_file(match: Any) -> Path | None:
    """The video a match is in, when it is one of the user's files (a ``local`` match; also after
    it was read back from the history, where only its ``file://`` address is kept)."""
    if match is None or getattr(match, "engine", "") != "local":
        return None
    file = str(getattr(match, "file", "") or "")
    if not file:
        url = str(getattr(match, "video_url", "") or "")
        if url.startswith("file://"):
            file = unquote(urlsplit(url).path)
    return Path(file) if file else None


def seconds_of(match: Any) -> float:
    for name in ("at", "start"):
        value = getattr(match, name, None)
        if isinstance(value, (int, float)) and value == value and value >= 0:
            return float(value)
    return 0.0


def clock(seconds: float) -> str:
    """``12:34`` or ``1:02:03`` (whole seconds, rounded down: the frame is at or after it)."""
    whole = int(max(0.0, seconds))
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def path_with_time(path: Path, seconds: float) -> str:
    """What "copy" gives: ``/videos/Show - 01.mkv @ 12:34 (754.2 s)``."""
    return f"{path} @ {clock(seconds)} ({seconds:.1f} s)"


def play_command(path: Path, seconds: float, *, which: Callable[[str], str | None] = shutil.which,
                 environ: Mapping[str, str] | None = None) -> tuple[list[str], str]:
    """The command line that plays ``path`` from ``seconds``, and a note for the user ("" when it
    seeks). Raises :class:`animetui.opener.OpenFailed` when there is nothing to play it with."""
    from animetui.opener import Target, command_for

    mpv = which("mpv")
    if mpv:
        return [mpv, f"--start={seconds:.2f}", "--", str(path)], ""
    command = command_for(Target(path=path, what="the video"), environ=environ, which=which)
    return command, f"no mpv: opened with {Path(command[0]).name}, from the beginning (the scene is at {clock(seconds)})"
