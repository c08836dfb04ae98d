"""Regional assessment (区域评估): the zone's assessments are done once, by the government.

What the policy does (优化营商环境条例 Art. 42; Jining "283", Fengrun 2019, Chongqing 2021, see
``scenarios/pukou/SOURCES.md``): inside an assessed area the government has the zone's
assessments made once and pays for them. A project there

* needs no assessment report of its own for the items the area result covers (mineral overlay,
  geological hazard, seismic safety, soil and water, flood impact, archaeology, traffic impact):
  its consultant's work is skipped and the approval becomes a same-day filing on a written
  commitment (告知承诺) that it stays within the area result's conditions;
* still has the items that need the specific project (EIA, energy review) assessed, but against
  the area's result: the consultant's report is simpler (``writing_factor``), the review as before.

In the model: the case flag ``assessed`` (the share of each case type sited in assessed areas)
selects the cases. Every assessment the area result covers gets a variant ``<item>__area`` for
those cases — one commitment filing, nothing to correct — and the original is needed only by the
cases outside (``when = ["!assessed"]``); every item that needed the assessment waits for the
variant too (the cases outside skip it). The consultant item that writes an assessment's report
(an intermediary prerequisite of it) gets ``assessed_steps``: none (skipped) for the covered
assessments, shortened for the project-specific ones. Because every assessment precedes the
items that need it, the saving reaches the construction start only where the assessment was on
the critical path — as in practice.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import (
    LeverParams,
    Note,
    check_names,
    edit_items,
    fmt,
    names_zh,
    scale_step,
    with_flag,
)
from sim.scenario.distributions import Gamma
from sim.scenario.schema import Names, Scenario, Step

FLAG = "assessed"
AREA = "__area"

NAME = "regional_assessment"
ZH = "区域评估"
SUMMARY = "projects in assessed areas skip their own assessment reports and file a commitment"
MECHANISM = (
    "in assessed areas the consultant's report is skipped (or simplified for EIA and energy) "
    "and the approval is a same-day commitment filing"
)
MECHANISM_ZH = "区域内项目不再单独编制评估报告（环评、节能简化编制），审批改为当日告知承诺备案"


class Params(LeverParams):
    """Where the areas are assessed and which items the area result covers."""

    share: float = Field(
        default=0.6,
        ge=0,
        le=1,
        description="Share of cases sited in an assessed area (ASSUMPTION unless a scenario "
        "says otherwise).",
    )
    shares: dict[str, float] = Field(
        default_factory=dict, description="Per case type overrides of 'share'."
    )
    items: tuple[str, ...] | None = Field(
        default=None,
        description="Assessments the area result covers (default: assessment items flagged "
        "'regional' that are not in 'project_specific').",
    )
    project_specific: tuple[str, ...] = Field(
        default=(),
        description="Assessments still made per project, against the area result: their "
        "consultant's report is shortened by 'writing_factor', their review unchanged.",
    )
    writing_factor: float = Field(
        default=0.5,
        gt=0,
        le=1,
        description="Duration multiplier of the project-specific reports (ASSUMPTION: 0.5).",
    )
    filing_hours: float = Field(
        default=0.5, gt=0, description="Staff hours of the commitment filing (ASSUMPTION)."
    )


def _covered(sc: Scenario, p: Params) -> list[str]:
    if p.items is not None:
        return list(p.items)
    return [
        i
        for i, it in sc.items.items()
        if it.regional and it.kind == "assessment" and i not in p.project_specific
    ]


def _writers(sc: Scenario, iid: str) -> list[str]:
    """The consultant items that write the report of assessment ``iid``."""
    return [pre for pre in sc.items[iid].requires if sc.items[pre].kind == "intermediary"]


def _without_writers(sc: Scenario, iid: str) -> tuple[str, ...]:
    """The assessment's prerequisites with its consultants' work replaced by what that needed."""
    writers = _writers(sc, iid)
    out = [r for r in sc.items[iid].requires if r not in writers]
    out += [r for w in writers for r in sc.items[w].requires]
    return tuple(dict.fromkeys(out))


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("items", "item", p.items, sc.items)
    out += check_names("project_specific", "item", p.project_specific, sc.items)
    out += check_names("shares", "case type", p.shares, sc.case_types)
    out += [
        ("shares", f"share of {k!r} must be between 0 and 1 (got {v})")
        for k, v in p.shares.items()
        if not 0 <= v <= 1
    ]
    out += [
        ("items", f"{i!r} is the applicant's own work, not an assessment")
        for i in p.items or ()
        if i in sc.items and sc.items[i].kind == "applicant"
    ]
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[Note]]:
    covered = [i for i in _covered(sc, p) if i in sc.items]
    specific = [i for i in p.project_specific if i in sc.items]
    filing = Step(name="commitment filing", effort=Gamma(mean=p.filing_hours, cv=0.5))
    updates = {}
    skipped, shortened = [], []
    for iid in covered:
        it = sc.items[iid]
        updates[iid + AREA] = it.model_copy(
            update={
                "name": Names(
                    zh=f"{it.name.zh or iid}（区域评估成果适用，告知承诺）",
                    en=f"{it.name.en or iid} (area result, commitment filing)",
                ),
                "steps": (filing,),
                "requires": _without_writers(sc, iid),
                "correction": None,
                "rework": None,
                "next": (),
                "when": with_flag(it.when, FLAG),
                "time_limit_wd": 1.0,
                "regional": False,
                "assessed_steps": None,
                "commitment_eligible": False,
                "submitted_online": True,
            }
        )
        updates[iid] = it.model_copy(update={"when": with_flag(it.when, "!" + FLAG)})
        for w in _writers(sc, iid):
            updates[w] = sc.items[w].model_copy(update={"regional": True, "assessed_steps": ()})
            skipped.append(w)
    for iid in specific:
        for w in _writers(sc, iid):
            wt = sc.items[w]
            steps = tuple(scale_step(s, p.writing_factor) if s.delay else s for s in wt.steps)
            updates[w] = wt.model_copy(update={"regional": True, "assessed_steps": steps})
            shortened.append(w)
    for jid, jt in sc.items.items():
        waits = [c + AREA for c in covered if c in (*jt.requires, *jt.after)]
        if waits:
            base = updates.get(jid, jt)
            updates[jid] = base.model_copy(
                update={"requires": tuple(dict.fromkeys((*base.requires, *waits)))}
            )
    types = {}
    for cid, ct in sc.case_types.items():
        share = p.shares.get(cid, p.share)
        flags = {**ct.flags, FLAG: share}  # declared even at 0, so that 'when' can name it
        types[cid] = ct.model_copy(update={"assessed_share": 0.0, "flags": flags})
    types = {
        cid: ct.model_copy(
            update={"items": ct.items + tuple(c + AREA for c in covered if c in ct.items)}
        )
        for cid, ct in types.items()
    }
    sc = edit_items(sc, updates).model_copy(update={"case_types": types})
    shares = ", ".join(f"{c} {ct.flags[FLAG]:.0%}" for c, ct in types.items())
    shares_zh = "、".join(f"{ct.name.zh or c}{ct.flags[FLAG]:.0%}" for c, ct in types.items())
    return sc, [
        Note(
            f"share of projects in assessed areas: {shares}",
            f"位于已完成区域评估区域内的项目比例：{shares_zh}",
        ),
        Note(
            f"{len(covered)} assessments become a same-day commitment filing there, their "
            f"consultants' reports skipped: {fmt(covered)} (reports: {fmt(skipped)})",
            f"{len(covered)}项评估改为当日告知承诺备案，不再单独编制评估报告："
            f"{names_zh(sc, covered)}",
        ),
        Note(
            f"project-specific assessments keep their review, their reports take "
            f"x{p.writing_factor:g} as long: {fmt(specific)} (reports: {fmt(shortened)})",
            f"环评、节能等需结合具体项目的评估保留审查，报告编制时间乘以{p.writing_factor:g}："
            f"{names_zh(sc, specific)}",
        ),
    ]
