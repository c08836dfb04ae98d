"""The committee briefing: a typeset PDF from a comparison, in English or Chinese.

Page 1 is what a committee member reads in two minutes: the scenarios' display names, a table of
the headline figures per scenario with 95% confidence intervals and each alternative's change
against the baseline (approval time; the statutory clock and the share of projects within each
target the scenario declares in ``[[targets]]``; trips; the reform indicators the scenario
defines), one sentence per finding, and — when the results carry a critical-path attribution —
the chart of where the days go. Then one chart per page at full width, each with a caption that
says what to read from it; then the assumptions and every lever's account in full (flowing over
as many pages as it needs); last, the provenance.

The PDF is typeset by Typst (the ``typst`` wheel) from ``briefing.typ`` and a JSON file of the
words and numbers; the charts are matplotlib's vector PDFs, so every word on every page —
charts included — is real text that can be selected and searched. Everything is in the chosen
language (:mod:`sim.report.words`, :mod:`sim.report.accounts`); Chinese needs the CJK font that
``pip install -e .`` installs (:mod:`sim.report.fonts`) and without it
:class:`~sim.report.fonts.FontMissing` is raised instead of an English briefing.
"""

from __future__ import annotations

import datetime as dt
import importlib.resources
import json
import math
import platform
import re
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim._version import __version__
from sim.analysis.critical import bottleneck as critical_bottleneck
from sim.analysis.summary import t_interval
from sim.report import charts, hall
from sim.report.accounts import render_account
from sim.report.fonts import FontMissing, cjk_font_file, font_dirs, require_cjk_font
from sim.report.words import (
    lang_of,
    metric_kind,
    metric_label,
    number,
    pick,
    result_title,
    target_label,
    thing_name,
)

__all__ = [
    "FontMissing",
    "briefing_data",
    "check_language",
    "headline_table",
    "render_pdf",
    "write_brief",
]

TEMPLATE = "briefing.typ"
REFORM_INDICATORS = ("one_trip_share", "overdue_share")
QUALITY = ("unfinished_share", "capped_share")
PAGE_ONE_CHART_HEIGHTS = (3.1, 2.6, 2.2)
"""Heights (inches) tried for page 1's where-the-days-go chart, tallest first, 3 inches wide."""

