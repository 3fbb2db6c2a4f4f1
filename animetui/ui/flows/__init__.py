"""User flows that span panes and dialogs, kept out of ``ui/app.py`` (the app binds a key to each)."""
