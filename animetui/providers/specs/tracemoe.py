"""trace.moe: scene search (free as a guest, 100 a day by IP), ``/me`` quota as credits."""

from animetui.providers.spec import CREDITS, SCENE, Limit, ProviderSpec, Setting, timeout_setting

SPEC = ProviderSpec(
    name="tracemoe",
    title="trace.moe",
    module="animetui.providers.tracemoe",
    simulator="animetui.simulator.tracemoe",
    capabilities=frozenset({SCENE, CREDITS}),
    short="trace",
    order=25,
    key_setting="api_key",
    scene_options=("cut_borders",),
    limit=Limit(100, 100 / 60, window=60.0),
    limits_doc=("100 requests a minute per IP on every path; search quota over a rolling 24 h "
                "(guests 100 by IP); concurrency 1 for guests (soruly/trace.moe-api docs/limits.md)"),
    settings=(
        Setting("base_url", "https://api.trace.moe", "trace.moe API base URL", restart=True),
        Setting("api_key", "", "trace.moe sponsor key (x-trace-key; empty: a guest)", secret=True,
                env="ANIMETUI_TRACEMOE_KEY"),
        Setting("cut_borders", True, "Crop black borders (letterbox, UI frames) before searching"),
        Setting("anilist_info", True, "Ask for AniList titles, MAL id and the adult flag (a fallback runs without)"),
        Setting("previews", 3, "Preview images downloaded at once per search (their links expire in 300 s)",
                minimum=0, maximum=10),
        Setting("clips", 1, "Muted preview clips (MP4) saved at once per search, for your player (p in Results)",
                minimum=0, maximum=10),
        Setting("preview_size", "m", "Preview size: l, m or s", choices=("l", "m", "s")),
        Setting("upload", "raw", "Upload as the raw body or as the multipart field image",
                choices=("raw", "multipart")),
        timeout_setting(60.0),
    ),
)
