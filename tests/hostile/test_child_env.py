"""The TUI's worker processes get only the environment they need: no key, no password.

Before: the upload and picture workers (``animetui.pictures.offload``, ``spawn``) and multiprocessing's
resource tracker inherited the whole environment, ``ANIMETUI_*_KEY`` and ``ANIMETUI_PASSWORD``
included (readable in ``/proc/PID/environ`` for the life of the process).
"""

from __future__ import annotations

import multiprocessing
import os
from pathlib import Path

import pytest

SECRETS = {
    "ANIMETUI_ANIMEAPI_KEY": "ank_childenv_secret_1234567",
    "ANIMETUI_AILAB_KEY": "ailab_childenv_secret_7654321",
    "ANIMETUI_WHATANIME_API_KEY": "wa_childenv_secret_99999",
    "ANIMETUI_PASSWORD": "hunter2-childenv",
    "SOME_OTHER_TOKEN": "tok_childenv_5555",
}


def _environ_of(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes()
    pairs = [item.split(b"=", 1) for item in raw.split(b"\0") if b"=" in item]
    return {k.decode(errors="replace"): v.decode(errors="replace") for k, v in pairs}


@pytest.mark.skipif(not Path("/proc/self/environ").exists(), reason="needs /proc")
async def test_the_tuis_worker_processes_get_no_secrets(tmp_path, monkeypatch):
    from animetui.pictures import offload
    from animetui.config import Settings
    from animetui.ui.app import make_app
    from animetui.pictures.process import _process as pictures  # the picture worker

    offload.use_process(False)  # workers an earlier test in this process started: gone, so ours are new
    pictures.shutdown()
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    before = {p.pid for p in multiprocessing.active_children()}
    settings = Settings.load(demo=True)
    app = make_app(settings, demo=True, start_path=tmp_path, renderer="halfcell")
    try:
        async with app.run_test(size=(120, 40)):
            services = await app.services()
            assert services.providers.section("animeapi").get("api_key") == SECRETS["ANIMETUI_ANIMEAPI_KEY"], "the app itself has its key"
            await app._offload_start  # the upload worker, started at start-up
            pictures.get().submit(int).result(timeout=60)  # the picture worker
            children = [p for p in multiprocessing.active_children() if p.pid not in before]
            assert len(children) >= 2, children
            from multiprocessing import resource_tracker

            pids = [p.pid for p in children]
            tracker = getattr(resource_tracker._resource_tracker, "_pid", None)
            if tracker:
                pids.append(tracker)
            for pid in pids:
                env = _environ_of(pid)
                leaked = [name for name, value in SECRETS.items() if name in env or value in env.values()]
                assert leaked == [], f"process {pid} got {leaked}"
                assert "PATH" in env, "what a worker needs is still there"
    finally:
        offload.use_process(False)
        pictures.shutdown()


def test_child_env_is_an_allow_list():
    from animetui.pictures.offload import child_env

    env = child_env({
        "PATH": "/usr/bin", "HOME": "/home/me", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": "/x",
        "ANIMETUI_AILAB_KEY": "k", "ANIMETUI_PASSWORD": "p", "AWS_SECRET_ACCESS_KEY": "s", "PYTHON_API_KEY": "t",
        "DISPLAY": ":0", "SSH_AUTH_SOCK": "/tmp/agent",
    })
    assert env == {"PATH": "/usr/bin", "HOME": "/home/me", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "PYTHONPATH": "/x"}
