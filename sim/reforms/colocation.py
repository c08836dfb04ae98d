"""Co-location (一站式专区): departments and items move into the one-stop zone.

What co-location changes, and nothing else:

* **trips** — a department moved into the zone is found in the service hall: same-day
  in-person submissions there share one trip; an item moved alone is received at the zone's
  windows while its department stays where it is (same effect);
* **transfers** — files leave zone departments and zone windows without the paper transfer time
  between offices;
* **joint consultation** — where an item asks other departments for their opinions (a step named
  ``consultation_step``), departments sitting in the zone give them at one joint meeting
  (``joint_meeting_days``) instead of by letter. Only items whose own department is in the zone
  hold such a meeting.

No review gets shorter, no correction rarer, no requirement goes away.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, Note, check_names, edit_items, fmt, names_zh
from sim.scenario.distributions import Deterministic
from sim.scenario.schema import Scenario

NAME = "colocation"
ZH = "一站式专区"
SUMMARY = "departments and items into the one-stop zone: shared trips, no transfers, joint meetings"
MECHANISM = (
    "zone departments and windows: same-day submissions share a trip, no paper transfers, "
    "consultations among zone departments at one joint meeting"
)
MECHANISM_ZH = (
    "进驻专区的部门与窗口：同日递交只跑一次，免去纸质流转，专区内部门征求意见改为联合会商"
)


class Params(LeverParams):
    """Which departments and items move into the zone, and how consultation works there."""

    departments: tuple[str, ...] = Field(default=(), description="Departments moved into the zone.")
    items: tuple[str, ...] = Field(
        default=(), description="Items received at the zone's windows (their departments stay)."
    )
    consultation_step: str = Field(
        default="consultation",
        description="Name of the steps in which an item asks other departments for opinions.",
    )
    joint_meeting_days: float = Field(
        default=1.0,
        ge=0,
        description="Working days of the joint consultation in the zone (ASSUMPTION: a meeting "
        "within one working day instead of letters).",
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("departments", "department", p.departments, sc.departments)
    out += check_names("items", "item", p.items, sc.items)
    if not p.departments and not p.items:
        out.append(("departments", "name at least one department or item to move"))
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[Note]]:
    changes: list[Note] = []
    deps = dict(sc.departments)
    moved = []
    for d in p.departments:
        dep = deps[d]
        if dep.location == "zone" and dep.transfer_days == 0:
            continue
        moved.append(d)
        deps[d] = dep.model_copy(update={"location": "zone", "transfer_days": 0.0})
    if moved:
        changes.append(
            Note(
                f"moved {len(moved)} departments into the zone: {fmt(moved)} (shared trips, "
                "no transfers)",
                f"{len(moved)}个部门进驻专区（同日只跑一次，免纸质流转）："
                f"{names_zh(sc, moved, 'departments')}",
            )
        )
    sc = sc.model_copy(update={"departments": deps})
    updates = {
        i: sc.items[i].model_copy(update={"in_zone": True})
        for i in p.items
        if not sc.items[i].in_zone
    }
    if updates:
        changes.append(
            Note(
                f"received {len(updates)} items at the zone's windows: {fmt(updates)}",
                f"{len(updates)}个事项在专区窗口受理：{names_zh(sc, updates)}",
            )
        )
    meeting = Deterministic(value=p.joint_meeting_days, unit="working_days")
    joint = []
    for iid, it in sc.items.items():
        if it.department is None or deps[it.department].location != "zone":
            continue
        steps = tuple(
            s.model_copy(update={"delay": meeting})
            if s.name == p.consultation_step and s.delay is not None
            else s
            for s in it.steps
        )
        if steps != it.steps:
            updates[iid] = updates.get(iid, it).model_copy(update={"steps": steps})
            joint.append(iid)
    if joint:
        changes.append(
            Note(
                f"consultations of {len(joint)} items held as one joint meeting in the zone "
                f"({p.joint_meeting_days:g} working day): {fmt(joint)}",
                f"{len(joint)}个事项的部门征求意见改为专区联合会商（{p.joint_meeting_days:g}个工作日）："
                f"{names_zh(sc, joint)}",
            )
        )
    return edit_items(sc, updates), changes
