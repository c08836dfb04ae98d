"""Each lever on a small scenario whose arithmetic is known: the direction of its effect always,
its exact size where deterministic durations allow, its account, and its errors."""

from __future__ import annotations

import pytest

import sim
from sim.model import simulate
from sim.reforms import LEVERS, apply, apply_all
from tests.conftest import build

ONE = {"process": "list", "days": [1.0]}


def hours(h: float) -> dict:
    return {"dist": "deterministic", "value": h, "unit": "hours"}


def world(
    items: dict, departments: dict | None = None, case_items=None, arrivals=None, **extra
) -> sim.Scenario:
    data = {
        "scenario": {"name": "lever", "start": "2025-03-03", "horizon_days": 30, "drain_days": 400},
        "departments": departments or {"desk": {"staff": 5, "office_hours": "always"}},
        "items": items,
        "case_types": {"c": {"arrivals": arrivals or ONE, "items": case_items or list(items)}},
        **extra,
    }
    return build(data)


def item(h: float = 1.0, dep: str = "desk", stage: int = 1, **kw) -> dict:
    return {
        "stage": stage,
        "department": dep,
        "steps": [{"name": "review", "delay": hours(h)}],
        **kw,
    }


def lead_h(sc: sim.Scenario, seed: int = 1) -> float:
    c = simulate(sc, seed=seed).cases
    return float((c["finish_h"] - c["arrival_h"]).mean())


def run_lever(sc, name, **params):
    new, account = apply(sc, name, **params)
    return new, account, lead_h(new)


def test_every_lever_is_registered_with_its_report_name():
    assert set(LEVERS) == {
        "colocation",
        "intermediaries_in_zone",
        "parallel_approval",
        "commitment",
        "regional_assessment",
        "agency",
        "land_equals_start",
        "completion_equals_title",
        "data_sharing",
        "online",
        "coordination",
        "staffing",
        "one_visit",
        "time_limits",
    }
    for mod in LEVERS.values():
        assert mod.ZH and mod.SUMMARY


def test_parallel_approval_three_serial_five_day_items_take_five_days():
    items = {"a": item(120), "b": item(120, after=["a"]), "c": item(120, after=["b"])}
    sc = world(items)
    assert lead_h(sc) == pytest.approx(360)
    new, account, lead = run_lever(sc, "parallel_approval")
    assert lead == pytest.approx(120)
    assert "a->b" in str(account) and "b->c" in str(account)


def test_parallel_approval_keeps_hard_requirements():
    items = {"a": item(120), "b": item(120, requires=["a"])}
    _, _, lead = run_lever(world(items), "parallel_approval")
    assert lead == pytest.approx(240)


def test_parallel_approval_joint_intake_replaces_separate_intakes():
    def two_step(**kw):
        return {
            "stage": 2,
            "department": "desk",
            **kw,
            "steps": [{"name": "intake", "effort": 2.0}, {"name": "review", "effort": 4.0}],
        }

    sc = world({"a": two_step(), "b": two_step()})
    new, account, lead = run_lever(sc, "parallel_approval", intake_share=0.5)
    joint = new.items["joint_intake_stage2"]
    assert joint.steps[0].effort.mean == pytest.approx(2.0)  # half of 2 + 2
    assert [s.name for s in new.items["a"].steps] == ["review"]
    assert lead == pytest.approx(6.0) and lead_h(sc) == pytest.approx(6.0)
    assert "joint intake" in str(account)


@pytest.mark.parametrize("k", [2, 3, 4])
def test_colocating_k_office_departments_turns_k_trips_into_one(k):
    deps = {
        f"d{n}": {"staff": 1, "office_hours": "always", "location": "office", "transfer_days": 1}
        for n in range(k)
    }
    items = {f"x{n}": item(1, dep=f"d{n}") for n in range(k)}
    sc = world(items, departments=deps)
    before = simulate(sc).cases.iloc[0]
    new, account = apply(sc, "colocation", departments=list(deps))
    after = simulate(new).cases.iloc[0]
    assert before["trips"] == k and after["trips"] == 1
    assert after["lead_wd"] < before["lead_wd"]  # the transfers are gone too
    for d in deps:
        assert d in str(account)


def test_intermediaries_in_zone_shorten_by_the_factor_and_cost_no_trip():
    deps = {"inter": {"staff": 1, "office_hours": "always"}}
    sc = world({"survey": item(10, dep="inter", kind="intermediary")}, departments=deps)
    new, account, lead = run_lever(sc, "intermediaries_in_zone", factor=0.7)
    assert lead == pytest.approx(7.0)
    assert simulate(sc).cases.iloc[0]["trips"] == 1 and simulate(new).cases.iloc[0]["trips"] == 0
    assert "survey" in str(account)


