"""Unit tests for the TUI's non-visual parts: the picture pipeline, the probe guard, start-up cost,
formatting, the key table, and the demo pictures."""

from __future__ import annotations

import subprocess
import sys
import termios
from pathlib import Path

import pytest

from animetui.ui import imaging, terminal_images
from animetui.ui.format import ago, credits_text, display_path, elapsed, mmss, percent, span


# --------------------------------------------------------------------------- textual-image probe
def test_image_probe_seed_is_in_effect():
    """The root conftest seeds textual-image's probe (a private attribute: textual-image is pinned)."""
    from textual_image._terminal import CellSize, probe_terminal

    result = probe_terminal()
    assert result.cell_size == CellSize(10, 20)
    assert not result.sixel and not result.tgp


@pytest.mark.parametrize("error", [ZeroDivisionError("division by zero"), termios.error(25, "Inappropriate ioctl"), OSError(5, "EIO")])
def test_a_failing_probe_falls_back_to_halfcell_with_a_note(monkeypatch, error):
    from textual_image._terminal import probe_terminal

    seeded = probe_terminal._result
    monkeypatch.delattr(probe_terminal, "_result")

    def broken() -> None:
        raise error

    try:
        note = terminal_images.probe_before_start("auto", probe=broken)
        assert note is not None and type(error).__name__ in note and "--renderer" in note
        assert "half-cell" in note
        assert probe_terminal._result.sixel is False and probe_terminal._result.tgp is False
        assert probe_terminal._result.cell_size == (10, 20)
    finally:
        probe_terminal._result = seeded


def test_probe_is_not_repeated_once_cached():
    calls = []
    assert terminal_images.probe_before_start("auto", probe=lambda: calls.append(1)) is None
    assert calls == []


def test_renderer_resolution():
    assert terminal_images.resolve("halfcell") == "halfcell"
    assert terminal_images.resolve("none") == "none"
    assert terminal_images.resolve("bogus") in terminal_images.RENDERERS
    # no TTY under pytest: textual-image itself would pick its Unicode renderer
    assert terminal_images.resolve("auto") == "unicode"
    from textual_image.widget import HalfcellImage, SixelImage, TGPImage

    assert terminal_images.widget_class("halfcell") is HalfcellImage
    assert terminal_images.widget_class("sixel") is SixelImage
    assert terminal_images.widget_class("kitty") is TGPImage
    assert terminal_images.widget_class("none") is None


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


# --------------------------------------------------------------------------- picture pipeline
def _png(width: int, height: int, colour=(20, 20, 20)) -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(buffer, "PNG")
    return buffer.getvalue()


def test_halfcell_render_puts_the_box_colour_in_the_right_cells():
    picture = imaging.decode(_png(800, 400), "flat.png")
    cols, rows = imaging.fit_cells(800, 400, 40, 40, (10, 20))
    assert (cols, rows) == (40, 10)
    size = imaging.target_pixels("halfcell", cols, rows, (10, 20))
    assert size == (40, 20)
    box = imaging.Box((0.25, 0.25, 0.75, 0.75), 1)
    image = imaging.render(picture, size, boxes=[box], highlight=None)
    colour = imaging.box_colour(1)
    # the outline is on the box's edges, the inside and outside keep the picture
    assert image.getpixel((9, 4)) == colour  # top-left corner: int(0.25 * 39), int(0.25 * 19)
    assert image.getpixel((29, 14)) == colour  # bottom-right corner: round(0.75 * 39), round(0.75 * 19)
    assert image.getpixel((20, 10)) == (20, 20, 20)
    assert image.getpixel((2, 2)) == (20, 20, 20)


def test_highlighted_box_stands_out_and_weak_boxes_are_dashed():
    picture = imaging.decode(_png(400, 400), "flat.png")
    boxes = [imaging.Box((0.1, 0.1, 0.4, 0.4), 1), imaging.Box((0.6, 0.6, 0.9, 0.9), 2, weak=True)]
    image = imaging.render(picture, (200, 200), boxes=boxes, highlight=2, fine=True)
    # box 1 is dimmed (not highlighted)
    dim = tuple(int(c * 0.55) for c in imaging.box_colour(1))
    assert image.getpixel((19, 40)) == dim
    # box 2 (weak) is dashed: some edge pixels carry the colour, some do not
    edge = [image.getpixel((x, 119)) for x in range(125, 175)]
    assert imaging.box_colour(2) in edge and (20, 20, 20) in edge


def test_decode_refuses_garbage_and_bombs(monkeypatch):
    from animetui.errors import BadInput, Unsupported

    with pytest.raises(BadInput, match="not an image"):
        imaging.decode(b"not an image", "x.png")
    monkeypatch.setattr(imaging, "MAX_PIXELS", 100)
    with pytest.raises(Unsupported, match="megapixel|bomb"):
        imaging.decode(_png(20, 20), "big.png")


def test_decode_keeps_pictures_small_and_takes_the_first_frame():
    import io

    from PIL import Image

    frames = [Image.new("RGB", (3000, 1000), c) for c in ((255, 0, 0), (0, 0, 255))]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    picture = imaging.decode(buffer.getvalue(), "anim.gif")
    assert max(picture.image.size) == imaging.MAX_KEEP_SIDE
    assert picture.frames == 2 and "2 frames" in picture.description
    assert picture.image.getpixel((10, 10))[0] > 200  # red: the first frame


def test_crop_zooms_into_a_box():
    picture = imaging.decode(_png(1000, 500), "flat.png")
    zoomed = imaging.crop(picture, (0.5, 0.5, 0.7, 0.9), pad=0)
    assert zoomed.image.size == (200, 200)


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
