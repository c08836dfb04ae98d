"""Queueing theory: exact formulas, the traffic equations, and every department's load.

The formulas (Erlang C for M/M/c, Pollaczek-Khinchine for M/G/1, the Allen-Cunneen
approximation for M/G/c) are the yardsticks the model is tested against, and the estimates printed
beside the simulated waits after a run.

:func:`offered_load` reads only the scenario and compares the staff hours demanded with the staff
hours open, so that an overloaded department (load >= 1: a queue that grows without bound) is
reported before anything runs. The demand counts every visit an item gets, however it came back:

* the **traffic equations** give the expected visits of each item per case. A case needs item
  ``j`` with probability ``pi_j`` (its ``probability``, the shares of the flags its ``when``
  names, the chance a branch chooses it); every visit of an item ``i`` draws its route afresh,
  and a loop (``rework`` or ``next`` to ``i`` itself or an earlier item) taken with probability
  ``p`` hands in again the loop's target and every item between it and ``i`` (and a branch
  whose choice is redone is drawn again). So the expected visits ``v`` solve the linear system
  ``v = pi + M v`` with ``M[j, i]`` the chance that a visit of ``i`` sends ``j`` round again
  (``p`` for ``i`` itself, ``p * pi_j`` for another item, which a case handles again only if it
  needs it at all; a branch runs again with its route's probability). It is solved with
  ``numpy.linalg`` for any loop structure; a loop taken with certainty has no solution (visits
  without end: the load is infinite).
* **corrections** (补正) are rounds within a visit: the steps from ``from_step`` on are reviewed
  ``1 / (1 - p)`` times on average (``1 + p + ... + p^max_rounds`` with a cap).
* the **case size** scales every effort; **regionally assessed** cases use their item's
  ``assessed_steps`` (an empty list: the item is not needed).

Safety caps on loops (``Rework.max_rounds``, ``Item.max_visits``) are not counted: with a cap that
binds, the load here is an upper bound. Items handled in parallel with a loop's redo (still in
work when the case is sent back) are not redone by the engine; the equations count them again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from sim.scenario.schema import Scenario

HOURS_PER_YEAR = 24.0 * 365.0


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


def allen_cunneen_wait(
    arrival_rate: float, mean_service: float, scv_service: float, servers: int, scv_arrival=1.0
) -> float:
    """Allen-Cunneen mean time in queue of a G/G/c queue; ``inf`` when unstable.

    The M/M/c wait scaled by ``(ca^2 + cs^2) / 2`` (squared coefficients of variation of the
    gaps between arrivals and of the service times). Exact for M/M/c (both 1) and for M/G/1
    (Pollaczek-Khinchine); an approximation otherwise (Allen, *Probability, Statistics and
    Queueing Theory*, 2nd ed., 1990, sec. 6.6).
    """
    if mean_service <= 0:
        return 0.0
    mmc = mmc_mean_wait(arrival_rate, 1.0 / mean_service, servers)
    return mmc * (scv_arrival + scv_service) / 2.0


def expected_passes(probability: float, max_rounds: int | None) -> float:
    """Expected number of reviews of a file sent back with ``probability`` each time.

    At most ``max_rounds`` corrections: 1 + p + p^2 + ... + p^max_rounds; without a cap the
    geometric sum 1 / (1 - p) (infinite for p = 1: the file never passes).
    """
    if max_rounds is None:
        return math.inf if probability >= 1 else 1.0 / (1.0 - probability)
    return sum(probability**r for r in range(max_rounds + 1))


# --------------------------------------------------------------------------- traffic equations


def _flag_share(shares: Mapping[str, float], when: Iterable[str]) -> float:
    """The chance a case has every flag ``when`` asks for (``!flag``: has it not)."""
    p = 1.0
    for test in when:
        share = shares.get(test.removeprefix("!"), 0.0)
        p *= (1.0 - share) if test.startswith("!") else share
    return p


def visits_per_case(scenario: Scenario) -> dict[str, dict[str, float]]:
    """Expected visits of every item per case, by case type: the traffic equations' solution.

    ``inf`` for the items of a case type whose loops never end (a loop taken with certainty).
    """
    from sim.model.plan import compile_plan

    plan = compile_plan(scenario)
    out: dict[str, dict[str, float]] = {}
    for cp in plan.cases:
        ct = scenario.case_types[cp.type_id]
        shares = ct.flag_shares
        n = len(cp.items)
        need = np.ones(n)
        for j, it in enumerate(cp.items):
            spec = scenario.items[it.id]
            need[j] = it.probability * _flag_share(shares, spec.when)
            if spec.assessed_steps is not None and not spec.assessed_steps:
                need[j] *= 1.0 - shares.get("assessed", 0.0)
        probs = [_route_probabilities(scenario, cp.items[i].id, cp, i) for i in range(n)]
        # a gated item runs when a branch (a route to a later item) chooses it
        missed = np.ones(n)
        makers: list[set[int]] = [set() for _ in range(n)]
        for i, routes in enumerate(cp.routes):
            for r, p in zip(routes, probs[i], strict=True):
                if not r.loop:
                    missed[r.target] *= 1.0 - need[i] * p
                    makers[r.target].add(i)
        gate = np.where(cp.gated, 1.0 - missed, 1.0)
        m = np.zeros((n, n))
        for i, routes in enumerate(cp.routes):
            for r, p in zip(routes, probs[i], strict=True):
                if not r.loop:
                    continue
                redo = set(r.reset)
                # a redone choice opens its branches again: the one it takes this time runs
                redo |= {j for j in range(n) if makers[j] & redo}
                for j in redo:
                    if j == i:  # it ran: it runs again unless its branch is drawn again
                        m[j, i] += p * (gate[j] if makers[j] & redo else 1.0)
                    else:
                        m[j, i] += p * need[j] * gate[j]
        need = need * gate
        out[cp.type_id] = {it.id: float(x) for it, x in zip(cp.items, _solve(m, need), strict=True)}
    return out


def _route_probabilities(scenario: Scenario, item: str, cp, i: int) -> list[float]:
    """The probability of each of the compiled routes of item ``i`` (rework first, then next).

    Routes to items the case type does not need were dropped when compiling; they carry on.
    """
    spec = scenario.items[item]
    choice = []
    if spec.rework is not None:
        choice.append((spec.rework.to, spec.rework.probability))
    choice += [(r.to, r.probability) for r in spec.next]
    present = {it.id for it in cp.items}
    probs = [p for to, p in choice if to in present]
    assert len(probs) == len(cp.routes[i])
    return probs


def _solve(m: np.ndarray, need: np.ndarray) -> np.ndarray:
    """Solve ``v = need + m v``; ``inf`` for the items on loops that never end."""
    n = len(need)
    a = np.eye(n) - m
    if n == 0:
        return need
    rho = max(abs(np.linalg.eigvals(m))) if m.any() else 0.0
    if rho < 1 - 1e-12:
        return np.linalg.solve(a, need)
    # a loop that never ends: every item it (or a loop through it) sends round is unbounded
    v = need.copy()
    endless = {j for j in range(n) if m[:, j].any() or m[j, :].any()}
    for j in endless:
        v[j] = math.inf if need[j] > 0 or m[j, :].any() else 0.0
    return v


def arrivals_per_year(scenario: Scenario, type_id: str) -> float:
    """Expected arrivals a year of a case type (a listed process: those inside the horizon)."""
    arr = scenario.case_types[type_id].arrivals
    horizon = scenario.scenario.horizon_days
    if arr.process == "poisson":
        return float(arr.per_year)
    inside = sum(1 for d in arr.days if d < horizon)
    return inside * 365.0 / horizon


@dataclass
class _Stream:
    """Tasks of one kind arriving at a department: rate a year, and effort moments (hours)."""

    per_year: float = 0.0
    hours: float = 0.0  # staff hours a year
    second: float = 0.0  # sum of rate * E[effort^2]


@dataclass(frozen=True)
class Load:
    """Demand against capacity of one department, per year."""

    department: str
    staff: int
    demand_hours: float  # staff hours of work arriving per year
    open_hours: float  # staff hours open per year
    load: float  # demand / capacity; >= 1 means the queue grows without bound
    tasks_per_year: float = 0.0  # tasks arriving per year (every visit and correction round)
    effort_second_moment: float = 0.0  # E[effort^2] of a task, hours^2
    always_open: bool = False
    poisson: bool = False  # its tasks arrive as a Poisson stream (or the network is Jackson's)
    by_item: Mapping[str, float] = field(default_factory=dict)  # staff hours a year per item

    @property
    def stable(self) -> bool:
        """Whether the department can keep up with its work in the long run."""
        return self.load < 1

    @property
    def staff_needed(self) -> int:
        """The fewest staff that bring the load below 1 (the same hours and work)."""
        if self.staff == 0 or not math.isfinite(self.load):
            return 0 if self.demand_hours == 0 else 10**9
        per_staff = self.open_hours / self.staff
        return int(math.floor(self.demand_hours / per_staff)) + 1 if per_staff > 0 else 10**9

    @property
    def mean_effort(self) -> float:
        """Mean staff hours of one task."""
        return self.demand_hours / self.tasks_per_year if self.tasks_per_year else math.nan

    @property
    def backlog_growth_per_year(self) -> float:
        """Tasks added to the queue a year when overloaded (0 when stable)."""
        if self.stable or not self.tasks_per_year:
            return 0.0
        if not math.isfinite(self.demand_hours):
            return math.inf
        return (self.demand_hours - self.open_hours) / self.mean_effort

    def theory_wait_h(self) -> tuple[str, float]:
        """The mean wait in queue that queueing theory gives, and the formula's name.

        Only for departments it covers: open round the clock and fed by Poisson arrivals — the
        first task of Poisson cases (an M/G/c queue: exact for one staff, the Allen-Cunneen
        approximation for more), or any node of an open Jackson network (product form: Erlang C
        exact). ``("", nan)`` otherwise.
        """
        if not (self.always_open and self.poisson and self.tasks_per_year and self.staff):
            return "", math.nan
        lam = self.tasks_per_year / HOURS_PER_YEAR
        mean = self.mean_effort
        scv = max(0.0, self.effort_second_moment / mean**2 - 1.0) if mean > 0 else 0.0
        if abs(scv - 1.0) < 1e-9:
            name = "Erlang C"
        elif self.staff == 1:
            name = "Pollaczek-Khinchine"
        else:
            name = "Allen-Cunneen"
        return name, allen_cunneen_wait(lam, mean, scv, self.staff)


def open_hours_per_year(scenario: Scenario, department: str, working_days: float = 250) -> float:
    """Open staff hours a year: office hours a day times working days (about 250 in China).

    Kept for callers that want the round figure; :func:`offered_load` counts the scenario's own
    calendar over its horizon.
    """
    dep = scenario.departments[department]
    hours = dep.hours
    per_day = 24.0 if hours is None else sum(b - a for a, b in hours)
    days = 365.0 if hours is None else working_days
    return per_day * days * dep.staff


def calendar_open_hours_per_year(scenario: Scenario, department: str) -> float:
    """Open staff hours a year on the scenario's working-day calendar over its horizon."""
    from sim.model.workcal import OfficeClock, WorkCalendar

    info = scenario.scenario
    dep = scenario.departments[department]
    if dep.hours is None:
        return HOURS_PER_YEAR * dep.staff
    cal = WorkCalendar(info.start, int(info.horizon_days) + 2)
    horizon_h = info.horizon_days * 24.0
    return OfficeClock(cal, dep.hours).open_hours(horizon_h) / info.horizon_days * 365.0 * dep.staff


