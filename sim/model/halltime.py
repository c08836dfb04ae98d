"""Time in the service halls: day types, window-group rosters and arrival profiles, as arithmetic.

Pure functions and read-only tables built once per process (cached), used by
:mod:`sim.model.hall`:

* :func:`day_types` — every day from the start as ``workday`` (a statutory working day, make-up
  days included), ``saturday`` / ``sunday`` (an ordinary day off), or ``holiday`` (a public
  holiday), from the State Council's notices (package ``chinesecalendar``) or, for years no
  notice covers yet, the rule-based ``holidays`` package.
* :class:`Timeline` — a window group's rostered staff as a step function of time over the whole
  run: change times and staff, the cumulative *open* hours ``W(t)`` (time with staff > 0, what a
  queue's patience counts), each day's first opening and last closing, and the rostered
  staff-hours per weekday and hour of day (the denominator of the utilisation heatmap).
* :func:`profile_rate` — the arrival-rate weight of a profile as a step function over the
  horizon, whose cumulative integral is inverted to make a non-homogeneous Poisson process.
"""

from __future__ import annotations

import bisect
import datetime as dt
import functools
import math
from typing import Any

import numpy as np

from sim.model.workcal import working_day_flags
from sim.scenario.schema import Location, Profile, WindowGroup, parse_office_hours

HOURS_PER_DAY = 24.0
WORKDAY, SATURDAY, SUNDAY, HOLIDAY = 0, 1, 2, 3
DAY_TYPES = ("workday", "saturday", "sunday", "holiday")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@functools.lru_cache(maxsize=8)
def day_types(start: dt.date, n_days: int) -> tuple[int, ...]:
    """The type code of each of ``n_days`` days from ``start`` (see the module docstring)."""
    flags, _ = working_day_flags(start, n_days)
    out = []
    names: dict[int, object] = {}
    for d in range(n_days):
        date = start + dt.timedelta(d)
        if flags[d]:
            out.append(WORKDAY)
        elif date.weekday() < 5 or _public_holiday(date, names):
            out.append(HOLIDAY)
        else:
            out.append(SATURDAY if date.weekday() == 5 else SUNDAY)
    return tuple(out)


def _public_holiday(date: dt.date, cache: dict[int, object]) -> bool:
    """Whether a weekend day off is part of a public holiday (e.g. National Day week)."""
    try:
        import chinese_calendar

        on_holiday, name = chinese_calendar.get_holiday_detail(date)
        return bool(on_holiday and name is not None)
    except NotImplementedError:
        import holidays

        table = cache.get(date.year)
        if table is None:
            table = cache[date.year] = holidays.China(years=date.year)
        return date in table  # type: ignore[operator]


def _spans(text: str) -> tuple[tuple[float, float], ...]:
    spans = parse_office_hours(text)
    return ((0.0, 24.0),) if spans is None else spans


def day_plan(location: Location, group: WindowGroup) -> dict[int, list[tuple[float, float, int]]]:
    """Staff spans ``(start_h, end_h, staff)`` of a window group per day type (sorted)."""
    out: dict[int, list[tuple[float, float, int]]] = {t: [] for t in range(4)}
    if group.roster is not None:
        for entry in group.roster:
            types = range(4) if entry.days == "all" else (DAY_TYPES.index(entry.days),)
            for t in types:
                out[t] += [(a, b, entry.staff) for a, b in _spans(entry.hours)]
    else:
        hours = location.office_hours
        if isinstance(hours, str):
            if hours.strip() == "always":
                table = dict.fromkeys(DAY_TYPES, "00:00-24:00")
            else:
                table = {"workday": hours}
        else:
            table = dict(hours)
        for name, text in table.items():
            out[DAY_TYPES.index(name)] += [(a, b, group.staff or 0) for a, b in _spans(text)]
    return {t: sorted(v) for t, v in out.items()}


