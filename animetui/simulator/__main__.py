"""``python -m animetui.simulator --port N``: serve all four simulated services on loopback."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys

from animetui.limits import TEST_CLOCK_ENV

from animetui.simulator.hub import DEMO_KEYS, LoggedRequest, SimulatorHub
from animetui.simulator.server import serve


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m animetui.simulator", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (0 picks a free one; default 8765)")
    parser.add_argument("--seed", type=int, default=7, help="seed for the simulated data")
    parser.add_argument("--log", help="append one JSON line per answered request (service, method, path, status, at)")
    args = parser.parse_args(argv)

    async def run() -> None:
        clock = None
        if os.environ.get(TEST_CLOCK_ENV):  # tests only: the clock the clients' limits read
            from animetui.simulator.base import ScaledClock

            clock = ScaledClock()
        hub = SimulatorHub(seed=args.seed, clock=clock)
        if args.log:
            log_file = open(args.log, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - open while serving

            def write(entry: LoggedRequest) -> None:
                log_file.write(json.dumps({"service": entry.service, "method": entry.method, "path": entry.path,
                                           "status": entry.status, "at": entry.at}) + "\n")

            hub.on_logged = write
        async with serve(hub, args.host, args.port) as base_url:
            print(f"animetui simulators on {base_url}", flush=True)
            print("config for animetui (save as a file and pass --config FILE):", flush=True)
            for name in ("animetrace", "whatanime", "animeapi", "ailab"):
                print(f"[providers.{name}]\nbase_url = \"{base_url}\"", flush=True)
                if name in DEMO_KEYS:
                    print(f"api_key = \"{DEMO_KEYS[name]}\"", flush=True)
            await asyncio.Event().wait()

    try:
        asyncio.run(run())
    except KeyboardInterrupt:
        return 0
    except OSError as exc:
        print(f"cannot listen on {args.host}:{args.port}: {exc.strerror}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
