"""File names that are not UTF-8 (bytes Python decodes with surrogateescape) work everywhere.

Before: ``scene``, ``characters`` and ``cartoonize`` ended with ``unexpected error
(UnicodeEncodeError) … surrogates not allowed. Please report this.``, a whole ``batch`` was
aborted, and the log handler printed "--- Logging error ---" with a traceback on the terminal.
Each command runs in a child with a strict UTF-8 stdout (as in an en_US.UTF-8 terminal), in demo mode.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from .data_helpers import assert_one_clear_line, cli, make_image, text

NAME = b"sh\xffot\xfe.png"  # not UTF-8: \xff and \xfe never appear in UTF-8 text
SHOWN = "sh\\xffot\\xfe.png"  # how animetui shows it


@pytest.fixture
def folder(tmp_path) -> Path:
    folder = tmp_path / "pics"
    folder.mkdir()
    make_image(os.fsencode(folder) + b"/" + NAME, color="red")
    make_image(folder / "plain.png", color="blue")
    return folder


def _path(folder: Path) -> bytes:
    return os.fsencode(folder) + b"/" + NAME


def _clean(result) -> None:  # noqa: ANN001
    both = text(result.stdout) + text(result.stderr)
    assert "Traceback" not in both and "Please report this" not in both and "Logging error" not in both, both
    assert "surrogates" not in both, both


@pytest.mark.parametrize("command", [["scene"], ["characters"]])
def test_a_lookup_of_a_non_utf8_name_works_and_is_shown_escaped(folder, command):
    result = cli("--demo", *command, _path(folder))
    _clean(result)
    assert result.returncode == 0, text(result.stderr)
    again = cli("--demo", *command, _path(folder))  # the history kept it: answered from the cache
    assert again.returncode == 0 and "from history" in text(again.stdout), text(again.stdout) + text(again.stderr)
    listing = cli("--demo", "history")
    _clean(listing)
    assert SHOWN in text(listing.stdout), text(listing.stdout)
    exported = json.loads(cli("--demo", "history", "--export", "json").stdout)
    assert os.fsencode(exported[0]["source"]).endswith(NAME), "the JSON keeps the exact name (\\udcNN escapes)"


def test_cartoonize_of_a_non_utf8_name_sends_a_safe_name_and_saves_the_job(folder):
    result = cli("--demo", "cartoonize", "--style", "1", "--wait", _path(folder))
    _clean(result)
    assert result.returncode == 0, text(result.stdout) + text(result.stderr)
    jobs = json.loads(cli("--demo", "jobs", "list", "--json").stdout)["jobs"]
    assert len(jobs) == 1 and jobs[0]["state"] == "succeeded", jobs
    assert os.fsencode(jobs[0]["params"]["source"]) == _path(folder), "the journal keeps the exact name"
    assert Path(jobs[0]["result_path"]).is_file()
    listing = cli("--demo", "jobs", "list")
    _clean(listing)
    assert listing.returncode == 0 and "succeeded" in text(listing.stdout)


def test_a_batch_with_a_non_utf8_name_does_every_file(folder):
    result = cli("--demo", "batch", "--scene", "--json", folder)
    _clean(result)
    assert result.returncode == 0, text(result.stderr)
    items = json.loads(result.stdout)["items"]
    assert len(items) == 2 and all(item["status"] in ("done", "cached") for item in items), items
    names = sorted(os.fsencode(Path(item["path"]).name) for item in items)
    assert names == sorted([NAME, b"plain.png"]), "the exact name comes back from the batch journal"
    table = cli("--demo", "batch", "--scene", folder)
    _clean(table)
    assert SHOWN in text(table.stdout), text(table.stdout)


def test_an_error_about_a_non_utf8_name_is_one_line_and_the_log_takes_it(tmp_path):
    missing = os.fsencode(tmp_path) + b"/gone\xff.png"
    result = cli("--demo", "scene", missing)
    assert result.returncode != 0
    line = assert_one_clear_line(result, "gone\\xff.png", "no such file")
    assert "\\udc" not in line, "shown as the byte it is, not as a Python surrogate"
    log = (Path(os.environ["ANIMETUI_DATA_DIR"]) / "demo" / "animetui.log").read_text("utf-8")
    assert "gone\\xff.png" in log and "scene failed" in log
