"""The issue-10 commands end to end: check exit 3, refusal, --allow-unstable, event logs,
calibration, advice, and where the days go in a results folder and a comparison."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sim.cli import main
from tests.analysis.test_load import two_departments
from tests.conftest import base_data

ROOT = Path(__file__).resolve().parents[2]
DEFAULT = ROOT / "scenarios" / "default.toml"
PUKOU = ROOT / "scenarios" / "pukou"


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, str):
        return json.dumps(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(x)}" for k, x in v.items()) + " }"
    if isinstance(v, list):
        return "[" + ", ".join(toml_value(x) for x in v) + "]"
    return repr(v)


def write_scenario(path: Path, data: dict) -> Path:
    lines = []
    for section, body in data.items():
        if section in ("departments", "items", "case_types"):
            for key, table in body.items():
                lines.append(f"[{section}.{key}]")
                lines += [f"{k} = {toml_value(v)}" for k, v in table.items()]
        else:
            lines.append(f"[{section}]")
            lines += [f"{k} = {toml_value(v)}" for k, v in body.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def overloaded(tmp_path) -> Path:
    """The issue's example: 4,599 cases a year, half sent back from the second desk."""
    return write_scenario(tmp_path / "two.toml", two_departments())


def test_check_names_the_overloaded_department_and_exits_3(overloaded, capsys):
    code, out, err = run_main(capsys, "check", str(overloaded))
    assert code == 3
    assert "1.05" in out  # the load column
    assert "department 'one' is overloaded: load 1.05" in err
    assert "needs at least 2 staff (has 1)" in err
    # an invalid file still exits 2, whatever else is overloaded
    bad = overloaded.with_name("bad.toml")
    bad.write_text("[scenario]\n", encoding="utf-8")
    code, _, _ = run_main(capsys, "check", str(overloaded), str(bad))
    assert code == 2
    code, _, _ = run_main(capsys, "check", str(DEFAULT))
    assert code == 0


@pytest.mark.parametrize(
    "command",
    [
        ["run", "{f}", "-r", "1", "-j", "1", "-o", "{out}"],
        ["compare", "{f}", "{f2}", "-r", "1", "-j", "1", "-o", "{out}"],
        ["brief", "{f}", "-r", "1", "-j", "1", "-o", "{out}"],
        ["advise", "{f}", "--staff", "+1", "-j", "1"],
    ],
)
def test_overloaded_scenarios_are_refused_with_the_same_message(
    overloaded, tmp_path, capsys, command
):
    data = two_departments()
    data["scenario"]["name"] = "other"
    other = write_scenario(tmp_path / "other.toml", data)
    out = tmp_path / "out"
    args = [a.format(f=overloaded, f2=other, out=out) for a in command]
    code, _, err = run_main(capsys, *args)
    assert code == 3, err
    assert "'one' is overloaded: load 1.05" in err and "--allow-unstable" in err
    assert not out.exists()


@pytest.mark.slow
def test_allow_unstable_runs_to_the_horizon_and_says_the_queue_grew(overloaded, tmp_path, capsys):
    out = tmp_path / "r"
    code, stdout, err = run_main(
        capsys, "run", str(overloaded), "-r", "2", "-j", "1", "-o", str(out), "--allow-unstable"
    )
    assert code == 0, err
    assert "still growing at the horizon" in err and "cases open" in err
    scenario = json.loads((out / "scenario.json").read_text())
    assert scenario["scenario"]["drain_days"] == 0
    assert "Where the days go" in stdout and "bottleneck: one" in stdout


@pytest.mark.slow
def test_a_run_writes_where_the_days_go_and_an_event_log_that_calibrates_back(tmp_path, capsys):
    out = tmp_path / "run"
    code, stdout, err = run_main(
        capsys, "run", str(DEFAULT), "-r", "2", "-j", "1", "-o", str(out), "--event-log", "csv"
    )
    assert code == 0, err
    summary = json.loads((out / "summary.json").read_text())
    cp = summary["critical_path"]
    lead = next(
        m["mean"]
        for m in summary["metrics"]
        if m["metric"] == "lead_wd_mean" and m["group"] == "all"
    )
    assert sum(r["wd"] for r in cp["by_kind"]) == pytest.approx(lead, rel=1e-4)
    assert cp["bottleneck"]["department"] in {r["name"] for r in cp["by_department"]}
    assert (out / "critical.csv").exists() and (out / "critical_path.png").exists()
    assert "bottleneck:" in stdout
    log = out / "events.csv"
    assert log.exists()
    new = tmp_path / "calibrated.toml"
    code, stdout, err = run_main(
        capsys, "calibrate", str(log), "--scenario", str(DEFAULT), "--out", str(new)
    )
    assert code == 0, err
    assert "AIC" in stdout and "correction.probability" in stdout
    assert run_main(capsys, "check", str(new))[0] == 0
    before = new.read_text()
    code, _, err = run_main(
        capsys, "calibrate", str(log), "--scenario", str(DEFAULT), "--out", str(new)
    )
    assert code == 2 and "not overwriting" in err
    assert new.read_text() == before


