"""The load check from the traffic equations, against hand arithmetic.

Every expected value here is worked out by hand in the docstring or comment beside it (fractions,
not numbers the code produced).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.analysis.queueing import (
    allen_cunneen_wait,
    mg1_mean_wait,
    mmc_mean_wait,
    offered_load,
    overload_lines,
    overloaded,
    visits_per_case,
)
from tests.conftest import base_data, build


def one_hour(dist: str = "deterministic") -> list[dict]:
    effort = {"dist": dist, "value": 1.0} if dist == "deterministic" else {"dist": dist, "mean": 1}
    return [{"name": "serve", "effort": effort}]


def network(items: dict, departments: dict, per_year: float, case_items=None) -> dict:
    data = base_data()
    data["departments"] = departments
    data["items"] = items
    data["case_types"]["c"]["arrivals"] = {"process": "poisson", "per_year": per_year}
    data["case_types"]["c"]["items"] = list(case_items or items)
    return data


def two_departments(per_year: float = 4599, p_back: float = 0.5) -> dict:
    """The issue's example: two always-open desks of one staff, the second sends half back."""
    always = {"staff": 1, "office_hours": "always"}
    items = {
        "first": {"stage": 1, "department": "one", "steps": one_hour()},
        "second": {
            "stage": 1,
            "department": "two",
            "requires": ["first"],
            "steps": one_hour(),
            "rework": {"probability": p_back, "to": "first"},
        },
    }
    return network(items, {"one": dict(always), "two": dict(always)}, per_year)


def loads_of(sc) -> dict:
    return {ld.department: ld for ld in offered_load(sc)}


def test_rework_to_an_earlier_department_doubles_its_load():
    """4,599 cases a year x 2 expected passes x 1 hour / 8,760 open hours = 1.05."""
    sc = build(two_departments())
    assert visits_per_case(sc)["c"] == {"first": pytest.approx(2.0), "second": pytest.approx(2.0)}
    loads = loads_of(sc)
    assert loads["one"].load == pytest.approx(4599 * 2 / 8760)
    assert loads["one"].load == pytest.approx(1.05)
    assert loads["one"].staff_needed == 2
    lines = overload_lines(offered_load(sc))
    assert any("'one'" in line and "1.05" in line and "2 staff" in line for line in lines)


def test_a_loop_and_a_rework_solve_the_traffic_equations():
    """A -> B -> C; B loops to A (0.2); C reworks to B (0.3); B has corrections (0.4).

    By hand: v_C = 1 + 0.3 v_C = 10/7; v_B = 1 + 0.2 v_B + 0.3 v_C, so 0.8 v_B = 10/7 and
    v_B = 25/14; v_A = 1 + 0.2 v_B = 1 + 5/14 = 19/14. Work per case on the one desk (one hour a
    review, B reviewed 1/(1 - 0.4) = 5/3 times a visit): 19/14 + 25/14 * 5/3 + 10/7 = 121/21.
    """
    items = {
        "a": {"stage": 1, "department": "desk", "steps": one_hour()},
        "b": {
            "stage": 1,
            "department": "desk",
            "requires": ["a"],
            "steps": one_hour(),
            "next": [{"to": "a", "probability": 0.2}],
            "correction": {
                "probability": 0.4,
                "turnaround": {"dist": "deterministic", "value": 1, "unit": "hours"},
            },
        },
        "c": {
            "stage": 1,
            "department": "desk",
            "requires": ["b"],
            "steps": one_hour(),
            "rework": {"probability": 0.3, "to": "b"},
        },
    }
    sc = build(network(items, {"desk": {"staff": 1, "office_hours": "always"}}, 876))
    v = visits_per_case(sc)["c"]
    assert v["a"] == pytest.approx(19 / 14)
    assert v["b"] == pytest.approx(25 / 14)
    assert v["c"] == pytest.approx(10 / 7)
    desk = loads_of(sc)["desk"]
    assert desk.demand_hours == pytest.approx(876 * 121 / 21)
    assert desk.load == pytest.approx(876 * 121 / 21 / 8760)
    assert desk.tasks_per_year == pytest.approx(876 * 121 / 21)  # one hour each


