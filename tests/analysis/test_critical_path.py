"""Critical-path attribution against hand-computed CPM arithmetic and exact identities.

The deterministic networks hold nobody (elapsed delays only), so each case's lead time is its
network's longest path and every slack is the textbook total float (latest finish minus earliest
finish), worked out by hand in each docstring.
"""

from __future__ import annotations

import pytest

import sim
from sim.model import simulate
from sim.model.critical import KINDS
from tests.conftest import base_data, build


def delay(hours: float) -> list[dict]:
    return [{"name": "do", "delay": {"dist": "deterministic", "value": hours, "unit": "hours"}}]


def network(spec: dict[str, tuple[float, list[str]]], **item_over) -> sim.Scenario:
    """One case (arriving on day 1) of a project network of deterministic activities."""
    items = {
        k: {"stage": 1, "department": "desk", "steps": delay(h), "requires": req, **item_over}
        for k, (h, req) in spec.items()
    }
    data = base_data(scenario={"warmup_days": 0})
    data["items"] = items
    data["case_types"]["c"]["items"] = list(items)
    data["case_types"]["c"]["arrivals"] = {"process": "list", "days": [1.0]}
    return build(data)


def critical(trace) -> tuple[dict[str, float], dict[str, tuple[int, int, float]]]:
    cp = trace.meta["critical_path"]
    hours: dict[str, float] = {}
    for _, _kind, _, item, h, _ in cp["pieces"]:
        hours[item] = hours.get(item, 0.0) + h
    items = {item: (cases, crit, slack) for _, item, cases, crit, slack, _ in cp["items"]}
    return hours, items


def test_a_textbook_cpm_network():
    """A(3), B(4); C(2) after A; D(6) after A; E(3) after B, C; F(4) after D, E.

    Forward pass: A 0-3, B 0-4, C 3-5, D 3-9, E 5-8, F 9-13: the project takes 13 hours.
    Backward pass: F 9-13, D 3-9, E 6-9, C 4-6, B 2-6, A 0-3 (min of C's 4 and D's 3).
    Total float (LF - EF): A 0, B 2, C 1, D 0, E 1, F 0; critical path A-D-F.
    """
    spec = {
        "A": (3, []),
        "B": (4, []),
        "C": (2, ["A"]),
        "D": (6, ["A"]),
        "E": (3, ["B", "C"]),
        "F": (4, ["D", "E"]),
    }
    tr = simulate(network(spec))
    assert tr.cases.loc[0, "lead_days"] * 24 == pytest.approx(13)
    hours, items = critical(tr)
    assert hours == pytest.approx({"A": 3, "D": 6, "F": 4})
    slack = {k: v[2] for k, v in items.items()}
    assert slack == pytest.approx({"A": 0, "B": 2, "C": 1, "D": 0, "E": 1, "F": 0})
    assert {k for k, v in items.items() if v[1]} == {"A", "D", "F"}


def test_a_fork_join_is_as_long_as_its_longest_branch():
    """Start (1) forks into branches of 5, 9 and 7 hours that join at End (2).

    The critical path is Start - long - End (12 hours); the others have 9 - 5 = 4 and 9 - 7 = 2
    hours of slack.
    """
    spec = {
        "start": (1, []),
        "short": (5, ["start"]),
        "long": (9, ["start"]),
        "middle": (7, ["start"]),
        "end": (2, ["short", "long", "middle"]),
    }
    tr = simulate(network(spec))
    hours, items = critical(tr)
    assert hours == pytest.approx({"start": 1, "long": 9, "end": 2})
    assert sum(hours.values()) == pytest.approx(tr.cases.loc[0, "lead_days"] * 24)
    slack = {k: v[2] for k, v in items.items()}
    assert slack == pytest.approx({"start": 0, "short": 4, "long": 0, "middle": 2, "end": 0})


def test_skipped_items_pass_the_chain_through():
    """B (not needed) sits between A(2) and C(3); D(10) runs beside: C has 10 - 5 = 5 slack."""
    spec = {"A": (2, []), "B": (4, ["A"]), "C": (3, ["B"]), "D": (10, [])}
    sc = network(spec)
    data = sc.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["items"]["B"]["probability"] = 0.0
    tr = simulate(build(data))
    hours, items = critical(tr)
    assert hours == pytest.approx({"D": 10})
    slack = {k: v[2] for k, v in items.items()}
    assert slack == pytest.approx({"A": 5, "C": 5, "D": 0})


def test_kinds_split_a_visit_into_queueing_work_and_delays():
    """One desk of one staff open round the clock; two cases arrive together.

    Each needs 2 hours of work then a 5-hour notice: the second case queues 2 hours, works 2,
    waits 5 — its critical path is queueing 2, staff work 2, delays 5.
    """
    steps = [
        {"name": "review", "effort": {"dist": "deterministic", "value": 2}},
        {"name": "notice", "delay": {"dist": "deterministic", "value": 5, "unit": "hours"}},
    ]
    data = base_data(scenario={"warmup_days": 0}, items={"job": {"steps": steps}})
    data["case_types"]["c"]["arrivals"] = {"process": "list", "days": [1.0, 1.0]}
    tr = simulate(build(data))
    by_kind = {k: 0.0 for k in KINDS}
    for _, kind, dep, item, h, _ in tr.meta["critical_path"]["pieces"]:
        by_kind[kind] += h
        assert dep == "desk" and item == "job"
    assert by_kind["queueing"] == pytest.approx(2)
    assert by_kind["staff work"] == pytest.approx(4)
    assert by_kind["delays"] == pytest.approx(10)
    assert sum(by_kind.values()) == pytest.approx(tr.cases.eval("finish_h - arrival_h").sum())


