"""Keep a redacted copy of an answer that did not look as we expected, so the parser can be fixed.

Why: whatanimeisthis's response bodies (search, credits, rankings, recent, keys) are undocumented
and modelled on trace.moe. The parsers are tolerant, but when an answer still does not fit, the
one thing that lets us fix it is the answer itself. :func:`save` writes it to
``<data dir>/unexpected/`` (0600, written atomically) with every secret removed: values under
keys that name a secret (key, token, cookie, session, password, secret, authorization, email),
anything :func:`animetui.redact.redact` knows, e-mail addresses and long opaque tokens. The user
is told one line: where the copy is, and that attaching it to a bug report lets the parser be
fixed. ``animetui doctor`` lists the saved copies.

Nothing here imports Textual or httpx.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from animetui.redact import redact

DIR_NAME = "unexpected"
MAX_KEEP = 50  # oldest copies beyond this are removed
MAX_TEXT = 2000  # characters kept of one string value
MAX_ITEMS = 50  # items kept of one list
_SECRET_KEY = re.compile(r"(?i)(key|token|cookie|session|passw|secret|authori[sz]ation|e-?mail|signature)")
_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
_OPAQUE = re.compile(r"\b[A-Za-z0-9_\-+/=%.]{32,}\b")
REDACTED = "[redacted]"


def scrub(value: Any, *, depth: int = 0) -> Any:
    """``value`` (parsed JSON, or text) with every secret-looking part replaced."""
    if depth > 20:
        return "[too deep]"
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for key, item in list(value.items())[:MAX_ITEMS * 4]:
            name = str(key)
            out[name] = REDACTED if _SECRET_KEY.search(name) and item not in (None, "", [], {}) else scrub(item, depth=depth + 1)
        return out
    if isinstance(value, list):
        items = [scrub(item, depth=depth + 1) for item in value[:MAX_ITEMS]]
        if len(value) > MAX_ITEMS:
            items.append(f"[{len(value) - MAX_ITEMS} more items left out]")
        return items
    if isinstance(value, str):
        text = redact(value[:MAX_TEXT])
        text = _EMAIL.sub("[email]", text)
        # keep URLs readable (the shape matters), hide long opaque tokens anywhere else
        if not text.lower().startswith(("http://", "https://")):
            text = _OPAQUE.sub("[token]", text)
        return text
    return value


@dataclass(frozen=True, slots=True)
class Saved:
    path: Path
    provider: str
    what: str
    saved_at: float


def save(
    data_dir: Path | None,
    *,
    provider: str,
    what: str,
    body: object,
    status: int | None = None,
    content_type: str = "",
    problem: str = "",
) -> Path | None:
    """Write a redacted copy; returns its path (None when there is no data dir or it failed)."""
    if data_dir is None:
        return None
    folder = Path(data_dir) / DIR_NAME
    if isinstance(body, (bytes, bytearray)):
        body = bytes(body[: MAX_TEXT * 4]).decode("utf-8", "replace")
    document = {
        "provider": provider,
        "what": what,
        "problem": scrub(problem),
        "http_status": status,
        "content_type": scrub(content_type),
        "saved_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "body": scrub(body),
    }
    slug = re.sub(r"[^a-z0-9]+", "-", what.lower()).strip("-")[:30] or "answer"
    name = f"{provider}-{slug}-{time.strftime('%Y%m%d-%H%M%S', time.gmtime())}-{os.getpid()}.json"
    try:
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".", suffix=".part", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as handle:
                json.dump(document, handle, ensure_ascii=False, indent=1)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp, 0o600)
            target = folder / name
            os.replace(tmp, target)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    except OSError:
        return None
    _prune(folder)
    return target


def notice(path: Path | None) -> str:
    """The one line for the user."""
    if path is None:
        return ""
    return f" — a copy with secrets removed is in {path}; attaching it to a bug report lets the parser be fixed"


def list_saved(data_dir: Path | None) -> list[Saved]:
    """Saved copies, newest first."""
    if data_dir is None:
        return []
    folder = Path(data_dir) / DIR_NAME
    out: list[Saved] = []
    with contextlib.suppress(OSError):
        for path in folder.glob("*.json"):
            try:
                stamp = path.stat().st_mtime
            except OSError:
                continue
            provider, _, rest = path.stem.partition("-")
            out.append(Saved(path, provider, rest.rsplit("-", 3)[0] if rest else "", stamp))
    out.sort(key=lambda s: s.saved_at, reverse=True)
    return out


def _prune(folder: Path) -> None:
    saved = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime if p.exists() else 0, reverse=True)
    for old in saved[MAX_KEEP:]:
        with contextlib.suppress(OSError):
            old.unlink()
