"""Fixtures for the hostile-server tests.

* ``hostile`` — a :class:`HostileServer` on 127.0.0.1 (the "service"); ``elsewhere`` — a second
  one on another port, i.e. another origin (where a redirect sends keys and photos, if it can).
* ``point_at(server, **overrides)`` — writes the config file (``ANIMETUI_CONFIG``, set per test by
  the root conftest) so every provider's ``base_url`` is that server, with fake keys, and returns
  the keys so tests can look for them in what the other host received.
* ``cli(*argv)`` — runs ``animetui.cli.main`` in process: (exit code, stdout, stderr).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from .hostile_server import HostileServer

#: fake credentials, distinctive enough to grep for in anything a server received
KEYS = {
    "animeapi": "ank_HOSTILEtestKEY0123456789",
    "ailab": "ailabHOSTILEtestKEY0123456789",
    "whatanime": "wai_HOSTILEtestKEY0123456789",
}


@pytest.fixture
def hostile():
    server = HostileServer()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture
def elsewhere():
    server = HostileServer()
    try:
        yield server
    finally:
        server.close()


def _toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


@pytest.fixture
def point_at():
    def write(server: HostileServer, **overrides: object) -> dict[str, str]:
        """``overrides``: dotted keys with "." written as "__", e.g. ``providers__ailab__timeout=2``."""
        sections: dict[str, dict[str, object]] = {"general": {"confirm_paid": False}}
        for name in ("animetrace", "whatanime", "animeapi", "ailab"):
            sections[f"providers.{name}"] = {"base_url": server.url}
            if name in KEYS:
                sections[f"providers.{name}"]["api_key"] = KEYS[name]
        for dotted, value in overrides.items():
            *section, key = dotted.split("__")
            sections.setdefault(".".join(section), {})[key] = value
        lines = []
        for section, values in sections.items():
            lines.append(f"[{section}]")
            lines.extend(f"{key} = {_toml_value(value)}" for key, value in values.items())
        path = Path(os.environ["ANIMETUI_CONFIG"])
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n")
        path.chmod(0o600)
        return dict(KEYS)

    return write


@pytest.fixture
def cli(capsys):
    from animetui.cli import main

    def run(*argv: str) -> tuple[int, str, str]:
        code = main(list(argv))
        out, err = capsys.readouterr()
        return code, out, err

    return run


# --------------------------------------------------------------------------- helpers for tests
#: answers that look right to each provider (so a test fails on what it checks, not on parsing)
AILAB_CREDITS = {"error_code": 0, "data": [{"name": "pack", "balance": 7, "total": 10}]}
AILAB_SUBMIT = {"error_code": 0, "task_id": "task-1"}
SCENE_OK = {"result": [], "credits": {"remaining": 3}}
TRACE_MODELS = {"code": 0, "data": [{"id": "m1", "name": "M1", "enabled": True, "default": True}]}
TRACE_OK = {"code": 0, "data": [], "ai": False}
RANKINGS_OK = {"rankings": [{"rank": 1, "title": "Frieren", "searchCount": 9, "anilistId": 1}]}

SUBMIT = "/api/image/effects/ai-anime-generator"
AILAB_CREDITS_PATH = "/api/common/query-credits"
SEARCH = "/api/anime/search"
RANKINGS = "/api/anime/rankings"
RECENT = "/api/anime/recent-searches"
GENERATE = "/api/generate"
TRACE_SEARCH = "/v1/search"
TRACE_MODELS_PATH = "/v1/model/list"

#: header names that carry a credential, whatever the provider
CREDENTIAL_HEADERS = ("authorization", "cookie", "ailabapi-api-key", "x-trace-key", "x-api-key", "proxy-authorization")


def assert_nothing_secret_arrived(server: HostileServer, *secrets: str) -> None:
    """No credential header, no secret anywhere, and no request body at all reached ``server``."""
    for request in server.requests:
        for name in CREDENTIAL_HEADERS:
            assert name not in request.headers, (name, request.path)
        blob = repr(request.headers) + request.target + request.body.decode("latin-1")
        for secret in secrets:
            assert secret not in blob, (secret, request.path)
        assert request.body == b"", f"an upload body reached {server.url}{request.path}"


@pytest.fixture
def photo(tmp_path) -> Path:
    """A real 640×360 PNG (every provider sends it as it is)."""
    from animetui.simulator.imagery import scene

    path = tmp_path / "photo.png"
    path.write_bytes(scene(640, 360, seed=3))
    return path


FAST_RETRY_ATTEMPTS = 3


@pytest.fixture
async def registry(hostile, point_at):
    """``Providers`` built from a config pointing at ``hostile`` (fast retries, still 3 attempts)."""
    from animetui.config import Settings
    from animetui.net import RetryPolicy
    from animetui.providers import Providers

    point_at(hostile)
    built = Providers(Settings.load(), retry=RetryPolicy(attempts=FAST_RETRY_ATTEMPTS, base_delay=0.01, max_delay=0.02))
    try:
        yield built
    finally:
        await built.aclose()
