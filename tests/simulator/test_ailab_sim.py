"""The AILabTools simulator's contract, checked with raw httpx (no provider code in between).

What is pinned here is what the provider relies on: the envelope on every answer, the validation
codes of the submit call, the task lifecycle in simulated time, the real result image and its
size rules, expiry after 24 h, and the busy / hostile faults.
"""

from __future__ import annotations

import io
import pickle

import httpx
import pytest
from PIL import Image

from animetui.simulator import DEMO_KEYS
from animetui.simulator.ailab import (
    CREDITS_PATH,
    QUERY_PATH,
    SUBMIT_PATH,
    output_size,
    stylise,
)
from animetui.simulator.base import HOSTILE_STRINGS
from animetui.simulator.imagery import scene
from animetui.simulator.server import serve

KEY = DEMO_KEYS["ailab"]
BASE = "https://www.ailabapi.com"
ENVELOPE_KEYS = {"request_id", "log_id", "error_code", "error_code_str", "error_msg", "error_detail"}


pytestmark = pytest.mark.simulator("ailab")


def image_bytes(width: int, height: int, fmt: str = "PNG", seed: int = 1) -> bytes:
    return scene(width, height, seed=seed, boxes=[(0.2, 0.2, 0.6, 0.9)], fmt=fmt)


def flat_image(width: int = 512, height: int = 512) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (90, 140, 200)).save(buffer, "PNG")
    return buffer.getvalue()


async def submit(
    client: httpx.AsyncClient,
    image: bytes | None = None,
    *,
    fields: dict[str, str] | None = None,
    key: str | None = KEY,
    filename: str = "photo.png",
    content_type: str = "image/png",
) -> httpx.Response:
    data = {"task_type": "async", "index": "2"} if fields is None else fields
    files = None if image is None else {"image": (filename, image, content_type)}
    headers = {} if key is None else {"ailabapi-api-key": key}
    if files is None:  # still multipart, as the docs require
        files = {"unused": ("x.bin", b"x", "application/octet-stream")}
    return await client.post(SUBMIT_PATH, data=data, files=files, headers=headers)


async def query(client: httpx.AsyncClient, task_id: str | None, *, key: str = KEY) -> httpx.Response:
    params = {} if task_id is None else {"task_id": task_id}
    return await client.get(QUERY_PATH, params=params, headers={"ailabapi-api-key": key})


def assert_error(response: httpx.Response, status: int, code: str) -> dict:
    body = response.json()
    assert response.status_code == status, body
    assert ENVELOPE_KEYS <= body.keys()
    assert body["error_code"] == status
    assert body["error_code_str"] == code
    assert body["error_msg"]
    detail = body["error_detail"]
    assert detail["status_code"] == status
    assert detail["code"] == code
    assert detail["code_message"] and detail["message"]
    return body


# --------------------------------------------------------------------------- auth
@pytest.mark.parametrize("key", [None, "", "ailab_not_a_real_key"])
async def test_missing_or_unknown_key_is_401_envelope(client, key):
    response = await submit(client, image_bytes(400, 300), key=key)
    assert_error(response, 401, "ERROR_APPLICATIONS_NOT_EXISTS")
    response = await client.get(CREDITS_PATH, headers={} if key is None else {"ailabapi-api-key": key})
    assert_error(response, 401, "ERROR_APPLICATIONS_NOT_EXISTS")


async def test_locked_key_is_403(client, sim):
    key = sim.add_key(credits=5)
    sim.lock_key(key)
    assert_error(await submit(client, image_bytes(400, 300), key=key), 403, "ERROR_USER_LOCKED")


