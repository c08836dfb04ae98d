"""The chart catalogue: each chart a function from result objects to a matplotlib Figure.

Every chart states its unit, its sample size (cases and replications) and, where it shows an
estimate, the confidence level. All charts take ``lang="en"`` or ``"zh"``; Chinese needs a CJK
font (see :mod:`sim.report.fonts`).
"""

from __future__ import annotations

import contextlib
import logging
import textwrap
from collections.abc import Iterator, Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.analysis.breakdown import (
    COMPONENTS,
    bottleneck,
    case_timeline,
    stage_breakdown,
    typical_case,
    utilisation_over_time,
)
from sim.analysis.summary import t_interval
from sim.report.fonts import cjk_font
from sim.report.style import PALETTE, RC

TEXT = {
    "en": {
        "lead": "lead time, statutory working days",
        "case type": "case type",
        "lead title": "{name}: {what} by case type",
        "footer": "{reps} replications, seed {seed}; points: mean with 95% CI across replications",
        "mean": "mean {m:.1f}  (n = {n:,} cases)",
        "stage": "stage",
        "days": "calendar days per case (summed over items)",
        "stage title": "{name}: where the time goes, by stage",
        "stage names": {
            0: "outside stages",
            1: "1 land & planning",
            2: "2 works permit",
            3: "3 construction permit",
            4: "4 acceptance",
        },
        "components": {
            "queueing": "queueing",
            "staff work": "staff work",
            "elapsed delays": "elapsed delays",
            "applicant time": "applicant time",
        },
        "compare title": "Effect on {metric}: change against {base}",
        "change": "change against the baseline, % (95% CI, paired replications)",
        "util title": "Department utilisation over time (bottleneck: {b})",
        "util": "share of open staff hours",
        "month": "month",
        "swim title": "{name}: one typical project (case {case}), item by item",
        "days since": "calendar days since application",
        "item": "item",
        "trips title": "Trips to offices per case",
        "trips": "trips per case (mean, 95% CI)",
        "tornado title": "Sensitivity of {metric}: one parameter at a time",
        "tornado x": "{metric} at the low and high end of each range",
        "low": "low end",
        "high": "high end",
        "base": "base",
    },
    "zh": {
        "lead": "办理时长（法定工作日）",
        "case type": "项目类别",
        "lead title": "{name}：各类项目{what}",
        "footer": "{reps} 次重复运行，随机种子 {seed}；圆点为均值及 95% 置信区间",
        "mean": "均值 {m:.1f}（{n:,} 个项目）",
        "stage": "阶段",
        "days": "每个项目的日历天数（各事项累加）",
        "stage title": "{name}：各阶段时间构成",
        "stage names": {
            0: "阶段外",
            1: "1 立项用地规划许可",
            2: "2 工程建设许可",
            3: "3 施工许可",
            4: "4 竣工验收",
        },
        "components": {
            "queueing": "排队等候",
            "staff work": "人工审查",
            "elapsed delays": "公示、论证等",
            "applicant time": "申请人时间",
        },
        "compare title": "{metric}的变化（相对于{base}）",
        "change": "相对基线的变化 %（95% 置信区间，配对重复）",
        "util title": "各部门工作负荷随时间变化（瓶颈：{b}）",
        "util": "占开放工时比例",
        "month": "月份",
        "swim title": "{name}：一个典型项目（编号 {case}）逐项办理过程",
        "days since": "申请后的日历天数",
        "item": "事项",
        "trips title": "每个项目跑动次数",
        "trips": "每个项目跑动次数（均值，95% 置信区间）",
        "tornado title": "{metric}的敏感性：逐一改变参数",
        "tornado x": "各参数取区间下限与上限时的{metric}",
        "low": "下限",
        "high": "上限",
        "base": "基准",
    },
}

METRIC_NAMES = {
    "en": {
        "approval_wd": "approval time, statutory working days",
        "lead_wd": "lead time, statutory working days",
        "approval_wd_mean": "mean approval time (working days)",
        "lead_wd_mean": "mean lead time (working days)",
        "trips_mean": "trips per case",
        "title_wd_mean": "completion to title (working days)",
    },
    "zh": {
        "approval_wd": "审批时长（法定工作日）",
        "lead_wd": "办理时长（法定工作日）",
        "approval_wd_mean": "平均审批时长（工作日）",
        "lead_wd_mean": "平均办理时长（工作日）",
        "trips_mean": "每个项目跑动次数",
        "title_wd_mean": "竣工到发证（工作日）",
    },
}


