"""The service-hall engine: citizens at windows, in minutes, across a network of halls.

A scenario with ``[locations]`` runs here (:class:`HallModel`; ``Model(scenario)`` hands it
over). Time is still calendar hours from the start (a minute is 1/60 h); per-visit figures are
reported in minutes.

**Window groups.** A location (a hall, or ``copies`` identical stations) has window groups, each
with its own staff (a roster by day type and hours, see :mod:`sim.model.halltime`) and one
first-come first-served queue, serving the *present* steps of the departments it lists. A
started service runs in elapsed time and ends ``effort`` later, whatever the clock says; a new
service starts only while busy staff are fewer than those rostered. At the day's last closing,
``at_close`` decides: ``serve`` (the staff rostered before closing serve everyone queued:
overtime), ``send_home`` (those waiting leave and come back), ``carry`` (the queue waits for the
next opening). Nobody joins a group after its last closing of the day.

**Cases** walk their items' precedence graph (``requires`` and ``after``). An item's steps run in
order: a present step becomes a *window task* (skipped when the case does the item online), a
delay step passes elapsed time in the back office. A correction checked after ``after_step``
sends the applicant home for the missing document (the turnaround), and the item restarts at
``from_step``. After the last step the result is collected at a window (``delivery.pickup_share``
of in-person cases, at the location of the item's first service, after ``network.return_lag``)
or mailed.

**Serial windows and visits.** A case has at most one window task queued or in service. Its
ready tasks wait in a list; the next one taken is the first, in item order, that the location it
is at can serve (a group there serves the department, at a level the item allows, and has not
closed for the day). When none can be served there, the *visit* ends — a visit is a stay at one
location (copy) on one day — and the rest go on a later trip: to the home location if it can
serve the first of them, else to the first location up the network's levels (in the case's area
or without one) that can. A trip starts on the location's next open day (after today for a hop
between halls), at a time of day drawn from the case type's arrival profile within the group's
open hours. At arrival the case is at its home location at once.

**Home location.** Each case draws its area (``[areas]`` shares), its level
(``level_shares``) and a copy; when its home has no group open at the arrival instant for its
first window task, the level is drawn again with the same uniform over the levels that have one
(a Saturday social-insurance case goes to the district hall).

**Leaving.** A task that finds ``balk_at`` or more waiting does not join (a *balk*); one whose
patience (in open hours of the group) runs out before service leaves (a *renege*). Either way the
case comes back after ``retry.after`` with probability ``retry.probability``, else it *gives up*
(the case ends unfinished, ``gave_up``).

**Joint reception** (the ``one_visit`` lever): a ``reception`` item receives the members the
case needs and does in person in one service of ``intake_share`` times the sum of their intake
efforts; its document check fails member by member with the member's own uniform below
``probability x correction_factor``, and the failed ones come back in one return visit. A
received member skips its first present step and the correction after it.

**Randomness**: every draw is keyed by purpose, case type, item, step and round (and indexed by
the case's number within its type), so scenarios run with the same seed share their random
numbers case by case (common random numbers).
"""

from __future__ import annotations

import datetime as dt
import math
from collections import deque
from collections.abc import Iterable
from typing import Any

import numpy as np

from sim.model.base import ModelBase
from sim.model.halltime import DAY_TYPES, HOURS_PER_DAY, Timeline, day_types, nhpp_times, timeline
from sim.model.kernel import FEED_MASK, FEED_SHIFT
from sim.model.streams import CaseStream
from sim.model.tables import MemorySink, Sink, Table
from sim.model.trace import CASE_LEAD, TABLES, Trace, _by_case, _Tee, known_tables, memory_sink
from sim.scenario.schema import Scenario, group_departments

NAN = math.nan
MINUTES = 60.0
HIST_BINS = 24 * 60 + 1  # waits in whole minutes up to 24 h, then the last bin

# task states
WAITING, SERVING, LEFT, DONE = 0, 1, 2, 3
PICKUP = 999  # the step index of a collection task (no real step has it)


def _hours(dist: Any) -> Any:
    """A duration distribution in hours (minutes rescaled)."""
    if dist is not None and dist.unit == "minutes":
        return dist.scaled(1 / MINUTES).model_copy(update={"unit": "hours"})
    return dist


