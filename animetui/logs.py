"""The log file: ``<data dir>/animetui.log`` (rotated, 0600), every record redacted.

Logging is for after-the-fact diagnosis ("what did the service answer?"), never for secrets:
a filter runs :func:`animetui.redact.redact` over each formatted message and its arguments, so a
key, a cookie or a password that slipped into a log call is masked before it is written. httpx's
own loggers are kept at WARNING (at INFO they print every URL, which is fine, but at DEBUG they
would print headers).
"""

from __future__ import annotations

import logging
import logging.handlers
import os
from pathlib import Path

from animetui import locations
from animetui.fsnames import shown
from animetui.redact import redact

LOG_NAME = locations.LOG_FILE
_configured: Path | None = None


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logged as is
            message = str(record.msg)
        record.msg = redact(shown(message))  # a non-UTF-8 file name as \xNN, like on the terminal
        record.args = ()
        return True


class _QuietFileHandler(logging.handlers.RotatingFileHandler):
    """The log file handler: a record it cannot write is dropped, never printed to the terminal.

    ``logging``'s default prints "--- Logging error ---" and a traceback to stderr; in a TUI or in
    a script's output that is worse than a missing log line. Text that is not UTF-8 (a file name
    with undecodable bytes) is written with ``\\x`` escapes instead of failing.
    """

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 - logging's name
        pass


def setup_logging(data_dir: Path, *, level: int = logging.INFO) -> Path | None:
    """Send animetui's logs to the log file. Returns its path (None if it cannot be written)."""
    global _configured
    path = locations.log_file(data_dir)
    if _configured == path:
        return path
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = _QuietFileHandler(path, maxBytes=2_000_000, backupCount=2, encoding="utf-8", errors="backslashreplace")
        os.chmod(path, 0o600)
    except OSError:  # no log file: records are dropped, never printed on the terminal by logging's fallback
        root = logging.getLogger("animetui")
        if not root.handlers:
            root.addHandler(logging.NullHandler())
        return None
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactFilter())
    root = logging.getLogger("animetui")
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False
    for name in ("httpx", "httpcore"):
        logging.getLogger(name).setLevel(logging.WARNING)
    _configured = path
    return path
