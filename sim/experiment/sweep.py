"""Sweeps and sensitivity: many design points x replications, resumable, keyed by their inputs.

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
    samples = 16                          # Sobol base sample size N (N x (D + 2) points)
    [sensitivity.parameters]
    "departments.planning.staff" = [1, 4]
    "items.eia.correction.probability" = [0.1, 0.5]

Every key path is checked against the base scenario like any key of a scenario file: a typo is an
error with "did you mean", never a new department. Every (point, replication) is a task run by the
shared :mod:`driver <sim.experiment.driver>`; each finished task writes its per-replication
metrics to ``<folder>/points/<point id>/rep-<r>.json`` atomically. A point's id hashes everything
that changes its numbers — the point's scenario as resolved (base, overrides, levers applied), the
seed and the package version — so running the sweep again skips exactly the tasks already done
for *these* inputs: an interrupted sweep resumes and ends with the same numbers as an
uninterrupted one, and a changed base or seed starts fresh (the older replications stay in the
folder, unused, and the run says so).
"""

from __future__ import annotations

import difflib
import hashlib
import itertools
import json
import math
import tomllib
from collections.abc import Iterable, Mapping
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from sim._version import __version__
from sim.analysis.summary import ALL, CASE_METRICS, t_interval
from sim.api import CHECKS
from sim.experiment.driver import Driver, Progress, Task, perform
from sim.experiment.errors import UsageError
from sim.experiment.results import SweepResult
from sim.experiment.stability import at_horizon, unstable_lines
from sim.experiment.store import MARK, is_ours, write_json
from sim.reforms import LEVERS, apply_all
from sim.scenario.load import (
    Problem,
    ScenarioError,
    deep_merge,
    from_dict,
    read_tree,
    validation_problems,
)
from sim.scenario.schema import Scenario

_FROZEN = ConfigDict(frozen=True, extra="forbid")
#: Largest sweep file read (a sweep file is a few lines; this refuses devices and binaries).
MAX_SWEEP_BYTES = 1_000_000
#: Metrics a sweep may analyse besides the case metrics of the summary and the intervals.
EXTRA_METRICS = ("unfinished_share", "capped_share", "one_trip_share", "overdue_share")


def known_metrics(base: Scenario | None = None) -> list[str]:
    """The overall metrics a sweep may name in ``[sweep] metric`` (with the base's intervals)."""
    intervals = list(base.intervals) if base is not None else []
    return [*CASE_METRICS, *EXTRA_METRICS, *intervals]


class SweepInfo(BaseModel):
    """The ``[sweep]`` table."""

    model_config = _FROZEN
    name: str = Field(min_length=1, max_length=200)
    base: str = Field(min_length=1)
    replications: int = Field(default=5, ge=1, le=10_000)
    seed: int | None = Field(default=None, ge=0, le=2**63 - 1)
    metric: str = Field(default="approval_wd_mean", min_length=1)


class Point(BaseModel):
    """An explicit design point."""

    model_config = _FROZEN
    name: str | None = None
    set: dict[str, Any] = Field(default_factory=dict)


class Sensitivity(BaseModel):
    """Parameters with ranges, for one-at-a-time and Sobol analyses."""

    model_config = _FROZEN
    samples: int = Field(default=16, ge=2, le=4096)
    parameters: dict[str, tuple[float, float]] = Field(min_length=1, max_length=50)

    @field_validator("parameters")
    @classmethod
    def _ordered(cls, v: dict[str, tuple[float, float]]) -> dict[str, tuple[float, float]]:
        for path, (lo, hi) in v.items():
            if not (math.isfinite(lo) and math.isfinite(hi)):
                raise ValueError(f"{path}: bounds must be finite numbers (got [{lo}, {hi}])")
            if not lo < hi:
                raise ValueError(
                    f"{path}: bounds must be [low, high] with low < high (got [{lo}, {hi}])"
                )
        return v


class SweepFile(BaseModel):
    """A whole sweep file."""

    model_config = _FROZEN
    sweep: SweepInfo
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    points: tuple[Point, ...] = ()
    sensitivity: Sensitivity | None = None


