"""The front door for scenarios: every way in applies every check, and nothing is changed.

:func:`load` (a file) and :func:`from_dict` (data shaped like the file) are the only documented
ways to make a :class:`~sim.scenario.schema.Scenario`. Both

1. read only what they may: regular files of at most 10 MiB, ``extends`` chains and CSV paths
   inside the scenario's folder tree unless ``allow_outside`` (see :mod:`sim.scenario.load`);
2. validate the schema (every number finite and within its stated range), the references between
   departments, items and case types, and the memory one run would need;
3. check the lever parameters of ``[reforms]`` in file order, each against the scenario the
   earlier ones produce;
4. check, on the scenario the levers produce, that a case can finish within ``horizon_days +
   drain_days`` (:mod:`sim.scenario.feasibility`);

and read CSV arrivals into arrival times, so that the model never reads a file. The caller's data
is never mutated. Every problem found is raised at once as a :class:`sim.ScenarioError`, each
naming the file, the key path, what is wrong and what would be valid.

``sim.scenario.load.load``/``from_dict`` are the scenario layer's internals (no lever checks);
code outside ``sim`` should not call them.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from sim.reforms import apply_all, check_reforms
from sim.scenario import load as _internal
from sim.scenario.feasibility import finish_problems
from sim.scenario.load import Problem, ScenarioError, first_error, validation_problems
from sim.scenario.schema import Scenario

__all__ = ["CHECKS", "check_reformed", "from_dict", "load"]


def check_reformed(scenario: Scenario, file: str) -> list[Problem]:
    """Problems of the scenario the levers produce: the schema again, then finishing in time.

    Levers build their result without re-validating it, so a lever whose parameters are in
    range can still make a scenario out of range (``staffing`` adding 20,000 staff); such a
    result is checked against the schema here. Whether a case can finish within the horizon
    and drain is checked on the result too, since a lever may lengthen or shorten the chain.
    """
    try:
        reformed, _ = apply_all(scenario)
    except ScenarioError as exc:
        return exc.problems
    except ValidationError as exc:  # check_reforms reports these first; kept as a safety net
        return [Problem(file, "reforms", f"a lever makes an invalid scenario: {first_error(exc)}")]
    if scenario.reforms:
        data = reformed.model_dump(by_alias=True)
        try:
            Scenario.model_validate(data)
        except ValidationError as exc:
            return [
                Problem(
                    file, "reforms", f"the levers make an invalid scenario: {p.path}: {p.message}"
                )
                for p in validation_problems(exc, data, file)
            ]
    return [Problem(file, key, msg) for key, msg in finish_problems(reformed)]


CHECKS = (check_reforms, check_reformed)
"""The checks, in order, run on every scenario that passes the schema and references."""


def load(
    path: str | Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    allow_outside: bool = False,
) -> Scenario:
    """Load and check a scenario file (``extends``, schema, references, levers, CSV arrivals).

    ``overrides`` (same shape as the file, e.g. ``{"experiment": {"seed": 7}}``) is merged over
    the file's data before the checks; neither it nor anything else passed in is changed.
    ``allow_outside=True`` lets ``extends`` and CSV paths leave the scenario's folder tree.
    Raises :class:`sim.ScenarioError` listing every problem with its file and key path.
    """
    return _internal.load(path, overrides, checks=CHECKS, allow_outside=allow_outside)


def from_dict(
    data: Mapping[str, Any],
    source: str = "<scenario>",
    base_dir: str | Path | None = None,
    *,
    allow_outside: bool = False,
) -> Scenario:
    """Check a scenario given as a dict (same shape as the TOML file), as :func:`load` does.

    ``source`` names the data in messages. CSV arrivals are read relative to ``base_dir`` and
    must stay inside it unless ``allow_outside``; with CSV arrivals and no ``base_dir`` the
    result is a ScenarioError, never a scenario the model cannot run. ``data`` is not mutated.
    """
    return _internal.from_dict(
        data,
        source=source,
        base_dir=None if base_dir is None else Path(base_dir),
        checks=CHECKS,
        allow_outside=allow_outside,
    )
