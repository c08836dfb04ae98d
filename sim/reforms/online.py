"""Fully online handling (全程网办, 一网通办): online-capable items are submitted online."""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, Note, check_names, edit_items, fmt, names_zh
from sim.scenario.schema import Scenario

NAME = "online"
ZH = "全程网办"
SUMMARY = "online-capable submissions cost no trip and no file transfer time"


class Params(LeverParams):
    """Which items go online."""

    items: tuple[str, ...] | None = Field(
        default=None, description="Default: every item flagged 'online'."
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    return check_names("items", "item", p.items, sc.items)


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    targets = p.items if p.items is not None else [i for i, it in sc.items.items() if it.online]
    updates = {
        i: sc.items[i].model_copy(update={"submitted_online": True})
        for i in targets
        if not sc.items[i].submitted_online and sc.items[i].kind != "applicant"
    }
    changes = (
        [
            Note(
                f"{len(updates)} items now submitted online (no trip, no transfer): {fmt(updates)}",
                f"{len(updates)}个事项改为全程网办（不跑动、免流转）：{names_zh(sc, updates)}",
            )
        ]
        if updates
        else []
    )
    return edit_items(sc, updates), changes