@dataclass
class Sweep:
    """A loaded sweep: its settings, its base scenario and its design points."""

    path: Path
    info: SweepInfo
    base_data: dict[str, Any]
    base: Scenario
    base_dir: Path
    points: list[tuple[str, dict[str, Any]]]  # (label, {key path: value})
    sensitivity: Sensitivity | None = None
    _scenarios: dict[str, Scenario] = field(default_factory=dict)
    _ids: dict[str, str] = field(default_factory=dict)
    _unstable_to_horizon: bool = False

    def stop_unstable_at_horizon(self) -> None:
        """Run overloaded design points up to the horizon only (``--allow-unstable``)."""
        self._unstable_to_horizon = True
        self._scenarios.clear()
        self._ids.clear()

    def scenario(self, overrides: Mapping[str, Any]) -> Scenario:
        """The validated, reformed scenario of one design point.

        An overloaded point runs to its horizon only, once :meth:`stop_unstable_at_horizon`
        was called (otherwise the sweep refuses it before anything runs).
        """
        text = json.dumps(overrides, sort_keys=True, default=str)
        if text not in self._scenarios:
            data = deep_merge(self.base_data, {})
            for path, value in overrides.items():
                set_path(data, path, value)
            sc = from_dict(
                data,
                source=f"{self.path.name} point {dict(overrides)}",
                base_dir=self.base_dir,
                checks=CHECKS,
            )
            sc = apply_all(sc)[0]
            if self._unstable_to_horizon and unstable_lines(sc):
                sc = at_horizon(sc)
            self._scenarios[text] = sc
        return self._scenarios[text]

    @property
    def seed(self) -> int:
        """The root seed of every point (common random numbers across points)."""
        return self.info.seed if self.info.seed is not None else self.base.experiment.seed

    @property
    def key(self) -> str:
        """A hash of the base scenario as resolved, the seed and the package version."""
        return _digest(self.base.model_dump(mode="json", by_alias=True), self.seed)

    def point_id(self, overrides: Mapping[str, Any]) -> str:
        """The id of a design point: its resolved scenario, the seed, the package version."""
        text = json.dumps(overrides, sort_keys=True, default=str)
        if text not in self._ids:
            sc = self.scenario(overrides)
            self._ids[text] = _digest(sc.model_dump(mode="json", by_alias=True), self.seed)[:16]
        return self._ids[text]


