"""Widgets the panes are built from (one widget per module)."""
