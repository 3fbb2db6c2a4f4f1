"""AnimeAPI: text-to-image generation (paid, $0.009 an image)."""

from collections.abc import Mapping
from typing import Any

from animetui.providers.spec import CREDITS, GENERATE, Limit, ProviderSpec, Setting, timeout_setting

#: the documented price of one image, in US dollars (the provider's ``cost_usd``; the cost question)
COST_USD = 0.009


def _per_key(section: Mapping[str, Any]) -> Limit:
    """Documented per minute per key: never more than that in any 60 s."""
    rpm = min(10, max(1, int(section.get("requests_per_minute", 10))))  # never above the documented 10
    return Limit(rpm, rpm / 60, window=60.0)


SPEC = ProviderSpec(
    name="animeapi",
    title="AnimeAPI",
    module="animetui.providers.animeapi",
    simulator="animetui.simulator.animeapi",
    capabilities=frozenset({GENERATE, CREDITS}),  # credits: the last balance seen (no endpoint)
    order=30,
    key_setting="api_key",
    key_required=True,
    limit=Limit(10, 10 / 60, window=60.0),
    limit_from=_per_key,
    limits_doc="10 requests a minute per key, 5,000 a day (documented; shared by every process on the machine)",
    shared_limit="animeapi",
    settings=(
        Setting("base_url", "https://api.animeapi.com", "AnimeAPI base URL", restart=True),
        Setting("api_key", "", "AnimeAPI key (ank_…)", secret=True, env="ANIMETUI_ANIMEAPI_KEY"),
        Setting("orientation", "portrait", "Default orientation", choices=("portrait", "square", "landscape")),
        Setting("allow_nsfw", False, "Allow NSFW output (sent explicitly; the service's default is true)"),
        Setting("enhance", True, "Let the service enhance the prompt"),
        Setting("requests_per_minute", 10, "Client-side limit per key (the docs: 10/min)", minimum=1, maximum=10,
                restart=True),
        timeout_setting(120.0, minimum=5),
    ),
)
