"""Charts and the briefing: every chart has labelled axes; the PDF has its pages and its headline
numbers; the Chinese briefing is Chinese and misses no glyph."""

from __future__ import annotations

import os
import re
import warnings
from pathlib import Path

import matplotlib
import pytest

import sim
from sim.experiment.compare import compare
from sim.report import charts
from sim.report.brief import write_brief
from sim.report.fonts import cjk_font

matplotlib.use("Agg")
ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "default.toml"


@pytest.fixture(scope="module")
def comparison():
    over = {"scenario": {"horizon_days": 150, "warmup_days": 20, "drain_days": 500}}
    base = sim.load(DEFAULT, overrides=over)
    alt = sim.load(
        DEFAULT,
        overrides={
            **over,
            "scenario": {**over["scenario"], "name": "online"},
            "reforms": {"online": {}, "parallel_approval": {}},
        },
    )
    return compare(base, alt, replications=2)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_returns_a_labelled_figure(comparison, lang):
    if lang == "zh" and cjk_font() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install a CJK font (.ci/run installs fonts-wqy-microhei)")
        pytest.skip("no CJK font on this machine")
    base = comparison.baseline
    tornado = __import__("pandas").DataFrame(
        {
            "parameter": ["a", "b"],
            "low": [1.0, 3.0],
            "high": [2.0, 5.0],
            "base": [2.0, 2.0],
            "swing": [1.0, 2.0],
        }
    )
    figs = [
        charts.lead_time_chart(base, lang=lang, limits={"cap": 120}),
        charts.stage_breakdown_chart(base, lang=lang),
        charts.comparison_chart(comparison, lang=lang),
        charts.utilisation_heatmap(base, lang=lang),
        charts.swimlane_chart(base, lang=lang),
        charts.trips_chart([base, *comparison.alternatives], lang=lang),
        charts.tornado_chart(tornado, "approval_wd_mean", lang=lang),
    ]
    for fig in figs:
        main = fig.axes[0]
        assert main.get_xlabel() and main.get_title(), fig
        assert main.get_ylabel() or main.get_yticklabels()
        matplotlib.pyplot.close(fig)


def test_english_briefing_has_its_pages_and_headline(comparison, tmp_path):
    pypdf = pytest.importorskip("pypdf")
    pdf = write_brief(comparison, tmp_path, lang="en")
    reader = pypdf.PdfReader(pdf)
    assert len(reader.pages) == 1 + 6 + 2  # headline, six charts, assumptions, provenance
    first = reader.pages[0].extract_text()
    d = comparison.delta("online", "approval_wd_mean")
    for number in (d["baseline_mean"], d["alternative_mean"]):
        assert f"{number:.1f}" in first
    assert "online" in reader.pages[-2].extract_text()  # the lever accounts
    for png in ("lead", "compare", "stage", "util", "swim", "trips"):
        assert (tmp_path / f"{png}.png").stat().st_size > 0


def test_chinese_briefing_is_chinese_and_misses_no_glyph(comparison, tmp_path):
    if cjk_font() is None:
        if os.environ.get("CI"):
            pytest.fail("CI must install a CJK font (.ci/run installs fonts-wqy-microhei)")
        pytest.skip("no CJK font on this machine")
    pypdf = pytest.importorskip("pypdf")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        pdf = write_brief(comparison, tmp_path, lang="zh")
    text = pypdf.PdfReader(pdf).pages[0].extract_text()
    assert len(re.findall(r"[\u4e00-\u9fff]", text)) > 50
    assert "平均审批时长" in text
    d = comparison.delta("online", "approval_wd_mean")
    assert f"{d['baseline_mean']:.1f}" in text.replace("\n", "")
