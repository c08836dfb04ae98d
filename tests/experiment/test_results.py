"""Result types: frozen, carrying their warm-up, precision and provenance; readable in Jupyter."""

from __future__ import annotations

import dataclasses
import re

import numpy as np
import pytest

import sim
from sim.experiment.compare import compare
from sim.experiment.errors import TablesNotKept
from sim.experiment.runner import mser5
from tests.conftest import base_data, build


def burst_scenario():
    """A desk open round the clock (1 h exponential service) hit by 150 cases in the first day,
    then one case every 3.33 hours (load 0.3) for 40 days. The backlog left after day 1 (about
    150 - 24 = 126 cases) drains at a net 0.7 cases an hour, i.e. in about 7.5 days: the
    transient ends near day 8.5, and after it a case spends about an hour (D/M/1 at load 0.3:
    at most the M/M/1 sojourn of 1.43 h = 0.06 days)."""
    burst = [k / 150 for k in range(150)]
    steady = list(np.arange(1.0, 41.0, 1 / (0.3 * 24)))
    return build(
        base_data(
            scenario={"horizon_days": 41, "warmup_days": 0, "drain_days": 30},
            case_types={"c": {"arrivals": {"process": "list", "days": burst + steady}}},
        )
    )


def test_mser5_finds_a_transient():
    gen = np.random.Generator(np.random.PCG64(3))
    series = np.concatenate([np.linspace(50, 10, 100), 10 + gen.normal(0, 1, 900)])
    cut = mser5(series)
    assert 60 <= cut <= 160
    assert mser5(10 + gen.normal(0, 1, 1000)) < 100


def test_mser5_warmup_is_reported_and_cuts_the_burst():
    sc = burst_scenario()
    plain = sim.run(sc, replications=3)
    cut = sim.run(sc, replications=3, warmup="mser5")
    assert plain.warmup.method == "scenario" and plain.warmup.warmup_days == 0
    assert cut.warmup.method == "mser5"
    assert 5 <= cut.warmup.warmup_days <= 20, cut.warmup  # the transient ends near day 8.5
    assert all(t.meta["warmup_method"] == "mser5" for t in cut.traces)
    # the window now starts at the cut: no case that arrived earlier is counted
    window = cut.cases[cut.cases["in_window"]]
    assert window["arrival_h"].min() >= cut.warmup.warmup_h
    assert plain.value("lead_days_mean")["mean"] > 0.5  # the burst's days-long waits
    assert cut.value("lead_days_mean")["mean"] < 0.1  # steady state: about an hour
    assert cut.provenance["warmup"] == {"method": "mser5", "warmup_days": cut.warmup.warmup_days}


def test_a_precision_driven_run_keeps_its_warmup():
    """Issue 14.1: run_to_precision used to drop --warmup mser5."""
    res = sim.run(
        burst_scenario(), replications=2, warmup="mser5", precision=0.2, max_replications=6
    )
    assert res.warmup.method == "mser5" and res.warmup.warmup_days >= 5
    assert res.precision is not None and res.precision.replications == len(res.replications)
    assert res.precision.history[0][0] == 2 and res.precision.history[-1][0] == len(
        res.replications
    )
    assert res.provenance["precision"]["replications"] == len(res.replications)


def test_results_are_frozen(make):
    sc = make(base_data())
    res = sim.run(sc, replications=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.precision = None  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        res.warmup = None  # type: ignore[misc]
    comp = compare(sc, make(base_data(scenario={"name": "u"})), replications=2)
    with pytest.raises(dataclasses.FrozenInstanceError):
        comp.table = None  # type: ignore[misc]
    assert isinstance(comp.alternatives, tuple) and isinstance(res.replications, tuple)


def test_tables_not_kept_are_refused_by_name(make):
    res = sim.run(make(base_data()), replications=2, tables="none")
    assert len(res.summary) and not res.has("cases")
    with pytest.raises(TablesNotKept, match="'cases'"):
        res.cases  # noqa: B018
    cases_only = sim.run(make(base_data()), replications=2, tables="cases")
    assert len(cases_only.cases) and not cases_only.has("tasks")
    with pytest.raises(TablesNotKept, match="'tasks'"):
        cases_only.tasks  # noqa: B018
    # the summary does not depend on what was kept
    full = sim.run(make(base_data()), replications=2)
    assert res.summary.equals(full.summary) and cases_only.summary.equals(full.summary)


def _cells(html: str) -> list[list[str]]:
    rows = re.findall(r"<tr>(.*?)</tr>", html)
    return [re.findall(r"<t[dh]>(.*?)</t[dh]>", r) for r in rows]


def test_html_views_show_the_headline_numbers(make):
    """Jupyter shows a readable table: the headline metrics with their means and CIs."""
    # a day of work per case at load 0.8: a case takes about 5 days with one desk, 1.3 with two
    busy = {
        "items": {
            "job": {"steps": [{"name": "serve", "effort": {"dist": "exponential", "mean": 24.0}}]}
        },
        "case_types": {"c": {"arrivals": {"process": "poisson", "per_year": 292}}},
    }
    sc = make(base_data(**busy))
    res = sim.run(sc, replications=3)
    cells = _cells(res._repr_html_())
    assert cells[0] == ["case type", "metric", "mean", "95% CI", "unit"]
    lead = next(c for c in cells if c[:2] == ["all", "lead_wd_mean"])
    v = res.value("lead_wd_mean")
    assert lead[2] == f"{v['mean']:.2f}" and lead[3] == f"[{v['ci_low']:.2f}, {v['ci_high']:.2f}]"
    assert "3 replications" in res._repr_html_() and "seed" in res._repr_html_()

    alt = make(
        base_data(scenario={"name": "two desks"}, departments={"desk": {"staff": 2}}, **busy)
    )
    comp = compare(sc, alt, replications=3)
    cells = _cells(comp._repr_html_())
    assert cells[0][:5] == ["scenario", "metric", "baseline", "alternative", "delta"]
    row = next(c for c in cells if c[:2] == ["two desks", "lead_days_mean"])
    d = comp.delta("two desks", "lead_days_mean")
    assert row[4] == f"{d['delta']:.2f}" and float(row[4]) < 0


def test_provenance_is_one_record_for_every_kind(make):
    sc = make(base_data())
    res = sim.run(sc, replications=2, seed=11)
    p = res.provenance
    assert p["package"] == "approvalsim" and p["kind"] == "run" and p["seed"] == 11
    assert p["replications"] == 2 and p["version"] == sim.__version__
    assert res.provenance is p  # built once
    comp = compare(sc, make(base_data(scenario={"name": "u"})), replications=2, seed=11)
    cp = comp.provenance
    assert cp["kind"] == "comparison" and cp["baseline"]["scenario"] == "t"
    assert [a["scenario"] for a in cp["alternatives"]] == ["u"]
    assert cp["baseline"]["scenario_digest"] != cp["alternatives"][0]["scenario_digest"]
