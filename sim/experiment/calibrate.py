"""Calibration: a scenario fitted to an event log, with a report of every fit and its quality.

:func:`calibrate` reads an event log (:mod:`sim.experiment.eventlog`: ours, or anyone's CSV or
XES with the standard columns) against a base scenario that says what the items, steps and
departments are, and fits:

* **staff effort** of every effort step: each task's start and complete events, measured in the
  open hours of its department's office clock between them (the engine's own arithmetic run
  backwards, so the effort is recovered exactly); where case sizes vary, the fitted mean and
  spread are per unit of size (the sizes' moments from the base scenario taken out);
* **elapsed delays** of every delay step, and the **correction turnaround** of every item, in the
  unit the base scenario gives them (working days on the scenario's calendar, calendar days or
  hours);
* **correction probabilities**: corrections over reviews (each review a Bernoulli trial; reviews
  are visits plus corrections);
* **loop rates** (``rework`` and ``next`` back to the item itself or an earlier one) of items with
  one loop route that no other loop redoes: the visits beyond each case's first, over all visits;
* **arrival rates** per case type, as Poisson processes: ``(n - 1) / (last - first)`` arrivals
  a year (the maximum-likelihood rate of the gaps), per replication when the log stacks several.

Durations are fitted by maximum likelihood (``scipy.stats``, location fixed at 0) to the
exponential, gamma and lognormal families, and the one with the smallest **AIC** (Akaike's
information criterion, ``2k - 2 log L``) is kept; a constant sample is deterministic. Each fit
reports its sample size, mean, coefficient of variation, the AIC of every candidate and the
Kolmogorov-Smirnov distance of the chosen one. Anything the log cannot inform — no start events,
no visit numbers, fewer than :data:`MIN_OBSERVATIONS` observations, an item with an assessed-area
variant — is kept from the base scenario, and the report says so.

:func:`write_scenario` writes the calibrated scenario as a self-contained TOML file (only the
values that differ from the schema's defaults), checks that it loads, and never overwrites a file.
"""

from __future__ import annotations

import json
import math
import os
import re
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from sim.experiment.eventlog import ACTIVITY, CASE, LIFECYCLE, TIME, TYPE
from sim.model.workcal import OfficeClock, WorkCalendar
from sim.scenario.distributions import MIN_GAMMA_CV
from sim.scenario.schema import Scenario

MIN_OBSERVATIONS = 5
"""Fewest observations a distribution or a probability is fitted from."""

CRITERION = "AIC"
FAMILIES = ("exponential", "gamma", "lognormal")


@dataclass(frozen=True)
class Fit:
    """One fitted quantity: where it goes in the scenario, what was fitted, how well."""

    key: str  # key path in the scenario, e.g. items.eia.steps[1].effort
    n: int  # observations
    value: Any  # the fitted value (a distribution as scenario data, or a number)
    was: Any  # the base scenario's value
    mean: float = math.nan  # of the observations
    cv: float = math.nan
    aic: Mapping[str, float] = field(default_factory=dict)  # per candidate family
    ks: float = math.nan  # Kolmogorov-Smirnov distance of the chosen distribution
    note: str = ""


@dataclass(frozen=True)
class Calibration:
    """A calibrated scenario (plain data), every fit, and what was kept from the base."""

    data: dict[str, Any]
    fits: tuple[Fit, ...]
    kept: tuple[str, ...]  # one line each: a key path and why it was kept
    base: str  # the base scenario's name

    def report(self) -> pd.DataFrame:
        """One row per fit: key, n, fitted value, base value, mean, cv, AIC per family, KS."""
        rows = []
        for f in self.fits:
            rows.append(
                {
                    "key": f.key,
                    "n": f.n,
                    "fitted": _show(f.value),
                    "base": _show(f.was),
                    "mean": f.mean,
                    "cv": f.cv,
                    **{f"aic_{k}": f.aic.get(k, math.nan) for k in FAMILIES},
                    "ks": f.ks,
                    "note": f.note,
                }
            )
        return pd.DataFrame(rows)

    def lines(self) -> list[str]:
        """The report as text lines (fits, then what was kept)."""
        out = [f"Calibrated from the event log on top of {self.base!r} ({CRITERION} chooses):"]
        for f in self.fits:
            quality = f" KS {f.ks:.3f}" if math.isfinite(f.ks) else ""
            out.append(f"  {f.key}: {_show(f.value)} (n = {f.n}; was {_show(f.was)}){quality}")
        if self.kept:
            out.append("Kept from the base scenario:")
            out += [f"  {k}" for k in self.kept]
        return out