# --------------------------------------------------------------------------- submit
async def test_submit_answers_task_id_in_documented_envelope(client, sim):
    response = await submit(client, image_bytes(400, 300))
    assert response.status_code == 200
    body = response.json()
    assert ENVELOPE_KEYS <= body.keys()
    assert body["error_code"] == 0 and body["error_code_str"] == "" and body["error_msg"] == ""
    assert body["error_detail"] == {"status_code": 200, "code": "", "code_message": "", "message": ""}
    assert body["task_type"] == "async"
    assert body["task_id"] in sim.tasks
    assert sim.tasks[body["task_id"]].index == 2


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"index": "2"}, "MISSING_PARAMETERS"),
        ({"task_type": "sync", "index": "2"}, "ERROR_INVALID_PARAMETER"),
        ({"task_type": "", "index": "2"}, "ERROR_INVALID_PARAMETER"),
        ({"task_type": "async"}, "MISSING_PARAMETERS"),
        ({"task_type": "async", "index": "9"}, "ERROR_INVALID_PARAMETER"),
        ({"task_type": "async", "index": "-1"}, "ERROR_INVALID_PARAMETER"),
        ({"task_type": "async", "index": "two"}, "ERROR_INVALID_PARAMETER"),
    ],
)
async def test_task_type_and_index_validation(client, sim, fields, code):
    assert_error(await submit(client, image_bytes(400, 300), fields=fields), 400, code)
    assert sim.tasks == {}
    assert sim.accounts[KEY].balance == 100  # a refused request costs nothing


@pytest.mark.parametrize("index", range(9))
async def test_every_index_is_accepted(client, sim, index):
    response = await submit(client, image_bytes(300, 300), fields={"task_type": "async", "index": str(index)})
    assert response.status_code == 200
    assert sim.tasks[response.json()["task_id"]].index == index


async def test_image_missing_or_empty(client):
    assert_error(await submit(client, None), 400, "MISSING_PARAMETERS")
    assert_error(await submit(client, b""), 400, "PARAMETERS_CANNOT_EMPTY")


async def test_format_is_sniffed_from_content(client):
    gif = io.BytesIO()
    Image.new("RGB", (300, 300), (1, 2, 3)).save(gif, "GIF")
    assert_error(await submit(client, gif.getvalue(), filename="a.png"), 415, "UNSUPPORTED_FILE_TYPES")
    assert_error(await submit(client, b"hello, not an image", filename="a.jpg"), 415, "UNSUPPORTED_FILE_TYPES")
    # a real PNG under a wrong name and type is fine: the content decides
    ok = await submit(client, image_bytes(300, 300), filename="notes.txt", content_type="text/plain")
    assert ok.status_code == 200
    for fmt in ("JPEG", "BMP", "WEBP"):
        assert (await submit(client, image_bytes(300, 300, fmt=fmt))).status_code == 200, fmt


async def test_over_10_mb_is_413(client):
    big = image_bytes(300, 300) + b"\0" * (10 * 1024 * 1024)
    assert_error(await submit(client, big), 413, "FILE_SIZE_EXCEEDS_LIMIT")


@pytest.mark.parametrize(
    ("size", "status", "code"),
    [
        ((255, 400), 422, "ERROR_LOW_RESOLUTION"),
        ((400, 255), 422, "ERROR_LOW_RESOLUTION"),
        ((5761, 1000), 413, "ERROR_HIGH_RESOLUTION"),
        ((1000, 5761), 413, "ERROR_HIGH_RESOLUTION"),
        ((3241, 3241), 413, "ERROR_HIGH_RESOLUTION"),
    ],
)
async def test_resolution_limits(client, size, status, code):
    assert_error(await submit(client, image_bytes(*size, fmt="JPEG")), status, code)


async def test_resolution_bounds_are_inclusive(client):
    assert (await submit(client, image_bytes(256, 256))).status_code == 200
    assert (await submit(client, image_bytes(3240, 5760, fmt="JPEG"))).status_code == 200


