"""Fixtures for the TUI tests: a deterministic app over the simulators.

Determinism, as Posting and Harlequin get it:

* a frozen clock (``FrozenClock``) shared by the simulators, the job runner and the app, so
  elapsed times, "5m ago" and the simulators' dates never move unless a test advances them;
* the demo pictures written under ``$HOME/Pictures`` (HOME is a per-test tmp dir, see the root
  conftest), so the tree shows the same ``~/Pictures`` path in every run;
* pictures forced to ``halfcell`` (the probe is seeded in the root conftest), animations off,
  the input cursor not blinking, and ``settle()`` waits for every worker (except
  DirectoryTree's never-ending loader) and every picture before a snapshot.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ui_helpers import FAST_RETRY, FrozenClock


@pytest.fixture(autouse=True)
def no_cursor_blink(monkeypatch):
    """The cursor stays drawn: a blink timer would hide it on every other half second.

    Under load the time between focusing a box and taking the shot is anything, so a live blink
    makes a snapshot show the cursor or not by chance. Every Input and TextArea is built with
    Textual's public ``cursor_blink`` off (the cursor is then always drawn).
    """
    from textual.widgets import Input, TextArea

    for widget in (Input, TextArea):
        monkeypatch.setattr(widget, "__init__", _without_blink(widget.__init__))


def _without_blink(init):
    def build(self, *args, **kwargs):
        init(self, *args, **kwargs)
        self.cursor_blink = False

    return build


@pytest.fixture(autouse=True)
def notifications_stay(monkeypatch):
    """Notifications (and their toasts) last until cleared, however slow the run.

    Textual expires them on the wall clock (``Notification.time_left``: raised_at + timeout -
    time()), and iterating ``app._notifications`` drops the expired ones: on a loaded machine a
    2-5 s toast could vanish from a snapshot, or from a test's ``app._notifications`` before the
    assertion that looks for it. Frozen here as everything else that tells time is.
    """
    from textual.notifications import Notification

    monkeypatch.setattr(Notification, "time_left", property(lambda self: _A_DAY), raising=True)


_A_DAY = 24 * 3600.0


@pytest.fixture(autouse=True)
def not_in_tmux(monkeypatch):
    """The copy toast depends on tmux's set-clipboard: tests run as if outside tmux unless they say."""
    from animetui.ui.clipboard import tmux_set_clipboard

    monkeypatch.delenv("TMUX", raising=False)
    tmux_set_clipboard.cache_clear()
    yield
    tmux_set_clipboard.cache_clear()


@pytest.fixture(scope="session")
def _sample_master(tmp_path_factory) -> Path:
    from animetui.ui.samples import write_demo_samples

    folder = tmp_path_factory.mktemp("ui-samples")
    write_demo_samples(folder)
    return folder


@pytest.fixture
def pictures(_sample_master) -> Path:
    """The demo pictures in ``~/Pictures`` (HOME is this test's tmp dir)."""
    folder = Path.home() / "Pictures"
    shutil.copytree(_sample_master, folder)
    return folder


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def ui_hub(clock):
    from animetui.simulator import SimulatorHub

    return SimulatorHub(seed=7, clock=clock)


@pytest.fixture
def ui_settings(settings):
    # the job runner the apps get polls fast (build_app passes poll_interval); the setting itself
    # refuses less than the documented 5 s
    # The flows written for one scene engine keep it; tests/ui/test_scene_engines.py covers the
    # default ("all": trace.moe and whatanimeisthis together) and switching.
    settings.set("general.scene_provider", "whatanime")
    return settings


@pytest.fixture
def build_app(ui_settings, ui_hub, clock, pictures, tmp_path) -> Callable[..., Any]:
    """``build_app(**overrides)`` → a fresh app over the simulators (nothing started yet)."""

    def build(*, start_path: Path | None = None, renderer: str = "halfcell", runner: Any = None, **kwargs: Any):
        from animetui.jobs import JobRunner
        from animetui.providers import Providers
        from animetui.store import JobJournal
        from animetui.ui.app import make_app

        providers = Providers(ui_settings, hub=ui_hub, retry=FAST_RETRY)
        journal = JobJournal(ui_settings.data_dir / "jobs.sqlite3")
        runner = runner or JobRunner(
            providers,
            journal,
            downloads_dir=Path.home() / "Downloads" / "animetui",
            clock=clock.now,
            poll_interval=0.05,
        )
        return make_app(
            ui_settings,
            demo=True,
            start_path=start_path or pictures,
            providers=providers,
            runner=runner,
            clock=clock.now,
            renderer=renderer,
            **kwargs,
        )

    return build
