"""Running replications of a scenario, serially or on any ``concurrent.futures`` executor.

Replication ``r`` of a run with root seed ``S`` always uses the streams spawned from
``SeedSequence(S, spawn_key=(r, ...))``, whichever worker runs it and in whatever order: the
results are identical for one worker, many workers, or a cluster. Traces come back in
replication order.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from functools import cached_property

import pandas as pd

from sim.analysis.summary import summarise
from sim.model.engine import Model
from sim.model.trace import Trace
from sim.reforms import Account, apply_all
from sim.scenario.schema import Scenario


def replicate(scenario: Scenario, seed: int, replication: int) -> Trace:
    """Run replication ``replication`` of an already reformed scenario (a picklable task)."""
    return Model(scenario, seed=seed, replication=replication).run()


def _replicate_args(args: tuple[Scenario, int, int]) -> Trace:
    return replicate(*args)


def map_replications(
    scenario: Scenario,
    seed: int,
    replications: Iterable[int],
    jobs: int = 1,
    executor: Executor | None = None,
) -> list[Trace]:
    """Run the given replications; in order, on ``executor`` or a pool of ``jobs`` processes."""
    tasks = [(scenario, seed, r) for r in replications]
    if executor is not None:
        return list(executor.map(_replicate_args, tasks))
    if jobs <= 1 or len(tasks) <= 1:
        return [_replicate_args(t) for t in tasks]
    with ProcessPoolExecutor(max_workers=min(jobs, len(tasks))) as pool:
        return list(pool.map(_replicate_args, tasks))


@dataclass
class RunResult:
    """Every replication of one scenario: the traces, the tidy tables and their summary."""

    scenario: Scenario
    seed: int
    traces: list[Trace]
    accounts: list[Account] = field(default_factory=list)
    precision: dict | None = None  # set by precision-driven runs: target, reached, history
    warmup: dict | None = None  # how the warm-up was chosen: from the scenario or MSER-5

    def _stack(self, attr: str) -> pd.DataFrame:
        frames = [getattr(t, attr).assign(replication=r) for r, t in enumerate(self.traces)]
        df = pd.concat(frames, ignore_index=True)
        return df[["replication", *[c for c in df.columns if c != "replication"]]]

    @cached_property
    def cases(self) -> pd.DataFrame:
        """The case tables of all replications, with a ``replication`` column."""
        return self._stack("cases")

    @cached_property
    def tasks(self) -> pd.DataFrame:
        """The task tables of all replications, with a ``replication`` column."""
        return self._stack("tasks")

    @cached_property
    def activities(self) -> pd.DataFrame:
        """Elapsed spells (delays, corrections, transfers, stalls) of all replications."""
        return self._stack("activities")

    @cached_property
    def departments(self) -> pd.DataFrame:
        """The department tables of all replications, with a ``replication`` column."""
        return self._stack("departments")

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Mean and 95% confidence interval of every metric across replications."""
        return summarise(self.traces)

    def value(self, metric: str, group: str = "all") -> dict[str, float]:
        """One row of the summary as a dict (``mean``, ``ci_low``, ``ci_high`` ...)."""
        row = self.summary[(self.summary["metric"] == metric) & (self.summary["group"] == group)]
        if row.empty:
            raise KeyError(f"no metric {metric!r} for group {group!r}")
        return row.iloc[0].to_dict()

    @property
    def assumed_calendar_years(self) -> list[int]:
        """Years whose holidays were computed by rule (no official notice yet)."""
        return sorted({y for t in self.traces for y in t.meta["assumed_calendar_years"]})

    def headline(self) -> pd.DataFrame:
        """Mean lead time, approval time and trips per case type, with 95% CIs."""
        s = self.summary
        keep = s["metric"].isin(
            [
                "lead_wd_mean",
                "approval_wd_mean",
                "clock_wd_mean",
                "lead_days_mean",
                "trips_mean",
                "corrections_mean",
            ]
        )
        keep &= ~s["group"].str.startswith("department:")
        return s[keep].reset_index(drop=True)

    def __repr__(self) -> str:
        lines = [
            f"RunResult({self.scenario.scenario.name!r}, seed={self.seed}, "
            f"replications={len(self.traces)})"
        ]
        for _, r in self.headline().iterrows():
            lines.append(
                f"  {r['group']:<16} {r['metric']:<18} {r['mean']:9.2f}  "
                f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        title = (
            f"<b>{self.scenario.scenario.name}</b> — seed {self.seed}, "
            f"{len(self.traces)} replications, 95% confidence intervals"
        )
        return title + self.headline().to_html(index=False, float_format="%.2f")


def truncate(traces: list[Trace], warmup_h: float, method: str) -> list[Trace]:
    """Traces whose measurement window starts at ``warmup_h`` (cases arriving earlier left out)."""
    out = []
    for tr in traces:
        cases = tr.cases.copy()
        cases["in_window"] = (cases["arrival_h"] >= warmup_h) & (
            cases["arrival_h"] < tr.meta["horizon_h"]
        )
        out.append(
            replace(
                tr, cases=cases, meta={**tr.meta, "warmup_h": warmup_h, "warmup_method": method}
            )
        )
    return out


def detect_warmup(traces: list[Trace], column: str = "lead_wd") -> float:
    """MSER-5 warm-up in hours: the latest truncation point over the replications.

    The series is ``column`` of the finished cases in order of arrival.
    """
    from sim.experiment.compare import mser5

    cut = 0.0
    for tr in traces:
        cases = tr.cases[tr.cases["finished"]].sort_values("arrival_h")
        d = mser5(cases[column].to_numpy(float))
        if d > 0:
            cut = max(cut, float(cases["arrival_h"].iloc[d]))
    return cut


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    warmup: str | None = None,
) -> RunResult:
    """Apply the scenario's levers and run its replications.

    ``replications`` and ``seed`` default to the scenario's ``[experiment]`` table. ``jobs`` > 1
    runs them on a local process pool; ``executor`` takes any ``concurrent.futures`` executor
    instead. The numbers do not depend on either. ``warmup="mser5"`` replaces the scenario's
    warm-up by the MSER-5 truncation point detected on the lead times (reported in
    ``result.warmup``).
    """
    reformed, accounts = apply_all(scenario)
    reps = scenario.experiment.replications if replications is None else int(replications)
    seed = scenario.experiment.seed if seed is None else int(seed)
    if reps < 1:
        raise ValueError("replications must be at least 1")
    jobs = max(1, min(jobs if jobs > 0 else (os.cpu_count() or 1), reps))
    traces = map_replications(reformed, seed, range(reps), jobs=jobs, executor=executor)
    info = {"method": "scenario", "warmup_days": scenario.scenario.warmup_days}
    if warmup == "mser5":
        cut = detect_warmup(traces)
        traces = truncate(traces, cut, "mser5")
        info = {"method": "mser5", "warmup_days": cut / 24}
    elif warmup not in (None, "scenario"):
        raise ValueError(f"warmup must be 'scenario' or 'mser5' (got {warmup!r})")
    return RunResult(scenario=reformed, seed=seed, traces=traces, accounts=accounts, warmup=info)