def test_event_log_needs_all_tables(tmp_path, capsys):
    code, _, err = run_main(
        capsys,
        "run",
        str(DEFAULT),
        "-r",
        "1",
        "-o",
        str(tmp_path / "r"),
        "--tables",
        "cases",
        "--event-log",
        "xes",
    )
    assert code == 2 and "keep all tables" in err


def test_calibrate_refuses_a_log_it_cannot_read(tmp_path, capsys):
    log = tmp_path / "log.csv"
    log.write_text("a,b\n1,2\n")
    code, _, err = run_main(
        capsys, "calibrate", str(log), "--scenario", str(DEFAULT), "--out", str(tmp_path / "n.toml")
    )
    assert code == 2 and "missing column" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "n.toml").exists()


@pytest.mark.slow
def test_compare_reports_the_days_each_kind_lost(tmp_path, capsys):
    base = PUKOU / "baseline.toml"
    alt = PUKOU / "reform_2023.toml"
    out = tmp_path / "c"
    code, stdout, err = run_main(
        capsys, "compare", str(base), str(alt), "-r", "2", "-j", "2", "-o", str(out)
    )
    assert code == 0, err
    assert "critical-path working days per project each kind lost" in stdout
    assert "bottleneck of pukou-baseline" in stdout
    assert (out / "critical.csv").exists() and (out / "days_lost.csv").exists()


@pytest.mark.slow
def test_advise_names_the_obvious_bottleneck_first(tmp_path, capsys):
    per_hour = 2000 / 8760

    def step(load):
        return [{"name": "s", "effort": {"dist": "exponential", "mean": load / per_hour}}]

    data = base_data(scenario={"horizon_days": 200, "warmup_days": 20, "drain_days": 60})
    data["departments"] = {d: {"staff": 1, "office_hours": "always"} for d in ("a", "b", "c")}
    data["items"] = {
        "x": {"stage": 1, "department": "a", "steps": step(0.3)},
        "y": {"stage": 1, "department": "b", "requires": ["x"], "steps": step(0.9)},
        "z": {"stage": 1, "department": "c", "requires": ["y"], "steps": step(0.3)},
    }
    data["case_types"]["c"]["items"] = ["x", "y", "z"]
    data["case_types"]["c"]["arrivals"] = {"process": "poisson", "per_year": 2000}
    f = write_scenario(tmp_path / "chain.toml", data)
    code, stdout, err = run_main(capsys, "advise", str(f), "--staff", "+1", "-j", "1")
    assert code == 0, err
    table = stdout.splitlines()
    first = next(line for line in table if line.startswith(("a +1", "b +1", "c +1")))
    assert first.startswith("b +1") and first.rstrip().endswith("best")
    assert "best: b +1" in stdout


@pytest.mark.slow
def test_a_sweep_refuses_an_overloaded_design_point_unless_allowed(tmp_path, capsys):
    data = two_departments(per_year=1000)
    data["scenario"]["horizon_days"] = 60
    data["scenario"]["warmup_days"] = 10
    write_scenario(tmp_path / "base.toml", data)
    sweep = tmp_path / "sweep.toml"
    sweep.write_text(
        '[sweep]\nname = "load"\nbase = "base.toml"\nreplications = 2\n'
        'metric = "lead_wd_mean"\n\n[grid]\n"case_types.c.arrivals.per_year" = [1000, 4599]\n',
        encoding="utf-8",
    )
    out = tmp_path / "sw"
    code, _, err = run_main(capsys, "sweep", str(sweep), "-o", str(out), "-j", "1", "-q")
    assert code == 3 and "per_year=4599" in err and "load 1.05" in err
    code, stdout, err = run_main(
        capsys, "sweep", str(sweep), "-o", str(out), "-j", "1", "-q", "--allow-unstable"
    )
    assert code == 0, err
    assert "simulating up to the horizon only" in err
    assert len((out / "points.csv").read_text().splitlines()) > 2
