"""Routing by chance at every visit, against the theory of queueing networks.

* Visits per item on a network with a loop back and a rework to an earlier item: the mean
  visits per case solve the traffic equations ``x = e + P^T x`` (solved here with numpy).
* A Jackson network with probabilistic branching and feedback: mean visits, utilisations and
  the mean sojourn time of a case against the product-form solution.
* M/M/1 with Bernoulli feedback: the total time in system ``W = s / (1 - p - lambda s)``.

Tolerances come from the run: per-case or per-replication standard errors, never a number chosen
by looking at the answer.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from sim.model import simulate
from tests.conftest import base_data, build

HOURS_PER_YEAR = 24 * 365


def exp(mean: float) -> list[dict]:
    return [{"name": "serve", "effort": {"dist": "exponential", "mean": mean}}]


def traffic(entry: np.ndarray, routing: np.ndarray) -> np.ndarray:
    """Mean visits per case: the solution of x = entry + routing^T x."""
    return np.linalg.solve(np.eye(len(entry)) - routing.T, entry)


def assert_mean(values: np.ndarray, truth: float, z: float = 4.0) -> None:
    """The sample mean is within ``z`` standard errors of ``truth`` (independent values)."""
    se = values.std(ddof=1) / math.sqrt(len(values))
    assert abs(values.mean() - truth) <= z * se, (
        f"mean {values.mean():.4f} vs theory {truth:.4f} (standard error {se:.4f})"
    )


def assert_within_ci(values: np.ndarray, truth: float, level: float = 0.999) -> None:
    half = (
        stats.t.ppf((1 + level) / 2, len(values) - 1) * values.std(ddof=1) / math.sqrt(len(values))
    )
    assert abs(values.mean() - truth) <= half, (
        f"mean {values.mean():.4f} vs exact {truth:.4f}, {level:.1%} half-width {half:.4f}"
    )


def test_visits_per_item_solve_the_traffic_equations():
    """A -> B -> C; B loops back to A (p = 0.2); C sends the case back to B by rework (p = 0.3).

    B also has corrections (p = 0.4): they are rounds within a visit, drawn afresh at every
    visit, so a reworked B comes back for correction as often as a first one (the old engine
    reused the first visit's draw and showed exactly no corrections after a rework).
    """
    p_loop, p_rework, p_corr = 0.2, 0.3, 0.4
    items = {
        "a": {"stage": 1, "department": "desk", "steps": exp(1.0)},
        "b": {
            "stage": 1,
            "department": "desk",
            "requires": ["a"],
            "steps": exp(1.0),
            "next": [{"to": "a", "probability": p_loop}],
            "correction": {
                "probability": p_corr,
                "turnaround": {"dist": "deterministic", "value": 1, "unit": "hours"},
            },
        },
        "c": {
            "stage": 1,
            "department": "desk",
            "requires": ["b"],
            "steps": exp(1.0),
            "rework": {"probability": p_rework, "to": "b"},
        },
    }
    data = base_data(
        scenario={"horizon_days": 400, "drain_days": 60},
        departments={"desk": {"staff": 500}},
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": 20_000}}},
    )
    data["items"] = items
    data["case_types"]["c"]["items"] = list(items)
    tr = simulate(build(data), seed=3)
    cases = tr.cases[tr.cases["finished"]]
    assert len(cases) > 15_000
    routing = np.array([[0, 1, 0], [p_loop, 0, 1 - p_loop], [0, p_rework, 0]])
    expected = traffic(np.array([1.0, 0, 0]), routing)
    v = tr.visits[tr.visits["case"].isin(cases["case"])]
    counts = v.groupby(["case", "item"], observed=False).size().unstack(fill_value=0)
    for n, item in enumerate(["a", "b", "c"]):
        assert_mean(counts[item].to_numpy(float), expected[n])
    assert_mean(cases["visits"].to_numpy(float), expected.sum())
    # corrections per visit of b: geometric, p / (1 - p), on first and later visits alike
    b = v[v["item"] == "b"]
    for part in (b[b["visit"] == 0], b[b["visit"] >= 1]):
        assert len(part) > 2_000
        assert_mean(part["corrections"].to_numpy(float), p_corr / (1 - p_corr))
    assert not cases["capped"].any()


def jackson_scenario(gamma: float, means: tuple[float, float, float], days: float):
    items = {
        "n1": {
            "stage": 1,
            "department": "d1",
            "steps": exp(means[0]),
            "next": [{"to": "n2", "probability": 0.6}, {"to": "n3", "probability": 0.4}],
        },
        "n2": {
            "stage": 1,
            "department": "d2",
            "requires": ["n1"],
            "steps": exp(means[1]),
            "next": [{"to": "n1", "probability": 0.2}],
        },
        "n3": {
            "stage": 1,
            "department": "d3",
            "requires": ["n1"],
            "steps": exp(means[2]),
            "next": [{"to": "n3", "probability": 0.3}],
        },
    }
    data = base_data(
        scenario={"horizon_days": days, "warmup_days": days * 0.1, "drain_days": 30},
        departments={f"d{k}": {"staff": 1, "office_hours": "always"} for k in (1, 2, 3)},
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": gamma * HOURS_PER_YEAR}}},
    )
    data["items"] = items
    data["case_types"]["c"]["items"] = list(items)
    return build(data)


@pytest.mark.slow
def test_jackson_network_with_feedback_matches_the_product_form():
    """Node 1 branches to 2 (0.6) or 3 (0.4); 2 feeds back to 1 (0.2); 3 to itself (0.3)."""
    gamma, means = 0.5, (0.8, 1.5, 1.8)
    routing = np.array([[0, 0.6, 0.4], [0.2, 0, 0], [0, 0, 0.3]])
    lam = traffic(np.array([gamma, 0, 0]), routing)
    rho = lam * np.array(means)
    assert (rho < 1).all()
    sojourn = (rho / (1 - rho)).sum() / gamma  # Little's law on the product form
    sc = jackson_scenario(gamma, means, days=1500)
    traces = [simulate(sc, seed=17, replication=r) for r in range(8)]
    per_rep_sojourn, per_rep_util, per_rep_visits = [], [], []
    for tr in traces:
        c = tr.window_cases()
        c = c[c["finished"]]
        per_rep_sojourn.append((c["finish_h"] - c["arrival_h"]).mean())
        deps = tr.departments.set_index("department")
        per_rep_util.append(deps.loc[["d1", "d2", "d3"], "utilisation"].to_numpy(float))
        v = tr.visits[tr.visits["case"].isin(c["case"])]
        per_item = v.groupby("item", observed=False).size().reindex(["n1", "n2", "n3"])
        per_rep_visits.append(per_item.to_numpy(float) / len(c))
    assert_within_ci(np.array(per_rep_sojourn), sojourn)
    util, visits = np.array(per_rep_util), np.array(per_rep_visits)
    for n in range(3):
        assert_within_ci(util[:, n], rho[n])
        assert_within_ci(visits[:, n], lam[n] / gamma)


@pytest.mark.slow
def test_mm1_with_bernoulli_feedback_matches_its_closed_form():
    """After service a job rejoins the back of the queue with probability p (Takacs)."""
    lam, s, p = 0.4, 1.0, 0.3
    data = base_data(
        scenario={"horizon_days": 2000, "warmup_days": 200, "drain_days": 30},
        items={"job": {"steps": exp(s), "next": [{"to": "job", "probability": p}]}},
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": lam * HOURS_PER_YEAR}}},
    )
    traces = [simulate(build(data), seed=5, replication=r) for r in range(8)]
    sojourn, visits, util = [], [], []
    for tr in traces:
        c = tr.window_cases()
        c = c[c["finished"]]
        sojourn.append((c["finish_h"] - c["arrival_h"]).mean())
        visits.append(c["visits"].mean())
        util.append(tr.departments.loc[0, "utilisation"])
    assert_within_ci(np.array(sojourn), s / (1 - p - lam * s))
    assert_within_ci(np.array(visits), 1 / (1 - p))
    assert_within_ci(np.array(util), lam * s / (1 - p))
