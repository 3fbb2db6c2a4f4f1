"""Command palette (Ctrl+P): every action in ``animetui.ui.bindings.ACTIONS``, by name, with its key.

Pane actions run through the app's ``pane(<pane>, <action>)`` action, so they work from anywhere
(the pane gets the focus first). Textual's own commands (theme, quit, screenshot …) stay alongside.
"""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from animetui.ui.bindings import ACTIONS, SCOPE_TITLES, Action


def _title(action: Action) -> str:
    where = "" if action.scope == "app" else f"{SCOPE_TITLES[action.scope].removesuffix(' pane')}: "
    return f"{where}{action.help}"


class AnimeCommands(Provider):
    """Every animetui action."""

    def _actions(self) -> list[Action]:
        return [a for a in ACTIONS if a.palette]

    async def _run(self, action: Action) -> None:
        await self.app.run_action(action.palette_action)

    async def discover(self) -> Hits:
        for action in self._actions():
            yield DiscoveryHit(_title(action), partial(self._run, action), help=f"key: {action.key_display}")

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for action in self._actions():
            title = _title(action)
            score = max(matcher.match(title), matcher.match(action.title))
            if score > 0:
                yield Hit(score, matcher.highlight(title), partial(self._run, action), text=title, help=f"key: {action.key_display}")
