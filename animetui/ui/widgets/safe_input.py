"""An ``Input`` that never renders a control character: what is typed or pasted shows visibly;
a ``TextArea`` (the Generate prompt) whose text never holds one.

Textual's ``Input`` renders its value as is, so a pasted path with ``ESC [ 2J`` in it — or a value
the app put there — would reach the terminal. :class:`SafeInput` renders each unsafe character as
one visible stand-in (:func:`animetui.text.one_for_one`: ``␛``, ``␊``, ``�``) so the cursor still
lines up; the value itself is unchanged (a real odd file name can still be opened).

It also types without laying out the screen: ``Input`` sets its ``virtual_size`` (the text's
width, for horizontal scrolling) on every change, and ``Widget.virtual_size`` is a layout
reactive, so each key typed into the Files pane's jump box reflowed the whole screen (~5 ms of the
event loop at 160×48 on a slow core, ``tests/benchmarks/bench_stall.py --explain``). An input's
box does not depend on its text unless its width or height is ``auto`` (then ``Input`` asks for
the layout itself); scrolling reads ``virtual_size`` directly. Restyling for a focus move or a
class (the jump box shown, hidden, not matching) reuses the styles found for that state before
(:class:`animetui.ui.widgets.restyle.RestyleMemo`).
"""

from __future__ import annotations

from typing import Any

from rich.text import Text
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input, TextArea
from textual.widgets.text_area import Edit, EditResult

from animetui.text import one_for_one, safe
from animetui.ui.widgets.restyle import RestyleMemo


class SafeInput(RestyleMemo, Input):
    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)

    @property
    def _value(self) -> Text:
        if self.password:
            return super()._value
        text = Text(one_for_one(self.value), no_wrap=True, overflow="ignore", end="")
        if self.highlighter is not None:
            text = self.highlighter(text)
        return text


class SafeTextArea(TextArea):
    """A ``TextArea`` whose text never holds a control character: a paste, a prompt put back from
    the journal (``text =``) or any other edit goes through :func:`animetui.text.safe` (``line=False``:
    line breaks and tabs stay, ``ESC`` becomes the visible text ``\\x1b``), so what is shown is what
    is sent.

    Unlike :class:`SafeInput` the value itself is made safe, not only its rendering: a prompt is
    free text typed for a service, where a control character has no meaning (a path must stay
    exact; a prompt need not).
    """

    def __init__(self, text: str = "", **kwargs: Any) -> None:
        super().__init__(safe(text, line=False), **kwargs)

    def edit(self, edit: Edit) -> EditResult:
        cleaned = safe(edit.text, line=False)
        if cleaned != edit.text:  # a paste (or any edit) with a control character in it
            edit.text = cleaned
        return super().edit(edit)

    def load_text(self, text: str) -> None:
        super().load_text(safe(text, line=False))
