"""Benchmark: open and filter a history of 10,000 lookups.

Prints the time to open the database and list the newest page, and to filter by a few queries,
beside a baseline measured in the same run: a plain Python substring scan over the same 10,000
titles held in memory (the least any filter could cost). Goal: filtering under 100 ms.

    .venv/bin/python tests/benchmarks/bench_history.py [--rows 10000]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from animetui.history import History  # noqa: E402
from animetui.models import Candidate, CharacterResult, Detection, SceneMatch, SceneResult  # noqa: E402

TITLES = ["Frieren", "Bocchi the Rock!", "Spy x Family", "Chainsaw Man", "Oshi no Ko", "Mushoku Tensei",
          "Jujutsu Kaisen", "Kusuriya no Hitorigoto", "Dandadan", "Blue Lock", "Yuru Camp", "Lycoris Recoil"]


def timed(fn, repeat: int = 5) -> float:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "history.sqlite3"
        h = History(path)
        titles = []
        start = time.perf_counter()
        h._db.execute("BEGIN")
        for i in range(args.rows):
            title = f"{rng.choice(TITLES)} #{i}"
            titles.append(title.lower())
            if i % 2:
                result = SceneResult((SceneMatch(title=title, episode=str(rng.randint(1, 24)), start=1.0, end=2.0, similarity=0.9),))
                h.add(kind="scene", provider="whatanime", sha256=f"{i:064x}", params={}, result=result, source_label=f"shot{i}.png", created_at=i)
            else:
                result = CharacterResult((Detection((0.1, 0.1, 0.5, 0.5), (Candidate(title, "work"),)),))
                h.add(kind="characters", provider="animetrace", sha256=f"{i:064x}", params={}, result=result, source_label=f"shot{i}.png", created_at=i)
        h._db.execute("COMMIT")
        fill = time.perf_counter() - start
        h.close()

        open_ms = timed(lambda: History(path).list(limit=200))
        h = History(path)
        print(f"history rows: {args.rows} (filled in {fill:.1f} s)")
        print(f"open + newest 200:          {open_ms:7.2f} ms")
        print(f"{'query':<24}{'history filter':>16}{'baseline scan':>16}{'matches':>9}")
        for query in ("frieren", "rock", "shot99", "#123", "nothing-like-this"):
            ms = timed(lambda q=query: h.list(query=q, limit=200))
            base = timed(lambda q=query: [t for t in titles if q in t][:200])
            count = len(h.list(query=query, limit=200))
            print(f"{query:<24}{ms:13.2f} ms{base:13.2f} ms{count:9d}")
        print("goal: filter < 100 ms")


if __name__ == "__main__":
    main()
