"""Shared fixtures. Nothing here (or anywhere in tests) reaches a real host.

* every test gets its own config/data dirs under ``tmp_path`` and no ANIMETUI_* secrets from the
  developer's environment;
* textual-image's terminal probe is seeded (no TTY questions, fixed 10×20 px cells) before any
  app module imports it — ``test_image_probe_seed`` asserts the seed is in effect;
* ``hub`` is the simulators (only the marked service's under ``pytest.mark.simulator("<name>")``),
  ``sim`` that service's simulator;
* ``providers`` runs a test twice: in process (httpx MockTransport) and over a real loopback
  socket (``animetui.simulator.server``).
"""

from __future__ import annotations

import os

os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

try:  # seed textual-image's probe before anything imports textual_image.widget
    from textual_image._terminal import CellSize, TerminalCapabilities, probe_terminal

    setattr(probe_terminal, "_result", TerminalCapabilities(CellSize(10, 20), sixel=False, tgp=False))
except Exception:  # pragma: no cover - asserted by test_image_probe_seed
    pass

import pytest

from animetui.net import RetryPolicy

SECRET_ENV = ("ANIMETUI_WHATANIME_API_KEY", "ANIMETUI_ANIMEAPI_KEY", "ANIMETUI_AILAB_KEY", "ANIMETUI_PASSWORD")

FAST_RETRY = RetryPolicy(attempts=3, base_delay=0.01, max_delay=0.05, max_retry_after=2.0)


@pytest.fixture(autouse=True)
def isolated_env(tmp_path, monkeypatch):
    for name in SECRET_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("ANIMETUI_CONFIG", str(tmp_path / "config" / "config.toml"))
    monkeypatch.setenv("ANIMETUI_DATA_DIR", str(tmp_path / "data"))
    from animetui.redact import forget_secrets

    forget_secrets()
    yield
    forget_secrets()


def marked_service(request: pytest.FixtureRequest) -> str | None:
    """The service named by the test's ``pytest.mark.simulator("<name>")`` marker, if any."""
    marker = request.node.get_closest_marker("simulator")
    return str(marker.args[0]) if marker is not None else None


@pytest.fixture
def hub(request):
    """The simulated services, seeded and instant.

    A module marked ``pytestmark = pytest.mark.simulator("<name>")`` gets only that service's
    simulator, so its tests cannot depend on the others; unmarked tests get every service.
    """
    from animetui.simulator import SimulatorHub

    service = marked_service(request)
    return SimulatorHub(seed=7, services=(service,) if service else None)


@pytest.fixture
def sim(request, hub):
    """The simulator of the service the ``simulator`` marker names (its state, faults, counters)."""
    service = marked_service(request)
    if service is None:
        pytest.fail('the sim fixture needs pytestmark = pytest.mark.simulator("<name>")', pytrace=False)
    return hub.services[service]


@pytest.fixture
def settings(tmp_path):
    from animetui.config import Settings

    return Settings.load()


@pytest.fixture(params=["inprocess", "loopback"])
async def providers(request, hub, settings):
    """A :class:`animetui.providers.Providers` wired to ``hub``, both ways."""
    from animetui.providers import Providers
    from animetui.simulator import DEMO_KEYS

    if request.param == "inprocess":
        registry = Providers(settings, hub=hub, retry=FAST_RETRY)
        try:
            yield registry
        finally:
            await registry.aclose()
        return

    from animetui.simulator.server import serve

    async with serve(hub) as base_url:
        from animetui.providers.specs import all_specs

        for name in (s.name for s in all_specs() if s.network):  # every networked provider the specs declare
            settings.set(f"providers.{name}.base_url", base_url)
            if name in DEMO_KEYS:
                settings.set(f"providers.{name}.api_key", DEMO_KEYS[name])
        registry = Providers(settings, retry=FAST_RETRY)
        try:
            yield registry
        finally:
            await registry.aclose()


@pytest.fixture
def samples(tmp_path):
    """A few real image files of different formats and sizes."""
    from animetui.simulator.imagery import scene

    folder = tmp_path / "samples"
    folder.mkdir()
    files = {
        "scene.png": scene(640, 360, seed=1, boxes=[(0.1, 0.2, 0.35, 0.95), (0.55, 0.15, 0.8, 0.9)]),
        "photo.jpg": scene(800, 600, seed=2, fmt="JPEG"),
        "art.webp": scene(512, 512, seed=3, fmt="WEBP"),
        "tiny.png": scene(120, 90, seed=4),
        "wide.bmp": scene(1024, 400, seed=5, fmt="BMP"),
    }
    for name, data in files.items():
        (folder / name).write_bytes(data)
    (folder / "notes.txt").write_text("not an image")
    return folder
