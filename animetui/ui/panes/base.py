"""What every pane shares: a titled, bordered, maximisable container with its own keys.

:class:`PanePlaceholder` is what the app shows in the first frame, before the real panes (and the
widgets they import) are mounted: the same frame and title, one widget instead of a tree.
"""

from __future__ import annotations

from typing import Self

from textual import events
from textual.color import Color
from textual.containers import Vertical
from textual.geometry import Region
from textual.strip import Strip
from textual.widgets import Static


_EDGES = ("border_top", "border_right", "border_bottom", "border_left")


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
    # focus move (``Screen._update_focus_styles``, ~10-13 ms at 160×48 on a slow core). And the
    # rules are set with ``Styles.set_rule`` plus a repaint of the four edges only: the ``border``
    # property's setter repaints the whole pane (all its children composited again: another
    # ~10 ms per pane in tests/benchmarks/bench_images.py), though only the edges change colour.
    _focus_shown = False

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        self._show_focus()

    def on_descendant_blur(self) -> None:
        self._show_focus()
        self.call_after_refresh(self._keep_focus)

    def on_focus(self) -> None:  # the pane itself holds the focus while its widgets load
        self._show_focus()

    def on_blur(self) -> None:
        self._show_focus()
        self.call_after_refresh(self._keep_focus)

    def _keep_focus(self) -> None:
        """The focus left this pane for nowhere (its widget was hidden, or began loading): take it back.

        Switching a tab, clearing a table or a loading indicator can drop the focus on the floor;
        then only the global keys work and the footer shrinks. A dialog or the palette on top is
        not "nowhere": the screen gives the focus back when it closes.
        """
        try:
            screen = self.screen
        except Exception:  # noqa: BLE001 - unmounted meanwhile
            return
        if not self.is_attached or self.app.screen is not screen or not self.display:
            return
        focused = screen.focused
        if focused is None or (focused.loading and self._owns(focused)):
            self.focus_default()

    def _owns(self, widget: object) -> bool:
        node = widget
        while node is not None:
            if node is self:
                return True
            node = getattr(node, "_parent", None)
        return False

    def _show_focus(self) -> None:
        focused = self.has_focus_within
        if focused == self._focus_shown:
            return
        self._focus_shown = focused
        inline = self.styles.inline
        if focused:
            color = Color.parse(self.app.theme_variables.get("primary", "ansi_blue"))
            for rule in _EDGES:
                inline.set_rule(rule, ("round", color))
            inline.set_rule("border_title_color", color)
            inline.set_rule("auto_border_title_color", False)  # the stylesheet's $text-muted is an "auto" colour
        else:
            for rule in (*_EDGES, "border_title_color", "auto_border_title_color"):
                inline.set_rule(rule, None)
        width, height = self.outer_size
        if not (width and height):
            self.refresh()
            return
        edges = (Region(0, 0, width, 1), Region(0, height - 1, width, 1), Region(0, 0, 1, height), Region(width - 1, 0, 1, height))
        x, y = self.content_offset  # refresh() takes regions relative to the content, inside the border
        self._edges_only = True
        try:
            self.refresh(*(edge.translate((-x, -y)) for edge in edges))
        finally:
            self._edges_only = False

    # The pane's own lines (border, title, background; its widgets are drawn over them) for each
    # focus state, kept while nothing but the focus changed. The left and right edges make every
    # line of the pane dirty on a focus move, and drawing them again was ~2.3 ms per pane at
    # 160x48 on a slow core: most of a focus move's repaint after the tree and the list (two panes
    # per move; tests/benchmarks/bench_stall.py). The lines drawn when the pane last had (or had
    # not) the focus are the same as long as nothing else changed: any other repaint request or
    # style update starts a new "look" and the kept lines go; size, colours and titles are in the key.
    _look = 0
    _edges_only = False
    _lines_by_focus: dict[bool, tuple[tuple[object, ...], dict[int, Strip]]] | None = None

    def refresh(self, *regions: Region, repaint: bool = True, layout: bool = False, recompose: bool = False) -> Self:
        if not self._edges_only:
            self._look += 1
        return super().refresh(*regions, repaint=repaint, layout=layout, recompose=recompose)

    def notify_style_update(self) -> None:
        self._look += 1
        super().notify_style_update()

    def render_lines(self, crop: Region) -> list[Strip]:
        app = self.app
        key = (
            self._look,
            self.size,
            crop.column_span,
            self.background_colors,
            self._border_title,
            self._border_subtitle,
            tuple(self.get_line_filters()),
            app.ansi_theme,
            app.native_ansi_color,
        )
        if self._lines_by_focus is None:
            self._lines_by_focus = {}
        drawn = self._lines_by_focus.get(self._focus_shown)
        if drawn is not None and drawn[0] == key:
            lines = drawn[1]
            if all(y in lines for y in crop.line_range):
                return [lines[y] for y in crop.line_range]
        else:
            lines = {}
            self._lines_by_focus[self._focus_shown] = (key, lines)
        strips = super().render_lines(crop)
        lines.update(zip(crop.line_range, strips))
        return strips

    def on_mount(self) -> None:
        self.watch(self.app, "theme", self._theme_changed, init=False)
        for widget in self.query("*"):
            if widget.can_focus:
                self.watch(widget, "loading", self._loading_changed, init=False)

    def _theme_changed(self) -> None:
        self._look += 1  # the focused border's colour is the theme's
        if self._focus_shown:
            self._focus_shown = False
            self._show_focus()

    def focus_default(self) -> None:
        """Put the focus on the pane's main widget (or on the pane, while nothing in it can take it)."""
        for widget in self.query("*"):
            if widget.focusable:
                widget.focus()
                return
        self._hold_focus()

    #: True while the pane itself holds the focus (its widgets are loading): its keys keep working
    _holding = False

    def allow_focus(self) -> bool:
        return self._holding

    def _hold_focus(self) -> None:
        self._holding = True
        self.focus()

    def _loading_changed(self) -> None:
        self.call_after_refresh(self._refocus)

    def _refocus(self) -> None:
        """A widget here began or ended loading: a loading widget's keys are off, so move the focus."""
        if not self.is_attached or self.app.screen is not self.screen:
            return
        focused = self.screen.focused
        if focused is self:
            self._holding = False
            self.focus_default()  # something can take it again, or the pane holds on
        elif focused is not None and focused.loading and self._owns(focused):
            self.focus_default()


class PanePlaceholder(Static):
    """A pane's frame and title, shown for the instant before the real pane is mounted."""

    def __init__(self, *, id: str, title: str, key: str) -> None:
        super().__init__("…", id=id, classes="pane pane-placeholder")
        self.border_title = f"{key} {title}"
