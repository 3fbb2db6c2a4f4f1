"""Contract checks of the whatanimeisthis simulator with raw httpx (no provider in between).

These pin what the docs and research B say the service does — status codes, envelopes, headers,
cookies — so a provider test cannot pass against a simulator that drifted from the contract.
"""

from __future__ import annotations

import io
import base64
import re
import urllib.parse

import httpx
import pytest
from PIL import Image

from animetui.simulator import DEMO_KEYS
from animetui.simulator.imagery import scene
from animetui.simulator.server import serve
from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

SITE = "https://whatanimeisthis.com"
ORIGIN = {"Origin": SITE}
CREDENTIALS = {"email": DEMO_EMAIL, "password": DEMO_PASSWORD}


pytestmark = pytest.mark.simulator("whatanime")


def session_cookie(response: httpx.Response) -> str:
    return "; ".join(c.split(";", 1)[0] for c in response.headers.get_list("set-cookie"))


async def sign_in(client: httpx.AsyncClient) -> str:
    response = await client.post("/api/auth/sign-in/email", json=CREDENTIALS, headers=ORIGIN)
    assert response.status_code == 200
    client.cookies.clear()
    return session_cookie(response)


def image(fmt: str) -> bytes:
    return scene(160, 90, seed=9, fmt=fmt)


# --------------------------------------------------------------------------- better-auth
async def test_sign_in_success_shape_and_cookies(client):
    response = await client.post("/api/auth/sign-in/email", json=CREDENTIALS, headers=ORIGIN)
    assert response.status_code == 200
    body = response.json()
    assert body["redirect"] is False and body["url"] is None and body["token"]
    assert body["user"]["email"] == DEMO_EMAIL and {"id", "name", "emailVerified", "createdAt"} <= set(body["user"])
    cookies = response.headers.get_list("set-cookie")
    assert len(cookies) == 1, "no session_data cookie at sign-in (better-auth's cookie cache is off by default)"
    token_cookie = cookies[0]
    # better-call: <token>.<standard base64 HMAC-SHA256, = padded>, the whole value URL-encoded
    match = re.fullmatch(
        rf"better-auth\.session_token=({re.escape(body['token'])}\.[A-Za-z0-9%]+); Max-Age=604800; Path=/; HttpOnly; SameSite=Lax",
        token_cookie,
    )
    assert match, token_cookie
    signature = urllib.parse.unquote(match.group(1)).rpartition(".")[2]
    assert len(signature) == 44 and signature.endswith("=") and len(base64.b64decode(signature)) == 32


async def test_session_data_cookie_only_with_the_cookie_cache(client, sim):
    sim.cookie_cache = True
    response = await client.post("/api/auth/sign-in/email", json=CREDENTIALS, headers=ORIGIN)
    assert any(c.startswith("better-auth.session_data=") for c in response.headers.get_list("set-cookie"))


async def test_sign_in_origin_rules(client):
    # better-auth 1.7: no Origin and no cookie is not refused; with a cookie, an Origin is needed
    assert (await client.post("/api/auth/sign-in/email", json=CREDENTIALS)).status_code == 200
    client.cookies.clear()  # the client kept the session cookie; the next ones carry none unless said
    missing = await client.post("/api/auth/sign-in/email", json=CREDENTIALS,
                                headers={"Cookie": "other=1", "X-Forwarded-For": "203.0.113.5"})
    assert missing.status_code == 403
    assert missing.json() == {"code": "MISSING_OR_NULL_ORIGIN", "message": "Missing or null Origin"}
    null = await client.post("/api/auth/sign-in/email", json=CREDENTIALS, headers={"Origin": "null"})
    assert null.json()["code"] == "INVALID_ORIGIN"
    null = await client.post("/api/auth/sign-in/email", json=CREDENTIALS,
                             headers={"Origin": "null", "Cookie": "a=1", "X-Forwarded-For": "203.0.113.6"})
    assert null.json()["code"] == "MISSING_OR_NULL_ORIGIN"
    evil = await client.post("/api/auth/sign-in/email", json=CREDENTIALS,
                             headers={"Origin": "https://evil.example", "X-Forwarded-For": "203.0.113.7"})
    assert evil.status_code == 403 and evil.json()["code"] == "INVALID_ORIGIN"


async def test_sign_in_own_base_is_a_trusted_origin(hub):
    async with serve(hub) as base, httpx.AsyncClient(base_url=base) as http:
        ok = await http.post("/api/auth/sign-in/email", json=CREDENTIALS, headers={"Origin": base})
        assert ok.status_code == 200
        # over a real socket the cookie jar works as a browser's would
        assert (await http.get("/api/user/anime-credits")).json()["totalCredits"] == 35


