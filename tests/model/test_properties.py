"""Invariants over generated scenarios (hypothesis): whatever the scenario, the trace is sane and
the same seed gives the same tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import simulate
from tests.conftest import build

DISTS = st.one_of(
    st.builds(lambda m: {"dist": "exponential", "mean": m}, st.floats(0.1, 8)),
    st.builds(
        lambda m, c: {"dist": "lognormal", "mean": m, "cv": c}, st.floats(0.1, 8), st.floats(0, 2)
    ),
    st.builds(lambda v: {"dist": "deterministic", "value": v}, st.floats(0, 8)),
    st.builds(
        lambda vs: {"dist": "empirical", "values": vs},
        st.lists(st.floats(0, 8), min_size=1, max_size=4),
    ),
)


@st.composite
def scenarios(draw):
    n_dep = draw(st.integers(1, 3))
    deps = {
        f"d{k}": {
            "staff": draw(st.integers(1, 3)),
            "location": draw(st.sampled_from(["zone", "office"])),
            "transfer_days": draw(st.sampled_from([0, 0, 1.5])),
            "office_hours": draw(st.sampled_from(["always", "09:00-12:00,13:30-17:30"])),
        }
        for k in range(n_dep)
    }
    n_items = draw(st.integers(1, 5))
    items = {}
    for k in range(n_items):
        steps = []
        for s in range(draw(st.integers(1, 3))):
            if draw(st.booleans()):
                steps.append({"name": f"s{s}", "effort": draw(DISTS)})
            else:
                d = dict(draw(DISTS))
                d["unit"] = draw(st.sampled_from(["hours", "working_days", "calendar_days"]))
                steps.append({"name": f"s{s}", "delay": d})
        dep = draw(st.integers(0, n_dep - 1))
        item = {
            "stage": draw(st.integers(1, 4)),
            "department": f"d{dep}",
            "steps": steps,
            "requires": [f"i{p}" for p in range(k) if draw(st.booleans())],
            "submitted_online": draw(st.booleans()),
        }
        if draw(st.booleans()):
            item["correction"] = {
                "probability": draw(st.floats(0, 1)),
                "max_rounds": draw(st.integers(1, 3)),
            }
        if k > 0 and draw(st.booleans()):
            item["rework"] = {"probability": draw(st.floats(0, 1)), "to": f"i{k - 1}"}
            item["requires"] = sorted({*item["requires"], f"i{k - 1}"})
        items[f"i{k}"] = item
    types = {}
    for t in range(draw(st.integers(1, 2))):
        chosen = [f"i{k}" for k in range(n_items) if draw(st.booleans())] or ["i0"]
        types[f"t{t}"] = {
            "arrivals": {"process": "poisson", "per_year": draw(st.floats(5, 300))},
            "items": chosen,
            "priority": draw(st.integers(0, 2)),
        }
    return build(
        {
            "scenario": {
                "name": "gen",
                "start": "2026-09-01",
                "horizon_days": 60,
                "warmup_days": 5,
                "drain_days": 400,
            },
            "departments": deps,
            "items": items,
            "case_types": types,
        }
    )


@settings(max_examples=40, deadline=None)
@given(sc=scenarios(), seed=st.integers(0, 2**32))
def test_trace_invariants(sc, seed):
    tr = simulate(sc, seed=seed)
    t, c = tr.tasks, tr.cases
    assert (t["started_h"] >= t["queued_h"] - 1e-9).all(), "a task started before it was queued"
    assert (t["finished_h"] >= t["started_h"] - 1e-9).all()
    done = c[c["finished"]]
    assert (done["finish_h"] >= done["arrival_h"]).all(), "a case finished before it arrived"
    last = t.groupby("case")["finished_h"].max()
    joined = done.set_index("case")["finish_h"].reindex(last.index).dropna()
    assert (joined + 1e-9 >= last.reindex(joined.index)).all(), "a case closed before its task"
    for col in ("trips", "corrections", "reworks"):
        assert c[col].dtype == np.int64 and (c[col] >= 0).all()
    assert (done["lead_wd"] >= -1e-9).all()
    assert (done["approval_wd"] <= done["lead_wd"] + 1e-9).all()
    first_queue = t.groupby("case")["queued_h"].min()
    arrivals = c.set_index("case")["arrival_h"].reindex(first_queue.index)
    assert (first_queue >= arrivals - 1e-9).all()


@settings(max_examples=15, deadline=None)
@given(sc=scenarios(), seed=st.integers(0, 2**32))
def test_same_seed_same_tables(sc, seed):
    a, b = simulate(sc, seed=seed), simulate(sc, seed=seed)
    pd.testing.assert_frame_equal(a.cases, b.cases)
    pd.testing.assert_frame_equal(a.tasks, b.tasks)
    pd.testing.assert_frame_equal(a.departments, b.departments)
