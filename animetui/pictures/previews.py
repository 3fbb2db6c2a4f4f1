"""Preview images from URLs (a pasted image URL, a scene match's thumbnail): downloaded once, cached.

The TUI shows pictures it did not make: the image behind a pasted ``https://`` URL and the preview
frame of each scene match. Both are fetched through the providers' credential-free download
client (``Providers.downloads``) with :func:`animetui.net.download` (atomic, size-capped), into
``<cache dir>/previews/<sha256 of the URL><suffix>``, so scrolling back to a match costs no request.
This module exists so the UI never touches httpx itself.

Assumption: a URL's bytes do not change while cached (previews are content-addressed thumbnails,
and a pasted URL is looked up once). ``refresh=True`` fetches again.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from animetui.errors import BadInput

MAX_PREVIEW_BYTES = 25 * 1024 * 1024
_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".gif", ".bmp")


def cache_path(cache_dir: Path, url: str) -> Path:
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:40]
    suffix = Path(urlsplit(url).path).suffix.lower()
    return cache_dir / "previews" / (digest + (suffix if suffix in _SUFFIXES else ""))


async def fetch_preview(
    client: Any,
    url: str,
    cache_dir: Path,
    *,
    provider: str = "preview",
    refresh: bool = False,
    max_bytes: int = MAX_PREVIEW_BYTES,
    typed: bool = False,
) -> Path:
    """The local file holding ``url``'s bytes (downloaded now unless cached).

    ``typed``: the user just typed or pasted ``url`` (not a link a service gave us), so "the link
    may have expired" would be wrong: a missing picture is said as such.
    """
    from animetui.errors import NotFound
    from animetui.net import download

    if not url.lower().startswith(("http://", "https://")):
        raise BadInput(f"{url[:80]}: not an http(s) URL")
    dest = cache_path(cache_dir, url)
    if dest.exists() and not refresh:
        return dest
    try:
        return await download(client, url, dest, provider=provider, max_bytes=max_bytes)
    except NotFound as exc:
        if not typed:
            raise
        host = urlsplit(url).hostname or "the server"
        raise NotFound(f"{host} has no picture at this address; check the link", code=exc.code) from exc
