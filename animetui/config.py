"""Settings: one TOML file, one schema, defaults in one place, env overrides for secrets.

The file is read with ``tomllib``. A write (:meth:`Settings.save`, from ``animetui config set`` or
the TUI's Settings) re-reads the file under a lock (``fcntl.flock`` on ``.config.toml.lock`` beside
it), applies just the changes made, and writes atomically (temp file in the same directory, fsync,
rename) with mode 0600 because it may hold API keys; a symlinked file is written through to its
target. The edit goes through ``tomlkit``, so the user's comments, order and layout stay as they
were, and keys we do not know are kept. A broken file raises :class:`ConfigError` naming the file
and line; we never overwrite a file we could not parse. Only a regular file is read (a FIFO given
as ``--config`` would block for ever), and values the rest of animetui would trip on later (``nan``,
a port out of range, an unparsable URL, nesting thousands deep) are refused when the file is read,
naming the key and its line.

Precedence per key (first wins): environment (secrets only) > config file > default.
``Settings.source(key)`` says which one applied, for the settings screen and ``config show``.
"""

from __future__ import annotations

import math
import os
import tempfile
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from animetui import locations
from animetui.errors import ConfigError
from animetui.redact import mask, register_secret

RENDERERS = ("auto", "kitty", "sixel", "halfcell", "unicode", "none")
ORIENTATIONS = ("portrait", "square", "landscape")
PERIODS = ("daily", "weekly", "monthly", "yearly", "all")
RANK_LIMITS = (10, 25, 50, 100)
#: ``animetui`` and Textual's built-in themes (textual 8.2.8 ``BUILTIN_THEMES``; a test checks the
#: list still matches, so the config stays importable without Textual)
THEMES = (
    "animetui", "textual-dark", "textual-light", "nord", "gruvbox", "catppuccin-mocha", "dracula", "tokyo-night",
    "monokai", "flexoki", "catppuccin-latte", "catppuccin-frappe", "catppuccin-macchiato", "solarized-light",
    "solarized-dark", "rose-pine", "rose-pine-moon", "rose-pine-dawn", "atom-one-dark", "atom-one-light",
    "ansi-dark", "ansi-light",
)


@dataclass(frozen=True, slots=True)
class Key:
    name: str  # dotted, e.g. "providers.animeapi.api_key"
    default: Any
    doc: str
    secret: bool = False
    env: str | None = None
    choices: tuple[Any, ...] | None = None
    minimum: float | None = None
    maximum: float | None = None

    @property
    def type(self) -> type:
        return type(self.default)


GENERAL: tuple[Key, ...] = (
    # general
    Key("general.renderer", "auto", "Image renderer: auto, kitty, sixel, halfcell, unicode or none", choices=RENDERERS),
    Key("general.bell", False, "Ring the terminal bell when a job ends"),
    Key("general.downloads_dir", "", "Where job results are saved (empty: <data dir>/downloads)"),
    Key("general.theme", "animetui", "Colour theme (the palette's \"Change theme\" saves it)", choices=THEMES),
    Key("general.keymap", "default", "Key preset: default or vim (j/k/h/l, g/G); [keys] rebinds single actions", choices=("default", "vim")),
    Key("rankings.period", "weekly", "Rankings period the TUI opens on (p in Rankings remembers it)", choices=PERIODS),
    Key("rankings.limit", 25, "How many rankings the TUI loads (l in Rankings remembers it)", choices=RANK_LIMITS),
    Key("general.confirm_paid", True, "Ask before an action that costs money or credits"),
)



def _provider_keys() -> tuple[Key, ...]:
    """Each provider's keys, ``providers.<name>.<key>`` (or ``<its table>.<key>``, e.g.
    ``library.backend``), from its spec (animetui.providers.specs)."""
    from animetui.providers.specs import all_specs

    return tuple(
        Key(f"{spec.section}.{s.key}", s.default, s.doc, secret=s.secret, env=s.env, choices=s.choices,
            minimum=s.minimum, maximum=s.maximum)
        for spec in all_specs()
        for s in spec.settings
    )


