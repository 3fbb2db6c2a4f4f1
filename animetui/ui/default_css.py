"""Parse a pane's widgets' ``DEFAULT_CSS`` in the thread that imports the pane's module.

Textual parses a widget class's ``DEFAULT_CSS`` the first time one is mounted: for the Files pane
(Input, Tree, DirectoryTree, Static, ImageView, …) that was ~10-15 ms of the event loop between
the first frame and the Files listing (tests/benchmarks/bench_startup.py, "Files listed"), while
the loop had just been idle, waiting for the module's import. The stylesheet keeps what it parsed
keyed on the source text and its place (``Stylesheet._parse_rules``' cache), so parsing the same
sources ahead, in the import thread, leaves the mount only cache hits. The keys are built exactly
as ``Widget._post_register`` → ``Stylesheet.add_source`` → ``Stylesheet.parse`` build them; a
source Textual reads differently (a new Textual version) is simply parsed again on the loop.
"""

from __future__ import annotations

import importlib
from types import ModuleType, SimpleNamespace
from typing import Any

from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode


def widget_classes(module: ModuleType) -> list[type[DOMNode]]:
    """The widget classes a module defines or imports (what its panes compose, mostly)."""
    return [value for value in vars(module).values() if isinstance(value, type) and issubclass(value, DOMNode)]


def parse_ahead(stylesheet: Stylesheet, classes: list[type[DOMNode]]) -> int:
    """Parse the ``DEFAULT_CSS`` of ``classes`` and their bases into the stylesheet's cache; returns
    how many sources were parsed. Safe off the event loop: it only adds entries to a dict.

    A source's cache key holds its tie-breaker: minus its place in the mounted class's bases,
    and the stylesheet keeps the lowest one seen (``Stylesheet.add_source``). So each source is
    parsed once, with the lowest tie-breaker among ``classes`` (and the one already kept, if lower).
    """
    wanted: dict[Any, tuple[str, int, str]] = {}  # read_from -> (css, tie_breaker, scope)
    for cls in classes:
        bases = SimpleNamespace(_node_bases=cls._css_bases(cls))
        for read_from, css, tie_breaker, scope in DOMNode._get_default_css(bases):  # type: ignore[arg-type]
            known = wanted.get(read_from)
            if known is None or tie_breaker < known[1]:
                wanted[read_from] = (css, tie_breaker, scope)
    parsed = 0
    for read_from, (css, tie_breaker, scope) in wanted.items():
        kept = stylesheet.source.get(read_from)
        if kept is not None and kept.tie_breaker <= tie_breaker:
            continue  # parsed already, when such a widget was first mounted
        try:
            stylesheet._parse_rules(css, read_from=read_from, is_default_rules=True, tie_breaker=tie_breaker, scope=scope)
        except Exception:  # noqa: BLE001 - Textual parses it again on mounting and reports it there
            continue
        parsed += 1
    return parsed


def import_pane_module(name: str, stylesheet: Stylesheet) -> None:
    """Import a pane's module and parse its widgets' default CSS (run in a thread)."""
    parse_ahead(stylesheet, widget_classes(importlib.import_module(name)))
