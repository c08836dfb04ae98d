"""approvalsim: a discrete-event simulation of government approval throughput.

The public API, for scripts and notebooks — the same calls the command line makes::

    import sim
    scenario = sim.load("scenarios/default.toml")
    result = sim.run(scenario, replications=10, jobs=2)     # a frozen RunResult
    result.summary          # tidy table: metric, group, mean, 95% CI
    result.cases            # one row per case and replication
    comparison = sim.compare("baseline.toml", "reform.toml", replications=10)
    sim.brief("baseline.toml", "reform.toml", lang="zh", out="results/brief")

A scenario is data, a reform is a function on that data, and the SimPy model only ever runs data
(see ``sim.scenario``, ``sim.reforms``, ``sim.model``). Names are imported lazily so that
importing one layer never drags in the layers below it, and ``import sim`` stays light.
"""

from __future__ import annotations

import importlib
from typing import Any

from sim._version import __version__

_EXPORTS = {
    # scenarios (the front door)
    "load": ("sim.api", "load"),
    "from_dict": ("sim.api", "from_dict"),
    "Scenario": ("sim.scenario.schema", "Scenario"),
    "ScenarioError": ("sim.scenario.load", "ScenarioError"),
    # the commands
    "run": ("sim.commands", "run"),
    "compare": ("sim.commands", "compare"),
    "sweep": ("sim.commands", "sweep"),
    "brief": ("sim.commands", "brief"),
    "check": ("sim.commands", "check"),
    "advise": ("sim.commands", "advise"),
    "calibrate": ("sim.commands", "calibrate"),
    "explain": ("sim.commands", "explain"),
    "levers": ("sim.commands", "levers"),
    "open_scenario": ("sim.commands", "open_scenario"),
    "check_values": ("sim.commands", "check_values"),
    "Note": ("sim.commands", "Note"),
    "Caution": ("sim.commands", "Caution"),
    "Briefing": ("sim.commands", "Briefing"),
    # results and writing them
    "RunResult": ("sim.experiment.results", "RunResult"),
    "Comparison": ("sim.experiment.results", "Comparison"),
    "SweepResult": ("sim.experiment.results", "SweepResult"),
    "write": ("sim.experiment.store", "write"),
    "default_folder": ("sim.experiment.store", "default_folder"),
    "csv_text": ("sim.experiment.sinks", "csv_text"),
    "ProgressBar": ("sim.experiment.progress", "ProgressBar"),
    "UsageError": ("sim.experiment.errors", "UsageError"),
    "OutputError": ("sim.experiment.errors", "OutputError"),
    # the model and analysis
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


def __dir__() -> list[str]:
    return sorted(__all__)
