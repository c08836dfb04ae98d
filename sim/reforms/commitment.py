"""Notification and commitment (告知承诺): issue on the applicant's commitment, verify after.

An eligible item is issued after a short check, without the correction loop. A post-verification
(staff work at the same department) runs off the critical path; with probability ``p_fail`` it
finds a breach, and the rectification then has to be done before the case's next milestone (the
items that followed the issued one wait for it).
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import LeverParams, add_to_case_types, check_names, edit_items, fmt
from sim.scenario.distributions import Deterministic, Distribution, Exponential
from sim.scenario.schema import Item, Names, Scenario, Step

NAME = "commitment"
ZH = "告知承诺"
SUMMARY = "eligible items issued on commitment after a short check; post-verification may fail"


class Params(LeverParams):
    """The check, the verification and what a failure costs."""

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
        description="Time from issue until verification finds a breach (ASSUMPTION).",
    )
    p_fail: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="Chance the verification finds "
        "a breach (ASSUMPTION: no public failure rate was found).",
    )
    rectification: Distribution = Field(
        default_factory=lambda: Exponential(mean=20, unit="working_days"),
        description="Time to rectify a breach (ASSUMPTION).",
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


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[str]]:
    targets = _targets(sc, p)
    updates: dict[str, Item] = {}
    for iid in targets:
        it = sc.items[iid]
        verify, rectify = f"{iid}__verify", f"{iid}__rectify"
        updates[iid] = it.model_copy(
            update={
                "steps": (
                    Step(name="commitment check", effort=Deterministic(value=p.check_hours)),
                ),
                "correction": None,
            }
        )
        updates[verify] = Item(
            name=Names(
                zh=f"{it.name.zh or iid}事后核查", en=f"Post-verification: {it.name.en or iid}"
            ),
            stage=it.stage,
            department=it.department,
            kind="approval",
            requires=(iid,),
            steps=(Step(name="verification", effort=Deterministic(value=p.verify_hours)),),
            needs_trip=False,
            background=True,
        )
        updates[rectify] = Item(
            name=Names(zh=f"{it.name.zh or iid}整改", en=f"Rectification: {it.name.en or iid}"),
            kind="applicant",
            requires=(iid,),
            probability=p.p_fail,
            steps=(
                Step(name="breach found", delay=p.verify_lag),
                Step(name="rectify", delay=p.rectification),
            ),
        )
    for jid, jt in sc.items.items():
        waits = [t for t in targets if t in jt.requires or t in jt.after]
        if waits:
            base = updates.get(jid, jt)
            updates[jid] = base.model_copy(
                update={"requires": (*base.requires, *(f"{t}__rectify" for t in waits))}
            )
    sc = edit_items(sc, updates)
    sc = add_to_case_types(
        sc,
        lambda items: [f"{t}{s}" for t in targets if t in items for s in ("__verify", "__rectify")],
    )
    changes = (
        [
            f"{len(targets)} items issued on commitment after a {p.check_hours:g} h check, "
            f"no correction loop: {fmt(targets)}",
            f"post-verification of {p.verify_hours:g} staff hours each, off the critical "
            f"path; a breach (chance {p.p_fail:.0%}) holds the next items for "
            f"rectification",
        ]
        if targets
        else []
    )
    return sc, changes
