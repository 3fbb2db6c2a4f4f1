"""The user's keymap: ``general.keymap`` (a preset) and a ``[keys]`` table, by the ids of
:data:`animetui.ui.bindings.ACTIONS`.

.. code-block:: toml

    [general]
    keymap = "vim"          # j/k/h/l move, g/G top/bottom (History moves to H, Generate to N …)

    [keys]
    scene-search = "S"      # one key
    quit = "q,ctrl+c"       # several keys, comma-separated (Textual key names)

The preset is applied first, then ``[keys]``. The effective keys reach every place keys are
shown: the footer (Textual's own keymap, :meth:`App.set_keymap`), the help screen, the command
palette and the README's key table (all read :func:`animetui.ui.bindings.keys_of`). A key bound
to two actions where both work (the same pane, or a pane key hiding an everywhere key) and an
unknown action id are reported in one line at start; the bindings still apply as given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from animetui.ui import bindings as table

PRESETS: dict[str, dict[str, str]] = {
    "default": {},
    # what yazi and ranger users expect; the default keys these take move out of the way
    "vim": {
        "nav-down": "j",
        "nav-up": "k",
        "nav-left": "h",
        "nav-right": "l",
        "nav-top": "g",
        "nav-bottom": "G",
        "history": "H",
        "generate": "N",
        "limit": "ctrl+l",
        "copy-anilist": "A",
    },
}

_KEY = re.compile(r"^(?:(?:ctrl|shift|alt|meta|super)\+)*(?:[a-z0-9_]+|[^\sa-z0-9_,+])$", re.IGNORECASE)
#: scopes whose keys work together with the ``app`` ones (the panes; History, Batch and the dialogs
#: are modal screens, where the app's keys do not reach)
_WITH_APP = ("files", "results", "rankings", "jobs")


def wanted(settings: Any) -> tuple[dict[str, str], list[str]]:
    """(action id -> keys) the user asked for, and the problems found reading it."""
    problems: list[str] = []
    preset_name = str(_setting(settings, "general.keymap", "default") or "default")
    if preset_name not in PRESETS:
        problems.append(f"general.keymap {preset_name!r} is not a preset ({', '.join(PRESETS)}); using the default keys")
        preset_name = "default"
    keymap = dict(PRESETS[preset_name])
    document = getattr(settings, "document", None) or {}
    section = document.get("keys", {}) if isinstance(document, Mapping) else {}
    if not isinstance(section, Mapping):
        problems.append("[keys] must be a table of action = \"key\" lines")
        section = {}
    for action_id, value in section.items():
        if action_id not in table.ACTIONS_BY_ID:
            close = _close(str(action_id))
            problems.append(f"[keys] {action_id}: no such action{f' (did you mean {close}?)' if close else ''}")
            continue
        keys = [k.strip() for k in str(value).split(",") if k.strip()] if isinstance(value, str) else []
        bad = [k for k in keys if not _KEY.match(k)]
        if not keys or bad:
            problems.append(f"[keys] {action_id}: {value!r} is not a key (Textual key names, comma-separated)")
            continue
        keymap[str(action_id)] = ",".join(keys)
    return keymap, problems


def conflicts(overrides: Mapping[str, str]) -> list[str]:
    """Keys bound twice where both would work: same scope, or a pane/screen key over an app key."""
    by_scope: dict[str, dict[str, list[str]]] = {}
    for action in table.ACTIONS:
        for key in _split(overrides.get(action.id, action.keys)):
            by_scope.setdefault(action.scope, {}).setdefault(key, []).append(action.id)
    found: list[str] = []
    for scope, keys in by_scope.items():
        if scope == "modal":
            continue
        for key, ids in keys.items():
            if len(ids) > 1:
                found.append(f"{table.display_key(key)} is bound to both {ids[0]} and {ids[1]}")
    app_keys = by_scope.get("app", {})
    for scope in _WITH_APP:
        for key, ids in by_scope.get(scope, {}).items():
            if key in app_keys:
                found.append(f"{table.display_key(key)} is bound to both {app_keys[key][0]} and {ids[0]} ({table.SCOPE_TITLES[scope]})")
    return found


def apply(app: Any, settings: Any) -> str | None:
    """Set the app's keymap from the settings; the one line to show if something is wrong."""
    keymap, problems = wanted(settings)
    table.set_overrides(keymap)
    from textual.binding import Binding

    textual_keymap: dict[str, str] = {}
    bindings_map = app._bindings  # the app's own map (Textual has no public bind with an id)
    for action_id, keys in keymap.items():
        action = table.ACTIONS_BY_ID[action_id]
        if not action.keys:
            # no default key (the vim moves): bound on the app here, with an id, and kept in
            # Textual's keymap too, or rebinding another action off the same key would drop it
            for key in _split(keys):
                bindings_map.key_to_bindings.setdefault(key, []).append(
                    Binding(key, action.action, action.title, show=False, id=f"animetui.{action.id}")
                )
            textual_keymap[f"animetui.{action.id}"] = ",".join(_split(keys))
            continue
        textual_keymap.update(_textual_entries(action, _split(keys)))
    app.set_keymap(textual_keymap)
    problems.extend(conflicts(keymap))
    if not problems:
        return None
    more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
    return f"Keymap: {problems[0]}{more}. See [keys] in the README."


def _textual_entries(action: Any, keys: list[str]) -> dict[str, str]:
    """Binding id -> keys for Textual: ``bindings()`` made one binding per default key."""
    ids = [f"animetui.{action.id}"] + [f"animetui.{action.id}.{i}" for i in range(1, len(_split(action.keys)))]
    entries: dict[str, str] = {}
    for index, binding_id in enumerate(ids):
        if index < len(keys):
            # the last binding takes the keys beyond the defaults' count
            entries[binding_id] = ",".join(keys[index:]) if index == len(ids) - 1 else keys[index]
        else:  # fewer keys than the defaults: the spare binding repeats the first key (same action)
            entries[binding_id] = keys[0]
    return entries


def _split(keys: str) -> list[str]:
    return [k.strip() for k in keys.split(",") if k.strip()]


def _setting(settings: Any, name: str, default: Any) -> Any:
    try:
        return settings.get(name, default)
    except Exception:  # noqa: BLE001 - an older config without the key
        return default


def _close(word: str) -> str | None:
    import difflib

    close = difflib.get_close_matches(word, list(table.ACTIONS_BY_ID), n=1, cutoff=0.6)
    return close[0] if close else None