def text(lang: str) -> dict:
    """The labels of one language."""
    return TEXT["zh" if lang == "zh" else "en"]


def metric_name(metric: str, lang: str) -> str:
    """A readable metric name."""
    return METRIC_NAMES["zh" if lang == "zh" else "en"].get(metric, metric)


@contextlib.contextmanager
def style(lang: str = "en") -> Iterator[None]:
    """The house style; with ``lang="zh"`` a CJK font first in the font list.

    In English a CJK font, when there is one, is the fallback for Chinese names in the text.
    """
    rc = dict(RC)
    font = cjk_font()
    if lang == "zh" and font is None:
        raise RuntimeError(
            "no CJK font found for Chinese charts (looked for Noto Sans CJK, "
            "Source Han Sans, WenQuanYi, Droid Sans Fallback ...); install one, "
            "e.g. apt-get install fonts-wqy-microhei"
        )
    if font and lang == "zh":
        rc["font.family"] = [font, "DejaVu Sans"]
        rc["axes.unicode_minus"] = False
        rc["axes.titleweight"] = "normal"  # most CJK fonts ship one weight
    elif font:  # English text may still quote a Chinese name (e.g. 竣工即交证)
        rc["font.family"] = ["DejaVu Sans", font]
    # a one-weight CJK font makes matplotlib log, for every bold title, that it used the regular
    # weight instead; that is expected here, so it is not shown
    fm_log = logging.getLogger("matplotlib.font_manager")
    level = fm_log.level
    fm_log.setLevel(logging.ERROR)
    try:
        with plt.rc_context(rc):
            yield
    finally:
        fm_log.setLevel(level)


def _name(result, lang: str) -> str:
    return result.scenario.scenario.name


