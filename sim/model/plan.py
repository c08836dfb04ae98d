"""The plan of a run: a scenario compiled into flat, immutable tables the engine walks.

Compilation is pure: it reads a :class:`~sim.scenario.schema.Scenario` and nothing else, and the
plan it returns holds no simulation state (no environment, no queue, no case). The running world
(:mod:`sim.model.engine`) is built on top of one plan; two runs of the same scenario could share
it.

What compilation settles once, so the engine never has to ask again:

* **Items** become :class:`ItemPlan` rows with integer codes: department, steps (and the steps
  for cases in a regionally assessed area), whether a hand-in costs a trip and to whom (the
  applicant or an agent), the transfer time of its paper file, its correction loop, its time
  limit, whether it counts on the statutory clock under the scenario's ``[clock]`` rules.
* **Case types** become :class:`CasePlan` graphs restricted to the items the type needs:
  nearest predecessors through items it skips, successors, roots, and the **routes** of each
  item — the exclusive choice drawn after each visit (``rework`` first, then ``next``), each
  route either a *loop* (to the item itself or an earlier one: the items between are handled
  again) or a *branch* (to a later item: the later items of the same choice not taken are
  skipped).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sim.scenario.load import reachable
from sim.scenario.schema import Scenario, Step

KIND_DELAY, KIND_APPLICANT, KIND_CORRECTION, KIND_TRANSFER, KIND_STALL = range(5)
ACTIVITY_KINDS = ("delay", "applicant", "correction", "transfer", "stall")
"""What an elapsed spell of the activity table is (codes above, names here)."""


@dataclass(frozen=True, slots=True)
class StepPlan:
    """A step compiled: its distribution, whether it is staff effort, and who does it."""

    index: int
    name: str
    code: int  # index of the step's name among all step names (the task table's category)
    dist: Any  # a distribution of sim.scenario.distributions
    effort: bool  # staff effort (queues at a department) or an elapsed delay
    unit: str  # hours for effort; the delay's unit otherwise
    department: int  # code of the department doing the effort; -1 for a delay
    counted: bool  # whether a delay of this step runs on the statutory clock
    last: bool  # the last step of its list


@dataclass(frozen=True, slots=True)
class ItemPlan:
    """An item compiled for the engine."""

    id: str
    code: int
    stage: int  # 0-based stage, or -1
    department: int  # -1 for the applicant's own work
    steps: tuple[StepPlan, ...]
    assessed_steps: tuple[StepPlan, ...] | None  # for cases in a regionally assessed area
    government: bool  # False for the applicant's own work
    in_person: bool  # a hand-in is a trip (of the applicant, or of an agent)
    by_agent: bool  # handed in by an agent of the 1+N agency team
    in_zone: bool  # received in the one-stop zone (same-day hand-ins share a trip)
    transfer_days: float  # working days its paper file takes to reach the next department
    correction: Any  # sim.scenario.schema.Correction or None
    correction_cap: int  # at most this many corrections per visit (-1: no cap)
    restart_step: int  # the step a corrected file restarts from
    probability: float  # share of cases that need it
    when: tuple[str, ...]  # case flags a case must have to need it
    when_not: tuple[str, ...]  # case flags a case must not have to need it
    background: bool  # does not hold the case
    milestones: tuple[int, ...]  # indices of the milestones its finish marks
    on_clock: bool  # counts on the case's statutory clock
    time_limit_wd: float  # promised working days on its own clock (0: none)
    max_visits: int  # safety cap on visits per case (0: none)


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """One branch of an item's exclusive choice, within one case type."""

    target: int  # local index of the item the case goes to
    upper: float  # the branch is taken when the route uniform is below this (cumulative)
    loop: bool  # to the item itself or an earlier one (else a branch to a later item)
    rework: bool  # comes from the item's 'rework' key (capped by rework.max_rounds)
    cap: int  # rework.max_rounds (-1: no cap)
    reset: tuple[int, ...]  # for a loop: the target, then the items between it and this one


