"""``animetui doctor``: what a bug report needs, in one command.

Prints the versions (animetui, Python, the libraries that matter), the terminal's image support
as far as the environment tells (no escape-sequence probe: the command may not own a terminal),
each provider's base URL, whether it answers, where its settings come from (default, file or
environment — never the values of secrets), the machine-wide limit counts, and the redacted copies
of unexpected answers kept in the data dir (:mod:`animetui.unexpected`).

Reachability is one ``GET`` of the provider's base URL with a short timeout: any HTTP answer means
the host is reachable. Nothing that costs is sent, and no API key or cookie goes with it.
"""

from __future__ import annotations

import asyncio
import importlib.metadata
import os
import platform
import sys
import time
from typing import Any

from animetui import __version__

from animetui.providers.specs import all_specs

PROVIDERS = tuple(spec.name for spec in all_specs() if spec.network)  # every networked provider its spec declares
TITLES = {spec.name: spec.title for spec in all_specs()}
LIBRARIES = ("textual", "httpx", "pillow", "rich", "textual-image")
REACH_TIMEOUT = 5.0


def versions() -> dict[str, str]:
    out = {"animetui": __version__, "python": platform.python_version(), "platform": platform.platform(terse=True)}
    for name in LIBRARIES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def terminal(renderer_setting: str) -> dict[str, str]:
    """What the environment says about the terminal's image support (a guess, not a probe)."""
    env = os.environ
    term, program = env.get("TERM", ""), env.get("TERM_PROGRAM", "")
    if env.get("KITTY_WINDOW_ID") or "kitty" in term or program in ("WezTerm", "ghostty"):
        guess = "kitty graphics likely"
    elif program in ("iTerm.app", "mintty") or "foot" in term or "mlterm" in term or env.get("WT_SESSION"):
        guess = "sixel likely"
    elif not sys.stdout.isatty():
        guess = "not a terminal (output is redirected)"
    else:
        guess = "unknown: half-cell blocks are used unless the app's probe finds more"
    return {
        "TERM": term or "(unset)",
        "TERM_PROGRAM": program or "(unset)",
        "COLORTERM": env.get("COLORTERM", "") or "(unset)",
        "images": guess,
        "general.renderer": renderer_setting,
    }


def settings_sources(settings: Any, name: str) -> dict[str, str]:
    """``{key: source}`` for the provider's settings (values of secrets never included)."""
    prefix = f"providers.{name}."
    out: dict[str, str] = {}
    for key, value, source in settings.items():
        if not key.name.startswith(prefix):
            continue
        short = key.name[len(prefix):]
        if key.secret:
            out[short] = f"{'set' if value else 'not set'} ({source})"
        elif short == "base_url":
            out[short] = f"{value} ({source})"
        elif source != "default":
            out[short] = f"{value} ({source})"
    return out


async def reachability(providers: Any, name: str) -> str:
    """"reachable (HTTP n, t ms)" or why not — one GET of the base URL, no credentials."""
    import httpx

    client = providers.downloads  # no base URL, no credentials
    base = str(providers.section(name).get("base_url") or "")
    if not base:
        return "no base_url"
    started = time.monotonic()
    try:
        response = await asyncio.wait_for(client.get(base.rstrip("/") + "/"), timeout=REACH_TIMEOUT)
    except (TimeoutError, httpx.TimeoutException):
        return f"no answer in {REACH_TIMEOUT:.0f} s"
    except httpx.HTTPError as exc:
        return f"unreachable ({type(exc).__name__})"
    took = (time.monotonic() - started) * 1000
    return f"reachable (HTTP {response.status_code}, {took:.0f} ms)"


def limit_counts(settings: Any) -> dict[str, str]:
    from animetui import limits

    shared = limits.SharedLimits(settings.data_dir)
    if not shared.path.exists():
        return {"file": f"{shared.path} (not created yet)"}
    out = {"file": str(shared.path)}
    guest = limits.DOCUMENTED["whatanime.guest"][0]
    out["whatanime guest searches today"] = f"{shared.used('whatanime.guest', guest)} of {guest.count}"
    return out


async def report(settings: Any, providers: Any, *, demo: bool = False) -> dict[str, Any]:
    from animetui import unexpected

    reach = await asyncio.gather(*(reachability(providers, name) for name in PROVIDERS))
    return {
        "versions": versions(),
        "terminal": terminal(str(settings["general.renderer"])),
        "config_file": str(settings.path),
        "data_dir": str(settings.data_dir),
        "demo": demo,
        "providers": {
            name: {"title": TITLES[name], "reachability": status, "settings": settings_sources(settings, name)}
            for name, status in zip(PROVIDERS, reach)
        },
        "limits": limit_counts(settings),
        "unexpected_answers": [
            {"path": str(s.path), "provider": s.provider, "what": s.what,
             "saved_at": time.strftime("%Y-%m-%d %H:%M", time.localtime(s.saved_at))}
            for s in unexpected.list_saved(settings.data_dir)
        ],
    }


def lines(doc: dict[str, Any]) -> list[str]:
    """The report as text lines (the caller sanitises and prints them)."""
    out = ["animetui doctor", ""]
    out.append("versions: " + ", ".join(f"{k} {v}" for k, v in doc["versions"].items()))
    out.append("terminal: " + ", ".join(f"{k}={v}" for k, v in doc["terminal"].items()))
    out.append(f"config file: {doc['config_file']}")
    out.append(f"data dir: {doc['data_dir']}" + (" (demo)" if doc["demo"] else ""))
    out.append("")
    for name, info in doc["providers"].items():
        out.append(f"{info['title']}: {info['reachability']}")
        for key, value in info["settings"].items():
            out.append(f"    {key}: {value}")
    out.append("")
    out.append("shared limits: " + "; ".join(f"{k}: {v}" for k, v in doc["limits"].items()))
    saved = doc["unexpected_answers"]
    if saved:
        out.append(f"unexpected answers kept ({len(saved)}; attach them to a bug report):")
        out += [f"    {s['saved_at']}  {s['provider']} {s['what']}: {s['path']}" for s in saved]
    else:
        out.append("unexpected answers kept: none")
    return out
