"""Open a file, a folder or a web page with the user's own viewer ("open with").

The viewer is ``$ANIMETUI_OPENER`` (a command line; ``{}`` stands for the target, else the target
is appended), else ``open`` on macOS, ``xdg-open`` elsewhere. The child gets the allow-listed
environment of :func:`animetui.pictures.offload.child_env` plus what a desktop viewer needs to reach the
display (``DISPLAY``, ``WAYLAND_DISPLAY``, the session bus …) and never a key, token or password.

A video clip (a scene match's preview) plays with :func:`player_command`: ``$ANIMETUI_PLAYER``
(same form as ``$ANIMETUI_OPENER``), else ``mpv`` when it is on ``PATH`` (looping, no terminal
output: it must not draw over the TUI), else the viewer above.

No Textual here: :mod:`animetui.ui.flows.open_with` decides *what* to open and asks the user.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from animetui.errors import BadInput

#: what a desktop viewer needs besides :data:`animetui.pictures.offload.CHILD_ENV_NAMES`
DISPLAY_ENV_NAMES = frozenset({
    "DISPLAY", "WAYLAND_DISPLAY", "XDG_RUNTIME_DIR", "XDG_CURRENT_DESKTOP", "XDG_SESSION_TYPE",
    "XDG_SESSION_DESKTOP", "DESKTOP_SESSION", "XDG_DATA_DIRS", "XDG_CONFIG_DIRS", "XDG_DATA_HOME",
    "XDG_CONFIG_HOME", "DBUS_SESSION_BUS_ADDRESS", "BROWSER", "TERM", "COLORTERM",
})
#: a path to the X cookie file, not a secret itself; without it no X viewer can open a window
_ALLOWED_DESPITE_WORD = frozenset({"XAUTHORITY"})
_SECRET_WORDS = ("KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "COOKIE", "AUTH", "SESSION_ID", "CREDENTIAL")
#: how long we wait to hear whether the viewer failed straight away (xdg-open exits at once)
QUICK_EXIT = 5.0


class OpenFailed(BadInput):
    """The viewer could not be started, or said at once that it could not open the target."""


@dataclass(frozen=True, slots=True)
class Target:
    """What to open: a local path (file or folder) or a web address."""

    path: Path | None = None
    url: str | None = None
    what: str = ""  # "the picture", "the result", "the folder", "the match's page" (for messages)

    @property
    def text(self) -> str:
        return str(self.path) if self.path is not None else (self.url or "")


def opener_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The viewer's environment: the workers' allow-list, the display's variables, never a secret."""
    from animetui.pictures.offload import child_env

    source = os.environ if environ is None else environ
    env = child_env(source)
    for name, value in source.items():
        if name in _ALLOWED_DESPITE_WORD or (
            name in DISPLAY_ENV_NAMES and not any(word in name.upper() for word in _SECRET_WORDS)
        ):
            env[name] = value
    return env


def remote_session(environ: Mapping[str, str] | None = None) -> str | None:
    """The SSH client's address when this runs over SSH (the viewer would open on *this* machine)."""
    source = os.environ if environ is None else environ
    connection = source.get("SSH_CONNECTION", "").strip()
    if connection:
        return connection.split()[0]
    if source.get("SSH_TTY") or source.get("SSH_CLIENT"):
        return "your SSH client"
    return None


def command_for(target: Target, *, reveal: bool = False, environ: Mapping[str, str] | None = None,
                platform: str | None = None, which: Callable[[str], str | None] = shutil.which) -> list[str]:
    """The command line that opens ``target`` (``reveal``: its folder, the file selected where the OS can)."""
    source = os.environ if environ is None else environ
    platform = platform or sys.platform
    thing = target.text
    if reveal and target.path is not None:
        if platform == "darwin" and not source.get("ANIMETUI_OPENER"):
            return ["open", "-R", thing]
        thing = str(target.path if target.path.is_dir() else target.path.parent)
    custom = source.get("ANIMETUI_OPENER", "").strip()
    if custom:
        return _custom("ANIMETUI_OPENER", custom, thing)
    if platform == "darwin":
        return ["open", thing]
    if platform.startswith("win"):
        return ["explorer", thing]
    if which("xdg-open") is None:
        raise OpenFailed("no viewer found: install xdg-utils (xdg-open) or set $ANIMETUI_OPENER, e.g. ANIMETUI_OPENER=feh")
    return ["xdg-open", thing]


def _custom(variable: str, value: str, thing: str) -> list[str]:
    try:
        words = shlex.split(value)
    except ValueError as exc:
        raise OpenFailed(f"${variable} is not a valid command line ({exc})") from None
    if not words:
        raise OpenFailed(f"${variable} is empty")
    if any("{}" in word for word in words):
        return [word.replace("{}", thing) for word in words]
    return [*words, thing]


#: mpv for a few-second preview: loop it, keep the window, never write to (or read) our terminal
MPV_ARGS = ("--loop-file=inf", "--force-window=yes", "--no-terminal")


def player_command(path: Path, *, environ: Mapping[str, str] | None = None, platform: str | None = None,
                   which: Callable[[str], str | None] = shutil.which) -> list[str]:
    """The command line that plays the video at ``path``: ``$ANIMETUI_PLAYER``, else mpv, else the viewer."""
    source = os.environ if environ is None else environ
    custom = source.get("ANIMETUI_PLAYER", "").strip()
    if custom:
        return _custom("ANIMETUI_PLAYER", custom, str(path))
    mpv = which("mpv")
    if mpv:
        return [mpv, *MPV_ARGS, str(path)]
    return command_for(Target(path=path, what="the clip"), environ=source, platform=platform, which=which)


def launch(command: list[str], *, environ: Mapping[str, str] | None = None, popen: Any = subprocess.Popen,
           quick_exit: float = QUICK_EXIT) -> None:
    """Start the viewer detached from the terminal; raise :class:`OpenFailed` if it fails at once.

    Blocking for up to ``quick_exit`` seconds (run it in a thread): ``xdg-open`` hands the file to
    the desktop and exits, with a non-zero code when nothing can open it. A viewer that keeps
    running (``feh``) is left running and reaped when it ends.
    """
    try:
        process = popen(  # noqa: S603 - the user's own viewer, no shell
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=opener_env(environ),
            close_fds=True,
            start_new_session=True,  # not in our process group: Ctrl+C in the app does not reach it
        )
    except FileNotFoundError:
        raise OpenFailed(f"{command[0]}: no such program (set $ANIMETUI_OPENER to your viewer)") from None
    except OSError as exc:
        raise OpenFailed(f"{command[0]} could not be started: {exc.strerror or exc}") from None
    try:
        code = process.wait(timeout=quick_exit)
    except subprocess.TimeoutExpired:
        threading.Thread(target=process.wait, name="animetui-opener-reaper", daemon=True).start()
        return
    if code != 0:
        raise OpenFailed(f"{Path(command[0]).name} could not open it (exit status {code})")
