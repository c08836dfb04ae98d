"""The Pukou reform, run: the report's cut, and each lever's defining property on the full chain.

Statistical and end-to-end, so marked ``slow``. Every comparison pairs replications under common
random numbers with the scenarios' default experiment (seed 20230920, 20 replications); the
properties of the levers hold for every case, so they are checked case by case.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import sim
from sim.experiment.compare import compare
from sim.model import simulate
from sim.reforms import apply_all

HERE = Path(__file__).resolve().parents[2] / "scenarios" / "pukou"
pytestmark = pytest.mark.slow

REFORM_INDICATORS = (
    "to_start_days",
    "land_to_start_days",
    "completion_to_title_wd",
    "one_trip_share",
    "overdue_share",
    "clock_wd_mean",
    "approval_wd_mean",
)


@pytest.fixture(scope="module")
def baseline():
    return sim.load(HERE / "baseline.toml")


def test_reform_2023_cuts_mean_approval_time_by_25_to_45_percent(baseline):
    """The report: 'more than 30%'. Nothing was tuned to it (SOURCES.md, calibration)."""
    reform = sim.load(HERE / "reform_2023.toml")
    comp = compare(baseline, reform, jobs=2)
    row = comp.delta("pukou-reform-2023", "approval_wd_mean")
    print(
        f"reform_2023: {row['relative_delta']:+.1%} [{row['relative_ci_low']:+.1%}, "
        f"{row['relative_ci_high']:+.1%}] over {row['replications']} paired replications"
    )
    assert -0.45 <= row["relative_ci_low"] and row["relative_ci_high"] <= -0.25


def test_regional_assessment_alone_brings_the_construction_start_forward(baseline):
    lever = sim.load(HERE / "lever_regional_assessment.toml")
    comp = compare(baseline, lever, jobs=2)
    row = comp.delta("pukou-lever-regional-assessment", "to_start_days")
    print(
        f"regional assessment, to start: {row['delta']:+.1f} days [{row['delta_ci_low']:+.1f}, "
        f"{row['delta_ci_high']:+.1f}]"
    )
    assert row["delta_ci_high"] < 0


@pytest.mark.parametrize("name", ["reform_2023", "recommendations", "lever_land_equals_start"])
def test_covered_projects_get_their_construction_permit_within_2_days_of_the_land(name):
    sc, _ = apply_all(sim.load(HERE / f"{name}.toml"))
    covered = 0
    for rep in range(4):
        cases = simulate(sc, replication=rep).cases
        mine = cases[cases["flag_land_start"] & cases["land_to_start_days"].notna()]
        covered += len(mine)
        assert (mine["land_to_start_days"] <= 2).all()
        # and the projects it does not cover still wait for their reviews after the land
        others = cases[~cases["flag_land_start"] & cases["land_to_start_days"].notna()]
        assert others["land_to_start_days"].median() > 30
    assert covered > 20


@pytest.mark.parametrize(
    "name", ["reform_2023", "recommendations", "lever_completion_equals_title"]
)
def test_no_title_is_issued_before_the_acceptance(name):
    sc, _ = apply_all(sim.load(HERE / f"{name}.toml"))
    titled = 0
    for rep in range(4):
        cases = simulate(sc, replication=rep).cases
        t = cases[cases["title_h"].notna()]
        titled += len(t)
        assert (t["title_h"] >= t["accepted_h"]).all()
        assert (t["title_h"] >= t["completion_h"]).all()
    assert titled > 50


def test_compare_json_carries_the_reform_indicators(tmp_path):
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "compare",
            str(HERE / "baseline.toml"),
            str(HERE / "reform_2023.toml"),
            "--format",
            "json",
            "-r",
            "2",
            "-j",
            "2",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    rows = json.loads(out.stdout)
    metrics = {r["metric"] for r in rows if r["group"] == "all"}
    assert set(REFORM_INDICATORS) <= metrics
    one_trip = next(r for r in rows if r["metric"] == "one_trip_share" and r["group"] == "all")
    assert one_trip["alternative_mean"] > one_trip["baseline_mean"]
