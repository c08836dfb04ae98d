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
from simpy.core import NORMAL
from simpy.events import Event

from sim.model.streams import Streams
from sim.model.trace import Trace, TraceRecorder
from sim.model.workcal import HOURS_PER_DAY, OfficeClock, WorkCalendar
from sim.scenario.load import reachable
from sim.scenario.schema import Scenario

_KIND_APPLICANT = "applicant"
# what an elapsed spell of the activity table is
KIND_DELAY, KIND_APPLICANT, KIND_CORRECTION, KIND_TRANSFER, KIND_STALL = range(5)
ACTIVITY_KINDS = ("delay", "applicant", "correction", "transfer", "stall")
_NAN8 = [np.nan] * 8  # stage starts 1-4 at [0:4], stage ends 1-4 at [4:8]


class Wake(Event):
    """A SimPy event that fires after ``delay`` with one callback: the engine's only event.

    It is a :class:`simpy.events.Event` scheduled on the environment like a ``Timeout``, minus
    the checks and the separate ``callbacks.append`` that a hot path pays for twice a task.
    """

    __slots__ = ()

    def __init__(
        self, env: simpy.Environment, delay: float, value: Any, callback: Callable[[Event], None]
    ):
        self.env = env
        self.callbacks = [callback]
        self._value = value
        self._ok = True
        env.schedule(self, NORMAL, delay)


@dataclass(frozen=True)
class StepPlan:
    """A step compiled for the engine."""

    name: str
    effort: Any  # a distribution or None
    delay: Any
    unit: str
    department: Department | None  # who does the effort


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
    in_zone: bool
    plain_exit: bool  # no correction, no rework, no transfer: done when its last step is
    probability: float  # share of cases that need it
    background: bool  # does not hold the case
    milestone: int  # index of the milestone its finish marks, or -1
    assessed_steps: tuple[StepPlan, ...] | None  # for cases in a regionally assessed area


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
    priority: int
    assessed_share: float
    n_foreground: int  # items that hold the case (not background work)


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


class Department:
    """A staffed resource with office hours and a priority queue (see module docstring)."""

    __slots__ = ("model", "id", "code", "spec", "clock", "free", "queue", "_seq", "_env", "_record")

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
        self._record: Callable[[tuple], None] = model.record_task

    def review(self, case: Case, item: int, step: int, effort: float) -> None:
        """Queue one task of ``effort`` staff hours for ``case``; it starts when staff is free."""
        now = self._env._now
        task = (case, item, step, effort, now)
        if self.free:
            self.free -= 1
            self._take_up(task, now)
        else:
            self._seq += 1
            heapq.heappush(self.queue, (-case.plan.priority, self._seq, task))

    def _take_up(self, task: tuple, now: float) -> None:
        case, item, step, effort, queued = task
        clock = self.clock
        if clock.always:
            started, end = now, now + effort
        else:
            started = clock.next_open(now)
            end = clock.finish(started, effort)
        self._record(
            (
                case.id,
                case.plan.items[item].code,
                step,
                self.code,
                queued,
                started,
                end,
                case.attempt[item],
                effort,
            )
        )
        Wake(self._env, end - now, task, self._done)

    def _done(self, ev: Event) -> None:
        case, item, step, _, _ = ev._value
        if self.queue:
            self._take_up(heapq.heappop(self.queue)[2], self._env._now)
        else:
            self.free += 1
        case.finish_step(item, step)


