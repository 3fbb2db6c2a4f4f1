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


class LocalLibraryProvider:
    name = "local"

    def __init__(self, data_dir: Path, settings: dict[str, Any] | None = None, *, cut_borders: bool = True, flip: bool = False) -> None:
        self.data_dir = Path(data_dir)
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
        searcher = self._open()
        with self._lock:
            matches = searcher.search_image(image, cut=self.cut_borders, flip=self.flip, top=top)
        return SceneResult(matches=tuple(matches))

    async def search_scene(self, source: ImageSource) -> SceneResult:
        if source.url is not None:
            raise Unsupported("the local library searches a file or a pasted picture, not a URL")
        image = source.path if source.path is not None else source.data
        return await asyncio.to_thread(self.search_sync, image)

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
