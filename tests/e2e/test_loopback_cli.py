"""End to end: `python -m animetui.simulator` on a loopback port, the CLI pointed at it by a config file.

Two real processes talking HTTP over a socket, as a user would run them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from animetui.simulator import DEMO_KEYS
from animetui.simulator.imagery import scene


@pytest.fixture
def simulator():
    proc = subprocess.Popen(
        [sys.executable, "-m", "animetui.simulator", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("animetui simulators on http://127.0.0.1:"), first
        yield first.split()[-1]
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def cli(*args, env):
    return subprocess.run([sys.executable, "-m", "animetui", *args], capture_output=True, text=True, env=env,
                          stdin=subprocess.DEVNULL, timeout=120)


def test_cli_against_loopback_simulator(simulator, tmp_path):
    config = tmp_path / "sim.toml"
    lines = []
    for name in ("animetrace", "whatanime", "animeapi", "ailab"):
        lines.append(f'[providers.{name}]\nbase_url = "{simulator}"')
        if name in DEMO_KEYS:
            lines.append(f'api_key = "{DEMO_KEYS[name]}"')
    config.write_text("\n".join(lines) + "\n")
    image = tmp_path / "shot.png"
    image.write_bytes(scene(640, 360, seed=1, boxes=[(0.1, 0.2, 0.35, 0.95), (0.55, 0.15, 0.8, 0.9)]))
    env = {**os.environ, "ANIMETUI_CONFIG": str(config), "ANIMETUI_DATA_DIR": str(tmp_path / "data")}

    result = cli("characters", str(image), "--json", env=env)
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["detections"] and all(len(d["box"]) == 4 for d in data["detections"])

    result = cli("scene", str(image), "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert "matches" in json.loads(result.stdout)

    result = cli("rankings", "--period", "daily", "--limit", "3", "--json", env=env)
    assert result.returncode == 0 and len(json.loads(result.stdout)["rankings"]) == 3

    result = cli("generate", "a fox in the snow", "--json", env=env)
    assert result.returncode == 0, result.stderr
    job = json.loads(result.stdout)
    assert job["state"] == "succeeded" and os.path.getsize(job["result_path"]) > 1000

    result = cli("config", "show", env=env)
    assert result.returncode == 0
    for key in DEMO_KEYS.values():
        assert key not in result.stdout + result.stderr
