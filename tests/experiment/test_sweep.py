"""Sweeps: resumable, keyed by everything that changes their numbers, key paths checked."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest

import sim
from sim.experiment.errors import UsageError
from sim.experiment.sweep import load_sweep, open_folder, run_points, run_sweep, summarise_points
from sim.scenario.load import ScenarioError

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "experiment" / "tiny.toml"

SWEEP = """
[sweep]
name = "resume"
base = "{base}"
replications = 3
seed = {seed}
metric = "{metric}"

[grid]
"departments.desk.staff" = [1, 2]
"items.job.correction" = [
  {{ probability = 0.2, turnaround = 1.0 }},
  {{ probability = 0.5, turnaround = 1.0 }},
]
"""


def sweep_file(
    tmp_path: Path, seed: int = 11, metric: str = "lead_days_mean", base: Path = TINY
) -> Path:
    f = tmp_path / f"sweep-{seed}-{metric}.toml"
    f.write_text(SWEEP.format(base=base.as_posix(), seed=seed, metric=metric), encoding="utf-8")
    return f


def test_interrupted_sweep_resumes_to_the_same_results(tmp_path):
    """4 points x 3 replications = 12 tasks. Stopped after 5, the folder holds exactly those 5;
    the resumed run adds exactly the 7 others and ends with the numbers of an uninterrupted run."""
    s = load_sweep(sweep_file(tmp_path))
    full = run_points(s, s.points, tmp_path / "full", jobs=1)
    part = run_points(s, s.points, tmp_path / "resumed", jobs=1, limit=5)  # "killed" after 5
    assert len(part[["point", "replication"]].drop_duplicates()) == 5
    assert len(list((tmp_path / "resumed").rglob("rep-*.json"))) == 5
    assert not list((tmp_path / "resumed").rglob("*.tmp"))
    result = run_sweep(load_sweep(sweep_file(tmp_path)), tmp_path / "resumed", jobs=2)
    assert (result.new_tasks, result.reused_tasks) == (7, 5)
    a = summarise_points(full).sort_values(["point", "metric"]).reset_index(drop=True)
    b = summarise_points(result.results).sort_values(["point", "metric"]).reset_index(drop=True)
    assert a.equals(b)
    assert len(a["point"].unique()) == 4 and (a["replications"] == 3).all()


def test_a_changed_seed_or_base_starts_fresh_and_says_why(tmp_path):
    folder = tmp_path / "sw"
    first = sim.sweep(sweep_file(tmp_path, seed=11), out=folder)
    assert (first.new_tasks, first.reused_tasks) == (12, 0)
    again = sim.sweep(sweep_file(tmp_path, seed=11), out=folder)
    assert (again.new_tasks, again.reused_tasks) == (0, 12)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        other = sim.sweep(sweep_file(tmp_path, seed=12), out=folder)
    assert (other.new_tasks, other.reused_tasks) == (12, 0)
    assert any("seed 11 -> 12" in str(w.message) for w in seen)
    fresh = sim.sweep(sweep_file(tmp_path, seed=12), out=tmp_path / "fresh")
    assert other.points.equals(fresh.points)  # no stale replication mixed in
    # a changed base scenario: same sweep file, the base now has a longer horizon
    base = tmp_path / "base.toml"
    base.write_text(
        TINY.read_text(encoding="utf-8").replace("horizon_days = 60", "horizon_days = 61")
    )
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        changed = sim.sweep(sweep_file(tmp_path, seed=12, base=base), out=folder)
    assert changed.new_tasks == 12 and any("base scenario changed" in str(w.message) for w in seen)


@pytest.mark.parametrize(
    ("grid", "words"),
    [
        ('"departments.planing.staff" = [1, 2]', "unknown key 'planing' under departments"),
        ('"departments.dsk.staff" = [1, 2]', "did you mean 'desk'"),
        ('"departments.desk.stafff" = [1, 2]', "did you mean 'staff'"),
        ('"reforms.colocaton" = [false]', "did you mean 'colocation'"),
        ('"reforms.colocation.departmentz" = [["desk"]]', "did you mean 'departments'"),
        ('"scenario.name.x" = [1]', "is not a table"),
    ],
)
def test_a_typo_in_a_sweep_path_is_an_error_with_did_you_mean(tmp_path, grid, words):
    f = tmp_path / "typo.toml"
    f.write_text(
        f'[sweep]\nname = "t"\nbase = "{TINY.as_posix()}"\n[grid]\n{grid}\n', encoding="utf-8"
    )
    with pytest.raises(ScenarioError) as err:
        load_sweep(f)
    assert words in str(err.value) and "grid." in str(err.value)


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ('metric = "lead_time"', "unknown metric 'lead_time'"),
        ('[sensitivity.parameters]\n"departments.desk.staff" = [4, 1]', "low < high"),
        ('[sensitivity.parameters]\n"departments.desk.staff" = [1, inf]', "finite"),
        ('[sensitivity.parameters]\n"departments.dsk.staff" = [1, 2]', "did you mean 'desk'"),
    ],
)
def test_sweep_settings_are_checked(tmp_path, text, words):
    f = tmp_path / "s.toml"
    head = f'[sweep]\nname = "t"\nbase = "{TINY.as_posix()}"\n'
    if text.startswith("metric"):
        f.write_text(head + text + "\n", encoding="utf-8")
    else:
        f.write_text(head + text + "\n", encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        load_sweep(f)
    assert words in str(err.value)


def test_a_binary_or_device_sweep_file_is_a_clean_error(tmp_path):
    f = tmp_path / "binary.toml"
    f.write_bytes(bytes(range(256)) * 4)
    for path, words in ((f, "not a text file"), (Path("/dev/zero"), "not a regular file")):
        with pytest.raises(ScenarioError) as err:
            load_sweep(path)
        assert words in str(err.value) and len(str(err.value).splitlines()) == 1


def test_a_folder_that_is_not_a_sweep_of_ours_is_refused(tmp_path):
    s = load_sweep(sweep_file(tmp_path))
    foreign = tmp_path / "mine"
    foreign.mkdir()
    (foreign / "data.csv").write_text("1,2\n")
    with pytest.raises(UsageError, match="not an approvalsim sweep folder"):
        open_folder(s, foreign)
    assert [p.name for p in foreign.iterdir()] == ["data.csv"]


def test_sweep_tables_are_written_atomically_with_provenance(tmp_path):
    folder = tmp_path / "sw"
    result = sim.sweep(sweep_file(tmp_path), out=folder)
    points = (folder / "points.csv").read_text(encoding="utf-8").splitlines()
    assert points[0].startswith("point,label,metric,mean")
    assert len(points) - 1 == len(result.points) == 4 * result.points["metric"].nunique()
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["kind"] == "sweep" and prov["key"] == result.key and "points.csv" in prov["files"]
    assert not list(folder.rglob("*.tmp")) and not list(folder.rglob(".*.tmp"))


@pytest.mark.slow
def test_sweep_cli_writes_tables(tmp_path):
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "sweep",
            str(ROOT / "scenarios" / "sweeps" / "default_staffing.toml"),
            "-o",
            str(tmp_path / "sw"),
            "-j",
            "2",
            "-q",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert out.returncode == 0, out.stderr
    tornado = (tmp_path / "sw" / "tornado.csv").read_text().splitlines()
    sobol = (tmp_path / "sw" / "sobol.csv").read_text().splitlines()
    points = (tmp_path / "sw" / "points.csv").read_text().splitlines()
    assert len(tornado) == 1 + 3 and len(sobol) == 1 + 3  # three sensitivity parameters
    assert len({line.split(",")[0] for line in points[1:]}) == 6  # 3 staff levels x 2 co-location
    assert (tmp_path / "sw" / "tornado.png").stat().st_size > 5_000
    assert "one at a time" in out.stdout and "Sobol indices" in out.stdout
    # the numbers, not only the shape (queueing monotonicity under common random numbers):
    # planning at load 1.38 per planner waits far less with 5 planners than with 2, and 70
    # industrial projects a year wait longer than 30 do
    import pandas as pd

    tor = pd.read_csv(tmp_path / "sw" / "tornado.csv").set_index("parameter")
    staff = tor.loc["departments.planning.staff"]
    assert staff["low"] > staff["high"] > 0, staff.to_dict()
    rate = tor.loc["case_types.industrial.arrivals.per_year"]
    assert rate["low"] < rate["high"], rate.to_dict()
    assert (tor["swing"] == (tor["high"] - tor["low"]).abs()).all()
    assert tor[["low", "high", "base", "swing"]].notna().all().all(), tor
    assert tor["swing"].is_monotonic_decreasing


@pytest.mark.slow
def test_a_killed_sweep_takes_its_workers_with_it(tmp_path):
    """Issue 12.9: SIGKILL to a sweep left its worker processes running. The workers now die
    with their parent (it cannot clean up after SIGKILL: they watch for it)."""
    import signal
    import subprocess
    import sys
    import time

    from tests.experiment.test_store import _children, _wait_gone

    base = tmp_path / "long.toml"
    base.write_text(
        TINY.read_text(encoding="utf-8").replace("horizon_days = 60", "horizon_days = 3000"),
        encoding="utf-8",
    )
    f = tmp_path / "sw.toml"
    f.write_text(
        '[sweep]\nname = "k"\nbase = "long.toml"\nreplications = 200\n'
        '[grid]\n"departments.desk.staff" = [2, 3]\n',
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "sim.cli", "sweep", str(f), "-o", "out", "-q", "-j", "2"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list((tmp_path / "out").rglob("rep-*.json")):
        time.sleep(0.2)
    workers = _children(proc.pid)
    assert list((tmp_path / "out").rglob("rep-*.json")), "the sweep never finished a replication"
    assert workers, "the sweep started no worker process"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    _wait_gone(workers)


def test_tornado_ends_that_are_other_points_are_found(tmp_path):
    """An OAT end (or the base) that resolves to the same scenario as a grid point is run once,
    under the grid point's label; the tornado must still find it (it looked points up by label,
    so the default staffing sweep printed '-' for the base and for planning staff's low end)."""
    f = tmp_path / "s.toml"
    f.write_text(
        f'[sweep]\nname = "t"\nbase = "{TINY.as_posix()}"\nreplications = 2\n'
        '[grid]\n"departments.desk.staff" = [2, 3]\n'  # tiny's desk has 2 staff: 2 is the base
        "[sensitivity]\nsamples = 2\n"
        '[sensitivity.parameters]\n"departments.desk.staff" = [2, 4]\n',
        encoding="utf-8",
    )
    result = sim.sweep(f, out=tmp_path / "sw")
    row = result.tornado.set_index("parameter").loc["departments.desk.staff"]
    grid = result.points[result.points["metric"] == "lead_wd_mean"].set_index("label")["mean"]
    assert row["base"] == row["low"] == grid["departments.desk.staff=2"]
    assert row["low"] > row["high"] > 0  # 4 staff wait less than 2 (same arrivals and efforts)
    assert row["swing"] == pytest.approx(row["low"] - row["high"])


@pytest.mark.parametrize("where", ["long", "under a file"])
def test_a_sweep_folder_that_cannot_be_is_one_clean_line(tmp_path, where):
    """Found by a longer run of the command-line fuzz: `sweep -o <300 characters>` was an
    OSError traceback (the store's checks covered run, compare and brief only)."""
    s = load_sweep(sweep_file(tmp_path))
    (tmp_path / "f").write_text("x", encoding="utf-8")
    folder = tmp_path / ("x" * 300) if where == "long" else tmp_path / "f" / "below"
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(UsageError) as err:
        open_folder(s, folder)
    assert len(str(err.value).splitlines()) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == before
