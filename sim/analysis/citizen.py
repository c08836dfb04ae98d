"""The service-hall figures of a replication (issue 15): visits, waits, one-visit share.

For a trace of the hall engine (``trace.meta["hall"]``), :func:`hall_rows` adds per replication,
for all cases, each case type and each case-type group (``group:life_event``, ...):

* ``visits_mean`` — hall visits per finished case (a visit is a stay at one hall on one day);
* ``one_visit_share`` / ``zero_visit_share`` — finished cases done in at most one visit (最多跑一次)
  / without any (fully online);
* ``hall_wait_mean_min`` — minutes waited in hall queues per visit, pooled (total waits over total
  visits of the finished cases); ``hall_wait_p90_min`` — the 90th percentile over finished cases
  with a visit of their mean wait per visit;
* ``left_unserved_share`` — (balks + reneges) over attempts to join a queue; ``gave_up_share`` —
  cases that left and did not come back;
* ``items_per_year`` — items handled by the cases that arrived in the measurement window, scaled
  to 365 days;

and per window group (``department:<location>.<group>``, beside its ``utilisation``):
``mean_wait_min`` and ``p90_wait_min`` (the wait of every service that started, in 1-minute bins).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.caseview import CaseView
from sim.model.trace import Trace

HALL_HEADLINE = (
    "visits_mean",
    "one_visit_share",
    "hall_wait_mean_min",
    "hall_wait_p90_min",
    "lead_days_mean",
    "left_unserved_share",
    "gave_up_share",
    "items_per_year",
)
"""The headline metrics of a hall run, in the order the tables show them."""

HALL_UNITS = {
    "visits_mean": "visits per case",
    "one_visit_share": "share of cases",
    "zero_visit_share": "share of cases",
    "hall_wait_mean_min": "minutes per visit",
    "hall_wait_p90_min": "minutes per visit",
    "left_unserved_share": "share of queue joins",
    "gave_up_share": "share of cases",
    "items_per_year": "items a year",
    "mean_wait_min": "minutes",
    "p90_wait_min": "minutes",
}


_COLUMNS = (
    "case_type",
    "finished",
    "visits",
    "hall_wait_min",
    "joins",
    "balks",
    "reneges",
    "gave_up",
    "items_handled",
    "lead_days",
)


def _share(a: float, b: float) -> float:
    return float(a / b) if b else math.nan


def case_rows(
    rep: int, group: str, view: CaseView, arrived: np.ndarray, years: float
) -> list[tuple]:
    """The hall metrics of one set of cases of one replication.

    ``arrived`` selects the rows (cases that arrived in the window) of ``view``'s table.
    """
    done = arrived & view.mask("finished")
    visits = view.values("visits", done)
    n = len(visits)
    wait = view.values("hall_wait_min", done)
    rows = [
        (rep, group, "visits_mean", float(visits.mean()) if n else math.nan, n),
        (rep, group, "one_visit_share", _share((visits <= 1).sum(), n), n),
        (rep, group, "zero_visit_share", _share((visits == 0).sum(), n), n),
        (rep, group, "hall_wait_mean_min", _share(wait.sum(), visits.sum()), n),
    ]
    seen = visits > 0
    per_visit = wait[seen] / visits[seen]
    p90 = float(np.quantile(per_visit, 0.9)) if len(per_visit) else math.nan
    rows.append((rep, group, "hall_wait_p90_min", p90, int(seen.sum())))
    joins = view.total("joins", arrived)
    left = view.total("balks", arrived) + view.total("reneges", arrived)
    n_arrived = int(arrived.sum())
    rows.append((rep, group, "left_unserved_share", _share(left, joins), int(joins)))
    rows.append((rep, group, "gave_up_share", _share(view.total("gave_up", arrived), n_arrived), n))
    items = float(view.total("items_handled", arrived))
    rows.append((rep, group, "items_per_year", items / years, n_arrived))
    if group.startswith("group:"):  # case types and 'all' have it from the general summary
        days = view.values("lead_days", done)
        rows.append((rep, group, "lead_days_mean", float(days.mean()) if n else math.nan, n))
    return rows


def hall_rows(rep: int, tr: Trace, view: CaseView, window: np.ndarray) -> list[tuple]:
    """Every hall metric of one replication (``window``: the rows of the window's cases)."""
    meta = tr.meta
    years = (meta["horizon_h"] - meta["warmup_h"]) / 24.0 / 365.0
    rows = case_rows(rep, "all", view, window, years)
    by_type = dict(view.groups("case_type"))
    for t, mine in by_type.items():
        rows += case_rows(rep, t, view, window & mine, years)
    groups: dict[str, list[str]] = {}
    for t, labels in meta.get("case_groups", {}).items():
        for label in labels:
            groups.setdefault(label, []).append(t)
    for label, types in groups.items():
        mine = np.zeros(len(view), dtype=bool)
        for t in types:
            if t in by_type:
                mine |= by_type[t]
        rows += case_rows(rep, f"group:{label}", view, window & mine, years)
    for _, d in tr.departments.iterrows():
        name = f"department:{d['department']}"
        rows.append((rep, name, "mean_wait_min", d["mean_wait_min"], d["served"]))
        rows.append((rep, name, "p90_wait_min", d["p90_wait_min"], d["served"]))
    return rows


def heatmap(meta: Any, by: str = "location") -> pd.DataFrame:
    """Utilisation by hall (or window group) and hour of day, from a run's ``window_hours``.

    Rows: locations (``by="location"``) or window groups (``by="group"``); columns: hours of the
    day 0..23; each cell busy over rostered staff-hours over the measurement window (NaN where
    nobody is rostered). ``meta`` is one replication's meta, or a list of them (added up).
    """
    metas = meta if isinstance(meta, list | tuple) else [meta]
    busy: dict[str, np.ndarray] = {}
    rostered: dict[str, np.ndarray] = {}
    for m in metas:
        for key, v in m["window_hours"].items():
            row = key.split(".")[0] if by == "location" else key
            b = np.asarray(v["busy_h"]).reshape(7, 24).sum(axis=0)
            r = np.asarray(v["rostered_h"]).reshape(7, 24).sum(axis=0)
            busy[row] = busy.get(row, 0) + b
            rostered[row] = rostered.get(row, 0) + r
    out = {
        row: np.where(
            rostered[row] > 0, busy[row] / np.where(rostered[row] > 0, rostered[row], 1), np.nan
        )
        for row in busy
    }
    return pd.DataFrame.from_dict(out, orient="index", columns=list(range(24)))


def hall_headline(table: pd.DataFrame, metrics: list[str]) -> pd.DataFrame:
    """The rows of a comparison table a hall comparison shows first.

    Overall and per case-type group (the metric named ``metric [group]``), then the utilisation
    and mean wait of every window group (``utilisation [location.group]``).
    """
    parts = []
    for group in ["all", *sorted(g for g in table["group"].unique() if g.startswith("group:"))]:
        part = table[(table["group"] == group) & table["metric"].isin(metrics)].copy()
        if group != "all":
            part["metric"] = part["metric"] + f" [{group.removeprefix('group:')}]"
        parts.append(part)
    windows = table[
        table["group"].str.startswith("department:")
        & table["metric"].isin(["utilisation", "mean_wait_min"])
    ].copy()
    windows["metric"] = (
        windows["metric"] + " [" + windows["group"].str.removeprefix("department:") + "]"
    )
    parts.append(windows)
    return pd.concat(parts, ignore_index=True)