class Timeline:
    """A window group's staff over the run as a step function (see the module docstring)."""

    __slots__ = (
        "times",
        "staff",
        "cum",
        "close",
        "close_staff",
        "open_day",
        "rostered",
        "weekday0",
        "n_days",
    )

    def __init__(
        self,
        plan: dict[int, list[tuple[float, float, int]]],
        types: tuple[int, ...],
        weekday0: int,
        window: tuple[float, float],
    ):
        n_days = len(types)
        self.n_days = n_days
        self.weekday0 = weekday0
        times: list[float] = [0.0]
        staff: list[int] = [0]
        close = [math.nan] * n_days  # the day's last closing (hours from the start)
        close_staff = [0] * n_days  # staff rostered just before it
        open_day = [math.nan] * n_days  # the day's first opening
        for d in range(n_days):
            base = d * HOURS_PER_DAY
            for a, b, s in plan[types[d]]:
                if s <= 0:
                    continue
                t0, t1 = base + a, base + b
                if times[-1] == t0:  # continues the span before (no gap)
                    staff[-1] = s
                else:
                    times.append(t0)
                    staff.append(s)
                times.append(t1)
                staff.append(0)
                if math.isnan(open_day[d]):
                    open_day[d] = t0
                close[d] = t1
                close_staff[d] = s
        # drop pieces that do not change the staff
        t_out: list[float] = []
        s_out: list[int] = []
        for t, s in zip(times, staff, strict=True):
            if s_out and s_out[-1] == s:
                continue
            t_out.append(t)
            s_out.append(s)
        t_out.append(math.inf)
        s_out.append(0)
        self.times, self.staff = t_out, s_out
        cum = [0.0]
        for j in range(len(t_out) - 1):
            seg = t_out[j + 1] - t_out[j] if s_out[j] > 0 else 0.0
            cum.append(cum[-1] + (seg if math.isfinite(seg) else 0.0))
        self.cum = cum
        self.close, self.close_staff, self.open_day = close, close_staff, open_day
        self.rostered = self._rostered(window)

    def _rostered(self, window: tuple[float, float]) -> np.ndarray:
        """Rostered staff-hours in ``window`` per weekday x hour of day (7 x 24, flattened)."""
        out = np.zeros(7 * 24)
        h0, h1 = window
        for j in range(len(self.times) - 1):
            s = self.staff[j]
            if s <= 0:
                continue
            a, b = max(self.times[j], h0), min(self.times[j + 1], h1)
            while a < b:
                d = int(a // HOURS_PER_DAY)
                hour = int(a - d * HOURS_PER_DAY)
                edge = min(b, d * HOURS_PER_DAY + hour + 1)
                out[((self.weekday0 + d) % 7) * 24 + hour] += s * (edge - a)
                a = edge
        return out

    def index(self, t: float, hint: int = 0) -> int:
        """The segment holding time ``t`` (searching forward from ``hint`` when it fits)."""
        times = self.times
        if times[hint] <= t < times[hint + 1]:
            return hint
        if hint + 2 < len(times) and times[hint + 1] <= t < times[hint + 2]:
            return hint + 1
        return bisect.bisect_right(times, t) - 1

    def open_hours(self, t: float) -> float:
        """``W(t)``: hours with staff > 0 from the start to ``t``."""
        j = self.index(t)
        return self.cum[j] + (t - self.times[j] if self.staff[j] > 0 else 0.0)

    def at_open_hours(self, w: float) -> float:
        """The time at which ``W`` reaches ``w`` (inverse of :meth:`open_hours`)."""
        j = bisect.bisect_left(self.cum, w) - 1
        j = max(j, 0)
        while self.staff[j] <= 0 and j + 1 < len(self.times) - 1:
            j += 1
        return self.times[j] + (w - self.cum[j])

    def next_rise(self, t: float, hint: int = 0) -> float:
        """The first time after ``t`` at which the rostered staff go up (inf: never)."""
        j = self.index(t, hint) + 1
        times, staff = self.times, self.staff
        while j < len(times) - 1 and staff[j] <= staff[j - 1]:
            j += 1
        return times[j] if j < len(times) - 1 else math.inf

    def open_spans(self, day: int) -> list[tuple[float, float]]:
        """The spans of ``day`` (hours from the start) with staff > 0, in order."""
        lo, hi = day * HOURS_PER_DAY, (day + 1) * HOURS_PER_DAY
        j = self.index(lo)
        out = []
        times, staff = self.times, self.staff
        while times[j] < hi:
            if staff[j] > 0:
                a, b = max(times[j], lo), min(times[j + 1], hi)
                if b > a:
                    out.append((a, b))
            j += 1
        return out


@functools.lru_cache(maxsize=256)
def _timeline_cached(
    plan_key: tuple, start: dt.date, n_days: int, window: tuple[float, float]
) -> Timeline:
    plan = {t: list(v) for t, v in plan_key}
    return Timeline(plan, day_types(start, n_days), start.weekday(), window)


def timeline(
    location: Location, group: WindowGroup, start: dt.date, n_days: int, window: tuple[float, float]
) -> Timeline:
    """The (shared, read-only) timeline of a window group over ``n_days`` from ``start``."""
    plan = day_plan(location, group)
    key = tuple((t, tuple(v)) for t, v in sorted(plan.items()))
    return _timeline_cached(key, start, n_days, window)


def profile_steps(
    profile: Profile, start: dt.date, n_days: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The arrival weight of ``profile`` as spans ``(starts, ends, weights)`` over ``n_days``.

    Weight of an instant: open(day) x weekday(day) x month(day) x hour weight of its day type
    (see :class:`~sim.scenario.schema.Profile`). Only spans with a positive weight are listed.
    """
    types = day_types(start, n_days)
    admit = {
        "working_days": {WORKDAY},
        "working_days_and_saturdays": {WORKDAY, SATURDAY},
        "all_days": {WORKDAY, SATURDAY, SUNDAY, HOLIDAY},
    }[profile.days]
    hours = {t: profile.hours_of(DAY_TYPES[t]) for t in range(4)}
    starts, ends, weights = [], [], []
    for d in range(n_days):
        t = types[d]
        if t not in admit:
            continue
        date = start + dt.timedelta(d)
        wd = WEEKDAYS[date.weekday()]
        if wd in profile.weekday:
            w_day = profile.weekday[wd]
        else:
            w_day = 1.0 if date.weekday() < 5 or t == WORKDAY else 0.0
        if t == WORKDAY and date.weekday() >= 5 and wd not in profile.weekday:
            w_day = 1.0
        elif t == WORKDAY and date.weekday() >= 5:
            w_day = 1.0  # a make-up working day on a weekend weighs as an ordinary day
        w_day *= profile.month.get(str(date.month), 1.0)
        if w_day <= 0:
            continue
        base = d * HOURS_PER_DAY
        for a, b, w in hours[t]:
            if w > 0:
                starts.append(base + a)
                ends.append(base + b)
                weights.append(w_day * w)
    return np.array(starts), np.array(ends), np.array(weights)


def nhpp_times(
    profile: Profile, start: dt.date, horizon_days: float, per_year: float, unit_exp: np.ndarray
) -> np.ndarray:
    """Arrival times (hours) of a non-homogeneous Poisson process, by inversion.

    The rate is ``per_year x (H / 365) x w(t) / integral of w`` over the horizon of ``H`` days,
    so the expected count is ``per_year x H / 365``; ``unit_exp`` are unit exponentials whose
    cumulative sums are mapped through the inverse of the cumulative rate.
    """
    n_days = int(math.ceil(horizon_days))
    s, e, w = profile_steps(profile, start, n_days)
    horizon_h = horizon_days * HOURS_PER_DAY
    keep = s < horizon_h
    s, e, w = s[keep], np.minimum(e[keep], horizon_h), w[keep]
    mass = (e - s) * w
    total = mass.sum()
    if total <= 0:
        return np.empty(0)
    expected = per_year * horizon_days / 365.0
    cum = np.concatenate([[0.0], np.cumsum(mass)]) * (expected / total)
    arrivals = np.cumsum(unit_exp)
    arrivals = arrivals[arrivals < cum[-1]]
    j = np.searchsorted(cum, arrivals, side="right") - 1
    frac = (arrivals - cum[j]) / (cum[j + 1] - cum[j])
    return s[j] + frac * (e[j] - s[j])


def expected_in(
    profile: Profile, start: dt.date, horizon_days: float, per_year: float, lo: float, hi: float
) -> float:
    """Expected arrivals in ``[lo, hi)`` hours (for tests against the closed form)."""
    n_days = int(math.ceil(horizon_days))
    s, e, w = profile_steps(profile, start, n_days)
    horizon_h = horizon_days * HOURS_PER_DAY
    keep = s < horizon_h
    s, e, w = s[keep], np.minimum(e[keep], horizon_h), w[keep]
    total = ((e - s) * w).sum()
    part = ((np.clip(e, lo, hi) - np.clip(s, lo, hi)) * w).sum()
    return per_year * horizon_days / 365.0 * part / total


def window_loads(sc: Any) -> list[tuple[str, int, float, float]]:
    """The offered load of every window group (copies added up), before anything runs.

    Demand: for every case type and item, arrivals a year x need share x in-person share x
    (present minutes x expected passes + collection share x collection minutes), at the hall a
    case of each home level and area goes to (home, else up the levels); a joint reception
    takes its share of the members' intakes. Capacity: rostered staff-hours of the measurement
    window, scaled to a year. Returns ``(location.group, staff, demand hours, open hours)``.
    """
    from sim.scenario.schema import group_departments

    info = sc.scenario
    levels = list(sc.network.levels)
    areas = {a: v.share for a, v in sc.areas.items()} or {None: 1.0}
    serving: dict[tuple[str, str], str] = {}  # (location, department) -> group
    for lid, loc in sc.locations.items():
        for gid, g in loc.windows.items():
            for dep in group_departments(gid, g):
                for d in sc.departments if dep == "*" else (dep,):
                    serving[(lid, d)] = gid

    def location(level: str, area: str | None) -> str | None:
        best = None
        for lid, loc in sc.locations.items():
            if loc.level == level and loc.area == area:
                return lid
            if loc.level == level and loc.area is None:
                best = lid
        return best

    def served_at(item: Any, home_level: str, area: str | None) -> tuple[str, str] | None:
        start = levels.index(home_level)
        for lv in [*levels[start:], *levels[:start]]:
            if item.levels and lv not in item.levels:
                continue
            lid = location(lv, area)
            if lid is not None and (lid, item.department) in serving:
                return lid, serving[(lid, item.department)]
        return None

    def minutes(dist: Any) -> float:
        return dist.mean * (1.0 if dist.unit == "minutes" else 60.0)

    demand: dict[tuple[str, str], float] = {}
    for ct in sc.case_types.values():
        per_year = getattr(ct.arrivals, "per_year", None)
        if per_year is None:
            per_year = len(ct.arrivals.days) * 365.0 / info.horizon_days
        shares = ct.level_shares or {levels[0]: 1.0}
        members = {m for iid in ct.items for m in sc.items[iid].receives}
        for iid in ct.items:
            it = sc.items[iid]
            if it.kind == "reception":
                work = 0.0
                for m in it.receives:
                    mi = sc.items[m]
                    inperson = mi.probability * (1 - (mi.online_share or 0.0))
                    fp = next((s for s in mi.steps if s.present), None)
                    p = (mi.correction.probability if mi.correction else 0.0) * it.correction_factor
                    if fp is not None:
                        work += inperson * minutes(fp.effort) / max(1 - p, 1e-9)
                work *= it.intake_share
            else:
                inperson = (
                    it.probability
                    * (1.0 if not it.submitted_online else 0.0)
                    * (1 - (it.online_share or 0.0))
                )
                p = it.correction.probability if it.correction else 0.0
                work = 0.0
                for s in it.steps:
                    if s.present and s.effort is not None:
                        if iid in members and s is next(x for x in it.steps if x.present):
                            continue  # received jointly
                        work += minutes(s.effort) / max(1 - p, 1e-9)
                if it.delivery is not None:
                    work += it.delivery.pickup_share * minutes(it.delivery.pickup)
                work *= inperson
            if work <= 0:
                continue
            for lv, share in shares.items():
                for area, a_share in areas.items():
                    where = served_at(it, lv, area)
                    if where is not None:
                        demand[where] = demand.get(where, 0.0) + per_year * share * a_share * work
    out = []
    window = (info.warmup_days * 24.0, info.horizon_days * 24.0)
    years = (window[1] - window[0]) / 24.0 / 365.0
    n_days = int(info.horizon_days + info.drain_days) + 60
    for lid, loc in sc.locations.items():
        for gid, g in loc.windows.items():
            tl = timeline(loc, g, info.start, n_days, window)
            open_h = float(tl.rostered.sum()) * loc.copies / years
            work_h = demand.get((lid, gid), 0.0) / 60.0
            staff = max(tl.staff) * loc.copies
            out.append((f"{lid}.{gid}", staff, work_h, open_h))
    return out
