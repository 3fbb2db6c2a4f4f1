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
