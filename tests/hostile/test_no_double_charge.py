"""Issue 10, "Money": a paid or credit-spending request the server may have acted on is sent once.

"May have acted on": it answered with a status line (even one whose body we cannot read — here
``Content-Encoding: gzip`` on a body that is not gzip), the connection broke after the request
went out, or the redirects went round in a loop. On main each of these was a retryable network
error: one ``cartoonize`` sent 3 paid submits, one ``scene`` 3 credit-spending searches, and
AnimeAPI's generate said only ``HTTP error (DecodingError)``.
"""

from __future__ import annotations

import json

import pytest

from animetui.errors import AnimetuiError
from animetui.models import GenerateRequest, ImageSource

from .conftest import (
    FAST_RETRY_ATTEMPTS,
    GENERATE,
    RANKINGS,
    SEARCH,
    SUBMIT,
    TRACE_MODELS,
    TRACE_MODELS_PATH,
    TRACE_SEARCH,
)
from .hostile_server import Reply

CHARGED = "may have been charged"


async def test_cartoonize_unreadable_answer_is_one_submit(hostile, registry, photo):
    hostile.lying_gzip(SUBMIT, body=b'{"error_code": 0, "task_id": "t"}')

    with pytest.raises(AnimetuiError) as info:
        await registry.ailab.submit(ImageSource(path=photo), style=1)

    assert len(hostile.requests_to(SUBMIT)) == 1
    assert info.value.maybe_charged and not info.value.retryable and CHARGED in info.value.message


def test_scene_unreadable_answer_is_one_search(hostile, point_at, cli, photo):
    point_at(hostile)
    hostile.lying_gzip(SEARCH, body=b'{"result": []}')

    code, _out, err = cli("scene", str(photo))

    assert code != 0 and CHARGED in err and "Traceback" not in err
    assert len(hostile.requests_to(SEARCH)) == 1


async def test_generate_unreadable_answer_says_may_have_been_charged(hostile, registry):
    hostile.lying_gzip(GENERATE, body=b'{"image_url": "http://x/y.png"}')

    with pytest.raises(AnimetuiError) as info:
        await registry.animeapi.generate(GenerateRequest(prompt="a fox"))

    assert len(hostile.requests_to(GENERATE)) == 1
    assert info.value.maybe_charged and CHARGED in str(info.value)
    assert "DecodingError" not in str(info.value)


def test_generate_job_from_the_cli_says_may_have_been_charged(hostile, point_at, cli):
    point_at(hostile)
    hostile.lying_gzip(GENERATE, body=b'{"image_url": "http://x/y.png"}')

    code, out, err = cli("generate", "a fox in the snow", "--json")

    assert code != 0
    assert CHARGED in out + err and "Traceback" not in err
    assert len(hostile.requests_to(GENERATE)) == 1


async def test_character_search_unreadable_answer_is_one_search(hostile, registry, photo):
    hostile.route(TRACE_MODELS_PATH, json=TRACE_MODELS)
    hostile.lying_gzip(TRACE_SEARCH, body=b'{"code": 0, "data": []}')

    with pytest.raises(AnimetuiError) as info:
        await registry.animetrace.recognize(ImageSource(path=photo))

    assert len(hostile.requests_to(TRACE_SEARCH)) == 1 and info.value.maybe_charged


@pytest.mark.parametrize("path", [SEARCH, GENERATE, SUBMIT])
async def test_read_error_after_the_status_line_is_not_retried(hostile, registry, photo, path):
    # the status line and half the body arrive, then the connection breaks
    hostile.route(path, handler=lambda _r: Reply(200, {"Content-Type": "application/json"}, b'{"result": [', length=500))

    with pytest.raises(AnimetuiError) as info:
        if path == SEARCH:
            await registry.whatanime.search_scene(ImageSource(path=photo))
        elif path == GENERATE:
            await registry.animeapi.generate(GenerateRequest(prompt="a fox"))
        else:
            await registry.ailab.submit(ImageSource(path=photo), style=0)

    assert len(hostile.requests_to(path)) == 1
    assert info.value.maybe_charged and CHARGED in info.value.message


async def test_a_redirect_loop_on_a_paid_request_is_one_request(hostile, registry, photo):
    hostile.redirect(SUBMIT, SUBMIT, status=307)  # to itself, for ever

    with pytest.raises(AnimetuiError) as info:
        await registry.ailab.submit(ImageSource(path=photo), style=0)

    assert len(hostile.requests_to(SUBMIT)) == 1
    assert info.value.maybe_charged and not info.value.retryable


async def test_a_free_read_ends_with_a_clear_error_and_a_loop_ends(hostile, registry):
    hostile.lying_gzip(RANKINGS, body=b"{}")
    with pytest.raises(AnimetuiError, match="could not be read") as info:
        await registry.whatanime.rankings()
    assert not info.value.maybe_charged  # rankings cost nothing
    assert 1 <= len(hostile.requests_to(RANKINGS)) <= FAST_RETRY_ATTEMPTS

    hostile.reset()
    hostile.redirect(RANKINGS, RANKINGS, status=302)
    with pytest.raises(AnimetuiError, match="redirected more than"):
        await registry.whatanime.rankings()
    assert len(hostile.requests_to(RANKINGS)) <= 6  # the first try and 5 hops: no retry of a loop


def test_credits_unreadable_answer_is_one_clear_line(hostile, point_at, cli):
    point_at(hostile)
    hostile.lying_gzip("/api/common/query-credits", body=b"{}")

    code, out, err = cli("credits", "--json")

    assert code == 0, err
    assert "could not be read" in json.loads(out)["errors"]["ailab"]


async def test_tracemoe_unreadable_answer_is_one_search(hostile, tmp_path, photo):
    from animetui.net import RateLimiter, RetryPolicy, make_client
    from animetui.providers.base import ProviderContext
    from animetui.providers.tracemoe import create

    hostile.lying_gzip("/search", body=b'{"error": "", "result": []}')
    client = make_client(hostile.url, timeout=10)
    ctx = ProviderContext(name="tracemoe", settings={"previews": 0}, client=client, limiter=RateLimiter(1000, 1000),
                          retry=RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.02), cache_dir=tmp_path / "c")
    try:
        with pytest.raises(AnimetuiError) as info:
            await create(ctx).search_scene(ImageSource(path=photo))
    finally:
        await client.aclose()

    assert len(hostile.requests_to("/search")) == 1
    assert info.value.maybe_charged and CHARGED in str(info.value)
