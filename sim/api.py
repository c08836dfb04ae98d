"""The front door for scripts and notebooks: load a scenario with every check, levers included."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sim.reforms import check_reforms
from sim.scenario.load import from_dict as _from_dict
from sim.scenario.load import load as _load
from sim.scenario.schema import Scenario


def load(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Load and validate a scenario file (``extends``, schema, references, lever parameters).

    Raises :class:`sim.ScenarioError` listing every problem with its file and key path.
    """
    return _load(path, overrides, checks=(check_reforms,))


def from_dict(data: Mapping[str, Any], source: str = "<scenario>") -> Scenario:
    """Validate a scenario given as a dict (same shape as the TOML file)."""
    return _from_dict(data, source=source, checks=(check_reforms,))