@dataclass(frozen=True, slots=True)
class CasePlan:
    """The precedence graph and routes of one case type, restricted to the items it needs."""

    type_id: str
    code: int
    items: tuple[ItemPlan, ...]
    preds: tuple[tuple[int, ...], ...]
    succs: tuple[tuple[int, ...], ...]
    roots: tuple[int, ...]
    routes: tuple[tuple[RoutePlan, ...], ...]
    branches: tuple[tuple[int, ...], ...]  # per item: the later items its choice branches to
    gated: tuple[bool, ...]  # per item: needed only when a choice branches to it
    priority: int
    flags: tuple[tuple[str, float], ...]  # (name, share) drawn once per case
    n_foreground: int  # items that hold the case (not background work)
    keys: tuple[tuple[tuple, ...], ...]  # per item and step: the draw key up to visit, round
    assessed_keys: tuple[tuple[tuple, ...], ...]  # the same for a case in an assessed area
    steps: tuple[tuple[StepPlan, ...], ...]  # per item: its steps
    assessed_steps: tuple[tuple[StepPlan, ...], ...]  # per item: steps_for(item, assessed=True)
    quick: bool  # one plain single-step item: the engine's fast path (see QuickCase)
    conditional: tuple[bool, ...]  # per item: may be skipped (probability, when, branch, variant)
    plain: tuple[bool, ...]  # per item: no correction, no route, no transfer after it
    simple: bool = False  # every item plain, single-step effort, always needed (critical.close)


@dataclass(frozen=True)
class Plan:
    """A whole scenario compiled (see module docstring)."""

    scenario: Scenario
    dep_ids: tuple[str, ...]
    item_ids: tuple[str, ...]
    type_ids: tuple[str, ...]
    step_names: tuple[str, ...]
    items: tuple[ItemPlan, ...]
    cases: tuple[CasePlan, ...]
    milestones: tuple[str, ...]
    flag_names: tuple[str, ...]  # every case flag of any case type (columns flag_<name>)
    n_stages: int
    stop_corrections: bool
    stop_problems: bool
    stop_transfers: bool


def steps_for(item: ItemPlan, assessed: bool) -> tuple[StepPlan, ...]:
    """The steps a case handles for ``item``: the assessed variant for cases in an assessed area."""
    if assessed and item.assessed_steps is not None:
        return item.assessed_steps
    return item.steps


def _in_hours(dist: Any) -> Any:
    """A distribution given in minutes, rescaled to hours (the clock's unit); others as given."""
    if getattr(dist, "unit", None) == "minutes":
        return dist.scaled(1 / 60).model_copy(update={"unit": "hours"})
    return dist


