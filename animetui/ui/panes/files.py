"""Files pane: pick the image to look up — from a folder tree, a typed path, or a pasted URL.

* The tree lists folders and images only (``ImageTree``); ``.`` shows hidden entries.
* ``/`` opens a jump box: typing moves the cursor to the first entry whose name starts with
  (else contains) the text; Enter or Esc closes it. (Plain letters are the app's lookup keys, so
  jumping gets its own box instead of stealing them.)
* ``o`` focuses the location box: a folder opens in the tree, an image file or an ``http(s)://``
  URL becomes the source.
* The highlighted image is previewed below the tree (decoded and scaled in a thread, latest
  highlight wins); a URL is fetched once into the preview cache.
* Enter on an image runs both lookups.

The pane posts :class:`SourceChanged` whenever the chosen source changes and
:class:`LookupRequested` for Enter; the app routes them.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.widgets import DirectoryTree, Input, Static, Tree

from animetui.ui.bindings import bindings
from animetui.ui.format import display_path, shown
from animetui.ui.messages import LookupRequested, SourceChanged
from animetui.ui.panes.base import Pane
from animetui.ui.pictures.view import ImageView
from animetui.ui.services import services_of
from animetui.ui.widgets.image_tree import ImageTree, is_image_name
from animetui.ui.widgets.line import update_line
from animetui.ui.widgets.safe_input import SafeInput

if TYPE_CHECKING:  # imported where a source is made: ~15 ms that the Files listing need not wait for
    from animetui.models import ImageSource


class FilesPane(Pane):
    TITLE = "Files"
    KEY = "1"
    BINDINGS = bindings("files")

    def __init__(self, start: Path, *, renderer: str, id: str | None = "files") -> None:
        super().__init__(id=id)
        self.start = start
        self.renderer = renderer
        self.source: ImageSource | None = None
        self.marked: set[Path] = set()  # files marked for a batch (m, M, *)

    def compose(self) -> ComposeResult:
        yield SafeInput(placeholder="o: type a path or https:// URL", id="location", compact=True)
        yield ImageTree(self.start, id="tree")
        yield SafeInput(placeholder="jump to name…", id="jump", compact=True, classes="-hidden")
        yield Static("", id="files-source")
        yield ImageView(id="files-preview", renderer=self.renderer, placeholder="Highlight an image to preview it")

    @property
    def tree(self) -> ImageTree:  # type: ignore[override]  # shadows DOMNode.tree (a debug rendering)
        return self.query_one("#tree", ImageTree)

    @property
    def preview(self) -> ImageView:
        return self.query_one("#files-preview", ImageView)

    def focus_default(self) -> None:
        self.tree.focus()

    async def listed(self, timeout: float) -> None:
        """Until the tree lists its first folder (at most ``timeout`` seconds: a slow folder does
        not hold start-up up)."""
        try:
            await asyncio.wait_for(self.tree.listed.wait(), timeout)
        except TimeoutError:
            pass

    def on_mount(self) -> None:
        self.tree.marked = self.marked
        self._show_source()

    # ------------------------------------------------------------------ the source
    def set_source(self, source: ImageSource | None, *, preview: bool = True) -> None:
        self.source = source
        self._show_source()
        self.post_message(SourceChanged(source))
        if not preview:
            return
        if source is None:
            self.preview.clear()
        elif source.path is not None:
            self.preview.show(source.path, label=source.path.name)
        elif source.url is not None:
            self._preview_url(source.url)

    def _show_source(self) -> None:
        line = Text("Source: ", style="bold")
        if self.source is None:
            line.append("none — highlight an image", style="italic")
        else:
            line.append(shown(self.source.label))
        if self.marked:
            line.append(f"  ● {len(self.marked)} marked (B: batch)", style="bold")
        if self.source is not None and not self.preview.display:  # too short for the preview: say where it is
            line.append("  z: preview", style="italic")
        update_line(self.query_one("#files-source", Static), line)

    def on_resize(self) -> None:
        self._show_source()

    @work(exclusive=True, group="url-preview", exit_on_error=False)
    async def _preview_url(self, url: str) -> None:
        from animetui.errors import AnimetuiError
        from animetui.pictures.previews import fetch_preview

        self.preview.clear("Fetching the picture…")
        try:
            services = await services_of(self)
            path = await fetch_preview(services.downloads, url, services.cache_dir, typed=True)
        except AnimetuiError as exc:
            self.preview.clear(f"No preview: {exc}")
            return
        except Exception as exc:  # noqa: BLE001 - a dead worker would leave "Fetching…" forever
            self.log.error(f"URL preview failed: {exc!r}")
            self.preview.clear(f"No preview: unexpected error ({type(exc).__name__}); see the log")
            return
        if self.source is not None and self.source.url == url:
            self.preview.show(path, key=url, label=url.rsplit("/", 1)[-1] or url)

    # ------------------------------------------------------------------ tree events
    @on(Tree.NodeHighlighted, "#tree")
    def _highlighted(self, event: Tree.NodeHighlighted) -> None:
        data = event.node.data
        path: Path | None = getattr(data, "path", None)
        if path is None or event.node.allow_expand:
            return
        if is_image_name(path):
            from animetui.models import ImageSource

            self.set_source(ImageSource(path=path, name=path.name))

    @on(DirectoryTree.FileSelected, "#tree")
    def _file_selected(self, event: DirectoryTree.FileSelected) -> None:
        event.stop()
        if is_image_name(event.path):
            from animetui.models import ImageSource

            source = ImageSource(path=event.path, name=event.path.name)
            if self.source != source:
                self.set_source(source)
            self.post_message(LookupRequested(source, ("scene", "characters")))

    # ------------------------------------------------------------------ location box
    @on(Input.Submitted, "#location")
    def _location(self, event: Input.Submitted) -> None:
        from animetui.models import ImageSource

        text = event.value.strip()
        if not text:
            return
        if text.lower().startswith(("http://", "https://")):
            self.set_source(ImageSource.parse(text))
            event.input.value = ""
            self.tree.focus()
            return
        path = Path(text).expanduser()
        if not path.is_absolute():
            path = Path(self.tree.path).expanduser() / path
        if path.is_dir():
            self.tree.path = path
            event.input.value = ""
            self.tree.focus()
        elif path.is_file():
            if not is_image_name(path):
                self.app.notify(
                    f"{display_path(path)} is not an image (jpg, jpeg, png, webp, bmp, gif)",
                    title="Not an image",
                    severity="warning",
                    markup=False,
                )
                return
            self.tree.path = path.parent
            self.set_source(ImageSource(path=path, name=path.name))
            event.input.value = ""
            self.tree.focus()
        else:
            self.app.notify(f"{display_path(path)}: no such file or folder", title="Not found", severity="error", markup=False)

    # ------------------------------------------------------------------ jump box
    @on(Input.Changed, "#jump")
    def _jump_changed(self, event: Input.Changed) -> None:
        if event.value:
            found = self.tree.jump_to(event.value)
            event.input.set_class(not found, "-no-match")

    @on(Input.Submitted, "#jump")
    def _jump_done(self) -> None:
        self._close_jump()

    def on_key(self, event: events.Key) -> None:
        if event.key == "escape":
            focused = self.app.focused
            if focused is not None and focused.id in ("jump", "location"):
                event.stop()
                event.prevent_default()
                if focused.id == "jump":
                    self._close_jump()
                else:
                    focused.value = ""  # type: ignore[attr-defined]
                    self.tree.focus()

    def _close_jump(self) -> None:
        jump = self.query_one("#jump", Input)
        jump.value = ""
        jump.add_class("-hidden")
        self.tree.focus()

    # ------------------------------------------------------------------ actions
    def action_open_location(self) -> None:
        self.query_one("#location", Input).focus()

    def action_jump(self) -> None:
        jump = self.query_one("#jump", Input)
        jump.remove_class("-hidden")
        jump.remove_class("-no-match")
        jump.focus()

    def action_toggle_hidden(self) -> None:
        self.tree.show_hidden = not self.tree.show_hidden
        self.app.notify("Hidden files shown" if self.tree.show_hidden else "Hidden files hidden", timeout=2)

    def action_parent(self) -> None:
        current = Path(self.tree.path).expanduser().resolve()
        if current.parent != current:
            self.tree.path = current.parent

    def action_reload(self) -> None:
        self.tree.reload()

    # ------------------------------------------------------------------ marks (batch)
    def action_toggle_mark(self) -> None:
        path = self.tree.highlighted_path
        if path is None or not path.is_file() or not is_image_name(path):
            self.app.notify("Highlight an image to mark it (M marks a whole folder).", timeout=3)
            return
        if path in self.marked:
            self.marked.discard(path)
        else:
            self.marked.add(path)
        self._marks_changed()
        node = self.tree.cursor_node
        if node is not None:
            self.tree.action_cursor_down()

    def action_mark_folder(self, recursive: bool = False) -> None:
        from animetui.batch import find_images

        path = self.tree.highlighted_path or Path(self.tree.path)
        folder = path if path.is_dir() else path.parent
        found = set(find_images(folder, recursive=recursive))
        if not found:
            self.app.notify(f"No images in {display_path(folder)}.", title="Nothing to mark", severity="warning", markup=False)
            return
        if found <= self.marked:
            self.marked.difference_update(found)
            what = f"Unmarked {len(found)} image{'s' if len(found) != 1 else ''}"
        else:
            self.marked.update(found)
            what = f"Marked {len(found)} image{'s' if len(found) != 1 else ''}"
        where = f"{display_path(folder)}{' and its subfolders' if recursive else ''}"
        self.app.notify(f"{what} in {where}; {len(self.marked)} marked in all. B runs the batch.", title="Batch", timeout=4, markup=False)
        self._marks_changed()

    def action_clear_marks(self) -> None:
        self.marked.clear()
        self._marks_changed()

    def marked_files(self) -> list[Path]:
        return sorted(self.marked)

    def _marks_changed(self) -> None:
        for node in self.tree.visible_nodes():  # the ● marks are part of each line's render
            node.refresh()
        self._show_source()
