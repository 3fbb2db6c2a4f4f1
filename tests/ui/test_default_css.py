"""animetui.ui.default_css: a pane's widgets' DEFAULT_CSS parsed ahead (in the import thread)
leaves Textual's own registration of those widgets nothing to parse."""

from __future__ import annotations

from textual.app import App
from textual.css.stylesheet import Stylesheet
from textual.widgets import Input, Static, Tree

from animetui.ui.default_css import parse_ahead


def _stylesheet() -> Stylesheet:
    return Stylesheet(variables=App().get_css_variables())  # the theme's variables: $scrollbar-background…


def _register(stylesheet: Stylesheet, widget: object) -> None:
    """What Widget._post_register does for a widget (its class's and bases' DEFAULT_CSS)."""
    for read_from, css, tie_breaker, scope in widget._get_default_css():  # type: ignore[attr-defined]
        stylesheet.add_source(css, read_from=read_from, is_default_css=True, tie_breaker=tie_breaker, scope=scope)


def test_mounting_after_parse_ahead_parses_nothing() -> None:
    stylesheet = _stylesheet()
    assert parse_ahead(stylesheet, [Tree, Input, Static]) > 0
    parsed = len(stylesheet._parse_cache)
    for widget in (Tree("root"), Input(), Static("x")):
        _register(stylesheet, widget)
    stylesheet.parse()
    assert len(stylesheet._parse_cache) == parsed  # every source the stylesheet needed came from the cache
    assert stylesheet.rules  # and they are the real rules


def test_sources_already_read_are_not_parsed_again() -> None:
    stylesheet = _stylesheet()
    _register(stylesheet, Static("x"))
    stylesheet.parse()
    assert parse_ahead(stylesheet, [Static]) == 0


class _Broken(Static):
    DEFAULT_CSS = "_Broken { color: $no-such-variable; }"


def test_a_source_that_fails_to_parse_is_left_to_textual() -> None:
    stylesheet = _stylesheet()
    _register(stylesheet, Static("x"))
    stylesheet.parse()
    parse_ahead(stylesheet, [_Broken])  # nothing raised: mounting one reports the error
    assert not any(key[1][1] == "_Broken.DEFAULT_CSS" for key in stylesheet._parse_cache.keys())
