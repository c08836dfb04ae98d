"""The public API is the README's "From Python": every name it uses exists, files and scenarios
are both accepted, and every result type shows a table in Jupyter."""

from __future__ import annotations

import importlib.util
import re
import warnings
from pathlib import Path

import sim

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "tests" / "experiment" / "tiny.toml"


def test_every_name_of_the_readme_python_section_exists():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## From Python", 1)[1].split("\n## ", 1)[0]
    names = set(re.findall(r"\bsim\.([A-Za-z_]\w*)", section))
    assert {"run", "compare", "sweep", "brief", "check", "load"} <= names
    missing = [
        n
        for n in sorted(names)
        if not hasattr(sim, n) and importlib.util.find_spec(f"sim.{n}") is None
    ]
    assert missing == []
    assert set(sim.__all__) >= {"run", "compare", "sweep", "brief", "check", "RunResult"}


def test_a_file_and_a_scenario_give_the_same_run():
    from_file = sim.run(TINY, replications=2)
    from_scenario = sim.run(sim.load(TINY), replications=2)
    assert from_file.summary.equals(from_scenario.summary)
    assert sim.check(TINY).loads[0].department == "desk"


def test_extra_levers_from_python_are_merged_like_the_command_line():
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        res = sim.run(TINY, replications=2, reforms={"staffing": {"add": {"desk": 2}}})
    assert res.scenario.departments["desk"].staff == 4
    assert res.accounts and res.accounts[0].lever == "staffing"
    assert not [w for w in seen if issubclass(w.category, sim.Note)]  # a new lever: no note


def test_a_sweep_result_shows_its_points(tmp_path):
    f = tmp_path / "s.toml"
    f.write_text(
        f'[sweep]\nname = "api"\nbase = "{TINY.as_posix()}"\nreplications = 2\n'
        'metric = "lead_days_mean"\n[grid]\n"departments.desk.staff" = [1, 3]\n',
        encoding="utf-8",
    )
    result = sim.sweep(f, out=tmp_path / "sw")
    html = result._repr_html_()
    assert html.count("<tr>") == 1 + 2  # the head and one row per design point
    assert "departments.desk.staff=1" in html and "lead_days_mean" in html
    one = result.points[(result.points["metric"] == "lead_days_mean")]
    slow, fast = one.sort_values("label")["mean"].tolist()
    assert fast < slow  # three staff serve faster than one (common random numbers)
    assert "SweepResult(" in repr(result)
