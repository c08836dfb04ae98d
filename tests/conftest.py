"""Shared builders: small scenarios as plain data, validated through the public API."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import sim
from sim.scenario.load import deep_merge


def base_data(**over: Any) -> dict[str, Any]:
    """A one-department, one-item scenario open round the clock (queueing-theory ready)."""
    data: dict[str, Any] = {
        "scenario": {"name": "t", "start": "2025-03-03", "horizon_days": 100, "drain_days": 60},
        "departments": {"desk": {"staff": 1, "office_hours": "always"}},
        "items": {
            "job": {
                "stage": 1,
                "department": "desk",
                "steps": [{"name": "serve", "effort": {"dist": "exponential", "mean": 1.0}}],
            }
        },
        "case_types": {
            "c": {"arrivals": {"process": "poisson", "per_year": 100}, "items": ["job"]}
        },
    }
    merged = deep_merge(data, over) if over else data
    # an arrivals table replaces the default one (its keys depend on the process)
    for cid, ct in (over.get("case_types") or {}).items():
        if "arrivals" in ct:
            merged["case_types"][cid]["arrivals"] = ct["arrivals"]
    return merged


def build(data: dict[str, Any]) -> sim.Scenario:
    return sim.from_dict(copy.deepcopy(data))


@pytest.fixture
def make():
    return build
