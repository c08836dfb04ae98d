"""Reforms: each lever a pure function from a scenario to a scenario (layer 2 of 7).

Every lever of the Pukou report is a module here (see :mod:`sim.reforms.base` for the contract).
A scenario switches levers on with ``[reforms.<name>]`` tables; :func:`apply_all` applies them in
file order and returns the transformed scenario with an :class:`Account` of each lever's
changes. The SimPy model never sees a reform: it runs the scenario the levers return.

    >>> from sim.reforms import apply
    >>> new, account = apply(scenario, "colocation", departments=["housing"])
"""

from __future__ import annotations

from collections.abc import Mapping
from types import ModuleType
from typing import Any

from pydantic import ValidationError

from sim.reforms import (
    agency,
    colocation,
    commitment,
    completion_equals_title,
    coordination,
    data_sharing,
    intermediaries_in_zone,
    land_equals_start,
    one_visit,
    online,
    parallel_approval,
    regional_assessment,
    staffing,
    time_limits,
)
from sim.reforms import base as _base
from sim.reforms.base import Account, LeverParams, Note
from sim.scenario.load import Problem, ScenarioError, first_error
from sim.scenario.schema import Scenario

LEVERS: dict[str, ModuleType] = {
    m.NAME: m
    for m in (
        colocation,
        time_limits,
        intermediaries_in_zone,
        parallel_approval,
        commitment,
        regional_assessment,
        agency,
        land_equals_start,
        completion_equals_title,
        data_sharing,
        online,
        coordination,
        staffing,
        one_visit,
    )
}

__all__ = [
    "LEVERS",
    "Account",
    "LeverParams",
    "Note",
    "apply",
    "apply_all",
    "check_reforms",
    "lever",
]


def lever(name: str) -> ModuleType:
    """The lever module called ``name``; a ScenarioError lists the valid names otherwise."""
    if name not in LEVERS:
        raise ScenarioError(
            [Problem("<reforms>", f"reforms.{name}", f"unknown lever (valid: {', '.join(LEVERS)})")]
        )
    return LEVERS[name]


def apply(
    scenario: Scenario, name: str, params: Mapping[str, Any] | None = None, **kwargs: Any
) -> tuple[Scenario, Account]:
    """Apply lever ``name`` with its parameters; return the new scenario and its account."""
    return _base.apply(lever(name), scenario, params, **kwargs)


def check_reforms(scenario: Scenario, file: str) -> list[Problem]:
    """Problems with a scenario's ``[reforms]`` tables, each located as ``reforms.<lever>.<key>``.

    Unknown levers, bad parameters and missing references are reported; levers are checked in
    order against the scenario the earlier ones produce.
    """
    problems: list[Problem] = []
    sc = scenario
    for name, table in scenario.reforms.items():
        prefix = f"reforms.{name}"
        if name not in LEVERS:
            problems.append(Problem(file, prefix, f"unknown lever (valid: {', '.join(LEVERS)})"))
            continue
        mod = LEVERS[name]
        params, found = _base.params_of(mod, table, file, prefix)
        if found:
            problems += found
            continue
        found = [Problem(file, f"{prefix}.{k}", m) for k, m in mod.check(sc, params)]
        if found:
            problems += found
            continue
        if not problems:
            try:
                sc, _ = _base.apply(mod, sc, params)
            except ValidationError as exc:  # parameters in range can still make a bad scenario
                problems.append(
                    Problem(
                        file, prefix, f"the lever makes an invalid scenario: {first_error(exc)}"
                    )
                )
            except ScenarioError as exc:  # e.g. edges that form a cycle once it is applied
                problems += [Problem(file, p.path, p.message) for p in exc.problems]
    return problems


def apply_all(scenario: Scenario) -> tuple[Scenario, list[Account]]:
    """Apply the scenario's declared levers in file order; the result declares none."""
    accounts = []
    sc = scenario
    for name, table in scenario.reforms.items():
        sc, account = apply(sc, name, table)
        accounts.append(account)
    return sc.model_copy(update={"reforms": {}}), accounts
