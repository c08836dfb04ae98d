"""Summaries across replications, with honest confidence intervals.

Replications are independent runs, so a per-replication statistic (the mean lead time of the
cases that arrived in the measurement window, say) is one observation, and the spread of those
observations across replications is what the confidence interval is built from — never the spread
of the cases inside one run, which are correlated through the shared queues. Means get Student's t
interval over replications; quantiles (median, 90th percentile) get a percentile bootstrap over
replications with a fixed generator, so the summary is reproducible.

Besides the per-case means of :data:`CASE_METRICS`, each replication reports

* ``unfinished_share`` and ``capped_share`` — of the cases that arrived in the window, those
  still open at the end, and those whose loop a safety cap (``max_rounds``, ``max_visits``) cut
  short (a run with a capped case is biased: raise or remove the cap); both NaN (no
  observation) for a replication, or a case type, with no case in the window;
* ``one_trip_share`` — of the government items the finished cases handled, the share that took
  the applicant at most one trip (最多跑一次); ``overdue_share`` — of their timed visits (items
  with ``time_limit_wd``), the share over the promised limit (only when the scenario sets limits);
* one metric per declared ``[intervals]`` entry, named as the interval: its mean over the window
  cases that reached both of its ends.

Means over cases are conditional on finishing: ``unfinished_share`` says how many did not.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy import special

from sim.analysis.caseview import CaseView
from sim.analysis.citizen import _COLUMNS as HALL_COLUMNS
from sim.analysis.citizen import HALL_UNITS, hall_rows
from sim.model.trace import Trace

CONFIDENCE = 0.95
ALL = "all"

# metric name -> (column of the cases table, statistic, unit)
CASE_METRICS: dict[str, tuple[str, str, str]] = {
    "lead_wd_mean": ("lead_wd", "mean", "working days"),
    "lead_wd_median": ("lead_wd", "median", "working days"),
    "lead_wd_p90": ("lead_wd", "p90", "working days"),
    "lead_days_mean": ("lead_days", "mean", "calendar days"),
    "approval_wd_mean": ("approval_wd", "mean", "working days"),
    "clock_wd_mean": ("clock_wd", "mean", "statutory working days"),
    "trips_mean": ("trips", "mean", "trips per case"),
    "corrections_mean": ("corrections", "mean", "corrections per case"),
    "agent_trips_mean": ("agent_trips", "mean", "agents' trips per case"),
}


_USED = {
    "case_type",
    "finished",
    "capped",
    "items_one_trip",
    "items_handled",
    "items_overdue",
    "items_timed",
    *(col for col, _, _ in CASE_METRICS.values()),
}
"""The columns of the cases table the per-replication summary reads (besides intervals)."""


def case_columns(intervals: Iterable[str] = ()) -> frozenset[str]:
    """Every column of a cases table that :func:`per_replication` reads.

    ``intervals``: the scenario's interval names. A run that keeps only these columns in memory
    (``Model(case_columns=...)``) gets the same summary as one that keeps them all.
    """
    return frozenset({*_USED, *HALL_COLUMNS, "in_window", *intervals})


def t_interval(
    values: Sequence[float], confidence: float = CONFIDENCE
) -> tuple[float, float, float]:
    """Mean and Student-t confidence interval of independent observations."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    half = float(
        special.stdtrit(len(x) - 1, (1 + confidence) / 2) * x.std(ddof=1) / math.sqrt(len(x))
    )
    return m, m - half, m + half


