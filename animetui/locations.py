"""Per-user paths. Nothing else in animetui builds a user path.

* config: ``--config PATH`` > ``$ANIMETUI_CONFIG`` > ``$XDG_CONFIG_HOME/animetui/config.toml``
* data (history, job journal, session): ``$ANIMETUI_DATA_DIR`` > ``$XDG_DATA_HOME/animetui``
* cache (previews, model list): ``$ANIMETUI_DATA_DIR/cache`` > ``$XDG_CACHE_HOME/animetui``
* downloads (job results): the ``general.downloads_dir`` setting > ``<data>/downloads``
* files in the data dir: :func:`history_db` (lookups, cache, batches), :func:`jobs_db` (the job
  journal), :func:`log_file`, :func:`demo_state` (the demo simulators), :func:`samples_dir`

Demo mode keeps everything under ``<data>/demo`` so it never mixes with real history and jobs.
"""

from __future__ import annotations

import os
from pathlib import Path

APP = "animetui"


def _xdg(var: str, fallback: str) -> Path:
    value = os.environ.get(var)
    if value and os.path.isabs(value):
        return Path(value)
    return Path.home() / fallback


def config_file(override: str | os.PathLike[str] | None = None) -> Path:
    if override:
        return Path(override).expanduser()
    env = os.environ.get("ANIMETUI_CONFIG")
    if env:
        return Path(env).expanduser()
    return _xdg("XDG_CONFIG_HOME", ".config") / APP / "config.toml"


def data_dir(*, demo: bool = False) -> Path:
    env = os.environ.get("ANIMETUI_DATA_DIR")
    base = Path(env).expanduser() if env else _xdg("XDG_DATA_HOME", ".local/share") / APP
    return base / "demo" if demo else base


def cache_dir(*, demo: bool = False) -> Path:
    env = os.environ.get("ANIMETUI_DATA_DIR")
    base = Path(env).expanduser() / "cache" if env else _xdg("XDG_CACHE_HOME", ".cache") / APP
    return base / "demo" if demo else base


def ensure_dir(path: Path, mode: int = 0o700) -> Path:
    path.mkdir(parents=True, exist_ok=True, mode=mode)
    return path


# --------------------------------------------------------------------------- files in the data dir
HISTORY_DB = "history.sqlite3"  # lookups, the result cache and the batch journal
JOBS_DB = "jobs.sqlite3"  # the job journal (store.py)
LOG_FILE = "animetui.log"
DEMO_STATE = "simulator-state.pickle"


def history_db(data: Path) -> Path:
    return data / HISTORY_DB


def jobs_db(data: Path) -> Path:
    return data / JOBS_DB


def log_file(data: Path) -> Path:
    return data / LOG_FILE


def demo_state(data: Path) -> Path:
    return data / DEMO_STATE


def samples_dir(data: Path) -> Path:
    return data / "samples"


class NotRegularFile(OSError):
    """A path that is a FIFO, socket or device: reading it would block for ever (or never end)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # "a FIFO", "a socket", "a device"


class TooBig(OSError):
    def __init__(self, size: int) -> None:
        super().__init__(size)
        self.size = size


def read_regular(path: Path, max_bytes: int) -> bytes:
    """A regular file's bytes, at most ``max_bytes`` (else :class:`TooBig`).

    The file is opened without blocking and checked with ``fstat`` before the first read, so a
    FIFO or a device is refused (:class:`NotRegularFile`) instead of hanging; a directory raises
    ``IsADirectoryError``; other failures are the ``OSError`` they are.
    """
    import stat

    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(21, "Is a directory")
        if not stat.S_ISREG(mode):
            kind = "a FIFO" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
            raise NotRegularFile(kind)
        size = os.fstat(fd).st_size
        if size > max_bytes:
            raise TooBig(size)
        os.set_blocking(fd, True)
        chunks: list[bytes] = []
        total = 0
        while chunk := os.read(fd, min(1 << 20, max_bytes + 1 - total) or 1):
            chunks.append(chunk)
            total += len(chunk)
            if total > max_bytes:  # grew after the check
                raise TooBig(total)
        return b"".join(chunks)
    finally:
        os.close(fd)