def test_commitment_without_failures_issues_after_the_check():
    items = {
        "permit": {
            "stage": 3,
            "department": "desk",
            "commitment_eligible": True,
            "steps": [{"name": "review", "effort": 40.0}],
            "correction": {"probability": 1.0, "max_rounds": 1},
        },
        "next": item(1, stage=4, requires=["permit"]),
    }
    sc = world(items)
    new, account, lead = run_lever(sc, "commitment", p_fail=0.0, check_hours=2.0)
    check = simulate(new, seed=1).tasks
    check = float(check[check["item"] == "permit"]["effort_h"].iloc[0])
    assert lead == pytest.approx(check + 1.0)  # the check, then the next item; no correction
    assert lead_h(sc) > 40
    assert "permit" in str(account) and "承诺" in "".join(account.changes_zh)


def test_commitment_breach_costs_rectification_and_a_full_review_before_what_follows():
    items = {
        "permit": {
            "stage": 3,
            "department": "desk",
            "commitment_eligible": True,
            "steps": [{"name": "review", "effort": 40.0}],
        },
        "next": item(1, stage=4, requires=["permit"]),
    }
    new, _, lead = run_lever(
        world(items),
        "commitment",
        p_fail=1.0,
        verify_lag=hours(10),
        rectification=hours(30),
    )
    t = simulate(new, seed=1).tasks
    check = float(t[t["item"] == "permit"]["effort_h"].iloc[0])
    # the check, the lag until the breach is found, the applicant's rectification, the item's
    # full 40-hour review again, then the next item
    assert lead == pytest.approx(check + 10 + 30 + 40 + 1)


def assessment_world(share: float, when_critical: bool = True):
    """An assessment written by a consultant, before a permit; the land runs beside it."""
    deps = {"desk": {"staff": 5, "office_hours": "always"}, "consult": {"staff": 5}}
    deps["consult"]["office_hours"] = "always"
    items = {
        "filing": item(1),
        "writing": item(100, dep="consult", kind="intermediary", requires=["filing"]),
        "study": item(20, kind="assessment", requires=["writing"], regional=True),
        "land": item(200 if not when_critical else 10, requires=["filing"]),
        "permit": item(5, stage=3, requires=["study", "land"]),
    }
    return world(items, departments=deps), {"share": share}


def test_regional_assessment_removes_the_consultant_and_the_review_from_the_critical_path():
    sc, params = assessment_world(1.0)
    params["project_specific"] = []
    assert lead_h(sc) == pytest.approx(1 + 100 + 20 + 5)
    new, account = apply(sc, "regional_assessment", **params)
    lead = lead_h(new)
    filing = simulate(new, seed=1).tasks
    filing = float(filing[filing["item"] == "study__area"]["effort_h"].sum())
    assert lead == pytest.approx(1 + 10 + 5)  # the land is now the longest path
    assert filing > 0  # the assessment became a commitment filing, not nothing
    none, _ = apply(sc, "regional_assessment", share=0.0)
    assert lead_h(none) == pytest.approx(lead_h(sc))  # outside assessed areas nothing changes
    assert "study" in str(account) and "writing" in str(account)


def test_regional_assessment_off_the_critical_path_changes_no_lead_time():
    sc, params = assessment_world(1.0, when_critical=False)
    new, _ = apply(sc, "regional_assessment", **params)
    assert lead_h(new) == pytest.approx(lead_h(sc)) == pytest.approx(1 + 200 + 5)
    assert lead_h(sc) == pytest.approx(1 + 200 + 5)


def land_world(share: float):
    """Land listing (200 h) and contract (1 h), then design, its review and the permit."""
    items = {
        "filing": item(1),
        "listing": item(200, requires=["filing"]),
        "land": item(1, requires=["listing"]),
        "design": {
            "kind": "applicant",
            "requires": ["filing"],
            "after": ["land"],
            "steps": [{"name": "d", "delay": hours(50)}],
        },
        "review": item(30, stage=2, requires=["design", "land"]),
        "assessment": item(20, kind="assessment", requires=["filing"]),
        "permit": {
            "stage": 3,
            "department": "desk",
            "requires": ["review", "land", "assessment"],
            "tags": ["permit"],
            "steps": [{"name": "review", "delay": hours(8)}, {"name": "issue", "delay": hours(16)}],
        },
        "works": {
            "kind": "applicant",
            "requires": ["permit"],
            "steps": [{"name": "b", "delay": hours(100)}],
        },
    }
    data = world(items).model_dump(by_alias=True, mode="json")
    data["scenario"]["milestones"] = {"land": "land", "start": "permit"}
    data["intervals"] = {
        "land_to_start": {"from": "land", "to": "start", "unit": "calendar_days"},
        "to_start": {"from": "arrival", "to": "start", "unit": "calendar_days"},
    }
    data["reforms"] = {
        "land_equals_start": {"shares": {"c": share}, "land_item": "land", "start_item": "permit"}
    }
    return sim.from_dict(data)