def _scene_keys() -> tuple[Key, ...]:
    """The default scene-search provider(s): any spec that can search scenes, or all of them."""
    from animetui.providers.spec import SCENE
    from animetui.providers.specs import capable

    names = tuple(s.name for s in capable(SCENE))
    return (
        Key("general.scene_provider", "all", f"Scene search asks: {', '.join(names)} or all", choices=(*names, "all")),
        Key("general.show_adult_scenes", False, "Show NSFW (adult) scene matches instead of hiding them"),
        Key("general.title_language", "romaji", "Anime titles in: romaji, english or native (where the engine gives them)",
            choices=("romaji", "english", "native")),
    )


SCHEMA: tuple[Key, ...] = GENERAL + _scene_keys() + _provider_keys()
SCHEMA_BY_NAME: dict[str, Key] = {k.name: k for k in SCHEMA}


def _get_path(doc: dict[str, Any], dotted: str) -> tuple[bool, Any]:
    node: Any = doc
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return False, None
        node = node[part]
    return True, node


def _set_path(doc: dict[str, Any], dotted: str, value: Any) -> None:
    parts = dotted.split(".")
    node = doc
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def _del_path(doc: dict[str, Any], dotted: str) -> None:
    parts = dotted.split(".")
    node: Any = doc
    for part in parts[:-1]:
        node = node.get(part)
        if not isinstance(node, dict):
            return
    node.pop(parts[-1], None)


def coerce(key: Key, value: Any, *, where: str) -> Any:
    """Check/convert a value for ``key``; ``where`` names its origin for the error message."""
    want = key.type
    if isinstance(value, str) and want is not str:
        text = value.strip()
        try:
            if want is bool:
                low = text.lower()
                if low in ("1", "true", "yes", "on"):
                    value = True
                elif low in ("0", "false", "no", "off"):
                    value = False
                else:
                    raise ValueError
            elif want is int:
                value = int(text)
            elif want is float:
                value = float(text)
        except ValueError:
            raise ConfigError(f"{where}: {key.name} must be a {want.__name__}, got {value!r}") from None
    if want is float and isinstance(value, int) and not isinstance(value, bool):
        value = float(value)
    if want is bool and not isinstance(value, bool) or (want is not bool and isinstance(value, bool)):
        raise ConfigError(f"{where}: {key.name} must be a {want.__name__}, got {value!r}")
    if not _is_a(value, want):
        raise ConfigError(f"{where}: {key.name} must be a {want.__name__}, got {type(value).__name__}")
    if want is float and not math.isfinite(value):
        raise ConfigError(f"{where}: {key.name} must be a number, got {value}")
    if key.choices and value not in key.choices:
        raise ConfigError(f"{where}: {key.name} must be one of {', '.join(map(str, key.choices))}, got {value!r}")
    if key.minimum is not None and value < key.minimum:
        raise ConfigError(f"{where}: {key.name} must be at least {key.minimum:g}, got {value}")
    if key.maximum is not None and value > key.maximum:
        raise ConfigError(f"{where}: {key.name} must be at most {key.maximum:g}, got {value}")
    if key.name.endswith(".base_url"):
        _check_url(key, value, where)
    if key.name == "library.uri" and value and not value.endswith(".db"):  # a server, or milvus-lite's file
        _check_url(key, value, where)
    if isinstance(value, str) and not key.secret and any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        raise ConfigError(f"{where}: {key.name} must not contain control characters, got {value!r}")
    return value


def _is_a(value: Any, want: type) -> bool:
    """``isinstance`` without narrowing ``value`` to ``object`` (``want`` is only known at run time)."""
    return isinstance(value, want)


