"""Paired comparisons of scenarios under common random numbers, and precision-driven runs.

Replication ``r`` of every scenario uses the same seed streams, so the k-th project of a type
arrives at the same time and draws the same efforts in the baseline and in each alternative. The
difference of a metric between alternative and baseline is therefore taken *within* each
replication, and its confidence interval is built from the spread of those paired differences —
far narrower than the difference of two independent estimates, because the luck of the draw
cancels. ``relative_delta`` is the delta over the baseline mean.

A precision-driven run adds replications in batches until the half-width of the estimate, over
the estimate (the mean lead time; or each paired delta of a comparison), is at most the target,
or a cap is reached; the result says which happened.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.summary import ALL, per_replication, t_interval
from sim.experiment.runner import RunResult, map_replications, run
from sim.reforms import apply_all
from sim.scenario.schema import Scenario

HEADLINE = (
    "approval_wd_mean",
    "clock_wd_mean",
    "lead_wd_mean",
    "lead_days_mean",
    "trips_mean",
    "corrections_mean",
    "title_wd_mean",
)


@dataclass
class Comparison:
    """A baseline and alternatives run on the same seeds, with paired deltas per metric."""

    baseline: RunResult
    alternatives: list[RunResult]
    table: pd.DataFrame
    precision: dict = field(default_factory=dict)

    def delta(
        self, scenario: str, metric: str = "approval_wd_mean", group: str = ALL
    ) -> dict[str, float]:
        """One row of the comparison table as a dict."""
        t = self.table
        row = t[(t["scenario"] == scenario) & (t["metric"] == metric) & (t["group"] == group)]
        if row.empty:
            raise KeyError(f"no {metric!r} for {scenario!r}, group {group!r}")
        return row.iloc[0].to_dict()

    def records(self) -> list[dict]:
        """The table as a list of plain dicts (the ``--format json`` output)."""
        out = []
        for rec in self.table.to_dict(orient="records"):
            out.append(
                {
                    k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                    for k, v in rec.items()
                }
            )
        return out

    def __repr__(self) -> str:
        t = self.table[(self.table["group"] == ALL) & self.table["metric"].isin(HEADLINE[:2])]
        lines = [
            f"Comparison of {len(self.alternatives)} alternatives against "
            f"{self.baseline.scenario.scenario.name!r}, "
            f"{len(self.baseline.traces)} paired replications"
        ]
        for _, r in t.iterrows():
            lines.append(
                f"  {r['scenario']:<24} {r['metric']:<18} {r['baseline_mean']:8.2f} -> "
                f"{r['alternative_mean']:8.2f}  delta {r['delta']:+.2f} "
                f"[{r['delta_ci_low']:+.2f}, {r['delta_ci_high']:+.2f}] "
                f"({r['relative_delta']:+.1%})"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        t = self.table[self.table["group"] == ALL]
        return t.to_html(index=False, float_format="%.3f")


def paired_table(base: RunResult, alts: Sequence[RunResult]) -> pd.DataFrame:
    """The comparison table: per alternative, metric and group, the paired delta and its CI."""
    b = per_replication(base.traces).set_index(["group", "metric", "replication"])["value"]
    rows = []
    for alt in alts:
        a = per_replication(alt.traces).set_index(["group", "metric", "replication"])["value"]
        joined = pd.concat({"b": b, "a": a}, axis=1).dropna()
        for (group, metric), g in joined.groupby(level=["group", "metric"], sort=False):
            bm, am = g["b"].to_numpy(float), g["a"].to_numpy(float)
            d, lo, hi = t_interval(am - bm)
            base_mean = float(bm.mean())
            rows.append(
                {
                    "scenario": alt.scenario.scenario.name,
                    "group": group,
                    "metric": metric,
                    "baseline": base.scenario.scenario.name,
                    "baseline_mean": base_mean,
                    "alternative_mean": float(am.mean()),
                    "delta": d,
                    "delta_ci_low": lo,
                    "delta_ci_high": hi,
                    "relative_delta": d / base_mean if base_mean else math.nan,
                    "relative_ci_low": lo / base_mean if base_mean else math.nan,
                    "relative_ci_high": hi / base_mean if base_mean else math.nan,
                    "replications": len(g),
                }
            )
    return pd.DataFrame(rows)


def _half_width(lo: float, hi: float, mean: float) -> float:
    if not all(map(math.isfinite, (lo, hi, mean))) or mean == 0:
        return math.inf
    return (hi - lo) / 2 / abs(mean)


def compare(
    baseline: Scenario,
    *alternatives: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    precision: float | None = None,
    metric: str = "approval_wd_mean",
    max_replications: int = 200,
) -> Comparison:
    """Run the baseline and every alternative on the same seeds; return paired deltas.

    With ``precision``, replications are added in batches until the half-width of every
    alternative's paired delta of ``metric`` is at most ``precision`` times the delta itself
    (the effect is known to within that share), or ``max_replications`` is reached. An effect
    of zero never gets there: the cap stops it, and ``precision["reached"]`` says so.
    """
    seed = baseline.experiment.seed if seed is None else int(seed)
    reps = baseline.experiment.replications if replications is None else int(replications)
    scenarios = [apply_all(s) for s in (baseline, *alternatives)]
    traces: list[list] = [[] for _ in scenarios]
    done = 0
    target = reps
    history = []
    while True:
        for n, (sc, _) in enumerate(scenarios):
            traces[n] += map_replications(
                sc, seed, range(done, target), jobs=jobs, executor=executor
            )
        done = target
        results = [
            RunResult(sc, seed, tr, acc) for (sc, acc), tr in zip(scenarios, traces, strict=True)
        ]
        table = paired_table(results[0], results[1:])
        if precision is None:
            return Comparison(results[0], results[1:], table)
        rows = table[(table["metric"] == metric) & (table["group"] == ALL)]
        worst = max(
            (_half_width(r.delta_ci_low, r.delta_ci_high, r.delta) for r in rows.itertuples()),
            default=math.inf,
        )
        history.append((done, worst))
        if worst <= precision or done >= max_replications:
            info = {
                "target": precision,
                "metric": metric,
                "replications": done,
                "relative_half_width": worst,
                "reached": worst <= precision,
                "history": history,
            }
            return Comparison(results[0], results[1:], table, info)
        target = min(max_replications, _next_target(done, worst, precision))


def _next_target(done: int, width: float, goal: float) -> int:
    """Replications expected to reach ``goal`` (half-width shrinks as 1/sqrt(n)), with margin."""
    if not math.isfinite(width):
        return done * 2
    need = math.ceil(done * (width / goal) ** 2 * 1.1)
    return max(done + 2, min(need, done * 4))


def run_to_precision(
    scenario: Scenario,
    precision: float,
    metric: str = "lead_wd_mean",
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    start: int | None = None,
    max_replications: int = 200,
) -> RunResult:
    """Add replications until ``metric`` (overall) is precise enough, or the cap is reached.

    Precise enough: a relative half-width of the 95% CI of at most ``precision``;
    ``result.precision`` says whether it was reached.
    """
    reps = start or scenario.experiment.replications
    result = run(scenario, replications=max(2, reps), seed=seed, jobs=jobs, executor=executor)
    history = []
    while True:
        row = result.value(metric)
        width = _half_width(row["ci_low"], row["ci_high"], row["mean"])
        history.append((len(result.traces), width))
        if width <= precision or len(result.traces) >= max_replications:
            result.precision = {
                "target": precision,
                "metric": metric,
                "replications": len(result.traces),
                "relative_half_width": width,
                "reached": width <= precision,
                "history": history,
            }
            return result
        target = min(max_replications, _next_target(len(result.traces), width, precision))
        more = map_replications(
            result.scenario,
            result.seed,
            range(len(result.traces), target),
            jobs=jobs,
            executor=executor,
        )
        result = RunResult(result.scenario, result.seed, result.traces + more, result.accounts)


def mser5(values: Sequence[float]) -> int:
    """MSER-5 truncation point of an output series (White 1997).

    The number of leading observations to delete so that the remaining batch means (of 5) have
    the smallest squared standard error; searched over the first half of the series.
    """
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    nb = len(x) // 5
    if nb < 4:
        return 0
    batches = x[: nb * 5].reshape(nb, 5).mean(axis=1)
    best, best_d = math.inf, 0
    for d in range(nb // 2):
        rest = batches[d:]
        stat = rest.var() / len(rest)
        if stat < best:
            best, best_d = stat, d
    return best_d * 5
