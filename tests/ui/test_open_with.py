"""Open with (issue 13): w opens the highlighted picture / result / saved file in the user's viewer,
W its folder, Ctrl+O a scene match's page, Enter a finished job's result; over SSH the user is
asked and may copy the path instead; the viewer never gets a secret in its environment."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from ui_helpers import finish_jobs, highlight_file, look_up, settle, wait_for

from animetui.models import JobState
from animetui.opener import OpenFailed, Target, command_for, launch, opener_env, remote_session
from animetui.ui.flows.open_with import RemoteOpenScreen

VIEWER = """
import json, os, sys
with open(sys.argv[1], "w") as out:
    json.dump({"argv": sys.argv[2:], "env": dict(os.environ)}, out)
"""


@pytest.fixture
def viewer(tmp_path, monkeypatch):
    """``$ANIMETUI_OPENER`` set to a script that writes what it was given; a secret in our env."""
    script = tmp_path / "viewer.py"
    script.write_text(VIEWER)
    record = tmp_path / "opened.json"
    monkeypatch.setenv("ANIMETUI_OPENER", f"{sys.executable} {script} {record}")
    monkeypatch.setenv("ANIMETUI_AILAB_KEY", "ailab-secret-value-123")
    monkeypatch.setenv("GITHUB_TOKEN", "ghp_secretsecret")
    monkeypatch.setenv("DISPLAY", ":9")
    for name in ("SSH_CONNECTION", "SSH_TTY", "SSH_CLIENT"):
        monkeypatch.delenv(name, raising=False)

    def opened() -> dict:
        assert record.exists(), "the viewer was not started"
        data = json.loads(record.read_text())
        record.unlink()
        return data

    opened.record = record  # type: ignore[attr-defined]
    return opened


async def test_w_opens_the_highlighted_picture_and_W_its_folder_without_secrets(build_app, pictures, viewer):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("w")
        await settle(pilot)
        seen = viewer()
        assert seen["argv"] == [str(pictures / "beach_duo.png")]
        assert "ANIMETUI_AILAB_KEY" not in seen["env"] and "GITHUB_TOKEN" not in seen["env"]
        assert "ailab-secret-value-123" not in json.dumps(seen["env"])
        assert seen["env"].get("DISPLAY") == ":9"
        assert any(n.title == "Open with" and "Opened the picture" in n.message for n in app._notifications)

        await pilot.press("W")
        await settle(pilot)
        assert viewer()["argv"] == [str(pictures)]


async def test_enter_on_a_finished_job_opens_its_result(build_app, clock, viewer):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await pilot.pause()
        await pilot.press(*"a lighthouse at dusk")
        await pilot.press("ctrl+s", "y")
        await settle(pilot)
        (job,) = await finish_jobs(pilot, clock)
        assert job.state is JobState.SUCCEEDED
        await pilot.press("4", "enter")
        await settle(pilot)
        assert viewer()["argv"] == [job.result_path]


async def test_a_scene_matchs_page_opens_with_ctrl_o(build_app, viewer):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        results = await look_up(pilot, "beach", "s")
        assert results.scene is not None and results.scene.matches
        results.scene_table.focus()
        await pilot.press("ctrl+o")
        await settle(pilot)
        match = results.scene.matches[results.scene_table.cursor_row]
        assert viewer()["argv"] == [f"https://anilist.co/anime/{match.anilist_id}"]


async def test_over_ssh_it_asks_and_can_copy_the_path_instead(build_app, pictures, viewer, monkeypatch):
    monkeypatch.setenv("SSH_CONNECTION", "192.0.2.7 50022 192.0.2.1 22")
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await highlight_file(pilot, "beach")
        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, RemoteOpenScreen), what="the SSH question")
        text = str(app.screen.query_one("#confirm-message").render())
        assert "remote machine" in text and "192.0.2.7" in text
        await pilot.press("c")
        await settle(pilot)
        assert app.clipboard == str(pictures / "beach_duo.png")
        assert not viewer.record.exists()  # nothing started on the remote machine

        await pilot.press("w")
        await wait_for(pilot, lambda: isinstance(app.screen, RemoteOpenScreen), what="the SSH question")
        await pilot.press("o")
        await settle(pilot)
        assert viewer()["argv"] == [str(pictures / "beach_duo.png")]


async def test_nothing_to_open_is_a_warning_not_a_viewer(build_app, viewer):
    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("4", "w")  # no jobs
        await settle(pilot)
        assert not viewer.record.exists()
        assert any(n.title == "Open with" and n.severity == "warning" for n in app._notifications)


# --------------------------------------------------------------------------- the opener itself
def test_command_line_from_the_opener_variable_xdg_open_or_open(tmp_path):
    picture = tmp_path / "a b.png"
    picture.write_bytes(b"x")
    target = Target(path=picture)
    assert command_for(target, environ={"ANIMETUI_OPENER": "feh --scale"}, platform="linux") == ["feh", "--scale", str(picture)]
    assert command_for(target, environ={"ANIMETUI_OPENER": "viewer --file={} --fit"}, platform="linux") == ["viewer", f"--file={picture}", "--fit"]
    assert command_for(target, environ={}, platform="linux", which=lambda _n: "/usr/bin/xdg-open") == ["xdg-open", str(picture)]
    assert command_for(target, environ={}, platform="darwin") == ["open", str(picture)]
    assert command_for(target, reveal=True, environ={}, platform="darwin") == ["open", "-R", str(picture)]
    assert command_for(target, reveal=True, environ={}, platform="linux", which=lambda _n: "/x") == ["xdg-open", str(tmp_path)]
    with pytest.raises(OpenFailed, match="ANIMETUI_OPENER"):
        command_for(target, environ={}, platform="linux", which=lambda _n: None)
    with pytest.raises(OpenFailed, match="not a valid command line"):
        command_for(target, environ={"ANIMETUI_OPENER": "viewer 'unclosed"}, platform="linux")


def test_viewer_env_is_the_allow_list_plus_the_display_and_no_secret():
    env = opener_env({
        "PATH": "/bin", "DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XAUTHORITY": "/run/user/1/xauth",
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1/bus", "ANIMETUI_WHATANIME_API_KEY": "k",
        "ANIMETUI_PASSWORD": "p", "AWS_SECRET_ACCESS_KEY": "s", "GITHUB_TOKEN": "t", "SSH_AUTH_SOCK": "/tmp/agent",
        "RANDOM_VAR": "x",
    })
    assert env == {
        "PATH": "/bin", "DISPLAY": ":0", "WAYLAND_DISPLAY": "wayland-0", "XAUTHORITY": "/run/user/1/xauth",
        "DBUS_SESSION_BUS_ADDRESS": "unix:path=/run/user/1/bus",
    }


def test_remote_session_from_ssh_variables():
    assert remote_session({"SSH_CONNECTION": "198.51.100.4 1 2 22"}) == "198.51.100.4"
    assert remote_session({"SSH_TTY": "/dev/pts/3"}) == "your SSH client"
    assert remote_session({"TERM": "xterm"}) is None


def test_launch_reports_a_viewer_that_fails_or_is_missing(tmp_path):
    with pytest.raises(OpenFailed, match="exit status 3"):
        launch([sys.executable, "-c", "raise SystemExit(3)"], environ={"PATH": "/bin"})
    with pytest.raises(OpenFailed, match="no such program"):
        launch([str(tmp_path / "no-such-viewer")], environ={})
    launch([sys.executable, "-c", "pass"], environ={})  # exit 0: fine
    assert Path(sys.executable).exists()
