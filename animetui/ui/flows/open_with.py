"""Open with: the highlighted picture, result or saved file in the user's viewer, its folder, or a
scene match's page (:mod:`animetui.opener` starts the viewer; this decides *what* and asks).

``w`` opens what the focus is on, ``W`` reveals its folder, ``Ctrl+O`` in Results opens the
highlighted scene match's AniList page, Enter on a finished job opens its result. Over SSH the
viewer would open on the remote machine: the user is told so and may copy the path instead.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from animetui.opener import OpenFailed, Target, command_for, launch, remote_session
from animetui.text import safe

if TYPE_CHECKING:
    from textual.app import App

#: where a scene match's page is (whatanimeisthis and trace.moe both give AniList ids)
ANILIST_PAGE = "https://anilist.co/anime/{id}"
MODES = ("open", "reveal", "page")


def target_for(app: "App[Any]", mode: str) -> Target | str:
    """What ``mode`` would open where the focus is, or a sentence saying why there is nothing."""
    from animetui.models import JobState
    from animetui.ui.panes.files import FilesPane
    from animetui.ui.panes.jobs import JobsPane
    from animetui.ui.panes.results import ResultsPane
    from animetui.ui.screens.history import HistoryScreen

    screen = app.screen
    if isinstance(screen, HistoryScreen):
        entry = screen.current
        if entry is None:
            return "No lookup highlighted."
        if mode == "page":
            return _match_page(getattr(entry, "result", None))
        if entry.source_path and Path(entry.source_path).exists():
            return Target(path=Path(entry.source_path), what="the looked-up picture")
        if entry.source_url and mode == "open":
            return Target(url=entry.source_url, what="the picture's address")
        return f"{entry.source_path or entry.source_label} is no longer on disk."

    main = getattr(app, "main_screen", None)  # animetui.ui.main_screen.MainScreen
    pane = main.focused_pane() if main is not None else None
    if isinstance(pane, ResultsPane):
        if mode == "page":
            scene = pane.scene
            if scene is None or not scene.matches:
                return "No scene match to open."
            row = pane.scene_table.cursor_row
            return _match_page(scene.matches[row] if 0 <= row < len(scene.matches) else None)
        return _source_target(pane.source, "the picture")
    if isinstance(pane, JobsPane):
        job = pane.selected
        if job is None:
            return "No job highlighted."
        if job.state is not JobState.SUCCEEDED or not job.result_path:
            return f"This job has no result yet ({job.state.value})."
        path = Path(job.result_path)
        if not path.exists():
            return f"{path} was moved or deleted."
        return Target(path=path, what="the result")
    if isinstance(pane, FilesPane):
        node = pane.tree.cursor_node
        data = getattr(node, "data", None) if node is not None else None
        picked = getattr(data, "path", None)
        if picked is not None:
            return Target(path=Path(picked), what="the folder" if Path(picked).is_dir() else "the picture")
        return _source_target(pane.source, "the picture")
    if mode == "page":
        return "Highlight a scene match in Results (2) to open its page."
    return _source_target(getattr(main, "current_source", None), "the picture")


def _source_target(source: Any, what: str) -> Target | str:
    if source is None:
        return "Nothing chosen to open: highlight a picture, a result or a job."
    if getattr(source, "path", None) is not None:
        return Target(path=Path(source.path), what=what)
    if getattr(source, "url", None):
        return Target(url=source.url, what="the picture's address")
    return "This picture is only in memory; there is no file to open."


def _match_page(result: Any) -> Target | str:
    match = result
    if match is not None and hasattr(match, "matches"):  # a stored SceneResult: its best match
        match = match.matches[0] if match.matches else None
    anilist = getattr(match, "anilist_id", None)
    if not anilist:
        return "The service gave no AniList id for this match, so there is no page to open."
    return Target(url=ANILIST_PAGE.format(id=int(anilist)), what="the match's page")


def open_with(app: "App[Any]", mode: str = "open") -> None:
    """The key's action: find the target, ask over SSH, start the viewer in a worker."""
    if mode not in MODES:
        return
    found = target_for(app, mode)
    if isinstance(found, str):
        app.notify(found, title="Open with", severity="warning", timeout=4, markup=False)
        return
    reveal = mode == "reveal"
    remote = remote_session()
    if remote is None:
        app.run_worker(_launch(app, found, reveal), group="open-with", exclusive=False)
        return

    def answered(choice: str | None) -> None:
        if choice == "copy":
            app.copy_to_clipboard(found.text)
            app.notify(f"Copied {found.text}", title="Clipboard", timeout=4, markup=False)
        elif choice == "open":
            app.run_worker(_launch(app, found, reveal), group="open-with", exclusive=False)

    app.push_screen(RemoteOpenScreen(found, remote, reveal=reveal), answered)


async def _launch(app: "App[Any]", target: Target, reveal: bool) -> None:
    try:
        command = command_for(target, reveal=reveal)
        await asyncio.to_thread(launch, command)
    except OpenFailed as exc:
        app.notify(str(exc), title="Open with", severity="error", timeout=6, markup=False)
        return
    what = f"the folder of {target.what}" if reveal else target.what
    app.notify(f"Opened {what} with {Path(command[0]).name}", title="Open with", timeout=3, markup=False)


class RemoteOpenScreen(ModalScreen[str | None]):
    """Over SSH: the viewer would open on the remote machine. Copy the path instead?"""

    BINDINGS = [
        Binding("c", "answer('copy')", "Copy path", id="animetui.open-remote-copy"),
        Binding("o", "answer('open')", "Open there", id="animetui.open-remote-open"),
        Binding("escape,n", "answer(None)", "Cancel", id="animetui.open-remote-cancel"),
    ]

    def __init__(self, target: Target, remote: str, *, reveal: bool) -> None:
        super().__init__(classes="dialog-screen")
        self.target = target
        self.remote = remote
        self.reveal = reveal

    def compose(self) -> ComposeResult:
        what = f"the folder of {self.target.what}" if self.reveal else self.target.what
        message = (
            f"You are connected over SSH (from {self.remote}). A viewer started now opens {what} "
            f"on the remote machine, not on your screen.\n\n{self.target.text}\n\n"
            "Copy the path (or address) to the clipboard instead?"
        )
        with Vertical(id="confirm-dialog", classes="dialog") as dialog:
            dialog.border_title = Text("Open on the remote machine?")
            yield Static(Text(safe(message, line=False)), id="confirm-message")
            with Horizontal(classes="buttons"):
                yield Button("Copy path (c)", variant="primary", id="copy", compact=True)
                yield Button("Open there (o)", id="open", compact=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#copy", Button).focus()

    def action_answer(self, choice: str | None) -> None:
        self.dismiss(choice)

    @on(Button.Pressed)
    def _pressed(self, event: Button.Pressed) -> None:
        self.dismiss(None if event.button.id == "cancel" else event.button.id)
