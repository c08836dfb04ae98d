"""Each lever changes what its policy changes, and nothing else (issue 9.4).

On the Pukou baseline, every lever is applied alone and the scenario before and after is compared
field by field: departments, items, case types, problems, milestones. Each lever may touch only
the fields of its mechanism (the table below, which SOURCES.md section 9 explains); a lever that
also made reviews shorter, corrections rarer or requirements disappear would fail here.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.reforms import apply
from sim.scenario.schema import Scenario

HERE = Path(__file__).resolve().parents[2] / "scenarios" / "pukou"

# lever -> (parameters, allowed changes as "<part>.<field>", suffixes of the items it may add)
ALLOWED = {
    "colocation": (
        {"departments": ["housing", "planning"], "items": ["seismic"]},
        {"department.location", "department.transfer_days", "item.in_zone", "item.steps"},
        (),
    ),
    "agency": (
        {"agents": 4},
        {"department.new", "item.steps", "item.submitted_by", "item.correction"},
        (),
    ),
    "commitment": (
        {},
        {
            "item.steps",
            "item.correction",
            "item.commitment_eligible",
            "item.requires",
            "type.items",
        },
        ("__verify", "__rectify"),
    ),
    "regional_assessment": (
        {"shares": {"industrial": 0.7}, "project_specific": ["eia", "energy_review"]},
        {
            "item.when",
            "item.regional",
            "item.assessed_steps",
            "item.requires",
            "type.flags",
            "type.items",
            "type.assessed_share",
        },
        ("__area",),
    ),
    "completion_equals_title": (
        {"title_alongside": True},
        {
            "item.steps",
            "item.requires",
            "item.after",
            "item.correction",
            "item.time_limit_wd",
            "type.items",
        },
        ("joint_inspection", "__precheck"),
    ),
    "land_equals_start": (
        {"shares": {"industrial": 0.5}},
        {"item.when", "type.flags", "type.items", "type.requires", "milestones"},
        ("__pre", "__with_land", "__ready"),
    ),
    "coordination": ({"cap_days": 5}, {"problems.cap_days"}, ()),
}


def changes(old: Scenario, new: Scenario) -> tuple[set[str], set[str]]:
    """The fields that differ, as '<part>.<field>', and the ids of the items added."""
    out: set[str] = set()
    for d, dep in new.departments.items():
        if d not in old.departments:
            out.add("department.new")
            continue
        for f in type(dep).model_fields:
            if getattr(dep, f) != getattr(old.departments[d], f):
                out.add(f"department.{f}")
    for i, it in old.items.items():
        for f in type(it).model_fields:
            if getattr(it, f) != getattr(new.items[i], f):
                out.add(f"item.{f}")
    for c, ct in old.case_types.items():
        for f in type(ct).model_fields:
            if getattr(ct, f) != getattr(new.case_types[c], f):
                out.add(f"type.{f}")
    for f in type(old.problems).model_fields:
        if getattr(old.problems, f) != getattr(new.problems, f):
            out.add(f"problems.{f}")
    if old.scenario.milestones != new.scenario.milestones:
        out.add("milestones")
    for part in ("clock", "intervals", "targets", "stages", "experiment"):
        if getattr(old, part) != getattr(new, part):
            out.add(part)
    return out, set(new.items) - set(old.items)


@pytest.fixture(scope="module")
def baseline():
    return sim.load(HERE / "baseline.toml")


@pytest.mark.parametrize("lever", sorted(ALLOWED))
def test_a_lever_changes_only_the_fields_of_its_mechanism(baseline, lever):
    params, allowed, suffixes = ALLOWED[lever]
    new, account = apply(baseline, lever, params)
    changed, added = changes(baseline, new)
    assert changed, f"{lever} changed nothing"
    assert changed <= allowed, f"{lever} also changed {sorted(changed - allowed)}"
    assert all(a.endswith(suffixes) for a in added), sorted(added)
    assert len(account.changes_zh) == len(account.changes) and all(account.changes_zh)


def test_colocation_changes_steps_only_where_departments_consult_each_other(baseline):
    new, _ = apply(baseline, "colocation", departments=["planning", "urban"])
    for iid, it in baseline.items.items():
        for old, step in zip(it.steps, new.items[iid].steps, strict=True):
            if old != step:
                assert old.name == "consultation" and step.delay.mean == 1.0


def test_agency_moves_the_trips_to_the_agents(baseline):
    from sim.model import simulate

    new, _ = apply(baseline, "agency", agents=4)
    government = [i for i, it in baseline.items.items() if it.kind != "intermediary"]

    def trips(sc):
        v = simulate(sc, replication=0).visits
        v = v[v["item"].isin(government)]
        return v["trips"].sum(), v["agent_trips"].sum()

    (own0, agent0), (own1, agent1) = trips(baseline), trips(new)
    assert agent0 == 0 and own0 > 0
    # the government items' hand-ins are the agents' now (the applicant still meets its own
    # consultants); with fewer corrections, at most as many as the applicant made before
    assert own1 == 0 and 0 < agent1 <= own0


def test_agency_without_its_correction_assumption_leaves_corrections_alone(baseline):
    new, _ = apply(baseline, "agency", agents=4, correction_factor=1.0)
    for iid, it in baseline.items.items():
        if it.correction is not None:
            assert new.items[iid].correction.probability == it.correction.probability
