"""The notebooks run from top to bottom and show their charts (stored without outputs).

Executing is not enough: a cell that draws a chart must leave an image among its outputs, or a
researcher opening the notebook sees nothing (as happened when a module chose the Agg backend on
import).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
DRAWS = re.compile(r"charts\.\w+(?:_chart|_heatmap)\(|\.plot\(")
IMAGES = ("image/png", "image/svg+xml")


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
    nbclient.NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    ).execute()
    drawing = [c for c in code if DRAWS.search(c.source)]
    assert drawing, f"{path.name} draws no chart"
    blank = [c.source.splitlines()[-1] for c in drawing if _images(c) == 0]
    assert not blank, f"cells that draw but show no image: {blank}"


def test_the_image_check_can_fail():
    cell = {"outputs": [{"output_type": "execute_result", "data": {"text/plain": "<Figure>"}}]}
    assert _images(cell) == 0
    cell["outputs"].append({"output_type": "display_data", "data": {"image/png": "iVBOR"}})
    assert _images(cell) == 1
    assert DRAWS.search("charts.stage_breakdown_chart(results)")
    assert not DRAWS.search("charts.targets_for(sc, 'clock_wd', 'en')")
