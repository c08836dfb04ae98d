"""Routing, caps, policy as data and the reform indicators: exact outcomes on small cases."""

from __future__ import annotations

import copy

import numpy as np
import pandas as pd
import pytest

import sim
from sim.analysis.summary import per_replication
from sim.model import MemorySink, NullSink, simulate
from tests.conftest import base_data, build

ONE_CASE = {"c": {"arrivals": {"process": "list", "days": [1.0]}}}


def hours(v: float) -> dict:
    return {"dist": "deterministic", "value": v, "unit": "hours"}


def wdays(v: float) -> dict:
    return {"dist": "deterministic", "value": v, "unit": "working_days"}


def item(effort: float = 1.0, **over) -> dict:
    return {"stage": 1, "department": "desk", "steps": [{"name": "r", "effort": effort}], **over}


def world(
    items: dict, case_items=None, top: dict | None = None, milestones=None, **case_over
) -> sim.Scenario:
    data = base_data(departments={"desk": {"staff": 5}}, case_types=copy.deepcopy(ONE_CASE))
    if milestones:
        data["scenario"]["milestones"] = milestones
    data["items"] = items
    data["case_types"]["c"]["items"] = case_items or list(items)
    data["case_types"]["c"].update(case_over)
    data.update(top or {})
    return build(data)


def only_case(sc, **kw) -> pd.Series:
    return simulate(sc, **kw).cases.iloc[0]


# -- routing -------------------------------------------------------------------------------------


def test_a_branch_runs_the_chosen_item_and_skips_the_other():
    items = {
        "a": item(1.0, next=[{"to": "b", "probability": 1.0}, {"to": "c", "probability": 0.0}]),
        "b": item(2.0, requires=["a"]),
        "c": item(50.0, requires=["a"]),
        "d": item(1.0, requires=["b", "c"]),
    }
    tr = simulate(world(items))
    assert sorted(tr.tasks["item"].astype(str)) == ["a", "b", "d"]
    c = tr.cases.iloc[0]
    assert c["finish_h"] - c["arrival_h"] == pytest.approx(4.0)  # a, b, d: c is skipped
    assert c["visits"] == 3


def test_the_remainder_carries_on_and_skips_every_branch():
    items = {
        "a": item(1.0, next=[{"to": "b", "probability": 0.0}]),
        "b": item(2.0, requires=["a"]),
        "c": item(3.0, requires=["a"]),
    }
    tr = simulate(world(items))
    assert sorted(tr.tasks["item"].astype(str)) == ["a", "c"]


def test_a_loop_is_drawn_afresh_at_every_visit_until_it_leaves():
    """A self-loop with p = 0.5: visits are geometric with mean 2, no cap needed."""
    data = base_data(
        departments={"desk": {"staff": 50}},
        items={
            "job": {
                "steps": [{"name": "r", "effort": 0.1}],
                "next": [{"to": "job", "probability": 0.5}],
            }
        },
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": 5000}}},
    )
    cases = simulate(build(data), seed=2).cases
    v = cases["visits"].to_numpy(float)
    assert v.max() > 6
    se = v.std(ddof=1) / np.sqrt(len(v))
    assert abs(v.mean() - 2.0) < 4 * se
    assert not cases["capped"].any()


def test_a_loop_redoes_the_items_between_and_reopens_the_branches_it_skipped():
    """a -> (b | c); c loops back to a once: a, c, a, then the second choice."""
    items = {
        "a": item(1.0, next=[{"to": "c", "probability": 1.0}, {"to": "b", "probability": 0.0}]),
        "b": item(10.0, requires=["a"]),
        "c": item(2.0, requires=["a"], next=[{"to": "a", "probability": 1.0}], max_visits=2),
    }
    tr = simulate(world(items))
    c = tr.cases.iloc[0]
    assert list(tr.visits.sort_values("done_h")["item"].astype(str)) == ["a", "c", "a", "c"]
    assert c["capped"] and tr.meta["capped_cases"] == 1
    assert c["finish_h"] - c["arrival_h"] == pytest.approx(6.0)


def test_released_by_walks_back_the_critical_path():
    """a (1 h) forks to b (5 h) and c (2 h); d joins them: d was released by b's visit."""
    items = {
        "a": item(1.0),
        "b": item(5.0, requires=["a"]),
        "c": item(2.0, requires=["a"]),
        "d": item(1.0, requires=["b", "c"]),
    }
    v = simulate(world(items)).visits
    by_item = v.set_index(v["item"].astype(str))
    path, row = [], int(v.index[v["item"] == "d"][0])
    while row >= 0:
        path.append(str(v.loc[row, "item"]))
        row = int(v.loc[row, "released_by"])
    assert path == ["d", "b", "a"]
    assert by_item.loc["d", "ready_h"] == pytest.approx(by_item.loc["b", "done_h"])


