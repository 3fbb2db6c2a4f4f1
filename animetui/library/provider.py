"""``local``: the user's own library as a scene provider — free, offline, no quota.

Implements :class:`animetui.providers.base.SceneSearcher`; results are
:class:`~animetui.library.search.LibraryMatch` (a :class:`~animetui.models.SceneMatch` that also
says which file and the best second). CPU work runs in a thread.
"""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from animetui.errors import BadInput, Unsupported
from animetui.models import ImageSource, SceneResult

if TYPE_CHECKING:
    from animetui.library.db import LibraryDB
    from animetui.library.search import Searcher


FRAMES = 3  # matches that get their frame taken from the video with the search


class LocalLibraryProvider:
    name = "local"

    def __init__(self, data_dir: Path, settings: dict[str, Any] | None = None, *, cut_borders: bool = True, flip: bool = False,
                 frames_dir: Path | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.frames_dir = frames_dir  # where the frames of the matches are saved (None: not taken)
        self.settings = settings or {}
        self.cut_borders, self.flip = cut_borders, flip
        self._lock = threading.Lock()
        self._db: LibraryDB | None = None
        self._searcher: Searcher | None = None

    @property
    def db_path(self) -> Path:
        from animetui.library.db import default_path

        return default_path(self.data_dir)

    def available(self) -> bool:
        """A library exists (so "local" is worth trying first)."""
        return self.db_path.exists()

    def _open(self) -> Searcher:
        with self._lock:
            if self._searcher is None:
                from animetui.library.db import LibraryDB
                from animetui.library.index import open_index
                from animetui.library.search import Searcher

                if not self.available():
                    raise BadInput("no local library yet: add one with `animetui library add DIR`")
                db = self._db = LibraryDB(self.db_path)
                self._searcher = Searcher(db, open_index(db, self.settings))
            return self._searcher

    def search_sync(self, image: Any, *, top: int = 5) -> SceneResult:
        return self.search_with(image, top=top)

    def search_with(self, image: Any, *, cut_borders: bool | None = None, flip: bool | None = None,
                    top: int = 5) -> SceneResult:
        searcher = self._open()
        cut = self.cut_borders if cut_borders is None else bool(cut_borders)
        mirrored = self.flip if flip is None else bool(flip)
        with self._lock:
            matches = searcher.search_image(image, cut=cut, flip=mirrored, top=top)
        return SceneResult(matches=tuple(self._with_frames(matches)))

    def _with_frames(self, matches: list[Any]) -> list[Any]:
        """The first :data:`FRAMES` matches get the frame at their second, taken from the video and
        saved under the cache (as trace.moe's previews are downloaded with a search), so the
        Results pane shows it inline. A file that cannot be read keeps its match, frameless."""
        if self.frames_dir is None:
            return matches
        import dataclasses
        import hashlib

        from animetui.errors import AnimetuiError

        out = []
        for n, match in enumerate(matches):
            if n < FRAMES and match.file:
                key = hashlib.sha256(f"{match.file}\0{match.at}".encode()).hexdigest()[:32]
                target = self.frames_dir / f"{key}.png"
                try:
                    if not target.is_file():
                        self.frames_dir.mkdir(parents=True, exist_ok=True)
                        temp = target.with_suffix(".part")
                        temp.write_bytes(self.frame(match))
                        temp.replace(target)  # atomic: never half a picture
                    match = dataclasses.replace(match, preview_path=str(target))
                except (AnimetuiError, OSError):
                    pass
            out.append(match)
        return out

    async def search_scene(self, source: ImageSource, *, cut_borders: bool | None = None,
                           flip: bool | None = None) -> SceneResult:
        """A scene lookup (``animetui.lookups``): ``cut_borders`` / ``flip`` default to the
        ``library.cut_borders`` / ``library.flip`` settings."""
        if source.url is not None:
            raise Unsupported("the local library searches a file or a pasted picture, not a URL")
        image = source.path if source.path is not None else source.data
        return await asyncio.to_thread(self.search_with, image, cut_borders=cut_borders, flip=flip)

    def frame(self, match: Any) -> bytes:
        """The picture at the match's best second, taken from the video (PNG)."""
        from animetui.library.frames import frame_at

        return frame_at(Path(match.file), float(match.at or match.start or 0.0))

    def close(self) -> None:
        with self._lock:
            if self._searcher is not None:
                self._searcher.index.close()
            if self._db is not None:
                self._db.close()
            self._db = self._searcher = None

    async def aclose(self) -> None:
        self.close()


def create(ctx: Any) -> LocalLibraryProvider:
    """Built by :class:`animetui.providers.Providers` from the ``[library]`` settings."""
    if ctx.data_dir is None:
        raise BadInput("the local library needs a data directory")
    settings = dict(ctx.settings)
    frames = Path(ctx.cache_dir) / "library-frames" if ctx.cache_dir is not None else None
    return LocalLibraryProvider(Path(ctx.data_dir), settings, cut_borders=bool(settings.get("cut_borders", True)),
                                flip=bool(settings.get("flip", False)), frames_dir=frames)
