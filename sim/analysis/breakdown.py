"""Where the time goes: stage breakdowns, utilisation over time, bottlenecks, a typical case.

These turn trace tables into the tidy tables the charts draw. Time is summed over the items of
a stage, so items handled in parallel each count: the breakdown says what the time is made of,
not how long the stage lasts (the cases table has that).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.model.workcal import OfficeClock, WorkCalendar

COMPONENTS = ("queueing", "staff work", "elapsed delays", "applicant time")
_KIND_TO_COMPONENT = {
    "delay": "elapsed delays",
    "transfer": "elapsed delays",
    "stall": "elapsed delays",
    "applicant": "applicant time",
    "correction": "applicant time",
}


def stage_breakdown(result) -> pd.DataFrame:
    """Mean calendar days per case spent in each component, by stage (window cases only).

    Columns: ``stage`` (1-4, or 0 for work outside the stages such as construction),
    ``component`` (queueing, staff work, elapsed delays, applicant time), ``days``.
    """
    sc = result.scenario
    stage_of = {i: (it.stage or 0) for i, it in sc.items.items()}
    cases = result.cases[result.cases["in_window"] & result.cases["finished"]]
    keep = set(zip(cases["replication"], cases["case"], strict=True))
    n_cases = max(1, len(keep))
    rows = []
    t = result.tasks
    t = t[[k in keep for k in zip(t["replication"], t["case"], strict=True)]]
    stages = t["item"].astype(str).map(stage_of)
    for stage, g in t.groupby(stages):
        rows.append((stage, "queueing", float((g["started_h"] - g["queued_h"]).sum())))
        rows.append((stage, "staff work", float((g["finished_h"] - g["started_h"]).sum())))
    a = result.activities
    if a is not None and len(a):
        a = a[[k in keep for k in zip(a["replication"], a["case"], strict=True)]]
        comp = a["kind"].astype(str).map(_KIND_TO_COMPONENT)
        st = a["item"].astype(str).map(stage_of)
        for (stage, c), g in a.groupby([st, comp]):
            rows.append((stage, c, float((g["end_h"] - g["start_h"]).sum())))
    df = pd.DataFrame(rows, columns=["stage", "component", "hours"])
    df = df.groupby(["stage", "component"], as_index=False)["hours"].sum()
    df["days"] = df["hours"] / 24 / n_cases
    return df.drop(columns="hours")


def utilisation_over_time(result, freq: str = "MS") -> pd.DataFrame:
    """Utilisation of open staff hours per department and period (replications pooled).

    Busy hours are counted in the period in which a task was taken up. Columns: ``department``,
    ``period`` (timestamp), ``utilisation``.
    """
    sc = result.scenario
    info = sc.scenario
    origin = pd.Timestamp(info.start)
    t = result.tasks
    reps = max(1, t["replication"].nunique())
    end_h = info.horizon_days * 24
    t = t[t["started_h"] < end_h]
    periods = pd.date_range(origin, origin + pd.Timedelta(hours=end_h), freq=freq)
    if len(periods) < 2:
        periods = pd.DatetimeIndex([origin, origin + pd.Timedelta(hours=end_h)])
    edges_h = ((periods - origin) / pd.Timedelta(hours=1)).to_numpy(float)
    cal = WorkCalendar(info.start, int(info.horizon_days) + 400)
    rows = []
    for dep_id, dep in sc.departments.items():
        clock = OfficeClock(cal, dep.hours)
        open_h = np.diff(clock.open_hours_array(edges_h)) * dep.staff
        mine = t[t["department"] == dep_id]
        busy, _ = np.histogram(mine["started_h"], bins=edges_h, weights=mine["effort_h"])
        for k in range(len(open_h)):
            rows.append(
                {
                    "department": dep_id,
                    "period": periods[k],
                    "utilisation": busy[k] / reps / open_h[k] if open_h[k] else np.nan,
                }
            )
    return pd.DataFrame(rows)


def bottleneck(result) -> tuple[str, float]:
    """The bottleneck: the department with the largest share of critical-path days, and that share.

    (See :mod:`sim.analysis.critical`; the department where tasks wait longest is not it: a
    20-hour wait beside a 271-day approval says little.) ``("", nan)`` when none.
    """
    from sim.analysis.critical import bottleneck as critical_bottleneck

    b = critical_bottleneck(result)
    return b.department, b.share


def typical_case(result, replication: int = 0) -> int:
    """The case of a replication whose lead time is closest to that replication's median."""
    c = result.cases[
        (result.cases["replication"] == replication)
        & result.cases["in_window"]
        & result.cases["finished"]
    ]
    if c.empty:
        c = result.cases[result.cases["replication"] == replication]
    med = c["lead_wd"].median()
    return int(c.loc[(c["lead_wd"] - med).abs().idxmin(), "case"])


def case_timeline(result, case: int, replication: int = 0) -> pd.DataFrame:
    """Every spell of one case: item, what it was (queueing, work, delay...), start, end."""
    rows = []
    t = result.tasks
    t = t[(t["replication"] == replication) & (t["case"] == case)]
    for r in t.itertuples():
        if r.started_h > r.queued_h:
            rows.append((str(r.item), "queueing", r.queued_h, r.started_h))
        rows.append((str(r.item), "staff work", r.started_h, r.finished_h))
    a = result.activities
    if a is not None:
        a = a[(a["replication"] == replication) & (a["case"] == case)]
        for r in a.itertuples():
            rows.append((str(r.item), _KIND_TO_COMPONENT[str(r.kind)], r.start_h, r.end_h))
    return pd.DataFrame(rows, columns=["item", "component", "start_h", "end_h"])
