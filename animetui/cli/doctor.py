"""``animetui doctor``: versions, terminal image support, each service's reachability and where
each setting comes from (the report itself is :mod:`animetui.doctor`)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from animetui.cli.output import EXIT_OK, emit_json, plain, wants_json

if TYPE_CHECKING:
    from animetui.config import Settings
    from animetui.runtime import Runtime


async def doctor(args: argparse.Namespace, settings: Settings, rt: Runtime) -> int:
    from animetui import doctor

    document = await doctor.report(settings, rt.providers, demo=bool(getattr(args, "demo", False)))
    if wants_json(args):
        emit_json(document)
        return EXIT_OK
    for line in doctor.lines(document):
        indent = line[: len(line) - len(line.lstrip(" "))]
        print(indent + plain(line) if line.strip() else "")
    return EXIT_OK
