"""AnimeAPIProvider against the AnimeAPI simulator, in process and over loopback.

The paid-request rule is what most of these tests guard: an error that may follow a charge says
so (``maybe_charged``), is not retryable, and leaves exactly one request in the hub's log.
"""

from __future__ import annotations

import io

import pytest
from PIL import Image

from animetui.errors import AuthError, BadInput, NetworkError, QuotaError, RateLimited, ServerError
from animetui.models import GeneratedImage, GenerateRequest, Orientation
from animetui.net import RateLimiter, RetryPolicy, download, make_client, retrying
from animetui.providers.animeapi import AnimeAPIProvider, create, is_safe_to_resubmit
from animetui.providers.base import ImageGenerator, ProviderContext
from animetui.simulator import DEMO_KEYS, SimulatorHub
from animetui.simulator.animeapi import FAIL_TRIGGER
from animetui.simulator.base import HOSTILE_STRINGS

KEY = DEMO_KEYS["animeapi"]
CHARGED = "may have been charged — check your balance"


pytestmark = pytest.mark.simulator("animeapi")


class FakeTime:
    """A clock and a sleep for the limiter; sleeping also moves the simulator's clock."""

    def __init__(self, hub: SimulatorHub | None = None) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self.hub = hub
        if hub is not None:  # the simulator moves only when this clock does, whatever the machine's speed
            hub.clock.freeze()

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.hub is not None:
            self.hub.clock.advance(seconds)


@pytest.fixture
async def build(providers):
    """Build an AnimeAPIProvider on the same simulator with other settings, timeout or limiter."""
    clients = []

    def make(*, timeout: float | None = None, limiter: RateLimiter | None = None, **overrides: object) -> AnimeAPIProvider:
        section = {**providers.section("animeapi"), **overrides}
        client = make_client(section["base_url"], timeout=timeout or float(section["timeout"]), transport=providers.transport)
        clients.append(client)
        ctx = ProviderContext(
            name="animeapi",
            settings=section,
            client=client,
            limiter=limiter or RateLimiter(100, 100.0),
            retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02),
        )
        return create(ctx)

    yield make
    for client in clients:
        await client.aclose()


def is_loopback(providers) -> bool:
    return providers.transport is None


async def fetch_image(providers, url: str) -> Image.Image:
    response = await providers.downloads.get(url)
    assert response.status_code == 200
    picture = Image.open(io.BytesIO(response.content))
    picture.load()
    return picture


def one_request(hub) -> None:
    assert len(hub.requests_to("animeapi")) == 1


# --------------------------------------------------------------------------- success
async def test_generate_returns_a_real_webp_and_sends_every_option(providers, hub, sim):
    provider = providers.animeapi
    assert isinstance(provider, ImageGenerator)
    result = await provider.generate(GenerateRequest("anime girl with blue hair, magical forest"))
    assert isinstance(result, GeneratedImage)
    # allowNSFW is sent explicitly (the service defaults to true), and so are the others
    assert sim.last_body == {
        "prompt": "anime girl with blue hair, magical forest",
        "orientation": "portrait",
        "allowNSFW": False,
        "enhance": True,
    }
    assert "1girl" in result.enhanced_prompt and "blue_hair" in result.enhanced_prompt
    assert result.balance_usd == pytest.approx(0.491)
    assert provider.last_balance_usd == pytest.approx(0.491)
    assert result.generation_time_ms is not None and 4000 <= result.generation_time_ms <= 8000
    picture = await fetch_image(providers, result.image_url)
    assert picture.format == "WEBP" and picture.size == (832, 1280)
    assert sim.charges[0].image_url == result.image_url


@pytest.mark.parametrize(
    "orientation,size",
    [(Orientation.PORTRAIT, (832, 1280)), (Orientation.SQUARE, (1024, 1024)), (Orientation.LANDSCAPE, (1280, 832))],
)
async def test_orientation_gives_the_documented_size(providers, sim, orientation, size, tmp_path):
    result = await providers.animeapi.generate(GenerateRequest("a castle", orientation=orientation))
    assert sim.last_body["orientation"] == orientation.value
    saved = await download(providers.downloads, result.image_url, tmp_path / "out.webp", provider="animeapi")
    with Image.open(saved) as picture:
        assert picture.format == "WEBP" and picture.size == size


