"""Levers that only remove work, or add staff, never make any case later under common random
numbers — tested where that is a theorem.

Why it holds here: in a network of single-server first-come-first-served departments where every
case follows the same routing (same items, one department and one staff task per item, no
feedback), the order of cases is the same at every department, and every finish time is a
max-plus expression — a non-decreasing function — of the arrival times, efforts, delays and
transfers; office-hour and working-day arithmetic is non-decreasing too. Common random numbers
give both scenarios the same cases and draws, and these levers only shorten durations, transfers
and practice orderings. At a single desk with exogenous arrivals, an extra server never makes a
FIFO task start later (the Kiefer-Wolfowitz workload recursion is monotone). Without queueing
(ample staff), fewer corrections can only take time away from a case.

Where it does *not* hold, and why the generators avoid it: when a case re-enters a queue (a
second step or a correction at the same department) or cases can overtake each other (several
staff followed by other departments, random delays, blocking problems, priorities), removing work
can reorder a queue and delay some other case — the scheduling anomalies of Graham (1969);
hypothesis finds such cases within seconds when the generators allow them, and even the mean can
rise. Levers that change routing (regional assessment, coordination, joint intake) are therefore
checked for their direction on average in ``test_levers.py``, not case by case here.
"""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.model import simulate
from sim.reforms import apply
from tests.conftest import build

NETWORK_LEVERS = [
    ("data_sharing", {"intake_factor": 0.3, "correction_factor": 1.0}),
    ("online", {}),
    ("colocation", {"departments": ["d0", "d1"]}),
    ("intermediaries_in_zone", {"factor": 0.5}),
    ("parallel_approval", {"joint_intake": False}),
]
HOURS = st.sampled_from(["always", "09:00-12:00,13:30-17:30"])


def effort(draw, lo=0.2, hi=4.0):
    return {"dist": "gamma", "mean": draw(st.floats(lo, hi)), "cv": draw(st.floats(0.2, 1.5))}


@st.composite
def networks(draw):
    n = draw(st.integers(2, 5))
    deps = {
        f"d{k}": {
            "staff": 1,
            "location": draw(st.sampled_from(["zone", "office"])),
            "transfer_days": draw(st.sampled_from([0, 1, 2])),
            "office_hours": draw(HOURS),
        }
        for k in range(n)
    }
    items = {}
    for k in range(n):
        steps = [{"name": "intake", "effort": effort(draw)}]  # one staff task per item
        if draw(st.booleans()):  # the same delay for every case keeps their order
            steps.append(
                {
                    "name": "notice",
                    "delay": {
                        "dist": "deterministic",
                        "value": draw(st.floats(0.5, 3)),
                        "unit": "working_days",
                    },
                }
            )
        earlier = [f"i{j}" for j in range(k)]
        requires = [e for e in earlier if draw(st.booleans())]
        items[f"i{k}"] = {
            "stage": min(4, 1 + k // 2),
            "department": f"d{k}",
            "steps": steps,
            "kind": draw(st.sampled_from(["approval", "intermediary"])),
            "online": draw(st.booleans()),
            "requires": requires,
            "after": [e for e in earlier if e not in requires and draw(st.booleans())],
        }
    return build(
        {
            "scenario": {
                "name": "net",
                "start": "2025-03-03",
                "horizon_days": 120,
                "drain_days": 2000,
            },
            "departments": deps,
            "items": items,
            "case_types": {
                "c": {
                    "arrivals": {"process": "poisson", "per_year": draw(st.floats(20, 200))},
                    "items": list(items),
                }
            },
        }
    )


@st.composite
def single_desks(draw, staff: int | None = None, corrections: bool = False):
    item = {
        "stage": 1,
        "department": "d0",
        "steps": [{"name": "intake", "effort": effort(draw, 1.0, 6.0)}],
    }
    if corrections:
        item["steps"].append(
            {
                "name": "notice",
                "delay": {"dist": "uniform", "low": 0.5, "high": 3, "unit": "working_days"},
            }
        )
        item["correction"] = {
            "probability": draw(st.floats(0, 0.7)),
            "turnaround": {"dist": "exponential", "mean": 3, "unit": "working_days"},
        }
    return build(
        {
            "scenario": {
                "name": "desk",
                "start": "2025-03-03",
                "horizon_days": 200,
                "drain_days": 2000,
            },
            "departments": {
                "d0": {"staff": staff or draw(st.integers(1, 3)), "office_hours": draw(HOURS)}
            },
            "items": {"i0": item},
            "case_types": {
                "c": {
                    "arrivals": {"process": "poisson", "per_year": draw(st.floats(50, 450))},
                    "items": ["i0"],
                }
            },
        }
    )


def assert_no_case_later(sc, new, seed):
    before = simulate(sc, seed=seed).cases
    after = simulate(new, seed=seed).cases
    assert before["finished"].all() and after["finished"].all()
    assert (after["finish_h"].to_numpy() <= before["finish_h"].to_numpy() + 1e-6).all()
    assert after["lead_wd"].mean() <= before["lead_wd"].mean() + 1e-9


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=networks(), lever=st.sampled_from(NETWORK_LEVERS), seed=st.integers(0, 10**6))
def test_removing_work_in_a_fifo_network_never_makes_a_case_later(sc, lever, seed):
    name, params = lever
    new, _ = apply(sc, name, **params)
    assert_no_case_later(sc, new, seed)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(sc=single_desks(), seed=st.integers(0, 10**6), more=st.integers(1, 2))
def test_more_staff_at_a_desk_never_makes_a_case_later(sc, seed, more):
    new, _ = apply(sc, "staffing", add={"d0": more})
    assert_no_case_later(sc, new, seed)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    sc=single_desks(staff=500, corrections=True), seed=st.integers(0, 10**6), factor=st.floats(0, 1)
)
def test_fewer_corrections_never_make_a_case_later(sc, seed, factor):
    new, _ = apply(sc, "data_sharing", intake_factor=1.0, correction_factor=factor)
    assert_no_case_later(sc, new, seed)
