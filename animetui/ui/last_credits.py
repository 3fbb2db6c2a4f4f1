"""whatanimeisthis credits in the header from the first frame, not only after the first search.

Without a session there is no endpoint that says how many searches are left: the number comes
with each search answer. So at start, once the credits refresh has run and still does not know,
the most recent scene search of today in the lookup history gives "as of the last search" (the
same figure the provider itself would show from memory before the restart).
"""

from __future__ import annotations

import asyncio
import datetime as dt
from typing import Any


async def seed_from_history(app: Any, refresh: Any = None) -> None:
    """After ``refresh`` (the credits worker) ends: fill an unknown whatanimeisthis count from history."""
    from animetui.models import Credits
    from animetui.ui.widgets.status_header import StatusHeader

    if refresh is not None:
        try:
            await refresh.wait()
        except Exception:  # noqa: BLE001 - a failed refresh leaves the header as it is
            pass
    header = app.query_one(StatusHeader)
    if header.credits.get("whatanime", "?") not in ("?", "") or not header.keys.get("whatanime", False):
        return
    services = await app.services()
    history = getattr(services.lookups, "history", None)
    if history is None or not hasattr(history, "list"):
        return
    today = dt.datetime.now(dt.UTC).date()  # as the history stamps its rows and the provider counts days

    def latest() -> float | None:
        for entry in history.list(limit=50):
            if entry.kind != "scene":
                continue
            if dt.datetime.fromtimestamp(entry.created_at, dt.UTC).date() != today:
                return None  # newest first: older than today means none today
            left = getattr(entry.result, "credits_left", None)
            if left is not None:
                return float(left)
        return None

    left = await asyncio.to_thread(latest)
    if left is not None and header.credits.get("whatanime", "?") in ("?", ""):
        try:  # the provider's own words: a guest has searches, a key or an account credits
            section = services.providers.section("whatanime")
            keyed = bool(section.get("api_key")) or services.providers.whatanime.session is not None
        except Exception:  # noqa: BLE001
            keyed = False
        header.set_credits(Credits("whatanime", left, "credits" if keyed else "searches", detail="as of the last search"))
