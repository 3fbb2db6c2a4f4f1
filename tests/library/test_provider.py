""""local" is a scene provider like the others (issue 15): found by its spec, built by the
registry with no HTTP client, present only when a library exists, asked first by "all" (the
remote engines only when it has no "likely" match, per ``library.search``), its ``[library]``
settings validated like every other key."""

from __future__ import annotations

import asyncio
import shutil

import pytest
from library_synth import screenshot

from animetui.errors import BadInput, ConfigError
from animetui.lookups import resolve_scene_providers, scene_choices


def test_local_is_offered_only_when_a_library_exists(tmp_path, built) -> None:
    assert "local" not in scene_choices(tmp_path)  # no library here
    assert "local" not in resolve_scene_providers("all", data_dir=tmp_path)
    assert scene_choices(built)[0] == "local"
    assert resolve_scene_providers("all", data_dir=built) == ("local", "whatanime", "tracemoe")
    assert resolve_scene_providers("all") == ("whatanime", "tracemoe")  # no data dir (a batch): remote only
    assert resolve_scene_providers("local", data_dir=tmp_path) == ("local",)  # naming it still works


def test_library_settings_are_validated(settings) -> None:
    assert settings["library.backend"] == "faiss" and settings["library.search"] == "first"
    with pytest.raises(ConfigError, match="library.backend"):
        settings.set("library.backend", "postgres")
    with pytest.raises(ConfigError, match="library.uri"):
        settings.set("library.uri", "ftp://milvus:19530")
    settings.set("library.uri", "http://milvus.lan:19530")
    settings.set("library.uri", "/tmp/milvus-lite.db")  # milvus-lite's file
    assert settings.section("library")["uri"] == "/tmp/milvus-lite.db"
    assert settings.provider("local")["uri"] == "/tmp/milvus-lite.db"


def _service(settings, hub):
    from animetui.history import History
    from animetui.lookups import LookupService
    from animetui.providers import Providers

    providers = Providers(settings, hub=hub)
    return providers, LookupService(providers, History(settings.data_dir / "h.sqlite3"))


@pytest.fixture
def with_library(library_copy, settings, monkeypatch):
    monkeypatch.setenv("ANIMETUI_DATA_DIR", str(library_copy))
    assert settings.data_dir == library_copy
    return settings


def test_all_asks_the_library_first_and_stops_at_a_likely_match(with_library, hub, videos) -> None:
    from animetui.models import ImageSource

    path, renderer = videos.files["a1"]
    providers, service = _service(with_library, hub)

    async def go():
        try:
            return await service.scene(ImageSource(data=screenshot(renderer, 7.9), name="s.jpg"), providers="all")
        finally:
            await providers.aclose()

    outcome = asyncio.run(go())
    assert list(outcome.parts) == ["local"]  # the remote engines were never asked: no quota spent
    best = outcome.result.matches[0]
    assert best.engine == "local" and best.confidence == "likely" and best.file == str(path)


def test_no_likely_match_asks_the_remote_engines_too(with_library, hub, videos) -> None:
    from animetui.models import ImageSource

    providers, service = _service(with_library, hub)
    stranger = screenshot(videos.stranger, 5.0)

    async def go():
        try:
            return await service.scene(ImageSource(data=stranger, name="s.jpg"), providers="all")
        finally:
            await providers.aclose()

    outcome = asyncio.run(go())
    assert list(outcome.parts)[0] == "local" and {"whatanime", "tracemoe"} <= set(outcome.parts) | set(outcome.errors)


@pytest.mark.parametrize("policy, asked", [("together", {"local", "whatanime", "tracemoe"}), ("off", {"whatanime", "tracemoe"})])
def test_library_search_setting(with_library, hub, videos, policy, asked) -> None:
    from animetui.models import ImageSource

    with_library.set("library.search", policy)
    path, renderer = videos.files["a1"]
    providers, service = _service(with_library, hub)

    async def go():
        try:
            return await service.scene(ImageSource(data=screenshot(renderer, 7.9), name="s.jpg"), providers="all")
        finally:
            await providers.aclose()

    outcome = asyncio.run(go())
    assert set(outcome.parts) | set(outcome.errors) == asked


def test_the_library_is_never_answered_from_the_cache(with_library, hub, videos) -> None:
    """A rescan changes the answer: a local lookup is asked afresh each time (and still saved)."""
    from animetui.models import ImageSource

    path, renderer = videos.files["o3"]
    providers, service = _service(with_library, hub)
    data = screenshot(renderer, 4.0)

    async def go():
        try:
            first = await service.scene(ImageSource(data=data, name="s.jpg"), providers="local")
            again = await service.scene(ImageSource(data=data, name="s.jpg"), providers="local")
            return first, again
        finally:
            await providers.aclose()

    first, again = asyncio.run(go())
    assert not first.cached and not again.cached and first.entry_id is not None
    assert again.result.matches[0].file == str(path)


def test_local_without_a_library_says_so(settings, hub, tmp_path) -> None:
    from animetui.models import ImageSource

    providers, service = _service(settings, hub)
    shutil.rmtree(settings.data_dir / "library", ignore_errors=True)

    async def go():
        try:
            await service.scene(ImageSource(data=b"\x89PNG", name="s.png"), providers="local")
        finally:
            await providers.aclose()

    with pytest.raises(BadInput, match="library add"):
        asyncio.run(go())


def test_cli_scene_all_answers_from_the_library_first(library_copy, videos, monkeypatch, capsys, tmp_path) -> None:
    """``animetui scene shot.jpg`` (the default engines) with a library: the library's answer, the
    play line, and no request to a remote engine (the demo simulators would answer otherwise)."""
    from animetui.cli import main

    monkeypatch.setenv("ANIMETUI_DATA_DIR", str(library_copy))
    path, renderer = videos.files["a2"]
    shot = tmp_path / "shot.jpg"
    shot.write_bytes(screenshot(renderer, 6.0))
    code = main(["scene", str(shot), "--provider", "all"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "Library" in out and "Show A" in out and "likely" in out
    assert f"play from here: mpv --start=" in out and "Show A - 02.mp4" in out


def test_nprobe_setting_reaches_the_index(built, settings) -> None:
    from animetui.library.db import LibraryDB, default_path
    from animetui.library.index import open_index

    settings.set("library.nprobe", 48)
    with LibraryDB(default_path(built)) as db:
        index = open_index(db, settings.section("library"))
        assert index.nprobe == 48
        index.close()
    with pytest.raises(ConfigError, match="nprobe"):
        settings.set("library.nprobe", 0)
