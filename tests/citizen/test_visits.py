"""Visits: their semantics on small deterministic halls, and the bundling theorem under CRN."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import sim
from sim.model.engine import Model
from sim.reforms import apply_all
from tests.citizen.hallkit import hall, window_item

HERE = Path(__file__).resolve().parents[2] / "scenarios" / "citizen"
SIX = {"dist": "deterministic", "value": 6, "unit": "minutes"}


def one_case(items, order, **kw):
    sc = hall(
        groups={"desk": {"departments": ["*"], "staff": 1}},
        items=items,
        case_types={"t": {"arrivals": {"process": "list", "days": [2.4]}, "items": order}},
        office_hours="08:30-12:00,13:30-17:00",
        at_close="serve",
        warmup_days=0,
        horizon_days=5,
        **kw,
    )
    return Model(sc, seed=1).run().cases.iloc[0]


def test_a_window_with_six_minute_services_serves_ten_an_hour():
    sc = hall(
        groups={"a": {"staff": 1}},
        items={"i": window_item("a", SIX)},
        case_types={"t": {"arrivals": {"process": "list", "days": [10.0] * 10}, "items": ["i"]}},
        warmup_days=0,
        horizon_days=11,
    )
    c = Model(sc, seed=1).run().cases
    assert np.allclose(np.sort(c["finish_h"].to_numpy()) - 240, np.arange(1, 11) / 10)


def test_three_items_on_one_day_are_one_visit():
    items = {x: window_item(x, SIX) for x in "abc"}
    c = one_case(items, ["a", "b", "c"])
    assert c["visits"] == 1 and c["present_steps"] == 3


def test_a_collection_after_a_back_office_delay_is_a_second_visit():
    items = {x: window_item(x, SIX) for x in "ab"}
    items["b"]["steps"].append(
        {"name": "back", "delay": {"dist": "deterministic", "value": 5, "unit": "working_days"}}
    )
    items["b"]["delivery"] = {"pickup_share": 1.0, "pickup": SIX}
    c = one_case(items, ["a", "b"])
    assert c["visits"] == 2 and c["present_steps"] == 3


def test_a_return_lag_in_minutes_is_the_same_lag_in_hours():
    """The lag before a collection visit, given as 150 minutes or as 2.5 hours, is one lag: the
    draw is rescaled to hours, so it must not be read as minutes again (it once was: 60 times
    too short)."""
    finishes = []
    for lag in ({"value": 150, "unit": "minutes"}, {"value": 2.5, "unit": "hours"}):
        items = {x: window_item(x, SIX) for x in "ab"}
        items["b"]["delivery"] = {"pickup_share": 1.0, "pickup": SIX}
        network = {"levels": ["district"], "return_lag": {"dist": "deterministic", **lag}}
        c = one_case(items, ["a", "b"], extra={"network": network})
        assert c["visits"] == 2
        finishes.append(c["finish_h"])
    assert finishes[0] == finishes[1]


def test_a_missing_document_costs_a_return_visit():
    items = {"a": window_item("a", SIX)}
    items["a"]["correction"] = {
        "probability": 1.0,
        "max_rounds": 1,
        "after_step": "intake",
        "turnaround": {"dist": "deterministic", "value": 2, "unit": "working_days"},
    }
    c = one_case(items, ["a"])
    assert c["visits"] == 2 and c["corrections"] == 1


def test_an_online_item_costs_no_visit():
    items = {"a": window_item("a", SIX, online_share=1.0)}
    c = one_case(items, ["a"])
    assert c["visits"] == 0 and c["online_items"] == 1 and c["finished"]


def _life_event_visits(sc):
    tr = Model(sc, seed=7).run()
    c = tr.cases
    types = [t for t, ct in sc.case_types.items() if "life_event" in ct.groups]
    c = c[c["case_type"].isin(types) & c["finished"]]
    return c.set_index(["case_type", "k"])["visits"]


@pytest.mark.slow
def test_bundling_never_raises_visits_case_by_case():
    # the theorem's conditions (citizen-design.md §5.5): no abandonment, no send_home,
    # turnarounds of a working day or more, results mailed, the same draws (CRN)
    def short(path):
        sc = sim.load(HERE / path)
        info = sc.scenario.model_copy(update={"horizon_days": 45, "drain_days": 90})
        sc = sc.model_copy(update={"scenario": info, "abandonment": None})
        return apply_all(sc)[0]

    base, bundled = short("baseline.toml"), short("one_visit.toml")
    # only the life events: the other case types are left out to keep the test short
    keep = {t: ct for t, ct in base.case_types.items() if "life_event" in ct.groups}
    base = base.model_copy(update={"case_types": keep})
    bundled = bundled.model_copy(update={"case_types": {t: bundled.case_types[t] for t in keep}})
    b, o = _life_event_visits(base), _life_event_visits(bundled)
    both = b.index.intersection(o.index)
    assert len(both) > 2000
    worse = (o[both] > b[both]).sum()
    assert worse == 0, f"{worse} cases need more visits bundled"
    assert o[both].mean() < b[both].mean()
