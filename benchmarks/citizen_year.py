"""A year of the citizen halls against a bare SimPy M/M/c loop, in CPU time (issue 15.4).

One round runs, one after the other, a bare SimPy M/M/3 loop at load 0.85 (the textbook script:
one process per job, ``Resource`` requests, ``Timeout``s, no trace) and one full year of
``scenarios/citizen/baseline.toml`` through our model (arrival profiles, location choice,
windows in minutes, abandonment, back offices and delivery, the cases and window tables
recorded and turned into DataFrames). Timing is CPU time (``time.process_time``); the rounds
interleave the two so that a change of machine load hits both. Ours is counted in **items**
handled per CPU second (the year's items, online ones included), the loop in jobs per CPU
second; the ratio is the median over the rounds of ours / bare.

Peak memory is the peak resident set of a separate process that loads the scenario and runs
one year (``resource.getrusage``: the interpreter and its imports included), so the figure is
what a user's machine needs. The last line reads ``ratio X.XX peak_mb N``.

    python benchmarks/citizen_year.py [--rounds 2] [--jobs 300000]
"""

from __future__ import annotations

import argparse
import gc
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import simpy

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "citizen" / "baseline.toml"


def bare_mmc(jobs: int, servers: int = 3, load: float = 0.85) -> int:
    """The textbook SimPy M/M/c loop; returns the number of finished jobs."""
    gen = np.random.Generator(np.random.PCG64(1))
    gaps = gen.exponential(1.0 / (load * servers), jobs).tolist()
    services = gen.exponential(1.0, jobs).tolist()
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=servers)
    done = [0]

    def job(service: float):
        with desk.request() as req:
            yield req
            yield env.timeout(service)
        done[0] += 1

    def source():
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(job(service))

    env.process(source())
    env.run()
    return done[0]


def one_year(seed: int = 1) -> tuple[int, int]:
    """Run one year of the baseline; returns (items handled, cases)."""
    import sim
    from sim.model import Model

    sc = sim.load(BASELINE)
    trace = Model(sc, seed=seed).run()
    return int(trace.cases["items_handled"].sum()), len(trace.cases)


def timed(fn, *args) -> tuple[float, object]:
    gc.collect()
    t = time.process_time()
    out = fn(*args)
    return time.process_time() - t, out


def peak_mb() -> int:
    """Peak resident memory (MB) of a fresh process running one year of the baseline."""
    code = (
        f"import resource, sys; sys.path.insert(0, {str(ROOT)!r}); "
        "from benchmarks.citizen_year import one_year; one_year(); "
        "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    kb = int(out.stdout.strip().splitlines()[-1])
    return round(kb / 1024) if sys.platform != "darwin" else round(kb / 1024 / 1024)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--jobs", type=int, default=300_000, help="jobs of the bare loop")
    args = parser.parse_args()
    import sim  # noqa: F401  (imports and holiday tables are not charged to round 1)

    bare_mmc(2000)
    ratios = []
    for r in range(args.rounds):
        t_bare, n = timed(bare_mmc, args.jobs)
        t_ours, (items, cases) = timed(one_year, 1 + r)
        ours_rate, bare_rate = items / t_ours, n / t_bare
        ratios.append(ours_rate / bare_rate)
        print(
            f"round {r + 1}: ours {items:,} items ({cases:,} cases) in {t_ours:.1f} s CPU = "
            f"{ours_rate:,.0f} items/s; bare SimPy M/M/3 {n:,} jobs in {t_bare:.1f} s = "
            f"{bare_rate:,.0f} jobs/s; ratio {ours_rate / bare_rate:.2f}",
            flush=True,
        )
    peak = peak_mb()
    print(f"peak resident memory of one year in a fresh process: {peak} MB")
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(f"(this process: {own / 1024:.0f} MB)")
    print(f"ratio {statistics.median(ratios):.2f} peak_mb {peak}")


if __name__ == "__main__":
    main()
