"""Charts and the briefing: content, not just running.

The charts: labelled, every text at least 8 pt at the size they print, every glyph in the font,
the stage chart's whiskers centred on its bars, targets only on the statutory clock and their
labels apart. The briefing: page 1 carries the comparison's numbers, each chart has its own
page, the lever accounts are there in full, the Chinese PDF is Chinese on every page (no English
sentence outside names, units and provenance) and the English one misses no glyph.
"""

from __future__ import annotations

import json
import re
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from fontTools.ttLib import TTCollection
from matplotlib.container import ErrorbarContainer
from matplotlib.text import Text

import sim
from sim.analysis.summary import t_interval
from sim.experiment.compare import compare
from sim.reforms import apply_all
from sim.report import charts, fonts
from sim.report.accounts import render_account, untranslated
from sim.report.brief import briefing_data, check_language, write_brief
from sim.report.style import MIN_PT, PAGE_WIDTH_IN

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "default.toml"
SCENARIOS = sorted(p for p in (ROOT / "scenarios").rglob("*.toml") if "sweeps" not in p.parts)


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
    return compare(base, alt, replications=3)


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip()]


def _font_chars() -> set[int]:
    path, family = fonts.cjk_font_file()
    for font in TTCollection(str(path)).fonts if path.suffix == ".ttc" else []:
        if family in str(font["name"].getDebugName(1)):
            return set(font.getBestCmap())
    raise AssertionError(f"{family} not in {path}")


# --------------------------------------------------------------------------- fonts


def test_the_cjk_font_comes_from_the_installed_package():
    path, family = fonts.cjk_font_file()
    assert path.parent.name == fonts.PACKAGE and family == "Noto Sans CJK SC"
    assert fonts.cjk_font() == "Noto Sans CJK SC"
    assert fonts.font_dirs() == [path.parent]
    cmap = _font_chars()
    assert all(ord(c) in cmap for c in "审批时长工作日竣工即交付Approval time 0123456789%−")


def test_without_a_cjk_font_chinese_fails_with_a_clear_message(monkeypatch, tmp_path):
    monkeypatch.setattr(fonts, "cjk_font_file", lambda: None)
    fonts.cjk_font.cache_clear()
    try:
        with pytest.raises(fonts.FontMissing, match="noto-cjk-sans-otc"):
            fonts.require_cjk_font()
        with pytest.raises(fonts.FontMissing):
            with charts.style("zh"):
                pass
    finally:
        fonts.cjk_font.cache_clear()


# --------------------------------------------------------------------------- charts


def _all_charts(comparison, lang):
    base = comparison.baseline
    results = [base, *comparison.alternatives]
    tornado = pd.DataFrame(
        {
            "parameter": ["a", "b"],
            "low": [1.0, 3.0],
            "high": [2.0, 5.0],
            "base": [2.0, 2.0],
            "swing": [1.0, 2.0],
        }
    )
    return {
        "lead": charts.lead_time_chart(base, lang=lang, limits={"cap": 120}),
        "distribution": charts.distribution_chart(results, "clock_wd", lang, [("t", 30)]),
        "stage": charts.stage_breakdown_chart(results, lang=lang),
        "compare": charts.comparison_chart(comparison, lang=lang),
        "util": charts.utilisation_heatmap(base, lang=lang),
        "swim": charts.swimlane_chart(base, lang=lang),
        "trips": charts.trips_chart(results, lang=lang),
        "tornado": charts.tornado_chart(tornado, "approval_wd_mean", lang=lang),
    }


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_chart_is_labelled_legible_at_print_size_and_has_every_glyph(comparison, lang):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        figs = _all_charts(comparison, lang)
        for name, fig in figs.items():
            main = fig.axes[0]
            assert any(ax.get_xlabel() for ax in fig.axes), name
            assert main.get_title(loc="left") or fig.legends, name
            assert fig.get_figwidth() <= PAGE_WIDTH_IN + 1e-9, name  # printed at 100% or less
            fig.canvas.draw()  # renders every glyph: a missing one warns, and fails here
            small = [
                (t.get_text(), t.get_fontsize()) for t in _texts(fig) if t.get_fontsize() < MIN_PT
            ]
            assert not small, (name, small)
    if lang == "zh":
        for name, fig in figs.items():
            words = " ".join(t.get_text() for t in _texts(fig))
            assert re.search(r"[\u4e00-\u9fff]", words), name
            assert not check_language(words, "zh"), (name, words)


