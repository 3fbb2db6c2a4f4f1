"""Command palette (Ctrl+P): every action in ``animetui.ui.bindings.ACTIONS``, by a short verb
("Scene search", "Recognise characters"), with its long text and key as the help line.

Pane actions run through the app's ``pane(<pane>, <action>)`` action, so they work from anywhere
(the pane gets the focus first). Textual's own commands stay alongside, minus the ones ours
replace (the app drops its Maximize/Minimize, Quit and Keys: ``z``, ``q`` and ``?`` do those).
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from animetui.ui.bindings import ACTIONS, Action

#: the palette's name of each action: a short verb phrase, unique in the palette
NAMES: dict[str, str] = {
    "scene-search": "Scene search",
    "recognize": "Recognise characters",
    "both": "Scene search and characters",
    "scene-engine": "Switch scene engine",
    "scene-nsfw": "Show or hide NSFW matches",
    "copy-anilist": "Copy AniList link",
    "copy-mal": "Copy MyAnimeList link",
    "generate": "Generate an image",
    "cartoonize": "Photo to anime",
    "focus-files": "Go to Files",
    "focus-results": "Go to Results",
    "focus-rankings": "Go to Rankings",
    "focus-jobs": "Go to Jobs",
    "maximize": "Maximise pane",
    "toggle-files": "Hide/show Files",
    "toggle-results": "Hide/show Results",
    "toggle-rankings": "Hide/show Rankings",
    "toggle-jobs": "Hide/show Jobs",
    "open-with": "Open with viewer",
    "reveal": "Open containing folder",
    "fresh-lookup": "Look up again (fresh)",
    "history": "History",
    "batch": "Batch lookup",
    "settings": "Settings",
    "sign-in": "Sign in",
    "sign-out": "Sign out",
    "api-keys": "API keys",
    "help": "Help: all keys",
    "quit": "Quit",
    "open-location": "Open path or URL",
    "jump": "Jump to name",
    "hidden": "Show/hide hidden files",
    "parent": "Parent folder",
    "reload-files": "Reload folder",
    "mark": "Mark file",
    "mark-folder": "Mark folder",
    "mark-tree": "Mark folder and subfolders",
    "clear-marks": "Unmark all",
    "copy-result": "Copy result",
    "cancel-lookup": "Cancel lookup",
    "boxes": "Show/hide boxes",
    "zoom-box": "Zoom into box",
    "open-page": "Open match page",
    "play-match": "Play match",
    "copy-match-time": "Copy video path and time",
    "next-period": "Next ranking period",
    "prev-period": "Previous ranking period",
    "limit": "Rankings limit",
    "nsfw": "Rankings: NSFW on/off",
    "recent-tab": "Rankings / Recent",
    "copy-ranking": "Copy ranking title",
    "reload-rankings": "Reload rankings",
    "cancel-job": "Cancel job",
    "retry-job": "Retry job",
    "delete-job": "Delete job",
    "open-job": "Open job result",
    "job-prompt": "Read job prompt",
    "copy-job": "Copy job result path",
    "history-filter": "History: filter",
    "history-open": "History: show lookup",
    "history-view": "History: open picture",
    "history-reveal": "History: open folder",
    "history-mark": "History: mark",
    "history-rerun": "History: re-run",
    "history-delete": "History: delete",
    "history-export": "History: export",
    "history-close": "History: back",
    "batch-pause": "Batch: pause/resume",
    "batch-cancel": "Batch: cancel",
    "batch-export": "Batch: export",
    "batch-close": "Batch: back",
    "library": "Library (your own videos)",
    "library-add": "Library: add folder",
    "library-rescan": "Library: rescan",
    "library-pause": "Library: pause/resume indexing",
    "library-cancel": "Library: cancel indexing",
    "library-title": "Library: correct title",
    "library-close": "Library: back",
}
#: Textual's own palette commands that ours replace
REPLACED_SYSTEM_COMMANDS = frozenset({"Maximize", "Minimize", "Quit", "Keys"})


def name(action: Action) -> str:
    return NAMES.get(action.id, action.title)


def help_line(action: Action) -> str:
    return f"{action.help} · key: {action.key_display}"


class AnimeCommands(Provider):
    """Every animetui action."""

    def _actions(self) -> list[Action]:
        return [a for a in ACTIONS if a.palette]

    async def _run(self, action: Action) -> None:
        await self.app.run_action(action.palette_action)

    async def discover(self) -> Hits:
        for action in self._actions():
            yield DiscoveryHit(name(action), partial(self._run, action), help=help_line(action))

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in self._actions():
            title = name(action)
            score = max(matcher.match(title), matcher.match(action.help) * 0.5)
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action), text=title, help=help_line(action))
