"""``animetui doctor`` against the loopback simulators (and an address nothing listens on)."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys

import pytest

from animetui.simulator import DEMO_KEYS


@pytest.fixture
def simulator():
    proc = subprocess.Popen([sys.executable, "-m", "animetui.simulator", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield proc.stdout.readline().split()[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_doctor_reports_versions_reachability_sources_and_kept_answers(simulator, tmp_path):
    dead = f"http://127.0.0.1:{closed_port()}"
    config = tmp_path / "c.toml"
    config.write_text(
        f'[providers.animetrace]\nbase_url = "{simulator}"\n'
        f'[providers.whatanime]\nbase_url = "{simulator}"\n'
        f'[providers.animeapi]\nbase_url = "{simulator}"\napi_key = "{DEMO_KEYS["animeapi"]}"\n'
        f'[providers.ailab]\nbase_url = "{dead}"\n'
    )
    data = tmp_path / "data"
    from animetui import unexpected

    unexpected.save(data, provider="whatanime", what="search", body={"odd": True})
    env = {**os.environ, "ANIMETUI_CONFIG": str(config), "ANIMETUI_DATA_DIR": str(data),
           "ANIMETUI_AILAB_KEY": "ailab_secret_value_123456"}
    result = subprocess.run([sys.executable, "-m", "animetui", "doctor", "--json"], capture_output=True, text=True,
                            env=env, stdin=subprocess.DEVNULL, timeout=60)
    assert result.returncode == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["versions"]["animetui"] and doc["versions"]["python"]
    assert "images" in doc["terminal"]
    providers = doc["providers"]
    for name in ("animetrace", "whatanime", "animeapi"):
        assert providers[name]["reachability"].startswith("reachable"), providers[name]
        assert providers[name]["settings"]["base_url"] == f"{simulator} (file)"
    assert providers["ailab"]["reachability"].startswith("unreachable")
    assert providers["animeapi"]["settings"]["api_key"] == "set (file)"
    assert providers["ailab"]["settings"]["api_key"] == "set (env)"
    assert [a["provider"] for a in doc["unexpected_answers"]] == ["whatanime"]
    for secret in (DEMO_KEYS["animeapi"], "ailab_secret_value_123456"):
        assert secret not in result.stdout + result.stderr

    text = subprocess.run([sys.executable, "-m", "animetui", "doctor"], capture_output=True, text=True,
                          env=env, stdin=subprocess.DEVNULL, timeout=60)
    assert text.returncode == 0, text.stderr
    assert "AILabTools: unreachable" in text.stdout and "unexpected answers kept (1" in text.stdout
    assert "    base_url: " in text.stdout
