"""Land acquired = construction starts (拿地即开工): the permits are issued with the land.

What the policy does (Jiangsu practice, see ``scenarios/pukou/SOURCES.md``): for the projects it
covers, the design scheme, the drawings and their reviews are prepared in the listing window
(挂牌空窗期) before the land contract, the sale is timed to that readiness, and the land-use
planning permit, the construction-project planning permit and the construction permit are
issued with the land contract — the same day or the next (Haimen 2023, Hailing 2021, Nantong
2021-2023).

How the lever does it, for the share of each covered case type that has the case flag ``flag``:

* the *chain* is every item after the land item and before the start item (the scheme design,
  the design-scheme review, the drawings and their review, the stage-2 and stage-3 items that the
  permit needs); each chain item gets a variant ``<item>__pre`` with the same steps, needed only
  by covered cases (``when = [flag]``), whose prerequisites inside the chain point to the other
  ``__pre`` variants and whose edges to the land item are dropped: it runs before the land;
* each permit of the chain (items tagged ``permit``) is split: its review runs as ``__pre``, and
  ``<permit>__with_land`` only issues it, ``issue_hours`` after the land contract;
* the land item gets a covered variant ``<land>__ready``: the contract is signed once the listing
  is over and every ``__pre`` variant and every other prerequisite of the start item is done, so
  that the permits can be issued with it;
* the originals are needed only by the cases without the flag (``when = ["!" + flag]``); every
  item after a chain item, the land item or a permit also waits for its covered variant (which
  the cases without the flag skip);
* the milestones that named the land item or the start item name both variants.

Nothing else changes: no review gets shorter, no requirement is dropped for the cases not
covered, and the covered cases still need every item and every assessment they needed before.
"""

from __future__ import annotations

from pydantic import Field

from sim.reforms.base import (
    LeverParams,
    Note,
    ancestors_of,
    check_names,
    descendants_of,
    edit_items,
    fmt,
    names_zh,
    predecessors,
    with_flag,
)
from sim.scenario.distributions import Deterministic
from sim.scenario.schema import Item, Names, Scenario, Step

NAME = "land_equals_start"
ZH = "拿地即开工"
SUMMARY = "covered projects prepare design and reviews before the land; permits issued with it"
MECHANISM = (
    "scheme, drawings and their reviews move into the listing window; the land contract waits "
    "for them; land-use, planning and construction permits are issued with the contract"
)
MECHANISM_ZH = (
    "方案、施工图及其审查前移至挂牌空窗期；土地出让合同签订时同步核发用地规划、工程规划和施工许可证"
)

PRE, WITH_LAND, READY = "__pre", "__with_land", "__ready"


class Params(LeverParams):
    """Which cases are covered, the land and start items, and how fast the permits follow."""

    shares: dict[str, float] = Field(
        default_factory=lambda: {"industrial": 0.5},
        description="Share of each covered case type that the policy covers (case flag "
        "'flag'); ASSUMPTION unless a scenario says where its share comes from.",
    )
    flag: str = Field(default="land_start", description="The case flag of the covered cases.")
    land_item: str = Field(
        default="land_supply", description="The land contract (or allocation decision)."
    )
    start_item: str = Field(
        default="construction_permit", description="The permit that lets works start."
    )
    permit_tag: str = Field(
        default="permit", description="Tag of the permits issued with the land contract."
    )
    issue_hours: float = Field(
        default=2.0,
        gt=0,
        le=24,
        description="Hours from the land contract to each permit's issue (prepared in advance, "
        "issued electronically with the land).",
    )


def check(sc: Scenario, p: Params) -> list[tuple[str, str]]:
    out = check_names("land_item", "item", [p.land_item], sc.items)
    out += check_names("start_item", "item", [p.start_item], sc.items)
    out += check_names("shares", "case type", p.shares, sc.case_types)
    out += [
        ("shares", f"share of {k!r} must be between 0 and 1 (got {v})")
        for k, v in p.shares.items()
        if not 0 <= v <= 1
    ]
    if not p.shares:
        out.append(("shares", "name at least one case type the policy covers"))
    if not out and p.start_item not in descendants_of([p.land_item], predecessors(sc)):
        out.append(("start_item", f"{p.start_item!r} does not come after {p.land_item!r}"))
    return out