async def test_sign_in_wrong_password_and_rate_limit(client, hub):
    wrong = {"email": DEMO_EMAIL, "password": "nope"}
    for _ in range(3):
        response = await client.post("/api/auth/sign-in/email", json=wrong, headers=ORIGIN)
        assert response.status_code == 401
        assert response.json() == {"code": "INVALID_EMAIL_OR_PASSWORD", "message": "Invalid email or password"}
    limited = await client.post("/api/auth/sign-in/email", json=CREDENTIALS, headers=ORIGIN)
    assert limited.status_code == 429
    assert limited.json() == {"message": "Too many requests. Please try again later."}
    assert 1 <= int(limited.headers["X-Retry-After"]) <= 10
    # per IP: another address is not limited
    other = await client.post("/api/auth/sign-in/email", json=CREDENTIALS,
                              headers={**ORIGIN, "X-Forwarded-For": "203.0.113.9"})
    assert other.status_code == 200
    hub.clock.advance(10)
    assert (await client.post("/api/auth/sign-in/email", json=CREDENTIALS, headers=ORIGIN)).status_code == 200


async def test_session_lifetime_and_sign_out(client, hub, sim):
    cookie = await sign_in(client)
    assert (await client.get("/api/user/anime-credits", headers={"Cookie": cookie})).status_code == 200
    hub.clock.advance(7 * 86400 + 1)
    assert (await client.get("/api/user/anime-credits", headers={"Cookie": cookie})).status_code == 401
    cookie = await sign_in(client)
    refused = await client.post("/api/auth/sign-out", headers={"Cookie": cookie})
    assert refused.status_code == 403 and refused.json()["code"] == "MISSING_OR_NULL_ORIGIN"
    out = await client.post("/api/auth/sign-out", headers={"Cookie": cookie, **ORIGIN})
    assert out.status_code == 200 and all("Max-Age=0" in c for c in out.headers.get_list("set-cookie"))
    assert (await client.get("/api/user/anime-credits", headers={"Cookie": cookie})).status_code == 401


async def test_forged_cookie_is_refused(client):
    cookie = await sign_in(client)
    forged = re.sub(r"session_token=([^.]+)\.[^;]+", r"session_token=\1.forged", cookie)
    assert (await client.get("/api/user/anime-credits", headers={"Cookie": forged})).status_code == 401


# --------------------------------------------------------------------------- search
async def test_search_formats(client):
    for fmt in ("JPEG", "PNG"):
        ok = await client.post("/api/anime/search", files={"image": (f"a.{fmt.lower()}", image(fmt), "image/x")},
                               headers={"Authorization": f"Bearer {DEMO_KEYS['whatanime']}"})
        assert ok.status_code == 200 and ok.json()["error"] == ""
    for fmt in ("WEBP", "GIF", "BMP"):
        refused = await client.post("/api/anime/search", files={"image": ("a.img", image(fmt), "image/png")},
                                    headers={"Authorization": f"Bearer {DEMO_KEYS['whatanime']}"})
        assert refused.status_code == 415 and fmt in refused.json()["error"]
    junk = await client.post("/api/anime/search", files={"image": ("a.png", b"not an image", "image/png")})
    assert junk.status_code == 400 and "error" in junk.json()
    neither = await client.post("/api/anime/search", files={"other": (None, "x")})
    assert neither.status_code == 400 and "url" in neither.json()["error"]


async def test_search_result_shape_and_previews(client, hub):
    response = await client.post("/api/anime/search", files={"url": (None, "https://example.com/a.png")})
    body = response.json()
    results = body["result"]
    assert 1 <= len(results) <= 5
    assert [r["similarity"] for r in results] == sorted((r["similarity"] for r in results), reverse=True)
    first = results[0]
    assert set(first["anilist"]["title"]) == {"romaji", "english", "native"}
    assert {"episode", "from", "to", "at", "image", "video", "filename"} <= set(first)
    assert body["credits"] == {"charged": "guest", "guestLimit": 5, "remaining": 4}
    preview = await client.get(first["image"])
    assert preview.status_code == 200
    assert Image.open(io.BytesIO(preview.content)).format == "JPEG"
    hub.clock.advance(301)
    assert (await client.get(first["image"])).status_code == 410


async def test_flat_image_has_no_results(client):
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (0, 0, 0)).save(buffer, "PNG")
    response = await client.post("/api/anime/search", files={"image": ("black.png", buffer.getvalue(), "image/png")})
    assert response.status_code == 200 and response.json()["result"] == []


