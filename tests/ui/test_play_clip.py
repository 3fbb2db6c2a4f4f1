"""Issue 14: a scene match's short muted preview clip plays with the user's player (``p`` in Results).

A fake ``mpv`` on ``PATH`` records what it was given; without one, the viewer (``$ANIMETUI_OPENER``)
plays it. The clip of the best trace.moe match came with the search (no request when played);
another match's is downloaded once, while its link lives (~300 s); after that the user is told.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import av
import pytest
from ui_helpers import highlight_file, settle, wait_for

from animetui.opener import MPV_ARGS

SIZE = (160, 48)

RECORDER = """#!{python}
import json, sys
with open({record!r}, "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
"""


@pytest.fixture
def no_ssh(monkeypatch):
    for name in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT", "ANIMETUI_PLAYER"):
        monkeypatch.delenv(name, raising=False)


def recorder(folder: Path, name: str, record: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / name
    script.write_text(RECORDER.format(python=sys.executable, record=str(record)))
    script.chmod(0o755)
    return script


def calls(record: Path) -> list[list[str]]:
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


@pytest.fixture
def fake_mpv(tmp_path, monkeypatch, no_ssh):
    record = tmp_path / "mpv-calls.jsonl"
    folder = tmp_path / "bin"
    recorder(folder, "mpv", record)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ.get('PATH', '')}")
    return record


def streams(path: str) -> list[str]:
    with av.open(path) as container:
        return [s.type for s in container.streams]


def video_requests(app) -> int:  # noqa: ANN001
    return sum(1 for r in app._services.hub.log if r.path.startswith("/video/"))


async def search_trace_moe(pilot, app, ui_settings):  # noqa: ANN001
    ui_settings.set("general.scene_provider", "tracemoe")
    await highlight_file(pilot, "beach")
    await pilot.press("s")
    await settle(pilot)
    pane = app.results_pane
    assert pane.shown and all(m.engine == "tracemoe" for m in pane.shown)
    pane.scene_table.focus()
    await settle(pilot)
    return pane


async def test_p_plays_the_saved_clip_then_fetches_another_once(build_app, ui_settings, fake_mpv):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = await search_trace_moe(pilot, app, ui_settings)
        best = pane.shown[0]
        assert best.clip_path and streams(best.clip_path) == ["video"]  # saved with the search, muted
        assert "p: clip" in pane.image.caption_text
        before = video_requests(app)
        await pilot.press("p")
        await wait_for(pilot, lambda: len(calls(fake_mpv)) == 1, what="mpv started")
        assert calls(fake_mpv)[0] == [*MPV_ARGS, best.clip_path]
        assert video_requests(app) == before, "the saved clip was downloaded again"
        await settle(pilot)
        assert any("Playing the clip with mpv" in n.message for n in app._notifications)

        # the second match's clip: downloaded now (muted), then played; a second p plays it from disk
        pane.scene_table.move_cursor(row=1)
        await settle(pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: len(calls(fake_mpv)) == 2, what="mpv started for match 2")
        second = calls(fake_mpv)[1][-1]
        assert second != best.clip_path and streams(second) == ["video"]
        assert video_requests(app) == before + 1
        await settle(pilot)
        await pilot.press("p")
        await wait_for(pilot, lambda: len(calls(fake_mpv)) == 3, what="mpv started again")
        assert calls(fake_mpv)[2][-1] == second and video_requests(app) == before + 1


async def test_without_mpv_the_viewer_plays_it(build_app, ui_settings, tmp_path, monkeypatch, no_ssh):
    empty = tmp_path / "empty-bin"
    empty.mkdir()
    monkeypatch.setenv("PATH", str(empty))  # no mpv anywhere
    record = tmp_path / "viewer-calls.jsonl"
    viewer = recorder(tmp_path / "viewer", "viewer", record)
    monkeypatch.setenv("ANIMETUI_OPENER", str(viewer))
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = await search_trace_moe(pilot, app, ui_settings)
        await pilot.press("p")
        await wait_for(pilot, lambda: len(calls(record)) == 1, what="the viewer started")
        assert calls(record)[0] == [pane.shown[0].clip_path]


async def test_an_expired_link_is_said_and_nothing_is_played(build_app, ui_settings, clock, fake_mpv):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = await search_trace_moe(pilot, app, ui_settings)
        pane.scene_table.move_cursor(row=2)
        await settle(pilot)
        clock.advance(301)  # trace.moe's preview links live about 5 minutes
        await pilot.press("p")
        await settle(pilot)
        errors = [n.message for n in app._notifications if n.title == "Play clip" and n.severity == "error"]
        assert errors and "expired" in errors[-1] and "search again" in errors[-1]
        assert calls(fake_mpv) == []


async def test_a_match_without_a_clip_says_so(build_app, ui_settings, fake_mpv):
    app = build_app()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        pane = await search_trace_moe(pilot, app, ui_settings)
        import dataclasses

        pane.shown = tuple(dataclasses.replace(m, clip_path=None, video_url=None) for m in pane.shown)
        await pilot.press("p")
        await settle(pilot)
        assert any("no preview clip" in n.message for n in app._notifications)
        assert calls(fake_mpv) == []
