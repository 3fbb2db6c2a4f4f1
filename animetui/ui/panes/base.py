"""What every pane shares: a titled, bordered, maximisable container with its own keys.

:class:`PanePlaceholder` is what the app shows in the first frame, before the real panes (and the
widgets they import) are mounted: the same frame and title, one widget instead of a tree.
"""

from __future__ import annotations

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
