"""Engine scaling: CPU time and peak memory of one replication as the work grows.

Two families of runs, each in a fresh interpreter (so the peak resident memory is that run's own,
and no cache of an earlier run helps a later one):

* the **Pukou baseline** (``scenarios/pukou/baseline.toml``, reforms applied) at 1x, 4x and 16x
  its horizon — the arrivals grow with the horizon, the network stays the same;
* a synthetic **citizen-hall year**: one department per service, each a window of a few staff with
  office hours, citizens' single-step items (about 900,000 a year in all). It is built here,
  not read from ``scenarios/``, and exercises the engine's fast path for single-step cases.

Each run is timed in CPU seconds (``time.process_time``, model built, run and its tables made)
and reports the items (visits) it handled, the CPU microseconds per item, and the peak resident
memory of its process (``ru_maxrss``; an interpreter with numpy, pandas and the package imported
is printed first as the floor). Tables are kept in memory (``MemorySink``, the default) or
streamed away (``--stream``: a ``NullSink`` that drops the chunks, what a file sink costs the
engine minus the writing). Cost linear in the work shows as a flat CPU time per item.

    python benchmarks/scaling.py [--citizen-items 900000] [--stream] [--skip-pukou]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "pukou" / "baseline.toml"
SERVICES = 30  # departments (services) of the synthetic hall

CHILD = r"""
import json, resource, sys, time
spec = json.loads(sys.argv[1])
import numpy, pandas  # the floor: what every run imports anyway
import sim
from sim.model import Model, NullSink
if spec["kind"] == "floor":
    sc = None
elif spec["kind"] == "pukou":
    from sim.reforms import apply_all
    sc = apply_all(sim.load(spec["path"]))[0]
    info = sc.scenario
    sc = sc.model_copy(update={"scenario": info.model_copy(
        update={"horizon_days": info.horizon_days * spec["factor"]})})
else:
    sys.path.insert(0, spec["benchmarks"])
    from scaling import citizen_hall
    sc = citizen_hall(spec["items"])
out = {"rss_mb": 0.0, "cpu_s": 0.0, "visits": 0, "cases": 0}
if sc is not None:
    t0 = time.process_time()
    sink = NullSink() if spec["stream"] else None
    keep = ("tasks", "activities", "visits")
    model = Model(sc, seed=1, sink=sink, keep=keep)
    trace = model.run()
    out["cpu_s"] = time.process_time() - t0
    out["visits"] = model.recorder.visit_rows
    out["cases"] = len(trace.cases)
out["rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps(out))
"""


def citizen_hall(items_per_year: int):
    """A year of a citizen service hall: one department (window) per service, single-step items.

    Service shares fall off geometrically (a few services take most of the work), every item is
    one effort step of about 12 minutes, and each window is staffed for a load of about 0.8 of
    its open hours (09:00-12:00, 13:30-17:30 on working days, about 1,750 open hours a year).
    """
    import sim

    shares = [0.85**n for n in range(SERVICES)]
    total = sum(shares)
    effort_h = 0.2
    open_hours = 250 * 7.0
    departments, items, case_types = {}, {}, {}
    for n, share in enumerate(shares):
        per_year = items_per_year * share / total
        staff = max(1, round(per_year * effort_h / open_hours / 0.8))
        departments[f"w{n}"] = {"staff": staff, "location": "zone"}
        items[f"service{n}"] = {
            "stage": 1,
            "department": f"w{n}",
            "kind": "public_service",
            "steps": [{"name": "serve", "effort": {"dist": "gamma", "mean": effort_h, "cv": 0.7}}],
        }
        case_types[f"c{n}"] = {
            "arrivals": {"process": "poisson", "per_year": per_year},
            "items": [f"service{n}"],
        }
    return sim.from_dict(
        {
            "scenario": {
                "name": "citizen-hall-year",
                "start": "2025-01-01",
                "horizon_days": 365,
                "drain_days": 30,
            },
            "departments": departments,
            "items": items,
            "case_types": case_types,
        }
    )


def child(spec: dict) -> dict:
    """Run one configuration in a fresh interpreter; return its measurements."""
    spec = {**spec, "benchmarks": str(Path(__file__).parent)}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(spec)],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(done.stdout.strip().splitlines()[-1])


def report(label: str, r: dict) -> None:
    per_item = 1e6 * r["cpu_s"] / max(1, r["visits"])
    print(
        f"{label:<34} {r['cases']:>9,} cases {r['visits']:>10,} items "
        f"{r['cpu_s']:8.2f} s CPU {per_item:7.2f} us/item   peak {r['rss_mb']:6.0f} MB"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--citizen-items", type=int, default=900_000)
    ap.add_argument("--stream", action="store_true", help="drop the tables (NullSink)")
    ap.add_argument("--skip-pukou", action="store_true")
    args = ap.parse_args()
    mode = "tables streamed away" if args.stream else "tables kept in memory"
    print(f"one replication each, fresh interpreter, {mode}")
    report("floor (interpreter + imports)", child({"kind": "floor", "stream": args.stream}))
    if not args.skip_pukou:
        for factor in (1, 4, 16):
            r = child(
                {"kind": "pukou", "path": str(BASELINE), "factor": factor, "stream": args.stream}
            )
            report(f"Pukou baseline, {factor:>2}x horizon", r)
    r = child({"kind": "citizen", "items": args.citizen_items, "stream": args.stream})
    report("citizen-hall year (synthetic)", r)


if __name__ == "__main__":
    main()
