"""The SimPy world built from one scenario and one seed.

The scenario is first compiled into a :class:`~sim.model.plan.Plan` (pure data, see
:mod:`sim.model.plan`); this module is the running world on top of it.

**Departments** are staffed resources. A department keeps its own priority queue (higher case
priority first, then first come first served) and a count of free staff. When a staff member takes
a task up, the department computes from its office clock when the effort will be done — work
advances only in office hours on working days — and schedules a single wake-up for that moment.
A task therefore costs one event, however many evenings, weekends and holidays it spans. Its
statistics (tasks, waits, busy hours, queue) are added up as the run goes.

**Cases** walk the precedence graph of their items. Items whose prerequisites are done are
handed in together (fork); an item waits for all its prerequisites (join). Each time an item is
handed in is a **visit**. A visit runs the item's steps in order: ``effort`` steps queue at a
department, ``delay`` steps pass elapsed time that holds nobody. After the last step the file may
come back for correction (补正, a *round* within the visit): the applicant takes the turnaround
time, hands it in again (a trip), and the item restarts from the configured step at the back of
the queue. When the item is issued, one uniform decides its **route** (``rework`` first, then
``next``): a *loop* sends the case back to the item itself or an earlier one — that item and every
item between it and this one are handled again, as new visits —; a *branch* goes on to one later
item of the choice and skips the others; the remainder carries on along the graph. A file leaving
a department outside the zone takes the department's transfer time to reach the next one.
No loop is cut off unless the scenario says so (``max_rounds``, ``max_visits``); a case whose loop
was cut by such a cap is reported as *capped*.

**Trips.** Each in-person hand-in to an ``office`` department is one trip; in-person hand-ins to
``zone`` departments on the same day share one trip. Applicant items and online submissions cost
none; hand-ins by an agent of the 1+N team are the agent's trips, not the applicant's.

**Randomness** comes from :mod:`sim.model.streams`: every draw is keyed by its purpose, the
case's type and index, the item, the step, the visit and the round, never by the order of
events, so scenarios run with the same seed share their random numbers (common random numbers),
and a loop draws afresh at every visit.

Cases are driven by callbacks rather than one generator process per case: a SimPy process costs
several events per resource use, and the citizen-service scenarios move close to a million items a
year. The case's verbs are named for what it does: ``submit_item``, ``hand_in``, ``run_step``,
``review_outcome``, ``return_for_correction``, ``issue``, ``send_back``.
"""

from __future__ import annotations

import heapq
import math
from collections.abc import Iterable
from enum import IntEnum
from typing import Any

import numpy as np

from sim.model.base import ModelBase
from sim.model.kernel import FEED_MASK, FEED_SHIFT
from sim.model.plan import (
    ACTIVITY_KINDS,
    KIND_APPLICANT,
    KIND_CORRECTION,
    KIND_DELAY,
    KIND_STALL,
    KIND_TRANSFER,
    CasePlan,
    ItemPlan,
    RoutePlan,
    StepPlan,
    compile_plan,
)
from sim.model.streams import ArrayStream, CaseStream, ConstantStream
from sim.model.tables import Sink
from sim.model.trace import TABLES, Trace, TraceRecorder, known_tables
from sim.model.workcal import HOURS_PER_DAY, OfficeClock
from sim.scenario.schema import Scenario

__all__ = ["ACTIVITY_KINDS", "Case", "Department", "ItemState", "Model", "TABLES"]

NAN = math.nan
QUICK = True
"""Whether cases of one plain single-step item take the fast path (tests compare both ways)."""
SIMPLE = True
"""Whether cases of a simple plan walk as a :class:`SimpleCase` (tests compare both ways)."""


class ItemState(IntEnum):
    """Where an item of a case stands."""

    WAITING = 0  # not handed in (prerequisites open, or sent back by a loop)
    ACTIVE = 1  # handed in: stalled, queued, in work, in correction or in transfer
    DONE = 2  # issued, skipped or not needed


WAITING, ACTIVE, DONE = ItemState.WAITING, ItemState.ACTIVE, ItemState.DONE
_NO_FLAGS: frozenset[str] = frozenset()

# positions in a visit record (a small list per open visit)
V_NO, V_READY, V_IN, V_RELEASED, V_TRIPS, V_AGENT, V_ROUND, V_CLOCK = range(8)


