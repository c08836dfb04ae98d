"""Every word the charts and the briefing print, in English and Chinese.

Display names come from the scenario files (``[scenario] title``, ``stages``, the ``name`` of
departments, items, case types, intervals and targets); the words here are only the report's
own: labels, units, captions and sentences. Working days are 工作日 throughout, calendar days
日历天. Nothing here is policy: no item, milestone or target is named in code.
"""

from __future__ import annotations

import re
from typing import Any

LANGS = ("en", "zh")


def lang_of(lang: str) -> str:
    """``"zh"`` or ``"en"`` (anything else is English)."""
    return "zh" if lang == "zh" else "en"


def pick(names: Any, lang: str, fallback: str = "") -> str:
    """A display name in ``lang`` from a ``Names`` object, a ``{zh, en}`` dict or a string."""
    if names is None:
        return fallback
    if isinstance(names, str):
        return names or fallback
    if isinstance(names, dict):
        first, second = names.get(lang_of(lang)), names.get("en" if lang == "zh" else "zh")
        return first or second or fallback
    got = names.get(lang_of(lang)) if hasattr(names, "get") else None
    return got or fallback


def scenario_title(scenario, lang: str) -> str:
    """The scenario's display name (``[scenario] title``), else its ``name``."""
    info = scenario.scenario
    return pick(getattr(info, "title", None), lang, info.name)


def result_title(result, lang: str, among=()) -> str:
    """The display name of the scenario a result ran.

    When another result of ``among`` has the same display name (an alternative that extends the
    baseline without a title of its own), the scenario's ``name`` is added to tell them apart.
    """
    title = scenario_title(result.scenario, lang)
    name = result.scenario.scenario.name
    twins = [
        r
        for r in among
        if r.scenario.scenario.name != name and scenario_title(r.scenario, lang) == title
    ]
    if not twins or title == name:
        return title
    return f"{title}（{name}）" if lang_of(lang) == "zh" else f"{title} ({name})"


def stage_name(scenario, stage: int, lang: str) -> str:
    """A stage's display name from the scenario's ``stages`` list; else a numbered stage."""
    stages = getattr(scenario, "stages", None) or ()
    if 1 <= stage <= len(stages):
        name = pick(stages[stage - 1], lang)
        if name:
            return f"{stage} {name}"
    if stage == 0:
        return W[lang_of(lang)]["outside stages"]
    return W[lang_of(lang)]["stage n"].format(n=stage)


def target_label(name: str, value: float, lang: str) -> str:
    """A target's label: its name, with its value added when the name does not say it."""
    if re.search(rf"(?<![\d.]){value:g}(?![\d])", name):
        return name
    return W[lang_of(lang)]["target"].format(name=name, value=value)


def thing_name(table: dict, key: str, lang: str) -> str:
    """The display name of a department, item or case type (its id when it has none)."""
    obj = table.get(key)
    return pick(getattr(obj, "name", None), lang, key) if obj is not None else key


# metric -> (en, zh, kind); kind: wd (working days), days (calendar days), share, trips, count
METRICS: dict[str, tuple[str, str, str]] = {
    "approval_wd_mean": ("Approval time", "审批时长", "wd"),
    "clock_wd_mean": ("On the statutory clock", "法定时限口径用时", "wd"),
    "lead_wd_mean": ("Lead time", "办理总时长", "wd"),
    "lead_days_mean": ("Lead time", "办理总时长", "days"),
    "trips_mean": ("Trips to offices per project", "每个项目跑动次数", "trips"),
    "agent_trips_mean": ("Agents' trips per project", "代办员跑动次数", "trips"),
    "corrections_mean": ("Corrections per project", "每个项目补正次数", "count"),
    "title_wd_mean": ("Completion to title", "竣工到发证", "wd"),
    "one_trip_share": ("Items needing at most one trip", "最多跑一次的事项比例", "share"),
    "overdue_share": ("Items over their promised time limit", "超过承诺时限的事项比例", "share"),
    "unfinished_share": ("Projects not finished in the run", "运行结束时未办结的项目比例", "share"),
    "capped_share": ("Projects that hit a safety cap", "触及安全上限的项目比例", "share"),
}

UNITS = {
    "en": {"wd": "working days", "days": "calendar days", "trips": "", "count": ""},
    "zh": {"wd": "工作日", "days": "日历天", "trips": "次", "count": "次"},
}


def interval_of(scenario, metric: str):
    """The ``[intervals.<metric>]`` declaration of a scenario, or ``None``."""
    return (getattr(scenario, "intervals", None) or {}).get(metric)


def metric_kind(metric: str, scenario=None) -> str:
    """``wd``, ``days``, ``share``, ``trips`` or ``count``."""
    if metric in METRICS:
        return METRICS[metric][2]
    iv = interval_of(scenario, metric) if scenario is not None else None
    if iv is not None:
        return "days" if getattr(iv, "unit", "working_days") == "calendar_days" else "wd"
    return "wd" if metric.endswith("_wd") else "days" if metric.endswith("_days") else "count"


