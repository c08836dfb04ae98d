"""The chart catalogue: each chart a function from result objects to a matplotlib Figure.

Every chart states its unit, its sample size (replications, and projects where it pools them)
and, where it shows an estimate, its 95% confidence interval. All charts take ``lang="en"`` or
``"zh"`` and print every word in that language, display names from the scenario files included
(:mod:`sim.report.words`); Chinese uses the packaged CJK font (:mod:`sim.report.fonts`).

Figures are made with :class:`matplotlib.figure.Figure`, not pyplot: no backend is chosen, no
global figure list grows, and a notebook shows a returned figure inline. They are drawn at the
width they print at in the briefing, so their font sizes are sizes on paper (8 pt at least).
"""

from __future__ import annotations

import contextlib
import logging
import textwrap
import types
from collections.abc import Iterator, Sequence

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Rectangle
from matplotlib.transforms import blended_transform_factory

from sim.analysis.breakdown import (
    COMPONENTS,
    bottleneck,
    case_timeline,
    stage_breakdown,
    typical_case,
    utilisation_over_time,
)
from sim.analysis.summary import t_interval
from sim.report.fonts import FontMissing, cjk_font, require_cjk_font
from sim.report.style import GREY, MIN_PT, PAGE_HEIGHT_IN, PAGE_WIDTH_IN, PALETTE, RC
from sim.report.words import (
    METRICS,
    lang_of,
    metric_kind,
    metric_label,
    number,
    pick,
    result_title,
    scenario_title,
    stage_name,
    target_label,
    thing_name,
    words,
)

__all__ = [
    "Chart",
    "FontMissing",
    "comparison_chart",
    "critical_path_chart",
    "days_go_chart",
    "days_go_table",
    "distribution_chart",
    "lead_time_chart",
    "stage_breakdown_chart",
    "style",
    "swimlane_chart",
    "targets_for",
    "tornado_chart",
    "trips_chart",
    "utilisation_heatmap",
]


def text(lang: str) -> dict:
    """The chart words of one language (kept for callers of the old name)."""
    return words(lang)


def metric_name(metric: str, lang: str) -> str:
    """A readable metric name with its unit."""
    return metric_label(metric, lang)


@contextlib.contextmanager
def style(lang: str = "en") -> Iterator[None]:
    """The house style, with the CJK font first in the font list.

    The CJK font writes Latin text too, so both languages look alike and an English chart can
    quote a Chinese name. ``lang="zh"`` without a CJK font raises :class:`FontMissing`.
    """
    rc = dict(RC)
    font = require_cjk_font() if lang == "zh" else cjk_font()
    rc["font.family"] = [font, "DejaVu Sans"] if font else ["DejaVu Sans"]
    # a one-weight CJK font makes matplotlib log, for every bold text, that it used the regular
    # weight instead; that is expected here, so it is not shown
    fm_log = logging.getLogger("matplotlib.font_manager")
    level = fm_log.level
    fm_log.setLevel(logging.ERROR)
    try:
        with matplotlib.rc_context(rc):
            yield
    finally:
        fm_log.setLevel(level)


class Chart(Figure):
    """A matplotlib Figure that shows itself in Jupyter, whatever backend is (or is not) set.

    Charts are made without pyplot, so Jupyter's inline backend never sees them; this PNG
    representation is what a notebook displays when a chart is a cell's value.
    """

    def _repr_png_(self) -> bytes:
        import io

        buf = io.BytesIO()
        self.savefig(buf, format="png", dpi=self.get_dpi())
        return buf.getvalue()


def _figure(height: float, width: float = PAGE_WIDTH_IN) -> Figure:
    fig = Chart(figsize=(width, min(height, PAGE_HEIGHT_IN)), layout="constrained")
    FigureCanvasAgg(fig)  # a canvas of its own: text can be measured, no backend involved
    return fig


