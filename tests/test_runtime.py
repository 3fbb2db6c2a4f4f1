"""The one runtime: builds each service once, on first use, for the CLI and the TUI, and closes them."""

from __future__ import annotations

import json

from animetui import locations
from animetui.runtime import Runtime


async def test_services_are_built_once_on_first_use_and_closed(settings, hub):
    from animetui.providers import Providers

    runtime = Runtime(settings, providers=Providers(settings, hub=hub))
    assert "history" not in runtime.__dict__ and "runner" not in runtime.__dict__, "nothing opened by asking for a runtime"
    assert runtime.lookups.history is runtime.history, "one History for lookups and the rest"
    assert runtime.history.path == locations.history_db(settings.data_dir)
    assert runtime.batches is runtime.batches
    assert runtime.downloads is runtime.providers.downloads
    await runtime.start_jobs()
    assert runtime.runner.journal.path == locations.jobs_db(settings.data_dir)
    await runtime.aclose()
    await runtime.aclose()  # closing twice is harmless
    import pytest

    from animetui.history import HistoryError

    with pytest.raises(HistoryError, match="closed"):
        runtime.history.list()


async def test_the_log_both_faces_point_to_is_written(settings, hub):
    from animetui.providers import Providers

    runtime = Runtime(settings, providers=Providers(settings, hub=hub))
    await runtime.start()
    await runtime.aclose()
    log = locations.log_file(settings.data_dir)
    assert runtime.log_path == log and "services started" in log.read_text()


def test_cli_commands_go_through_the_runtime(capsys, samples, monkeypatch):
    """``history`` and ``scene`` share the runtime's History: the lookup is listed at once."""
    from animetui import cli

    opened = []
    original = Runtime.__init__

    def spy(self, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003
        opened.append(self)
        original(self, *args, **kwargs)

    monkeypatch.setattr(Runtime, "__init__", spy)
    assert cli.main(["--demo", "scene", str(samples / "scene.png"), "--provider", "tracemoe", "--json"]) == 0
    capsys.readouterr()
    assert cli.main(["--demo", "history", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and rows[0]["kind"] == "scene" and rows[0]["provider"] == "tracemoe"
    assert len(opened) == 2 and all("history" in r.__dict__ for r in opened)
