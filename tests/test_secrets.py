"""No secret (API keys, password, session cookies) in CLI output, error messages, logs or snapshots."""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from animetui.cli import main
from animetui.simulator import DEMO_KEYS

REPO = Path(__file__).resolve().parents[1]


def _all_text_files(root: Path, *, skip: set[str]) -> dict[Path, str]:
    out = {}
    for path in root.rglob("*"):
        if path.is_file() and path.name not in skip and path.suffix not in (".sqlite3", ".pickle", ".png", ".jpg", ".webp", ".gif", ".bmp"):
            out[path] = path.read_bytes().decode("utf-8", "replace")
    return out


def test_no_secret_in_cli_output_logs_or_files(capsys, monkeypatch, tmp_path, samples):
    from animetui.simulator.whatanime import DEMO_EMAIL, DEMO_PASSWORD

    secrets = [DEMO_PASSWORD, *DEMO_KEYS.values()]
    monkeypatch.setenv("ANIMETUI_PASSWORD", DEMO_PASSWORD)
    outputs = []
    for argv in (
        ["--demo", "login", "--email", DEMO_EMAIL],
        ["--demo", "credits"],
        ["--demo", "keys", "list", "--json"],
        ["--demo", "scene", str(samples / "scene.png")],
        ["--demo", "characters", str(samples / "scene.png"), "--json"],
        ["--demo", "config", "show"],
        ["--demo", "config", "show", "--json"],
        ["--demo", "keys", "create", "ci"],
        ["--demo", "history", "--export", "json"],
    ):
        main(argv)
        out, err = capsys.readouterr()
        outputs.append(out + err)
    one_time = outputs.pop(-2)  # `keys create` shows the new key once, by design
    created = re.search(r"^\s+(\S{20,})$", one_time, re.M)
    assert created, "keys create shows the new key once"
    # a wrong key in the environment must not be echoed back in the error
    monkeypatch.setenv("ANIMETUI_ANIMEAPI_KEY", "ank_badbadbadbadbadbad0000")
    main(["--demo", "generate", "cat"])
    out, err = capsys.readouterr()
    outputs.append(out + err)
    secrets.append("ank_badbadbadbadbadbad0000")

    session_file = next(Path(os.environ["ANIMETUI_DATA_DIR"]).rglob("whatanime-session.json"))
    assert stat.S_IMODE(session_file.stat().st_mode) == 0o600
    cookie_values = re.findall(r'"value":\s*"([^"]+)"', session_file.read_text())
    assert cookie_values, "the session file keeps the cookie jar"
    secrets += cookie_values

    joined = "\n".join(outputs)  # all but the one-time key display
    for secret in secrets + [created.group(1)]:
        assert secret not in joined, f"secret leaked into CLI output: {secret[:6]}…"

    data_dir = Path(os.environ["ANIMETUI_DATA_DIR"])
    files = _all_text_files(data_dir, skip={"whatanime-session.json"})
    assert any(p.name == "animetui.log" for p in files), "the log file exists"
    for path, text in files.items():
        for secret in secrets + [created.group(1)]:
            assert secret not in text, f"secret leaked into {path.name}"


def test_no_secret_in_snapshots_or_screenshots():
    from animetui.simulator.whatanime import DEMO_PASSWORD

    folders = [REPO / "tests" / "ui" / "__snapshots__", REPO / "screenshots"]
    texts = {p: p.read_text("utf-8", "replace") for folder in folders if folder.exists() for p in folder.rglob("*.svg")}
    assert texts, "snapshots exist"
    for path, text in texts.items():
        # the demo sign-in dialog names the simulated account's password on purpose (issue 13: the
        # demo account could not be guessed); anywhere else — a password field — it must be masked
        text = text.replace(f"password&#160;{DEMO_PASSWORD}", "password&#160;(the demo hint)")
        for secret in [DEMO_PASSWORD, *DEMO_KEYS.values()]:
            assert secret not in text, f"secret in {path.name}"
