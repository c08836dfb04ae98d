"""The lever table: what each lever removes, alone on the baseline and inside reform_2023.

    python -m tests.pukou.lever_table            # markdown table on stdout (about 5 CPU minutes)

*Alone* compares ``lever_<name>.toml`` with ``baseline.toml``; *inside* compares reform_2023
without that lever (the same levers, in the same order, less one) with reform_2023 — the days the
lever removes given all the others. Both are paired over the scenarios' default experiment
(common random numbers), with Student-t 95% intervals over replications. Units: approval time in
working days, time to construction start in calendar days. The column "where the days go" is
left for critical-path attribution (issue 10).
"""

from __future__ import annotations

from pathlib import Path

import sim
from sim.analysis.critical import days_lost
from sim.experiment.compare import compare

HERE = Path(__file__).resolve().parents[2] / "scenarios" / "pukou"

MECHANISM = {
    "land_equals_start": "design, scheme and drawing reviews before the land; permits with it",
    "regional_assessment": "assessed areas: no consultant's report, commitment filing",
    "completion_equals_title": "acceptances at once, one joint site inspection",
    "commitment": "issue after a check (EIA notice kept); 5% breaches reviewed in full later",
    "agency": "agents hand files in (own trips); corrections x0.75 (ASSUMPTION)",
    "colocation": "shared trips, no paper transfers, joint consultation",
    "time_limits": "limits and internal sign-off x3/7 (Pukou 2018)",
    "coordination": "blocking problems end within 5 working days",
    "online": "online-capable items submitted online",
    "data_sharing": "intake x0.5, corrections x0.5 (ASSUMPTION)",
    "parallel_approval": "practice order dropped in stages 1-3, one joint intake",
    "intermediaries_in_zone": "intermediaries on site x0.7 (ASSUMPTION)",
}
METRICS = (("approval_wd_mean", "wd"), ("to_start_days", "d"))


def without(reform: sim.Scenario, lever: str) -> sim.Scenario:
    """reform_2023 with one lever left out (the others as they are, in their order)."""
    data = reform.model_dump(by_alias=True, mode="json")
    data["reforms"] = {k: v for k, v in data["reforms"].items() if k != lever}
    data["scenario"]["name"] = f"reform-2023-without-{lever}"
    return sim.from_dict(data)


def cell(row: dict) -> str:
    """'-12.3 [-14.0, -10.6]' for a paired delta (negative: the lever removes days)."""
    return f"{row['delta']:+.1f} [{row['delta_ci_low']:+.1f}, {row['delta_ci_high']:+.1f}]"


def where(lost) -> str:
    """The kinds of critical-path days removed (or added), CI excluding zero, largest first."""
    sure = lost[(lost["lost_low"] > 0) | (lost["lost_high"] < 0)]
    sure = sure.reindex(sure["lost_mean"].abs().sort_values(ascending=False).index)
    parts = [f"{r.name} {-r.lost_mean:+.1f}" for r in sure.itertuples() if abs(r.lost_mean) >= 0.5]
    return ", ".join(parts) or "none"


def rows(jobs: int = 2) -> list[dict]:
    """One dict per lever with its deltas alone and inside reform_2023."""
    base = sim.load(HERE / "baseline.toml")
    reform = sim.load(HERE / "reform_2023.toml")
    out = []
    for lever in MECHANISM:
        row: dict = {"lever": lever, "mechanism": MECHANISM[lever]}
        alone = sim.load(HERE / f"lever_{lever}.toml")
        comp = compare(base, alone, jobs=jobs)
        for metric, _ in METRICS:
            row[f"alone:{metric}"] = comp.delta(alone.scenario.name, metric)
        row["days"] = where(days_lost(comp.baseline, comp.alternatives[0], "kind"))
        if lever in reform.reforms:
            rest = without(reform, lever)
            comp = compare(rest, reform, jobs=jobs)
            for metric, _ in METRICS:
                row[f"inside:{metric}"] = comp.delta(reform.scenario.name, metric)
        out.append(row)
    return out


def markdown(table: list[dict]) -> str:
    """The lever table as markdown."""
    head = (
        "| lever | mechanism in the model | alone: approval time (wd) | alone: to start (days) "
        "| in reform_2023: approval time (wd) | in reform_2023: to start (days) "
        "| where the days go (alone: critical-path wd per case) |\n|---|---|---|---|---|---|---|"
    )
    lines = [head]
    for r in table:
        inside = [
            cell(r[f"inside:{m}"]) if f"inside:{m}" in r else "not in reform_2023"
            for m, _ in METRICS
        ]
        lines.append(
            f"| `{r['lever']}` | {r['mechanism']} | {cell(r['alone:approval_wd_mean'])} | "
            f"{cell(r['alone:to_start_days'])} | {inside[0]} | {inside[1]} | {r['days']} |"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    print(markdown(rows()))
