"""The four panes: Files, Results, Rankings (+ Recent searches), Jobs.

Each pane is a maximisable container with its own keys (``animetui.ui.bindings``); it posts
messages upward (``animetui.ui.messages``) and is driven by the app through a few public methods.
"""
