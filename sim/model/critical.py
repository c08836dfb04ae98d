"""Critical-path attribution: where each case's days went, computed when the case closes.

A case's finish is set by one chain of visits: the visit that closed the case, the visit whose
completion made that one ready (``released_by``: the last prerequisite of a join, or the visit
that looped back), and so on back to the arrival. Inside a visit the time runs in one line — a
blocking-problem stall before the hand-in, then each step's queueing and staff work or elapsed
delay, the applicant's correction turnarounds between rounds — and after it the paper file's
transfer to the next department. So the pieces of the chain cover the lead time exactly, without
gaps or overlaps: their calendar hours add up to ``finish - arrival`` and their working days (each
piece measured on the statutory calendar) to ``lead_wd``.

Each piece is put in one of :data:`KINDS` and credited to the department that did the work (the
step's, for queueing and staff work) or whose item it was (delays, corrections, transfers);
blocking problems and the applicant's own items belong to no department. The pieces of an
intermediary item (queueing, work, delays) are ``intermediaries``.

The **slack** of an item in a case is the realised total float of critical-path analysis: how much
later its visit could have finished, every other duration as it was, without delaying the case.
The visit graph is rebuilt at the close — each visit's prerequisites are the latest visits of the
items it requires (through items the case skipped) plus the visit that released it — and a
backward pass in time gives each visit's latest finish. Items on the chain have no slack.

Only cases that arrived in the measurement window are followed (their visits are held until the
case closes); the replication's totals go to ``trace.meta["critical_path"]`` as plain data (see
:meth:`CriticalPaths.result`). This works whether or not the tables are kept or streamed.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.plan import KIND_APPLICANT, KIND_CORRECTION, KIND_DELAY

if TYPE_CHECKING:
    from sim.model.engine import Case, Model

KINDS = (
    "queueing",
    "staff work",
    "corrections",
    "delays",
    "intermediaries",
    "transfers",
    "problems",
    "applicant",
)
"""What a piece of a critical path is (the ``kind`` of ``meta["critical_path"]["pieces"]``)."""

QUEUE, WORK, CORRECT, DELAY, INTERMEDIARY, TRANSFER, PROBLEM, APPLICANT = range(len(KINDS))
_BATCH = 3 * 65_536  # numbers of buffered pieces booked at once
_QUICK_BATCH = 1 << 18  # quick cases held before they are booked
QUICK = True
"""Whether cases of a simple plan close by :meth:`CriticalPaths._close_simple` (tests compare)."""
_ACTIVITY = {KIND_DELAY: DELAY, KIND_APPLICANT: APPLICANT, KIND_CORRECTION: CORRECT}

# positions in the engine's visit record (see sim.model.engine)
_READY, _IN, _RELEASED, _SPELLS = 1, 2, 3, 8


class CriticalPaths:
    """Follows the window's cases and adds up their critical paths (see module docstring).

    The engine appends each staff task ``department, queued, started, finished`` and each
    elapsed spell ``-1 - kind, start, start, end`` (four flat values) to the open visit's
    record; the recorder hands every closed visit to :meth:`visit` and every closed case to
    :meth:`close`.
    """

    def __init__(self, model: Model):
        plan = model.plan
        sc = plan.scenario
        self.calendar = model.calendar
        self.h0, self.h1 = model.warmup_h, model.horizon_h
        self.dep_ids = plan.dep_ids
        self.item_ids = plan.item_ids
        self.type_ids = plan.type_ids
        self.intermediary = [sc.items[i].kind == "intermediary" for i in plan.item_ids]
        self._shapes: dict[int, tuple] = {}  # per simple case type: see _shape
        self._quick: list[np.ndarray] = []  # type, arrival, started, done of quick window cases
        self._quick_rows = 0
        # a quick case type's one item and the department of its one step
        self._quick_of = {
            cp.code: (cp.items[0].code, cp.items[0].steps[0].department)
            for cp in plan.cases
            if getattr(cp, "quick", False)
        }
        # sums over cases, keyed by a flat index of (type, kind, department + 1, item + 1) and
        # of (type, item, field); rows are buffered as arrays and folded in now and then
        self._d1, self._i1 = len(plan.dep_ids) + 1, len(plan.item_ids) + 1
        self._kstride = self._d1 * self._i1
        self._tstride = len(KINDS) * self._kstride
        self._found: list[float] = []  # key, start, end of every piece not yet booked
        self._items: list[float] = []  # key, on the chain, slack hours, finish of each item
        self._leads: list[float] = []  # case type, arrival, finish
        self.pieces = _Sums(2)  # hours, working days
        self.items = _Sums(4)  # cases, critical, slack hours, slack working days
        self.cases = [0] * len(plan.type_ids)
        self.lead = [[0.0, 0.0] for _ in plan.type_ids]

    def visit(self, case: Case, i: int, visit: list, done: float, row: int, sent_back: bool):
        """Hold a closed visit of a window case, on the case, until the case closes."""
        if self.h0 <= case.arrival < self.h1:
            held = case.held
            if held is None:
                case.held = held = []
            held += (row, i, visit, done, sent_back)  # flat: one object less per visit

    def quick_rows(self, types, arrival, started, done) -> None:
        """Quick cases (one item of one step), a chunk at a time: queueing, then staff work.

        Arrays of their case types, arrivals, task starts and finishes (NaN: unfinished).
        """
        keep = (arrival >= self.h0) & (arrival < self.h1) & np.isfinite(done)
        if keep.any():
            self._quick.append(
                np.stack((types[keep], arrival[keep], started[keep], done[keep]), axis=1)
            )
            self._quick_rows += int(keep.sum())
            if self._quick_rows >= _QUICK_BATCH:  # booked a batch at a time: memory stays flat
                self._book_quick()

    def _book_quick(self) -> None:
        """Add the held quick cases to the totals, a chunk at a time."""
        if not self._quick:
            return
        q = np.concatenate(self._quick)
        self._quick = []
        self._quick_rows = 0
        types = q[:, 0].astype(np.int64)
        arrival, started, done = q[:, 1], q[:, 2], q[:, 3]
        wd = self.calendar.wd_array
        w_arrival, w_started, w_done = wd(arrival), wd(started), wd(done)
        for t in np.unique(types).tolist():
            mine = types == t
            item, dep = self._quick_of[t]
            middle = self.intermediary[item]
            n = int(mine.sum())
            self.cases[t] += n
            self.lead[t][0] += float((done[mine] - arrival[mine]).sum())
            self.lead[t][1] += float((w_done[mine] - w_arrival[mine]).sum())
            for kind, a, b, wa, wb in (
                (INTERMEDIARY if middle else QUEUE, arrival, started, w_arrival, w_started),
                (INTERMEDIARY if middle else WORK, started, done, w_started, w_done),
            ):
                key = ((t * len(KINDS) + kind) * self._d1 + dep + 1) * self._i1 + item + 1
                hours = float((b[mine] - a[mine]).sum())
                if hours > 0:
                    days = float((wb[mine] - wa[mine]).sum())
                    self.pieces.add(np.array([key], float), np.array([hours]), np.array([days]))
            ones = np.array([float(n)])
            zero = np.zeros(1)
            self.items.add(np.array([t * self._i1 + item], float), ones, ones, zero, zero)

    def close(self, case: Case, row: int) -> None:
        """A window case closed at ``case.finished``; ``row`` is the visit that closed it."""
        held = case.held
        case.held = None
        if held is None or not math.isfinite(case.finished):
            return
        plan = case.plan
        t = plan.code
        self.cases[t] += 1
        self.lead[t][0] += case.finished - case.arrival
        self._leads += (t, case.arrival, case.finished)
        if plan.simple and QUICK and len(held) == 5 * len(plan.items):
            self._close_simple(case, held, row, t)
            return
        by_row = {held[n]: tuple(held[n : n + 5]) for n in range(0, len(held), 5)}
        on_chain = self._chain(case, by_row, row, t * self._tstride)
        items = case.plan.items
        base = t * self._i1
        buffer = self._items
        for i, (slack, done) in self._slack(case, by_row).items():
            buffer += (base + items[i].code, i in on_chain, slack, done)
        if len(self._found) >= _BATCH:
            self._book()

    def _close_simple(self, case: Case, held: list, row: int, t: int) -> None:
        """:meth:`close` for a case of a simple plan (``CasePlan.simple``): the same numbers.

        Every item of such a case has one visit of one staff task, queued when the visit became
        ready, at the moment its last prerequisite was done: nothing lies between the visits,
        so the chain is the staff tasks along ``released_by`` and no transfer lag shifts a
        latest finish. The pieces and slacks are those of :meth:`_chain` and :meth:`_slack`,
        computed with the same float operations in the same order, from plain lists.
        """
        plan = case.plan
        its = held[1::5]
        visits = held[2::5]
        dones = held[3::5]
        rows = held[0::5]
        shape = self._shapes.get(plan.code)
        if shape is None:
            shape = self._shapes[plan.code] = self._shape(plan)
        codes, middles, preds, owns, path = shape
        base = t * self._tstride
        ks, i1 = self._kstride, self._i1
        k_queue, k_work = base + QUEUE * ks, base + WORK * ks
        add = self._found.extend
        on_chain = [False] * len(codes)
        end = case.finished
        k = len(rows)
        while row >= 0:
            if k and rows[k - 1] == row:  # the visit done just before (always, in a path)
                k -= 1
            elif row in rows:
                k = rows.index(row)
            else:
                break
            i = its[k]
            visit = visits[k]
            done = dones[k]
            on_chain[i] = True
            if end > done:
                add((base + TRANSFER * ks + owns[i], done, end))
            who, start, started, finish = visit[_SPELLS : _SPELLS + 4]
            at_dep = (who + 1) * i1 + codes[i] + 1
            if middles[i]:
                if started > start:
                    add((base + INTERMEDIARY * ks + at_dep, start, started))
                if finish > started:
                    add((base + INTERMEDIARY * ks + at_dep, started, finish))
            else:
                if started > start:
                    add((k_queue + at_dep, start, started))
                if finish > started:
                    add((k_work + at_dep, started, finish))
            if done > finish:
                add((base + DELAY * ks + owns[i], finish, done))
            end = visit[_READY]
            if visit[_IN] > end:
                add((base + PROBLEM * ks + codes[i] + 1, end, visit[_IN]))
            row = visit[_RELEASED]
        if end > case.arrival:
            add((base + PROBLEM * ks, case.arrival, end))
        # the backward pass of _slack: one visit per item, every lag zero
        finish = case.finished
        buffer = self._items
        tbase = t * self._i1
        m = len(its)
        if path:  # a path of items, each ready when the one before is done: no slack anywhere
            for k in range(m):
                i = its[k]
                buffer += (tbase + codes[i], on_chain[i], 0.0, dones[k])
        elif not any(preds[i] for i in its):  # no prerequisites: all may end at the finish
            for k in range(m):
                done = dones[k]
                s = finish - done
                if s < 0.0:
                    s = 0.0
                buffer += (tbase + codes[its[k]], on_chain[its[k]], s, done)
        else:
            position = [0] * len(codes)
            for k, i in enumerate(its):
                position[i] = k
            late: list = [None] * m
            for k in range(m - 1, -1, -1):
                lf = late[k]
                if lf is None:
                    lf = late[k] = finish
                visit = visits[k]
                ready = visit[_READY]
                start_late = lf - dones[k] + ready
                for p in preds[its[k]]:
                    q = position[p]
                    if q < k and dones[q] <= ready:
                        old = late[q]
                        if old is None or start_late < old:
                            late[q] = start_late
                released = visit[_RELEASED]
                if released >= 0 and released in rows:
                    q = rows.index(released)
                    if q < k:
                        old = late[q]
                        if old is None or start_late < old:
                            late[q] = start_late
            for k in range(m):
                done = dones[k]
                s = late[k] - done
                if s < 0.0:
                    s = 0.0
                i = its[k]
                buffer += (tbase + codes[i], on_chain[i], s, done)
        if len(self._found) >= _BATCH:
            self._book()

    def _shape(self, plan: Any) -> tuple:
        """What :meth:`_close_simple` reads of a simple plan, built once per case type.

        Per item: its code, whether an intermediary's, its prerequisites, and the key part of
        its own department and item; and whether the items form one path (one root, at most
        one prerequisite and one successor each).

        In a path every latest finish is the next visit's ready time, which is this visit's
        finish: ``(finish - done) + ready`` is ``0.0 + ready`` at the last item, and so on back,
        so the backward pass of :meth:`_slack` gives exactly zero to every item.
        """
        items = plan.items
        path = len(plan.roots) == 1 and all(
            len(p) <= 1 and len(s) <= 1 for p, s in zip(plan.preds, plan.succs, strict=True)
        )
        return (
            [it.code for it in items],
            [self.intermediary[it.code] for it in items],
            plan.preds,
            [(it.department + 1) * self._i1 + it.code + 1 for it in items],
            path,
        )

    def _book(self) -> None:
        """Add the buffered pieces, item slacks and lead times (working days in one pass)."""
        wd = self.calendar.wd_array
        if self._found:
            p = np.array(self._found, dtype=float).reshape(-1, 3)
            self._found = []
            self.pieces.add(p[:, 0], p[:, 2] - p[:, 1], wd(p[:, 2]) - wd(p[:, 1]))
        if self._items:
            q = np.array(self._items, dtype=float).reshape(-1, 4)
            self._items = []
            ones = np.ones(len(q))
            days = wd(q[:, 3] + q[:, 2]) - wd(q[:, 3])
            self.items.add(q[:, 0], ones, q[:, 1], q[:, 2], days)
        if self._leads:
            q = np.array(self._leads, dtype=float).reshape(-1, 3)
            self._leads = []
            days = wd(q[:, 2]) - wd(q[:, 1])
            types = q[:, 0].astype(np.int64)
            for t, total in enumerate(np.bincount(types, days, minlength=len(self.lead))):
                self.lead[t][1] += float(total)

    # -- the chain ----------------------------------------------------------------------------

    def _chain(self, case: Case, by_row: dict[int, tuple], row: int, base: int) -> set[int]:
        """Buffer the pieces of the case's critical chain; return the items on it.

        A piece is three numbers: its key (``base`` for the case type, plus kind, department
        and item), start and end.
        """
        items = case.plan.items
        end = case.finished
        on_chain: set[int] = set()
        add = self._found.extend
        ks, i1 = self._kstride, self._i1
        k_queue, k_work = base + QUEUE * ks, base + WORK * ks
        k_middle, k_transfer = base + INTERMEDIARY * ks, base + TRANSFER * ks
        k_problem, k_delay = base + PROBLEM * ks, base + DELAY * ks
        while row >= 0 and row in by_row:
            _, i, visit, done, _ = by_row[row]
            it = items[i]
            on_chain.add(i)
            item = it.code + 1
            own = (it.department + 1) * i1 + item  # the item's department and the item
            if end > done:  # the file's way to the next department
                add((k_transfer + own, done, end))
            middle = self.intermediary[it.code]
            ready, handed_in = visit[_READY], visit[_IN]
            cursor = handed_in if handed_in == handed_in else ready
            spells = visit[_SPELLS:]
            for n in range(0, len(spells), 4):
                who, start, started, finish = spells[n : n + 4]
                if who >= 0:  # a staff task at department `who`
                    at = (who + 1) * i1 + item
                    if started > start:
                        add(((k_middle if middle else k_queue) + at, start, started))
                    if finish > started:
                        add(((k_middle if middle else k_work) + at, started, finish))
                elif finish > start:
                    kind = _ACTIVITY.get(-1 - who, DELAY)
                    if kind == APPLICANT:
                        add((base + APPLICANT * ks + item, start, finish))
                    else:
                        if middle and kind == DELAY:
                            kind = INTERMEDIARY
                        add((base + kind * ks + own, start, finish))
                cursor = finish
            if done > cursor:  # nothing else runs inside a visit; kept for exact sums
                add((k_delay + own, cursor, done))
            if handed_in > ready:  # stalled by a blocking problem before the hand-in
                add((k_problem + item, ready, handed_in))
            end = ready
            row = visit[_RELEASED]
        if end > case.arrival:  # never more than rounding
            add((k_problem, case.arrival, end))
        return on_chain

    # -- slack --------------------------------------------------------------------------------

    def _slack(self, case: Case, by_row: dict[int, tuple]) -> dict[int, tuple[float, float]]:
        """Each handled item's smallest slack over its visits (hours), and that visit's finish."""
        plan = case.plan
        items, preds = plan.items, plan.preds
        rows = sorted(by_row)
        visits_of: dict[int, list[tuple[float, int]]] = {}
        for row in rows:
            held = by_row[row]
            found = visits_of.get(held[1])
            if found is None:
                visits_of[held[1]] = [(held[3], row)]
            else:
                found.append((held[3], row))
        # the transfer after each visit: the gap to a visit it released, or the calendar's
        lag: dict[int, float] = {}
        for held in by_row.values():
            u = held[2][_RELEASED]
            if u >= 0:
                up = by_row.get(u)
                if up is not None and not up[4]:
                    lag[u] = held[2][_READY] - up[3]
        add_wd = self.calendar.add_working_days
        for row in rows:
            if row not in lag:
                _, i, _, done, sent_back = by_row[row]
                days = items[i].transfer_days
                lag[row] = add_wd(done, days) - done if days > 0 and not sent_back else 0.0
        standing: dict[int, tuple[int, ...]] = {}

        def stand_in(p: int) -> tuple[int, ...]:
            """The handled items that stand for ``p``: itself, or (skipped) its prerequisites."""
            found = standing.get(p)
            if found is None:
                if p in visits_of:
                    found = (p,)
                else:
                    standing[p] = ()  # (no cycles in requires; guards the recursion anyway)
                    found = tuple({q for pre in preds[p] for q in stand_in(pre)})
                standing[p] = found
            return found

        finish = case.finished
        late: dict[int, float] = {}
        # per item: the visit lists of the handled items standing for its prerequisites
        before: dict[int, list[list[tuple[float, int]]]] = {}
        for row in reversed(rows):
            _, i, visit, done, _ = by_row[row]
            lf = late.get(row)
            if lf is None:  # nothing waited for it: only the case's finish
                lf = late[row] = finish - lag[row]
            ready = visit[_READY]
            start_late = lf - done + ready
            lists = before.get(i)
            if lists is None:
                lists = before[i] = [
                    visits_of[q] for p in preds[i] for q in standing.get(p) or stand_in(p)
                ]
            for found in lists:
                best = -1
                for d, r in found:  # the latest visit done before this one was ready
                    if d > ready:
                        break
                    best = r
                if 0 <= best < row:
                    bound = start_late - lag[best]
                    old = late.get(best)
                    if old is None or bound < old:
                        late[best] = bound
            released = visit[_RELEASED]
            if 0 <= released < row and released in by_row:
                bound = start_late - lag[released]
                old = late.get(released)
                if old is None or bound < old:
                    late[released] = bound
        least: dict[int, tuple[float, float]] = {}
        for row in rows:
            _, i, _, done, _ = by_row[row]
            s = late[row] - done
            if s < 0.0:
                s = 0.0
            old = least.get(i)
            if old is None or s < old[0]:
                least[i] = (s, done)
        return least

    # -- the replication's totals -------------------------------------------------------------

    def result(self) -> dict[str, Any]:
        """Plain data (JSON-ready) for ``trace.meta["critical_path"]``.

        ``cases``, ``lead_h``, ``lead_wd``: per case type, the finished window cases and their
        summed lead times; ``pieces``: rows ``[case type, kind, department ("" for none), item,
        hours, working days]`` summed over those cases; ``items``: rows ``[case type, item,
        cases that handled it, cases where it was on the critical path, summed slack hours,
        summed slack working days]``.
        """
        self._book()
        self._book_quick()
        types, deps, items = self.type_ids, self.dep_ids, self.item_ids
        k, d1, i1 = len(KINDS), self._d1, self._i1
        pieces = []
        for key, (hours, days) in self.pieces.totals():
            rest, item = divmod(key, i1)
            rest, dep = divmod(rest, d1)
            t, kind = divmod(rest, k)
            pieces.append(
                [
                    types[t],
                    KINDS[kind],
                    deps[dep - 1] if dep else "",
                    items[item - 1] if item else "",
                    hours,
                    days,
                ]
            )
        rows = []
        for key, (n, critical, slack_h, slack_wd) in self.items.totals():
            t, item = divmod(key, i1)
            rows.append(
                [types[t], items[item], int(round(n)), int(round(critical)), slack_h, slack_wd]
            )
        return {
            "kinds": list(KINDS),
            "cases": {types[t]: n for t, n in enumerate(self.cases)},
            "lead_h": {types[t]: v[0] for t, v in enumerate(self.lead)},
            "lead_wd": {types[t]: v[1] for t, v in enumerate(self.lead)},
            "pieces": pieces,
            "items": rows,
        }


class _Sums:
    """Sums of a few values per integer key, buffered as arrays and folded in every so often."""

    FOLD = 1 << 16  # rows buffered before they are folded into the totals

    def __init__(self, width: int):
        self.width = width
        self._keys: list[np.ndarray] = []
        self._values: list[np.ndarray] = []
        self._buffered = 0
        self._totals: dict[int, np.ndarray] = {}

    def add(self, keys: np.ndarray, *values: np.ndarray) -> None:
        """Add ``values`` (one array per field) at ``keys``."""
        self._keys.append(keys)
        self._values.append(np.stack(values, axis=1))
        self._buffered += len(keys)
        if self._buffered >= self.FOLD:
            self._fold()

    def _fold(self) -> None:
        if not self._keys:
            return
        keys = np.concatenate(self._keys).astype(np.int64)
        values = np.concatenate(self._values)
        self._keys, self._values, self._buffered = [], [], 0
        unique, inverse = np.unique(keys, return_inverse=True)
        sums = np.zeros((len(unique), self.width))
        np.add.at(sums, inverse, values)
        totals = self._totals
        for key, row in zip(unique.tolist(), sums, strict=True):
            old = totals.get(key)
            totals[key] = row if old is None else old + row
        return

    def totals(self) -> list[tuple[int, list[float]]]:
        """``(key, [sum per field])`` for every key, in key order."""
        self._fold()
        return [(k, self._totals[k].tolist()) for k in sorted(self._totals)]
