"""The 1+N agency team (1+N 代办): agents run the errands of the projects they accompany.

What the policy does (the report: "以审批部门业务负责人、公共服务单位业务骨干、园区代办精英为主力"
a lead agent and N specialists give each major project a tailored plan and handle its filings):
an agent prepares and hands in the project's submissions, so the applicant's own trips fall, and
the team's hours are a resource that can queue.

In the model: the team is a department in the zone; every government item of the chain is
handed in by an agent (``submitted_by = "agent"``: the trips are counted as ``agent_trips``, not
as the applicant's ``trips``), after an agent's preparation step (staff hours of the team).
The one effect on lead time beyond the team's own hours is on corrections: an agent who knows
the requirements pre-checks the file, so it comes back less often (``correction_factor``). No
source gives that factor: it is an ASSUMPTION, and the lever table shows the days it removes
separately so that a reader can discount them.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, Note, check_names, edit_items, fmt
from sim.scenario.distributions import Deterministic
from sim.scenario.schema import Department, Names, Scenario, Step

NAME = "agency"
ZH = "1+N代办"
SUMMARY = "agents hand in the projects' files (their trips counted apart); fewer corrections"
MECHANISM = (
    "agents prepare and hand in every government item (agent trips instead of the "
    "applicant's); files they pre-check come back less often (assumption)"
)
MECHANISM_ZH = (
    "代办员准备并递交各审批事项材料（计入代办跑动而非企业跑动）；经预审的材料退回补正更少（假设）"
)

TEAM = "agency_team"
KINDS = ("approval", "assessment", "public_service")


class Params(LeverParams):
    """Team size and what an agent changes."""

    agents: int = Field(default=4, ge=1, description="Agents in the team (1 lead + N).")
    hours_per_submission: float = Field(
        default=1.0, gt=0, description="Agent hours to prepare one submission (ASSUMPTION)."
    )
    correction_factor: float = Field(
        default=0.75,
        ge=0,
        le=1,
        description="Correction probability multiplier for the files agents hand in "
        "(ASSUMPTION: no published first-pass rate with and without agents was found).",
    )
    items: tuple[str, ...] | None = Field(
        default=None,
        description="Items the agents hand in (default: every approval, assessment and "
        "public-service item).",
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("items", "item", p.items, sc.items)
    out += [
        ("items", f"{i!r} is the applicant's own work: nobody hands it in")
        for i in p.items or ()
        if i in sc.items and sc.items[i].kind == "applicant"
    ]
    if TEAM in sc.departments:
        out.append(
            (
                "agents",
                f"the scenario already has a department {TEAM!r}; use the "
                "staffing lever to resize it",
            )
        )
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[Note]]:
    targets = (
        list(p.items)
        if p.items is not None
        else [i for i, it in sc.items.items() if it.kind in KINDS and not it.background]
    )
    team = Department(
        name=Names(zh="1+N代办团队", en="1+N agency team"), staff=p.agents, location="zone"
    )
    sc = sc.model_copy(update={"departments": {**sc.departments, TEAM: team}})
    prep = Step(
        name="agent prepares", effort=Deterministic(value=p.hours_per_submission), department=TEAM
    )
    updates, fewer = {}, []
    for iid in targets:
        it = sc.items[iid]
        update = {"steps": (prep, *it.steps), "submitted_by": "agent"}
        if it.correction is not None and it.correction.from_step is None:
            # a corrected file goes back to the review, not to the agent's preparation
            update["correction"] = it.correction.model_copy(update={"from_step": it.steps[0].name})
        if it.correction is not None and it.correction.probability > 0:
            base = update.get("correction", it.correction)
            update["correction"] = base.model_copy(
                update={"probability": it.correction.probability * p.correction_factor}
            )
            fewer.append(iid)
        updates[iid] = it.model_copy(update=update)
    return edit_items(sc, updates), [
        Note(
            f"agency team of {p.agents} in the zone; agents prepare ({p.hours_per_submission:g} h) "
            f"and hand in {len(targets)} items: {fmt(targets)}",
            f"设立{p.agents}人代办团队（进驻专区），代办员准备（每件{p.hours_per_submission:g}小时）并递交"
            f"{len(targets)}个事项",
        ),
        Note(
            "the trips of those submissions are the agents', not the applicant's",
            "上述事项的跑动由代办员完成，不计入企业跑动",
        ),
        Note(
            f"corrections x{p.correction_factor:g} as likely for {len(fewer)} items (ASSUMPTION)",
            f"{len(fewer)}个事项的补正概率乘以{p.correction_factor:g}（假设）",
        ),
    ]
