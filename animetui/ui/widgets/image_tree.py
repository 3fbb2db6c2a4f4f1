"""A directory tree that shows folders and images only, with hidden files on demand and jumping.

Textual's ``DirectoryTree`` loads each folder in a thread; this subclass only decides what is
listed (``filter_paths``), how the root reads (``~/…`` instead of an absolute path), and moves the
cursor to a name typed in the Files pane's jump box.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from rich.style import Style
from rich.text import Text
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import DirectoryTree
from textual.widgets._directory_tree import DirEntry
from textual.widgets._tree import TreeNode

from animetui.images import IMAGE_SUFFIXES
from animetui.ui.format import display_path


def is_image_name(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES


class ImageTree(DirectoryTree):
    """Folders and image files (jpg, jpeg, png, webp, bmp, gif)."""

    ICON_NODE_EXPANDED = "▾ "
    ICON_NODE = "▸ "
    ICON_FILE = "  "

    show_hidden: reactive[bool] = reactive(False, init=False)

    def notify_style_update(self) -> None:
        """Repaint with fresh lines; skip Textual's Tree rebuilding its line list and laying the screen out.

        ``Tree.notify_style_update`` does both on any style change, and the focus moving in or out
        of the Files pane is one (cursor colour, tint): a rebuild of every line and a whole-screen
        reflow per focus move (tests/benchmarks/bench_images.py). Style changes leave the tree's
        structure and each line's width alone; a rule that changes the geometry (padding, size)
        still lays out through the stylesheet, and expanding, loading and filtering rebuild the
        lines themselves (``Tree._invalidate``).
        """
        Widget.notify_style_update(self)
        self._line_cache.clear()
        self._updates += 1
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
