"""What both engines set up the same way for one replication, and their per-case draws.

:class:`~sim.model.engine.Model` (projects walking items) and
:class:`~sim.model.hall.HallModel` (citizens in service halls) run on the same kernel, working
calendar and random streams; :class:`ModelBase` makes them, from the scenario's dates, the seed
and the replication number, and hands out the per-case streams, each made on first use.
"""

from __future__ import annotations

from typing import Any

from sim.model.kernel import Kernel
from sim.model.streams import CaseStream, Streams
from sim.model.workcal import HOURS_PER_DAY, WorkCalendar
from sim.scenario.schema import Scenario


class ModelBase:
    """The replication's scenario, seed, kernel, hours, calendar and streams."""

    def _begin(self, scenario: Scenario, seed: int | None, replication: int) -> None:
        """Set up what every replication has: called first by each engine's ``__init__``.

        ``warmup_h`` and ``horizon_h`` bound the measurement window, ``end_h`` adds the drain;
        the calendar covers ``n_days`` (the run and 60 days beyond, for delays that end later).
        """
        self.scenario = scenario
        self.seed = scenario.experiment.seed if seed is None else int(seed)
        self.replication = replication
        info = scenario.scenario
        self.kernel = Kernel()
        self.warmup_h = info.warmup_days * HOURS_PER_DAY
        self.horizon_h = info.horizon_days * HOURS_PER_DAY
        self.end_h = (info.horizon_days + info.drain_days) * HOURS_PER_DAY
        self.n_days = int(info.horizon_days + info.drain_days) + 60
        self.calendar = WorkCalendar(info.start, self.n_days)
        self.streams = Streams(self.seed, replication)
        self._draws: dict[tuple, CaseStream] = {}

    def stream(self, key: tuple, dist: Any = None) -> CaseStream:
        """The per-case stream named ``key`` (variates under ``dist``; uniforms when ``None``)."""
        stream = self._draws.get(key)
        if stream is None:
            stream = self._draws[key] = CaseStream(self.streams, key, dist)
        return stream

    def uniform(self, key: tuple, k: int) -> float:
        """The uniform of stream ``key`` that belongs to case index ``k`` of its type."""
        return self.stream(key).value(k)

    def draw(self, key: tuple, dist: Any, k: int) -> float:
        """The variate of stream ``key`` under ``dist`` for case index ``k`` of its type."""
        return self.stream(key, dist).value(k)
