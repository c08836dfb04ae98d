"""Notification and commitment (告知承诺): issue on the applicant's commitment, check afterwards.

What the policy does (国办发〔2019〕11号; 优化营商环境条例 Art. 40; Fenghua 2020, Guangzhou 2018;
see ``scenarios/pukou/SOURCES.md``): the department tells the applicant the conditions once, the
applicant commits in writing that it meets them, and the item is issued after a formal check;
the department verifies afterwards. A breach found by the check costs the applicant a
rectification and the item's full review, and holds what came after the item until then
(a permit revoked, works stopped).

In the model, for every eligible item:

* the item's review becomes one commitment check (staff hours), with no correction loop; the
  steps the law requires whatever the review (``keep_steps``: an EIA's public notice) stay;
* a post-verification (staff hours at the same department) runs beside the case without
  holding it (``background``);
* with probability ``p_fail`` (an ASSUMPTION: no published failure share was found) the check
  finds a breach: ``<item>__rectify`` waits ``verify_lag`` after the issue, the applicant
  rectifies (``rectification``), and the item's original steps are done again; every item that
  came after the committed item waits for it (the cases without a breach skip it).
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import (
    LeverParams,
    Note,
    add_to_case_types,
    check_names,
    edit_items,
    fmt,
    names_zh,
)
from sim.scenario.distributions import Deterministic, Distribution, Exponential, Gamma
from sim.scenario.schema import Item, Names, Scenario, Step

NAME = "commitment"
ZH = "告知承诺"
SUMMARY = "eligible items issued on commitment after a short check; a breach costs rework later"
MECHANISM = (
    "eligible items are issued after a commitment check instead of a review; a sampled share "
    "fails the later verification and is rectified and reviewed in full"
)
MECHANISM_ZH = "符合条件的事项经形式审查即凭承诺发证；事后核查不合格的按比例整改并重新完整审查"


class Params(LeverParams):
    """The check, the verification and what a breach costs."""

    items: tuple[str, ...] | None = Field(
        default=None, description="Default: items flagged 'commitment_eligible'."
    )
    check_hours: float = Field(
        default=1.0, gt=0, description="Staff hours of the check before issue (ASSUMPTION)."
    )
    verify_hours: float = Field(
        default=2.0, ge=0, description="Staff hours of the post-verification (ASSUMPTION)."
    )
    verify_lag: Distribution = Field(
        default_factory=lambda: Deterministic(value=10, unit="working_days"),
        description="Time from the issue until the verification finds a breach (ASSUMPTION).",
    )
    p_fail: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Share of committed items whose verification finds a breach (ASSUMPTION: "
        "no public failure rate was found; Fenghua 2020 reports one permit revoked).",
    )
    rectification: Distribution = Field(
        default_factory=lambda: Exponential(mean=20, unit="working_days"),
        description="The applicant's time to rectify a breach (ASSUMPTION).",
    )
    keep_steps: tuple[str, ...] = Field(
        default=("public notice",),
        description="Steps the law requires whatever the review (e.g. an EIA's public notice): "
        "they stay, after the check.",
    )


def _targets(sc: Scenario, p: Params) -> list[str]:
    return (
        list(p.items)
        if p.items is not None
        else [i for i, it in sc.items.items() if it.commitment_eligible]
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("items", "item", p.items, sc.items)
    out += [
        ("items", f"{i!r} is the applicant's own work, not an approval")
        for i in p.items or ()
        if i in sc.items and sc.items[i].kind == "applicant"
    ]
    return out


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[Note]]:
    targets = [t for t in _targets(sc, p) if sc.items[t].kind != "applicant"]
    updates: dict[str, Item] = {}
    for iid in targets:
        it = sc.items[iid]
        verify, rectify = f"{iid}__verify", f"{iid}__rectify"
        updates[iid] = it.model_copy(
            update={
                "steps": (
                    Step(name="commitment check", effort=Gamma(mean=p.check_hours, cv=0.5)),
                    *(s for s in it.steps if s.name in p.keep_steps),
                ),
                "correction": None,
                "commitment_eligible": False,
            }
        )
        updates[verify] = Item(
            name=Names(
                zh=f"{it.name.zh or iid}事后核查", en=f"Post-verification: {it.name.en or iid}"
            ),
            stage=it.stage,
            department=it.department,
            kind=it.kind,
            requires=(iid,),
            when=it.when,
            steps=(Step(name="verification", effort=Deterministic(value=p.verify_hours)),),
            needs_trip=False,
            background=True,
        )
        updates[rectify] = Item(
            name=Names(
                zh=f"{it.name.zh or iid}核查不合格整改", en=f"Breach rectified: {it.name.en or iid}"
            ),
            stage=it.stage,
            department=it.department,
            kind=it.kind,
            requires=(iid,),
            when=it.when,
            probability=p.p_fail,
            steps=(
                Step(name="breach found", delay=p.verify_lag, clock=False),
                Step(name="applicant rectifies", delay=p.rectification, clock=False),
                *it.steps,
            ),
            submitted_online=it.submitted_online,
        )
    for jid, jt in sc.items.items():
        waits = [t for t in targets if t in jt.requires or t in jt.after]
        if waits:
            base = updates.get(jid, jt)
            updates[jid] = base.model_copy(
                update={
                    "requires": tuple(
                        dict.fromkeys((*base.requires, *(f"{t}__rectify" for t in waits)))
                    )
                }
            )
    sc = edit_items(sc, updates)
    sc = add_to_case_types(
        sc,
        lambda items: [f"{t}{s}" for t in targets if t in items for s in ("__verify", "__rectify")],
    )
    if not targets:
        return sc, []
    return sc, [
        Note(
            f"{len(targets)} items issued on commitment after a {p.check_hours:g} h check, no "
            f"correction loop: {fmt(targets)}",
            f"{len(targets)}个事项经{p.check_hours:g}小时形式审查即凭承诺办结，不再补正："
            f"{names_zh(sc, targets)}",
        ),
        Note(
            f"each is verified afterwards ({p.verify_hours:g} staff hours, beside the case)",
            f"事后核查（每件{p.verify_hours:g}工时，不占用项目流程）",
        ),
        Note(
            f"a breach (chance {p.p_fail:.0%}, ASSUMPTION) is rectified and the item reviewed in "
            "full; what came after it waits",
            f"核查不合格（概率{p.p_fail:.0%}，假设）须整改并完整重审，后续事项等待",
        ),
    ]