def test_target_labels_do_not_overlap_even_when_targets_are_close(comparison):
    results = [comparison.baseline, *comparison.alternatives]
    targets = [("National target", 34), ("Jiangsu target", 35), ("District pledge", 36)]
    fig = charts.distribution_chart(results, "clock_wd", "en", targets)
    renderer = fig.canvas.get_renderer()
    labels = [t for t in _texts(fig) if "target" in t.get_text() or "pledge" in t.get_text()]
    assert len(labels) == 3
    boxes = [t.get_window_extent(renderer) for t in labels]
    for i in range(3):
        for j in range(i + 1, 3):
            assert not boxes[i].overlaps(boxes[j]), (labels[i].get_text(), labels[j].get_text())
    # and each label stands at its own line's value
    for (_, value), label in zip(sorted(targets, key=lambda t: t[1]), labels, strict=True):
        assert label.get_position()[0] == value


def test_stage_whiskers_are_the_ci_of_replication_totals_centred_on_the_bars(comparison):
    base = comparison.baseline
    mean, totals = charts.stage_composition(base)
    # the CI is Student's t over the replications' own totals, recomputed here from scratch
    per_rep = []
    for r in range(len(base.traces)):
        view = types.SimpleNamespace(
            scenario=base.scenario,
            cases=base.cases[base.cases["replication"] == r],
            tasks=base.tasks[base.tasks["replication"] == r],
            activities=base.activities[base.activities["replication"] == r],
        )
        per_rep.append(charts.stage_breakdown(view).groupby("stage")["days"].sum())
    table = pd.concat(per_rep, axis=1).fillna(0.0)
    for stage in totals.index:
        m, lo, hi = t_interval(table.loc[stage].to_numpy(float))
        assert totals.loc[stage, "ci_low"] == pytest.approx(lo)
        assert totals.loc[stage, "ci_high"] == pytest.approx(hi)
        assert mean.loc[stage].sum() == pytest.approx(m)  # bar end = whisker centre
    fig = charts.stage_breakdown_chart(base)
    bars = fig.axes[0].containers
    assert any(isinstance(c, ErrorbarContainer) for c in bars)