def test_land_equals_start_issues_the_permit_with_the_land_for_the_covered_projects():
    sc = land_world(1.0)
    base = simulate(sc.model_copy(update={"reforms": {}})).cases.iloc[0]
    assert base["land_to_start"] * 24 == pytest.approx(50 + 30 + 8 + 16)
    new, accounts = apply_all(sc)
    case = simulate(new).cases.iloc[0]
    assert bool(case["flag_land_start"])
    assert case["land_to_start"] <= 2  # the defining property: permit with the land contract
    # design and reviews ran during the listing (1+50+30+8 < 1+200); the contract (1 h) waited
    # for the listing only, and the permit was issued 2 h after it
    assert case["to_start"] * 24 == pytest.approx(1 + 200 + 1 + 2)
    assert case["to_start"] < base["to_start"]
    assert "permit" in str(accounts[0])


def test_land_equals_start_leaves_projects_it_does_not_cover_as_they_were():
    sc = land_world(0.0)
    base = simulate(sc.model_copy(update={"reforms": {}})).cases
    new, _ = apply_all(sc)
    after = simulate(new).cases
    assert not after["flag_land_start"].any()
    assert after["lead_days"].tolist() == pytest.approx(base["lead_days"].tolist())
    assert after["land_to_start"].tolist() == pytest.approx(base["land_to_start"].tolist())


def chain_of_acceptances(title_h: float = 6):
    return {
        "building": {"kind": "applicant", "steps": [{"name": "build", "delay": hours(10)}]},
        "planning_check": item(5, stage=4, requires=["building"], tags=["joint_acceptance"]),
        "fire_check": item(
            8, stage=4, after=["planning_check"], requires=["building"], tags=["joint_acceptance"]
        ),
        "filing": item(
            3, stage=4, requires=["planning_check", "fire_check"], tags=["joint_acceptance"]
        ),
        "title": item(title_h, stage=4, requires=["filing"], tags=["title"]),
    }


def title_world(**params):
    data = world(chain_of_acceptances()).model_dump(by_alias=True, mode="json")
    data["scenario"]["milestones"] = {"accepted": "filing", "title": "title"}
    data["reforms"] = {"completion_equals_title": {"precheck_after": "building", **params}}
    return sim.from_dict(data)


def test_completion_equals_title_runs_the_acceptances_at_once_and_never_titles_before_them():
    sc = title_world()
    assert lead_h(sc.model_copy(update={"reforms": {}})) == pytest.approx(10 + 5 + 8 + 3 + 6)
    new, accounts = apply_all(sc)
    cases = simulate(new).cases
    # acceptances at once (the longest, 8 h), the filing (3 h), then the pre-checked title issued
    arrival = cases["arrival_h"].iloc[0]
    assert (cases["title_h"] >= cases["accepted_h"]).all()
    assert cases["title_h"].iloc[0] - cases["accepted_h"].iloc[0] < 2  # issued at acceptance
    assert cases["accepted_h"].iloc[0] - arrival == pytest.approx(10 + 8 + 3)
    weak, _ = apply_all(title_world(title_alongside=False))
    w = simulate(weak).cases.iloc[0]
    assert w["title_h"] - arrival == pytest.approx(10 + 8 + 3 + 6)  # 竣工即交付: title in full
    assert "title" in str(accounts[0])


def test_completion_equals_title_merges_site_inspections():
    def acc(h, **kw):
        return {
            "stage": 4,
            "department": "desk",
            "tags": ["joint_acceptance"],
            **kw,
            "steps": [
                {"name": "site inspection", "delay": hours(h)},
                {"name": "sign", "delay": hours(1)},
            ],
        }

    sc = world({"p": acc(4), "f": acc(9, after=["p"])})
    new, account, lead = run_lever(sc, "completion_equals_title", precheck_after="p")
    assert lead == pytest.approx(9 + 1) and lead_h(sc) == pytest.approx(15)
    assert "joint_inspection" in new.items