def _check_url(key: Key, value: str, where: str) -> None:
    """A base URL the HTTP client will accept: http(s), a host, a port in range, nothing odd."""
    from urllib.parse import urlsplit

    if not value.startswith(("http://", "https://")):
        raise ConfigError(f"{where}: {key.name} must start with http:// or https://, got {value!r}")
    if any(ord(c) <= 0x20 or 0x7F <= ord(c) <= 0x9F for c in value):
        raise ConfigError(f"{where}: {key.name} must not contain spaces or control characters, got {value!r}")
    try:
        parts = urlsplit(value)
        port = parts.port  # ValueError when out of range
    except ValueError as exc:
        raise ConfigError(f"{where}: {key.name} is not a valid URL ({exc}), got {value!r}") from None
    if not parts.hostname:
        raise ConfigError(f"{where}: {key.name} has no host name, got {value!r}")
    if port == 0:
        raise ConfigError(f"{where}: {key.name} has port 0, got {value!r}")


MAX_CONFIG_BYTES = 1_000_000  # a config file is a few hundred bytes; anything this big is a mistake


def _read_config_bytes(file: Path) -> bytes | None:
    """The file's bytes, None if it does not exist. Only a regular file is read: a FIFO or a device
    would block for ever (or never end), so they are refused before the first read."""
    try:
        return locations.read_regular(file, MAX_CONFIG_BYTES)
    except FileNotFoundError:
        return None
    except IsADirectoryError:
        raise ConfigError(f"{file}: is a directory, not a config file") from None
    except locations.NotRegularFile as exc:
        raise ConfigError(f"{file}: not a regular file ({exc.kind}); give a TOML config file") from None
    except locations.TooBig as exc:
        raise ConfigError(f"{file}: {exc.size:,} bytes is too big for a config file; fix or remove it (it was left untouched)") from None
    except OSError as exc:
        raise ConfigError(f"{file}: cannot read ({exc.strerror})") from None


def _decode(file: Path, raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"{file}: not UTF-8 text; fix or remove it (it was left untouched)") from None


def _line_of(text: str, dotted: str) -> int | None:
    """The line (1-based) where ``dotted`` is assigned in TOML ``text``, found by a plain scan."""
    table: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        stripped = line.strip()
        if stripped.startswith("["):
            table = [p.strip().strip("\"'") for p in stripped.strip("[]").split(".")]
            continue
        if "=" not in stripped or stripped.startswith("#"):
            continue
        key = [p.strip().strip("\"'") for p in stripped.split("=", 1)[0].split(".")]
        if ".".join(table + key) == dotted:
            return number
    return None


