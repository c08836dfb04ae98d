"""Where the days go: critical-path days per kind, department and item, across replications.

The model adds up every finished window case's critical path as the run goes
(:mod:`sim.model.critical`, ``trace.meta["critical_path"]``). Here those per-replication totals
become per-case means with confidence intervals over replications (each replication is one
observation, as in :mod:`sim.analysis.summary`):

* :func:`where_the_days_go` — working days (and calendar days) of the critical path per case, by
  ``kind`` (queueing, staff work, corrections, delays, intermediaries, transfers, problems, the
  applicant's work), by ``department`` (the days of the department's items on the path; blocking
  problems and the applicant's own items belong to none) and by ``item``, with each one's share of
  all critical-path days. The shares add up to 1 within a level; the days add up to the mean lead
  time in working days (``lead_wd_mean``).
* :func:`item_slack` — per item, its criticality (the share of the cases that handled it in
  which it lay on the critical path) and its mean slack.
* :func:`bottleneck` — the department with the largest share of critical-path days: the one name
  the command line, the charts and the briefing give as "the bottleneck".
* :func:`days_lost` — for a comparison run on common random numbers, the critical-path days per
  case each kind (or department) lost against the baseline, paired by replication.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sim.analysis.summary import ALL, CONFIDENCE, t_interval

LEVELS = ("kind", "department", "item")
NONE = ""
"""The department of pieces that belong to none (blocking problems, the applicant's own work)."""


def metas(source: Any) -> list[Mapping[str, Any]]:
    """The per-replication ``meta`` dicts of a run result, a list of traces or of metas."""
    if hasattr(source, "replications") and not isinstance(source, Mapping):
        reps = source.replications
        if isinstance(reps, Iterable) and not isinstance(reps, int | str):
            return [r.meta for r in reps]
    if hasattr(source, "traces"):
        return [t.meta for t in source.traces]
    out = []
    for item in source:
        out.append(item.meta if hasattr(item, "meta") else item)
    return out


def _frames(meta: Mapping[str, Any]) -> tuple[pd.DataFrame, pd.DataFrame, dict, dict, dict]:
    cp = meta.get("critical_path")
    if not cp:
        raise ValueError("these results carry no critical path (run with this version)")
    pieces = pd.DataFrame(
        cp["pieces"], columns=["case_type", "kind", "department", "item", "hours", "wd"]
    )
    items = pd.DataFrame(
        cp["items"],
        columns=["case_type", "item", "cases", "critical", "slack_h", "slack_wd"],
    )
    return pieces, items, cp["cases"], cp["lead_h"], cp["lead_wd"]


def _groups(case_types: Iterable[str], by_type: bool) -> list[str]:
    return [ALL, *case_types] if by_type else [ALL]


def per_replication(source: Any, by_type: bool = False) -> pd.DataFrame:
    """One row per replication, case type group, level and name: days per case and share.

    Columns: ``replication``, ``group`` (``all`` or a case type), ``level`` (kind, department,
    item), ``name``, ``wd`` (critical-path working days per finished window case), ``days``
    (calendar days per case), ``share`` (of all critical-path working days), ``cases``.
    """
    rows = []
    for rep, meta in enumerate(metas(source)):
        pieces, _, cases, lead_h, lead_wd = _frames(meta)
        for group in _groups(cases, by_type):
            if group == ALL:
                g, n = pieces, sum(cases.values())
                total_wd = sum(lead_wd.values())
            else:
                g, n = pieces[pieces["case_type"] == group], cases[group]
                total_wd = lead_wd[group]
            if n == 0:
                continue
            for level in LEVELS:
                sums = g.groupby(level, sort=False)[["hours", "wd"]].sum()
                for name, r in sums.iterrows():
                    rows.append(
                        (
                            rep,
                            group,
                            level,
                            str(name),
                            r["wd"] / n,
                            r["hours"] / 24.0 / n,
                            r["wd"] / total_wd if total_wd > 0 else math.nan,
                            n,
                        )
                    )
    return pd.DataFrame(
        rows, columns=["replication", "group", "level", "name", "wd", "days", "share", "cases"]
    )


def where_the_days_go(
    source: Any, by_type: bool = False, confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Mean critical-path days per case and shares across replications (module docstring).

    Columns: ``group``, ``level``, ``name``, ``wd_mean``, ``wd_low``, ``wd_high`` (working days
    per case and their confidence interval), ``days_mean`` (calendar days), ``share``,
    ``replications``, ``cases``. A replication in which a name has no piece counts as zero for it.
    Sorted by level, then by days, largest first.
    """
    reps = per_replication(source, by_type)
    n_reps = len(metas(source))
    if reps.empty:
        return pd.DataFrame(
            columns=[
                "group",
                "level",
                "name",
                "wd_mean",
                "wd_low",
                "wd_high",
                "days_mean",
                "share",
                "replications",
                "cases",
            ]
        )
    out = []
    for (group, level, name), g in reps.groupby(["group", "level", "name"], sort=False):
        pad = n_reps - len(g)  # replications where it never lay on a critical path
        wd = np.concatenate([g["wd"].to_numpy(float), np.zeros(pad)])
        days = np.concatenate([g["days"].to_numpy(float), np.zeros(pad)])
        share = np.concatenate([g["share"].to_numpy(float), np.zeros(pad)])
        m, lo, hi = t_interval(wd, confidence)
        out.append(
            {
                "group": group,
                "level": level,
                "name": name,
                "wd_mean": m,
                "wd_low": lo,
                "wd_high": hi,
                "days_mean": float(days.mean()),
                "share": float(share.mean()),
                "replications": n_reps,
                "cases": int(g["cases"].sum()),
            }
        )
    df = pd.DataFrame(out)
    df["level"] = pd.Categorical(df["level"], categories=list(LEVELS), ordered=True)
    df = df.sort_values(["group", "level", "wd_mean"], ascending=[True, True, False])
    df["level"] = df["level"].astype(str)
    return df.reset_index(drop=True)


def item_slack(source: Any) -> pd.DataFrame:
    """Per item: cases that handled it, criticality, mean slack (working and calendar days).

    Pooled over replications and case types (each case counts once). Sorted by criticality.
    """
    frames = []
    for meta in metas(source):
        frames.append(_frames(meta)[1])
    items = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if items.empty:
        return pd.DataFrame(
            columns=["item", "cases", "criticality", "slack_wd_mean", "slack_days_mean"]
        )
    g = items.groupby("item", sort=False)[["cases", "critical", "slack_h", "slack_wd"]].sum()
    out = pd.DataFrame(
        {
            "item": g.index.astype(str),
            "cases": g["cases"].astype(int).to_numpy(),
            "criticality": (g["critical"] / g["cases"]).to_numpy(float),
            "slack_wd_mean": (g["slack_wd"] / g["cases"]).to_numpy(float),
            "slack_days_mean": (g["slack_h"] / 24.0 / g["cases"]).to_numpy(float),
        }
    )
    for col in ("slack_wd_mean", "slack_days_mean"):  # sums of differences: no 1e-16 residue
        out[col] = out[col].where(out[col].abs() > 1e-9, 0.0)
    return out.sort_values(
        ["criticality", "slack_wd_mean", "item"],
        ascending=[False, True, True],
        ignore_index=True,
        kind="stable",
    )


@dataclass(frozen=True)
class Bottleneck:
    """The department with the largest share of critical-path days."""

    department: str
    share: float  # of all critical-path working days
    wd: float  # critical-path working days per case in its items

    def __bool__(self) -> bool:
        return bool(self.department)


def bottleneck(source: Any) -> Bottleneck:
    """The department with the largest share of critical-path days (module docstring)."""
    table = where_the_days_go(source)
    deps = table[(table["level"] == "department") & (table["name"] != NONE)]
    if deps.empty:
        return Bottleneck("", math.nan, math.nan)
    top = deps.sort_values("share", ascending=False).iloc[0]
    return Bottleneck(str(top["name"]), float(top["share"]), float(top["wd_mean"]))


def days_lost(
    base: Any, alternative: Any, level: str = "kind", confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Critical-path working days per case the alternative removed, per ``level`` name.

    Paired by replication (the same replication of both scenarios saw the same projects under
    common random numbers): ``lost_mean`` is the mean of base minus alternative over the
    replications both ran, with a Student-t interval (``lost_low``, ``lost_high``). Positive:
    days the reform removed.
    """
    a = per_replication(base)
    b = per_replication(alternative)
    a = a[(a["group"] == ALL) & (a["level"] == level)]
    b = b[(b["group"] == ALL) & (b["level"] == level)]
    n = min(len(metas(base)), len(metas(alternative)))
    names = list(dict.fromkeys([*a["name"], *b["name"]]))
    out = []
    for name in names:
        x = np.zeros(n)
        y = np.zeros(n)
        for r, v in a.loc[a["name"] == name, ["replication", "wd"]].itertuples(index=False):
            if r < n:
                x[r] = v
        for r, v in b.loc[b["name"] == name, ["replication", "wd"]].itertuples(index=False):
            if r < n:
                y[r] = v
        m, lo, hi = t_interval(x - y, confidence)
        out.append(
            {
                "level": level,
                "name": name,
                "base_wd": float(x.mean()) if n else math.nan,
                "alternative_wd": float(y.mean()) if n else math.nan,
                "lost_mean": m,
                "lost_low": lo,
                "lost_high": hi,
            }
        )
    df = pd.DataFrame(
        out,
        columns=[
            "level",
            "name",
            "base_wd",
            "alternative_wd",
            "lost_mean",
            "lost_low",
            "lost_high",
        ],
    )
    return df.sort_values("lost_mean", ascending=False, ignore_index=True)


def as_json(source: Any) -> dict[str, Any]:
    """The ``critical_path`` entry of ``summary.json``: days per case and shares, by level."""
    table = where_the_days_go(source)
    b = bottleneck(source)
    out: dict[str, Any] = {
        "unit": "working days per finished window case (calendar days beside)",
        "bottleneck": {"department": b.department, "share": _finite(b.share), "wd": _finite(b.wd)}
        if b
        else None,
    }
    for level in LEVELS:
        part = table[table["level"] == level]
        out[f"by_{level}"] = [
            {
                "name": r.name,
                "wd": _finite(r.wd_mean),
                "ci": [_finite(r.wd_low), _finite(r.wd_high)],
                "days": _finite(r.days_mean),
                "share": _finite(r.share),
            }
            for r in part.itertuples(index=False)
        ]
    slack = item_slack(source)
    out["items"] = [
        {
            "item": r.item,
            "cases": int(r.cases),
            "criticality": _finite(r.criticality),
            "slack_wd": _finite(r.slack_wd_mean),
        }
        for r in slack.itertuples(index=False)
    ]
    return out


def table(source: Any) -> pd.DataFrame:
    """The ``critical.csv`` table: :func:`where_the_days_go` per case type and for all cases."""
    return where_the_days_go(source, by_type=True)


def _finite(x: float) -> float | None:
    return float(x) if x is not None and math.isfinite(x) else None


def _unit(working_days: float) -> tuple[float, str]:
    """A unit that fits a critical path of ``working_days``: days, else hours, else minutes.

    A working day counts 24 hours of a working day's time (see :mod:`sim.model.workcal`), so a
    path shorter than one is told in hours (or minutes) of working days: a service hall's
    quarter-hour visit is not "0 working days".
    """
    if not working_days < 1:  # NaN too: nothing to rescale
        return 1.0, "working days"
    if working_days * 24 >= 1:
        return 24.0, "hours of working days"
    return 24.0 * 60, "minutes of working days"


def _amount(x: float) -> str:
    """A figure with the digits it needs: 123, 12.3, 1.23."""
    return f"{x:.0f}" if abs(x) >= 10 else f"{x:.1f}" if abs(x) >= 1 else f"{x:.2f}"


def describe(source: Any, top: int = 5) -> list[str]:
    """A few lines for the command line: the split by kind and the top departments."""
    t = where_the_days_go(source)
    if t.empty:
        return []
    total = t[t["level"] == "kind"]["wd_mean"].sum()
    scale, unit = _unit(total)
    lines = [f"Where the days go (critical path, {_amount(total * scale)} {unit} per case):"]
    kinds = t[t["level"] == "kind"]
    lines.append(
        "  by kind: "
        + ", ".join(
            f"{r.name} {_amount(r.wd_mean * scale)} ({r.share:.0%})" for r in kinds.itertuples()
        )
    )
    deps = t[(t["level"] == "department")].head(top + 1)
    lines.append(
        "  by department: "
        + ", ".join(
            f"{r.name or '(none: problems, applicant)'} {_amount(r.wd_mean * scale)} "
            f"({r.share:.0%})"
            for r in deps.itertuples()
        )
    )
    b = bottleneck(source)
    if b:
        lines.append(f"  bottleneck: {b.department} ({b.share:.0%} of critical-path days)")
    return lines


def available(source: Any) -> bool:
    """Whether every replication of ``source`` carries its critical path."""
    try:
        found = metas(source)
    except (TypeError, AttributeError):
        return False
    return bool(found) and all(m.get("critical_path") for m in found)


def comparison_table(comparison: Any) -> pd.DataFrame:
    """Where the days go for every scenario of a comparison (a ``scenario`` column first)."""
    frames = []
    for r in comparison.results:
        t = where_the_days_go(r, by_type=True)
        frames.append(t.assign(scenario=r.scenario.scenario.name))
    df = pd.concat(frames, ignore_index=True)
    return df[["scenario", *[c for c in df.columns if c != "scenario"]]]


def days_lost_table(comparison: Any) -> pd.DataFrame:
    """The critical-path days each alternative removed, per kind and per department (paired)."""
    frames = []
    base = comparison.baseline
    for alt in comparison.alternatives:
        for level in ("kind", "department"):
            t = days_lost(base, alt, level)
            frames.append(t.assign(scenario=alt.scenario.scenario.name))
    columns = ["scenario", "level", "name", "base_wd", "alternative_wd"]
    columns += ["lost_mean", "lost_low", "lost_high"]
    if not frames:  # a baseline alone
        return pd.DataFrame(columns=columns)
    return pd.concat(frames, ignore_index=True)[columns]