def metric_label(metric: str, lang: str, scenario=None, unit: bool = True) -> str:
    """A metric's readable name with its unit: 审批时长（工作日）, Approval time (working days)."""
    lang = lang_of(lang)
    iv = interval_of(scenario, metric) if scenario is not None else None
    if iv is not None:
        name = pick(getattr(iv, "name", None), lang, metric)
    elif metric in METRICS:
        name = METRICS[metric][0 if lang == "en" else 1]
    else:
        name = metric
    kind = metric_kind(metric, scenario)
    u = UNITS[lang].get(kind, "")
    if not unit or not u:
        return name
    return f"{name}（{u}）" if lang == "zh" else f"{name} ({u})"


def number(value: float, kind: str) -> str:
    """A value printed to the precision its kind deserves (a minus sign, never "-0")."""
    if value != value:  # NaN
        return "–"
    if kind == "share":
        text = f"{100 * value:.0f}%" if abs(value) >= 0.1 else f"{100 * value:.1f}%"
    elif kind in ("trips", "count"):
        text = f"{value:.1f}"
    else:
        text = f"{value:.0f}" if abs(value) >= 20 else f"{value:.1f}"
    if text.startswith("-"):
        text = text[1:] if not text.strip("-0.%") else "−" + text[1:]
    return text


W: dict[str, dict[str, Any]] = {
    "en": {
        "outside stages": "outside the stages",
        "stage n": "stage {n}",
        "working days": "working days",
        "calendar days": "calendar days",
        "case type": "project category",
        "scenario": "scenario",
        "mean ci": "mean with 95% confidence interval across replications",
        "reps": "{reps} replications, seed {seed}",
        "reps cases": "{reps} replications, {n:,} projects, seed {seed}",
        "sep": "; ",
        "pooled": "replications pooled",
        "points": "points: mean and 95% CI across replications",
        "mean label": "mean {m}",
        "distribution title": "{what}: distribution per project",
        "target": "{name}: {value:g}",
        "change title": "Change against {base}",
        "change x": "change against {base}, % (95% CI, paired replications)",
        "stage title": "What each stage's time is made of",
        "stage x": "calendar days per project, summed over the stage's items",
        "stage ci": "whiskers: 95% CI of the stage total",
        "components": {
            "queueing": "waiting in a queue",
            "staff work": "staff at work",
            "elapsed delays": "notices, reviews, transfers",
            "applicant time": "applicant's own time",
        },
        "util title": "Department utilisation by month (bottleneck: {b})",
        "util": "share of open staff hours in use",
        "month": "month",
        "swim title": "One typical project, item by item ({name}, {ctype})",
        "days since": "calendar days since application",
        "item": "item",
        "trips title": "Trips to offices per project",
        "trips x": "trips per project (mean, 95% CI)",
        "tornado title": "Sensitivity of {metric}: one parameter at a time",
        "tornado x": "{metric} at the low and high end of each range",
        "low": "low end",
        "high": "high end",
        "base": "base",
        "days go title": "Where the days go",
        "days go x": "working days on the critical path per project (mean, 95% CI)",
    },
    "zh": {
        "outside stages": "阶段外",
        "stage n": "第 {n} 阶段",
        "working days": "工作日",
        "calendar days": "日历天",
        "case type": "项目类别",
        "scenario": "方案",
        "mean ci": "各次重复运行的均值及 95% 置信区间",
        "reps": "{reps} 次重复运行，随机种子 {seed}",
        "reps cases": "{reps} 次重复运行，共 {n:,} 个项目，随机种子 {seed}",
        "sep": "；",
        "pooled": "各次重复运行合并",
        "points": "圆点为各次重复运行的均值及 95% 置信区间",
        "mean label": "均值 {m}",
        "distribution title": "{what}：各项目分布",
        "target": "{name}：{value:g}",
        "change title": "相对于{base}的变化",
        "change x": "相对于{base}的变化（%，95% 置信区间，配对重复运行）",
        "stage title": "各阶段时间构成",
        "stage x": "每个项目的日历天数（阶段内各事项累加）",
        "stage ci": "须线为阶段合计的 95% 置信区间",
        "components": {
            "queueing": "排队等候",
            "staff work": "人员办理",
            "elapsed delays": "公示、评审、流转",
            "applicant time": "申请人自身用时",
        },
        "util title": "各部门逐月工作负荷（瓶颈部门：{b}）",
        "util": "在岗工时占用比例",
        "month": "月份",
        "swim title": "一个典型项目的逐项办理过程（{name}，{ctype}）",
        "days since": "申请后的日历天数",
        "item": "事项",
        "trips title": "每个项目的跑动次数",
        "trips x": "每个项目跑动次数（均值，95% 置信区间）",
        "tornado title": "{metric}的敏感性：逐一改变参数",
        "tornado x": "各参数取区间下限与上限时的{metric}",
        "low": "下限",
        "high": "上限",
        "base": "基准",
        "days go title": "时间花在哪里",
        "days go x": "关键路径上每个项目的工作日（均值，95% 置信区间）",
    },
}


def words(lang: str) -> dict[str, Any]:
    """The report's own words in ``lang``."""
    return W[lang_of(lang)]
