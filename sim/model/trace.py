"""The trace of a run: tidy tables of cases, visits, tasks, activities and departments.

During a run the :class:`TraceRecorder` writes plain numbers into column buffers that go to a
sink in chunks (:mod:`sim.model.tables`); at the end the tables kept in memory become pandas
DataFrames on a :class:`Trace`:

* ``cases`` — one row per case: type, arrival and finish (hours from the start, and the arrival
  date), lead time in statutory working days and calendar days, approval time in working days
  (lead time less the spells when only the applicant was working, such as construction), the
  statutory clock ``clock_wd`` (the scenario's ``[clock]`` rules), the applicant's ``trips`` and
  the agents' ``agent_trips``, corrections, rework rounds (loops back, by ``rework`` or ``next``),
  blocking problems, item visits, whether a safety cap cut a loop short (``capped``), the timed
  and overdue visits (``time_limit_wd``), the government items handled and those that took the
  applicant at most one trip, the working days of each stage (``stage<n>_wd``), the time of each
  milestone (``<name>_h``), each declared interval (``<name>``), and whether the case arrived
  inside the measurement window (after the warm-up, before the horizon). Every per-case value is
  computed when the case closes, from that case's own records.
* ``visits`` — one row per visit of an item (each time it is handed in, however it came back):
  case, item, visit number, when it became ready, was handed in and was done (issued or sent
  back), ``released_by`` (the row of the visit whose completion made it ready; -1: the arrival) —
  so a case's critical path can be walked back from its last visit —, the applicant's and
  agents' trips, corrections, working days on the item's own clock, whether it was timed and
  overdue, and whether it was sent back.
* ``tasks`` — one row per staff task: case, item, step, department, when it was queued, taken up
  and finished (hours), the visit and correction round, and its effort in staff hours. Rows come
  in the order they were recorded: when taken up, or, for a case of the fast path
  (:class:`~sim.model.engine.QuickCase`), with its case.
* ``activities`` — one row per elapsed spell: delay steps, the applicant's own work,
  corrections, file transfers and blocking-problem stalls, with the visit they belong to.
* ``departments`` — one row per department over the measurement window: staff, tasks, busy and
  open staff-hours, utilisation, mean and longest queue, mean wait; added up during the run, so
  it needs no task table.

Every closed case's **critical path** (:mod:`sim.model.critical`) is added up as the run goes, so
it needs none of these tables: ``meta["critical_path"]`` holds the replication's totals.

:func:`event_log` exports the task table as a process-mining event log that pm4py reads.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.critical import CriticalPaths
from sim.model.plan import ACTIVITY_KINDS
from sim.model.tables import CHUNK_ROWS, MemorySink, Sink, Table

if TYPE_CHECKING:
    import pandas as pd

    from sim.model.engine import Case, Model, QuickCase

HOURS_PER_DAY = 24.0
TABLES = ("tasks", "activities", "visits")
"""The per-event tables a run may keep (``Model(keep=...)``)."""


def known_tables(keep: Iterable[str]) -> tuple[str, ...]:
    """``keep`` as a tuple of trace tables; ValueError naming any that is not one of TABLES."""
    keep = tuple(keep)
    unknown = sorted(set(keep) - set(TABLES))
    if unknown:
        raise ValueError(f"keep: unknown table(s) {unknown} (valid: {', '.join(TABLES)})")
    return keep


@dataclass(frozen=True)
class Trace:
    """The tables of one replication and what produced them.

    ``cases`` and ``departments`` are always DataFrames; ``tasks``, ``activities`` and ``visits``
    are ``None`` when the run did not keep them in memory.
    """

    cases: pd.DataFrame
    tasks: pd.DataFrame | None
    departments: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    activities: pd.DataFrame | None = None
    visits: pd.DataFrame | None = None

    def window_cases(self) -> pd.DataFrame:
        """The cases that arrived inside the measurement window (after the warm-up)."""
        return self.cases[self.cases["in_window"]]


class _Tee:
    """Writes the cases table to the caller's sink and to memory (the trace always has it)."""

    def __init__(self, sink: Sink, memory: MemorySink):
        self.sink, self.memory = sink, memory

    def open(self, name, columns, categories) -> None:  # noqa: D102
        self.sink.open(name, columns, categories)
        self.memory.open(name, columns, categories)

    def write(self, name, chunk) -> None:  # noqa: D102
        self.sink.write(name, chunk)
        self.memory.write(name, chunk)

    def close(self) -> None:  # noqa: D102
        self.sink.close()