S = {
    "en": {
        "title": "Briefing: {names}",
        "vs": " vs ",
        "subtitle": "Simulated with approvalsim {version} on {date}: {reps} paired replications "
        "(common random numbers), seed {seed}; 95% confidence intervals in brackets.",
        "col metric": "Indicator",
        "note": "Means per {unit} over the {units} that finished; brackets: 95% confidence "
        "interval across replications; grey: change against {base} with the 95% confidence "
        "interval of the paired difference.",
        "projects": ("projects", "project"),
        "cases": ("cases", "case"),
        "note targets": " Shares within a target count every project that arrived in the "
        "measurement window.",
        "within": "Projects within {name} (statutory clock)",
        "pp": "pp",
        "findings": "Findings",
        "cut": "{alt} {verb} mean approval time by {pct} (95% CI {lo} to {hi}), from {a} to "
        "{b} working days.",
        "verb down": "cuts",
        "verb up": "raises",
        "no change": "{alt} changes mean approval time by {pct}, which is within the noise of "
        "the simulation (95% CI {lo} to {hi}).",
        "clock": "On the statutory clock, the way the targets count, a project takes on "
        "average (working days): {list}.",
        "target share": "Projects within {name}: {list}.",
        "indicator": "{label}: {list}.",
        "bottleneck": "In {base}, the bottleneck is {dep}: its items take {share} of the days on "
        "a project's critical path ({wd:.0f} working days).",
        "unfinished": "In {name}, {share} of the projects had not finished when the run ended; "
        "the means are over the finished ones.",
        "capped": "In {name}, {share} of the projects hit a safety cap on repeated handling.",
        "list sep": ", ",
        "chain": "{values} (in the table's order)",
        "pair": "{name} {value}",
        "captions": {
            "compare": "How much each alternative changes mean approval time against {base}. "
            "Read the dot as the best estimate and the whiskers as its 95% confidence interval "
            "from paired replications: a whisker that does not cross zero is a real effect.",
            "clock": "Working days on the statutory clock per project, the way the national and "
            "provincial targets count them (dashed lines). Read how much of each scenario's "
            "distribution lies left of a target line: those projects meet it.",
            "clock plain": "Working days on the statutory clock per project, the way national and "
            "provincial targets count them (the scenarios declare no target to draw). Read the "
            "spread: the right tail is the projects that would miss a target.",
            "approval": "Approval time per project, from application to the last permit and "
            "through acceptance, leaving out the applicant's own work (design, construction). "
            "It includes corrections, expert reviews and intermediaries, which the statutory "
            "clock leaves out. Read the spread as well as the mean: the long right tail is "
            "the projects a committee hears about.",
            "stage": "What the time of each stage is made of, per scenario. Read the colours to "
            "see which kind of time a reform removed: queueing is capacity, staff work is "
            "effort, notices and transfers are rules, the applicant's own time is preparation. "
            "Construction and other work outside the four stages is left out.",
            "trips": "How many times an applicant goes to an office per project. Read the "
            "difference between the bars as the trips the reforms save each applicant.",
            "util": "How busy each department of {base} is, month by month. Read dark rows as "
            "spare capacity and bright rows as the departments where queues form.",
            "swim": "One typical project of {base} (the one closest to the median lead time), "
            "item by item. Read a staircase as serial handling and bars side by side as "
            "parallel handling; gaps are waits for prerequisites.",
            "days_go base": "Where the days of a project go in {base}: working days on its "
            "critical path, by kind (mean, 95% CI); the longest bars are what a reform must "
            "shorten.",
            "days_go": "Where the days of a project go: working days on its critical path, by "
            "kind. Read the longest bars as the days a reform must remove to shorten "
            "approvals.",
        },
        "chart titles": {
            "days_go": "Where the days go",
            "compare": "Change in approval time",
            "clock": "The statutory clock against the targets",
            "approval": "Approval time per project",
            "stage": "Where each stage's time goes",
            "trips": "Trips to offices",
            "util": "Department utilisation",
            "swim": "A typical project",
        },
        "assumptions": "Assumptions and levers",
        "run": "Run: {start} onwards, projects arriving over {horizon:g} days, the first "
        "{warmup:g} days left out as warm-up; {reps} replications.",
        "targets": "Targets: {list}.",
        "target source": "{name} on the statutory clock (source: {source})",
        "intervals": "Indicators: {list}.",
        "interval": "{name} — from {frm} to {to}, in {unit}",
        "arrival": "application",
        "finish": "the last item",
        "milestone": "the end of {item}",
        "no levers": "No levers: this is the baseline.",
        "nothing changed": "nothing to change in this scenario",
        "calendar": "Years with no official holiday notice yet (holidays computed by rule): "
        "{years}.",
        "provenance": "Provenance",
        "prov line": "{name}: scenario '{id}', seed {seed}, {reps} replications, levers: {levers}.",
        "made": "approvalsim {version}, Python {python}, made {date}.",
        "footer": "approvalsim {version} · seed {seed}",
    },
    "zh": {
        "title": "简报：{names}",
        "vs": "与",
        "subtitle": "由 approvalsim {version} 于 {date} 模拟：{reps} 次配对重复运行（共同随机数），"
        "随机种子 {seed}；方括号内为 95% 置信区间。",
        "col metric": "指标",
        "note": "均值为已办结{units}的每个{unit}平均值；方括号内为各次重复运行的 95% 置信区间；"
        "灰色为相对于{base}的变化及配对差值的 95% 置信区间。",
        "projects": ("项目", "项目"),
        "cases": ("办件", "件"),
        "note targets": "目标内比例以观测期内到达的全部项目为分母。",
        "within": "在{name}内办结的项目比例（法定时限口径）",
        "pp": "个百分点",
        "findings": "主要结论",
        "cut": "{alt}使平均审批时长{verb} {pct}（95% 置信区间 {lo} 至 {hi}），由 {a} 个工作日"
        "变为 {b} 个工作日。",
        "verb down": "缩短",
        "verb up": "延长",
        "no change": "{alt}使平均审批时长变化 {pct}，在模拟的随机误差范围之内"
        "（95% 置信区间 {lo} 至 {hi}）。",
        "clock": "按法定时限口径（与考核目标相同的计法），每个项目平均用时（工作日）：{list}。",
        "target share": "在{name}内办结的项目比例：{list}。",
        "indicator": "{label}：{list}。",
        "bottleneck": "{base}中，瓶颈部门是{dep}：其事项占项目关键路径工作日的 {share}"
        "（{wd:.0f} 个工作日）。",
        "unfinished": "{name}中有 {share} 的项目在运行结束时尚未办结；以上均值仅计已办结项目。",
        "capped": "{name}中有 {share} 的项目触及重复办理的安全上限。",
        "list sep": "；",
        "chain": "{values}（按上表各列顺序）",
        "pair": "{name} {value}",
        "captions": {
            "compare": "各方案相对{base}的平均审批时长变化。圆点为最佳估计，须线为配对重复运行得到"
            "的 95% 置信区间：须线不跨过零，说明效果真实存在。",
            "clock": "按法定时限口径计算的每个项目用时（工作日），与国家和省级考核目标（虚线）"
            "计法相同。看各方案分布有多少落在目标线左侧：这些项目达到了目标。",
            "clock plain": "按法定时限口径计算的每个项目用时（工作日），与国家和省级考核目标"
            "计法相同（方案未声明可绘制的目标）。看分布：右侧长尾就是可能达不到目标的项目。",
            "approval": "每个项目的审批时长：自申请起至最后一项许可及竣工验收，不含申请人自身"
            "工作（设计、施工）；包括补正、专家评审和中介服务时间，而法定时限不计这些时间。"
            "除均值外还要看分布：右侧长尾正是委员会常听到的那些项目。",
            "stage": "各方案各阶段的时间构成。看颜色可知改革减少了哪类时间：排队反映能力不足，"
            "人员办理反映工作量，公示和流转反映制度规定，申请人自身用时反映准备工作。"
            "施工等各阶段之外的工作未计入。",
            "trips": "每个项目申请人前往办事地点的次数。各柱之差即改革为每位申请人节省的跑动。",
            "util": "{base}各部门逐月的工作负荷。颜色深表示尚有余力，颜色亮表示排队形成之处。",
            "swim": "{base}中一个典型项目（办理总时长最接近中位数者）的逐项办理过程。阶梯状表示"
            "串联办理，并排表示并联办理；空档为等待前置事项的时间。",
            "days_go base": "{base}项目的时间花在哪里：关键路径上的工作日，按类别分列（均值，"
            "95% 置信区间）；最长的柱子就是改革必须缩短的时间。",
            "days_go": "项目的时间花在哪里：关键路径上的工作日，按类别分列。最长的柱子就是"
            "改革要缩短审批必须减少的时间。",
        },
        "chart titles": {
            "days_go": "时间花在哪里",
            "compare": "审批时长的变化",
            "clock": "法定时限口径用时与考核目标",
            "approval": "每个项目的审批时长",
            "stage": "各阶段时间构成",
            "trips": "跑动次数",
            "util": "各部门工作负荷",
            "swim": "一个典型项目",
        },
        "assumptions": "假设与改革措施",
        "run": "运行设置：自 {start} 起，项目在 {horizon:g} 天内陆续到达，前 {warmup:g} 天为预热期"
        "不计入统计；共 {reps} 次重复运行。",
        "targets": "考核目标：{list}。",
        "target source": "{name}，按法定时限口径计（来源：{source}）",
        "intervals": "指标定义：{list}。",
        "interval": "{name}——自{frm}至{to}，单位：{unit}",
        "arrival": "申请",
        "finish": "最后一个事项办结",
        "milestone": "{item}办结",
        "no levers": "未采用改革措施（基线）。",
        "nothing changed": "本方案中无可改动之处",
        "calendar": "尚无官方放假通知的年份（按规则推算节假日）：{years}。",
        "provenance": "数据来源与可复现信息",
        "prov line": "{name}：方案文件名称 {id}，随机种子 {seed}，{reps} 次重复运行，"
        "改革措施：{levers}。",
        "made": "approvalsim {version}，Python {python}，生成于 {date}。",
        "footer": "approvalsim {version} · 随机种子 {seed}",
    },
}


