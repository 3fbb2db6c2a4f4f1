"""animetui: a keyboard-driven terminal app for anime image work."""

__version__ = "0.1.0"