# -- caps: none by default, and a cap that bites says so ----------------------------------------


def test_a_certain_correction_without_a_cap_would_never_end_so_the_cap_is_reported():
    corr = {"probability": 1.0, "max_rounds": 3, "turnaround": hours(1)}
    tr = simulate(world({"a": item(1.0, correction=corr)}))
    c = tr.cases.iloc[0]
    assert c["corrections"] == 3 and c["capped"]
    assert tr.meta["capped_cases"] == 1
    rows = per_replication([tr])
    share = rows[(rows["metric"] == "capped_share") & (rows["group"] == "all")]["value"]
    assert share.iloc[0] == 1.0


def test_caps_default_to_none():
    s = world({"a": item(1.0, correction={"probability": 0.5})})
    assert s.items["a"].correction.max_rounds is None
    assert s.items["a"].max_visits is None


def test_a_rework_cap_cuts_the_loop_and_marks_the_case():
    items = {
        "a": item(1.0),
        "b": item(1.0, requires=["a"], rework={"probability": 1.0, "to": "a", "max_rounds": 2}),
    }
    tr = simulate(world(items))
    c = tr.cases.iloc[0]
    assert c["reworks"] == 2 and c["capped"] and c["visits"] == 6


# -- policy as data ------------------------------------------------------------------------------


def test_stages_are_data_and_give_one_column_each():
    names = [{"zh": "一", "en": "one"}, {"zh": "二", "en": "two"}, {"zh": "三", "en": "three"}]
    items = {"a": item(1.0, stage=1), "b": item(2.0, stage=3, requires=["a"])}
    sc = world(items, top={"stages": names})
    c = only_case(sc)
    assert {"stage1_wd", "stage2_wd", "stage3_wd"} <= set(c.index) and "stage4_wd" not in c.index
    assert np.isnan(c["stage2_wd"])
    assert sc.stage_name(3, "zh") == "三"


def test_undeclared_stages_are_numbered_by_the_largest_used():
    sc = world({"a": item(1.0, stage=6)})
    assert sc.n_stages == 6 and "stage6_wd" in only_case(sc).index


def test_intervals_measure_between_milestones_in_the_unit_asked():
    items = {
        "a": item(1.0),
        "wait": {
            "kind": "applicant",
            "requires": ["a"],
            "steps": [
                {
                    "name": "w",
                    "delay": {"dist": "deterministic", "value": 3, "unit": "calendar_days"},
                }
            ],
        },
        "b": item(1.0, requires=["wait"]),
    }
    top = {
        "intervals": {
            "a_to_b_days": {"from": "a_done", "to": "b_done", "unit": "calendar_days"},
            "to_a_days": {"to": "a_done", "unit": "calendar_days"},
        }
    }
    sc = world(items, top=top, milestones={"a_done": "a", "b_done": "b"})
    c = only_case(sc)
    assert c["a_to_b_days"] == pytest.approx(3 + 1 / 24)
    assert c["to_a_days"] == pytest.approx(1 / 24)
    rows = per_replication([simulate(sc)])
    assert set(rows["metric"]) >= {"a_to_b_days", "to_a_days"}


def test_the_clock_rules_are_data():
    items = {
        "study": item(0, kind="intermediary", steps=[{"name": "w", "delay": wdays(3)}]),
        "permit": item(0, requires=["study"], steps=[{"name": "r", "delay": wdays(2)}]),
    }
    law = only_case(world(items))
    assert law["clock_wd"] == pytest.approx(2.0)
    jiangsu = only_case(world(items, top={"clock": {"kinds": ["approval", "intermediary"]}}))
    assert jiangsu["clock_wd"] == pytest.approx(5.0)
    items["study"]["clock"] = True  # the item's own flag overrides its kind
    assert only_case(world(items))["clock_wd"] == pytest.approx(5.0)


def test_targets_are_validated_against_the_measures():
    target = {"name": "x", "metric": "clock_wd", "value": 100, "source": "a notice"}
    assert world({"a": item()}, top={"targets": [target]}).targets[0].value == 100
    with pytest.raises(sim.ScenarioError, match=r"targets\[0\]\.metric: unknown measure 'nope'"):
        world({"a": item()}, top={"targets": [{**target, "metric": "nope"}]})


# -- reform indicators ---------------------------------------------------------------------------


