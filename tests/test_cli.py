"""The command line as a user meets it: every subcommand wired, every bad value one clean line
before any work, no folder a user owns ever touched, honest headlines.

Most tests call ``sim.cli.main`` in this process on a tiny scenario (fast); the end-to-end tests
run ``python -m sim.cli`` in a subprocess on the bundled scenarios and are marked slow.
"""

from __future__ import annotations

import ast
import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main, parse_reform

ROOT = Path(__file__).resolve().parents[1]
DEFAULT = ROOT / "scenarios" / "default.toml"
TINY = ROOT / "tests" / "experiment" / "tiny.toml"
INVALID = ROOT / "tests" / "scenario" / "invalid"
PUKOU = ROOT / "scenarios" / "pukou"


def cli(*args: str, cwd: Path = ROOT, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sim.cli", *args],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def run_main(capsys, *args: str) -> tuple[int, str, str]:
    try:
        code = main(list(args))
    except SystemExit as exc:  # argparse's usage errors
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


# --------------------------------------------------------------------------- wiring


def test_version_and_help():
    out = cli("--version")
    assert out.returncode == 0 and out.stdout.startswith("approvalsim ")
    helptext = cli("--help").stdout
    for command in ("run", "compare", "sweep", "brief", "check", "reforms", "explain"):
        assert command in helptext


def test_the_cli_module_imports_neither_pandas_nor_matplotlib():
    code = (
        "import sys, sim.cli; "
        "print(','.join(m for m in ('pandas', 'matplotlib', 'pyarrow') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"sim.cli imported {out.stdout.strip()} at module level"


def test_the_cli_opens_no_file():
    """cli.py calls no function that opens, writes, lists, inspects or removes a file, and builds
    no Path: the API does all of that (issue 14.2)."""
    tree_ = ast.parse((ROOT / "sim" / "cli.py").read_text(encoding="utf-8"))
    forbidden = {
        "open",
        "write_text",
        "write_bytes",
        "read_text",
        "read_bytes",
        "to_csv",
        "to_json",
        "to_parquet",
        "savefig",
        "mkdir",
        "makedirs",
        "unlink",
        "remove",
        "rmdir",
        "rmtree",
        "replace",
        "rename",
        "touch",
        "copy",
        "copy2",
        "copyfile",
        "exists",
        "is_file",
        "is_dir",
        "is_symlink",
        "stat",
        "lstat",
        "iterdir",
        "glob",
        "rglob",
        "listdir",
        "scandir",
        "walk",
        "Path",
        "PurePath",
    }
    calls = []
    for node in ast.walk(tree_):
        if isinstance(node, ast.Call):
            f = node.func
            name = (
                f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            )
            if name in forbidden:
                owner = (
                    f.value.id
                    if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                    else ""
                )
                calls.append((node.lineno, owner, name, ast.unparse(node)))
    # os.open of /dev/null to silence a broken pipe is the one exception (no file of the user's)
    allowed = [c for c in calls if c[1:3] == ("os", "open") and "os.devnull" in c[3]]
    assert len(allowed) <= 1 and [c for c in calls if c not in allowed] == [], calls
    assert not any(
        isinstance(n, (ast.Import, ast.ImportFrom))
        and any(a.name in ("pathlib", "shutil", "Path") for a in n.names)
        or isinstance(n, ast.ImportFrom)
        and n.module in ("pathlib", "shutil")
        for n in ast.walk(tree_)
    ), "cli.py imports pathlib or shutil"


def test_check_ok_prints_loads(capsys):
    code, out, err = run_main(capsys, "check", str(TINY))
    assert code == 0, err
    assert "ok (1 departments, 1 items, 1 case types)" in out
    # 2000 cases a year x 2 h = 4000 staff hours, 2 staff x 8760 h open: load 0.23
    assert "0.23" in out


def test_check_wrong_department_is_one_clean_line(capsys):
    code, _, err = run_main(capsys, "check", str(INVALID / "missing_department.toml"))
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert "items.b.department" in lines[0] and "'plannig'" in lines[0]


def test_reforms_and_explain(capsys):
    code, out, _ = run_main(capsys, "reforms")
    assert code == 0 and "colocation" in out and "竣工即交证" in out
    code, out, _ = run_main(
        capsys, "explain", str(DEFAULT), "--reform", "colocation:departments=[housing]"
    )
    assert code == 0 and "moved 1 departments into the zone: housing" in out
    code, _, err = run_main(
        capsys, "explain", str(DEFAULT), "--reform", "colocation:departments=[nowhere]"
    )
    assert code == 2 and "unknown department 'nowhere'" in err


def test_reform_on_a_lever_the_file_has_is_merged_and_said(capsys):
    """reform_2023 co-locates 8 departments; --reform colocation:departments=[planning] replaces
    that list (a note says 8 values -> 1) and keeps the lever's other keys."""
    base = PUKOU / "reform_2023.toml"
    code, out, err = run_main(
        capsys, "explain", str(base), "--reform", "colocation:departments=[planning]"
    )
    assert code == 0, err
    notes = [line for line in err.splitlines() if line.startswith("note: lever 'colocation'")]
    assert len(notes) == 1, err
    assert "departments: 8 values -> 1 value" in notes[0] and "kept from the file" in notes[0]
    assert "moved 1 departments into the zone: planning" in out


def test_parse_reform_reads_lists_and_scalars():
    assert parse_reform("agency:agents=3,share=0.5,online=true") == (
        "agency",
        {"agents": 3, "share": 0.5, "online": True},
    )
    assert parse_reform("colocation:departments=[a, b]") == (
        "colocation",
        {"departments": ["a", "b"]},
    )


# --------------------------------------------------------------------------- runs and folders


def test_run_writes_the_results_folder(tmp_path, capsys):
    out_dir = tmp_path / "res"
    code, out, err = run_main(capsys, "run", str(TINY), "-j", "1", "--out", str(out_dir))
    assert code == 0, err
    for name in (
        "cases.parquet",
        "tasks.parquet",
        "activities.parquet",
        "departments.csv",
        "summary.csv",
        "summary.json",
        "scenario.json",
        "provenance.json",
        "leadtime.png",
        "trips.png",
    ):
        assert (out_dir / name).stat().st_size > 0, name
    prov = json.loads((out_dir / "provenance.json").read_text())
    assert prov["seed"] == 7 and prov["replications"] == 2 and prov["package"] == "approvalsim"
    assert set(prov["files"]) == {p for p in tree(out_dir) if p != "provenance.json"}
    summary = json.loads((out_dir / "summary.json").read_text())
    lead = next(
        m for m in summary["metrics"] if m["metric"] == "lead_wd_mean" and m["group"] == "all"
    )
    cases = pd.read_parquet(out_dir / "cases.parquet")
    done = cases[cases["in_window"] & cases["finished"]]
    assert lead["cases"] == len(done)  # the summary counts exactly the table's window cases
    per_rep = done.groupby("replication")["lead_wd"].mean()
    assert lead["mean"] == pytest.approx(per_rep.mean(), abs=1e-6)  # JSON keeps 6 decimals
    tasks = pd.read_parquet(out_dir / "tasks.parquet")
    assert set(tasks["replication"]) == {0, 1} and len(tasks) == len(cases)  # one task per case
    assert "lead_wd_mean" in out and not list(tmp_path.glob(".approvalsim-tmp-*"))


def test_run_tables_cases_as_csv(tmp_path, capsys):
    out_dir = tmp_path / "res"
    code, _, err = run_main(
        capsys,
        "run",
        str(TINY),
        "-j",
        "1",
        "-o",
        str(out_dir),
        "--tables",
        "cases",
        "--table-format",
        "csv",
    )
    assert code == 0, err
    assert (out_dir / "cases.csv").exists() and not (out_dir / "tasks.csv").exists()
    assert not (out_dir / "stages.png").exists()  # needs the task table, which was not kept
    assert (out_dir / "leadtime.png").exists() and (out_dir / "trips.png").exists()
    cases = pd.read_csv(out_dir / "cases.csv")
    assert list(cases.columns[:2]) == ["replication", "case"]


def test_run_all_tables_as_csv_draws_every_chart(tmp_path, capsys):
    """Charts read the tables back from the CSV files with their types (no chart is skipped)."""
    out_dir = tmp_path / "res"
    code, _, err = run_main(
        capsys, "run", str(TINY), "-j", "1", "-o", str(out_dir), "--table-format", "csv"
    )
    assert code == 0 and "not drawn" not in err, err
    for name in ("leadtime", "stages", "utilisation", "typical_case", "trips"):
        assert (out_dir / f"{name}.png").stat().st_size > 5_000, name
    visits = pd.read_csv(out_dir / "visits.csv")
    cases = pd.read_csv(out_dir / "cases.csv")
    assert len(visits) == len(cases)  # one item, one visit per case (no loop in tiny)


def test_run_tables_none_writes_only_summaries(tmp_path, capsys):
    out_dir = tmp_path / "res"
    code, _, err = run_main(
        capsys, "run", str(TINY), "-j", "1", "-o", str(out_dir), "--tables", "none"
    )
    assert code == 0, err
    assert not list(out_dir.glob("*.parquet")) and (out_dir / "summary.json").exists()


@pytest.mark.slow
def test_run_default_folder_under_results(tmp_path):
    out = cli("run", str(TINY), "-r", "1", "-j", "1", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    made = list((tmp_path / "results").glob("tiny-*"))
    assert len(made) == 1 and (made[0] / "summary.json").exists()


def test_out_dot_in_a_folder_with_files_refuses_and_deletes_nothing(tmp_path):
    """Issue 12.1's 'done when': `approvalsim run s.toml --out .` deletes nothing."""
    scenario = tmp_path / "s.toml"
    scenario.write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    before = tree(tmp_path)
    out = cli("run", "s.toml", "--out", ".", "-j", "1", cwd=tmp_path, timeout=120)
    assert out.returncode == 2
    assert len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    assert tree(tmp_path) == before


@pytest.mark.parametrize("make", ["file", "foreign", "ours"])
def test_existing_targets_are_refused_before_the_run(tmp_path, capsys, monkeypatch, make):
    target = tmp_path / "target"
    if make == "file":
        target.write_text("not a folder", encoding="utf-8")
    elif make == "foreign":
        target.mkdir()
        (target / "thesis.docx").write_text("years of work", encoding="utf-8")
    else:
        assert run_main(capsys, "run", str(TINY), "-j", "1", "-o", str(target))[0] == 0
    before = tree(tmp_path)

    def no_run(*a, **k):
        raise AssertionError("the simulation must not start")

    monkeypatch.setattr("sim.experiment.runner.run", no_run)
    code, _, err = run_main(capsys, "run", str(TINY), "-j", "1", "-o", str(target))
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert {
        "file": "is a file",
        "foreign": "not an approvalsim results folder",
        "ours": "--overwrite",
    }[make] in err
    assert tree(tmp_path) == before


def test_overwrite_replaces_only_our_own_folder(tmp_path, capsys):
    target = tmp_path / "res"
    assert run_main(capsys, "run", str(TINY), "-j", "1", "-o", str(target), "--seed", "1")[0] == 0
    assert (
        run_main(
            capsys, "run", str(TINY), "-j", "1", "-o", str(target), "--seed", "2", "--overwrite"
        )[0]
        == 0
    )
    assert json.loads((target / "provenance.json").read_text())["seed"] == 2
    (target / "my-notes.txt").write_text("keep me", encoding="utf-8")
    code, _, err = run_main(capsys, "run", str(TINY), "-j", "1", "-o", str(target), "--overwrite")
    assert code == 2 and "my-notes.txt" in err
    assert (target / "my-notes.txt").read_text() == "keep me"
    assert not list(tmp_path.glob(".approvalsim-*"))


def test_unwritable_and_overlong_targets_are_refused(tmp_path, capsys):
    for target, words in (
        ("/proc/approvalsim-cannot-write-here", "cannot create"),
        (str(tmp_path / ("x" * 300)), "bytes long"),
        (str(tmp_path / "file" / "below"), "is a file"),
    ):
        (tmp_path / "file").write_text("x", encoding="utf-8")
        code, _, err = run_main(capsys, "run", str(TINY), "-j", "1", "-o", target)
        assert code == 2 and words in err and len(err.strip().splitlines()) == 1, (target, err)


BAD_VALUES = [
    (["--seed", "-1"], "seed"),
    (["--seed", str(2**63)], "seed"),
    (["--seed", "x"], "not a whole number"),
    (["--precision", "nan"], "precision"),
    (["--precision", "inf"], "precision"),
    (["--precision", "-1"], "precision"),
    (["--precision", "0"], "precision"),
    (["--precision", "1"], "precision"),
    (["-r", "0"], "replications"),
    (["-r", "1000000000"], "replications"),
    (["--max-replications", "1", "--precision", "0.1"], "max_replications"),
    (["-j", "0"], "jobs"),
    (["-j", "100000"], "jobs"),
    (["--scheduler", "garbage address"], "not a scheduler address"),
    (["--tables", "some"], "invalid choice"),
    (["--reform", ":x=1"], "name a lever"),
    (["--reform", "online:novalue"], "cannot read"),
    (["--reform", "online:bogus=1"], "reforms.online.bogus: unknown key (valid: items)"),
    (["--reform", "agency:agentz=3"], "did you mean 'agents'"),
]


@pytest.mark.parametrize(("extra", "words"), BAD_VALUES, ids=[" ".join(a) for a, _ in BAD_VALUES])
def test_bad_values_are_one_clean_line_before_work(tmp_path, capsys, monkeypatch, extra, words):
    def no_run(*a, **k):
        raise AssertionError("the simulation must not start")

    monkeypatch.setattr("sim.experiment.runner.run", no_run)
    code, _, err = run_main(capsys, "run", str(TINY), "-o", str(tmp_path / "r"), *extra)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and words in err, err
    assert not (tmp_path / "r").exists() and not list(tmp_path.iterdir())


def test_jobs_beyond_the_cores_need_force(tmp_path, capsys):
    many = str((os.cpu_count() or 1) + 1)
    code, _, err = run_main(capsys, "run", str(TINY), "-j", many, "-o", str(tmp_path / "a"))
    assert code == 2 and "--force-jobs" in err
    code, _, err = run_main(
        capsys, "run", str(TINY), "-j", many, "--force-jobs", "-o", str(tmp_path / "b")
    )
    assert code == 0, err


@pytest.mark.slow
def test_an_unreachable_scheduler_fails_within_seconds(tmp_path, capsys):
    start = time.monotonic()
    code, _, err = run_main(
        capsys, "run", str(TINY), "--scheduler", "tcp://127.0.0.1:9", "-o", str(tmp_path / "r")
    )
    assert code == 2 and "no Dask scheduler handshake" in err, err
    assert time.monotonic() - start < 20
    assert not list(tmp_path.iterdir())


def test_unfinished_cases_are_said_and_warned(tmp_path, capsys):
    """A desk loaded beyond capacity with no drain: most cases never finish. The headline says
    what share, marks the means as conditional, and stderr warns (share > 5%)."""
    s = tmp_path / "jam.toml"
    s.write_text(
        TINY.read_text(encoding="utf-8")
        .replace("drain_days = 30", "drain_days = 0")
        .replace("per_year = 2000", "per_year = 20000"),
        encoding="utf-8",
    )
    # an overloaded scenario is refused (issue 10) unless --allow-unstable
    code, out, err = run_main(capsys, "run", str(s), "-j", "1", "-o", str(tmp_path / "r"))
    assert code == 3 and "'desk' is overloaded: load 2.28" in err
    assert not (tmp_path / "r").exists()
    code, out, err = run_main(
        capsys, "run", str(s), "-j", "1", "-o", str(tmp_path / "r"), "--allow-unstable"
    )
    assert code == 0, err
    assert "still growing at the horizon" in err
    assert "unfinished:" in out and "conditional on finishing" in out
    assert any(
        line.startswith("warning:") and "did not finish" in line for line in err.splitlines()
    )
    share = json.loads((tmp_path / "r" / "summary.json").read_text())
    row = next(
        m for m in share["metrics"] if m["metric"] == "unfinished_share" and m["group"] == "all"
    )
    # 20000/yr x 2 h on 2 staff is a load of 2.3: at least half the work cannot be done
    assert row["mean"] > 0.5


def test_compare_refuses_two_scenarios_with_one_name(tmp_path, capsys):
    code, _, err = run_main(
        capsys, "compare", str(TINY), str(TINY), "-r", "2", "-j", "1", "-o", str(tmp_path / "c")
    )
    assert code == 2 and "scenario.name" in err and str(TINY) in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c").exists()


def test_compare_json_has_the_documented_fields(tmp_path, capsys):
    """Every record carries the README's fields, and they agree with each other: delta is the
    difference of the means, its CI contains it, the relative delta is delta over baseline."""
    alt = tmp_path / "alt.toml"
    alt.write_text(
        TINY.read_text(encoding="utf-8")
        .replace('name = "tiny"', 'name = "two more"')
        .replace("staff = 2", "staff = 4"),
        encoding="utf-8",
    )
    code, out, err = run_main(
        capsys, "compare", str(TINY), str(alt), "-r", "3", "-j", "1", "--format", "json"
    )
    assert code == 0, err
    rows = json.loads(out)
    need = {
        "scenario",
        "group",
        "metric",
        "baseline",
        "baseline_mean",
        "alternative_mean",
        "delta",
        "delta_ci_low",
        "delta_ci_high",
        "relative_delta",
        "relative_ci_low",
        "relative_ci_high",
        "replications",
    }
    assert rows and all(set(r) == need for r in rows)
    compare_row = next(
        line
        for line in (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
        if line.startswith("| `approvalsim compare")
    )
    assert {f for f in need if f"`{f}`" not in compare_row} == set()  # the README lists them
    for r in rows:
        if r["delta"] is None:
            continue
        assert r["delta"] == pytest.approx(r["alternative_mean"] - r["baseline_mean"], abs=1e-9)
        if r["delta_ci_low"] is not None:
            assert r["delta_ci_low"] <= r["delta"] <= r["delta_ci_high"]
        if r["baseline_mean"]:
            assert r["relative_delta"] == pytest.approx(r["delta"] / r["baseline_mean"])
    lead = next(r for r in rows if r["metric"] == "lead_wd_mean" and r["group"] == "all")
    assert (
        lead["scenario"] == "two more" and lead["baseline"] == "tiny" and lead["replications"] == 3
    )
    assert lead["delta"] < 0  # twice the staff never makes the wait longer under CRN


@pytest.mark.slow
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
            "--allow-outside",
        )
        assert out.returncode == 0, out.stderr
        assert check(out.stdout), out.stdout[:200]
        assert (tmp_path / fmt / "comparison.png").stat().st_size > 10_000
        table = pd.read_csv(tmp_path / fmt / "comparison.csv")
        assert set(table["scenario"]) == {"alt"} and (table["replications"] == 2).all()


@pytest.mark.slow
def test_brief_writes_a_pdf(tmp_path):
    out = cli("brief", str(DEFAULT), "-r", "1", "-j", "1", "--out", str(tmp_path / "b"))
    assert out.returncode == 0, out.stderr
    folder = tmp_path / "b"
    assert (folder / "briefing.pdf").stat().st_size > 10_000
    prov = json.loads((folder / "provenance.json").read_text())
    assert prov["kind"] == "comparison" and "briefing.pdf" in prov["files"]


def test_csv_cells_a_spreadsheet_would_run_are_inert(tmp_path, capsys):
    evil = tmp_path / "evil.toml"
    evil.write_text(
        TINY.read_text(encoding="utf-8").replace(
            'name = "tiny"', 'name = "=HYPERLINK(\\"http://x\\")"'
        ),
        encoding="utf-8",
    )
    code, _, err = run_main(
        capsys, "compare", str(TINY), str(evil), "-r", "2", "-j", "1", "-o", str(tmp_path / "c")
    )
    assert code == 0, err
    text = (tmp_path / "c" / "comparison.csv").read_text(encoding="utf-8")
    assert "'=HYPERLINK" in text
    assert not any(
        cell.startswith(("=", "+", "@")) for line in text.splitlines() for cell in line.split(",")
    )


# --------------------------------------------------------------------------- issue 12, re-checked


def _stranger(payload: bytes) -> tuple[socket.socket, int]:
    """A TCP server on localhost that answers every connection with ``payload`` and then keeps
    it open: not a Dask scheduler, but something that answers (a web server, a proxy)."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    held: list[socket.socket] = []

    def serve() -> None:
        while True:
            try:
                conn, _ = server.accept()
            except OSError:  # closed at the end of the test
                return
            held.append(conn)
            with contextlib.suppress(OSError):
                conn.sendall(payload)

    threading.Thread(target=serve, daemon=True).start()
    return server, server.getsockname()[1]


@pytest.mark.parametrize(
    "payload",
    [b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n", b"\xff" * 64],
    ids=["http", "binary"],
)
def test_a_scheduler_address_where_something_else_answers_is_one_clean_line(
    tmp_path, capsys, payload
):
    """Issue 12.8: --scheduler must fail cleanly whatever answers. An HTTP reply made Dask's
    frame decoder try to allocate 3 EiB (a MemoryError traceback), and a half-made client then
    waited 10 s at exit to print another traceback."""
    pytest.importorskip("distributed")
    server, port = _stranger(payload)
    start = time.monotonic()
    try:
        code, _, err = run_main(
            capsys,
            "run",
            str(TINY),
            "--scheduler",
            f"tcp://127.0.0.1:{port}",
            "-o",
            str(tmp_path / "r"),
        )
    finally:
        server.close()
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1 and "no Dask scheduler handshake" in err, err
    assert "Traceback" not in err
    assert time.monotonic() - start < 10
    assert not list(tmp_path.iterdir())


def test_no_case_in_the_window_is_said_and_no_chart_fails(tmp_path, capsys):
    """Issue 12.4 ("no arrivals in the horizon" was a KeyError after the run): the only case
    arrives after the horizon. The run writes its folder, says there is nothing to summarise
    instead of a table of blanks, and draws no chart rather than failing on each."""
    s = tmp_path / "late.toml"
    s.write_text(
        TINY.read_text(encoding="utf-8").replace(
            'arrivals = { process = "poisson", per_year = 2000 }',
            'arrivals = { process = "list", days = [100.0] }',
        ),
        encoding="utf-8",
    )
    code, out, err = run_main(capsys, "run", str(s), "-j", "1", "-o", str(tmp_path / "r"))
    assert code == 0, err
    assert "no case arrived in the measurement window: nothing to summarise" in out
    assert "Traceback" not in err and "Error" not in err, err
    assert "charts not drawn: no case arrived in the measurement window" in err
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["metrics"] and all(m["cases"] == 0 for m in summary["metrics"])
    assert not list((tmp_path / "r").glob("*.png"))


@pytest.mark.parametrize("command", ["compare", "brief"])
def test_out_dot_refuses_for_compare_and_brief_too(tmp_path, capsys, monkeypatch, command):
    """Issue 12.1: 'Same for compare and brief' — `--out .` in a folder of the user's files."""
    (tmp_path / "s.toml").write_text(TINY.read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "alt.toml").write_text(
        TINY.read_text(encoding="utf-8").replace('name = "tiny"', 'name = "alt"'),
        encoding="utf-8",
    )
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    before = tree(tmp_path)
    monkeypatch.chdir(tmp_path)

    def no_run(*a, **k):
        raise AssertionError("the simulation must not start")

    monkeypatch.setattr("sim.experiment.runner.run", no_run)
    args = ["s.toml", "alt.toml"] if command == "compare" else ["s.toml", "-r", "1"]
    code, _, err = run_main(capsys, command, *args, "-j", "1", "--out", ".")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
    assert "is the folder you are in" in err
    assert tree(tmp_path) == before


def test_out_through_a_symbolic_link(tmp_path, capsys):
    """Issue 12.1/12.4 (--out to a symlink): a link to a folder of the user's is refused and
    nothing behind it changes; a link to our own results folder is overwritten in place with
    --overwrite, the link kept as a link."""
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.docx").write_text("years of work", encoding="utf-8")
    (tmp_path / "to-mine").symlink_to(mine)
    before = tree(tmp_path)
    code, _, err = run_main(capsys, "run", str(TINY), "-j", "1", "-o", str(tmp_path / "to-mine"))
    assert code == 2 and "not an approvalsim results folder" in err, err
    assert tree(tmp_path) == before and (tmp_path / "to-mine").is_symlink()
    ours = tmp_path / "ours"
    assert run_main(capsys, "run", str(TINY), "-j", "1", "-o", str(ours), "--seed", "1")[0] == 0
    (tmp_path / "to-ours").symlink_to(ours)
    code, _, err = run_main(
        capsys,
        "run",
        str(TINY),
        "-j",
        "1",
        "-o",
        str(tmp_path / "to-ours"),
        "--seed",
        "2",
        "--overwrite",
    )
    assert code == 0, err
    assert (tmp_path / "to-ours").is_symlink()
    assert json.loads((ours / "provenance.json").read_text())["seed"] == 2
    assert (mine / "thesis.docx").read_text(encoding="utf-8") == "years of work"
    assert not list(tmp_path.glob(".approvalsim-*"))


@pytest.mark.slow
def test_brief_of_a_scenario_without_milestones(tmp_path, capsys):
    """Issue 12.4: `brief` on a scenario with no title milestone was a KeyError. The tiny
    scenario declares no milestones, intervals or targets: the briefing is written."""
    code, _, err = run_main(
        capsys, "brief", str(TINY), "-r", "2", "-j", "1", "-o", str(tmp_path / "b")
    )
    assert code == 0, err
    assert "Traceback" not in err
    pdf = (tmp_path / "b" / "briefing.pdf").read_bytes()
    assert pdf[:5] == b"%PDF-" and len(pdf) > 10_000
