"""The footer: the keys that apply where the focus is, drawn as one line by one widget.

Textual's ``Footer`` recomposes on every bindings change (each focus move): it removes and mounts
a ``FooterKey`` widget per key, restyles them and lays them out again — ~10 ms at 160×48 on a
slow core, the largest piece of the event-loop stall left when switching panes
(``tests/benchmarks/bench_images.py``: 28 ms with it, 18 ms without). This widget reads the same
``Screen.active_bindings`` and draws the same look (key, description, the command palette key on
the right behind a bar) as text, so a focus move costs one line's repaint. A click on a key
presses it (``App.simulate_key``), as with Textual's footer; a disabled key rings the bell.

When the line is too narrow, keys are dropped from the end (the palette key stays: every action
is in the palette; so does ``? Help`` where it applies). Descriptions come from our binding table,
never from a server.

Where the focus is decides what is listed: with a dialog open (a modal screen over this one), the
dialog's keys; in a text box, not the keys that type there (``/`` in the path box types a slash).
"""

from __future__ import annotations

import sys
from typing import NamedTuple

from rich.text import Text
from textual import events
from textual.geometry import Region
from textual.screen import ModalScreen, Screen
from textual.strip import Strip
from textual.widget import Widget

from animetui.ui.bindings import display_key

#: kept when the line is too narrow (after the palette key)
_KEEP = ("help",)


def _text_boxes() -> list[type]:
    """Input and TextArea, those of the two already imported: no instance of the other can exist,
    and importing TextArea for the first frame's footer cost ~10 ms of start-up."""
    found = []
    for module, name in (("textual.widgets._input", "Input"), ("textual.widgets._text_area", "TextArea")):
        loaded = sys.modules.get(module)
        if loaded is not None:
            found.append(getattr(loaded, name))
    return found


def _typed_in_text_box(focused: Widget | None, key: str) -> bool:
    """True if ``key`` types a character in the focused text box (so its binding never fires there)."""
    if focused is None or not any(isinstance(focused, kind) for kind in _text_boxes()):
        return False
    if key == "space":
        return True
    shown = display_key(key)
    return len(shown) == 1 and shown.isprintable()


class _Key(NamedTuple):
    key: str
    display: str
    description: str
    enabled: bool
    action: str = ""


from animetui.ui.bindings import ACTIONS as _ACTIONS

#: action id -> its row in the bindings table (the footer's order)
_TABLE_ORDER = {action.id: index for index, action in enumerate(_ACTIONS)}