def _s(lang: str) -> dict:
    return S[lang_of(lang)]


# --------------------------------------------------------------------------- numbers


@dataclass(frozen=True)
class Estimate:
    """A mean with its 95% confidence interval."""

    mean: float
    lo: float
    hi: float

    @property
    def known(self) -> bool:
        """The mean is a number."""
        return math.isfinite(self.mean)


NAN = Estimate(math.nan, math.nan, math.nan)


def _value(result, metric: str) -> Estimate:
    try:
        v = result.value(metric)
    except KeyError:
        return NAN
    return Estimate(float(v["mean"]), float(v["ci_low"]), float(v["ci_high"]))


def _has(results: Sequence, metric: str) -> bool:
    return any(_value(r, metric).known for r in results)


def _within_per_rep(result, column: str, limit: float) -> pd.Series:
    """Per replication: the share of window projects finished within ``limit`` on ``column``."""
    c = result.cases[result.cases["in_window"]]
    ok = c["finished"] & (c[column] <= limit)
    return ok.groupby(c["replication"]).mean()


def _fmt_ci(e: Estimate, kind: str) -> str:
    if not e.known:
        return "–"
    if not (math.isfinite(e.lo) and math.isfinite(e.hi)):
        return number(e.mean, kind)
    return f"{number(e.mean, kind)} [{number(e.lo, kind)}, {number(e.hi, kind)}]"


def _signed(x: float, digits: int = 1) -> str:
    """``x`` with its sign, as printed: a value that rounds to zero is ``±0``, never ``−0``."""
    x = round(x, digits)
    return ("+" if x > 0 else "−" if x < 0 else "±") + f"{abs(x):.{digits}f}"


def _rel(delta: dict | None) -> str:
    if not delta or not math.isfinite(delta.get("relative_delta", math.nan)):
        return ""
    r, lo, hi = (100 * delta[k] for k in ("relative_delta", "relative_ci_low", "relative_ci_high"))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return f"{_signed(r)}%"
    return f"{_signed(r)}% [{_signed(lo)}, {_signed(hi)}]"


def _pp_text(m: float, lo: float, hi: float, lang: str) -> str:
    """A change in percentage points with its CI, as the briefing prints it.

    One decimal while every figure is under 10 points (a change of 0.4 points is not "0"),
    whole points above.
    """
    if not math.isfinite(m):
        return ""
    unit = _s(lang)["pp"]
    finite = math.isfinite(lo) and math.isfinite(hi)
    largest = max(abs(m), abs(lo), abs(hi)) if finite else abs(m)
    digits = 1 if largest < 9.95 else 0
    if not finite:
        return f"{_signed(m, digits)} {unit}"
    return f"{_signed(m, digits)} {unit} [{_signed(lo, digits)}, {_signed(hi, digits)}]"


