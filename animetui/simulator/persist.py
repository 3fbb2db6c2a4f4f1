"""Keep the demo simulators' state between runs of ``animetui --demo``.

Each CLI run builds a fresh in-process hub; without this, ``animetui --demo login`` followed by
``animetui --demo credits`` would meet a simulator that never heard of the session, and a
cartoonize task started by one run could not be polled by the next. The hub's state (accounts,
sessions, tasks, files, quotas) is pickled to ``<demo data dir>/simulator-state.pickle`` (0600,
written atomically). The file is only ever written and read by animetui itself, for the demo;
if it is missing, unreadable or from another version, the demo simply starts fresh.
"""

from __future__ import annotations

import pickle
from pathlib import Path

from animetui import locations
from animetui.simulator.hub import SimulatorHub

STATE_FILE = locations.DEMO_STATE
_VERSION = 1


def load_demo_hub(data_dir: Path, *, realistic: bool = False) -> SimulatorHub:
    path = locations.demo_state(data_dir)
    try:
        with path.open("rb") as handle:
            version, hub = pickle.load(handle)  # noqa: S301 - our own file, see docstring
        if version == _VERSION and isinstance(hub, SimulatorHub):
            hub.realistic = realistic
            hub.faults.clear()
            return hub
    except Exception:  # noqa: BLE001 - any problem means: start fresh
        pass
    return SimulatorHub(realistic=realistic)


def save_demo_hub(hub: SimulatorHub, data_dir: Path) -> None:
    from animetui.config import atomic_write_bytes

    try:
        data = pickle.dumps((_VERSION, hub), protocol=pickle.HIGHEST_PROTOCOL)
    except Exception:  # noqa: BLE001 - unpicklable state: the demo just won't remember
        return
    try:
        atomic_write_bytes(locations.demo_state(data_dir), data, mode=0o600)
    except OSError:
        pass