def test_branching_and_feedback_match_the_jackson_traffic_equations():
    """n1 -> n2 (0.6) | n3 (0.4); n2 -> n1 (0.2); n3 -> n3 (0.3).

    Jackson: x1 = 1 + 0.2 x2, x2 = 0.6 x1, x3 = 0.4 x1 + 0.3 x3, so x1 = 1 / 0.88 = 25/22,
    x2 = 15/22, x3 = (0.4 * 25/22) / 0.7 = 100/154 = 50/77.
    """
    items = {
        "n1": {
            "stage": 1,
            "department": "desk",
            "steps": one_hour(),
            "next": [{"to": "n2", "probability": 0.6}, {"to": "n3", "probability": 0.4}],
        },
        "n2": {
            "stage": 1,
            "department": "desk",
            "requires": ["n1"],
            "steps": one_hour(),
            "next": [{"to": "n1", "probability": 0.2}],
        },
        "n3": {
            "stage": 1,
            "department": "desk",
            "requires": ["n1"],
            "steps": one_hour(),
            "next": [{"to": "n3", "probability": 0.3}],
        },
    }
    sc = build(network(items, {"desk": {"staff": 1, "office_hours": "always"}}, 100))
    v = visits_per_case(sc)["c"]
    assert v["n1"] == pytest.approx(25 / 22)
    assert v["n2"] == pytest.approx(15 / 22)
    assert v["n3"] == pytest.approx(50 / 77)


@settings(max_examples=40, deadline=None)
@given(p=st.floats(0.0, 0.95), via_rework=st.booleans())
def test_a_loop_is_geometric(p, via_rework):
    """A loop to itself (next) or a rework to the item before: 1 / (1 - p) visits of each."""
    if via_rework:
        data = base_data(
            items={
                "before": {"stage": 1, "department": "desk", "steps": one_hour()},
                "job": {"requires": ["before"], "rework": {"probability": p, "to": "before"}},
            },
            case_types={"c": {"items": ["before", "job"]}},
        )
    else:
        data = base_data(items={"job": {"next": [{"to": "job", "probability": p}]}})
    v = visits_per_case(build(data))["c"]
    assert all(x == pytest.approx(1 / (1 - p)) for x in v.values())


def test_corrections_repeat_only_the_steps_from_their_restart():
    """Intake (2 h) once, review (1 h) 1/(1 - 0.5) = 2 times: 4 hours a case."""
    steps = [
        {"name": "intake", "effort": {"dist": "deterministic", "value": 2}},
        {"name": "review", "effort": {"dist": "deterministic", "value": 1}},
    ]
    corr = {
        "probability": 0.5,
        "turnaround": {"dist": "deterministic", "value": 1, "unit": "hours"},
        "from_step": "review",
    }
    data = base_data(items={"job": {"steps": steps, "correction": corr}})
    desk = loads_of(build(data))["desk"]
    assert desk.demand_hours == pytest.approx(100 * 4)
    assert desk.tasks_per_year == pytest.approx(100 * 3)


def test_needed_share_flags_and_size_scale_the_work():
    """Needed by 40% of cases, only riverside ones (25%), size mean 3: 100 * 0.1 * 3 hours."""
    data = base_data(
        items={"job": {"probability": 0.4, "when": ["riverside"]}},
        case_types={
            "c": {
                "flags": {"riverside": 0.25},
                "size": {"dist": "deterministic", "value": 3},
            }
        },
    )
    desk = loads_of(build(data))["desk"]
    assert desk.demand_hours == pytest.approx(100 * 0.4 * 0.25 * 3)


def test_office_hours_count_the_scenario_calendar():
    """Open 8 hours a working day: the open hours are the calendar's, not a round 250 days."""
    data = base_data(departments={"desk": {"office_hours": "09:00-12:00,13:00-18:00"}})
    sc = build(data)
    desk = loads_of(sc)["desk"]
    assert 240 * 8 <= desk.open_hours <= 262 * 8
    assert desk.load == pytest.approx(100 / desk.open_hours)
    assert not desk.always_open
    assert desk.theory_wait_h() == ("", math.nan) or math.isnan(desk.theory_wait_h()[1])


