"""WhatAnimeProvider against the whatanimeisthis simulator, in process and over loopback.

Quotas and session lifetimes are driven by jumping the simulator's clock (``hub.clock.advance``),
never by sleeping. Error paths check the error class (what callers decide on), the message (what a
user reads, never with a secret in it) and the simulator's own records (what was sent, what was
charged).
"""

from __future__ import annotations

import io
import json
import os
import stat
import time
import urllib.parse

import pytest
from PIL import Image

from animetui.errors import (
    AuthError,
    BadInput,
    NetworkError,
    QuotaError,
    RateLimited,
    ServerError,
    Unsupported,
)
from animetui.models import ImageSource
from animetui.net import RateLimiter
from animetui.providers.base import AccountProvider, RankingsSource, SceneSearcher, episode_of
from animetui.providers.whatanime import (
    GUEST_LIMIT,
    NOT_SIGNED_IN,
    SESSION_EXPIRED,
    SESSION_FILE,
    WhatAnimeProvider,
    parse_credits,
    parse_key_page,
    parse_rankings,
    parse_recent,
    parse_search,
    similarity_of,
)
from animetui.simulator import DEMO_KEYS
from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

KEY = DEMO_KEYS["whatanime"]
SEARCH = "/api/anime/search"
DAY = 86400.0
URL = "https://example.com/shots/frame-0042.png"


pytestmark = pytest.mark.simulator("whatanime")


@pytest.fixture
def wa(providers) -> WhatAnimeProvider:
    provider = providers.whatanime
    # the registry's polite 2/s bucket would add real sleeps; the limiter is not under test here
    provider.ctx.limiter = RateLimiter(10_000, 10_000)
    return provider


@pytest.fixture
def session_file(settings):
    return settings.data_dir / SESSION_FILE


def as_guest(wa: WhatAnimeProvider) -> WhatAnimeProvider:
    wa.settings["api_key"] = ""
    return wa


def searches(hub) -> list:
    return [r for r in hub.requests_to("whatanime") if r.path == SEARCH]


def png(width: int, height: int, colour=(200, 40, 90)) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def fmt_of(data: bytes) -> str:
    with Image.open(io.BytesIO(data)) as image:
        return image.format or "?"


# =========================================================================== contract
def test_implements_its_capabilities(providers):
    provider = providers.whatanime
    assert isinstance(provider, SceneSearcher)
    assert isinstance(provider, RankingsSource)
    assert isinstance(provider, AccountProvider)


# =========================================================================== search: success
async def test_search_by_file_with_api_key(wa, sim, samples, providers):
    result = await wa.search_scene(ImageSource(path=samples / "scene.png"))
    assert 1 <= len(result.matches) <= 5
    sims = [m.similarity for m in result.matches]
    assert all(s is not None and 0 <= s <= 1 for s in sims)
    assert sims == sorted(sims, reverse=True)
    assert any(s < 0.9 for s in sims)  # low matches are reported, not hidden
    first = result.matches[0]
    assert first.title and first.anilist_id
    assert first.start is not None and first.end is not None and first.start <= first.end
    assert result.credits_left == 10 - 1 + 25
    assert sim.charges == [("key", "free")]
    # the preview still is a real image reachable at the URL the service gave
    response = await providers.downloads.get(first.image_url)
    assert response.status_code == 200 and fmt_of(response.content) == "JPEG"


async def test_search_uploads_png_as_is(wa, sim, samples):
    await wa.search_scene(ImageSource(path=samples / "scene.png"))
    received = sim.uploads[-1]
    assert received.data == (samples / "scene.png").read_bytes()
    assert received.content_type == "image/png"


@pytest.mark.parametrize("name", ["art.webp", "wide.bmp"])
async def test_other_formats_are_converted_before_upload(wa, sim, samples, name):
    result = await wa.search_scene(ImageSource(path=samples / name))
    assert result.matches
    received = sim.uploads[-1]
    assert fmt_of(received.data) in ("JPEG", "PNG")
    assert received.content_type in ("image/jpeg", "image/png")
    assert received.filename.endswith((".jpg", ".png"))


