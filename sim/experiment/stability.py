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
from sim.scenario.schema import Scenario

EXIT_UNSTABLE = 3
"""The exit status of a command that found (or refused) an overloaded scenario."""


class Unstable(Exception):
    """An overloaded scenario: ``lines`` name each department at or above 100% load."""

    def __init__(self, lines: Iterable[str]):
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))


def unstable_lines(scenario: Scenario, where: str = "") -> list[str]:
    """One line per overloaded department of ``scenario`` (``where`` prefixes each)."""
    return overload_lines(offered_load(scenario), where)


def check_stable(scenarios: Iterable[tuple[str, Scenario]], allow: bool = False) -> list[str]:
    """Raise :class:`Unstable` if any scenario is overloaded, unless ``allow``.

    ``scenarios`` are ``(label, scenario)`` pairs (a label names a file or a design point in
    the message; empty for a single scenario). With ``allow`` the lines are returned instead.
    """
    lines: list[str] = []
    for label, sc in scenarios:
        lines += unstable_lines(sc, f"{label}: " if label else "")
    if lines and not allow:
        hint = "(run with --allow-unstable to simulate it anyway, up to the horizon)"
        raise Unstable([*lines, hint])
    return lines


def at_horizon(scenario: Scenario) -> Scenario:
    """The scenario with no drain: an overloaded run stops at its horizon."""
    info = scenario.scenario.model_copy(update={"drain_days": 0.0})
    return scenario.model_copy(update={"scenario": info})