def _dist_second(dist) -> float:
    return dist.variance + dist.mean**2


def offered_load(scenario: Scenario) -> list[Load]:
    """The offered load of every department, from the traffic equations (module docstring)."""
    from sim.model.plan import compile_plan

    visits = visits_per_case(scenario)
    streams = {d: _Stream() for d in scenario.departments}
    by_item: dict[str, dict[str, float]] = {d: {} for d in scenario.departments}
    external = dict.fromkeys(scenario.departments, True)  # only the cases' first tasks
    plan = compile_plan(scenario)
    roots = {cp.type_id: {cp.items[i].id for i in cp.roots} for cp in plan.cases}
    jackson = _jackson(scenario, plan)
    for type_id, per_item in visits.items():
        ct = scenario.case_types[type_id]
        rate = arrivals_per_year(scenario, type_id)
        size1, size2 = ct.size.mean, _dist_second(ct.size)
        assessed = ct.flag_shares.get("assessed", 0.0)
        for iid, v in per_item.items():
            it = scenario.items[iid]
            if v == 0:
                continue
            variants = [(it.steps, 1.0 - assessed if it.assessed_steps is not None else 1.0)]
            if it.assessed_steps:
                variants.append((it.assessed_steps, assessed))
            restart = 0
            passes = 1.0
            if it.correction is not None:
                passes = expected_passes(it.correction.probability, it.correction.max_rounds)
            for steps, weight in variants:
                if weight <= 0:
                    continue
                if it.correction is not None and it.correction.from_step is not None:
                    names = [s.name for s in steps]
                    restart = (
                        names.index(it.correction.from_step)
                        if (it.correction.from_step in names)
                        else 0
                    )
                for s, step in enumerate(steps):
                    if step.effort is None:
                        continue
                    dep = step.department or it.department
                    if dep is None:
                        continue
                    n = passes if s >= restart else 1.0
                    tasks = rate * v * weight * n
                    st = streams[dep]
                    st.per_year += tasks
                    hours = tasks * step.effort.mean * size1
                    st.hours += hours
                    st.second += tasks * _dist_second(step.effort) * size2
                    by_item[dep][iid] = by_item[dep].get(iid, 0.0) + hours
                    first = (
                        s == 0
                        and iid in roots[type_id]
                        and it.correction is None
                        and math.isclose(v, it.probability)
                        and ct.arrivals.process == "poisson"
                    )
                    if not first:
                        external[dep] = False
    out = []
    for dep, st in streams.items():
        spec = scenario.departments[dep]
        cap = calendar_open_hours_per_year(scenario, dep)
        work = st.hours
        load = work / cap if cap > 0 else (math.inf if work > 0 else 0.0)
        out.append(
            Load(
                department=dep,
                staff=spec.staff,
                demand_hours=work,
                open_hours=cap,
                load=load,
                tasks_per_year=st.per_year,
                effort_second_moment=st.second / st.per_year if st.per_year else 0.0,
                always_open=spec.hours is None,
                poisson=external[dep] or jackson,
                by_item=dict(by_item[dep]),
            )
        )
    return out


