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
