"""The citizen briefing (issue 15.6): the one-visit share and the hourly heatmap on page 1."""

from __future__ import annotations

import re

import pytest

import sim
from sim.report.brief import write_brief

pypdf = pytest.importorskip("pypdf")


def _short(name: str) -> sim.Scenario:
    """A bundled citizen scenario on a two-week window (the heatmap needs only some days)."""
    sc = sim.load(f"scenarios/citizen/{name}.toml")
    info = sc.scenario.model_copy(update={"horizon_days": 10, "warmup_days": 0, "drain_days": 30})
    return sc.model_copy(update={"scenario": info})


@pytest.fixture(scope="module")
def comparison():
    return sim.compare(_short("baseline"), _short("one_visit"), replications=2, jobs=1)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("lang", "share", "hour", "halls"),
    [
        ("en", "Life events done in one visit", "hour of day", "Jiangpu street hall"),
        ("zh", "一次办结的一件事比例", "时段（点）", "江浦街道便民服务中心"),
    ],
)
def test_page_one_has_the_one_visit_share_and_the_heatmap(
    comparison, tmp_path, lang, share, hour, halls
):
    pdf = write_brief(comparison, tmp_path, lang=lang, page_png=False)
    pages = [p.extract_text() for p in pypdf.PdfReader(pdf).pages]
    first = pages[0]
    assert share in first
    # the heatmap is a vector chart: its axis label and hall names are text on page 1
    assert hour in first and halls in first
    # the table's note counts cases, not projects
    assert re.search(r"per\s+case\s+over\s+the\s+cases" if lang == "en" else r"已办结办件", first)
    # the busiest window group is named by its hall and department, not by its ids
    assert not re.search(r"\b(district|jiangpu_hall)\.\w+", first)
    # the page-1 chart is not drawn again straight after it: page 2 is the full heatmap page
    assert hour in pages[1]
    if lang == "zh":
        assert all(re.search(r"[\u4e00-\u9fff]", p) for p in pages)


@pytest.mark.slow
def test_the_commands_keep_no_hall_tables_and_get_the_same_comparison(comparison):
    """compare and brief of hall years hold summaries only (a year is ~900,000 cases a
    replication); the paired table does not depend on what was kept."""
    import pandas as pd

    from sim import commands

    lean = commands.compare(_short("baseline"), _short("one_visit"), replications=2, jobs=1)
    assert all(r.keep == "none" for r in lean.results)
    pd.testing.assert_frame_equal(lean.table, comparison.table)