def _pp_delta(delta: dict | None, lang: str) -> str:
    """A share's paired change in percentage points, from a comparison row."""
    if not delta or not math.isfinite(delta.get("delta", math.nan)):
        return ""
    m, lo, hi = (100 * delta[k] for k in ("delta", "delta_ci_low", "delta_ci_high"))
    return _pp_text(m, lo, hi, lang)


def _pp(base: pd.Series, alt: pd.Series, lang: str) -> str:
    """The paired change of a share between two scenarios' replications, in points."""
    d = (alt - base).dropna().to_numpy(float)
    return _pp_text(*t_interval(100 * d), lang)


def _delta(comparison, result, metric: str) -> dict | None:
    try:
        return comparison.delta(result.scenario.scenario.name, metric)
    except (KeyError, AttributeError):
        return None


# --------------------------------------------------------------------------- page 1


@dataclass(frozen=True)
class Row:
    """One line of the headline table."""

    key: str
    label: str
    kind: str
    estimate: Callable  # result -> Estimate
    change: Callable  # (comparison, baseline, result) -> str


def _clock_targets(results: Sequence, lang: str) -> list:
    """The targets on the statutory clock, from the scenarios (each once)."""
    seen, out = set(), []
    for r in results:
        for t in getattr(r.scenario, "targets", None) or ():
            if t.metric in ("clock_wd", "clock_wd_mean") and (t.value, t.metric) not in seen:
                seen.add((t.value, t.metric))
                out.append(t)
    return sorted(out, key=lambda t: -float(t.value))


def _interval_names(results: Sequence) -> list[str]:
    names: list[str] = []
    for r in results:
        for name in getattr(r.scenario, "intervals", None) or {}:
            if name not in names:
                names.append(name)
    return names


def headline_rows(results: Sequence, lang: str) -> list[Row]:
    """The rows of page 1's table: those metrics the scenarios define and the runs measured."""
    if hall.is_hall(results):  # citizen service halls (issue 15): their own rows
        return hall_rows(results, lang)
    sc = results[0].scenario
    rows: list[Row] = []

    def plain(metric: str) -> Row:
        scen = next((r.scenario for r in results if metric in (_interval_names([r]))), sc)
        kind = metric_kind(metric, scen)
        change = _pp_delta if kind == "share" else (lambda d, lang: _rel(d))
        return Row(
            metric,
            metric_label(metric, lang, scen),
            kind,
            lambda res, m=metric: _value(res, m),
            lambda comp, base, res, m=metric: change(_delta(comp, res, m), lang),
        )

    for metric in ("approval_wd_mean", "clock_wd_mean"):
        if _has(results, metric):
            rows.append(plain(metric))
    for t in _clock_targets(results, lang):
        limit, name = float(t.value), pick(t.name, lang, t.metric)

        def est(res, limit=limit):
            m, lo, hi = t_interval(_within_per_rep(res, "clock_wd", limit).to_numpy(float))
            return Estimate(m, lo, hi)

        def change(comp, base, res, limit=limit):
            b = _within_per_rep(base, "clock_wd", limit)
            a = _within_per_rep(res, "clock_wd", limit)
            return _pp(b, a, lang)

        label = _s(lang)["within"].format(name=target_label(name, limit, lang))
        rows.append(Row(f"within:{limit:g}", label, "share", est, change))
    if _has(results, "trips_mean"):
        rows.append(plain("trips_mean"))
    intervals = _interval_names(results)
    for name in intervals:
        if _has(results, name):
            rows.append(plain(name))
    if not intervals and _has(results, "title_wd_mean"):
        rows.append(plain("title_wd_mean"))
    for metric in REFORM_INDICATORS:
        if _has(results, metric):
            rows.append(plain(metric))
    for metric in QUALITY:
        if any(_value(r, metric).mean > 0 for r in results):
            rows.append(plain(metric))
    return rows


def _table(comparison, results: Sequence, rows: Sequence[Row], lang: str) -> dict:
    s = _s(lang)
    base = results[0]
    header = [s["col metric"], *(result_title(r, lang, results) for r in results)]
    body = []
    for row in rows:
        cells = []
        for k, res in enumerate(results):
            e = row.estimate(res)
            sub = row.change(comparison, base, res) if k else ""
            cells.append({"main": _fmt_ci(e, row.kind), "sub": sub})
        body.append({"label": row.label, "cells": cells})
    zh = lang_of(lang) == "zh"
    units, unit = s["cases" if hall.is_hall(results) else "projects"]
    note = s["note"].format(base=result_title(base, lang, results), units=units, unit=unit)
    if len(results) == 1:
        note = note.split("；" if zh else "; ")[0]
    if any(r.key.startswith("within:") for r in rows):
        note += s["note targets"]
    return {"header": header, "rows": body, "note": note}


