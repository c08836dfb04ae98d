"""Queueing theory: exact formulas, and the offered load of every department before a run.

The formulas (Erlang C for M/M/c, Pollaczek-Khinchine for M/G/1) are the yardsticks the model is
tested against. :func:`offered_load` reads only the scenario — arrival rates, the items each case
type needs, the mean effort of their steps, the expected number of passes implied by corrections —
and compares the staff hours demanded with the staff hours open, so that an overloaded department
(load >= 1, a queue that grows without bound) is reported before anything runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from sim.scenario.schema import Scenario


def erlang_c(servers: int, offered: float) -> float:
    """Probability that an arrival waits in an M/M/c queue (``offered`` = λ/μ, in Erlangs)."""
    if offered >= servers:
        return 1.0
    # stable recursion on the Erlang B formula, then the B -> C relation
    b = 1.0
    for k in range(1, servers + 1):
        b = offered * b / (k + offered * b)
    rho = offered / servers
    return b / (1 - rho + rho * b)


def mmc_mean_wait(arrival_rate: float, service_rate: float, servers: int) -> float:
    """Mean time in queue (before service) of an M/M/c queue; ``inf`` when unstable."""
    offered = arrival_rate / service_rate
    if offered >= servers:
        return math.inf
    return erlang_c(servers, offered) / (servers * service_rate - arrival_rate)


def mg1_mean_wait(arrival_rate: float, mean_service: float, var_service: float) -> float:
    """Pollaczek-Khinchine mean time in queue of an M/G/1 queue; ``inf`` when unstable."""
    rho = arrival_rate * mean_service
    if rho >= 1:
        return math.inf
    return arrival_rate * (var_service + mean_service**2) / (2 * (1 - rho))


def expected_passes(probability: float, max_rounds: int | None) -> float:
    """Expected number of reviews of a file sent back with ``probability`` each time.

    At most ``max_rounds`` corrections: 1 + p + p^2 + ... + p^max_rounds; without a cap the
    geometric sum 1 / (1 - p) (infinite for p = 1: the file never passes).
    """
    if max_rounds is None:
        return math.inf if probability >= 1 else 1.0 / (1.0 - probability)
    return sum(probability**r for r in range(max_rounds + 1))


@dataclass(frozen=True)
class Load:
    """Demand against capacity of one department, per year."""

    department: str
    staff: int
    demand_hours: float  # staff hours of work arriving per year
    open_hours: float  # staff hours open per year
    load: float  # demand / capacity; >= 1 means the queue grows without bound

    @property
    def stable(self) -> bool:
        """Whether the department can keep up with its work in the long run."""
        return self.load < 1


def open_hours_per_year(scenario: Scenario, department: str, working_days: float = 250) -> float:
    """Open staff hours a year: office hours a day times working days (about 250 in China)."""
    dep = scenario.departments[department]
    hours = dep.hours
    per_day = 24.0 if hours is None else sum(b - a for a, b in hours)
    days = 365.0 if hours is None else working_days
    return per_day * days * dep.staff


def offered_load(scenario: Scenario) -> list[Load]:
    """The offered load of every department.

    Corrections are counted (expected passes per visit); loops of ``rework`` and ``next`` are
    not (the traffic equations of routed networks are a later check).
    """
    demand = dict.fromkeys(scenario.departments, 0.0)
    for ct in scenario.case_types.values():
        arr = ct.arrivals
        per_year = (
            arr.per_year
            if arr.process == "poisson"
            else (len(arr.days) * 365.0 / scenario.scenario.horizon_days)
        )
        for iid in ct.items:
            it = scenario.items[iid]
            if it.department is None:
                continue
            restart = 0
            passes = 1.0
            if it.correction is not None:
                passes = expected_passes(it.correction.probability, it.correction.max_rounds)
                if it.correction.from_step is not None:
                    restart = [s.name for s in it.steps].index(it.correction.from_step)
            for s, step in enumerate(it.steps):
                if step.effort is not None:
                    n = passes if s >= restart else 1.0
                    demand[it.department] += per_year * n * step.effort.mean * ct.size.mean
    out = []
    for dep, work in demand.items():
        cap = open_hours_per_year(scenario, dep)
        out.append(Load(dep, scenario.departments[dep].staff, work, cap, work / cap))
    return out
