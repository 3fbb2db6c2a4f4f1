"""Unit tests for the TUI's non-visual parts: start-up cost, formatting, the key table, the pane grid
and the demo pictures (the picture pipeline: tests/pictures/; the probe guard: tests/ui/pictures/)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from animetui.ui.format import ago, credits_text, display_path, elapsed, mmss, percent, span


# --------------------------------------------------------------------------- start-up cost
def test_the_app_module_imports_no_provider_pillow_or_httpx():
    """The first frame needs Textual and the panes only; the rest is imported after it."""
    code = (
        "import sys; import animetui.ui.app; "
        "bad = [m for m in ('httpx', 'PIL', 'PIL.Image', 'textual_image.widget', 'animetui.net', "
        "'animetui.providers.base', 'animetui.jobs', 'animetui.simulator', 'sqlite3') if m in sys.modules]; "
        # the provider specs are plain data the settings schema has already read: allowed
        "bad += [m for m in sys.modules if m.startswith('animetui.providers.') and m.split('.')[2] not in ('spec', 'specs')]; "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_styles_are_found():
    from animetui.ui.app import AnimeTUI, styles_dir

    assert (styles_dir() / "app.tcss").is_file()
    assert Path(AnimeTUI.CSS_PATH[0]).is_file()


# --------------------------------------------------------------------------- formatting
def test_formatters():
    assert mmss(65) == "01:05" and mmss(3725) == "1:02:05" and mmss(None) == "--:--"
    assert span(10, 12.5) == "00:10–00:12" and span(5, 5) == "00:05"
    assert percent(0.8912) == "89.1%" and percent(None) == "—"
    assert elapsed(4.2) == "4s" and elapsed(125) == "2m05s" and elapsed(3720) == "1h02m"
    assert ago("2026-01-01T00:00:00Z", 1_767_225_900.0) == "5m ago"
    assert ago("yesterday-ish", 0) == "yesterday-ish"
    assert display_path(Path.home() / "Pictures" / "a.png") == "~/Pictures/a.png"
    assert display_path("/etc/x") == "/etc/x"
    from animetui.models import Credits

    assert credits_text(Credits("animeapi", 4.2, "usd")) == "$4.20"
    assert credits_text(Credits("whatanime", 3, "searches", total=5)) == "3/5 searches"
    assert credits_text(Credits("ailab", None)) == "?"


# --------------------------------------------------------------------------- key table
def test_every_action_has_a_key_and_a_palette_entry():
    from animetui.ui.bindings import ACTIONS, bindings

    ids = [a.id for a in ACTIONS]
    assert len(ids) == len(set(ids))
    for action in ACTIONS:
        if action.id.startswith("nav-"):  # no default key: the vim keymap preset binds the moves
            assert not action.keys and not action.palette
            continue
        assert action.keys.strip()
        if action.scope != "modal":
            assert action.palette
            assert any(b.action == action.action for b in bindings(action.scope))
    # keys do not clash inside one scope or with the global keys
    global_keys = {k for a in ACTIONS if a.scope == "app" for k in a.keys.split(",")}
    for scope in ("files", "results", "rankings", "jobs"):
        keys = [k for a in ACTIONS if a.scope == scope for k in a.keys.split(",")]
        assert len(keys) == len(set(keys)), scope
        assert not set(keys) & global_keys, scope


def test_palette_titles_are_distinct_short_verbs_with_the_long_text_as_help():
    from animetui.ui.bindings import ACTIONS
    from animetui.ui.commands import NAMES, help_line, name

    palette = [a for a in ACTIONS if a.palette]
    titles = {name(a) for a in palette}
    assert len(titles) == len(palette)
    assert all(a.id in NAMES for a in palette), "every palette entry has a short name"
    assert all(len(name(a)) <= 32 for a in palette)
    scene = next(a for a in palette if a.id == "scene-search")
    assert name(scene) == "Scene search" and help_line(scene) == f"{scene.help} · key: s"
    assert name(next(a for a in palette if a.id == "recognize")) == "Recognise characters"


# --------------------------------------------------------------------------- demo pictures
def test_demo_pictures(tmp_path):
    from animetui.simulator.animetrace import analyse
    from animetui.ui.samples import SAMPLES, write_demo_samples

    paths = write_demo_samples(tmp_path / "samples")
    assert len(paths) == 8
    suffixes = {p.suffix for p in paths}
    assert {".png", ".jpg", ".webp", ".bmp", ".gif"} <= suffixes
    for path, sample in zip(paths, SAMPLES):
        found = analyse(path.read_bytes()).boxes
        assert len(found) == sample.characters, path.name
    assert any(s.characters == 0 for s in SAMPLES)
    stamp = paths[0].stat().st_mtime_ns
    write_demo_samples(tmp_path / "samples")
    assert paths[0].stat().st_mtime_ns == stamp, "a second call writes nothing"


# --------------------------------------------------------------------------- layout
@pytest.mark.parametrize(
    ("width", "hidden", "expected"),
    [
        # narrow: Files | Results over Rankings | Jobs
        (80, set(), ((2, 2), "2fr 3fr", "3fr 2fr", {"files": (1, 1), "results": (1, 1), "rankings": (1, 1), "jobs": (1, 1)})),
        # narrow, Files hidden: Results spans the top row
        (80, {"files"}, ((2, 2), "2fr 3fr", "3fr 2fr", {"results": (1, 2), "rankings": (1, 1), "jobs": (1, 1)})),
        # narrow, Rankings and Jobs hidden: one row
        (80, {"rankings", "jobs"}, ((2, 1), "2fr 3fr", "1fr", {"files": (1, 1), "results": (1, 1)})),
        # wide: Files, Results, then Rankings over Jobs
        (160, set(), ((3, 2), "2fr 3fr 2fr", "1fr 1fr", {"files": (2, 1), "results": (2, 1), "rankings": (1, 1), "jobs": (1, 1)})),
        # wide, Jobs hidden: Rankings alone in the third column
        (160, {"jobs"}, ((3, 1), "2fr 3fr 2fr", "1fr", {"files": (1, 1), "results": (1, 1), "rankings": (1, 1)})),
    ],
)
def test_pane_grid_layout(width, hidden, expected):
    from textual.widgets import Static

    from animetui.ui.panes.grid import PaneGrid
    from animetui.ui.panes.registry import NAMES as PANES

    panes = {name: Static(id=name) for name in PANES}
    grid = PaneGrid(*panes.values(), id="panes")
    grid.hidden = set(hidden)
    grid.relayout(width, panes=panes)
    size, columns, rows, spans = expected
    assert grid.current_layout[0] == size
    assert grid.current_layout[1] == columns and grid.current_layout[2] == rows
    assert dict(grid.current_layout[3]) == spans
    for name, pane in panes.items():
        assert pane.display == (name not in hidden)


@pytest.mark.parametrize("width, hidden", [(160, set()), (80, set()), (160, {"files"}), (80, {"jobs"})])
def test_a_pane_placed_before_mounting_gets_what_relayout_gives_it(width, hidden):
    """Start-up mounts each real pane in its placeholder's place (PaneGrid.place), without a relayout."""
    from textual.widgets import Static

    from animetui.ui.panes.grid import PaneGrid
    from animetui.ui.panes.registry import NAMES as PANES

    laid_out = {name: Static(id=name) for name in PANES}
    grid = PaneGrid(*laid_out.values(), id="panes")
    grid.hidden = set(hidden)
    grid.relayout(width, panes=laid_out)
    for name in PANES:
        placed = Static(id=name)
        grid.place(placed, width)
        expected = laid_out[name]
        assert placed.display == expected.display
        assert (placed.styles.row_span, placed.styles.column_span) == (expected.styles.row_span, expected.styles.column_span)