async def test_guest_limit_is_per_ip(client, sim):
    url = {"url": (None, "https://example.com/a.png")}
    for _ in range(5):
        assert (await client.post("/api/anime/search", files=url)).status_code == 200
    limited = await client.post("/api/anime/search", files=url)
    assert limited.status_code == 429 and limited.json()["code"] == "GUEST_LIMIT_REACHED"
    assert 0 < int(limited.headers["Retry-After"]) <= 86400
    other = await client.post("/api/anime/search", files=url, headers={"X-Forwarded-For": "198.51.100.7, 10.0.0.1"})
    assert other.status_code == 200
    assert sim.guest_remaining("198.51.100.7") == 4


async def test_search_auth_errors(client):
    url = {"url": (None, "https://example.com/a.png")}
    bad_key = await client.post("/api/anime/search", files=url, headers={"Authorization": "Bearer wait_nope"})
    assert bad_key.status_code == 401 and bad_key.json()["error"] == "Invalid API key"
    cookie = await sign_in(client)
    no_origin = await client.post("/api/anime/search", files=url, headers={"Cookie": cookie})
    assert no_origin.status_code == 403 and no_origin.json()["code"] == "MISSING_OR_NULL_ORIGIN"
    ok = await client.post("/api/anime/search", files=url, headers={"Cookie": cookie, **ORIGIN})
    assert ok.status_code == 200 and ok.json()["credits"]["charged"] == "free"


async def test_credits_run_out(client, sim):
    sim.set_credits(paid=0, free_used=10)
    headers = {"Authorization": f"Bearer {DEMO_KEYS['whatanime']}"}
    response = await client.post("/api/anime/search", files={"url": (None, "https://e.com/a.png")}, headers=headers)
    assert response.status_code == 402 and response.json()["code"] == "INSUFFICIENT_CREDITS"
    assert sim.charges == []


# --------------------------------------------------------------------------- public reads
async def test_rankings_contract(client):
    default = (await client.get("/api/anime/rankings")).json()
    assert default["period"] == "all" and default["includeAdult"] is False
    assert not any(r["isAdult"] for r in default["rankings"])
    adult = (await client.get("/api/anime/rankings", params={"includeAdult": "true"})).json()
    assert any(r["isAdult"] for r in adult["rankings"])
    limited = (await client.get("/api/anime/rankings", params={"period": "daily", "limit": 3})).json()
    assert len(limited["rankings"]) == 3
    for params in ({"period": "hourly"}, {"limit": "abc"}, {"limit": "0"}):
        response = await client.get("/api/anime/rankings", params=params)
        assert response.status_code == 400 and response.json()["error"]


async def test_recent_searches_contract(client):
    page = (await client.get("/api/anime/recent-searches", params={"limit": 5})).json()
    assert len(page["items"]) == 5 and page["total"] == 300
    past = (await client.get("/api/anime/recent-searches", params={"offset": 300})).json()
    assert past["items"] == []
    assert (await client.get("/api/anime/recent-searches", params={"offset": -1})).status_code == 400


# --------------------------------------------------------------------------- account
async def test_session_only_endpoints(client):
    bearer = {"Authorization": f"Bearer {DEMO_KEYS['whatanime']}"}
    assert (await client.get("/api/user/anime-credits")).status_code == 401
    assert (await client.get("/api/user/anime-credits", headers=bearer)).status_code == 401
    assert (await client.get("/api/apikeys", headers=bearer)).status_code == 401
    cookie = await sign_in(client)
    credits = (await client.get("/api/user/anime-credits", headers={"Cookie": cookie})).json()
    assert credits["freeCredits"] == 10 and credits["paidCredits"] == 25 and credits["totalCredits"] == 35


async def test_api_keys_contract(client):
    cookie = await sign_in(client)
    listing = (await client.get("/api/apikeys", params={"page": 2, "pageSize": 5}, headers={"Cookie": cookie})).json()
    assert listing["total"] == 12 and listing["page"] == 2 and len(listing["items"]) == 5
    assert all("*" in item["maskedKey"] and "key" not in item for item in listing["items"])
    no_origin = await client.post("/api/apikeys", json={"title": "x"}, headers={"Cookie": cookie})
    assert no_origin.status_code == 403 and no_origin.json()["code"] == "MISSING_OR_NULL_ORIGIN"
    missing = await client.post("/api/apikeys", json={}, headers={"Cookie": cookie, **ORIGIN})
    assert missing.status_code == 400 and missing.json()["error"] == "title is required"
    created = await client.post("/api/apikeys", json={"title": "cli"}, headers={"Cookie": cookie, **ORIGIN})
    assert created.status_code == 201
    key = created.json()["key"]
    assert re.fullmatch(r"wait_[0-9a-f]{32}", key)
    listing = (await client.get("/api/apikeys", headers={"Cookie": cookie})).json()
    assert key not in str(listing) and listing["items"][0]["title"] == "cli"
    search = await client.post("/api/anime/search", files={"url": (None, "https://e.com/a.png")},
                               headers={"Authorization": f"Bearer {key}"})
    assert search.status_code == 200
