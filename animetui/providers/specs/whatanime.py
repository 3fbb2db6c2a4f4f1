"""whatanimeisthis: scene search, rankings, recent searches, account and credits."""

from animetui.providers.spec import ACCOUNT, CREDITS, RANKINGS, SCENE, Limit, ProviderSpec, Setting, timeout_setting

SPEC = ProviderSpec(
    name="whatanime",
    title="whatanimeisthis",
    module="animetui.providers.whatanime",
    simulator="animetui.simulator.whatanime",
    capabilities=frozenset({SCENE, RANKINGS, ACCOUNT, CREDITS}),
    short="wait",
    order=20,
    key_setting="api_key",
    limit=Limit(5, 2.0),
    limits_doc="guests 5 searches a day, 100 an hour signed in; a polite 2 requests a second client-side",
    settings=(
        Setting("base_url", "https://whatanimeisthis.com", "whatanimeisthis base URL", restart=True),
        Setting("api_key", "", "whatanimeisthis API key (Bearer)", secret=True, env="ANIMETUI_WHATANIME_API_KEY"),
        Setting("origin", "https://whatanimeisthis.com", "Origin header sent with session requests"),
        Setting("email", "", "Email used to sign in"),
        Setting("include_adult", False, "Include NSFW entries in rankings", restart=True),
        timeout_setting(60.0),
    ),
)