async def test_big_images_are_downscaled(wa, sim):
    image = Image.new("RGB", (2600, 1300), (10, 20, 30))
    image.paste((250, 250, 0), (100, 100, 900, 400))  # not one flat colour
    buffer = io.BytesIO()
    image.save(buffer, "JPEG")
    await wa.search_scene(ImageSource(data=buffer.getvalue(), name="big.jpg"))
    with Image.open(io.BytesIO(sim.uploads[-1].data)) as sent:
        assert max(sent.size) <= 1920 and sent.size[0] / sent.size[1] == pytest.approx(2.0, rel=0.01)


async def test_search_by_url_is_deterministic(wa, sim):
    first = await wa.search_scene(ImageSource.parse(URL))
    again = await wa.search_scene(ImageSource.parse(URL))
    assert first.matches and [m.title for m in first.matches] == [m.title for m in again.matches]
    assert sim.uploads == []  # a URL search sends no file


async def test_flat_colour_image_finds_nothing(wa):
    result = await wa.search_scene(ImageSource(data=png(320, 180), name="flat.png"))
    assert result.matches == ()


async def test_not_an_image_is_refused_before_sending(wa, hub, samples):
    with pytest.raises(BadInput) as caught:
        await wa.search_scene(ImageSource(path=samples / "notes.txt"))
    assert "not an image" in str(caught.value)
    assert searches(hub) == []


async def test_non_http_url_is_refused(wa, hub):
    with pytest.raises(BadInput):
        await wa.search_scene(ImageSource(url="ftp://example.com/a.png"))
    assert searches(hub) == []


# =========================================================================== search: auth + quotas
async def test_guest_five_a_day_then_quota_error(wa, hub, sim):
    as_guest(wa)
    wa.ctx.shared_limits.clock = hub.clock.now  # the machine's count and the service share a clock
    before = await wa.credits()
    assert before.remaining == 5 and "guest: 5 searches/day" in before.detail  # counted on this machine
    for expected_left in (4, 3, 2, 1, 0):
        result = await wa.search_scene(ImageSource.parse(URL))
        assert result.credits_left == expected_left
    assert sim.charges == [("guest", "guest")] * 5
    credits = await wa.credits()
    assert credits.remaining == 0 and credits.unit == "searches" and credits.total == 5
    sent = len(searches(hub))
    with pytest.raises(QuotaError) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    assert GUEST_LIMIT in str(caught.value) and "retry in" in str(caught.value)
    assert len(sim.charges) == 5 and len(searches(hub)) == sent, "known used up: not even sent"
    hub.clock.advance(DAY)  # a new day
    assert (await wa.search_scene(ImageSource.parse(URL))).matches


async def test_hourly_limit_is_rate_limited_with_retry_after(wa, hub, sim):
    hub.clock.advance(3600 - hub.clock.now() % 3600 + 1)  # all 101 searches in one clock hour
    wa.ctx.shared_limits = None  # the service's own answer (the machine-wide count is tested below)
    sim.set_credits(paid=1000)
    for _ in range(100):
        await wa.search_scene(ImageSource.parse(URL))
    before = len(searches(hub))
    with pytest.raises(RateLimited) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    assert 0 < caught.value.retry_after <= 3600
    assert "retry in" in str(caught.value)
    assert len(searches(hub)) == before + 1  # not retried
    assert len(sim.charges) == 100
    hub.clock.advance(caught.value.retry_after)
    assert (await wa.search_scene(ImageSource.parse(URL))).matches


async def test_out_of_credits_is_quota_error_and_not_charged(wa, sim):
    sim.set_credits(paid=1, free_used=10)
    result = await wa.search_scene(ImageSource.parse(URL))
    assert result.credits_left == 0 and sim.charges[-1] == ("key", "paid")
    with pytest.raises(QuotaError) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    assert "no search credits left" in str(caught.value)
    assert len(sim.charges) == 1


async def test_invalid_api_key(wa, hub):
    bogus = "wait_bogus_0123456789abcdef0123"
    wa.settings["api_key"] = bogus
    with pytest.raises(AuthError) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    assert "API key" in str(caught.value) and bogus not in str(caught.value)
    assert len(searches(hub)) == 1  # a refused key is not retried


async def test_signed_in_search_uses_the_session_first(wa, sim):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    result = await wa.search_scene(ImageSource.parse(URL))
    assert sim.charges == [("session", "free")]
    assert result.credits_left == 34


