"""Sweeps and sensitivity: many design points x replications, resumable, with progress.

A sweep file (TOML) names a base scenario and the design points to run over it::

    [sweep]
    name = "planning staff"
    base = "../scenarios/default.toml"   # relative to the sweep file
    replications = 5
    seed = 7                              # default: the base scenario's
    metric = "approval_wd_mean"           # what sensitivity analyses

    [grid]                                # full factorial over key paths
    "departments.planning.staff" = [1, 2, 3]
    "reforms.colocation" = [false, { departments = ["housing"] }]   # false: lever off

    [[points]]                            # and/or explicit points
    name = "all levers"
    set = { "reforms.parallel_approval" = {}, "reforms.online" = {} }

    [sensitivity]                         # one-at-a-time ranges and Sobol indices (SALib)
    samples = 16                          # Sobol base sample size N (N x (2D + 2) points)
    [sensitivity.parameters]
    "departments.planning.staff" = [1, 4]
    "items.eia.correction.probability" = [0.1, 0.5]

Every (point, replication) is a task; each finished task writes its per-replication metrics to
``<out>/points/<point id>/rep-<r>.json`` atomically (temporary file, then rename). Running the
same sweep again skips the tasks already written, so an interrupted sweep resumes where it
stopped and ends with the same numbers as an uninterrupted one: a task's result depends only on
its point, its replication and the seed, never on when or where it ran.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import sys
import time
import tomllib
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Executor, ProcessPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from sim.analysis.summary import ALL, per_replication, t_interval
from sim.experiment.runner import replicate
from sim.experiment.store import write_json
from sim.reforms import apply_all, check_reforms
from sim.scenario.load import (
    Problem,
    ScenarioError,
    deep_merge,
    from_dict,
    read_tree,
    validation_problems,
)

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class SweepInfo(BaseModel):
    """The ``[sweep]`` table."""

    model_config = _FROZEN
    name: str = Field(min_length=1)
    base: str
    replications: int = Field(default=5, ge=1, le=10_000)
    seed: int | None = Field(default=None, ge=0)
    metric: str = Field(default="approval_wd_mean")


class Point(BaseModel):
    """An explicit design point."""

    model_config = _FROZEN
    name: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)


class Sensitivity(BaseModel):
    """Parameters with ranges, for one-at-a-time and Sobol analyses."""

    model_config = _FROZEN
    samples: int = Field(default=16, ge=2, le=4096)
    parameters: dict[str, tuple[float, float]] = Field(min_length=1)


class SweepFile(BaseModel):
    """A whole sweep file."""

    model_config = _FROZEN
    sweep: SweepInfo
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    points: tuple[Point, ...] = ()
    sensitivity: Sensitivity | None = None


@dataclass
class Sweep:
    """A loaded sweep: its settings, its base data and its design points."""

    path: Path
    info: SweepInfo
    base_data: dict[str, Any]
    points: list[tuple[str, dict[str, Any]]]  # (label, {key path: value})
    sensitivity: Sensitivity | None = None
    _scenarios: dict[str, Any] = field(default_factory=dict)

    def scenario(self, overrides: Mapping[str, Any]):
        """The validated, reformed scenario of one design point."""
        key = point_id(overrides)
        if key not in self._scenarios:
            data = deep_merge(self.base_data, {})
            for path, value in overrides.items():
                set_path(data, path, value)
            sc = from_dict(
                data, source=f"{self.path.name} point {dict(overrides)}", checks=(check_reforms,)
            )
            self._scenarios[key] = apply_all(sc)[0]
        return self._scenarios[key]

    @property
    def seed(self) -> int:
        """The root seed of every point (common random numbers across points)."""
        if self.info.seed is not None:
            return self.info.seed
        return int(self.base_data.get("experiment", {}).get("seed", 20230920))


def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``a.b.c`` in nested dicts; ``false`` for a ``reforms.<lever>`` key removes it."""
    keys = path.split(".")
    node = data
    for k in keys[:-1]:
        node = node.setdefault(k, {})
        if not isinstance(node, dict):
            raise ScenarioError([Problem("<sweep>", path, f"{k!r} is not a table")])
    if keys[0] == "reforms" and len(keys) == 2 and value is False:
        node.pop(keys[-1], None)
    else:
        node[keys[-1]] = value


