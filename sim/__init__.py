"""approvalsim: a discrete-event simulation of government approval throughput.

The public API, for scripts and notebooks::

    import sim
    scenario = sim.load("scenarios/default.toml")
    result = sim.run(scenario, replications=10, jobs=2)
    result.summary          # tidy table: metric, group, mean, 95% CI
    result.cases            # one row per case and replication

A scenario is data, a reform is a function on that data, and the SimPy model only ever runs data
(see ``sim.scenario``, ``sim.reforms``, ``sim.model``). Names are imported lazily so that
importing one layer never drags in the layers below it.
"""

from __future__ import annotations

import importlib
from typing import Any

__version__ = "0.1.0"

_EXPORTS = {
    "load": ("sim.api", "load"),
    "from_dict": ("sim.api", "from_dict"),
    "run": ("sim.experiment.runner", "run"),
    "RunResult": ("sim.experiment.runner", "RunResult"),
    "Scenario": ("sim.scenario.schema", "Scenario"),
    "ScenarioError": ("sim.scenario.load", "ScenarioError"),
    "Model": ("sim.model.engine", "Model"),
    "Trace": ("sim.model.trace", "Trace"),
    "simulate": ("sim.model", "simulate"),
    "event_log": ("sim.model.trace", "event_log"),
    "offered_load": ("sim.analysis.queueing", "offered_load"),
}

__all__ = ["__version__", *_EXPORTS]


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        module, attr = _EXPORTS[name]
        return getattr(importlib.import_module(module), attr)
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