async def test_created_key_works_for_search(wa, sim):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    key = await wa.create_key("laptop")
    await wa.sign_out()
    wa.settings["api_key"] = key.plaintext
    await wa.search_scene(ImageSource.parse(URL))
    assert sim.charges[-1] == ("key", "free")
    assert sim.keys[key.plaintext].last_used_at is not None


# =========================================================================== search: failures
async def test_search_retries_503_then_succeeds(wa, hub, sim):
    hub.inject("whatanime", "server_error", status=503, path=SEARCH)
    result = await wa.search_scene(ImageSource.parse(URL))
    assert result.matches
    assert [r.status for r in searches(hub)] == [503, 200]
    assert len(sim.charges) == 1


async def test_search_500_is_not_retried(wa, hub):
    hub.inject("whatanime", "server_error", status=500, path=SEARCH)
    with pytest.raises(ServerError) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    assert "HTTP 500" in str(caught.value) and not caught.value.retryable
    assert len(searches(hub)) == 1


async def test_search_dropped_after_sending_is_not_retried(wa, hub, sim):
    hub.inject("whatanime", "drop", path=SEARCH, after_response=True)
    with pytest.raises(NetworkError) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    assert caught.value.maybe_charged
    assert len(searches(hub)) == 1 and len(sim.charges) == 1


async def test_unsupported_format_from_the_server(wa, hub, samples):
    hub.inject("whatanime", "status", status=415, path=SEARCH,
               body={"error": "Unsupported image format (WEBP). Only JPEG and PNG are accepted."})
    with pytest.raises(Unsupported) as caught:
        await wa.search_scene(ImageSource(path=samples / "photo.jpg"))
    assert "Only JPEG and PNG are accepted" in str(caught.value)


async def test_bad_request_quotes_the_server(wa, sim):
    with pytest.raises(BadInput) as caught:
        await wa.search_scene(ImageSource.parse("https://example.com/404/gone.png"))
    assert "Failed to fetch image (HTTP 404)" in str(caught.value)
    assert sim.charges == []


async def test_malformed_body(wa, hub):
    hub.inject("whatanime", "malformed", path=SEARCH)
    with pytest.raises(ServerError) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    assert "malformed JSON" in str(caught.value)
    hub.inject("whatanime", "malformed", path="/rankings")
    with pytest.raises(ServerError):
        await wa.rankings()


async def test_unexpected_body_shape(wa, hub):
    hub.inject("whatanime", "status", status=200, path=SEARCH, body={"error": "", "frameCount": 3})
    with pytest.raises(ServerError) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    assert "no result list" in str(caught.value)


async def test_hostile_strings_are_cleaned(wa, hub):
    hub.inject("whatanime", "hostile", times=None)
    result = await wa.search_scene(ImageSource.parse(URL))
    rankings = await wa.rankings(limit=10)
    recent = await wa.recent_searches(limit=10)
    titles = [m.title for m in result.matches] + [r.title for r in rankings] + [r.title for r in recent]
    assert titles
    for title in titles:
        assert "\x1b" not in title and "\x07" not in title and "\u202e" not in title
        assert len(title) <= 300


# =========================================================================== rankings
@pytest.mark.parametrize("period", ["daily", "weekly", "monthly", "yearly", "all"])
async def test_rankings_per_period(wa, period):
    rows = await wa.rankings(period=period)
    assert 10 <= len(rows) <= 50
    assert [r.rank for r in rows] == list(range(1, len(rows) + 1))
    assert not any(r.adult for r in rows)
    counts = [r.searches for r in rows]
    assert all(c is not None for c in counts) and counts == sorted(counts, reverse=True)
    assert all(r.title and r.anilist_id and r.image_url for r in rows)


async def test_rankings_differ_by_period_and_respect_limit(wa):
    daily = await wa.rankings(period="daily", limit=10)
    weekly = await wa.rankings(period="weekly", limit=10)
    everything = await wa.rankings()
    assert len(daily) == 10 and len(weekly) == 10
    assert [r.title for r in daily] != [r.title for r in weekly]
    assert everything[0].searches > daily[0].searches


async def test_rankings_include_adult_only_when_asked(wa):
    hidden = await wa.rankings(period="all")
    shown = await wa.rankings(period="all", include_adult=True)
    assert not any(r.adult for r in hidden)
    assert sum(r.adult for r in shown) >= 1
    assert len(shown) > len(hidden)


