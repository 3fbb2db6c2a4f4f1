"""The one sanitiser for every string that reaches the terminal, whatever its origin.

File names, paths, prompts, error text, server text, table cells, notifications, dialog lines and
CLI output all pass through :func:`safe` before they are printed or rendered. A string can then
never drive the terminal: an OSC 52 in a file name cannot fill the clipboard, a ``CSI 2J`` in a
prompt cannot blank the screen, an OSC 8 cannot plant a link, and a bidi override cannot make
``exe.png`` read as ``gnp.exe``.

What is shown instead (visibly, so the user can tell the name is odd, and unambiguously):

* C0 controls, DEL and C1 controls (``ESC`` included) as ``\\x1b``-style escapes: ``\\x00``…``\\x1f``,
  ``\\x7f``, ``\\x80``…``\\x9f``.
* Bidi overrides, embeddings, isolates and marks, zero-width and other invisible format characters
  (U+061C, U+180E, U+200B, U+200E/F, U+202A–U+202E, U+2060–U+206F, U+FEFF, U+FFF9–U+FFFB, the tag
  characters U+E0001 and U+E0020–U+E007F) and the line/paragraph separators U+2028/U+2029 as
  ``\\u202e``-style escapes (``\\U000e0041`` past the BMP). ZWJ/ZWNJ (U+200C/U+200D) stay: scripts
  and emoji need them and they cannot reorder or hide text.
* Lone surrogates — what Python gives for a non-UTF-8 file name (``surrogateescape``) — as the
  original byte, ``\\xff``; any other lone surrogate as ``\\udXXX``. The result always encodes as
  UTF-8.
* With ``line=True`` (the default: a table cell, a label, a notification line) tabs and line breaks
  (``\\n``, ``\\r``, VT, FF, NEL) collapse to one space; with ``line=False`` (a dialog body) ``\\n`` and
  tabs stay and a bare ``\\r`` becomes a line break.

Rich markup is not this module's business: :func:`safe` returns a plain ``str``; the UI puts it in a
``rich.text.Text`` (or passes ``markup=False``), so ``[b]`` in a name stays literal.

Pure and cheap: a string with nothing to escape is returned after one regex search.

:func:`without_controls` *deletes* the same characters (``\n`` and tabs kept): providers normalise
server data with it (``providers.base.server_text``) — data hygiene, not the display sanitiser.
"""

from __future__ import annotations

import os
import re

__all__ = ["safe", "for_stream", "SafeStream", "one_for_one", "unsafe_chars", "has_controls", "without_controls"]

_FORMAT = (
    "\u061c\u180e\u200b\u200e\u200f\u2028-\u202e\u2060-\u206f\ufeff\ufff9-\ufffb"
    "\U000e0001\U000e0020-\U000e007f"
)
#: everything :func:`safe` escapes in either mode (tab, LF and CR included: the modes treat them apart)
_BAD = re.compile(f"[\x00-\x1f\x7f-\x9f{_FORMAT}\ud800-\udfff]")
_BREAKS = re.compile(r"[\t\n\x0b\x0c\r\x85\u2028\u2029]+")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if code < 0x100:
        return f"\\x{code:02x}"
    if 0xDC80 <= code <= 0xDCFF:  # surrogateescape: the original byte of a non-UTF-8 name
        return f"\\x{code - 0xDC00:02x}"
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    return f"\\U{code:08x}"


def safe(text: object, *, line: bool = True, limit: int | None = None) -> str:
    """``text`` made safe to print or render: see the module docstring for what is shown how.

    ``text`` may be anything: a ``str``, a path (``os.PathLike``), ``bytes`` (decoded as UTF-8 with
    ``surrogateescape``, so undecodable bytes show as ``\\xNN``) or any object (``str()`` of it).
    ``limit`` caps the *shown* length, ending in ``…``.
    """
    if isinstance(text, str):
        value = text
    elif isinstance(text, (bytes, bytearray)):
        value = bytes(text).decode("utf-8", "surrogateescape")
    elif isinstance(text, os.PathLike):
        value = os.fspath(text)
        if isinstance(value, bytes):
            value = value.decode("utf-8", "surrogateescape")
    elif text is None:
        value = ""
    else:
        value = str(text)
    if _BAD.search(value) is not None:
        if line:
            value = _BREAKS.sub(" ", value)
        else:
            value = value.replace("\r\n", "\n").replace("\r", "\n")
            keep = value.split("\n")
            value = "\n".join(_BAD.sub(lambda m: m.group() if m.group() == "\t" else _escape(m), part) for part in keep)
        if line:
            value = _BAD.sub(_escape, value)
    if limit is not None and len(value) > limit:
        value = value[: max(0, limit - 1)] + "…"
    return value


def unsafe_chars(text: str) -> list[str]:
    """The characters of ``text`` that :func:`safe` would escape (line mode), as their escapes."""
    return [_escape(m) for m in _BAD.finditer(text)]


def has_controls(text: str) -> bool:
    """``True`` when ``text`` holds a C0/C1 control, DEL, or an invisible/bidi format character.

    For values that must be taken verbatim or refused (an API key): nothing there is ever valid.
    """
    return _BAD.search(text) is not None


def without_controls(text: str) -> str:
    """``text`` with every character :func:`safe` would escape *deleted*, except ``\n`` and tabs.

    For data, not display: :func:`animetui.providers.base.server_text` normalises what a server
    sent with it (one definition of "unsafe" for both), so stored results, history and JSON hold
    no control characters. It does not make a string safe to show — that is :func:`safe`'s job,
    where the string is shown (line breaks and tabs are kept here as data).
    """
    if _BAD.search(text) is None:
        return text
    return _BAD.sub(lambda m: m.group() if m.group() in "\n\t" else "", text)


def for_stream(text: str) -> str:
    """Text already laid out for a stream (CLI output): like ``safe(line=False)`` but ``\\r`` and BEL stay.

    The CLI's own progress line redraws itself with ``\\r`` and ``jobs watch`` rings the bell; every
    other control is shown escaped. Values inside the text were made safe where they were put in.
    """
    if _BAD.search(text) is None:
        return text
    return _BAD.sub(lambda m: m.group() if m.group() in "\n\t\r\a" else _escape(m), text)


class SafeStream:
    """A text stream wrapper that passes everything written through :func:`for_stream`.

    The CLI installs it over ``sys.stdout``/``sys.stderr`` for a command's run: whatever prints —
    a table, an error line, a log record, argparse — cannot write a control sequence to the terminal.
    Everything else (``isatty``, ``fileno``, ``encoding``, ``flush``) is the wrapped stream's.
    """

    def __init__(self, inner: object) -> None:
        self._inner = inner

    def write(self, text: str) -> int:
        self._inner.write(for_stream(text))  # type: ignore[attr-defined]
        return len(text)

    def writelines(self, lines: object) -> None:
        for line in lines:  # type: ignore[attr-defined]
            self.write(line)

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def _picture(match: re.Match[str]) -> str:
    code = ord(match.group())
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ … ␟ (␛ for ESC)
    if code == 0x7F:
        return "\u2421"  # ␡
    return "\ufffd"


def one_for_one(text: str) -> str:
    """``text`` with each character :func:`safe` would escape replaced by ONE visible character.

    For an edit box, where the cursor counts characters: C0 controls as their Unicode control
    pictures (``␛`` for ESC, ``␊`` for a newline), DEL as ``␡``, anything else (C1, bidi, invisible
    format characters, lone surrogates) as U+FFFD. The value being edited is left as it is.
    """
    if _BAD.search(text) is None:
        return text
    return _BAD.sub(_picture, text)