def test_data_sharing_halves_intake_and_corrections():
    items = {
        "a": {
            "stage": 1,
            "department": "desk",
            "steps": [{"name": "intake", "effort": 4.0}, {"name": "review", "effort": 1.0}],
            "correction": {"probability": 0.6},
        }
    }
    sc = world(items, arrivals={"process": "poisson", "per_year": 2000})
    new, account = apply(sc, "data_sharing")
    assert new.items["a"].steps[0].effort.mean == pytest.approx(2.0)
    assert new.items["a"].correction.probability == pytest.approx(0.3)
    before, after = simulate(sc, seed=3).cases, simulate(new, seed=3).cases
    assert after["corrections"].sum() < before["corrections"].sum()
    # common random numbers: every correction after the reform was a correction before
    assert (after["corrections"] <= before["corrections"]).all()


def test_online_removes_trips_and_transfers():
    deps = {"desk": {"staff": 1, "office_hours": "always", "transfer_days": 2}}
    sc = world(
        {"a": item(1, online=True), "b": item(1, requires=["a"], online=True)}, departments=deps
    )
    new, account, lead = run_lever(sc, "online")
    assert simulate(new).cases.iloc[0]["trips"] == 0
    assert lead == pytest.approx(2.0) and lead_h(sc) > 2.0


def test_coordination_caps_the_stall():
    sc = world(
        {"a": item(1)},
        problems={
            "probability": {"1": 1.0},
            "stall": {"dist": "deterministic", "value": 20, "unit": "calendar_days"},
        },
    )
    assert lead_h(sc) == pytest.approx(20 * 24 + 1)
    new, account, lead = run_lever(sc, "coordination", cap_days=5)
    assert lead < 20 * 24 and lead >= 5 * 24
    assert simulate(new).cases.iloc[0]["problems"] == 1


def test_agency_team_is_a_resource_that_can_queue():
    items = {
        "a": {
            "stage": 1,
            "department": "desk",
            "steps": [{"name": "r", "effort": 1.0}],
            "correction": {
                "probability": 0.5,
                "turnaround": {"dist": "deterministic", "value": 10, "unit": "hours"},
            },
        }
    }
    sc = world(
        items,
        departments={"desk": {"staff": 50, "office_hours": "always"}},
        arrivals={"process": "poisson", "per_year": 6000},
    )
    small, account = apply(sc, "agency", agents=1, hours_per_submission=1.2)
    large, _ = apply(sc, "agency", agents=10, hours_per_submission=1.2)
    t_small, t_large = simulate(small, seed=2), simulate(large, seed=2)
    wait = {
        n: t.tasks[t.tasks["department"] == "agency_team"]["wait_h"].mean()
        for n, t in (("small", t_small), ("large", t_large))
    }
    assert wait["small"] > 10 * wait["large"]
    assert t_large.cases["corrections"].mean() < simulate(sc, seed=2).cases["corrections"].mean()
    assert "agency team of 1" in str(account)


def test_staffing_add_and_move():
    deps = {"a": {"staff": 2, "office_hours": "always"}, "b": {"staff": 1}}
    sc = world({"x": item(1, dep="a")}, departments=deps)
    new, account = apply(sc, "staffing", add={"a": 1}, move=[{"from": "a", "to": "b"}])
    assert new.departments["a"].staff == 2 and new.departments["b"].staff == 2
    assert "b: 1 -> 2" in str(account)


@pytest.mark.parametrize(
    ("lever", "params", "fragment"),
    [
        (
            "colocation",
            {"departments": ["nope"]},
            "reforms.colocation.departments: unknown department 'nope'",
        ),
        ("staffing", {"add": {"desk": -5}}, "left with 0 staff"),
        ("data_sharing", {"intake_factor": 3}, "reforms.data_sharing.intake_factor"),
        # issue 12.8: the valid keys are the lever's, not the scenario's top-level keys
        ("online", {"colour": 1}, "reforms.online.colour: unknown key (valid: items)"),
        ("teleport", {}, "reforms.teleport: unknown lever (valid: colocation"),
    ],
)
def test_bad_lever_parameters_are_clean_scenario_errors(lever, params, fragment):
    data = world({"a": item(1)}).model_dump(by_alias=True, mode="json")
    data["reforms"] = {lever: params}
    with pytest.raises(sim.ScenarioError) as info:
        sim.from_dict(data, source="s.toml")
    assert fragment in str(info.value)


def test_levers_compose_in_file_order_and_record_lineage():
    data = world({"a": item(120), "b": item(120, after=["a"])}).model_dump(
        by_alias=True, mode="json"
    )
    data["reforms"] = {"parallel_approval": {}, "staffing": {"add": {"desk": 1}}}
    sc = sim.from_dict(data)
    new, accounts = apply_all(sc)
    assert new.applied == ("parallel_approval", "staffing")
    assert [a.lever for a in accounts] == ["parallel_approval", "staffing"]
    assert not new.reforms
    assert sc.items["b"].after == ("a",)  # the original is untouched
