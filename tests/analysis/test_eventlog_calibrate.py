"""Event logs out (read by pm4py) and calibration back in, against the scenario that made them.

Tolerances come from the log's size: a mean within four standard errors of the sample
(sd / sqrt(n)), a probability within four binomial standard errors, an arrival rate within four
Poisson standard errors (rate / sqrt(n)).
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import sim
from sim.experiment.calibrate import calibrate, fit_duration, to_toml, write_scenario
from sim.experiment.eventlog import (
    ACTIVITY,
    CASE,
    LogError,
    event_log,
    read_event_log,
    write_event_log,
)
from sim.model import simulate
from tests.conftest import base_data, build

RATE = 3000.0
EFFORT = {"intake": 1.5, "review": 4.0}
P_CORR, P_REWORK = 0.3, 0.2


def known_scenario() -> sim.Scenario:
    """Two desks open in office hours, a correction loop and a rework back to the first item."""
    data = base_data(
        scenario={"horizon_days": 200, "warmup_days": 0, "drain_days": 200},
        departments={
            "desk": {"staff": 6, "office_hours": "09:00-12:00,13:30-17:30"},
            "other": {"staff": 4, "office_hours": "always"},
        },
        items={
            "job": {
                "steps": [
                    {"name": "intake", "effort": {"dist": "gamma", "mean": 1.5, "cv": 0.5}},
                    {"name": "notice", "delay": {"dist": "deterministic", "value": 3}},
                ],
                "correction": {
                    "probability": P_CORR,
                    "turnaround": {"dist": "exponential", "mean": 4, "unit": "working_days"},
                },
            },
            "check": {
                "stage": 1,
                "department": "other",
                "requires": ["job"],
                "steps": [
                    {"name": "review", "effort": {"dist": "lognormal", "mean": 4.0, "cv": 0.7}}
                ],
                "rework": {"probability": P_REWORK, "to": "job"},
            },
        },
        case_types={
            "c": {"arrivals": {"process": "poisson", "per_year": RATE}, "items": ["job", "check"]}
        },
    )
    return build(data)


@pytest.fixture(scope="module")
def simulated():
    sc = known_scenario()
    trace = simulate(sc, seed=7)
    return sc, trace, event_log(trace, sc)


def test_the_log_has_the_standard_columns_and_both_ends_of_every_task(simulated):
    _, trace, log = simulated
    assert {CASE, ACTIVITY, "time:timestamp", "org:resource", "lifecycle:transition"} <= set(log)
    tasks = log[log["kind"] == "task"]
    assert len(tasks) == 2 * len(trace.tasks)
    assert (tasks["lifecycle:transition"].value_counts() == len(trace.tasks)).all()
    assert (log.groupby(CASE)[ACTIVITY].first() == "arrival").all()


def test_pm4py_reads_our_xes_and_discovers_a_model(simulated, tmp_path):
    pm4py = pytest.importorskip("pm4py")
    _, _, log = simulated
    small = log[log[CASE].astype(int) < 200]
    path = write_event_log(small, tmp_path / "log.xes", "xes")
    read = pm4py.read_xes(str(path))
    assert len(read) == len(small)
    assert read["case:concept:name"].nunique() == small[CASE].nunique()
    net, im, fm = pm4py.discover_petri_net_inductive(read)
    labels = {t.label for t in net.transitions if t.label}
    assert {"job: intake", "check: review", "job: correction", "arrival"} <= labels
    # the CSV reads as a pm4py event log too
    csv = write_event_log(small, tmp_path / "log.csv", "csv")
    import pandas as pd

    frame = pm4py.format_dataframe(
        pd.read_csv(csv),
        case_id=CASE,
        activity_key=ACTIVITY,
        timestamp_key="time:timestamp",
    )
    assert pm4py.discover_dfg(frame)[0]


def test_writing_never_overwrites(simulated, tmp_path):
    _, _, log = simulated
    target = tmp_path / "log.csv"
    target.write_text("mine")
    with pytest.raises(FileExistsError):
        write_event_log(log, target, "csv")
    assert target.read_text() == "mine"


def test_our_logs_read_back_the_same(simulated, tmp_path):
    _, _, log = simulated
    small = log[log[CASE].astype(int) < 50].reset_index(drop=True)
    for fmt in ("csv", "xes"):
        back = read_event_log(write_event_log(small, tmp_path / f"l.{fmt}", fmt))
        assert len(back) == len(small)
        assert (
            back[ACTIVITY]
            .value_counts()
            .sort_index()
            .equals(small[ACTIVITY].value_counts().sort_index())
        )
        delta = (
            back["time:timestamp"].sort_values().to_numpy()
            - small["time:timestamp"].sort_values().to_numpy()
        )
        assert np.abs(delta.astype("timedelta64[us]").astype(np.int64)).max() <= 1000


@pytest.mark.parametrize(
    "text, message",
    [
        ("a,b\n1,2\n", "missing column"),
        ("case:concept:name,concept:name,time:timestamp\n1,x,notadate\n", "timestamp"),
    ],
)
def test_bad_logs_are_one_line_errors(tmp_path, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    with pytest.raises(LogError, match=message):
        read_event_log(path)
    with pytest.raises(LogError, match="not a regular file"):
        read_event_log(tmp_path)
    (tmp_path / "bad.xes").write_text("<log><trace>")
    with pytest.raises(LogError, match="XES"):
        read_event_log(tmp_path / "bad.xes")


@pytest.mark.slow
def test_calibration_recovers_the_scenario_that_made_the_log(simulated, tmp_path):
    sc, trace, log = simulated
    path = write_event_log(log, tmp_path / "log.xes", "xes")
    cal = calibrate(read_event_log(path), sc)
    fits = {f.key: f for f in cal.fits}

    def close_mean(key, truth):
        f = fits[key]
        se = f.cv * f.mean / math.sqrt(f.n)
        fitted = f.value.get("mean", f.value.get("value"))
        assert abs(fitted - truth) <= 4 * se + 1e-9, (key, fitted, truth, se)

    close_mean("items.job.steps[0].effort", EFFORT["intake"])
    close_mean("items.check.steps[0].effort", EFFORT["review"])
    close_mean("items.job.correction.turnaround", 4.0)
    assert fits["items.job.steps[1].delay"].value == {
        "dist": "deterministic",
        "value": pytest.approx(3.0),
        "unit": "working_days",
    }
    for key, truth in (
        ("items.job.correction.probability", P_CORR),
        ("items.check.rework.probability", P_REWORK),
    ):
        f = fits[key]
        assert abs(f.value - truth) <= 4 * math.sqrt(truth * (1 - truth) / f.n), (key, f.value)
    f = fits["case_types.c.arrivals"]
    assert abs(f.value["per_year"] - RATE) <= 4 * RATE / math.sqrt(f.n)
    # the family the log came from wins the AIC where the sample is large
    assert fits["items.job.steps[0].effort"].value["dist"] == "gamma"
    assert fits["items.check.steps[0].effort"].value["dist"] == "lognormal"
    out = write_scenario(cal, tmp_path / "calibrated.toml", ["test"])
    again = sim.load(out)
    assert again.items["job"].correction.probability == pytest.approx(
        fits["items.job.correction.probability"].value
    )
    with pytest.raises(FileExistsError):
        write_scenario(cal, out)


def test_a_log_without_start_events_keeps_the_durations(simulated):
    sc, _, log = simulated
    only_complete = log[log["lifecycle:transition"] == "complete"].drop(
        columns=["visit", "round", "kind", "item", "step"]
    )
    cal = calibrate(only_complete, sc)
    assert not any(f.key.endswith((".effort", ".delay")) for f in cal.fits)
    assert any("no start events" in k for k in cal.kept)
    assert any("visit numbers" in k for k in cal.kept)
    assert any(f.key == "case_types.c.arrivals" for f in cal.fits)


def test_fit_duration_prefers_the_true_family():
    gen = np.random.Generator(np.random.PCG64(3))
    x = gen.gamma(4.0, 2.0, size=4000)
    value, aic, ks = fit_duration(x, None)
    assert value["dist"] == "gamma"
    assert value["mean"] == pytest.approx(8.0, rel=4 * 0.5 / math.sqrt(4000))
    assert value["cv"] == pytest.approx(0.5, rel=0.05)
    assert ks < 0.03
    assert fit_duration(np.full(10, 2.5), "hours")[0] == {
        "dist": "deterministic",
        "value": 2.5,
        "unit": "hours",
    }


def test_to_toml_round_trips_any_scenario():
    import tomllib

    from sim.experiment.compact import scenario_data

    for path in ("scenarios/default.toml", "scenarios/pukou/baseline.toml"):
        sc = sim.load(path)
        data = scenario_data(sc)
        assert tomllib.loads(to_toml(data)) == data
        assert sim.from_dict(tomllib.loads(to_toml(data))) == sc
