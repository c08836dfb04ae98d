"""Experiment throughput: replications per second with 1 and 2 workers, and what common random
numbers save on the way to a 5% (and a 1%) precision.

    python benchmarks/scaling.py [--replications 16]

Part 1 runs the same replications of the Pukou baseline with --jobs 1 and --jobs 2 in this
process, one after the other, and prints both rates and the speed-up. Part 2 measures the
replications (and seconds) the Pukou baseline-versus-reform_2023 comparison needs before the 95%
CI half-width of the delta in mean approval time is at most 5% of the delta: with common random
numbers (the same seeds for both scenarios) and without (independent seeds), side by side.
"""

from __future__ import annotations

import argparse
import math
import time
from pathlib import Path

import numpy as np

import sim
from sim.analysis.summary import per_replication, t_interval
from sim.experiment.runner import map_replications
from sim.reforms import apply_all

ROOT = Path(__file__).resolve().parents[1]
BASE = ROOT / "scenarios" / "pukou" / "baseline.toml"
REFORM = ROOT / "scenarios" / "pukou" / "reform_2023.toml"
METRIC = "approval_wd_mean"


def series(traces) -> np.ndarray:
    t = per_replication(traces)
    return t[(t["metric"] == METRIC) & (t["group"] == "all")]["value"].to_numpy(float)


def to_precision(
    base, alt, crn: bool, goal: float = 0.05, cap: int = 128
) -> tuple[int, float, float]:
    t0 = time.perf_counter()
    b_tr, a_tr, n = [], [], 0
    while True:
        step = max(2, n)
        b_tr += map_replications(base, 1, range(n, n + step), jobs=2)
        a_tr += map_replications(alt, 1 if crn else 2, range(n, n + step), jobs=2)
        n += step
        b, a = series(b_tr), series(a_tr)
        d = a - b if crn else None
        if crn:
            m, lo, hi = t_interval(d)
        else:
            m = a.mean() - b.mean()
            half = 1.96 * math.sqrt(a.var(ddof=1) / n + b.var(ddof=1) / n)
            lo, hi = m - half, m + half
        width = (hi - lo) / 2 / abs(m) if m else math.inf
        if width <= goal or n >= cap:
            return n, time.perf_counter() - t0, width


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--replications", type=int, default=8)
    args = ap.parse_args()
    sc = apply_all(sim.load(BASE))[0]
    rates = {}
    for jobs in (1, 2):
        t0 = time.perf_counter()
        map_replications(sc, 7, range(args.replications), jobs=jobs)
        rates[jobs] = args.replications / (time.perf_counter() - t0)
        print(f"--jobs {jobs}: {rates[jobs]:6.2f} replications/s")
    print(f"speed-up with 2 workers: {rates[2] / rates[1]:.2f}")

    alt = apply_all(sim.load(REFORM))[0]
    for goal in (0.05, 0.01):
        for crn in (True, False):
            n, secs, width = to_precision(sc, alt, crn, goal)
            label = "with common random numbers" if crn else "with independent seeds    "
            state = "reached" if width <= goal else "NOT reached at the cap"
            print(
                f"{goal:.0%} precision on the delta, {label}: {state} after {n:4d} "
                f"replications ({width:.2%}), {secs:6.1f} s"
            )


if __name__ == "__main__":
    main()
