"""Scene matches' preview clips outside the UI: ``previews.fetch_clip`` for every engine, and the
player's command line (``opener.player_command``)."""

from __future__ import annotations

import pytest

from animetui.errors import Unsupported
from animetui.models import ImageSource, SceneMatch
from animetui.opener import MPV_ARGS, OpenFailed, player_command
from animetui.pictures.previews import fetch_clip, is_clip
from animetui.simulator.imagery import scene


async def test_trace_moe_clip_saved_with_the_search_costs_no_request(providers, hub, tmp_path):
    result = await providers.get("tracemoe").search_scene(ImageSource(data=scene(640, 360, seed=3, fmt="JPEG")))
    best = result.matches[0]
    before = len(hub.log)
    path = await fetch_clip(providers, best, tmp_path)
    assert str(path) == best.clip_path and is_clip(path.read_bytes()[:16])
    assert len(hub.log) == before


async def test_an_engine_without_save_clip_gets_a_plain_download_once(providers, hub, tmp_path):
    result = await providers.get("whatanime").search_scene(ImageSource(data=scene(640, 360, seed=3, fmt="JPEG")))
    match = next(m for m in result.matches if m.video_url)
    first = await fetch_clip(providers, match, tmp_path)
    count = len(hub.log)
    again = await fetch_clip(providers, match, tmp_path)
    assert first == again and first.parent == tmp_path / "clips" and is_clip(first.read_bytes()[:16])
    assert len(hub.log) == count  # cached


async def test_no_clip_no_download(providers, tmp_path):
    with pytest.raises(Unsupported, match="no preview clip"):
        await fetch_clip(providers, SceneMatch(title="x"), tmp_path)
    with pytest.raises(Unsupported, match="not a web address"):
        await fetch_clip(providers, SceneMatch(title="x", video_url="file:///etc/passwd"), tmp_path)


def test_player_command_prefers_the_users_player_then_mpv_then_the_viewer(tmp_path):
    clip = tmp_path / "c.mp4"
    assert player_command(clip, environ={"ANIMETUI_PLAYER": "vlc --loop"}, which=lambda _: "/usr/bin/mpv") == [
        "vlc", "--loop", str(clip)]
    assert player_command(clip, environ={"ANIMETUI_PLAYER": "celluloid {} --new-window"}, which=lambda _: None) == [
        "celluloid", str(clip), "--new-window"]
    assert player_command(clip, environ={}, which=lambda name: "/opt/mpv" if name == "mpv" else None) == [
        "/opt/mpv", *MPV_ARGS, str(clip)]
    assert player_command(clip, environ={"ANIMETUI_OPENER": "feh"}, which=lambda _: None, platform="linux") == [
        "feh", str(clip)]
    assert player_command(clip, environ={}, platform="linux",
                          which=lambda name: "/usr/bin/xdg-open" if name == "xdg-open" else None) == ["xdg-open", str(clip)]
    with pytest.raises(OpenFailed, match="ANIMETUI_PLAYER"):
        player_command(clip, environ={"ANIMETUI_PLAYER": "vlc 'unclosed"}, which=lambda _: None)
    assert "--no-terminal" in MPV_ARGS  # mpv must never draw over the TUI


def test_is_clip():
    assert is_clip(b"\x00\x00\x00\x18ftypisom") and is_clip(b"GIF89a...") and is_clip(b"\x1a\x45\xdf\xa3")
    assert not is_clip(b"<!doctype html>") and not is_clip(b"\xff\xd8\xff\xe0")
