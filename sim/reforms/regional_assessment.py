"""Regional assessment (区域评估): assessments done once for a whole area, not per project.

A case whose site lies in an assessed area (a share of each case type, drawn per case) skips the
items flagged ``regional`` — or, with ``confirm_hours`` > 0, keeps only a short confirmation step.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, check_names, edit_items, fmt
from sim.scenario.distributions import Deterministic
from sim.scenario.schema import Scenario, Step

NAME = "regional_assessment"
ZH = "区域评估"
SUMMARY = "cases in assessed areas skip regional assessments (or keep a short confirmation)"


class Params(LeverParams):
    """Where the areas are assessed and what is left to do there."""

    share: float = Field(
        default=0.8,
        ge=0,
        le=1,
        description="Share of cases sited in an "
        "assessed area (ASSUMPTION: 0.8, most major projects sit in parks).",
    )
    shares: dict[str, float] = Field(
        default_factory=dict, description="Per case type overrides of 'share'."
    )
    confirm_hours: float = Field(
        default=0.0,
        ge=0,
        description="Staff hours of a confirmation step kept instead (0: the item is skipped).",
    )
    items: tuple[str, ...] | None = Field(
        default=None, description="Default: items flagged 'regional'."
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("items", "item", p.items, sc.items)
    out += check_names("shares", "case type", p.shares, sc.case_types)
    out += [
        ("shares", f"share of {k!r} must be between 0 and 1 (got {v})")
        for k, v in p.shares.items()
        if not 0 <= v <= 1
    ]
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    targets = (
        list(p.items) if p.items is not None else [i for i, it in sc.items.items() if it.regional]
    )
    confirm = (
        ()
        if p.confirm_hours == 0
        else (Step(name="confirmation", effort=Deterministic(value=p.confirm_hours)),)
    )
    updates = {}
    for iid in targets:
        it = sc.items[iid]
        steps = confirm if it.kind != "applicant" else ()
        updates[iid] = it.model_copy(update={"regional": True, "assessed_steps": steps})
    types = {
        cid: ct.model_copy(update={"assessed_share": p.shares.get(cid, p.share)})
        for cid, ct in sc.case_types.items()
    }
    sc = edit_items(sc, updates).model_copy(update={"case_types": types})
    what = "skipped" if not confirm else f"reduced to a {p.confirm_hours:g} h confirmation"
    shares = ", ".join(f"{c} {ct.assessed_share:.0%}" for c, ct in types.items())
    return sc, [
        f"{len(targets)} assessments {what} for cases in assessed areas: {fmt(targets)}",
        f"share of cases in assessed areas: {shares}",
    ]
