"""Completion = title certificate (竣工即交证), or the weaker completion = delivery (竣工即交付).

The stage-4 acceptance items (planning, land, civil air defence, fire, archives, acceptance
filing: those tagged ``joint_acceptance`` by default) merge into one joint acceptance: the order
practice imposed among them (``after``) goes, each starts once its own prerequisites are met
(the filing still attaches the others' results), and their separate site inspections become one
joint inspection. With ``title_alongside`` (completion = title),
the title is pre-checked during construction (the registration's review runs once the works are
permitted, as ``<title>__precheck``) and issued when the joint acceptance passes — never before
it: the title item keeps only a short issue step and waits for every acceptance item; without it
(completion = delivery) the title still follows the whole acceptance with its full review.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import (
    LeverParams,
    Note,
    add_to_case_types,
    check_names,
    edit_items,
    fmt,
    names_zh,
)
from sim.scenario.distributions import Deterministic, Gamma
from sim.scenario.schema import Item, Names, Scenario, Step

NAME = "completion_equals_title"
ZH = "竣工即交证"
SUMMARY = "acceptance items merge into one joint acceptance; the title is issued when it passes"
MECHANISM = (
    "acceptances run at once with one joint site inspection; with 竣工即交证 the title is "
    "pre-checked during construction and issued when the joint acceptance passes"
)
MECHANISM_ZH = (
    "竣工验收事项并联办理、一次联合现场查验；"
    "竣工即交证时不动产登记在施工期间预审，联合验收通过即发证"
)
PRECHECK = "__precheck"

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
    precheck_after: str = Field(
        default="construction_permit",
        description="With title_alongside: the item after which the title is pre-checked "
        "(during construction).",
    )
    issue_hours: float = Field(
        default=0.5,
        gt=0,
        description="With title_alongside: staff hours to issue the pre-checked title "
        "(ASSUMPTION).",
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
    out += check_names("precheck_after", "item", [p.precheck_after], sc.items)
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


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[Note]]:
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
        Note(
            f"{len(members)} acceptance items merged into one joint acceptance: no longer "
            f"serial, each starts once its own prerequisites are met: {fmt(members)}",
            f"{len(members)}个竣工验收事项合并为联合验收，不再串联：{names_zh(sc, members)}",
        )
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
            Note(
                f"{len(inspections)} site inspections become one joint inspection "
                f"({dep}, as long as the longest, {longest_member}'s)",
                f"{len(inspections)}次现场查验合并为一次联合查验"
                f"（由{sc.departments[dep].name.zh or dep}牵头）",
            )
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
                # practice's order among the acceptances goes; what the law requires stays
                # (the completion filing attaches the other acceptances' results)
                "requires": tuple(
                    dict.fromkeys(
                        (
                            *outside([m]),
                            *(r for r in it.requires if r in members),
                            *((JOINT,) if inspected else ()),
                        )
                    )
                ),
                "after": (),
                "correction": it.correction
                if it.correction is None or it.correction.from_step in {s.name for s in steps}
                else it.correction.model_copy(update={"from_step": None}),
            }
        )
    if title:
        t = sc.items[title]
        if p.title_alongside:
            precheck = title + PRECHECK
            updates[precheck] = t.model_copy(
                update={
                    "name": Names(
                        zh=f"{t.name.zh or title}（施工期间预审）",
                        en=f"{t.name.en or title} (pre-checked during construction)",
                    ),
                    "requires": (p.precheck_after,),
                    "after": (),
                    "tags": (),
                    "time_limit_wd": None,
                }
            )
            updates[title] = t.model_copy(
                update={
                    "requires": (*members, precheck),
                    "after": (),
                    "steps": (Step(name="title issued", effort=Gamma(mean=p.issue_hours, cv=0.5)),),
                    "correction": None,
                    "time_limit_wd": 1.0,
                }
            )
            changes.append(
                Note(
                    f"title {title!r} pre-checked during construction (after "
                    f"{p.precheck_after!r}) and issued when the joint acceptance passes "
                    "(竣工即交证)",
                    "不动产首次登记在施工期间预审，联合验收通过即发证（竣工即交证）",
                )
            )
        else:
            updates[title] = t.model_copy(update={"requires": tuple(members), "after": ()})
            changes.append(
                Note(
                    f"title registration {title!r} follows the joint acceptance (竣工即交付)",
                    "不动产首次登记在联合验收后办理（竣工即交付）",
                )
            )
    sc = edit_items(sc, updates)
    if joint_needed:
        sc = add_to_case_types(sc, lambda items: [JOINT] if set(items) & set(members) else [])
    if title and p.title_alongside:
        sc = add_to_case_types(sc, lambda items: [title + PRECHECK] if title in items else [])
    return sc, changes