def _jackson(scenario: Scenario, plan) -> bool:
    """Whether the scenario is an open Jackson network (product form: every node M/M/c).

    Poisson arrivals, departments open round the clock, one exponential effort step per item
    (no elapsed steps, no corrections), equal priorities, and no fork or join: each item of a case
    type has at most one prerequisite and at most one successor that always runs.
    """
    if any(ct.arrivals.process != "poisson" for ct in scenario.case_types.values()):
        return False
    if any(dep.hours is not None for dep in scenario.departments.values()):
        return False
    if len({ct.priority for ct in scenario.case_types.values()}) > 1:
        return False
    for it in scenario.items.values():
        if it.correction is not None or len(it.steps) != 1 or it.assessed_steps is not None:
            return False
        effort = it.steps[0].effort
        if effort is None or effort.dist != "exponential":
            return False
    for cp in plan.cases:
        for i in range(len(cp.items)):
            plain = [j for j in cp.succs[i] if not cp.gated[j]]
            if len(cp.preds[i]) > 1 or len(plain) > 1:
                return False
    return True


def overloaded(loads: Iterable[Load]) -> list[Load]:
    """The departments at or above 100% load."""
    return [ld for ld in loads if not ld.stable]


def overload_lines(loads: Iterable[Load], where: str = "") -> list[str]:
    """One line per overloaded department: its load, its work and the staff it would need."""
    lines = []
    for ld in overloaded(loads):
        need = ld.staff_needed
        needs = f"needs at least {need} staff (has {ld.staff})" if need < 10**9 else "no staff"
        work = f"{ld.demand_hours:,.0f}" if math.isfinite(ld.demand_hours) else "unbounded"
        lines.append(
            f"{where}department {ld.department!r} is overloaded: load {ld.load:.2f} >= 1 "
            f"({work} staff hours of work a year for {ld.open_hours:,.0f} open, rework and "
            f"corrections counted); it {needs}: its queue grows without bound"
        )
    return lines