async def test_balance_goes_down_by_0_009_per_image(providers, sim):
    provider = providers.animeapi
    balances = [(await provider.generate(GenerateRequest(f"image {n}"))).balance_usd for n in range(3)]
    assert balances == pytest.approx([0.491, 0.482, 0.473])
    assert provider.last_balance_usd == pytest.approx(0.473)
    assert sim.balance_usd() == pytest.approx(0.473)
    assert len(sim.charges) == 3
    credits = await provider.credits()
    assert credits.unit == "usd" and credits.remaining == pytest.approx(0.473)


async def test_credits_are_unknown_until_the_first_image(providers, hub):
    credits = await providers.animeapi.credits()
    assert credits.remaining is None and "unknown" in credits.detail
    assert hub.log == []  # no request: AnimeAPI has no balance endpoint


async def test_allow_nsfw_true_is_sent_when_asked(providers, sim):
    await providers.animeapi.generate(GenerateRequest("a beach", allow_nsfw=True))
    assert sim.last_body["allowNSFW"] is True


async def test_enhance_false_passes_the_prompt_through(providers, sim):
    prompt = "masterpiece, best quality, 1girl, blue_hair, forest, magical"
    result = await providers.animeapi.generate(GenerateRequest(prompt, enhance=False))
    assert sim.last_body["enhance"] is False
    assert result.enhanced_prompt == prompt


async def test_prompt_is_trimmed_and_1000_characters_is_allowed(providers, sim):
    await providers.animeapi.generate(GenerateRequest("  " + "z" * 1000 + "\n"))
    assert sim.last_body["prompt"] == "z" * 1000


async def test_make_request_uses_configured_defaults(build):
    provider = build(orientation="landscape", allow_nsfw=False, enhance=False)
    request = provider.make_request("a tree")
    assert request == GenerateRequest("a tree", Orientation.LANDSCAPE, allow_nsfw=False, enhance=False)
    assert provider.make_request("a tree", enhance=True, orientation="square").orientation is Orientation.SQUARE
    with pytest.raises(BadInput, match="unknown orientation"):
        provider.make_request("a tree", orientation="panorama")


# --------------------------------------------------------------------------- checks before sending
async def test_no_key_names_the_setting_and_env_var_and_sends_nothing(build, hub):
    with pytest.raises(AuthError) as caught:
        await build(api_key="").generate(GenerateRequest("a cat"))
    assert "providers.animeapi.api_key" in str(caught.value)
    assert "ANIMETUI_ANIMEAPI_KEY" in str(caught.value)
    assert hub.log == []


async def test_key_with_spaces_is_refused_before_sending(build, hub):
    with pytest.raises(AuthError, match="cannot be sent"):
        await build(api_key="ank_abc def").generate(GenerateRequest("a cat"))
    assert hub.log == []


async def test_prompt_over_1000_characters_says_by_how_much_and_sends_nothing(providers, hub):
    with pytest.raises(BadInput) as caught:
        await providers.animeapi.generate(GenerateRequest("a" * 1234))
    assert "1,234 characters" in str(caught.value) and "234 over" in str(caught.value)
    assert hub.log == []


@pytest.mark.parametrize("prompt", ["", "   \n\t"])
async def test_empty_prompt_sends_nothing(providers, hub, prompt):
    with pytest.raises(BadInput, match="empty"):
        await providers.animeapi.generate(GenerateRequest(prompt))
    assert hub.log == []


# --------------------------------------------------------------------------- refusals (not charged)
async def test_wrong_key_is_auth_error_without_the_key(providers, hub, sim):
    wrong = "ank_wrongwrongwrong0123"
    providers.settings.set("providers.animeapi.api_key", wrong)
    with pytest.raises(AuthError) as caught:
        await providers.animeapi.generate(GenerateRequest("a cat"))
    assert "rejected the API key" in str(caught.value) and "Invalid API key" in str(caught.value)
    assert wrong not in str(caught.value)
    assert not is_safe_to_resubmit(caught.value)
    assert hub.requests_to("animeapi")[0].status == 401
    assert sim.charges == []


