"""Experiments: replications, seeds, warm-up, precision, comparisons and sweeps (layer 5 of 7).

Everything here runs through one replication driver (:mod:`sim.experiment.driver`) and returns
frozen result types (:mod:`sim.experiment.results`) that one writer stores
(:mod:`sim.experiment.store`). Names are imported on first use, so that importing a light
module of this package (``errors``) does not load pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "Comparison": "sim.experiment.results",
    "Precision": "sim.experiment.results",
    "RunResult": "sim.experiment.results",
    "SweepResult": "sim.experiment.results",
    "Warmup": "sim.experiment.results",
    "run": "sim.experiment.runner",
}

__all__ = list(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'sim.experiment' has no attribute {name!r}")