def compile_plan(sc: Scenario) -> Plan:
    """Compile ``sc`` into a :class:`Plan`."""
    dep_ids = tuple(sc.departments)
    dep_code = {d: n for n, d in enumerate(dep_ids)}
    step_names = tuple(
        sorted(
            {s.name for it in sc.items.values() for s in (*it.steps, *(it.assessed_steps or ()))}
        )
    )
    name_code = {name: n for n, name in enumerate(step_names)}
    milestones = tuple(sc.scenario.milestones)
    milestone_of: dict[str, list[int]] = {}
    for n, name in enumerate(milestones):
        for item in sc.scenario.milestone_items(name):
            milestone_of.setdefault(item, []).append(n)
    rules = sc.clock
    unclocked_stop = "unclocked_steps" in rules.stops

    def compile_steps(steps: tuple[Step, ...], dep: int) -> tuple[StepPlan, ...]:
        return tuple(
            StepPlan(
                index=n,
                name=s.name,
                code=name_code[s.name],
                dist=_in_hours(s.effort) if s.effort is not None else _in_hours(s.delay),
                effort=s.effort is not None,
                unit="hours"
                if s.effort is not None or s.delay.unit == "minutes"
                else (s.delay.unit or "working_days"),
                department=dep_code[s.department] if s.department else dep,
                counted=s.clock or not unclocked_stop,
                last=n == len(steps) - 1,
            )
            for n, s in enumerate(steps)
        )

    items = []
    for code, (iid, it) in enumerate(sc.items.items()):
        dep = dep_code[it.department] if it.department is not None else -1
        spec = sc.departments[it.department] if it.department is not None else None
        government = it.kind != "applicant"
        online = it.submitted_online
        in_zone = spec is not None and (it.in_zone or spec.location == "zone")
        restart = 0
        if it.correction is not None and it.correction.from_step is not None:
            restart = [s.name for s in it.steps].index(it.correction.from_step)
        corr_cap = it.correction.max_rounds if it.correction is not None else None
        items.append(
            ItemPlan(
                id=iid,
                code=code,
                stage=(it.stage - 1) if it.stage is not None else -1,
                department=dep,
                steps=compile_steps(it.steps, dep),
                assessed_steps=(
                    None if it.assessed_steps is None else compile_steps(it.assessed_steps, dep)
                ),
                government=government,
                in_person=government and not online and it.needs_trip,
                by_agent=it.submitted_by == "agent",
                in_zone=in_zone,
                transfer_days=0.0 if (spec is None or online or in_zone) else spec.transfer_days,
                correction=it.correction,
                correction_cap=-1 if corr_cap is None else corr_cap,
                restart_step=restart,
                probability=it.probability,
                when=tuple(f for f in it.when if not f.startswith("!")),
                when_not=tuple(f[1:] for f in it.when if f.startswith("!")),
                background=it.background,
                milestones=tuple(milestone_of.get(iid, ())),
                on_clock=it.clock if it.clock is not None else it.kind in rules.kinds,
                time_limit_wd=it.time_limit_wd or 0.0,
                max_visits=it.max_visits or 0,
            )
        )
    items_t = tuple(items)
    by_id = {it.id: it for it in items_t}
    cases = tuple(_compile_case(sc, n, type_id, by_id) for n, type_id in enumerate(sc.case_types))
    return Plan(
        scenario=sc,
        dep_ids=dep_ids,
        item_ids=tuple(sc.items),
        type_ids=tuple(sc.case_types),
        step_names=step_names,
        items=items_t,
        cases=cases,
        milestones=milestones,
        flag_names=tuple(sorted({f for ct in sc.case_types.values() for f in ct.flag_shares})),
        n_stages=sc.n_stages,
        stop_corrections="corrections" in rules.stops,
        stop_problems="problems" in rules.stops,
        stop_transfers="transfers" in rules.stops,
    )


def _case_graph(
    sc: Scenario, items: tuple[str, ...], extra: dict[str, tuple[str, ...]] | None = None
) -> tuple[list[set[str]], list[set[str]]]:
    """Nearest predecessors within ``items`` through requires/after edges of absent items.

    ``extra`` adds the case type's own prerequisites (``case_types.<id>.requires``).
    """
    present = set(items)
    extra = extra or {}
    preds: list[set[str]] = []
    for iid in items:
        found: set[str] = set()
        seen: set[str] = set()
        todo = list((*sc.items[iid].requires, *sc.items[iid].after, *extra.get(iid, ())))
        while todo:
            pre = todo.pop()
            if pre in seen:
                continue
            seen.add(pre)
            if pre in present:
                found.add(pre)
            else:
                todo.extend((*sc.items[pre].requires, *sc.items[pre].after))
        preds.append(found)
    index = {iid: n for n, iid in enumerate(items)}
    succs: list[set[str]] = [set() for _ in items]
    for n, ps in enumerate(preds):
        for p in ps:
            succs[index[p]].add(items[n])
    return preds, succs