async def test_rankings_bad_arguments(wa, hub):
    with pytest.raises(BadInput):
        await wa.rankings(period="hourly")
    with pytest.raises(BadInput):
        await wa.rankings(limit=0)
    assert hub.requests_to("whatanime") == []


async def test_reads_are_retried(wa, hub):
    hub.inject("whatanime", "server_error", status=500, path="/rankings", times=2)
    assert await wa.rankings(limit=3)
    hub.inject("whatanime", "rate_limit", path="/recent", retry_after=0.01)
    assert await wa.recent_searches(limit=3)
    hub.inject("whatanime", "drop", path="/recent")
    assert await wa.recent_searches(limit=3)
    statuses = [r.status for r in hub.requests_to("whatanime")]
    assert statuses.count(500) == 2 and statuses.count(429) == 1


async def test_reads_give_up_after_the_retries(wa, hub):
    hub.inject("whatanime", "server_error", status=502, path="/rankings", times=None)
    with pytest.raises(ServerError):
        await wa.rankings()
    assert len(hub.requests_to("whatanime")) == 3  # FAST_RETRY: three tries


# =========================================================================== recent searches
async def test_recent_searches_paging(wa):
    first = await wa.recent_searches(limit=20, offset=0)
    second = await wa.recent_searches(limit=20, offset=20)
    assert len(first) == 20 and len(second) == 20
    assert not {r.id for r in first} & {r.id for r in second}
    stamps = [r.searched_at for r in first + second]
    assert all(stamps) and stamps == sorted(stamps, reverse=True)
    tail = await wa.recent_searches(limit=20, offset=290)
    assert len(tail) == 10
    assert await wa.recent_searches(limit=20, offset=300) == []
    assert await wa.recent_searches(limit=20, offset=5000) == []


# =========================================================================== sign-in & session
async def test_sign_in_keeps_the_whole_jar_in_a_private_file(wa, session_file, sim):
    session = await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    assert session.email == DEMO_EMAIL and session.user_id and wa.session == session
    names = {c[0] for c in session.cookies}
    assert names == {"better-auth.session_token"}  # no session_data at sign-in, as better-auth 1.7
    assert stat.S_IMODE(os.stat(session_file).st_mode) == 0o600
    stored = json.loads(session_file.read_text())
    assert stored["email"] == DEMO_EMAIL
    assert {c["name"] for c in stored["cookies"]} == names
    assert all(c["value"] and c["path"] == "/" and c["domain"] for c in stored["cookies"])
    assert DEMO_PASSWORD not in session_file.read_text()
    # a restart reads the file back and the session works
    again = WhatAnimeProvider(wa.ctx)
    assert again.session is not None and again.session.cookies == session.cookies
    assert (await again.credits()).remaining == 35


async def test_cookie_names_are_not_hard_coded(wa, sim, session_file):
    sim.cookie_prefix = "__Secure-better-auth"
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    assert (await wa.credits()).remaining == 35
    assert "__Secure-better-auth.session_token" in session_file.read_text()


async def test_sign_out(wa, sim, session_file):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    assert len(sim.sessions) == 1
    await wa.sign_out()
    assert wa.session is None and not session_file.exists()
    assert sim.sessions == {}
    with pytest.raises(AuthError) as caught:
        await wa.list_keys()
    assert NOT_SIGNED_IN in str(caught.value)
    await wa.sign_out()  # signing out twice is fine


async def test_wrong_password(wa, session_file):
    password = "hunter2-not-the-password"
    with pytest.raises(AuthError) as caught:
        await wa.sign_in(DEMO_EMAIL, password)
    assert "wrong email or password" in str(caught.value)
    assert password not in str(caught.value)
    assert wa.session is None and not session_file.exists()


async def test_missing_and_untrusted_origin(wa, hub):
    wa.settings["origin"] = "null"
    with pytest.raises(AuthError) as caught:
        await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    assert "INVALID_ORIGIN" in str(caught.value) and "providers.whatanime.origin" in str(caught.value)
    wa.settings["origin"] = "https://evil.example"
    with pytest.raises(AuthError) as caught:
        await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    assert "INVALID_ORIGIN" in str(caught.value)
    assert [r.status for r in hub.requests_to("whatanime")] == [403, 403]


