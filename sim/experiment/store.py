"""Writing a run to disk: tables, summary and provenance in one folder, atomically.

A results folder is written under a temporary name beside its final place and renamed when it
is complete, so an interrupted run never leaves a half-written folder that looks finished.
Every folder carries its provenance: the scenario as resolved (after ``extends`` and the
levers), the root seed, the replications, the package version and the levers applied.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sim.experiment.runner import RunResult


def slug(text: str) -> str:
    """A file-name-safe version of a scenario name."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower() or "scenario"


def default_folder(name: str, root: str | Path = "results") -> Path:
    """``results/<scenario>-<timestamp>``."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{slug(name)}-{stamp}"


@contextlib.contextmanager
def atomic_folder(final: Path) -> Iterator[Path]:
    """Yield a temporary folder that becomes ``final`` only when the block succeeds."""
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}.", dir=final.parent))
    try:
        yield tmp
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp, final)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def write_json(path: Path, data: Any, allow_nan: bool = False) -> None:
    """Write JSON atomically (temporary file, then rename), creating the folder if needed.

    ``allow_nan=False`` (results meant for other tools) refuses NaN and infinities; internal
    files such as a sweep's per-replication records may keep them.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(
        json.dumps(data, indent=2, ensure_ascii=False, allow_nan=allow_nan, default=str) + "\n",
        encoding="utf-8",
    )
    os.replace(tmp, path)


def _finite(x: float) -> float | None:
    return None if x != x or x in (float("inf"), float("-inf")) else round(float(x), 6)


def summary_dict(result: RunResult) -> dict[str, Any]:
    """The key figures of a run, as plain JSON-ready data."""
    rows = []
    for _, r in result.summary.iterrows():
        rows.append(
            {
                "group": r["group"],
                "metric": r["metric"],
                "mean": _finite(r["mean"]),
                "ci_low": _finite(r["ci_low"]),
                "ci_high": _finite(r["ci_high"]),
                "replications": int(r["replications"]),
                "cases": int(r["cases"]),
                "unit": r["unit"],
            }
        )
    return {
        "scenario": result.scenario.scenario.name,
        "seed": result.seed,
        "replications": len(result.traces),
        "confidence": 0.95,
        "metrics": rows,
    }


def provenance(result: RunResult) -> dict[str, Any]:
    """Where the numbers come from: seed, version, levers, calendar assumptions."""
    import sim

    return {
        "scenario": result.scenario.scenario.name,
        "seed": result.seed,
        "replications": len(result.traces),
        "package": "approvalsim",
        "version": sim.__version__,
        "python": platform.python_version(),
        "reforms_applied": list(result.scenario.applied),
        "reform_accounts": [
            {"lever": a.lever, "changes": list(a.changes)} for a in result.accounts
        ],
        "assumed_calendar_years": result.assumed_calendar_years,
        "warmup": result.warmup,
        "precision": result.precision,
        "calendar_note": "years listed here have public holidays computed by rule and no "
        "make-up working days (no official notice was available)",
        "written": dt.datetime.now().isoformat(timespec="seconds"),
    }


def write_tables(result: RunResult, folder: Path) -> None:
    """Write cases, tasks, departments, summary, the resolved scenario and provenance."""
    result.cases.to_csv(folder / "cases.csv", index=False)
    result.tasks.to_csv(folder / "tasks.csv", index=False)
    result.departments.to_csv(folder / "departments.csv", index=False)
    result.summary.to_csv(folder / "summary.csv", index=False)
    write_json(folder / "summary.json", summary_dict(result))
    write_json(folder / "scenario.json", result.scenario.model_dump(mode="json", by_alias=True))
    write_json(folder / "provenance.json", provenance(result))
