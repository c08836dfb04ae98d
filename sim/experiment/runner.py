"""Running the replications of one scenario: seeds, warm-up, precision, tables kept.

Replication ``r`` of a run with root seed ``S`` always uses the streams spawned from
``SeedSequence(S, spawn_key=(r, ...))``, whichever worker runs it and in whatever order: the
results are identical for one worker, many workers, or a cluster (the :mod:`driver
<sim.experiment.driver>` schedules them). :func:`run` applies the scenario's levers, runs the
replications, optionally keeps adding them until the mean lead time is precise enough (the
:mod:`precision loop <sim.experiment.precision>`), optionally detects the warm-up with MSER-5,
and returns a frozen :class:`~sim.experiment.results.RunResult` that carries all of it.

The warm-up deletes the start-up transient: cases arriving before it are left out of every
statistic. ``warmup="mser5"`` replaces the scenario's ``warmup_days`` by the MSER-5 truncation
point (White 1997) of the finished cases' lead times in arrival order, the latest over the
replications; this needs the case tables, which are then kept in memory.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable, Sequence
from concurrent.futures import Executor
from dataclasses import replace
from pathlib import Path

import numpy as np

from sim.analysis.summary import per_replication
from sim.experiment.driver import Driver, Progress, TableOutput, Task, check_keep, kept_tables
from sim.experiment.errors import UsageError
from sim.experiment.limits import MAX_REPLICATIONS
from sim.experiment.precision import half_width, until_precise
from sim.experiment.results import RunResult, TableFiles, Warmup
from sim.experiment.sinks import FORMATS, feed, merge_parts, sink_for
from sim.model.engine import Model
from sim.model.trace import Trace
from sim.reforms import apply_all
from sim.scenario.schema import Scenario

WARMUPS = ("scenario", "mser5")

__all__ = [
    "RunResult",
    "detect_warmup",
    "map_replications",
    "mser5",
    "replicate",
    "run",
    "truncate",
]


def replicate(scenario: Scenario, seed: int, replication: int) -> Trace:
    """Run replication ``replication`` of an already reformed scenario and return its trace."""
    return Model(scenario, seed=seed, replication=replication).run()


def map_replications(
    scenario: Scenario,
    seed: int,
    replications: Iterable[int],
    jobs: int = 1,
    executor: Executor | None = None,
) -> list[Trace]:
    """Full traces of the given replications of a reformed scenario, in order (via the driver)."""
    tasks = [Task(scenario, seed, r) for r in replications]
    with Driver(jobs=jobs, executor=executor) as driver:
        return [rep.trace for rep in driver.run(tasks)]


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


def detect_warmup(traces: Sequence[Trace], column: str = "lead_wd") -> float:
    """MSER-5 warm-up in hours: the latest truncation point over the replications.

    The series is ``column`` of the finished cases in order of arrival.
    """
    cut = 0.0
    for tr in traces:
        cases = tr.cases[tr.cases["finished"]].sort_values("arrival_h")
        d = mser5(cases[column].to_numpy(float))
        if d > 0:
            cut = max(cut, float(cases["arrival_h"].iloc[d]))
    return cut


def truncate(traces: Sequence[Trace], warmup_h: float, method: str) -> list[Trace]:
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


def resolve_jobs(jobs: int | None, replications: int) -> int:
    """Worker processes for ``replications`` tasks: ``jobs`` (0 or None: every core), capped."""
    n = (os.cpu_count() or 1) if not jobs or jobs < 1 else int(jobs)
    return max(1, min(n, replications))


def check_run_values(
    replications: int, precision: float | None, max_replications: int, warmup: str | None
) -> None:
    """Refuse values that cannot work, before any replication starts (UsageError)."""
    if not 1 <= replications <= MAX_REPLICATIONS:
        raise UsageError(
            f"replications must be from 1 to {MAX_REPLICATIONS:,} (got {replications})"
        )
    if precision is not None and not (math.isfinite(precision) and 0 < precision < 1):
        raise UsageError(
            f"precision must be a share between 0 and 1, e.g. 0.05 for 5% (got {precision})"
        )
    if not 2 <= max_replications <= MAX_REPLICATIONS:
        raise UsageError(
            f"max_replications must be from 2 to {MAX_REPLICATIONS:,} (got {max_replications})"
        )
    if warmup not in (None, *WARMUPS):
        raise UsageError(f"warmup must be one of {', '.join(WARMUPS)} (got {warmup!r})")


def run(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    warmup: str | None = None,
    *,
    precision: float | None = None,
    metric: str = "lead_wd_mean",
    max_replications: int = 200,
    tables: str = "all",
    output: TableOutput | None = None,
    progress: Progress | None = None,
    driver: Driver | None = None,
) -> RunResult:
    """Apply the scenario's levers and run its replications.

    ``replications`` and ``seed`` default to the scenario's ``[experiment]`` table. ``jobs`` > 1
    runs them on a local process pool; ``executor`` takes any ``concurrent.futures`` executor
    instead (``driver`` an existing driver). The numbers do not depend on any of these.

    ``warmup="mser5"`` replaces the scenario's warm-up by the MSER-5 truncation point.
    ``precision`` (a share, e.g. 0.05) adds replications, from ``replications``, until the 95% CI
    half-width of ``metric`` (overall) is at most that share of its mean, or
    ``max_replications`` have run; ``result.precision`` says which. ``tables`` chooses what is
    kept of every replication: ``"all"``, ``"cases"`` or ``"none"`` (summaries only); with
    ``output`` the kept tables are streamed to files in that folder instead of memory.
    """
    reps = scenario.experiment.replications if replications is None else int(replications)
    seed = scenario.experiment.seed if seed is None else int(seed)
    check_run_values(reps, precision, max_replications, warmup)
    check_keep(tables)
    if output is not None and output.format not in FORMATS:
        raise UsageError(f"table format must be one of {', '.join(FORMATS)}")
    reformed, accounts = apply_all(scenario)
    mser = warmup == "mser5"
    outcomes: list = []
    state: dict[str, RunResult] = {}

    def build() -> RunResult:
        result = RunResult(reformed, seed, tuple(outcomes), tuple(accounts), keep=tables)
        if mser:
            result = _with_mser5(result)
        state["result"] = result
        return result

    own = driver is None
    if own:
        driver = Driver(jobs=resolve_jobs(jobs, reps), executor=executor, progress=progress)
    try:

        def add(done: int, target: int) -> None:
            tasks = [
                Task(reformed, seed, r, keep=tables, output=output, cases_in_memory=mser)
                for r in range(done, target)
            ]
            outcomes.extend(driver.run(tasks))  # type: ignore[union-attr]

        if precision is None:
            add(0, reps)
            result = build()
            info = None
        else:

            def width() -> float:
                try:
                    row = build().value(metric)
                except KeyError:
                    return math.inf
                return half_width(row["ci_low"], row["ci_high"], row["mean"])

            info = until_precise(reps, precision, max_replications, metric, add, width)
            result = state["result"]
    finally:
        if own:
            driver.close()  # type: ignore[union-attr]
    result = replace(result, precision=info)
    if output is not None:
        result = _finish_files(result, output)
    return result


def _with_mser5(result: RunResult) -> RunResult:
    """The result with its window starting at the MSER-5 warm-up (summaries recomputed)."""
    traces = [r.trace for r in result.replications]
    cut = detect_warmup(traces)  # type: ignore[arg-type]
    cut_traces = truncate(traces, cut, "mser5")  # type: ignore[arg-type]
    reps = tuple(
        replace(r, trace=t, summary=per_replication([t]).assign(replication=r.index), meta=t.meta)
        for r, t in zip(result.replications, cut_traces, strict=True)
    )
    return replace(result, replications=reps, warmup=Warmup("mser5", cut / 24.0))


def _finish_files(result: RunResult, output: TableOutput) -> RunResult:
    """Stack the replications' table parts into one file per table; say where they are."""
    folder = os.fspath(output.folder)
    names = kept_tables(result.keep)
    if result.warmup is not None and result.warmup.method == "mser5" and "cases" in names:
        # the case tables were kept in memory to detect the warm-up; write them now, truncated
        for r in result.replications:
            sink = sink_for(output.format, folder, r.index)
            try:
                feed(r.trace.cases, "cases", sink)  # type: ignore[union-attr]
            finally:
                sink.close()
    written = []
    for name in names:
        if merge_parts(Path(folder), name, output.format, result.indices) is not None:
            written.append(name)
    reps = tuple(replace(r, trace=None) for r in result.replications)
    files = TableFiles(Path(folder), output.format, tuple(written))
    return replace(result, replications=reps, tables=files)
