"""Title and episode from a file's name and its folders (anitopy, a port of Anitomy: the parser
anime players and trackers use; pure Python, no dependencies).

Order: the folder's title override (``library title DIR "Title"``) > the title in the file name >
the title in the nearest folder name that has one (``Show/Season 1/ep3.mkv`` → ``Show``) > the
file name without its extension.
"""

from __future__ import annotations

import re
from pathlib import Path

_SEASON_DIR = re.compile(r"^(season|s)\s*\d+$|^(specials?|extras?|sp)$", re.I)


def _parse(name: str) -> dict:
    try:
        import anitopy

        result = anitopy.parse(name)
    except Exception:  # noqa: BLE001 - a parser hiccup on a strange name must not stop indexing
        return {}
    return result if isinstance(result, dict) else {}


def _first(value: object) -> str | None:
    if isinstance(value, list):
        value = value[0] if value else None
    return str(value).strip() or None if value is not None else None


def title_and_episode(path: Path, *, root: Path | None = None, override: str | None = None) -> tuple[str, str | None]:
    parsed = _parse(path.name)
    episode = _first(parsed.get("episode_number"))
    season = _first(parsed.get("anime_season"))
    if episode and season:
        episode = f"S{int(season):02d}E{episode}" if season.isdigit() else episode
    if override:
        return override, episode
    title = _first(parsed.get("anime_title"))
    if not title:
        for parent in path.parents:
            if root is not None and parent == root.parent:
                break
            if not parent.name or _SEASON_DIR.match(parent.name):
                continue
            title = _first(_parse(parent.name + ".mkv").get("anime_title")) or parent.name
            break
    return title or path.stem, episode