def lead_time_chart(
    result, limits: dict[str, float] | None = None, lang: str = "en", column: str = "lead_wd"
) -> Figure:
    """Distribution of lead time (working days) by case type, with mean and 95% CI.

    ``limits`` draws reference lines, e.g. ``{"national cap (120 wd)": 120}``.
    """
    tx = text(lang)
    cases = result.cases[result.cases["in_window"] & result.cases["finished"]]
    types = [str(t) for t in result.cases["case_type"].cat.categories]
    labels = [result.scenario.case_types[t].name.get(lang) or t for t in types]
    reps = len(result.traces)
    with style(lang):
        fig, ax = plt.subplots(figsize=(7.5, 1.4 + 0.8 * len(types)))
        for n, ctype in enumerate(types):
            mine = cases[cases["case_type"] == ctype]
            values = mine[column].to_numpy(float)
            if len(values) == 0:
                continue
            colour = PALETTE[n % len(PALETTE)]
            parts = ax.violinplot(
                values, positions=[n], orientation="horizontal", widths=0.8, showextrema=False
            )
            for body in parts["bodies"]:
                body.set_facecolor(colour)
                body.set_alpha(0.35)
            per_rep = mine.groupby("replication")[column].mean().to_numpy(float)
            m, lo, hi = t_interval(per_rep)
            ax.errorbar(
                [m],
                [n],
                xerr=[[m - lo if np.isfinite(lo) else 0], [hi - m if np.isfinite(hi) else 0]],
                fmt="o",
                color=colour,
                capsize=4,
                zorder=3,
            )
            ax.annotate(
                tx["mean"].format(m=m, n=len(values)),
                (m, n),
                xytext=(0, 11),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
        for k, (label, value) in enumerate((limits or {}).items()):
            ax.axvline(value, color="#555555", linestyle="--", linewidth=1)
            ax.text(value, len(types) - 0.45 - 0.25 * k, f" {label}", fontsize=8, color="#555555")
        ax.set_yticks(range(len(types)), labels)
        ax.set_ylim(-0.6, len(types) - 0.3)
        ax.set_xlabel(metric_name(column, lang))
        ax.set_ylabel(tx["case type"])
        what = metric_name(column, lang).split(",")[0].split("（")[0]
        ax.set_title(tx["lead title"].format(name=_name(result, lang), what=what))
        fig.text(
            0.01,
            0.01,
            tx["footer"].format(reps=reps, seed=result.seed),
            fontsize=7.5,
            color="#555555",
        )
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def stage_breakdown_chart(result, lang: str = "en") -> Figure:
    """Stacked bars per stage: queueing, staff work, elapsed delays, applicant time."""
    tx = text(lang)
    df = stage_breakdown(result)
    pivot = df.pivot_table(
        index="stage", columns="component", values="days", aggfunc="sum", fill_value=0.0
    ).reindex(columns=list(COMPONENTS), fill_value=0.0)
    with style(lang):
        fig, ax = plt.subplots(figsize=(7.5, 4))
        left = np.zeros(len(pivot))
        names = [tx["stage names"].get(int(s), str(s)) for s in pivot.index]
        for n, comp in enumerate(COMPONENTS):
            vals = pivot[comp].to_numpy(float)
            ax.barh(names, vals, left=left, color=PALETTE[n], label=tx["components"][comp])
            left += vals
        ax.invert_yaxis()
        ax.set_xlabel(tx["days"])
        ax.set_ylabel(tx["stage"])
        ax.set_title(tx["stage title"].format(name=_name(result, lang)))
        ax.legend(loc="lower right", fontsize=8)
        n_cases = int((result.cases["in_window"] & result.cases["finished"]).sum())
        fig.text(
            0.01,
            0.01,
            f"n = {n_cases:,}, {len(result.traces)} replications",
            fontsize=7.5,
            color="#555555",
        )
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def comparison_chart(
    comparison,
    metric: str = "approval_wd_mean",
    lang: str = "en",
    labels: dict[str, str] | None = None,
) -> Figure:
    """Dot-and-whisker: each alternative's relative change of ``metric`` with its 95% CI."""
    tx = text(lang)
    t = comparison.table
    t = t[(t["metric"] == metric) & (t["group"] == "all")].reset_index(drop=True)
    with style(lang):
        fig, ax = plt.subplots(figsize=(7.5, 2.0 + 0.5 * max(1, len(t))))
        y = np.arange(len(t))
        x = 100 * t["relative_delta"].to_numpy(float)
        lo = 100 * t["relative_ci_low"].to_numpy(float)
        hi = 100 * t["relative_ci_high"].to_numpy(float)
        ax.errorbar(x, y, xerr=[x - lo, hi - x], fmt="o", color=PALETTE[0], capsize=3)
        for k in range(len(t)):
            ax.annotate(
                f"{x[k]:+.1f}%",
                (x[k], y[k]),
                xytext=(0, 7),
                textcoords="offset points",
                ha="center",
                fontsize=8,
            )
        ax.axvline(0, color="#555555", linewidth=1)
        names = [(labels or {}).get(s, s) for s in t["scenario"]]
        ax.set_yticks(y, names)
        ax.set_ylim(len(t) - 0.5, -0.8)
        ax.set_xlabel(tx["change"])
        title = tx["compare title"].format(
            metric=metric_name(metric, lang), base=comparison.baseline.scenario.scenario.name
        )
        ax.set_title("\n".join(textwrap.wrap(title, 60)) if lang == "en" else title, fontsize=10)
        reps = int(t["replications"].min()) if len(t) else 0
        fig.text(
            0.01,
            0.01,
            f"{reps} paired replications, seed {comparison.baseline.seed}",
            fontsize=7.5,
            color="#555555",
        )
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def utilisation_heatmap(result, lang: str = "en") -> Figure:
    """Utilisation of each department month by month, with the bottleneck named."""
    tx = text(lang)
    df = utilisation_over_time(result)
    pivot = df.pivot(index="department", columns="period", values="utilisation")
    b, _ = bottleneck(result)
    with style(lang):
        fig, ax = plt.subplots(figsize=(8, 1.2 + 0.28 * len(pivot)))
        im = ax.imshow(pivot.to_numpy(float), aspect="auto", cmap="cividis", vmin=0, vmax=1)
        ax.set_yticks(
            range(len(pivot)),
            [result.scenario.departments[d].name.get(lang) or d for d in pivot.index],
            fontsize=7,
        )
        ticks = list(range(0, pivot.shape[1], max(1, pivot.shape[1] // 8)))
        ax.set_xticks(
            ticks,
            [pivot.columns[k].strftime("%Y-%m") for k in ticks],
            fontsize=7,
            rotation=45,
            ha="right",
        )
        ax.set_xlabel(tx["month"])
        ax.grid(False)
        bname = result.scenario.departments[b].name.get(lang) if b else "-"
        ax.set_title(tx["util title"].format(b=bname or b))
        cbar = fig.colorbar(im, ax=ax)
        cbar.set_label(tx["util"])
        fig.text(
            0.01, 0.01, f"{len(result.traces)} replications pooled", fontsize=7.5, color="#555555"
        )
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig


def swimlane_chart(
    result, case: int | None = None, replication: int = 0, lang: str = "en"
) -> Figure:
    """One project through its items: serial and parallel handling visible at a glance."""
    tx = text(lang)
    case = typical_case(result, replication) if case is None else case
    tl = case_timeline(result, case, replication)
    arrival = float(
        result.cases[(result.cases["replication"] == replication) & (result.cases["case"] == case)][
            "arrival_h"
        ].iloc[0]
    )
    order = tl.groupby("item")["start_h"].min().sort_values().index.tolist()
    colours = dict(zip(COMPONENTS, PALETTE, strict=False))
    with style(lang):
        fig, ax = plt.subplots(figsize=(8, 1.2 + 0.22 * len(order)))
        for r in tl.itertuples():
            y = order.index(r.item)
            ax.barh(
                y,
                (r.end_h - r.start_h) / 24,
                left=(r.start_h - arrival) / 24,
                height=0.6,
                color=colours[r.component],
            )
        names = [result.scenario.items[i].name.get(lang) or i for i in order]
        ax.set_yticks(range(len(order)), names, fontsize=6.5)
        ax.invert_yaxis()
        ax.set_xlabel(tx["days since"])
        ax.set_ylabel(tx["item"])
        ax.set_title(tx["swim title"].format(name=_name(result, lang), case=case))
        handles = [plt.Rectangle((0, 0), 1, 1, color=colours[c]) for c in COMPONENTS]
        ax.legend(handles, [tx["components"][c] for c in COMPONENTS], fontsize=7, loc="upper right")
        fig.tight_layout()
    return fig


def trips_chart(results: Sequence, lang: str = "en") -> Figure:
    """Mean trips per case of each result, with 95% CIs across replications."""
    tx = text(lang)
    with style(lang):
        fig, ax = plt.subplots(figsize=(7, 1.2 + 0.5 * len(results)))
        for n, res in enumerate(results):
            row = res.value("trips_mean")
            ax.barh(n, row["mean"], color=PALETTE[n % len(PALETTE)], alpha=0.8)
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
                fontsize=8,
            )
        ax.set_yticks(range(len(results)), [r.scenario.scenario.name for r in results])
        ax.invert_yaxis()
        ax.set_xlabel(tx["trips"])
        ax.set_title(tx["trips title"])
        fig.tight_layout()
    return fig


def tornado_chart(tornado: pd.DataFrame, metric: str, lang: str = "en") -> Figure:
    """Tornado chart of one-at-a-time sensitivity (``sim.experiment.sweep.tornado``)."""
    tx = text(lang)
    t = tornado.sort_values("swing", ascending=True)
    with style(lang):
        fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.5 * len(t)))
        base = float(t["base"].iloc[0]) if len(t) else 0.0
        y = np.arange(len(t))
        ax.barh(y, t["low"] - base, left=base, color=PALETTE[0], label=tx["low"])
        ax.barh(y, t["high"] - base, left=base, color=PALETTE[1], label=tx["high"])
        ax.axvline(base, color="#555555", linewidth=1, label=tx["base"])
        ax.set_yticks(y, t["parameter"], fontsize=8)
        ax.set_xlabel(tx["tornado x"].format(metric=metric_name(metric, lang)))
        ax.set_title(tx["tornado title"].format(metric=metric_name(metric, lang)))
        ax.legend(fontsize=8)
        fig.tight_layout()
    return fig
