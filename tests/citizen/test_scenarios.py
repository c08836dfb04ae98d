"""The citizen scenarios: they load, check, and carry the volume the design says (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

import sim
from sim.reforms import apply_all
from sim.scenario.load import ScenarioError

HERE = Path(__file__).resolve().parents[2] / "scenarios" / "citizen"
FILES = ["baseline.toml", "one_visit.toml", "one_visit_online.toml", "one_visit_equal_staff.toml"]


@pytest.mark.parametrize("name", FILES)
def test_every_citizen_scenario_loads_and_checks(name):
    sc = sim.load(HERE / name)
    applied, _ = apply_all(sc)
    assert applied.locations
    check = sim.check(HERE / name)
    assert not check.warnings  # no window group is overloaded


def test_yearly_volume_is_895000_items_within_2_percent():
    sc = sim.load(HERE / "baseline.toml")
    total = sum(
        ct.arrivals.per_year * sum(sc.items[i].probability for i in ct.items)
        for ct in sc.case_types.values()
    )
    assert abs(total / 895_000 - 1) < 0.02


def test_equal_staff_variant_keeps_the_district_headcount():
    base = sim.load(HERE / "baseline.toml")
    equal = sim.load(HERE / "one_visit_equal_staff.toml")

    def weekday_staff(sc):
        total = 0
        for g in sc.locations["district"].windows.values():
            if g.staff is not None:
                total += g.staff
            else:
                total += max(e.staff for e in g.roster if e.days == "workday")
        return total

    assert weekday_staff(base) == weekday_staff(equal) == 87


@pytest.mark.parametrize(
    ("patch", "where", "what"),
    [
        (
            {
                "locations": {
                    "district": {
                        "windows": {
                            "tax": {
                                "roster": [
                                    {"days": "workday", "hours": "08:30-12:00", "staff": 2},
                                    {"days": "workday", "hours": "11:00-13:00", "staff": 1},
                                ]
                            }
                        }
                    }
                }
            },
            "locations.district.windows.tax",
            "overlap",
        ),
        (
            {"case_types": {"newborn": {"level_shares": {"district": 0.5, "street": 0.4}}}},
            "case_types.newborn.level_shares",
            "add up to 0.9",
        ),
        ({"items": {"nb_hukou": {"levels": ["county"]}}}, "items.nb_hukou.levels[0]", "county"),
        (
            {"case_types": {"newborn": {"arrivals": {"profile": "nightly"}}}},
            "case_types.newborn.arrivals.profile",
            "nightly",
        ),
        (
            {
                "items": {
                    "nb_hukou": {
                        "steps": [
                            {
                                "name": "intake",
                                "present": True,
                                "effort": {"dist": "deterministic", "value": 5, "unit": "days"},
                            }
                        ]
                    }
                }
            },
            "items.nb_hukou.steps",
            "unit",
        ),
        ({"areas": {"jiangpu": {"share": 0.5}}}, "areas", "add up to"),
    ],
)
def test_bad_hall_keys_get_one_located_message(tmp_path, patch, where, what):
    import tomllib

    base = tomllib.loads((HERE / "baseline.toml").read_text(encoding="utf-8"))
    from sim.scenario.load import deep_merge

    data = deep_merge(base, patch)
    with pytest.raises(ScenarioError) as err:
        sim.from_dict(data)
    text = str(err.value)
    assert where in text and what in text
