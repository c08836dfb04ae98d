"""Experiments: honest intervals, common random numbers, executors, resumable sweeps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import sim
from sim.analysis.queueing import mmc_mean_wait
from sim.experiment.compare import compare, mser5, run_to_precision
from sim.experiment.store import summary_dict
from tests.conftest import base_data, build

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "default.toml"


def small_default(**over):
    return sim.load(
        DEFAULT,
        overrides={"scenario": {"horizon_days": 200, "warmup_days": 30, "drain_days": 500}, **over},
    )


@pytest.mark.slow
def test_nominal_95_percent_intervals_cover_the_truth():
    """200 independent experiments on an M/M/1 queue (rho = 0.5): the 95% t interval of the mean
    sojourn time over 5 replications must cover 1 / (mu - lambda) in 92-98% of them (the
    binomial spread of 200 trials at 95% is +-1.5 points)."""
    lam = 0.5  # per hour, mu = 1
    sc = build(
        base_data(
            scenario={"horizon_days": 125, "warmup_days": 10, "drain_days": 20},
            case_types={"c": {"arrivals": {"process": "poisson", "per_year": lam * 24 * 365}}},
        )
    )
    truth = mmc_mean_wait(lam, 1.0, 1) + 1.0
    covered = 0
    for seed in range(200):
        res = sim.run(sc, replications=5, seed=1000 + seed)
        per_rep = [
            ((c := t.window_cases())["finish_h"] - c["arrival_h"]).mean() for t in res.traces
        ]
        m, lo, hi = sim.analysis.t_interval(per_rep)
        covered += lo <= truth <= hi
    print(f"nominal 95% intervals covered the exact mean in {covered} of 200 experiments")
    assert 184 <= covered <= 196, f"coverage {covered / 200:.1%}"


@pytest.mark.slow
def test_common_random_numbers_shrink_the_variance_of_a_paired_delta():
    base = small_default()
    alt = small_default(
        scenario={"name": "colocated", "horizon_days": 200, "warmup_days": 30, "drain_days": 500},
        reforms={"colocation": {"departments": ["housing", "environment"]}},
    )
    reps = 12
    crn = compare(base, alt, replications=reps, seed=5)
    b = sim.run(base, replications=reps, seed=5)
    a = sim.run(alt, replications=reps, seed=6)  # independent streams
    metric = "approval_wd_mean"

    def series(res):
        t = sim.analysis.per_replication(res.traces)
        return t[(t["metric"] == metric) & (t["group"] == "all")]["value"].to_numpy(float)

    var_indep = np.var(series(a) - series(b), ddof=1)
    paired = series(crn.alternatives[0]) - series(crn.baseline)
    var_crn = np.var(paired, ddof=1)
    ratio = var_indep / var_crn
    print(f"variance ratio independent / common random numbers: {ratio:.1f}")
    assert ratio >= 5


def test_precision_driven_run_stops_when_precise_enough():
    res = run_to_precision(small_default(), 0.05, start=2, max_replications=30)
    info = res.precision
    assert info.reached and info.relative_half_width <= 0.05
    assert len(res.traces) == info.replications >= 2
    capped = run_to_precision(small_default(), 1e-6, start=2, max_replications=4)
    assert not capped.precision.reached and len(capped.traces) == 4


@pytest.mark.slow
def test_summary_is_identical_for_any_number_of_workers_and_dask():
    sc = small_default()
    one = sim.run(sc, replications=4, jobs=1)
    two = sim.run(sc, replications=4, jobs=2)
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1", dashboard_address=None
    ) as cluster:
        from sim.experiment.executors import dask_executor

        with dask_executor(cluster.scheduler_address) as ex:
            dask = sim.run(sc, replications=4, executor=ex)
    texts = [json.dumps(summary_dict(r), sort_keys=True) for r in (one, two, dask)]
    assert texts[0] == texts[1] == texts[2]


def test_mser5_finds_a_transient():
    gen = np.random.Generator(np.random.PCG64(3))
    series = np.concatenate([np.linspace(50, 10, 100), 10 + gen.normal(0, 1, 900)])
    cut = mser5(series)
    assert 60 <= cut <= 160
    assert mser5(10 + gen.normal(0, 1, 1000)) < 100
