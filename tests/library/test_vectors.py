"""Vectors for trace.moe's vector search: the right count per input, and the trace.moe provider
(against its simulator) accepts them as one request."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from animetui.library.colorlayout import color_layout
from animetui.library.vectors import trace_vectors


def _png(img: Image.Image) -> bytes:
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def _picture(seed: int) -> Image.Image:
    import numpy as np

    rng = np.random.default_rng(seed)
    return Image.fromarray(rng.integers(30, 255, (9, 16, 3), dtype=np.uint8)).resize((320, 180), Image.Resampling.BICUBIC)


def test_still_picture_original_and_mirror() -> None:
    import numpy as np

    img = _picture(1)
    vectors = trace_vectors(_png(img))
    assert len(vectors) == 2 and all(len(v) == 33 for v in vectors)
    assert vectors[0] == color_layout(np.asarray(img))  # the same descriptor trace.moe computes


def test_letterboxed_gif_frames_are_voted_within_ten() -> None:
    frames = []
    for seed in range(6):
        canvas = Image.new("RGB", (320, 240))
        canvas.paste(_picture(seed), (0, 30))
        frames.append(canvas)
    buf = io.BytesIO()
    frames[0].save(buf, "GIF", save_all=True, append_images=frames[1:], duration=100)
    vectors = trace_vectors(buf.getvalue(), frames=3)
    assert len(vectors) == 10  # 3 frames × (as given, cut, 2 mirrors) = 12, capped at 10
    assert len({tuple(v) for v in vectors}) == 10


def test_a_video_gives_several_frames(videos) -> None:
    path, _ = videos.files["a1"]
    assert len(trace_vectors(path, flip=False, frames=4)) == 4


async def test_trace_moe_provider_takes_them_in_one_request() -> None:
    pytest.importorskip("animetui.providers.tracemoe")
    from animetui.net import RateLimiter, RetryPolicy, make_client
    from animetui.providers.base import ProviderContext
    from animetui.providers.tracemoe import create
    from animetui.simulator import SimulatorHub

    hub = SimulatorHub(seed=7, services=("tracemoe",))
    client = make_client("https://api.trace.moe", timeout=10, transport=hub.transport())
    ctx = ProviderContext(name="tracemoe", settings={"previews": 0}, client=client, limiter=RateLimiter(10_000, 10_000),
                          retry=RetryPolicy(attempts=1))
    provider = create(ctx)
    try:
        results = await provider.search_vectors(trace_vectors(_png(_picture(4))))
    finally:
        await client.aclose()
    assert len(results) == 2
    assert len([r for r in hub.requests_to("tracemoe") if r.path == "/search"]) == 1