def headline_table(comparison, lang: str = "en") -> pd.DataFrame:
    """Page 1's table as a DataFrame: one row per indicator, one column per scenario.

    Each cell is the mean with its 95% CI; an alternative's cell adds its change against the
    baseline (relative, or in percentage points for shares) with the paired 95% CI.
    """
    results = _results(comparison)
    t = _table(comparison, results, headline_rows(results, lang), lang)
    cells = [
        [c["main"] + (f"  ({c['sub']})" if c["sub"] else "") for c in row["cells"]]
        for row in t["rows"]
    ]
    return pd.DataFrame(
        cells,
        index=pd.Index([r["label"] for r in t["rows"]], name=t["header"][0]),
        columns=t["header"][1:],
    )


def _listing(results: Sequence, values: Sequence[str], lang: str) -> str:
    """The values of every scenario: "a → b → c" in the table's column order, a pair for one."""
    s = _s(lang)
    if len(results) > 1:
        return s["chain"].format(values=" → ".join(values))
    return s["pair"].format(name=result_title(results[0], lang, results), value=values[0])


def findings(comparison, results: Sequence, rows: Sequence[Row], lang: str) -> list[str]:
    """One sentence per finding, in ``lang``."""
    if hall.is_hall(results):  # citizen service halls (issue 15)
        return hall_findings(results, rows, lang)
    s = _s(lang)
    base = results[0]
    out = []
    for res in results[1:]:
        d = _delta(comparison, res, "approval_wd_mean")
        if not d or not math.isfinite(d["relative_delta"]):
            continue
        pct = f"{abs(100 * d['relative_delta']):.1f}%"
        ends = sorted(abs(100 * d[k]) for k in ("relative_ci_low", "relative_ci_high"))
        lo, hi = (f"{v:.1f}%" for v in ends)
        alt = result_title(res, lang, results)
        real = math.isfinite(d["delta_ci_low"]) and (
            d["delta_ci_low"] > 0 or d["delta_ci_high"] < 0
        )
        if real:
            verb = s["verb down"] if d["delta"] < 0 else s["verb up"]
            out.append(
                s["cut"].format(
                    alt=alt,
                    verb=verb,
                    pct=pct,
                    lo=lo,
                    hi=hi,
                    a=number(d["baseline_mean"], "wd"),
                    b=number(d["alternative_mean"], "wd"),
                )
            )
        else:
            signed = f"{100 * d['relative_delta']:+.1f}%"
            lo, hi = (f"{100 * d[k]:+.1f}%" for k in ("relative_ci_low", "relative_ci_high"))
            out.append(s["no change"].format(alt=alt, pct=signed, lo=lo, hi=hi))
    by_key = {r.key: r for r in rows}
    if "clock_wd_mean" in by_key:
        vals = [number(_value(r, "clock_wd_mean").mean, "wd") for r in results]
        out.append(s["clock"].format(list=_listing(results, vals, lang)))
    # the strictest target only: the table has every one
    for t in _clock_targets(results, lang)[-1:]:
        row = by_key.get(f"within:{float(t.value):g}")
        if row is not None:
            vals = [number(row.estimate(r).mean, "share") for r in results]
            out.append(
                s["target share"].format(
                    name=target_label(pick(t.name, lang, t.metric), float(t.value), lang),
                    list=_listing(results, vals, lang),
                )
            )
    # of the other rows only the applicant's trips (the report's 跑动次数): the table above has
    # every indicator, and page 1 must leave room for where the days go
    for row in rows:
        if row.key == "trips_mean":
            vals = [number(row.estimate(r).mean, row.kind) for r in results]
            out.append(s["indicator"].format(label=row.label, list=_listing(results, vals, lang)))
    b = critical_bottleneck(base)
    if b:
        out.append(
            s["bottleneck"].format(
                base=result_title(base, lang, results),
                dep=thing_name(base.scenario.departments, b.department, lang),
                share=number(b.share, "share"),
                wd=b.wd,
            )
        )
    for res in results:
        u = _value(res, "unfinished_share")
        if u.known and u.mean > 0:
            out.append(
                s["unfinished"].format(
                    name=result_title(res, lang, results), share=number(u.mean, "share")
                )
            )
        c = _value(res, "capped_share")
        if c.known and c.mean > 0:
            out.append(
                s["capped"].format(
                    name=result_title(res, lang, results), share=number(c.mean, "share")
                )
            )
    return out


# --------------------------------------------------------------------------- the rest


def _days_go_table(results: Sequence) -> pd.DataFrame | None:
    """The critical-path days by kind of the results (issue 10), when they carry them."""
    return charts.days_go_table(results)


def _has_cjk(text: str) -> bool:
    return bool(re.search(r"[\u3400-\u9fff]", text))


def _in_language(text: str, lang: str) -> bool:
    """Free text from a scenario file is printed only in the language it is written in."""
    return bool(text) and (_has_cjk(text) if lang_of(lang) == "zh" else not _has_cjk(text))


