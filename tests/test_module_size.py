"""No module in ``animetui/`` over 600 lines (issue 11): a reader finds one idea per module."""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "animetui"
LIMIT = 600


def _lines(path: Path) -> int:
    with path.open(encoding="utf-8") as handle:
        return sum(1 for _ in handle)


def test_no_module_is_over_the_limit():
    over = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if (count := _lines(path)) > LIMIT:
            over[name] = count
    assert over == {}, f"modules over {LIMIT} lines (split them along a seam): {over}"


def test_the_app_is_thin():
    """ui/app.py keeps the theme, the services' lifecycle and quitting (issue 11: ≤ 300 lines)."""
    assert _lines(PACKAGE / "ui" / "app.py") <= 300