def _footer(
    fig: Figure, lang: str, reps: int, seed: int, n: int | None = None, what: str = ""
) -> None:
    """The sample-size line under a chart: replications, projects, seed, what the marks are."""
    tx = words(lang)
    line = (tx["reps"] if n is None else tx["reps cases"]).format(reps=reps, seed=seed, n=n)
    if what:
        line += tx["sep"] + what
    fig.text(0.005, 0.004, line, fontsize=MIN_PT, color=GREY, ha="left", va="bottom")
    # keep the layout clear of the line: constrained layout works inside this rectangle
    room = 2.2 * MIN_PT / 72 / fig.get_figheight()
    fig.get_layout_engine().set(rect=(0, room, 1, 1 - room))


def _window(result, *columns: str) -> pd.DataFrame:
    """The finished window cases of a run: only ``columns`` (and ``replication``) when given."""
    c = result.case_columns([*columns, "in_window", "finished"]) if columns else result.cases
    return c[c["in_window"] & c["finished"]]


def _column_metric(column: str) -> str:
    """The summary metric a per-case column is averaged into (``approval_wd`` -> ``..._mean``)."""
    return f"{column}_mean" if f"{column}_mean" in METRICS else column


def _shorten(label: str, limit: int) -> str:
    return label if len(label) <= limit else label[: limit - 1] + "…"


# --------------------------------------------------------------------------- targets


def targets_for(scenario, column: str, lang: str) -> list[tuple[str, float]]:
    """The ``[[targets]]`` of a scenario that apply to ``column``: (label, value) pairs."""
    out = []
    for t in getattr(scenario, "targets", None) or ():
        if t.metric in (column, f"{column}_mean"):
            out.append((pick(t.name, lang, t.metric), float(t.value)))
    return out


def _draw_targets(fig: Figure, ax, targets: Sequence[tuple[str, float]], lang: str) -> list:
    """Dashed lines at each target, labelled above the plot; labels never overlap.

    Labels are laid out left to right by value; a label that would touch one already placed
    moves up a row. Returns the label Text artists.
    """
    if not targets:
        return []
    trans = blended_transform_factory(ax.transData, ax.transAxes)
    lo, hi = ax.get_xlim()
    lo, hi = min(lo, *(v for _, v in targets)), max(hi, *(v for _, v in targets))
    pad = 0.03 * (hi - lo)
    ax.set_xlim(lo - pad if lo < ax.get_xlim()[0] else ax.get_xlim()[0], hi + pad)
    renderer = fig.canvas.get_renderer()
    placed: list[tuple[int, object]] = []
    labels = []
    for name, value in sorted(targets, key=lambda t: t[1]):
        ax.axvline(value, color=GREY, linestyle="--", linewidth=1, zorder=1)
        frac = (value - ax.get_xlim()[0]) / (ax.get_xlim()[1] - ax.get_xlim()[0])
        ha = "right" if frac > 0.75 else "left" if frac < 0.25 else "center"
        row = 0
        while True:
            label = ax.text(
                value,
                1.02 + 0.075 * row,
                target_label(name, value, lang),
                transform=trans,
                ha=ha,
                va="bottom",
                fontsize=MIN_PT,
                color=GREY,
                clip_on=False,
            )
            box = label.get_window_extent(renderer).expanded(1.04, 1.1)
            if not any(r == row and box.overlaps(b) for r, b in placed):
                placed.append((row, box))
                labels.append(label)
                break
            label.remove()
            row += 1
    return labels


# --------------------------------------------------------------------------- distributions


def _violin_row(ax, values: np.ndarray, per_rep: np.ndarray, y: float, colour: str, kind: str):
    parts = ax.violinplot(
        values, positions=[y], orientation="horizontal", widths=0.8, showextrema=False
    )
    for body in parts["bodies"]:
        body.set_facecolor(colour)
        body.set_alpha(0.35)
    m, lo, hi = t_interval(per_rep)
    err = [[m - lo if np.isfinite(lo) else 0], [hi - m if np.isfinite(hi) else 0]]
    ax.errorbar([m], [y], xerr=err, fmt="o", color=colour, capsize=4, zorder=3)
    return m


