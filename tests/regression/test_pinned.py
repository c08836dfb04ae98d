"""Regression pins — NOT validation.

A fixed run of the bundled default scenario (2 replications, its own seed) is compared with the
summary stored beside this file, so that a refactor that changes any number shows up. When a
change is *meant* to change the numbers, regenerate the pin and say why in the commit:

    APPROVALSIM_REGEN=1 python -m pytest tests/regression

Evidence that the model is right lives in tests/theory (queueing theory, critical paths).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import sim
from sim.experiment.store import summary_dict
from sim.model.trace import event_log

HERE = Path(__file__).parent
PIN = HERE / "default_summary.json"
DEFAULT = HERE.parents[1] / "scenarios" / "default.toml"


def _rounded(value):
    if isinstance(value, float):
        return float(f"{value:.6g}")
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    return value


def current() -> dict:
    result = sim.run(sim.load(DEFAULT), replications=2)
    data = summary_dict(result)
    for m in data["metrics"]:
        for k in ("mean", "ci_low", "ci_high"):
            if m[k] is not None:
                m[k] = float(f"{m[k]:.6g}")
    if "critical_path" in data:  # where the days go (issue 10), pinned to 6 digits as well
        data["critical_path"] = _rounded(data["critical_path"])
    return data


def test_default_scenario_summary_is_unchanged():
    now = current()
    if os.environ.get("APPROVALSIM_REGEN"):
        PIN.write_text(json.dumps(now, indent=1) + "\n", encoding="utf-8")
        pytest.skip("pin regenerated")
    assert now == json.loads(PIN.read_text(encoding="utf-8"))


def test_event_log_has_pm4py_columns():
    trace = sim.simulate(
        sim.load(DEFAULT, overrides={"scenario": {"horizon_days": 90, "warmup_days": 10}})
    )
    log = event_log(trace)
    assert list(log.columns) == [
        "case:concept:name",
        "concept:name",
        "time:timestamp",
        "org:resource",
        "lifecycle:transition",
    ]
    assert len(log) == 2 * len(trace.tasks)
    assert set(log["lifecycle:transition"]) == {"start", "complete"}
    assert log.groupby("case:concept:name")["time:timestamp"].is_monotonic_increasing.all()
