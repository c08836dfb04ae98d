"""The front door refuses every unbounded or hostile input cleanly, and changes nothing it is given.

Issue 12 (bounded inputs, inert messages, paths kept inside the scenario's folder) and issue 14.3
(one front door: levers checked, CSVs read, the caller's dict never mutated).
"""

from __future__ import annotations

import copy
import datetime as dt
import math
import os
import signal
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
import sim.scenario
from sim.model import simulate
from sim.reforms import apply_all
from sim.scenario import feasibility as fz
from sim.scenario import load as ld

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "default.toml"
TEXT = DEFAULT.read_text(encoding="utf-8")
DATA = tomllib.loads(TEXT)


@pytest.fixture
def alarm():
    """Fail instead of hanging: whatever runs under it must end within 30 s (wall time)."""

    def ring(signum, frame):
        raise TimeoutError("hung for 30 s")

    old = signal.signal(signal.SIGALRM, ring)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def error_of(call) -> sim.ScenarioError:
    with pytest.raises(sim.ScenarioError) as info:
        call()
    return info.value


# --------------------------------------------------------------------------- one front door


def test_the_submodule_is_not_shadowed():
    assert isinstance(sim.scenario.load, type(sim))  # the module, not the function
    assert not hasattr(sim.scenario, "from_dict")


def test_from_dict_checks_levers():
    data = copy.deepcopy(DATA)
    data["reforms"] = {"teleport": {"speed": 9}}
    assert "reforms.teleport: unknown lever" in str(error_of(lambda: sim.from_dict(data)))


def test_csv_without_a_folder_is_an_error_and_with_one_is_read(tmp_path):
    (tmp_path / "dates.csv").write_text("date\n2025-03-05\n2025-03-10\n", encoding="utf-8")
    data = copy.deepcopy(DATA)
    data["case_types"]["industrial"]["arrivals"] = {"process": "csv", "file": "dates.csv"}
    before = copy.deepcopy(data)
    msg = str(error_of(lambda: sim.from_dict(data, source="s.toml")))
    assert "s.toml: case_types.industrial.arrivals.file" in msg and "base_dir" in msg
    sc = sim.from_dict(data, source="s.toml", base_dir=tmp_path)
    assert sc.case_types["industrial"].arrivals.days == (2.0, 7.0)
    assert data == before  # the CSV table of the caller's dict is not replaced
    assert len(simulate(sc).cases.query("case_type == 'industrial'")) == 2


@settings(max_examples=60, deadline=2000)
@given(
    csv_types=st.sets(st.sampled_from(sorted(DATA["case_types"]))),
    seed=st.integers(0, 2**63 - 1),
    staff=st.integers(1, 50),
    reform=st.sampled_from([None, {"online": {}}, {"colocation": {"departments": ["housing"]}}]),
)
def test_the_callers_data_is_never_mutated(tmp_path_factory, csv_types, seed, staff, reform):
    folder = tmp_path_factory.mktemp("csv")
    (folder / "a.csv").write_text("date\n2025-03-05\n", encoding="utf-8")
    data = copy.deepcopy(DATA)
    for cid in csv_types:
        data["case_types"][cid]["arrivals"] = {"process": "csv", "file": "a.csv"}
    data["experiment"] = {"seed": seed}
    data["departments"]["housing"]["staff"] = staff
    if reform:
        data["reforms"] = reform
    before = copy.deepcopy(data)
    sim.from_dict(data, base_dir=folder)
    assert data == before
    overrides = {"departments": {"planning": {"staff": staff}}, "reforms": reform or {}}
    over_before = copy.deepcopy(overrides)
    sim.load(DEFAULT, overrides=overrides)
    assert overrides == over_before


def test_deep_merge_shares_nothing_with_its_arguments():
    base = {"a": {"b": [1, {"c": 2}]}}
    over = {"a": {"d": [3]}}
    merged = sim.scenario.deep_merge(base, over)
    merged["a"]["b"][1]["c"] = 99
    merged["a"]["d"].append(4)
    assert base == {"a": {"b": [1, {"c": 2}]}} and over == {"a": {"d": [3]}}


# --------------------------------------------------------------------------- bounded reading


def test_devices_pipes_and_folders_are_refused_without_reading(tmp_path, alarm):
    os.mkfifo(tmp_path / "pipe.toml")
    (tmp_path / "folder.toml").mkdir()
    for target, allow in [
        ("/dev/zero", True),
        ("/dev/urandom", True),
        ("pipe.toml", False),
        ("folder.toml", False),
    ]:
        top = tmp_path / "top.toml"
        top.write_text(f'extends = "{target}"\n', encoding="utf-8")
        start = time.process_time()
        msg = str(error_of(lambda top=top, allow=allow: sim.load(top, allow_outside=allow)))
        assert "is not a regular file" in msg and time.process_time() - start < 1
    assert "is not a regular file" in str(error_of(lambda: sim.load("/dev/zero")))


