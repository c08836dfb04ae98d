"""Data sharing (打破数据壁垒): materials the government holds are not resubmitted.

Intake takes less effort and fewer files come back for correction.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, Note, check_names, edit_items, fmt, scale_step
from sim.scenario.schema import Scenario

NAME = "data_sharing"
ZH = "数据共享"
SUMMARY = "intake effort and correction probability fall for the items marked"


class Params(LeverParams):
    """How much intake and correction fall, and where."""

    items: tuple[str, ...] | None = Field(
        default=None, description="Default: every item that is not the applicant's own work."
    )
    intake_step: str = Field(default="intake", description="Name of the intake steps.")
    intake_factor: float = Field(
        default=0.5, gt=0, le=1, description="Intake effort multiplier (ASSUMPTION: 0.5)."
    )
    correction_factor: float = Field(
        default=0.5, ge=0, le=1, description="Correction probability multiplier (ASSUMPTION: 0.5)."
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    return check_names("items", "item", p.items, sc.items)


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    targets = (
        p.items
        if p.items is not None
        else [i for i, it in sc.items.items() if it.kind != "applicant"]
    )
    updates, intakes, corrections = {}, [], []
    for iid in targets:
        it = sc.items[iid]
        steps = tuple(
            scale_step(s, p.intake_factor) if s.name == p.intake_step and s.effort else s
            for s in it.steps
        )
        update = {}
        if steps != it.steps:
            update["steps"] = steps
            intakes.append(iid)
        if it.correction is not None and it.correction.probability > 0:
            update["correction"] = it.correction.model_copy(
                update={"probability": it.correction.probability * p.correction_factor}
            )
            corrections.append(iid)
        if update:
            updates[iid] = it.model_copy(update=update)
    changes = []
    if intakes:
        changes.append(
            Note(
                f"intake effort x{p.intake_factor:g} for {len(intakes)} items: {fmt(intakes)}",
                f"{len(intakes)}个事项受理工作量乘以{p.intake_factor:g}（共享数据免于重复提交）",
            )
        )
    if corrections:
        changes.append(
            Note(
                f"correction probability x{p.correction_factor:g} for "
                f"{len(corrections)} items (ASSUMPTION): {fmt(corrections)}",
                f"{len(corrections)}个事项补正概率乘以{p.correction_factor:g}（假设）",
            )
        )
    return edit_items(sc, updates), changes
