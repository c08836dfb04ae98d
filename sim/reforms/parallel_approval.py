"""Parallel approval (并联审批): within a stage, items no longer wait for each other by practice.

The ``after`` edges between items of the same stage are dropped; hard ``requires`` edges stay.
With ``joint_intake``, the items of a stage that have an intake step are handed in on one form:
their separate intakes are replaced by a single joint intake item, handled by one department,
that every one of them then requires. The joint intake waits for the union of the members'
prerequisites from outside the stage (the form is submitted when the stage can start).
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import (
    LeverParams,
    Note,
    add_to_case_types,
    check_names,
    descendants,
    edit_items,
    fmt,
)
from sim.scenario.distributions import Deterministic, Gamma
from sim.scenario.load import ancestors
from sim.scenario.schema import Item, Names, Scenario, Step

NAME = "parallel_approval"
ZH = "并联审批"
SUMMARY = "drop practice 'after' edges within a stage; one joint intake for the stage's items"


class Params(LeverParams):
    """Which stages, and whether their intakes merge."""

    stages: tuple[int, ...] = Field(default=(1, 2, 3, 4), description="Stages made parallel.")
    joint_intake: bool = Field(default=True, description="Replace separate intakes by one.")
    intake_step: str = Field(default="intake", description="Name of the intake steps.")
    intake_department: str | None = Field(
        default=None,
        description="Who runs the joint intake (default: the department of the "
        "stage's first item).",
    )
    intake_share: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Joint intake effort as a share of the separate intakes' total "
        "(ASSUMPTION: 0.5, one form instead of several).",
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = [
        ("stages", f"stage {s} does not exist (valid: 1, 2, 3, 4)")
        for s in p.stages
        if s not in (1, 2, 3, 4)
    ]
    if p.intake_department is not None:
        out += check_names("intake_department", "department", [p.intake_department], sc.departments)
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[Note]]:
    changes = []
    stage_of = {i: it.stage for i, it in sc.items.items()}
    updates = {}
    for stage in p.stages:
        dropped = []
        for iid, it in sc.items.items():
            if it.stage != stage or not it.after:
                continue
            keep = tuple(a for a in it.after if stage_of[a] != stage)
            if keep != it.after:
                dropped += [f"{a}->{iid}" for a in it.after if a not in keep]
                updates[iid] = it.model_copy(update={"after": keep})
        if dropped:
            changes.append(
                Note(
                    f"stage {stage}: removed {len(dropped)} practice 'after' edges: {fmt(dropped)}",
                    f"第{stage}阶段：取消{len(dropped)}处惯例串联，改为并联：{len(dropped)}处",
                )
            )
    sc = edit_items(sc, updates)
    if p.joint_intake:
        for stage in p.stages:
            sc, change = _joint_intake(sc, p, stage)
            if change:
                changes.append(change)
    return sc, changes


def _joint_intake(sc: Scenario, p: Params, stage: int) -> tuple[Scenario, Note | None]:
    candidates = [
        iid
        for iid, it in sc.items.items()
        if it.stage == stage
        and it.kind != "applicant"
        and len(it.steps) > 1
        and any(s.name == p.intake_step and s.effort is not None for s in it.steps)
    ]
    # items handed in together: none may come after another, and what the joint intake waits
    # for must not come after any of them (else the form would wait for itself)
    members = [m for m in candidates if not (ancestors(m, sc) & set(candidates))]
    while True:
        entry_all = {pre for m in members for pre in (*sc.items[m].requires, *sc.items[m].after)}
        late = {m for m in members if descendants(sc, [m]) & (entry_all - {m})}
        if not late:
            break
        members = [m for m in members if m not in late]
    if len(members) < 2:
        return sc, None
    joint_id = f"joint_intake_stage{stage}"
    efforts = [
        s.effort
        for m in members
        for s in sc.items[m].steps
        if s.name == p.intake_step and s.effort is not None
    ]
    mean = p.intake_share * sum(e.mean for e in efforts)
    total = sum(e.mean for e in efforts)
    cv = sum(e.variance for e in efforts) ** 0.5 / total if total else 0.0
    entry = sorted(
        {
            pre
            for m in members
            for pre in (*sc.items[m].requires, *sc.items[m].after)
            if pre not in members
        }
    )
    department = p.intake_department or sc.items[members[0]].department
    joint = Item(
        name=Names(zh=f"第{stage}阶段并联受理", en=f"Joint intake, stage {stage}"),
        stage=stage,
        department=department,
        kind="approval",
        steps=(
            Step(
                name=p.intake_step,
                effort=Gamma(mean=mean, cv=cv) if cv > 0 else Deterministic(value=mean),
            ),
        ),
        requires=tuple(entry),
        in_zone=any(sc.items[m].in_zone for m in members),
        submitted_online=all(sc.items[m].submitted_online for m in members),
    )
    updates = {joint_id: joint}
    for m in members:
        it = sc.items[m]
        updates[m] = it.model_copy(
            update={
                "steps": tuple(s for s in it.steps if s.name != p.intake_step),
                "requires": (*it.requires, joint_id),
                "correction": _restart_safe(it, p.intake_step),
            }
        )
    sc = edit_items(sc, updates)
    sc = add_to_case_types(sc, lambda items: [joint_id] if set(items) & set(members) else [])
    return sc, Note(
        f"stage {stage}: one joint intake ({department}, {mean:.2g} staff hours) "
        f"replaces the intakes of {len(members)} items: {fmt(members)}",
        f"第{stage}阶段：{len(members)}个事项一表申请、并联受理"
        f"（{sc.departments[department].name.zh or department}）",
    )


def _restart_safe(it: Item, intake: str):
    corr = it.correction
    if corr is not None and corr.from_step == intake:
        return corr.model_copy(update={"from_step": None})
    return corr