def test_a_device_csv_is_refused(tmp_path, alarm):
    data = copy.deepcopy(DATA)
    data["case_types"]["industrial"]["arrivals"] = {"process": "csv", "file": "/dev/urandom"}
    msg = str(error_of(lambda: sim.from_dict(data, base_dir=tmp_path, allow_outside=True)))
    assert "/dev/urandom is not a regular file" in msg


@pytest.mark.parametrize("name", ["s.toml", "a.csv"])
def test_files_over_ten_mib_are_refused(tmp_path, name):
    big = tmp_path / name
    with big.open("wb") as fh:
        fh.write(b"date\n" if name.endswith(".csv") else b"")
        fh.write(b"#" * (ld.MAX_FILE_BYTES + 1))
    if name.endswith(".csv"):
        data = copy.deepcopy(DATA)
        data["case_types"]["industrial"]["arrivals"] = {"process": "csv", "file": name}
        msg = str(error_of(lambda: sim.from_dict(data, base_dir=tmp_path)))
    else:
        msg = str(error_of(lambda: sim.load(big)))
    assert "more than the 10 MiB" in msg


def test_long_extends_chains_and_deep_nesting_are_clean_errors(tmp_path, alarm):
    (tmp_path / "f0.toml").write_text(TEXT, encoding="utf-8")
    for n in range(1, 1500):
        (tmp_path / f"f{n}.toml").write_text(f'extends = "f{n - 1}.toml"\n', encoding="utf-8")
    sim.load(tmp_path / f"f{ld.MAX_EXTENDS - 1}.toml")  # a chain of exactly the limit
    msg = str(error_of(lambda: sim.load(tmp_path / f"f{ld.MAX_EXTENDS}.toml")))
    assert f"longer than {ld.MAX_EXTENDS} files" in msg
    assert "longer than" in str(error_of(lambda: sim.load(tmp_path / "f1499.toml")))
    deep = tmp_path / "deep.toml"
    deep.write_text("x = " + "[" * 1000 + "]" * 1000 + "\n" + TEXT, encoding="utf-8")
    assert "nested more than 32 deep" in str(error_of(lambda: sim.load(deep)))
    inline = tmp_path / "inline.toml"
    inline.write_text("x = " + "{a = " * 1000 + "1" + "}" * 1000 + "\n", encoding="utf-8")
    assert "nested more than 32 deep" in str(error_of(lambda: sim.load(inline)))


def test_nesting_from_python_is_bounded_even_when_it_contains_itself():
    data = copy.deepcopy(DATA)
    node: Any = {}
    data["reforms"] = node
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    assert "nested more than 32 deep" in str(error_of(lambda: sim.from_dict(data)))
    loop = copy.deepcopy(DATA)
    loop["reforms"] = {"online": {}}
    loop["reforms"]["online"]["me"] = loop["reforms"]
    assert "nested more than 32 deep" in str(error_of(lambda: sim.from_dict(loop)))


# --------------------------------------------------------------------------- paths and messages


def test_a_symbolic_link_out_of_the_folder_is_outside(tmp_path):
    inside, outside = tmp_path / "project", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    (outside / "base.toml").write_text(TEXT, encoding="utf-8")
    (inside / "link.toml").symlink_to(outside / "base.toml")
    top = inside / "top.toml"
    top.write_text('extends = "link.toml"\n', encoding="utf-8")
    assert "outside the scenario's folder tree" in str(error_of(lambda: sim.load(top)))
    assert sim.load(top, allow_outside=True).scenario.name == "default"


def test_a_file_that_is_not_a_scenario_is_not_quoted(tmp_path):
    secret = tmp_path / "other.toml"
    secret.write_text('[vault]\npassword = "hunter2"\n', encoding="utf-8")
    top = tmp_path / "top.toml"
    top.write_text('extends = "other.toml"\n', encoding="utf-8")
    msg = str(error_of(lambda: sim.load(top)))
    assert "is not a scenario file" in msg
    assert "vault" not in msg and "hunter2" not in msg and "password" not in msg


def test_a_csv_that_is_not_of_dates_is_not_quoted(tmp_path):
    (tmp_path / "secrets.csv").write_text("user:password:uid\nroot:hunter2:0\n", encoding="utf-8")
    data = copy.deepcopy(DATA)
    data["case_types"]["industrial"]["arrivals"] = {"process": "csv", "file": "secrets.csv"}
    msg = str(error_of(lambda: sim.from_dict(data, base_dir=tmp_path)))
    assert "is it a CSV of arrival dates?" in msg
    assert "hunter2" not in msg and "root" not in msg and "password" not in msg


