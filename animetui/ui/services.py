"""How a pane or screen reaches the services: ``await services_of(self)`` → the typed runtime.

The app builds one :class:`animetui.runtime.Runtime` after the first frame; ``services_of`` waits
for it (or raises the start-up error as an :class:`~animetui.errors.AnimetuiError`). Typed, so no
``# type: ignore`` at the call sites; any app with an ``async services()`` qualifies (tests).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from animetui.config import Settings
    from animetui.runtime import Runtime


@runtime_checkable
class ServiceHost(Protocol):
    settings: "Settings"

    async def services(self) -> "Runtime": ...


class ServicesUnavailable(Exception):
    """The widget is not in an app that has services."""


def host_of(node: "DOMNode") -> ServiceHost:
    app = node.app
    if not isinstance(app, ServiceHost):
        raise ServicesUnavailable(f"{type(app).__name__} has no services")
    return app


async def services_of(node: "DOMNode") -> "Runtime":
    """The running app's services (waits for start-up)."""
    return await host_of(node).services()
