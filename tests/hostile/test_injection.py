"""No string reaches the terminal raw: hostile file names, prompts, paths, server answers, keys.

Every test drives the real CLI (``animetui.cli.main`` in process) or the TUI (pilot) and looks at
what would reach the terminal: the CLI's stdout/stderr, the TUI's rendered screen stream
(``tui_support.assert_no_injection``: nothing but Textual's own SGR/cursor sequences). Each one
failed before animetui.text.safe: the OSC 52 in a file name set the clipboard, CSI 2J blanked
the screen, the new API key came back with an ESC in it and was saved as the configured key.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import shutil
from pathlib import Path

import pytest

from animetui.cli import main

from .tui_support import *  # noqa: F403 - the TUI fixtures (build_app …) and helpers
from .tui_support import HOSTILE_NAMES, assert_no_injection, settle, wait_for

#: a control character on a CLI stream (there the CLI itself writes none but \n, \r and BEL)
_RAW = re.compile(r"[\x00-\x06\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_PROMPT = "x\x1b[2J\x1b[Hcleared \x1b]52;c;cm0gLXJmIH4vKgo=\x07 \u202eevil"


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def assert_clean(*streams: str) -> None:
    for stream in streams:
        found = sorted({f"U+{ord(c):04X}" for c in _RAW.findall(stream)})
        assert not found, f"raw control characters on a CLI stream: {found}: {stream[:300]!r}"


def hostile_folder(root: Path, samples: Path, *, non_utf8: bool = True) -> Path:
    """A folder of real pictures under hostile names (plus one name that is not UTF-8)."""
    folder = root / "hostile"
    folder.mkdir(parents=True)
    picture = samples / "beach_duo.png"
    for name in HOSTILE_NAMES.values():
        shutil.copyfile(picture, folder / name)
    if non_utf8:
        shutil.copyfile(picture, os.fsencode(folder) + b"/caf\xe9\xff.png")
    return folder


# --------------------------------------------------------------------------- TUI
async def test_files_tree_source_line_and_preview_show_hostile_names_escaped(build_app, pictures, tmp_path):
    from animetui.ui.panes.files import FilesPane
    from animetui.ui.widgets.image_tree import ImageTree

    folder = hostile_folder(tmp_path, pictures)
    app = build_app(start_path=folder)
    async with app.run_test(size=(220, 50)) as pilot:
        await settle(pilot)
        tree = app.query_one(ImageTree)
        await wait_for(pilot, lambda: len(tree.root.children) == len(HOSTILE_NAMES) + 1, what="the folder listed")
        await pilot.pause()
        text = assert_no_injection(app)
        assert "a\\x1b]52;c;cm0gLXJmIH4vKgo=" in text  # the OSC 52 shown, not run
        assert "d\\x1b[2J\\x1b[HCLEARED.png" in text
        assert "e\\x1b]8;;https:evil.example\\x1b\\link" in text
        assert "f\\u202egnp.exe.png" in text
        assert "g\\x9b31mred.png" in text
        assert "h FAKE LINE.png" in text  # one line, not cut at the newline
        assert "i[bold red]PWNED.png" in text  # markup stays literal
        assert "caf\\xe9\\xff.png" in text  # a non-UTF-8 name shows its bytes

        files = app.query_one(FilesPane)
        for node in list(tree.root.children):
            tree.move_cursor(node, animate=False)
            await settle(pilot)
            assert files.source is not None and files.source.path == node.data.path
            text = assert_no_injection(app)  # the source line and the preview caption too
            caption = files.preview.caption_text
            assert caption and "\x1b" not in caption and "\n" not in caption and "\x9b" not in caption
            assert f"Source: {caption[:12]}" in text


async def test_jobs_pane_shows_a_hostile_prompt_escaped(build_app, capsys):
    from animetui.ui.panes.jobs import JobsPane

    # the issue's `animetui generate $'x\x1b[2J…'` (the CLI runs its own event loop: in a thread here)
    code, out, err = await asyncio.to_thread(run, capsys, "--demo", "generate", _PROMPT, "--wait")
    assert code == 0, err
    assert_clean(out, err)
    code, out, err = await asyncio.to_thread(run, capsys, "--demo", "jobs", "list")
    assert code == 0 and "x\\x1b[2J\\x1b[Hcleared" in out
    assert_clean(out, err)

    from animetui.models import GenerateRequest

    app = build_app()
    async with app.run_test(size=(200, 50)) as pilot:
        await settle(pilot)
        services = await app.services()
        await services.runner.submit_generate(GenerateRequest(prompt=_PROMPT))
        jobs = app.query_one(JobsPane)
        await wait_for(pilot, lambda: len(jobs.jobs) == 1, what="the job in the Jobs pane")
        await pilot.press("4", "z")  # the Jobs pane maximised: the whole prompt fits
        await settle(pilot)
        text = assert_no_injection(app)
        assert "x\\x1b[2J\\x1b[Hcleared" in text
        assert "\\x07" in text and "\\u202eevil" in text


async def test_notifications_and_location_box_show_hostile_paths_escaped(build_app):
    from textual.widgets import Input

    app = build_app()
    async with app.run_test(size=(160, 45), notifications=True) as pilot:
        await settle(pilot)
        location = app.query_one("#location", Input)
        location.value = "/nonexist/a\x1b[2J\x1b]52;c;cm0gLXJmIH4vKgo=\x07b.png"
        await location.action_submit()
        await wait_for(pilot, lambda: bool(app.screen.query("Toast")), what="the not-found notification")
        await pilot.pause()
        text = assert_no_injection(app)
        assert "/nonexist/a␛[2J␛]52;c;cm0gLXJmIH4vKgo=␇b.pn" in text  # the location box: one stand-in per character
        assert "\\x1b[2J" in text  # the toast wraps the long path: its pieces are there, escaped
        assert "/nonexist/a\\x1b[2J\\x1b]52;c;cm0gLXJmIH4vKgo=\\x07b.png: no such file" in list(app._notifications)[-1].message
        app.notify("server said \x1b[31mred\x1b[0m\nsecond line", title="T\x1b]0;title\x07")
        await wait_for(pilot, lambda: len(app.screen.query("Toast")) == 2, what="the second notification")
        await pilot.pause()
        text = assert_no_injection(app)
        assert "\\x1b[31mred" in text and "T\\x1b]0;title\\x07" in text


async def test_new_key_dialog_shows_a_hostile_key_escaped_and_refuses_to_save_or_copy_it(build_app):
    from animetui.models import ApiKey
    from animetui.ui.screens.apikeys import NewKeyScreen

    hostile = "wait_1234\x1b]52;c;cm0gLXJmIH4vKgo=\x07\nrm -rf ~"
    saved: list[str] = []
    copied: list[str] = []
    app = build_app()
    async with app.run_test(size=(160, 45)) as pilot:
        await settle(pilot)
        app.copy_to_clipboard = copied.append  # type: ignore[method-assign]
        screen = NewKeyScreen(ApiKey("k1", "t\x1b[2Jitle", "wait_…\x1b[2J", plaintext=hostile), save_key=lambda k: saved.append(k))
        await app.push_screen(screen)
        await settle(pilot)
        text = assert_no_injection(app)
        assert "wait_1234\\x1b]52;c;cm0gLXJmIH4vKgo=\\x07 rm -rf ~" in text
        await pilot.press("s")
        await pilot.pause()
        await pilot.press("c")
        await pilot.pause()
        text = assert_no_injection(app)
        assert saved == [] and copied == [] and not screen.saved
        assert "control or invisible characters" in text


# --------------------------------------------------------------------------- CLI
def test_cli_error_lines_escape_the_path(capsys):
    code, out, err = run(capsys, "--demo", "scene", "/nonexist/a\x1b[2Jb\x1b]52;c;cm0g\x07.png")
    assert code != 0
    assert "/nonexist/a\\x1b[2Jb\\x1b]52;c;cm0g\\x07.png" in err
    assert_clean(out, err)
    assert err.count("\n") == 1  # one line


def test_cli_tui_start_path_error_is_escaped(capsys):
    code, _out, err = run(capsys, "--demo", "/nonexist/d\x1b[2J\x1b[HCLEARED")
    assert code == 2 and "d\\x1b[2J\\x1b[HCLEARED: no such file" in err
    assert_clean(err)


@pytest.mark.parametrize("as_json", [False, True])
def test_batch_progress_and_table_escape_hostile_names(capsys, tmp_path, as_json):
    from animetui.ui.samples import write_demo_samples

    samples = tmp_path / "samples"
    write_demo_samples(samples)
    folder = hostile_folder(tmp_path, samples, non_utf8=False)  # not UTF-8: the batch's own issue item (trust-data)
    code, out, err = run(capsys, "--demo", "batch", str(folder), "--scene", *(["--json"] if as_json else []))
    assert code == 0, err
    assert_clean(out, err)
    assert "\\x1b" in err  # the progress line names the last file, escaped
    if as_json:
        items = json.loads(out)["items"]
        assert {Path(i["path"]).name for i in items} == set(HOSTILE_NAMES.values())  # exact, through the escapes
    else:
        assert "a\\x1b]52;c;cm0gLXJmIH4vKgo=" in out


def test_scene_and_history_json_with_hostile_names_are_valid_and_clean(capsys, tmp_path):
    from animetui.ui.samples import write_demo_samples

    samples = tmp_path / "samples"
    write_demo_samples(samples)
    folder = tmp_path / "hostile"
    folder.mkdir()
    for key, picture in (("c1", "classroom.png"), ("bidi", "portrait.jpg"), ("osc52", "flat_sky.png")):  # distinct pictures: distinct history entries
        shutil.copyfile(samples / picture, folder / HOSTILE_NAMES[key])
    for key in ("c1", "bidi", "osc52"):
        code, out, err = run(capsys, "--demo", "scene", str(folder / HOSTILE_NAMES[key]), "--json")
        assert code == 0, err
        assert_clean(out, err)
        json.loads(out)
    code, out, err = run(capsys, "--demo", "history", "--json")
    assert code == 0, err
    assert_clean(out, err)
    listed = {Path(entry["source"]).name for entry in json.loads(out)}
    assert listed == {HOSTILE_NAMES[key] for key in ("c1", "bidi", "osc52")}  # exact, through the escapes
    code, out, err = run(capsys, "--demo", "history")
    assert code == 0 and "g\\x9b31mred.png" in out and "f\\u202egnp.exe.png" in out
    assert_clean(out, err)


def _hostile_create_key(monkeypatch, key: str) -> None:
    """The simulator's POST /api/apikeys answers with ``key`` as the new key's plaintext."""
    from animetui.simulator import whatanime
    import httpx

    original = whatanime.Simulator._create_key

    async def create(self, request, params):  # noqa: ANN001
        response = await original(self, request, params)
        if response.status_code != 201:
            return response
        body = json.loads(response.content)
        body["key"] = key
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() != "content-length"]
        return httpx.Response(201, headers=headers, content=json.dumps(body).encode())

    monkeypatch.setattr(whatanime.Simulator, "_create_key", create)


def test_keys_create_prints_a_hostile_key_escaped_and_says_it_cannot_be_used(capsys, monkeypatch):
    from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

    monkeypatch.setenv("ANIMETUI_PASSWORD", DEMO_PASSWORD)
    assert run(capsys, "--demo", "login", "--email", DEMO_EMAIL)[0] == 0
    _hostile_create_key(monkeypatch, "wait_abc\x1b]52;c;cm0gLXJmIH4vKgo=\x07\x1b[2J")
    code, out, err = run(capsys, "--demo", "keys", "create", "laptop\x1b[2J")
    assert code == 0, err
    assert_clean(out, err)
    assert "wait_abc\\x1b]52;c;cm0gLXJmIH4vKgo=\\x07\\x1b[2J" in out
    assert "config set" not in out and "control or invisible characters" in err


def test_keys_create_json_keeps_a_hostile_key_exact_but_escaped(capsys, monkeypatch):
    from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

    monkeypatch.setenv("ANIMETUI_PASSWORD", DEMO_PASSWORD)
    assert run(capsys, "--demo", "login", "--email", DEMO_EMAIL)[0] == 0
    _hostile_create_key(monkeypatch, "wait_abc\x1b]52;c;cm0gLXJmIH4vKgo=\x07\x1b[2J")
    code, out, err = run(capsys, "--demo", "keys", "create", "laptop", "--json")
    assert code == 0, err
    assert_clean(out, err)
    assert json.loads(out)["plaintext"] == "wait_abc\x1b]52;c;cm0gLXJmIH4vKgo=\x07\x1b[2J"  # JSON keeps it exact, escaped


@pytest.mark.parametrize("name", ["providers.whatanime.api_key", "providers.animeapi.api_key", "providers.ailab.api_key"])
def test_config_set_refuses_a_key_with_control_characters(capsys, name):
    from animetui.config import Settings

    code, out, err = run(capsys, "config", "set", name, "ank_abc\x1b[2J\ndef")
    assert code == 2
    assert err.count("\n") == 1 and "control or invisible characters" in err and "nothing was saved" in err
    assert "ank_abc" not in out + err  # the refused value is not echoed
    assert_clean(out, err)
    assert Settings.load().get(name) == ""
    assert run(capsys, "config", "set", name, "ank_fine0123")[0] == 0


async def test_a_paste_into_the_generate_prompt_goes_through_the_sanitiser(build_app):
    """The prompt is a TextArea (not a SafeInput): a paste, or a recent prompt put back, used to keep
    ESC, OSC 52 and a bidi override in the text — rendered as is and sent to the service."""
    from textual import events

    from animetui.text import safe
    from animetui.ui.screens.generate import GenerateScreen

    app = build_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("g")
        await wait_for(pilot, lambda: isinstance(app.screen, GenerateScreen), what="the Generate dialog")
        area = app.screen.query_one("#prompt")
        assert app.focused is area
        app.post_message(events.Paste("a cat\n" + _PROMPT))  # as the terminal's bracketed paste arrives
        await wait_for(pilot, lambda: "cleared" in area.text, what="the paste")
        await settle(pilot)
        assert area.text == "a cat\n" + safe(_PROMPT, line=False)  # line breaks stay, controls show as \x1b
        assert "\x1b" not in area.text and "\u202e" not in area.text and "\x07" not in area.text
        text = assert_no_injection(app)
        assert "x\\x1b[2J\\x1b[Hcleared" in text
        area.text = _PROMPT  # as a recent prompt from the journal is put back
        await settle(pilot)
        assert area.text == safe(_PROMPT, line=False)
        assert "\x1b" not in app.screen.prompt and "\\x1b[2J" in app.screen.prompt  # what would be sent
        assert_no_injection(app)
