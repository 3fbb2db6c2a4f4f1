"""Contract simulators of the four services animetui talks to.

Written from the docs in the project's seeds (paths, methods, auth, fields, status codes, quotas,
async task lifecycle) so the product runs and is tested with no network. See ``hub`` (routing,
faults, files), ``server`` (loopback), and one module per service.
"""

from animetui.simulator.base import Fault, SimClock
from animetui.simulator.hub import DEMO_KEYS, SimulatorHub

__all__ = ["DEMO_KEYS", "Fault", "SimClock", "SimulatorHub"]
