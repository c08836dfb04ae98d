"""Fork-join precedence: with deterministic durations and no queueing, the lead time of a case is
exactly the longest path through its item graph."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model import simulate
from tests.conftest import base_data, build


def graph_scenario(durations: dict[str, float], edges: dict[str, list[str]], kind: str = "effort"):
    items = {}
    for name, hours in durations.items():
        step = (
            {"name": "work", "effort": hours}
            if kind == "effort"
            else {
                "name": "wait",
                "delay": {"dist": "deterministic", "value": hours, "unit": "hours"},
            }
        )
        items[name] = {
            "stage": 1,
            "department": "desk",
            "steps": [step],
            "requires": edges.get(name, []),
        }
    return build(
        base_data(
            departments={"desk": {"staff": 50}},
            items=items,
            case_types={
                "c": {"arrivals": {"process": "list", "days": [1.0]}, "items": list(durations)}
            },
        )
    )


def longest_path(durations, edges) -> float:
    finish: dict[str, float] = {}

    def f(n: str) -> float:
        if n not in finish:
            finish[n] = durations[n] + max((f(p) for p in edges.get(n, [])), default=0.0)
        return finish[n]

    return max(f(n) for n in durations)


def lead_hours(sc) -> float:
    c = simulate(sc).cases.iloc[0]
    return c["finish_h"] - c["arrival_h"]


@pytest.mark.parametrize("kind", ["effort", "delay"])
def test_diamond(kind):
    d = {"a": 2.0, "b": 5.0, "c": 3.0, "d": 1.0}
    e = {"b": ["a"], "c": ["a"], "d": ["b", "c"]}
    assert lead_hours(graph_scenario(d, e, kind)) == pytest.approx(8.0)


@st.composite
def dags(draw):
    n = draw(st.integers(1, 7))
    names = [f"i{k}" for k in range(n)]
    durations = {m: draw(st.floats(0.0, 50.0)) for m in names}
    edges = {}
    for k, m in enumerate(names):
        edges[m] = [p for p in names[:k] if draw(st.booleans())]
    return durations, edges


@settings(max_examples=40, deadline=None)
@given(dags())
def test_random_dag_lead_time_is_its_longest_path(g):
    durations, edges = g
    assert lead_hours(graph_scenario(durations, edges)) == pytest.approx(
        longest_path(durations, edges), abs=1e-6
    )


def test_item_missing_from_a_case_keeps_transitive_order():
    """If a case skips item b of a -> b -> c, c still waits for a."""
    d = {"a": 4.0, "b": 100.0, "c": 1.0}
    sc = graph_scenario(d, {"b": ["a"], "c": ["b"]})
    data = sc.model_dump(by_alias=True)
    data["case_types"]["c"]["items"] = ["a", "c"]
    assert lead_hours(build(data)) == pytest.approx(5.0)


def test_permutations_of_item_order_do_not_matter():
    d = {"a": 2.0, "b": 7.0, "c": 3.0}
    e = {"c": ["a", "b"]}
    results = set()
    for order in itertools.permutations(d):
        results.add(round(lead_hours(graph_scenario({k: d[k] for k in order}, e)), 9))
    assert results == {10.0}
