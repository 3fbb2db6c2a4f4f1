"""Issue 10, "Keys and photos leaving for another host": a redirect to another origin carries no
credential header and no upload body; paid/credit-spending requests follow no redirect at all.

``hostile`` plays the service; ``elsewhere`` (another port, so another origin) answers whatever it
is sent and records it. On main, httpx followed the 307 and forwarded ``ailabapi-api-key`` and the
photo to ``elsewhere``.
"""

from __future__ import annotations

import json

import pytest

from animetui.errors import AnimetuiError, ServerError
from animetui.models import GenerateRequest, ImageSource

from .conftest import (
    AILAB_CREDITS,
    AILAB_CREDITS_PATH,
    AILAB_SUBMIT,
    GENERATE,
    KEYS,
    RANKINGS,
    RANKINGS_OK,
    SCENE_OK,
    SEARCH,
    SUBMIT,
    TRACE_MODELS,
    TRACE_MODELS_PATH,
    TRACE_OK,
    TRACE_SEARCH,
    assert_nothing_secret_arrived,
)

REDIRECTS = pytest.mark.parametrize("status", [302, 307, 308])


@REDIRECTS
def test_credits_redirected_to_another_host_sends_no_key(hostile, elsewhere, point_at, cli, status):
    point_at(hostile)
    hostile.redirect(AILAB_CREDITS_PATH, elsewhere.url + AILAB_CREDITS_PATH, status=status)
    elsewhere.route(AILAB_CREDITS_PATH, json=AILAB_CREDITS)

    code, out, err = cli("credits", "--json")

    assert code == 0, err
    assert_nothing_secret_arrived(elsewhere, *KEYS.values())
    problem = json.loads(out)["errors"]["ailab"]
    assert "another host" in problem and "127.0.0.1" in problem and "Traceback" not in err
    assert KEYS["ailab"] not in out + err


@REDIRECTS
async def test_cartoonize_redirected_sends_neither_key_nor_photo(hostile, elsewhere, registry, photo, status):
    hostile.redirect(SUBMIT, elsewhere.url + SUBMIT, status=status)
    elsewhere.route(SUBMIT, json=AILAB_SUBMIT)

    with pytest.raises(ServerError, match="another host") as info:
        await registry.ailab.submit(ImageSource(path=photo), style=0)

    assert_nothing_secret_arrived(elsewhere, KEYS["ailab"])
    assert len(hostile.requests_to(SUBMIT)) == 1  # and not sent again
    assert info.value.maybe_charged and "may have been charged" in info.value.message


@pytest.mark.parametrize("auth", ["key", "session"])
def test_scene_search_redirected_sends_neither_credentials_nor_photo(hostile, elsewhere, point_at, cli, photo, tmp_path, auth):
    point_at(hostile)
    cookie = "SESSIONcookieVALUE0123456789.sig"
    if auth == "session":
        data = tmp_path / "data"
        data.mkdir(exist_ok=True)
        (data / "whatanime-session.json").write_text(json.dumps({
            "version": 1, "base_url": hostile.url, "email": "me@example.org",
            "cookies": [{"name": "session_token", "value": cookie, "domain": "127.0.0.1", "path": "/"}],
        }))
    hostile.redirect(SEARCH, elsewhere.url + SEARCH, status=307)
    elsewhere.route(SEARCH, json=SCENE_OK)

    code, out, err = cli("scene", str(photo))

    assert code != 0 and "another host" in err and "Traceback" not in err
    assert_nothing_secret_arrived(elsewhere, KEYS["whatanime"], cookie)
    sent = hostile.requests_to(SEARCH)
    assert len(sent) == 1
    assert (sent[0].header("cookie") or "").endswith(cookie) if auth == "session" else sent[0].header("authorization")


async def test_generate_redirected_is_not_followed(hostile, elsewhere, registry):
    hostile.redirect(GENERATE, elsewhere.url + GENERATE, status=307)
    elsewhere.route(GENERATE, json={"image_url": elsewhere.url + "/img.png", "balance_usd": 1})

    with pytest.raises(ServerError) as info:
        await registry.animeapi.generate(GenerateRequest(prompt="a fox in the snow"))

    assert_nothing_secret_arrived(elsewhere, KEYS["animeapi"], "a fox in the snow")
    assert len(hostile.requests_to(GENERATE)) == 1
    assert info.value.maybe_charged and "may have been charged" in str(info.value)


