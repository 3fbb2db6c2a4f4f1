"""Config writes: re-read under a lock, only the one change applied, atomic, comments kept.

Before: with the TUI open, ``animetui config set providers.animeapi.api_key …`` wrote the key;
then toggling ``general.bell`` in the TUI's Settings wrote the TUI's stale copy over the file and
the key was gone. Comments were dropped on every write, and a symlinked config file was replaced
by a plain file.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import tomllib
from pathlib import Path

from .data_helpers import cli, text

KEY = "ank_fromthecli1234567890"
COMMENTED = """\
# My animetui settings — hand-written, please keep my notes.
[general]
# the bell annoys my flatmates
bell = false
renderer = "halfcell"   # kitty is broken over mosh

[providers.animetrace]
timeout = 30.0  # slow wifi
"""


def _config() -> Path:
    return Path(os.environ["ANIMETUI_CONFIG"])


async def test_a_cli_write_while_the_tui_is_open_survives_a_settings_toggle(tmp_path):
    from animetui.config import SCHEMA, Settings
    from animetui.ui.app import make_app
    from animetui.ui.screens.settings import SettingsScreen

    path = _config()
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    settings = Settings.load(path, demo=True)  # what the TUI read when it started
    app = make_app(settings, demo=True, start_path=tmp_path, renderer="halfcell")
    async with app.run_test(size=(120, 40)) as pilot:
        await app.services()
        written = cli("config", "set", "providers.animeapi.api_key", KEY)  # another process, meanwhile
        assert written.returncode == 0, text(written.stderr)
        assert tomllib.loads(path.read_text())["providers"]["animeapi"]["api_key"] == KEY

        await pilot.press("comma")
        for _ in range(200):
            if isinstance(app.screen, SettingsScreen):
                break
            await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SettingsScreen)
        screen.table.move_cursor(row=[key.name for key in SCHEMA].index("general.bell"))
        await pilot.pause()
        await pilot.press("enter")  # a boolean toggles and saves at once
        assert settings["general.bell"] is True

    saved = path.read_text()
    data = tomllib.loads(saved)
    assert data["general"]["bell"] is True
    assert data["providers"]["animeapi"]["api_key"] == KEY, "the key another process wrote was kept"
    assert "# the bell annoys my flatmates" in saved and "# kitty is broken over mosh" in saved
    assert settings["providers.animeapi.api_key"] == KEY, "after saving, the TUI holds what the file says"


def test_cli_writes_keep_comments_order_and_mode(tmp_path):
    path = _config()
    path.parent.mkdir(parents=True)
    path.write_text(COMMENTED)
    result = cli("config", "set", "providers.animetrace.timeout", "45")
    assert result.returncode == 0, text(result.stderr)
    result = cli("config", "set", "providers.ailab.style", "4")
    assert result.returncode == 0, text(result.stderr)
    result = cli("config", "unset", "general.bell")
    assert result.returncode == 0, text(result.stderr)
    saved = path.read_text()
    assert saved.startswith("# My animetui settings — hand-written, please keep my notes.\n[general]\n")
    assert 'renderer = "halfcell"   # kitty is broken over mosh' in saved
    assert "timeout = 45.0  # slow wifi" in saved
    assert "bell" not in tomllib.loads(saved)["general"]
    assert tomllib.loads(saved)["providers"]["ailab"]["style"] == 4
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    leftovers = [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []


def test_a_symlinked_config_is_written_through_to_its_target(tmp_path):
    dotfiles = tmp_path / "dotfiles"
    dotfiles.mkdir()
    target = dotfiles / "animetui.toml"
    target.write_text("# managed in my dotfiles repo\n[general]\nbell = false\n")
    link = _config()
    link.parent.mkdir(parents=True)
    link.symlink_to(target)
    result = cli("config", "set", "general.bell", "true")
    assert result.returncode == 0, text(result.stderr)
    assert link.is_symlink() and os.readlink(link) == str(target), "the link is still a link"
    assert target.read_text() == "# managed in my dotfiles repo\n[general]\nbell = true\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600


def test_many_writers_at_once_lose_nothing(tmp_path):
    """Eight ``config set`` processes started together, each a different key: all eight land."""
    path = _config()
    path.parent.mkdir(parents=True)
    path.write_text("# shared\n")
    changes = {
        "general.bell": "true", "general.theme": "nord", "general.confirm_paid": "false",
        "providers.ailab.style": "5", "providers.animetrace.timeout": "33",
        "providers.animeapi.orientation": "square", "providers.whatanime.include_adult": "true",
        "providers.animeapi.requests_per_minute": "7",
    }
    env = dict(os.environ, PYTHONIOENCODING="utf-8")
    children = [
        subprocess.Popen([sys.executable, "-m", "animetui", "config", "set", name, value], env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for name, value in changes.items()
    ]
    for child in children:
        _out, err = child.communicate(timeout=120)
        assert child.returncode == 0, err.decode()
    from animetui.config import SCHEMA_BY_NAME, Settings, coerce

    final = Settings.load(path)
    for name, value in changes.items():
        assert final.source(name) == "file", f"{name} was lost"
        assert final[name] == coerce(SCHEMA_BY_NAME[name], value, where="test")
    assert path.read_text().startswith("# shared\n")


def test_a_file_broken_meanwhile_is_not_overwritten(tmp_path):
    from animetui.config import Settings
    from animetui.errors import ConfigError

    path = _config()
    path.parent.mkdir(parents=True)
    path.write_text("[general]\nbell = false\n")
    settings = Settings.load(path)
    broken = '[general]\nbell = "unterminated\n'
    path.write_text(broken)  # the user is editing it by hand
    settings.set("general.bell", True)
    try:
        settings.save()
    except ConfigError as exc:
        assert str(path) in str(exc) and "nothing saved" in str(exc)
    else:
        raise AssertionError("a write over a file that does not parse must be refused")
    assert path.read_text() == broken


def test_a_file_written_with_dotted_keys_gets_each_value_where_toml_reads_it(tmp_path):
    """tomlkit would append a dotted key after the last table (where TOML reads it as part of that
    table); such a write is checked and made plainly instead of landing in the wrong place."""
    path = _config()
    path.parent.mkdir(parents=True)
    path.write_text('providers.animeapi.api_key = "ank_dotted123456"\n')
    for name, value in (("providers.ailab.style", "1"), ("providers.animeapi.orientation", "square")):
        result = cli("config", "set", name, value)
        assert result.returncode == 0, text(result.stderr)
    data = tomllib.loads(path.read_text())
    assert data["providers"]["animeapi"] == {"api_key": "ank_dotted123456", "orientation": "square"}
    assert data["providers"]["ailab"] == {"style": 1}
