"""Vector indexes behind one small interface, so the search code above them is the same:

* :class:`FaissIndex` (default, embedded, no server): immutable segment files under
  ``<data dir>/library/index/``, each listed in SQLite (``lib_segments``) with the last chunk it
  covers. Vectors are stored as their exact uint8 values (``QT_8bit_direct``: 33 bytes + an 8-byte
  id); small segments are searched exhaustively, big ones through an inverted file (IVF).
* :class:`MilvusIndex`: a Milvus collection through pymilvus (a server, or milvus-lite for tests).

Why faiss (measured here, 2-core VM at load 12-19): 25 M vectors in one IVF4096 segment of exact
uint8 codes take 41.0 bytes/vector (1.03 GB) and were built in 564 s of CPU; a 1000-hit search
took p50 10.9 ms / p99 107 ms (full search path p50 12.4 / p99 84 ms) against 6.3 s for an
exhaustive scan. usearch's HNSW (int8, M=16) took 181.6 bytes/vector and 55 s of CPU for only
200 k vectors (≈ 2 CPU-hours at 25 M, growing faster than linearly) for a similar 8 ms p50.

Distances are *squared* L2 (what Milvus and faiss return; trace.moe's similarity is
``(255 − d) / 255`` of that same number).

Crash safety (embedded): a segment is written to a temporary name, fsynced, renamed into place,
the folder fsynced, and only then recorded in SQLite. At open, files that SQLite does not list are
leftovers and are deleted; a listed file that is missing or unreadable makes the index rebuild
itself from the vectors in SQLite. Chunks committed after the last segment (the indexer was
killed before flushing) are searched from SQLite directly until the next :meth:`flush`.
"""

from __future__ import annotations

import contextlib
import os
import time
from pathlib import Path
from typing import Any, Protocol

from animetui.errors import AnimetuiError
from animetui.library.db import LibraryDB

DIM = 33
IVF_FROM = 200_000  # segments with more vectors than this get an inverted file
NPROBE = 64  # recall@1 vs exhaustive on 10 M vectors: 86 % at 16, 94 % at 32, 100 % at 64 (bench_library.py; README)
NLIST_MAX = 4096
ADD_BATCH = 500_000


class IndexError_(AnimetuiError):
    """The vector index could not be read or written."""


class VectorIndex(Protocol):
    name: str

    def flush(self) -> int:
        """Bring the index up to the vectors committed in SQLite; returns how many were added."""

    def search(self, queries: Any, k: int) -> tuple[Any, Any]:
        """``(distances, ids)`` — ``(q, k)`` float32 squared L2 and int64 vector ids (-1: none)."""

    def forget(self, file_ids: set[int]) -> None:
        """Drop these files' vectors (where the backend can; otherwise search filters them)."""

    def close(self) -> None: ...


def _as_float(vectors: Any) -> Any:
    import numpy as np

    return np.ascontiguousarray(vectors, dtype=np.float32)


