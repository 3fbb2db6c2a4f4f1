"""Every key and every action in one table: the footer, the help screen and the palette read it.

One row per action. ``scope`` says where the key works: ``app`` everywhere, a pane's name while
the focus is inside that pane (the footer shows what applies where the focus is), ``modal``
inside a dialog (listed in help only; the dialogs own those keys). The command palette offers
every row that is not ``modal`` and runs it through the app (``pane(<scope>, <action>)`` for pane
rows), so each action has both a key and a palette entry.

Keys are Textual key names; several keys for one action are comma-separated.
"""

from __future__ import annotations

from dataclasses import dataclass

from textual.binding import Binding, BindingType

#: what each lookup key runs
LOOKUP_KINDS: dict[str, tuple[str, ...]] = {
    "scene": ("scene",),
    "characters": ("characters",),
    "both": ("scene", "characters"),
}

SCOPES = ("app", "files", "results", "rankings", "jobs", "history", "batch", "library", "modal")
#: scopes that are whole screens (the palette opens the screen first: ``screen(<scope>, <action>)``)
SCREEN_SCOPES = ("history", "batch", "library")
SCOPE_TITLES = {
    "app": "Everywhere",
    "files": "Files pane",
    "results": "Results pane",
    "rankings": "Rankings / Recent pane",
    "jobs": "Jobs pane",
    "history": "History screen",
    "batch": "Batch screen",
    "library": "Library screen",
    "modal": "Dialogs",
}


@dataclass(frozen=True, slots=True)
class Action:
    id: str
    keys: str
    action: str
    title: str  # short: the footer label
    help: str  # one sentence: help screen and palette
    scope: str
    show: bool = True  # in the footer
    palette: bool = True

    @property
    def palette_action(self) -> str:
        """What the app runs when this is picked in the command palette."""
        if self.scope == "app":
            return self.action
        if self.scope in SCREEN_SCOPES:
            return f"screen({self.scope!r}, {self.action!r})"
        return f"pane({self.scope!r}, {self.action!r})"

    @property
    def current_keys(self) -> str:
        """The keys in effect: the user's keymap (``animetui.ui.keymap``) or the default."""
        return _OVERRIDES.get(self.id, self.keys)

    @property
    def key_display(self) -> str:
        keys = [k for k in self.current_keys.split(",") if k.strip()]
        return " / ".join(display_key(k) for k in keys) if keys else "—"


#: action id -> keys, set by :func:`animetui.ui.keymap.apply` from ``general.keymap`` and ``[keys]``
_OVERRIDES: dict[str, str] = {}


def set_overrides(keymap: dict[str, str]) -> None:
    _OVERRIDES.clear()
    _OVERRIDES.update(keymap)


def keys_of(action_id: str) -> str:
    return ACTIONS_BY_ID[action_id].current_keys


_KEY_NAMES = {
    "question_mark": "?",
    "full_stop": ".",
    "slash": "/",
    "left_square_bracket": "[",
    "right_square_bracket": "]",
    "escape": "Esc",
    "enter": "Enter",
    "delete": "Del",
    "backspace": "Backspace",
    "tab": "Tab",
    "comma": ",",
    "asterisk": "*",
    "space": "Space",
    "plus": "+",
    "minus": "-",
}


def display_key(key: str) -> str:
    key = key.strip()
    if key in _KEY_NAMES:
        return _KEY_NAMES[key]
    if key.startswith("ctrl+"):
        rest = display_key(key[5:])
        return "Ctrl+" + (rest.upper() if len(rest) == 1 else rest)
    if key.startswith("f") and key[1:].isdigit():
        return key.upper()
    return key


