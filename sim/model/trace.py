"""The trace of a run: tidy tables of cases, tasks and departments.

During a run the :class:`TraceRecorder` appends plain numbers to column lists (no per-row
objects); at the end :meth:`TraceRecorder.build` turns them into pandas tables:

* ``cases`` — one row per case: type, arrival and finish (hours from the start, and dates), lead
  time in statutory working days and calendar days, approval time in working days (lead time
  less the spells when only the applicant was working, such as construction), trips,
  corrections, rework rounds, the working days spent in each stage, and whether the case arrived
  inside the measurement window (after the warm-up, before the horizon).
* ``tasks`` — one row per staff task: case, item, step, department, when it was queued, taken up
  and finished (hours), the attempt (0 first, then one more per correction or rework) and its
  effort in staff hours.
* ``departments`` — one row per department over the measurement window: staff, tasks, busy and
  open staff-hours, utilisation, mean and longest queue, mean wait.

:func:`event_log` exports the task table as a process-mining event log that pm4py reads.
"""

from __future__ import annotations

import datetime as dt
from array import array
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from sim.model.engine import Case, Model

HOURS_PER_DAY = 24.0


@dataclass(frozen=True)
class Trace:
    """The tables of one replication and what produced them."""

    cases: pd.DataFrame
    tasks: pd.DataFrame
    departments: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    activities: pd.DataFrame | None = None  # elapsed spells: delays, corrections, transfers

    def window_cases(self) -> pd.DataFrame:
        """The cases that arrived inside the measurement window (after the warm-up)."""
        return self.cases[self.cases["in_window"]]