class Settings:
    """The merged settings, with where each value came from."""

    def __init__(self, path: Path, document: dict[str, Any], *, demo: bool = False, text: str = "") -> None:
        self.path = path
        self._text = text  # the file as read, to name the line of a refused value
        self.document = document  # the file as parsed (unknown keys kept)
        self.demo = demo
        self._pending: dict[str, tuple[bool, Any]] = {}  # changes not saved yet: name → (set?, value)
        self._values: dict[str, Any] = {}
        self._sources: dict[str, str] = {}
        self._recompute()

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, demo: bool = False) -> "Settings":
        file = locations.config_file(path)
        document: dict[str, Any] = {}
        text = ""
        raw = _read_config_bytes(file)
        if raw is not None:
            text = _decode(file, raw)
            try:
                document = tomllib.loads(text)
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{file}: invalid TOML: {exc}; fix it (it was left untouched)") from None
            except RecursionError:
                raise ConfigError(f"{file}: nested too deeply to be a config file; fix it (it was left untouched)") from None
        return cls(file, document, demo=demo, text=text)

    @classmethod
    def defaults(cls, path: Path | None = None, *, demo: bool = False) -> "Settings":
        return cls(path or locations.config_file(), {}, demo=demo)

    def _recompute(self) -> None:
        values: dict[str, Any] = {}
        sources: dict[str, str] = {}
        for key in SCHEMA:
            value, source = key.default, "default"
            found, file_value = _get_path(self.document, key.name)
            if found:
                try:
                    value = coerce(key, file_value, where=str(self.path))
                except ConfigError:
                    line = _line_of(self._text, key.name)
                    if not line:
                        raise
                    value = coerce(key, file_value, where=f"{self.path}, line {line}")  # raises, with the line
                source = "file"
            if key.env:
                env_value = os.environ.get(key.env)
                if env_value:
                    value, source = env_value, "env"
            if key.secret:
                register_secret(value)
            values[key.name] = value
            sources[key.name] = source
        self._values = values
        self._sources = sources

    # ------------------------------------------------------------------ access
    def __getitem__(self, name: str) -> Any:
        try:
            return self._values[name]
        except KeyError:
            raise ConfigError(f"unknown setting {name!r}") from None

    def get(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def source(self, name: str) -> str:
        return self._sources[name]

    def provider(self, name: str) -> dict[str, Any]:
        from animetui.providers.specs import spec

        try:
            table = spec(name).section
        except KeyError:
            table = f"providers.{name}"
        return self.section(table)

    def section(self, table: str) -> dict[str, Any]:
        """The validated keys of one table (``"library"``, ``"providers.tracemoe"``), short names."""
        prefix = f"{table}."
        return {k[len(prefix):]: v for k, v in self._values.items() if k.startswith(prefix)}

    def items(self) -> Iterator[tuple[Key, Any, str]]:
        for key in SCHEMA:
            yield key, self._values[key.name], self._sources[key.name]

    def display_value(self, name: str, *, reveal: bool = False) -> str:
        key = SCHEMA_BY_NAME[name]
        value = self._values[name]
        if key.secret and not reveal:
            return mask(value) if value else "(not set)"
        if isinstance(value, bool):
            return "true" if value else "false"
        return str(value)

    @property
    def data_dir(self) -> Path:
        return locations.data_dir(demo=self.demo)

    @property
    def cache_dir(self) -> Path:
        return locations.cache_dir(demo=self.demo)

    @property
    def downloads_dir(self) -> Path:
        configured = self._values.get("general.downloads_dir")
        if configured and not self.demo:
            return Path(configured).expanduser()
        return self.data_dir / "downloads"

    # ------------------------------------------------------------------ changing
    def set(self, name: str, value: Any) -> None:
        """Validate and set ``name`` (call :meth:`save` to write it to the file)."""
        key = SCHEMA_BY_NAME.get(name)
        if key is None:
            close = [k.name for k in SCHEMA if name.split(".")[-1] in k.name]
            hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
            raise ConfigError(f"unknown setting {name!r}{hint}")
        value = coerce(key, value, where="value")
        if name.endswith("api_key") and isinstance(value, str):
            from animetui.text import has_controls

            if has_controls(value):  # an ESC or a newline in a key is never valid; pasted, it could run commands
                raise ConfigError(f"{name}: an API key cannot contain control or invisible characters; nothing was saved")
        if key.secret:
            register_secret(value)
        _set_path(self.document, name, value)
        self._pending[name] = (True, value)
        self._recompute()

    def unset(self, name: str) -> None:
        if name not in SCHEMA_BY_NAME:
            raise ConfigError(f"unknown setting {name!r}")
        _del_path(self.document, name)
        self._pending[name] = (False, None)
        self._recompute()

    def save(self) -> Path:
        """Write the changes made since the last save — and only those — to the file.

        Another process (``animetui config set`` while the TUI is open) may have changed the file
        since we read it, so the file is read again under a lock, just our changes are applied to
        it (comments, layout and every other key as they are on disk), and it is replaced
        atomically. A symlinked config file is written through to its target. Afterwards this
        object holds what the file now says.
        """
        changes = dict(self._pending)
        document = update_file(self.path, lambda doc: _apply(doc, changes), changes)
        self._pending.clear()
        self.document = document
        self._recompute()
        return self.path


def _apply(doc: Any, changes: dict[str, tuple[bool, Any]]) -> None:
    """Apply ``changes`` (name → (present, value)) to a tomlkit document, in place."""
    import tomlkit

    for name, (present, value) in changes.items():
        parts = name.split(".")
        node = doc
        for depth, part in enumerate(parts[:-1]):
            child = node.get(part) if hasattr(node, "get") else None
            if child is None:
                if not present:
                    break
                # intermediate tables without a header of their own: "[providers.ailab]", not "[providers]"
                child = tomlkit.table(is_super_table=depth < len(parts) - 2)
                node[part] = child
                child = node[part]
            elif not isinstance(child, dict):
                raise ConfigError(f"{'.'.join(parts[: depth + 1])} is not a table in the file; fix it by hand")
            node = child
        else:
            if present:
                node[parts[-1]] = value
            elif parts[-1] in node:
                del node[parts[-1]]


LOCK_WAIT = 10.0  # seconds another writer may hold the config lock before we give up


def _lock_path(target: Path) -> Path:
    return target.with_name(f".{target.name}.lock")


def _landed(plain: dict[str, Any], before: dict[str, Any], expected: dict[str, tuple[bool, Any]]) -> bool:
    """True if ``plain`` (the file as TOML will read it) is ``before`` with exactly ``expected`` applied."""
    import copy

    want = copy.deepcopy(before)
    for name, (present, value) in expected.items():
        _set_path(want, name, value) if present else _del_path(want, name)
    return plain == want


def update_file(path: Path, change: Any, expected: dict[str, tuple[bool, Any]] | None = None) -> dict[str, Any]:
    """Re-read ``path`` under an exclusive lock, ``change(doc)`` its tomlkit document, write it atomically.

    Returns the new document as plain Python data. A file that cannot be parsed is never written
    over; the change is refused with the file and the reason.
    """
    import fcntl
    import time

    import tomlkit

    target = Path(os.path.realpath(path))  # through a symlink to the real file
    try:
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lock_fd = os.open(_lock_path(target), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write ({exc.strerror})") from None
    try:
        deadline = time.monotonic() + LOCK_WAIT
        while True:
            try:
                fcntl.flock(lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise ConfigError(f"{path}: another animetui has been writing it for {LOCK_WAIT:g} s; try again") from None
                time.sleep(0.02)
        raw = _read_config_bytes(target)
        text = "" if raw is None else _decode(target, raw)
        try:
            doc = tomlkit.parse(text)
        except Exception as exc:  # noqa: BLE001 - tomlkit's ParseError and friends
            raise ConfigError(f"{path}: invalid TOML: {exc}; fix it (it was left untouched, nothing saved)") from None
        before = doc.unwrap()
        change(doc)
        out = tomlkit.dumps(doc)
        plain = tomllib.loads(out)
        if expected is not None and not _landed(plain, before, expected):
            # tomlkit placed a key where TOML reads it elsewhere (seen with top-level dotted keys
            # followed by tables): write the same data plainly rather than a wrong file.
            plain = before
            for name, (present, value) in expected.items():
                _set_path(plain, name, value) if present else _del_path(plain, name)
            out = tomlkit.dumps(plain)
            plain = tomllib.loads(out)
        Settings(path, plain)  # the file as it will be must still load (raises ConfigError)
        atomic_write_bytes_or_fail(target, out.encode("utf-8"), shown=path)
        return plain
    finally:
        os.close(lock_fd)  # releases the lock


def atomic_write_bytes_or_fail(target: Path, data: bytes, *, shown: Path) -> None:
    try:
        atomic_write_bytes(target, data, mode=0o600)
    except OSError as exc:
        raise ConfigError(f"{shown}: cannot write ({exc.strerror})") from None


def atomic_write_bytes(path: Path, data: bytes, *, mode: int = 0o600) -> None:
    """Write ``data`` to ``path`` so that a crash leaves either the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(path.parent, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(dir_fd)
    except OSError:
        pass
    finally:
        os.close(dir_fd)