def _show(value: Any) -> str:
    if isinstance(value, dict):
        parts = [value.get("dist", "")] + [
            f"{k}={_num(v)}" for k, v in value.items() if k not in ("dist", "unit")
        ]
        unit = value.get("unit")
        return " ".join(p for p in parts if p) + (f" {unit}" if unit else "")
    return _num(value)


def _num(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


# --------------------------------------------------------------------------- fitting


def fit_duration(x: np.ndarray, unit: str | None = None) -> tuple[dict, dict, float]:
    """The best family for positive durations ``x`` by AIC: (scenario data, AICs, KS distance).

    A sample whose spread is below 0.1% of its mean is deterministic.
    """
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if len(x) > 1 else 0.0
    tag = {"unit": unit} if unit else {}
    if sd <= MIN_GAMMA_CV * mean:
        return {"dist": "deterministic", "value": mean, **tag}, {}, 0.0
    aic: dict[str, float] = {}
    params: dict[str, tuple] = {}
    frozen: dict[str, Any] = {}
    scale = stats.expon.fit(x, floc=0)[1]
    params["exponential"] = (scale,)
    frozen["exponential"] = stats.expon(scale=scale)
    a, _, sc = stats.gamma.fit(x, floc=0)
    params["gamma"] = (a, sc)
    frozen["gamma"] = stats.gamma(a, scale=sc)
    s, _, sc2 = stats.lognorm.fit(x, floc=0)
    params["lognormal"] = (s, sc2)
    frozen["lognormal"] = stats.lognorm(s, scale=sc2)
    for name, k in (("exponential", 1), ("gamma", 2), ("lognormal", 2)):
        ll = float(np.sum(frozen[name].logpdf(x)))
        aic[name] = 2 * k - 2 * ll if math.isfinite(ll) else math.inf
    best = min(aic, key=lambda n: aic[n])
    ks = float(stats.kstest(x, frozen[best].cdf).statistic)
    if best == "exponential":
        data = {"dist": "exponential", "mean": float(params[best][0])}
    elif best == "gamma":
        a, sc = params[best]
        cv = 1 / math.sqrt(a)
        data = (
            {"dist": "gamma", "mean": float(a * sc), "cv": float(min(cv, 10.0))}
            if cv >= MIN_GAMMA_CV
            else {"dist": "deterministic", "value": float(a * sc)}
        )
    else:
        s, sc = params[best]
        data = {
            "dist": "lognormal",
            "mean": float(sc * math.exp(s * s / 2)),
            "cv": float(min(math.sqrt(math.expm1(s * s)), 10.0)),
        }
    return {**data, **tag}, aic, ks


# --------------------------------------------------------------------------- the log


def _item_step(log: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    """Item and step of every event: from the log's columns, or from ``item: step`` names."""
    if "item" in log and "step" in log:
        item = log["item"].fillna("").astype(str)
        step = log["step"].fillna("").astype(str)
    else:
        parts = log[ACTIVITY].astype(str).str.split(": ", n=1, expand=True)
        item = parts[0].fillna("").astype(str)
        step = parts[1] if parts.shape[1] > 1 else pd.Series("", index=log.index)
        step = step.fillna("").astype(str)
    return log.assign(item=item.to_numpy(), step=step.to_numpy())


def _pairs(events: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Start and complete events matched in order within ``keys``: one row per spell."""
    ev = events.sort_values([*keys, TIME], kind="stable")
    start = ev[ev[LIFECYCLE] == "start"].copy()
    done = ev[ev[LIFECYCLE] == "complete"].copy()
    start["_n"] = start.groupby(keys, sort=False).cumcount()
    done["_n"] = done.groupby(keys, sort=False).cumcount()
    merged = start.merge(done[[*keys, "_n", TIME]], on=[*keys, "_n"], suffixes=("", "_end"))
    return merged


def _replication_of(cases: pd.Series) -> pd.Series:
    """The replication of stacked case ids ``<replication>-<case>`` (else one stream)."""
    ids = cases.astype(str)
    if len(ids) and ids.str.fullmatch(r"\d+-\d+").all():
        return ids.str.split("-", n=1).str[0]
    return pd.Series("0", index=cases.index)


# --------------------------------------------------------------------------- calibration


def calibrate(log: pd.DataFrame, base: Scenario) -> Calibration:
    """Fit ``base``'s durations, probabilities and arrival rates to ``log`` (module docstring)."""
    from sim.experiment.compact import scenario_data

    data = scenario_data(base)
    fits: list[Fit] = []
    kept: list[str] = []
    log = _item_step(log, base)
    has_start = (log[LIFECYCLE] == "start").any() if LIFECYCLE in log else False
    has_visit = "visit" in log
    kind = log["kind"].astype(str) if "kind" in log else None
    known = set(base.items)
    unknown = sorted(set(log.loc[~log["item"].isin(known), "item"]) - {"", "arrival"})
    if unknown:
        shown = ", ".join(unknown[:5]) + (" ..." if len(unknown) > 5 else "")
        kept.append(f"(log) {len(unknown)} activities name no item of the base: {shown}")
    # a calendar long enough for the whole log from the start (clocks sharing a calendar that
    # must grow later would each grow it again)
    last = (log[TIME].max() - pd.Timestamp(base.scenario.start)) / pd.Timedelta(days=1)
    days = int(max(base.scenario.horizon_days, last if math.isfinite(last) else 0)) + 400
    cal = WorkCalendar(base.scenario.start, days)
    clocks = {d: OfficeClock(cal, dep.hours) for d, dep in base.departments.items()}
    size_moments = {
        t: (ct.size.mean, ct.size.variance + ct.size.mean**2) for t, ct in base.case_types.items()
    }
    varied = any(ct.size.variance > 0 or ct.size.mean != 1 for ct in base.case_types.values())
    keys = (
        [CASE, "item", "step"]
        + (["visit"] if has_visit else [])
        + (["round"] if "round" in log else [])
    )
    spells = _pairs(log[log["item"].isin(known)], keys) if has_start else None
    if spells is not None and kind is not None:
        spells = spells.assign(kind=spells["kind"].astype(str))
    if spells is not None and len(spells):
        spells = _extend_calendar(spells, cal)
    for iid, it in base.items.items():
        path = f"items.{iid}"
        if it.assessed_steps is not None:
            kept.append(f"{path}.steps: has an assessed-area variant (the log does not say which)")
            continue
        mine = spells[spells["item"] == iid] if spells is not None else None
        steps = data["items"][iid]["steps"]
        for k, step in enumerate(it.steps):
            where = f"{path}.steps[{k}].{'effort' if step.effort is not None else 'delay'}"
            if mine is None:
                kept.append(f"{where}: the log has no start events (durations need both ends)")
                continue
            obs = mine[mine["step"] == step.name]
            if kind is not None:
                want = ("task",) if step.effort is not None else ("delay", "applicant")
                obs = obs[obs["kind"].isin(want)]
            sizes = None
            if step.effort is not None:
                dep = step.department or it.department
                clock = clocks[dep]
                x = _open_hours(clock, obs)
                if TYPE in obs and varied:
                    sizes = obs[TYPE].to_numpy()
                unit, old = None, step.effort
            else:
                unit = step.delay.unit or "working_days"
                x = _in_unit(cal, obs, unit)
                old = step.delay
            fit = _fit(where, x, unit, old)
            if fit is None:
                kept.append(f"{where}: {len(x)} observation(s), fewer than {MIN_OBSERVATIONS}")
                continue
            if sizes is not None:
                fit = _per_size(fit, x, sizes, size_moments)
            fits.append(fit)
            steps[k]["effort" if step.effort is not None else "delay"] = fit.value
        if it.correction is not None:
            _corrections(iid, it, log, mine, kind, has_visit, cal, data, fits, kept)
    _loops(base, log, has_visit, data, fits, kept)
    _arrivals(base, log, data, fits, kept)
    return Calibration(data, tuple(fits), tuple(kept), base.scenario.name)


def _extend_calendar(spells: pd.DataFrame, cal: WorkCalendar) -> pd.DataFrame:
    """Hours from the calendar's start of every spell's two ends (the calendar grows as needed)."""
    origin = pd.Timestamp(cal.start)
    t0 = (spells[TIME] - origin) / pd.Timedelta(hours=1)
    t1 = (spells[f"{TIME}_end"] - origin) / pd.Timedelta(hours=1)
    out = spells.assign(t0=t0.to_numpy(float), t1=t1.to_numpy(float))
    return out[(out["t0"] >= 0) & (out["t1"] >= out["t0"])]


def _open_hours(clock: OfficeClock, obs: pd.DataFrame) -> np.ndarray:
    if obs.empty:
        return np.array([])
    t0, t1 = obs["t0"].to_numpy(float), obs["t1"].to_numpy(float)
    return clock.open_hours_array(t1) - clock.open_hours_array(t0)


def _in_unit(cal: WorkCalendar, obs: pd.DataFrame, unit: str) -> np.ndarray:
    if obs.empty:
        return np.array([])
    t0, t1 = obs["t0"].to_numpy(float), obs["t1"].to_numpy(float)
    if unit == "working_days":
        return cal.wd_array(t1) - cal.wd_array(t0)
    if unit == "calendar_days":
        return (t1 - t0) / 24.0
    return t1 - t0


def _fit(where: str, x: np.ndarray, unit: str | None, old: Any) -> Fit | None:
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x) & (x > 0)]
    if len(x) < MIN_OBSERVATIONS:
        return None
    value, aic, ks = fit_duration(x, unit)
    mean = float(x.mean())
    cv = float(x.std(ddof=1) / mean) if len(x) > 1 and mean > 0 else math.nan
    was = old.model_dump(mode="json", by_alias=True, exclude_none=True)
    return Fit(where, len(x), value, was, mean, cv, aic, ks)


def _per_size(fit: Fit, x: np.ndarray, types: np.ndarray, moments: Mapping) -> Fit:
    """The effort per unit of case size: a task's effort is the step's draw times the size.

    The size of each case is not in the log, only its type, whose size distribution the base
    scenario gives; the draw's mean and second moment follow from ``E[X] = E[D] E[S]`` and
    ``E[X^2] = E[D^2] E[S^2]`` (draw and size independent), averaged over the case types of the
    observations. The family the AIC chose is kept, with these moments.
    """
    x = np.asarray(x, dtype=float)
    ok = np.isfinite(x) & (x > 0)
    x, types = x[ok], types[ok]
    m1 = np.array([moments.get(t, (1.0, 1.0))[0] for t in types])
    m2 = np.array([moments.get(t, (1.0, 1.0))[1] for t in types])
    mean = float(np.mean(x) / np.mean(m1))
    second = float(np.mean(x**2) / np.mean(m2))
    cv = math.sqrt(max(second / mean**2 - 1.0, 0.0)) if mean > 0 else 0.0
    family = fit.value["dist"]
    if cv < MIN_GAMMA_CV:
        value = {"dist": "deterministic", "value": mean}
    elif family == "exponential" and abs(cv - 1) > 0.1:
        value = {"dist": "gamma", "mean": mean, "cv": min(cv, 10.0)}
    elif family in ("gamma", "lognormal"):
        value = {"dist": family, "mean": mean, "cv": min(cv, 10.0)}
    elif family == "exponential":
        value = {"dist": "exponential", "mean": mean}
    else:
        value = {"dist": "gamma", "mean": mean, "cv": min(max(cv, MIN_GAMMA_CV), 10.0)}
    note = "per unit of case size (moments of the base scenario's sizes taken out)"
    return Fit(fit.key, fit.n, value, fit.was, fit.mean, fit.cv, fit.aic, fit.ks, note)


def _corrections(iid, it, log, mine, kind, has_visit, cal, data, fits, kept) -> None:
    path = f"items.{iid}.correction"
    if kind is None:
        kept.append(f"{path}: the log has no 'kind' column to tell corrections apart")
        return
    events = log[(log["item"] == iid) & (log["kind"].astype(str) == "correction")]
    n_corr = int((events[LIFECYCLE] == "complete").sum())
    if not has_visit:
        kept.append(f"{path}.probability: the log has no visit numbers (reviews unknown)")
    else:
        handled = log[(log["item"] == iid) & (log["kind"].astype(str) == "task")]
        visits = handled[[CASE, "visit"]].drop_duplicates().shape[0]
        reviews = visits + n_corr
        if visits >= MIN_OBSERVATIONS:
            p = n_corr / reviews
            se = math.sqrt(p * (1 - p) / reviews) if reviews else math.nan
            fits.append(
                Fit(
                    f"{path}.probability",
                    reviews,
                    float(p),
                    it.correction.probability,
                    note=f"{n_corr} corrections in {reviews} reviews; standard error {se:.3f}",
                )
            )
            data["items"][iid]["correction"]["probability"] = float(p)
        else:
            kept.append(f"{path}.probability: {visits} visit(s), fewer than {MIN_OBSERVATIONS}")
    if mine is None:
        kept.append(f"{path}.turnaround: the log has no start events")
        return
    obs = mine[mine["kind"] == "correction"] if "kind" in mine else mine.iloc[0:0]
    unit = it.correction.turnaround.unit or "working_days"
    fit = _fit(f"{path}.turnaround", _in_unit(cal, obs, unit), unit, it.correction.turnaround)
    if fit is None:
        kept.append(f"{path}.turnaround: fewer than {MIN_OBSERVATIONS} turnarounds")
        return
    fits.append(fit)
    data["items"][iid]["correction"]["turnaround"] = fit.value


def _loops(base: Scenario, log, has_visit, data, fits, kept) -> None:
    """Loop probabilities of items with one loop route that no other loop redoes."""
    from sim.model.plan import compile_plan

    plan = compile_plan(base)
    loops: dict[str, list[tuple[str, bool, frozenset[str]]]] = {}
    for cp in plan.cases:
        for i, routes in enumerate(cp.routes):
            for r in routes:
                if r.loop:
                    mine = loops.setdefault(cp.items[i].id, [])
                    reset = frozenset(cp.items[j].id for j in r.reset)
                    entry = (cp.items[r.target].id, r.rework, reset)
                    if entry not in mine:
                        mine.append(entry)
    if not loops:
        return
    redone_by: dict[str, set[str]] = {}
    for iid, routes in loops.items():
        for _, _, reset in routes:
            for j in reset:
                redone_by.setdefault(j, set()).add(iid)
    kind = log["kind"].astype(str) if "kind" in log else None
    for iid, routes in loops.items():
        where = f"items.{iid}"
        if len(routes) != 1 or redone_by.get(iid, set()) - {iid}:
            kept.append(f"{where}: loop probabilities kept (several loops redo it)")
            continue
        if not has_visit:
            kept.append(f"{where}: loop probability kept (the log has no visit numbers)")
            continue
        ev = log[log["item"] == iid]
        if kind is not None:
            ev = ev[ev["kind"].astype(str) == "task"]
        visits = ev[[CASE, "visit"]].drop_duplicates()
        n_visits, n_cases = len(visits), visits[CASE].nunique()
        if n_cases < MIN_OBSERVATIONS:
            kept.append(f"{where}: loop probability kept ({n_cases} cases handled it)")
            continue
        target, rework, _ = routes[0]
        p = (n_visits - n_cases) / n_visits
        se = math.sqrt(p * (1 - p) / n_visits)
        spec = base.items[iid]
        item_data = data["items"][iid]
        if rework:
            key, was = f"{where}.rework.probability", spec.rework.probability
            item_data["rework"]["probability"] = float(p)
        else:
            n = next(k for k, r in enumerate(spec.next) if r.to == target)
            key, was = f"{where}.next[{n}].probability", spec.next[n].probability
            item_data["next"][n]["probability"] = float(p)
        note = f"{n_visits - n_cases} loops in {n_visits} visits; standard error {se:.3f}"
        fits.append(Fit(key, n_visits, float(p), was, note=note))


def _arrivals(base: Scenario, log: pd.DataFrame, data, fits, kept) -> None:
    arrivals = log[log[ACTIVITY] == "arrival"] if (log[ACTIVITY] == "arrival").any() else None
    note = ""
    if arrivals is None:
        arrivals = log.sort_values(TIME).groupby(CASE, sort=False).head(1)
        note = "first event of each case taken as its arrival"
    types = list(base.case_types)
    if TYPE in arrivals and arrivals[TYPE].isin(types).any():
        groups = {t: arrivals[arrivals[TYPE] == t] for t in types}
    elif len(types) == 1:
        groups = {types[0]: arrivals}
    else:
        groups = {}
        kept.append(
            "case_types.*.arrivals: the log names no case types; the total rate is split in "
            "the base scenario's proportions"
        )
    if not groups:
        total = _rate(arrivals)
        if total is None:
            kept.append("case_types.*.arrivals: too few arrivals to fit a rate")
            return
        base_rates = {t: _base_rate(base, t) for t in types}
        whole = sum(base_rates.values())
        for t in types:
            share = base_rates[t] / whole if whole > 0 else 1 / len(types)
            _set_rate(base, data, fits, t, total[0] * share, total[1], note)
        return
    for t, g in groups.items():
        rate = _rate(g)
        if rate is None:
            kept.append(f"case_types.{t}.arrivals: {len(g)} arrival(s), too few to fit a rate")
            continue
        _set_rate(base, data, fits, t, rate[0], rate[1], note)


def _rate(arrivals: pd.DataFrame) -> tuple[float, int] | None:
    """Arrivals a year, ``(n - 1) / (last - first)`` per replication, and the count."""
    reps = _replication_of(arrivals[CASE])
    gaps = 0.0
    n_gaps = 0
    for _, g in arrivals.groupby(reps.to_numpy()):
        t = np.sort(g[TIME].to_numpy("datetime64[ns]").astype(np.int64)) / 3.6e12 / 24.0
        if len(t) >= 2:
            gaps += float(t[-1] - t[0])
            n_gaps += len(t) - 1
    if n_gaps < MIN_OBSERVATIONS or gaps <= 0:
        return None
    return n_gaps / gaps * 365.0, n_gaps


def _base_rate(base: Scenario, t: str) -> float:
    from sim.analysis.queueing import arrivals_per_year

    return arrivals_per_year(base, t)


def _set_rate(base, data, fits, t, per_year, n, note) -> None:
    old = base.case_types[t].arrivals.model_dump(mode="json", by_alias=True, exclude_none=True)
    was = old if old.get("process") != "list" else {"process": "list", "days": len(old["days"])}
    value = {"process": "poisson", "per_year": float(per_year)}
    se = per_year / math.sqrt(n)
    text = f"standard error {se:.3g} a year" + (f"; {note}" if note else "")
    fits.append(Fit(f"case_types.{t}.arrivals", n, value, was, note=text))
    data["case_types"][t]["arrivals"] = value


# --------------------------------------------------------------------------- writing


def to_toml(data: Mapping[str, Any]) -> str:
    """A scenario's plain data as TOML: top-level tables as sections, collections one per entry.

    Values inside a section are written inline (tables as inline tables, lists of tables one
    inline table a line).
    """
    collections = ("departments", "items", "case_types", "intervals", "reforms")
    lines: list[str] = []
    tables = []
    for k, v in data.items():
        if v is None:
            continue
        if isinstance(v, dict):
            tables.append(k)
        else:
            lines.append(f"{_key(k)} = {_inline(v)}")
    for k in tables:
        v = data[k]
        if k in collections and v and all(isinstance(x, dict) for x in v.values()):
            for sub, body in v.items():
                lines += ["", f"[{_key(k)}.{_key(sub)}]"]
                lines += [f"{_key(a)} = {_inline(b)}" for a, b in body.items() if b is not None]
        else:
            lines += ["", f"[{_key(k)}]"]
            lines += [f"{_key(a)} = {_inline(b)}" for a, b in v.items() if b is not None]
    return "\n".join(lines).lstrip("\n") + "\n"


_BARE = re.compile(r"[A-Za-z0-9_-]+")


def _key(k: str) -> str:
    return k if _BARE.fullmatch(k) else json.dumps(k, ensure_ascii=False)


def _inline(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if not math.isfinite(v):
            raise ValueError("a scenario holds only finite numbers")
        return repr(v)
    if isinstance(v, str):
        return json.dumps(v, ensure_ascii=False)
    if isinstance(v, dict):
        body = ", ".join(f"{_key(a)} = {_inline(b)}" for a, b in v.items() if b is not None)
        return "{ " + body + " }" if body else "{}"
    if isinstance(v, list | tuple):
        items = [_inline(x) for x in v]
        if any(isinstance(x, dict) for x in v):
            return "[\n" + "".join(f"  {x},\n" for x in items) + "]"
        return "[" + ", ".join(items) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def write_scenario(calibration: Calibration, out: str | Path, header: Iterable[str] = ()) -> Path:
    """Write the calibrated scenario to a new TOML file ``out`` and check that it loads.

    ``header`` lines go on top as comments (where the data came from). A file that exists is
    never overwritten (``FileExistsError``); the file is written under a temporary name and
    linked into place when complete, and removed again if it does not load.
    """
    from sim.api import load

    out = Path(out)
    if out.exists() or out.is_symlink():
        raise FileExistsError(f"{out}: already exists; not overwriting it (choose a new name)")
    text = to_toml(calibration.data)
    if tomllib.loads(text) != json.loads(json.dumps(calibration.data)):
        raise RuntimeError("the calibrated scenario did not survive its TOML round trip")
    comments = "".join(f"# {line}\n" for line in header)
    fits = "".join(f"#   {line}\n" for line in calibration.lines())
    body = comments + ("#\n" if comments else "") + fits + "\n" + text
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(body, encoding="utf-8")
        os.link(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)
    try:
        load(out)
    except Exception:
        out.unlink(missing_ok=True)
        raise
    return out