def merge_hits(parts: list[tuple[Any, Any]], k: int, queries: int) -> tuple[Any, Any]:
    """Merge per-segment ``(D, I)`` results into the best ``k`` per query."""
    import numpy as np

    parts = [p for p in parts if p[0].shape[1]]
    if not parts:
        return np.zeros((queries, 0), dtype=np.float32), np.zeros((queries, 0), dtype=np.int64)
    if len(parts) == 1:
        return parts[0]
    d = np.concatenate([p[0] for p in parts], axis=1)
    i = np.concatenate([p[1] for p in parts], axis=1)
    d = np.where(i < 0, np.inf, d)
    order = np.argsort(d, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(d, order, axis=1), np.take_along_axis(i, order, axis=1)


def _fsync_dir(path: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


class FaissIndex:
    name = "faiss"

    def __init__(self, db: LibraryDB, folder: Path | None = None, *, nprobe: int = NPROBE, threads: int | None = None) -> None:
        import faiss

        self._faiss = faiss
        if threads:
            faiss.omp_set_num_threads(threads)
        self.db = db
        self.folder = Path(folder) if folder is not None else db.path.parent / "index"
        self.nprobe = nprobe
        self._segments: list[tuple[int, Any]] = []  # (hi_chunk, faiss index)
        self._names: tuple[str, ...] = ()
        self._tail: tuple[int, Any] | None = None  # chunks committed after the last segment
        self._load()

    # ------------------------------------------------------------------ opening
    def _load(self) -> None:
        """Open the listed segments. Readers never write: a missing or damaged segment makes
        this index answer from SQLite alone (``broken``) until a writer's :meth:`flush` rebuilds."""
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        rows = self.db.segments(self.name)
        segments: list[tuple[int, Any]] = []
        self.broken = False
        for _, name, hi, _ in rows:
            try:
                index = self._faiss.read_index(str(self.folder / name), self._faiss.IO_FLAG_MMAP | self._faiss.IO_FLAG_READ_ONLY)
            except Exception:  # noqa: BLE001 - missing or damaged
                segments, self.broken = [], True
                break
            self._configure(index)
            segments.append((hi, index))
        self._segments = segments
        self._names = tuple(name for _, name, _, _ in rows)

    def _tidy(self) -> None:
        """(Writers only.) Delete files SQLite does not list: a segment written but never
        recorded (killed between the rename and the commit), or a temp file."""
        listed = set(self._names)
        for leftover in self.folder.iterdir():
            if leftover.name not in listed:
                with contextlib.suppress(OSError):
                    leftover.unlink()

    def _configure(self, index: Any) -> None:
        with contextlib.suppress(Exception):
            self._faiss.extract_index_ivf(index).nprobe = self.nprobe

    @property
    def hi_chunk(self) -> int:
        return self._segments[-1][0] if self._segments else 0

    def vectors(self) -> int:
        return sum(int(index.ntotal) for _, index in self._segments)

    # ------------------------------------------------------------------ building
    def _build(self, ids: Any, vectors: Any) -> Any:
        faiss = self._faiss
        import numpy as np

        n = len(vectors)
        ids = np.ascontiguousarray(ids, dtype=np.int64)
        if n > IVF_FROM:
            nlist = int(min(NLIST_MAX, max(256, 2 * np.sqrt(n))))
            quantizer = faiss.IndexFlatL2(DIM)
            index = faiss.IndexIVFScalarQuantizer(quantizer, DIM, nlist, faiss.ScalarQuantizer.QT_8bit_direct, faiss.METRIC_L2)
            index.by_residual = False  # codes are the exact uint8 values: a residual would not fit them
            sample = np.random.default_rng(0).choice(n, size=min(n, nlist * 40), replace=False)
            index.train(_as_float(vectors[np.sort(sample)]))
        else:
            index = faiss.IndexIDMap2(faiss.IndexScalarQuantizer(DIM, faiss.ScalarQuantizer.QT_8bit_direct, faiss.METRIC_L2))
        for start in range(0, n, ADD_BATCH):  # float32 copies a batch at a time, not 4 x the library
            index.add_with_ids(_as_float(vectors[start : start + ADD_BATCH]), ids[start : start + ADD_BATCH])
        self._configure(index)
        return index

    def _write(self, index: Any, hi: int, *, replace: bool) -> None:
        name = f"seg-{hi:012d}-{int(time.time() * 1000)}.faiss"
        final = self.folder / name
        temp = self.folder / (name + ".tmp")
        try:
            self._faiss.write_index(index, str(temp))
            with open(temp, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(temp, final)
            _fsync_dir(self.folder)
        except Exception as exc:  # noqa: BLE001 - faiss raises RuntimeError for I/O failures
            with contextlib.suppress(OSError):
                temp.unlink()
            reason = "the disk is full" if "No space" in str(exc) or getattr(exc, "errno", None) == 28 else str(exc).splitlines()[0][:200]
            raise IndexError_(f"{self.folder}: cannot write the search index ({reason}); free some space, then `animetui library rescan`") from None
        try:
            self.db.add_segment(self.name, name, hi, int(index.ntotal), replace=replace)
        except BaseException:
            with contextlib.suppress(OSError):
                final.unlink()
            raise
        if replace:
            for old in self.folder.iterdir():
                if old.name != name:
                    with contextlib.suppress(OSError):
                        old.unlink()

    def _collect(self, lo: int, hi: int | None = None) -> tuple[Any, Any, int]:
        import numpy as np

        ids, vecs, last = [], [], lo
        for cid, vid, vec in self.db.chunks_after(lo, hi):
            ids.append(vid)
            vecs.append(vec)
            last = cid
        if not ids:
            return np.zeros(0, dtype=np.int64), np.zeros((0, DIM), dtype=np.uint8), last
        return np.concatenate(ids), np.concatenate(vecs), last

    def flush(self, *, compact_over: int = 8) -> int:
        """Write the chunks committed since the last segment as a new segment (or rebuild
        everything into one when there are many small segments or many forgotten files)."""
        self._load()
        self._tidy()
        hi = self.db.max_chunk()
        removed = self.db.removed()
        if self.broken or (removed and self._segments):  # damaged, or forgotten files: rewrite
            before = self.vectors()
            self.rebuild()
            return max(0, self.vectors() - before)
        if removed:
            self.db.clear_removed(removed)
        if hi <= self.hi_chunk:
            return 0
        if len(self._segments) + 1 > compact_over:
            before = self.vectors()
            self.rebuild()
            return max(0, self.vectors() - before)
        ids, vecs, last = self._collect(self.hi_chunk, hi)
        if len(ids) == 0:
            return 0
        index = self._build(ids, vecs)
        self._write(index, last, replace=False)
        self._segments.append((last, index))
        self._names = tuple(name for _, name, _, _ in self.db.segments(self.name))
        self._tail = None
        return len(ids)

    def rebuild(self) -> None:
        """One segment from every vector in SQLite (also drops forgotten files for good)."""
        self.broken = False
        removed = self.db.removed()
        ids, vecs, last = self._collect(0)
        if len(ids) == 0:
            self.db.drop_segments(self.name)
            for old in self.folder.iterdir():
                with contextlib.suppress(OSError):
                    old.unlink()
            self._segments, self._tail, self._names = [], None, ()
            self.db.clear_removed(removed)
            return
        index = self._build(ids, vecs)
        self._write(index, last, replace=True)
        self._segments, self._tail = [(last, index)], None
        self._names = tuple(name for _, name, _, _ in self.db.segments(self.name))
        self.db.clear_removed(removed)

    # ------------------------------------------------------------------ searching
    def _tail_index(self) -> Any | None:
        hi = self.db.max_chunk()
        if hi <= self.hi_chunk:
            return None
        if self._tail is None or self._tail[0] != hi:
            ids, vecs, _ = self._collect(self.hi_chunk, hi)
            self._tail = (hi, self._build(ids, vecs) if len(ids) else None)
        return self._tail[1]

    def search(self, queries: Any, k: int) -> tuple[Any, Any]:
        q = _as_float(queries)
        if tuple(name for _, name, _, _ in self.db.segments(self.name)) != self._names:
            self._load()  # another process (the indexer) wrote or compacted segments meanwhile
            self._tail = None
        parts = [index.search(q, k) for _, index in self._segments if index.ntotal]
        tail = self._tail_index()
        if tail is not None:
            parts.append(tail.search(q, k))
        return merge_hits(parts, k, len(q))

    def forget(self, file_ids: set[int]) -> None:
        pass  # search drops dead file ids; the next flush/rebuild removes them for good

    def close(self) -> None:
        self._segments, self._tail = [], None


class MilvusIndex:
    """The same vectors in a Milvus collection (``library.backend = "milvus"``), via pymilvus.

    ``uri``: ``http://HOST:19530`` for a server, or a local ``*.db`` path for milvus-lite. The
    SQLite watermark (a ``lib_segments`` row for backend ``milvus``) says which chunks are in."""

    name = "milvus"
    COLLECTION = "animetui_frames"

    def __init__(self, db: LibraryDB, uri: str, *, token: str = "", collection: str | None = None) -> None:
        try:
            from pymilvus import DataType, MilvusClient
        except ImportError:
            raise IndexError_("the Milvus backend needs pymilvus: pip install 'animetui[milvus]'") from None
        self.db = db
        self.collection = collection or self.COLLECTION
        try:
            self.client = MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)
            if not self.client.has_collection(self.collection):
                schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
                schema.add_field("id", DataType.INT64, is_primary=True)
                schema.add_field("file_id", DataType.INT64)
                schema.add_field("vector", DataType.FLOAT_VECTOR, dim=DIM)
                params = self.client.prepare_index_params()
                params.add_index(field_name="vector", index_type="FLAT" if uri.endswith(".db") else "IVF_SQ8", metric_type="L2", params={} if uri.endswith(".db") else {"nlist": 4096})
                self.client.create_collection(self.collection, schema=schema, index_params=params)
            self.client.load_collection(self.collection)
        except IndexError_:
            raise
        except Exception as exc:  # noqa: BLE001 - pymilvus raises many types
            raise IndexError_(f"Milvus at {uri}: {str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}") from None

    @property
    def hi_chunk(self) -> int:
        rows = self.db.segments(self.name)
        return rows[-1][2] if rows else 0

    def flush(self) -> int:
        import numpy as np

        removed = self.db.removed()
        if removed:
            self.forget(removed)
            self.db.clear_removed(removed)
        added, last = 0, self.hi_chunk
        batch_ids, batch_vecs = [], []
        for cid, vid, vec in self.db.chunks_after(last):
            batch_ids.append(vid)
            batch_vecs.append(vec)
            last = cid
            if sum(len(b) for b in batch_ids) >= 20_000:
                added += self._insert(np.concatenate(batch_ids), np.concatenate(batch_vecs))
                self.db.add_segment(self.name, self.collection, last, added, replace=True)
                batch_ids, batch_vecs = [], []
        if batch_ids:
            added += self._insert(np.concatenate(batch_ids), np.concatenate(batch_vecs))
        if last != self.hi_chunk:
            self.db.add_segment(self.name, self.collection, last, added, replace=True)
        return added

    def _insert(self, ids: Any, vecs: Any) -> int:
        rows = [{"id": int(i), "file_id": int(i) >> 32, "vector": v.astype(float).tolist()} for i, v in zip(ids, vecs)]
        try:
            self.client.upsert(self.collection, rows)  # upsert: a re-sent batch after a crash is harmless
        except Exception as exc:  # noqa: BLE001
            raise IndexError_(f"Milvus: cannot add vectors ({str(exc).splitlines()[0][:200]})") from None
        return len(rows)

    def search(self, queries: Any, k: int) -> tuple[Any, Any]:
        import numpy as np

        q = _as_float(queries)
        try:
            result = self.client.search(self.collection, data=q.tolist(), limit=min(k, 16384), output_fields=[], search_params={"metric_type": "L2", "params": {"nprobe": 32}})
        except Exception as exc:  # noqa: BLE001
            raise IndexError_(f"Milvus: search failed ({str(exc).splitlines()[0][:200]})") from None
        d = np.full((len(q), k), np.inf, dtype=np.float32)
        i = np.full((len(q), k), -1, dtype=np.int64)
        for row, hits in enumerate(result):
            for col, hit in enumerate(list(hits)[:k]):
                d[row, col] = float(hit["distance"])
                i[row, col] = int(hit["id"])
        return d, i

    def forget(self, file_ids: set[int]) -> None:
        ids = sorted(int(f) for f in file_ids)
        for start in range(0, len(ids), 1000):
            part = ids[start : start + 1000]
            try:
                self.client.delete(self.collection, filter=f"file_id in {part}")
            except Exception as exc:  # noqa: BLE001
                raise IndexError_(f"Milvus: cannot remove vectors ({str(exc).splitlines()[0][:200]})") from None

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.client.close()


def open_index(db: LibraryDB, settings: dict[str, Any] | None = None) -> VectorIndex:
    """The backend the settings ask for (``library.backend``: ``faiss``, the default, or ``milvus``)."""
    settings = settings or {}
    backend = str(settings.get("backend") or "faiss").lower()
    if backend == "milvus":
        uri = str(settings.get("uri") or "")
        if not uri:
            raise IndexError_("library.backend is milvus but library.uri is not set (e.g. http://HOST:19530)")
        return MilvusIndex(db, uri, token=str(settings.get("token") or ""))
    if backend != "faiss":
        raise IndexError_(f"library.backend: unknown backend {backend!r} (faiss or milvus)")
    try:
        return FaissIndex(db, nprobe=int(settings.get("nprobe") or NPROBE))
    except ImportError:
        raise IndexError_("the local library needs faiss-cpu: pip install -e '.[test]' or pip install faiss-cpu") from None
