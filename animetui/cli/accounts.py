"""The accounts: ``credits`` (every provider that reports them), whatanimeisthis ``keys``,
``login`` and ``logout``, and ``config path|show|set|unset``."""

from __future__ import annotations

import argparse
import os
import sys
from typing import TYPE_CHECKING

from animetui.cli.output import EXIT_OK, UsageError, emit_json, err, plain, print_table, wants_json

if TYPE_CHECKING:
    from animetui.config import Key, Settings
    from animetui.runtime import Runtime


async def credits(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    from animetui.errors import AnimetuiError
    from animetui.models import Credits
    from animetui.providers import title_of
    from animetui.providers.spec import CREDITS, GENERATE
    from animetui.providers.specs import capable
    from animetui.providers.specs import spec as spec_of

    results: list[Credits] = []
    problems: dict[str, str] = {}
    for spec in capable(CREDITS):  # whoever can report credits, in the specs' order
        if spec.key_required and not (settings.demo or rt.providers.has_key(spec.name)):
            key = _schema_key(f"providers.{spec.name}.{spec.key_setting}")
            env = f" or {key.env}" if key is not None and key.env else ""
            problems[spec.name] = f"no API key set (providers.{spec.name}.{spec.key_setting}{env})"
            continue
        try:
            results.append(await rt.providers.get(spec.name).credits())
        except AnimetuiError as exc:
            problems[spec.name] = exc.message
    balance = _last_balance(rt)  # a generator reports its balance with each image: the journal keeps the last
    for index, credit in enumerate(results):
        if credit.remaining is None and spec_of(credit.provider).can(GENERATE):
            results[index] = Credits(credit.provider, balance, unit="usd", detail="last balance seen after a generation" if balance is not None else "unknown until the first generation")
    if wants_json(args):
        emit_json({"credits": [c.to_json() for c in results], "errors": problems})
        return EXIT_OK
    rows = []
    for c in results:
        if c.remaining is None:
            amount = "–"
        elif c.unit == "usd":
            amount = f"${c.remaining:.3f}"
        else:
            amount = f"{c.remaining:g} {c.unit}"
        rows.append([title_of(c.provider), amount, "–" if c.concurrency is None else str(c.concurrency), c.detail])
    for name, message in problems.items():
        rows.append([title_of(name), "?", "–", message])
    print_table(["service", "left", "at once", "note"], rows, max_width=70)
    return EXIT_OK


def _schema_key(name: str) -> Key | None:  # the settings schema's entry, or None
    from animetui.config import SCHEMA_BY_NAME

    return SCHEMA_BY_NAME.get(name)


def _last_balance(rt: Runtime) -> float | None:
    if not rt.has_jobs():
        return None
    return rt.runner.last_balance_usd

async def keys(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    provider = rt.providers.whatanime
    if args.action == "list":
        page = await provider.list_keys(page=args.page, page_size=args.page_size)
        if wants_json(args):
            emit_json(page.to_json())
            return EXIT_OK
        if not page.keys:
            print("No API keys.")
            return EXIT_OK
        print_table(["id", "title", "key", "created"], [[k.id, k.title, k.masked, k.created_at] for k in page.keys])
        if page.total is not None:
            print(f"\npage {page.page}, {len(page.keys)} of {page.total}")
        return EXIT_OK
    if not args.title:
        raise UsageError("animetui keys create: a TITLE is required")
    key = await provider.create_key(args.title)
    if wants_json(args):
        emit_json(key.to_json(reveal=True))
        return EXIT_OK
    from animetui.text import has_controls, safe

    print(f"Created API key {safe(repr(key.title))}. This is the only time the full key is shown:\n")
    print(f"  {safe(key.plaintext)}\n")
    if has_controls(key.plaintext or ""):
        err("note: the server's key holds control or invisible characters (shown escaped above); animetui will not take it as a key")
        return EXIT_OK
    print("Save it with: animetui config set providers.whatanime.api_key <KEY>")
    return EXIT_OK


async def login(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    from animetui.redact import register_secret

    email = args.email or settings["providers.whatanime.email"]
    if not email:
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError("animetui login: --email is required (no terminal to ask)")
        email = input("email: ").strip()
    password = os.environ.get("ANIMETUI_PASSWORD")
    if not password:
        if not sys.stdin or not sys.stdin.isatty():
            raise UsageError("animetui login: no password — set ANIMETUI_PASSWORD or run in a terminal")
        import getpass

        password = getpass.getpass("password: ")
    register_secret(password)
    session = await rt.providers.whatanime.sign_in(email, password)
    if wants_json(args):
        emit_json({"signed_in": True, **session.to_json()})
    else:
        print(f"Signed in to whatanimeisthis as {plain(session.email)}.")
    return EXIT_OK


async def logout(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    was_signed_in = rt.providers.whatanime.session is not None
    await rt.providers.whatanime.sign_out()
    if wants_json(args):
        emit_json({"signed_in": False, "was_signed_in": was_signed_in})
    elif was_signed_in:
        print("Signed out; the stored session was deleted.")
    else:
        print("Not signed in; nothing to do.")
    return EXIT_OK


def config(args: argparse.Namespace, settings: Settings) -> int:
    from animetui.config import SCHEMA_BY_NAME

    if args.action == "path":
        if wants_json(args):
            emit_json({"config": str(settings.path), "data": str(settings.data_dir), "cache": str(settings.cache_dir), "downloads": str(settings.downloads_dir)})
        else:
            print(settings.path)
        return EXIT_OK
    if args.action == "show":
        reveal = bool(args.reveal)
        if wants_json(args):
            emit_json({
                "path": str(settings.path),
                "settings": {key.name: {"value": settings.display_value(key.name, reveal=reveal) if key.secret else value, "source": source} for key, value, source in settings.items()},
            })
            return EXIT_OK
        print(f"# {settings.path}{'' if settings.path.exists() else ' (not created yet)'}")
        print_table(["key", "value", "from"], [[key.name, settings.display_value(key.name, reveal=reveal), source] for key, _value, source in settings.items()], max_width=60)
        return EXIT_OK
    if not args.key:
        raise UsageError(f"animetui config {args.action}: KEY is required")
    if args.action == "unset":
        settings.unset(args.key)
        settings.save()
        print(f"{args.key} reset to its default")
        return EXIT_OK
    if args.value is None:
        raise UsageError("animetui config set: VALUE is required")
    settings.set(args.key, args.value)
    path = settings.save()
    key = SCHEMA_BY_NAME[args.key]
    shown = settings.display_value(args.key)
    if wants_json(args):
        emit_json({"key": args.key, "value": shown, "path": str(path)})
    else:
        print(f"{args.key} = {shown}  (saved to {path})")
        if key.env and os.environ.get(key.env):
            print(f"note: ${key.env} is set and takes precedence over the file", file=sys.stderr)
    return EXIT_OK
