"""Stability before a run: overloaded scenarios are refused unless the caller allows them.

A department whose offered load (from the traffic equations, :mod:`sim.analysis.queueing`) is at
or above 1 has a queue that grows without bound: no warm-up, drain or replication count makes
its means meaningful. :func:`check_stable` raises :class:`Unstable` with one line per such
department (its load and the staff it would need) — the message ``approvalsim check`` prints and
the reason ``run``, ``compare``, ``brief``, ``sweep`` and ``advise`` stop (exit status 3).

With ``--allow-unstable`` the run goes ahead but stops at the horizon (:func:`at_horizon`: no
drain, since the queue would never empty), and the result says that the queue was still growing
(:func:`sim.analysis.queueing.backlog`).
"""

from __future__ import annotations

from collections.abc import Iterable

from sim.analysis.queueing import offered_load, overload_lines
from sim.experiment.errors import Unstable
from sim.scenario.schema import Scenario

__all__ = ["EXIT_UNSTABLE", "Unstable", "at_horizon", "backlog_line", "check_stable", "reformed"]

EXIT_UNSTABLE = 3
"""The exit status of a command that found (or refused) an overloaded scenario."""


def unstable_lines(scenario: Scenario, where: str = "") -> list[str]:
    """One line per overloaded department of ``scenario`` (``where`` prefixes each)."""
    return overload_lines(offered_load(scenario), where)


def check_stable(scenarios: Iterable[tuple[str, Scenario]], allow: bool = False) -> list[str]:
    """Raise :class:`Unstable` if any scenario is overloaded, unless ``allow``.

    ``scenarios`` are ``(label, scenario)`` pairs (a label names a file or a design point in
    the message; empty for a single scenario), their levers applied here. With ``allow`` the
    lines are returned instead.
    """
    lines: list[str] = []
    for label, sc in scenarios:
        lines += unstable_lines(reformed(sc), f"{label}: " if label else "")
    if lines and not allow:
        hint = "(run with --allow-unstable to simulate it anyway, up to the horizon)"
        raise Unstable([*lines, hint])
    return lines


def at_horizon(scenario: Scenario) -> Scenario:
    """The scenario with no drain: an overloaded run stops at its horizon."""
    info = scenario.scenario.model_copy(update={"drain_days": 0.0})
    return scenario.model_copy(update={"scenario": info})


def reformed(scenario: Scenario) -> Scenario:
    """The scenario as it would run: its levers applied (loads depend on them)."""
    from sim.reforms import apply_all

    return apply_all(scenario)[0]


def backlog_line(result) -> str:
    """After an overloaded run stopped at its horizon: the open cases and how fast they grew.

    From the case tables when the run kept them (:func:`~sim.analysis.queueing.backlog`);
    otherwise the unfinished cases the replications counted, and the growth the load check
    predicts.
    """
    from sim.analysis.queueing import backlog

    horizon_h = result.scenario.scenario.horizon_days * 24.0
    if result.has("cases"):
        return backlog(result.cases, result.warmup.warmup_h, horizon_h).line()
    opened = [r.meta.get("unfinished_cases", 0) for r in result.replications]
    mean = sum(opened) / max(1, len(opened))
    growth = [
        f"{ld.department} +{ld.backlog_growth_per_year:,.0f} tasks a year"
        for ld in offered_load(reformed(result.scenario))
        if not ld.stable
    ]
    return (
        f"the queue was still growing at the horizon: {mean:,.0f} cases open (the load check "
        f"predicts {', '.join(growth)})"
    )
