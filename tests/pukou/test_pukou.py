"""The Pukou scenarios carry the report's figures, and reform_2023 reproduces its 30% cut.

The counts are the report's own (seed: 36 approval items, 6 public-service items, 102 steps,
4 stages, 8 departments and 40 items in the zone, four named items still outside); the
calibration check compares baseline and reform_2023 with the scenario's default experiment
(paired replications, common random numbers).
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.experiment.compare import compare
from sim.reforms import apply_all

HERE = Path(__file__).resolve().parents[2] / "scenarios" / "pukou"
OUTSIDE = {"land_dossier", "green_building_review", "sponge_city_review", "termite_control"}


def chain(sc):
    approval = [i for i, it in sc.items.items() if it.kind in ("approval", "assessment")]
    public = [i for i, it in sc.items.items() if it.kind == "public_service"]
    return approval, public


def in_zone(sc) -> set[str]:
    return {
        i
        for i, it in sc.items.items()
        if it.kind != "applicant"
        and (it.in_zone or sc.departments[it.department].location == "zone")
    }


@pytest.fixture(scope="module")
def baseline():
    return sim.load(HERE / "baseline.toml")


def test_the_full_chain_has_36_plus_6_items_and_102_steps_over_4_stages(baseline):
    approval, public = chain(baseline)
    assert len(approval) == 36 and len(public) == 6
    assert sum(len(baseline.items[i].steps) for i in approval + public) == 102
    assert {baseline.items[i].stage for i in approval + public} == {1, 2, 3, 4}
    assert len(baseline.case_types) == 3
    assert not in_zone(baseline)  # before 2023 there is no one-stop zone


def test_reform_2023_has_8_departments_and_40_items_in_the_zone(baseline):
    sc, _ = apply_all(sim.load(HERE / "reform_2023.toml"))
    # the items of the chain itself; the levers add derived ones (pre-reviews, verifications)
    sc = sc.model_copy(
        update={"items": {i: it for i, it in sc.items.items() if i in baseline.items}}
    )
    zone_deps = {d for d, dep in sc.departments.items() if dep.location == "zone"}
    assert zone_deps - {"agency_team"} == {
        "drc",
        "planning",
        "housing",
        "environment",
        "water",
        "cad",
        "urban",
        "approval_office",
    }
    assert len(in_zone(sc)) == 40
    assert OUTSIDE.isdisjoint(in_zone(sc))


def test_recommendations_bring_the_four_missing_items_into_the_zone():
    sc, _ = apply_all(sim.load(HERE / "recommendations.toml"))
    assert OUTSIDE <= in_zone(sc)


def test_every_single_lever_file_loads():
    files = sorted(HERE.glob("lever_*.toml"))
    assert len(files) == 11
    for f in files:
        sc = sim.load(f)
        assert len(sc.reforms) == 1


def test_reform_2023_cuts_mean_approval_time_by_about_30_percent(baseline):
    reform = sim.load(HERE / "reform_2023.toml")
    comp = compare(baseline, reform, jobs=2)
    row = comp.delta("pukou-reform-2023", "approval_wd_mean")
    print(
        f"reform_2023: {row['relative_delta']:+.1%} [{row['relative_ci_low']:+.1%}, "
        f"{row['relative_ci_high']:+.1%}] over {row['replications']} paired replications"
    )
    assert -0.45 <= row["relative_ci_low"] and row["relative_ci_high"] <= -0.25