def test_time_limits_mark_overdue_visits_on_the_items_own_clock():
    items = {
        "fast": item(0, steps=[{"name": "r", "delay": wdays(2)}], time_limit_wd=3),
        "slow": item(
            0,
            steps=[
                {"name": "r", "delay": wdays(4)},
                {"name": "x", "delay": wdays(9), "clock": False},
            ],
            time_limit_wd=3,
        ),
    }
    tr = simulate(world(items))
    c = tr.cases.iloc[0]
    assert (c["items_timed"], c["items_overdue"]) == (2, 1)
    v = tr.visits.set_index(tr.visits["item"].astype(str))
    assert v.loc["slow", "clock_wd"] == pytest.approx(4.0) and v.loc["slow", "overdue"]
    rows = per_replication([tr])
    assert (
        rows[(rows["metric"] == "overdue_share") & (rows["group"] == "all")]["value"].iloc[0] == 0.5
    )


def test_agents_trips_are_not_the_applicants_and_one_trip_share_counts_items():
    corr = {"probability": 1.0, "max_rounds": 1, "turnaround": hours(1)}
    deps = {"desk": {"staff": 5, "location": "office"}}
    data = base_data(departments=deps, case_types=copy.deepcopy(ONE_CASE))
    data["items"] = {
        "a": item(1.0, correction=corr),  # two trips: not one trip
        "b": item(1.0, requires=["a"]),  # one trip
        "c": item(1.0, requires=["a"], submitted_by="agent", correction=corr),  # the agent's
    }
    data["case_types"]["c"]["items"] = ["a", "b", "c"]
    c = only_case(build(data))
    assert (c["trips"], c["agent_trips"]) == (3, 2)
    assert (c["items_handled"], c["items_one_trip"]) == (3, 2)


def test_flags_decide_which_cases_need_an_item():
    items = {"a": item(1.0), "r": item(1.0, when=["riverside"])}
    for share, expected in ((1.0, 2), (0.0, 1)):
        sc = world(items, flags={"riverside": share})
        assert only_case(sc)["visits"] == expected
    with pytest.raises(sim.ScenarioError, match=r"items\.r\.when\[0\]: unknown flag 'riverside'"):
        world(items)


@pytest.mark.parametrize(
    ("over", "message"),
    [
        (
            {"b": {"next": [{"to": "z", "probability": 0.5}]}},
            r"items\.b\.next\[0\]\.to: unknown item 'z'",
        ),
        (
            {"a": {"next": [{"to": "c", "probability": 0.5}]}},
            r"items\.a\.next\[0\]\.to: 'c' is neither",
        ),
        (
            {
                "b": {
                    "next": [{"to": "a", "probability": 0.7}],
                    "rework": {"to": "a", "probability": 0.1},
                }
            },
            "both send the case",
        ),
        (
            {"b": {"next": [{"to": "a", "probability": 0.7}, {"to": "b", "probability": 0.4}]}},
            "add up to 1.1",
        ),
    ],
)
def test_bad_routes_are_refused_with_their_key_path(over, message):
    items = {"a": item(), "b": item(requires=["a"]), "c": item()}
    for k, v in over.items():
        items[k] = {**items[k], **v}
    with pytest.raises(sim.ScenarioError, match=message):
        world(items)


def test_a_stage_beyond_the_declared_ones_is_refused():
    with pytest.raises(sim.ScenarioError, match=r"items\.a\.stage: stage 3 is not declared"):
        world({"a": item(stage=3)}, top={"stages": ["one", "two"]})


# -- Trace v2: sinks, chunks, kept tables, departments ------------------------------------------


def test_tables_in_small_chunks_equal_tables_in_one(monkeypatch):
    sc = build(
        base_data(
            departments={"desk": {"staff": 2}}, items={"job": {"correction": {"probability": 0.3}}}
        )
    )
    whole = simulate(sc, seed=4)
    monkeypatch.setattr("sim.model.tables.CHUNK_ROWS", 7)
    chunked = simulate(sc, seed=4)
    for name in ("cases", "tasks", "activities", "visits", "departments"):
        pd.testing.assert_frame_equal(getattr(whole, name), getattr(chunked, name))


def test_what_is_not_kept_is_not_recorded():
    sc = build(base_data())
    tr = simulate(sc, keep=("visits",))
    assert tr.tasks is None and tr.activities is None and len(tr.visits) == len(tr.cases)
    nothing = simulate(sc, sink=NullSink(), keep=())
    assert nothing.tasks is None and nothing.visits is None
    pd.testing.assert_frame_equal(nothing.cases, tr.cases)
    pd.testing.assert_frame_equal(nothing.departments, tr.departments)


