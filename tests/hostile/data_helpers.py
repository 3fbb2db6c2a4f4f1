"""Helpers for the data tests in tests/hostile (trust-data): run the real CLI in a child process.

Every run uses the per-test ``ANIMETUI_DATA_DIR`` / ``ANIMETUI_CONFIG`` the root conftest sets
(under ``tmp_path``) and ``--demo`` where a service is involved, so nothing reaches a real host.
Arguments may be ``bytes`` (a file name that is not UTF-8 is passed to the child exactly).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def cli(*args: str | bytes | os.PathLike, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 120, prefix: tuple[str, ...] = (), strict_output: bool = True) -> subprocess.CompletedProcess:
    """``animetui ARGS`` in a child; stdout/stderr as bytes. ``strict_output``: the child's stdout
    is strict UTF-8 (as in an en_US.UTF-8 terminal), so an unencodable name would crash it."""
    run_env = dict(os.environ if env is None else env)
    run_env.setdefault("PYTHONPATH", str(REPO))
    if strict_output:
        run_env["PYTHONIOENCODING"] = "utf-8:strict"
    command = [*prefix, sys.executable, "-m", "animetui", *[os.fsencode(a) if isinstance(a, os.PathLike) else a for a in args]]
    return subprocess.run(command, capture_output=True, env=run_env, cwd=cwd, timeout=timeout, check=False)


def text(data: bytes) -> str:
    return data.decode("utf-8", "backslashreplace")


def assert_one_clear_line(result: subprocess.CompletedProcess, *fragments: str) -> str:
    """stderr is exactly one ``animetui: …`` line holding ``fragments``; no traceback, no 'report this'."""
    err = text(result.stderr)
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got:\n{err}"
    line = lines[0]
    assert line.startswith("animetui: "), line
    assert "Traceback" not in err and "Please report this" not in err and "Logging error" not in err, err
    for fragment in fragments:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    return line


def unshare_prefix(*flags: str) -> tuple[str, ...] | None:
    """``unshare FLAGS --`` if user namespaces work here (to make a folder read-only even for root,
    or to mount a tiny tmpfs), else None."""
    tool = shutil.which("unshare")
    if tool is None:
        return None
    probe = subprocess.run([tool, *flags, "true"], capture_output=True, check=False)
    return (tool, *flags) if probe.returncode == 0 else None


def make_image(path: Path | bytes, size: tuple[int, int] = (320, 320), color: str = "red") -> None:
    """A PNG with a little detail (the AILabTools simulator refuses a flat picture as "no subject")."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    draw = ImageDraw.Draw(image)
    for i in range(0, size[0], 16):
        draw.line((i, 0, size[0] - i, size[1]), fill=(i % 256, 255 - i % 256, 128), width=3)
    with open(path, "wb") as handle:
        image.save(handle, "PNG")
