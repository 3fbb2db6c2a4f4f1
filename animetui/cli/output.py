"""What every command prints through: tables, JSON, the one-line error, exit codes.

Nothing here imports more than the standard library at the top (the CLI's start-up cost); the
sanitiser (:mod:`animetui.text`) and redaction are imported when something is printed.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any, TextIO

EXIT_OK = 0
EXIT_USAGE = 2
EXIT_ERROR = 3
EXIT_NETWORK = 4
EXIT_JOB = 5
EXIT_INTERRUPTED = 130

class UsageError(Exception):
    pass


def cell_len(text: str) -> int:
    try:
        from rich.cells import cell_len as rich_cell_len

        return rich_cell_len(text)
    except Exception:  # noqa: BLE001
        return len(text)


def clip(text: str, width: int) -> str:
    if cell_len(text) <= width:
        return text
    out = ""
    for char in text:
        if cell_len(out + char) > width - 1:
            break
        out += char
    return out + "…"


def print_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], *, max_width: int = 48, file: TextIO | None = None) -> None:
    out = file or sys.stdout
    cells = [[clip(plain(v), max_width) for v in row] for row in rows]
    widths = [cell_len(h) for h in headers]
    for row in cells:
        for i, value in enumerate(row):
            widths[i] = max(widths[i], cell_len(value))

    def line(values: Sequence[str]) -> str:
        return "  ".join(v + " " * (widths[i] - cell_len(v)) for i, v in enumerate(values)).rstrip()

    print(line(list(headers)), file=out)
    print("  ".join("─" * w for w in widths), file=out)
    for row in cells:
        print(line(row), file=out)


def flag(given: bool | None, configured: Any) -> bool:
    """A --x/--no-x switch: what the command line said, else the setting."""
    return bool(configured) if given is None else given


def plain(value: Any) -> str:
    """A value for terminal output: no control characters, ever (server strings are untrusted)."""
    from animetui.text import safe

    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:g}"
    return safe(value, limit=10_000)


def mmss(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    seconds = max(0.0, seconds)
    hours, rest = divmod(int(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes:02d}:{secs:02d}"


def percent(similarity: float | None) -> str:
    return "–" if similarity is None else f"{similarity * 100:.1f}%"


def emit_json(payload: Any) -> None:
    print(json_text(payload))


def json_text(payload: Any) -> str:
    """JSON, readable (non-ASCII kept) but with every control/bidi/lone-surrogate character ``\\u``-escaped."""
    return json_safe(json.dumps(payload, ensure_ascii=False, indent=2))


def json_safe(text: str) -> str:
    """A JSON text with its control/bidi/lone-surrogate characters ``\\u``-escaped (still the same JSON)."""
    from animetui.text import _BAD

    # JSON escapes C0 itself; C1, DEL, bidi and lone surrogates (a non-UTF-8 file name) are left raw by
    # ensure_ascii=False. Outside strings there is only ASCII structure and whitespace (\n from indent).
    return _BAD.sub(lambda m: m.group() if m.group() == "\n" else "".join(f"\\u{u:04x}" for u in _utf16(m.group())), text)


def _utf16(char: str) -> list[int]:
    code = ord(char)
    if code <= 0xFFFF:
        return [code]
    code -= 0x10000
    return [0xD800 + (code >> 10), 0xDC00 + (code & 0x3FF)]


def err(message: str) -> None:
    from animetui.redact import redact
    from animetui.text import safe

    print(f"animetui: {safe(redact(message))}", file=sys.stderr)


def error_kind(exc: BaseException | type[BaseException]) -> str:
    """``NetworkError`` -> ``network``, ``RateLimited`` -> ``rate_limited`` (the JSON error's kind)."""
    import re

    name = (exc if isinstance(exc, type) else type(exc)).__name__.lstrip("_")
    snake = re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()
    return snake.removesuffix("_error") or "error"


def fail(message: str, *, kind: str, exit_code: int, as_json: bool) -> int:
    """The one way a command fails: one line on stderr and, with ``--json``, an error object on stdout."""
    from animetui.redact import redact
    from animetui.text import safe

    if as_json:
        emit_json({"error": {"message": safe(redact(message)), "kind": kind, "exit_code": exit_code}})
    err(message)
    return exit_code


def wants_json(args: argparse.Namespace) -> bool:
    """The command was given ``--json``."""
    return bool(getattr(args, "json", False))
