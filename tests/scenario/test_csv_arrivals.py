"""Arrivals read from a CSV of dates become arrival times; a bad CSV is a located error."""

from __future__ import annotations

import pytest

import sim
from sim.model import simulate

SCENARIO = """
[scenario]
name = "csv"
start = 2025-03-03
horizon_days = 30

[departments.desk]
staff = 1
office_hours = "always"

[items.job]
stage = 1
department = "desk"
steps = [{{ name = "serve", effort = 2.0 }}]

[case_types.c]
arrivals = {{ process = "csv", file = "{file}", column = "{column}" }}
items = ["job"]
"""


def write(tmp_path, csv_text: str, column: str = "date"):
    (tmp_path / "arrivals.csv").write_text(csv_text, encoding="utf-8")
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.format(file="arrivals.csv", column=column), encoding="utf-8")
    return path


def test_csv_dates_become_arrivals(tmp_path):
    path = write(tmp_path, "date,project\n2025-03-05,A\n2025-03-04T12:00,B\n2025-04-30,late\n")
    sc = sim.load(path)
    assert sc.case_types["c"].arrivals.days == (1.5, 2.0, 58.0)
    cases = simulate(sc).cases
    assert list(cases["arrival_h"]) == [36.0, 48.0]  # the third is after the horizon


@pytest.mark.parametrize(
    ("text", "column", "fragment"),
    [
        ("when\n2025-03-05\n", "date", "has no column 'date' (valid: when)"),
        ("date\nsoon\n", "date", "line 2: 'soon' is not an ISO date"),
        ("date\n2025-01-01\n", "date", "before the scenario start"),
        ("date\n", "date", "lists no arrivals"),
    ],
)
def test_bad_csv_is_a_located_error(tmp_path, text, column, fragment):
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(write(tmp_path, text, column))
    assert "case_types.c.arrivals" in str(info.value) and fragment in str(info.value)


def test_missing_csv_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(SCENARIO.format(file="nowhere.csv", column="date"), encoding="utf-8")
    with pytest.raises(sim.ScenarioError) as info:
        sim.load(path)
    assert "case_types.c.arrivals.file" in str(info.value) and "nowhere.csv" in str(info.value)
