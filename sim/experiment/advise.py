"""Staffing advice: where K more staff (or staff moved) cut the mean lead time most.

:func:`advise` builds the candidates — ``K`` more staff in each department that has work (and,
for ``K > 1``, the K staff spread one at a time to whichever department the traffic equations
show most loaded), or each move ``FROM -> TO`` asked for — and ranks them by paired replications
under common random numbers: replication ``r`` of every candidate and of the baseline sees the
same projects (the engine keys every draw by case, item, step and visit, never by event order),
so the difference ``baseline_r - candidate_r`` of the mean lead time (working days) isolates the
change. A candidate that would overload a department (load >= 1, from
:func:`~sim.analysis.queueing.offered_load`) is not run: its queue would grow without bound.

**Sequential screening.** Replications come in batches. After each batch every surviving
candidate's gain is compared, paired by replication, with the best candidate's: a candidate whose
whole confidence interval of ``gain - best gain`` lies below zero is clearly worse and is dropped.
The screening stops when one candidate is left, when every survivor's interval says it cannot beat
the best by more than the indifference zone ``delta`` (they are as good as each other), or at
``max_replications``. Each comparison is a Student-t interval at ``confidence`` over the
replications run so far; the repeated looks make the overall error rate larger than one look's
(this is a screen, not a selection guarantee): the table reports every survivor with its interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from sim.analysis.queueing import offered_load
from sim.analysis.summary import t_interval
from sim.scenario.schema import Scenario

METRIC = "lead_wd_mean"
"""What advice minimises: the mean lead time of the finished window cases, in working days."""

RELATIVE_DELTA = 0.001
"""The default indifference zone: 0.1% of the baseline's mean lead time."""

#: ``evaluate([(scenario, seed, replication), ...]) -> [mean lead time, ...]`` in that order.
Evaluate = Callable[[Sequence[tuple[Scenario, int, int]]], list[float]]
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class Candidate:
    """A staffing change: staff added (negative: removed) per department."""

    name: str
    change: Mapping[str, int]

    def apply(self, scenario: Scenario) -> Scenario:
        """The scenario with this change (a pure function: the input is not touched)."""
        deps = dict(scenario.departments)
        for d, n in self.change.items():
            deps[d] = deps[d].model_copy(update={"staff": deps[d].staff + n})
        return scenario.model_copy(update={"departments": deps})


@dataclass(frozen=True)
class Advice:
    """The ranked candidates and how the screening went."""

    table: pd.DataFrame
    replications: int
    seed: int
    baseline_wd: float
    history: tuple[tuple[int, int], ...] = field(default_factory=tuple)  # (reps, survivors)

    @property
    def best(self) -> str:
        """The name of the first-ranked candidate ("" when none could run)."""
        ok = self.table[self.table["status"] != "overloaded"]
        return str(ok.iloc[0]["candidate"]) if len(ok) else ""


def parse_staff(text: str) -> int:
    """``+K`` (or ``K``): the number of staff to add, at least 1."""
    try:
        k = int(str(text).strip().lstrip("+"))
    except ValueError:
        raise ValueError(f"--staff must be a whole number such as +2 (got {text!r})") from None
    if not 1 <= k <= 1000:
        raise ValueError(f"--staff must be from +1 to +1000 (got {text!r})")
    return k


def parse_move(text: str, scenario: Scenario) -> Candidate:
    """``FROM:TO[:N]``: N staff (default 1) moved from department FROM to TO."""
    parts = str(text).split(":")
    if len(parts) not in (2, 3) or not all(parts):
        raise ValueError(f"--move must be FROM:TO or FROM:TO:N (got {text!r})")
    src, dst = parts[0], parts[1]
    known = ", ".join(scenario.departments)
    for d in (src, dst):
        if d not in scenario.departments:
            raise ValueError(f"--move {text}: unknown department {d!r} (valid: {known})")
    if src == dst:
        raise ValueError(f"--move {text}: FROM and TO must differ")
    try:
        n = int(parts[2]) if len(parts) == 3 else 1
    except ValueError:
        raise ValueError(f"--move {text}: N must be a whole number") from None
    have = scenario.departments[src].staff
    if not 1 <= n < have:
        raise ValueError(
            f"--move {text}: {src!r} has {have} staff; move from 1 to {have - 1} (one stays)"
        )
    return Candidate(f"{src} -> {dst} ({n})", {src: -n, dst: n})


def staff_candidates(scenario: Scenario, k: int) -> list[Candidate]:
    """K more staff in each department with work; for K > 1 also K spread by load."""
    loads = {ld.department: ld for ld in offered_load(scenario)}
    out = [Candidate(f"{d} +{k}", {d: k}) for d, ld in loads.items() if ld.demand_hours > 0]
    if k > 1 and out:
        staff = {d: ld.staff for d, ld in loads.items()}
        spread: dict[str, int] = {}
        for _ in range(k):
            d = max(
                (x for x in loads if loads[x].demand_hours > 0),
                key=lambda x: (
                    loads[x].demand_hours / (loads[x].open_hours / loads[x].staff) / staff[x]
                ),
            )
            staff[d] += 1
            spread[d] = spread.get(d, 0) + 1
        if len(spread) > 1:
            name = "by load: " + ", ".join(f"{d} +{n}" for d, n in spread.items())
            out.append(Candidate(name, spread))
    return out


def _serial(tasks: Sequence[tuple[Scenario, int, int]]) -> list[float]:
    from sim.model import simulate

    out = []
    for sc, seed, rep in tasks:
        out.append(lead_wd_mean(simulate(sc, seed=seed, replication=rep, keep=())))
    return out


