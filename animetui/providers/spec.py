"""What a provider declares about itself: :class:`ProviderSpec`.

Each provider has a spec module, ``animetui/providers/specs/<name>.py``, holding ``SPEC``. The
spec modules are plain data (no httpx, no Pillow), so the settings schema, the CLI's choices and
the header can be built from them before any provider is imported. Everything that used to list
provider names — the settings schema (``animetui.config``), the limits and titles
(``animetui.providers``), the simulator hub, "who can search scenes" — reads the specs:
:func:`animetui.providers.specs.all_specs`.

Adding a provider is: its module (``animetui/providers/<name>.py``, with ``create(ctx)``), its
spec module, its simulator module (``animetui/simulator/<name>.py``) and its tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

# Capabilities: what a lookup, the header, the credits command or the settings ask for.
SCENE = "scene"  # SceneSearcher: which anime / episode / moment a picture is from
CHARACTERS = "characters"  # CharacterRecognizer
GENERATE = "generate"  # ImageGenerator (paid)
CARTOONIZE = "cartoonize"  # Cartoonizer (credits)
CREDITS = "credits"  # ``await provider.credits()`` reports what is left
RANKINGS = "rankings"  # RankingsSource
ACCOUNT = "account"  # AccountProvider (sign in, API keys)
CAPABILITIES = (SCENE, CHARACTERS, GENERATE, CARTOONIZE, CREDITS, RANKINGS, ACCOUNT)


@dataclass(frozen=True, slots=True)
class Setting:
    """One settings key of a provider: ``providers.<name>.<key>``."""

    key: str
    default: Any
    doc: str
    secret: bool = False
    env: str | None = None
    choices: tuple[str, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None
    restart: bool = False  # read only when the clients are built: applies at the next start


@dataclass(frozen=True, slots=True)
class Limit:
    """Client-side rate limit: a token bucket of ``capacity`` refilled ``rate`` per second;
    ``window`` (seconds) additionally caps any window of that length at ``capacity``."""

    capacity: float
    rate: float
    window: float | None = None


def _fixed(limit: Limit) -> Callable[[Mapping[str, Any]], Limit]:
    return lambda _section: limit


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    name: str  # settings section, history key, CLI choice
    title: str  # what the user reads
    module: str  # imported lazily; ``module.create(ctx)`` builds the provider
    capabilities: frozenset[str]
    settings: tuple[Setting, ...]
    limit: Limit
    limits_doc: str  # the documented limits, or why the client-side ones were chosen
    simulator: str | None = None  # the contract simulator module (``Simulator(hub)``)
    order: int = 100  # display order (header, credits, settings)
    short: str = ""  # a few letters for narrow table cells (default: the title)
    key_setting: str | None = None  # the setting holding an API key, if any ("api_key")
    key_required: bool = False  # nothing works without that key (else: a guest without one)
    #: keyword options its ``search_scene`` takes beyond the source (e.g. ``cut_borders``); a lookup
    #: passes them only to providers that declare them, and they key its cache entries
    scene_options: tuple[str, ...] = ()
    batch_concurrency: int = 1  # lookups a batch runs at once on it
    #: a key of ``animetui.limits.DOCUMENTED``: every request counts against those rules machine-wide
    #: (all processes, per API key) instead of in this process only
    shared_limit: str | None = None
    limit_from: Callable[[Mapping[str, Any]], Limit] | None = field(default=None, compare=False)
    #: False: answers on this machine (no HTTP client, no simulator, no header entry, no quota)
    network: bool = True
    #: the settings table its keys live in (default ``providers.<name>``), e.g. ``library``
    table: str = ""
    #: ``present(data_dir)``: can it answer here (a local library exists)? None: always. A provider
    #: that is not present is left out of "all" and of the ``e`` cycle (naming it still works)
    present: Callable[[Any], bool] | None = field(default=None, compare=False)
    #: asked before the others in "all"; they are asked only when it has no "likely" match
    #: (the ``library.search`` setting can make it ``together`` or ``off``)
    first: bool = False

    @property
    def section(self) -> str:
        """The dotted settings table of its keys: ``providers.<name>`` or its own ``table``."""
        return self.table or f"providers.{self.name}"

    def is_present(self, data_dir: Any) -> bool:
        return self.present is None or (data_dir is not None and self.present(data_dir))

    @property
    def tag(self) -> str:
        return self.short or self.title

    def can(self, capability: str) -> bool:
        return capability in self.capabilities

    def limit_for(self, section: Mapping[str, Any]) -> Limit:
        """The limit for this provider's (validated) settings section."""
        return self.limit_from(section) if self.limit_from is not None else self.limit

    def setting(self, key: str) -> Setting | None:
        return next((s for s in self.settings if s.key == key), None)


def timeout_setting(default: float, *, minimum: float = 1) -> Setting:
    return Setting("timeout", default, "Request timeout in seconds", minimum=minimum, maximum=600, restart=True)


def base_url_setting(default: str, title: str) -> Setting:
    return Setting("base_url", default, f"{title} API base URL", restart=True)
