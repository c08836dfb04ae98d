"""The SimPy model: one scenario and one seed in, one trace out (layer 3 of 7)."""

from __future__ import annotations

from collections.abc import Iterable

from sim.model.engine import Model
from sim.model.tables import MemorySink, NullSink, Sink
from sim.model.trace import TABLES, Trace, event_log
from sim.model.workcal import OfficeClock, WorkCalendar
from sim.scenario.schema import Scenario

__all__ = [
    "TABLES",
    "MemorySink",
    "Model",
    "NullSink",
    "OfficeClock",
    "Sink",
    "Trace",
    "WorkCalendar",
    "event_log",
    "simulate",
]


def simulate(
    scenario: Scenario,
    seed: int | None = None,
    replication: int = 0,
    sink: Sink | None = None,
    keep: Iterable[str] = TABLES,
    case_columns: Iterable[str] | None = None,
) -> Trace:
    """Run one replication of ``scenario`` and return its trace (see :class:`Model`)."""
    return Model(
        scenario,
        seed=seed,
        replication=replication,
        sink=sink,
        keep=keep,
        case_columns=case_columns,
    ).run()
