"""The engine against exact queueing theory, with tolerances from the run's own standard error.

Each test runs R independent replications and builds a confidence interval from the spread of
the per-replication means. The exact value must lie inside the 99.9% interval: the tolerance
shrinks as the runs get longer, and nobody chose it by looking at the answer.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import stats

from sim.analysis.queueing import erlang_c, mg1_mean_wait, mmc_mean_wait
from sim.model import simulate
from tests.conftest import base_data, build

HOURS_PER_YEAR = 24 * 365


def queue_scenario(servers: int, load: float, effort: dict, days: float = 2000.0):
    mean_service = effort.get("mean", effort.get("value"))
    per_hour = load * servers / mean_service
    return build(
        base_data(
            scenario={"horizon_days": days, "warmup_days": days * 0.1, "drain_days": 30},
            departments={"desk": {"staff": servers}},
            items={"job": {"steps": [{"name": "serve", "effort": effort}]}},
            case_types={
                "c": {"arrivals": {"process": "poisson", "per_year": per_hour * HOURS_PER_YEAR}}
            },
        )
    ), per_hour


def replicate_waits(sc, reps: int) -> tuple[np.ndarray, list]:
    traces = [simulate(sc, seed=11, replication=r) for r in range(reps)]
    waits = []
    for tr in traces:
        t = tr.tasks
        q0, q1 = tr.meta["warmup_h"], tr.meta["horizon_h"]
        inside = (t["queued_h"] >= q0) & (t["queued_h"] < q1)
        waits.append(t.loc[inside, "wait_h"].mean())
    return np.array(waits), traces


def assert_within_ci(values: np.ndarray, truth: float, level: float = 0.999) -> None:
    half = (
        stats.t.ppf((1 + level) / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    )
    assert abs(values.mean() - truth) <= half, (
        f"mean {values.mean():.4f} vs exact {truth:.4f}, {level:.1%} half-width {half:.4f}"
    )


def test_erlang_c_known_values():
    # textbook values: C(1, a) = a for M/M/1; C(2, 1) = 1/3
    assert math.isclose(erlang_c(1, 0.7), 0.7)
    assert math.isclose(erlang_c(2, 1.0), 1 / 3)
    assert erlang_c(3, 3.0) == 1.0


def test_mm1_mean_wait_matches_theory():
    sc, lam = queue_scenario(1, 0.7, {"dist": "exponential", "mean": 1.0})
    waits, _ = replicate_waits(sc, reps=10)
    assert_within_ci(waits, mmc_mean_wait(lam, 1.0, 1))  # = rho / (mu - lambda) = 2.333 h


def test_mmc_mean_wait_matches_erlang_c():
    sc, lam = queue_scenario(3, 0.8, {"dist": "exponential", "mean": 2.0})
    waits, traces = replicate_waits(sc, reps=10)
    assert_within_ci(waits, mmc_mean_wait(lam, 0.5, 3))
    util = np.array([tr.departments.loc[0, "utilisation"] for tr in traces])
    assert_within_ci(util, 0.8)


def test_md1_mean_wait_matches_pollaczek_khinchine():
    sc, lam = queue_scenario(1, 0.6, {"dist": "deterministic", "value": 1.0})
    waits, _ = replicate_waits(sc, reps=10)
    assert_within_ci(waits, mg1_mean_wait(lam, 1.0, 0.0))


def test_littles_law_on_the_queue():
    """Time-average queue length = arrival rate x mean wait (same run, same window)."""
    sc, lam = queue_scenario(2, 0.85, {"dist": "gamma", "mean": 1.0, "cv": 1.5})
    _, traces = replicate_waits(sc, reps=4)
    for tr in traces:
        t, d = tr.tasks, tr.departments.iloc[0]
        q0, q1 = tr.meta["warmup_h"], tr.meta["horizon_h"]
        inside = (t["queued_h"] >= q0) & (t["queued_h"] < q1)
        rate = inside.sum() / (q1 - q0)
        wait = t.loc[inside, "wait_h"].mean()
        # edge effects at the window's ends are O(1 / number of tasks)
        assert math.isclose(d["mean_queue"], rate * wait, rel_tol=5 / math.sqrt(inside.sum()))
