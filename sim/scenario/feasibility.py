"""Whether a scenario can be run at all, read from the scenario alone before anything runs.

Two questions, each answered with located messages (``(key path, message)`` pairs that the
loader turns into problems):

* **Does one run fit in memory?** :func:`workload_problems` bounds the items one replication is
  expected to handle (arrivals in the horizon times the items of their case type) by
  :data:`MAX_ITEMS_PER_RUN`. Recording an item costs about 2 KB (measured on the default and the
  Pukou scenarios with the task and activity tables kept: 1.9 and 1.5 KB), so a run stays under
  about 4 GB and one per core under 8 of this machine's 24 GB.

* **Can a case finish within the run?** :func:`finish_problems` computes, for each case type, the
  longest chain of its precedence graph (``requires`` and ``after``) twice: with every duration at
  the smallest value its distribution can draw (a *lower bound*: no case can be quicker), and
  with every duration at its mean (the *expected* time, still a lower estimate: it leaves out
  queueing, rework, blocking problems and the spread of the longest of several parallel paths).
  A case arriving at the very start has ``horizon_days + drain_days`` to finish; when even the
  expected time of its longest chain exceeds that, the run could only report unfinished cases.

Time conversions: staff effort of ``W`` hours in an office open ``h`` hours a working day takes
at least ``max(W, (W / h - 1) * 24)`` calendar hours; a working day takes at least one calendar
day and, on average over long spans, ``7 / 5`` of one (China has about 250 working days in 365,
so the true ratio, 1.46, is larger: the estimate stays low).
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from sim.scenario.distributions import Distribution
from sim.scenario.schema import CaseType, Scenario, Step

MAX_ITEMS_PER_RUN = 2_000_000
"""Most items one replication may be expected to handle (about 2 KB of memory each)."""

WORKDAY_SHARE = 5 / 7
"""Working days per calendar day used for expected times (at most 5 in 7 over long spans)."""

HOURS = 24.0


# --------------------------------------------------------------------------- workload


def expected_cases(scenario: Scenario, case_type: CaseType) -> float:
    """Expected arrivals of ``case_type`` within the horizon of one replication."""
    arr = case_type.arrivals
    horizon = scenario.scenario.horizon_days
    if arr.process == "poisson":
        return arr.per_year * horizon / 365.0
    if arr.process == "list":
        return float(sum(1 for d in arr.days if d < horizon))
    return 0.0  # a CSV is read into a list before validation


def workload_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """A problem when one replication would handle more than :data:`MAX_ITEMS_PER_RUN` items."""
    parts = {
        cid: expected_cases(scenario, ct) * len(ct.items) for cid, ct in scenario.case_types.items()
    }
    total = sum(parts.values())
    if total <= MAX_ITEMS_PER_RUN:
        return []
    biggest = max(parts, key=lambda c: parts[c])
    return [
        (
            "case_types",
            f"one run would handle about {total:,.0f} items ({biggest}: {parts[biggest]:,.0f}), "
            f"more than the {MAX_ITEMS_PER_RUN:,} that fit in memory at about 2 KB each "
            "(valid: a lower per_year or a shorter horizon_days)",
        )
    ]


# --------------------------------------------------------------------------- finishing in time


@dataclass(frozen=True)
class Span:
    """A duration in calendar hours: a lower bound and a lower estimate of the mean."""

    lower: float
    expected: float

    def __add__(self, other: Span) -> Span:
        return Span(self.lower + other.lower, self.expected + other.expected)


ZERO = Span(0.0, 0.0)


def _elapsed(low: float, mean: float, unit: str) -> Span:
    """An elapsed delay of ``low``/``mean`` in ``unit``, in calendar hours."""
    if unit == "working_days":
        return Span(low * HOURS, mean * HOURS / WORKDAY_SHARE)
    if unit == "calendar_days":
        return Span(low * HOURS, mean * HOURS)
    return Span(low, mean)


def _work(low: float, mean: float, open_hours: tuple[tuple[float, float], ...] | None) -> Span:
    """Staff effort of ``low``/``mean`` hours in an office with these opening hours."""
    if open_hours is None:
        return Span(low, mean)
    per_day = sum(b - a for a, b in open_hours)
    return Span(
        max(low, (low / per_day - 1) * HOURS),
        max(mean, (mean / per_day - 1) * HOURS / WORKDAY_SHARE),
    )


def _steps(steps: Iterable[Step], department: str | None, sc: Scenario, size: Distribution) -> Span:
    total = ZERO
    for step in steps:
        if step.effort is not None:
            dep = sc.departments[step.department or department or ""]
            total += _work(
                step.effort.minimum * size.minimum, step.effort.mean * size.mean, dep.hours
            )
        elif step.delay is not None:
            d = step.delay
            total += _elapsed(d.minimum, d.mean, d.unit or "working_days")
    return total


def _times(rounds: float, span: Span, rounds_lower: float) -> Span:
    lower = rounds_lower * span.lower if span.lower > 0 else 0.0
    expected = rounds * span.expected if span.expected > 0 else 0.0
    return Span(lower, expected)


def item_span(scenario: Scenario, case_type: CaseType, iid: str) -> Span:
    """How long item ``iid`` holds a case of ``case_type``: lower bound and expected hours.

    Queueing, rework send-backs and blocking problems are left out (they only add time).
    """
    sc = scenario
    it = sc.items[iid]
    if it.background:
        return ZERO
    span = _steps(it.steps, it.department, sc, case_type.size)
    share = case_type.assessed_share
    if it.assessed_steps is not None and share > 0:
        alt = _steps(it.assessed_steps, it.department, sc, case_type.size)
        span = Span(
            alt.lower if share >= 1 else min(span.lower, alt.lower),
            (1 - share) * span.expected + share * alt.expected,
        )
    corr = it.correction
    if corr is not None:
        restart = 0
        if corr.from_step is not None:
            restart = [s.name for s in it.steps].index(corr.from_step)
        t = corr.turnaround
        again = _elapsed(t.minimum, t.mean, t.unit or "working_days") + _steps(
            it.steps[restart:], it.department, sc, case_type.size
        )
        p, cap = corr.probability, corr.max_rounds
        if cap is None:  # no cap: a geometric number of rounds
            rounds = p / (1 - p) if p < 1 else math.inf
            certain = math.inf if p >= 1 else 0.0
        else:
            rounds = sum(p**r for r in range(1, cap + 1))
            certain = float(cap) if p >= 1 else 0.0
        span += _times(rounds, again, certain)
    dep = sc.departments.get(it.department) if it.department is not None else None
    in_zone = dep is not None and (it.in_zone or dep.location == "zone")
    if dep is not None and not it.submitted_online and not in_zone and dep.transfer_days > 0:
        span += _elapsed(dep.transfer_days, dep.transfer_days, "working_days")
    needed = it.probability
    # items only some cases need (a share, or flags a case may lack) bound nothing from below
    flags = it.when
    shares = case_type.flag_shares
    for test in flags:  # 'flag' needs the flag, '!flag' needs its absence
        share = shares.get(test.removeprefix("!"), 0.0)
        needed *= 1.0 - share if test.startswith("!") else share
    lower = span.lower if needed >= 1 and not flags else 0.0
    expected = span.expected * needed if span.expected > 0 else 0.0
    return Span(lower, expected)


def _longest(scenario: Scenario, weight: dict[str, float]) -> tuple[float, list[str]]:
    """The heaviest path of the requires/after graph (items not in ``weight`` weigh 0)."""
    items = scenario.items
    preds = {i: [p for p in (*it.requires, *it.after) if p in items] for i, it in items.items()}
    waiting = {i: len(ps) for i, ps in preds.items()}
    succs: dict[str, list[str]] = {i: [] for i in items}
    for i, ps in preds.items():
        for p in ps:
            succs[p].append(i)
    ready = [i for i, n in waiting.items() if n == 0]
    best: dict[str, float] = {}
    via: dict[str, str | None] = {}
    while ready:
        i = ready.pop()
        before = max(preds[i], key=lambda p: best[p], default=None)
        best[i] = (best[before] if before is not None else 0.0) + weight.get(i, 0.0)
        via[i] = before
        for s in succs[i]:
            waiting[s] -= 1
            if waiting[s] == 0:
                ready.append(s)
    if not best:
        return 0.0, []
    end: str | None = max(best, key=lambda i: best[i])
    total = best[end]
    chain = []
    while end is not None:
        if weight.get(end, 0.0) > 0:
            chain.append(end)
        end = via[end]
    return total, chain[::-1]


@dataclass(frozen=True)
class ChainBound:
    """The longest chain of one case type, in calendar days (see the module docstring)."""

    case_type: str
    lower_days: float
    lower_chain: tuple[str, ...]
    expected_days: float
    expected_chain: tuple[str, ...]


def chain_bound(scenario: Scenario, case_type: str) -> ChainBound:
    """Lower bound and lower estimate of the mean time a case of ``case_type`` needs."""
    ct = scenario.case_types[case_type]
    spans = {iid: item_span(scenario, ct, iid) for iid in dict.fromkeys(ct.items)}
    low, low_chain = _longest(scenario, {i: s.lower for i, s in spans.items()})
    exp, exp_chain = _longest(scenario, {i: s.expected for i, s in spans.items()})
    return ChainBound(case_type, low / HOURS, tuple(low_chain), exp / HOURS, tuple(exp_chain))


def _days(value: float) -> str:
    return "for ever" if math.isinf(value) else f"{value:,.0f} days"


def finish_problems(scenario: Scenario) -> list[tuple[str, str]]:
    """A problem for every case type whose longest chain cannot fit in horizon plus drain."""
    info = scenario.scenario
    room = info.horizon_days + info.drain_days
    out = []
    for cid in scenario.case_types:
        b = chain_bound(scenario, cid)
        if b.lower_days > room:
            days, chain = b.lower_days, b.lower_chain
            what = f"no case can finish: its longest chain takes at least {_days(days)}"
        elif b.expected_days > room:
            days, chain = b.expected_days, b.expected_chain
            what = (
                f"even a case arriving at the start is expected to need {_days(days)} on its "
                "longest chain, without any queueing"
            )
        else:
            continue
        need = math.ceil(days - info.horizon_days) if math.isfinite(days) else math.inf
        valid = (
            f"drain_days >= {need}"
            if need <= 36_500
            else "a shorter chain: drain_days is at most 36500"
        )
        out.append(
            (
                f"case_types.{cid}",
                f"{what} ({' -> '.join(chain)}), more than horizon_days + drain_days = "
                f"{room:g} (valid: {valid})",
            )
        )
    return out