def test_charts_set_no_backend_and_leave_no_pyplot_figures(comparison):
    import subprocess
    import sys

    code = (
        "import matplotlib, sim.report.charts, sim.report.brief, sim.report.style;"
        "import sys; print(matplotlib.get_backend() if 'matplotlib.pyplot' in sys.modules "
        "else 'no pyplot')"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "no pyplot"


# --------------------------------------------------------------------------- accounts


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_every_lever_account_of_the_bundled_scenarios_reads_in_chinese(path):
    reformed, accounts = apply_all(sim.load(path))
    assert untranslated(accounts, reformed) == []
    for acc in accounts:
        title, lines = render_account(acc, reformed, "zh")
        assert re.search(r"[\u4e00-\u9fff]", title)
        for line in lines:
            assert not check_language(line, "zh"), line
        en_title, en_lines = render_account(acc, reformed, "en")
        assert en_lines == list(acc.changes)


def test_check_language_finds_english_sentences_but_allows_names_and_units():
    assert check_language("the statutory clock counts working days", "zh")
    assert not check_language("pukou-baseline 的审批时长为 271 个工作日（95% CI）", "zh")
    assert not check_language("approvalsim 0.1.0, Python 3.11, made today with seed", "zh")
    assert not check_language("anything at all in English goes", "en")


# --------------------------------------------------------------------------- the briefing


def _pdf_pages(path: Path) -> list[str]:
    pypdf = pytest.importorskip("pypdf")
    return [p.extract_text() for p in pypdf.PdfReader(path).pages]


@pytest.mark.slow
def test_english_briefing_has_its_numbers_pages_and_accounts(comparison, tmp_path):
    pdf = write_brief(comparison, tmp_path, lang="en")
    pages = _pdf_pages(pdf)
    flat = [re.sub(r"\s+", " ", p) for p in pages]
    first = flat[0]
    d = comparison.delta("online", "approval_wd_mean")
    for number in (d["baseline_mean"], d["alternative_mean"]):
        assert f"{number:.0f}" in first
    assert f"{abs(100 * d['relative_delta']):.1f}%" in first  # the finding's sentence
    assert "Findings" in first and "[" in first  # table with CIs
    # one chart per page, each page with its caption ("Figure n")
    figure_pages = [p for p in flat if re.search(r"Figure \d", p)]
    # eight charts (where the days go of every scenario first), and page 1's where the days go
    # of the baseline beside the findings (issue 13.3, issue 10)
    assert len(figure_pages) == 9
    assert "Figure 1" in first and "critical path" in first
    assert all(len(re.findall(r"Figure \d", p)) == 1 for p in figure_pages)
    # every lever's account in full, and the provenance last
    text = " ".join(flat)
    _, accounts = apply_all(comparison.alternatives[0].scenario)
    for acc in comparison.alternatives[0].accounts:
        for change in acc.changes:
            assert re.sub(r"\s+", " ", change)[:60] in text
    assert "Provenance" in flat[-1] and str(comparison.baseline.seed) in flat[-1]
    png = tmp_path / "page-1.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    for chart in ("compare", "clock", "approval", "stage", "trips", "util", "swim"):
        assert (tmp_path / f"{chart}.png").stat().st_size > 1000


@pytest.mark.slow
def test_chinese_briefing_is_chinese_on_every_page(comparison, tmp_path):
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        pdf = write_brief(comparison, tmp_path, lang="zh", page_png=False)
    pages = _pdf_pages(pdf)
    for n, page in enumerate(pages, 1):
        assert len(re.findall(r"[\u4e00-\u9fff]", page)) > 20, n
        assert check_language(page, "zh") == [], (n, check_language(page, "zh"))
    first = pages[0].replace("\n", "")
    assert "审批时长（工作日）" in first and "主要结论" in first
    d = comparison.delta("online", "approval_wd_mean")
    assert f"{d['baseline_mean']:.0f} [" in first
    assert "工作日" in "".join(pages) and "working days" not in "".join(pages)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_every_character_of_the_briefing_is_in_its_font(comparison, lang):
    data = briefing_data(comparison, lang)
    cmap = _font_chars()
    strings = []

    def walk(x):
        if isinstance(x, str):
            strings.append(x)
        elif isinstance(x, dict):
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(data)
    missing = {c for s in strings for c in s if ord(c) not in cmap and not c.isspace()}
    assert not missing, missing


@pytest.mark.slow
def test_page_one_takes_where_the_days_go_when_results_carry_it(comparison, tmp_path):
    results = [comparison.baseline, *comparison.alternatives]
    table = pd.DataFrame(
        {
            "component": ["queueing", "staff work", "queueing", "staff work"],
            "mean": [10.0, 5.0, 8.0, 5.0],
            "ci_low": [9.0, 4.0, 7.0, 4.0],
            "ci_high": [11.0, 6.0, 9.0, 6.0],
            "scenario": [r.scenario.scenario.name for r in results for _ in range(2)],
        }
    )
    fig = charts.days_go_chart(table, results, "en")
    widths = sorted(p.get_width() for p in fig.axes[0].patches)
    assert widths == [5.0, 5.0, 8.0, 10.0]

    class WithPath:  # a result that carries a critical-path attribution (issue 10)
        def __init__(self, res, cp):
            self._res, self.critical_path = res, cp

        def __getattr__(self, name):
            return getattr(self._res, name)

    wrapped = types.SimpleNamespace(
        baseline=WithPath(results[0], table.iloc[:2].drop(columns="scenario")),
        alternatives=[WithPath(results[1], table.iloc[2:].drop(columns="scenario"))],
        delta=comparison.delta,
        table=comparison.table,
    )
    pdf = write_brief(wrapped, tmp_path, "en", page_png=False)
    first = _pdf_pages(pdf)[0]
    assert "Where the days go" in first and "Figure 1" in first
    data = json.loads(json.dumps(briefing_data(wrapped, "en")))
    assert data["days_go"] is None  # the chart is added when the PDF is written
    assert np.isfinite(comparison.delta("online")["delta"])


class _Proxy:
    """An object that answers ``extra`` first, then whatever ``inner`` has."""

    def __init__(self, inner, **extra):
        self._inner, self._extra = inner, extra

    def __getattr__(self, name):
        if name in self._extra:
            return self._extra[name]
        return getattr(self._inner, name)


def _with_policy(comparison):
    """The comparison as the engine's policy-as-data keys will describe it (contract A.4)."""
    titles = {"default": {"zh": "改革前", "en": "Before the reform"}, "online": "网办与并联"}
    targets = [
        types.SimpleNamespace(
            name={"zh": "全国目标", "en": "national target"},
            metric="clock_wd",
            value=40,
            source="国务院办公厅 2019",
        ),
        types.SimpleNamespace(
            name={"zh": "江苏目标", "en": "Jiangsu target"},
            metric="clock_wd",
            value=36,
            source="苏政办发〔2019〕53号",
        ),
    ]

    def wrap(res):
        sc = res.scenario
        info = _Proxy(sc.scenario, title=titles[sc.scenario.name])
        return _Proxy(res, scenario=_Proxy(sc, scenario=info, targets=targets, intervals={}))

    base, alts = wrap(comparison.baseline), [wrap(a) for a in comparison.alternatives]
    return types.SimpleNamespace(
        baseline=base, alternatives=alts, delta=comparison.delta, table=comparison.table
    )


@pytest.mark.slow
def test_display_names_and_targets_from_the_scenario_reach_page_one_and_the_clock_chart(
    comparison, tmp_path
):
    policy = _with_policy(comparison)
    data = briefing_data(policy, "zh")
    assert data["title"] == "简报：改革前与网办与并联"
    labels = [r["label"] for r in data["table"]["rows"]]
    assert any("江苏目标" in label for label in labels)
    assert any("全国目标" in label for label in labels)
    # the share within a target is the share of window projects finished within it
    base = comparison.baseline
    c = base.cases[base.cases["in_window"]]
    share = (c["finished"] & (c["clock_wd"] <= 36)).groupby(c["replication"]).mean().mean()
    row = next(r for r in data["table"]["rows"] if "江苏目标" in r["label"])
    assert row["cells"][0]["main"].startswith(f"{100 * share:.0f}%")
    assert row["cells"][1]["sub"].endswith("]") and "个百分点" in row["cells"][1]["sub"]
    # targets are drawn on the statutory clock, not on approval time
    results = [policy.baseline, *policy.alternatives]
    targets = charts.targets_for(policy.baseline.scenario, "clock_wd", "en")
    assert sorted(v for _, v in targets) == [36.0, 40.0]
    assert charts.targets_for(policy.baseline.scenario, "approval_wd", "en") == []
    clock = " ".join(
        t.get_text() for t in _texts(charts.distribution_chart(results, "clock_wd", "en", targets))
    )
    assert "Jiangsu target: 36" in clock and "national target: 40" in clock
    pdf = write_brief(policy, tmp_path, "zh", page_png=False)
    pages = _pdf_pages(pdf)
    assert "改革前" in pages[0] and "江苏目标" in pages[0]
    assert any("苏政办发" in p for p in pages)  # the target's source, with the assumptions
    assert all(check_language(p, "zh") == [] for p in pages)


@pytest.mark.parametrize(
    ("m", "lo", "hi", "text"),
    [
        (-0.4, -0.7, -0.1, "−0.4 pp [−0.7, −0.1]"),  # under a point: not "−0"
        (0.8, 0.6, 1.1, "+0.8 pp [+0.6, +1.1]"),
        (-0.04, -0.3, 0.2, "±0.0 pp [−0.3, +0.2]"),  # rounds to zero: no sign
        (41.2, 38.4, 43.9, "+41 pp [+38, +44]"),  # whole points from 10 up
        (7.9, float("nan"), float("nan"), "+7.9 pp"),
    ],
)
def test_changes_in_points_keep_a_decimal_while_they_are_small(m, lo, hi, text):
    from sim.report.brief import _pp_text

    assert _pp_text(m, lo, hi, "en") == text


def test_the_briefing_says_what_share_did_not_finish(tmp_path):
    """Issue 12.5 (honest headlines): when cases are unfinished, the briefing's findings say what
    share, in both languages, and that the means are over the finished ones.

    Every case waits 20 working days (about 29 calendar days here) and nothing drains after the
    60-day horizon: the cases of the last ~29 of the window's 55 days cannot finish, about half.
    """
    tiny = (ROOT / "tests" / "experiment" / "tiny.toml").read_text(encoding="utf-8")
    text = tiny.replace("drain_days = 30", "drain_days = 0").replace(
        'steps = [{ name = "serve", effort = { dist = "exponential", mean = 2.0 } }]',
        'steps = [{ name = "serve", effort = { dist = "exponential", mean = 2.0 } },'
        ' { name = "wait", delay = { dist = "deterministic", value = 20 } }]',
    )
    (tmp_path / "a.toml").write_text(text, encoding="utf-8")
    (tmp_path / "b.toml").write_text(
        text.replace('name = "tiny"', 'name = "more staff"').replace("staff = 2", "staff = 3"),
        encoding="utf-8",
    )
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        comp = sim.compare(
            sim.load(tmp_path / "a.toml"), sim.load(tmp_path / "b.toml"), replications=2, jobs=1
        )
    share = comp.baseline.unfinished_share
    assert 0.40 < share < 0.70, share
    assert any("did not finish" in str(w.message) for w in seen)  # share > 5%: a warning
    pct = f"{100 * share:.0f}%"
    en = briefing_data(comp, "en")["findings"]
    assert any(f"In tiny, {pct} of the projects had not finished" in f for f in en), en
    assert any("over the finished ones" in f for f in en)
    zh = briefing_data(comp, "zh")["findings"]
    assert any(f"tiny中有 {pct} 的项目在运行结束时尚未办结" in f for f in zh), zh


def test_numbers_print_a_minus_sign_and_never_minus_zero():
    from sim.report.words import number

    assert number(-0.01, "min") == "0.0"  # a CI bound just below zero
    assert number(-0.0004, "share") == "0.0%"
    assert number(-3.2, "days") == "−3.2" and number(-25, "days") == "−25"
    assert number(0.5, "share") == "50%" and number(21.4, "days") == "21"
