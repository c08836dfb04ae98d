"""The per-replication summary: what it reads, and what it says about an empty window."""

from __future__ import annotations

import dataclasses
import math

import pandas as pd

from sim.analysis.summary import case_columns, per_replication
from sim.model import NullSink, simulate
from tests.conftest import base_data, build


def _values(rows: pd.DataFrame) -> dict:
    return {(r.group, r.metric): (r.value, r.n) for r in rows.itertuples()}


def test_a_slim_trace_gives_the_same_summary_as_the_full_one():
    """A run that keeps only the columns the summary reads (its tables streamed away) gets
    exactly the summary of one that keeps them all: same values, same order, same sums."""
    data = base_data(
        scenario={"warmup_days": 20},
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": 2000}, "items": ["job"]}},
    )
    data["departments"]["desk"]["staff"] = 8
    sc = build(data)
    full = simulate(sc, seed=4)
    slim = simulate(sc, seed=4, sink=NullSink(), keep=(), case_columns=case_columns())
    assert set(slim.cases.columns) < set(full.cases.columns)
    assert len(slim.cases) == len(full.cases)
    a, b = _values(per_replication([full])), _values(per_replication([slim]))
    assert a.keys() == b.keys()
    for key in a:  # NaN == NaN where there is no observation
        x, y = a[key], b[key]
        assert x[1] == y[1], key
        assert x[0] == y[0] or (math.isnan(x[0]) and math.isnan(y[0])), key


def test_no_case_in_the_window_means_no_unfinished_share():
    """A replication with no case in its window has no unfinished share (NaN), not 1.0."""
    trace = simulate(build(base_data()), seed=1)
    cases = trace.cases.assign(in_window=False)
    empty = dataclasses.replace(trace, cases=cases)
    rows = per_replication([empty])
    share = rows[(rows["group"] == "all") & (rows["metric"] == "unfinished_share")]["value"]
    assert len(share) == 1 and math.isnan(share.iloc[0])
    # and with cases in the window, the share is their unfinished fraction
    rows = per_replication([trace])
    share = rows[(rows["group"] == "all") & (rows["metric"] == "unfinished_share")]["value"]
    window = trace.cases[trace.cases["in_window"]]
    assert share.iloc[0] == 1 - window["finished"].sum() / len(window)


def test_t_interval_uses_the_student_t_quantile():
    """Five values 1..5: mean 3, s = sqrt(2.5), t(0.975, 4) = 2.7764451 (published tables)."""
    from sim.analysis.summary import t_interval

    m, lo, hi = t_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    half = 2.7764451052 * math.sqrt(2.5) / math.sqrt(5)
    assert m == 3.0
    assert math.isclose(hi - m, half, rel_tol=1e-9) and math.isclose(m - lo, half, rel_tol=1e-9)


def test_the_run_path_does_not_import_scipy_stats():
    """scipy.stats costs about 50 MB of resident memory; the summary needs only the t quantile
    (scipy.special.stdtrit, what scipy.stats.t.ppf calls), so a run never loads it."""
    import subprocess
    import sys

    code = (
        "import sys, sim.experiment.runner, sim.experiment.store, sim.analysis.critical; "
        "print('scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
