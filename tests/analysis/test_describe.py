"""The command line's "where the days go" lines choose a unit that fits the critical path."""

from __future__ import annotations

import re

import sim
from sim.analysis import critical
from tests.conftest import base_data, build


def _lines(effort_h: float, staff: int = 1) -> list[str]:
    data = base_data()
    data["items"]["job"]["steps"][0]["effort"] = {"dist": "exponential", "mean": effort_h}
    data["departments"]["desk"]["staff"] = staff
    result = sim.run(build(data), replications=2, seed=3, tables="none")
    return critical.describe(result)


def test_minute_scale_cases_are_told_in_minutes_not_zero_days():
    lines = _lines(0.05, staff=3)  # three-minute services, hardly a queue
    assert "minutes of working days per case" in lines[0]
    total = float(re.search(r"critical path, ([0-9.]+) minutes", lines[0]).group(1))
    assert total > 0
    assert " 0 (" not in lines[1]  # no figure printed as a bare zero


def test_hour_scale_cases_are_told_in_hours():
    lines = _lines(4.0, staff=3)
    assert "hours of working days per case" in lines[0]


def test_day_scale_cases_stay_in_working_days():
    lines = _lines(60.0, staff=1)  # 100 cases a year of 60 hours: days of queueing
    assert "working days per case" in lines[0] and "hours" not in lines[0]