@pytest.mark.parametrize("path", ["scenarios/default.toml", "scenarios/pukou/baseline.toml"])
def test_the_pieces_add_up_to_the_lead_times_exactly(path):
    """Calendar hours add up to finish - arrival, working days to lead_wd, for every case."""
    sc = sim.load(path)
    tr = simulate(sc, keep=())
    cp = tr.meta["critical_path"]
    cases = tr.window_cases()
    cases = cases[cases["finished"]]
    assert sum(cp["cases"].values()) == len(cases) > 0
    hours = sum(p[4] for p in cp["pieces"])
    wd = sum(p[5] for p in cp["pieces"])
    assert hours == pytest.approx((cases["finish_h"] - cases["arrival_h"]).sum(), rel=1e-9)
    assert wd == pytest.approx(cases["lead_wd"].sum(), rel=1e-9)
    assert {p[1] for p in cp["pieces"]} <= set(KINDS)
    # every handled item has one slack per case, and critical items are counted at most once
    for _, _, n, crit, slack, slack_wd in cp["items"]:
        assert 0 <= crit <= n and slack >= 0 and slack_wd >= 0


def test_the_same_with_or_without_tables():
    sc = sim.load("scenarios/default.toml")
    a = simulate(sc, keep=()).meta["critical_path"]
    b = simulate(sc).meta["critical_path"]
    assert a == b


def test_where_the_days_go_adds_up_to_the_mean_lead_time():
    """Per level, the days per case add up to the mean lead_wd (pooled over replications)."""
    from sim.analysis import critical

    sc = sim.load("scenarios/default.toml")
    traces = [simulate(sc, keep=(), replication=r) for r in range(3)]
    table = critical.where_the_days_go(traces)
    per_rep = []
    for tr in traces:
        c = tr.window_cases()
        per_rep.append(c.loc[c["finished"], "lead_wd"].mean())
    for level in critical.LEVELS:
        part = table[table["level"] == level]
        assert part["wd_mean"].sum() == pytest.approx(sum(per_rep) / len(per_rep), rel=1e-9)
        assert part["share"].sum() == pytest.approx(1.0, rel=1e-9)
    b = critical.bottleneck(traces)
    deps = table[(table["level"] == "department") & (table["name"] != "")]
    assert b.department == deps.sort_values("share").iloc[-1]["name"]
    slack = critical.item_slack(traces)
    assert ((slack["criticality"] >= 0) & (slack["criticality"] <= 1)).all()
    js = critical.as_json(traces)
    assert js["bottleneck"]["department"] == b.department
    assert {"by_kind", "by_department", "by_item", "items"} <= set(js)


def test_days_lost_are_paired_differences():
    """A scenario against itself loses nothing; halving a notice loses exactly those days."""
    from sim.analysis import critical

    steps = [{"name": "notice", "delay": {"dist": "deterministic", "value": 10}}]
    data = base_data(items={"job": {"steps": steps}})
    base = [simulate(build(data), replication=r) for r in range(3)]
    data["items"]["job"]["steps"][0]["delay"]["value"] = 4
    alt = [simulate(build(data), replication=r) for r in range(3)]
    same = critical.days_lost(base, base)
    assert (same["lost_mean"].abs() < 1e-12).all()
    lost = critical.days_lost(base, alt).set_index("name")
    assert lost.loc["delays", "lost_mean"] == pytest.approx(6.0)


@pytest.mark.parametrize("keep", [(), ("tasks", "activities", "visits")])
def test_quick_cases_have_their_critical_path_too(keep):
    """One item of one step (the engine's fast path): queueing, then staff work, summing exactly."""
    data = base_data(scenario={"warmup_days": 10})
    data["case_types"]["c"]["arrivals"]["per_year"] = 6000
    tr = simulate(build(data), seed=2, keep=keep)
    cp = tr.meta["critical_path"]
    cases = tr.window_cases()
    cases = cases[cases["finished"]]
    assert cp["cases"] == {"c": len(cases)}
    by_kind = {}
    for _, kind, dep, item, h, _ in cp["pieces"]:
        assert (dep, item) == ("desk", "job")
        by_kind[kind] = by_kind.get(kind, 0.0) + h
    assert set(by_kind) == {"queueing", "staff work"}
    lead = (cases["finish_h"] - cases["arrival_h"]).sum()
    assert sum(by_kind.values()) == pytest.approx(lead, rel=1e-9)
    if tr.tasks is not None:
        t = tr.tasks[tr.tasks["case"].isin(cases["case"])]
        assert by_kind["queueing"] == pytest.approx(t["wait_h"].sum(), rel=1e-9)
    assert cp["items"] == [["c", "job", len(cases), len(cases), 0.0, 0.0]]