class Department:
    """A staffed resource with office hours and a priority queue (see module docstring)."""

    __slots__ = (
        "model",
        "id",
        "code",
        "spec",
        "clock",
        "free",
        "queue",
        "_seq",
        "_kernel",
        "_tasks",
        "_call_at",
        "_when_done",
        "h0",
        "h1",
        "tasks",
        "wait_sum",
        "busy",
        "waiting",
        "max_queue",
    )

    def __init__(self, model: Model, dep_id: str, code: int, spec: Any, clock: OfficeClock):
        self.model = model
        self.id = dep_id
        self.code = code
        self.spec = spec
        self.clock = clock
        self.free = spec.staff
        self.queue: list[tuple[int, int, tuple]] = []
        self._seq = 0
        self._kernel = model.kernel
        self._tasks = model.recorder.tables.get("tasks")
        self._call_at = model.kernel.call_at
        self._when_done = self._done  # one bound method, not one per task
        self.h0, self.h1 = model.warmup_h, model.horizon_h
        # statistics over the measurement window [h0, h1), added up as the run goes
        self.tasks = 0  # tasks queued in the window
        self.wait_sum = 0.0  # their waits (hours)
        self.busy = 0.0  # staff hours of work done in the window
        self.waiting = 0.0  # task-hours spent waiting in the window (for the mean queue)
        self.max_queue = 0  # most tasks waiting for a free staff member at once

    def review(self, case: Case, item: int, step: StepPlan, effort: float) -> None:
        """Queue one task of ``effort`` staff hours for ``case``; it starts when staff is free."""
        now = self._kernel.now
        task = (case, item, step, effort, now)
        if self.free:
            self.free -= 1
            self._take_up(task, now)
        else:
            self._seq += 1
            heapq.heappush(self.queue, (-case.plan.priority, self._seq, task))
            if self.h0 <= now < self.h1 and len(self.queue) > self.max_queue:
                self.max_queue = len(self.queue)

    def _take_up(self, task: tuple, now: float) -> None:
        case, item, step, effort, queued = task
        clock = self.clock
        if clock.always:
            started = now
            end = now + effort
            work = end - started
        else:
            started = clock.next_open(now)
            end = clock.finish(started, effort)
            work = effort
        if queued >= self.h0 and end < self.h1:  # wholly inside the window: the common case
            self.tasks += 1
            wait = started - queued
            self.wait_sum += wait
            self.waiting += wait
            self.busy += work
        else:
            self._window_edge(queued, started, end, work)
        if case.quick:  # its rows are made with its case row (TraceRecorder.quick)
            case.started, case.end, case.effort = started, end, effort
            self._call_at(end, self._when_done, task)
            return
        visit = case.open[item]
        visit += (self.code, queued, started, end)  # for its critical path (flat: no tuple kept)
        table = self._tasks
        if table is not None:
            buffer = table.buffer
            buffer.extend(
                (
                    case.id,
                    case.plan.items[item].code,
                    step.code,
                    self.code,
                    queued,
                    started,
                    end,
                    visit[V_NO],
                    visit[V_ROUND],
                    effort,
                )
            )
            if len(buffer) >= table.limit:
                table.flush()
        if step.counted:  # Case.spell, inlined
            it = case.plan.items[item]
            if it.on_clock:
                spells = case.spells
                if spells is None:
                    case.spells = [queued, end]
                elif spells[-2] <= queued <= spells[-1]:
                    if end > spells[-1]:
                        spells[-1] = end
                else:
                    spells += (queued, end)
            if it.time_limit_wd:
                cal = self.model.calendar
                visit[V_CLOCK] += cal.wd(end) - cal.wd(queued)
        self._call_at(end, self._when_done, task)

    def _window_edge(self, queued: float, started: float, end: float, work: float) -> None:
        """Add the part of a task inside the measurement window [h0, h1) to the statistics."""
        h0, h1 = self.h0, self.h1
        if h0 <= queued < h1:
            self.tasks += 1
            self.wait_sum += started - queued
        if started > queued and started > h0 and queued < h1:
            self.waiting += min(started, h1) - max(queued, h0)
        if started >= h0 and end <= h1:
            self.busy += work
        elif end > h0 and started < h1:
            clock = self.clock
            self.busy += max(
                0.0, clock.open_hours(min(end, h1)) - clock.open_hours(max(started, h0))
            )

    def _done(self, task: tuple) -> None:
        case, item, step, _, _ = task
        if self.queue:
            now = self._kernel.now
            if self.h0 <= now < self.h1 and len(self.queue) > self.max_queue:
                self.max_queue = len(self.queue)
            self._take_up(heapq.heappop(self.queue)[2], now)
        else:
            self.free += 1
        case.finish_step(item, step)


