"""Which image renderer the terminal gets, decided before Textual owns the terminal.

textual-image learns what the terminal can show (Sixel, the Kitty graphics protocol, the cell size
in pixels) by writing queries to stdout and reading the answers from stdin. That only works
*before* ``App.run()``: afterwards Textual's input thread swallows the answers and images silently
fall back to half blocks. So :func:`probe_before_start` runs the probe (``textual_image._terminal``,
which imports neither Pillow nor Textual — a few milliseconds) from :func:`animetui.ui.app.run_tui`
just before the app starts, and caches the answer inside textual-image. The widget module
(``textual_image.widget``, which drags in Pillow) is imported later, off the event loop, the first
time a picture is shown — by then the probe result is cached, so that import asks the terminal
nothing.

The probe is guarded: a PTY that reports 0 columns raises ``ZeroDivisionError`` inside
textual-image 0.14.2, and a terminal on stdout with a file on stdin raises ``termios.error``. Any
failure seeds a safe answer (no Sixel, no Kitty, 10×20 px cells: half-cell blocks) and returns a
note the app shows once; it never crashes and never probes again while Textual runs.

Renderer names (``--renderer`` and the ``general.renderer`` setting): ``auto`` (what the probe
found), ``kitty``, ``sixel``, ``halfcell``, ``unicode`` and ``none`` (no pictures, a text line).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.widget import Widget

RENDERERS = ("auto", "kitty", "sixel", "halfcell", "unicode", "none")
FALLBACK_CELL = (10, 20)  # textual-image's own default (a VT340 cell)


@dataclass(frozen=True, slots=True)
class Capabilities:
    """What the terminal said (or what we assumed when it said nothing)."""

    sixel: bool
    kitty: bool
    cell_width: int
    cell_height: int
    tty: bool


def _terminal_module() -> Any:
    from textual_image import _terminal

    return _terminal


def _seed(sixel: bool = False, kitty: bool = False, cell: tuple[int, int] = FALLBACK_CELL) -> None:
    term = _terminal_module()
    setattr(
        term.probe_terminal,
        "_result",
        term.TerminalCapabilities(term.CellSize(*cell), sixel=sixel, tgp=kitty),
    )


def is_probed() -> bool:
    try:
        return hasattr(_terminal_module().probe_terminal, "_result")
    except Exception:  # noqa: BLE001 - textual-image missing or broken: treated as "nothing to probe"
        return True


def probe_before_start(renderer: str = "auto", *, probe: Callable[[], Any] | None = None) -> str | None:
    """Ask the terminal what it can show, once, before Textual starts. Returns a note or None.

    ``renderer="none"`` skips the terminal questions entirely (nothing will be drawn). ``probe`` is
    for tests (defaults to textual-image's ``probe_terminal``).
    """
    if renderer == "none":
        try:
            if not is_probed():
                _seed()
        except Exception:  # noqa: BLE001
            pass
        return None
    try:
        term = _terminal_module()
    except Exception as exc:  # noqa: BLE001 - a broken install must not stop the app
        return f"Images are off: textual-image could not be loaded ({type(exc).__name__})."
    if hasattr(term.probe_terminal, "_result"):
        return None
    try:
        (probe or term.probe_terminal)()
    except Exception as exc:  # noqa: BLE001 - ZeroDivisionError, termios.error, OSError, TerminalError …
        _seed()
        kind = type(exc).__name__ if type(exc).__module__ == "builtins" else f"{type(exc).__module__}.{type(exc).__name__}"
        return (
            f"The terminal did not answer the image probe ({kind}); "
            "pictures use half-cell blocks. Choose another with --renderer or general.renderer."
        )
    if not hasattr(term.probe_terminal, "_result"):  # a custom probe that cached nothing
        _seed()
    return None


def ensure_probed() -> None:
    """Never let textual-image probe while Textual runs: seed the safe answer if nobody probed."""
    if not is_probed():
        _seed()


def capabilities() -> Capabilities:
    ensure_probed()
    tty = bool(sys.__stdout__ and sys.__stdout__.isatty())
    try:
        result = _terminal_module().probe_terminal()
        cell = result.cell_size
        return Capabilities(bool(result.sixel), bool(result.tgp), int(cell.width), int(cell.height), tty)
    except Exception:  # noqa: BLE001
        return Capabilities(False, False, *FALLBACK_CELL, tty)


def resolve(renderer: str | None) -> str:
    """The concrete renderer for a setting: ``auto`` becomes what textual-image would pick."""
    name = (renderer or "auto").lower()
    if name not in RENDERERS:
        name = "auto"
    if name != "auto":
        return name
    caps = capabilities()
    if not caps.tty:
        return "unicode"
    if caps.sixel:
        return "sixel"
    if caps.kitty:
        return "kitty"
    return "halfcell"


def widget_class(renderer: str, *, prepared: bool = False) -> type[Widget] | None:
    """The textual-image widget class for a concrete renderer (imports Pillow: call off the loop).

    ``prepared=True`` gives the Sixel/Kitty variants that show a stream encoded in a worker thread
    (``animetui.ui.pictures.prepared``) instead of encoding on the event loop, and the half-cell
    variant whose cells are built in the worker (``animetui.ui.pictures.halfcell``).
    Returns None for ``none`` or when textual-image cannot be imported.
    """
    if renderer == "none":
        return None
    ensure_probed()
    try:
        from textual_image import widget
    except Exception:  # noqa: BLE001 - same guard as the probe: never crash over pictures
        return None
    if prepared and renderer in ("sixel", "kitty"):
        try:
            from animetui.ui.pictures import prepared as prepared_image
        except Exception:  # noqa: BLE001 - a textual-image change: fall back to its own widgets
            pass
        else:
            return prepared_image.PreparedSixelImage if renderer == "sixel" else prepared_image.PreparedTGPImage
    if prepared and renderer == "halfcell":
        try:
            from animetui.ui.pictures.halfcell import PreparedHalfcellImage
        except Exception:  # noqa: BLE001 - a textual-image change: fall back to its own widget
            pass
        else:
            return PreparedHalfcellImage
    classes: dict[str, type[Widget]] = {
        "kitty": widget.TGPImage,
        "sixel": widget.SixelImage,
        "halfcell": widget.HalfcellImage,
        "unicode": widget.UnicodeImage,
    }
    return classes.get(renderer, widget.HalfcellImage)
