"""A job's result file: its name, what its bytes are, and the download that saves it.

Files are ``<downloads>/<YYYY-MM-DD_HHMM>_<slug>_<id6>.<ext>`` (the slug comes from the job's kind:
:meth:`~animetui.jobs.kind.Kind.file_slug`); the name is fixed (and journalled) when the job
enters ``DOWNLOADING``, so a resumed download replaces the same file. :func:`animetui.net.download`
writes ``.<name>.<random>.part`` beside it, fsyncs and renames, so a final name only ever holds a
complete file; stray ``.part`` files of ours are removed on start (:func:`clean_part_files`).

The extension comes from the bytes (WEBP/JPEG/PNG/…), falling back to the URL, then to the kind's
documented format. A download that fails transiently (network, 5xx) is retried with backoff until
the kind's result lifetime has passed, then the job is ``EXPIRED``; a 404/410 on the link is
``EXPIRED`` at once, another 4xx ``FAILED`` at once (the link stays in ``result_url`` either way).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import os
import re
import time
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from animetui.errors import AnimetuiError, NotFound
from animetui.jobs.kind import JobContext
from animetui.models import Job, JobState

MAX_BACKOFF = 60.0
NOT_AN_IMAGE_TEXT = (
    "the result link gave a file that is not an image Pillow can read; nothing was saved — "
    "the result link is kept with the job"
)
IMAGE_SUFFIXES = (".webp", ".jpg", ".jpeg", ".png", ".gif", ".bmp")
#: our result names (see file_name) — only .part files of such names are ever removed
RESULT_NAME = re.compile(r"^\d{4}-\d{2}-\d{2}_\d{4}_.*_[0-9a-f]{6}\.[a-z0-9]{2,5}$")
PART_FILE = re.compile(r"^\.(?P<name>.+)\.[A-Za-z0-9_]{6,12}\.part$")


# --------------------------------------------------------------------------- naming
def slug(text: str, *, words: int = 6, limit: int = 48) -> str:
    """A file-name-safe, readable piece of ``text`` (letters of any script kept)."""
    normal = unicodedata.normalize("NFKC", text).lower()
    parts = [p for p in re.split(r"[^\w]+|_", normal) if p]
    return "-".join(parts[:words])[:limit].strip("-")


def file_name(job: Job, suffix: str, readable: str) -> str:
    """``2026-12-01_2121_<readable>_<id6><suffix>``; the kind's name when ``readable`` is empty."""
    stamp = time.strftime("%Y-%m-%d_%H%M", time.localtime(job.created_at))
    return f"{stamp}_{readable or str(job.kind)}_{job.id[:6]}{suffix}"


# --------------------------------------------------------------------------- what the bytes are
def sniff_suffix(path: Path) -> str | None:
    try:
        with path.open("rb") as handle:
            head = handle.read(16)
    except OSError:
        return None
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return ".webp"
    if head.startswith(b"\xff\xd8\xff"):
        return ".jpg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return ".png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return ".gif"
    if head.startswith(b"BM"):
        return ".bmp"
    return None


def url_suffix(url: str) -> str | None:
    path = url.split("?", 1)[0].split("#", 1)[0]
    suffix = Path(path).suffix.lower()
    if suffix == ".jpeg":
        return ".jpg"
    return suffix if suffix in IMAGE_SUFFIXES else None


def existing_result(path: Path) -> Path | None:
    """The saved file for ``path`` (perhaps renamed to the format its bytes are), if its bytes
    are an image (an older animetui may have saved an HTML page under an image name)."""
    for candidate in (path, *(path.with_suffix(suffix) for suffix in IMAGE_SUFFIXES)):
        if candidate.is_file() and sniff_suffix(candidate) is not None:
            return candidate
    return None


def is_image(path: Path) -> bool:
    """Are ``path``'s bytes an image Pillow can read (magic bytes first, then ``verify``)?"""
    if sniff_suffix(path) is None:
        return False
    try:
        from PIL import Image

        with Image.open(path) as image:
            image.verify()
    except Exception:  # noqa: BLE001 - any complaint from Pillow: not an image we can show
        return False
    return True


