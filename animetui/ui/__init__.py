"""The full-screen Textual app (``animetui`` with no subcommand).

Nothing is imported here on purpose: ``animetui.ui.app`` pulls in Textual, and the CLI's
subcommands must not pay for that. The entry point is :func:`animetui.ui.app.run_tui`; tests use
:func:`animetui.ui.app.make_app`.
"""