class Case:
    """One project (or citizen's request) walking its items' precedence graph."""

    quick = False  # not a QuickCase

    __slots__ = (
        "model",
        "id",
        "plan",
        "steps",
        "keys",
        "first",
        "k",
        "arrival",
        "size",
        "flags",
        "assessed",
        "state",
        "visits",
        "open",
        "chosen",
        "skipped_by",
        "reworks_of",
        "n_left",
        "trips",
        "agent_trips",
        "item_trips",
        "n_visits",
        "handled",
        "several_trips",
        "corrections",
        "reworks",
        "zone_days",
        "agent_days",
        "gov_active",
        "idle_since",
        "applicant_wd",
        "stages",
        "finished",
        "stalls",
        "problems",
        "milestones",
        "capped",
        "spells",
        "items_timed",
        "items_overdue",
        "held",
    )

    def __init__(
        self, model: Model, case_id: int, plan: CasePlan, k: int, arrival: float, size: float
    ):
        n = len(plan.items)
        self.model = model
        self.id = case_id
        self.plan = plan
        self.k = k
        self.arrival = arrival
        self.size = size
        self.flags = (
            frozenset(
                name
                for name, share in plan.flags
                if share > 0 and model.uniform(("flag", plan.type_id, name), k) < share
            )
            if plan.flags
            else _NO_FLAGS
        )
        self.assessed = "assessed" in self.flags
        # the variant of every item's steps this case handles (see plan.steps_for)
        if self.assessed:
            self.steps, self.keys = plan.assessed_steps, plan.assessed_keys
            self.first = model.first_assessed[plan.code]
        else:
            self.steps, self.keys, self.first = plan.steps, plan.keys, model.first[plan.code]
        self.state = [WAITING] * n
        self.visits = [0] * n  # visits begun, per item
        self.open: list[list | None] = [None] * n  # the open visit record, per item
        self.chosen: list[bool] | None = None  # branches taken, per gated item
        self.skipped_by: list[int] | None = None  # which item's choice skipped it
        self.reworks_of: list[int] | None = None  # rework send-backs, per item
        self.n_left = plan.n_foreground
        self.trips = 0
        self.agent_trips = 0
        self.item_trips = [0] * n  # the applicant's trips, per item
        self.n_visits = 0  # visits of all items
        self.handled = 0  # government items visited at least once
        self.several_trips = 0  # of those, items that took the applicant two trips or more
        self.corrections = 0
        self.reworks = 0
        self.zone_days: set[int] | None = None
        self.agent_days: set[int] | None = None
        self.gov_active = 0
        self.idle_since = arrival
        self.applicant_wd = 0.0
        self.stages = [NAN] * (2 * model.plan.n_stages)  # starts, then ends
        self.finished = NAN
        self.stalls: list[float] | None = None
        self.problems = 0
        self.milestones: list[float] | None = None
        self.capped = False
        self.spells: list[float] | None = None  # statutory-clock spells: start, end, ...
        self.items_timed = 0
        self.items_overdue = 0
        self.held: list | None = None  # its closed visits, for its critical path (window cases)

    # -- the walk -------------------------------------------------------------------------------

    def needs(self, i: int) -> bool:
        """Whether this case handles item ``i`` now (its draw, flags, branch and variant)."""
        it = self.plan.items[i]
        if it.when and not self.flags.issuperset(it.when):
            return False
        if it.when_not and not self.flags.isdisjoint(it.when_not):
            return False
        if (
            it.probability < 1.0
            and self.model.uniform(("needed", self.plan.type_id, it.id), self.k) >= it.probability
        ):
            return False
        if self.plan.gated[i] and not (self.chosen is not None and self.chosen[i]):
            return False
        if not self.steps[i]:
            return False  # an assessment replaced by the regional assessment
        return True

    def submit_item(self, i: int, released_by: int) -> None:
        """Item ``i`` is ready: begin a visit, or pass it by if this case does not need it.

        ``released_by`` is the visit-table row whose completion made it ready (-1: the arrival).
        A blocking problem met on entering the stage is waited out before the hand-in.
        """
        model = self.model
        now = model.kernel.now
        if self.plan.conditional[i] and not self.needs(i):
            self.state[i] = DONE
            self._mark_done(i, now, released_by)
            return
        it = self.plan.items[i]
        self.state[i] = ACTIVE
        n = self.visits[i]
        self.open[i] = visit = [n, now, now, released_by, 0, 0, 0, 0.0]
        self.visits[i] = n + 1
        self.n_visits += 1
        if n == 0 and it.government:
            self.handled += 1
        if it.government:
            if self.gov_active == 0 and now > self.idle_since:
                cal = model.calendar
                self.applicant_wd += cal.wd(now) - cal.wd(self.idle_since)
            self.gov_active += 1
        st = it.stage
        if st >= 0:
            if not self.stages[st] <= now:
                self.stages[st] = now
                if model.problems is not None:
                    self._meet_problem(st, now)
            if self.stalls is not None and self.stalls[st] > now:
                end = self.stalls[st]
                model.recorder.activity(
                    (self.id, it.code, 0, KIND_STALL, now, end, self.open[i][V_NO])
                )
                if not model.plan.stop_problems:
                    self.spell(i, now, end, own=False)
                visit[V_IN] = NAN
                model.kernel.call_after(end - now, self.hand_in, i)
                return
        if it.in_person:
            if it.by_agent or it.in_zone:
                self._count_trip(i)
            else:  # the applicant's own trip to an office
                visit[V_TRIPS] += 1
                self.trips += 1
                trips = self.item_trips[i] = self.item_trips[i] + 1
                if trips == 2:
                    self.several_trips += 1
        self.run_step(i, 0)

    def hand_in(self, i: int) -> None:
        """The file of item ``i`` is handed in (a trip if in person) and its first step runs."""
        self.open[i][V_IN] = self.model.kernel.now
        self._count_trip(i)
        self.run_step(i, 0)

    def _meet_problem(self, st: int, now: float) -> None:
        """On entering a stage the case may hit a blocking problem that stalls the stage."""
        model = self.model
        p = model.problems.probability.get(str(st + 1), 0.0)
        if p <= 0 or model.uniform(("problem", self.plan.type_id, st + 1), self.k) >= p:
            return
        stall = model.draw(("stall", self.plan.type_id, st + 1), model.problems.stall, self.k)
        unit = model.problems.stall.unit or "working_days"
        cap = model.problems.cap_days
        if self.stalls is None:
            self.stalls = [0.0] * model.plan.n_stages
        if unit == "working_days":
            end = model.calendar.add_working_days(now, stall if cap is None else min(stall, cap))
        else:
            end = now + stall * (HOURS_PER_DAY if unit == "calendar_days" else 1.0)
            if cap is not None:
                end = min(end, model.calendar.add_working_days(now, cap))
        self.stalls[st] = end
        self.problems += 1

    def run_step(self, i: int, s: int) -> None:
        """Start step ``s`` of item ``i``: queue its effort, or let its delay pass."""
        it = self.plan.items[i]
        visit = self.open[i]
        v, r = visit[V_NO], visit[V_ROUND]
        step = self.steps[i][s]
        if v or r:
            stream = self.model.stream(self.keys[i][s] + (v, r), step.dist)
        else:
            stream = self.first[i][s]
        value = stream.value(self.k)
        if step.effort:
            self.model.departments[step.department].review(self, i, step, value * self.size)
        else:
            self.model.after_delay(
                value,
                step.unit,
                self.finish_step,
                i,
                step,
                self,
                KIND_DELAY if it.government else KIND_APPLICANT,
                step.counted,
                s,
            )

    def finish_step(self, i: int, step: StepPlan) -> None:
        """A step of item ``i`` is done: run the next one, or decide the review's outcome."""
        if not step.last:
            self.run_step(i, step.index + 1)
        elif self.plan.plain[i]:
            self._issue_plain(i, self.plan.items[i])
        else:
            self.review_outcome(i)

    def review_outcome(self, i: int) -> None:
        """After the last step the file passes, or comes back for correction."""
        it = self.plan.items[i]
        corr = it.correction
        if corr is not None:
            visit = self.open[i]
            r = visit[V_ROUND]
            key = ("correction", self.plan.type_id, it.id, visit[V_NO], r)
            if self.model.uniform(key, self.k) < corr.probability:
                if it.correction_cap < 0 or r < it.correction_cap:
                    self.return_for_correction(i)
                    return
                self.capped = True
        self.issue(i)

    def return_for_correction(self, i: int) -> None:
        """The applicant corrects the file (turnaround), hands it in again, and review restarts."""
        it = self.plan.items[i]
        visit = self.open[i]
        r = visit[V_ROUND]
        self.corrections += 1
        turnaround = it.correction.turnaround
        value = self.model.draw(
            ("turnaround", self.plan.type_id, it.id, visit[V_NO], r), turnaround, self.k
        )
        self.model.after_delay(
            value,
            turnaround.unit or "working_days",
            self.resubmit,
            i,
            0,
            self,
            KIND_CORRECTION,
            not self.model.plan.stop_corrections,
        )

    def resubmit(self, i: int, _: int) -> None:
        """The corrected file is handed in again (a trip) and joins the back of the queue."""
        it = self.plan.items[i]
        self.open[i][V_ROUND] += 1
        self._count_trip(i)
        restart = it.restart_step
        self.run_step(i, restart if restart < len(self.steps[i]) else 0)

    def issue(self, i: int) -> None:
        """The item is issued: its route is drawn, then the visit closes and the case moves on."""
        plan = self.plan
        routes = plan.routes[i]
        chosen: RoutePlan | None = None
        if routes:
            it = plan.items[i]
            u = self.model.uniform(("route", plan.type_id, it.id, self.open[i][V_NO]), self.k)
            for route in routes:
                if u < route.upper:
                    chosen = route
                    break
            if chosen is not None and chosen.loop:
                if self._loop_capped(i, chosen):
                    self.capped = True
                    chosen = None
                else:
                    row = self._close_visit(i, True)
                    self.send_back(i, chosen, row)
                    return
            if plan.branches[i]:
                self._choose_branch(i, chosen)
        it = plan.items[i]
        row = self._close_visit(i, False)
        if it.transfer_days > 0:
            self.model.after_delay(
                it.transfer_days,
                "working_days",
                self._item_done,
                i,
                row,
                self,
                KIND_TRANSFER,
                not self.model.plan.stop_transfers,
            )
        else:
            self._item_done(i, row)

    def _loop_capped(self, i: int, route: RoutePlan) -> bool:
        if route.rework and route.cap >= 0:
            if self.reworks_of is not None and self.reworks_of[i] >= route.cap:
                return True
        items = self.plan.items
        return any(0 < items[j].max_visits <= self.visits[j] for j in route.reset)

    def _choose_branch(self, i: int, route: RoutePlan | None) -> None:
        """The later items of item ``i``'s choice: the one taken runs, the others are skipped."""
        n = len(self.plan.items)
        if self.chosen is None:
            self.chosen = [False] * n
            self.skipped_by = [-1] * n
        for t in self.plan.branches[i]:
            taken = route is not None and route.target == t
            self.chosen[t] = taken
            self.skipped_by[t] = -1 if taken else i

    def send_back(self, i: int, route: RoutePlan, row: int) -> None:
        """A loop: redo the route's target and every item between it and item ``i``."""
        now = self.model.kernel.now
        if route.rework:
            if self.reworks_of is None:
                self.reworks_of = [0] * len(self.state)
            self.reworks_of[i] += 1
        self.reworks += 1
        items, state = self.plan.items, self.state
        redo = set(route.reset)
        if self.skipped_by is not None:  # items a redone choice skipped are open again
            redo |= {j for j, by in enumerate(self.skipped_by) if by in redo}
        for j in redo:
            if state[j] == DONE and not items[j].background:
                self.n_left += 1
            if state[j] != ACTIVE or j == i:
                state[j] = WAITING
        if items[i].government:
            self._government_idle(now)
        self.submit_item(route.target, row)

    def _issue_plain(self, i: int, it: ItemPlan) -> None:
        """A plain item (no correction, route or transfer) is issued: the common exit, inlined.

        The same as ``_close_visit`` then ``_item_done`` (kept apart for the general path).
        """
        now = self.model.kernel.now
        visit = self.open[i]
        self.open[i] = None
        overdue = -1
        limit = it.time_limit_wd
        if limit:
            self.items_timed += 1
            overdue = int(visit[V_CLOCK] > limit)
            self.items_overdue += overdue
        row = self.model.recorder.visit(self, i, visit, now, overdue, False)
        if it.government:
            self.gov_active -= 1
            if self.gov_active == 0:
                self.idle_since = now
        st = it.stage
        if st >= 0:
            stages = self.stages
            end = st + (len(stages) >> 1)
            if not stages[end] >= now:
                stages[end] = now
        if it.milestones:
            if self.milestones is None:
                self.milestones = [NAN] * len(self.model.plan.milestones)
            for m in it.milestones:
                self.milestones[m] = now
        self._mark_done(i, now, row)

    def _item_done(self, i: int, row: int) -> None:
        now = self.model.kernel.now
        it = self.plan.items[i]
        if it.government:
            self._government_idle(now)
        st = it.stage
        if st >= 0:
            end = st + len(self.stages) // 2
            if not self.stages[end] >= now:
                self.stages[end] = now
        if it.milestones:
            if self.milestones is None:
                self.milestones = [NAN] * len(self.model.plan.milestones)
            for m in it.milestones:
                self.milestones[m] = now
        self._mark_done(i, now, row)

    def _mark_done(self, i: int, now: float, row: int) -> None:
        """Item ``i`` is done: close the case, or submit the successors now free to start."""
        self.state[i] = DONE
        plan = self.plan
        if not plan.items[i].background:
            self.n_left -= 1
            if self.n_left == 0:
                self._close(now, row)
                return
        state, preds = self.state, plan.preds
        for j in plan.succs[i]:
            if state[j] == WAITING:
                for p in preds[j]:
                    if state[p] != DONE:
                        break
                else:
                    self.submit_item(j, row)

    # -- bookkeeping ----------------------------------------------------------------------------

    def spell(self, i: int, start: float, end: float, own: bool = True) -> None:
        """Item ``i`` spent ``[start, end)`` on the statutory clock.

        The spell goes on the case's clock when the item counts under the ``[clock]`` rules,
        and (``own``) on the open visit's own clock when the item has a promised time limit.
        """
        it = self.plan.items[i]
        if it.on_clock:
            spells = self.spells
            if spells is None:
                self.spells = [start, end]
            elif spells[-2] <= start <= spells[-1]:  # overlaps the last spell: extend it
                if end > spells[-1]:
                    spells[-1] = end
            else:
                spells += (start, end)
        if own and it.time_limit_wd:
            cal = self.model.calendar
            self.open[i][V_CLOCK] += cal.wd(end) - cal.wd(start)

    def _count_trip(self, i: int) -> None:
        it = self.plan.items[i]
        if not it.in_person:
            return
        visit = self.open[i]
        if it.by_agent:
            visit[V_AGENT] += 1
            if not it.in_zone or self._new_zone_day(True):
                self.agent_trips += 1
            return
        visit[V_TRIPS] += 1
        trips = self.item_trips[i] = self.item_trips[i] + 1
        if trips == 2:
            self.several_trips += 1
        if not it.in_zone or self._new_zone_day(False):
            self.trips += 1

    def _new_zone_day(self, agent: bool) -> bool:
        """Whether a zone hand-in today is a new trip (same-day zone hand-ins share one)."""
        day = int(self.model.kernel.now // HOURS_PER_DAY)
        days = self.agent_days if agent else self.zone_days
        if days is None:
            if agent:
                self.agent_days = {day}
            else:
                self.zone_days = {day}
            return True
        if day in days:
            return False
        days.add(day)
        return True

    def _government_idle(self, now: float) -> None:
        self.gov_active -= 1
        if self.gov_active == 0:
            self.idle_since = now

    def _close_visit(self, i: int, sent_back: bool) -> int:
        """Record the open visit of item ``i`` as done now; return its row in the visit table."""
        visit = self.open[i]
        self.open[i] = None
        limit = self.plan.items[i].time_limit_wd
        overdue = -1
        if limit:
            self.items_timed += 1
            overdue = int(visit[V_CLOCK] > limit)
            self.items_overdue += overdue
        return self.model.recorder.visit(self, i, visit, self.model.kernel.now, overdue, sent_back)

    def _close(self, now: float, row: int) -> None:
        """The case is done: ``row`` is the visit whose completion closed it."""
        self.finished = now
        if self.gov_active == 0 and now > self.idle_since:
            cal = self.model.calendar
            self.applicant_wd += cal.wd(now) - cal.wd(self.idle_since)
        self.model.recorder.case(self, row)

    def clock_segments(self) -> tuple[float, float, float]:
        """The statutory clock: the union of the case's counted spells.

        Returns the first merged segment ``(start, end)`` in hours (NaN when none) and the working
        days of all later segments; the recorder converts the first one for a whole chunk at once.
        """
        spells = self.spells
        if not spells:
            return NAN, NAN, 0.0
        if len(spells) == 2:
            return spells[0], spells[1], 0.0
        pairs = sorted(zip(spells[::2], spells[1::2], strict=True))
        wd = self.model.calendar.wd
        rest = 0.0
        first: tuple[float, float] | None = None
        start, end = pairs[0]
        for s, e in pairs[1:]:
            if s > end:
                if first is None:
                    first = (start, end)
                else:
                    rest += wd(end) - wd(start)
                start, end = s, e
            elif e > end:
                end = e
        if first is None:
            return start, end, 0.0
        return first[0], first[1], rest + wd(end) - wd(start)

    def one_trip_items(self) -> tuple[int, int]:
        """Government items this case handled, and those that took the applicant <= 1 trip."""
        return self.handled, self.handled - self.several_trips


class SimpleCase(Case):
    """A case of a simple plan (``CasePlan.simple``): every item one plain staff task.

    Nothing of such a case is conditional, stalled, corrected, looped or transferred, so its
    walk needs none of those checks: an item is handed in when its last prerequisite is done,
    queues once, and is issued when its task is done. The same records as :class:`Case`, in
    the same order (a test runs scenarios both ways and compares every table).
    """

    __slots__ = ()

    def submit_item(self, i: int, released_by: int) -> None:
        """Item ``i`` is ready: its one visit is handed in and its task queued."""
        model = self.model
        now = model.kernel.now
        it = self.plan.items[i]
        self.state[i] = ACTIVE
        n = self.visits[i]
        self.open[i] = [n, now, now, released_by, 0, 0, 0, 0.0]
        self.visits[i] = n + 1
        self.n_visits += 1
        if it.government:
            if n == 0:
                self.handled += 1
            if self.gov_active == 0 and now > self.idle_since:
                cal = model.calendar
                self.applicant_wd += cal.wd(now) - cal.wd(self.idle_since)
            self.gov_active += 1
        st = it.stage
        if st >= 0 and not self.stages[st] <= now:
            self.stages[st] = now  # (no problem is met in the stage of a simple item)
        if it.in_person:
            if it.by_agent or it.in_zone:
                self._count_trip(i)
            else:  # the applicant's own trip to an office
                self.open[i][V_TRIPS] += 1
                self.trips += 1
                trips = self.item_trips[i] = self.item_trips[i] + 1
                if trips == 2:
                    self.several_trips += 1
        step = self.steps[i][0]
        if n:
            stream = model.stream(self.keys[i][0] + (n, 0), step.dist)
        else:
            stream = self.first[i][0]
        model.departments[step.department].review(self, i, step, stream.value(self.k) * self.size)

    def finish_step(self, i: int, step: StepPlan) -> None:
        """The item's one task is done: it is issued and its successors are handed in.

        A simple item has no correction, route or transfer: the plain exit of the general walk
        (``_issue_plain``; no item of a simple plan is background).
        """
        self._issue_plain(i, self.plan.items[i])


_QUICK_VISIT = ([0, NAN, NAN, -1, 0, 0, 0, 0.0],)


class QuickCase:
    """A case of a type that needs a single plain item of one effort step (the fast path).

    Such a case (a citizen's one-window request, a job of a single queue) has nothing to walk: it
    is handed in on arrival, queues once, and closes when its task is done. It skips the
    :class:`Case` bookkeeping; the recorder writes its visit and case rows directly
    (:meth:`TraceRecorder.quick`), with the same values the general walk would give.
    """

    __slots__ = ("model", "id", "plan", "k", "arrival", "started", "end", "effort")
    open = _QUICK_VISIT  # what a department reads of the visit: number 0, round 0
    quick = True

    def __init__(self, model: Model, case_id: int, plan: CasePlan, k: int, arrival: float):
        self.model = model
        self.id = case_id
        self.plan = plan
        self.k = k
        self.arrival = arrival
        self.started = NAN  # set when its task is taken up

    def spell(self, i: int, start: float, end: float, own: bool = True) -> None:
        """The clock spell is the whole case: the recorder knows it."""

    def finish_step(self, i: int, step: StepPlan) -> None:
        """The only step is done: the case closes."""
        self.model.recorder.quick(self, self.model.kernel.now)


class Model(ModelBase):
    """One replication of one scenario: build with a scenario and a seed, then :meth:`run`.

    ``sink`` receives the tables in chunks as the run goes (default: a :class:`MemorySink`,
    whose tables end up on the trace); ``keep`` names the per-event tables recorded at all
    (any of ``"tasks"``, ``"activities"``, ``"visits"``; default all three). The cases table is
    always recorded and always on the trace; ``case_columns`` names the columns of it the trace
    holds (default: all; a caller's sink still gets every column, and a caller's
    :class:`MemorySink` keeps what it keeps), so that a long run whose tables go to files, or
    nowhere, holds only what its summary reads.
    """

    def __new__(cls, scenario: Scenario, *args: Any, **kwargs: Any) -> Any:
        """A scenario with service halls (``[locations]``) runs on :mod:`sim.model.hall`."""
        if cls is Model and scenario.locations:
            from sim.model.hall import HallModel

            return HallModel(scenario, *args, **kwargs)
        return super().__new__(cls)

    def __init__(
        self,
        scenario: Scenario,
        seed: int | None = None,
        replication: int = 0,
        sink: Sink | None = None,
        keep: Iterable[str] = TABLES,
        case_columns: Iterable[str] | None = None,
    ):
        self._begin(scenario, seed, replication)
        sc = scenario
        keep = known_tables(keep)
        self.plan = plan = compile_plan(sc)
        self.recorder = TraceRecorder(self, sink, keep, case_columns)
        self.departments = [
            Department(self, d, n, spec, OfficeClock(self.calendar, spec.hours))
            for n, (d, spec) in enumerate(sc.departments.items())
        ]
        self.problems = sc.problems if sc.problems.probability else None
        # the first visit's first round of every step: its stream, looked up without a key
        self.first = [self._first_streams(cp.keys, cp.steps) for cp in plan.cases]
        self.first_assessed = [
            self._first_streams(cp.assessed_keys, cp.assessed_steps) for cp in plan.cases
        ]
        self.arrivals = [self._arrival_times(t) for t in plan.type_ids]
        self._ran = False

    # -- draws and delays -----------------------------------------------------------------------

    def _first_streams(self, keys: tuple, steps: tuple) -> list[list[CaseStream]]:
        """Per item and step, the stream of the first visit's first round (no key to build)."""
        return [
            [self.stream(key + (0, 0), step.dist) for key, step in zip(ks, ss, strict=True)]
            for ks, ss in zip(keys, steps, strict=True)
        ]

    def after_delay(
        self,
        value: float,
        unit: str,
        then: Any,
        i: int,
        arg: Any,
        case: Case,
        kind: int,
        counted: bool,
        s: int = 0,
    ) -> None:
        """Call ``then(i, arg)`` once an elapsed delay of ``value`` ``unit`` has passed.

        The spell is recorded in the activity table as ``kind`` (see ``ACTIVITY_KINDS``) of step
        ``s``, and on the statutory clock when ``counted``.
        """
        now = self.kernel.now
        if unit == "working_days":
            end = self.calendar.add_working_days(now, value)
        elif unit == "calendar_days":
            end = now + value * HOURS_PER_DAY
        elif unit == "minutes":
            end = now + value / 60
        else:
            end = now + value
        visit = case.open[i]
        if visit is not None:
            v = visit[V_NO]
            visit += (-1 - kind, now, now, end)  # for its critical path
        else:
            v = case.visits[i] - 1
        self.recorder.activity((case.id, case.plan.items[i].code, s, kind, now, end, v))
        if counted and visit is not None:
            case.spell(i, now, end)
        elif counted and kind == KIND_TRANSFER and case.plan.items[i].on_clock:
            case.spells = [now, end] if case.spells is None else case.spells + [now, end]
        self.kernel.call_at(end, _Then(then, i, arg), None)

    # -- running --------------------------------------------------------------------------------

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
                self.streams.forget(key)
                return t[t < self.horizon_h]
            n *= 2

    def _schedule_arrivals(self) -> None:
        """Merge the arrivals of all case types in time order and feed them to the kernel.

        Arrival times, types and indices stay numpy arrays (a few bytes a case, not a Python
        object each); they become Python lists a block at a time as the run reaches them.
        """
        counts = [len(a) for a in self.arrivals]
        times = np.concatenate(self.arrivals)
        self.arrivals = []  # the merged stream below is all the run needs
        types = np.concatenate([np.full(c, n, dtype=np.int32) for n, c in enumerate(counts)])
        ks = np.concatenate([np.arange(c, dtype=np.int32) for c in counts])
        order = np.argsort(times, kind="stable")
        self._types, self._ks = types[order], ks[order]
        del types, ks
        self._block = -1
        self._block_types: list[int] = []
        self._block_ks: list[int] = []
        self._sizes_by_type = [self._sizes(n, c) for n, c in enumerate(counts)]
        self._quick = [
            (
                cp,
                cp.items[0].steps[0],
                self.departments[cp.items[0].steps[0].department],
                self.first[cp.code][0][0],
                self._sizes_by_type[cp.code],
            )
            if cp.quick and QUICK
            else None
            for cp in self.plan.cases
        ]
        self._walker = [SimpleCase if cp.simple and SIMPLE else Case for cp in self.plan.cases]
        self.recorder.expect(len(times))
        times = times[order]
        del order
        self.kernel.feed(times, self._arrive)

    def _arrive(self, n: int) -> None:
        """Case ``n`` (in order of arrival) arrives: create it and submit its first items."""
        b = n >> FEED_SHIFT
        if b != self._block:
            self._block = b
            lo, hi = b << FEED_SHIFT, (b + 1) << FEED_SHIFT
            self._block_types = self._types[lo:hi].tolist()
            self._block_ks = self._ks[lo:hi].tolist()
        j = n & FEED_MASK
        type_code, k = self._block_types[j], self._block_ks[j]
        t = self.kernel.now
        quick = self._quick[type_code]
        if quick is not None:
            plan, step, department, stream, sizes = quick
            case = QuickCase(self, n, plan, k, t)
            self.recorder.open[n] = case
            # a quick case reads its effort and size once, at arrival, in index order
            department.review(case, 0, step, stream.take(k) * sizes.take(k))
            return
        plan = self.plan.cases[type_code]
        case = self._walker[type_code](self, n, plan, k, t, self._sizes_by_type[type_code].value(k))
        self.recorder.open[n] = case
        for i in plan.roots:
            if case.state[i] == WAITING:
                case.submit_item(i, -1)

    def _sizes(self, n: int, count: int) -> ArrayStream | ConstantStream:
        """The sizes of the ``count`` cases of type ``n`` (a constant needs no array)."""
        type_id = self.plan.type_ids[n]
        dist = self.scenario.case_types[type_id].size
        if dist.dist == "deterministic":
            return ConstantStream(float(dist.value))
        key = ("size", type_id)
        sizes = dist.ppf(self.streams.uniforms(key, count))
        self.streams.forget(key)
        return ArrayStream(sizes)

    def run(self) -> Trace:
        """Run the replication to the end of the horizon plus drain, and return its trace."""
        if self._ran:
            raise RuntimeError("a Model runs once; build a new one for another replication")
        self._ran = True
        self._schedule_arrivals()
        self.kernel.run(until=self.end_h)
        return self.recorder.build()


class _Then:
    """A delayed ``then(i, arg)`` (a callable object is cheaper than a closure per delay)."""

    __slots__ = ("then", "i", "arg")

    def __init__(self, then: Any, i: int, arg: Any):
        self.then, self.i, self.arg = then, i, arg

    def __call__(self, _: None) -> None:
        self.then(self.i, self.arg)
