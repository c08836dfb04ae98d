"""Problem coordination (协调解决问题): a stall is escalated and resolved within a cap.

The report counts 28 problems coordinated and solved.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, Note
from sim.scenario.schema import Scenario

NAME = "coordination"
ZH = "协调解决问题"
SUMMARY = "blocking problems are escalated: a stall ends after at most cap_days working days"


class Params(LeverParams):
    """The escalation cap."""

    cap_days: float = Field(
        default=5.0,
        ge=0,
        description="Longest stall after escalation, working days (ASSUMPTION: 5).",
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    return []


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    old = sc.problems.cap_days
    problems = sc.problems.model_copy(
        update={"cap_days": p.cap_days if old is None else min(old, p.cap_days)}
    )
    stages = ", ".join(f"stage {k}: {v:.0%}" for k, v in sorted(sc.problems.probability.items()))
    change = (
        Note(
            f"stalls capped at {problems.cap_days:g} working days (problem chances {stages})",
            f"项目推进问题经协调后最多停滞{problems.cap_days:g}个工作日",
        )
        if stages
        else Note(
            "no blocking problems in the scenario: the cap changes nothing",
            "情景中没有阻滞问题，本措施不起作用",
        )
    )
    return sc.model_copy(update={"problems": problems}), [change]