def _compile_case(sc: Scenario, code: int, type_id: str, by_id: dict[str, ItemPlan]) -> CasePlan:
    ct = sc.case_types[type_id]
    ids = ct.items
    index = {iid: n for n, iid in enumerate(ids)}
    pred_names, succ_names = _case_graph(sc, ids, dict(ct.requires))
    preds = tuple(tuple(sorted(index[p] for p in ps)) for ps in pred_names)
    succs = tuple(tuple(sorted(index[s] for s in ss)) for ss in succ_names)
    routes: list[tuple[RoutePlan, ...]] = []
    branches: list[tuple[int, ...]] = []
    gated = [False] * len(ids)
    for n, iid in enumerate(ids):
        it = sc.items[iid]
        choice = []
        if it.rework is not None:
            cap = it.rework.max_rounds
            choice.append((it.rework.to, it.rework.probability, True, -1 if cap is None else cap))
        choice += [(r.to, r.probability, False, -1) for r in it.next]
        upper = 0.0
        mine: list[RoutePlan] = []
        forward: list[int] = []
        earlier = reachable([n], preds)
        for to, p, is_rework, cap in choice:
            upper += p
            if to not in index:
                continue  # a route to an item this case type does not need carries on
            t = index[to]
            if t in earlier:
                between = reachable([t], succs) & earlier
                reset = (t, *sorted(between - {t}))
                mine.append(RoutePlan(t, upper, True, is_rework, cap, reset))
            else:
                mine.append(RoutePlan(t, upper, False, is_rework, cap, ()))
                forward.append(t)
                gated[t] = True
        routes.append(tuple(mine))
        branches.append(tuple(forward))
    plans = tuple(by_id[i] for i in ids)

    def keys_of(it: ItemPlan, steps: tuple[StepPlan, ...], suffix: str) -> tuple[tuple, ...]:
        return tuple(
            ("effort" if st.effort else "delay", type_id, it.id + suffix, st.index) for st in steps
        )

    only = plans[0]
    stage_problems = only.stage >= 0 and sc.problems.probability.get(str(only.stage + 1), 0) > 0
    quick = (
        len(plans) == 1
        and len(only.steps) == 1
        and only.steps[0].effort
        and only.correction is None
        and not routes[0]
        and only.transfer_days == 0
        and only.probability >= 1.0
        and not only.when
        and not only.when_not
        and not ct.flag_shares
        and only.assessed_steps is None
        and not only.time_limit_wd
        and not only.background
        and not stage_problems
    )
    conditional = tuple(
        it.probability < 1.0
        or bool(it.when)
        or bool(it.when_not)
        or gated[n]
        or it.assessed_steps is not None
        for n, it in enumerate(plans)
    )
    plain = tuple(
        it.correction is None and not routes[n] and it.transfer_days == 0
        for n, it in enumerate(plans)
    )
    # every item a plain visit of one staff task, needed by every case and met by no problem:
    # its critical path and slacks follow from the visit times alone (CriticalPaths.close)
    simple = not ct.flag_shares and all(
        len(it.steps) == 1
        and it.steps[0].effort
        and plain[n]
        and not conditional[n]
        and not it.background
        and not (it.stage >= 0 and sc.problems.probability.get(str(it.stage + 1), 0) > 0)
        for n, it in enumerate(plans)
    )
    return CasePlan(
        type_id=type_id,
        code=code,
        items=plans,
        preds=preds,
        succs=succs,
        roots=tuple(n for n, p in enumerate(preds) if not p),
        routes=tuple(routes),
        branches=tuple(branches),
        gated=tuple(gated),
        priority=ct.priority,
        flags=tuple(ct.flag_shares.items()),
        n_foreground=sum(not by_id[i].background for i in ids),
        keys=tuple(keys_of(it, it.steps, "") for it in plans),
        assessed_keys=tuple(
            keys_of(it, steps_for(it, True), "" if it.assessed_steps is None else "@assessed")
            for it in plans
        ),
        steps=tuple(it.steps for it in plans),
        assessed_steps=tuple(steps_for(it, True) for it in plans),
        quick=bool(quick),
        conditional=conditional,
        plain=plain,
        simple=simple,
    )
