"""Engine speed: our model against bare SimPy scripts on the same queueing models, in CPU time.

Three models, each run by both engines on the same parameters:

* **M/M/3** at load 0.85 — one department of 3 staff; the headline.
* **tandem of 3** — three single-staff departments in series, load 0.8 at each.
* **fork-join of 4** — every job forks into 4 tasks at 4 single-staff departments and joins.

The bare SimPy scripts are the textbook way — one process per job, ``Resource`` requests,
``Timeout``s, ``AllOf`` for the join — with no trace at all. Our model runs the equivalent
scenario with its working calendar built, every table recorded (cases, visits, tasks,
activities, departments) and turned into DataFrames. Its department is open round the clock
(``office_hours = "always"``) so that both engines run the same queue; ``--office`` runs ours with
office hours instead (a different queue: printed for information, no ratio).

Timing is CPU time (``time.process_time``), which a busy shared machine disturbs far less than
wall time, and the engines are interleaved: each round runs every model with both engines, so a
change of machine load hits both. One small untimed run of each engine and model comes first, so
that what a process does once (imports, the holiday tables) is not charged to round 1. Each
ratio is ours/bare in jobs per CPU second: the median over
the rounds and its range. Peak memory (``tracemalloc``) is measured in a separate, untimed pass.
The last line is ``ratio M/M/3: X.XX`` (the median).

    python benchmarks/engine.py [--jobs 200000] [--rounds 3] [--office]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc

import numpy as np
import simpy

import sim
from sim.model import Model

HOURS_PER_YEAR = 24 * 365


def scenario(
    name: str, stations: int, servers: int, load: float, jobs: int, fork: bool, office: bool
) -> sim.Scenario:
    """Our scenario for a model: ``stations`` departments in series, or forked (``fork``)."""
    rate = load * servers  # jobs per hour, mean service 1 h
    horizon_days = jobs / rate / 24
    items = {}
    for k in range(stations):
        items[f"s{k}"] = {
            "stage": 1,
            "department": f"d{k}",
            "steps": [{"name": "serve", "effort": {"dist": "exponential", "mean": 1.0}}],
            "requires": [] if (fork or k == 0) else [f"s{k - 1}"],
        }
    hours = "09:00-12:00,13:30-17:30" if office else "always"
    return sim.from_dict(
        {
            "scenario": {
                "name": name,
                "start": "2025-01-01",
                "horizon_days": horizon_days,
                "drain_days": 400 if office else 30,
            },
            "departments": {
                f"d{k}": {"staff": servers, "office_hours": hours} for k in range(stations)
            },
            "items": items,
            "case_types": {
                "c": {
                    "arrivals": {"process": "poisson", "per_year": rate * HOURS_PER_YEAR},
                    "items": list(items),
                }
            },
        }
    )


def bare_simpy(stations: int, servers: int, load: float, jobs: int, fork: bool) -> int:
    """The textbook SimPy model; returns the number of finished jobs."""
    gen = np.random.Generator(np.random.PCG64(1))
    gaps = gen.exponential(1.0 / (load * servers), jobs).tolist()
    services = gen.exponential(1.0, (jobs, stations)).tolist()
    env = simpy.Environment()
    desks = [simpy.Resource(env, capacity=servers) for _ in range(stations)]
    done = [0]

    def task(desk: simpy.Resource, service: float):
        with desk.request() as req:
            yield req
            yield env.timeout(service)

    def job(service: list[float]):
        if fork:
            yield env.all_of([env.process(task(d, s)) for d, s in zip(desks, service, strict=True)])
        else:
            for d, s in zip(desks, service, strict=True):
                with d.request() as req:
                    yield req
                    yield env.timeout(s)
        done[0] += 1

    def source():
        for gap, service in zip(gaps, services, strict=True):
            yield env.timeout(gap)
            env.process(job(service))

    env.process(source())
    env.run()
    return done[0]


def ours(sc: sim.Scenario) -> int:
    trace = Model(sc, seed=1).run()
    return int(trace.cases["finished"].sum())


MODELS = {
    "M/M/3": dict(stations=1, servers=3, load=0.85, fork=False),
    "tandem of 3": dict(stations=3, servers=1, load=0.8, fork=False),
    "fork-join of 4": dict(stations=4, servers=1, load=0.8, fork=True),
}


def cpu(fn, *args) -> tuple[float, int]:
    gc.collect()
    t0 = time.process_time()
    n = fn(*args)
    return time.process_time() - t0, n


def peak_mib(fn, *args) -> float:
    gc.collect()
    tracemalloc.start()
    fn(*args)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--jobs", type=int, default=200_000, help="jobs per model (default 200000)")
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds (at least 3)")
    ap.add_argument("--office", action="store_true", help="also time ours with office hours")
    args = ap.parse_args()
    rounds = max(3, args.rounds)
    scenarios = {
        name: scenario(name, jobs=args.jobs, office=False, **m) for name, m in MODELS.items()
    }
    for name, m in MODELS.items():  # warm-up, untimed
        bare_simpy(m["stations"], m["servers"], m["load"], 2000, m["fork"])
        ours(scenario(name, jobs=2000, office=False, **m))
    ratios: dict[str, list[float]] = {name: [] for name in MODELS}
    rates: dict[str, dict[str, list[float]]] = {n: {"bare": [], "ours": []} for n in MODELS}
    for r in range(rounds):
        for name, m in MODELS.items():
            tb, nb = cpu(bare_simpy, m["stations"], m["servers"], m["load"], args.jobs, m["fork"])
            to, no = cpu(ours, scenarios[name])
            rates[name]["bare"].append(nb / tb)
            rates[name]["ours"].append(no / to)
            ratios[name].append((no / to) / (nb / tb))
            print(f"round {r + 1}: {name:<15} bare {nb / tb:>9,.0f} jobs/s   ours {no / to:>9,.0f}")
    print()
    print(f"{'model':<15} {'bare SimPy':>12} {'approvalsim':>12}  ratio (median, range)  peak MiB")
    for name, m in MODELS.items():
        bare_peak = peak_mib(
            bare_simpy, m["stations"], m["servers"], m["load"], args.jobs, m["fork"]
        )
        our_peak = peak_mib(ours, scenarios[name])
        rs = ratios[name]
        print(
            f"{name:<15} {statistics.median(rates[name]['bare']):>12,.0f} "
            f"{statistics.median(rates[name]['ours']):>12,.0f}  "
            f"{statistics.median(rs):5.2f} ({min(rs):.2f}-{max(rs):.2f})"
            f"       bare {bare_peak:5.0f} / ours {our_peak:5.0f}"
        )
    if args.office:
        sc = scenario("office", jobs=args.jobs, office=True, **MODELS["M/M/3"])
        t, n = cpu(ours, sc)
        print(f"M/M/3 with office hours (ours only): {n / t:,.0f} jobs/s")
    print(f"ratio M/M/3: {statistics.median(ratios['M/M/3']):.2f}")


if __name__ == "__main__":
    main()