class Group:
    """One copy of a window group: staff from its timeline, one FIFO queue, its statistics."""

    __slots__ = (
        "model",
        "loc",
        "copy",
        "gid",
        "code",
        "tl",
        "at_close",
        "busy",
        "queue",
        "waiting",
        "seg",
        "armed",
        "close_armed",
        "stats",
    )

    def __init__(self, model: HallModel, loc: int, copy: int, gid: str, code: int, tl: Timeline):
        self.model = model
        self.loc = loc
        self.copy = copy
        self.gid = gid
        self.code = code
        self.tl = tl
        self.at_close = model.locs[loc].at_close
        self.busy = 0
        self.queue: deque[list] = deque()
        self.waiting = 0  # tickets in the queue still waiting (reneged ones are skipped lazily)
        self.seg = 0
        self.armed = False
        self.close_armed = -1
        self.stats = model.group_stats[code]

    def capacity(self, now: float) -> int:
        """Staff who may serve now (rostered; after the last closing with 'serve', the last)."""
        tl = self.tl
        j = self.seg = tl.index(now, self.seg)
        s = tl.staff[j]
        if s == 0 and self.at_close == "serve" and self.waiting:
            d = int(now // HOURS_PER_DAY)
            close = tl.close[d] if d < tl.n_days else NAN
            if close <= now:
                return tl.close_staff[d]
        return s

    def joinable(self, now: float) -> bool:
        """Whether a citizen may still join today (before the day's last closing)."""
        d = int(now // HOURS_PER_DAY)
        tl = self.tl
        return d < tl.n_days and now < tl.close[d]

    def join(self, ticket: list) -> None:
        """A citizen's window task joins the queue (or balks)."""
        model = self.model
        now = model.kernel.now
        st = self.stats
        inside = model.h0 <= now < model.h1
        case = ticket[0]
        case.joins += 1
        if inside:
            st[0] += 1  # joins
        if model.balk_at is not None and self.waiting >= model.balk_at:
            case.balks += 1
            if inside:
                st[2] += 1
            ticket[5] = LEFT
            case.left_queue(ticket, now)
            return
        if self.busy < self.capacity(now) and not self.waiting:
            self._start(ticket, now)
            return
        self.queue.append(ticket)
        self.waiting += 1
        if inside and self.waiting > st[9]:
            st[9] = self.waiting
        patience = case.patience(ticket)
        if patience < math.inf:
            tl = self.tl
            deadline = tl.at_open_hours(tl.open_hours(now) + patience)
            model.kernel.call_at(deadline, self._renege, ticket)
        self._arm(now)

    def _arm(self, now: float) -> None:
        """Wake up when more staff come on (queue waiting), or at closing ('send_home')."""
        if not self.armed and self.waiting:
            t = self.tl.next_rise(now, self.seg)
            if t < math.inf:
                self.armed = True
                self.model.kernel.call_at(t, self._wake, None)
        if self.at_close == "send_home" and self.waiting:
            d = int(now // HOURS_PER_DAY)
            if self.close_armed != d and d < self.tl.n_days and now < self.tl.close[d]:
                self.close_armed = d
                self.model.kernel.call_at(self.tl.close[d], self._send_home, d)

    def _wake(self, _: Any) -> None:
        self.armed = False
        now = self.model.kernel.now
        self._pull(now)
        self._arm(now)

    def _pull(self, now: float) -> None:
        """Start services while staff are free and someone waits."""
        queue = self.queue
        while self.waiting and self.busy < self.capacity(now):
            ticket = queue.popleft()
            if ticket[5] != WAITING:
                continue
            self.waiting -= 1
            self._start(ticket, now)

    def _start(self, ticket: list, now: float) -> None:
        model = self.model
        self.busy += 1
        ticket[5] = SERVING
        case, effort, joined = ticket[0], ticket[3], ticket[4]
        end = now + effort
        wait = now - joined
        case.served(ticket, wait)
        if model.h0 <= joined < model.h1:
            st = self.stats
            st[1] += 1  # served
            st[5] += wait
            hist = model.hist[self.code]
            b = int(wait * MINUTES)
            hist[b if b < HIST_BINS else HIST_BINS - 1] += 1
        if model.h0 <= now < model.h1:
            model.add_busy(self, now, end)
        model.kernel.call_at(end, self._done, ticket)

    def _done(self, ticket: list) -> None:
        now = self.model.kernel.now
        self.busy -= 1
        ticket[5] = DONE
        if self.waiting:
            self._pull(now)
            self._arm(now)
        ticket[0].service_done(ticket)

    def _renege(self, ticket: list) -> None:
        if ticket[5] != WAITING:
            return
        now = self.model.kernel.now
        ticket[5] = LEFT
        self.waiting -= 1
        case = ticket[0]
        case.reneges += 1
        if self.model.h0 <= ticket[4] < self.model.h1:
            self.stats[3] += 1
        case.left_queue(ticket, now)

    def _send_home(self, day: int) -> None:
        now = self.model.kernel.now
        queue = self.queue
        while queue:
            ticket = queue.popleft()
            if ticket[5] != WAITING:
                continue
            ticket[5] = LEFT
            self.waiting -= 1
            case = ticket[0]
            case.sent_home += 1
            if self.model.h0 <= ticket[4] < self.model.h1:
                self.stats[4] += 1
            case.left_queue(ticket, now, sent_home=True)


# group statistics (per window group, all copies): positions in a stats list
# 0 joins, 1 served, 2 balks, 3 reneges, 4 sent_home, 5 wait_sum_h, 6 busy_h, 7 overtime_h,
# 8 (unused), 9 max_queue


class TypePlan:
    """A case type compiled for the hall engine: its items, their draws and where they go."""

    def __init__(self, model: HallModel, code: int, type_id: str):
        sc = model.scenario
        ct = sc.case_types[type_id]
        self.code = code
        self.id = type_id
        self.items = list(ct.items)
        n = len(self.items)
        index = {iid: j for j, iid in enumerate(self.items)}
        self.preds: list[list[int]] = [[] for _ in range(n)]
        self.succs: list[list[int]] = [[] for _ in range(n)]
        extra = ct.requires
        for j, iid in enumerate(self.items):
            it = sc.items[iid]
            for p in (*it.requires, *it.after, *extra.get(iid, ())):
                if p in index and index[p] not in self.preds[j]:
                    self.preds[j].append(index[p])
                    self.succs[index[p]].append(j)
        self.roots = [j for j in range(n) if not self.preds[j]]
        self.groups = tuple(ct.groups)
        stream = model.stream
        self.specs = [sc.items[iid] for iid in self.items]
        self.dep = [model.dep_code.get(it.department or "", -1) for it in self.specs]
        self.kind_counted = [it.kind != "reception" for it in self.specs]
        self.needed = [
            stream(("needed", type_id, iid)) if sc.items[iid].probability < 1 else None
            for iid in self.items
        ]
        self.probability = [it.probability for it in self.specs]
        self.online_share = [
            1.0 if it.submitted_online else (it.online_share or 0.0) for it in self.specs
        ]
        self.online = [stream(("online", type_id, iid)) for iid in self.items]
        self.steps = [it.steps for it in self.specs]
        self.first_present = [
            next((s for s, st in enumerate(it.steps) if st.present), -1) for it in self.specs
        ]
        self.levels = [
            frozenset(model.level_code[lv] for lv in it.levels) if it.levels else None
            for it in self.specs
        ]
        self.effort_dist = [[_hours(st.effort) for st in it.steps] for it in self.specs]
        self.delay_dist = [[_hours(st.delay) for st in it.steps] for it in self.specs]
        self.effort0 = [
            [
                stream(("effort", type_id, iid, s, 0), d) if d is not None else None
                for s, d in enumerate(ds)
            ]
            for iid, ds in zip(self.items, self.effort_dist, strict=True)
        ]
        self.delay0 = [
            [
                stream(("delay", type_id, iid, s, 0), d) if d is not None else None
                for s, d in enumerate(ds)
            ]
            for iid, ds in zip(self.items, self.delay_dist, strict=True)
        ]
        corr = [it.correction for it in self.specs]
        self.corr_p = [c.probability if c is not None else 0.0 for c in corr]
        self.corr_after = [
            (
                [st.name for st in it.steps].index(c.after_step)
                if c.after_step is not None
                else len(it.steps) - 1
            )
            if c is not None
            else -1
            for it, c in zip(self.specs, corr, strict=True)
        ]
        self.corr_from = [
            ([st.name for st in it.steps].index(c.from_step) if c.from_step is not None else 0)
            if c is not None
            else 0
            for it, c in zip(self.specs, corr, strict=True)
        ]
        self.turnaround = [_hours(c.turnaround) if c is not None else None for c in corr]
        self.corr_cap = [
            (c.max_rounds if c.max_rounds is not None else -1) if c is not None else -1
            for c in corr
        ]
        self.delivery = [it.delivery for it in self.specs]
        self.pickup_dist = [_hours(d.pickup) if d is not None else None for d in self.delivery]
        self.mail_dist = [_hours(d.mail) if d is not None else None for d in self.delivery]
        # the streams of the hot path, looked up once (model.stream returns the same objects)
        self.corr0 = [
            stream(("correction", type_id, iid, 0, 0)) if c is not None else None
            for iid, c in zip(self.items, corr, strict=True)
        ]
        self.pickup_u = [
            stream(("delivery", type_id, iid)) if d is not None and d.pickup_share > 0 else None
            for iid, d in zip(self.items, self.delivery, strict=True)
        ]
        lag = _hours(model.network.return_lag) if model.network is not None else None
        self.return_lag_unit = lag.unit if lag is not None else None  # minutes made hours
        self.return_lag = [
            stream(("return_lag", type_id, iid), lag)
            if d is not None and d.pickup_share > 0
            else None
            for iid, d in zip(self.items, self.delivery, strict=True)
        ]
        self.mail = [
            stream(("mail", type_id, iid), md) if md is not None else None
            for iid, md in zip(self.items, self.mail_dist, strict=True)
        ]
        # items that draw at arrival whether they are needed or handled online
        self.drawn = [j for j in range(n) if self.needed[j] is not None or self.online_share[j] > 0]
        # receptions: member positions, intake share and correction factor
        self.receives = [
            [index[m] for m in it.receives if m in index] if it.kind == "reception" else None
            for it in self.specs
        ]
        self.received_by = [-1] * n
        for j, members in enumerate(self.receives):
            for m in members or ():
                self.received_by[m] = j
        self.level_u = stream(("level", type_id))
        self.area_u = stream(("area", type_id))
        self.copy_u = stream(("copy", type_id))
        levels = sc.network.levels
        shares = ct.level_shares or {self._default_level(model): 1.0}
        self.level_shares = [(model.level_code[lv], shares.get(lv, 0.0)) for lv in levels]
        self.level_cut = _level_cuts(self.level_shares)
        arr = ct.arrivals
        self.profile = sc.profiles.get(arr.profile) if arr.process == "profile" else None
        # time-of-day weights of each day type, parsed once (trip times are drawn from them)
        self.hours = (
            [self.profile.hours_of(t) for t in DAY_TYPES] if self.profile is not None else None
        )
        pat = ct.patience
        if pat is None and sc.abandonment is not None:
            pat = sc.abandonment.patience
        self.patience = _hours(pat)
        self.patience_streams: dict[tuple, CaseStream] = {}

    def _default_level(self, model: HallModel) -> str:
        """The lowest level whose halls serve the first item (the default home level)."""
        sc = model.scenario
        first = self.specs[self.roots[0]] if self.roots else self.specs[0]
        dep = model.dep_code.get(first.department or "", -1)
        for lv in sc.network.levels:
            code = model.level_code[lv]
            if first.levels and lv not in first.levels:
                continue
            if any(dep in model.serves[li] for li in model.locs_at_level[code]):
                return lv
        return sc.network.levels[-1]


def _level_cuts(shares: list[tuple[int, float]]) -> list[tuple[float, int]]:
    """``(cumulative share, level)`` of the levels with a share, summed as ``_pick_level`` does.

    The first cut above ``u`` is the level drawn; the last one when none is (rounding).
    """
    total = sum(s for _, s in shares)
    acc = 0.0
    cuts = []
    for lv, s in shares:
        acc += s / total
        if s > 0:
            cuts.append((acc, lv))
    return cuts


class HallCase:
    """One citizen's (or enterprise's) case in the hall network (see the module docstring)."""

    __slots__ = (
        "model",
        "id",
        "tp",
        "k",
        "arrival",
        "area",
        "level",
        "home",
        "copy",
        "state",
        "need",
        "online",
        "rounds",
        "where",
        "received",
        "pending",
        "current",
        "visit_loc",
        "visit_copy",
        "visit_day",
        "visit_start",
        "trip",
        "trips",
        "n_left",
        "visits",
        "services",
        "joins",
        "balks",
        "reneges",
        "sent_home",
        "corrections",
        "handled",
        "online_items",
        "wait",
        "hall_time",
        "item_visits",
        "gave_up",
        "closed",
        "join_no",
        "rec_fail",
    )

    def __init__(self, model: HallModel, case_id: int, tp: TypePlan, k: int, arrival: float):
        self.model = model
        self.id = case_id
        self.tp = tp
        self.k = k
        self.arrival = arrival
        n = len(tp.items)
        self.state = [0] * n  # 0 waiting, 1 active, 2 done
        self.need = [True] * n
        self.online = [False] * n
        for j in tp.drawn:
            st = tp.needed[j]
            if st is not None and st.value(k) >= tp.probability[j]:
                self.need[j] = False
            share = tp.online_share[j]
            if share > 0 and (share >= 1 or tp.online[j].value(k) < share):
                self.online[j] = True
        self.rounds = [0] * n
        self.where = [-1] * n  # location (and copy) of the item's first service
        self.received: list[bool] | None = None
        self.rec_fail: list[list[int]] | None = None
        self.pending: list[tuple[int, int]] = []
        self.current: list | None = None
        self.visit_loc = -1
        self.visit_copy = 0
        self.visit_day = -1
        self.visit_start = 0.0
        self.trip = False
        self.trips = 0
        self.n_left = n
        self.visits = 0
        self.services = 0
        self.joins = 0
        self.balks = 0
        self.reneges = 0
        self.sent_home = 0
        self.corrections = 0
        self.handled = 0
        self.online_items = 0
        self.wait = 0.0
        self.hall_time = 0.0
        self.item_visits = [0] * n
        self.gave_up = False
        self.closed = False
        self.join_no = 0
        model.place(self)

    # -- the walk -------------------------------------------------------------------------------

    def submit(self, j: int) -> None:
        """Item ``j``'s prerequisites are done: pass it by, receive it jointly, or start it."""
        tp = self.tp
        self.state[j] = 1
        if not self.need[j]:
            self.item_done(j)
            return
        members = tp.receives[j]
        if members is not None:
            self._receive(j, members)
            return
        if tp.kind_counted[j]:
            self.handled += 1
            if self.online[j]:
                self.online_items += 1
        if self.received is not None and self.received[j]:
            self.run_step(j, tp.first_present[j] + 1)
        else:
            self.run_step(j, 0)

    def _receive(self, j: int, members: list[int]) -> None:
        """A joint reception: the members this case needs and does in person, in one service."""
        got = [m for m in members if self.need[m] and not self.online[m]]
        if not got:
            self.item_done(j)
            return
        if self.received is None:
            self.received = [False] * len(self.state)
        for m in got:
            self.received[m] = True
        if self.rec_fail is None:
            self.rec_fail = [[] for _ in self.state]
        self.rec_fail[j] = got
        self.ready(j, 0)

    def run_step(self, j: int, s: int) -> None:
        """Start step ``s`` of item ``j`` (or finish the item after its last step)."""
        tp = self.tp
        steps = tp.steps[j]
        if s >= len(steps):
            self.finish_item(j)
            return
        step = steps[s]
        if step.present:
            if self.online[j]:
                self.step_done(j, s)
            else:
                self.ready(j, s)
            return
        r = self.rounds[j]
        stream = tp.delay0[j][s] if r == 0 else None
        if stream is None:
            stream = self.model.stream(("delay", tp.id, tp.items[j], s, r), tp.delay_dist[j][s])
        self.model.after(stream.value(self.k), tp.delay_dist[j][s].unit, self._step_then, (j, s))

    def _step_then(self, js: tuple[int, int]) -> None:
        if not self.closed:
            self.step_done(*js)

    def step_done(self, j: int, s: int) -> None:
        """Step ``s`` of item ``j`` is done: check for a missing document, or go on."""
        tp = self.tp
        if s == tp.corr_after[j] and not (
            self.received is not None and self.received[j] and s == tp.first_present[j]
        ):
            r = self.rounds[j]
            cap = tp.corr_cap[j]
            if (cap < 0 or r < cap) and (
                tp.corr0[j].value(self.k)
                if r == 0
                else self.model.uniform(("correction", tp.id, tp.items[j], 0, r), self.k)
            ) < tp.corr_p[j]:
                self.corrections += 1
                self.rounds[j] = r + 1
                turnaround = tp.turnaround[j]
                value = self.model.draw(
                    ("turnaround", tp.id, tp.items[j], 0, r), turnaround, self.k
                )
                self.model.after(value, turnaround.unit, self._restart, j)
                return
        self.run_step(j, s + 1)

    def _restart(self, j: int) -> None:
        if not self.closed:
            self.run_step(j, self.tp.corr_from[j])

    def finish_item(self, j: int) -> None:
        """The item's last step is done: its result is collected, mailed, or simply done."""
        tp = self.tp
        delivery = tp.delivery[j]
        if delivery is None:
            self.item_done(j)
            return
        model = self.model
        if (
            not self.online[j]
            and delivery.pickup_share > 0
            and tp.pickup_u[j].value(self.k) < delivery.pickup_share
        ):
            value = tp.return_lag[j].value(self.k)
            model.after(value, tp.return_lag_unit, self._pickup_ready, j)
            return
        value = tp.mail[j].value(self.k)
        model.after(value, tp.mail_dist[j].unit, self._mailed, j)

    def _pickup_ready(self, j: int) -> None:
        if not self.closed:
            self.ready(j, PICKUP)

    def _mailed(self, j: int) -> None:
        if not self.closed:
            self.item_done(j)

    def item_done(self, j: int) -> None:
        """Item ``j`` is done: close the case, or submit the successors now free to start."""
        self.state[j] = 2
        self.n_left -= 1
        if self.n_left == 0:
            self.close(self.model.kernel.now)
            return
        state, preds = self.state, self.tp.preds
        for t in self.tp.succs[j]:
            if state[t] == 0 and all(state[p] == 2 for p in preds[t]):
                self.submit(t)

    # -- windows and visits ---------------------------------------------------------------------

    def ready(self, j: int, s: int) -> None:
        """A window task of item ``j`` (step ``s``, or a collection) is ready."""
        self.pending.append((j, s))
        if len(self.pending) > 1:
            self.pending.sort()
        if self.model.started(self):
            self.dispatch()

    def dispatch(self, arrival: bool = False) -> None:
        """Take the next window task here, or end the visit and plan the next trip."""
        if self.current is not None or self.closed or not self.pending:
            if not self.pending and self.current is None and self.visit_loc >= 0:
                self._end_visit()
            return
        model = self.model
        now = model.kernel.now
        if self.visit_loc >= 0:
            if self.visit_day == int(now // HOURS_PER_DAY):
                for n, (j, s) in enumerate(self.pending):
                    group = model.group_for(self, j, s, self.visit_loc, self.visit_copy, now)
                    if group is not None:
                        del self.pending[n]
                        self._join(group, j, s, now)
                        return
            self._end_visit()
            if self.trip:
                return
            loc, copy = model.route(self, *self.pending[0])
            model.plan_trip(self, loc, copy, now, hop=True)
            return
        if self.trip:
            return
        j, s = self.pending[0]
        if arrival:
            loc, copy = self.home, self.copy
            for n, (jj, ss) in enumerate(self.pending):
                group = model.group_for(self, jj, ss, loc, copy, now)
                if group is not None:  # the first task home can take: begin_visit's own pick
                    self.begin_visit(loc, copy, now, (n, group))
                    return
            loc, copy = model.route(self, j, s)
            self.begin_visit(loc, copy, now)
            return
        loc, copy = model.route(self, j, s)
        model.plan_trip(self, loc, copy, now, hop=False)

    def begin_visit(
        self, loc: int, copy: int, now: float, first: tuple[int, Group] | None = None
    ) -> None:
        """The applicant is at location ``loc`` (copy) now: take what can be served here.

        ``first``: the position in ``pending`` of the first task a group here takes now, and that
        group, when the caller has already looked for it.
        """
        self.trip = False
        self.visit_loc, self.visit_copy = loc, copy
        self.visit_day = int(now // HOURS_PER_DAY)
        self.visit_start = now
        self.trips += 1
        if first is not None:
            n, group = first
            j, s = self.pending.pop(n)
            self.visits += 1
            self._join(group, j, s, now)
            return
        for n, (j, s) in enumerate(self.pending):
            group = self.model.group_for(self, j, s, loc, copy, now)
            if group is not None:
                del self.pending[n]
                self.visits += 1
                self._join(group, j, s, now)
                return
        # nothing can be served here today (closed for the day): plan another trip
        self.visit_loc = -1
        if self.pending:
            nj, ns = self.pending[0]
            l2, c2 = self.model.route(self, nj, ns)
            self.model.plan_trip(self, l2, c2, now, hop=True)

    def _end_visit(self) -> None:
        now = self.model.kernel.now
        self.hall_time += now - self.visit_start
        self.visit_loc = -1

    def _join(self, group: Group, j: int, s: int, now: float) -> None:
        tp = self.tp
        model = self.model
        r = self.rounds[j]
        if s == PICKUP:
            effort = model.draw(("pickup", tp.id, tp.items[j]), tp.pickup_dist[j], self.k)
        elif tp.receives[j] is not None:
            members = self.rec_fail[j]  # type: ignore[index]
            r = self.rounds[j]
            total = 0.0
            for m in members:
                fp = tp.first_present[m]
                total += model.effort(tp, m, fp, r, self.k)
            effort = tp.specs[j].intake_share * total
        else:
            effort = model.effort(tp, j, s, r, self.k)
        if self.where[j] < 0 and s != PICKUP:
            self.where[j] = group.loc * 4096 + group.copy
        self.item_visits[j] += 1
        self.join_no += 1
        ticket = [self, j, s, effort, now, WAITING, self.join_no]
        self.current = ticket
        group.join(ticket)

    def patience(self, ticket: list) -> float:
        """The task's patience in open hours (inf: none)."""
        tp = self.tp
        dist = tp.patience
        if dist is None:
            return math.inf
        j, s, no = ticket[1], ticket[2], ticket[6]
        stream = tp.patience_streams.get((j, s, no))
        if stream is None:
            stream = tp.patience_streams[j, s, no] = self.model.stream(
                ("patience", tp.id, tp.items[j], s, no), dist
            )
        return stream.value(self.k)

    def served(self, ticket: list, wait: float) -> None:
        """Service of the ticket starts after ``wait`` hours in the queue."""
        self.wait += wait
        self.services += 1

    def service_done(self, ticket: list) -> None:
        """The window service is done: the step (or collection) is done; then the next task."""
        self.current = None
        j, s = ticket[1], ticket[2]
        if self.closed:
            return
        if s == PICKUP:
            self.item_done(j)
        elif self.tp.receives[j] is not None:
            self._reception_checked(j)
        else:
            self.step_done(j, s)
        if not self.closed:
            self.dispatch()

    def _reception_checked(self, j: int) -> None:
        """The reception's document check: failed members come back together, or it is done."""
        tp = self.tp
        model = self.model
        r = self.rounds[j]
        factor = tp.specs[j].correction_factor
        failed = []
        for m in self.rec_fail[j]:  # type: ignore[index]
            p = tp.corr_p[m] * factor
            if p > 0 and model.uniform(("correction", tp.id, tp.items[m], 0, r), self.k) < p:
                failed.append(m)
        if not failed:
            self.item_done(j)
            return
        self.corrections += len(failed)
        self.rec_fail[j] = failed  # type: ignore[index]
        self.rounds[j] = r + 1
        wait = 0.0
        unit = "working_days"
        for m in failed:
            dist = tp.turnaround[m]
            value = model.draw(("turnaround", tp.id, tp.items[m], 0, r), dist, self.k)
            hours = model.as_hours(value, dist.unit, model.kernel.now)
            if hours > wait:
                wait, unit = hours, "hours"
        model.after(wait, unit, self._reception_again, j)

    def _reception_again(self, j: int) -> None:
        if not self.closed:
            self.ready(j, 0)

    def left_queue(self, ticket: list, now: float, sent_home: bool = False) -> None:
        """The task left the queue unserved: come back later, or give up."""
        self.current = None
        if self.closed:
            return
        tp = self.tp
        model = self.model
        j, s = ticket[1], ticket[2]
        self.wait += now - ticket[4]
        retry = model.retry
        come_back = sent_home or retry is None
        if not come_back:
            key = ("retry", tp.id, tp.items[j], s, ticket[6])
            come_back = model.uniform(key, self.k) < retry.probability
        if not come_back:
            self._end_visit_if_open()
            self.gave_up = True
            self.close(NAN)
            return
        self._end_visit_if_open()
        after = retry.after if retry is not None else None
        self.pending.append((j, s))
        self.pending.sort()
        if after is None:
            model.after(1.0, "working_days", self._retry, None)
        else:
            value = model.draw(
                ("retry_after", tp.id, tp.items[j], s, ticket[6]), _hours(after), self.k
            )
            model.after(value, after.unit, self._retry, None)
        self.trip = True  # the return is planned: nothing else goes before it

    def _end_visit_if_open(self) -> None:
        if self.visit_loc >= 0:
            self._end_visit()

    def _retry(self, _: Any) -> None:
        if self.closed:
            return
        self.trip = False
        if self.pending and self.current is None and self.visit_loc < 0:
            loc, copy = self.model.route(self, *self.pending[0])
            self.model.plan_trip(self, loc, copy, self.model.kernel.now, hop=False)

    def close(self, now: float) -> None:
        """The case is over (finished at ``now``, or NaN: gave up)."""
        if self.closed:
            return
        self.closed = True
        if self.visit_loc >= 0 and now == now:
            self._end_visit()
        self.model.record(self, now)


class HallModel(ModelBase):
    """One replication of a scenario with service halls (see the module docstring)."""

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
        info = sc.scenario
        self.h0, self.h1 = self.warmup_h, self.horizon_h
        self.network = sc.network
        ab = sc.abandonment
        self.balk_at = ab.balk_at if ab is not None else None
        self.retry = ab.retry if ab is not None else None
        self.dep_ids = list(sc.departments)
        self.dep_code = {d: n for n, d in enumerate(self.dep_ids)}
        levels = list(sc.network.levels)
        self.level_code = {lv: n for n, lv in enumerate(levels)}
        self.area_ids = list(sc.areas)
        self.area_shares = np.cumsum([a.share for a in sc.areas.values()]).tolist()
        self.loc_ids = list(sc.locations)
        self.locs = list(sc.locations.values())
        self.loc_level = [self.level_code[loc.level] for loc in self.locs]
        self.loc_area = [
            self.area_ids.index(loc.area) if loc.area is not None else -1 for loc in self.locs
        ]
        self.locs_at_level: list[list[int]] = [[] for _ in levels]
        for li, lc in enumerate(self.loc_level):
            self.locs_at_level[lc].append(li)
        # window groups: codes per (location, group); one Group object per copy
        window = (self.h0, self.h1)
        self.group_keys: list[tuple[str, str]] = []
        self.group_tl: list[Timeline] = []
        self.serves: list[dict[int, int]] = []  # location -> department -> group code
        for lid, loc in zip(self.loc_ids, self.locs, strict=True):
            serves: dict[int, int] = {}
            for gid, g in loc.windows.items():
                code = len(self.group_keys)
                self.group_keys.append((lid, gid))
                self.group_tl.append(timeline(loc, g, info.start, self.n_days, window))
                for dep in group_departments(gid, g):
                    for d in self.dep_ids if dep == "*" else (dep,):
                        serves[self.dep_code[d]] = code
            self.serves.append(serves)
        n_groups = len(self.group_keys)
        self.group_stats = [[0, 0, 0, 0, 0, 0.0, 0.0, 0.0, 0, 0] for _ in range(n_groups)]
        self.hist = [np.zeros(HIST_BINS, dtype=np.int64) for _ in range(n_groups)]
        self.busy_bins = [np.zeros(7 * 24) for _ in range(n_groups)]
        self._busy_lists = [[0.0] * (7 * 24) for _ in range(n_groups)]
        self.copies: list[list[list[Group]]] = []  # location -> copy -> groups by order
        self.group_at: list[list[dict[int, Group]]] = []  # location -> copy -> code -> Group
        for li, loc in enumerate(self.locs):
            per_copy = []
            for c in range(loc.copies):
                per_copy.append(
                    {
                        code: Group(
                            self, li, c, self.group_keys[code][1], code, self.group_tl[code]
                        )
                        for code in sorted(set(self.serves[li].values()))
                    }
                )
            self.group_at.append(per_copy)
        self.weekday0 = info.start.weekday()
        self.day_type = day_types(info.start, self.n_days)
        self.loc_copies = [loc.copies for loc in self.locs]
        n_areas = max(len(self.area_ids), 1)
        self.home_of = [
            [self._location(lv, a) for a in range(n_areas)] for lv in range(len(levels))
        ]
        self.types = [TypePlan(self, n, t) for n, t in enumerate(sc.case_types)]
        self.keep = tuple(t for t in TABLES if t in keep)
        self._setup_tables(sink, case_columns)
        self._arrivals = [self._arrival_times(tp) for tp in self.types]
        self.open_cases: dict[int, HallCase] = {}
        self._starting: HallCase | None = None
        self._trip_pieces: dict[tuple[int, int, int], tuple] = {}
        self._trip_day = -1
        self._ran = False

    # -- draws, delays ------------------------------------------------------------------------

    def effort(self, tp: TypePlan, j: int, s: int, r: int, k: int) -> float:
        """The window effort (hours) of step ``s`` of item ``j`` at round ``r``."""
        stream = tp.effort0[j][s] if r == 0 else None
        if stream is None:
            stream = self.stream(("effort", tp.id, tp.items[j], s, r), tp.effort_dist[j][s])
        return stream.value(k)

    def as_hours(self, value: float, unit: str | None, now: float) -> float:
        """A duration in ``unit`` from ``now``, as hours of the clock."""
        if unit in (None, "working_days"):
            return self.calendar.add_working_days(now, value) - now
        if unit == "calendar_days":
            return value * HOURS_PER_DAY
        if unit == "minutes":
            return value / MINUTES
        return value

    def after(self, value: float, unit: str | None, then: Any, arg: Any) -> None:
        """Call ``then(arg)`` once ``value`` ``unit`` have passed."""
        now = self.kernel.now
        self.kernel.call_at(now + self.as_hours(value, unit, now), then, arg)

    # -- where cases go -------------------------------------------------------------------------

    def place(self, case: HallCase) -> None:
        """Draw the case's area, level and copy (its home location)."""
        tp, k = case.tp, case.k
        area = 0
        if self.area_ids:
            u = tp.area_u.value(k)
            shares = self.area_shares
            while area < len(shares) - 1 and u >= shares[area]:
                area += 1
        case.area = area
        u = tp.level_u.value(k)
        cuts = tp.level_cut
        lv = cuts[-1][1]
        for cut, level in cuts:
            if u < cut:
                lv = level
                break
        case.level = lv
        case.home = home = self.home_of[lv][area]
        case.copy = int(tp.copy_u.value(k) * self.loc_copies[home])

    @staticmethod
    def _pick_level(shares: list[tuple[int, float]], u: float) -> int:
        total = sum(s for _, s in shares)
        acc = 0.0
        for lv, s in shares:
            acc += s / total
            if u < acc and s > 0:
                return lv
        return next(lv for lv, s in reversed(shares) if s > 0)

    def _location(self, level: int, area: int) -> int:
        """The location of ``level`` in ``area`` (or one without an area)."""
        best = -1
        for li in self.locs_at_level[level]:
            if self.loc_area[li] == area:
                return li
            if self.loc_area[li] < 0:
                best = li
        return best if best >= 0 else self.locs_at_level[level][0]

    def redraw_home(self, case: HallCase) -> None:
        """At arrival: a home with nothing open for the first task is drawn again (same u)."""
        if not case.pending:
            return
        now = self.kernel.now
        j, s = case.pending[0]
        if self.group_for(case, j, s, case.home, case.copy, now, open_now=True) is not None:
            return
        tp = case.tp
        shares = []
        for lv, share in tp.level_shares:
            if share <= 0:
                continue
            li = self._location(lv, case.area)
            c = min(case.copy, self.locs[li].copies - 1)
            if self.group_for(case, j, s, li, c, now, open_now=True) is not None:
                shares.append((lv, share))
        if shares:
            case.level = self._pick_level(shares, tp.level_u.value(case.k))
            case.home = self._location(case.level, case.area)
            case.copy = int(tp.copy_u.value(case.k) * self.locs[case.home].copies)

    def group_for(
        self,
        case: HallCase,
        j: int,
        s: int,
        loc: int,
        copy: int,
        now: float,
        open_now: bool = False,
    ) -> Group | None:
        """The group of location ``loc`` that can take this task now (None: not here, today)."""
        tp = case.tp
        if s == PICKUP:
            where = case.where[j]
            if where >= 0 and where // 4096 != loc:
                return None
        levels = tp.levels[j]
        if levels is not None and self.loc_level[loc] not in levels:
            return None
        code = self.serves[loc].get(tp.dep[j])
        if code is None:
            return None
        group = self.group_at[loc][copy][code]
        if not group.joinable(now):
            return None
        if open_now:
            tl = group.tl
            if tl.staff[tl.index(now, group.seg)] <= 0:
                return None
        return group

    def servable(self, case: HallCase, j: int, s: int, loc: int) -> bool:
        """Whether location ``loc`` can ever serve this task (ignoring the time of day)."""
        tp = case.tp
        if s == PICKUP and case.where[j] >= 0:
            return case.where[j] // 4096 == loc
        levels = tp.levels[j]
        if levels is not None and self.loc_level[loc] not in levels:
            return False
        return tp.dep[j] in self.serves[loc]

    def route(self, case: HallCase, j: int, s: int) -> tuple[int, int]:
        """Where a trip for this task goes: home, else up the levels (in the case's area)."""
        if s == PICKUP and case.where[j] >= 0:
            w = case.where[j]
            return w // 4096, w % 4096
        if self.servable(case, j, s, case.home):
            return case.home, case.copy
        n_levels = len(self.locs_at_level)
        for lv in [*range(self.loc_level[case.home] + 1, n_levels), *range(n_levels)]:
            li = self._location(lv, case.area)
            if li >= 0 and self.servable(case, j, s, li):
                c = min(case.copy, self.locs[li].copies - 1)
                return li, c
        raise RuntimeError(f"no location serves item {case.tp.items[j]!r}")  # checked on load

    def plan_trip(self, case: HallCase, loc: int, copy: int, now: float, hop: bool) -> None:
        """Schedule the case's next visit to ``loc`` (see the module docstring)."""
        j, s = case.pending[0]
        tp = case.tp
        code = self.serves[loc][tp.dep[j]]
        tl = self.group_tl[code]
        day = int(now // HOURS_PER_DAY) + (1 if hop else 0)
        u = self.uniform(("trip", tp.id, case.trips), case.k)
        today = int(now // HOURS_PER_DAY)
        cache = self._trip_pieces
        if today != self._trip_day:  # the pieces of days after today, kept while today lasts
            cache.clear()
            self._trip_day = today
        for d in range(day, tl.n_days):
            key = (tp.code, code, d)
            found = cache.get(key) if d != today else None
            if found is None:
                spans = tl.open_spans(d)
                close = tl.close[d]
                spans = [(a, min(b, close)) for a, b in spans if a < close]
                if d == today:
                    spans = [(max(a, now), b) for a, b in spans if b > now]
                found = _pieces(spans, tp.hours, d, self.day_type[d]) if spans else ()
                if d != today:
                    cache[key] = found
            if not found:
                continue
            t = _pick_time(found[0], found[1], u)
            case.trip = True
            self.kernel.call_at(t, self._trip, (case, loc, copy))
            return
        case.gave_up = True  # no opening left in the calendar: the case cannot go on
        case.close(NAN)

    def _trip(self, arg: tuple[HallCase, int, int]) -> None:
        case, loc, copy = arg
        if case.closed:
            return
        case.trip = False
        if case.current is not None or case.visit_loc >= 0:
            return  # already at a hall: the tasks are taken there or on the next trip
        case.begin_visit(loc, copy, self.kernel.now)

    def started(self, case: HallCase) -> bool:
        """Whether the case's arrival is over (tasks made during it wait for the home draw)."""
        return self._starting is not case

    # -- statistics ------------------------------------------------------------------------------

    def add_busy(self, group: Group, start: float, end: float) -> None:
        """Add a service's busy time to its group's statistics and hour bins."""
        st = group.stats
        st[6] += end - start
        tl = group.tl
        d = int(start // HOURS_PER_DAY)
        close = tl.close[d] if d < tl.n_days else NAN
        if end > close:
            st[7] += end - max(start, close)
        bins = self._busy_lists[group.code]
        base_day = d * HOURS_PER_DAY
        hour = int(start - base_day)
        offset = ((self.weekday0 + d) % 7) * 24
        a = start
        while a < end:
            edge = base_day + hour + 1
            b = end if end < edge else edge
            bins[offset + hour] += b - a
            a = b
            hour += 1
            if hour == 24:
                hour = 0
                d += 1
                base_day += HOURS_PER_DAY
                offset = ((self.weekday0 + d) % 7) * 24

    # -- arrivals and the run ---------------------------------------------------------------------

    def _arrival_times(self, tp: TypePlan) -> np.ndarray:
        sc = self.scenario
        arr = sc.case_types[tp.id].arrivals
        info = sc.scenario
        if arr.process == "list":
            t = np.sort(np.asarray(arr.days, dtype=float)) * HOURS_PER_DAY
            return t[t < self.h1]
        if arr.process == "profile":
            expected = arr.per_year * info.horizon_days / 365.0
            n = int(expected + 6 * math.sqrt(expected) + 64)
            key = ("arrivals", tp.id)
            while True:
                e = -np.log1p(-self.streams.uniforms(key, n))
                if e.sum() > expected:
                    break
                n *= 2
            self.streams.forget(key)
            return nhpp_times(tp.profile, info.start, info.horizon_days, arr.per_year, e)
        mean_gap = 365.0 * HOURS_PER_DAY / arr.per_year
        n = int(self.h1 / mean_gap * 1.2) + 64
        key = ("arrivals", tp.id)
        while True:
            u = self.streams.uniforms(key, n)
            t = np.cumsum(-mean_gap * np.log1p(-u))
            if t[-1] >= self.h1:
                self.streams.forget(key)
                return t[t < self.h1]
            n *= 2

    def _arrive(self, n: int) -> None:
        b = n >> FEED_SHIFT
        if b != self._block:
            self._block = b
            lo, hi = b << FEED_SHIFT, (b + 1) << FEED_SHIFT
            self._block_types = self._types[lo:hi].tolist()
            self._block_ks = self._ks[lo:hi].tolist()
        j = n & FEED_MASK
        tp = self.types[self._block_types[j]]
        case = HallCase(self, n, tp, self._block_ks[j], self.kernel.now)
        self.open_cases[n] = case
        self._starting = case
        for r in tp.roots:
            if case.state[r] == 0 and not case.closed:
                case.submit(r)
        self._starting = None
        if not case.closed:
            self.redraw_home(case)
            case.dispatch(arrival=True)

    def run(self) -> Trace:
        """Run the replication to the end of the horizon plus drain, and return its trace."""
        if self._ran:
            raise RuntimeError("a Model runs once; build a new one for another replication")
        self._ran = True
        counts = [len(a) for a in self._arrivals]
        times = np.concatenate(self._arrivals) if self._arrivals else np.empty(0)
        self._arrivals = []
        types = np.concatenate([np.full(c, n, dtype=np.int32) for n, c in enumerate(counts)])
        ks = np.concatenate([np.arange(c, dtype=np.int32) for c in counts])
        order = np.argsort(times, kind="stable")
        self._types, self._ks = types[order], ks[order]
        del types, ks
        self._block = -1
        times = times[order]
        del order
        self.memory.reserve("cases", len(times))
        self.kernel.feed(times, self._arrive)
        del times
        self.kernel.run(until=self.end_h)
        return self._build()

    # -- tables ---------------------------------------------------------------------------------

    def _setup_tables(self, sink: Sink | None, case_columns: Iterable[str] | None) -> None:
        owned = sink is None
        sink = memory_sink(case_columns) if sink is None else sink
        self.sink = sink
        self.memory = sink if isinstance(sink, MemorySink) else memory_sink(case_columns)
        self._owned_memory = owned or self.memory is not sink
        self._origin = np.datetime64(dt.datetime.combine(self.scenario.scenario.start, dt.time()))
        target = self.memory if self.memory is sink else _Tee(sink, self.memory)
        self.cases_table = Table(
            "cases",
            HALL_RAW,
            HALL_COLUMNS,
            {
                "case_type": list(self.scenario.case_types),
                "location": list(self.loc_ids),
                "area": list(self.area_ids) or ["-"],
                "level": list(self.scenario.network.levels),
            },
            self._finish_cases,
            target,
        )
        self.unfinished = 0

    def record(self, case: HallCase, finish: float) -> None:
        """Record a closed (or unfinished) case."""
        self.open_cases.pop(case.id, None)
        counted = case.tp.kind_counted
        visits = case.item_visits
        several = (
            sum(1 for j, v in enumerate(visits) if v > 1 and counted[j]) if max(visits) > 1 else 0
        )
        self.cases_table.add(
            (
                case.id,
                case.tp.code,
                case.k,
                case.arrival,
                finish,
                case.visits,
                case.services,
                case.joins,
                case.balks,
                case.reneges,
                case.sent_home,
                case.corrections,
                case.handled,
                case.online_items,
                case.wait,
                case.hall_time,
                case.gave_up,
                case.home,
                max(case.area, 0),
                case.level,
                case.handled - several,
            )
        )

    def _finish_cases(self, raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        cal = self.calendar
        arrival, finish = raw["arrival_h"], raw["finish_h"]
        lead_wd = cal.wd_array(finish) - cal.wd_array(arrival)
        zero = np.zeros(len(arrival), dtype=np.int32)
        visits = raw["visits"].astype(np.int32)
        out = {
            "case": raw["case"].astype(np.int64),
            "case_type": raw["type_code"].astype(np.int64),
            "k": raw["k"].astype(np.int64),
            "arrival_h": arrival,
            "finish_h": finish,
            "arrival": self._origin
            + np.round(arrival * 3_600_000_000).astype(np.int64).astype("timedelta64[us]"),
            "finished": np.isfinite(finish),
            "lead_wd": lead_wd,
            "lead_days": (finish - arrival) / HOURS_PER_DAY,
            "approval_wd": lead_wd,
            "clock_wd": lead_wd,
            "trips": visits,
            "agent_trips": zero,
            "corrections": raw["corrections"].astype(np.int32),
            "reworks": zero,
            "problems": zero,
            "visits": visits,
            "capped": np.zeros(len(arrival), dtype=bool),
            "items_timed": zero,
            "items_overdue": zero,
            "items_handled": raw["items_handled"].astype(np.int32),
            "items_one_trip": raw["items_one_trip"].astype(np.int32),
            "location": raw["location"].astype(np.int32),
            "area": raw["area"].astype(np.int32),
            "level": raw["level"].astype(np.int32),
            "present_steps": raw["present_steps"].astype(np.int32),
            "joins": raw["joins"].astype(np.int32),
            "balks": raw["balks"].astype(np.int32),
            "reneges": raw["reneges"].astype(np.int32),
            "sent_home": raw["sent_home"].astype(np.int32),
            "online_items": raw["online_items"].astype(np.int32),
            "hall_wait_min": raw["hall_wait_h"] * MINUTES,
            "hall_time_min": raw["hall_time_h"] * MINUTES,
            "gave_up": raw["gave_up"] > 0,
            "in_window": (arrival >= self.h0) & (arrival < self.h1),
        }
        return out

    def _build(self) -> Trace:
        for case in list(self.open_cases.values()):
            self.unfinished += 1
            case.closed = True
            self.record(case, NAN)
        self.open_cases = {}
        self.cases_table.close()
        departments = self._windows()
        self.sink.close()
        get = self.memory.take if self._owned_memory else self.memory.frame
        cases = _by_case(get("cases"))
        sc = self.scenario
        hours = {
            f"{lid}.{gid}": {
                "busy_h": [round(x, 6) for x in self._busy_lists[code]],
                "rostered_h": [
                    round(x * self._n_copies(lid), 6) for x in self.group_tl[code].rostered
                ],
            }
            for code, (lid, gid) in enumerate(self.group_keys)
        }
        meta = {
            "scenario": sc.scenario.name,
            "seed": self.seed,
            "replication": self.replication,
            "start": sc.scenario.start.isoformat(),
            "warmup_h": self.h0,
            "horizon_h": self.h1,
            "assumed_calendar_years": list(self.calendar.assumed_years),
            "unfinished_cases": self.unfinished,
            "capped_cases": 0,
            "stages": [],
            "intervals": {},
            "time_limits": False,
            "tables": ["cases", "departments"],
            "reforms": list(sc.applied),
            "hall": True,
            "case_groups": {t: list(ct.groups) for t, ct in sc.case_types.items()},
            "window_hours": hours,
            "weekday0": self.weekday0,
        }
        return Trace(cases=cases, tasks=None, departments=departments, meta=meta)

    def _n_copies(self, lid: str) -> int:
        return self.scenario.locations[lid].copies

    def _windows(self) -> Any:
        """The window groups' table (one row per location and group, copies added up)."""
        import pandas as pd

        rows = []
        for code, (lid, gid) in enumerate(self.group_keys):
            st = self.group_stats[code]
            copies = self._n_copies(lid)
            rostered = float(self.group_tl[code].rostered.sum()) * copies
            busy = st[6]
            hist = self.hist[code]
            served = int(hist.sum())
            p90 = NAN
            if served:
                cum = np.cumsum(hist)
                p90 = float(np.searchsorted(cum, 0.9 * served) + 0.5)
            staff = max(self.group_tl[code].staff)
            loc = self.scenario.locations[lid]
            rows.append(
                {
                    "department": f"{lid}.{gid}",
                    "name": f"{loc.name.get('en') or lid}: {gid}",
                    "location": lid,
                    "staff": int(staff) * copies,
                    "tasks": int(st[0]),
                    "busy_hours": float(busy),
                    "open_hours": rostered,
                    "utilisation": busy / rostered if rostered else NAN,
                    "mean_wait_h": st[5] / st[1] if st[1] else NAN,
                    "mean_queue": st[5] / (self.h1 - self.h0),
                    "max_queue": int(st[9]),
                    "group": gid,
                    "copies": copies,
                    "joins": int(st[0]),
                    "served": int(st[1]),
                    "balks": int(st[2]),
                    "reneges": int(st[3]),
                    "sent_home": int(st[4]),
                    "mean_wait_min": st[5] / st[1] * MINUTES if st[1] else NAN,
                    "p90_wait_min": p90,
                    "overtime_hours": float(st[7]),
                }
            )
        frame = pd.DataFrame(rows)
        categories = {c: sorted(set(frame[c])) for c in ("department", "name", "location", "group")}
        self.sink.open("departments", list(frame.columns), categories)
        chunk = {}
        for c in frame.columns:
            if c in categories:
                lookup = {v: n for n, v in enumerate(categories[c])}
                chunk[c] = np.array([lookup[v] for v in frame[c]], dtype=np.int64)
            else:
                chunk[c] = frame[c].to_numpy()
        self.sink.write("departments", chunk)
        return frame


def _pieces(
    spans: list[tuple[float, float]], hours_of: Any, day: int, day_type: int
) -> tuple[list[tuple[float, float, float]], float]:
    """The pieces ``(from, to, weight)`` of ``spans`` of one day, and their total mass.

    The weights are the profile's time-of-day weights (equal without a profile); a trip's time is
    drawn from them by :func:`_pick_time`.
    """
    pieces: list[tuple[float, float, float]] = []
    if hours_of is not None:
        base = day * HOURS_PER_DAY
        hours = hours_of[day_type]
        for a, b in spans:
            for ha, hb, w in hours:
                lo, hi = max(a, base + ha), min(b, base + hb)
                if hi > lo and w > 0:
                    pieces.append((lo, hi, w))
    if not pieces:
        pieces = [(a, b, 1.0) for a, b in spans]
    return pieces, sum((b - a) * w for a, b, w in pieces)


def _pick_time(pieces: list[tuple[float, float, float]], total: float, u: float) -> float:
    """The time at share ``u`` of the pieces' mass ``total``."""
    target = u * total
    for a, b, w in pieces:
        mass = (b - a) * w
        if target < mass:
            return a + target / w
        target -= mass
    return pieces[-1][1] - 1e-9


HALL_RAW = (
    "case",
    "type_code",
    "k",
    "arrival_h",
    "finish_h",
    "visits",
    "present_steps",
    "joins",
    "balks",
    "reneges",
    "sent_home",
    "corrections",
    "items_handled",
    "online_items",
    "hall_wait_h",
    "hall_time_h",
    "gave_up",
    "location",
    "area",
    "level",
    "items_one_trip",
)
HALL_COLUMNS = (
    *CASE_LEAD,
    "location",
    "area",
    "level",
    "present_steps",
    "joins",
    "balks",
    "reneges",
    "sent_home",
    "online_items",
    "hall_wait_min",
    "hall_time_min",
    "gave_up",
    "in_window",
)
"""The cases table of a hall run: the general engine's columns, then the hall's own."""
