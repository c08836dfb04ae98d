"""One thing, one visit (一件事一次办): a life event's items received together at one window.

For each bundled case type ``T`` the lever adds a reception item ``<T>_reception`` (kind
``reception``) that receives every member of ``T`` with a present step: one window service takes
the members the case needs and does in person, with an effort of ``intake_share`` times the sum
of their own intake efforts, and checks their documents with each member's missing-document
probability times ``correction_factor`` (same uniforms, so a member found complete alone is
found complete at the reception). The reception comes first (every member requires it); a
received member skips its own first present step and continues in the back office. With
``delivery = "mail"`` every member's result is mailed (no collection visit); with ``parallel``
the practice-imposed ``after`` edges among members are dropped (hard ``requires`` stay).

Staffing of the comprehensive windows is data (the scenario's window groups), not the lever.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sim.reforms.base import LeverParams, check_names, edit_items, fmt
from sim.scenario.schema import Item, Scenario, Step, group_departments

NAME = "one_visit"
ZH = "一件事一次办"
SUMMARY = "a life event's items received together at one window, results mailed"


class Params(LeverParams):
    """Which case types are bundled, where they are received, and how."""

    case_types: tuple[str, ...] | None = Field(
        default=None, description="Case types to bundle (default: those of group 'life_event')."
    )
    department: str = Field(
        default="comprehensive", description="Whose window groups take the joint reception."
    )
    department_for: dict[str, str] = Field(
        default_factory=dict,
        description="Per case type, another receiving department (e.g. the marriage registry).",
    )
    intake_share: float = Field(
        default=0.7, gt=0, le=1, description="Joint effort as a share of the members' intakes."
    )
    correction_factor: float = Field(
        default=0.5, ge=0, le=1, description="Factor on every member's missing-document chance."
    )
    delivery: Literal["mail", "keep"] = Field(
        default="mail", description="mail: results mailed (no collection visit); keep: unchanged."
    )
    parallel: bool = Field(
        default=True, description="Drop 'after' edges among members (hard 'requires' stay)."
    )


def _types(sc: Scenario, p: Params) -> list[str]:
    if p.case_types is not None:
        return list(p.case_types)
    return [cid for cid, ct in sc.case_types.items() if "life_event" in ct.groups]


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("case_types", "case type", p.case_types, sc.case_types)
    out += check_names("department_for", "case type", p.department_for, sc.case_types)
    for key, dep in [("department", p.department)] + [
        (f"department_for.{c}", d) for c, d in p.department_for.items()
    ]:
        out += check_names(key, "department", [dep], sc.departments)
    if out:
        return out
    if not sc.locations:
        return [("case_types", "bundling needs a scenario with [locations] (service halls)")]
    types = _types(sc, p)
    owner: dict[str, str] = {}
    for cid in types:
        for iid in sc.case_types[cid].items:
            if iid in owner and owner[iid] != cid:
                out.append(
                    (
                        "case_types",
                        f"item {iid!r} belongs to bundled case types {owner[iid]!r} and {cid!r} "
                        "(valid: a member of one bundle only)",
                    )
                )
            owner[iid] = cid
    for cid in types:
        dep = p.department_for.get(cid, p.department)
        levels = {
            loc.level
            for loc in sc.locations.values()
            for gid, g in loc.windows.items()
            if dep in group_departments(gid, g) or "*" in group_departments(gid, g)
        }
        if not levels:
            out.append(
                (
                    "department" if cid not in p.department_for else f"department_for.{cid}",
                    f"no window group serves {dep!r} (valid: add one, e.g. "
                    f"[locations.<hall>.windows.{dep}])",
                )
            )
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    updates: dict[str, Item] = {}
    types = dict(sc.case_types)
    changes = []
    for cid in _types(sc, p):
        ct = sc.case_types[cid]
        members = [i for i in ct.items if any(s.present for s in sc.items[i].steps)]
        if not members:
            continue
        rid = f"{cid}_reception"
        dep = p.department_for.get(cid, p.department)
        levels = sorted(
            {
                loc.level
                for loc in sc.locations.values()
                for gid, g in loc.windows.items()
                if dep in group_departments(gid, g) or "*" in group_departments(gid, g)
            },
            key=sc.network.levels.index,
        )
        updates[rid] = Item(
            name={
                "zh": f"{ct.name.zh or cid}：一窗受理",
                "en": f"{ct.name.en or cid}: joint reception",
            },
            kind="reception",
            department=dep,
            receives=tuple(members),
            intake_share=p.intake_share,
            correction_factor=p.correction_factor,
            levels=tuple(levels),
            steps=(Step(name="reception", present=True, joint=True),),
        )
        for m in ct.items:
            it = updates.get(m, sc.items[m])
            change: dict = {}
            if m in members:
                change["requires"] = (rid, *[r for r in it.requires if r != rid])
            if p.parallel and it.after:
                change["after"] = tuple(a for a in it.after if a not in ct.items)
            if p.delivery == "mail" and it.delivery is not None and it.delivery.pickup_share > 0:
                change["delivery"] = it.delivery.model_copy(update={"pickup_share": 0.0})
            if change:
                updates[m] = it.model_copy(update=change)
        types[cid] = ct.model_copy(update={"items": (rid, *ct.items)})
        changes.append(
            f"{cid}: {len(members)} items received together at the {dep!r} window "
            f"({fmt(members)}); effort x{p.intake_share:g}, missing documents "
            f"x{p.correction_factor:g}" + ("; results mailed" if p.delivery == "mail" else "")
        )
    new = edit_items(sc, updates).model_copy(update={"case_types": types})
    return new, changes
