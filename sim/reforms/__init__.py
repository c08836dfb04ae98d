"""Reforms: each lever a pure function from a scenario to a scenario (layer 2 of 7).

A lever is a module of this package with a ``NAME``, a ``ZH`` name from the source report, a
``Params`` model (pydantic, frozen, unknown keys refused) and ``apply(scenario, params) ->
(scenario, account)``. The model never sees a reform: it runs the scenario the levers return.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.scenario.load import Problem
from sim.scenario.schema import Scenario

LEVERS: dict[str, object] = {}


@dataclass(frozen=True)
class Account:
    """What one lever changed, in words a planner can check."""

    lever: str
    changes: tuple[str, ...]

    def __str__(self) -> str:
        body = "\n".join(f"  - {c}" for c in self.changes) or "  - (nothing to change)"
        return f"{self.lever}:\n{body}"


def check_reforms(scenario: Scenario, file: str) -> list[Problem]:
    """Problems with the ``[reforms]`` tables of a scenario (unknown lever, bad parameters)."""
    problems = []
    for name in scenario.reforms:
        if name not in LEVERS:
            valid = ", ".join(sorted(LEVERS)) or "none yet"
            problems.append(Problem(file, f"reforms.{name}", f"unknown lever (valid: {valid})"))
    return problems


def apply_all(scenario: Scenario) -> tuple[Scenario, list[Account]]:
    """Apply the scenario's declared levers in file order; return the result and the accounts."""
    if not scenario.reforms:
        return scenario, []
    raise NotImplementedError("levers arrive with the reform layer")
