"""The Pukou scenarios carry the report's figures and the law's order of assessments and permits.

The counts are the report's own (seed: 36 approval items, 6 public-service items, 102 steps,
4 stages, 8 departments and 40 items in the zone, four named items still outside). The order is
the law's (``../shared/domain/ORDER-AND-2022.md`` section 1.3, sources in SOURCES.md): every
assessment precedes the items that need it, applies only to the projects that need it (a case
flag), and the consultant's report precedes it where a consultant writes one.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.reforms import apply_all
from sim.reforms.base import ancestors_of, predecessors

HERE = Path(__file__).resolve().parents[2] / "scenarios" / "pukou"
OUTSIDE = {"land_dossier", "green_building", "sponge_city", "termite"}
ZONE_DEPARTMENTS = {
    "approval_bureau",
    "drc",
    "planning",
    "housing",
    "water",
    "urban",
    "cad",
    "registration",
}
GOVERNMENT = ("approval", "assessment", "public_service")

# assessment -> the items it must precede in law (ORDER 1.3), for the case types that have both
LEGAL_ORDER = {
    "eia": ["construction_permit"],
    "energy_review": ["construction_permit", "feasibility"],
    "soil_water": ["construction_permit"],
    "flood_impact": ["construction_permit"],
    "seismic": ["design_scheme", "feasibility"],
    "geo_hazard": ["design_scheme", "feasibility"],
    "mineral_overlay": ["land_listing", "land_dossier", "site_prereview"],
    "archaeology": ["land_listing", "land_supply"],
    "traffic_impact": ["design_scheme"],
}
WRITTEN_BY_CONSULTANT = set(LEGAL_ORDER) - {"archaeology"}


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


@pytest.fixture(scope="module")
def reform():
    return sim.load(HERE / "reform_2023.toml")


def test_the_full_chain_has_36_plus_6_items_and_102_steps_over_4_stages(baseline, reform):
    for sc in (baseline, reform):
        approval, public = chain(sc)
        assert len(approval) == 36 and len(public) == 6
        assert sum(len(sc.items[i].steps) for i in approval + public) == 102
        assert len(sc.stages) == 4
        assert {sc.items[i].stage for i in approval + public} == {1, 2, 3, 4}
        assert len(sc.case_types) == 3
    # the reform changes how the chain is handled, not which items it has
    assert set(reform.items) == set(baseline.items)
    assert not in_zone(baseline)  # before the reform there is no one-stop zone


def test_every_item_of_the_chain_carries_its_promised_time_limit(baseline):
    approval, public = chain(baseline)
    missing = [i for i in approval + public if baseline.items[i].time_limit_wd is None]
    assert not missing


def test_reform_2023_has_8_departments_and_40_items_in_the_zone(baseline, reform):
    sc, _ = apply_all(reform)
    # the chain's own items; the levers add derived ones (pre-reviews, verifications, variants)
    sc = sc.model_copy(
        update={"items": {i: it for i, it in sc.items.items() if i in baseline.items}}
    )
    zone_deps = {d for d, dep in sc.departments.items() if dep.location == "zone"}
    assert zone_deps - {"agency_team"} == ZONE_DEPARTMENTS
    assert len(in_zone(sc)) == 40
    assert OUTSIDE.isdisjoint(in_zone(sc))


def test_recommendations_bring_the_four_missing_items_into_the_zone():
    sc, _ = apply_all(sim.load(HERE / "recommendations.toml"))
    assert OUTSIDE <= in_zone(sc)


def test_every_single_lever_file_loads_with_one_lever():
    files = sorted(HERE.glob("lever_*.toml"))
    assert len(files) == 12
    for f in files:
        sc = sim.load(f)
        assert len(sc.reforms) == 1
        assert f.stem.removeprefix("lever_") in sc.reforms


def test_no_assessment_is_a_dead_end(baseline):
    """Every assessment, in every case type that has it, has a government successor needing it."""
    for cid, ct in baseline.case_types.items():
        preds = predecessors(baseline, cid)
        listed = set(ct.items)
        for aid in (a for a in listed if baseline.items[a].kind == "assessment"):
            needing = {
                j
                for j in listed
                if aid in preds[j] and baseline.items[j].kind in ("approval", "public_service")
            }
            assert needing, f"{cid}: nothing needs {aid}"


def test_assessments_precede_what_the_law_says_and_follow_their_consultants(baseline):
    for cid, ct in baseline.case_types.items():
        preds = predecessors(baseline, cid)
        listed = set(ct.items)
        for aid, anchors in LEGAL_ORDER.items():
            if aid not in listed:
                continue
            for anchor in (a for a in anchors if a in listed):
                assert aid in ancestors_of([anchor], preds), f"{cid}: {aid} not before {anchor}"
            if aid in WRITTEN_BY_CONSULTANT:
                writers = [p for p in preds[aid] if baseline.items[p].kind == "intermediary"]
                assert writers, f"{cid}: {aid} has no consultant's report before it"


def test_assessments_apply_only_to_the_projects_that_need_them(baseline):
    for aid in LEGAL_ORDER:
        it = baseline.items[aid]
        assert it.when, f"{aid} applies to every project"
        for cid, ct in baseline.case_types.items():
            if aid in ct.items:
                shares = [ct.flags.get(f, 0.0) for f in it.when]
                assert all(s < 1 for s in shares), (cid, aid, shares)


def test_categories_differ_in_their_chains(baseline):
    ind = set(baseline.case_types["industrial"].items)
    gov = set(baseline.case_types["livelihood"].items)
    urban = set(baseline.case_types["urban_construction"].items)
    assert {"project_filing", "land_listing"} <= ind and not {"proposal", "feasibility"} & ind
    assert {"proposal", "feasibility", "prelim_design", "tender"} <= gov
    assert "project_filing" not in gov and "land_listing" not in gov
    assert "road_excavation" in urban and "first_registration" not in urban
    # government land comes after the feasibility approval, in their chains only
    assert "feasibility" in ancestors_of(["land_supply"], predecessors(baseline, "livelihood"))
    ind_preds = predecessors(baseline, "industrial")
    before_land = ancestors_of(["land_supply"], ind_preds)
    assert not {"energy_review", "seismic", "geo_hazard", "eia"} & before_land


def test_the_2022_rules_are_in_the_baseline(baseline):
    names = {it.name.zh for it in baseline.items.values()}
    # merged or abolished by 2022: no separate fire/civil-air-defence/lightning design review,
    # no construction-contract filing, no separate quality-and-safety registration
    assert not any("防雷" in n and "审查" in n and "联合" not in n for n in names)
    assert not any("合同备案" in n for n in names)
    assert not any("质量安全监督登记" in n for n in names)
    assert "含消防、人防、防雷" in baseline.items["drawing_review"].name.zh
    # utilities applied for after the construction permit, during construction
    for u in ("water_supply", "power_supply", "gas_supply", "drainage_connection"):
        assert baseline.items[u].requires == ("construction_permit",)
        assert "construction" not in baseline.items[u].after
    # some items online, not all
    approval, public = chain(baseline)
    online = [i for i in approval + public if baseline.items[i].submitted_online]
    assert 0.3 < len(online) / len(approval + public) < 0.7
