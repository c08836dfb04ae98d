"""Compressed time limits (压时限, 限时办结): shorter promised limits, met by shorter in-trays.

What the policy does: the department promises a shorter time limit (承诺时限) for the items it
handles and meets it by moving files on faster — the internal sign-off and issue, the days a
file waits in an in-tray between the reviewer and the head who signs. The review work itself,
the statutory periods (public notices, listings) and the technical reviews are not shortened.
Pukou's planning branch did exactly this in 2018 (site selection, land-use permit, general
layout plan, engineering planning permit: 7 → 3 working days) and the district approval bureau
names "重效能、压时限" as the first measure of the 2022-2023 reform (SOURCES.md).

In the model, for the items of the named departments: every elapsed step named in ``steps``
(the sign-off and issue) takes ``factor`` times as long, and the item's promised limit becomes
``factor`` times as long (at least ``min_limit_wd``). Staff effort, corrections, notices, panels
and every other step stay as they were.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, Note, check_names, edit_items, fmt, names_zh, scale_step
from sim.scenario.schema import Scenario

NAME = "time_limits"
ZH = "压时限"
SUMMARY = "shorter promised limits, met by shorter internal sign-off (not by less review work)"
MECHANISM = (
    "promised limits cut by a factor; the internal sign-off and issue steps shortened by it; "
    "review work, notices and technical reviews unchanged"
)
MECHANISM_ZH = "承诺时限按比例压缩，内部签批、发证环节相应提速；审查工作量、公示与技术审查不变"


class Params(LeverParams):
    """Which departments compress their limits, by how much, and which steps are sign-off."""

    departments: tuple[str, ...] = Field(
        default=(), description="Departments that compress their limits (default: all)."
    )
    factor: float = Field(
        default=3 / 7,
        gt=0,
        le=1,
        description="Limit and sign-off multiplier (Pukou planning branch 2018: 7 -> 3 working "
        "days).",
    )
    steps: tuple[str, ...] = Field(
        default=("sign-off and issue", "sign-off", "decision"),
        description="Names of the elapsed steps that are the internal sign-off and issue.",
    )
    min_limit_wd: float = Field(
        default=1.0, gt=0, description="The shortest promised limit, working days."
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    return check_names("departments", "department", p.departments, sc.departments)


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[Note]]:
    deps = set(p.departments or sc.departments)
    names = set(p.steps)
    updates, faster = {}, []
    for iid, it in sc.items.items():
        if it.kind == "applicant" or it.department not in deps:
            continue
        steps = tuple(
            scale_step(s, p.factor) if s.delay is not None and s.name in names else s
            for s in it.steps
        )
        if steps == it.steps:
            continue
        update = {"steps": steps}
        if it.time_limit_wd is not None:
            update["time_limit_wd"] = max(p.min_limit_wd, round(it.time_limit_wd * p.factor, 1))
        updates[iid] = it.model_copy(update=update)
        faster.append(iid)
    if not faster:
        return sc, []
    return edit_items(sc, updates), [
        Note(
            f"promised limits and internal sign-off x{p.factor:.2g} for {len(faster)} items: "
            f"{fmt(faster)}",
            f"{len(faster)}个事项承诺时限及内部签批用时乘以{p.factor:.2g}：{names_zh(sc, faster)}",
        )
    ]