def test_a_sink_receives_every_row_in_chunks():
    class Counting(MemorySink):
        def __init__(self):
            super().__init__()
            self.chunks = 0

        def write(self, name, chunk):
            self.chunks += 1
            super().write(name, chunk)

    sink = Counting()
    tr = simulate(build(base_data()), sink=sink)
    assert set(sink.names) == {"cases", "tasks", "activities", "visits", "departments"}
    pd.testing.assert_frame_equal(sink.frame("tasks"), tr.tasks)
    assert sink.chunks >= 5


def test_the_case_table_placed_by_case_number_equals_the_sorted_chunks():
    """The trace's own case table is written row by row into its place (no chunks held, no
    sort): the same columns, types and values as the chunks a sink receives, sorted by case."""
    data = base_data(
        scenario={"horizon_days": 200},
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": 3000}}},
    )
    data["departments"]["desk"]["staff"] = 2
    sink = MemorySink()  # no index: chunks in the order cases closed
    tr = simulate(build(data), seed=5, sink=sink)
    chunks = sink.frame("cases")
    assert not chunks["case"].is_monotonic_increasing  # cases do close out of order here
    by_case = chunks.sort_values("case", kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(tr.cases, by_case)
    tr.cases.loc[0, "trips"] = 99  # the columns are the trace's own: writable


def test_departments_added_up_during_the_run_match_the_task_table():
    """Office hours, a warm-up window and queues: utilisation and waits from the task table."""
    data = base_data(
        scenario={"horizon_days": 120, "warmup_days": 20},
        departments={"desk": {"staff": 2, "office_hours": "09:00-12:00,13:30-17:30"}},
        items={"job": {"steps": [{"name": "r", "effort": {"dist": "exponential", "mean": 6.0}}]}},
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": 500}}},
    )
    m = sim.Model(build(data), seed=9)
    tr = m.run()
    t, d = tr.tasks, tr.departments.iloc[0]
    h0, h1 = tr.meta["warmup_h"], tr.meta["horizon_h"]
    clock = m.departments[0].clock
    busy = np.clip(
        clock.open_hours_array(np.minimum(t["finished_h"], h1))
        - clock.open_hours_array(np.maximum(t["started_h"], h0)),
        0,
        None,
    ).sum()
    inside = (t["queued_h"] >= h0) & (t["queued_h"] < h1)
    assert d["busy_hours"] == pytest.approx(busy)
    assert d["tasks"] == inside.sum()
    assert d["mean_wait_h"] == pytest.approx(t.loc[inside, "wait_h"].mean())
    waiting = np.clip(np.minimum(t["started_h"], h1) - np.maximum(t["queued_h"], h0), 0, None)
    assert d["mean_queue"] == pytest.approx(waiting.sum() / (h1 - h0))
    assert d["max_queue"] >= 1


# -- requests of the Pukou scenarios (negated flags, flag columns, milestone variants, type edges)


def test_a_negated_flag_gives_the_other_cases_their_own_variant():
    items = {
        "land": item(1.0, when=["!early"]),
        "land_early": item(1.0, when=["early"]),
        "permit": item(2.0, requires=["land", "land_early"]),
    }
    for share, ran in ((1.0, ["land_early", "permit"]), (0.0, ["land", "permit"])):
        sc = world(items, flags={"early": share}, milestones={"land": ["land", "land_early"]})
        tr = simulate(sc)
        assert sorted(tr.tasks["item"].astype(str)) == ran
        c = tr.cases.iloc[0]
        assert bool(c["flag_early"]) is (share == 1.0)  # the flag is a column of the cases table
        assert c["land_h"] == pytest.approx(c["arrival_h"] + 1.0)  # the variant it took


def test_a_skipped_item_sets_no_milestone():
    items = {"a": item(1.0), "b": item(1.0, requires=["a"], when=["x"])}
    c = only_case(world(items, flags={"x": 0.0}, milestones={"b_done": "b"}))
    assert np.isnan(c["b_done_h"])
    assert bool(c["flag_x"]) is False


def test_case_type_requires_hold_only_in_that_type():
    data = base_data(departments={"desk": {"staff": 5}})
    data["items"] = {"a": item(3.0), "b": item(1.0)}
    data["case_types"] = {
        "chain": {
            "arrivals": {"process": "list", "days": [1.0]},
            "items": ["a", "b"],
            "requires": {"b": ["a"]},
        },
        "free": {"arrivals": {"process": "list", "days": [1.0]}, "items": ["a", "b"]},
    }
    cases = simulate(build(data)).cases.set_index("case_type")
    assert cases.loc["chain", "finish_h"] - cases.loc["chain", "arrival_h"] == pytest.approx(4.0)
    assert cases.loc["free", "finish_h"] - cases.loc["free", "arrival_h"] == pytest.approx(3.0)


@pytest.mark.parametrize(
    ("requires", "message"),
    [
        ({"b": ["z"]}, r"case_types\.c\.requires\.b\[0\]: 'z' is not an item of case type 'c'"),
        ({"z": ["a"]}, r"case_types\.c\.requires\.z: 'z' is not an item of case type 'c'"),
        ({"b": ["b"]}, r"case_types\.c\.requires\.b\[0\]: an item cannot require itself"),
        ({"a": ["b"]}, r"case_types\.c\.requires: these prerequisites form a cycle"),
    ],
)
def test_bad_case_type_requires_are_refused(requires, message):
    items = {"a": item(1.0), "b": item(1.0, requires=["a"])}
    with pytest.raises(sim.ScenarioError, match=message):
        world(items, requires=requires)


def test_an_unknown_negated_flag_is_refused():
    with pytest.raises(sim.ScenarioError, match=r"items\.a\.when\[0\]: unknown flag 'nope'"):
        world({"a": item(1.0, when=["!nope"])}, flags={"x": 0.5})


@pytest.mark.parametrize("office", ["always", "09:00-12:00,13:30-17:30"])
def test_the_fast_path_gives_the_same_tables_as_the_general_walk(monkeypatch, office):
    data = base_data(
        scenario={
            "horizon_days": 60,
            "warmup_days": 5,
            "drain_days": 0,
            "milestones": {"served": "job"},
        },
        departments={"desk": {"staff": 2, "office_hours": office, "location": "zone"}},
        items={
            "job": {
                "stage": 2,
                "steps": [{"name": "r", "effort": {"dist": "gamma", "mean": 3, "cv": 1}}],
            }
        },
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": 2000}, "priority": 1}},
    )
    data["case_types"]["d"] = {
        "arrivals": {"process": "poisson", "per_year": 300},
        "items": ["job"],
    }
    data["intervals"] = {"to_served": {"to": "served", "unit": "calendar_days"}}
    sc = build(data)
    assert all(cp.quick for cp in sim.Model(sc).plan.cases)
    fast = simulate(sc, seed=3)
    monkeypatch.setattr("sim.model.engine.QUICK", False)
    slow = simulate(sc, seed=3)
    assert fast.meta["unfinished_cases"] > 0  # the end of the run is covered too
    for name in ("cases", "visits", "activities", "departments"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name))
    # the fast path writes a task with its case (when done), the walk when it is taken up
    order = ["case", "started_h"]
    pd.testing.assert_frame_equal(
        fast.tasks.sort_values(order, ignore_index=True),
        slow.tasks.sort_values(order, ignore_index=True),
    )


