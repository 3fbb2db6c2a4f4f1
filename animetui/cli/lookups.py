"""Lookups: ``characters`` (AnimeTrace), ``scene`` (every scene engine; ``--provider local`` is
:mod:`animetui.library.cli`), ``models``, ``rankings`` and ``recent``."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any, cast

from animetui.cli.output import (
    EXIT_OK,
    UsageError,
    emit_json,
    err,
    flag,
    mmss,
    percent,
    plain,
    print_table,
    wants_json,
)

if TYPE_CHECKING:
    from animetui.config import Settings
    from animetui.lookups import LookupOutcome
    from animetui.models import CharacterResult, SceneResult
    from animetui.runtime import Runtime


def _cached_note(outcome: LookupOutcome) -> None:
    if outcome.cached:
        print("(from history — no request made; --refresh to ask again)\n")


async def characters(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    from animetui.models import ImageSource

    source = ImageSource.parse(args.image)
    model = args.model or settings["providers.animetrace.model"] or None
    outcome = await rt.lookups.characters(
        source,
        model=model,
        multi=flag(args.multi, settings["providers.animetrace.is_multi"]),
        ai_detect=flag(args.ai_detect, settings["providers.animetrace.ai_detect"]),
        refresh=args.refresh,
    )
    result = cast("CharacterResult", outcome.result)  # LookupOutcome is not generic (yet): characters() answers these
    if result.warning:  # e.g. a model id the service does not list (it was sent anyway)
        print(f"animetui: warning: {plain(result.warning)}", file=sys.stderr)
    if wants_json(args):
        emit_json({**result.to_json(), "cached": outcome.cached})
        return EXIT_OK
    _cached_note(outcome)
    if not result.detections:
        print("No characters found.")
    else:
        rows = []
        for number, det in enumerate(result.detections, 1):
            for rank, cand in enumerate(det.candidates, 1):
                rows.append([
                    str(number) if rank == 1 else "",
                    "low" if det.not_confident and rank == 1 else ("high" if rank == 1 else ""),
                    cand.character,
                    cand.work,
                ])
            if not det.candidates:
                rows.append([str(number), "–", "(no candidate)", ""])
        print_table(["#", "confidence", "character", "work"], rows)
    if result.ai is not None:
        print(f"\nAI-generated: {'likely' if result.ai else 'no'}")
    if result.trace_id:
        print(f"trace id: {plain(result.trace_id)}")
    return EXIT_OK


async def scene(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    from animetui.models import ImageSource
    from animetui.providers import title_of

    options: dict[str, Any] = {}
    if args.no_cut_borders or getattr(args, "no_cut", False):
        options["cut_borders"] = False
    if getattr(args, "flip", False):
        options["flip"] = True  # the local library: also the mirror image
    outcome = await rt.lookups.scene(
        ImageSource.parse(args.image), providers=args.provider, refresh=args.refresh, options=options
    )
    result = cast("SceneResult", outcome.result)  # scene() answers a scene
    show_adult = bool(args.adult or settings["general.show_adult_scenes"])
    shown = [m for m in result.matches if show_adult or not m.adult]
    hidden = len(result.matches) - len(shown)
    language = str(settings["general.title_language"])
    for name, problem in outcome.errors.items():
        err(f"{title_of(name)}: {problem}")
    if wants_json(args):
        emit_json({
            **result.to_json(),
            "matches": [{**m.to_json(), "title": m.title_in(language), "anilist_url": m.anilist_url, "mal_url": m.mal_url} for m in shown],
            "nsfw_hidden": hidden,
            "cached": outcome.cached,
            "providers": {name: {"cached": part.cached, "matches": len(cast("SceneResult", part.result).matches),
                                 "credits_left": getattr(part.result, "credits_left", None)}
                          for name, part in outcome.parts.items()},
            "errors": {name: problem.message for name, problem in outcome.errors.items()},
        })
        return EXIT_OK
    _cached_note(outcome)
    if not shown:
        print("No matching scene found." if not hidden else "No matching scene shown.")
    else:
        rows = [
            [title_of(m.engine), m.title_in(language), m.episode or "–", f"{mmss(m.start)}–{mmss(m.end)}",
             percent(m.similarity), m.confidence or "–"]
            for m in shown
        ]
        print_table(["engine", "title", "episode", "time", "similarity", "confidence"], rows)
        links = []
        for m in shown:
            found = [link for link in (m.anilist_url, m.mal_url) if link]
            if found and (m.title_in(language), *found) not in links:
                links.append((m.title_in(language), *found))
        if links:
            print()
            for title, *urls in links[:5]:
                print(f"{plain(title)}: {'  '.join(urls)}")
        from animetui.library.play import local_file, seconds_of

        video = local_file(shown[0])
        if video is not None:  # the best match is one of your own files
            import shlex

            print(f"\nplay from here: mpv --start={seconds_of(shown[0]):.1f} {plain(shlex.quote(str(video)))}")
    if hidden:
        print(f"\n{hidden} NSFW result{'s' if hidden != 1 else ''} hidden (--adult, or general.show_adult_scenes, shows them)")
    for name, part in outcome.parts.items():
        credits_left = getattr(part.result, "credits_left", None)
        if credits_left is not None:
            print(f"{title_of(name)} credits left: {credits_left}")
    whatanime = rt.providers.built().get("whatanime")
    if whatanime is not None and getattr(whatanime, "session_expired", False):
        err("your whatanimeisthis session has expired; searched without it — run `animetui login`")
    return EXIT_OK


async def models(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    models = await rt.providers.animetrace.list_models()
    if wants_json(args):
        emit_json({"models": [m.to_json() for m in models]})
        return EXIT_OK
    print_table(
        ["id", "name", "status", "default"],
        [[m.id, m.name, "available" if m.enabled else "paused", "yes" if m.default else ""] for m in models],
    )
    return EXIT_OK


async def rankings(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    if args.limit < 1 or args.limit > 500:
        raise UsageError("animetui rankings: --limit must be between 1 and 500")
    items = await rt.providers.whatanime.rankings(period=args.period, limit=args.limit, include_adult=flag(args.adult, settings["providers.whatanime.include_adult"]))
    if wants_json(args):
        emit_json({"period": args.period, "rankings": [r.to_json() for r in items]})
        return EXIT_OK
    if not items:
        print("No rankings for this period.")
        return EXIT_OK
    print_table(["#", "title", "searches"], [[r.rank, r.title + ("  (18+)" if r.adult else ""), r.searches] for r in items], max_width=60)
    return EXIT_OK


async def recent(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    if args.limit < 1 or args.limit > 200 or args.offset < 0:
        raise UsageError("animetui recent: --limit must be 1-200 and --offset 0 or more")
    items = await rt.providers.whatanime.recent_searches(limit=args.limit, offset=args.offset)
    if wants_json(args):
        emit_json({"offset": args.offset, "limit": args.limit, "searches": [r.to_json() for r in items]})
        return EXIT_OK
    if not items:
        print("No more recent searches." if args.offset else "No recent searches.")
        return EXIT_OK
    print_table(["when", "title", "episode", "similarity"], [[r.searched_at, r.title, r.episode, percent(r.similarity)] for r in items], max_width=60)
    return EXIT_OK

