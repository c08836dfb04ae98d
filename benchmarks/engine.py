"""Engine speed: our model against a bare SimPy script on the same M/M/c queue, side by side.

The queue: c = 3 servers, load 0.85, 200,000 jobs (change with --jobs). The bare script is the
textbook SimPy way — one process per job, a Resource request and release, a timeout — with no
trace at all. Our model runs a one-department scenario open round the clock with its full trace
on. Both run in this process, one after the other, and the script prints jobs per second of each,
their ratio (target: >= 2), and our peak memory (tracemalloc, measured in a separate pass so it
does not slow the timed one).

    python benchmarks/engine.py [--jobs 200000] [--repeat 3]
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np
import simpy

import sim
from sim.model import Model

SERVERS, LOAD, MEAN_SERVICE = 3, 0.85, 1.0


def scenario(jobs: int) -> sim.Scenario:
    rate_per_hour = LOAD * SERVERS / MEAN_SERVICE
    horizon_days = jobs / rate_per_hour / 24
    return sim.from_dict(
        {
            "scenario": {
                "name": "mmc-bench",
                "start": "2025-01-01",
                "horizon_days": horizon_days,
                "drain_days": 30,
            },
            "departments": {"desk": {"staff": SERVERS, "office_hours": "always"}},
            "items": {
                "job": {
                    "stage": 1,
                    "department": "desk",
                    "steps": [
                        {"name": "serve", "effort": {"dist": "exponential", "mean": MEAN_SERVICE}}
                    ],
                }
            },
            "case_types": {
                "c": {
                    "arrivals": {"process": "poisson", "per_year": rate_per_hour * 24 * 365},
                    "items": ["job"],
                }
            },
        }
    )


def bare_simpy(jobs: int, seed: int = 1) -> int:
    gen = np.random.Generator(np.random.PCG64(seed))
    gaps = gen.exponential(MEAN_SERVICE / (LOAD * SERVERS), jobs)
    services = gen.exponential(MEAN_SERVICE, jobs)
    env = simpy.Environment()
    desk = simpy.Resource(env, capacity=SERVERS)
    done = [0]

    def job(service: float):
        with desk.request() as req:
            yield req
            yield env.timeout(service)
        done[0] += 1

    def source():
        for gap, service in zip(gaps.tolist(), services.tolist(), strict=True):
            yield env.timeout(gap)
            env.process(job(service))

    env.process(source())
    env.run()
    return done[0]


def ours(sc: sim.Scenario) -> int:
    trace = Model(sc, seed=1).run()
    return len(trace.tasks)


def timed(fn, *args) -> tuple[float, int]:
    t0 = time.perf_counter()
    n = fn(*args)
    return time.perf_counter() - t0, n


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=200_000)
    ap.add_argument("--repeat", type=int, default=3, help="best of this many runs of each")
    args = ap.parse_args()
    sc = scenario(args.jobs)
    bare = min((timed(bare_simpy, args.jobs) for _ in range(args.repeat)), key=lambda r: r[0])
    mine = min((timed(ours, sc) for _ in range(args.repeat)), key=lambda r: r[0])
    tracemalloc.start()
    ours(sc)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    bare_rate, our_rate = bare[1] / bare[0], mine[1] / mine[0]
    print(f"M/M/{SERVERS}, load {LOAD}, best of {args.repeat}")
    print(f"bare SimPy : {bare[1]:>8,} jobs in {bare[0]:6.2f} s = {bare_rate:>10,.0f} jobs/s")
    print(
        f"approvalsim: {mine[1]:>8,} jobs in {mine[0]:6.2f} s = {our_rate:>10,.0f} jobs/s "
        "(trace on, tables built)"
    )
    print(f"ratio (ours / bare): {our_rate / bare_rate:.2f}   target >= 2")
    print(f"our peak memory: {peak / 2**20:.0f} MiB")


if __name__ == "__main__":
    main()
