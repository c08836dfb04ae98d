"""Arrival profiles: a non-homogeneous Poisson process against its expected counts."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

import sim
from sim.model.hall import HallModel
from sim.model.halltime import HOLIDAY, day_types, expected_in

HERE = Path(__file__).resolve().parents[2] / "scenarios" / "citizen"


@pytest.mark.slow
def test_counts_by_weekday_and_hour_match_the_profile():
    sc = sim.load(HERE / "baseline.toml")
    info = sc.scenario
    profile = sc.profiles["weekday"]
    per_year = sc.case_types["newborn"].arrivals.per_year
    reps = 8
    times = np.concatenate([HallModel(sc, seed=3, replication=r)._arrivals[0] for r in range(reps)])
    # bins: weekday 0..6 (make-up working days fall on weekends) x the profile's hour spans
    day = (times // 24).astype(int)
    weekday = (day + info.start.weekday()) % 7
    hour = times - day * 24
    spans = profile.hours_of("workday")
    observed, expected = [], []
    n_days = int(info.horizon_days)
    for wd in range(7):
        days = [d for d in range(n_days) if (d + info.start.weekday()) % 7 == wd]
        for a, b, _ in spans:
            observed.append(((weekday == wd) & (hour >= a) & (hour < b)).sum())
            e = sum(
                expected_in(
                    profile, info.start, info.horizon_days, per_year, d * 24 + a, d * 24 + b
                )
                for d in days
            )
            expected.append(reps * e)
    observed, expected = np.array(observed), np.array(expected)
    assert observed.sum() == len(times)  # nothing outside the profile's hours and days
    assert observed[expected == 0].sum() == 0
    observed, expected = observed[expected > 0], expected[expected > 0]
    chi2 = (((observed - expected) ** 2) / expected).sum()
    assert chi2 < stats.chi2.ppf(0.999, len(observed))
    # the yearly total: mean within its Poisson interval
    total = per_year * info.horizon_days / 365 * reps
    assert abs(len(times) - total) < 3.3 * np.sqrt(total)


def test_no_arrivals_on_holidays_or_weekends_for_working_day_profiles():
    sc = sim.load(HERE / "baseline.toml")
    info = sc.scenario
    times = HallModel(sc, seed=1)._arrivals[0]
    types = day_types(info.start, int(info.horizon_days) + 1)
    days = set((times // 24).astype(int).tolist())
    assert all(types[d] == 0 for d in days)
    assert types[0] == HOLIDAY  # 2 January 2023, the New Year holiday
    assert dt.date(2023, 1, 2).weekday() == 0
