"""Search the library with a picture: descriptor(s) → vector index → hits grouped per file into
``from/to/at`` like trace.moe (``src/search.ts``: hits of one file less than 5 s apart are one
match; its ``at`` is the closest hit) → similarity ``(255 − d) / 255`` → a confidence label.

The same code runs over any :class:`~animetui.library.index.VectorIndex` (faiss or Milvus).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from animetui.library.db import LibraryDB, split_id
from animetui.models import LIKELY, PROBABLY_WRONG, UNCERTAIN, SceneMatch, confidence_label

GROUP_SECONDS = 5.0
BAND = 25.5  # hits this much farther (squared L2) than a query's best are not part of a scene: 10 % similarity
HITS = 1000
TOP = 5

def confidence(similarity: float | None) -> str:
    """≥ 0.90 likely, 0.87–0.90 uncertain, below that probably wrong — the project's one rule
    (:func:`animetui.models.confidence_label`), with no similarity counted as probably wrong."""
    return confidence_label(similarity) or PROBABLY_WRONG


FLAT_ENERGY = 32  # below this the picture is (nearly) uniform: dark, a fade, a plain colour


def detail(vector: Any) -> int:
    """How much a descriptor says beyond its mean colour: the squared distance of its AC
    coefficients from neutral (16). A black or faded frame scores ~0-20 and matches every other
    black frame in the library (trace.moe's FAQ: dark frames fail), so such a query is never
    labelled "likely" however similar the hit (measured: 2 % of indexed frames are that flat)."""
    import numpy as np

    v = np.asarray(vector, dtype=np.int64)
    ac = np.concatenate([v[1:21], v[22:27], v[28:33]]) - 16
    return int((ac * ac).sum())


def similarity_of(distance: float) -> float:
    return min(1.0, max(0.0, (255.0 - float(distance)) / 255.0))


@dataclass(frozen=True, slots=True)
class LibraryMatch(SceneMatch):
    """A scene match from the user's own files (``engine`` "local"): also the file's full path
    (``filename`` is its name, as trace.moe gives it) and which query variant found it."""

    file: str = ""
    variant: str = ""
    flat: bool = False  # the query picture is too plain to tell scenes apart (see :func:`detail`)
    hold: bool = False  # from/to is one picture held on screen: any second in it shows the same

    @property
    def confidence(self) -> str:
        label = confidence(self.similarity)
        return UNCERTAIN if self.flat and label == LIKELY else label

    def to_json(self) -> dict[str, Any]:
        out = SceneMatch.to_json(self)
        out.update({"file": self.file, "confidence": self.confidence, "variant": self.variant, "hold": self.hold,
                    "note": "the picture is too dark or plain to be sure" if self.flat else ""})
        return out


@dataclass(slots=True)
class _Group:
    file_id: int
    start: float
    end: float
    at: float
    score: float
    variant: int
    times: list[tuple[float, float]] = field(default_factory=list)  # (t, score) of its hits, by time
    hold: bool = False  # its best hits are one picture held on screen (see :func:`_settle_hold`)


TIE = 1e-6  # equal vectors give equal distances: hits this close to the best are the same picture
HOLD_GAP = 2.5  # kept frames of one hold are DEDUPE_SECONDS (2 s) apart, plus a frame or so
HOLD_TAIL = 2.0  # a held picture is kept again after 2 s (DEDUPE_SECONDS): the hold may run this long past its last kept frame


def _settle_hold(group: _Group) -> None:
    """A static hold: equal frames are dropped within 2 s, so a picture held for 5 s is kept at
    0, 2 and 4 s with the same vector, and every one of them is the best hit. trace.moe takes the
    first; the answer here spans the hold (``from`` its first kept frame, ``to`` up to 2 s past its
    last, never past the next different frame found) and ``at`` is the middle of its kept frames —
    the same picture as anywhere in the hold, and on average the nearest second to a screenshot
    taken in it. A group whose best hit is unique keeps trace.moe's answer (``at`` = that hit)."""
    runs: list[list[float]] = [[]]
    for t, d in group.times:  # runs of tied hits with no other hit between them: one hold each
        if d <= group.score + TIE:
            if runs[-1] and t - runs[-1][-1] > HOLD_GAP:  # a held picture is kept again after 2 s: a longer
                runs.append([])                           # gap had other (non-matching) frames in it
            runs[-1].append(t)
        elif runs[-1]:
            runs.append([])
    ties = max(runs, key=len)
    if len(ties) < 2:
        return
    first, last = ties[0], ties[-1]
    later = [t for t, _ in group.times if t > last]
    tail = min(HOLD_TAIL, later[0] - last) if later else HOLD_TAIL
    group.start, group.end = first, last + tail
    group.at = round((first + last) / 2, 3)
    group.hold = True


def group_hits(distances: Any, ids: Any, variant: int = 0) -> list[_Group]:
    """trace.moe's grouping of one query's hits (sorted by time, per file, 5 s); ``at`` is the
    best-scoring hit, or the middle of a static hold (:func:`_settle_hold`)."""
    hits = [(split_id(i), float(d)) for d, i in zip(distances, ids) if i >= 0 and d == d and d != float("inf")]
    hits.sort(key=lambda h: h[0][1])
    per_file: dict[int, list[_Group]] = {}
    out: list[_Group] = []
    for (file_id, t), score in hits:
        groups = per_file.setdefault(file_id, [])
        last = groups[-1] if groups else None
        if last is not None and (abs(last.end - t) < GROUP_SECONDS or abs(last.start - t) < GROUP_SECONDS):
            last.start, last.end = min(last.start, t), max(last.end, t)
            last.times.append((t, score))
            if score < last.score:
                last.score, last.at = score, t
        else:
            group = _Group(file_id, t, t, t, score, variant, [(t, score)])
            groups.append(group)
            out.append(group)
    for group in out:
        _settle_hold(group)
    return out


class Searcher:
    def __init__(self, db: LibraryDB, index: Any, *, hits: int = HITS) -> None:
        self.db, self.index, self.hits = db, index, hits

    def search_vectors(self, vectors: Any, names: list[str] | None = None, *, top: int = TOP) -> list[LibraryMatch]:
        import numpy as np

        vectors = np.atleast_2d(np.asarray(vectors, dtype=np.uint8))
        distances, ids = self.index.search(vectors, self.hits)
        groups: list[_Group] = []
        for row in range(len(vectors)):
            d, i = distances[row], ids[row]
            if len(d) and np.isfinite(d[0]):
                near = d <= float(np.nanmin(np.where(i >= 0, d, np.inf))) + BAND
                d, i = d[near], i[near]
            groups.extend(group_hits(d, i, row))
        live = self.db.live_ids(g.file_id for g in groups)
        groups = [g for g in groups if g.file_id in live]
        groups.sort(key=lambda g: g.score)
        best: list[_Group] = []
        for g in groups:  # the same scene found by two variants: keep the better one
            if any(b.file_id == g.file_id and b.start - GROUP_SECONDS < g.at < b.end + GROUP_SECONDS for b in best):
                continue
            best.append(g)
            if len(best) == top:
                break
        flat = [detail(v) < FLAT_ENERGY for v in vectors]
        files = self.db.files_by_id(g.file_id for g in best)
        out = []
        for g in best:
            f = files.get(g.file_id)
            if f is None:
                continue
            out.append(
                LibraryMatch(
                    title=f.title or Path(f.path).stem,
                    episode=f.episode,
                    start=round(g.start, 3),
                    end=round(min(g.end, f.duration) if f.duration else g.end, 3),
                    similarity=round(similarity_of(g.score), 4),
                    video_url=Path(f.path).as_uri() if Path(f.path).is_absolute() else None,
                    engine="local",
                    filename=Path(f.path).name,
                    duration=f.duration or None,
                    file=f.path,
                    at=round(g.at, 3),
                    variant=(names[g.variant] if names and g.variant < len(names) else ""),
                    flat=flat[g.variant],
                    hold=g.hold,
                )
            )
        return out

    def search_image(self, image: Any, *, cut: bool = True, flip: bool = False, top: int = TOP) -> list[LibraryMatch]:
        """``image``: a path, bytes, or a PIL image."""
        from animetui.library.frames import load_image, query_vectors

        if not hasattr(image, "resize"):
            image = load_image(image)
        vectors, names = query_vectors(image, cut=cut, flip=flip)
        return self.search_vectors(vectors, names, top=top)