def test_a_stable_scenario_has_no_overload():
    sc = build(two_departments(per_year=1000))
    assert overloaded(offered_load(sc)) == []
    assert overload_lines(offered_load(sc)) == []


def test_allen_cunneen_is_exact_where_theory_is():
    lam, mean = 0.7, 1.0
    # M/G/1 with cs^2 = 0.25: Pollaczek-Khinchine
    var = 0.25 * mean**2
    assert allen_cunneen_wait(lam, mean, 0.25, 1) == pytest.approx(mg1_mean_wait(lam, mean, var))
    # M/M/3: Erlang C
    assert allen_cunneen_wait(2.4, 1.0, 1.0, 3) == pytest.approx(mmc_mean_wait(2.4, 1.0, 3))
    assert math.isinf(allen_cunneen_wait(3.0, 1.0, 1.0, 3))


def test_theory_wait_of_an_exponential_desk_is_erlang_c():
    data = base_data(
        departments={"desk": {"staff": 2}},
        items={"job": {"steps": one_hour("exponential")}},
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": 8760}}},
    )
    name, wait = loads_of(build(data))["desk"].theory_wait_h()
    assert name == "Erlang C"
    assert wait == pytest.approx(mmc_mean_wait(1.0, 1.0, 2))


def test_theory_covers_first_tasks_and_jackson_networks_only():
    from tests.theory.test_networks import jackson_scenario

    jackson = {ld.department: ld for ld in offered_load(jackson_scenario(0.5, (0.8, 1.5, 1.8), 50))}
    # product form: node 1 is M/M/1 with lambda = 0.5 * 25/22 and mean 0.8
    lam = 0.5 * 25 / 22
    name, wait = jackson["d1"].theory_wait_h()
    assert name == "Erlang C"
    assert wait == pytest.approx(mmc_mean_wait(lam, 1 / 0.8, 1))
    # a tandem of deterministic desks: the first is M/D/1, the second is not Poisson-fed
    loads = loads_of(build(two_departments(per_year=3000, p_back=0.0)))
    name, wait = loads["one"].theory_wait_h()
    lam = 3000 / 8760
    assert name == "Pollaczek-Khinchine"
    assert wait == pytest.approx(mg1_mean_wait(lam, 1.0, 0.0))
    assert loads["two"].theory_wait_h()[0] == ""


def test_an_overloaded_scenario_is_refused_unless_allowed():
    from sim.experiment.stability import Unstable, at_horizon, check_stable

    sc = build(two_departments())
    with pytest.raises(Unstable) as err:
        check_stable([("issue.toml", sc)])
    assert "issue.toml: department 'one' is overloaded: load 1.05" in str(err.value)
    assert "--allow-unstable" in str(err.value)
    lines = check_stable([("", sc)], allow=True)
    assert len(lines) == 2
    assert check_stable([("", build(two_departments(per_year=1000)))]) == []
    assert at_horizon(sc).scenario.drain_days == 0
    assert sc.scenario.drain_days > 0  # the input is not touched


@pytest.mark.slow
def test_an_overloaded_run_reports_a_growing_backlog():
    """Load 1.05 on one desk: the backlog grows by about (1.05 - 1) * 8760 / 2 hours ~ 219 a year.

    Each case costs the desk two one-hour passes, so the excess of 0.05 * 8,760 hours a year is
    about 219 cases a year; the queue's growth is noisy (a random walk on top), so only its sign
    and order of magnitude are checked.
    """
    from sim.analysis.queueing import backlog
    from sim.experiment.stability import at_horizon
    from sim.model import simulate

    data = two_departments()
    data["scenario"]["horizon_days"] = 1500
    sc = at_horizon(build(data))
    traces = [simulate(sc, seed=1, replication=r, keep=()) for r in range(4)]
    import pandas as pd

    cases = pd.concat([tr.cases.assign(replication=r) for r, tr in enumerate(traces)])
    b = backlog(cases, traces[0].meta["warmup_h"], traces[0].meta["horizon_h"])
    assert 50 < b.growth_per_year < 600
    assert b.open_cases > 50
    assert "still growing" in b.line()
