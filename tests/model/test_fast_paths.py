"""The fast paths for cases of simple plans (every item one plain staff task, always needed) give
exactly what the general walk gives: the same tables and the same critical-path sums.

Each scenario runs twice with one seed, the fast paths on and forced off
(``sim.model.critical.QUICK``, ``sim.model.engine.SIMPLE``), and everything is compared for
equality, not closeness. The engine's one-item fast path (``sim.model.engine.QUICK``) stays off
in both runs: it books its critical paths in batches, whose sums differ from the walk's in the
last bits (its own equality test compares the tables).
"""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim.model.critical as critical
import sim.model.engine as engine
from sim.model import simulate
from sim.model.plan import compile_plan
from tests.conftest import build

bench = pytest.importorskip("benchmarks.engine", reason="run from the repository root")

EFFORTS = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.1, 8)),
    st.builds(lambda v: {"dist": "deterministic", "value": v}, st.sampled_from([0.0, 1.0, 2.5])),
    st.builds(
        lambda m, c: {"dist": "lognormal", "mean": m, "cv": c}, st.floats(0.1, 8), st.floats(0, 2)
    ),
)


@st.composite
def dag_scenarios(draw):
    """Random small DAGs of single-step items; now and then a department with a transfer time,
    an item with a correction or a blocking problem, so that simple and general cases mix."""
    n_dep = draw(st.integers(1, 3))
    deps = {
        f"d{k}": {
            "staff": draw(st.integers(1, 3)),
            "location": draw(st.sampled_from(["zone", "office"])),
            "transfer_days": draw(st.sampled_from([0, 0, 0, 1.5])),
            "office_hours": draw(st.sampled_from(["always", "09:00-12:00,13:30-17:30"])),
        }
        for k in range(n_dep)
    }
    n_items = draw(st.integers(1, 6))
    shape = draw(st.sampled_from(["dag", "path", "fork"]))
    items = {}
    for k in range(n_items):
        if shape == "path":
            requires = [f"i{k - 1}"] if k else []
        elif shape == "fork":
            requires = []
        else:
            requires = [f"i{p}" for p in range(k) if draw(st.booleans())]
        item = {
            "stage": draw(st.integers(1, 3)),
            "department": f"d{draw(st.integers(0, n_dep - 1))}",
            "steps": [{"name": "s", "effort": draw(EFFORTS)}],
            "requires": requires,
            "submitted_online": draw(st.booleans()),
        }
        if draw(st.integers(0, 9)) == 0:
            item["correction"] = {"probability": draw(st.floats(0, 1)), "max_rounds": 2}
        if draw(st.integers(0, 9)) == 0:
            item["time_limit_wd"] = draw(st.sampled_from([0.5, 3.0]))
        items[f"i{k}"] = item
    types = {}
    for t in range(draw(st.integers(1, 3))):
        if shape == "path" and draw(st.booleans()):
            chosen = [f"i{k}" for k in range(n_items)]
        else:
            chosen = [f"i{k}" for k in range(n_items) if draw(st.booleans())] or ["i0"]
        types[f"t{t}"] = {
            "arrivals": {"process": "poisson", "per_year": draw(st.floats(50, 1500))},
            "items": chosen,
            "priority": draw(st.integers(0, 2)),
        }
    data = {
        "scenario": {
            "name": "dag",
            "start": "2026-09-01",
            "horizon_days": 40,
            "warmup_days": draw(st.sampled_from([0, 5])),
            "drain_days": draw(st.sampled_from([2, 400])),  # 2: unfinished cases too
        },
        "departments": deps,
        "items": items,
        "case_types": types,
    }
    if draw(st.integers(0, 4)) == 0:
        data["problems"] = {"probability": {"1": 0.5}, "stall": {"dist": "exponential", "mean": 2}}
    return build(data)


def both_ways(sc, seed: int, **kw):
    """The trace with the fast paths on, and forced off (the engine's one-item path off)."""
    saved = engine.QUICK, engine.SIMPLE, critical.QUICK
    try:
        engine.QUICK = False
        fast = simulate(sc, seed=seed, **kw)
        engine.SIMPLE = critical.QUICK = False
        slow = simulate(sc, seed=seed, **kw)
    finally:
        engine.QUICK, engine.SIMPLE, critical.QUICK = saved
    return fast, slow


def assert_same(fast, slow) -> None:
    for name in ("cases", "visits", "tasks", "activities", "departments"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name), check_exact=True)
    assert fast.meta == slow.meta  # the critical-path sums among them, to the last bit


@settings(max_examples=80, deadline=None)
@given(sc=dag_scenarios(), seed=st.integers(0, 2**32 - 1))
def test_simple_cases_give_the_walks_numbers(sc, seed):
    fast, slow = both_ways(sc, seed)
    assert_same(fast, slow)


@pytest.mark.slow
@pytest.mark.parametrize("model", ["tandem of 3", "fork-join of 4"])
def test_the_benchmark_models_give_the_walks_numbers(model):
    """The tandem of 3 and the fork-join of 4 of ``benchmarks/engine.py``, 20,000 jobs."""
    sc = bench.scenario(model, jobs=20_000, office=False, **bench.MODELS[model])
    assert all(cp.simple for cp in compile_plan(sc).cases)
    fast, slow = both_ways(sc, seed=1)
    assert_same(fast, slow)
    crit = fast.meta["critical_path"]
    cases = crit["cases"]["c"]
    on_chain = [row[3] for row in crit["items"]]
    if model.startswith("tandem"):  # a pure chain: every item on it, none with slack
        assert on_chain == [cases] * 3
        assert all(row[4] == 0.0 for row in crit["items"])
    else:  # one branch is critical in each case (ties aside), the others have slack
        assert sum(on_chain) == cases
        assert all(row[4] > 0.0 for row in crit["items"])