def distribution_chart(
    results: Sequence,
    column: str = "approval_wd",
    lang: str = "en",
    targets: Sequence[tuple[str, float]] | None = None,
) -> Figure:
    """One row per scenario: the distribution of ``column`` over projects, mean and 95% CI.

    ``targets`` ((label, value) pairs; :func:`targets_for` reads them from the scenario) are
    drawn as dashed lines with labels that do not overlap.
    """
    tx = words(lang)
    results = list(results)
    sc = results[0].scenario
    metric = _column_metric(column)
    what = metric_label(metric, lang, sc, unit=False)
    kind = metric_kind(metric, sc)
    with style(lang):
        fig = _figure(1.6 + 0.75 * len(results))
        ax = fig.subplots()
        n_cases = 0
        for n, res in enumerate(results):
            cases = _window(res, column)
            values = cases[column].to_numpy(float)
            values = values[np.isfinite(values)]
            if len(values) < 2:
                continue
            n_cases += len(values)
            per_rep = cases.groupby("replication")[column].mean().to_numpy(float)
            m = _violin_row(ax, values, per_rep, n, PALETTE[n % len(PALETTE)], kind)
            ax.annotate(
                tx["mean label"].format(m=number(m, kind)),
                (m, n),
                xytext=(0, 10),
                textcoords="offset points",
                ha="center",
                fontsize=MIN_PT,
            )
        names = [_shorten(result_title(r, lang, results), 34) for r in results]
        ax.set_yticks(range(len(results)), names)
        ax.set_ylim(len(results) - 0.4, -0.6)
        ax.set_xlabel(metric_label(metric, lang, sc))
        ax.set_title(tx["distribution title"].format(what=what), loc="left", pad=6)
        _draw_targets(fig, ax, targets or [], lang)
        reps = len(results[0].replications)
        _footer(fig, lang, reps, results[0].seed, n=n_cases, what=tx["points"])
    return fig


def lead_time_chart(
    result, limits: dict[str, float] | None = None, lang: str = "en", column: str = "lead_wd"
) -> Figure:
    """Distribution of ``column`` by project category, with mean and 95% CI.

    ``limits`` draws reference lines, e.g. ``{"Jiangsu target": 100}``.
    """
    tx = words(lang)
    cases = _window(result, "case_type", column)
    types_ = [str(t) for t in cases["case_type"].cat.categories]
    metric = _column_metric(column)
    kind = metric_kind(metric, result.scenario)
    with style(lang):
        fig = _figure(1.6 + 0.75 * len(types_))
        ax = fig.subplots()
        for n, ctype in enumerate(types_):
            mine = cases[cases["case_type"] == ctype]
            values = mine[column].to_numpy(float)
            values = values[np.isfinite(values)]
            if len(values) < 2:
                continue
            per_rep = mine.groupby("replication")[column].mean().to_numpy(float)
            m = _violin_row(ax, values, per_rep, n, PALETTE[n % len(PALETTE)], kind)
            ax.annotate(
                tx["mean label"].format(m=number(m, kind)),
                (m, n),
                xytext=(0, 10),
                textcoords="offset points",
                ha="center",
                fontsize=MIN_PT,
            )
        labels = [thing_name(result.scenario.case_types, t, lang) for t in types_]
        ax.set_yticks(range(len(types_)), labels)
        ax.set_ylim(len(types_) - 0.4, -0.6)
        ax.set_xlabel(metric_label(metric, lang, result.scenario))
        ax.set_ylabel(tx["case type"])
        ax.set_title(
            f"{result_title(result, lang)}: "
            + tx["distribution title"].format(
                what=metric_label(metric, lang, result.scenario, unit=False)
            ),
            loc="left",
            pad=6,
        )
        _draw_targets(fig, ax, list((limits or {}).items()), lang)
        _footer(fig, lang, len(result.replications), result.seed, n=len(cases), what=tx["points"])
    return fig


# --------------------------------------------------------------------------- stages


