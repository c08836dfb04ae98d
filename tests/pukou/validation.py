"""Validation of the Pukou scenarios against published figures (``tests/pukou/validation.toml``).

    python -m tests.pukou.validation           # the validation table, markdown, on stdout

Each figure names a model quantity and a tolerance that were committed before the model was run;
this module computes the quantities over the scenarios' default experiment (seed, replications)
and says, per figure, whether the model falls inside the tolerance. A miss is reported as a miss
and explained in SOURCES.md; it is never re-toleranced.
"""

from __future__ import annotations

import math
import tomllib
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

import sim
from sim.model import simulate
from sim.model.workcal import WorkCalendar
from sim.reforms import apply_all

HERE = Path(__file__).resolve().parents[2] / "scenarios" / "pukou"
HOURS = 24.0


def figures() -> list[dict]:
    """The figures of validation.toml, in order."""
    spec = Path(__file__).with_name("validation.toml")
    return tomllib.loads(spec.read_text(encoding="utf-8"))["figure"]


@cache
def scenario(name: str) -> sim.Scenario:
    """A Pukou scenario file with its levers applied."""
    sc, _ = apply_all(sim.load(HERE / name))
    return sc


@cache
def traces(name: str) -> tuple:
    """The replications of the scenario's default experiment (cases and visits)."""
    sc = scenario(name)
    return tuple(
        simulate(sc, replication=r, keep=("visits",)) for r in range(sc.experiment.replications)
    )


def _window(cases: pd.DataFrame, fig: dict) -> pd.DataFrame:
    c = cases[cases["in_window"]]
    if fig.get("case_types"):
        c = c[c["case_type"].astype(str).isin(fig["case_types"])]
    if fig.get("exclude_flag"):
        c = c[~c[f"flag_{fig['exclude_flag']}"]]
    return c


def interval_mean(fig: dict) -> float:
    """Mean of an interval over the chosen cases that reached both of its ends."""
    values = [_window(t.cases, fig)[fig["interval"]] for t in traces(fig["scenario"])]
    return float(pd.concat(values).dropna().mean())


def clock_mean(fig: dict) -> float:
    """Mean statutory clock (working days, the scenario's [clock] rules) of the chosen cases."""
    values = []
    for t in traces(fig["scenario"]):
        c = _window(t.cases, fig)
        values.append(c.loc[c["finished"], "clock_wd"])
    return float(pd.concat(values).mean())


def item_elapsed(fig: dict) -> float:
    """Mean span from the first hand-in to the last issue of the listed items, per case."""
    sc = scenario(fig["scenario"])
    spans = []
    for t in traces(fig["scenario"]):
        cases = _window(t.cases, fig)
        v = t.visits[t.visits["item"].astype(str).isin(fig["items"])]
        v = v[v["case"].isin(cases["case"]) & v["done_h"].notna()]
        per_case = v.groupby("case").agg(a=("handed_in_h", "min"), b=("done_h", "max"))
        if fig["unit"] == "working_days":
            cal = WorkCalendar(sc.scenario.start, int(per_case["b"].max() / HOURS) + 60)
            spans.append(pd.Series(cal.wd_array(per_case["b"]) - cal.wd_array(per_case["a"])))
        else:
            spans.append((per_case["b"] - per_case["a"]) / HOURS)
    return float(pd.concat(spans).mean())


def lever_gain(fig: dict) -> float:
    """Paired mean reduction of an interval over the cases a lever covers (common random numbers).

    The lever alone (``lever_<name>.toml``) against the baseline, case by case: the same
    replication, case type and case index are the same project in both runs.
    """
    gains = []
    for base, alt in zip(
        traces(fig["scenario"]), traces(f"lever_{fig['lever']}.toml"), strict=True
    ):
        key = ["case_type", "k"]
        b = base.cases[base.cases["in_window"]].set_index(key)[fig["interval"]]
        a = alt.cases[alt.cases["in_window"]]
        a = a[a[f"flag_{fig['flag']}"]].set_index(key)[fig["interval"]]
        both = pd.concat([b.rename("b"), a.rename("a")], axis=1, join="inner").dropna()
        gains.append(both["b"] - both["a"])
    return float(pd.concat(gains).mean())


QUANTITIES = {
    "interval_mean": interval_mean,
    "clock_mean": clock_mean,
    "item_elapsed": item_elapsed,
    "lever_gain": lever_gain,
}


def evaluate() -> list[dict]:
    """Every figure with the model's value and whether it is inside its tolerance."""
    out = []
    for fig in figures():
        value = QUANTITIES[fig["quantity"]](fig)
        inside = bool(fig["low"] <= value <= fig["high"]) and not math.isnan(value)
        out.append({**fig, "model": value, "inside": inside})
    return out


def markdown(rows: list[dict]) -> str:
    """The validation table as markdown."""
    lines = [
        "| id | figure (grade) | published | model quantity | model | tolerance | result |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        what = r.get("interval") or "+".join(r.get("items", [])) or r["quantity"]
        where = f"{r['scenario']}, {', '.join(r.get('case_types', [])) or 'all'}"
        lines.append(
            f"| {r['id']} | {r['what']} ({r['grade']}) | {r['value']} | {r['quantity']} "
            f"`{what}` ({where}) | {r['model']:.1f} | {r['low']:g}-{r['high']:g} | "
            f"{'inside' if r['inside'] else 'MISS'} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    rows = evaluate()
    print(markdown(rows))
    print(
        f"\n{sum(r['inside'] for r in rows)} of {len(rows)} inside; mean of misses:",
        np.mean([0.0] + [r["model"] for r in rows if not r["inside"]]).round(1),
    )
