"""Intermediary services in the zone (中介服务进驻).

Surveying, drawing review and assessment writing offered in the service hall: shorter, and no
separate trip to an intermediary's office.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, Note, check_names, edit_items, fmt, scale_step
from sim.scenario.schema import Scenario

NAME = "intermediaries_in_zone"
ZH = "中介服务进驻"
SUMMARY = "intermediary items shorten by a factor, are handled in the zone and cost no trip"


class Params(LeverParams):
    """How much shorter intermediary work gets, and which items count."""

    factor: float = Field(
        default=0.7, gt=0, le=1, description="Duration multiplier (ASSUMPTION: 0.7)."
    )
    items: tuple[str, ...] | None = Field(
        default=None, description="Default: every item of kind 'intermediary'."
    )


def _targets(sc: Scenario, p: Params) -> list[str]:
    return (
        list(p.items)
        if p.items is not None
        else [i for i, it in sc.items.items() if it.kind == "intermediary"]
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    return check_names("items", "item", p.items, sc.items)


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    updates = {}
    for iid in _targets(sc, p):
        it = sc.items[iid]
        updates[iid] = it.model_copy(
            update={
                "steps": tuple(scale_step(s, p.factor) for s in it.steps),
                "in_zone": True,
                "needs_trip": False,
            }
        )
    changes = (
        [
            Note(
                f"{len(updates)} intermediary items in the zone, durations x{p.factor:g} "
                f"(ASSUMPTION), no trip: {fmt(updates)}",
                f"{len(updates)}个中介服务事项进驻专区就地办理"
                f"，用时乘以{p.factor:g}（假设），不再另行跑动",
            )
        ]
        if updates
        else []
    )
    return edit_items(sc, updates), changes
