"""Office hours and the statutory calendar: exact arithmetic on known dates."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.model import simulate
from sim.model.workcal import OfficeClock, WorkCalendar
from tests.conftest import base_data, build

HOURS = ((9.0, 12.0), (13.5, 17.5))


def at(start: dt.date, when: dt.datetime) -> float:
    return (when - dt.datetime.combine(start, dt.time())).total_seconds() / 3600


def clock(start: dt.date) -> OfficeClock:
    return OfficeClock(WorkCalendar(start, 400), HOURS)


@pytest.mark.parametrize(
    ("submitted", "expected"),
    [
        # an ordinary Friday: one hour on Friday, the second on Monday morning
        (dt.datetime(2026, 3, 6, 16, 30), dt.datetime(2026, 3, 9, 10, 0)),
        # Friday before a make-up working Saturday (2026-10-10, after the National Day holiday)
        (dt.datetime(2026, 10, 9, 16, 30), dt.datetime(2026, 10, 10, 10, 0)),
        # the eve of the National Day holiday: the work resumes on 2026-10-08
        (dt.datetime(2026, 9, 30, 16, 30), dt.datetime(2026, 10, 8, 10, 0)),
        # lunch break: 11:30 + 2 h of work = 11:30-12:00 and 13:30-15:00
        (dt.datetime(2026, 3, 4, 11, 30), dt.datetime(2026, 3, 4, 15, 0)),
    ],
)
def test_two_hour_task_finishes_in_office_hours(submitted, expected):
    start = dt.date(2026, 3, 2)
    c = clock(start)
    assert c.finish(at(start, submitted), 2.0) == pytest.approx(at(start, expected))


def test_model_uses_the_same_office_hours():
    """A two-hour task handed in on a Friday at 16:30, through the whole model."""
    start = dt.date(2026, 3, 2)
    friday = at(start, dt.datetime(2026, 3, 6, 16, 30)) / 24
    sc = build(
        base_data(
            scenario={"start": "2026-03-02", "horizon_days": 10},
            departments={"desk": {"office_hours": "09:00-12:00,13:30-17:30"}},
            items={"job": {"steps": [{"name": "serve", "effort": 2.0}]}},
            case_types={"c": {"arrivals": {"process": "list", "days": [friday]}}},
        )
    )
    task = simulate(sc).tasks.iloc[0]
    assert task["finished_h"] == pytest.approx(at(start, dt.datetime(2026, 3, 9, 10, 0)))


def test_working_days_skip_weekends_and_holidays():
    start = dt.date(2026, 9, 28)  # Monday
    cal = WorkCalendar(start, 60)
    # Mon 28 Sep .. Wed 30 Sep are working days, 1-7 Oct holiday, Thu 8 Oct works
    assert cal.wd(3 * 24) == 3
    assert cal.wd(10 * 24) == 3  # nothing counts during the holiday
    assert cal.add_working_days(0, 4) == pytest.approx(11 * 24)  # the end of Thu 8 Oct
    assert cal.add_working_days(0, 5) == pytest.approx(12 * 24)  # Fri 9 Oct
    assert cal.add_working_days(0, 6) == pytest.approx(13 * 24)  # make-up Saturday 10 Oct


def test_years_without_a_notice_are_reported():
    cal = WorkCalendar(dt.date(2026, 6, 1), 400)
    assert 2027 in cal.assumed_years
    assert 2026 not in cal.assumed_years
    # still workable: New Year's Day 2027 is off by rule, 4 Jan 2027 (Monday) is on
    day = (dt.date(2027, 1, 1) - dt.date(2026, 6, 1)).days
    assert not cal.workday[day]
    assert cal.workday[day + 3]


@given(t=st.floats(0, 300 * 24), effort=st.floats(0, 200))
def test_effort_inverse_and_monotone(t, effort):
    c = clock(dt.date(2025, 3, 3))
    end = c.finish(t, effort)
    assert end >= t
    assert c.open_hours(end) - c.open_hours(t) == pytest.approx(effort, abs=1e-6)
    assert c.finish(t, effort + 1) >= end


@given(t=st.floats(0, 300 * 24), days=st.floats(0, 60))
def test_working_day_delay_inverse(t, days):
    cal = WorkCalendar(dt.date(2025, 3, 3), 500)
    end = cal.add_working_days(t, days)
    assert end >= t
    assert cal.wd(end) - cal.wd(t) == pytest.approx(days, abs=1e-6)


def test_clocks_sharing_a_calendar_grow_it_once():
    """Forty departments asked past the calendar's end grow the shared calendar once, not
    once each (a doubling per clock would need 2**40 days); their answers are unchanged."""
    cal = WorkCalendar(dt.date(2024, 1, 1), 30)
    clocks = [OfficeClock(cal, ((9.0, 12.0), (13.5, 17.5))) for _ in range(40)]
    far = 400 * 24.0
    ends = [c.finish(far, 3.0) for c in clocks]
    assert len(set(ends)) == 1
    assert cal.n_days < 2_000  # a year or two past the asked time, not 30 * 2**40 days
    alone = OfficeClock(WorkCalendar(dt.date(2024, 1, 1), 900), ((9.0, 12.0), (13.5, 17.5)))
    assert ends[0] == alone.finish(far, 3.0)
    assert [c.open_hours(far) for c in clocks] == [alone.open_hours(far)] * 40
