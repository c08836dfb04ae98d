"""Working time: the Chinese statutory calendar and office hours, as pure arithmetic.

The simulation clock runs in calendar hours from 00:00 of the scenario's start date. Two kinds of
time are measured on top of it:

* **Statutory working days** (工作日), how the Administrative Licensing Law counts its time limits
  (Art. 82: working days, legal holidays excluded). Weekends are off, public holidays are off, and
  the make-up working days (调休, usually a Saturday or Sunday) are on. :class:`WorkCalendar`
  measures time in working days as a continuous quantity — a working day counts one per 24 hours
  that pass on it, other days count nothing — so ``wd(finish) - wd(arrival)`` is a lead time in
  working days and ``add_working_days`` ends an elapsed delay such as a 7-working-day public notice.
* **Office hours** of a department. :class:`OfficeClock` turns a department's daily opening hours on
  working days into a cumulative count of open hours ``W(t)``. Staff effort advances only while the
  office is open, so an effort of ``e`` hours started at ``t`` ends at ``W⁻¹(W(t) + e)``: one
  binary search, never an event per opening and closing.

The days come from the State Council's published holiday notices (package ``chinesecalendar``)
where they exist. For years no notice covers yet, public holidays are computed by rule (package
``holidays``) and no make-up working days are known: the calendar lists those years in
``assumed_years`` so that a run can say once which days are assumed.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
from collections.abc import Sequence

import numpy as np

HOURS_PER_DAY = 24.0


@functools.cache
def _official_years() -> tuple[int, int]:
    """The range of years the installed ``chinesecalendar`` has official notices for."""
    import chinese_calendar

    years = [y for y in range(2000, 2100) if _has_notice(chinese_calendar, y)]
    return (min(years), max(years)) if years else (0, -1)


def _has_notice(module: object, year: int) -> bool:
    try:
        module.is_workday(dt.date(year, 6, 1))  # type: ignore[attr-defined]
    except NotImplementedError:
        return False
    return True


@functools.cache
def _year_flags(year: int) -> tuple[np.ndarray, bool]:
    """Working-day flags for every day of ``year`` and whether they are assumed (by rule)."""
    first = dt.date(year, 1, 1)
    n = (dt.date(year + 1, 1, 1) - first).days
    days = [first + dt.timedelta(d) for d in range(n)]
    lo, hi = _official_years()
    if lo <= year <= hi:
        import chinese_calendar

        return np.array([chinese_calendar.is_workday(d) for d in days]), False
    import holidays

    off = holidays.China(years=year)
    return np.array([d.weekday() < 5 and d not in off for d in days]), True


def working_day_flags(start: dt.date, n_days: int) -> tuple[np.ndarray, tuple[int, ...]]:
    """Flags (True = working day) for ``n_days`` days from ``start``, and the assumed years."""
    end = start + dt.timedelta(n_days)
    parts, assumed = [], []
    for year in range(start.year, end.year + 1):
        flags, by_rule = _year_flags(year)
        lo = (start - dt.date(year, 1, 1)).days if year == start.year else 0
        hi = (end - dt.date(year, 1, 1)).days if year == end.year else len(flags)
        parts.append(flags[lo:hi])
        if by_rule and hi > lo:
            assumed.append(year)
    return np.concatenate(parts)[:n_days], tuple(assumed)


@functools.lru_cache(maxsize=32)
def _calendar_tables(start: dt.date, n_days: int) -> tuple:
    """Working-day flags and cumulative counts from ``start`` (shared, read-only, per process)."""
    flags, assumed = working_day_flags(start, n_days)
    cum = np.concatenate([[0], np.cumsum(flags)]).astype(float)
    flags.setflags(write=False)
    cum.setflags(write=False)
    # working days before day d; working days up to the end of day d
    return flags, assumed, cum.tolist(), cum[1:].tolist(), cum


class WorkCalendar:
    """Statutory working days from a start date, measured continuously (see module docstring)."""

    def __init__(self, start: dt.date, n_days: int):
        self.start = start
        self._build(max(int(n_days), 1))

    def _build(self, n_days: int) -> None:
        tables = _calendar_tables(self.start, n_days)
        self.workday, self.assumed_years, self._cum, self._cum_end, self._cum_np = tables
        self.n_days = len(self.workday)

    def ensure(self, t: float) -> None:
        """Make sure the calendar covers time ``t`` (hours), extending it when needed."""
        if t >= (self.n_days - 1) * HOURS_PER_DAY:
            self._build(max(2 * self.n_days, int(t / HOURS_PER_DAY) + 366))

    def cover(self, n_days: int) -> None:
        """Make sure the calendar has at least ``n_days`` days (doubling it when it grows)."""
        if self.n_days < n_days:
            self._build(max(2 * self.n_days, int(n_days)))

    def date_of(self, t: float) -> dt.date:
        """The calendar date at time ``t``."""
        return self.start + dt.timedelta(days=math.floor(t / HOURS_PER_DAY))

    def wd(self, t: float) -> float:
        """Working days elapsed from the start to time ``t`` (hours)."""
        self.ensure(t)
        d = int(t // HOURS_PER_DAY)
        base = self._cum[d]
        if self.workday[d]:
            base += (t - d * HOURS_PER_DAY) / HOURS_PER_DAY
        return base

    def wd_array(self, t: Sequence[float] | np.ndarray) -> np.ndarray:
        """Vectorised :meth:`wd`; NaN stays NaN."""
        t = np.asarray(t, dtype=float)
        finite = np.isfinite(t)
        if finite.any():
            self.ensure(float(np.max(t[finite])))
        out = np.full(t.shape, np.nan)
        tf = t[finite]
        d = (tf // HOURS_PER_DAY).astype(np.int64)
        frac = (tf - d * HOURS_PER_DAY) / HOURS_PER_DAY
        out[finite] = self._cum_np[d] + np.where(self.workday[d], frac, 0.0)
        return out

    def add_working_days(self, t: float, days: float) -> float:
        """The earliest time at which ``days`` working days have passed since ``t``."""
        if days <= 0:
            return t
        target = self.wd(t) + days
        self.ensure(t + (days * 7 / 5 + 60) * HOURS_PER_DAY)
        while target > self._cum_end[-1]:
            self._build(2 * self.n_days)
        d = bisect.bisect_left(self._cum_end, target)
        return max(t, d * HOURS_PER_DAY + (target - self._cum[d]) * HOURS_PER_DAY)


@functools.lru_cache(maxsize=64)
def _open_spans(
    start: dt.date, n_days: int, hours: tuple[tuple[float, float], ...] | None
) -> tuple:
    """The open spans of every working day and their cumulative hours (shared, read-only).

    Built once per process for a calendar and a set of office hours: the departments of a run
    that keep the same hours, and every replication of a scenario, share one table.
    """
    flags, _ = working_day_flags(start, n_days)
    starts, ends = [], []
    for d in np.flatnonzero(flags).tolist():
        base = d * HOURS_PER_DAY
        for a, b in hours or ():
            starts.append(base + a)
            ends.append(base + b)
    lengths = np.subtract(ends, starts)
    cum = np.concatenate([[0.0], np.cumsum(lengths)])
    return (
        starts,
        ends,
        cum[:-1].tolist(),
        cum[1:].tolist(),
        np.array(starts),
        np.array(ends),
        cum[:-1],
    )


class OfficeClock:
    """Open hours of one department: cumulative open time ``W(t)`` and its inverse.

    ``hours`` is a tuple of ``(open, close)`` hour pairs applied on every working day of
    ``calendar``, or ``None`` for an office open round the clock on every day (``W(t) = t``).
    """

    def __init__(self, calendar: WorkCalendar, hours: tuple[tuple[float, float], ...] | None):
        self.calendar = calendar
        self.hours = hours
        self.always = hours is None
        self._built_days = 0
        if not self.always:
            self._build()

    def _build(self) -> None:
        cal = self.calendar
        tables = _open_spans(cal.start, cal.n_days, self.hours)
        self._s, self._e, self._c, self._ce, self._s_np, self._e_np, self._c_np = tables
        self._built_days = cal.n_days

    def _ensure(self, t: float) -> None:
        """Cover time ``t`` and an opening after it: rebuilt from the shared calendar.

        The calendar grows only when it does not reach a year past ``t`` yet, so the clocks
        that share it grow it once between them (not once each: with one doubling per clock
        a run with many departments would outgrow any memory).
        """
        cal = self.calendar
        cal.cover(int(t // HOURS_PER_DAY) + 367)
        if cal.n_days != self._built_days:
            self._build()
        while t >= self._e[-1]:  # a year without an opening of these hours: more calendar
            cal.cover(2 * cal.n_days)
            self._build()

    def open_hours(self, t: float) -> float:
        """``W(t)``: open hours from the start to time ``t``."""
        if self.always:
            return t
        if t >= self._e[-1] or self.calendar.n_days != self._built_days:
            self._ensure(t)
        k = bisect.bisect_right(self._e, t)
        s = self._s[k]
        return self._c[k] + (t - s if t > s else 0.0)

    def open_hours_array(self, t: np.ndarray) -> np.ndarray:
        """Vectorised :meth:`open_hours` (NaN stays NaN)."""
        t = np.asarray(t, dtype=float)
        if self.always:
            return t.copy()
        finite = np.isfinite(t)
        if finite.any():
            self._ensure(float(np.max(t[finite])))
        out = np.full(t.shape, np.nan)
        tf = t[finite]
        k = np.searchsorted(self._e_np, tf, side="right")
        s = self._s_np[k]
        out[finite] = self._c_np[k] + np.maximum(tf - s, 0.0)
        return out

    def next_open(self, t: float) -> float:
        """The first moment at or after ``t`` when the office is open."""
        if self.always:
            return t
        if t >= self._e[-1] or self.calendar.n_days != self._built_days:
            self._ensure(t)
        k = bisect.bisect_right(self._e, t)
        s = self._s[k]
        return s if s > t else t

    def finish(self, t: float, effort: float) -> float:
        """When ``effort`` open hours of work started at ``t`` are done."""
        if self.always:
            return t + effort
        if effort <= 0:
            return t
        target = self.open_hours(t) + effort
        while target > self._ce[-1]:
            self._ensure(self._e[-1] + HOURS_PER_DAY * 366)
        k = bisect.bisect_left(self._ce, target)
        end = self._s[k] + (target - self._c[k])
        return end if end > t else t