class Case:
    """One project (or citizen's request) walking its items' precedence graph."""

    __slots__ = (
        "model",
        "id",
        "plan",
        "type_code",
        "k",
        "arrival",
        "size",
        "state",
        "attempt",
        "corrections_of",
        "reworks_of",
        "n_left",
        "trips",
        "corrections",
        "reworks",
        "zone_days",
        "gov_active",
        "idle_since",
        "applicant_wd",
        "stages",
        "finished",
        "assessed",
        "stalls",
        "problems",
        "milestones",
    )

    def __init__(
        self, model: Model, case_id: int, plan: CasePlan, k: int, arrival: float, size: float
    ):
        n = len(plan.items)
        self.model = model
        self.id = case_id
        self.plan = plan
        self.type_code = plan.code
        self.k = k
        self.arrival = arrival
        self.size = size
        self.state = [0] * n  # 0 waiting, 1 in hand, 2 done
        self.attempt = [0] * n
        self.corrections_of: list[int] | None = None  # allocated at the first correction
        self.reworks_of: list[int] | None = None
        self.n_left = plan.n_foreground
        self.trips = 0
        self.corrections = 0
        self.reworks = 0
        self.zone_days: set[int] | None = None
        self.gov_active = 0
        self.idle_since = arrival
        self.applicant_wd = 0.0
        self.stages = _NAN8[:]
        self.finished = np.nan
        self.assessed = (
            plan.assessed_share > 0
            and model.uniform(("assessed", plan.type_id), self) < plan.assessed_share
        )
        self.stalls: list[float] | None = None
        self.problems = 0
        self.milestones: list[float] | None = None

    # -- the walk -------------------------------------------------------------------------------

    def start(self) -> None:
        """Submit every item without prerequisites (the first fork)."""
        for i in self.plan.roots:
            self.submit_item(i)

    def submit_item(self, i: int) -> None:
        """Hand item ``i`` in and run its first step.

        The item is skipped if this case does not need it; a blocking problem met on entering
        the stage is waited out first; an in-person submission counts a trip.
        """
        model = self.model
        now = model.env._now
        it = self.plan.items[i]
        if (
            it.probability < 1.0
            and model.uniform(("needed", self.plan.type_id, it.id), self) >= it.probability
        ):
            self.state[i] = 1
            self._mark_done(i, now)
            return
        if self.assessed and it.assessed_steps is not None and not it.assessed_steps:
            self.state[i] = 1  # an assessment replaced by the regional assessment
            self._mark_done(i, now)
            return
        self.state[i] = 1
        if it.government:
            if self.gov_active == 0 and now > self.idle_since:
                cal = model.calendar
                self.applicant_wd += cal.wd(now) - cal.wd(self.idle_since)
            self.gov_active += 1
        if it.stage is not None:
            st = it.stage - 1
            if not self.stages[st] <= now:
                self.stages[st] = now
                if model.problems is not None:
                    self._meet_problem(st, now)
            if self.stalls is not None and self.stalls[st] > now:
                model.record_activity((self.id, it.code, 0, KIND_STALL, now, self.stalls[st]))
                Wake(model.env, self.stalls[st] - now, i, self._hand_in)
                return
        if it.in_person:
            if it.in_zone:
                self._count_trip(it, now)
            else:
                self.trips += 1
        self.run_step(i, 0)

    def _hand_in(self, ev: Event) -> None:
        """The stall of the stage is over: the item is handed in after all."""
        i = ev._value
        it = self.plan.items[i]
        if it.in_person:
            self._count_trip(it, self.model.env._now)
        self.run_step(i, 0)

    def _meet_problem(self, st: int, now: float) -> None:
        """On entering a stage the case may hit a blocking problem that stalls the stage."""
        model = self.model
        p = model.problems.probability.get(str(st + 1), 0.0)
        if p <= 0 or model.uniform(("problem", self.plan.type_id, st + 1), self) >= p:
            return
        stall = model.draw(("stall", self.plan.type_id, st + 1), model.problems.stall, self)
        unit = model.problems.stall.unit or "working_days"
        cap = model.problems.cap_days
        if self.stalls is None:
            self.stalls = [0.0] * 4
        if unit == "working_days":
            end = model.calendar.add_working_days(now, stall if cap is None else min(stall, cap))
        else:
            end = now + stall * (HOURS_PER_DAY if unit == "calendar_days" else 1.0)
            if cap is not None:
                end = min(end, model.calendar.add_working_days(now, cap))
        self.stalls[st] = end
        self.problems += 1

    def _steps(self, it: ItemPlan) -> tuple[StepPlan, ...]:
        if self.assessed and it.assessed_steps is not None:
            return it.assessed_steps
        return it.steps

    def run_step(self, i: int, s: int) -> None:
        """Start step ``s`` of item ``i``: queue its effort, or let its delay pass."""
        it = self.plan.items[i]
        alt = self.assessed and it.assessed_steps is not None
        step = (it.assessed_steps if alt else it.steps)[s]
        attempt = self.attempt[i]
        per_step = self.model._step_cache[self.type_code][i][s] if not alt else None
        values = (
            per_step[attempt]
            if per_step is not None and attempt < len(per_step)
            else (self.model.variates(self, i, s, attempt, alt))
        )
        if step.effort is not None:
            step.department.review(self, i, s, values[self.k] * self.size)
        else:
            self.model.after_delay(
                values[self.k],
                step.unit,
                self.finish_step,
                i,
                s,
                self,
                KIND_DELAY if it.government else KIND_APPLICANT,
            )

    def finish_step(self, i: int, s: int) -> None:
        """Step ``s`` of item ``i`` is done: run the next one, or decide the review's outcome."""
        it = self.plan.items[i]
        steps = it.assessed_steps if self.assessed and it.assessed_steps is not None else (it.steps)
        if s + 1 < len(steps):
            self.run_step(i, s + 1)
        elif it.plain_exit:
            self._item_done(i, 0)
        else:
            self.review_outcome(i)

    def review_outcome(self, i: int) -> None:
        """After the last step the file passes, or comes back for correction."""
        it = self.plan.items[i]
        corr = it.correction
        if corr is not None:
            if self.corrections_of is None:
                self.corrections_of = [0] * len(self.state)
            rounds = self.corrections_of[i]
            if (
                rounds < corr.max_rounds
                and self.model.uniform(("correction", self.plan.type_id, it.id, rounds), self)
                < corr.probability
            ):
                self.return_for_correction(i)
                return
        self.complete_item(i)

    def return_for_correction(self, i: int) -> None:
        """The applicant corrects the file (turnaround), resubmits it, and review restarts."""
        it = self.plan.items[i]
        rounds = self.corrections_of[i]
        self.corrections_of[i] = rounds + 1
        self.corrections += 1
        value = self.model.draw(
            ("turnaround", self.plan.type_id, it.id, rounds), it.correction.turnaround, self
        )
        self.model.after_delay(
            value,
            it.correction.turnaround.unit or "working_days",
            self.resubmit,
            i,
            0,
            self,
            KIND_CORRECTION,
        )

    def resubmit(self, i: int, _: int) -> None:
        """The corrected file is handed in again (a trip) and joins the back of the queue."""
        it = self.plan.items[i]
        self.attempt[i] += 1
        if it.in_person:
            self._count_trip(it, self.model.env._now)
        self.run_step(i, it.restart_step if it.restart_step < len(self._steps(it)) else 0)

    def complete_item(self, i: int) -> None:
        """The item is issued; it may send the case back, and its file may need transfer."""
        it = self.plan.items[i]
        rw = it.rework
        if rw is not None and self.plan.rework_set[i] is not None:
            if self.reworks_of is None:
                self.reworks_of = [0] * len(self.state)
            rounds = self.reworks_of[i]
            if (
                rounds < rw.max_rounds
                and self.model.uniform(("rework", self.plan.type_id, it.id, rounds), self)
                < rw.probability
            ):
                self.send_back_for_rework(i)
                return
        if it.transfer_days > 0:
            self.model.after_delay(
                it.transfer_days, "working_days", self._item_done, i, 0, self, KIND_TRANSFER
            )
        else:
            self._item_done(i, 0)

    def send_back_for_rework(self, i: int) -> None:
        """Redo the rework target and every item between it and item ``i``."""
        now = self.model.env._now
        self.reworks_of[i] += 1
        self.reworks += 1
        redo = self.plan.rework_set[i]
        for j in redo:
            if self.state[j] == 2 and not self.plan.items[j].background:
                self.n_left += 1
            self.state[j] = 0
            self.attempt[j] += 1
        if self.plan.items[i].government:
            self._government_idle(now)
        self.submit_item(redo[0])

    def _item_done(self, i: int, _: int) -> None:
        now = self.model.env._now
        it = self.plan.items[i]
        if it.government:
            self.gov_active -= 1
            if self.gov_active == 0:
                self.idle_since = now
        if it.stage is not None:
            st = it.stage + 3
            if not self.stages[st] >= now:
                self.stages[st] = now
        if it.milestone >= 0:
            if self.milestones is None:
                self.milestones = [np.nan] * len(self.model.milestone_names)
            self.milestones[it.milestone] = now
        self._mark_done(i, now)

    def _mark_done(self, i: int, now: float) -> None:
        """Item ``i`` is done: close the case, or submit the successors now free to start."""
        self.state[i] = 2
        if not self.plan.items[i].background:
            self.n_left -= 1
            if self.n_left == 0:
                self._close(now)
                return
        state, preds = self.state, self.plan.preds
        for j in self.plan.succs[i]:
            if state[j] == 0 and all(state[p] == 2 for p in preds[j]):
                self.submit_item(j)

    # -- bookkeeping ----------------------------------------------------------------------------

    def _count_trip(self, it: ItemPlan, now: float) -> None:
        if it.in_zone:
            day = int(now // HOURS_PER_DAY)
            if self.zone_days is None:
                self.zone_days = {day}
            elif day in self.zone_days:
                return
            else:
                self.zone_days.add(day)
        self.trips += 1

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
        self.recorder = TraceRecorder()
        self.record_task = self.recorder.tasks.extend
        self.record_activity = self.recorder.activities.extend
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
        self.milestone_names = list(sc.scenario.milestones)
        self.item_ids = tuple(sc.items)
        self._items = {iid: self._compile_item(n, iid) for n, iid in enumerate(self.item_ids)}
        self.type_ids = tuple(sc.case_types)
        self.plans = [self._compile_case(n, t) for n, t in enumerate(self.type_ids)]
        self._step_cache = [[[[] for _ in it.steps] for it in plan.items] for plan in self.plans]
        self._alt_cache: dict[tuple[int, int, int], list] = {}
        self.problems = sc.problems if sc.problems.probability else None
        self.arrivals = [self._arrival_times(t) for t in self.type_ids]
        self.counts = [len(a) for a in self.arrivals]
        self.recorder.open = [None] * sum(self.counts)
        self._ran = False

    # -- compilation ----------------------------------------------------------------------------

    def _compile_item(self, code: int, iid: str) -> ItemPlan:
        it = self.scenario.items[iid]
        dep = self.departments[it.department] if it.department is not None else None
        name_of = {item: name for name, item in self.scenario.scenario.milestones.items()}

        def compile_steps(steps: tuple) -> tuple[StepPlan, ...]:
            return tuple(
                StepPlan(
                    s.name,
                    s.effort,
                    s.delay,
                    (s.delay.unit or "working_days") if s.delay is not None else "hours",
                    self.departments[s.department] if s.department else dep,
                )
                for s in steps
            )

        steps = compile_steps(it.steps)
        government = it.kind != _KIND_APPLICANT
        online = it.submitted_online
        in_zone = dep is not None and (it.in_zone or dep.spec.location == "zone")
        restart = 0
        if it.correction is not None and it.correction.from_step is not None:
            restart = [s.name for s in it.steps].index(it.correction.from_step)
        return ItemPlan(
            id=iid,
            code=code,
            stage=it.stage,
            department=dep,
            steps=steps,
            government=government,
            in_person=government and not online and it.needs_trip,
            transfer_days=0.0 if (dep is None or online or in_zone) else dep.spec.transfer_days,
            correction=it.correction,
            restart_step=restart,
            rework=it.rework,
            in_zone=in_zone,
            plain_exit=it.correction is None
            and it.rework is None
            and (dep is None or online or in_zone or dep.spec.transfer_days == 0),
            probability=it.probability,
            background=it.background,
            milestone=self.milestone_names.index(name_of[iid]) if iid in name_of else -1,
            assessed_steps=None if it.assessed_steps is None else compile_steps(it.assessed_steps),
        )

    def _compile_case(self, code: int, type_id: str) -> CasePlan:
        ct = self.scenario.case_types[type_id]
        ids = ct.items
        index = {iid: n for n, iid in enumerate(ids)}
        pred_names, succ_names = _case_graph(self.scenario, ids)
        preds = tuple(tuple(sorted(index[p] for p in ps)) for ps in pred_names)
        succs = tuple(tuple(sorted(index[s] for s in ss)) for ss in succ_names)
        rework_set: list[tuple[int, ...] | None] = []
        for n, iid in enumerate(ids):
            rw = self.scenario.items[iid].rework
            if rw is None or rw.to not in index:
                rework_set.append(None)
                continue
            t = index[rw.to]
            between = reachable([t], succs) & reachable([n], preds)
            order = [t] + sorted(between - {t})
            rework_set.append(tuple(order))
        return CasePlan(
            type_id=type_id,
            code=code,
            items=tuple(self._items[i] for i in ids),
            preds=preds,
            succs=succs,
            roots=tuple(n for n, p in enumerate(preds) if not p),
            rework_set=tuple(rework_set),
            priority=ct.priority,
            assessed_share=ct.assessed_share,
            n_foreground=sum(not self._items[i].background for i in ids),
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

    def variates(self, case: Case, i: int, s: int, attempt: int, alt: bool = False) -> list[float]:
        """Variates of step ``s`` of the case's item ``i`` at ``attempt``, one per case.

        Batch-drawn from the stream named for them, cached as a list for fast indexing.
        """
        plan = case.plan
        it = plan.items[i]
        if alt:
            per_step = self._alt_cache.setdefault((case.type_code, i, s), [])
        else:
            per_step = self._step_cache[case.type_code][i][s]
        while len(per_step) <= attempt:
            step = (it.assessed_steps if alt else it.steps)[s]
            kind = "effort" if step.effort is not None else "delay"
            key = (kind, plan.type_id, it.id + ("@assessed" if alt else ""), s, len(per_step))
            dist = step.effort if step.effort is not None else step.delay
            per_step.append(dist.ppf(self.streams.uniforms(key, self.counts[plan.code])).tolist())
        return per_step[attempt]

    def draw(self, key: tuple, dist: Any, case: Case) -> float:
        """The case's variate of stream ``key`` under ``dist`` (batch-drawn, cached)."""
        arr = self._variates.get(key)
        if arr is None:
            arr = self._variates[key] = dist.ppf(
                self.streams.uniforms(key, self.counts[case.type_code])
            ).tolist()
        return arr[case.k]

    def uniform(self, key: tuple, case: Case) -> float:
        """The case's uniform of stream ``key``."""
        arr = self._variates.get(key)
        if arr is None:
            arr = self._variates[key] = self.streams.uniforms(
                key, self.counts[case.type_code]
            ).tolist()
        return arr[case.k]

    def after_delay(
        self,
        value: float,
        unit: str,
        then: Callable[[int, int], None],
        i: int,
        s: int,
        case: Case,
        kind: int,
    ) -> None:
        """Call ``then(i, s)`` once an elapsed delay of ``value`` ``unit`` has passed.

        The spell is recorded in the activity table as ``kind`` (see ``ACTIVITY_KINDS``).
        """
        now = self.env._now
        if unit == "working_days":
            end = self.calendar.add_working_days(now, value)
        elif unit == "calendar_days":
            end = now + value * HOURS_PER_DAY
        else:
            end = now + value
        self.record_activity((case.id, case.plan.items[i].code, s, kind, now, end))
        Wake(self.env, end - now, None, lambda _ev: then(i, s))

    # -- running --------------------------------------------------------------------------------

    def _schedule_arrivals(self) -> None:
        """Merge the arrivals of all case types in time order and schedule the first one."""
        times = np.concatenate(self.arrivals)
        types = np.concatenate([np.full(len(a), n) for n, a in enumerate(self.arrivals)])
        ks = np.concatenate([np.arange(len(a)) for a in self.arrivals])
        order = np.argsort(times, kind="stable")
        self._queue = list(
            zip(times[order].tolist(), types[order].tolist(), ks[order].tolist(), strict=True)
        )
        self._sizes_by_type = [self._sizes(n).tolist() for n in range(len(self.plans))]
        self._next = 0
        if self._queue:
            Wake(self.env, self._queue[0][0], None, self._arrive)

    def _arrive(self, _ev: Event) -> None:
        """A case arrives: create it, schedule the next arrival, and submit its first items."""
        n = self._next
        _, type_code, k = self._queue[n]
        t = self.env._now  # the clock's own value: the list's may differ in the last bit
        case = Case(self, n, self.plans[type_code], k, t, self._sizes_by_type[type_code][k])
        self.recorder.open[n] = case
        self._next = n + 1
        if n + 1 < len(self._queue):
            Wake(self.env, self._queue[n + 1][0] - t, None, self._arrive)
        for i in case.plan.roots:
            case.submit_item(i)

    def _sizes(self, n: int) -> np.ndarray:
        type_id = self.type_ids[n]
        dist = self.scenario.case_types[type_id].size
        return dist.ppf(self.streams.uniforms(("size", type_id), self.counts[n]))

    def run(self) -> Trace:
        """Run the replication to the end of the horizon plus drain, and return its trace."""
        if self._ran:
            raise RuntimeError("a Model runs once; build a new one for another replication")
        self._ran = True
        self._schedule_arrivals()
        self.env.run(until=self.end_h)
        return self.recorder.build(self)
