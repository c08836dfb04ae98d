"""Completion = title certificate (竣工即交证), or the weaker completion = delivery (竣工即交付).

The stage-4 acceptance items (planning, land, civil air defence, fire, archives, acceptance
filing: those tagged ``joint_acceptance`` by default) merge into one joint acceptance: they no
longer wait for each other, each starting once its own prerequisites are met, and their separate
site inspections become one joint inspection. With ``title_alongside`` (completion = title),
first title registration runs alongside the acceptance — it waits only for what the inspected
building must have reached — so the title is issued at acceptance; without it (completion =
delivery) the title still follows the whole acceptance.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, add_to_case_types, check_names, edit_items, fmt
from sim.scenario.distributions import Deterministic
from sim.scenario.schema import Item, Names, Scenario, Step

NAME = "completion_equals_title"
ZH = "竣工即交证"
SUMMARY = "acceptance items merge into one joint acceptance; title registration runs alongside"

JOINT = "joint_inspection"


class Params(LeverParams):
    """The acceptance items, the title item and the joint inspection."""

    items: tuple[str, ...] | None = Field(
        default=None, description="Default: items tagged 'joint_acceptance'."
    )
    title_item: str | None = Field(
        default=None,
        description="First title registration (default: the item tagged 'title', if any).",
    )
    title_alongside: bool = Field(
        default=True,
        description="True: 竣工即交证 (title at "
        "acceptance); false: 竣工即交付 (title after acceptance).",
    )
    inspection_step: str = Field(
        default="site inspection",
        description="Name of the members' site-inspection steps, merged into one.",
    )
    lead_department: str | None = Field(
        default=None,
        description="Who leads the joint inspection (default: the first member's department).",
    )


def _members(sc: Scenario, p: Params) -> list[str]:
    return (
        list(p.items)
        if p.items is not None
        else [i for i, it in sc.items.items() if "joint_acceptance" in it.tags]
    )


def _title(sc: Scenario, p: Params) -> str | None:
    if p.title_item is not None:
        return p.title_item
    return next((i for i, it in sc.items.items() if "title" in it.tags), None)


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("items", "item", p.items, sc.items)
    out += check_names("title_item", "item", [p.title_item] if p.title_item else [], sc.items)
    out += check_names(
        "lead_department",
        "department",
        [p.lead_department] if p.lead_department else [],
        sc.departments,
    )
    if not out and len(_members(sc, p)) < 2:
        out.append(
            (
                "items",
                "needs at least two acceptance items to merge (tag them "
                "'joint_acceptance' or list them)",
            )
        )
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    members = _members(sc, p)
    title = _title(sc, p)
    inside = set(members) | ({title} if title else set())

    def outside(items: list[str]) -> tuple[str, ...]:
        return tuple(
            sorted(
                {
                    pre
                    for m in items
                    for pre in (*sc.items[m].requires, *sc.items[m].after)
                    if pre not in inside
                }
            )
        )

    updates: dict[str, Item] = {}
    inspections = [
        (m, s) for m in members for s in sc.items[m].steps if s.name == p.inspection_step
    ]
    # what the building itself must have reached: the prerequisites of the acceptances that
    # inspect it (all members when none inspects)
    physical = outside(sorted({m for m, _ in inspections}) or members)
    changes = [
        f"{len(members)} acceptance items merged into one joint acceptance: no longer "
        f"serial, each starts once its own prerequisites are met: {fmt(members)}"
    ]
    joint_needed = len(inspections) >= 2
    if joint_needed:
        longest_member, longest = max(
            inspections, key=lambda ms: (ms[1].effort or ms[1].delay).mean
        )
        dep = p.lead_department or sc.items[longest_member].department
        updates[JOINT] = Item(
            name=Names(zh="联合现场查验", en="Joint site inspection"),
            stage=4,
            department=dep,
            steps=(longest,),
            requires=physical,
        )
        changes.append(
            f"{len(inspections)} site inspections become one joint inspection "
            f"({dep}, as long as the longest, {longest_member}'s)"
        )
    for m in members:
        it = sc.items[m]
        steps = tuple(s for s in it.steps if not (joint_needed and s.name == p.inspection_step))
        if not steps:  # an acceptance that was only an inspection is now the joint one
            steps = (Step(name="sign-off", delay=Deterministic(value=0)),)
        inspected = joint_needed and any(s.name == p.inspection_step for s in it.steps)
        updates[m] = it.model_copy(
            update={
                "steps": steps,
                "requires": outside([m]) + ((JOINT,) if inspected else ()),
                "after": (),
                "correction": it.correction
                if it.correction is None or it.correction.from_step in {s.name for s in steps}
                else it.correction.model_copy(update={"from_step": None}),
            }
        )
    if title:
        t = sc.items[title]
        if p.title_alongside:
            updates[title] = t.model_copy(update={"requires": physical, "after": ()})
            changes.append(
                f"title registration {title!r} runs alongside the acceptance: the "
                "title is issued at acceptance (竣工即交证)"
            )
        else:
            updates[title] = t.model_copy(update={"requires": tuple(members), "after": ()})
            changes.append(
                f"title registration {title!r} follows the joint acceptance (竣工即交付)"
            )
    sc = edit_items(sc, updates)
    if joint_needed:
        sc = add_to_case_types(sc, lambda items: [JOINT] if set(items) & set(members) else [])
    return sc, changes
