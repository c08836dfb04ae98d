"""A year of the citizen halls is reproducible by seed, whatever the number of workers."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.model.engine import Model

HERE = Path(__file__).resolve().parents[2] / "scenarios" / "citizen"
pytestmark = pytest.mark.slow


def thin_year(factor: float = 0.05) -> sim.Scenario:
    """The baseline's full year with every arrival rate scaled down (the test's budget)."""
    sc = sim.load(HERE / "baseline.toml")
    types = {
        t: ct.model_copy(
            update={
                "arrivals": ct.arrivals.model_copy(
                    update={"per_year": ct.arrivals.per_year * factor}
                )
            }
        )
        for t, ct in sc.case_types.items()
    }
    return sc.model_copy(update={"case_types": types})


def test_same_seed_same_tables():
    sc = thin_year()
    a, b = Model(sc, seed=3).run(), Model(sc, seed=3).run()
    pd.testing.assert_frame_equal(a.cases, b.cases)
    pd.testing.assert_frame_equal(a.departments, b.departments)
    assert a.meta["window_hours"] == b.meta["window_hours"]
    c = Model(sc, seed=4).run()
    assert not a.cases["finish_h"].equals(c.cases["finish_h"])


def test_one_or_two_workers_give_the_same_summary():
    sc = thin_year(0.02)
    one = sim.run(sc, replications=2, jobs=1, seed=9)
    two = sim.run(sc, replications=2, jobs=2, seed=9)
    pd.testing.assert_frame_equal(one.summary, two.summary)


def test_simulated_volume_is_the_yearly_volume():
    sc = sim.load(HERE / "baseline.toml")
    info = sc.scenario.model_copy(update={"horizon_days": 40, "drain_days": 40})
    tr = Model(sc.model_copy(update={"scenario": info}), seed=2).run()
    c = tr.window_cases()
    years = (tr.meta["horizon_h"] - tr.meta["warmup_h"]) / 24 / 365
    # arrivals are spread over the actual year's open days: a 33-day window of it carries
    # its share of the 895,000, not 33/365 of it; so compare with the profile's expectation
    from sim.model.halltime import expected_in

    expect = 0.0
    for ct in sc.case_types.values():
        prof = sc.profiles[ct.arrivals.profile]
        n = expected_in(
            prof,
            info.start,
            info.horizon_days,
            ct.arrivals.per_year,
            tr.meta["warmup_h"],
            tr.meta["horizon_h"],
        )
        expect += n * sum(sc.items[i].probability for i in ct.items)
    got = c["items_handled"].sum()
    assert abs(got / expect - 1) < 0.02
    assert got / years > 0  # items_per_year is this count scaled to a year
