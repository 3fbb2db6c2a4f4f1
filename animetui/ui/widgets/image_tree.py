"""A directory tree that shows folders and images only, with hidden files on demand and jumping.

Textual's ``DirectoryTree`` loads each folder in a thread; this subclass only decides what is
listed (``filter_paths``), how the root reads (``~/…`` instead of an absolute path), and moves the
cursor to a name typed in the Files pane's jump box.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from rich.style import Style
from rich.text import Text
from textual import events
from textual.geometry import Region
from textual.reactive import reactive
from textual.strip import Strip
from textual.widget import Widget
from textual.widgets import DirectoryTree
from textual.widgets.directory_tree import DirEntry
from textual.widgets.tree import TreeNode

from animetui.pictures.sources import IMAGE_SUFFIXES
from animetui.text import has_controls as _UNSAFE
from animetui.text import safe
from animetui.ui.format import display_path
from animetui.ui.widgets.restyle import RestyleMemo


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


class ImageTree(RestyleMemo, DirectoryTree):
    """Folders and image files (jpg, jpeg, png, webp, bmp, gif).

    Restyled on each focus move; the styles found for a focus state are reused (``RestyleMemo``).
    """

    ICON_NODE_EXPANDED = "▾ "
    ICON_NODE = "▸ "
    ICON_FILE = "  "

    show_hidden: reactive[bool] = reactive(False, init=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._drawn_with: dict[Any, tuple[Any, ...]] = {}  # pseudo-class state → styles its lines were drawn with
        self._lines_width: int | None = None  # the width the tree's lines were last laid out for
        self._repaint_style: Style | None = None  # the tree's own style, while one repaint runs
        self.listed = asyncio.Event()  # set once the first folder's listing is in the tree (start-up waits on it)

    async def watch_path(self) -> None:
        try:
            await super().watch_path()  # lists the folder (in a thread) and waits for it
        finally:
            self.listed.set()

    # ------------------------------------------------------------------ repaint cost
    # Measured with tests/benchmarks/bench_stall.py --explain: the tree is drawn in most long
    # loop callbacks (a focus move, the jump box opening, a picture highlighted), 20 lines at
    # 160x48. Two things Tree does there cost more than the lines themselves.

    @property
    def rich_style(self) -> Style:
        """The tree's style, worked out once per repaint instead of once per line.

        ``Tree.render_line`` asks for it on every line, and ``DOMNode.rich_style`` walks every
        ancestor's styles each time (a third of the tree's repaint). Nothing can restyle the tree
        while one repaint runs (it is synchronous), so the value is kept for that repaint only.
        """
        style = self._repaint_style
        return style if style is not None else super().rich_style

    def render_lines(self, crop: Region) -> list[Strip]:
        self._repaint_style = None
        self._repaint_style = super().rich_style
        try:
            return super().render_lines(crop)
        finally:
            self._repaint_style = None

    def _on_resize(self, event: events.Resize) -> None:
        """Keep the rendered lines when only the height changed (the jump box opening or closing).

        ``Tree._on_resize`` drops every cached line and rebuilds the tree's line list on any resize,
        but neither depends on the height: a line is cached by its width, and the list (and the
        virtual size made from it) by the nodes. A new width still goes to Tree.
        """
        width = event.size.width
        if width == self._lines_width:
            self._line_cache.grow(event.size.height)
            event.prevent_default()  # not Tree._on_resize; the new size repaints the tree anyway
            return
        self._lines_width = width

    def notify_style_update(self) -> None:
        """Repaint; keep the rendered lines when the styles they were drawn with are unchanged.

        ``Tree.notify_style_update`` rebuilds every line and lays the whole screen out on any style
        change, and the focus moving in or out of the Files pane is one (cursor colour, tint): a
        rebuild and a reflow per focus move (tests/benchmarks/bench_images.py). A style change
        leaves the tree's structure and each line's width alone (a rule that changes geometry
        still lays out through the stylesheet; expanding, loading and filtering rebuild the lines
        themselves). Tree's line cache is keyed on the pseudo-class state (focus, hover), so lines
        drawn while focused stay right for the next time it is focused, as long as the styles for
        that state are the same: a fingerprint of them per state decides; a theme or stylesheet
        change gives a new fingerprint and clears the cache.
        """
        Widget.notify_style_update(self)
        state = self.get_pseudo_class_state()  # what Tree keys its line cache on
        fingerprint = (self.rich_style, *(self.get_component_rich_style(name, partial=True, default=_NONE) for name in _COMPONENTS))
        known = self._drawn_with.get(state)
        if known is not None and known != fingerprint:  # the styles changed: no cached line can be trusted
            self._drawn_with.clear()
            self._line_cache.clear()
            self._updates += 1
        self._drawn_with[state] = fingerprint
        self.refresh()

    def filter_paths(self, paths: Iterable[Path]) -> Iterable[Path]:
        shown: list[Path] = []
        for path in paths:
            if path.name.startswith(".") and not self.show_hidden:
                continue
            try:
                if path.is_dir():
                    shown.append(path)
                elif is_image_name(path) and path.is_file():
                    shown.append(path)
            except OSError:  # a broken link or a folder we may not read: leave it out
                continue
        return shown

    def watch_show_hidden(self) -> None:
        self.reload()

    def process_label(self, label: str | Text) -> Text:
        """Every entry's name made safe to show (:func:`animetui.text.safe`): a file name is any bytes.

        ``ESC ] 52`` in a name would write the clipboard, ``ESC [ 2J`` blank the screen; a newline
        would cut the name at its first line. Shown escaped (``\\x1b``) on one line instead.
        """
        if isinstance(label, Text):
            if _UNSAFE(label.plain):
                label = Text(safe(label.plain), style=label.style)
        else:
            label = Text(safe(label))
        return super().process_label(label)

    #: files marked for a batch (the Files pane owns the set; marked files show a ● before the name)
    marked: set[Path]

    def render_label(self, node: TreeNode[DirEntry], base_style: Style, style: Style) -> Text:
        if node.is_root and node.data is not None:
            label = Text(display_path(node.data.path), style=base_style + style, no_wrap=True, overflow="ellipsis")
            label.stylize("bold")
            return label
        label = super().render_label(node, base_style, style)
        marked = getattr(self, "marked", None)
        if marked and node.data is not None and node.data.path in marked:
            label = Text("●", style=base_style + style + Style(bold=True)) + label[1:] if label.plain.startswith(" ") else Text("● ") + label
        return label

    # ------------------------------------------------------------------ the mouse
    async def _on_click(self, event: events.Click) -> None:
        """A click on a file highlights it (so it is previewed); only a double-click selects it.

        Tree's own click selects the line, and selecting an image runs both lookups (Enter's job):
        a stray click would spend credits. A double-click does what Enter does, through the same
        path and the same cost question. Clicks on folders (expand/collapse) keep Tree's behaviour.
        """
        meta = event.style.meta
        if "line" not in meta or meta.get("toggle", False):
            return  # Tree's handler does the rest
        node = self.get_node_at_line(meta["line"])
        if node is None or node.allow_expand:
            return
        event.prevent_default()  # not Tree._on_click: it would select on the first click
        async with self.lock:
            self.cursor_line = meta["line"]
        if event.chain >= 2:
            self.action_select_cursor()

    # ------------------------------------------------------------------ jumping
    def visible_nodes(self) -> list[TreeNode[DirEntry]]:
        nodes = []
        for line in range(self.last_line + 1):
            node = self.get_node_at_line(line)
            if node is not None:
                nodes.append(node)
        return nodes

    def jump_to(self, text: str) -> bool:
        """Move the cursor to the first shown entry whose name starts with ``text`` (else contains it)."""
        needle = text.casefold().strip()
        if not needle:
            return False
        nodes = [n for n in self.visible_nodes() if not n.is_root and n.data is not None]
        for matcher in (
            lambda name: name.startswith(needle),
            lambda name: needle in name,
        ):
            for node in nodes:
                if matcher(node.data.path.name.casefold()):  # type: ignore[union-attr]
                    self.move_cursor(node, animate=False)
                    return True
        return False

    @property
    def highlighted_path(self) -> Path | None:
        node = self.cursor_node
        if node is None or node.data is None:
            return None
        return node.data.path


_NONE = Style()  # a component's style before the stylesheet has reached it

#: every component class whose style a tree line is drawn with (Tree's and DirectoryTree's)
_COMPONENTS = tuple(sorted(set().union(*(getattr(cls, "COMPONENT_CLASSES", set()) for cls in ImageTree.__mro__))))
