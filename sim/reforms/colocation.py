"""Co-location (一站式专区): departments and items move into the one-stop zone.

A department moved into the zone is found in the service hall: same-day submissions there share
one trip, and its files move on without transfer time. An item moved alone is received at the
zone's windows while its department stays where it is (same effect on trips and transfers).
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, check_names, edit_items, fmt
from sim.scenario.schema import Scenario

NAME = "colocation"
ZH = "一站式专区"
SUMMARY = "move departments and items into the one-stop zone: shared trips, no file transfers"


class Params(LeverParams):
    """Which departments and items move into the zone."""

    departments: tuple[str, ...] = Field(default=(), description="Departments moved into the zone.")
    items: tuple[str, ...] = Field(
        default=(), description="Items received at the zone's windows (their departments stay)."
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("departments", "department", p.departments, sc.departments)
    out += check_names("items", "item", p.items, sc.items)
    if not p.departments and not p.items:
        out.append(("departments", "name at least one department or item to move"))
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    changes = []
    deps = dict(sc.departments)
    moved = []
    for d in p.departments:
        dep = deps[d]
        if dep.location == "zone" and dep.transfer_days == 0:
            continue
        moved.append(f"{d} (was {dep.location}, transfer {dep.transfer_days:g} wd)")
        deps[d] = dep.model_copy(update={"location": "zone", "transfer_days": 0.0})
    if moved:
        changes.append(f"moved {len(moved)} departments into the zone: {fmt(moved)}")
    sc = sc.model_copy(update={"departments": deps})
    items = {
        i: sc.items[i].model_copy(update={"in_zone": True})
        for i in p.items
        if not sc.items[i].in_zone
    }
    if items:
        changes.append(f"received {len(items)} items at the zone's windows: {fmt(items)}")
    return edit_items(sc, items), changes