def memory_sink(case_columns: Iterable[str] | None) -> MemorySink:
    """The sink of the trace's own tables: every column, or only ``case_columns`` of the cases.

    With ``case_columns`` (a run whose full tables go to a caller's sink, say a file) the trace
    holds only those columns of the case table (``case`` always: each row is put in its place,
    in case order), compactly (see :class:`~sim.model.tables.MemorySink`): what the
    per-replication summary reads, a fraction of the table. Names the table does not have are
    ignored.
    """
    if case_columns is None:  # every column, each row put in its place (no sort, no chunks held)
        return MemorySink(index={"cases": "case"})
    return MemorySink(only={"cases": {"case", *case_columns}}, index={"cases": "case"})


def _ignore(_: Any) -> None:
    """A table that is not kept."""


class TraceRecorder:
    """Records the rows of a run into chunked tables (see the module docstring)."""

    def __init__(
        self,
        model: Model,
        sink: Sink | None,
        keep: Iterable[str],
        case_columns: Iterable[str] | None = None,
    ):
        self.model = model
        owned = sink is None
        sink = memory_sink(case_columns) if sink is None else sink
        plan = model.plan
        self.sink = sink
        self.keep = tuple(t for t in TABLES if t in set(keep))
        self.memory = sink if isinstance(sink, MemorySink) else memory_sink(case_columns)
        # the trace takes the chunks of a memory sink of its own; a caller's keeps them
        self._owned_memory = owned or self.memory is not sink
        self.open: list[Case | None] = []
        self.visit_rows = 0
        self.last_finish = -math.inf
        self.capped_cases = 0
        self.critical = CriticalPaths(model)
        self._quick: list[float] = []
        self._quick_limit = CHUNK_ROWS * len(QUICK_RAW)
        self._quick_lookup = self._quick_tables()
        self._origin = np.datetime64(dt.datetime.combine(plan.scenario.scenario.start, dt.time()))
        items = {"item": list(plan.item_ids)}
        self.cases_table = Table(
            "cases",
            self._case_raw(),
            self._case_columns(),
            {"case_type": list(plan.type_ids)},
            self._finish_cases,
            self.memory if self.memory is sink else _Tee(sink, self.memory),
        )
        self.activity = _ignore
        self._visits: Table | None = None
        self.tables: dict[str, Table] = {}
        if "tasks" in self.keep:
            self._tasks = Table(
                "tasks",
                TASK_RAW,
                (*TASK_RAW, "wait_h"),
                {
                    **items,
                    "step": list(plan.step_names),
                    "department": list(plan.dep_ids),
                },
                _finish_tasks,
                sink,
            )
            self.tables["tasks"] = self._tasks
        if "activities" in self.keep:
            self._activities = Table(
                "activities",
                ACTIVITY_RAW,
                ACTIVITY_RAW,
                {**items, "kind": list(ACTIVITY_KINDS)},
                _finish_activities,
                sink,
            )
            self.activity = self._activities.add
        if "visits" in self.keep:
            self._visits = Table("visits", VISIT_RAW, VISIT_COLUMNS, items, _finish_visits, sink)

    # -- rows as the run goes -------------------------------------------------------------------

    def expect(self, n_cases: int) -> None:
        """Make room for ``n_cases`` open cases (and their rows, in a slim memory sink)."""
        self.open = [None] * n_cases
        self.memory.reserve("cases", n_cases)

    def visit(
        self, case: Case, i: int, visit: list, done: float, overdue: int, sent_back: bool
    ) -> int:
        """Record a visit of item ``i`` done at ``done``; return its row number."""
        row = self.visit_rows
        self.visit_rows = row + 1
        self.critical.visit(case, i, visit, done, row, sent_back)
        visits = self._visits
        if visits is not None:
            buffer = visits.buffer
            fields = visit[:V_FIELDS]  # its spells follow, for the critical path
            buffer.extend(
                (case.id, case.plan.items[i].code, *fields, done, overdue, sent_back, row)
            )
            if len(buffer) >= visits.limit:
                self._flush_joint()
        return row

    def quick(self, case: QuickCase, done: float) -> None:
        """Record a quick case (one plain single-step item) done at ``done`` (NaN: unfinished).

        One row holds all a quick case has to say; its case, visit and task rows are made from
        these rows a chunk at a time (:meth:`_flush_joint`).
        """
        self.open[case.id] = None
        row = self.visit_rows
        self.visit_rows = row + 1
        if done > self.last_finish:
            self.last_finish = done
        quick = self._quick
        quick.extend((row, case.id, case.plan.code, case.k, case.arrival, case.started, done))
        if case.started == case.started:  # its task was taken up (and tasks are kept)
            quick.extend((case.end, case.effort))
        else:
            quick.extend((math.nan, 0.0))
        if len(quick) >= self._quick_limit:
            self._flush_joint()

    def _flush_joint(self) -> None:
        """Turn the quick rows into case, task and visit rows, and flush the visits table.

        Visit rows are numbered as they finish, quick or not, so the two kinds are merged in
        number order: every number below the counter is in one of the two buffers.
        """
        quick = self._quick
        merged = None
        if quick:
            flat = np.fromiter(quick, dtype=float, count=len(quick)).reshape(-1, len(QUICK_RAW))
            quick.clear()
            q = {name: flat[:, n].copy() for n, name in enumerate(QUICK_RAW)}
            self.critical.quick_rows(q["type_code"], q["arrival_h"], q["started_h"], q["done_h"])
            lut = self._quick_lookup
            types = q["type_code"].astype(np.int64)
            n = len(types)
            arrival, done = q["arrival_h"], q["done_h"]
            nan, zero, one = np.full(n, np.nan), np.zeros(n), np.ones(n)
            clocked = lut["clocked"][types]
            raw = {
                "case": q["case"],
                "type_code": q["type_code"],
                "k": q["k"],
                "arrival_h": arrival,
                "finish_h": done,
                "trips": lut["trips"][types],
                "agent_trips": lut["agent"][types],
                "corrections": zero,
                "reworks": zero,
                "problems": zero,
                "visits": one,
                "capped": zero,
                "applicant_wd": zero,
                "clock_start": np.where(clocked, arrival, nan),
                "clock_end": np.where(clocked, done, nan),
                "clock_rest": zero,
                "items_timed": zero,
                "items_overdue": zero,
                "items_handled": one,
                "items_one_trip": one,
            }
            stage = lut["stage"][types]
            n_stages = self.model.plan.n_stages
            for s in range(n_stages):
                raw[f"s{s + 1}_start"] = np.where(stage == s, arrival, nan)
                raw[f"s{s + 1}_end"] = np.where(stage == s, done, nan)
            for m, name in enumerate(self.model.plan.milestones):
                raw[f"{name}_h"] = np.where(lut[f"milestone{m}"][types] > 0, done, nan)
            for f in self.model.plan.flag_names:  # a quick case type has no flags of its own
                raw[f"flag_{f}"] = zero
            self.cases_table.write_raw(raw)
            items = lut["item"][types]
            if "tasks" in self.tables:
                taken = np.isfinite(q["started_h"])
                t = {
                    "case": q["case"][taken],
                    "item": items[taken],
                    "step": lut["step"][types][taken],
                    "department": lut["department"][types][taken],
                    "queued_h": arrival[taken],
                    "started_h": q["started_h"][taken],
                    "finished_h": q["end_h"][taken],
                    "visit": zero[taken],
                    "round": zero[taken],
                    "effort_h": q["effort_h"][taken],
                }
                self.tables["tasks"].write_raw(t)
            if self._visits is not None:
                merged = {
                    "case": q["case"],
                    "item": items,
                    "visit": zero,
                    "ready_h": arrival,
                    "handed_in_h": arrival,
                    "released_by": -one,
                    "trips": raw["trips"],
                    "agent_trips": raw["agent_trips"],
                    "corrections": zero,
                    "clock_wd": zero,
                    "done_h": done,
                    "overdue": -one,
                    "sent_back": zero,
                    "row": q["row"],
                }
        visits = self._visits
        if visits is None:
            return
        if visits.buffer:
            general = visits.take_raw()
            if merged is not None:
                merged = {c: np.concatenate([merged[c], general[c]]) for c in general}
            else:
                merged = general
        if merged is not None:
            order = np.argsort(merged["row"], kind="stable")
            visits.write_raw({c: v[order] for c, v in merged.items()})

    def _quick_tables(self) -> dict[str, np.ndarray]:
        """Per case type, what a quick case records besides its times (see :meth:`quick`)."""
        plan = self.model.plan
        cols: dict[str, list] = {
            k: []
            for k in (
                "item",
                "step",
                "department",
                "trips",
                "agent",
                "clocked",
                "stage",
                *(f"milestone{m}" for m in range(len(plan.milestones))),
            )
        }
        for cp in plan.cases:
            it = cp.items[0]
            step = it.steps[0]
            cols["item"].append(it.code)
            cols["step"].append(step.code)
            cols["department"].append(step.department)
            cols["trips"].append(1.0 if it.in_person and not it.by_agent else 0.0)
            cols["agent"].append(1.0 if it.in_person and it.by_agent else 0.0)
            cols["clocked"].append(it.on_clock and step.counted)
            cols["stage"].append(it.stage)
            for m in range(len(plan.milestones)):
                cols[f"milestone{m}"].append(1.0 if m in it.milestones else 0.0)
        return {k: np.asarray(v, dtype=bool if k == "clocked" else float) for k, v in cols.items()}

    def case(self, case: Case, row: int = -1) -> None:
        """Record a closed (or, at the end, unfinished) case; ``row``: the visit that closed it."""
        self.open[case.id] = None
        self.critical.close(case, row)
        if case.finished > self.last_finish:
            self.last_finish = case.finished
        self.capped_cases += case.capped
        handled = case.handled  # case.one_trip_items(), inlined
        one_trip = handled - case.several_trips
        clock_start, clock_end, clock_rest = case.clock_segments()
        milestones = case.milestones or [math.nan] * len(self.model.plan.milestones)
        flags = self.model.plan.flag_names
        self.cases_table.add(
            (
                case.id,
                case.plan.code,
                case.k,
                case.arrival,
                case.finished,
                case.trips,
                case.agent_trips,
                case.corrections,
                case.reworks,
                case.problems,
                case.n_visits,
                case.capped,
                case.applicant_wd,
                clock_start,
                clock_end,
                clock_rest,
                case.items_timed,
                case.items_overdue,
                handled,
                one_trip,
                *case.stages,
                *milestones,
                *((name in case.flags for name in flags) if flags else ()),
            )
        )

    # -- the end --------------------------------------------------------------------------------

    def build(self) -> Trace:
        """Record the unfinished cases, flush every table, and return the trace."""
        model = self.model
        self.unfinished = 0
        for case in self.open:
            if case is not None and not hasattr(case, "state"):
                self.unfinished += 1
                self.quick(case, math.nan)
            elif case is not None:
                self.unfinished += 1
                for i, visit in enumerate(case.open):
                    if visit is not None:
                        case.open[i] = None
                        self.visit(case, i, visit, math.nan, -1, False)
                case.finished = math.nan
                self.case(case)
        self.open = []
        self._flush_joint()
        tables = [self.cases_table]
        for name in self.keep:
            tables.append(getattr(self, f"_{name}"))
        for table in tables:
            table.close()
        departments = self._departments()
        self.sink.close()
        memory = self.memory
        get = memory.take if self._owned_memory else memory.frame
        cases = _by_case(get("cases"))
        kept = {
            name: get(name) if name in memory.names else None
            for name in ("tasks", "activities", "visits")
        }
        sc = model.scenario
        meta = {
            "scenario": sc.scenario.name,
            "seed": model.seed,
            "replication": model.replication,
            "start": sc.scenario.start.isoformat(),
            "warmup_h": model.warmup_h,
            "horizon_h": model.horizon_h,
            "assumed_calendar_years": self._assumed_years(),
            "unfinished_cases": self.unfinished,
            "capped_cases": int(self.capped_cases),
            "stages": [sc.stage_name(n) for n in range(1, model.plan.n_stages + 1)],
            "intervals": {name: iv.unit for name, iv in sc.intervals.items()},
            "time_limits": any(it.time_limit_wd for it in model.plan.items),
            "tables": ["cases", "departments", *self.keep],
            "reforms": list(sc.applied),
            "critical_path": self.critical.result(),
        }
        return Trace(
            cases=cases,
            tasks=kept["tasks"],
            departments=departments,
            meta=meta,
            activities=kept["activities"],
            visits=kept["visits"],
        )

    def _assumed_years(self) -> list[int]:
        """Years whose holidays were computed by rule, among those the run actually reached."""
        model = self.model
        last = max(model.horizon_h, self.last_finish if math.isfinite(self.last_finish) else 0)
        if self.unfinished:
            last = model.end_h
        return [y for y in model.calendar.assumed_years if y <= model.calendar.date_of(last).year]

    def _departments(self) -> pd.DataFrame:
        import pandas as pd

        model = self.model
        span = model.horizon_h - model.warmup_h
        rows = []
        for dep in model.departments:
            clock, spec = dep.clock, dep.spec
            open_staff_hours = (
                clock.open_hours(model.horizon_h) - clock.open_hours(model.warmup_h)
            ) * spec.staff
            rows.append(
                {
                    "department": dep.id,
                    "name": spec.name.get("en") or dep.id,
                    "location": spec.location,
                    "staff": spec.staff,
                    "tasks": dep.tasks,
                    "busy_hours": float(dep.busy),
                    "open_hours": float(open_staff_hours),
                    "utilisation": float(dep.busy / open_staff_hours)
                    if open_staff_hours
                    else np.nan,
                    "mean_wait_h": dep.wait_sum / dep.tasks if dep.tasks else np.nan,
                    "mean_queue": float(dep.waiting / span),
                    "max_queue": int(dep.max_queue),
                }
            )
        frame = pd.DataFrame(rows, columns=DEPARTMENT_COLUMNS)
        categories = {
            c: sorted(set(frame[c])) if c != "department" else list(model.plan.dep_ids)
            for c in ("department", "name", "location")
        }
        self.sink.open("departments", DEPARTMENT_COLUMNS, categories)
        chunk = {}
        for c in DEPARTMENT_COLUMNS:
            if c in categories:
                lookup = {v: n for n, v in enumerate(categories[c])}
                chunk[c] = np.array([lookup[v] for v in frame[c]], dtype=np.int64)
            else:
                chunk[c] = frame[c].to_numpy()
        self.sink.write("departments", chunk)
        return frame

    # -- the cases table ------------------------------------------------------------------------

    def _case_raw(self) -> tuple[str, ...]:
        plan = self.model.plan
        return (
            *CASE_RAW,
            *(f"s{n}_start" for n in range(1, plan.n_stages + 1)),
            *(f"s{n}_end" for n in range(1, plan.n_stages + 1)),
            *(f"{m}_h" for m in plan.milestones),
            *(f"flag_{f}" for f in plan.flag_names),
        )

    def _case_columns(self) -> tuple[str, ...]:
        plan = self.model.plan
        return (
            *CASE_LEAD,
            *(f"stage{n}_wd" for n in range(1, plan.n_stages + 1)),
            *(f"{m}_h" for m in plan.milestones),
            *plan.scenario.intervals,
            *(f"flag_{f}" for f in plan.flag_names),
            "in_window",
        )

    def _finish_cases(self, raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        model = self.model
        cal = model.calendar
        arrival, finish = raw["arrival_h"], raw["finish_h"]
        lead_wd = cal.wd_array(finish) - cal.wd_array(arrival)
        out: dict[str, np.ndarray] = {
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
            "approval_wd": lead_wd - raw["applicant_wd"],
            "clock_wd": np.where(  # like the lead time, no clock for an unfinished case
                np.isfinite(finish),
                np.where(
                    np.isfinite(raw["clock_start"]),
                    cal.wd_array(raw["clock_end"]) - cal.wd_array(raw["clock_start"]),
                    0.0,
                )
                + raw["clock_rest"],
                np.nan,
            ),
        }
        for c in CASE_COUNTS:
            out[c] = raw[c].astype(np.int64)
        out["capped"] = raw["capped"] > 0
        for n in range(1, model.plan.n_stages + 1):
            out[f"stage{n}_wd"] = cal.wd_array(raw[f"s{n}_end"]) - cal.wd_array(raw[f"s{n}_start"])
        for m in model.plan.milestones:
            out[f"{m}_h"] = raw[f"{m}_h"]
        for name, iv in model.scenario.intervals.items():
            a = arrival if iv.from_ == "arrival" else raw[f"{iv.from_}_h"]
            b = finish if iv.to == "finish" else raw[f"{iv.to}_h"]
            if iv.unit == "working_days":
                out[name] = cal.wd_array(b) - cal.wd_array(a)
            else:
                out[name] = (b - a) / HOURS_PER_DAY
        for f in model.plan.flag_names:
            out[f"flag_{f}"] = raw[f"flag_{f}"] > 0
        out["in_window"] = (arrival >= model.warmup_h) & (arrival < model.horizon_h)
        return out


CASE_RAW = (
    "case",
    "type_code",
    "k",
    "arrival_h",
    "finish_h",
    "trips",
    "agent_trips",
    "corrections",
    "reworks",
    "problems",
    "visits",
    "capped",
    "applicant_wd",
    "clock_start",
    "clock_end",
    "clock_rest",
    "items_timed",
    "items_overdue",
    "items_handled",
    "items_one_trip",
)
CASE_COUNTS = (
    "trips",
    "agent_trips",
    "corrections",
    "reworks",
    "problems",
    "visits",
    "items_timed",
    "items_overdue",
    "items_handled",
    "items_one_trip",
)
CASE_LEAD = (
    "case",
    "case_type",
    "k",
    "arrival_h",
    "finish_h",
    "arrival",
    "finished",
    "lead_wd",
    "lead_days",
    "approval_wd",
    "clock_wd",
    "trips",
    "agent_trips",
    "corrections",
    "reworks",
    "problems",
    "visits",
    "capped",
    "items_timed",
    "items_overdue",
    "items_handled",
    "items_one_trip",
)
TASK_RAW = (
    "case",
    "item",
    "step",
    "department",
    "queued_h",
    "started_h",
    "finished_h",
    "visit",
    "round",
    "effort_h",
)
ACTIVITY_RAW = ("case", "item", "step", "kind", "start_h", "end_h", "visit")
VISIT_RAW = (  # the order of an open visit record (engine.V_*), then the outcome
    "case",
    "item",
    "visit",
    "ready_h",
    "handed_in_h",
    "released_by",
    "trips",
    "agent_trips",
    "corrections",
    "clock_wd",
    "done_h",
    "overdue",
    "sent_back",
    "row",  # the visit's number: rows are written in this order
)
V_FIELDS = 8
"""Fields of an open visit record (engine.V_*); the spells of its critical path follow them."""
QUICK_RAW = (
    "row",
    "case",
    "type_code",
    "k",
    "arrival_h",
    "started_h",
    "done_h",
    "end_h",
    "effort_h",
)
VISIT_COLUMNS = (
    "case",
    "item",
    "visit",
    "ready_h",
    "handed_in_h",
    "done_h",
    "released_by",
    "trips",
    "agent_trips",
    "corrections",
    "clock_wd",
    "timed",
    "overdue",
    "sent_back",
)
DEPARTMENT_COLUMNS = (
    "department",
    "name",
    "location",
    "staff",
    "tasks",
    "busy_hours",
    "open_hours",
    "utilisation",
    "mean_wait_h",
    "mean_queue",
    "max_queue",
)
_INT = np.int64


def _by_case(frame: pd.DataFrame) -> pd.DataFrame:
    """The cases in case order, sorted a column at a time (never two copies of the table)."""
    import pandas as pd

    case = frame["case"].to_numpy()
    if len(case) < 2 or (case[1:] > case[:-1]).all():
        return frame
    order = np.argsort(case, kind="stable")
    data = {}
    for col in list(frame.columns):
        column = frame.pop(col)
        if isinstance(column.dtype, pd.CategoricalDtype):
            data[col] = column.array.take(order)
        else:
            data[col] = column.to_numpy()[order]
    return pd.DataFrame(data, copy=False)


def _finish_tasks(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = {c: raw[c] for c in TASK_RAW}
    for c in ("case", "item", "step", "department", "visit", "round"):
        out[c] = raw[c].astype(_INT)
    out["wait_h"] = raw["started_h"] - raw["queued_h"]
    return out


def _finish_activities(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = dict(raw)
    for c in ("case", "item", "step", "kind", "visit"):
        out[c] = raw[c].astype(_INT)
    return out


def _finish_visits(raw: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    out = dict(raw)
    for c in ("case", "item", "visit", "released_by", "trips", "agent_trips", "corrections"):
        out[c] = raw[c].astype(_INT)
    out["timed"] = raw["overdue"] >= 0
    out["overdue"] = raw["overdue"] > 0
    out["sent_back"] = raw["sent_back"] > 0
    return out


def event_log(trace: Trace, start: dt.date | str | None = None) -> pd.DataFrame:
    """The task table as a process-mining event log (pm4py's default column names).

    One ``start`` and one ``complete`` event per task: ``case:concept:name`` (case id),
    ``concept:name`` (``item: step``), ``time:timestamp``, ``org:resource`` (department),
    ``lifecycle:transition``.
    """
    import pandas as pd

    if trace.tasks is None:
        raise ValueError("this trace did not keep its task table (Model(keep=...))")
    origin = pd.Timestamp(start or trace.meta["start"])
    t = trace.tasks
    activity = t["item"].astype(str) + ": " + t["step"].astype(str)
    parts = []
    for col, life in (("started_h", "start"), ("finished_h", "complete")):
        parts.append(
            pd.DataFrame(
                {
                    "case:concept:name": t["case"].astype(str),
                    "concept:name": activity,
                    "time:timestamp": origin + pd.to_timedelta(t[col], unit="h"),
                    "org:resource": t["department"].astype(str),
                    "lifecycle:transition": life,
                }
            )
        )
    log = pd.concat(parts, ignore_index=True)
    return log.sort_values(
        ["case:concept:name", "time:timestamp"], kind="stable", ignore_index=True
    )
