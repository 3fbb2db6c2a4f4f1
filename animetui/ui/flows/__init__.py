"""User flows that span panes and dialogs, as explicit objects the main screen owns.

Each flow is one object with the actions and callbacks of one feature: :mod:`.lookups` (scene
search / characters, the engine, fresh lookups), :mod:`.jobs` (new text-to-image and
photo-to-anime jobs, retries, the job-finished notices), :mod:`.costs` (the key check and the cost
question before anything paid), :mod:`.batch`, :mod:`.accounts` (settings, sign-in, API keys,
credits and limits in the header, the first-run welcome) and :mod:`.history`. They reach the
services through the app's public ``services()`` / ``runtime`` and the panes through the main
screen's accessors and public pane methods; :mod:`.open_with` is a function flow.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from animetui.ui.app import AnimeTUI
    from animetui.ui.main_screen import MainScreen


class Flow:
    """A flow belongs to the main screen; ``app`` is the running :class:`~animetui.ui.app.AnimeTUI`."""

    def __init__(self, main: "MainScreen") -> None:
        self.main = main

    @property
    def app(self) -> "AnimeTUI":
        return cast("AnimeTUI", self.main.app)