class KeyFooter(Widget, can_focus=False):
    ALLOW_SELECT = False
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
    }
    KeyFooter > .key-footer--key {
        color: $footer-key-foreground;
        background: $footer-key-background;
        text-style: bold;
    }
    KeyFooter > .key-footer--description {
        color: $footer-description-foreground;
        background: $footer-description-background;
    }
    KeyFooter > .key-footer--disabled {
        text-style: dim;
    }
    KeyFooter > .key-footer--bar {
        color: $foreground 20%;
    }
    """
    COMPONENT_CLASSES = {"key-footer--key", "key-footer--description", "key-footer--disabled", "key-footer--bar"}

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[tuple[int, int, _Key]] = []  # (start, end, key) of the last rendered line
        self._shown: tuple[list[_Key], _Key | None] | None = None
        self._drawn: dict[tuple[object, ...], tuple[list[Strip], list[tuple[int, int, _Key]]]] = {}

    _source: Screen | None = None  # the screen whose keys are shown: ours, or a dialog over it

    def on_mount(self) -> None:
        self._follow(self.screen)
        self.app.screen_change_signal.subscribe(self, self._screen_changed)

    def on_unmount(self) -> None:
        if self._source is not None:
            self._source.bindings_updated_signal.unsubscribe(self)
        self.app.screen_change_signal.unsubscribe(self)

    def _follow(self, screen: Screen) -> None:
        if screen is self._source:
            return
        if self._source is not None:
            self._source.bindings_updated_signal.unsubscribe(self)
        self._source = screen
        screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def _screen_changed(self, _screen: Screen) -> None:
        """A dialog opened or closed: list the keys of the screen that has the keyboard."""
        if not self.is_attached:
            return
        mine = self.screen
        top = self.app.screen
        stack = self.app.screen_stack
        shown = mine
        if isinstance(top, ModalScreen) and mine in stack and stack.index(mine) < stack.index(top):
            if not any(KeyFooter in type(w).__mro__ for w in top.query(KeyFooter)):  # a dialog with its own footer speaks for itself
                shown = top
        self._follow(shown)
        self._bindings_changed(shown)

    def _bindings_changed(self, screen: Screen) -> None:
        # The signal fires after most key presses; repaint only when what is shown changes.
        if self.is_attached and screen is self._source:
            keys = self._keys()
            if keys != self._shown:
                self._shown = keys
                self.refresh()

    def _keys(self) -> tuple[list[_Key], _Key | None]:
        """The keys to show (one per action, in binding order) and the command palette's."""
        app = self.app
        source = self._source or self.screen
        keys: list[_Key] = []
        seen: set[str] = set()
        palette: _Key | None = None
        ranked: list[tuple[int, int, int, _Key]] = []
        nodes: dict[int, int] = {}
        focused = source.focused
        for seq, (node, binding, enabled, _tooltip) in enumerate(source.active_bindings.values()):
            if binding.key == app.COMMAND_PALETTE_BINDING and app.ENABLE_COMMAND_PALETTE:
                palette = _Key(binding.key, app.get_key_display(binding), binding.description, enabled)
                continue
            if not binding.show or binding.action in seen or _typed_in_text_box(focused, binding.key):
                continue
            seen.add(binding.action)
            # a key rebound by the keymap comes last in Textual's map: keep the table's order instead
            rank = _TABLE_ORDER.get((binding.id or "").removeprefix("animetui."), seq)
            ranked.append((nodes.setdefault(id(node), len(nodes)), rank, seq, _Key(binding.key, self._display(binding), binding.description, enabled, binding.action)))
        ranked.sort(key=lambda item: item[:3])
        keys = [key for *_rank, key in ranked]
        return keys, palette

    def _display(self, binding: object) -> str:
        """``Esc``, ``*``, ``Space`` as in help; control keys in Textual's short ``^r``."""
        key = getattr(binding, "key", "")
        if getattr(binding, "key_display", None) or "+" in key:
            return self.app.get_key_display(binding)  # type: ignore[arg-type]
        return display_key(key)

    def render_lines(self, crop: Region) -> list[Strip]:
        """The drawn line, kept for the few sets of keys the focus moves between.

        Turning the line's text into cells is most of a footer repaint (~2.5 of ~2.8 ms at 160
        columns on a slow core), and a focus move back to a pane shows the keys it showed before:
        the line drawn then is reused when the keys, the size and every style it uses are the same.
        """
        if self._shown is None:
            self._shown = self._keys()
        keys, palette = self._shown
        styles = tuple(self.get_component_rich_style(name) for name in sorted(self.COMPONENT_CLASSES))
        key = (crop, self.size, tuple(keys), palette, self.rich_style, styles)
        drawn = self._drawn.get(key)
        if drawn is not None:
            strips, self._spans = drawn
            return list(strips)
        strips = super().render_lines(crop)
        if len(self._drawn) >= 8:
            self._drawn.clear()
        self._drawn[key] = (list(strips), list(self._spans))
        return strips

    def render(self) -> Text:
        if self._shown is None:  # before the first bindings signal
            self._shown = self._keys()
        keys, palette = self._shown  # worked out once per change, in _bindings_changed
        key_style = self.get_component_rich_style("key-footer--key")
        description_style = self.get_component_rich_style("key-footer--description")
        disabled = self.get_component_rich_style("key-footer--disabled")
        width = self.size.width
        right = Text()
        palette_span: tuple[int, int, _Key] | None = None
        if palette is not None:
            bar = self.get_component_rich_style("key-footer--bar")
            right.append("▏", bar)
            right.append(f"{palette.display} ", key_style)
            right.append(f"{palette.description} ", description_style)
            palette_span = (width - right.cell_len, width, palette)
        room = width - right.cell_len
        line = Text(no_wrap=True, overflow="crop")
        spans: list[tuple[int, int, _Key]] = []
        pieces = []
        for key in keys:
            piece = Text.assemble((f" {key.display} ", key_style), (f"{key.description} " if key.description else "", description_style))
            if not key.enabled:
                piece.stylize(disabled)
            pieces.append((key, piece))
        kept = [(k, p) for k, p in pieces if k.action in _KEEP]
        reserve = sum(p.cell_len for _k, p in kept)
        for key, piece in pieces:
            if key.action in _KEEP:
                continue
            if line.cell_len + piece.cell_len > room - reserve:
                break
            spans.append((line.cell_len, line.cell_len + piece.cell_len, key))
            line.append_text(piece)
        for key, piece in kept:  # ? Help stays however narrow the line
            if line.cell_len + piece.cell_len <= room:
                spans.append((line.cell_len, line.cell_len + piece.cell_len, key))
                line.append_text(piece)
        if palette_span is not None:
            line.append(" " * max(0, room - line.cell_len))
            line.append_text(right)
            spans.append(palette_span)
        self._spans = spans
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                event.stop()
                if key.enabled:
                    self.app.simulate_key(key.key)
                else:
                    self.app.bell()
                return