def point_id(overrides: Mapping[str, Any]) -> str:
    """A stable id for a design point (same overrides, same id, in any run)."""
    text = json.dumps(overrides, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file and every design point's scenario."""
    path = Path(path)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ScenarioError(
            [Problem(str(path), "", f"cannot read the sweep file: {exc}")]
        ) from None
    try:
        spec = SweepFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, raw, str(path))) from None
    base_data, _ = read_tree(path.parent / spec.sweep.base)
    points: list[tuple[str, dict[str, Any]]] = []
    if spec.grid:
        keys = list(spec.grid)
        for combo in itertools.product(*(spec.grid[k] for k in keys)):
            over = dict(zip(keys, combo, strict=True))
            points.append((", ".join(f"{k}={_short(v)}" for k, v in over.items()), over))
    for n, p in enumerate(spec.points):
        points.append((p.name or f"point {n + 1}", dict(p.set)))
    if not points and spec.sensitivity is None:
        points.append(("base", {}))
    sweep = Sweep(path, spec.sweep, base_data, points, spec.sensitivity)
    problems = []
    for label, over in points:
        try:
            sweep.scenario(over)
        except ScenarioError as exc:
            problems += [Problem(str(path), f"{label}: {p.path}", p.message) for p in exc.problems]
    if problems:
        raise ScenarioError(problems)
    return sweep


def _short(v: Any) -> str:
    return json.dumps(v, default=str) if not isinstance(v, str) else v


# --------------------------------------------------------------------------- running


def _task(args: tuple) -> list[dict]:
    scenario, seed, rep = args
    trace = replicate(scenario, seed, rep)
    return per_replication([trace]).assign(replication=rep).to_dict(orient="records")


def run_points(
    sweep: Sweep,
    points: list[tuple[str, dict[str, Any]]],
    out: Path,
    jobs: int = 1,
    executor: Executor | None = None,
    limit: int | None = None,
    progress: Callable[[int, int, float], None] | None = None,
) -> pd.DataFrame:
    """Run every (point, replication) not yet written under ``out``; return all results.

    ``limit`` stops after that many new tasks (used to test resumption). The returned table has
    one row per point, replication, group and metric.
    """
    out.mkdir(parents=True, exist_ok=True)
    todo = []
    for _, over in points:
        pid = point_id(over)
        folder = out / "points" / pid
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "point.json").write_text(
            json.dumps(over, sort_keys=True, default=str), encoding="utf-8"
        )
        for r in range(sweep.info.replications):
            if not (folder / f"rep-{r}.json").exists():
                todo.append((pid, over, r))
    if limit is not None:
        todo = todo[:limit]
    total, done, start = len(todo), 0, time.monotonic()
    if todo:
        own = executor is None and jobs > 1
        ex = ProcessPoolExecutor(max_workers=jobs) if own else executor
        try:
            if ex is None:
                for pid, over, r in todo:
                    write_json(
                        out / "points" / pid / f"rep-{r}.json",
                        _task((sweep.scenario(over), sweep.seed, r)),
                        allow_nan=True,
                    )
                    done += 1
                    if progress:
                        progress(done, total, time.monotonic() - start)
            else:
                futures = {
                    ex.submit(_task, (sweep.scenario(over), sweep.seed, r)): (pid, r)
                    for pid, over, r in todo
                }
                for fut in as_completed(futures):
                    pid, r = futures[fut]
                    write_json(out / "points" / pid / f"rep-{r}.json", fut.result(), allow_nan=True)
                    done += 1
                    if progress:
                        progress(done, total, time.monotonic() - start)
        finally:
            if own:
                ex.shutdown(cancel_futures=True)
    return collect(sweep, points, out)


def collect(sweep: Sweep, points: list[tuple[str, dict[str, Any]]], out: Path) -> pd.DataFrame:
    """Every written replication of the given points, as one tidy table."""
    frames = []
    seen: set[str] = set()
    for label, over in points:
        pid = point_id(over)
        if pid in seen:  # e.g. two Sobol samples rounded to the same integer staff
            continue
        seen.add(pid)
        for r in range(sweep.info.replications):
            f = out / "points" / pid / f"rep-{r}.json"
            if f.exists():
                frames.append(
                    pd.DataFrame(json.loads(f.read_text(encoding="utf-8"))).assign(
                        point=pid, label=label
                    )
                )
    if not frames:
        return pd.DataFrame(
            columns=["point", "label", "replication", "group", "metric", "value", "n"]
        )
    return pd.concat(frames, ignore_index=True)


def summarise_points(results: pd.DataFrame, group: str = ALL) -> pd.DataFrame:
    """Mean and 95% CI per point and metric, across replications."""
    rows = []
    sel = results[results["group"] == group]
    for (pid, label, metric), g in sel.groupby(["point", "label", "metric"], sort=False):
        m, lo, hi = t_interval(g.sort_values("replication")["value"].to_numpy(float))
        rows.append(
            {
                "point": pid,
                "label": label,
                "metric": metric,
                "mean": m,
                "ci_low": lo,
                "ci_high": hi,
                "replications": len(g),
            }
        )
    return pd.DataFrame(rows)