async def test_insufficient_balance_is_quota_error(build, sim):
    broke = sim.add_key(balance_usd=0.005)
    with pytest.raises(QuotaError, match="insufficient balance") as caught:
        await build(api_key=broke).generate(GenerateRequest("a cat"))
    assert caught.value.code == "INSUFFICIENT_BALANCE"
    assert not is_safe_to_resubmit(caught.value)
    assert sim.balance_usd(broke) == pytest.approx(0.005)
    assert sim.charges == []


async def test_per_minute_429_is_rate_limited_blocks_the_limiter_and_is_safe_to_resubmit(build, hub, sim):
    # a limiter that would let everything through, to reach the server's own limit
    time = FakeTime(hub)
    limiter = RateLimiter(100, 100.0, clock=time.clock, sleep=time.sleep, window=1.0)
    provider = build(limiter=limiter)
    for n in range(10):
        await provider.generate(GenerateRequest(f"image {n}"))
    with pytest.raises(RateLimited) as caught:
        await provider.generate(GenerateRequest("one too many"))
    exc = caught.value
    assert exc.retry_after == 60
    assert exc.code == "RATE_LIMITED"
    assert "not charged" in str(exc)
    assert is_safe_to_resubmit(exc) and provider.is_safe_to_resubmit(exc)
    assert len(sim.charges) == 10
    assert limiter.wait_time() == pytest.approx(60, abs=0.01)  # the next acquire waits it out
    # resubmitting waits for Retry-After (on the fake clock), then succeeds
    await provider.generate(GenerateRequest("one too many"))
    assert sum(time.slept) == pytest.approx(60, abs=0.01)
    assert len(sim.charges) == 11


async def test_429_without_retry_after_still_blocks_one_slot(build, hub):
    time = FakeTime(hub)
    limiter = RateLimiter(10, 10 / 60, clock=time.clock, sleep=time.sleep)
    hub.inject("animeapi", "rate_limit", retry_after=None, body={"error": "Too many requests", "code": "RATE_LIMITED"})
    with pytest.raises(RateLimited) as caught:
        await build(limiter=limiter).generate(GenerateRequest("a cat"))
    assert caught.value.retry_after is None
    assert limiter.wait_time() == pytest.approx(6.0, abs=0.01)


async def test_client_limiter_makes_the_11th_request_in_a_minute_wait_instead_of_hitting_the_server(build, hub, sim):
    time = FakeTime(hub)
    provider = build(limiter=RateLimiter.per_minute(10, clock=time.clock, sleep=time.sleep, window=60.0))  # as the registry builds it
    for n in range(11):
        await provider.generate(GenerateRequest(f"image {n}"))
    statuses = [entry.status for entry in hub.requests_to("animeapi")]
    assert statuses == [200] * 11  # never a 429: the client waited instead
    assert time.slept and sum(time.slept) >= 59.9
    assert sim.charges[10].at - sim.charges[0].at >= 59.9


async def test_window_limiter_never_grants_more_than_capacity_in_any_sixty_seconds():
    # the sliding window the registry adds to its token bucket (animetui.net.RateLimiter)
    time = FakeTime()
    limiter = RateLimiter.per_minute(10, clock=time.clock, sleep=time.sleep, window=60.0)
    granted = []
    for _ in range(35):
        await limiter.acquire()
        granted.append(time.now)
    for start in granted:
        assert sum(1 for t in granted if start <= t < start + 60) <= 10
    assert granted[-1] - granted[0] < 4 * 60  # and it still keeps up 10 a minute


async def test_daily_limit_is_quota_error_not_rate_limited(providers, hub, sim):
    sim.set_daily_used(5000)
    provider = providers.animeapi
    with pytest.raises(QuotaError) as caught:
        await provider.generate(GenerateRequest("a cat"))
    assert "daily limit of 5,000 images reached" in str(caught.value)
    assert not isinstance(caught.value, RateLimited)
    assert not is_safe_to_resubmit(caught.value)
    assert provider.ctx.limiter.wait_time() == 0  # not a reason to stall other work for hours
    assert sim.charges == []


async def test_server_400_is_bad_input_with_the_servers_message(providers, hub, sim):
    hub.inject("animeapi", "status", status=400, body={"error": "prompt contains blocked words", "code": "INVALID_PROMPT"})
    with pytest.raises(BadInput, match="prompt contains blocked words") as caught:
        await providers.animeapi.generate(GenerateRequest("a cat"))
    assert caught.value.code == "INVALID_PROMPT"
    one_request(hub)


