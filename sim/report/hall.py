"""The citizen halls in the briefing (issue 15): page 1's rows and the hourly utilisation heatmap.

A briefing of hall runs (``meta["hall"]``) puts on page 1 the share of life events done in one
visit, visits per life event, days to completion, the wait in the hall (mean and 90th
percentile) and the share who left without service — each with its 95% CI and, for the
alternatives, the paired change — and, as page 1's figure, the window utilisation by hall and
hour of day of every scenario. :mod:`sim.report.brief` calls :func:`is_hall`, :func:`rows`,
:func:`heatmap_chart` and reads :data:`WORDS`.
"""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from typing import Any

import numpy as np

from sim.analysis.citizen import heatmap
from sim.report.words import lang_of, pick, result_title

LIFE = "group:life_event"

#: metric -> (group, en, zh, kind)
ROWS = (
    ("one_visit_share", LIFE, "Life events done in one visit", "一次办结的一件事比例", "share"),
    ("visits_mean", LIFE, "Visits per life event", "每件一件事到厅次数", "count"),
    ("lead_days_mean", LIFE, "Days to complete a life event", "一件事办结用时（日历天）", "days"),
    (
        "hall_wait_mean_min",
        "all",
        "Wait in the hall per visit (min)",
        "每次到厅等候（分钟）",
        "min",
    ),
    (
        "hall_wait_p90_min",
        "all",
        "Wait in the hall, 90th percentile (min)",
        "到厅等候第90百分位（分钟）",
        "min",
    ),
    ("left_unserved_share", "all", "Left without service", "未办理即离开的比例", "share"),
    (
        "one_visit_share",
        "all",
        "All cases done in at most one visit",
        "全部办件最多跑一次比例",
        "share",
    ),
)

WORDS = {
    "en": {
        "title": "Window utilisation by hall and hour of day",
        "caption": "How busy the windows of each hall are, hour by hour (busy over rostered "
        "staff time, all working days of the year pooled), per scenario. Read bright cells as "
        "the hours when queues form, dark ones as spare capacity; blank cells are closed.",
        "hour": "hour of day",
        "util": "utilisation",
    },
    "zh": {
        "title": "各大厅分时段窗口工作负荷",
        "caption": "各方案中每个大厅窗口逐小时的忙碌程度（忙碌时间占排班时间之比，全年各工作日"
        "合并）。亮色表示排队形成的时段，暗色表示尚有余力，空白表示未开放。",
        "hour": "时段（点）",
        "util": "负荷",
    },
}


def is_hall(results: Sequence) -> bool:
    """Whether the results are runs of a service-hall scenario."""
    return bool(results) and bool(results[0].replications[0].meta.get("hall"))


def heatmap_chart(results: Sequence, lang: str = "en", side_by_side: bool = False) -> Any:
    """Utilisation by hall (rows) and hour of day (columns), one panel per scenario.

    The panels are stacked, or with ``side_by_side`` put in one row (the halls named once, on
    the left): about half as tall, for page 1 of the briefing.
    """
    from sim.report.charts import _figure, style
    from sim.report.style import MIN_PT, PAGE_WIDTH_IN

    lang = lang_of(lang)
    tx = WORDS[lang]
    frames = [heatmap([rep.meta for rep in r.replications]) for r in results]
    hours = [h for h in range(24) if any(f[h].notna().any() for f in frames)]
    with style(lang):
        rows_n = max(len(f) for f in frames)
        panels = 1 if side_by_side else len(frames)
        fig = _figure(0.9 + 0.16 * rows_n * panels, PAGE_WIDTH_IN)
        if side_by_side:
            axes = fig.subplots(1, len(frames), squeeze=False, sharey=True)[0, :]
        else:
            axes = fig.subplots(len(frames), 1, squeeze=False)[:, 0]
        im = None
        for n, (ax, frame, res) in enumerate(zip(axes, frames, results, strict=True)):
            names = [_hall_name(res, lid, lang) for lid in frame.index]
            values = frame[hours].to_numpy(float)
            im = ax.imshow(
                np.ma.masked_invalid(values), aspect="auto", cmap="cividis", vmin=0, vmax=1
            )
            if n == 0 or not side_by_side:
                ax.set_yticks(range(len(names)), names, fontsize=MIN_PT)
            ax.set_xticks(range(len(hours)), [f"{h}" for h in hours], fontsize=MIN_PT)
            ax.grid(False)
            title = result_title(res, lang, results)
            if side_by_side:  # half the width: wrapped on two lines at most
                title = textwrap.shorten(title, 70, placeholder="…")
                title = textwrap.fill(title, 18 if lang == "zh" else 28)
            ax.set_title(title, loc="left")
            if side_by_side:
                ax.set_xlabel(tx["hour"])
        if not side_by_side:
            axes[-1].set_xlabel(tx["hour"])
        if im is not None:
            cbar = fig.colorbar(im, ax=list(axes), shrink=0.8)
            cbar.set_label(tx["util"])
    return fig


def window_name(result, key: str, lang: str) -> str:
    """A window group ``<location>.<group>`` by its names.

    The hall's name, and the department's when the group is named after one (its id otherwise).
    """
    lid, _, gid = key.partition(".")
    dep = result.scenario.departments.get(gid)
    group = pick(dep.name if dep is not None else None, lang, gid)
    hall_name = _hall_name(result, lid, lang, limit=None)
    return f"{hall_name}·{group}" if lang_of(lang) == "zh" else f"{hall_name}, {group} windows"


def _hall_name(result, lid: str, lang: str, limit: int | None = 28) -> str:
    """A hall's display name (its id without one), cut to ``limit`` characters."""
    loc = result.scenario.locations.get(lid)
    name = pick(loc.name if loc is not None else None, lang, lid)
    return name if limit is None or len(name) <= limit else name[: limit - 1] + "…"
