"""Bad files and bad values get one clear line that says which file and what to do.

Before: a damaged ``history.sqlite3`` gave ``unexpected error (DatabaseError) … Please report this``
on every lookup; a full disk on the job journal advised "move it aside and animetui will start a
new one" (which would hide paid jobs in flight); a read-only data dir gave ``unable to open
database file`` plus a duplicated line; config values that pass the schema failed later
(``nan``, a port out of range → ExceptionGroup, ``http://[::1``, a 5000-deep array →
RecursionError); a FIFO as an image or as ``--config`` blocked for ever; Pillow's
DecompressionBombWarning was printed as three raw lines.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
from pathlib import Path

import pytest

from .data_helpers import assert_one_clear_line, cli, make_image, text, unshare_prefix


def _data() -> Path:
    return Path(os.environ["ANIMETUI_DATA_DIR"])


@pytest.fixture
def image(tmp_path) -> Path:
    path = tmp_path / "shot.png"
    make_image(path)
    return path


# --------------------------------------------------------------------------- damaged history
def test_a_damaged_history_names_the_file_offers_a_reset_and_keeps_jobs(image):
    first = cli("--demo", "generate", "a cat on a roof", "--wait")
    assert first.returncode == 0, text(first.stderr)
    history = _data() / "demo" / "history.sqlite3"
    history.parent.mkdir(parents=True, exist_ok=True)
    history.write_bytes(b"\x00garbage, not SQLite " * 500)

    for command in (["scene", image], ["characters", image], ["history"]):
        result = cli("--demo", *command)
        assert result.returncode == 2
        assert_one_clear_line(result, str(history), "damaged", "animetui history --reset --demo", "jobs")

    jobs = json.loads(cli("--demo", "jobs", "list", "--json").stdout)["jobs"]
    assert [job["state"] for job in jobs] == ["succeeded"], "the job journal is untouched"

    reset = cli("--demo", "history", "--reset")
    assert reset.returncode == 0, text(reset.stderr)
    moved = [p for p in history.parent.iterdir() if p.name.startswith("history.sqlite3.broken-")]
    assert len(moved) == 1 and moved[0].read_bytes().startswith(b"\x00garbage"), "renamed, not deleted"
    again = cli("--demo", "scene", image)
    assert again.returncode == 0, text(again.stderr)


async def test_the_tui_says_the_history_is_damaged_and_keeps_jobs_running(tmp_path):
    from animetui.config import Settings
    from animetui.ui.app import make_app

    history = _data() / "demo" / "history.sqlite3"
    history.parent.mkdir(parents=True, exist_ok=True)
    history.write_bytes(b"not a database at all" * 100)
    settings = Settings.load(demo=True)
    app = make_app(settings, demo=True, start_path=tmp_path, renderer="halfcell")
    async with app.run_test(size=(120, 40)) as pilot:
        services = await app.services()  # started: jobs and the rest work
        await pilot.pause()
        notes = [str(n.message) for n in app._notifications]
        assert any(str(history) in n and "history --reset --demo" in n for n in notes), notes
        assert services.runner.list() == []
        from animetui.errors import AnimetuiError
        from animetui.models import ImageSource

        make_image(tmp_path / "x.png")
        with pytest.raises(AnimetuiError, match="damaged"):
            await services.lookups.scene(ImageSource(path=tmp_path / "x.png"))


# --------------------------------------------------------------------------- job journal
def test_a_damaged_job_journal_is_never_to_be_moved_aside():
    journal = _data() / "demo" / "jobs.sqlite3"
    journal.parent.mkdir(parents=True, exist_ok=True)
    journal.write_bytes(b"not a database at all" * 100)
    result = cli("--demo", "jobs", "list")
    line = assert_one_clear_line(result, str(journal), "damaged", "paid jobs")
    assert "move it aside" not in line and "start a new one" not in line


def test_a_full_disk_says_the_disk_is_full_not_move_it_aside(tmp_path, image):
    prefix = unshare_prefix("--user", "--map-root-user", "--mount")
    if prefix is None:
        pytest.skip("needs user namespaces (unshare) to mount a tiny tmpfs")
    mount = tmp_path / "small"
    mount.mkdir()
    data = mount / "data"
    script = (
        f"mount -t tmpfs -o size=256k tmpfs {mount} && "
        f"{_child_cmd('--demo', 'jobs', 'list')} >/dev/null && "  # the journal exists
        f"(dd if=/dev/zero of={mount}/fill bs=4k 2>/dev/null; true) && "
        f"{_child_cmd('--demo', 'cartoonize', '--style', '1', str(image))}"
    )
    env = dict(os.environ, ANIMETUI_DATA_DIR=str(data), PYTHONIOENCODING="utf-8:strict")
    result = subprocess.run([*prefix, "sh", "-c", script], capture_output=True, env=env, timeout=120, check=False)
    assert result.returncode == 2, text(result.stdout) + text(result.stderr)
    line = assert_one_clear_line(result, "disk is full", "free some space")
    assert "move it aside" not in line and "start a new one" not in line


def _child_cmd(*args: str) -> str:
    import shlex
    import sys

    return " ".join(shlex.quote(a) for a in (sys.executable, "-m", "animetui", *args))


# --------------------------------------------------------------------------- read-only data dir
def test_a_read_only_data_dir_is_one_line_naming_it(image):
    folder = _data() / "demo"
    folder.mkdir(parents=True)
    folder.chmod(0o555)
    prefix: tuple[str, ...] = ()
    if os.geteuid() == 0:  # root writes anywhere; in a user namespace it is just the owner
        found = unshare_prefix("--user")
        if found is None:
            pytest.skip("running as root without user namespaces: cannot make a folder read-only")
        prefix = found
    try:
        for command in (["scene", image], ["cartoonize", "--style", "1", image], ["jobs", "list"], ["history"]):
            result = cli("--demo", *command, prefix=prefix)
            assert result.returncode == 2, text(result.stderr)
            assert_one_clear_line(result, str(folder), "not writable", "ANIMETUI_DATA_DIR")
    finally:
        folder.chmod(0o755)


# --------------------------------------------------------------------------- non-regular files
def test_a_fifo_as_image_or_config_is_refused_at_once(tmp_path):
    fifo = tmp_path / "pipe.png"
    os.mkfifo(fifo)
    for command in (["--demo", "scene", fifo], ["--demo", "characters", fifo], ["--demo", "cartoonize", "--style", "1", fifo]):
        result = cli(*command, timeout=60)  # before: blocked for ever (the timeout would fire)
        assert result.returncode in (3, 5), text(result.stdout) + text(result.stderr)
        both = text(result.stdout) + text(result.stderr)
        assert "not a regular file" in both and "Traceback" not in both, both
    config_fifo = tmp_path / "config.fifo"
    os.mkfifo(config_fifo)
    result = cli("--config", config_fifo, "config", "show", timeout=60)
    assert result.returncode == 2
    assert_one_clear_line(result, str(config_fifo), "not a regular file (a FIFO)")


# --------------------------------------------------------------------------- config values
@pytest.mark.parametrize(
    ("line", "fragment"),
    [
        ("timeout = nan", "providers.animetrace.timeout must be a number, got nan"),
        ("timeout = inf", "providers.animetrace.timeout must be a number, got inf"),
        ('base_url = "http://127.0.0.1:99999"', "providers.animetrace.base_url is not a valid URL"),
        ('base_url = "http://[::1"', "providers.animetrace.base_url is not a valid URL"),
        ('base_url = "http://"', "providers.animetrace.base_url has no host name"),
        ('base_url = "http://exa mple.com"', "providers.animetrace.base_url must not contain spaces"),
    ],
)
def test_config_values_that_would_fail_later_are_refused_with_key_and_line(image, line, fragment):
    config = Path(os.environ["ANIMETUI_CONFIG"])
    config.parent.mkdir(parents=True)
    config.write_text(f"# mine\n[providers.animetrace]\n{line}\n")
    result = cli("--demo", "characters", image)
    assert result.returncode == 2
    assert_one_clear_line(result, f"{config}, line 3: {fragment}")


def test_a_config_nested_thousands_deep_is_refused(image):
    config = Path(os.environ["ANIMETUI_CONFIG"])
    config.parent.mkdir(parents=True)
    config.write_text("deep = " + "[" * 5000 + "]" * 5000 + "\n")
    result = cli("--demo", "scene", image)
    assert result.returncode == 2
    assert_one_clear_line(result, str(config), "nested too deeply")


# --------------------------------------------------------------------------- decompression bomb
def test_a_decompression_bomb_is_one_clear_line(tmp_path):
    from PIL import Image

    bomb = tmp_path / "bomb.png"
    Image.new("1", (11_000, 11_001)).save(bomb)  # 121 Mpx: over the limit, under Pillow's hard stop
    for command in (["scene", bomb], ["characters", bomb]):
        result = cli("--demo", *command)
        assert result.returncode == 3
        assert_one_clear_line(result, "bomb.png: refused", "megapixel safety limit")