# --------------------------------------------------------------------------- download
async def download(
    job: Job,
    dest: Path,
    *,
    ctx: JobContext,
    client: Any,
    slots: asyncio.Semaphore,
    too_old: Callable[[Job], bool],
) -> None:
    """Fetch a paid result until it is saved, the link dies, or ``too_old(job)``.

    A result that cannot be written (disk full, folder not writable) stays ``DOWNLOADING`` with a
    "waiting: …" note and is tried again with back-off until its link expires: it was paid for,
    so it is never given up while it may still be fetched. A link that can never give the file (a
    redirect to ``file://`` or in a loop, a 4xx, a body that is not an image) ends the job at once
    with the reason.
    """
    from animetui import net  # httpx: only once a result is fetched, not when a kind's words are read

    url = job.result_url
    assert url
    if job.result_path != str(dest):
        job = await ctx.save(job, result_path=str(dest))
    existing = existing_result(dest)
    if existing is not None:
        await ctx.save(job, state=JobState.SUCCEEDED, result_path=str(existing), error="")
        return
    remove_parts(dest)
    troubles = 0
    while True:
        try:
            async with slots:
                await net.download(client, url, dest, provider=job.provider)
        except NotFound as exc:
            await ctx.save(job, state=JobState.EXPIRED, error=f"{exc.message}; the result can no longer be fetched")
            return
        except AnimetuiError as exc:
            permanent = permanent_failure(exc)
            if permanent is not None:
                await ctx.save(
                    job,
                    state=JobState.FAILED,
                    error=f"{permanent}; the result cannot be fetched from it — the link is kept with the job",
                )
                return
            reason, text = exc.message, f"{exc.message}; trying the download again"
        except OSError as exc:
            reason = text = waiting_for_disk(dest.parent, exc)
        else:
            # net.download refuses bodies that do not start like an image; Pillow checks the
            # rest (a truncated or forged header) before the job is called done
            if await asyncio.to_thread(is_image, dest):
                break
            with contextlib.suppress(OSError):
                dest.unlink()
            await ctx.save(job, state=JobState.FAILED, error=NOT_AN_IMAGE_TEXT)
            return
        troubles += 1
        if too_old(job):
            await ctx.save(
                job,
                state=JobState.EXPIRED,
                error=f"{reason}; gave up 24 h after the submission, the link is no longer valid",
            )
            return
        if job.error != text:
            job = await ctx.save(job, error=text)
        await ctx.sleep(ctx.jittered(min(MAX_BACKOFF, 2.0 ** min(troubles, 6))))
    final = dest
    actual = sniff_suffix(dest)
    if actual is not None and actual != dest.suffix.lower() and not (actual == ".jpg" and dest.suffix.lower() == ".jpeg"):
        final = dest.with_suffix(actual)
        try:
            os.replace(dest, final)
        except OSError:
            final = dest
    await ctx.save(job, state=JobState.SUCCEEDED, result_path=str(final), error="")


def permanent_failure(exc: AnimetuiError) -> str | None:
    """Why asking the result link again can never give the file — a 4xx, over the size cap, or
    :class:`animetui.errors.ResultUnavailable` (``permanent``: a redirect to ``file://`` or in a
    loop, a body that is not an image) — or None for trouble that may pass (network, 5xx)."""
    if exc.permanent or not exc.retryable:
        return exc.message
    return None


def waiting_for_disk(folder: Path, exc: OSError) -> str:
    """The "waiting: …" note of a paid result that could not be written."""
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return (
            f"waiting: disk full — could not save the result in {folder}; free some space "
            "(animetui keeps trying until the link expires)"
        )
    return (
        f"waiting: could not save the result in {folder} ({exc.strerror or exc}); fix the folder or "
        "change general.downloads_dir (animetui keeps trying until the link expires)"
    )


# --------------------------------------------------------------------------- leftovers
def _glob_escape(text: str) -> str:
    return re.sub(r"([*?\[])", r"[\1]", text)


def remove_parts(dest: Path) -> None:
    """Remove the ``.part`` files an interrupted download of ``dest`` left."""
    with contextlib.suppress(OSError):
        for path in dest.parent.glob(f".{_glob_escape(dest.name)}.*.part"):
            with contextlib.suppress(OSError):
                path.unlink()


def clean_part_files(folders: Iterable[Path], keep: set[str]) -> None:
    """Remove leftover ``.part`` files of our result names in ``folders``, except for the result
    names in ``keep`` (a live runner elsewhere is writing them)."""
    for folder in folders:
        try:
            entries = list(folder.glob(".*.part"))
        except OSError:
            continue
        for path in entries:
            match = PART_FILE.match(path.name)
            if not match or not RESULT_NAME.match(match["name"]) or match["name"] in keep:
                continue
            with contextlib.suppress(OSError):
                path.unlink()
