"""Settings: one TOML file, one schema, defaults in one place, env overrides for secrets.

The file is read with ``tomllib`` and written with ``tomli-w``: atomically (temp file in the same
directory, fsync, rename) and with mode 0600 because it may hold API keys. Keys we do not know
are kept as they are when we write. A broken file raises :class:`ConfigError` naming the file and
line; we never overwrite a file we could not parse.

Precedence per key (first wins): environment (secrets only) > config file > default.
``Settings.source(key)`` says which one applied, for the settings screen and ``config show``.
"""

from __future__ import annotations

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


@dataclass(frozen=True, slots=True)
class Key:
    name: str  # dotted, e.g. "providers.animeapi.api_key"
    default: Any
    doc: str
    secret: bool = False
    env: str | None = None
    choices: tuple[str, ...] | None = None
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
    Key("general.theme", "animetui", "Colour theme"),
    Key("general.confirm_paid", True, "Ask before an action that costs money or credits"),
)



def _provider_keys() -> tuple[Key, ...]:
    """Each provider's keys, ``providers.<name>.<key>``, from its spec (animetui.providers.specs)."""
    from animetui.providers.specs import all_specs

    return tuple(
        Key(f"providers.{spec.name}.{s.key}", s.default, s.doc, secret=s.secret, env=s.env, choices=s.choices,
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
    node = doc
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
    if not isinstance(value, want):
        raise ConfigError(f"{where}: {key.name} must be a {want.__name__}, got {type(value).__name__}")
    if key.choices and value not in key.choices:
        raise ConfigError(f"{where}: {key.name} must be one of {', '.join(key.choices)}, got {value!r}")
    if key.minimum is not None and value < key.minimum:
        raise ConfigError(f"{where}: {key.name} must be at least {key.minimum:g}, got {value}")
    if key.maximum is not None and value > key.maximum:
        raise ConfigError(f"{where}: {key.name} must be at most {key.maximum:g}, got {value}")
    if key.name.endswith(".base_url") and not str(value).startswith(("http://", "https://")):
        raise ConfigError(f"{where}: {key.name} must start with http:// or https://, got {value!r}")
    return value


class Settings:
    """The merged settings, with where each value came from."""

    def __init__(self, path: Path, document: dict[str, Any], *, demo: bool = False) -> None:
        self.path = path
        self.document = document  # the file as parsed (unknown keys kept)
        self.demo = demo
        self._values: dict[str, Any] = {}
        self._sources: dict[str, str] = {}
        self._recompute()

    # ------------------------------------------------------------------ loading
    @classmethod
    def load(cls, path: str | os.PathLike[str] | None = None, *, demo: bool = False) -> "Settings":
        file = locations.config_file(path)
        document: dict[str, Any] = {}
        try:
            raw = file.read_bytes()
        except FileNotFoundError:
            raw = None
        except IsADirectoryError:
            raise ConfigError(f"{file}: is a directory, not a config file") from None
        except OSError as exc:
            raise ConfigError(f"{file}: cannot read ({exc.strerror})") from None
        if raw is not None:
            try:
                document = tomllib.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise ConfigError(f"{file}: not UTF-8 text; fix or remove it (it was left untouched)") from None
            except tomllib.TOMLDecodeError as exc:
                raise ConfigError(f"{file}: invalid TOML: {exc}; fix it (it was left untouched)") from None
        return cls(file, document, demo=demo)

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
                value = coerce(key, file_value, where=str(self.path))
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
        prefix = f"providers.{name}."
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
        """Validate and set ``name`` in the document (call :meth:`save` to write)."""
        key = SCHEMA_BY_NAME.get(name)
        if key is None:
            close = [k.name for k in SCHEMA if name.split(".")[-1] in k.name]
            hint = f" (did you mean {', '.join(close[:3])}?)" if close else ""
            raise ConfigError(f"unknown setting {name!r}{hint}")
        value = coerce(key, value, where="value")
        if key.secret:
            register_secret(value)
        _set_path(self.document, name, value)
        self._recompute()

    def unset(self, name: str) -> None:
        if name not in SCHEMA_BY_NAME:
            raise ConfigError(f"unknown setting {name!r}")
        _del_path(self.document, name)
        self._recompute()

    def save(self) -> Path:
        atomic_write_toml(self.path, self.document)
        return self.path


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


def atomic_write_toml(path: Path, document: dict[str, Any]) -> None:
    import tomli_w

    try:
        atomic_write_bytes(path, tomli_w.dumps(document).encode("utf-8"), mode=0o600)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot write ({exc.strerror})") from None
