"""TUI fixtures and helpers for the hostile-input tests (kept out of conftest.py on purpose).

The Textual fixtures are tests/ui/conftest.py's own (``build_app`` over the simulators, a frozen
clock, the demo pictures in ``~/Pictures``), loaded under another module name so this package
shares them without copying them. A test module does ``from .tui_support import *``.

:func:`terminal_output` is what the app would write to the terminal for the current screen: the
compositor's full update rendered to the raw stream. :func:`assert_no_injection` removes the
sequences Textual itself writes (SGR colours, cursor moves) and fails on any other control
character, ESC first — whatever a file name, a prompt or a server answer held.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path

_UI = Path(__file__).resolve().parent.parent / "ui"
if str(_UI) not in sys.path:
    sys.path.insert(0, str(_UI))

_spec = importlib.util.spec_from_file_location("_hostile_ui_fixtures", _UI / "conftest.py")
_fixtures = importlib.util.module_from_spec(_spec)  # type: ignore[arg-type]
_spec.loader.exec_module(_fixtures)  # type: ignore[union-attr]

no_cursor_blink = _fixtures.no_cursor_blink
notifications_stay = _fixtures.notifications_stay
_sample_master = _fixtures._sample_master
pictures = _fixtures.pictures
clock = _fixtures.clock
ui_hub = _fixtures.ui_hub
ui_settings = _fixtures.ui_settings
build_app = _fixtures.build_app

from ui_helpers import settle, wait_for  # noqa: E402  (tests/ui is on sys.path now)

__all__ = [
    "no_cursor_blink", "notifications_stay", "_sample_master", "pictures", "clock", "ui_hub", "ui_settings", "build_app",
    "settle", "wait_for", "terminal_output", "screen_text", "assert_no_injection", "HOSTILE_NAMES",
]

#: file names that drive a terminal when printed raw (each a valid image suffix)
HOSTILE_NAMES = {
    "osc52": "a\x1b]52;c;cm0gLXJmIH4vKgo=\x1b\\b.png",  # sets the clipboard to "rm -rf ~/*"
    "clear": "d\x1b[2J\x1b[HCLEARED.png",  # blanks the screen
    "osc8": "e\x1b]8;;https:evil.example\x1b\\link\x1b]8;;\x1b\\.png",  # plants a hyperlink
    "bidi": "f\u202egnp.exe.png",  # reads as "fexe.png…" reversed
    "c1": "g\x9b31mred.png",  # 8-bit CSI
    "newline": "h\nFAKE LINE.png",
    "markup": "i[bold red]PWNED.png",  # an unclosed tag is still markup to Rich
}

_TEXTUAL_OWN = re.compile(r"\x1b\[[0-9;:]*m|\x1b\[\d+;\d+H|\x1b\[\?\d+[hl]")
_CONTROL = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def terminal_output(app) -> str:  # noqa: ANN001 - a textual App
    """What the terminal would receive for the whole current screen (escape sequences included)."""
    return app.screen._compositor.render_full_update().render_segments(app.console)


def screen_text(app) -> str:  # noqa: ANN001
    """The characters on the screen, line by line (no styling)."""
    strips = app.screen._compositor.render_strips()
    return "\n".join("".join(segment.text for segment in strip if not segment.control) for strip in strips)


def assert_no_injection(app) -> str:  # noqa: ANN001
    """Fail on any control character in the terminal stream but Textual's own; return the screen text."""
    stream = _TEXTUAL_OWN.sub("", terminal_output(app))
    bad = sorted({f"U+{ord(c):04X}" for c in _CONTROL.findall(stream)})
    assert not bad, f"control characters reached the terminal: {bad}"
    return screen_text(app)