async def test_character_search_redirected_sends_no_photo(hostile, elsewhere, registry, photo):
    hostile.route(TRACE_MODELS_PATH, json=TRACE_MODELS)
    hostile.redirect(TRACE_SEARCH, elsewhere.url + TRACE_SEARCH, status=307)
    elsewhere.route(TRACE_SEARCH, json=TRACE_OK)

    with pytest.raises(ServerError, match="another host"):
        await registry.animetrace.recognize(ImageSource(path=photo))

    assert_nothing_secret_arrived(elsewhere)
    assert len(hostile.requests_to(TRACE_SEARCH)) == 1


async def test_sign_in_redirected_sends_no_password(hostile, elsewhere, registry):
    password = "hunter2-HOSTILE-password"
    hostile.redirect("/api/auth/sign-in/email", elsewhere.url + "/api/auth/sign-in/email", status=307)
    elsewhere.route("/api/auth/sign-in/email", json={"user": {"email": "me@example.org"}},
                    headers={"Set-Cookie": "session_token=abc; Path=/"})

    with pytest.raises(AnimetuiError, match="another host"):
        await registry.whatanime.sign_in("me@example.org", password)

    assert_nothing_secret_arrived(elsewhere, password, KEYS["whatanime"])


def test_rankings_cross_origin_redirect_is_refused_with_a_clear_line(hostile, elsewhere, point_at, cli):
    point_at(hostile)
    hostile.redirect(RANKINGS, elsewhere.url + RANKINGS, status=302)
    elsewhere.route(RANKINGS, json=RANKINGS_OK)

    code, _out, err = cli("rankings")

    assert code != 0 and "another host" in err and "Traceback" not in err
    assert elsewhere.requests == []


def test_rankings_same_origin_redirect_is_followed(hostile, point_at, cli):
    point_at(hostile)
    hostile.redirect(RANKINGS, "/v2/rankings", status=301)
    hostile.route("/v2/rankings", json=RANKINGS_OK)

    code, out, err = cli("rankings", "--json")

    assert code == 0, err
    assert json.loads(out)["rankings"][0]["title"] == "Frieren"


async def test_paid_request_follows_no_redirect_even_on_the_same_host(hostile, registry, photo):
    hostile.redirect(SEARCH, "/api/anime/search-again", status=307)
    hostile.route("/api/anime/search-again", json=SCENE_OK)

    with pytest.raises(ServerError, match="not followed") as info:
        await registry.whatanime.search_scene(ImageSource(path=photo))

    assert hostile.requests_to("/api/anime/search-again") == []
    assert len(hostile.requests_to(SEARCH)) == 1 and info.value.maybe_charged


@pytest.fixture
async def tracemoe(hostile, tmp_path):
    """trace.moe with a key, pointed at ``hostile`` (built directly: not in the registry yet)."""
    from animetui.net import RateLimiter, RetryPolicy, make_client
    from animetui.providers.base import ProviderContext
    from animetui.providers.tracemoe import create

    client = make_client(hostile.url, timeout=10)
    ctx = ProviderContext(name="tracemoe", settings={"api_key": "traceHOSTILEkey0123456789", "previews": 0},
                          client=client, limiter=RateLimiter(1000, 1000),
                          retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02),
                          cache_dir=tmp_path / "cache", data_dir=tmp_path / "data")
    provider = create(ctx)
    try:
        yield provider
    finally:
        await client.aclose()


async def test_tracemoe_search_redirected_sends_neither_key_nor_photo(hostile, elsewhere, tracemoe, photo):
    hostile.redirect("/search", elsewhere.url + "/search", status=307)
    elsewhere.route("/search", json={"error": "", "result": []})

    with pytest.raises(AnimetuiError, match="another host"):
        await tracemoe.search_scene(ImageSource(path=photo))

    assert_nothing_secret_arrived(elsewhere, "traceHOSTILEkey0123456789")
    assert len(hostile.requests_to("/search")) == 1