def lead_wd_mean(trace) -> float:
    """The mean lead time (working days) of a replication's finished window cases."""
    c = trace.window_cases()
    c = c[c["finished"]]
    return float(c["lead_wd"].mean()) if len(c) else math.nan


def advise(
    scenario: Scenario,
    candidates: Sequence[Candidate],
    *,
    seed: int | None = None,
    batch: int = 3,
    max_replications: int = 20,
    delta: float | None = None,
    confidence: float = 0.95,
    evaluate: Evaluate | None = None,
    progress: Progress | None = None,
) -> Advice:
    """Rank ``candidates`` against ``scenario`` by paired replications (module docstring).

    ``evaluate`` runs replications (default: one after the other in this process); ``delta`` is
    the indifference zone in working days (default: 0.1% of the baseline's mean lead time).
    Returns the table sorted best first: ``candidate``,
    ``change``, ``replications``, ``lead_wd`` (mean), ``gain_wd`` (mean baseline minus candidate,
    with ``gain_low``/``gain_high``), ``max_load`` (after the change), ``status`` (``best``,
    ``as good`` (within ``delta`` of the best), ``dropped after N`` or ``overloaded``).
    """
    if not candidates:
        raise ValueError("no candidate to advise on")
    if batch < 2 or max_replications < batch:
        raise ValueError("batch must be at least 2 and max_replications at least batch")
    run = evaluate or _serial
    seed = scenario.experiment.seed if seed is None else int(seed)
    scenarios = {c.name: c.apply(scenario) for c in candidates}
    max_load = {
        name: max((ld.load for ld in offered_load(sc)), default=0.0)
        for name, sc in scenarios.items()
    }
    alive = [c.name for c in candidates if max_load[c.name] < 1]
    status = {c.name: "overloaded" for c in candidates if max_load[c.name] >= 1}
    values: dict[str, list[float]] = {name: [] for name in ["", *alive]}  # "" is the baseline
    done, total, history = 0, 0, []
    reps = 0
    while alive and reps < max_replications:
        new = list(range(reps, min(reps + batch, max_replications)))
        names = ["", *alive]
        tasks = [(scenario if n == "" else scenarios[n], seed, r) for n in names for r in new]
        total += len(tasks)
        if progress is not None:
            progress(done, total)
        outcomes = _in_chunks(run, tasks, progress, done, total)
        done += len(tasks)
        for k, n in enumerate(names):
            values[n] += outcomes[k * len(new) : (k + 1) * len(new)]
        reps = new[-1] + 1
        base = np.array(values[""])
        if delta is None:
            delta = RELATIVE_DELTA * abs(float(np.nanmean(base)))
        gain = {n: base - np.array(values[n]) for n in alive}
        best = max(alive, key=lambda n: np.nanmean(gain[n]))
        settled = True
        for n in list(alive):
            if n == best:
                continue
            _, lo, hi = t_interval(gain[n] - gain[best], confidence)
            if math.isfinite(hi) and hi < 0:
                alive.remove(n)
                status[n] = f"dropped after {reps}"
            elif not (math.isfinite(hi) and hi < delta):
                settled = False
        history.append((reps, len(alive)))
        if len(alive) <= 1 or settled:
            break
    base = np.array(values[""])
    rows = []
    for c in candidates:
        n = c.name
        v = np.array(values.get(n, []))
        if len(v):
            g = base[: len(v)] - v
            m, lo, hi = t_interval(g, confidence)
        else:
            m = lo = hi = math.nan
        rows.append(
            {
                "candidate": n,
                "change": ", ".join(f"{d} {k:+d}" for d, k in c.change.items()),
                "replications": len(v),
                "lead_wd": float(np.nanmean(v)) if len(v) else math.nan,
                "gain_wd": m,
                "gain_low": lo,
                "gain_high": hi,
                "max_load": max_load[n],
                "status": status.get(n, ""),
            }
        )
    table = pd.DataFrame(rows)
    ran = table["status"] != "overloaded"
    order = table[ran].sort_values(["replications", "gain_wd"], ascending=[False, False])
    table = pd.concat([order, table[~ran]], ignore_index=True)
    if len(order):
        top = table.loc[0, "gain_wd"]
        for k in range(len(order)):
            if table.loc[k, "status"]:
                continue
            close = top - table.loc[k, "gain_wd"] < (delta or 0.0)
            table.loc[k, "status"] = "best" if k == 0 else ("as good" if close else "not separated")
    return Advice(
        table=table,
        replications=reps,
        seed=seed,
        baseline_wd=float(np.nanmean(base)) if len(base) else math.nan,
        history=tuple(history),
    )


def _in_chunks(run: Evaluate, tasks, progress: Progress | None, done: int, total: int):
    """Run ``tasks``; report progress after each chunk when the evaluator does not itself."""
    if progress is None:
        return run(tasks)
    out: list[float] = []
    step = max(1, len(tasks) // 8)
    for k in range(0, len(tasks), step):
        out += run(tasks[k : k + step])
        progress(done + len(out), total)
    return out


def driver_evaluate(driver) -> Evaluate:
    """An evaluator that runs replications through the one replication driver (summaries only)."""
    from sim.experiment.driver import Task

    def evaluate(tasks: Sequence[tuple[Scenario, int, int]]) -> list[float]:
        jobs = [Task(sc, seed, rep, keep="none") for sc, seed, rep in tasks]
        out = []
        for rep in driver.run(jobs):
            s = rep.summary
            row = s[(s["group"] == "all") & (s["metric"] == METRIC)]
            out.append(float(row["value"].iloc[0]) if len(row) else math.nan)
        return out

    return evaluate
