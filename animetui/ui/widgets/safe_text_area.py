"""A ``TextArea`` (the Generate prompt) whose text never holds a control character.

Apart from :mod:`animetui.ui.widgets.safe_input` because ``TextArea`` and its document modules
cost ~8 ms to import, which the Files pane (it has two ``SafeInput``) paid at start-up for a
dialog few open.
"""

from __future__ import annotations

from typing import Any

from textual.widgets import TextArea
from textual.widgets.text_area import Edit, EditResult

from animetui.text import safe


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
