"""An ``Input`` that never renders a control character: what is typed or pasted shows visibly.

Textual's ``Input`` renders its value as is, so a pasted path with ``ESC [ 2J`` in it — or a value
the app put there — would reach the terminal. :class:`SafeInput` renders each unsafe character as
one visible stand-in (:func:`animetui.text.one_for_one`: ``␛``, ``␊``, ``�``) so the cursor still
lines up; the value itself is unchanged (a real odd file name can still be opened).
"""

from __future__ import annotations

from rich.text import Text
from textual.widgets import Input

from animetui.text import one_for_one


class SafeInput(Input):
    @property
    def _value(self) -> Text:
        if self.password:
            return super()._value
        text = Text(one_for_one(self.value), no_wrap=True, overflow="ignore", end="")
        if self.highlighter is not None:
            text = self.highlighter(text)
        return text
