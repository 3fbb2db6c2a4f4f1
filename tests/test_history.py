"""History and result cache: saved lookups, cache hits without requests, filtering, export."""

from __future__ import annotations

import csv
import io
import json

from animetui.history import History, export_csv, export_json
from animetui.lookups import LookupService
from animetui.models import Candidate, CharacterResult, Detection, ImageSource, SceneMatch, SceneResult


def _scene(title: str) -> SceneResult:
    return SceneResult((SceneMatch(title=title, episode="3", start=61.5, end=64.0, similarity=0.93),))


def _chars(name: str, work: str) -> CharacterResult:
    return CharacterResult((Detection((0.1, 0.1, 0.5, 0.9), (Candidate(name, work),)),), ai=False, trace_id="t")


def test_add_get_cache_and_roundtrip(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    entry_id = h.add(kind="scene", provider="whatanime", sha256="abc", params={}, result=_scene("Frieren"), source_label="cap.png")
    hit = h.cached(kind="scene", provider="whatanime", sha256="abc", params={})
    assert hit is not None and hit.id == entry_id and hit.result == _scene("Frieren")
    assert h.cached(kind="scene", provider="whatanime", sha256="abd", params={}) is None
    h.add(kind="characters", provider="animetrace", sha256="abc", params={"model": "m", "multi": True}, result=_chars("Frieren", "Sousou no Frieren"), source_label="cap.png")
    assert h.cached(kind="characters", provider="animetrace", sha256="abc", params={"multi": True, "model": "m"}) is not None
    assert h.cached(kind="characters", provider="animetrace", sha256="abc", params={"multi": False, "model": "m"}) is None


def test_filter_newest_first_and_delete(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    for i, title in enumerate(["Frieren", "Bocchi the Rock!", "100%_Sure"]):
        h.add(kind="scene", provider="whatanime", sha256=str(i), params={}, result=_scene(title), source_label=f"shot{i}.png", created_at=1000 + i)
    assert [e.headline for e in h.list()] == ["100%_Sure", "Bocchi the Rock!", "Frieren"]
    assert [e.headline for e in h.list(query="bocchi")] == ["Bocchi the Rock!"]
    assert [e.headline for e in h.list(query="shot0")] == ["Frieren"]
    assert [e.headline for e in h.list(query="%_")] == ["100%_Sure"]  # LIKE wildcards are literal
    assert h.list(query="rock bocchi") and not h.list(query="rock frieren")
    first = h.list()[0]
    assert h.delete([first.id]) == 1 and h.count() == 2


def test_export_json_and_csv_defuses_formulas(tmp_path):
    h = History(tmp_path / "h.sqlite3")
    h.add(kind="scene", provider="whatanime", sha256="1", params={}, result=_scene("=HYPERLINK(\"x\")"), source_label="a.png")
    h.add(kind="characters", provider="animetrace", sha256="2", params={}, result=_chars("Anya", "SPY×FAMILY"), source_label="b.png")
    entries = h.list()
    data = json.loads(export_json(entries))
    assert {d["kind"] for d in data} == {"scene", "characters"}
    rows = list(csv.reader(io.StringIO(export_csv(entries))))
    assert rows[0][0] == "time" and len(rows) == 3
    assert any(r[4].startswith("'=") for r in rows[1:])


async def test_cache_hit_makes_no_request(tmp_path, hub, settings, samples):
    from animetui.net import RetryPolicy
    from animetui.providers import Providers

    providers = Providers(settings, hub=hub, retry=RetryPolicy(attempts=2, base_delay=0.01, max_delay=0.02))
    service = LookupService(providers, History(tmp_path / "h.sqlite3"))
    try:
        source = ImageSource(path=samples / "scene.png")
        first = await service.characters(source)
        before = len(hub.requests_to("animetrace"))
        again = await service.characters(ImageSource(path=samples / "scene.png"))
        assert again.cached and again.result == first.result
        assert len(hub.requests_to("animetrace")) == before
        # a copy of the same bytes under another name is the same image
        copy = samples / "copy-of-scene.png"
        copy.write_bytes((samples / "scene.png").read_bytes())
        assert (await service.characters(ImageSource(path=copy))).cached
        fresh = await service.characters(source, refresh=True)
        assert not fresh.cached and len(hub.requests_to("animetrace")) > before
        scene1 = await service.scene(source)
        scene2 = await service.scene(source)
        assert not scene1.cached and scene2.cached
    finally:
        await providers.aclose()


def test_concurrent_threads_never_miss_the_cache(tmp_path):
    """Lookups read and write the history from worker threads at once (a batch runs several):
    a shared connection without a lock let one thread's statement reset another's, and a cached
    image was looked up (and paid for) again."""
    import threading

    h = History(tmp_path / "h.sqlite3")
    for i in range(8):
        h.add(kind="characters", provider="animetrace", sha256=f"s{i}", params={"m": 1}, result=_chars(f"N{i}", "W"), source_label=f"{i}.png")
    misses: list[str] = []
    ids: list[int] = []
    start = threading.Barrier(8)

    def reader(i: int) -> None:
        start.wait()
        for round_ in range(150):
            if h.cached(kind="characters", provider="animetrace", sha256=f"s{i}", params={"m": 1}) is None:
                misses.append(f"s{i}")
            if round_ % 10 == 0:
                ids.append(h.add(kind="scene", provider="whatanime", sha256=f"x{i}-{round_}", params={}, result=_scene("T"), source_label="x.png"))
            h.list(query="N", limit=5)

    threads = [threading.Thread(target=reader, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not misses, f"{len(misses)} false misses"
    assert len(set(ids)) == len(ids) == 8 * 15, "every insert got its own row id"