class TraceRecorder:
    """Column-wise recorder used by the engine; see the module docstring.

    Rows go into flat ``array('d')`` buffers (one ``extend`` per row, no per-row objects) that
    numpy then reads without copying.
    """

    TASK_COLS = (
        "case",
        "item",
        "step",
        "department",
        "queued_h",
        "started_h",
        "finished_h",
        "attempt",
        "effort_h",
    )
    CASE_COLS = (
        "case",
        "type_code",
        "k",
        "arrival_h",
        "finish_h",
        "trips",
        "corrections",
        "reworks",
        "problems",
        "applicant_wd",
        *(f"s{n}_start" for n in range(1, 5)),
        *(f"s{n}_end" for n in range(1, 5)),
    )

    def __init__(self, n_cases: int = 0) -> None:
        self.tasks = array("d")  # departments extend it directly, one row per task
        self.activities = array("d")  # case, item, step, kind, start, end
        self.cases = array("d")
        self.open: list[Case | None] = [None] * n_cases
        self.milestones: dict[int, list[float]] = {}

    def arrival(self, case: Case) -> None:
        """Remember a case until it closes (unfinished cases are reported at the end)."""
        self.open[case.id] = case

    def case(self, case: Case) -> None:
        """Record a closed (or, at the end, unfinished) case."""
        self.open[case.id] = None
        if case.milestones is not None:
            self.milestones[case.id] = case.milestones
        self.cases.extend(
            (
                case.id,
                case.type_code,
                case.k,
                case.arrival,
                case.finished,
                case.trips,
                case.corrections,
                case.reworks,
                case.problems,
                case.applicant_wd,
                *case.stages,
            )
        )

    @staticmethod
    def _columns(buffer: array, names: tuple[str, ...]) -> dict[str, np.ndarray]:
        flat = np.frombuffer(buffer, dtype=float) if len(buffer) else np.empty(0)
        table = flat.reshape(-1, len(names))
        return {name: table[:, n] for n, name in enumerate(names)}

    # -- building the tables --------------------------------------------------------------------

    def build(self, model: Model) -> Trace:
        """Turn the recorded columns into the trace tables of ``model``."""
        for case in self.open:
            if case is not None:
                case.finished = np.nan
                self.case(case)
        cases = self._cases(model)
        tasks = self._tasks(model)
        cases["clock_wd"] = self._clock_wd(model, cases["case"].to_numpy())
        departments = self._departments(model, tasks)
        sc = model.scenario
        meta = {
            "scenario": sc.scenario.name,
            "seed": model.seed,
            "replication": model.replication,
            "start": sc.scenario.start.isoformat(),
            "warmup_h": model.warmup_h,
            "horizon_h": model.horizon_h,
            "assumed_calendar_years": _assumed_years_reached(model, cases),
            "unfinished_cases": int((~cases["finished"]).sum()),
            "reforms": list(sc.applied),
        }
        return Trace(
            cases=cases,
            tasks=tasks,
            departments=departments,
            meta=meta,
            activities=self._activities(model),
        )

    def _activities(self, model: Model) -> pd.DataFrame:
        from sim.model.engine import ACTIVITY_KINDS

        raw = self._columns(self.activities, ("case", "item", "step", "kind", "start_h", "end_h"))
        return pd.DataFrame(
            {
                "case": raw["case"].astype(np.int64),
                "item": pd.Categorical.from_codes(
                    raw["item"].astype(np.int64), categories=list(model.item_ids)
                ),
                "step": raw["step"].astype(np.int64),
                "kind": pd.Categorical.from_codes(
                    raw["kind"].astype(np.int64), categories=list(ACTIVITY_KINDS)
                ),
                "start_h": raw["start_h"],
                "end_h": raw["end_h"],
            }
        )

    def _cases(self, model: Model) -> pd.DataFrame:
        raw = self._columns(self.cases, self.CASE_COLS)
        order = np.argsort(raw["case"], kind="stable")
        raw = {c: v[order] for c, v in raw.items()}
        cal = model.calendar
        arrival, finish = raw["arrival_h"], raw["finish_h"]
        lead_wd = cal.wd_array(finish) - cal.wd_array(arrival)
        out = pd.DataFrame(
            {
                "case": raw["case"].astype(np.int64),
                "case_type": pd.Categorical.from_codes(
                    raw["type_code"].astype(np.int64), categories=list(model.type_ids)
                ),
                "k": raw["k"].astype(np.int64),
                "arrival_h": arrival,
                "finish_h": finish,
                "arrival": _dates(model, arrival),
                "finished": np.isfinite(finish),
                "lead_wd": lead_wd,
                "lead_days": (finish - arrival) / HOURS_PER_DAY,
                "approval_wd": lead_wd - raw["applicant_wd"],
                "trips": raw["trips"].astype(np.int64),
                "corrections": raw["corrections"].astype(np.int64),
                "reworks": raw["reworks"].astype(np.int64),
                "problems": raw["problems"].astype(np.int64),
            }
        )
        for n in range(1, 5):
            out[f"stage{n}_wd"] = cal.wd_array(raw[f"s{n}_end"]) - cal.wd_array(raw[f"s{n}_start"])
        names = model.milestone_names
        for n, name in enumerate(names):
            out[f"{name}_h"] = [
                self.milestones.get(int(c), [np.nan] * len(names))[n] for c in out["case"]
            ]
        if "completion" in names and "title" in names:
            out["title_wd"] = cal.wd_array(out["title_h"].to_numpy(float)) - cal.wd_array(
                out["completion_h"].to_numpy(float)
            )
        else:
            out["title_wd"] = out["stage4_wd"]
        out["in_window"] = (arrival >= model.warmup_h) & (arrival < model.horizon_h)
        return out

    def _clock_wd(self, model: Model, case_ids: np.ndarray) -> np.ndarray:
        """Working days on the statutory clock, per case.

        The clock runs while at least one of the case's approval, assessment or public-service
        items is in the government's hands: queued or in work, or in an elapsed step that
        counts (``clock = true``), or its file in transfer. It stops for corrections (the
        applicant's time), steps such as expert review or auction (行政许可法 Art. 45),
        intermediaries, the applicant's own work and blocking problems.
        """
        from sim.model.engine import ACTIVITY_KINDS

        sc = model.scenario
        on_clock = np.array(
            [
                sc.items[i].kind in ("approval", "assessment", "public_service")
                for i in model.item_ids
            ]
        )
        t = self._columns(self.tasks, self.TASK_COLS)
        keep = on_clock[t["item"].astype(np.int64)] if len(t["item"]) else np.zeros(0, bool)
        spans = [(t["case"][keep], t["queued_h"][keep], t["finished_h"][keep])]
        a = self._columns(self.activities, ("case", "item", "step", "kind", "start_h", "end_h"))
        if len(a["item"]):
            items = a["item"].astype(np.int64)
            steps = a["step"].astype(np.int64)
            kinds = np.asarray(ACTIVITY_KINDS)[a["kind"].astype(np.int64)]
            counts = np.array(
                [
                    k == "transfer" or (k == "delay" and _step_on_clock(sc, model.item_ids[i], s))
                    for i, s, k in zip(items.tolist(), steps.tolist(), kinds.tolist(), strict=True)
                ],
                dtype=bool,
            )
            sel = counts & on_clock[items]
            spans.append((a["case"][sel], a["start_h"][sel], a["end_h"][sel]))
        case = np.concatenate([s[0] for s in spans])
        start = np.concatenate([s[1] for s in spans])
        end = np.concatenate([s[2] for s in spans])
        order = np.lexsort((start, case))
        case, start, end = case[order], start[order], end[order]
        cal = model.calendar
        wd_start, wd_end = cal.wd_array(start), cal.wd_array(end)
        # merge each case's overlapping spells (sorted by start: a spell opens a new segment
        # when it starts after every earlier spell of its case has ended), then add up
        df = pd.DataFrame({"case": case, "start": start, "end": end, "ws": wd_start, "we": wd_end})
        reach = df.groupby("case")["end"].cummax()
        before = reach.groupby(df["case"]).shift()
        df["segment"] = (before.isna() | (df["start"] > before)).cumsum()
        seg = df.groupby("segment").agg(
            case=("case", "first"), ws=("ws", "first"), we=("we", "max")
        )
        total = (seg["we"] - seg["ws"]).groupby(seg["case"]).sum().to_dict()
        return np.array([total.get(int(c), 0.0) for c in case_ids])

    def _tasks(self, model: Model) -> pd.DataFrame:
        raw = self._columns(self.tasks, self.TASK_COLS)
        item_codes = raw["item"].astype(np.int64)
        steps = raw["step"].astype(np.int64)
        names = sorted({s.name for it in model.scenario.items.values() for s in it.steps})
        lookup = {name: n for n, name in enumerate(names)}
        table = np.full(
            (len(model.item_ids), max(len(it.steps) for it in model.scenario.items.values())), -1
        )
        for n, iid in enumerate(model.item_ids):
            for s, step in enumerate(model.scenario.items[iid].steps):
                table[n, s] = lookup[step.name]
        return pd.DataFrame(
            {
                "case": raw["case"].astype(np.int64),
                "item": pd.Categorical.from_codes(item_codes, categories=list(model.item_ids)),
                "step": pd.Categorical.from_codes(table[item_codes, steps], categories=names),
                "department": pd.Categorical.from_codes(
                    raw["department"].astype(np.int64), categories=list(model.dep_ids)
                ),
                "queued_h": raw["queued_h"],
                "started_h": raw["started_h"],
                "finished_h": raw["finished_h"],
                "attempt": raw["attempt"].astype(np.int64),
                "effort_h": raw["effort_h"],
                "wait_h": raw["started_h"] - raw["queued_h"],
            }
        )

    def _departments(self, model: Model, tasks: pd.DataFrame) -> pd.DataFrame:
        h0, h1 = model.warmup_h, model.horizon_h
        span = h1 - h0
        rows = []
        for code, (dep_id, dep) in enumerate(model.departments.items()):
            mine = tasks[tasks["department"].cat.codes.to_numpy() == code]
            q = mine["queued_h"].to_numpy()
            s = mine["started_h"].to_numpy()
            f = mine["finished_h"].to_numpy()
            clock = dep.clock
            w0, w1 = clock.open_hours(h0), clock.open_hours(h1)
            busy = np.clip(
                clock.open_hours_array(np.minimum(f, h1))
                - clock.open_hours_array(np.maximum(s, h0)),
                0,
                None,
            ).sum()
            open_staff_hours = (w1 - w0) * dep.spec.staff
            waiting = np.clip(np.minimum(s, h1) - np.maximum(q, h0), 0, None).sum()
            in_window = (q >= h0) & (q < h1)
            rows.append(
                {
                    "department": dep_id,
                    "name": dep.spec.name.get("en") or dep_id,
                    "location": dep.spec.location,
                    "staff": dep.spec.staff,
                    "tasks": int(in_window.sum()),
                    "busy_hours": float(busy),
                    "open_hours": float(open_staff_hours),
                    "utilisation": float(busy / open_staff_hours) if open_staff_hours else np.nan,
                    "mean_wait_h": float((s - q)[in_window].mean()) if in_window.any() else np.nan,
                    "mean_queue": float(waiting / span),
                    "max_queue": _max_queue(q, s, h0, h1),
                }
            )
        return pd.DataFrame(rows)


