"""The README's key table is generated from the bindings table (as help is) and is up to date."""

from __future__ import annotations

from animetui.ui import bindings as table
from animetui.ui import keydoc


def test_readme_key_table_matches_the_bindings_table():
    text = keydoc.README.read_text(encoding="utf-8")
    assert keydoc.render(text) == text, "README.md's key table is out of date: run python -m animetui.ui.keydoc"
    assert keydoc.main(["--check"]) == 0


def test_the_table_has_every_action_open_with_and_the_vim_preset():
    generated = keydoc.table()
    for action in table.ACTIONS:
        assert f"`{action.id}`" in generated
    assert "| `w` |  | `open-with` |" in generated
    assert "| `Enter` |  | `open-job` |" in generated
    assert "| — | `j` | `nav-down` |" in generated
    assert "| `h` | `H` | `history` |" in generated


def test_help_lists_the_same_actions_with_the_keys_in_effect():
    from animetui.ui.screens.help import help_text

    try:
        table.set_overrides({"open-with": "ctrl+w"})
        grid = help_text()
        keys = [str(k) for k in grid.columns[0]._cells]
        helps = [str(h) for h in grid.columns[1]._cells]
        assert keys[helps.index(table.ACTIONS_BY_ID["open-with"].help)] == "Ctrl+W"
        for action in table.ACTIONS:
            assert action.help in helps or not action.keys
    finally:
        table.set_overrides({})
