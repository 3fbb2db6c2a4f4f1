"""Results pane: what a lookup found — scene matches and recognised characters — beside the picture.

* Scene matches: similarity, its confidence label (``models.confidence_label``: likely /
  unsure (uncertain) / wrong? (probably wrong — the episode may not be indexed)), episode, from–to (mm:ss), the engine that found it and the title in
  the ``general.title_language``; under 90 % in the warning colour. A lookup asks the engine(s)
  chosen with ``e`` (default: ``general.scene_provider``); their matches are shown together,
  best first. Adult matches are hidden unless ``n`` (or ``general.show_adult_scenes``) shows
  them; the title line says how many are hidden. One engine failing leaves the others' matches.
* Characters: numbered detections, ``?`` for ``not_confident``, candidates as "character — work",
  and the AI-generated verdict when the service gave one. Moving through the list highlights that
  box on the picture; ``i`` zooms into it, ``v`` hides the boxes.
* Moving through the scene matches (scene table focused) shows each match's preview frame in the
  picture area (downloaded once into the preview cache); back in the detections list, the looked-up
  picture and its boxes return.
* ``c`` copies the selected title or character name (OSC 52 — works over SSH; inside tmux it needs
  ``set -g set-clipboard on``); ``l`` / ``y`` copy the match's AniList / MyAnimeList link.
* A match's preview frame that the engine downloaded with the search (trace.moe's expire in 300 s)
  is shown from the cache, with no request.

Lookups run in one exclusive worker: a new lookup cancels the one in flight. Each section shows
its own state (searching…, n matches, nothing found, or the error as a readable line); an error is
also a notification. Server strings only ever reach the screen as ``rich.text.Text``.

Lookups go through :class:`animetui.lookups.LookupService`, so an image already looked up with the
same parameters is answered from history (no request, no credit); ``cached`` is shown.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, on, work
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import DataTable, Static

from animetui.ui.bindings import bindings
from animetui.ui.format import one_line
from animetui.ui.messages import DetectionHighlighted, LookupFinished
from animetui.ui.panes.base import Pane
from animetui.ui.pictures.view import ImageView
from animetui.ui.services import ServicesUnavailable, host_of, services_of
from animetui.ui.widgets.detection_list import DetectionList
from animetui.ui.widgets.fitted_table import FittedTable
from animetui.ui.panes.results_tables import CONFIDENCE_SHORT, LOW_SIMILARITY, add_scene_columns, fill_scene_table, new_scene_table
from animetui.ui.widgets.line import update_line
from animetui.ui.widgets.row_detail import RowDetail

from animetui.models import CharacterResult, SceneResult

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from animetui.models import ImageSource, SceneMatch
    from animetui.runtime import Runtime

__all__ = ["CONFIDENCE_SHORT", "LOW_SIMILARITY", "ResultsPane"]


class ResultsPane(Pane):
    TITLE = "Results"
    KEY = "2"
    BINDINGS = bindings("results")

    def __init__(self, *, renderer: str, id: str | None = "results", idle_hint: str = "") -> None:
        super().__init__(id=id)
        self.renderer = renderer
        #: shown until the first lookup, whatever repaints the status (demo mode: what to try)
        self.idle_hint = idle_hint
        self.source: ImageSource | None = None
        self.scene: SceneResult | None = None
        self.characters: CharacterResult | None = None
        self.errors: dict[str, str] = {}
        self.running: set[str] = set()
        self._lookup_gen = 0
        #: which engine(s) a scene search asks: a provider name or "all"; None → general.scene_provider
        self.scene_engine: str | None = None
        self.show_adult: bool | None = None  # None → general.show_adult_scenes
        self.shown: tuple[SceneMatch, ...] = ()  # the scene rows on screen (adult ones maybe hidden)
        self.hidden_adult = 0

    def compose(self) -> ComposeResult:
        yield Static(Text("Choose an image in Files, then press s (scene), r (characters) or b (both).", style="italic"), id="results-status")
        with Horizontal(id="results-body"):
            yield ImageView(id="results-image", renderer=self.renderer, placeholder="The looked-up picture appears here")
            with Vertical(id="results-lists"):
                yield Static("", id="scene-title", classes="section-title")
                yield new_scene_table("scene-table")
                yield RowDetail(id="scene-detail")
                yield Static("", id="chars-title", classes="section-title")
                yield DetectionList(id="detections")

    def on_mount(self) -> None:
        add_scene_columns(self.query_one("#scene-table", FittedTable))
        self._update_titles()
        if self.idle_hint:
            self._update_status()

    # ------------------------------------------------------------------ choices
    def _setting(self, name: str, default: object) -> object:
        try:
            return host_of(self).settings.get(name, default)
        except ServicesUnavailable:
            return default

    @property
    def engine_choice(self) -> str:
        return self.scene_engine or str(self._setting("general.scene_provider", "all") or "all")

    @property
    def data_dir(self) -> object:
        """Where a local library would be (None without services: then no library is offered)."""
        try:
            return getattr(host_of(self).settings, "data_dir", None)
        except ServicesUnavailable:
            return None

    @property
    def adult_shown(self) -> bool:
        return self.show_adult if self.show_adult is not None else bool(self._setting("general.show_adult_scenes", False))

    @property
    def title_language(self) -> str:
        return str(self._setting("general.title_language", "romaji") or "romaji")

    def engine_label(self) -> str:
        from animetui.lookups import resolve_scene_providers
        from animetui.providers import title_of

        try:
            names = resolve_scene_providers(self.engine_choice, data_dir=self.data_dir)
        except Exception:  # noqa: BLE001 - an unknown name in the config: the lookup says so
            return self.engine_choice
        return " + ".join(title_of(name) for name in names)

    def cycle_engine(self) -> str:
        """The next scene engine choice (each scene provider, then all); returns its label."""
        from animetui.lookups import scene_choices

        choices = scene_choices(self.data_dir)  # "local" only when a library exists
        current = self.engine_choice
        self.scene_engine = choices[(choices.index(current) + 1) % len(choices)] if current in choices else choices[0]
        self._update_titles()
        return self.engine_label()

    @property
    def image(self) -> ImageView:
        return self.query_one("#results-image", ImageView)

    @property
    def scene_table(self) -> FittedTable:
        return self.query_one("#scene-table", FittedTable)

    @property
    def detections(self) -> DetectionList:
        return self.query_one("#detections", DetectionList)

    def focus_default(self) -> None:
        first, second = (self.detections, self.scene_table) if self.characters is not None and self.characters.detections else (self.scene_table, self.detections)
        target = first if first.focusable else second if second.focusable else None  # a loading section cannot take the focus
        if target is None:
            self._hold_focus()  # both load: the pane keeps the focus (and its keys: x cancels)
        else:
            target.focus()

    # ------------------------------------------------------------------ lookups
    def run_lookup(self, source: ImageSource, kinds: tuple[str, ...], *, refresh: bool = False,
                   before_remote: "Callable[[], Awaitable[bool]] | None" = None) -> None:
        """Start a lookup; any lookup still running is cancelled. ``refresh`` skips the history;
        ``before_remote``: asked once the local library had no likely match (the cost question)."""
        self._lookup_gen += 1
        self._lookup(self._lookup_gen, source, kinds, refresh, before_remote)

    @work(exclusive=True, group="lookup", exit_on_error=False)
    async def _lookup(self, gen: int, source: ImageSource, kinds: tuple[str, ...], refresh: bool = False,
                      before_remote: "Callable[[], Awaitable[bool]] | None" = None) -> None:
        fresh_source = source != self.source
        self.source = source
        self.running = set(kinds)
        for kind in kinds:
            self.errors.pop(kind, None)
        if "scene" in kinds or fresh_source:
            self._show_scene(None)
        if "characters" in kinds or fresh_source:
            self._show_characters(None)
        if fresh_source:
            self.errors.clear()
        self.scene_table.loading = "scene" in kinds
        self.detections.loading = "characters" in kinds
        self._update_status()
        self._update_titles()
        try:
            try:
                services = await services_of(self)
            except Exception as exc:  # noqa: BLE001 - start-up failed: say so in each section
                for kind in kinds:
                    self.errors[kind] = str(exc)
                return
            picture = asyncio.create_task(self._show_picture(services, source)) if fresh_source or self.image.key is None else None
            jobs = []
            if "scene" in kinds:
                jobs.append(self._run_one(gen, "scene", services, source, refresh, before_remote))
            if "characters" in kinds:
                jobs.append(self._run_one(gen, "characters", services, source, refresh))
            await asyncio.gather(*jobs)
            if picture is not None:
                await picture
        finally:
            if gen == self._lookup_gen:
                self.running = set()
                self.scene_table.loading = False
                self.detections.loading = False
                self._update_status()
                self._update_titles()

    async def _run_one(self, gen: int, kind: str, services: "Runtime", source: ImageSource, refresh: bool = False,
                       before_remote: "Callable[[], Awaitable[bool]] | None" = None) -> None:
        from animetui.errors import AnimetuiError
        from animetui.providers import title_of

        title = "Scene search" if kind == "scene" else "Character recognition"
        try:
            if kind == "scene":
                outcome = await services.lookups.scene(source, providers=self.engine_choice, refresh=refresh, before_remote=before_remote)
            else:
                settings = services.providers.settings
                outcome = await services.lookups.characters(
                    source,
                    model=settings.get("providers.animetrace.model") or None,
                    multi=bool(settings.get("providers.animetrace.is_multi", True)),
                    ai_detect=bool(settings.get("providers.animetrace.ai_detect", True)),
                    refresh=refresh,
                )
        except asyncio.CancelledError:
            raise
        except AnimetuiError as exc:
            message = str(exc)
        except Exception as exc:  # noqa: BLE001 - never a traceback on screen
            message = f"unexpected error ({type(exc).__name__}); see the log"
            self.log.error(f"{title} failed: {exc!r}")
        else:
            if gen != self._lookup_gen:
                return
            self.running.discard(kind)
            if kind == "scene":
                self.scene_table.loading = False
                partial = "; ".join(f"{title_of(name)}: {exc.message}" for name, exc in outcome.errors.items())
                if partial:  # the other engine(s) answered: their matches stand
                    self.errors["scene"] = partial
                if isinstance(outcome.result, SceneResult):
                    self._show_scene(outcome.result, cached=outcome.cached)
                if partial:
                    self.app.notify(one_line(partial, 300), title=f"{title} failed", severity="error", markup=False)
            else:
                self.detections.loading = False
                if isinstance(outcome.result, CharacterResult):
                    self._show_characters(outcome.result, cached=outcome.cached)
            self._update_status()
            self.post_message(LookupFinished(kind, tuple(outcome.parts) or (outcome.provider,)))
            return
        if gen != self._lookup_gen:
            return
        self.running.discard(kind)
        self.errors[kind] = message
        if kind == "scene":
            self.scene_table.loading = False
        else:
            self.detections.loading = False
        self._update_titles()
        self._update_status()
        self.app.notify(message, title=f"{title} failed", severity="error", markup=False)

    async def _show_picture(self, services: "Runtime", source: ImageSource) -> None:
        from animetui.errors import AnimetuiError

        if source.path is not None:
            self.image.show(source.path, label=source.path.name)
            return
        if source.url is not None:
            from animetui.pictures.previews import fetch_preview

            self.image.clear("Fetching the picture…")
            try:
                path = await fetch_preview(services.downloads, source.url, services.cache_dir, typed=True)
            except AnimetuiError as exc:
                self.image.clear(f"No picture: {exc}")
                return
            if self.source == source:
                self.image.show(path, key=source.url, label=source.label.rsplit("/", 1)[-1])
                self._sync_boxes()

    def action_cancel_lookup(self) -> None:
        if not self.running:
            self.app.notify("No lookup is running.", timeout=2)
            return
        self.workers.cancel_group(self, "lookup")
        self._lookup_gen += 1
        for kind in self.running:
            self.errors[kind] = "cancelled"
        self.running = set()
        self.scene_table.loading = False
        self.detections.loading = False
        self._update_titles()
        self._update_status()

    # ------------------------------------------------------------------ rendering
    def _show_scene(self, result: SceneResult | None, *, cached: bool = False) -> None:
        cleared = result is None and self.scene is None and not self.scene_table.row_count
        self.scene = result
        self._scene_cached = cached
        table = self.scene_table
        if not cleared:  # an empty table cleared again repaints whole (each character lookup of a new picture)
            table.clear()
        matches = result.matches if result is not None else ()
        show_adult = self.adult_shown
        self.shown = tuple(m for m in matches if show_adult or not m.adult)
        self.hidden_adult = len(matches) - len(self.shown)
        if result is not None:
            warning = self.app.theme_variables.get("warning", "yellow")
            fill_scene_table(table, self.shown, language=self.title_language, warning=warning)
        self._show_match_detail(self.scene_table.cursor_row if self.shown else -1)
        self._update_titles()

    def _show_match_detail(self, row: int) -> None:
        """The highlighted match in full under the table (its cells are cut to the pane's width)."""
        from animetui.ui.widgets.row_detail import scene_match_detail

        detail = self.query_one("#scene-detail", RowDetail)
        ok = 0 <= row < len(self.shown)
        detail.show(scene_match_detail(row + 1, self.shown[row], self.title_language) if ok else None)

    def _show_characters(self, result: CharacterResult | None, *, cached: bool = False) -> None:
        self.characters = result
        self._chars_cached = cached
        self.detections.show_result(result)
        self._sync_boxes()
        self._update_titles()

    def _sync_boxes(self) -> None:
        from animetui.pictures.imaging import Box

        result = self.characters
        if result is None:
            self.image.set_boxes(())
            return
        boxes = [Box(d.box, i, d.not_confident) for i, d in enumerate(result.detections, start=1)]
        self.image.set_boxes(boxes, highlight=self.detections.selected_number)

    def _update_titles(self) -> None:
        scene = Text("Scene", style="bold")
        scene.append(f" ({one_line(self.engine_label(), 60)})", style="dim")
        scene.append(" · ")
        scene.append_text(self._section_state("scene"))
        scene_title = self.query_one("#scene-title", Static)
        scene_error = "scene" in self.errors and "scene" not in self.running
        update_line(scene_title, scene, layout=scene_error or scene_title.has_class("-error"))  # an error wraps
        scene_title.set_class(scene_error, "-error")
        chars = Text("Characters", style="bold")
        chars.append(" · ")
        if self.characters is not None and "characters" not in self.running and "characters" not in self.errors:
            # the verdict first: the line is cut at the pane's edge, and "(from history)" matters less
            verdict = self.characters.ai
            if verdict is True:
                chars.append("AI-generated: likely", style="bold")
                chars.append(" · ")
            elif verdict is False:
                chars.append("AI-generated: no · ")
        chars.append_text(self._section_state("characters"))
        chars_title = self.query_one("#chars-title", Static)
        chars_error = "characters" in self.errors and "characters" not in self.running
        update_line(chars_title, chars, layout=chars_error or chars_title.has_class("-error"))
        chars_title.set_class(chars_error, "-error")

    def _section_state(self, kind: str) -> Text:
        if kind in self.running:
            return Text("searching…", style="italic")
        if kind in self.errors and (kind != "scene" or self.scene is None):
            error = self.app.theme_variables.get("error", "red")
            return Text(f"✗ {one_line(self.errors[kind], 300)}", style=error)
        if kind == "scene":
            if self.scene is None:
                return Text("—", style="dim")
            count = len(self.shown)
            text = Text("no match found" if count == 0 and not self.hidden_adult else f"{count} match{'es' if count != 1 else ''}")
            if self.hidden_adult:
                text.append(f" · {self.hidden_adult} NSFW result{'s' if self.hidden_adult != 1 else ''} hidden (n shows)",
                            style="bold")
            if getattr(self, "_scene_cached", False):
                text.append(" (from history)", style="dim")
            if self.scene.credits_left is not None:
                text.append(f" · {self.scene.credits_left} searches left", style="dim")
            if "scene" in self.errors:  # one engine failed, the others answered
                text.append(f" · ✗ {one_line(self.errors['scene'], 200)}", style=self.app.theme_variables.get("error", "red"))
            return text
        if self.characters is None:
            return Text("—", style="dim")
        count = len(self.characters.detections)
        text = Text("none found" if count == 0 else f"{count} found")
        if getattr(self, "_chars_cached", False):
            text.append(" (from history)", style="dim")
        return text

    def _update_status(self) -> None:
        status = Text()
        if self.source is None:
            status.append(self.idle_hint or "No lookup yet.", style="" if self.idle_hint else "italic")
        else:
            status.append(one_line(self.source.label, 200), style="bold")
            if self.running:
                status.append("  ◌ looking up…", style="italic")
            elif not self.image.display:  # too narrow for the picture: say how to see it
                status.append("  z: picture & boxes", style="italic")
        update_line(self.query_one("#results-status", Static), status)

    def on_resize(self) -> None:
        self._update_status()  # the picture's hint comes and goes with the room

    # ------------------------------------------------------------------ scene match previews
    @on(DataTable.RowHighlighted, "#scene-table")
    def _scene_row(self, event: DataTable.RowHighlighted) -> None:
        self._show_match_detail(event.cursor_row)
        if self.app.focused is self.scene_table:
            self._show_match_preview(event.cursor_row)

    def on_descendant_focus(self, event: events.DescendantFocus) -> None:
        """Scene table focused: the highlighted match's preview frame; detections: the picture again."""
        if event.widget is self.scene_table:
            self._show_match_preview(self.scene_table.cursor_row)
        elif event.widget is self.detections:
            self._show_source_picture()

    def _show_match_preview(self, row: int) -> None:
        matches = self.shown
        if not 0 <= row < len(matches):
            return
        match = matches[row]
        title = one_line(match.title_in(self.title_language), 80)
        if match.clip_path or match.video_url:
            title += " · p: clip"
        if match.preview_path and Path(match.preview_path).is_file():  # downloaded with the search
            self.image.show(Path(match.preview_path), key=match.preview_path, label=f"match {row + 1} · {title}")
            return
        if match.image_url:
            self._match_preview(row, match.image_url, title)

    @work(exclusive=True, group="match-preview", exit_on_error=False)
    async def _match_preview(self, row: int, url: str, title: str) -> None:
        """Download the match's preview frame once (``animetui.pictures.previews`` caches it), then show it."""
        from animetui.errors import AnimetuiError
        from animetui.pictures.previews import fetch_preview

        try:
            services = await services_of(self)
            path = await fetch_preview(services.downloads, url, services.cache_dir)
        except AnimetuiError as exc:
            self.image.clear(f"No preview for match {row + 1}: {exc}")
            return
        if self.app.focused is self.scene_table and self.scene_table.cursor_row == row:
            self.image.show(path, key=url, label=f"match {row + 1} · {title}")

    def _show_source_picture(self) -> None:
        source = self.source
        if source is None:
            return
        if source.path is not None:
            if self.image.key != str(source.path):
                self.image.show(source.path, label=source.path.name)
                self._sync_boxes()
        elif source.url is not None and self.image.key != source.url:
            from animetui.pictures.previews import cache_path

            cached = cache_path(host_of(self).settings.cache_dir, source.url)
            if cached.exists():  # fetched when the lookup started
                self.image.show(cached, key=source.url, label=source.label.rsplit("/", 1)[-1])
                self._sync_boxes()

    # ------------------------------------------------------------------ events
    @on(DetectionHighlighted)
    def _detection_highlighted(self, event: DetectionHighlighted) -> None:
        event.stop()
        self.image.set_highlight(event.number)

    @on(DetectionList.OptionSelected, "#detections")
    def _detection_selected(self, event: DetectionList.OptionSelected) -> None:
        self.action_zoom_box()

    # ------------------------------------------------------------------ actions
    def action_copy(self) -> None:
        text = self.selected_text()
        if not text:
            self.app.notify("Nothing selected to copy.", timeout=2)
            return
        from animetui.ui.clipboard import copy

        copy(self.app, text)

    def selected_text(self) -> str | None:
        focused = self.app.focused
        if focused is self.scene_table or (self.characters is None or not self.characters.detections):
            match = self.selected_match()
            if match is not None:
                return one_line(match.title_in(self.title_language), 300)
        detection = self.detections.selected_detection
        if detection is not None and detection.candidates:
            return one_line(detection.candidates[0].character, 300)
        return None

    def selected_match(self) -> "SceneMatch | None":
        row = self.scene_table.cursor_row
        return self.shown[row] if 0 <= row < len(self.shown) else None

    def _copy_link(self, which: str) -> None:
        match = self.selected_match()
        if match is None:
            self.app.notify("Highlight a scene match first.", timeout=2)
            return
        link = match.anilist_url if which == "AniList" else match.mal_url
        if not link:
            self.app.notify(f"This match has no {which} id.", timeout=3)
            return
        self.app.copy_to_clipboard(link)
        self.app.notify(f"Copied {link}", title="Clipboard", timeout=3, markup=False)

    def action_play(self) -> None:
        """``p``: a library match from that second, else the match's muted preview clip."""
        from animetui.ui.flows.play import play_match

        play_match(self)

    def action_copy_time(self) -> None:
        """``C``: a library match — copy the video's path with the time."""
        from animetui.ui.flows.play import copy_time

        copy_time(self)

    def action_copy_anilist(self) -> None:
        self._copy_link("AniList")

    def action_copy_mal(self) -> None:
        self._copy_link("MyAnimeList")

    def clip_ready(self, match: "SceneMatch", path: Path) -> None:
        """A clip fetched on demand: keep its path on the match (played again with no request)."""
        import dataclasses

        saved = dataclasses.replace(match, clip_path=str(path))
        self.shown = tuple(saved if m is match else m for m in self.shown)
        if self.scene is not None:
            self.scene = dataclasses.replace(self.scene, matches=tuple(saved if m is match else m for m in self.scene.matches))

    def action_toggle_adult(self) -> None:
        self.show_adult = not self.adult_shown
        if self.scene is not None:
            self._show_scene(self.scene, cached=getattr(self, "_scene_cached", False))
        self.app.notify("NSFW matches shown" if self.show_adult else "NSFW matches hidden", timeout=2)

    def action_toggle_boxes(self) -> None:
        shown = self.image.toggle_boxes()
        self.app.notify("Boxes shown" if shown else "Boxes hidden", timeout=2)

    def action_zoom_box(self) -> None:
        number = self.detections.selected_number
        if number is None:
            self.app.notify("Highlight a character first.", timeout=2)
            return
        self.image.zoom(None if self.image.zoomed == number else number)
