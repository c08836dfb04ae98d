"""Scenarios: validated, immutable descriptions of an approval system (layer 1 of 7).

Load scenarios with :func:`sim.load` / :func:`sim.from_dict` (the front door, which also checks
lever parameters). The functions ``load`` and ``from_dict`` are deliberately not exported here:
they would shadow the submodule :mod:`sim.scenario.load`, and they skip the lever checks.
"""

from sim.scenario.distributions import DIST_NAMES, Distribution
from sim.scenario.load import Problem, ScenarioError, deep_merge
from sim.scenario.schema import (
    CaseType,
    Correction,
    Department,
    Experiment,
    Item,
    Names,
    Rework,
    Scenario,
    ScenarioInfo,
    Step,
)

__all__ = [
    "DIST_NAMES",
    "CaseType",
    "Correction",
    "Department",
    "Distribution",
    "Experiment",
    "Item",
    "Names",
    "Problem",
    "Rework",
    "Scenario",
    "ScenarioError",
    "ScenarioInfo",
    "Step",
    "deep_merge",
]
