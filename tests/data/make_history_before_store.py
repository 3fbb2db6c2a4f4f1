"""How tests/data/history-before-store.sqlite3 was made: run ONCE with the History and BatchJournal of
commit d846ca5 (before they went through animetui.store), `python tests/data/make_history_before_store.py
tests/data/history-before-store.sqlite3`. Kept to show what the fixture holds; running it with newer
code would make a file of the new layout, which is not what tests/test_store_upgrade.py needs."""
import sqlite3, sys
from pathlib import Path
from animetui.history import History
from animetui.batch import BatchJournal
from animetui.models import Candidate, CharacterResult, Detection, SceneMatch, SceneResult

path = Path(sys.argv[1])
h = History(path)
h.add(kind="scene", provider="whatanime", sha256="a" * 64, params={"cut_borders": True},
      result=SceneResult((SceneMatch(title="Sousou no Frieren", episode="3", start=61.5, end=64.0, similarity=0.93),)),
      source_label="frieren.png", source_path="/home/user/Pictures/frieren.png", created_at=1764633600.0)
h.add(kind="characters", provider="animetrace", sha256="b" * 64, params={"model": "anime_model_lovelive", "multi": True},
      result=CharacterResult((Detection((0.1, 0.1, 0.5, 0.9), (Candidate("Bocchi", "Bocchi the Rock!"),)),), ai=False, trace_id="t1"),
      source_label="bocchi.jpg", source_url="https://example.org/bocchi.jpg", thumbnail=b"\xff\xd8\xff\xe0fakejpeg", created_at=1764633700.0)
h.close()
j = BatchJournal(path)
bid = j.create("/home/user/Pictures", ["scene"], [("/home/user/Pictures/a.png", "c" * 64, "scene", "done"), ("/home/user/Pictures/b.png", "d" * 64, "scene", "pending")])
items = j.items(bid)
from dataclasses import replace
j.update(replace(items[0], detail="from the cache", headline="Sousou no Frieren"))
j.set_state(bid, "paused")
j.close()
conn = sqlite3.connect(path)
conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
conn.execute("PRAGMA journal_mode=DELETE")  # one self-contained file for the repository
print(conn.execute("PRAGMA user_version").fetchone(), conn.execute("select name from sqlite_master").fetchall())
conn.close()
