"""Corrections, rework, trips, transfers and priority: exact counts on deterministic cases."""

from __future__ import annotations

import pytest

from sim.model import simulate
from tests.conftest import base_data, build

ONE_CASE = {"c": {"arrivals": {"process": "list", "days": [1.0]}}}


def chain(**item_over):
    items = {
        "a": {"stage": 1, "department": "desk", "steps": [{"name": "review", "effort": 2.0}]},
        "b": {
            "stage": 2,
            "department": "desk",
            "requires": ["a"],
            "steps": [{"name": "intake", "effort": 1.0}, {"name": "review", "effort": 3.0}],
        },
    }
    for k, v in item_over.items():
        items[k] = {**items[k], **v}
    return items


def one_case(items, departments=None, case_items=None, **scenario):
    data = base_data(departments=departments or {"desk": {"staff": 5}}, case_types=ONE_CASE)
    data["items"] = items
    data["case_types"]["c"]["items"] = case_items or list(items)
    return simulate(build(data))


def test_certain_correction_repeats_review_max_rounds_times():
    tr = one_case(
        chain(
            b={
                "correction": {
                    "probability": 1.0,
                    "max_rounds": 2,
                    "turnaround": {"dist": "deterministic", "value": 5, "unit": "hours"},
                    "from_step": "review",
                }
            }
        )
    )
    c = tr.cases.iloc[0]
    assert c["corrections"] == 2
    b = tr.tasks[tr.tasks["item"] == "b"]
    assert list(b["step"]) == ["intake", "review", "review", "review"]
    assert list(b["round"]) == [0, 0, 1, 2]
    assert list(b["visit"]) == [0, 0, 0, 0]
    # 2 (a) + 1 + 3 (b) + 2 x (5 turnaround + 3 review) = 22 hours
    assert c["finish_h"] - c["arrival_h"] == pytest.approx(22.0)


def test_certain_rework_redoes_the_target_and_everything_between():
    items = chain(b={"rework": {"probability": 1.0, "to": "a", "max_rounds": 1}})
    items["m"] = {
        "stage": 1,
        "department": "desk",
        "requires": ["a"],
        "steps": [{"name": "check", "effort": 1.0}],
    }
    items["b"]["requires"] = ["m"]
    tr = one_case(items)
    counts = tr.tasks.groupby("item", observed=True).size().to_dict()
    assert counts == {"a": 2, "b": 4, "m": 2}
    assert tr.cases.iloc[0]["reworks"] == 1
    # a, m, b twice in series: 2 * (2 + 1 + 4) = 14 hours
    c = tr.cases.iloc[0]
    assert c["finish_h"] - c["arrival_h"] == pytest.approx(14.0)


@pytest.mark.parametrize(("location", "trips"), [("office", 3), ("zone", 1)])
def test_same_day_zone_submissions_share_one_trip(location, trips):
    items = {
        f"x{k}": {"stage": 1, "department": f"d{k}", "steps": [{"name": "r", "effort": 1.0}]}
        for k in range(3)
    }
    deps = {f"d{k}": {"staff": 1, "location": location} for k in range(3)}
    data = base_data(case_types=ONE_CASE)
    data["departments"], data["items"] = deps, items
    data["case_types"]["c"]["items"] = list(items)
    assert simulate(build(data)).cases.iloc[0]["trips"] == trips


def test_online_submissions_cost_no_trip_and_no_transfer():
    deps = {"desk": {"staff": 1, "location": "office", "transfer_days": 3}}
    paper = one_case(chain(), departments=deps).cases.iloc[0]
    online = one_case(
        chain(a={"submitted_online": True}, b={"submitted_online": True}), departments=deps
    ).cases.iloc[0]
    assert paper["trips"] == 2 and online["trips"] == 0
    assert paper["lead_wd"] > online["lead_wd"] + 5.9  # two 3-working-day transfers


def test_priority_serves_the_green_channel_first():
    data = base_data(
        departments={"desk": {"staff": 1}},
        items={"job": {"steps": [{"name": "serve", "effort": 10.0}]}},
        case_types={"c": {"arrivals": {"process": "list", "days": [0.0, 0.1, 0.2]}}},
    )
    data["case_types"]["vip"] = {
        "arrivals": {"process": "list", "days": [0.3]},
        "items": ["job"],
        "priority": 5,
    }
    cases = simulate(build(data)).cases.set_index(["case_type", "k"])
    # the vip arrived last but is served second, right after the case already in hand
    assert cases.loc[("vip", 0), "finish_h"] == pytest.approx(20.0)
    assert cases.loc[("c", 2), "finish_h"] == pytest.approx(40.0)


def test_applicant_time_is_not_approval_time():
    items = chain()
    items["build"] = {
        "kind": "applicant",
        "requires": ["a"],
        "steps": [
            {
                "name": "build",
                "delay": {"dist": "deterministic", "value": 10, "unit": "working_days"},
            }
        ],
    }
    items["b"]["requires"] = ["build"]
    c = one_case(items).cases.iloc[0]
    assert c["lead_wd"] - c["approval_wd"] == pytest.approx(10.0)


def test_statutory_clock_stops_for_expert_review_corrections_and_intermediaries():
    def step(name, v, clock=True):
        return {
            "name": name,
            "delay": {"dist": "deterministic", "value": v, "unit": "working_days"},
            "clock": clock,
        }

    items = {
        "study": {
            "stage": 1,
            "department": "desk",
            "kind": "intermediary",
            "steps": [step("write", 3)],
        },
        "permit": {
            "stage": 1,
            "department": "desk",
            "requires": ["study"],
            "steps": [step("review", 1), step("expert panel", 2, clock=False), step("issue", 1)],
            "correction": {
                "probability": 1.0,
                "max_rounds": 1,
                "from_step": "issue",
                "turnaround": {"dist": "deterministic", "value": 5, "unit": "working_days"},
            },
        },
    }
    c = one_case(items).cases.iloc[0]
    # approval: 3 (study) + 1 + 2 + 1 + 5 (correction) + 1 (issue again) = 13 working days;
    # on the clock: review 1 + issue 1 + issue again 1 = 3
    assert c["approval_wd"] == pytest.approx(13.0)
    assert c["clock_wd"] == pytest.approx(3.0)