ACTIONS: tuple[Action, ...] = (
    # ---------------------------------------------------------------- everywhere
    Action("scene-search", "s", "lookup('scene')", "Scene", "Search which anime/episode/time the chosen image is from (the engine(s) chosen with e)", "app"),
    Action("scene-engine", "e", "cycle_scene_engine", "Engine", "Scene search engine: each one in turn, then all together (default: general.scene_provider)", "app", show=False),
    Action("recognize", "r", "lookup('characters')", "Characters", "Recognise the characters in the chosen image (AnimeTrace)", "app"),
    Action("both", "b", "lookup('both')", "Both", "Run scene search and character recognition together", "app"),
    Action("generate", "g", "generate", "Generate", "New text-to-image job (AnimeAPI)", "app"),
    Action("cartoonize", "a", "cartoonize", "To anime", "New photo-to-anime job from the chosen image (AILabTools)", "app"),
    Action("focus-files", "1", "focus_pane('files')", "Files", "Focus the Files pane", "app", show=False),
    Action("focus-results", "2", "focus_pane('results')", "Results", "Focus the Results pane", "app", show=False),
    Action("focus-rankings", "3", "focus_pane('rankings')", "Rankings", "Focus the Rankings pane", "app", show=False),
    Action("focus-jobs", "4", "focus_pane('jobs')", "Jobs", "Focus the Jobs pane", "app", show=False),
    Action("maximize", "z", "toggle_maximize", "Zoom", "Maximise the focused pane, or restore the layout", "app"),
    Action("toggle-files", "f2", "toggle_pane('files')", "Hide Files", "Hide or show the Files pane", "app", show=False),
    Action("toggle-results", "f3", "toggle_pane('results')", "Hide Results", "Hide or show the Results pane", "app", show=False),
    Action("toggle-rankings", "f4", "toggle_pane('rankings')", "Hide Rankings", "Hide or show the Rankings pane", "app", show=False),
    Action("toggle-jobs", "f5", "toggle_pane('jobs')", "Hide Jobs", "Hide or show the Jobs pane", "app", show=False),
    Action("open-with", "w", "open_with('open')", "Open", "Open the highlighted picture, result or saved file in your viewer ($ANIMETUI_OPENER, else xdg-open / open)", "app", show=False),
    Action("reveal", "W", "open_with('reveal')", "Folder", "Open the folder of the highlighted picture, result or saved file", "app", show=False),
    Action("fresh-lookup", "f", "fresh_lookup", "Fresh", "Look the chosen image up again, ignoring the history (costs a request)", "app", show=False),
    Action("history", "h", "history", "History", "Past lookups: filter, open offline, re-run, delete, export", "app"),
    Action("batch", "B", "batch", "Batch", "Run scene search and/or character recognition over the marked files", "app", show=False),
    Action("library", "I", "library", "Library", "Your own library: folders, indexing progress and ETA; offline scene search (no quota)", "app", show=False),
    Action("settings", "comma", "settings", "Settings", "Settings: every config key, where it came from; edit, save, reveal secrets", "app"),
    Action("sign-in", "L", "sign_in", "Sign in", "Sign in to whatanimeisthis (email and password)", "app", show=False),
    Action("sign-out", "O", "sign_out", "Sign out", "Sign out of whatanimeisthis (deletes the stored session)", "app", show=False),
    Action("api-keys", "K", "api_keys", "API keys", "List and create whatanimeisthis API keys (signed in)", "app", show=False),
    # no default key: the ``vim`` keymap preset gives them j/k/h/l, g/G (or bind them in [keys])
    Action("nav-down", "", "app.simulate_key('down')", "Down", "Move down (like ↓)", "app", show=False, palette=False),
    Action("nav-up", "", "app.simulate_key('up')", "Up", "Move up (like ↑)", "app", show=False, palette=False),
    Action("nav-left", "", "app.simulate_key('left')", "Left", "Move left / collapse (like ←)", "app", show=False, palette=False),
    Action("nav-right", "", "app.simulate_key('right')", "Right", "Move right / expand (like →)", "app", show=False, palette=False),
    Action("nav-top", "", "app.simulate_key('home')", "Top", "Go to the first row (like Home)", "app", show=False, palette=False),
    Action("nav-bottom", "", "app.simulate_key('end')", "Bottom", "Go to the last row (like End)", "app", show=False, palette=False),
    Action("help", "question_mark", "help", "Help", "List every key", "app"),
    Action("quit", "q,ctrl+q", "quit", "Quit", "Quit (running jobs resume next start)", "app"),
    # ---------------------------------------------------------------- files
    Action("open-location", "o,ctrl+l", "open_location", "Path/URL", "Type a path or paste an https:// image URL to use as the source", "files"),
    Action("jump", "slash", "jump", "Jump", "Type part of a name to jump to it in the tree", "files"),
    Action("hidden", "full_stop", "toggle_hidden", "Hidden", "Show or hide hidden files and folders", "files"),
    Action("parent", "u,backspace", "parent", "Up", "Go to the parent folder", "files"),
    Action("reload-files", "ctrl+r", "reload", "Reload", "Read the folder again", "files", show=False),
    Action("mark", "m", "toggle_mark", "Mark", "Mark or unmark the highlighted image for a batch", "files"),
    Action("mark-folder", "M", "mark_folder(False)", "Mark all", "Mark every image in the highlighted folder (again: unmark)", "files", show=False),
    Action("mark-tree", "asterisk", "mark_folder(True)", "Mark tree", "Mark every image in the highlighted folder and its subfolders", "files", show=False),
    Action("clear-marks", "ctrl+u", "clear_marks", "Unmark", "Unmark every file", "files", show=False),
    # ---------------------------------------------------------------- results
    Action("copy-result", "c", "copy", "Copy", "Copy the selected title or character name (OSC 52; works over SSH)", "results"),
    Action("copy-anilist", "l", "copy_anilist", "AniList", "Copy the highlighted scene match's AniList link", "results", show=False),
    Action("copy-mal", "y", "copy_mal", "MAL", "Copy the highlighted scene match's MyAnimeList link", "results", show=False),
    Action("scene-nsfw", "n", "toggle_adult", "NSFW", "Show or hide adult scene matches (hidden by default: general.show_adult_scenes)", "results", show=False),
    Action("cancel-lookup", "x", "cancel_lookup", "Cancel", "Cancel the lookup in flight", "results"),
    Action("boxes", "v", "toggle_boxes", "Boxes", "Show or hide the detection boxes on the picture", "results"),
    Action("zoom-box", "i", "zoom_box", "Zoom box", "Show the highlighted character's box at full detail (again: whole picture)", "results"),
    Action("play-match", "p", "play", "Play", "Play the highlighted match: your own video from that second (library), else its short muted preview clip ($ANIMETUI_PLAYER, else mpv, else your viewer)", "results", show=False),
    Action("copy-match-time", "C", "copy_time", "Copy path", "Copy the highlighted library match's path with the time", "results", show=False),
    Action("open-page", "ctrl+o", "app.open_with('page')", "Page", "Open the highlighted scene match's AniList page in the browser", "results", show=False),
    # ---------------------------------------------------------------- rankings
    Action("next-period", "p", "cycle_period(1)", "Period", "Next ranking period (daily, weekly, monthly, yearly, all)", "rankings"),
    Action("prev-period", "P", "cycle_period(-1)", "Prev period", "Previous ranking period", "rankings", show=False),
    Action("limit", "l", "cycle_limit", "Limit", "How many rankings to load (10, 25, 50, 100)", "rankings"),
    Action("nsfw", "n", "toggle_nsfw", "NSFW", "Include adult titles in the rankings (off by default)", "rankings"),
    Action("recent-tab", "t", "toggle_tab", "Recent", "Switch between Rankings and Recent searches", "rankings"),
    Action("copy-ranking", "c", "copy", "Copy", "Copy the selected title", "rankings"),
    Action("reload-rankings", "ctrl+r", "reload", "Reload", "Load the rankings / recent searches again", "rankings"),
    # ---------------------------------------------------------------- jobs
    Action("cancel-job", "x", "cancel_job", "Cancel", "Cancel the highlighted job", "jobs"),
    Action("retry-job", "R", "retry_job", "Retry", "Retry the highlighted failed job", "jobs"),
    Action("delete-job", "d,delete", "delete_job", "Delete", "Remove the highlighted finished job from the list", "jobs"),
    Action("open-job", "enter", "app.open_with('open')", "Open", "Open the highlighted finished job's result in your viewer", "jobs", show=False),
    Action("job-prompt", "v", "view_prompt", "Prompt", "Read the highlighted job's prompt and the enhanced prompt in full", "jobs", show=False),
    Action("copy-job", "c", "copy", "Copy", "Copy the result path (or the prompt) of the highlighted job", "jobs"),
    # ---------------------------------------------------------------- history screen
    Action("history-filter", "slash", "focus_filter", "Filter", "Type to filter by title, character or file name", "history"),
    Action("history-open", "enter", "open", "Open", "Show the highlighted lookup's stored result and picture (offline)", "history", show=False),
    Action("history-view", "w", "app.open_with('open')", "Open", "Open the highlighted lookup's picture in your viewer", "history", show=False),
    Action("history-reveal", "W", "app.open_with('reveal')", "Folder", "Open the folder of the highlighted lookup's picture", "history", show=False),
    Action("history-mark", "space", "toggle_mark", "Mark", "Mark or unmark the highlighted lookup", "history"),
    Action("history-rerun", "R", "rerun", "Re-run", "Look the highlighted lookup's image up again (fresh, costs a request)", "history"),
    Action("history-delete", "d,delete", "delete", "Delete", "Delete the marked lookups (or the highlighted one) from the history", "history"),
    Action("history-export", "e", "export", "Export", "Export the marked lookups (or all that match the filter) to JSON and CSV", "history"),
    Action("history-close", "escape", "close", "Back", "Clear the filter, or go back to the panes", "history"),
    # ---------------------------------------------------------------- batch screen
    Action("batch-pause", "p", "toggle_pause", "Pause", "Pause or resume the batch (running lookups finish first)", "batch"),
    Action("batch-cancel", "x", "cancel", "Cancel", "Cancel the batch (what is done stays done)", "batch"),
    Action("batch-export", "e", "export", "Export", "Export the summary (file → best match) to JSON and CSV", "batch"),
    Action("batch-close", "escape", "close", "Back", "Go back to the panes (a running batch keeps running)", "batch"),
    # ---------------------------------------------------------------- library screen
    Action("library-add", "a", "add_folder", "Add folder", "Add a folder of your episodes to the library (indexed in the background)", "library"),
    Action("library-rescan", "R", "rescan", "Rescan", "Look for new or changed videos and index them", "library"),
    Action("library-pause", "p", "toggle_pause", "Pause", "Pause or resume the indexing job", "library"),
    Action("library-cancel", "x", "cancel", "Cancel", "Stop the indexing job (what is indexed stays searchable)", "library"),
    Action("library-title", "t", "title", "Title", "Correct the highlighted folder's title (empty: from the file names)", "library"),
    Action("library-close", "escape", "close", "Back", "Go back to the panes (indexing goes on in the background)", "library"),
    # ---------------------------------------------------------------- dialogs
    Action("submit", "ctrl+s", "submit", "Submit", "Start the job in a new-job dialog", "modal", palette=False),
    Action("close", "escape", "close", "Close", "Close a dialog without doing anything", "modal", palette=False),
    Action("settings-edit", "enter,e", "edit", "Edit", "Settings: edit the highlighted key and save it (true/false keys toggle)", "modal", palette=False),
    Action("settings-reset", "d,delete", "reset", "Default", "Settings: put the highlighted key back to its default", "modal", palette=False),
    Action("settings-reveal", "r", "reveal", "Reveal", "Settings: show or hide the secrets (masked until asked)", "modal", palette=False),
    Action("keys-create", "c", "create", "New key", "API keys: create a key (shown in full once)", "modal", palette=False),
    Action("keys-pages", "right_square_bracket,left_square_bracket", "page", "Pages", "API keys: next / previous page", "modal", palette=False),
    Action("key-save", "s", "save", "Save as my key", "New API key: save it as providers.whatanime.api_key", "modal", palette=False),
)

ACTIONS_BY_ID = {a.id: a for a in ACTIONS}


def bindings(scope: str) -> list[BindingType]:
    """Textual bindings for one scope (ids ``animetui.<id>`` so a keymap can rebind them).

    An action with several keys becomes one binding per key; only the first is in the footer.
    """
    out: list[BindingType] = []  # Textual's own type for BINDINGS (a Binding here, always)
    for a in ACTIONS:
        if a.scope != scope:
            continue
        for index, key in enumerate(k.strip() for k in a.keys.split(",") if k.strip()):
            out.append(
                Binding(
                    key,
                    a.action,
                    a.title,
                    show=a.show and index == 0,
                    tooltip=a.help,
                    id=f"animetui.{a.id}" if index == 0 else f"animetui.{a.id}.{index}",
                )
            )
    return out


def help_rows() -> list[tuple[str, list[Action]]]:
    """(section title, actions) in display order for the help screen."""
    return [(SCOPE_TITLES[scope], [a for a in ACTIONS if a.scope == scope and a.current_keys.strip()]) for scope in SCOPES]
