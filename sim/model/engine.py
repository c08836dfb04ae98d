"""The SimPy world built from one scenario and one seed.

**Departments** are staffed resources. A department keeps its own priority queue (higher case
priority first, then first come first served) and a count of free staff. When a staff member takes
a task up, the department computes from its office clock when the effort will be done — work
advances only in office hours on working days — and schedules a single SimPy timeout for that
moment. A task therefore costs one event, however many evenings, weekends and holidays it spans.

**Cases** walk the precedence graph of their items. Items whose prerequisites are done are
submitted together (fork); an item waits for all its prerequisites (join). Each item runs its steps
in order: ``effort`` steps queue at the item's department, ``delay`` steps pass elapsed time that
holds nobody. After the last step the file may come back for correction (补正): the applicant
takes the turnaround time, resubmits (a trip), and the item restarts from the configured step at
the back of the queue. A finished item may send the case back to an earlier item (rework): that
item and everything between it and this one are handled again. A file leaving a department
outside the zone takes the department's transfer time to reach the next one.

**Trips.** Each in-person submission to an ``office`` department is one trip; in-person
submissions to ``zone`` departments on the same day share one trip. Applicant items and online
submissions cost none.

**Randomness** comes from :mod:`sim.model.streams`: every draw is tied to a case (its type and
index), an item, a step and an attempt, never to the order of events, so scenarios run with the
same seed share their random numbers (common random numbers).

Cases are driven by callbacks rather than one generator process per case: a SimPy process costs
several events per resource use, and the citizen-service scenarios move close to a million items a
year. The case's verbs are named for what it does: ``submit_item``, ``run_step``,
``review_outcome``, ``return_for_correction``, ``complete_item``, ``send_back_for_rework``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import simpy
from simpy.events import Timeout

from sim.model.streams import Streams
from sim.model.trace import Trace, TraceRecorder
from sim.model.workcal import HOURS_PER_DAY, OfficeClock, WorkCalendar
from sim.scenario.schema import Scenario

_KIND_APPLICANT = "applicant"


@dataclass(frozen=True)
class StepPlan:
    """A step compiled for the engine."""

    name: str
    effort: Any  # a distribution or None
    delay: Any
    unit: str


@dataclass(frozen=True)
class ItemPlan:
    """An item compiled for the engine: its department object and steps."""

    id: str
    code: int
    stage: int | None
    department: Department | None
    steps: tuple[StepPlan, ...]
    government: bool  # False for the applicant's own work
    in_person: bool
    transfer_days: float
    correction: Any
    restart_step: int
    rework: Any


@dataclass(frozen=True)
class CasePlan:
    """The precedence graph of one case type, restricted to the items it needs."""

    type_id: str
    code: int
    items: tuple[ItemPlan, ...]
    preds: tuple[tuple[int, ...], ...]
    succs: tuple[tuple[int, ...], ...]
    roots: tuple[int, ...]
    rework_set: tuple[tuple[int, ...] | None, ...]  # items handled again, target first
    rework_target: tuple[int, ...]
    priority: int


def _case_graph(sc: Scenario, items: tuple[str, ...]) -> tuple[list[set[str]], list[set[str]]]:
    """Nearest predecessors within ``items`` through requires/after edges of absent items."""
    present = set(items)
    preds: list[set[str]] = []
    for iid in items:
        found: set[str] = set()
        seen: set[str] = set()
        todo = list((*sc.items[iid].requires, *sc.items[iid].after))
        while todo:
            pre = todo.pop()
            if pre in seen:
                continue
            seen.add(pre)
            if pre in present:
                found.add(pre)
            else:
                todo.extend((*sc.items[pre].requires, *sc.items[pre].after))
        preds.append(found)
    index = {iid: n for n, iid in enumerate(items)}
    succs: list[set[str]] = [set() for _ in items]
    for n, ps in enumerate(preds):
        for p in ps:
            succs[index[p]].add(items[n])
    return preds, succs


def _closure(start: int, edges: tuple[tuple[int, ...], ...]) -> set[int]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in edges[todo.pop()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


class Department:
    """A staffed resource with office hours and a priority queue (see module docstring)."""

    __slots__ = ("model", "id", "code", "spec", "clock", "free", "queue", "_seq", "_env",
                 "_timeout")

    def __init__(self, model: Model, dep_id: str, code: int, spec: Any, clock: OfficeClock):
        self.model = model
        self.id = dep_id
        self.code = code
        self.spec = spec
        self.clock = clock
        self.free = spec.staff
        self.queue: list[tuple[int, int, tuple]] = []
        self._seq = 0
        self._env = model.env

    def review(self, case: Case, item: int, step: int, effort: float) -> None:
        """Queue one task of ``effort`` staff hours for ``case``; it starts when staff is free."""
        now = self._env._now
        task = (case, item, step, effort, now)
        if self.free:
            self.free -= 1
            self._take_up(task, now)
        else:
            self._seq += 1
            heapq.heappush(self.queue, (-case.priority, self._seq, task))

    def _take_up(self, task: tuple, now: float) -> None:
        case, item, step, effort, queued = task
        clock = self.clock
        if clock.always:
            started, end = now, now + effort
        else:
            started = clock.next_open(now)
            end = clock.finish(now, effort)
        self.model.recorder.task(case, item, step, self.code, queued, started, end, effort)
        ev = Timeout(self._env, end - now, task)
        ev.callbacks.append(self._done)

    def _done(self, ev: Timeout) -> None:
        case, item, step, _, _ = ev._value
        if self.queue:
            self._take_up(heapq.heappop(self.queue)[2], self._env._now)
        else:
            self.free += 1
        case.finish_step(item, step)


class Case:
    """One project (or citizen's request) walking its items' precedence graph."""

    __slots__ = ("model", "id", "plan", "k", "arrival", "priority", "size", "state", "attempt",
                 "corrections_of", "reworks_of", "n_done", "trips", "corrections", "reworks",
                 "zone_days", "gov_active", "idle_since", "applicant_wd", "stage_start",
                 "stage_end", "finished")

    def __init__(self, model: Model, case_id: int, plan: CasePlan, k: int, arrival: float,
                 size: float):
        n = len(plan.items)
        self.model = model
        self.id = case_id
        self.plan = plan
        self.k = k
        self.arrival = arrival
        self.priority = plan.priority
        self.size = size
        self.state = [0] * n  # 0 waiting, 1 in hand, 2 done
        self.attempt = [0] * n
        self.corrections_of = [0] * n
        self.reworks_of = [0] * n
        self.n_done = 0
        self.trips = 0
        self.corrections = 0
        self.reworks = 0
        self.zone_days: set[int] = set()
        self.gov_active = 0
        self.idle_since = arrival
        self.applicant_wd = 0.0
        self.stage_start = [np.nan] * 5
        self.stage_end = [np.nan] * 5
        self.finished = np.nan

    # -- the walk -------------------------------------------------------------------------------

    def start(self) -> None:
        """Submit every item without prerequisites (the first fork)."""
        for i in self.plan.roots:
            self.submit_item(i)

    def submit_item(self, i: int) -> None:
        """Hand item ``i`` in: count the trip, open its stage, run its first step."""
        now = self.model.env._now
        it = self.plan.items[i]
        self.state[i] = 1
        if it.government:
            self._government_busy(now)
        if it.stage is not None and not self.stage_start[it.stage] <= now:
            self.stage_start[it.stage] = now
        self._count_trip(it, now)
        self.run_step(i, 0)

    def run_step(self, i: int, s: int) -> None:
        """Start step ``s`` of item ``i``: queue its effort, or let its delay pass."""
        it = self.plan.items[i]
        step = it.steps[s]
        model = self.model
        if step.effort is not None:
            effort = model.draw(("effort", self.plan.type_id, it.id, s, self.attempt[i]),
                                step.effort, self.plan.code, self.k) * self.size
            it.department.review(self, i, s, effort)
        else:
            value = model.draw(("delay", self.plan.type_id, it.id, s, self.attempt[i]),
                               step.delay, self.plan.code, self.k)
            model.after_delay(value, step.unit, self.finish_step, i, s)

    def finish_step(self, i: int, s: int) -> None:
        """Step ``s`` of item ``i`` is done: run the next one, or decide the review's outcome."""
        if s + 1 < len(self.plan.items[i].steps):
            self.run_step(i, s + 1)
        else:
            self.review_outcome(i)

    def review_outcome(self, i: int) -> None:
        """After the last step the file passes, or comes back for correction."""
        it = self.plan.items[i]
        corr = it.correction
        if corr is not None and self.corrections_of[i] < corr.max_rounds:
            u = self.model.uniform(("correction", self.plan.type_id, it.id,
                                    self.corrections_of[i]), self.plan.code, self.k)
            if u < corr.probability:
                self.return_for_correction(i)
                return
        self.complete_item(i)

    def return_for_correction(self, i: int) -> None:
        """The applicant corrects the file (turnaround), resubmits it, and review restarts."""
        it = self.plan.items[i]
        rounds = self.corrections_of[i]
        self.corrections_of[i] = rounds + 1
        self.corrections += 1
        value = self.model.draw(("turnaround", self.plan.type_id, it.id, rounds),
                                it.correction.turnaround, self.plan.code, self.k)
        self.model.after_delay(value, it.correction.turnaround.unit or "working_days",
                               self.resubmit, i, 0)

    def resubmit(self, i: int, _: int) -> None:
        """The corrected file is handed in again (a trip) and joins the back of the queue."""
        it = self.plan.items[i]
        self.attempt[i] += 1
        self._count_trip(it, self.model.env._now)
        self.run_step(i, it.restart_step)

    def complete_item(self, i: int) -> None:
        """The item is issued; it may send the case back, and its file may need transfer."""
        it = self.plan.items[i]
        rw = it.rework
        if rw is not None and self.plan.rework_set[i] is not None and (
                self.reworks_of[i] < rw.max_rounds):
            u = self.model.uniform(("rework", self.plan.type_id, it.id, self.reworks_of[i]),
                                   self.plan.code, self.k)
            if u < rw.probability:
                self.send_back_for_rework(i)
                return
        if it.transfer_days > 0:
            self.model.after_delay(it.transfer_days, "working_days", self._item_done, i, 0)
        else:
            self._item_done(i, 0)

    def send_back_for_rework(self, i: int) -> None:
        """Redo the rework target and every item between it and item ``i``."""
        now = self.model.env._now
        self.reworks_of[i] += 1
        self.reworks += 1
        redo = self.plan.rework_set[i]
        for j in redo:
            if self.state[j] == 2:
                self.n_done -= 1
            self.state[j] = 0
            self.attempt[j] += 1
        if self.plan.items[i].government:
            self._government_idle(now)
        self.submit_item(redo[0])

    def _item_done(self, i: int, _: int) -> None:
        now = self.model.env._now
        it = self.plan.items[i]
        self.state[i] = 2
        self.n_done += 1
        if it.government:
            self._government_idle(now)
        if it.stage is not None and not self.stage_end[it.stage] >= now:
            self.stage_end[it.stage] = now
        if self.n_done == len(self.state):
            self._close(now)
            return
        state, preds = self.state, self.plan.preds
        for j in self.plan.succs[i]:
            if state[j] == 0 and all(state[p] == 2 for p in preds[j]):
                self.submit_item(j)

    # -- bookkeeping ----------------------------------------------------------------------------

    def _count_trip(self, it: ItemPlan, now: float) -> None:
        if not it.in_person:
            return
        if it.department.spec.location == "zone":
            day = int(now // HOURS_PER_DAY)
            if day in self.zone_days:
                return
            self.zone_days.add(day)
        self.trips += 1

    def _government_busy(self, now: float) -> None:
        if self.gov_active == 0 and now > self.idle_since:
            cal = self.model.calendar
            self.applicant_wd += cal.wd(now) - cal.wd(self.idle_since)
        self.gov_active += 1

    def _government_idle(self, now: float) -> None:
        self.gov_active -= 1
        if self.gov_active == 0:
            self.idle_since = now

    def _close(self, now: float) -> None:
        self.finished = now
        if self.gov_active == 0 and now > self.idle_since:
            cal = self.model.calendar
            self.applicant_wd += cal.wd(now) - cal.wd(self.idle_since)
        self.model.recorder.case(self)


class Model:
    """One replication of one scenario: build with a scenario and a seed, then :meth:`run`."""

    def __init__(self, scenario: Scenario, seed: int | None = None, replication: int = 0):
        self.scenario = sc = scenario
        self.seed = sc.experiment.seed if seed is None else int(seed)
        self.replication = replication
        self.env = simpy.Environment()
        info = sc.scenario
        self.horizon_h = info.horizon_days * HOURS_PER_DAY
        self.warmup_h = info.warmup_days * HOURS_PER_DAY
        self.end_h = (info.horizon_days + info.drain_days) * HOURS_PER_DAY
        self.calendar = WorkCalendar(info.start, int(info.horizon_days + info.drain_days) + 60)
        self.streams = Streams(self.seed, replication)
        self._variates: dict[tuple, np.ndarray] = {}
        self.dep_ids = tuple(sc.departments)
        self.departments = {
            d: Department(self, d, n, spec, OfficeClock(self.calendar, spec.hours))
            for n, (d, spec) in enumerate(sc.departments.items())
        }
        self.item_ids = tuple(sc.items)
        self._items = {iid: self._compile_item(n, iid) for n, iid in enumerate(self.item_ids)}
        self.type_ids = tuple(sc.case_types)
        self.plans = [self._compile_case(n, t) for n, t in enumerate(self.type_ids)]
        self.arrivals = [self._arrival_times(t) for t in self.type_ids]
        self.counts = [len(a) for a in self.arrivals]
        self.recorder = TraceRecorder()
        self._ran = False

    # -- compilation ----------------------------------------------------------------------------

    def _compile_item(self, code: int, iid: str) -> ItemPlan:
        it = self.scenario.items[iid]
        dep = self.departments[it.department] if it.department is not None else None
        steps = tuple(
            StepPlan(s.name, s.effort, s.delay,
                     (s.delay.unit or "working_days") if s.delay is not None else "hours")
            for s in it.steps
        )
        government = it.kind != _KIND_APPLICANT
        online = it.submitted_online
        restart = 0
        if it.correction is not None and it.correction.from_step is not None:
            restart = [s.name for s in it.steps].index(it.correction.from_step)
        return ItemPlan(
            id=iid, code=code, stage=it.stage, department=dep, steps=steps,
            government=government, in_person=government and not online,
            transfer_days=0.0 if (dep is None or online) else dep.spec.transfer_days,
            correction=it.correction, restart_step=restart, rework=it.rework,
        )

    def _compile_case(self, code: int, type_id: str) -> CasePlan:
        ct = self.scenario.case_types[type_id]
        ids = ct.items
        index = {iid: n for n, iid in enumerate(ids)}
        pred_names, succ_names = _case_graph(self.scenario, ids)
        preds = tuple(tuple(sorted(index[p] for p in ps)) for ps in pred_names)
        succs = tuple(tuple(sorted(index[s] for s in ss)) for ss in succ_names)
        rework_set: list[tuple[int, ...] | None] = []
        targets: list[int] = []
        for n, iid in enumerate(ids):
            rw = self.scenario.items[iid].rework
            if rw is None or rw.to not in index:
                rework_set.append(None)
                targets.append(-1)
                continue
            t = index[rw.to]
            between = _closure(t, succs) & _closure(n, preds)
            order = [t] + sorted(between - {t})
            rework_set.append(tuple(order))
            targets.append(t)
        return CasePlan(
            type_id=type_id, code=code, items=tuple(self._items[i] for i in ids),
            preds=preds, succs=succs, roots=tuple(n for n, p in enumerate(preds) if not p),
            rework_set=tuple(rework_set), rework_target=tuple(targets), priority=ct.priority,
        )

    def _arrival_times(self, type_id: str) -> np.ndarray:
        arr = self.scenario.case_types[type_id].arrivals
        if arr.process == "list":
            t = np.sort(np.asarray(arr.days, dtype=float)) * HOURS_PER_DAY
            return t[t < self.horizon_h]
        mean_gap = 365.0 * HOURS_PER_DAY / arr.per_year
        n = int(self.horizon_h / mean_gap * 1.2) + 64
        key = ("arrivals", type_id)
        while True:
            u = self.streams.uniforms(key, n)
            t = np.cumsum(-mean_gap * np.log1p(-u))
            if t[-1] >= self.horizon_h:
                return t[t < self.horizon_h]
            n *= 2

    # -- draws and delays -----------------------------------------------------------------------

    def draw(self, key: tuple, dist: Any, type_code: int, k: int) -> float:
        """The k-th case's variate of stream ``key`` under ``dist`` (batch-drawn, cached)."""
        arr = self._variates.get(key)
        if arr is None:
            arr = self._variates[key] = dist.ppf(
                self.streams.uniforms(key, self.counts[type_code]))
        return float(arr[k])

    def uniform(self, key: tuple, type_code: int, k: int) -> float:
        """The k-th case's uniform of stream ``key``."""
        return float(self.streams.uniforms(key, self.counts[type_code])[k])

    def after_delay(self, value: float, unit: str, then: Callable[[int, int], None],
                    i: int, s: int) -> None:
        """Call ``then(i, s)`` once an elapsed delay of ``value`` ``unit`` has passed."""
        now = self.env._now
        if unit == "working_days":
            end = self.calendar.add_working_days(now, value)
        elif unit == "calendar_days":
            end = now + value * HOURS_PER_DAY
        else:
            end = now + value
        ev = Timeout(self.env, end - now)
        ev.callbacks.append(lambda _ev: then(i, s))

    # -- running --------------------------------------------------------------------------------

    def _arrive(self):
        """The arrival process: every case of every type, in time order."""
        times = np.concatenate(self.arrivals) if self.arrivals else np.empty(0)
        types = np.concatenate([np.full(len(a), n) for n, a in enumerate(self.arrivals)])
        order = np.argsort(times, kind="stable")
        ks = np.concatenate([np.arange(len(a)) for a in self.arrivals])
        sizes = [self._sizes(n) for n in range(len(self.plans))]
        env = self.env
        for case_id, j in enumerate(order.tolist()):
            t = float(times[j])
            if t > env._now:
                yield Timeout(env, t - env._now)
            n, k = int(types[j]), int(ks[j])
            case = Case(self, case_id, self.plans[n], k, t, float(sizes[n][k]))
            self.recorder.arrival(case)
            case.start()

    def _sizes(self, n: int) -> np.ndarray:
        type_id = self.type_ids[n]
        dist = self.scenario.case_types[type_id].size
        return dist.ppf(self.streams.uniforms(("size", type_id), self.counts[n]))

    def run(self) -> Trace:
        """Run the replication to the end of the horizon plus drain, and return its trace."""
        if self._ran:
            raise RuntimeError("a Model runs once; build a new one for another replication")
        self._ran = True
        self.env.process(self._arrive())
        self.env.run(until=self.end_h)
        return self.recorder.build(self)