def _chain(sc: Scenario, p: Params) -> list[str]:
    """Items after the land and before the start, in the covered case types' own graphs."""
    found: set[str] = set()
    for ct in p.shares:
        preds = predecessors(sc, ct)
        listed = set(sc.case_types[ct].items)
        after_land = descendants_of([p.land_item], preds)
        before_start = ancestors_of([p.start_item], preds)
        found |= (after_land & before_start & listed) - {p.land_item}
    return [i for i in sc.items if i in found]  # scenario order


def transform(sc: Scenario, p: Params) -> tuple[Scenario, list[Note]]:
    chain = _chain(sc, p)
    permits = [i for i in chain if p.permit_tag in sc.items[i].tags]
    chain_set = set(chain)
    land_ready = p.land_item + READY
    not_flag = "!" + p.flag

    def pre_name(iid: str) -> str:
        return iid + PRE

    def issued_name(iid: str) -> str:
        return iid + WITH_LAND if iid in permits else iid + PRE

    listed = {i for ct in p.shares for i in sc.case_types[ct].items}

    def early(pres: tuple[str, ...]) -> tuple[str, ...]:
        """Prerequisites of a __pre variant (chain items by their __pre, no land).

        Items the covered case types do not list are passed through to their own prerequisites.
        """
        out: list[str] = []
        todo, seen = list(pres), set()
        while todo:
            pre = todo.pop(0)
            if pre in seen or pre == p.land_item:
                continue
            seen.add(pre)
            if pre in chain_set:
                out.append(pre_name(pre))
            elif pre in listed:
                out.append(pre)
            else:
                todo.extend((*sc.items[pre].requires, *sc.items[pre].after))
        return tuple(dict.fromkeys(out))

    updates: dict[str, Item] = {}
    for iid in chain:
        it = sc.items[iid]
        steps = it.steps
        if iid in permits and len(steps) > 1:
            steps = steps[:-1]  # the review before the land; the issue comes with it
        updates[pre_name(iid)] = it.model_copy(
            update={
                "name": Names(
                    zh=f"{it.name.zh or iid}（拿地前预审）", en=f"{it.name.en or iid} (before land)"
                ),
                "steps": steps,
                "requires": early(it.requires),
                "after": early(it.after),
                "when": with_flag(it.when, p.flag),
                "tags": tuple(t for t in it.tags if t != p.permit_tag),
                "correction": it.correction
                if it.correction is None
                or it.correction.from_step is None
                or it.correction.from_step in {s.name for s in steps}
                else it.correction.model_copy(update={"from_step": None}),
            }
        )
        updates[iid] = it.model_copy(update={"when": with_flag(it.when, not_flag)})
    issue = Step(
        name="issued with the land contract",
        delay=Deterministic(value=p.issue_hours, unit="hours"),
    )
    for iid in permits:
        it = sc.items[iid]
        legal = [
            issued_name(pre) if pre in chain_set else pre
            for pre in it.requires
            if pre != p.land_item and pre in permits
        ]
        updates[iid + WITH_LAND] = Item(
            name=Names(
                zh=f"{it.name.zh or iid}（随土地出让同步核发）",
                en=f"{it.name.en or iid} (issued with the land)",
            ),
            stage=it.stage,
            department=it.department,
            kind=it.kind,
            steps=(issue,),
            requires=tuple(dict.fromkeys((pre_name(iid), land_ready, *legal))),
            when=with_flag(it.when, p.flag),
            submitted_online=True,
            needs_trip=False,
            time_limit_wd=1.0,
        )
    # the covered land contract waits for every __pre variant and for every other
    # prerequisite of the start item, so that the permits can be issued with it
    land = sc.items[p.land_item]
    before_start: set[str] = set()
    for ct in p.shares:
        preds = predecessors(sc, ct)
        before_start |= ancestors_of([p.start_item], preds) & set(sc.case_types[ct].items)
    outside = [
        i
        for i in sc.items
        if i in before_start and i not in chain_set and i not in (p.land_item, p.start_item)
    ]
    updates[land_ready] = land.model_copy(
        update={
            "name": Names(
                zh=f"{land.name.zh or p.land_item}（项目就绪后出让）",
                en=f"{land.name.en or p.land_item} (when the project is ready)",
            ),
            "requires": tuple(
                dict.fromkeys((*land.requires, *outside, *(pre_name(i) for i in chain)))
            ),
            "when": with_flag(land.when, p.flag),
        }
    )
    updates[p.land_item] = land.model_copy(update={"when": with_flag(land.when, not_flag)})
    sc = edit_items(sc, updates)
    # in the covered case types, every other item after a chain item, the land or a permit
    # waits for the covered variant too (an edge of those case types only: the others never
    # list the variants)
    variant = {i: issued_name(i) for i in chain} | {p.land_item: land_ready}
    types = {}
    for cid, ct in sc.case_types.items():
        if cid not in p.shares:
            types[cid] = ct
            continue
        extra = {k: list(v) for k, v in ct.requires.items()}
        for jid in ct.items:
            if jid in chain_set or jid == p.land_item:
                continue
            jt = sc.items[jid]
            preds = (*jt.requires, *jt.after, *ct.requires.get(jid, ()))
            waits = [variant[x] for x in preds if x in variant]
            waits = [w for w in waits if w not in extra.get(jid, [])]
            if waits:
                extra[jid] = [*extra.get(jid, []), *waits]
        types[cid] = ct.model_copy(update={"requires": {k: tuple(v) for k, v in extra.items()}})
    sc = sc.model_copy(update={"case_types": types})
    # the covered cases: the flag, and the variants in the case types' lists
    types = {}
    for cid, ct in sc.case_types.items():
        new = [
            v
            for i in ct.items
            for v in (
                ([pre_name(i)] + ([i + WITH_LAND] if i in permits else []))
                if i in chain_set
                else ([land_ready] if i == p.land_item else [])
            )
        ]
        update = {"items": ct.items + tuple(v for v in new if v not in ct.items)}
        if cid in p.shares:
            update["flags"] = {**ct.flags, p.flag: p.shares[cid]}
        types[cid] = ct.model_copy(update=update)
    milestones = {}
    for name, target in sc.scenario.milestones.items():
        names = [target] if isinstance(target, str) else list(target)
        if p.land_item in names:
            names.append(land_ready)
        if p.start_item in names:
            names.append(p.start_item + WITH_LAND)
        milestones[name] = names[0] if len(names) == 1 else tuple(names)
    info = sc.scenario.model_copy(update={"milestones": milestones})
    sc = sc.model_copy(update={"case_types": types, "scenario": info})
    covered = ", ".join(f"{c} {v:.0%}" for c, v in p.shares.items())
    covered_zh = "、".join(f"{sc.case_types[c].name.zh or c}{v:.0%}" for c, v in p.shares.items())
    return sc, [
        Note(
            f"covered projects ({covered}; flag {p.flag!r}) prepare {len(chain)} items before "
            f"the land contract: {fmt(chain)}",
            f"覆盖的项目（{covered_zh}）在土地出让合同签订前完成{len(chain)}个事项："
            f"{names_zh(sc, chain)}",
        ),
        Note(
            f"their land contract waits for those and for every other prerequisite of "
            f"{p.start_item!r}; {len(permits)} permits are issued {p.issue_hours:g} h after it: "
            f"{fmt(permits)}",
            f"土地出让待项目就绪后签订，{len(permits)}项许可在签约后{p.issue_hours:g}小时内同步核发："
            f"{names_zh(sc, permits)}",
        ),
        Note(
            "projects not covered keep the ordinary chain",
            "未覆盖的项目仍按常规流程办理",
        ),
    ]
