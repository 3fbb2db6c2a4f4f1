"""What every pane shares: a titled, bordered, maximisable container with its own keys.

:class:`PanePlaceholder` is what the app shows in the first frame, before the real panes (and the
widgets they import) are mounted: the same frame and title, one widget instead of a tree.
"""

from __future__ import annotations

from textual.color import Color
from textual.containers import Vertical
from textual.widgets import Static


class Pane(Vertical):
    """A pane: ``Screen.maximize`` stops here, and the border shows its title and key."""

    ALLOW_MAXIMIZE = True
    TITLE = ""
    KEY = ""

    def __init__(
        self,
        *,
        id: str | None = None,
        classes: str | None = None,
        title: str | None = None,
        key: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=f"pane {classes or ''}".strip())
        title = self.TITLE if title is None else title
        key = self.KEY if key is None else key
        self.border_title = f"{key} {title}".strip()

    # The focused pane's border is drawn with inline styles, not a ``.pane:focus-within`` rule:
    # any ``:focus-within`` rule makes Textual restyle the whole subtree of both panes on every
    # focus move (``Screen._update_focus_styles``, ~10-13 ms at 160×48 on a slow core: most of
    # what is left of the event-loop stall when switching panes, tests/benchmarks/bench_images.py).
    # An inline style on the pane restyles nothing below it.
    _focus_shown = False

    def on_descendant_focus(self) -> None:
        self._show_focus()

    def on_descendant_blur(self) -> None:
        self._show_focus()

    def _show_focus(self) -> None:
        focused = self.has_focus_within
        if focused == self._focus_shown:
            return
        self._focus_shown = focused
        styles = self.styles
        if focused:
            color = Color.parse(self.app.theme_variables.get("primary", "ansi_blue"))
            styles.border = ("round", color)
            styles.border_title_color = color
            styles.auto_border_title_color = False  # the stylesheet's $text-muted is an "auto" colour
        else:
            for rule in ("border_top", "border_right", "border_bottom", "border_left", "border_title_color", "auto_border_title_color"):
                styles.inline.clear_rule(rule)
            self.refresh()

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)

    def _theme_changed(self) -> None:
        if self._focus_shown:
            self._focus_shown = False
            self._show_focus()

    def focus_default(self) -> None:
        """Put the focus on the pane's main widget."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return


class PanePlaceholder(Static):
    """A pane's frame and title, shown for the instant before the real pane is mounted."""

    def __init__(self, *, id: str, title: str, key: str) -> None:
        super().__init__("…", id=id, classes="pane pane-placeholder")
        self.border_title = f"{key} {title}"
