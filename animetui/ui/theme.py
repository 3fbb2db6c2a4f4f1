"""The ``animetui`` colour theme: dark, saturated accents that survive 256-colour terminals.

Textual maps truecolor to the nearest of the 256 xterm colours when the terminal has no
truecolor. The colours below were chosen close to entries of the xterm 6×6×6 cube (e.g. #d75f87,
#5fafd7, #ffaf5f, #5fd7af, #ff5f5f) so the 256-colour rendering keeps the same hues and contrast as
the truecolor one. Textual's own themes stay available (palette → "Change theme").
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from textual.theme import Theme

if TYPE_CHECKING:
    from textual.app import App

    from animetui.config import Settings


def styles_dir() -> Path:
    """``styles/``: inside the package in a wheel (force-include), at the repo root in a checkout."""
    package = Path(__file__).resolve().parent.parent  # animetui/
    packaged = package / "styles"
    return packaged if packaged.is_dir() else package.parent / "styles"


ANIMETUI_THEME = Theme(
    name="animetui",
    primary="#d75f87",
    secondary="#5fafd7",
    accent="#ffaf5f",
    foreground="#e4e4e4",
    background="#1c1c1c",
    surface="#262626",
    panel="#303030",
    success="#5fd7af",
    warning="#ffaf5f",
    error="#ff5f5f",
    dark=True,
    variables={
        "block-cursor-background": "#875f87",
        "block-cursor-foreground": "#ffffff",
        "block-cursor-blurred-background": "#444444",
        "footer-key-foreground": "#ffaf5f",
        "input-selection-background": "#d75f87 35%",
        "border": "#d75f87",
        "border-blurred": "#4e4e4e",
    },
)


def set_start_theme(app: "App[Any]", settings: "Settings") -> None:
    """Register the animetui theme and choose the one ``general.theme`` names (else animetui)."""
    app.register_theme(ANIMETUI_THEME)
    wanted = str(settings.get("general.theme", "animetui") or "animetui")
    app.theme = wanted if wanted in app.available_themes else "animetui"


def read_later_styles(app: "App[Any]") -> None:
    """Add ``styles/later.tcss`` to the stylesheet (once): the rules the first frame and the Files
    pane do not use. Nodes styled from here on see them; a screen opened before (a key pressed in
    the first instant) is restyled. Nothing on the main screen by then matches them."""
    path = str((styles_dir() / "later.tcss").resolve())
    stylesheet = app.stylesheet
    if stylesheet.has_source(path, ""):
        return
    with open(path, encoding="utf-8") as file:
        stylesheet.add_source(file.read(), read_from=(path, ""), is_default_css=False)
    for screen in app.screen_stack[1:]:
        stylesheet.update(screen)
