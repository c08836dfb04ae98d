"""The SimPy model: one scenario and one seed in, one trace out (layer 3 of 7)."""

from sim.model.engine import Model
from sim.model.trace import Trace, event_log
from sim.model.workcal import OfficeClock, WorkCalendar

__all__ = ["Model", "OfficeClock", "Trace", "WorkCalendar", "event_log"]


def simulate(scenario, seed: int | None = None, replication: int = 0) -> Trace:
    """Run one replication of ``scenario`` and return its trace."""
    return Model(scenario, seed=seed, replication=replication).run()
