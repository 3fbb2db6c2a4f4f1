"""The user's own library (issue 15): scene search over their videos — offline, free, no quota.

Its keys live in the ``[library]`` table of the config file (storage and policy, read by the
indexer process too), not under ``providers.local``. It is "present" only when a library exists
(``<data dir>/library/library.sqlite3``); then "all" asks it first and the remote engines only
when it has no "likely" match (``library.search``).
"""

from pathlib import Path
from typing import Any

from animetui.providers.spec import SCENE, Limit, ProviderSpec, Setting


def _present(data_dir: Any) -> bool:
    try:
        return (Path(data_dir) / "library" / "library.sqlite3").is_file()
    except (OSError, TypeError, ValueError):
        return False


SPEC = ProviderSpec(
    name="local",
    title="Library",
    module="animetui.library.provider",
    capabilities=frozenset({SCENE}),
    short="local",
    order=15,
    network=False,
    table="library",
    present=_present,
    first=True,
    scene_options=("cut_borders", "flip"),
    limit=Limit(1000, 1000.0),
    limits_doc="none: it runs on this machine (no quota, nothing sent anywhere)",
    settings=(
        Setting("search", "first", "How \"all\" uses the library: first (the remote engines only when it has no likely "
                "match), together (asked with them), off (only when chosen)", choices=("first", "together", "off")),
        Setting("cut_borders", True, "Also search with black borders (letterbox) cut"),
        Setting("flip", False, "Also search the mirror image"),
        Setting("backend", "faiss", "Vector index: faiss (embedded, files under the data dir) or milvus (a server)",
                choices=("faiss", "milvus"), restart=True),
        Setting("nprobe", 64, "faiss: inverted lists searched per query (more: nearer to exhaustive, slower; "
                "bench_library.py prints the trade-off)", minimum=1, maximum=1024),
        Setting("uri", "", "Milvus server (library.backend = milvus), e.g. http://HOST:19530", restart=True),
        Setting("token", "", "Milvus token, if the server wants one", secret=True, env="ANIMETUI_LIBRARY_TOKEN",
                restart=True),
        Setting("sampling", "nonref", "Frames indexed: nonref (reference frames, the default: measured faster at the "
                "same accuracy) or all (every frame, trace.moe's way)", choices=("nonref", "all")),
    ),
)