async def test_undecodable_image_is_422(client):
    whole = image_bytes(600, 400, fmt="JPEG")
    assert_error(await submit(client, whole[: len(whole) // 2]), 422, "FILE_DECODING_FAILURE")
    assert_error(await submit(client, b"\x89PNG\r\n\x1a\n" + b"garbage" * 20), 422, "FILE_DECODING_FAILURE")


async def test_each_task_costs_one_credit_until_none_left(client, sim):
    key = sim.add_key(credits=2)
    for _ in range(2):
        assert (await submit(client, image_bytes(300, 300), key=key)).status_code == 200
    assert_error(await submit(client, image_bytes(300, 300), key=key), 429, "ERROR_NOT_ENOUGH_CREDITS")
    assert sim.accounts[key].balance == 0
    assert len(sim.tasks) == 2


# --------------------------------------------------------------------------- query
async def test_lifecycle_in_simulated_time(client, hub, sim):
    task_id = (await submit(client, image_bytes(800, 600))).json()["task_id"]
    seen = []
    for step in (0.0, 0.5, 1.0, 4.0, 1.0):  # t = 0, .5, 1.5, 5.5, 6.5 s
        hub.clock.advance(step)
        response = await query(client, task_id)
        assert response.status_code == 200
        body = response.json()
        assert ENVELOPE_KEYS <= body.keys() and body["error_code"] == 0
        seen.append((body["task_status"], body["data"]["status"]))
        if body["task_status"] != 2:
            assert hub.files == {}  # the result is made lazily, at the first "done" answer
    assert seen == [
        (0, "QUEUING"),
        (0, "QUEUING"),
        (1, "PROCESSING"),
        (1, "PROCESSING"),
        (2, "PROCESS_SUCCESS"),
    ]
    url = body["data"]["result_url"]
    assert url.startswith(BASE + "/sim-files/")
    assert len(hub.files) == 1
    again = (await query(client, task_id)).json()
    assert again["data"]["result_url"] == url  # kept, not re-rendered
    assert len(hub.files) == 1


@pytest.mark.parametrize(
    ("size", "expected"),
    [
        ((800, 600), (2048, 1536)),
        ((600, 900), (1536, 2304)),  # exactly 1.5:1 is kept
        ((1024, 512), (2304, 1536)),  # 2:1 cropped to 1.5:1
        ((400, 1000), (1536, 2304)),  # 2.5:1 portrait cropped
        ((300, 300), (1536, 1536)),
    ],
)
async def test_result_is_a_real_image_with_documented_size(client, hub, size, expected):
    task_id = (await submit(client, image_bytes(*size))).json()["task_id"]
    hub.clock.advance(6.5)
    url = (await query(client, task_id)).json()["data"]["result_url"]
    result = await client.get(url)
    assert result.status_code == 200
    assert result.headers["content-type"] == "image/jpeg"
    with Image.open(io.BytesIO(result.content)) as image:
        assert image.format == "JPEG"
        assert image.size == expected
        assert min(image.size) == 1536


def test_output_size_rule():
    assert output_size(1024, 512) == ((128, 0, 896, 512), (2304, 1536))
    assert output_size(512, 1024) == ((0, 128, 512, 896), (1536, 2304))
    assert output_size(1500, 1000) == ((0, 0, 1500, 1000), (2304, 1536))


def test_every_style_looks_different():
    source = image_bytes(600, 400)
    renders = []
    for index in range(9):
        with Image.open(io.BytesIO(stylise(source, index, short_side=96))) as image:
            assert image.size == (144, 96)
            renders.append(image.convert("RGB").tobytes())
    assert len(set(renders)) == 9
    with Image.open(io.BytesIO(source)) as original:
        plain = original.convert("RGB").resize((144, 96)).tobytes()
    assert plain not in renders


async def test_flat_colour_input_fails_with_422(client, hub):
    task_id = (await submit(client, flat_image())).json()["task_id"]
    assert (await query(client, task_id)).json()["task_status"] == 0  # fails only when "done"
    hub.clock.advance(6.5)
    body = assert_error(await query(client, task_id), 422, "ERROR_NO_RECOGNITION_TARGET_DETECTED")
    assert body["data"]["status"] == "PROCESS_FAILED"
    assert "task_status" not in body
    assert hub.files == {}


async def test_fail_task_helper(client, hub, sim):
    task_id = (await submit(client, image_bytes(400, 300))).json()["task_id"]
    sim.fail_task(task_id, "ERROR_NO_FACE_IN_FILE", "pic not has face")
    hub.clock.advance(7)
    body = (await query(client, task_id)).json()
    assert body["error_detail"]["code"] == "ERROR_NO_FACE_IN_FILE"
    assert body["error_detail"]["message"] == "pic not has face"


async def test_query_errors(client, sim):
    assert_error(await query(client, None), 400, "MISSING_PARAMETERS")
    assert_error(await query(client, ""), 400, "MISSING_PARAMETERS")
    assert_error(await query(client, "0" * 32), 404, "ERROR_RESOURCE_NOT_FOUND")
    task_id = (await submit(client, image_bytes(400, 300))).json()["task_id"]
    other = sim.add_key(credits=1)
    assert_error(await query(client, task_id, key=other), 404, "ERROR_RESOURCE_NOT_FOUND")


async def test_task_and_result_expire_after_24_hours(client, hub):
    task_id = (await submit(client, image_bytes(400, 300))).json()["task_id"]
    hub.clock.advance(10)
    url = (await query(client, task_id)).json()["data"]["result_url"]
    assert (await client.get(url)).status_code == 200
    hub.clock.advance(24 * 3600 - 20)
    assert (await query(client, task_id)).status_code == 200
    assert (await client.get(url)).status_code == 200
    hub.clock.advance(20)
    assert_error(await query(client, task_id), 410, "ERROR_RESOURCE_RECLAIMED")
    assert (await client.get(url)).status_code == 410


# --------------------------------------------------------------------------- credits
async def test_query_credits_shape(client):
    await submit(client, image_bytes(300, 300))
    response = await client.get(CREDITS_PATH, headers={"ailabapi-api-key": KEY})
    assert response.status_code == 200
    body = response.json()
    assert body["error_code"] == 0 and ENVELOPE_KEYS <= body.keys()
    # one entry per product (ailabtools-docs, querying-credits): "common" is what this API spends
    packages = {p["unique_sign"]: p for p in body["data"]}
    assert "common" in packages and len(packages) > 1
    for package in packages.values():
        assert {"unique_sign", "name", "balance", "total", "last_recharge_balance", "balance_warning",
                "first_buy_time", "last_update_time"} <= package.keys()
    assert packages["common"]["balance"] == 99 and packages["common"]["total"] == 100


# --------------------------------------------------------------------------- faults and odds
async def test_busy_fault_is_the_flow_restriction_envelope(client, hub):
    hub.inject("ailab", "busy")
    response = await query(client, "whatever")
    assert_error(response, 503, "AI_SERVICE_FLOW_RESTRICTION")
    assert "retry-after" not in response.headers  # none is documented


async def test_hostile_fault_fills_messages_and_names(client, hub):
    hub.inject("ailab", "hostile", times=None)
    body = (await query(client, "nope")).json()
    assert body["error_code"] == 404 and body["error_detail"]["code"] == "ERROR_RESOURCE_NOT_FOUND"
    texts = {body["error_msg"], body["error_detail"]["message"], body["error_detail"]["code_message"]}
    assert texts <= set(HOSTILE_STRINGS)
    credits = (await client.get(CREDITS_PATH, headers={"ailabapi-api-key": KEY})).json()
    assert credits["data"][0]["name"] in HOSTILE_STRINGS


async def test_unknown_path_and_wrong_method(client):
    assert_error(await client.get("/api/common/nothing-here", headers={"ailabapi-api-key": KEY}), 404, "ERROR_RESOURCE_NOT_FOUND")
    assert (await client.get(SUBMIT_PATH)).status_code == 405


async def test_state_survives_pickling(client, hub):
    # the demo pickles the hub between CLI runs (animetui.simulator.persist)
    task_id = (await submit(client, image_bytes(400, 300))).json()["task_id"]
    revived = pickle.loads(pickle.dumps(hub))
    revived.clock.advance(7)
    async with httpx.AsyncClient(transport=revived.transport(), base_url=BASE) as other:
        body = (await query(other, task_id)).json()
    assert body["task_status"] == 2


async def test_contract_over_loopback(hub):
    async with serve(hub) as base_url, httpx.AsyncClient(base_url=base_url) as http:
        response = await submit(http, image_bytes(640, 360, fmt="WEBP"), fields={"task_type": "async", "index": "7"})
        assert response.status_code == 200
        task_id = response.json()["task_id"]
        hub.clock.advance(7)
        url = (await query(http, task_id)).json()["data"]["result_url"]
        assert url.startswith(base_url + "/sim-files/")
        result = await http.get(url)
        with Image.open(io.BytesIO(result.content)) as image:
            assert image.size == (2304, 1536)
