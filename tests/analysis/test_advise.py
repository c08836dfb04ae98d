"""Staffing advice: paired replications under common random numbers, with screening."""

from __future__ import annotations

import pytest

from sim.experiment.advise import (
    Candidate,
    advise,
    parse_move,
    parse_staff,
    staff_candidates,
)
from tests.conftest import base_data, build

PER_YEAR = 2000.0
PER_HOUR = PER_YEAR / 8760


def chain(load_b: float = 0.9):
    """Three one-person desks in series, open round the clock; desk b is the bottleneck."""

    def step(load: float) -> list[dict]:
        return [{"name": "s", "effort": {"dist": "exponential", "mean": load / PER_HOUR}}]

    data = base_data(scenario={"horizon_days": 200, "warmup_days": 20, "drain_days": 60})
    data["departments"] = {
        d: {"staff": 2 if d == "a" else 1, "office_hours": "always"} for d in "abc"
    }
    data["items"] = {
        "x": {"stage": 1, "department": "a", "steps": step(1.2)},
        "y": {"stage": 1, "department": "b", "requires": ["x"], "steps": step(load_b)},
        "z": {"stage": 1, "department": "c", "requires": ["y"], "steps": step(0.3)},
    }
    data["case_types"]["c"]["items"] = ["x", "y", "z"]
    data["case_types"]["c"]["arrivals"] = {"process": "poisson", "per_year": PER_YEAR}
    return build(data)


@pytest.mark.slow
def test_the_obvious_bottleneck_comes_first():
    sc = chain()
    adv = advise(sc, staff_candidates(sc, 1), seed=3, batch=3, max_replications=9)
    assert adv.best == "b +1"
    top = adv.table.iloc[0]
    assert top["gain_low"] > 0  # a real cut, not noise
    assert top["max_load"] == pytest.approx(0.6)  # desk a's, once b has two staff
    # the others were screened out before the last replication: clearly worse
    assert (adv.table["status"].iloc[1:].str.startswith("dropped")).all()
    assert adv.history[-1][1] == 1 and adv.replications < 9


def test_a_move_that_overloads_a_department_is_not_run():
    sc = chain()
    calls = []

    def evaluate(tasks):
        calls.extend(tasks)
        return [10.0 if s is sc else 9.0 for s, _, _ in tasks]

    bad = parse_move("a:b:1", sc)  # a keeps 1 staff at load 1.2
    good = Candidate("c +1", {"c": 1})
    adv = advise(sc, [bad, good], evaluate=evaluate, batch=2, max_replications=4)
    row = adv.table.set_index("candidate").loc["a -> b (1)"]
    assert row["status"] == "overloaded" and row["replications"] == 0
    assert row["max_load"] == pytest.approx(1.2)
    assert all(s is not bad.apply(sc) for s, _, _ in calls)
    assert adv.best == "c +1"
    assert adv.table.iloc[0]["gain_wd"] == pytest.approx(1.0)


def test_screening_stops_when_the_rest_cannot_beat_the_best_by_delta():
    sc = chain()

    def evaluate(tasks):  # "c +1" always 0.1 day better than "a +1": within delta
        return [
            10.0 if s is sc else (9.0 if s.departments["c"].staff == 2 else 9.1)
            for s, _, r in tasks
        ]

    cands = [Candidate("a +1", {"a": 1}), Candidate("c +1", {"c": 1})]
    adv = advise(sc, cands, evaluate=evaluate, batch=2, max_replications=10, delta=0.5)
    assert adv.replications == 2
    assert list(adv.table["candidate"]) == ["c +1", "a +1"]
    assert adv.table.iloc[1]["status"] == "dropped after 2"


def test_staff_candidates_cover_every_department_with_work_and_a_spread():
    sc = chain()
    names = [c.name for c in staff_candidates(sc, 1)]
    assert names == ["a +1", "b +1", "c +1"]
    spread = staff_candidates(sc, 3)[-1]
    assert spread.name.startswith("by load")
    assert sum(spread.change.values()) == 3 and spread.change["b"] >= 2


@pytest.mark.parametrize("text", ["0", "-1", "x", "+1001"])
def test_bad_staff_values(text):
    with pytest.raises(ValueError, match="--staff"):
        parse_staff(text)


@pytest.mark.parametrize(
    "text, message",
    [("a", "FROM:TO"), ("a:zz", "unknown department"), ("a:a", "differ"), ("b:a", "one stays")],
)
def test_bad_moves(text, message):
    with pytest.raises(ValueError, match=message):
        parse_move(text, chain())
