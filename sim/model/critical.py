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
        self.pending: dict[int, list] = {}
        self._quick: list[float] = []  # type, arrival, started, done of quick window cases
        # a quick case type's one item and the department of its one step
        self._quick_of = {
            cp.code: (cp.items[0].code, cp.items[0].steps[0].department)
            for cp in plan.cases
            if getattr(cp, "quick", False)
        }
        self.pieces: dict[tuple[int, int, int, int], list[float]] = {}
        self.items: dict[tuple[int, int], list[float]] = {}
        self.cases = [0] * len(plan.type_ids)
        self.lead = [[0.0, 0.0] for _ in plan.type_ids]

    def visit(self, case: Case, i: int, visit: list, done: float, row: int, sent_back: bool):
        """Hold a closed visit of a window case until the case closes."""
        if self.h0 <= case.arrival < self.h1:
            held = self.pending.get(case.id)
            if held is None:
                self.pending[case.id] = held = []
            held += (row, i, visit, done, sent_back)  # flat: one object less per visit

    def quick(self, case: Any, done: float) -> None:
        """A quick case (one item of one step) closed at ``done``: queueing, then staff work."""
        if self.h0 <= case.arrival < self.h1 and done == done:
            self._quick += (case.plan.code, case.arrival, case.started, done)
            if len(self._quick) >= 4 * 65_536:
                self._book_quick()

    def _book_quick(self) -> None:
        """Add the held quick cases to the totals, a chunk at a time."""
        if not self._quick:
            return
        q = np.array(self._quick, dtype=float).reshape(-1, 4)
        self._quick = []
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
                hours = float((b[mine] - a[mine]).sum())
                if hours > 0:
                    acc = self.pieces.setdefault((t, kind, dep, item), [0.0, 0.0])
                    acc[0] += hours
                    acc[1] += float((wb[mine] - wa[mine]).sum())
            acc = self.items.setdefault((t, item), [0, 0, 0.0, 0.0])
            acc[0] += n
            acc[1] += n

    def close(self, case: Case, row: int) -> None:
        """A window case closed at ``case.finished``; ``row`` is the visit that closed it."""
        held = self.pending.pop(case.id, None)
        if held is None or not math.isfinite(case.finished):
            return
        t = case.plan.code
        by_row = {held[n]: tuple(held[n : n + 5]) for n in range(0, len(held), 5)}
        self.cases[t] += 1
        found: list = []  # kind, department, item, start, end of each piece
        on_chain = self._chain(case, by_row, row, found)
        least = self._slack(case, by_row)
        # every working-day count of the case in one pass over the calendar
        n = len(found) // 5
        ends = found[3::5] + found[4::5] + [case.arrival, case.finished]
        for s, done in least.values():
            ends += (done, done + s)
        wd = self.calendar.wd_array(ends).tolist()
        self.lead[t][0] += case.finished - case.arrival
        self.lead[t][1] += wd[2 * n + 1] - wd[2 * n]
        pieces = self.pieces
        for k in range(n):
            key = (t, found[5 * k], found[5 * k + 1], found[5 * k + 2])
            acc = pieces.get(key)
            if acc is None:
                acc = pieces[key] = [0.0, 0.0]
            acc[0] += found[5 * k + 4] - found[5 * k + 3]
            acc[1] += wd[n + k] - wd[k]
        items = case.plan.items
        m = 2 * n + 2
        for i, (s, _) in least.items():
            acc = self.items.get((t, items[i].code))
            if acc is None:
                acc = self.items[(t, items[i].code)] = [0, 0, 0.0, 0.0]
            acc[0] += 1
            acc[1] += i in on_chain
            acc[2] += s
            acc[3] += wd[m + 1] - wd[m]
            m += 2

    # -- the chain ----------------------------------------------------------------------------

    def _chain(self, case: Case, by_row: dict[int, tuple], row: int, found: list) -> set[int]:
        """Find the pieces of the case's critical chain; return the items on it."""
        items = case.plan.items
        end = case.finished
        on_chain: set[int] = set()
        add = found.extend
        while row >= 0 and row in by_row:
            _, i, visit, done, _ = by_row[row]
            it = items[i]
            on_chain.add(i)
            code, dep = it.code, it.department
            if end > done:  # the file's way to the next department
                add((TRANSFER, dep, code, done, end))
            middle = self.intermediary[code]
            ready, handed_in = visit[_READY], visit[_IN]
            cursor = handed_in if handed_in == handed_in else ready
            spells = visit[_SPELLS:]
            for n in range(0, len(spells), 4):
                who, start, started, finish = spells[n : n + 4]
                if who >= 0:  # a staff task at department `who`
                    if started > start:
                        add((INTERMEDIARY if middle else QUEUE, who, code, start, started))
                    if finish > started:
                        add((INTERMEDIARY if middle else WORK, who, code, started, finish))
                elif finish > start:
                    kind = _ACTIVITY.get(-1 - who, DELAY)
                    if middle and kind == DELAY:
                        kind = INTERMEDIARY
                    add((kind, dep if kind != APPLICANT else -1, code, start, finish))
                cursor = finish
            if done > cursor:  # nothing else runs inside a visit; kept for exact sums
                add((DELAY, dep, code, cursor, done))
            if handed_in > ready:  # stalled by a blocking problem before the hand-in
                add((PROBLEM, -1, code, ready, handed_in))
            end = ready
            row = visit[_RELEASED]
        if end > case.arrival:  # never more than rounding
            add((PROBLEM, -1, -1, case.arrival, end))
        return on_chain

    # -- slack --------------------------------------------------------------------------------

    def _slack(self, case: Case, by_row: dict[int, tuple]) -> dict[int, tuple[float, float]]:
        """Each handled item's smallest slack over its visits (hours), and that visit's finish."""
        plan = case.plan
        items, preds = plan.items, plan.preds
        add_wd = self.calendar.add_working_days
        visits_of: dict[int, list[tuple[float, int]]] = {}
        for row in sorted(by_row):
            _, i, _, done, _ = by_row[row]
            visits_of.setdefault(i, []).append((done, row))
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

        lags: dict[int, float] = {}
        for _, _, visit, _, _ in by_row.values():  # a transfer that released a visit: its gap
            u = visit[_RELEASED]
            if u >= 0 and u in by_row and not by_row[u][4]:
                lags[u] = visit[_READY] - by_row[u][3]

        def lag(row: int) -> float:
            """The transfer time after visit ``row`` (none after a loop back)."""
            value = lags.get(row)
            if value is None:
                _, i, _, done, sent_back = by_row[row]
                days = items[i].transfer_days
                value = add_wd(done, days) - done if days > 0 and not sent_back else 0.0
                lags[row] = value
            return value

        finish = case.finished
        late: dict[int, float] = {}
        for row in sorted(by_row, reverse=True):
            _, i, visit, done, _ = by_row[row]
            lf = late.get(row)
            if lf is None:  # nothing waited for it: only the case's finish
                lf = late[row] = finish - lag(row)
            ready = visit[_READY]
            start_late = lf - (done - ready)
            before = set()
            for p in preds[i]:
                for q in stand_in(p):
                    best = -1
                    for d, r in visits_of[q]:
                        if d > ready:
                            break
                        best = r
                    if best >= 0:
                        before.add(best)
            released = visit[_RELEASED]
            if released >= 0 and released in by_row:
                before.add(released)
            for u in before:
                if u < row:
                    bound = start_late - lag(u)
                    old = late.get(u)
                    if old is None or bound < old:
                        late[u] = bound
        least: dict[int, tuple[float, float]] = {}
        for row, (_, i, _, done, _) in by_row.items():
            s = max(0.0, late[row] - done)
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
        self._book_quick()
        types, deps, items = self.type_ids, self.dep_ids, self.item_ids
        return {
            "kinds": list(KINDS),
            "cases": {types[t]: n for t, n in enumerate(self.cases)},
            "lead_h": {types[t]: v[0] for t, v in enumerate(self.lead)},
            "lead_wd": {types[t]: v[1] for t, v in enumerate(self.lead)},
            "pieces": [
                [
                    types[t],
                    KINDS[k],
                    deps[d] if d >= 0 else "",
                    items[i] if i >= 0 else "",
                    v[0],
                    v[1],
                ]
                for (t, k, d, i), v in sorted(self.pieces.items())
            ],
            "items": [
                [types[t], items[i], int(v[0]), int(v[1]), v[2], v[3]]
                for (t, i), v in sorted(self.items.items())
            ],
        }
