"""Settings: precedence, validation, atomic 0600 writes, broken files never overwritten."""

from __future__ import annotations

import os
import stat

import pytest

from animetui.config import Settings, atomic_write_bytes
from animetui.errors import ConfigError


def test_defaults_when_no_file(settings):
    assert settings["providers.animetrace.base_url"] == "https://api.animetrace.com"
    assert settings["providers.animeapi.allow_nsfw"] is False
    assert settings.source("providers.animeapi.api_key") == "default"
    assert not settings.path.exists()


def test_file_values_and_unknown_keys_kept(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[providers.ailab]\nstyle = 4\n[mine]\nkeep = "me"\n')
    s = Settings.load(path)
    assert s["providers.ailab.style"] == 4 and s.source("providers.ailab.style") == "file"
    s.set("providers.ailab.poll_interval", "7.5")
    s.save()
    again = Settings.load(path)
    assert again["providers.ailab.poll_interval"] == 7.5
    assert again.document["mine"] == {"keep": "me"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600


def test_env_overrides_secret(tmp_path, monkeypatch):
    path = tmp_path / "c.toml"
    path.write_text('[providers.animeapi]\napi_key = "ank_fromfile1234567"\n')
    monkeypatch.setenv("ANIMETUI_ANIMEAPI_KEY", "ank_fromenv99999999")
    s = Settings.load(path)
    assert s["providers.animeapi.api_key"] == "ank_fromenv99999999"
    assert s.source("providers.animeapi.api_key") == "env"
    shown = s.display_value("providers.animeapi.api_key")
    assert "fromenv" not in shown and shown.startswith("ank_…")


def test_config_env_var_and_override_path(tmp_path, monkeypatch):
    a = tmp_path / "a.toml"
    a.write_text('[general]\nbell = true\n')
    monkeypatch.setenv("ANIMETUI_CONFIG", str(a))
    assert Settings.load()["general.bell"] is True
    b = tmp_path / "b.toml"
    b.write_text('[general]\nbell = false\n')
    assert Settings.load(b)["general.bell"] is False


def test_broken_toml_names_file_and_line_and_is_not_overwritten(tmp_path):
    path = tmp_path / "c.toml"
    broken = '[providers.animeapi]\napi_key = "unterminated\n'
    path.write_text(broken)
    with pytest.raises(ConfigError) as info:
        Settings.load(path)
    message = str(info.value)
    assert str(path) in message and "line 2" in message
    assert path.read_text() == broken


@pytest.mark.parametrize(
    ("key", "value", "fragment"),
    [
        ("providers.ailab.style", "9", "at most 8"),
        ("providers.ailab.style", "two", "must be a int"),
        ("general.renderer", "ascii", "one of"),
        ("general.bell", "maybe", "must be a bool"),
        ("providers.animetrace.base_url", "ftp://x", "http://"),
        ("providers.nope.key", "1", "unknown setting"),
    ],
)
def test_invalid_values_rejected(settings, key, value, fragment):
    with pytest.raises(ConfigError) as info:
        settings.set(key, value)
    assert fragment in str(info.value)


def test_wrong_type_in_file_is_a_clear_error(tmp_path):
    path = tmp_path / "c.toml"
    path.write_text('[providers.ailab]\nstyle = "x"\n')
    with pytest.raises(ConfigError, match="providers.ailab.style"):
        Settings.load(path)


def test_atomic_write_leaves_old_file_on_failure(tmp_path, monkeypatch):
    path = tmp_path / "f.bin"
    atomic_write_bytes(path, b"old")

    def boom(*_a, **_k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", boom)
    with pytest.raises(OSError):
        atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f.bin"]


def test_demo_data_dir_is_separate(tmp_path):
    real = Settings.defaults()
    demo = Settings.defaults(demo=True)
    assert demo.data_dir != real.data_dir and demo.data_dir.parent == real.data_dir
    assert demo.downloads_dir.is_relative_to(demo.data_dir)
