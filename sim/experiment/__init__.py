"""Experiments: replications, seeds and executors (layer 4 of 7)."""

from sim.experiment.runner import RunResult, run

__all__ = ["RunResult", "run"]