def test_quick_and_walking_cases_share_one_visit_numbering(monkeypatch):
    """A quick type beside a walking one, in chunks of 5 rows: the same tables either way."""
    data = base_data(
        departments={"desk": {"staff": 2}},
        items={"job": {"steps": [{"name": "r", "effort": {"dist": "exponential", "mean": 2}}]}},
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": 1500}}},
    )
    data["items"]["more"] = {
        "stage": 1,
        "department": "desk",
        "requires": ["job"],
        "steps": [{"name": "r", "effort": 1.0}],
        "correction": {"probability": 0.3, "turnaround": hours(5)},
    }
    data["case_types"]["w"] = {
        "arrivals": {"process": "poisson", "per_year": 400},
        "items": ["job", "more"],
    }
    sc = build(data)
    monkeypatch.setattr("sim.model.tables.CHUNK_ROWS", 5)
    fast = simulate(sc, seed=8)
    monkeypatch.setattr("sim.model.engine.QUICK", False)
    slow = simulate(sc, seed=8)
    for name in ("cases", "visits", "departments"):
        pd.testing.assert_frame_equal(getattr(fast, name), getattr(slow, name))
    v = fast.visits
    assert (v["done_h"].diff().dropna() >= 0).all()  # numbered as they finish
    walked = v[v["released_by"] >= 0]
    assert len(walked) and (walked["released_by"] < walked.index).all()


def test_the_cases_table_keeps_its_types_when_sorted():
    data = base_data(
        departments={"desk": {"staff": 3}},
        case_types={"c": {"arrivals": {"process": "poisson", "per_year": 3000}}},
    )
    cases = simulate(build(data), seed=1).cases
    assert (cases["case"].diff().dropna() == 1).all()
    assert isinstance(cases["case_type"].dtype, pd.CategoricalDtype)
    assert cases["arrival"].dtype.kind == "M" and cases["finished"].dtype == bool
