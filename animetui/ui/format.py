"""Small text formatters the panes share (times, percentages, paths, credits).

Pure functions; no Textual. Every string that reaches the screen goes through
:func:`animetui.text.safe` (controls, ESC, bidi shown visibly); :func:`display_path`, :func:`one_line`
and :func:`shown` are the panes' ways to it. Markup is *not* escaped here: panes build
``rich.text.Text`` objects (never markup strings) from them, which cannot be interpreted as markup.
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING

from animetui.text import safe

if TYPE_CHECKING:  # animetui.models costs start-up time; only its type is needed here
    from animetui.models import Credits


def display_path(path: Path | str) -> str:
    """``~/pictures/a.png`` for paths under the home directory, the path as is otherwise; safe to show."""
    text = os.fspath(path) if isinstance(path, os.PathLike) else str(path)
    home = os.path.expanduser("~")
    if home and home != "/" and (text == home or text.startswith(home.rstrip("/") + "/")):
        text = "~" + text[len(home.rstrip("/")):]
    return safe(text)


def mmss(seconds: float | None) -> str:
    """``12:34`` (``1:02:03`` past an hour); ``--:--`` when unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return "--:--"
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{secs:02d}"
    return f"{minutes:02d}:{secs:02d}"


def span(start: float | None, end: float | None) -> str:
    if start is None and end is None:
        return "--:--"
    if end is None or end == start:
        return mmss(start)
    return f"{mmss(start)}–{mmss(end)}"


def percent(value: float | None) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value * 100:.1f}%"


def elapsed(seconds: float | None) -> str:
    """``4s``, ``2m05s``, ``1h02m``: short, for a table column."""
    if seconds is None or not math.isfinite(seconds):
        return "—"
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{int(seconds)}s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def ago(iso: str | None, now: float) -> str:
    """``5m ago`` from an ISO 8601 time the server sent; the raw text if it does not parse."""
    if not iso:
        return "—"
    try:
        stamp = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    except ValueError:
        return safe(iso[:16])
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=timezone.utc)
    delta = now - stamp.timestamp()
    if delta < 0:
        return "just now"
    if delta < 60:
        return f"{int(delta)}s ago"
    if delta < 3600:
        return f"{int(delta // 60)}m ago"
    if delta < 86400:
        return f"{int(delta // 3600)}h ago"
    return f"{int(delta // 86400)}d ago"


def credits_text(credit: "Credits") -> str:
    """``$4.20``, ``17 searches``, ``120 credits``, ``?`` when unknown."""
    if credit.remaining is None:
        return "?"
    value = credit.remaining
    if credit.unit == "usd":
        return f"${value:,.2f}"
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    if credit.total is not None and credit.unit != "usd":
        total = f"{credit.total:,.0f}" if float(credit.total).is_integer() else f"{credit.total:,.2f}"
        return f"{number}/{total} {credit.unit}"
    return f"{number} {credit.unit}"


def one_line(text: object, limit: int = 200) -> str:
    """Any string made safe (:func:`animetui.text.safe`) with its whitespace collapsed: one table line."""
    value = safe(text)
    return safe(" ".join(value.split()), limit=limit)


def shown(text: object, *, line: bool = True, limit: int | None = None) -> str:
    """:func:`animetui.text.safe`, for the panes (a file name, a label, a dialog body with ``line=False``)."""
    return safe(text, line=line, limit=limit)
