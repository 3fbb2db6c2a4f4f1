"""The one place secrets are masked.

Why: API keys, session cookies and passwords must never reach a log, an error message, a
notification, a snapshot or CLI output. Every ``AnimetuiError`` message passes through
:func:`redact`, the logging filter uses it, and the config display uses :func:`mask`.

How: secrets the program knows (from the config, the environment, a sign-in) are registered with
:func:`register_secret`; anything registered is replaced wherever it appears. On top of that, a few
patterns catch secrets we were never told about (``Bearer …``, ``ank_…`` keys, ``session_token=``
cookies).

What it cannot reach: a secret the user types into a free-text field we do not know is secret, or
text printed by a third-party library straight to the terminal.

The mask has a fixed shape (``ank_…9f3c``: a known prefix, an ellipsis, the last four characters)
so the length of the secret does not leak.
"""

from __future__ import annotations

import re
import threading

_lock = threading.Lock()
_secrets: set[str] = set()

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=-]{6,}"), r"\1…"),
    (re.compile(r"\bank_[A-Za-z0-9]{6,}"), "ank_…"),
    (re.compile(r"(?i)(session_token=)[^;\s\"']+"), r"\1…"),
    (re.compile(r"(?i)(ailabapi-api-key[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+"), r"\1…"),
    (re.compile(r"(?i)(password[\"']?\s*[:=]\s*[\"']?)[^\s\"',;]+"), r"\1…"),
)

_MIN_SECRET = 4  # shorter strings would mask ordinary words


def register_secret(value: str | None) -> None:
    """Remember a secret so :func:`redact` hides it everywhere from now on."""
    if value and len(value) >= _MIN_SECRET:
        with _lock:
            _secrets.add(value)


def forget_secrets() -> None:
    """For tests."""
    with _lock:
        _secrets.clear()


def mask(secret: str | None) -> str:
    """``ank_…9f3c``: a recognisable prefix, never the length, the last four characters."""
    if not secret:
        return "(not set)"
    prefix = ""
    match = re.match(r"^([A-Za-z]{2,8}_)", secret)
    if match:
        prefix = match.group(1)
    tail = secret[-4:] if len(secret) >= 12 else ""
    return f"{prefix}…{tail}"


def redact(text: str) -> str:
    """Replace every known secret and every secret-looking token in ``text``."""
    if not text:
        return text
    with _lock:
        known = sorted(_secrets, key=len, reverse=True)
    for secret in known:
        if secret in text:
            text = text.replace(secret, mask(secret))
    for pattern, repl in _PATTERNS:
        text = pattern.sub(repl, text)
    return text
