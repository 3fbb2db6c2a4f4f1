"""A widget restyled for a state it had before gets the styles found then, without the stylesheet.

Textual applies the whole stylesheet to a widget and to each of its component classes whenever
its classes or pseudo-classes change (``DOMNode.update_node_styles``: a focus move, a class
added): ~1.5 ms for an ``Input``, ~3 ms for the Files tree with its nine component classes, at
160x48 on a slow core, several times per focus move or jump box opening
(tests/benchmarks/bench_stall.py). What the stylesheet gives depends on its rules and on the
type, id, classes and pseudo-classes of the widget and of every node above it: with all of those
as they were the last time, :class:`RestyleMemo` sets the rules and component styles found then
again, in Textual's order (``Stylesheet.replace_rules``, then the component styles, then the
scrollbars), so the same repaints follow. Only for a widget without children (a container's
update restyles its whole subtree).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from textual.widget import Widget

    _Base = Widget
else:
    _Base = object

_KEEP = 16  # CSS contexts remembered per widget (focus, classes, odd/even as siblings show and hide)


class RestyleMemo(_Base):
    """Mix in before a Textual widget class: ``class SafeInput(RestyleMemo, Input)``."""

    _restyled: dict[tuple[Any, ...], tuple[Any, dict[str, Any], dict[str, Any]]] | None = None

    def update_node_styles(self, animate: bool = True) -> None:
        if self.children or not self.is_attached:
            super().update_node_styles(animate=animate)
            return
        stylesheet = self.app.stylesheet
        key = tuple((type(node).__name__, node.id, node.classes, node.pseudo_classes) for node in self.css_path_nodes)
        if self._restyled is None:
            self._restyled = {}
        known = self._restyled.get(key)
        if known is None or known[0] is not stylesheet.rules_map:
            super().update_node_styles(animate=animate)
            if len(self._restyled) >= _KEEP:
                del self._restyled[next(iter(self._restyled))]  # the oldest
            self._restyled[key] = (stylesheet.rules_map, dict(self.styles.base._rules), dict(self._component_styles))
            return
        _rules_map, rules, components = known
        stylesheet.replace_rules(self, dict(rules), animate=animate)  # type: ignore[arg-type]
        if components != self._component_styles:  # after the rules, as Stylesheet.apply does
            self._component_styles.clear()
            self._component_styles.update(components)
            self.refresh()
        if self.is_scrollable:  # as Stylesheet.update_nodes does
            if self.show_vertical_scrollbar and self.scrollbar_size_vertical:
                stylesheet.apply(self.vertical_scrollbar)
            if self.show_horizontal_scrollbar and self.scrollbar_size_horizontal:
                stylesheet.apply(self.horizontal_scrollbar)