async def test_cookie_post_without_origin_is_refused(wa):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    wa.settings["origin"] = ""
    with pytest.raises(AuthError) as caught:
        await wa.create_key("no origin")
    assert "providers.whatanime.origin" in str(caught.value)
    assert wa.session is not None  # an Origin problem does not end the session


async def test_sign_in_rate_limit(wa, hub):
    for _ in range(3):
        with pytest.raises(AuthError):
            await wa.sign_in(DEMO_EMAIL, "nope-nope")
    with pytest.raises(RateLimited) as caught:
        await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    assert 0 < caught.value.retry_after <= 10
    assert "too many sign-in attempts" in str(caught.value)
    assert len(hub.requests_to("whatanime")) == 4  # never retried on its own
    hub.clock.advance(10)
    assert await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)


async def test_sign_in_needs_email_and_password(wa, hub):
    with pytest.raises(BadInput):
        await wa.sign_in("", DEMO_PASSWORD)
    with pytest.raises(BadInput):
        await wa.sign_in(DEMO_EMAIL, "")
    assert hub.requests_to("whatanime") == []


async def test_session_expires_after_seven_days(wa, hub, session_file):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    hub.clock.advance(7 * DAY + 1)
    with pytest.raises(AuthError) as caught:
        await wa.credits()
    assert SESSION_EXPIRED in str(caught.value)
    assert wa.session is None and not session_file.exists()
    with pytest.raises(AuthError) as caught:
        await wa.list_keys()
    assert NOT_SIGNED_IN in str(caught.value)


async def test_session_slides_when_used(wa, hub, session_file):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    record = next(iter(hub.services["whatanime"].sessions.values()))
    first_expiry = record.expires_at
    hub.clock.advance(2 * DAY)
    await wa.credits()  # refreshed: the server extended the session and set the cookie again
    assert record.expires_at > first_expiry
    hub.clock.advance(6 * DAY)  # 8 days after sign-in, 6 after the refresh
    assert (await wa.credits()).remaining == 35


async def test_expired_session_search_falls_back_to_the_key(wa, hub, sim, session_file):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    sim.expire_sessions()
    result = await wa.search_scene(ImageSource.parse(URL))
    assert result.matches
    assert wa.session_expired and wa.session is None and not session_file.exists()
    assert [r.status for r in searches(hub)] == [401, 200]
    assert sim.charges == [("key", "free")]


async def test_expired_session_search_falls_back_to_guest(wa, hub, sim):
    as_guest(wa)
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    hub.clock.advance(8 * DAY)
    result = await wa.search_scene(ImageSource.parse(URL))
    assert result.credits_left == 4
    assert wa.session_expired and sim.charges == [("guest", "guest")]
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    assert not wa.session_expired


async def test_expired_session_on_key_creation(wa, sim, session_file):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    sim.expire_sessions()
    with pytest.raises(AuthError) as caught:
        await wa.create_key("late")
    assert SESSION_EXPIRED in str(caught.value) and not session_file.exists()


async def test_a_broken_session_file_means_signed_out(wa, session_file):
    session_file.parent.mkdir(parents=True, exist_ok=True)
    session_file.write_text("{not json")
    fresh = WhatAnimeProvider(wa.ctx)
    assert fresh.session is None
    with pytest.raises(AuthError):
        await fresh.list_keys()


async def test_a_session_for_another_host_is_not_sent(wa, session_file):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    stored = json.loads(session_file.read_text())
    stored["base_url"] = "https://mirror.example"
    session_file.write_text(json.dumps(stored))
    assert WhatAnimeProvider(wa.ctx).session is None


# =========================================================================== credits & keys
async def test_credits_signed_in(wa, sim):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    credits = await wa.credits()
    assert credits.remaining == 35 and credits.unit == "credits"
    assert "10 of 10 free" in credits.detail and "25 paid" in credits.detail
    await wa.search_scene(ImageSource.parse(URL))
    assert (await wa.credits()).remaining == 34


async def test_credits_with_only_a_key(wa):
    before = await wa.credits()
    assert before.remaining is None and "sign in" in before.detail
    await wa.search_scene(ImageSource.parse(URL))
    assert (await wa.credits()).remaining == 34


