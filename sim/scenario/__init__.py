"""Scenarios: validated, immutable descriptions of an approval system (layer 1 of 7)."""

from sim.scenario.distributions import DIST_NAMES, Distribution
from sim.scenario.load import Problem, ScenarioError, deep_merge, from_dict, load
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
    "from_dict",
    "load",
]
