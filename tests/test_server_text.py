"""One definition of "unsafe": providers' ``server_text`` (a data normaliser) deletes exactly what
``animetui.text.safe`` (the one display sanitiser) escapes, keeping line breaks and tabs as data."""

from __future__ import annotations

import pytest

from animetui.providers.base import server_text
from animetui.text import safe, unsafe_chars

HOSTILE = [
    "x\x1b[2J\x1b[Hcleared",
    "osc \x1b]52;c;cm0gLXJmIH4vKgo=\x07 end",
    "\u202eevil.exe\u202c",
    "zero\u200bwidth\ufeff and \u061c and \u2066iso\u2069",
    "tag\U000e0041\U000e007f chars",
    "c1 \x85\x9b31m",
    "lone \ud800 surrogate",
    "line\u2028sep\u2029para",
    "keep\nlines\tand tabs",
    "\r\nwindows\r\n",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_server_text_leaves_nothing_safe_would_escape_but_line_breaks_and_tabs(value):
    cleaned = server_text(value, limit=1000)
    assert [c for c in unsafe_chars(cleaned) if c not in ("\\x0a", "\\x09")] == []
    assert safe(cleaned, line=False) == cleaned  # shown as a dialog body: nothing left to escape
    cleaned.encode("utf-8")  # storable (SQLite, JSON): no lone surrogate


def test_server_text_keeps_ordinary_text_and_scripts():
    assert server_text("  Sōsō no Frieren 葬送のフリーレン 👩‍👧 [b]x[/b]  ") == "Sōsō no Frieren 葬送のフリーレン 👩‍👧 [b]x[/b]"
    assert server_text(12) == "12" and server_text(True) == "" and server_text(None, default="?") == "?"
    assert server_text("a" * 50, limit=10) == "a" * 9 + "…"