def test_the_grid_lays_out_whatever_the_registry_declares():
    """A fifth pane (a side pane, as a Library pane would be) needs no change to the grid."""
    from dataclasses import replace

    from animetui.ui.panes.grid import layout_for
    from animetui.ui.panes.registry import PANES

    extra = replace(PANES[-1], name="library", key="5", title="Library")
    specs = (*PANES, extra)
    size, columns, rows, spans = layout_for(160, set(), specs)
    assert size == (3, 3) and columns == "2fr 3fr 2fr" and rows == "1fr 1fr 1fr"
    assert spans["files"] == spans["results"] == (3, 1) and spans["library"] == (1, 1)
    size, columns, rows, spans = layout_for(80, set(), specs)
    assert size == (3, 2) and columns == "2fr 3fr 1fr" and rows == "3fr 2fr"
    assert spans["files"] == (1, 1) and spans["results"] == (1, 2) and spans["library"] == (1, 1)
    assert layout_for(80, {"rankings", "jobs", "library"}, specs) == layout_for(80, {"rankings", "jobs"})


def test_pane_grid_keeps_one_pane():
    from textual.widgets import Static

    from animetui.ui.panes.grid import PaneGrid
    from animetui.ui.panes.registry import NAMES as PANES

    grid = PaneGrid(*(Static(id=name) for name in PANES), id="panes")
    grid.relayout = lambda *a, **k: None  # not mounted: only the bookkeeping is under test
    for name in PANES:
        grid.toggle(name)
    assert len(grid.hidden) == len(PANES) - 1


def test_batch_screen_shows_paths_relative_to_the_batch_folder(tmp_path):
    from types import SimpleNamespace

    from animetui.ui.screens.batch import BatchScreen

    root = tmp_path / "shots"
    paths = [root / "classroom.png", root / "sub" / "classroom.png"]
    screen = BatchScreen(SimpleNamespace(paths=paths, root="", items={}), downloads_dir=tmp_path)
    assert [screen._shown_path(str(p)) for p in paths] == ["classroom.png", "sub/classroom.png"]
    one = BatchScreen(SimpleNamespace(paths=[paths[1]], root="", items={}), downloads_dir=tmp_path)
    assert one._shown_path(str(paths[1])) == "classroom.png"
    rooted = BatchScreen(SimpleNamespace(paths=[], root=str(tmp_path), items={}), downloads_dir=tmp_path)
    assert rooted._shown_path(str(paths[1])) == "shots/sub/classroom.png"
