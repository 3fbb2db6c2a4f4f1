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
from animetui.redact import redact

LOG_NAME = locations.LOG_FILE
_configured: Path | None = None


class RedactFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken format string is logged as is
            message = str(record.msg)
        record.msg = redact(message)
        record.args = ()
        return True


def setup_logging(data_dir: Path, *, level: int = logging.INFO) -> Path | None:
    """Send animetui's logs to the log file. Returns its path (None if it cannot be written)."""
    global _configured
    path = locations.log_file(data_dir)
    if _configured == path:
        return path
    try:
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        handler = logging.handlers.RotatingFileHandler(path, maxBytes=2_000_000, backupCount=2, encoding="utf-8")
        os.chmod(path, 0o600)
    except OSError:
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
