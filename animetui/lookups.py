"""Lookups through the cache: the one way the CLI and the TUI run a search.

``LookupService.characters()`` / ``.scene()`` hash the image (in a thread), answer from the
history when the same image was looked up with the same provider and parameters (no request, no
credit), and otherwise call the provider and save the result with a thumbnail. ``refresh=True``
forces a fresh lookup. URL sources are keyed by the URL text (we never fetched the bytes).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from animetui.images import read_source, sha256_bytes
from animetui.models import CharacterResult, ImageSource, SceneResult

if TYPE_CHECKING:
    from animetui.history import History
    from animetui.providers import Providers


@dataclass(frozen=True, slots=True)
class LookupOutcome:
    result: CharacterResult | SceneResult
    cached: bool
    entry_id: int | None
    sha256: str


@dataclass(frozen=True, slots=True)
class _Prepared:
    source: ImageSource  # bytes in memory for files (read once), the URL otherwise
    sha256: str


async def prepare_source(source: ImageSource) -> _Prepared:
    """Read and hash a source, in a thread."""
    if source.url is not None:
        return _Prepared(source, sha256_bytes(source.url.encode("utf-8")))

    def work() -> _Prepared:
        data = source.data if source.data is not None else read_source(source.path)  # type: ignore[arg-type]
        return _Prepared(ImageSource(data=data, name=source.label), sha256_bytes(data))

    return await asyncio.to_thread(work)


class LookupService:
    def __init__(self, providers: "Providers", history: "History | None") -> None:
        self.providers = providers
        self.history = history

    async def characters(
        self,
        source: ImageSource,
        *,
        model: str | None = None,
        multi: bool = True,
        ai_detect: bool = True,
        refresh: bool = False,
    ) -> LookupOutcome:
        params = {"model": model or "", "multi": multi, "ai_detect": ai_detect}

        async def call(prepared: ImageSource) -> CharacterResult:
            return await self.providers.animetrace.recognize(prepared, model=model, multi=multi, ai_detect=ai_detect)

        return await self._lookup("characters", "animetrace", source, params, call, refresh)  # type: ignore[return-value]

    async def scene(self, source: ImageSource, *, refresh: bool = False) -> LookupOutcome:
        async def call(prepared: ImageSource) -> SceneResult:
            return await self.providers.whatanime.search_scene(prepared)

        return await self._lookup("scene", "whatanime", source, {}, call, refresh)  # type: ignore[return-value]

    async def _lookup(
        self,
        kind: str,
        provider: str,
        source: ImageSource,
        params: dict[str, Any],
        call: Any,
        refresh: bool,
    ) -> LookupOutcome:
        prepared = await prepare_source(source)
        history = self.history
        if history is None:
            return LookupOutcome(await call(prepared.source), False, None, prepared.sha256)
        # SQLite and Pillow stay off the event loop (History's connection allows other threads).
        if not refresh:
            hit = await asyncio.to_thread(history.cached, kind=kind, provider=provider, sha256=prepared.sha256, params=params)
            if hit is not None:
                return LookupOutcome(hit.result, True, hit.id, prepared.sha256)
        result = await call(prepared.source)

        def save() -> int:
            from animetui.history import make_thumbnail

            data = prepared.source.data
            return history.add(
                kind=kind,
                provider=provider,
                sha256=prepared.sha256,
                params=params,
                result=result,
                source_label=source.label,
                source_path=str(source.path.resolve()) if source.path is not None else None,
                source_url=source.url,
                thumbnail=make_thumbnail(data) if data is not None else None,  # only on a miss
            )

        entry_id = await asyncio.to_thread(save)
        return LookupOutcome(result, False, entry_id, prepared.sha256)