def stage_composition(result) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Days per project by stage and component, per replication, and each stage total's CI.

    Returns ``(mean, totals)``: ``mean`` is indexed by stage with one column per component (the
    mean over replications of each replication's mean per project), ``totals`` is indexed by
    stage with ``mean``, ``ci_low``, ``ci_high`` of the stage total across replications — so a
    bar's end and the centre of its whisker are the same number.
    """
    frames = []
    for r in sorted(result.cases["replication"].unique()):

        def one(df, r=r):
            return None if df is None else df[df["replication"] == r]

        view = types.SimpleNamespace(
            scenario=result.scenario,
            cases=one(result.cases),
            tasks=one(result.tasks),
            activities=one(result.activities),
        )
        frames.append(stage_breakdown(view).assign(replication=r))
    long = pd.concat(frames, ignore_index=True)
    cube = long.pivot_table(
        index=["replication", "stage"],
        columns="component",
        values="days",
        aggfunc="sum",
        fill_value=0.0,
    ).reindex(columns=list(COMPONENTS), fill_value=0.0)
    reps = long["replication"].unique()
    stages = sorted(long["stage"].unique())
    full = pd.MultiIndex.from_product([reps, stages], names=["replication", "stage"])
    cube = cube.reindex(full, fill_value=0.0)
    mean = cube.groupby(level="stage").mean()
    total = cube.sum(axis=1).unstack("replication")
    ci = [t_interval(total.loc[s].to_numpy(float)) for s in total.index]
    totals = pd.DataFrame(ci, index=total.index, columns=["mean", "ci_low", "ci_high"])
    return mean, totals


def stage_breakdown_chart(results, lang: str = "en") -> Figure:
    """What each stage's time is made of, one panel per scenario, with the totals' 95% CIs.

    Bars stack queueing, staff work, elapsed delays (notices, expert reviews, transfers) and the
    applicant's own time, in calendar days per project summed over the stage's items (parallel
    items each count: the composition, not the stage's duration).
    """
    tx = words(lang)
    results = list(results) if isinstance(results, (list, tuple)) else [results]
    data = [stage_composition(r) for r in results]
    # stage 0 is the applicant's own work outside the approval stages (construction): left out
    stages = sorted({int(s) for mean, _ in data for s in mean.index if int(s) > 0})
    with style(lang):
        fig = _figure(1.3 + (0.35 * len(stages) + 0.55) * len(results))
        axes = fig.subplots(len(results), 1, sharex=True, squeeze=False)[:, 0]
        names = [stage_name(results[0].scenario, s, lang) for s in stages]
        for k, (ax, res, (mean, totals)) in enumerate(zip(axes, results, data, strict=True)):
            mean = mean.reindex(stages, fill_value=0.0)
            left = np.zeros(len(stages))
            for n, comp in enumerate(COMPONENTS):
                vals = mean[comp].to_numpy(float)
                ax.barh(
                    range(len(stages)),
                    vals,
                    left=left,
                    color=PALETTE[n],
                    label=tx["components"][comp] if k == 0 else None,
                )
                left += vals
            lo_ = totals["ci_low"].reindex(stages).to_numpy(float)
            hi_ = totals["ci_high"].reindex(stages).to_numpy(float)
            ok = np.isfinite(lo_) & np.isfinite(hi_)
            ax.errorbar(
                left[ok],
                np.arange(len(stages))[ok],
                xerr=[left[ok] - lo_[ok], hi_[ok] - left[ok]],
                fmt="none",
                ecolor="black",
                capsize=3,
                linewidth=1,
            )
            ax.set_yticks(range(len(stages)), [_shorten(s, 22) for s in names])
            ax.invert_yaxis()
            ax.set_title(result_title(res, lang, results), loc="left", fontsize=9.5)
        axes[-1].set_xlabel(tx["stage x"])
        fig.legend(loc="outside upper center", ncols=4, fontsize=MIN_PT, frameon=False)
        _footer(fig, lang, len(results[0].replications), results[0].seed, what=tx["stage ci"])
    return fig


# --------------------------------------------------------------------------- comparisons


def comparison_chart(
    comparison,
    metric: str = "approval_wd_mean",
    lang: str = "en",
    labels: dict[str, str] | None = None,
) -> Figure:
    """Dot-and-whisker: each alternative's relative change of ``metric`` with its 95% CI."""
    tx = words(lang)
    t = comparison.table
    t = t[(t["metric"] == metric) & (t["group"] == "all")].reset_index(drop=True)
    by_name = {a.scenario.scenario.name: a for a in comparison.alternatives}
    base = comparison.baseline
    every = [base, *comparison.alternatives]
    with style(lang):
        fig = _figure(1.7 + 0.55 * max(1, len(t)))
        ax = fig.subplots()
        y = np.arange(len(t))
        x = 100 * t["relative_delta"].to_numpy(float)
        lo = 100 * t["relative_ci_low"].to_numpy(float)
        hi = 100 * t["relative_ci_high"].to_numpy(float)
        err = [np.nan_to_num(x - lo), np.nan_to_num(hi - x)]
        ax.errorbar(x, y, xerr=err, fmt="o", color=PALETTE[0], capsize=3)
        for k in range(len(t)):
            ax.annotate(
                f"{x[k]:+.1f}%",
                (x[k], y[k]),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=MIN_PT,
            )
        ax.axvline(0, color=GREY, linewidth=1)
        names = [
            (labels or {}).get(s) or (result_title(by_name[s], lang, every) if s in by_name else s)
            for s in t["scenario"]
        ]
        ax.set_yticks(y, [_shorten(n, 28) for n in names])
        ax.set_ylim(len(t) - 0.5, -0.8)
        bname = result_title(base, lang, every)
        ax.set_xlabel(tx["change x"].format(base=bname))
        ax.set_title(
            metric_label(metric, lang, base.scenario, unit=False)
            + ("：" if lang == "zh" else ": ")
            + tx["change title"].format(base=bname),
            loc="left",
        )
        reps = int(t["replications"].min()) if len(t) else 0
        _footer(fig, lang, reps, base.seed, what=tx["points"])
    return fig


def trips_chart(results: Sequence, lang: str = "en") -> Figure:
    """Mean trips per project of each result, with 95% CIs across replications."""
    tx = words(lang)
    results = list(results)
    with style(lang):
        fig = _figure(1.5 + 0.5 * len(results))
        ax = fig.subplots()
        for n, res in enumerate(results):
            row = res.value("trips_mean")
            ax.barh(n, row["mean"], color=PALETTE[n % len(PALETTE)], alpha=0.8)
            if np.isfinite(row["ci_low"]):
                ax.errorbar(
                    row["mean"],
                    n,
                    xerr=[[row["mean"] - row["ci_low"]], [row["ci_high"] - row["mean"]]],
                    color="black",
                    capsize=3,
                )
            ax.annotate(
                f"{row['mean']:.1f}",
                (row["mean"], n),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=MIN_PT,
            )
        names = [_shorten(result_title(r, lang, results), 34) for r in results]
        ax.set_yticks(range(len(results)), names)
        ax.invert_yaxis()
        ax.set_xlabel(tx["trips x"])
        ax.set_title(tx["trips title"], loc="left")
        _footer(fig, lang, len(results[0].replications), results[0].seed)
    return fig


def days_go_chart(
    table: pd.DataFrame,
    results: Sequence,
    lang: str = "en",
    width: float = PAGE_WIDTH_IN,
    height: float | None = None,
) -> Figure:
    """Where the days go: working days on the critical path by component, per scenario.

    ``table`` has columns ``scenario`` (a result's scenario name), ``component`` (a label, or a
    ``{zh, en}`` dict), ``mean``, ``ci_low``, ``ci_high`` (working days per project).
    ``width`` and ``height`` (inches) give the size it prints at, so that its text stays at
    least 8 pt there (page 1 of the briefing places it in a column beside the findings).
    """
    tx = words(lang)
    results = list(results)
    comps = list(dict.fromkeys(table["component"].map(lambda c: pick(c, lang, str(c)))))
    with style(lang):
        tall = 1.5 + 0.3 * len(comps) * max(1, len(results)) / 1.5
        fig = _figure(tall if height is None else height, width)
        ax = fig.subplots()
        narrow = width < PAGE_WIDTH_IN / 1.5
        height = 0.8 / max(1, len(results))
        for k, res in enumerate(results):
            mine = table[table["scenario"] == res.scenario.scenario.name]
            labels = mine["component"].map(lambda c: pick(c, lang, str(c)))
            pos = [comps.index(c) + k * height for c in labels]
            m = mine["mean"].to_numpy(float)
            err = [
                np.nan_to_num(m - mine["ci_low"].to_numpy(float)),
                np.nan_to_num(mine["ci_high"].to_numpy(float) - m),
            ]
            ax.barh(
                pos,
                m,
                height=height,
                color=PALETTE[k % len(PALETTE)],
                label=_shorten(result_title(res, lang, results), 20 if narrow else 34),
            )
            ax.errorbar(m, pos, xerr=err, fmt="none", ecolor="black", capsize=2, linewidth=1)
        ax.set_yticks(
            [i + height * (len(results) - 1) / 2 for i in range(len(comps))],
            [_shorten(c, 24) for c in comps],
        )
        ax.invert_yaxis()
        label = tx["days go x"]
        if narrow:  # the parenthesis on a line of its own; one scenario needs no legend
            for opening in ("（", " ("):
                label = label.replace(opening, "\n" + opening.strip(), 1)
            label = "\n".join(textwrap.fill(line, 26) for line in label.split("\n"))
            ax.set_xlabel(label)
            if len(results) > 1:
                fig.legend(fontsize=MIN_PT, loc="outside upper center", ncols=1, frameon=False)
        else:
            ax.set_xlabel(label)
            ax.legend(fontsize=MIN_PT, loc="lower right")
        ax.set_title(tx["days go title"], loc="left")
        _footer(fig, lang, len(results[0].replications), results[0].seed)
    return fig


# --------------------------------------------------------------------------- critical path

#: The kinds of critical-path days (sim.model.critical.KINDS) in both languages.
CRITICAL_KINDS: dict[str, dict[str, str]] = {
    "queueing": {"en": "Queueing", "zh": "排队等候"},
    "staff work": {"en": "Staff work", "zh": "工作人员办理"},
    "corrections": {"en": "Corrections", "zh": "补正"},
    "delays": {"en": "Notices and reviews", "zh": "公示、评审等时段"},
    "intermediaries": {"en": "Intermediaries", "zh": "中介服务"},
    "transfers": {"en": "File transfers", "zh": "材料流转"},
    "problems": {"en": "Blocking problems", "zh": "堵点问题"},
    "applicant": {"en": "Applicant's own work", "zh": "申请人自身工作"},
}
_CP_WORDS = {
    "en": {
        "title": "Where the days go, by department\n{b}",
        "bottleneck": "Bottleneck: {dep} ({share} of critical-path days)",
        "x": "working days on the critical path per project (mean over replications)",
        "none": "No department (problems, applicant)",
        "ci": "whiskers: 95% CI of each department's total",
    },
    "zh": {
        "title": "关键路径上的时间按部门分列\n{b}",
        "bottleneck": "瓶颈部门为{dep}（占关键路径工作日的 {share}）",
        "x": "每个项目关键路径上的工作日（各次重复运行的均值）",
        "none": "不属于任何部门（堵点问题、申请人工作）",
        "ci": "误差线：各部门合计的 95% 置信区间",
    },
}


def days_go_table(results: Sequence) -> pd.DataFrame | None:
    """The critical-path days by kind of each result, for :func:`days_go_chart`.

    ``None`` when a result carries no critical path (made by an older version).
    """
    from sim.analysis.critical import where_the_days_go

    frames = []
    for r in results:
        try:
            t = where_the_days_go(r)
        except (ValueError, KeyError, TypeError):
            return None
        t = t[(t["group"] == "all") & (t["level"] == "kind")]
        frames.append(
            pd.DataFrame(
                {
                    "scenario": r.scenario.scenario.name,
                    "component": [CRITICAL_KINDS.get(k, {"en": k}) for k in t["name"]],
                    "mean": t["wd_mean"].to_numpy(float),
                    "ci_low": t["wd_low"].to_numpy(float),
                    "ci_high": t["wd_high"].to_numpy(float),
                }
            )
        )
    return pd.concat(frames, ignore_index=True) if frames else None


def critical_path_chart(result, lang: str = "en", top: int = 10) -> Figure:
    """Where the days go, by department: critical-path working days per project, by kind.

    One bar per department (the ``top`` with the most days, then the rest together, and the days
    that belong to no department), stacked by kind; the title names the bottleneck — the
    department with the largest share of critical-path days.
    """
    from sim.analysis.critical import bottleneck, metas, per_replication

    cw = _CP_WORDS[lang_of(lang)]
    reps = per_replication(result)
    n_reps = len(metas(result))
    frames = []
    for meta_rep, meta in enumerate(metas(result)):
        cp = meta["critical_path"]
        n = max(1, sum(cp["cases"].values()))
        df = pd.DataFrame(
            cp["pieces"], columns=["case_type", "kind", "department", "item", "hours", "wd"]
        )
        frames.append(df.assign(wd=df["wd"] / n, replication=meta_rep))
    pieces = pd.concat(frames, ignore_index=True)
    cube = pieces.pivot_table(
        index="department", columns="kind", values="wd", aggfunc="sum", fill_value=0.0
    ) / max(1, n_reps)
    kinds = [k for k in CRITICAL_KINDS if k in cube.columns]
    cube = cube.reindex(columns=kinds, fill_value=0.0)
    deps = reps[(reps["group"] == "all") & (reps["level"] == "department")]
    totals = deps.pivot_table(index="name", columns="replication", values="wd", fill_value=0.0)
    totals = totals.reindex(columns=range(n_reps), fill_value=0.0)
    named = [d for d in cube.sum(axis=1).sort_values(ascending=False).index if d != ""]
    shown = named[:top]
    rest = named[top:]
    rows = [(thing_name(result.scenario.departments, d, lang), cube.loc[d], d) for d in shown]
    if rest:
        rows.append((f"+{len(rest)}", cube.loc[rest].sum(), None))
    if "" in cube.index:
        rows.append((cw["none"], cube.loc[""], ""))
    b = bottleneck(result)
    with style(lang):
        fig = _figure(1.9 + 0.24 * len(rows))
        ax = fig.subplots()
        left = np.zeros(len(rows))
        for n, kind in enumerate(kinds):
            vals = np.array([r[1][kind] for r in rows], dtype=float)
            ax.barh(
                range(len(rows)),
                vals,
                left=left,
                color=PALETTE[n % len(PALETTE)],
                label=pick(CRITICAL_KINDS[kind], lang, kind),
            )
            left += vals
        for k, (_, _, dep) in enumerate(rows):
            if dep is None or dep not in totals.index:
                continue
            m, lo, hi = t_interval(totals.loc[dep].to_numpy(float))
            if np.isfinite(lo) and np.isfinite(hi):
                ax.errorbar(
                    left[k],
                    k,
                    xerr=[[left[k] - lo], [hi - left[k]]],
                    fmt="none",
                    ecolor="black",
                    capsize=2,
                    linewidth=1,
                )
        ax.set_yticks(range(len(rows)), [_shorten(r[0], 28) for r in rows])
        ax.invert_yaxis()
        ax.set_xlim(left=0)
        ax.set_xlabel(cw["x"])
        named_b = (
            cw["bottleneck"].format(
                dep=thing_name(result.scenario.departments, b.department, lang),
                share=number(b.share, "share"),
            )
            if b
            else "–"
        )
        ax.set_title(
            f"{result_title(result, lang)}: " + cw["title"].format(b=named_b),
            loc="left",
            fontsize=9,
        )
        fig.legend(loc="outside upper center", ncols=4, fontsize=MIN_PT, frameon=False)
        seed = getattr(result, "seed", 0)
        _footer(fig, lang, n_reps, seed, what=cw["ci"])
    return fig


# --------------------------------------------------------------------------- one scenario


def utilisation_heatmap(result, lang: str = "en") -> Figure:
    """Utilisation of each department month by month, with the bottleneck named."""
    tx = words(lang)
    df = utilisation_over_time(result)
    pivot = df.pivot(index="department", columns="period", values="utilisation")
    b, _ = bottleneck(result)
    deps = result.scenario.departments
    with style(lang):
        fig = _figure(1.6 + 0.19 * len(pivot))
        ax = fig.subplots()
        im = ax.imshow(pivot.to_numpy(float), aspect="auto", cmap="cividis", vmin=0, vmax=1)
        ax.set_yticks(
            range(len(pivot)), [_shorten(thing_name(deps, d, lang), 26) for d in pivot.index]
        )
        ticks = list(range(0, pivot.shape[1], max(1, pivot.shape[1] // 8)))
        ax.set_xticks(
            ticks, [pivot.columns[k].strftime("%Y-%m") for k in ticks], rotation=45, ha="right"
        )
        ax.set_xlabel(tx["month"])
        ax.grid(False)
        ax.set_title(
            f"{result_title(result, lang)}: "
            + tx["util title"].format(b=thing_name(deps, b, lang) if b else "–"),
            loc="left",
        )
        cbar = fig.colorbar(im, ax=ax)
        cbar.set_label(tx["util"])
        _footer(fig, lang, len(result.replications), result.seed, what=tx["pooled"])
    return fig


def swimlane_chart(
    result, case: int | None = None, replication: int = 0, lang: str = "en"
) -> Figure:
    """One project through its items: serial and parallel handling visible at a glance.

    The typical project is the one whose lead time is closest to its replication's median.
    """
    tx = words(lang)
    case = typical_case(result, replication) if case is None else case
    tl = case_timeline(result, case, replication)
    c = result.cases
    row = c[(c["replication"] == replication) & (c["case"] == case)]
    arrival = float(row["arrival_h"].iloc[0])
    ctype = thing_name(result.scenario.case_types, str(row["case_type"].iloc[0]), lang)
    order = tl.groupby("item")["start_h"].min().sort_values().index.tolist()
    colours = dict(zip(COMPONENTS, PALETTE, strict=False))
    with style(lang):
        fig = _figure(1.4 + 0.17 * len(order))
        ax = fig.subplots()
        for r in tl.itertuples():
            ax.barh(
                order.index(r.item),
                (r.end_h - r.start_h) / 24,
                left=(r.start_h - arrival) / 24,
                height=0.65,
                color=colours[r.component],
            )
        names = [_shorten(thing_name(result.scenario.items, i, lang), 30) for i in order]
        ax.set_yticks(range(len(order)), names)
        ax.set_ylim(len(order) - 0.5, -0.5)
        ax.set_xlabel(tx["days since"])
        ax.set_title(
            tx["swim title"].format(name=result_title(result, lang), ctype=ctype), loc="left"
        )
        handles = [Rectangle((0, 0), 1, 1, color=colours[c]) for c in COMPONENTS]
        fig.legend(
            handles,
            [tx["components"][c] for c in COMPONENTS],
            loc="outside lower center",
            ncols=4,
            frameon=False,
        )
    return fig


def tornado_chart(tornado: pd.DataFrame, metric: str, lang: str = "en") -> Figure:
    """Tornado chart of one-at-a-time sensitivity (``sim.experiment.sweep.tornado``)."""
    tx = words(lang)
    t = tornado.sort_values("swing", ascending=True)
    name = metric_label(metric, lang)
    with style(lang):
        fig = _figure(1.4 + 0.4 * len(t))
        ax = fig.subplots()
        base = float(t["base"].iloc[0]) if len(t) else 0.0
        y = np.arange(len(t))
        ax.barh(y, t["low"] - base, left=base, color=PALETTE[0], label=tx["low"])
        ax.barh(y, t["high"] - base, left=base, color=PALETTE[1], label=tx["high"])
        ax.axvline(base, color=GREY, linewidth=1, label=tx["base"])
        ax.set_yticks(y, t["parameter"])
        ax.set_xlabel(tx["tornado x"].format(metric=name))
        ax.set_title(tx["tornado title"].format(metric=name), loc="left")
        ax.legend()
    return fig


def scenario_names(results: Sequence, lang: str) -> list[str]:
    """Display names of the scenarios of ``results``."""
    return [scenario_title(r.scenario, lang_of(lang)) for r in results]
