"""Provenance: where a result's numbers come from, built in one place for every result type.

A results folder, a briefing and a notebook all show the same record: the package and its
version, the Python that ran it, the scenario as resolved (its name, the levers applied and each
lever's account), the root seed, the replications, the warm-up and how it was chosen, the
precision reached, the years whose holidays were assumed, and when the result was made. The
record is a pure function of the (frozen) result, so it is the same wherever it is shown.

``provenance.json`` is also the mark of a results folder *of ours*: the writer refuses to replace
a folder that does not carry one (see :mod:`sim.experiment.store`).
"""

from __future__ import annotations

import hashlib
import json
import platform
from typing import TYPE_CHECKING, Any

from sim._version import __version__

if TYPE_CHECKING:  # the result types call this module; it only reads their fields
    from sim.experiment.results import Comparison, RunResult, SweepResult

PACKAGE = "approvalsim"
CALENDAR_NOTE = (
    "years listed here have public holidays computed by rule and no make-up working days "
    "(no official notice was available)"
)


def scenario_digest(result: RunResult) -> str:
    """A short hash of the scenario as run (levers applied): equal digests, equal inputs."""
    text = json.dumps(result.scenario.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _common(kind: str, created: str) -> dict[str, Any]:
    return {
        "package": PACKAGE,
        "version": __version__,
        "python": platform.python_version(),
        "kind": kind,
        "created": created,
    }


def _run(result: RunResult) -> dict[str, Any]:
    return {
        "scenario": result.scenario.scenario.name,
        "scenario_digest": scenario_digest(result),
        "seed": result.seed,
        "replications": len(result.replications),
        "reforms_applied": list(result.scenario.applied),
        "reform_accounts": [
            {"lever": a.lever, "changes": list(a.changes)} for a in result.accounts
        ],
        "warmup": result.warmup.as_dict() if result.warmup else None,
        "precision": result.precision.as_dict() if result.precision else None,
        "tables": result.keep,
        "unfinished_cases": int(
            sum(r.meta.get("unfinished_cases", 0) for r in result.replications)
        ),
        "assumed_calendar_years": result.assumed_calendar_years,
        "calendar_note": CALENDAR_NOTE,
    }


def provenance(result: RunResult | Comparison | SweepResult) -> dict[str, Any]:
    """The provenance record of any result, as plain JSON-ready data."""
    kind = getattr(result, "kind", None)
    if kind == "run":
        return {**_common("run", result.created), **_run(result)}  # type: ignore[arg-type]
    if kind == "comparison":
        return {
            **_common("comparison", result.created),
            "seed": result.seed,
            "replications": len(result.baseline.replications),
            "common_random_numbers": True,
            "baseline": _run(result.baseline),
            "alternatives": [_run(a) for a in result.alternatives],
            "precision": result.precision.as_dict() if result.precision else None,
        }
    if kind == "sweep":
        return {
            **_common("sweep", result.created),
            "sweep": result.name,
            "file": str(result.file),
            "seed": result.seed,
            "replications_per_point": result.replications,
            "metric": result.metric,
            "key": result.key,
            "design_points": int(result.results["point"].nunique()) if len(result.results) else 0,
            "replications_run_now": result.new_tasks,
            "replications_reused": result.reused_tasks,
            "sobol_samples": result.samples,
        }
    raise TypeError(f"no provenance for {type(result).__name__}")
