"""Fuzzing the loader: whatever a file says, the outcome is a scenario or a clean ScenarioError.

Mutations start from the bundled default scenario: values replaced by values of other types or
garbage, keys deleted, unknown keys added, and the text cut short at any point.
"""

from __future__ import annotations

import copy
import tomllib
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sim

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "default.toml"
TEXT = DEFAULT.read_text(encoding="utf-8")
DATA = tomllib.loads(TEXT)


def paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for k, v in node.items():
            out += paths(v, (*prefix, k))
    elif isinstance(node, list):
        for n, v in enumerate(node):
            out += paths(v, (*prefix, n))
    return out


ALL_PATHS = paths(DATA)

garbage = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True),
    st.text(max_size=20),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=2),
    st.sampled_from(["", "always", "zone", "nowhere", "gamma", "09:00-08:00", "-1", "NaN"]),
)


def outcome_is_clean(data: dict) -> None:
    try:
        sc = sim.from_dict(data, source="fuzz.toml")
    except sim.ScenarioError as exc:
        assert exc.problems, "a ScenarioError must carry at least one problem"
        for p in exc.problems:
            assert p.file == "fuzz.toml" and p.message
    else:
        assert isinstance(sc, sim.Scenario)


def get_parent(data, path):
    node = data
    for k in path[:-1]:
        node = node[k]
    return node


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(path=st.sampled_from(ALL_PATHS), value=garbage)
def test_replaced_value(path, value):
    data = copy.deepcopy(DATA)
    get_parent(data, path)[path[-1]] = value
    outcome_is_clean(data)


@settings(max_examples=150, deadline=None)
@given(path=st.sampled_from(ALL_PATHS))
def test_deleted_key(path):
    data = copy.deepcopy(DATA)
    del get_parent(data, path)[path[-1]]
    outcome_is_clean(data)


@settings(max_examples=100, deadline=None)
@given(
    path=st.sampled_from([p for p in ALL_PATHS if isinstance(p[-1], str)]),
    key=st.text(min_size=1, max_size=8),
    value=garbage,
)
def test_unknown_key(path, key, value):
    data = copy.deepcopy(DATA)
    parent = get_parent(data, path)
    if isinstance(parent, dict):
        parent[key] = value
    outcome_is_clean(data)


@settings(max_examples=100, deadline=None)
@given(cut=st.integers(0, len(TEXT)))
def test_truncated_text(cut, tmp_path_factory):
    path = tmp_path_factory.mktemp("fuzz") / "cut.toml"
    path.write_text(TEXT[:cut], encoding="utf-8")
    try:
        sim.load(path)
    except sim.ScenarioError as exc:
        assert exc.problems