def bootstrap_interval(
    values: Sequence[float], confidence: float = CONFIDENCE, resamples: int = 2000, seed: int = 0
) -> tuple[float, float, float]:
    """Mean and percentile-bootstrap interval of independent observations (fixed seed)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return math.nan, math.nan, math.nan
    m = float(x.mean())
    if len(x) < 2:
        return m, math.nan, math.nan
    gen = np.random.Generator(np.random.PCG64(seed))
    means = x[gen.integers(0, len(x), size=(resamples, len(x)))].mean(axis=1)
    lo, hi = np.quantile(means, [(1 - confidence) / 2, (1 + confidence) / 2])
    return m, float(lo), float(hi)


def _stat(values: np.ndarray, how: str) -> float:
    values = values[np.isfinite(values)]
    if len(values) == 0:
        return math.nan
    if how == "mean":
        return float(values.mean())
    if how == "median":
        return float(np.median(values))
    return float(np.quantile(values, 0.9))


def _share(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else math.nan


def per_replication(traces: Sequence[Trace]) -> pd.DataFrame:
    """One row per replication, case type (and ``all``) and metric: the replication's value.

    Columns are read through row masks (:class:`~sim.analysis.caseview.CaseView`), never by
    copying the table: a year of a million cases costs a few columns' worth of memory.
    """
    rows = []
    for rep, tr in enumerate(traces):
        intervals = tr.meta.get("intervals", [])
        view = CaseView(tr.cases)
        window = view.mask("in_window")
        finished = view.mask("finished")
        groups = itertools.chain(
            [(ALL, window)], ((label, window & rows_) for label, rows_ in view.groups())
        )
        for ctype, arrived in groups:
            done = arrived & finished
            n_arrived, n_done = int(arrived.sum()), int(done.sum())
            for metric, (col, how, _) in CASE_METRICS.items():
                rows.append((rep, ctype, metric, _stat(view.values(col, done), how), n_done))
            unfinished = 1 - n_done / n_arrived if n_arrived else math.nan
            rows.append((rep, ctype, "unfinished_share", unfinished, n_done))
            capped = _share(view.total("capped", arrived), n_arrived)
            rows.append((rep, ctype, "capped_share", capped, n_arrived))
            one_trip = _share(view.total("items_one_trip", done), view.total("items_handled", done))
            rows.append((rep, ctype, "one_trip_share", one_trip, n_done))
            if tr.meta.get("time_limits"):
                overdue = _share(view.total("items_overdue", done), view.total("items_timed", done))
                rows.append((rep, ctype, "overdue_share", overdue, n_done))
            for name in intervals:
                values = view.values(name, arrived)
                values = values[np.isfinite(values)]
                rows.append((rep, ctype, name, _stat(values, "mean"), len(values)))
        if tr.meta.get("hall"):  # service halls: visits, waits, one-visit share (issue 15)
            rows += hall_rows(rep, tr, view, window)
        for _, d in tr.departments.iterrows():
            rows.append(
                (rep, f"department:{d['department']}", "utilisation", d["utilisation"], d["tasks"])
            )
            rows.append(
                (rep, f"department:{d['department']}", "mean_wait_h", d["mean_wait_h"], d["tasks"])
            )
    return pd.DataFrame(rows, columns=["replication", "group", "metric", "value", "n"])


def summarise(traces: Sequence[Trace], confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean and confidence interval of every metric across replications (tidy table)."""
    units: dict[str, str] = {}
    for tr in traces[:1]:
        units.update(interval_units(tr.meta))
    return summarise_replications(per_replication(traces), confidence, units)


def interval_units(meta: Mapping[str, Any]) -> dict[str, str]:
    """The unit of every interval metric a trace's ``meta`` declares."""
    return {n: u.replace("_", " ") for n, u in meta.get("intervals", {}).items()}


def summarise_replications(
    reps: pd.DataFrame,
    confidence: float = CONFIDENCE,
    extra_units: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """The summary of per-replication rows (as :func:`per_replication` makes them).

    Workers of a parallel run each return their replication's rows, so the summary is built
    here without any trace travelling between processes. ``extra_units`` names the units of
    metrics the summary does not know (the scenario's intervals).
    """
    units = {**_UNITS, **(extra_units or {})}
    out = []
    for (group, metric), g in reps.groupby(["group", "metric"], sort=False):
        values = g["value"].to_numpy(float)
        quantile = metric.endswith(("_median", "_p90"))
        m, lo, hi = (bootstrap_interval if quantile else t_interval)(values, confidence)
        out.append(
            {
                "group": group,
                "metric": metric,
                "mean": m,
                "ci_low": lo,
                "ci_high": hi,
                "replications": int(np.isfinite(values).sum()),
                "cases": int(g["n"].sum()),
                "unit": CASE_METRICS.get(metric, ("", "", units.get(metric, "")))[2],
            }
        )
    return pd.DataFrame(out)


_UNITS = {
    "utilisation": "share of open staff hours",
    "mean_wait_h": "hours",
    "unfinished_share": "share of cases",
    "capped_share": "share of cases",
    "one_trip_share": "share of items",
    "overdue_share": "share of timed visits",
    **HALL_UNITS,
}