def _milestone(sc, end: str, lang: str) -> str:
    s = _s(lang)
    if end in ("arrival", "finish"):
        return s[end]
    item = (getattr(sc.scenario, "milestones", None) or {}).get(end, end)
    return s["milestone"].format(item=thing_name(sc.items, item, lang))


def assumptions(results: Sequence, lang: str) -> dict:
    """The assumptions section: run settings, targets, indicators, each lever's account."""
    from sim.report.words import UNITS

    s = _s(lang)
    base = results[0]
    sc = base.scenario
    paragraphs = []
    targets = [
        s["target source"].format(
            name=target_label(pick(t.name, lang, t.metric), float(t.value), lang),
            source=getattr(t, "source", "") or "–",
        )
        for t in _clock_targets(results, lang)
    ]
    if targets:
        paragraphs.append(s["targets"].format(list=s["list sep"].join(targets)))
    ivs = []
    for name in _interval_names(results):
        iv = sc.intervals.get(name) if name in (getattr(sc, "intervals", None) or {}) else None
        if iv is None:
            continue
        unit = UNITS[lang_of(lang)][
            "days" if getattr(iv, "unit", "working_days") == "calendar_days" else "wd"
        ]
        ivs.append(
            s["interval"].format(
                name=pick(iv.name, lang, name),
                frm=_milestone(sc, _interval_end(iv, "from"), lang),
                to=_milestone(sc, _interval_end(iv, "to"), lang),
                unit=unit,
            )
        )
    if ivs:
        paragraphs.append(s["intervals"].format(list=s["list sep"].join(ivs)))
    years = sorted({y for r in results for y in r.assumed_calendar_years})
    if years:
        paragraphs.append(s["calendar"].format(years=", ".join(map(str, years))))
    scenarios = []
    for res in results:
        info = res.scenario.scenario
        paras = []
        if _in_language(info.description, lang):
            paras.append(info.description)
        paras.append(
            s["run"].format(
                start=info.start.isoformat(),
                horizon=info.horizon_days,
                warmup=_warmup_days(res),
                reps=len(res.replications),
            )
        )
        levers = []
        for acc in res.accounts:
            title, changes = render_account(acc, res.scenario, lang)
            levers.append({"title": title, "changes": changes or [s["nothing changed"]]})
        if not levers:
            paras.append(s["no levers"])
        title = result_title(res, lang, results)
        scenarios.append({"title": title, "paragraphs": paras, "levers": levers})
    return {"heading": s["assumptions"], "paragraphs": paragraphs, "scenarios": scenarios}


def _warmup_days(result) -> float:
    """The warm-up the run used (detected or from the scenario), in days."""
    info = getattr(result, "warmup", None)
    if isinstance(info, dict) and "warmup_days" in info:
        return float(info["warmup_days"])
    return float(result.scenario.scenario.warmup_days)


def _interval_end(iv, which: str) -> str:
    """An interval's ``from``/``to`` end (the schema may spell ``from`` with a trailing _)."""
    for attr in (which, f"{which}_", "start" if which == "from" else "end"):
        v = getattr(iv, attr, None)
        if isinstance(v, str):
            return v
    return "arrival" if which == "from" else "finish"


def provenance(results: Sequence, lang: str) -> dict:
    """Where the numbers come from: versions, seeds, replications, levers."""
    s = _s(lang)
    lines = [
        s["prov line"].format(
            name=result_title(r, lang, results),
            id=r.scenario.scenario.name,
            seed=r.seed,
            reps=len(r.replications),
            levers=", ".join(r.scenario.applied) or "–",
        )
        for r in results
    ]
    lines.append(
        s["made"].format(
            version=__version__,
            python=platform.python_version(),
            date=dt.date.today().isoformat(),
        )
    )
    return {"heading": s["provenance"], "lines": lines}


# --------------------------------------------------------------------------- assembling


def _results(comparison) -> list:
    if hasattr(comparison, "baseline"):
        return [comparison.baseline, *comparison.alternatives]
    return [comparison]  # a single run


def _chart_specs(comparison, results: Sequence, lang: str) -> list[tuple[str, Callable]]:
    base = results[0]
    specs: list[tuple[str, Callable]] = []
    if hall.is_hall(results):  # the hall heatmap is drawn by write_brief (page 1 and a page)
        return specs
    if len(results) > 1:
        specs.append(("compare", lambda: charts.comparison_chart(comparison, lang=lang)))
    if "clock_wd" in base.cases.columns:
        targets = [
            (pick(t.name, lang, t.metric), float(t.value)) for t in _clock_targets(results, lang)
        ]
        specs.append(
            ("clock", lambda: charts.distribution_chart(results, "clock_wd", lang, targets))
        )
    specs.append(("approval", lambda: charts.distribution_chart(results, "approval_wd", lang)))
    # the charts below read the task tables; a run that did not keep them leaves them out
    tables = all(_kept(r, "tasks") for r in results)
    if tables:
        specs.append(("stage", lambda: charts.stage_breakdown_chart(results, lang=lang)))
    specs.append(("trips", lambda: charts.trips_chart(results, lang=lang)))
    if tables:
        specs.append(("util", lambda: charts.utilisation_heatmap(base, lang=lang)))
        specs.append(("swim", lambda: charts.swimlane_chart(base, lang=lang)))
    return specs


