"""Headless polish (issue 13): what the CLI says when a path is long, a name repeats, a scheme or a
command is wrong, an error happens under --json, or there is nothing to sign out of."""

from __future__ import annotations

import json
import os
import shutil
import sys

from animetui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _job_with_long_result(capsys, tmp_path, monkeypatch):
    downloads = tmp_path / ("a-rather-long-folder-name-for-downloads-" * 3)
    code, out, err = run(capsys, "--demo", "config", "set", "general.downloads_dir", str(downloads))
    assert code == 0, err
    code, out, err = run(capsys, "--demo", "generate", "a girl with a red umbrella in the rain", "--wait", "--json")
    assert code == 0, err
    path = json.loads(out)["result_path"]
    assert len(path) > 120
    return path


def test_jobs_result_path_whole_when_not_a_terminal(capsys, tmp_path, monkeypatch):
    path = _job_with_long_result(capsys, tmp_path, monkeypatch)
    code, out, _ = run(capsys, "--demo", "jobs")
    assert code == 0 and path in out


def test_jobs_result_path_fits_a_wide_terminal_and_is_cut_on_a_narrow_one(capsys, tmp_path, monkeypatch):
    path = _job_with_long_result(capsys, tmp_path, monkeypatch)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True)
    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback=None: os.terminal_size((len(path) + 120, 50)))
    code, out, _ = run(capsys, "--demo", "jobs")
    assert code == 0 and path in out
    monkeypatch.setattr(shutil, "get_terminal_size", lambda fallback=None: os.terminal_size((120, 50)))
    code, out, _ = run(capsys, "--demo", "jobs")
    assert code == 0 and path not in out and "…" in out
    assert all(len(line) <= 120 for line in out.splitlines())


def test_batch_recursive_shows_paths_relative_to_the_root_and_what_a_duplicate_repeats(capsys, tmp_path, samples):
    root = tmp_path / "shots"
    (root / "sub").mkdir(parents=True)
    (root / "other").mkdir()
    shutil.copy(samples / "scene.png", root / "classroom.png")
    shutil.copy(samples / "scene.png", root / "sub" / "classroom.png")
    shutil.copy(samples / "tiny.png", root / "other" / "classroom.png")
    code, out, err = run(capsys, "--demo", "batch", str(root), "--recursive", "--scene")
    assert code == 0, err
    lines = out.splitlines()
    assert any(line.startswith("sub/classroom.png") and "duplicate of classroom.png" in line for line in lines), out
    assert any(line.startswith("other/classroom.png") for line in lines), out
    assert any(line.startswith("classroom.png ") for line in lines), out
    code, out, err = run(capsys, "--demo", "batch", str(root), "--recursive", "--scene", "--json")
    dup = next(i for i in json.loads(out)["items"] if i["status"] == "duplicate")
    assert dup["detail"] == "duplicate of classroom.png"


def test_unsupported_scheme_says_so(capsys):
    code, _out, err = run(capsys, "--demo", "scene", "ftp://x")
    assert code != 0 and "ftp:// URLs are not supported" in err and "no such file" not in err
    code, _out, err = run(capsys, "--demo", "characters", "file:///tmp/a.png")
    assert code != 0 and "not supported" in err and "path" in err


def test_mistyped_command_is_suggested(capsys):
    code, _out, err = run(capsys, "charaters", "img.png")
    assert code == 2 and "did you mean characters?" in err and "unrecognized arguments" not in err
    code, _out, err = run(capsys, "rankigns")
    assert code == 2 and "did you mean rankings?" in err


def test_json_errors_are_json_on_stdout_and_a_line_on_stderr(capsys, tmp_path):
    code, out, err = run(capsys, "--demo", "scene", str(tmp_path / "nope.png"), "--json")
    assert code == 3
    error = json.loads(out)["error"]
    assert error["exit_code"] == 3 and "no such file" in error["message"] and error["kind"] == "bad_input"
    assert "no such file" in err
    code, out, err = run(capsys, "--demo", "rankings", "--period", "hourly", "--json")
    assert code == 2 and json.loads(out)["error"]["kind"] == "usage" and "invalid choice" in err
    code, out, err = run(capsys, "--demo", "scene", str(tmp_path / "nope.png"))
    assert code == 3 and out == ""  # no --json: nothing on stdout


def test_logout_twice_says_not_signed_in(capsys, monkeypatch):
    from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

    monkeypatch.setenv("ANIMETUI_PASSWORD", DEMO_PASSWORD)
    assert run(capsys, "--demo", "login", "--email", DEMO_EMAIL)[0] == 0
    code, out, _ = run(capsys, "--demo", "logout")
    assert code == 0 and "session was deleted" in out
    code, out, _ = run(capsys, "--demo", "logout")
    assert code == 0 and "Not signed in" in out and "deleted" not in out