def _digest(data: Any, seed: int) -> str:
    text = json.dumps({"scenario": data, "seed": seed, "version": __version__}, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


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


def _unknown(kind: str, name: str, known: Iterable[str], where: str = "") -> str:
    known = sorted(known)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    listed = ", ".join(known[:12]) + (", ..." if len(known) > 12 else "")
    return f"unknown {kind} {name!r}{where}{hint} (valid: {listed})"


def path_problem(base: Scenario, path: str) -> str | None:
    """Why a key path does not name a key of the base scenario (``None`` when it does)."""
    keys = path.split(".")
    if not all(keys):
        return "a key path is names joined by dots, e.g. departments.planning.staff"
    if keys[0] == "reforms":
        if len(keys) == 1:
            return "name a lever: reforms.<lever>"
        if keys[1] not in LEVERS:
            return _unknown("lever", keys[1], LEVERS)
        if len(keys) > 2:
            fields = {(info.alias or k) for k, info in LEVERS[keys[1]].Params.model_fields.items()}
            if keys[2] not in fields:
                return _unknown(f"parameter of lever {keys[1]!r}", keys[2], fields)
        return None
    node: Any = base.model_dump(mode="json", by_alias=True)
    for depth, k in enumerate(keys):
        where = ".".join(keys[:depth]) or "the scenario"
        if not isinstance(node, dict):
            return f"{where} is not a table, so it has no key {k!r}"
        if k not in node:
            return _unknown("key", k, node, f" under {where}")
        node = node[k]
    return None


def _read_sweep_text(path: Path) -> str:
    try:
        if not path.is_file():
            raise ScenarioError(
                [
                    Problem(
                        str(path),
                        "",
                        "no such sweep file" if not path.exists() else "not a regular file",
                    )
                ]
            )
        if path.stat().st_size > MAX_SWEEP_BYTES:
            raise ScenarioError(
                [Problem(str(path), "", f"larger than {MAX_SWEEP_BYTES:,} bytes: not a sweep file")]
            )
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ScenarioError(
            [Problem(str(path), "", "not a text file (not UTF-8): not a sweep file")]
        ) from None
    except OSError as exc:
        raise ScenarioError(
            [Problem(str(path), "", f"cannot read the sweep file: {exc.strerror or exc}")]
        ) from None


def load_sweep(path: str | Path) -> Sweep:
    """Read and validate a sweep file, its key paths and every design point's scenario."""
    path = Path(path)
    try:
        raw = tomllib.loads(_read_sweep_text(path))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError([Problem(str(path), "", f"not valid TOML: {exc}")]) from None
    try:
        spec = SweepFile.model_validate(raw)
    except ValidationError as exc:
        raise ScenarioError(validation_problems(exc, raw, str(path))) from None
    base_path = (path.parent / spec.sweep.base).resolve()
    base_data, origins = read_tree(base_path)
    base = from_dict(
        base_data,
        source=str(spec.sweep.base),
        origins=origins,
        base_dir=base_path.parent,
        checks=CHECKS,
    )
    problems = []
    known = known_metrics(base)
    if spec.sweep.metric not in known:
        problems.append(
            Problem(str(path), "sweep.metric", _unknown("metric", spec.sweep.metric, known))
        )
    keyed = [(f'grid."{k}"', k) for k in spec.grid]
    keyed += [(f'points[{n}].set."{k}"', k) for n, p in enumerate(spec.points) for k in p.set]
    if spec.sensitivity is not None:
        keyed += [(f'sensitivity.parameters."{k}"', k) for k in spec.sensitivity.parameters]
    for where, key in keyed:
        msg = path_problem(base, key)
        if msg:
            problems.append(Problem(str(path), where, msg))
    if problems:
        raise ScenarioError(problems)
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
    sweep = Sweep(path, spec.sweep, base_data, base, base_path.parent, points, spec.sensitivity)
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


# --------------------------------------------------------------------------- the folder


def open_folder(sweep: Sweep, folder: Path) -> list[str]:
    """Make ``folder`` the sweep's store (checked before any work); notes for the user.

    A new or empty folder is taken; an existing one must be a sweep folder of ours. When it holds
    replications of other inputs (another base, seed or version), they are kept, unused.
    """
    try:
        return _open_folder(sweep, Path(folder))
    except OSError as exc:  # a name too long, a path through a file, ...: one clean line
        raise UsageError(
            f"{folder}: cannot use this folder for the sweep: {exc.strerror or exc}"
        ) from None


def _open_folder(sweep: Sweep, folder: Path) -> list[str]:
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"{folder}: is a file, not a folder; name a folder for the sweep")
    notes = []
    if folder.is_dir() and any(folder.iterdir()):
        if not is_ours(folder):
            raise UsageError(
                f"{folder}: exists and is not an approvalsim sweep folder; nothing in it is "
                "touched — name a new folder with --out"
            )
        try:
            old = json.loads((folder / MARK).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = {}
        if old.get("kind") != "sweep":
            raise UsageError(
                f"{folder}: holds approvalsim results of another kind ({old.get('kind')!r}), "
                "not a sweep; name a new folder with --out"
            )
        if old.get("key") != sweep.key:
            why = []
            if old.get("seed") != sweep.seed:
                why.append(f"seed {old.get('seed')} -> {sweep.seed}")
            if old.get("version") != __version__:
                why.append(f"version {old.get('version')} -> {__version__}")
            if not why:
                why.append("the base scenario changed")
            notes.append(
                f"{folder} holds replications of other inputs ({'; '.join(why)}): they are kept "
                "but not used; this sweep starts fresh"
            )
    try:
        folder.mkdir(parents=True, exist_ok=True)
        write_json(
            folder / MARK,
            {
                "package": "approvalsim",
                "kind": "sweep",
                "version": __version__,
                "sweep": sweep.info.name,
                "key": sweep.key,
                "seed": sweep.seed,
                "status": "running",
            },
        )
    except OSError as exc:
        raise UsageError(
            f"{folder}: cannot write the sweep folder: {exc.strerror or exc}"
        ) from None
    return notes


# --------------------------------------------------------------------------- running


@dataclass(frozen=True)
class _PointTask:
    pid: str
    label: str
    task: Task


def _perform_point(pt: _PointTask) -> list[dict[str, Any]]:
    rep = perform(pt.task)
    return rep.summary.to_dict(orient="records")


def run_points(
    sweep: Sweep,
    points: list[tuple[str, dict[str, Any]]],
    out: Path,
    jobs: int = 1,
    executor: Executor | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    driver: Driver | None = None,
) -> pd.DataFrame:
    """Run every (point, replication) not yet written under ``out``; return all results.

    ``limit`` stops after that many new tasks (used to test resumption). The returned table has
    one row per point, replication, group and metric.
    """
    out = Path(out)
    todo = _todo(sweep, points, out)
    if limit is not None:
        todo = todo[:limit]
    own = driver is None
    if own:
        driver = Driver(jobs=jobs, executor=executor, progress=progress)
    try:
        for pos, rows in driver.as_completed(todo, _perform_point):  # type: ignore[union-attr]
            pt = todo[pos]
            write_json(
                out / "points" / pt.pid / f"rep-{pt.task.replication}.json", rows, allow_nan=True
            )
    finally:
        if own:
            driver.close()  # type: ignore[union-attr]
    return collect(sweep, points, out)


def _todo(sweep: Sweep, points: list[tuple[str, dict[str, Any]]], out: Path) -> list[_PointTask]:
    todo = []
    seen = set()
    for label, over in points:
        pid = sweep.point_id(over)
        if pid in seen:
            continue
        seen.add(pid)
        folder = out / "points" / pid
        point_file = folder / "point.json"
        if not point_file.exists():
            write_json(point_file, {"label": label, "set": over, "seed": sweep.seed})
        for r in range(sweep.info.replications):
            if not (folder / f"rep-{r}.json").exists():
                todo.append(
                    _PointTask(pid, label, Task(sweep.scenario(over), sweep.seed, r, "none"))
                )
    return todo


def pending(sweep: Sweep, points: list[tuple[str, dict[str, Any]]], out: Path) -> int:
    """How many (point, replication) tasks are not yet written under ``out``."""
    n = 0
    for pid in {sweep.point_id(over) for _, over in points}:
        for r in range(sweep.info.replications):
            n += not (Path(out) / "points" / pid / f"rep-{r}.json").exists()
    return n


def collect(sweep: Sweep, points: list[tuple[str, dict[str, Any]]], out: Path) -> pd.DataFrame:
    """Every written replication of the given points, as one tidy table."""
    frames = []
    seen: set[str] = set()
    for label, over in points:
        pid = sweep.point_id(over)
        if pid in seen:  # e.g. two Sobol samples rounded to the same integer staff
            continue
        seen.add(pid)
        for r in range(sweep.info.replications):
            f = Path(out) / "points" / pid / f"rep-{r}.json"
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
    return pd.DataFrame(
        rows, columns=["point", "label", "metric", "mean", "ci_low", "ci_high", "replications"]
    )


# --------------------------------------------------------------------------- sensitivity


def _value(path: str, x: float, base: Any) -> Any:
    return int(round(x)) if isinstance(base, int) and not isinstance(base, bool) else float(x)


def _base_value(sweep: Sweep, path: str) -> Any:
    node: Any = sweep.base.model_dump(mode="json", by_alias=True)
    for k in path.split("."):
        node = node.get(k) if isinstance(node, dict) else None
    return node


def oat_points(sweep: Sweep) -> list[tuple[str, dict[str, Any]]]:
    """One-at-a-time design: the base, then each parameter at its low and its high end."""
    sens = sweep.sensitivity
    pts: list[tuple[str, dict[str, Any]]] = [("base", {})]
    for path, (lo, hi) in sens.parameters.items():  # type: ignore[union-attr]
        base = _base_value(sweep, path)
        for end, x in (("low", lo), ("high", hi)):
            pts.append((f"{path}={end}", {path: _value(path, x, base)}))
    return pts


def tornado(sweep: Sweep, results: pd.DataFrame) -> pd.DataFrame:
    """Per parameter: the metric at its low and high end and the swing, largest first.

    Points are found by their id, not their label: an end that resolves to the scenario of
    another design's point (the base, or a grid point) is that point, run once under its first
    label.
    """
    means = summarise_points(results)
    means = means[means["metric"] == sweep.info.metric].set_index("point")["mean"]
    at = {label: means.get(sweep.point_id(over), math.nan) for label, over in oat_points(sweep)}
    base = at["base"]
    rows = []
    for path in sweep.sensitivity.parameters:  # type: ignore[union-attr]
        lo, hi = at[f"{path}=low"], at[f"{path}=high"]
        rows.append({"parameter": path, "low": lo, "high": hi, "base": base, "swing": abs(hi - lo)})
    return pd.DataFrame(rows).sort_values("swing", ascending=False, ignore_index=True)


def sobol_problem(sweep: Sweep) -> dict[str, Any]:
    """The SALib problem definition of the sweep's sensitivity parameters."""
    params = sweep.sensitivity.parameters  # type: ignore[union-attr]
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
        problem,
        sweep.sensitivity.samples,  # type: ignore[union-attr]
        calc_second_order=False,
        seed=sweep.seed % (2**32),
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
    y = np.array([means.get(sweep.point_id(over), math.nan) for _, over in pts])
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


def designs(sweep: Sweep) -> dict[str, list[tuple[str, dict[str, Any]]]]:
    """Every design the sweep file asks for: its points; with ``[sensitivity]``, OAT and Sobol."""
    kinds = ["points"] if sweep.points else []
    if sweep.sensitivity is not None:
        kinds += ["oat", "sobol"]
    return {k: design(sweep, k) for k in kinds}


def merge_points(*lists: Iterable[tuple[str, dict[str, Any]]]) -> list[tuple[str, dict]]:
    """Concatenate design point lists, dropping repeated points (by their overrides)."""
    seen, out = set(), []
    for lst in lists:
        for label, over in lst:
            key = json.dumps(over, sort_keys=True, default=str)
            if key not in seen:
                seen.add(key)
                out.append((label, over))
    return out


def run_sweep(
    sweep: Sweep,
    folder: Path,
    jobs: int = 1,
    executor: Executor | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
) -> SweepResult:
    """Run every design of the sweep into ``folder`` (resuming) and analyse it."""
    folder = Path(folder)
    plans = designs(sweep)
    everything = merge_points(*plans.values())
    todo = pending(sweep, everything, folder)
    with Driver(jobs=max(1, min(jobs, todo or 1)), executor=executor, progress=progress) as d:
        results = run_points(sweep, everything, folder, limit=limit, driver=d)
    ids = {sweep.point_id(o) for _, o in plans.get("points", [])}
    points = summarise_points(results[results["point"].isin(ids)]) if "points" in plans else None
    tor = tornado(sweep, results) if "oat" in plans else None
    sob = sobol_indices(sweep, plans["sobol"], results) if "sobol" in plans else None
    done = int(len(results[["point", "replication"]].drop_duplicates())) if len(results) else 0
    new = min(todo, limit) if limit is not None else todo
    return SweepResult(
        name=sweep.info.name,
        file=sweep.path,
        folder=folder,
        seed=sweep.seed,
        metric=sweep.info.metric,
        replications=sweep.info.replications,
        key=sweep.key,
        results=results,
        points=points,
        tornado=tor,
        sobol=sob,
        samples=sweep.sensitivity.samples if sweep.sensitivity else None,
        new_tasks=new,
        reused_tasks=max(0, done - new),
    )