def _kept(result, table: str) -> bool:
    """Whether a result holds a table (a run may keep only the cases)."""
    try:
        df = getattr(result, table)
    except (AttributeError, KeyError, ValueError):
        return False
    return isinstance(df, pd.DataFrame) and len(df) > 0


def briefing_data(comparison, lang: str = "en") -> dict:
    """Every word and number of the briefing (what ``briefing.typ`` lays out), without charts."""
    lang = lang_of(lang)
    s = _s(lang)
    results = _results(comparison)
    base = results[0]
    names = s["vs"].join(result_title(r, lang, results) for r in results)
    rows = headline_rows(results, lang)
    return {
        "lang": lang,
        "region": "cn" if lang == "zh" else "gb",
        "title": s["title"].format(names=names),
        "subtitle": s["subtitle"].format(
            version=__version__,
            date=dt.date.today().isoformat(),
            reps=len(base.replications),
            seed=base.seed,
        ),
        "footer": s["footer"].format(version=__version__, seed=base.seed),
        "table": _table(comparison, results, rows, lang),
        "findings_heading": s["findings"],
        "findings": findings(comparison, results, rows, lang),
        "days_go": None,
        "charts": [],
        "assumptions": assumptions(results, lang),
        "provenance": provenance(results, lang),
    }


def _fonts(lang: str) -> list[str]:
    found = cjk_font_file()
    family = require_cjk_font() if lang == "zh" else (found[1] if found else None)
    return [family, "Libertinus Serif"] if family else ["Libertinus Serif"]


def render_pdf(data: dict, files: dict[str, Path], pdf: Path, png: Path | None = None) -> int:
    """Typeset ``data`` with ``briefing.typ`` into ``pdf`` (and page 1 into ``png``).

    ``files`` maps names used in ``data`` (the charts) to files to place beside the template.
    Returns the page on which page 1's chart ended (0 when there is none), so that the caller
    can draw it smaller when it did not stay on page 1.
    """
    import typst

    with tempfile.TemporaryDirectory(prefix="approvalsim-brief-") as tmp:
        root = Path(tmp)
        template = importlib.resources.files("sim.report").joinpath(TEMPLATE)
        (root / TEMPLATE).write_text(template.read_text(encoding="utf-8"), encoding="utf-8")
        (root / "data.json").write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        for name, path in files.items():
            (root / name).write_bytes(Path(path).read_bytes())
        compiler = typst.Compiler(
            str(root / TEMPLATE),
            root=str(root),
            font_paths=[str(d) for d in font_dirs()],
            ignore_system_fonts=True,
        )
        pdf.write_bytes(compiler.compile(format="pdf"))
        if png is not None:
            pages = compiler.compile(format="png", ppi=110)
            first = pages[0] if isinstance(pages, list) else pages
            png.write_bytes(first)
        marks = json.loads(compiler.query("<page-one-chart>", field="value"))
    return int(marks[0]) if marks else 0


