"""Every subcommand, run as a user would: in a subprocess, on the bundled scenario."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.toml"
INVALID = ROOT / "tests" / "scenario" / "invalid"


def cli(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_version_and_help():
    out = cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("approvalsim ")
    assert "run" in cli("--help").stdout


def test_check_ok_prints_loads():
    out = cli("check", str(DEFAULT))
    assert out.returncode == 0, out.stderr
    assert "ok" in out.stdout and "load" in out.stdout


def test_check_wrong_department_is_one_clean_line():
    out = cli("check", str(INVALID / "missing_department.toml"))
    assert out.returncode == 2
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert "items.b.department" in lines[0] and "'plannig'" in lines[0]
    assert "Traceback" not in out.stderr


def test_run_writes_the_results_folder(tmp_path):
    out = cli(
        "run", str(DEFAULT), "--replications", "2", "--jobs", "2", "--out", str(tmp_path / "res")
    )
    assert out.returncode == 0, out.stderr
    folder = tmp_path / "res"
    for name in (
        "cases.csv",
        "tasks.csv",
        "departments.csv",
        "summary.csv",
        "summary.json",
        "scenario.json",
        "provenance.json",
        "leadtime.png",
        "stages.png",
        "utilisation.png",
        "typical_case.png",
        "trips.png",
    ):
        assert (folder / name).stat().st_size > 0, name
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["seed"] == 20230920 and prov["replications"] == 2 and prov["version"]
    summary = json.loads((folder / "summary.json").read_text())
    assert any(m["metric"] == "lead_wd_mean" for m in summary["metrics"])
    assert "lead_wd_mean" in out.stdout


def test_run_default_folder_under_results(tmp_path):
    out = cli("run", str(DEFAULT), "-r", "1", "-j", "1", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    made = list((tmp_path / "results").glob("default-*"))
    assert len(made) == 1 and (made[0] / "summary.json").exists()


def test_brief_writes_a_pdf(tmp_path):
    out = cli("brief", str(DEFAULT), "-r", "1", "-j", "1", "--out", str(tmp_path / "b"))
    assert out.returncode == 0, out.stderr
    assert (tmp_path / "b" / "briefing.pdf").stat().st_size > 10_000


def test_reforms_and_explain():
    out = cli("reforms")
    assert out.returncode == 0 and "colocation" in out.stdout and "竣工即交证" in out.stdout
    out = cli("explain", str(DEFAULT), "--reform", "colocation:departments=[housing]")
    assert out.returncode == 0 and "moved 1 departments into the zone: housing" in out.stdout
    out = cli("explain", str(DEFAULT), "--reform", "colocation:departments=[nowhere]")
    assert out.returncode == 2 and "unknown department 'nowhere'" in out.stderr


def test_bad_replications_is_a_usage_error():
    out = cli("run", str(DEFAULT), "--replications", "0")
    assert out.returncode == 2 and "at least 1" in out.stderr


def test_compare_formats_and_out(tmp_path):
    # a scenario may extend only files in its own folder tree: the base is copied beside it
    (tmp_path / "default.toml").write_bytes(DEFAULT.read_bytes())
    alt = tmp_path / "alt.toml"
    alt.write_text(
        'extends = "default.toml"\n[scenario]\nname = "alt"\n'
        '[reforms.colocation]\ndepartments = ["housing"]\n',
        encoding="utf-8",
    )
    for fmt, check in (
        ("json", lambda s: s.lstrip().startswith("[")),
        ("csv", lambda s: s.startswith("scenario,group,metric")),
        ("table", lambda s: "95% CI" in s),
    ):
        out = cli(
            "compare",
            str(DEFAULT),
            str(alt),
            "-r",
            "2",
            "-j",
            "1",
            "--format",
            fmt,
            "--out",
            str(tmp_path / fmt),
        )
        assert out.returncode == 0, out.stderr
        assert check(out.stdout), out.stdout[:200]
        assert (tmp_path / fmt / "comparison.png").exists()


def test_brief_refuses_two_scenarios_with_one_name(tmp_path):
    out = cli(
        "brief", str(DEFAULT), str(DEFAULT), "-r", "1", "-j", "1", "--out", str(tmp_path / "b")
    )
    assert out.returncode == 2 and "scenario.name" in out.stderr
    assert not (tmp_path / "b").exists()
