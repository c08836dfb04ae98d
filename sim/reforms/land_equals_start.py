"""Land acquired = construction starts (拿地即开工): permits reviewed during land supply.

Every pre-reviewable item of stages 1-3 is split in two: its review (all steps but the last
``issue_steps``) runs during land supply — it no longer waits for the land milestone or for the
items that do, only for the reviews of the pre-reviewable items it needs — and its issue waits for
the land milestone as before. The construction permit can then come with the land contract.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import (
    LeverParams,
    add_to_case_types,
    check_names,
    descendants,
    edit_items,
    fmt,
)
from sim.scenario.schema import Item, Names, Scenario

NAME = "land_equals_start"
ZH = "拿地即开工"
SUMMARY = "pre-reviewable items are reviewed during land supply; only issue waits for the land"


class Params(LeverParams):
    """The land milestone and the items reviewed ahead of it."""

    land_item: str = Field(
        default="land_supply", description="The item whose completion is the land milestone."
    )
    items: tuple[str, ...] | None = Field(
        default=None, description="Default: items of stages 1-3 flagged 'pre_reviewable'."
    )
    issue_steps: int = Field(
        default=1, ge=1, description="Last steps of each item that wait for the land (the issue)."
    )


def _targets(sc: Scenario, p: Params) -> list[str]:
    return (
        list(p.items)
        if p.items is not None
        else [i for i, it in sc.items.items() if it.pre_reviewable and (it.stage or 9) <= 3]
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("land_item", "item", [p.land_item], sc.items)
    out += check_names("items", "item", p.items, sc.items)
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    targets = [t for t in _targets(sc, p) if len(sc.items[t].steps) > p.issue_steps]
    chain = descendants(sc, [p.land_item])
    updates: dict[str, Item] = {}
    for iid in targets:
        it = sc.items[iid]

        def early(pres: tuple[str, ...]) -> tuple[str, ...]:
            out = []
            for pre in pres:
                if pre in targets:
                    out.append(f"{pre}__prereview")
                elif pre not in chain:
                    out.append(pre)
            return tuple(dict.fromkeys(out))

        review_id = f"{iid}__prereview"
        updates[review_id] = Item(
            name=Names(zh=f"{it.name.zh or iid}（预审）", en=f"{it.name.en or iid} (pre-review)"),
            stage=it.stage,
            department=it.department,
            kind=it.kind,
            steps=it.steps[: -p.issue_steps],
            requires=early(it.requires),
            after=early(it.after),
            correction=it.correction
            if it.correction is None
            or it.correction.from_step is None
            or it.correction.from_step in {s.name for s in it.steps[: -p.issue_steps]}
            else it.correction.model_copy(update={"from_step": None}),
            in_zone=it.in_zone,
            submitted_online=it.submitted_online,
            needs_trip=it.needs_trip,
        )
        updates[iid] = it.model_copy(
            update={
                "steps": it.steps[-p.issue_steps :],
                "requires": (*it.requires, review_id),
                "correction": None,
            }
        )
    sc = edit_items(sc, updates)
    sc = add_to_case_types(sc, lambda items: [f"{t}__prereview" for t in targets if t in items])
    changes = (
        [
            f"{len(targets)} items reviewed during land supply, issued after "
            f"{p.land_item!r}: {fmt(targets)}"
        ]
        if targets
        else []
    )
    return sc, changes