def write_brief(comparison, out: Path, lang: str = "en", page_png: bool = True) -> Path:
    """Write ``briefing.pdf`` into ``out`` (with each chart as PNG, and page 1 as ``page-1.png``).

    ``comparison`` is a comparison (a baseline and alternatives on common random numbers) or a
    single run. Returns the PDF's path. ``lang="zh"`` without a CJK font raises
    :class:`FontMissing` before anything is written.
    """
    lang = lang_of(lang)
    data = briefing_data(comparison, lang)
    data["fonts"] = _fonts(lang)
    s = _s(lang)
    results = _results(comparison)
    base_title = result_title(results[0], lang, results)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    with tempfile.TemporaryDirectory(prefix="approvalsim-charts-") as tmp:
        tmp = Path(tmp)

        def save(key: str, fig) -> str:
            name = f"{key}.pdf"
            fig.savefig(tmp / name)
            fig.savefig(out / f"{key}.png")
            files[name] = tmp / name
            return name

        table = _days_go_table(results)
        days_go = None
        if table is not None:
            # page 1: the baseline's critical-path days, drawn at the width of its column beside
            # the findings (see briefing.typ) at the tallest of PAGE_ONE_CHART_HEIGHTS that keeps
            # it on page 1; every scenario side by side on a page of its own, first of the charts
            base_only = table[table["scenario"] == results[0].scenario.scenario.name]
            days_caption = s["captions"]["days_go base"].format(base=base_title)

            def days_go(height: float) -> dict:
                fig = charts.days_go_chart(
                    base_only, results[:1], lang=lang, width=3.0, height=height
                )
                return {"file": save("days_go_base", fig), "caption": days_caption, "beside": True}

            data["days_go"] = days_go(PAGE_ONE_CHART_HEIGHTS[0])
            data["charts"].append(
                {
                    "title": s["chart titles"]["days_go"],
                    "file": save("days_go", charts.days_go_chart(table, results, lang=lang)),
                    "caption": s["captions"]["days_go"].format(base=base_title),
                }
            )
        if hall.is_hall(results):  # the hourly heatmap of the halls on page 1 (issue 15)
            words = hall.WORDS[lang]
            name = save("hall_heatmap", hall.heatmap_chart(results, lang))
            # page 1: the scenarios side by side, low enough to sit under the findings
            first = save("hall_heatmap_page1", hall.heatmap_chart(results, lang, side_by_side=True))
            data["days_go"] = {"file": first, "caption": words["caption"], "beside": False}
            data["charts"].append(
                {"title": words["title"], "file": name, "caption": words["caption"]}
            )
        plain_clock = not _clock_targets(results, lang)
        for key, make in _chart_specs(comparison, results, lang):
            caption = "clock plain" if key == "clock" and plain_clock else key
            data["charts"].append(
                {
                    "title": s["chart titles"][key],
                    "file": save(key, make()),
                    "caption": s["captions"][caption].format(base=base_title),
                }
            )
        pdf = out / "briefing.pdf"
        png = out / "page-1.png" if page_png else None
        page = render_pdf(data, files, pdf, png)
        if page > 1 and days_go is not None and not hall.is_hall(results):
            for height in PAGE_ONE_CHART_HEIGHTS[1:]:
                data["days_go"] = days_go(height)
                page = render_pdf(data, files, pdf, png)
                if page == 1:
                    break
        if page > 1:  # page 1 cannot hold its chart: the chart page after it has it anyway
            data["days_go"] = None
            render_pdf(data, files, pdf, png)
    return pdf


def check_language(text: str, lang: str) -> list[str]:
    """Lines of extracted PDF text that hold an English sentence in a Chinese briefing.

    An English sentence is four or more Latin words in a row; identifiers (``pukou-baseline``),
    units, numbers and the provenance section are allowed. Used by the tests and useful to
    check a briefing by hand.
    """
    if lang_of(lang) != "zh":
        return []
    bad = []
    for line in text.splitlines():
        if "approvalsim" in line or "Python" in line:
            continue
        if re.search(r"(?:\b[A-Za-z]{2,}\b[ ,.;:]+){3,}\b[A-Za-z]{2,}\b", line):
            bad.append(line)
    return bad


# ----------------------------------------------------------------- citizen halls (issue 15)


def _hall_estimate(result, metric: str, group: str) -> Estimate:
    try:
        v = result.value(metric, group)
    except KeyError:
        return NAN
    return Estimate(float(v["mean"]), float(v["ci_low"]), float(v["ci_high"]))


def _hall_change(comparison, result, metric: str, group: str, kind: str, lang: str) -> str:
    try:
        d = comparison.delta(result.scenario.scenario.name, metric, group)
    except (KeyError, AttributeError):
        return ""
    return _pp_delta(d, lang) if kind == "share" else _rel(d)


def hall_rows(results: Sequence, lang: str) -> list[Row]:
    """Page 1's rows for hall runs (those the runs measured): see :mod:`sim.report.hall`."""
    lang = lang_of(lang)
    out = []
    for metric, group, en, zh, kind in hall.ROWS:
        if not any(_hall_estimate(r, metric, group).known for r in results):
            continue
        out.append(
            Row(
                f"{metric}@{group}",
                en if lang == "en" else zh,
                kind,
                lambda res, m=metric, g=group: _hall_estimate(res, m, g),
                lambda comp, base, res, m=metric, g=group, k=kind: _hall_change(
                    comp, res, m, g, k, lang
                ),
            )
        )
    return out


def hall_findings(results: Sequence, rows: Sequence[Row], lang: str) -> list[str]:
    """Page 1's findings for hall runs: each row's values, then the busiest window group."""
    lang = lang_of(lang)
    out = []
    for row in rows:
        vals = [number(row.estimate(r).mean, row.kind) for r in results]
        sep = "：" if lang == "zh" else ": "
        end = "。" if lang == "zh" else "."
        out.append(f"{row.label}{sep}{_listing(results, vals, lang)}{end}")
    base = results[0]
    deps = base.departments.groupby("department", observed=True)
    d = deps["utilisation"].mean().dropna()
    if not d.empty:
        key, u = str(d.idxmax()), float(d.max())
        wait = float(deps["mean_wait_min"].mean()[key])
        name = hall.window_name(base, key, lang)
        title = result_title(base, lang, results)
        if lang == "zh":
            out.append(
                f"{title}中最忙的窗口组是{name}（负荷 {number(u, 'share')}，平均等候 "
                f"{wait:.1f} 分钟）。"
            )
        else:
            out.append(
                f"In {title}, the busiest window group is {name} (utilisation "
                f"{number(u, 'share')}, mean wait {wait:.1f} min)."
            )
    return out