# --------------------------------------------------------------------------- may have been charged
async def test_generation_failed_500_is_maybe_charged_and_never_retried(providers, hub, sim):
    sim.fail_next()
    provider = providers.animeapi
    with pytest.raises(ServerError) as caught:
        # even under the generic retry helper, a maybe-charged error is not retried
        await retrying(lambda: provider.generate(GenerateRequest("a cat")), policy=RetryPolicy(attempts=3, base_delay=0.0))
    exc = caught.value
    assert exc.maybe_charged and not exc.retryable
    assert CHARGED in str(exc) and "could not generate" in str(exc)
    assert exc.code == "GENERATION_FAILED"
    assert not is_safe_to_resubmit(exc)
    one_request(hub)


async def test_trigger_prompt_fails_generation(providers, hub):
    with pytest.raises(ServerError) as caught:
        await providers.animeapi.generate(GenerateRequest(f"a cat {FAIL_TRIGGER}"))
    assert caught.value.maybe_charged
    one_request(hub)


async def test_other_5xx_is_maybe_charged(providers, hub):
    hub.inject("animeapi", "busy")
    with pytest.raises(ServerError) as caught:
        await providers.animeapi.generate(GenerateRequest("a cat"))
    assert caught.value.maybe_charged and not caught.value.retryable
    assert CHARGED in str(caught.value)
    one_request(hub)


async def test_timeout_after_sending_is_maybe_charged(providers, build, hub, sim):
    if is_loopback(providers):
        # a real socket timeout: the answer comes later than the client waits
        hub.inject("animeapi", "latency", seconds=0.2)
        provider = build(timeout=0.05)
    else:
        hub.inject("animeapi", "timeout", after_response=True)
        provider = providers.animeapi
    with pytest.raises(NetworkError) as caught:
        await provider.generate(GenerateRequest("a cat"))
    exc = caught.value
    assert exc.maybe_charged and exc.timeout and not exc.retryable
    assert CHARGED in str(exc)
    assert not is_safe_to_resubmit(exc)
    one_request(hub)
    if not is_loopback(providers):
        assert len(sim.charges) == 1  # the work was done: it really was charged


async def test_connection_dropped_after_charge_is_maybe_charged(providers, hub, sim):
    hub.inject("animeapi", "drop", after_response=True)
    with pytest.raises(NetworkError) as caught:
        await providers.animeapi.generate(GenerateRequest("a cat"))
    exc = caught.value
    assert exc.maybe_charged and not exc.retryable
    assert CHARGED in str(exc)
    one_request(hub)
    assert len(sim.charges) == 1  # it WAS charged, and the client had no way to know


async def test_malformed_json_is_maybe_charged(providers, hub):
    hub.inject("animeapi", "malformed")
    with pytest.raises(ServerError) as caught:
        await providers.animeapi.generate(GenerateRequest("a cat"))
    assert caught.value.maybe_charged and CHARGED in str(caught.value)
    one_request(hub)


async def test_missing_image_url_is_maybe_charged_but_keeps_the_balance(providers, hub):
    hub.inject("animeapi", "status", status=200, body={"enhanced_prompt": "x", "balance_usd": "1.23"})
    provider = providers.animeapi
    with pytest.raises(ServerError) as caught:
        await provider.generate(GenerateRequest("a cat"))
    assert caught.value.maybe_charged and "without an image URL" in str(caught.value)
    assert provider.last_balance_usd == pytest.approx(1.23)


@pytest.mark.parametrize("bad_url", ["", "javascript:alert(1)", "not a url", "https://cdn.example/a b.webp", 42, None])
async def test_unusable_image_url_is_maybe_charged(providers, hub, bad_url):
    hub.inject("animeapi", "status", status=200, body={"image_url": bad_url, "balance_usd": 1.0})
    with pytest.raises(ServerError) as caught:
        await providers.animeapi.generate(GenerateRequest("a cat"))
    assert caught.value.maybe_charged


