"""Preview images and clips from URLs (a pasted image URL, a scene match's thumbnail and short
clip): downloaded once, cached.

The TUI shows pictures it did not make: the image behind a pasted ``https://`` URL and the preview
frame of each scene match. Both are fetched through the providers' credential-free download
client (``Providers.downloads``) with :func:`animetui.net.download` (atomic, size-capped), into
``<cache dir>/previews/<sha256 of the URL><suffix>``, so scrolling back to a match costs no request.
A match's preview clip (:func:`fetch_clip`) goes to ``<cache dir>/clips/`` (or where its engine
keeps it: trace.moe's ``save_clip``). This module exists so the UI never touches httpx itself.

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


def is_clip(head: bytes) -> bool:
    """Whether a file starts like a preview clip (MP4 ``ftyp``, WebM/Matroska, or a GIF standing in)."""
    return head[4:8] == b"ftyp" or head.startswith((b"\x1a\x45\xdf\xa3", b"GIF87a", b"GIF89a"))


def clip_cache_path(cache_dir: Path, url: str) -> Path:
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:40]
    suffix = Path(urlsplit(url).path).suffix.lower()
    return cache_dir / "clips" / (digest + (suffix if suffix in (".mp4", ".webm", ".gif") else ".mp4"))


async def fetch_clip(providers: Any, match: Any, cache_dir: Path, *, client: Any = None) -> Path:
    """A scene match's short preview clip as a local file, for the user's player.

    The clip saved with the search (``match.clip_path``) when it is still there; else the engine's
    own ``save_clip`` (trace.moe: muted, through its limiter); else, for an engine that only gives
    a ``video`` link, a plain download of it with the credential-free client (``client``, default
    ``providers.downloads``). Its link expires minutes after the search (the error says so).
    """
    from animetui.errors import ServerError, Unsupported
    from animetui.net import download

    saved = getattr(match, "clip_path", None)
    if saved and Path(saved).is_file():
        return Path(saved)
    url = getattr(match, "video_url", None)
    if not url:
        raise Unsupported("this match has no preview clip")
    engine = getattr(match, "engine", "") or ""
    provider = None
    if engine:
        try:
            provider = providers.get(engine)
        except KeyError:
            provider = None
    saver = getattr(provider, "save_clip", None)
    if saver is not None:
        return Path(await saver(match))
    if not url.lower().startswith(("http://", "https://")):
        raise Unsupported("this match's clip is not a web address")
    dest = clip_cache_path(cache_dir, url)
    if not dest.is_file():
        await download(client if client is not None else providers.downloads, url, dest, provider=engine or "preview",
                       max_bytes=MAX_PREVIEW_BYTES, image=False)
        with dest.open("rb") as handle:
            if not is_clip(handle.read(16)):
                dest.unlink(missing_ok=True)
                raise ServerError("the preview clip was not a video", provider=engine)
    return dest
