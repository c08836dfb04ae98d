"""The 1+N agency team (1+N 代办): a lead agent and N specialists accompany major projects.

The team is a department of its own, in the zone: an agent prepares every submission of an
accompanied case (staff hours of the team), so a small team becomes a bottleneck under load. In
return the case's files come back for correction less often, its corrections are turned around
faster, and the applicant's own preparation items (tagged ``preparation``) are shorter.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, check_names, edit_items, fmt, scale_step
from sim.scenario.distributions import Deterministic
from sim.scenario.schema import Department, Names, Scenario, Step

NAME = "agency"
ZH = "1+N代办"
SUMMARY = "an agency team prepares submissions: fewer, faster corrections; the team can queue"

TEAM = "agency_team"


class Params(LeverParams):
    """Team size and what an agent changes."""

    agents: int = Field(default=3, ge=1, description="Agents in the team (1 lead + N).")
    hours_per_submission: float = Field(
        default=1.0, gt=0, description="Agent hours to prepare one submission (ASSUMPTION)."
    )
    correction_factor: float = Field(
        default=0.5, ge=0, le=1, description="Correction probability multiplier (ASSUMPTION)."
    )
    turnaround_factor: float = Field(
        default=0.5, gt=0, le=1, description="Correction turnaround multiplier (ASSUMPTION)."
    )
    preparation_factor: float = Field(
        default=0.7,
        gt=0,
        le=1,
        description="Multiplier on applicant items tagged 'preparation' (ASSUMPTION).",
    )
    case_types: tuple[str, ...] | None = Field(
        default=None, description="Accompanied case types (default: all); their items change."
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("case_types", "case type", p.case_types, sc.case_types)
    if TEAM in sc.departments:
        out.append(
            (
                "agents",
                f"the scenario already has a department {TEAM!r}; use the "
                "staffing lever to resize it",
            )
        )
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    types = p.case_types if p.case_types is not None else tuple(sc.case_types)
    touched = sorted({i for t in types for i in sc.case_types[t].items})
    team = Department(
        name=Names(zh="1+N代办团队", en="1+N agency team"), staff=p.agents, location="zone"
    )
    sc = sc.model_copy(update={"departments": {**sc.departments, TEAM: team}})
    prep = Step(
        name="agent prepares", effort=Deterministic(value=p.hours_per_submission), department=TEAM
    )
    updates, accompanied, prepared = {}, [], []
    for iid in touched:
        it = sc.items[iid]
        if it.kind == "applicant":
            if "preparation" in it.tags:
                updates[iid] = it.model_copy(
                    update={"steps": tuple(scale_step(s, p.preparation_factor) for s in it.steps)}
                )
                prepared.append(iid)
            continue
        if it.submitted_online:
            continue
        update = {"steps": (prep, *it.steps)}
        if it.correction is not None:
            corr = it.correction
            update["correction"] = corr.model_copy(
                update={
                    "probability": corr.probability * p.correction_factor,
                    "turnaround": corr.turnaround.scaled(p.turnaround_factor),
                }
            )
        updates[iid] = it.model_copy(update=update)
        accompanied.append(iid)
    changes = [
        f"agency team of {p.agents} in the zone accompanies {fmt(types)}",
        f"an agent prepares each submission ({p.hours_per_submission:g} h) of "
        f"{len(accompanied)} items: {fmt(accompanied)}",
        f"corrections x{p.correction_factor:g} as likely, turned around "
        f"x{p.turnaround_factor:g} as long",
    ]
    if prepared:
        changes.append(f"applicant preparation x{p.preparation_factor:g}: {fmt(prepared)}")
    return edit_items(sc, updates), changes