def _step_on_clock(sc, item: str, step: int) -> bool:
    steps = sc.items[item].steps
    return steps[step].clock if step < len(steps) else True


def _assumed_years_reached(model: Model, cases: pd.DataFrame) -> list[int]:
    """Years whose holidays were computed by rule, among those the run actually reached."""
    finishes = cases["finish_h"].to_numpy(float)
    last = max(model.horizon_h, float(np.nanmax(finishes)) if np.isfinite(finishes).any() else 0)
    if not np.isfinite(finishes).all():
        last = model.end_h
    reached = model.calendar.date_of(last).year
    return [y for y in model.calendar.assumed_years if y <= reached]


def _dates(model: Model, hours: np.ndarray) -> pd.Series:
    origin = pd.Timestamp(dt.datetime.combine(model.scenario.scenario.start, dt.time()))
    return origin + pd.to_timedelta(hours, unit="h")


def _max_queue(queued: np.ndarray, started: np.ndarray, h0: float, h1: float) -> int:
    """The largest number of tasks waiting at once during ``[h0, h1)``."""
    waits = started > queued
    if not waits.any():
        return 0
    times = np.concatenate([queued[waits], started[waits]])
    steps = np.concatenate([np.ones(waits.sum()), -np.ones(waits.sum())])
    order = np.lexsort((steps, times))  # at equal times a start leaves before an arrival joins
    level = np.cumsum(steps[order])
    t = times[order]
    inside = (t >= h0) & (t < h1)
    before = level[t < h0]
    start_level = before[-1] if len(before) else 0
    return int(max(start_level, level[inside].max() if inside.any() else 0))


def event_log(trace: Trace, start: dt.date | str | None = None) -> pd.DataFrame:
    """The task table as a process-mining event log (pm4py's default column names).

    One ``start`` and one ``complete`` event per task: ``case:concept:name`` (case id),
    ``concept:name`` (``item: step``), ``time:timestamp``, ``org:resource`` (department),
    ``lifecycle:transition``.
    """
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
