"""A match from the user's own library in the Results pane (issue 15): the frame at that second
is shown inline (taken from the video with the search), ``p`` plays the video from there with the
user's player (a fake ``mpv`` on PATH records its arguments; without mpv, the opener), ``C``
copies the path with the time."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest
from ui_helpers import highlight_file, settle, wait_for

sys.path.insert(0, str(Path(__file__).parents[1] / "library"))
pytest.importorskip("av")
pytest.importorskip("faiss")


@pytest.fixture
def library(ui_settings, pictures, tmp_path):
    from library_synth import make_video
    from PIL import Image

    from animetui.library import control
    from animetui.library.db import LibraryDB, default_path
    from animetui.library.index import FaissIndex
    from animetui.library.indexer import run

    show = tmp_path / "videos" / "My Show"
    show.mkdir(parents=True)
    video = show / "[Grp] My Show - 03 [360p].mp4"
    renderer = make_video(video, seconds=8, seed=31, width=320, height=180)
    control.add_folder(ui_settings.data_dir, str(show.parent), start=False)
    with LibraryDB(default_path(ui_settings.data_dir)) as db:
        index = FaissIndex(db)
        run(db, index)
        index.close()
    Image.fromarray(renderer.frame(5.3)).resize((640, 360)).save(pictures / "zz_shot.png")
    ui_settings.set("general.scene_provider", "local")
    return video


def _fake_player(tmp_path: Path, name: str, monkeypatch) -> Path:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(exist_ok=True)
    record = tmp_path / f"{name}.args"
    script = bin_dir / name
    script.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{record}"\n')
    script.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    return record


async def _search(pilot, app) -> None:  # noqa: ANN001
    await highlight_file(pilot, "zz_shot")
    await pilot.press("s")
    pane = app.results_pane
    await wait_for(pilot, lambda: bool(pane.shown), what="the local matches")
    pane.scene_table.focus()
    await settle(pilot)


async def test_local_match_shows_its_frame_plays_from_there_and_copies(build_app, library, tmp_path, monkeypatch):
    record = _fake_player(tmp_path, "mpv", monkeypatch)
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await _search(pilot, app)
        pane = app.results_pane
        best = pane.shown[0]
        assert best.engine == "local" and best.file == str(library) and best.confidence == "likely"
        assert abs(best.at - 5.3) <= 1.0
        # the frame at that second, taken from the video, is what the picture shows
        assert best.preview_path and Path(best.preview_path).is_file()
        await wait_for(pilot, lambda: pane.image.key == best.preview_path, what="the match's frame inline")
        await pilot.press("p")
        await wait_for(pilot, lambda: record.exists(), what="the player started")
        args = record.read_text().splitlines()
        assert args == [f"--start={best.at:.2f}", "--", str(library)]
        await pilot.press("C")
        await settle(pilot)
        assert app.clipboard.startswith(f"{library} @ 0:0") and f"({best.at:.1f} s)" in app.clipboard


async def test_without_mpv_the_opener_opens_the_video(build_app, library, tmp_path, monkeypatch):
    from animetui.library import play as play_module

    real_which = play_module.shutil.which
    monkeypatch.setattr(play_module.shutil, "which", lambda name, *a, **k: None if name == "mpv" else real_which(name, *a, **k))
    record = _fake_player(tmp_path, "fake-opener", monkeypatch)
    monkeypatch.setenv("ANIMETUI_OPENER", "fake-opener")
    app = build_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await _search(pilot, app)
        await pilot.press("p")
        await wait_for(pilot, lambda: record.exists(), what="the opener started")
        assert record.read_text().splitlines() == [str(library)]


async def test_copy_time_on_a_remote_match_says_why_not(build_app, ui_settings, pictures, monkeypatch):
    ui_settings.set("general.scene_provider", "tracemoe")
    app = build_app()
    notes = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append((kw.get("title"), message)))
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("s")
        pane = app.results_pane
        await wait_for(pilot, lambda: bool(pane.shown), what="the matches")
        pane.scene_table.focus()
        await settle(pilot)
        await pilot.press("C")  # (p on a trace.moe match plays its preview clip: tests/ui/test_play_clip.py)
        await wait_for(pilot, lambda: any(t == "Not a local match" for t, _ in notes), what="the refusal")


async def test_a_likely_local_match_asks_no_cost_question_and_spends_nothing(build_app, library, pictures, monkeypatch):
    """Past today's free credits a scene search asks before paying — but with "all" and a library,
    the library is asked first: its likely match needs no question and no remote engine; a picture
    it does not know asks, and "Cancel" leaves the library's own matches with nothing spent."""
    from animetui.ui.flows.costs import CostQuestions
    from animetui.ui.flows.lookups import LookupFlow
    from animetui.ui.screens.confirm import ConfirmScreen

    monkeypatch.setattr(CostQuestions, "scene", lambda self, engines=("whatanime",): "this costs 1 credit" if "whatanime" in engines else None)
    asked: list[tuple[str, ...]] = []
    monkeypatch.setattr(LookupFlow, "finished", lambda self, kind, providers: asked.append(providers))
    from PIL import Image

    Image.new("RGB", (640, 360), (200, 30, 90)).save(pictures / "zz_stranger.png")
    app = build_app()
    app.settings.set("general.scene_provider", "all")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await _search(pilot, app)
        assert not isinstance(app.screen, ConfirmScreen)
        assert asked == [("local",)]  # answered by the library alone: no remote engine asked
        assert app.results_pane.shown[0].confidence == "likely"

        await highlight_file(pilot, "zz_stranger")
        await pilot.press("s")
        await wait_for(pilot, lambda: isinstance(app.screen, ConfirmScreen), what="the cost question")
        assert "Your library has no likely match" in app.screen.message
        await pilot.press("escape")
        await wait_for(pilot, lambda: len(asked) == 2, what="the lookup to end")
        assert asked[1] == ("local",)  # declined: nothing asked of the paid engine
