"""The layers stay apart: providers/jobs/store/pictures never import Textual; the UI never imports httpx."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "animetui"


def test_core_layers_do_not_import_textual():
    code = (
        "import sys\n"
        "import animetui.cli, animetui.providers.animetrace, animetui.providers.whatanime,"
        " animetui.providers.animeapi, animetui.providers.ailab, animetui.jobs, animetui.store,"
        " animetui.history, animetui.lookups, animetui.batch, animetui.simulator.hub,"
        " animetui.pictures.sources, animetui.pictures.offload, animetui.pictures.imaging,"
        " animetui.pictures.process, animetui.pictures.previews\n"
        "bad = [m for m in sys.modules if m == 'textual' or m.startswith(('textual.', 'textual_image', 'animetui.ui'))]\n"
        "print(','.join(bad))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


def test_ui_has_no_http_details():
    offenders = []
    for path in (PACKAGE / "ui").rglob("*.py"):
        text = path.read_text()
        if re.search(r"^\s*(import httpx|from httpx)", text, re.M):
            offenders.append(path.name)
    assert offenders == []


def test_cli_start_imports_nothing_heavy():
    code = "import sys, animetui.cli\nprint(','.join(m for m in ('httpx', 'PIL', 'textual', 'rich') if m in sys.modules))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == ""


def test_picture_core_never_imports_the_ui_even_lazily():
    """animetui/pictures runs in threads and child processes: no Textual, no animetui.ui, anywhere in it."""
    offenders = []
    for path in (PACKAGE / "pictures").rglob("*.py"):
        for line in path.read_text().splitlines():
            if re.match(r"\s*(from|import)\s+(animetui\.ui|textual)\b", line):
                offenders.append(f"{path.name}: {line.strip()}")
    assert offenders == []


def test_ui_patches_install_without_importlib_metadata():
    """``textual.__version__`` imports importlib.metadata (email, zipfile, csv…): ~12 ms before the
    first frame. The Textual patches check the version from the dist-info folder's name instead."""
    code = (
        "import sys, animetui.ui.app\n"
        "from animetui.ui import partial_paint, scroll_sizes, strip_cycles\n"
        "installed = [patch.install() for patch in (strip_cycles, partial_paint, scroll_sizes)]\n"
        "print(installed[1:], 'importlib.metadata' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[True, True] False"
