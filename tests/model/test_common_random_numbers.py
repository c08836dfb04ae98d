"""Common random numbers: a case's draws depend on its type, index, item, step, visit, round."""

from __future__ import annotations

import pandas as pd

from sim.model import simulate
from tests.conftest import base_data, build


def two_items(extra: bool):
    data = base_data(
        departments={"desk": {"staff": 2}, "other": {"staff": 1}},
        items={
            "job": {"correction": {"probability": 0.3}},
            "side": {
                "stage": 1,
                "department": "other",
                "steps": [{"name": "x", "effort": {"dist": "gamma", "mean": 3, "cv": 1}}],
            },
        },
        case_types={"c": {"items": ["job", "side"] if extra else ["job"]}},
    )
    return build(data)


def test_adding_an_unrelated_item_keeps_every_case_draw():
    a = simulate(two_items(False), seed=5).tasks
    b = simulate(two_items(True), seed=5).tasks
    a = a[a["item"] == "job"].set_index(["case", "visit", "round"])["effort_h"]
    b = b[b["item"] == "job"].set_index(["case", "visit", "round"])["effort_h"]
    pd.testing.assert_series_equal(a, b.reindex(a.index))


def test_replications_differ_and_repeat():
    sc = two_items(True)
    r0, r1, r0again = (simulate(sc, seed=5, replication=r).cases for r in (0, 1, 0))
    pd.testing.assert_frame_equal(r0, r0again)
    assert not r0["lead_wd"].equals(r1["lead_wd"])
