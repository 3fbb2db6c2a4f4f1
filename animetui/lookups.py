"""Lookups through the cache: the one way the CLI and the TUI run a search.

``LookupService.characters()`` / ``.scene()`` hash the image (in a thread), answer from the
history when the same image was looked up with the same provider and parameters (no request, no
credit), and otherwise call the provider and save the result with a thumbnail. ``refresh=True``
forces a fresh lookup. URL sources are keyed by the URL text (we never fetched the bytes).

A scene lookup names the provider(s) it asks (:meth:`LookupService.scene_providers` resolves a
choice such as ``"all"`` from the specs); each provider's answer is cached under its own name, and
the matches come back together, each labelled with its engine (``SceneMatch.engine``). One
provider failing does not lose the others' matches (``LookupOutcome.errors``).
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from animetui.errors import AnimetuiError, BadInput
from animetui.models import LIKELY, CharacterResult, ImageSource, SceneMatch, SceneResult
from animetui.pictures.sources import read_source, sha256_bytes
from animetui.providers.spec import CHARACTERS, SCENE
from animetui.providers.specs import all_specs, capable

if TYPE_CHECKING:
    from animetui.history import History, UnavailableHistory
    from animetui.providers import Providers


@dataclass(frozen=True, slots=True)
class LookupOutcome:
    result: CharacterResult | SceneResult
    cached: bool
    entry_id: int | None
    sha256: str
    #: scene lookups: each provider that answered → its own outcome (in the order asked)
    parts: dict[str, "LookupOutcome"] = field(default_factory=dict)
    #: scene lookups over several providers: the ones that failed (the others' matches stand)
    errors: dict[str, AnimetuiError] = field(default_factory=dict)
    provider: str = ""


#: ``observer(kind, provider, error, cached)`` after each provider's part of a lookup
Observer = Callable[[str, str, BaseException | None, bool], None]
ALL = "all"


def scene_choices(data_dir: Any = None) -> tuple[str, ...]:
    """What a scene lookup may name: each scene-capable provider present here (a local library
    only when one exists in ``data_dir``), or ``all``."""
    return (*(s.name for s in capable(SCENE) if s.is_present(data_dir)), ALL)


def resolve_scene_providers(choice: str | Sequence[str] | None, *, data_dir: Any = None) -> tuple[str, ...]:
    """``"all"`` / ``None`` → every scene provider present here (without ``data_dir``: the ones
    that need nothing on this machine, i.e. not the local library); a name or names → those
    (checked; naming the library works even before one exists — it says so)."""
    known = tuple(s.name for s in capable(SCENE))
    everyone = tuple(s.name for s in capable(SCENE) if s.is_present(data_dir))
    if choice is None or choice == ALL:
        return everyone
    names = (choice,) if isinstance(choice, str) else tuple(choice)
    if ALL in names:
        return everyone
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise BadInput(f"unknown scene provider {', '.join(unknown) or '(none)'}; choose {', '.join(scene_choices(data_dir))}")
    return tuple(dict.fromkeys(names))


def _first_asked(names: tuple[str, ...], settings: Any) -> tuple[str, ...]:
    """The providers in ``names`` asked before the others (a local library, ``library.search =
    first``); with ``off`` they are dropped when others were asked too."""
    first = []
    for s in all_specs():
        if s.name in names and s.first:
            policy = str(settings.get(f"{s.section}.search", "first") or "first") if settings is not None else "first"
            if policy == "first":
                first.append(s.name)
    return tuple(first)


def _dropped(names: tuple[str, ...], settings: Any) -> tuple[str, ...]:
    """``library.search = off``: "all" leaves the library out (it is asked only when chosen)."""
    if len(names) < 2 or settings is None:
        return names
    off = {s.name for s in all_specs() if s.first and settings.get(f"{s.section}.search") == "off"}
    kept = tuple(n for n in names if n not in off)
    return kept or names


def leading_scene_providers(choice: str | Sequence[str] | None, settings: Any) -> tuple[str, ...]:
    """The engines a scene lookup of ``choice`` asks first (the local library under ``library.search
    = first``) before the others; empty when all are asked at once. A cost question for the others
    can wait until these have answered (:meth:`LookupService.scene`'s ``before_remote``)."""
    if choice is None:
        choice = str(settings.get("general.scene_provider", ALL) or ALL) if settings is not None else ALL
    names = resolve_scene_providers(choice, data_dir=getattr(settings, "data_dir", None))
    if choice == ALL:
        names = _dropped(names, settings)
    return _first_asked(names, settings) if len(names) > 1 else ()


def _labelled(result: SceneResult, engine: str) -> SceneResult:
    if all(m.engine == engine for m in result.matches):
        return result
    return dataclasses.replace(result, matches=tuple(dataclasses.replace(m, engine=engine) for m in result.matches))


def merge_scenes(parts: Sequence[SceneResult]) -> SceneResult:
    """The matches of several engines together, best similarity first (ties: the order asked)."""
    if len(parts) == 1:
        return parts[0]
    matches: list[SceneMatch] = [m for part in parts for m in part.matches]
    ordered = sorted(enumerate(matches), key=lambda im: (-(im[1].similarity or 0.0), im[0]))
    credits = [p.credits_left for p in parts if p.credits_left is not None]
    return SceneResult(matches=tuple(m for _i, m in ordered), credits_left=credits[0] if credits else None)


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
    def __init__(self, providers: "Providers", history: "History | UnavailableHistory | None") -> None:
        self.providers = providers
        self.history = history
        self._observers: list[Observer] = []

    def observe(self, observer: Observer) -> Callable[[], None]:
        """Call ``observer`` after each provider's part of every lookup; returns the unsubscribe."""
        self._observers.append(observer)
        return lambda: self._observers.remove(observer) if observer in self._observers else None

    def _notify(self, kind: str, provider: str, error: BaseException | None, cached: bool) -> None:
        for observer in list(self._observers):
            observer(kind, provider, error, cached)

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

        recognizers = capable(CHARACTERS)
        if not recognizers:
            raise BadInput("no provider can recognise characters")
        name = recognizers[0].name
        provider = self.providers.get(name)

        async def call(prepared: ImageSource) -> CharacterResult:
            return await provider.recognize(prepared, model=model, multi=multi, ai_detect=ai_detect)

        try:
            outcome = await self._lookup("characters", name, source, params, call, refresh)
        except AnimetuiError as exc:
            self._notify("characters", name, exc, False)
            raise
        self._notify("characters", name, None, outcome.cached)
        return outcome

    async def scene(
        self,
        source: ImageSource,
        *,
        providers: str | Sequence[str] | None = None,
        refresh: bool = False,
        options: dict[str, Any] | None = None,
        before_remote: Callable[[], Awaitable[bool]] | None = None,
    ) -> LookupOutcome:
        """Ask ``providers`` (a name, names or ``"all"``; default: the ``general.scene_provider``
        setting) at once. ``options`` (e.g. ``cut_borders``) go to the providers whose spec
        declares them. Raises the error when every provider asked failed.

        With a local library asked first (:func:`leading_scene_providers`), the others are asked
        only when it has no "likely" match, and then only if ``before_remote()`` (the TUI's cost
        question) says yes; a no leaves the library's answer alone."""
        settings = self.providers.settings
        if providers is None:
            providers = str(settings.get("general.scene_provider", ALL) or ALL)
        names = resolve_scene_providers(providers, data_dir=getattr(settings, "data_dir", None))
        if providers == ALL:
            names = _dropped(names, settings)
        leading = _first_asked(names, settings) if len(names) > 1 else ()
        options = options or {}
        prepared = await prepare_source(source)

        async def one(name: str) -> LookupOutcome:
            declared = next(s for s in all_specs() if s.name == name)
            section = self.providers.section(name)
            kwargs: dict[str, Any] = {}
            for option in declared.scene_options:  # the effective value keys the cache entry
                value = options.get(option)
                kwargs[option] = value if value is not None else section.get(option)
            params = dict(kwargs)
            provider = self.providers.get(name)

            async def call(ready: ImageSource) -> SceneResult:
                return _labelled(await provider.search_scene(ready, **kwargs), name)

            try:
                # a local library changes under the answer (a rescan): asked afresh, still saved
                fresh = refresh or not declared.network
                outcome = await self._lookup("scene", name, source, params, call, fresh, prepared=prepared)
            except AnimetuiError as exc:
                self._notify("scene", name, exc, False)
                raise
            self._notify("scene", name, None, outcome.cached)
            labelled = _labelled(outcome.result, name)  # type: ignore[arg-type]
            return dataclasses.replace(outcome, result=labelled, provider=name)

        answers: list[LookupOutcome | BaseException] = []
        asked: tuple[str, ...] = names
        if leading:  # the local library first; the remote engines only when it has no likely match
            answers = list(await asyncio.gather(*(one(n) for n in leading), return_exceptions=True))
            if any(isinstance(a, LookupOutcome) and isinstance(a.result, SceneResult)
                   and any(m.confidence == LIKELY for m in a.result.matches[:1]) for a in answers):
                asked = leading
            elif before_remote is not None and not await before_remote():
                asked = leading  # declined: nothing spent, the library's own matches stand
            else:
                rest = tuple(n for n in names if n not in leading)
                answers += await asyncio.gather(*(one(n) for n in rest), return_exceptions=True)
                asked = leading + rest
        else:
            answers = list(await asyncio.gather(*(one(n) for n in names), return_exceptions=True))
        names = asked
        parts: dict[str, LookupOutcome] = {}
        errors: dict[str, AnimetuiError] = {}
        for name, answer in zip(names, answers, strict=True):
            if isinstance(answer, AnimetuiError):
                errors[name] = answer
            elif isinstance(answer, BaseException):
                raise answer
            else:
                parts[name] = answer
        if not parts:
            raise errors[names[0]]
        if len(names) == 1:
            only = parts[names[0]]
            return dataclasses.replace(only, parts=parts)
        results = [p.result for p in parts.values() if isinstance(p.result, SceneResult)]
        first = next(iter(parts.values()))
        return LookupOutcome(
            merge_scenes(results),
            all(p.cached for p in parts.values()),
            first.entry_id,
            prepared.sha256,
            parts=parts,
            errors=errors,
            provider=ALL,
        )

    async def _lookup(
        self,
        kind: str,
        provider: str,
        source: ImageSource,
        params: dict[str, Any],
        call: Any,
        refresh: bool,
        *,
        prepared: _Prepared | None = None,
    ) -> LookupOutcome:
        if prepared is None:
            prepared = await prepare_source(source)
        history = self.history
        if history is None:
            return LookupOutcome(await call(prepared.source), False, None, prepared.sha256, provider=provider)
        # SQLite and Pillow stay off the event loop (History's connection allows other threads).
        if not refresh:
            hit = await asyncio.to_thread(history.cached, kind=kind, provider=provider, sha256=prepared.sha256, params=params)
            if hit is not None:
                return LookupOutcome(hit.result, True, hit.id, prepared.sha256, provider=provider)
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
        return LookupOutcome(result, False, entry_id, prepared.sha256, provider=provider)
