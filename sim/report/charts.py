"""The chart catalogue: each chart a function from result objects to a matplotlib Figure.

Every chart states its unit, its sample size (cases and replications) and, where it shows an
estimate, the confidence level.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure

from sim.analysis.summary import t_interval
from sim.experiment.runner import RunResult
from sim.report.style import PALETTE, RC


def lead_time_chart(result: RunResult, limits: dict[str, float] | None = None) -> Figure:
    """Distribution of lead time (working days) by case type, with mean and 95% CI.

    ``limits`` draws reference lines, e.g. ``{"national cap (120 wd)": 120}``.
    """
    cases = result.cases[result.cases["in_window"] & result.cases["finished"]]
    types = [str(t) for t in result.cases["case_type"].cat.categories]
    reps = len(result.traces)
    with plt.rc_context(RC):
        fig, ax = plt.subplots(figsize=(7.5, 1.2 + 0.75 * len(types)))
        for n, ctype in enumerate(types):
            mine = cases[cases["case_type"] == ctype]
            values = mine["lead_wd"].to_numpy(float)
            if len(values) == 0:
                continue
            colour = PALETTE[n % len(PALETTE)]
            parts = ax.violinplot(values, positions=[n], vert=False, widths=0.8,
                                  showextrema=False)
            for body in parts["bodies"]:
                body.set_facecolor(colour)
                body.set_alpha(0.35)
            per_rep = mine.groupby("replication")["lead_wd"].mean().to_numpy(float)
            m, lo, hi = t_interval(per_rep)
            ax.errorbar([m], [n], xerr=[[m - lo if np.isfinite(lo) else 0],
                                        [hi - m if np.isfinite(hi) else 0]],
                        fmt="o", color=colour, capsize=4, zorder=3)
            ax.annotate(f"mean {m:.1f}  (n = {len(values):,} cases)", (m, n),
                        xytext=(0, 11), textcoords="offset points", ha="center", fontsize=8)
        for k, (label, value) in enumerate((limits or {}).items()):
            ax.axvline(value, color="#555555", linestyle="--", linewidth=1)
            ax.text(value, len(types) - 0.45 - 0.25 * k, f" {label}", fontsize=8,
                    color="#555555")
        ax.set_yticks(range(len(types)), types)
        ax.set_ylim(-0.6, len(types) - 0.3)
        ax.set_xlabel("lead time, statutory working days")
        ax.set_ylabel("case type")
        ax.set_title(f"{result.scenario.scenario.name}: lead time by case type")
        fig.text(0.01, 0.01, f"{reps} replications, seed {result.seed}; points: mean with 95% "
                 "CI across replications", fontsize=7.5, color="#555555")
        fig.tight_layout(rect=(0, 0.04, 1, 1))
    return fig