def test_messages_are_inert_and_short():
    data = copy.deepcopy(DATA)
    data["items"]["eia"]["colour\x1b[31m\nred"] = "x" * 10_000
    data["items"]["eia"]["kind"] = "\x1b]0;owned\x07" + "y" * 10_000
    err = error_of(lambda: sim.from_dict(data, source="s.toml"))
    for p in err.problems:
        assert "\x1b" not in str(p) and "\n" not in str(p) and "\x07" not in str(p)
        assert len(str(p)) < 1400


# --------------------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("path", "value", "fragment"),
    [
        (("departments", "housing", "transfer_days"), math.inf, "must be a finite number"),
        (("departments", "housing", "transfer_days"), math.nan, "must be a finite number"),
        (("scenario", "drain_days"), 1e308, "less than or equal to 36500"),
        (("scenario", "warmup_days"), 1e308, "less than or equal to 36500"),
        (("items", "eia", "steps", 1, "effort", "mean"), 1e308, "less than or equal to 1000000"),
        (("items", "eia", "steps", 2, "delay", "value"), math.inf, "must be a finite number"),
        (("case_types", "industrial", "arrivals", "per_year"), 1e8, "less than or equal to"),
        (("problems", "cap_days"), 1e308, "less than or equal to 36500"),
        (("reforms",), {"coordination": {"cap_days": math.inf}}, "must be a finite number"),
    ],
)
def test_non_finite_and_huge_numbers_are_refused(path, value, fragment):
    data = copy.deepcopy(DATA)
    node = data
    for key in path[:-1]:
        node = node[key] if isinstance(node, list) else node.setdefault(key, {})
    node[path[-1]] = value
    assert fragment in str(error_of(lambda: sim.from_dict(data)))


def test_the_workload_bound():
    """2 million items a run: about 2 KB each (measured), so about 4 GB per worker at most."""
    info = {"horizon_days": 365.0}
    data = copy.deepcopy(DATA)
    data["scenario"].update(info)
    n_items = {c: len(ct["items"]) for c, ct in data["case_types"].items()}
    # put the whole budget on one case type, just under and just over the bound
    cid = "industrial"
    for other in data["case_types"]:
        if other != cid:
            data["case_types"][other]["arrivals"] = {"process": "list", "days": [400.0]}
    per_year = fz.MAX_ITEMS_PER_RUN / n_items[cid]
    data["case_types"][cid]["arrivals"] = {"process": "poisson", "per_year": per_year * 0.999}
    data["departments"] = {d: {**v, "staff": 10_000} for d, v in data["departments"].items()}
    sim.from_dict(data)
    data["case_types"][cid]["arrivals"]["per_year"] = per_year * 1.001
    assert "fit in memory" in str(error_of(lambda: sim.from_dict(data)))


# --------------------------------------------------------------------------- finishing in time


def one_item(**item: Any) -> dict[str, Any]:
    return {
        "scenario": {"name": "t", "start": dt.date(2025, 3, 3), "horizon_days": 10},
        "departments": {"desk": {"staff": 1, "office_hours": "always"}},
        "items": {"a": {"stage": 1, "department": "desk", **item}},
        "case_types": {"c": {"arrivals": {"process": "list", "days": [0.0]}, "items": ["a"]}},
    }


def test_chain_bound_arithmetic():
    """Critical-path arithmetic: serial items add up, parallel ones take the longest."""
    data = one_item(steps=[{"name": "s", "effort": 48.0}])
    data["items"]["b"] = {
        "stage": 1,
        "department": "desk",
        "steps": [{"name": "s", "delay": {"dist": "deterministic", "value": 5}}],
    }
    data["items"]["c"] = {
        "stage": 1,
        "department": "desk",
        "requires": ["a"],
        "steps": [{"name": "s", "delay": {"dist": "uniform", "low": 1, "high": 3}}],
    }
    data["case_types"]["c"]["items"] = ["a", "b", "c"]
    sc = sim.from_dict(data)
    b = fz.chain_bound(sc, "c")
    # a (2 days round the clock) then c (>= 1 day; 2 working days expected) vs b (5 working days)
    assert b.lower_days == pytest.approx(5.0) and b.lower_chain == ("b",)
    assert b.expected_days == pytest.approx(5 * 7 / 5) and b.expected_chain == ("b",)
    data["items"]["c"]["steps"][0]["delay"] = {"dist": "uniform", "low": 4, "high": 6}
    b = fz.chain_bound(sim.from_dict(data), "c")
    assert b.lower_days == pytest.approx(6.0) and b.lower_chain == ("a", "c")
    assert b.expected_days == pytest.approx(2 + 5 * 7 / 5)


