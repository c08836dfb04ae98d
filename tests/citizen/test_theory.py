"""Window groups against queueing theory: Erlang C (M/M/c) and Erlang A with balking (M/M/c+M).

Always-open halls, Poisson arrivals, exponential service and patience: a window group is then
an M/M/c queue (no abandonment) or an M/M/c+M queue with K waiting places. Tolerances come from
the replications: the theory must lie inside the 99.9% Student interval of the replication means.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.model.engine import Model
from tests.citizen.hallkit import hall, window_item

pytestmark = pytest.mark.slow


def erlang_c(c: int, lam: float, mu: float) -> float:
    """Mean wait in queue (hours) of M/M/c."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    p_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return p_wait / (c * mu - lam)


def erlang_a(c: int, lam: float, mu: float, theta: float, k: int) -> tuple[float, float]:
    """P(balk) and P(abandon | joined) of M/M/c+M with balking at k waiting."""
    n_max = c + k
    pi = [1.0]
    for n in range(1, n_max + 1):
        death = mu * min(n, c) + theta * max(n - c, 0)
        pi.append(pi[-1] * lam / death)
    pi = np.array(pi) / sum(pi)
    p_balk = pi[n_max]
    lam_j = lam * (1 - p_balk)
    eq = sum(max(n - c, 0) * p for n, p in enumerate(pi))
    return p_balk, theta * eq / lam_j


def inside(values: list[float], truth: float, confidence: float = 0.999) -> bool:
    x = np.asarray(values)
    m, s = x.mean(), x.std(ddof=1) / math.sqrt(len(x))
    half = stats.t.ppf((1 + confidence) / 2, len(x) - 1) * s
    return abs(m - truth) <= half


def test_one_window_group_per_service_against_erlang_c():
    # two services in one hall, each with its own window group: two independent M/M/c queues
    lam_a, mu_a, c_a = 9.6, 6.0, 2  # per hour; 10-minute services; load 0.8
    lam_b, mu_b, c_b = 25.2, 12.0, 3  # 5-minute services; load 0.7
    sc = hall(
        groups={"a": {"staff": c_a}, "b": {"staff": c_b}},
        items={
            "ia": window_item("a", {"dist": "exponential", "mean": 10, "unit": "minutes"}),
            "ib": window_item("b", {"dist": "exponential", "mean": 5, "unit": "minutes"}),
        },
        case_types={
            "ta": {
                "arrivals": {"process": "poisson", "per_year": lam_a * 24 * 365},
                "items": ["ia"],
            },
            "tb": {
                "arrivals": {"process": "poisson", "per_year": lam_b * 24 * 365},
                "items": ["ib"],
            },
        },
        horizon_days=40,
    )
    waits: dict[str, list[float]] = {"hall.a": [], "hall.b": []}
    for rep in range(6):
        deps = Model(sc, seed=11, replication=rep).run().departments.set_index("department")
        for g in waits:
            waits[g].append(deps.loc[g, "mean_wait_min"] / 60)
    assert inside(waits["hall.a"], erlang_c(c_a, lam_a, mu_a))
    assert inside(waits["hall.b"], erlang_c(c_b, lam_b, mu_b))


@pytest.mark.parametrize("load", [1.1, 0.6])
def test_balking_and_reneging_against_erlang_a(load):
    c, mu, theta, k = 2, 6.0, 3.0, 5  # 10-minute services, 20-minute mean patience, 5 places
    lam = load * c * mu
    sc = hall(
        groups={"a": {"staff": c}},
        items={"ia": window_item("a", {"dist": "exponential", "mean": 10, "unit": "minutes"})},
        case_types={
            "ta": {"arrivals": {"process": "poisson", "per_year": lam * 24 * 365}, "items": ["ia"]}
        },
        horizon_days=40,
        abandonment={
            "patience": {"dist": "exponential", "mean": 20, "unit": "minutes"},
            "balk_at": k,
            "retry": {"probability": 0.0},
        },
    )
    balk, abandon = [], []
    for rep in range(6):
        d = Model(sc, seed=5, replication=rep).run().departments.iloc[0]
        balk.append(d["balks"] / d["joins"])
        abandon.append(d["reneges"] / (d["joins"] - d["balks"]))
    p_balk, p_abandon = erlang_a(c, lam, mu, theta, k)
    assert inside(balk, p_balk)
    assert inside(abandon, p_abandon)