async def test_key_list_paging(wa):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    page1 = await wa.list_keys(page=1, page_size=5)
    page3 = await wa.list_keys(page=3, page_size=5)
    assert len(page1.keys) == 5 and page1.total == 12 and page1.page == 1
    assert len(page3.keys) == 2
    assert not {k.id for k in page1.keys} & {k.id for k in page3.keys}
    everything = (await wa.list_keys(page=1, page_size=50)).keys
    assert len(everything) == 12
    for key in everything:
        assert KEY not in key.masked and key.plaintext is None
    assert any(k.title == "demo" and k.masked.endswith(KEY[-4:]) for k in everything)


async def test_create_key_shows_the_plaintext_once(wa):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    created = await wa.create_key("  ci runner  ")
    assert created.plaintext and created.plaintext.startswith("wait_")
    assert created.title == "ci runner" and created.plaintext not in created.masked
    assert "plaintext" not in created.to_json() and created.to_json(reveal=True)["plaintext"] == created.plaintext
    listed = await wa.list_keys(page=1, page_size=50)
    assert listed.total == 13
    assert all(created.plaintext not in k.masked and k.plaintext is None for k in listed.keys)
    assert listed.keys[0].title == "ci runner"


async def test_create_key_needs_a_title_and_a_session(wa, hub):
    with pytest.raises(AuthError) as caught:
        await wa.create_key("x")
    assert NOT_SIGNED_IN in str(caught.value)
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    with pytest.raises(BadInput):
        await wa.create_key("   ")
    with pytest.raises(BadInput):
        await wa.create_key("x" * 101)
    assert [r.path for r in hub.requests_to("whatanime")] == ["/api/auth/sign-in/email"]


# =========================================================================== secrets
async def test_no_secret_in_any_message(wa, hub, session_file):
    session = await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    cookie_values = [value for _name, value, _d, _p in session.cookies]
    echo = f"bad request from key {KEY} with cookie {' and '.join(cookie_values)} password={DEMO_PASSWORD}"
    messages: list[str] = []
    hub.inject("whatanime", "status", status=400, path=SEARCH, body={"error": echo})
    with pytest.raises(BadInput) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    messages.append(str(caught.value))
    hub.inject("whatanime", "status", status=403, path="/apikeys", body={"message": echo})
    with pytest.raises(AuthError) as caught:
        await wa.list_keys()
    messages.append(str(caught.value))
    await wa.sign_out()
    with pytest.raises(AuthError) as caught:
        await wa.sign_in(DEMO_EMAIL, "correct horse battery")
    messages.append(str(caught.value))
    wa.settings["api_key"] = "wait_invalid_5f5f5f5f5f5f5f5f"
    with pytest.raises(AuthError) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    messages.append(str(caught.value))
    secrets = [KEY, DEMO_PASSWORD, "correct horse battery", "wait_invalid_5f5f5f5f5f5f5f5f", *cookie_values]
    secrets += [value.rpartition(".")[0] for value in cookie_values]
    secrets += [urllib.parse.unquote(value) for value in cookie_values]
    for message in messages:
        for secret in secrets:
            assert secret not in message, (secret, message)


# =========================================================================== tolerant parsers
def test_parse_search_shapes():
    item = {"title": "Plain", "similarity": 87, "start": 10, "end": 12.5, "episode": "7", "anilistId": "99"}
    for body in ([item], {"results": [item]}, {"matches": [item]}, {"data": [item]}, {"data": {"result": [item]}}):
        (match,) = parse_search(body).matches
        assert match.title == "Plain" and match.similarity == pytest.approx(0.87)
        assert (match.start, match.end, match.episode, match.anilist_id) == (10, 12.5, "7", 99)


def test_parse_search_title_preference_and_fallbacks():
    body = {"result": [
        {"anilist": {"id": 1, "title": {"romaji": "R", "english": "E", "native": "N"}, "isAdult": True}, "similarity": 0.5},
        {"anime": {"title": {"romaji": "R2", "english": None, "native": "N2"}}, "similarity": 0.9, "at": 4},
        {"anilist": {"title": {"native": "N3"}}, "score": 0.7},
        {},
        "not a dict",
        None,
    ], "credits": {"remaining": 7}}
    result = parse_search(body)
    assert [m.title for m in result.matches] == ["R2", "N3", "E", "(untitled)"]
    assert result.matches[0].start == 4  # "at" when there is no "from"
    assert result.matches[2].adult and result.matches[2].anilist_id == 1
    assert result.matches[3] == parse_search([{}]).matches[0]
    assert result.matches[3].similarity is None and result.matches[3].episode is None
    assert result.credits_left == 7