# --------------------------------------------------------------------------- after a run


def theory_waits(scenario: Scenario, departments) -> list[dict]:
    """Queueing theory's mean wait beside the simulated one, for the departments it covers.

    ``departments`` is a run's department table (one row per department and replication, or
    one replication's). Only departments open round the clock and fed by Poisson arrivals are
    listed (see :meth:`Load.theory_wait_h`): ``department``, ``formula``, ``theory_wait_h``,
    ``simulated_wait_h`` (mean over replications), ``load``.
    """
    simulated = departments.groupby("department", observed=True)["mean_wait_h"].mean()
    out = []
    for ld in offered_load(scenario):
        formula, wait = ld.theory_wait_h()
        if not formula or ld.department not in simulated.index:
            continue
        out.append(
            {
                "department": ld.department,
                "formula": formula,
                "theory_wait_h": wait,
                "simulated_wait_h": float(simulated[ld.department]),
                "load": ld.load,
            }
        )
    return out


@dataclass(frozen=True)
class Backlog:
    """Cases still open at the horizon and how fast their number grew over the window."""

    open_cases: float  # mean over replications
    growth_per_year: float  # slope of the number of open cases, cases a year (mean)

    def line(self) -> str:
        """One sentence for the command line."""
        return (
            f"the queue was still growing at the horizon: {self.open_cases:,.0f} cases open, "
            f"growing by about {self.growth_per_year:,.0f} a year"
        )


def backlog(cases, warmup_h: float, horizon_h: float) -> Backlog:
    """Open cases at the horizon and their growth rate (least squares over the window).

    ``cases`` is a cases table (several replications stacked with a ``replication`` column, or
    one). The number of open cases ``N(t)`` (arrived by ``t`` and not finished by ``t``) is
    sampled once a day between the warm-up and the horizon; its slope is the backlog's growth.
    Both are means over replications.
    """
    groups = cases.groupby("replication") if "replication" in cases else [(0, cases)]
    opens, slopes = [], []
    t = np.arange(warmup_h, horizon_h + 1e-9, 24.0)
    if len(t) < 2:
        t = np.array([warmup_h, horizon_h])
    for _, c in groups:
        arrive = np.sort(c["arrival_h"].to_numpy(float))
        finish = np.sort(np.nan_to_num(c["finish_h"].to_numpy(float), nan=np.inf))
        n = np.searchsorted(arrive, t, side="right") - np.searchsorted(finish, t, side="right")
        opens.append(float(n[-1]))
        slopes.append(float(np.polyfit(t, n, 1)[0]) * HOURS_PER_YEAR if t[-1] > t[0] else 0.0)
    return Backlog(float(np.mean(opens)), float(np.mean(slopes)))
