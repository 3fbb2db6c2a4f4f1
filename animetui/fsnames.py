"""File names that are not valid UTF-8, kept intact through the databases and shown safely.

On POSIX a file name is bytes. Python decodes the bytes that are not UTF-8 with
``surrogateescape`` (``b"\\xff"`` becomes ``"\\udcff"``): such a ``str`` opens the right file, but
cannot be encoded as UTF-8, so SQLite, a log file, a JSON answer or the terminal refuse it
(``UnicodeEncodeError … surrogates not allowed``).

* :func:`to_db` / :func:`from_db`: a name for a SQLite ``TEXT`` column. A name that is valid
  Unicode is stored as text (as before); one with escaped bytes is stored as its raw bytes (a
  BLOB), so it comes back as the very same name and the file can be opened again (a resumed batch,
  a history entry's source). Rows written before this existed read back unchanged.
* :func:`shown`: the name as text anything can print or encode: the undecodable bytes appear as
  ``\\xff`` (the name stays recognisable; nothing is lost from the file system).
* :func:`json_text`: ``json.dumps`` for text that may hold such names, kept exact
  (``\\udcff`` escapes, which ``json.loads`` turns back into the same name).
"""

from __future__ import annotations

import json
from typing import Any


def has_escapes(text: str) -> bool:
    """True if ``text`` holds surrogates (undecodable bytes of a file name) and cannot be UTF-8."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


def to_db(text: str | None) -> str | bytes | None:
    """``text`` as SQLite can store it: itself, or its file-system bytes when it is not UTF-8."""
    if text is None or not has_escapes(text):
        return text
    try:
        return text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a lone surrogate no file name has: keep it readable, not exact
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def from_db(value: Any) -> Any:
    """The inverse of :func:`to_db` (a BLOB comes back as the original ``str``)."""
    if isinstance(value, (bytes, memoryview)):
        return bytes(value).decode("utf-8", "surrogateescape")
    return value


def shown(text: str) -> str:
    """``text`` with undecodable bytes written as ``\\xNN``: safe to encode, print and log."""
    if not has_escapes(text):
        return text
    try:
        raw = text.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return raw.decode("utf-8", "backslashreplace")


def json_text(value: Any, **kwargs: Any) -> str:
    """``json.dumps`` that keeps non-ASCII text readable and escapes only what UTF-8 cannot hold."""
    text = json.dumps(value, ensure_ascii=False, **kwargs)
    if has_escapes(text):
        text = json.dumps(value, ensure_ascii=True, **kwargs)
    return text