def test_parse_search_caps_at_five_best_and_reads_quota():
    items = [{"title": f"T{i}", "similarity": i / 10} for i in range(8)]
    result = parse_search({"result": items, "quota": 100, "quotaUsed": "43"})
    assert [m.title for m in result.matches] == ["T7", "T6", "T5", "T4", "T3"]
    assert result.credits_left == 57


def test_parse_search_urls():
    body = [{"title": "x", "image": "/sim-files/a.jpg", "video": "javascript:alert(1)"},
            {"title": "y", "image": "https://cdn.example/i.jpg\x1b[2J", "video": "https://cdn.example/v.mp4"}]
    first, second = parse_search(body, "https://h.example").matches
    assert first.image_url == "https://h.example/sim-files/a.jpg" and first.video_url is None
    assert second.image_url is None and second.video_url == "https://cdn.example/v.mp4"


def test_parse_search_without_a_list():
    with pytest.raises(ServerError) as caught:
        parse_search({"error": "Search failed. Database temporarily unavailable."})
    assert "Database temporarily unavailable" in str(caught.value)
    with pytest.raises(ServerError):
        parse_search("nope")


@pytest.mark.parametrize(("raw", "expected"), [
    (None, None), (3, "3"), (3.0, "3"), (12.5, "12.5"), ("OVA", "OVA"), ("", None), ([3, 4], "3–4"),
    ([1, 2, 3], "1, 2, 3"), ([], None), (True, None), ({"a": 1}, None), (float("nan"), None),
])
def test_episode_of(raw, expected):
    assert episode_of(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), [
    (0.93, 0.93), (93, 0.93), ("0.5", 0.5), (1, 1.0), (100, 1.0), (250, 1.0), (-1, None), ("x", None), (None, None),
])
def test_similarity_of(raw, expected):
    assert similarity_of(raw) == (pytest.approx(expected) if expected is not None else None)


def test_parse_rankings_recent_credits_keys_shapes():
    rankings = parse_rankings({"data": [
        {"position": 2, "title": "B", "count": "10", "isAdult": False, "coverImage": {"large": "https://c/b.jpg"}},
        {"title": "A", "searches": 20, "rank": "1"},
        {"rank": 3, "anime": {"title": {"english": "Adult"}, "isAdult": True}},
    ]}, include_adult=False)
    assert [(r.rank, r.title, r.searches) for r in rankings] == [(1, "A", 20), (2, "B", 10)]
    assert rankings[1].image_url == "https://c/b.jpg"
    recent = parse_recent({"searches": [{"id": 5, "title": "R", "timestamp": 1_700_000_000_000}]})
    assert recent[0].id == "5" and recent[0].searched_at == "2023-11-14T22:13:20Z"
    assert parse_credits({"remaining": 3}).remaining == 3
    assert parse_credits({"freeCredits": 2, "paidCredits": 5}).remaining == 7
    with pytest.raises(ServerError):
        parse_credits({"nothing": True})
    page = parse_key_page({"keys": [{"id": "k", "name": "n", "key": "wait_0123456789abcdef0123456789abcdef"}],
                           "total": 1}, page=1, page_size=20)
    assert page.keys[0].title == "n" and "0123456789abcdef0123456789" not in page.keys[0].masked


async def test_hourly_limit_is_counted_on_the_machine_before_sending(wa, hub, sim):
    wa.ctx.shared_limits.clock = hub.clock.now
    sim.set_credits(paid=1000)
    for _ in range(100):
        await wa.search_scene(ImageSource.parse(URL))
    before = len(searches(hub))
    with pytest.raises(RateLimited) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    assert 3500 < caught.value.retry_after <= 3602 and "retry in" in str(caught.value)
    assert len(searches(hub)) == before, "refused here: nothing sent, nothing charged"
    hub.clock.advance(caught.value.retry_after)
    assert (await wa.search_scene(ImageSource.parse(URL))).matches