def text_progress(stream=sys.stderr) -> Callable[[int, int, float], None]:
    """A one-line progress bar with an ETA."""
    last = [-1.0]

    def show(done: int, total: int, elapsed: float) -> None:
        if done < total and elapsed - last[0] < 0.5:
            return  # at most two updates a second
        last[0] = elapsed
        width = 30
        filled = int(width * done / total) if total else width
        eta = elapsed / done * (total - done) if done else math.nan
        eta_text = f"{eta:5.0f} s" if math.isfinite(eta) else "   ?"
        stream.write(
            f"\r[{'#' * filled}{'.' * (width - filled)}] {done}/{total} "
            f"elapsed {elapsed:5.0f} s, ETA {eta_text}"
        )
        if done == total:
            stream.write("\n")
        stream.flush()

    return show


# --------------------------------------------------------------------------- sensitivity


def _value(path: str, x: float, base: Any) -> Any:
    return int(round(x)) if isinstance(base, int) and not isinstance(base, bool) else float(x)


def _base_value(sweep: Sweep, path: str) -> Any:
    node: Any = sweep.base_data
    for k in path.split("."):
        node = node.get(k) if isinstance(node, dict) else None
    return node


def oat_points(sweep: Sweep) -> list[tuple[str, dict[str, Any]]]:
    """One-at-a-time design: the base, then each parameter at its low and its high end."""
    sens = sweep.sensitivity
    pts: list[tuple[str, dict[str, Any]]] = [("base", {})]
    for path, (lo, hi) in sens.parameters.items():
        base = _base_value(sweep, path)
        for end, x in (("low", lo), ("high", hi)):
            pts.append((f"{path}={end}", {path: _value(path, x, base)}))
    return pts


def tornado(sweep: Sweep, results: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: the metric at its low and high end and the swing, largest first."""
    means = summarise_points(results)
    means = means[means["metric"] == sweep.info.metric].set_index("label")["mean"]
    base = means.get("base", math.nan)
    rows = []
    for path in sweep.sensitivity.parameters:
        lo, hi = means.get(f"{path}=low", math.nan), means.get(f"{path}=high", math.nan)
        rows.append({"parameter": path, "low": lo, "high": hi, "base": base, "swing": abs(hi - lo)})
    return pd.DataFrame(rows).sort_values("swing", ascending=False, ignore_index=True)


def sobol_problem(sweep: Sweep) -> dict[str, Any]:
    """The SALib problem definition of the sweep's sensitivity parameters."""
    params = sweep.sensitivity.parameters
    return {
        "num_vars": len(params),
        "names": list(params),
        "bounds": [list(b) for b in params.values()],
    }


def sobol_points(sweep: Sweep) -> tuple[np.ndarray, list[tuple[str, dict[str, Any]]]]:
    """Saltelli sample of the parameters (SALib) and the design points it gives."""
    from SALib.sample import sobol as sobol_sample

    problem = sobol_problem(sweep)
    x = sobol_sample.sample(
        problem, sweep.sensitivity.samples, calc_second_order=False, seed=sweep.seed % (2**32)
    )
    pts = []
    for n, row in enumerate(x):
        over = {
            p: _value(p, v, _base_value(sweep, p))
            for p, v in zip(problem["names"], row, strict=True)
        }
        pts.append((f"sobol {n}", over))
    return x, pts


def sobol_indices(
    sweep: Sweep, pts: list[tuple[str, dict[str, Any]]], results: pd.DataFrame
) -> pd.DataFrame:
    """First-order and total Sobol indices of the metric's mean (SALib), with 95% CIs."""
    from SALib.analyze import sobol as sobol_analyze

    means = summarise_points(results)
    means = means[means["metric"] == sweep.info.metric].set_index("point")["mean"]
    y = np.array([means.get(point_id(over), math.nan) for _, over in pts])
    problem = sobol_problem(sweep)
    res = sobol_analyze.analyze(problem, y, calc_second_order=False, seed=sweep.seed % (2**32))
    return pd.DataFrame(
        {
            "parameter": problem["names"],
            "S1": res["S1"],
            "S1_conf": res["S1_conf"],
            "ST": res["ST"],
            "ST_conf": res["ST_conf"],
        }
    )


def design(sweep: Sweep, kind: str) -> list[tuple[str, dict[str, Any]]]:
    """The design points of a sweep: ``points`` (grid and explicit), ``oat`` or ``sobol``."""
    if kind == "points":
        return sweep.points
    if sweep.sensitivity is None:
        raise ScenarioError(
            [
                Problem(
                    str(sweep.path),
                    "sensitivity",
                    "this analysis needs a [sensitivity] table with parameters and ranges",
                )
            ]
        )
    return oat_points(sweep) if kind == "oat" else sobol_points(sweep)[1]


def merge_points(*lists: Iterable[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict]]:
    """Concatenate design point lists, dropping repeated points."""
    seen, out = set(), []
    for lst in lists:
        for label, over in lst:
            pid = point_id(over)
            if pid not in seen:
                seen.add(pid)
                out.append((label, over))
    return out
