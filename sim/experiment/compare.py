"""Paired comparisons of scenarios under common random numbers.

Replication ``r`` of every scenario uses the same seed streams, so the k-th project of a type
arrives at the same time and draws the same efforts in the baseline and in each alternative. The
difference of a metric between alternative and baseline is therefore taken *within* each
replication, and its confidence interval is built from the spread of those paired differences —
far narrower than the difference of two independent estimates, because the luck of the draw
cancels. ``relative_delta`` is the delta over the baseline mean.

With a precision target, replications are added (by the shared :mod:`precision loop
<sim.experiment.precision>`) until every alternative's paired delta of the metric is known to
within that share of itself, or a cap is reached; the comparison says which happened.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from concurrent.futures import Executor

import pandas as pd

from sim.analysis.summary import ALL, t_interval
from sim.experiment.driver import Driver, Progress, Task, check_keep
from sim.experiment.errors import UsageError
from sim.experiment.precision import half_width, until_precise
from sim.experiment.results import HEADLINE, Comparison, Replication, RunResult
from sim.experiment.runner import check_run_values, mser5, resolve_jobs, run
from sim.reforms import apply_all
from sim.scenario.schema import Scenario

__all__ = ["HEADLINE", "Comparison", "compare", "mser5", "paired_table", "run_to_precision"]

_COLUMNS = [
    "scenario",
    "group",
    "metric",
    "baseline",
    "baseline_mean",
    "alternative_mean",
    "delta",
    "delta_ci_low",
    "delta_ci_high",
    "relative_delta",
    "relative_ci_low",
    "relative_ci_high",
    "replications",
]


def paired_table(base: RunResult, alts: Sequence[RunResult]) -> pd.DataFrame:
    """The comparison table: per alternative, metric and group, the paired delta and its CI."""
    b = base.per_replication.set_index(["group", "metric", "replication"])["value"]
    rows = []
    for alt in alts:
        a = alt.per_replication.set_index(["group", "metric", "replication"])["value"]
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
    return pd.DataFrame(rows, columns=_COLUMNS)


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
    tables: str = "all",
    progress: Progress | None = None,
    driver: Driver | None = None,
) -> Comparison:
    """Run the baseline and every alternative on the same seeds; return paired deltas.

    With ``precision``, replications are added in batches until the half-width of every
    alternative's paired delta of ``metric`` is at most ``precision`` times the delta itself
    (the effect is known to within that share), or ``max_replications`` is reached. An effect
    of zero never gets there: the cap stops it, and ``comparison.precision.reached`` says so.
    Scenarios are told apart by name, so two with one name are refused.
    """
    seed = baseline.experiment.seed if seed is None else int(seed)
    reps = baseline.experiment.replications if replications is None else int(replications)
    check_run_values(reps, precision, max_replications, None)
    check_keep(tables)
    names = [s.scenario.name for s in (baseline, *alternatives)]
    twice = sorted({n for n in names if names.count(n) > 1})
    if twice:
        raise UsageError(
            f"scenarios of a comparison need distinct names; {', '.join(map(repr, twice))} "
            "is used more than once (set [scenario] name)"
        )
    applied = [apply_all(s) for s in (baseline, *alternatives)]
    outcomes: list[list[Replication]] = [[] for _ in applied]
    state: dict[str, Comparison] = {}

    def build() -> Comparison:
        results = [
            RunResult(sc, seed, tuple(reps_), tuple(acc), keep=tables)
            for (sc, acc), reps_ in zip(applied, outcomes, strict=True)
        ]
        comp = Comparison(results[0], tuple(results[1:]), paired_table(results[0], results[1:]))
        state["comparison"] = comp
        return comp

    own = driver is None
    if own:
        driver = Driver(
            jobs=resolve_jobs(jobs, reps * len(applied)), executor=executor, progress=progress
        )
    try:

        def add(done: int, target: int) -> None:
            tasks = [
                Task(sc, seed, r, keep=tables) for sc, _ in applied for r in range(done, target)
            ]
            got = driver.run(tasks)  # type: ignore[union-attr]
            n = target - done
            for k in range(len(applied)):
                outcomes[k].extend(got[k * n : (k + 1) * n])

        if precision is None:
            add(0, reps)
            return build()

        def width() -> float:
            t = build().table
            rows = t[(t["metric"] == metric) & (t["group"] == ALL)]
            return max(
                (half_width(r.delta_ci_low, r.delta_ci_high, r.delta) for r in rows.itertuples()),
                default=math.inf,
            )

        info = until_precise(reps, precision, max_replications, metric, add, width)
    finally:
        if own:
            driver.close()  # type: ignore[union-attr]
    comp = state["comparison"]
    return Comparison(comp.baseline, comp.alternatives, comp.table, precision=info)


def run_to_precision(
    scenario: Scenario,
    precision: float,
    metric: str = "lead_wd_mean",
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    start: int | None = None,
    max_replications: int = 200,
    warmup: str | None = None,
) -> RunResult:
    """:func:`~sim.experiment.runner.run` with a precision target (kept for older scripts)."""
    return run(
        scenario,
        replications=start,
        seed=seed,
        jobs=jobs,
        executor=executor,
        warmup=warmup,
        precision=precision,
        metric=metric,
        max_replications=max_replications,
    )
