"""The headless CLI: exit codes, --json shapes, human output, and no secrets anywhere."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys

import pytest

from animetui.cli import main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_usage_errors_exit_2(capsys):
    code, _out, err = run(capsys, "characters")
    assert code == 2 and "required" in err and "Traceback" not in err
    code, _out, err = run(capsys, "rankings", "--period", "hourly")
    assert code == 2 and "invalid choice" in err
    code, _out, err = run(capsys, "cartoonize", "x.png", "--style", "99")
    assert code == 2 and "Vintage Comic" in err


def test_history_lists_and_filters(capsys, samples):
    assert run(capsys, "--demo", "scene", str(samples / "scene.png"))[0] == 0
    code, out, _ = run(capsys, "--demo", "history", "--json")
    assert code == 0 and json.loads(out)[0]["kind"] == "scene"
    code, out, _ = run(capsys, "--demo", "history", "no-such-title-anywhere")
    assert code == 0 and "No lookups match" in out


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as info:
        main(["--help"])
    assert info.value.code == 0
    out = capsys.readouterr().out
    for command in ("characters", "scene", "generate", "cartoonize", "rankings", "keys", "login", "config"):
        assert command in out


def test_config_set_show_masks_secret_and_file_is_0600(capsys, tmp_path):
    cfg = tmp_path / "cfg.toml"
    secret = "ank_abcdefghijklmnop1234"
    code, out, _ = run(capsys, "config", "set", "providers.animeapi.api_key", secret, "--config", str(cfg))
    assert code == 0 and secret not in out
    assert stat.S_IMODE(os.stat(cfg).st_mode) == 0o600
    code, out, _ = run(capsys, "config", "show", "--config", str(cfg))
    assert code == 0 and secret not in out and "ank_…1234" in out
    code, out, _ = run(capsys, "config", "show", "--json", "--config", str(cfg))
    data = json.loads(out)
    assert data["settings"]["providers.animeapi.api_key"] == {"value": "ank_…1234", "source": "file"}
    code, out, _ = run(capsys, "config", "path", "--config", str(cfg))
    assert out.strip() == str(cfg)


def test_config_errors(capsys, tmp_path):
    cfg = tmp_path / "bad.toml"
    cfg.write_text("[general\n")
    code, _out, err = run(capsys, "config", "show", "--config", str(cfg))
    assert code == 2 and str(cfg) in err and "line 1" in err
    assert cfg.read_text() == "[general\n"
    code, _out, err = run(capsys, "config", "set", "general.renderer", "ascii")
    assert code == 2 and "one of" in err


def test_characters_json_shape(capsys, samples):
    code, out, err = run(capsys, "--demo", "characters", str(samples / "scene.png"), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= {"ai", "trace_id", "detections"}
    assert data["detections"], "the sample has two drawn characters"
    for det in data["detections"]:
        assert len(det["box"]) == 4 and all(0 <= v <= 1 for v in det["box"])
        assert isinstance(det["not_confident"], bool)
        assert det["candidates"] and set(det["candidates"][0]) == {"character", "work"}


def test_characters_human_table(capsys, samples):
    code, out, _ = run(capsys, "characters", str(samples / "scene.png"), "--demo")
    assert code == 0 and "character" in out and "work" in out


def test_scene_json_shape(capsys, samples):
    code, out, err = run(capsys, "--demo", "scene", str(samples / "photo.jpg"), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert "matches" in data
    for match in data["matches"]:
        assert set(match) >= {"title", "episode", "from", "to", "similarity"}


def test_models_rankings_recent(capsys):
    code, out, _ = run(capsys, "--demo", "models", "--json")
    models = json.loads(out)["models"]
    assert code == 0 and any(m["default"] for m in models) and any(not m["enabled"] for m in models)
    code, out, _ = run(capsys, "--demo", "rankings", "--period", "weekly", "--limit", "5", "--json")
    assert code == 0 and len(json.loads(out)["rankings"]) == 5
    code, out, _ = run(capsys, "--demo", "recent", "--limit", "3", "--offset", "3", "--json")
    assert code == 0 and len(json.loads(out)["searches"]) == 3


def test_bad_input_exit_3(capsys, tmp_path):
    code, _out, err = run(capsys, "--demo", "characters", str(tmp_path / "missing.png"))
    assert code == 3 and "no such file" in err and "Traceback" not in err
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    code, _out, err = run(capsys, "--demo", "scene", str(notes))
    assert code == 3 and "not an image" in err


def test_network_error_exit_4(capsys, tmp_path, samples):
    cfg = tmp_path / "c.toml"
    cfg.write_text('[providers.animetrace]\nbase_url = "http://127.0.0.1:9"\ntimeout = 2.0\n')
    code, _out, err = run(capsys, "characters", str(samples / "scene.png"), "--config", str(cfg))
    assert code == 4 and "connect" in err


def test_auth_error_never_shows_key(capsys, tmp_path, monkeypatch):
    secret = "ank_wrongkey0000000000zz"
    monkeypatch.setenv("ANIMETUI_ANIMEAPI_KEY", secret)
    code, out, err = run(capsys, "--demo", "generate", "a cat", "--json")
    assert code in (3, 5)
    assert secret not in out and secret not in err


def test_generate_and_jobs(capsys):
    code, out, err = run(capsys, "--demo", "generate", "blue hair girl in a forest", "--json")
    assert code == 0, err
    job = json.loads(out)
    assert job["state"] == "succeeded" and job["result_path"] and os.path.exists(job["result_path"])
    code, out, _ = run(capsys, "--demo", "jobs", "--json")
    assert any(j["id"] == job["id"] for j in json.loads(out)["jobs"])
    code, out, _ = run(capsys, "--demo", "credits", "--json")
    animeapi = next(c for c in json.loads(out)["credits"] if c["provider"] == "animeapi")
    assert animeapi["remaining"] == pytest.approx(job["balance_usd"])  # the last balance, from the journal


def test_cartoonize_wait(capsys, samples):
    code, out, err = run(capsys, "--demo", "cartoonize", str(samples / "photo.jpg"), "--style", "2", "--wait", "--json")
    assert code == 0, err
    job = json.loads(out)
    assert job["state"] == "succeeded" and os.path.exists(job["result_path"])


def test_login_flow_without_terminal(capsys, monkeypatch):
    from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

    monkeypatch.setenv("ANIMETUI_PASSWORD", DEMO_PASSWORD)
    code, out, err = run(capsys, "--demo", "login", "--email", DEMO_EMAIL)
    assert code == 0, err
    assert DEMO_PASSWORD not in out + err
    code, out, err = run(capsys, "--demo", "credits", "--json")
    assert code == 0, err
    assert any(c["provider"] == "whatanime" for c in json.loads(out)["credits"])
    code, out, err = run(capsys, "--demo", "keys", "create", "laptop", "--json")
    assert code == 0, err
    created = json.loads(out)
    assert created.get("plaintext")
    code, out, _ = run(capsys, "--demo", "keys", "list")
    assert created["plaintext"] not in out
    code, out, _ = run(capsys, "--demo", "logout")
    assert code == 0
    code, _out, err = run(capsys, "--demo", "keys", "list")
    assert code == 3 and "sign in" in err.lower()


def test_login_wrong_password(capsys, monkeypatch):
    monkeypatch.setenv("ANIMETUI_PASSWORD", "not-the-password")
    code, out, err = run(capsys, "--demo", "login", "--email", "demo@animetui.dev")
    assert code == 3 and "not-the-password" not in out + err


def test_module_entry_point_no_traceback(tmp_path):
    env = {**os.environ, "ANIMETUI_DATA_DIR": str(tmp_path / "d"), "ANIMETUI_CONFIG": str(tmp_path / "c.toml")}
    proc = subprocess.run(
        [sys.executable, "-m", "animetui", "characters", str(tmp_path / "nope.png"), "--demo"],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60,
    )
    assert proc.returncode == 3 and "Traceback" not in proc.stderr and "no such file" in proc.stderr
