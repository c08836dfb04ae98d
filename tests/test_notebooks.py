"""The notebooks run from top to bottom, show their charts and say true things (stored without
outputs).

Executing is not enough: a cell that draws a chart must leave an image among its outputs, or a
researcher opening the notebook sees nothing (as happened when a module chose the Agg backend on
import). And the numbers a notebook shows must hold what nobody here chose: after the last cell,
a check cell (added in memory, never saved into the notebook) asserts invariants and theorems on
the notebook's own variables.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
DRAWS = re.compile(r"charts\.\w+(?:_chart|_heatmap)\(|\.plot\(")
IMAGES = ("image/png", "image/svg+xml")

# What each notebook's numbers must satisfy, run in its kernel after its last cell.
CHECKS = {
    # the summary is the mean over replications of the table shown; approval time is lead time
    # less the applicant's own spells, so never longer
    "01_quickstart": """
c = result.cases[result.cases["in_window"] & result.cases["lead_wd"].notna()]
per_rep = c.groupby("replication")["lead_wd"].mean()
row = result.summary.query("group == 'all' and metric == 'lead_wd_mean'").iloc[0]
assert abs(row["mean"] - per_rep.mean()) <= 1e-9 * per_rep.mean(), (row["mean"], per_rep.mean())
assert (c["approval_wd"] <= c["lead_wd"] + 1e-9).all()
u = result.departments["utilisation"]
assert ((u >= 0) & (u <= 1 + 1e-9)).all()
""",
    # a paired delta is the difference of the means and lies inside its own CI
    "02_reform_levers": """
t = comparison.table.dropna(subset=["delta", "delta_ci_low", "delta_ci_high"])
assert len(t) and ((t["delta"] - (t["alternative_mean"] - t["baseline_mean"])).abs() < 1e-9).all()
assert ((t["delta_ci_low"] <= t["delta"] + 1e-9) & (t["delta"] <= t["delta_ci_high"] + 1e-9)).all()
""",
    # the swing is the distance between the two ends, largest first
    "03_sensitivity": """
ends = (tornado["high"] - tornado["low"]).abs()
assert len(tornado) and ((tornado["swing"] - ends).abs() < 1e-9).all()
assert tornado["swing"].is_monotonic_decreasing
""",
    # the reform shortens approval time (the report: by more than 30%), even on a short window;
    # 'completion equals title' shortens completion to title
    "04_pukou": """
t = comparison.table.query("group == 'all' and metric == 'approval_wd_mean'")
assert (t["delta_ci_high"] < 0).all(), t
a = alone.table.query("group == 'all' and metric == @metric")
assert len(a) == 1 and a["delta"].iloc[0] < 0, a
""",
    # bundling never raises visits per life event (a theorem case by case under common numbers)
    "05_citizen": """
t = comp.table.query("metric == 'visits_mean' and group == 'group:life_event'")
assert len(t) == 1 and t["alternative_mean"].iloc[0] <= t["baseline_mean"].iloc[0], t
""",
}


def _images(cell) -> int:
    return sum(any(k in out.get("data", {}) for k in IMAGES) for out in cell.get("outputs", []))


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_and_shows_its_charts(path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(not c.get("outputs") for c in code), "store notebooks with outputs cleared"
    nb.cells.append(nbformat.v4.new_code_cell(CHECKS[path.stem]))
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    drawing = [c for c in code if DRAWS.search(c.source)]
    assert drawing, f"{path.name} draws no chart"
    blank = [c.source.splitlines()[-1] for c in drawing if _images(c) == 0]
    assert not blank, f"cells that draw but show no image: {blank}"


def test_every_notebook_has_its_checks():
    assert {p.stem for p in NOTEBOOKS} == set(CHECKS)


def test_the_image_check_can_fail():
    cell = {"outputs": [{"output_type": "execute_result", "data": {"text/plain": "<Figure>"}}]}
    assert _images(cell) == 0
    cell["outputs"].append({"output_type": "display_data", "data": {"image/png": "iVBOR"}})
    assert _images(cell) == 1
    assert DRAWS.search("charts.stage_breakdown_chart(results)")
    assert not DRAWS.search("charts.targets_for(sc, 'clock_wd', 'en')")
