"""Unit tests of the one sanitiser, animetui.text.safe (and its stream and JSON forms)."""

from __future__ import annotations

import io
import json
import os

import pytest

from animetui.text import SafeStream, for_stream, has_controls, safe


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("a\x1b]52;c;cm0gLXJmIH4vKgo=\x1b\\b.png", "a\\x1b]52;c;cm0gLXJmIH4vKgo=\\x1b\\b.png"),
        ("d\x1b[2J\x1b[HCLEARED.png", "d\\x1b[2J\\x1b[HCLEARED.png"),
        ("bell\x07 nul\x00 del\x7f", "bell\\x07 nul\\x00 del\\x7f"),
        ("c1 \x9b31m \x85", "c1 \\x9b31m  "),  # CSI escaped; NEL is a line break: a space on one line
        ("exe\u202egnp.png", "exe\\u202egnp.png"),
        ("iso\u2066late\u2069 mark\u200e", "iso\\u2066late\\u2069 mark\\u200e"),
        ("zero\u200bwidth \ufeffbom", "zero\\u200bwidth \\ufeffbom"),
        ("tag\U000e0041", "tag\\U000e0041"),
        ("two\nlines\r\nand\ttab", "two lines and tab"),
        ("[bold red]markup[/] stays", "[bold red]markup[/] stays"),
        ("emoji 👩\u200d💻 and ZWNJ \u200c stay", "emoji 👩\u200d💻 and ZWNJ \u200c stay"),
        ("plain café ✓", "plain café ✓"),
    ],
)
def test_safe_shows_controls_visibly_on_one_line(raw, shown):
    assert safe(raw) == shown


def test_block_mode_keeps_newlines_and_tabs_but_nothing_else():
    assert safe("one\r\ntwo\rthree\n\tfour\x1b[2J", line=False) == "one\ntwo\nthree\n\tfour\\x1b[2J"


def test_non_utf8_names_show_their_bytes_and_always_encode():
    name = os.fsdecode(b"caf\xe9\xff.png")  # surrogateescape: lone surrogates
    shown = safe(name)
    assert shown == "caf\\xe9\\xff.png"
    shown.encode("utf-8")  # no UnicodeEncodeError
    assert safe(b"raw\xe9") == "raw\\xe9"
    assert safe("\ud800alone") == "\\ud800alone"


def test_paths_objects_and_none():
    from pathlib import Path

    assert safe(Path("/tmp/x\x1by.png")) == "/tmp/x\\x1by.png"
    assert safe(None) == ""
    assert safe(42) == "42"


def test_limit_caps_what_is_shown():
    assert safe("abcdef", limit=4) == "abc…"
    assert safe("abc", limit=4) == "abc"
    assert len(safe("\x1b" * 50, limit=10)) == 10


def test_safe_is_idempotent():
    raw = "a\x1b]52;c;x\x07\u202e\n\xff"
    once = safe(raw)
    assert safe(once) == once
    assert not has_controls(once)


def test_has_controls():
    assert has_controls("key\x1b") and has_controls("key\n") and has_controls("k\u202e")
    assert not has_controls("wait_0123abcd") and not has_controls("ank_é")


def test_stream_form_keeps_layout_and_escapes_the_rest():
    assert for_stream("\r[1/2] a\x1bb\n\a") == "\r[1/2] a\\x1bb\n\a"
    buffer = io.StringIO()
    stream = SafeStream(buffer)
    print("x\x1b]52;c;y\x1b\\", file=stream)
    assert buffer.getvalue() == "x\\x1b]52;c;y\\x1b\\\n"
    assert stream.getvalue() == buffer.getvalue()  # everything else is the wrapped stream's


def test_one_line_and_display_path_use_the_sanitiser(monkeypatch, tmp_path):
    from animetui.ui.format import display_path, one_line

    assert one_line("a\n\n b\x1b[2J  c", 200) == "a b\\x1b[2J c"
    monkeypatch.setenv("HOME", str(tmp_path))
    assert display_path(tmp_path / "p\x1b]8;;x\x1b\\.png") == "~/p\\x1b]8;;x\\x1b\\.png"


def test_json_output_escapes_what_json_leaves_raw():
    from animetui.cli import json_text

    payload = {"name": "c1\x9b31m \u202e " + os.fsdecode(b"\xff") + " \x1b", "ok": "café"}
    text = json_text(payload)
    assert "\x9b" not in text and "\u202e" not in text and "\x1b" not in text
    text.encode("utf-8")
    back = json.loads(text)
    assert back["ok"] == "café" and back["name"].startswith("c1\x9b31m \u202e ")
