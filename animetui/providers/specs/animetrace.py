"""AnimeTrace: character recognition (``animetui.providers.animetrace``)."""

from animetui.providers.spec import CHARACTERS, Limit, ProviderSpec, Setting, base_url_setting, timeout_setting

SPEC = ProviderSpec(
    name="animetrace",
    title="AnimeTrace",
    module="animetui.providers.animetrace",
    simulator="animetui.simulator.animetrace",
    capabilities=frozenset({CHARACTERS}),
    order=10,
    batch_concurrency=2,
    limit=Limit(2, 2.0),
    limits_doc="none published; a polite 2 requests a second (codes 17702/17706/17731 are retried)",
    settings=(
        base_url_setting("https://api.animetrace.com", "AnimeTrace"),
        Setting("model", "", "Recognition model id (empty: the service's default)"),
        Setting("is_multi", True, "Show several candidates per character"),
        Setting("ai_detect", True, "Ask whether the image is AI-generated"),
        timeout_setting(60.0),
    ),
)