async def test_numbers_as_strings_and_missing_fields_are_tolerated(providers, hub):
    hub.inject(
        "animeapi",
        "status",
        status=200,
        body={"image_url": "https://cdn.example/i.webp", "balance_usd": "$4.20", "generation_time_ms": "4200", "extra": [1]},
    )
    result = await providers.animeapi.generate(GenerateRequest("a cat"))
    assert result == GeneratedImage("https://cdn.example/i.webp", "", 4.2, 4200.0)
    hub.inject("animeapi", "status", status=200, body={"image_url": "/sim-files/relative.webp"})
    result = await providers.animeapi.generate(GenerateRequest("a cat"))
    assert result.image_url.endswith("/sim-files/relative.webp") and result.image_url.startswith("http")
    assert result.balance_usd is None and result.generation_time_ms is None
    assert providers.animeapi.last_balance_usd == pytest.approx(4.2)  # a missing balance keeps the last one


# --------------------------------------------------------------------------- hostile text and secrets
async def test_hostile_strings_are_cleaned(providers, hub, sim):
    hub.inject("animeapi", "hostile", times=None)
    result = await providers.animeapi.generate(GenerateRequest("a cat"))
    for bad in ("\x1b", "\x07", "\u202e"):
        assert bad not in result.enhanced_prompt
    assert len(result.enhanced_prompt) <= 4000
    sim.fail_next()
    with pytest.raises(ServerError) as caught:
        await providers.animeapi.generate(GenerateRequest("a cat"))
    assert "\x1b" not in str(caught.value) and len(str(caught.value)) < 600
    hub.inject("animeapi", "status", status=400, body={"error": HOSTILE_STRINGS[2] + HOSTILE_STRINGS[3], "code": "\x1b[31mX"})
    with pytest.raises(BadInput) as caught:
        await providers.animeapi.generate(GenerateRequest("a cat"))
    assert "\u202e" not in str(caught.value) and len(str(caught.value)) < 600
    assert "\x1b" not in str(caught.value.code)


async def test_the_key_is_never_in_an_error_message(providers, build, hub, sim):
    errors: list[Exception] = []

    async def collect(provider: AnimeAPIProvider) -> None:
        with pytest.raises(Exception) as caught:
            await provider.generate(GenerateRequest("a cat"))
        errors.append(caught.value)

    time = FakeTime(hub)  # a 429 blocks the limiter: wait on a fake clock, not a real one
    provider = build(limiter=RateLimiter(100, 100.0, clock=time.clock, sleep=time.sleep, window=1.0))
    # a server that echoes the key back in its error text
    for status in (400, 401, 402, 429, 500, 503):
        hub.inject("animeapi", "status", status=status, body={"error": f"bad request from key {KEY} (Bearer {KEY})", "code": "X"})
        await collect(provider)
    for kind, extra in (("drop", {"after_response": True}), ("malformed", {})):
        hub.inject("animeapi", kind, **extra)
        await collect(provider)
    if not is_loopback(providers):
        hub.inject("animeapi", "timeout", after_response=True)
        await collect(provider)
    await collect(build(api_key="ank_wrongwrongwrong0123", limiter=RateLimiter(100, 100.0, clock=time.clock, sleep=time.sleep, window=1.0)))
    sim.set_daily_used(5000)
    await collect(provider)
    assert len(errors) >= 10
    for exc in errors:
        text = f"{exc} {getattr(exc, 'message', '')} {exc!r}"
        assert KEY not in text
        assert "ank_wrongwrongwrong0123" not in text


def test_is_safe_to_resubmit_only_for_rate_limited():
    assert is_safe_to_resubmit(RateLimited("slow down", retry_after=5))
    for exc in (
        QuotaError("daily"),
        AuthError("key"),
        BadInput("prompt"),
        ServerError("boom", maybe_charged=True),
        NetworkError("timeout", maybe_charged=True),
        ValueError("x"),
    ):
        assert not is_safe_to_resubmit(exc)


async def test_registry_gives_the_limiter_a_sixty_second_window(providers):
    # counted once per machine (animetui.limits), so every process on it keeps to 10 in any 60 s
    shared = providers.animeapi.ctx.limiter.shared
    assert shared is not None and shared.limits.path.parent == providers.settings.data_dir
    assert [(rule.count, rule.window) for rule in shared.rules] == [(10, 60.0), (5000, 86400.0)]