async def test_sign_in_without_origin_or_cookie_is_not_refused(wa, hub):
    wa.settings["origin"] = ""  # better-auth 1.7 checks the Origin of cookie-bearing requests only
    session = await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    assert session.email == DEMO_EMAIL


async def test_only_unexpired_path_matching_cookies_are_sent(wa, hub, sim):
    import http.cookiejar

    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    jar = wa.session_store.jar.jar
    domain = next(iter(jar)).domain

    def add(name, path, expires):
        jar.set_cookie(http.cookiejar.Cookie(0, name, "x", None, False, domain, False, False, path, True, False,
                                             expires, False, None, None, {}))

    add("stale", "/", int(time.time()) - 10)
    add("elsewhere", "/api/other", None)
    add("near-miss", "/api/user/anime", None)  # /api/user/anime-credits does not path-match it
    add("here", "/api/user", None)
    header = wa.session_store.cookie_header("/api/user/anime-credits")
    names = [part.split("=")[0] for part in header.split("; ")]
    assert "better-auth.session_token" in names and "here" in names
    assert not {"stale", "elsewhere", "near-miss"} & set(names)
    assert names.index("here") < names.index("better-auth.session_token"), "longer paths first"
    assert (await wa.credits()).remaining == 35


async def test_cookie_expiry_survives_a_restart(wa, session_file):
    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    stored = json.loads(session_file.read_text())
    expires = stored["cookies"][0]["expires"]
    assert expires > time.time() + 6 * 86400  # Max-Age=604800
    again = WhatAnimeProvider(wa.ctx)
    assert again.session is not None
    assert [c.expires for c in again.session_store.jar.jar] == [expires]


# =========================================================================== unexpected answers
async def test_a_candidates_key_is_read_as_the_result_list(wa, hub):
    body = {"candidates": [{"anilist": {"id": 1, "title": {"romaji": "Cowboy Bebop"}}, "episode": 1,
                            "from": 10, "to": 12, "similarity": 0.97}]}
    hub.inject("whatanime", "status", status=200, path=SEARCH, body=body)
    result = await wa.search_scene(ImageSource.parse(URL))
    assert [m.title for m in result.matches] == ["Cowboy Bebop"]


async def test_an_unreadable_search_answer_is_kept_redacted_and_the_user_told(wa, hub, providers):
    from animetui.unexpected import list_saved

    await wa.sign_in(DEMO_EMAIL, DEMO_PASSWORD)
    cookie = wa.session.cookies[0][1]
    body = {"payload": {"weird": True, "owner": "someone@example.com", "apiKey": KEY, "note": f"cookie {cookie}",
                        "sessionToken": "abc123"}}
    hub.inject("whatanime", "status", status=200, path=SEARCH, body=body)
    with pytest.raises(ServerError) as caught:
        await wa.search_scene(ImageSource.parse(URL))
    message = str(caught.value)
    assert "may have been charged" in message and "bug report" in message
    saved = list_saved(providers.settings.data_dir)
    assert len(saved) == 1 and str(saved[0].path) in message and saved[0].provider == "whatanime"
    text = saved[0].path.read_text()
    assert stat.S_IMODE(os.stat(saved[0].path).st_mode) == 0o600
    document = json.loads(text)
    assert document["body"]["payload"]["weird"] is True  # the shape is kept
    for secret in (KEY, "someone@example.com", cookie, urllib.parse.unquote(cookie), "abc123"):
        assert secret not in text, secret


async def test_unreadable_rankings_and_non_json_are_kept_too(wa, hub, providers):
    from animetui.unexpected import list_saved

    hub.inject("whatanime", "status", status=200, path="/api/anime/rankings", body={"top": []})
    with pytest.raises(ServerError, match="bug report"):
        await wa.rankings()
    hub.inject("whatanime", "status", status=200, path="/api/anime/recent-searches", body="<html>oops</html>",
               headers={"content-type": "text/html"}, times=None)
    with pytest.raises(ServerError, match="bug report"):
        await wa.recent_searches()
    kinds = {s.what for s in list_saved(providers.settings.data_dir)}
    assert "rankings" in kinds and any("recent" in k for k in kinds)
