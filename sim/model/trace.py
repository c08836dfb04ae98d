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
  and finished (hours), the visit and correction round, and its effort in staff hours.
* ``activities`` — one row per elapsed spell: delay steps, the applicant's own work,
  corrections, file transfers and blocking-problem stalls, with the visit they belong to.
* ``departments`` — one row per department over the measurement window: staff, tasks, busy and
  open staff-hours, utilisation, mean and longest queue, mean wait; added up during the run, so
  it needs no task table.

:func:`event_log` exports the task table as a process-mining event log that pm4py reads.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from sim.model.plan import ACTIVITY_KINDS
from sim.model.tables import MemorySink, Sink, Table

if TYPE_CHECKING:
    import pandas as pd

    from sim.model.engine import Case, Model

HOURS_PER_DAY = 24.0
TABLES = ("tasks", "activities", "visits")
"""The per-event tables a run may keep (``Model(keep=...)``)."""


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


def _ignore(_: Any) -> None:
    """A table that is not kept."""


class TraceRecorder:
    """Records the rows of a run into chunked tables (see the module docstring)."""

    def __init__(self, model: Model, sink: Sink, keep: Iterable[str]):
        self.model = model
        plan = model.plan
        self.sink = sink
        self.keep = tuple(t for t in TABLES if t in set(keep))
        self.memory = sink if isinstance(sink, MemorySink) else MemorySink()
        self.open: list[Case | None] = []
        self.visit_rows = 0
        self.last_finish = -math.inf
        self.capped_cases = 0
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
        self.task = self.activity = _ignore
        self._visits: Table | None = None
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
            self.task = self._tasks.add
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
        """Make room for ``n_cases`` open cases."""
        self.open = [None] * n_cases

    def arrival(self, case: Case) -> None:
        """Remember a case until it closes (unfinished cases are reported at the end)."""
        self.open[case.id] = case

    def visit(
        self, case: Case, i: int, visit: list, done: float, overdue: int, sent_back: bool
    ) -> int:
        """Record a visit of item ``i`` done at ``done``; return its row number."""
        row = self.visit_rows
        self.visit_rows = row + 1
        if self._visits is not None:
            self._visits.add(
                (
                    case.id,
                    case.plan.items[i].code,
                    visit[0],
                    visit[1],
                    visit[2],
                    done,
                    visit[3],
                    visit[4],
                    visit[5],
                    visit[6],
                    visit[7],
                    overdue,
                    sent_back,
                )
            )
        return row

    def case(self, case: Case) -> None:
        """Record a closed (or, at the end, unfinished) case."""
        self.open[case.id] = None
        if case.finished > self.last_finish:
            self.last_finish = case.finished
        self.capped_cases += case.capped
        handled, one_trip = case.one_trip_items()
        milestones = case.milestones or [math.nan] * len(self.model.plan.milestones)
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
                sum(case.visits),
                case.capped,
                case.applicant_wd,
                case.clock_wd(),
                case.items_timed,
                case.items_overdue,
                handled,
                one_trip,
                *case.stages,
                *milestones,
                *(float(f in case.flags) for f in self.model.plan.flag_names),
            )
        )

    # -- the end --------------------------------------------------------------------------------

    def build(self) -> Trace:
        """Record the unfinished cases, flush every table, and return the trace."""
        model = self.model
        self.unfinished = 0
        for case in self.open:
            if case is not None:
                self.unfinished += 1
                for i, visit in enumerate(case.open):
                    if visit is not None:
                        case.open[i] = None
                        self.visit(case, i, visit, math.nan, -1, False)
                case.finished = math.nan
                self.case(case)
        self.open = []
        tables = [self.cases_table]
        for name in self.keep:
            tables.append(getattr(self, f"_{name}"))
        for table in tables:
            table.close()
        departments = self._departments()
        self.sink.close()
        memory = self.memory
        cases = memory.frame("cases").sort_values("case", kind="stable", ignore_index=True)
        kept = {
            name: memory.frame(name) if name in memory.names else None
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
            "clock_wd": raw["clock_wd"],
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
    "clock_wd",
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
VISIT_RAW = (
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
    "overdue",
    "sent_back",
)
VISIT_COLUMNS = (*VISIT_RAW[:-2], "timed", "overdue", "sent_back")
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