def test_a_lever_that_shortens_the_chain_makes_a_scenario_feasible():
    data = one_item(steps=[{"name": "s", "delay": {"dist": "deterministic", "value": 700}}])
    data["scenario"]["drain_days"] = 1000
    data["items"]["b"] = {**data["items"]["a"], "after": ["a"]}
    data["case_types"]["c"]["items"] = ["a", "b"]
    msg = str(error_of(lambda: sim.from_dict(data, source="s.toml")))
    assert "s.toml: case_types.c: no case can finish" in msg and "(a -> b)" in msg
    data["reforms"] = {"parallel_approval": {"joint_intake": False}}
    assert apply_all(sim.from_dict(data))[0].items["b"].after == ()


def _correction_always(data: dict) -> None:
    data["items"]["land_use_permit"]["correction"]["probability"] = 1.0


def _transfer_year(data: dict) -> None:
    data["departments"]["housing"]["transfer_days"] = 365


def _a_minute_a_day(data: dict) -> None:
    data["departments"]["housing"]["office_hours"] = "00:00-00:01"


def _huge_effort(data: dict) -> None:
    data["items"]["eia"]["steps"][1]["effort"]["mean"] = 1e6


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        (_transfer_year, "is expected to need"),
        (_correction_always, "no case can finish: its longest chain takes at least for ever"),
        (_a_minute_a_day, "is expected to need"),
        (_huge_effort, "is expected to need"),
    ],
    ids=["transfer_days 365", "correction 1.0", "office_hours 00:00-00:01", "effort 1e6"],
)
def test_the_files_that_failed_after_the_run_are_refused_before_it(change, fragment):
    """Issue 12.4: these four changes to the default passed `check`, then failed after the whole
    simulation. Now loading refuses each, located at a case type, with the drain it would need."""
    data = copy.deepcopy(DATA)
    change(data)
    err = error_of(lambda: sim.from_dict(data, source="s.toml"))
    message = str(err)
    assert "s.toml: case_types." in message and fragment in message, message
    assert "horizon_days + drain_days = 1095" in message
    assert all("\n" not in p.message for p in err.problems)


@pytest.mark.slow
@pytest.mark.parametrize("file", ["default.toml", "pukou/baseline.toml"])
def test_no_simulated_case_beats_the_lower_bound(file):
    """The lower bound is a bound: every case of a run takes at least that long; the expected
    time (a lower estimate of the mean: no queueing) is below the mean lead time."""
    sc = apply_all(sim.load(ROOT / "scenarios" / file))[0]
    cases = simulate(sc, seed=7).cases
    for cid, group in cases[cases["finished"]].groupby("case_type"):
        b = fz.chain_bound(sc, cid)
        lead = group["lead_days"]
        assert lead.min() >= b.lower_days
        se = lead.std() / math.sqrt(len(lead))
        assert b.expected_days <= lead.mean() + 3 * se, (cid, b.expected_days, lead.mean())


def test_a_flood_of_problems_is_counted_not_listed():
    data = copy.deepcopy(DATA)
    data["case_types"]["industrial"]["arrivals"] = {"process": "list", "days": [-1.0] * 50_000}
    err = error_of(lambda: sim.from_dict(data))
    assert len(err.problems) == ld.MAX_PROBLEMS and "more" in err.problems[-1].message
    data["case_types"]["industrial"]["arrivals"]["days"] = [0.0] * (ld.MAX_LIST + 1)
    assert "more than 1,000,000" in str(error_of(lambda: sim.from_dict(data)))


def test_shared_tables_cannot_blow_up_the_walk(alarm):
    shared: dict[str, Any] = {}
    for _ in range(30):  # 30 levels, each table twice: 2**30 paths through 30 tables
        shared = {"a": shared, "b": shared}
    data = copy.deepcopy(DATA)
    data["reforms"] = {"online": shared}
    assert "more than 2,000,000 values" in str(error_of(lambda: sim.from_dict(data)))


def test_a_lever_that_would_make_a_cycle_is_a_located_error():
    """Found by the fuzz test: without the 'joint_acceptance' tag on fire acceptance, joint
    acceptance folds items into a cycle; that is the scenario's problem, said as such."""
    data = ld.read_tree(ROOT / "scenarios" / "pukou" / "reform_2023.toml")[0]
    del data["items"]["fire_acceptance"]["tags"]
    msg = str(error_of(lambda: sim.from_dict(data, source="s.toml")))
    assert "s.toml: reforms.completion_equals_title: the lever makes an inconsistent" in msg
    assert "form a cycle" in msg
