"""Copying to the clipboard (OSC 52, through Textual) and saying honestly whether it got there.

OSC 52 works over SSH, but inside tmux only with ``set-clipboard on``: with ``external`` (the
default of tmux ≥ 2.6) or ``off`` tmux drops an application's OSC 52, and the text never reaches
the outer terminal's clipboard. So inside tmux (``$TMUX`` set) the option is read once
(``tmux show-options -gv set-clipboard``), and when it is not ``on`` the toast says the copy may
not have reached the clipboard and how to fix it.
"""

from __future__ import annotations

import os
import subprocess
from functools import lru_cache
from typing import Any

from animetui.text import safe

TMUX_FIX = "set -g set-clipboard on"


@lru_cache(maxsize=1)
def tmux_set_clipboard() -> str | None:
    """tmux's ``set-clipboard`` value ("on", "external", "off"), or None outside tmux / unknown."""
    if not os.environ.get("TMUX"):
        return None
    try:
        done = subprocess.run(
            ["tmux", "show-options", "-gv", "set-clipboard"],
            capture_output=True,
            text=True,
            timeout=1.0,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    value = done.stdout.strip()
    return value if done.returncode == 0 and value else "unknown"


def clipboard_warning() -> str | None:
    """A sentence when the copy may not reach the clipboard, else None."""
    value = tmux_set_clipboard()
    if value is None or value == "on":
        return None
    said = f"set-clipboard is {value}" if value != "unknown" else "set-clipboard could not be read"
    return f"tmux may not pass it on to your clipboard ({said}): add `{TMUX_FIX}` to ~/.tmux.conf."


def copy(app: Any, text: str, *, shown: str | None = None) -> None:
    """Copy ``text`` and say so: "Copied “…”", plus the tmux warning when it applies."""
    app.copy_to_clipboard(text)
    what = safe(shown if shown is not None else text, limit=80)
    warning = clipboard_warning()
    if warning is None:
        app.notify(f"Copied “{what}”", title="Clipboard", timeout=3, markup=False)
    else:
        app.notify(f"Copied “{what}” — but {warning}", title="Clipboard", severity="warning", timeout=8, markup=False)
