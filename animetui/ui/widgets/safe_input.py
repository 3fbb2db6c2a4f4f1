"""An ``Input`` that never renders a control character: what is typed or pasted shows visibly
(its ``TextArea`` sibling, for the Generate prompt: :mod:`animetui.ui.widgets.safe_text_area`).

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

from rich.text import Text
from textual.geometry import Size
from textual.reactive import Reactive
from textual.widgets import Input

from animetui.text import one_for_one
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
