"""AILabTools: photo-to-anime conversion (an async task; credits)."""

from animetui.providers.spec import CARTOONIZE, CREDITS, Limit, ProviderSpec, Setting, timeout_setting

SPEC = ProviderSpec(
    name="ailab",
    title="AILabTools",
    module="animetui.providers.ailab",
    simulator="animetui.simulator.ailab",
    capabilities=frozenset({CARTOONIZE, CREDITS}),
    order=40,
    key_setting="api_key",
    key_required=True,
    limit=Limit(5, 5.0),
    limits_doc="none published; a polite 5 requests a second; tasks polled about every 5 s",
    settings=(
        Setting("base_url", "https://www.ailabapi.com", "AILabTools API base URL", restart=True),
        Setting("api_key", "", "AILabTools API key", secret=True, env="ANIMETUI_AILAB_KEY"),
        Setting("style", 2, "Default cartoon style (0-8)", minimum=0, maximum=8),
        Setting("poll_interval", 5.0, "Seconds between task queries (the docs: 5 s or more)", minimum=5, maximum=600,
                restart=True),
        timeout_setting(60.0),
    ),
)
