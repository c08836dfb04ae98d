"""The writer and the file sinks: atomic, inert, never destroying, keeping what was computed."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiment import store
from sim.experiment.errors import OutputError, UsageError
from sim.experiment.sinks import CsvSink, ParquetSink, feed, inert, inert_frame, merge_parts

ROOT = Path(__file__).resolve().parents[2]
TINY = ROOT / "tests" / "experiment" / "tiny.toml"


def test_inert_cells():
    assert inert("=HYPERLINK(1)") == "'=HYPERLINK(1)"
    for risky in ("+1", "-cmd", "@SUM(A1)", "\tx", "\rx"):
        assert inert(risky).startswith("'")
    assert inert("planning") == "planning" and inert("") == ""
    df = pd.DataFrame(
        {
            "name": ["=1+1", "ok"],
            "kind": pd.Categorical(["@x", "y"]),
            "value": [-1.5, 2.0],  # numbers stay numbers, minus signs included
        }
    )
    out = inert_frame(df)
    assert list(out["name"]) == ["'=1+1", "ok"] and list(out["kind"]) == ["'@x", "y"]
    assert list(out["value"]) == [-1.5, 2.0] and list(df["name"]) == ["=1+1", "ok"]


@pytest.mark.parametrize("sink_cls", [ParquetSink, CsvSink])
def test_sinks_stream_chunks_and_merge_in_replication_order(tmp_path, sink_cls):
    """Two replications write parts in chunks (codes for categories, as the engine does); the
    merge stacks them in replication order with a replication column and removes the parts."""
    fmt = "parquet" if sink_cls is ParquetSink else "csv"
    labels = ["planning", "=evil"]
    for rep in (1, 0):  # written out of order on purpose
        sink = sink_cls(tmp_path, rep)
        sink.open("tasks", ["case", "item", "wait_h"], {"item": labels})
        for start in (0, 3):
            n = np.arange(start, start + 3)
            sink.write("tasks", {"case": n, "item": n % 2, "wait_h": n * 0.5 + rep})
        sink.close()
    path = merge_parts(tmp_path, "tasks", fmt, [0, 1])
    assert path == tmp_path / f"tasks.{fmt}" and not (tmp_path / "parts").exists()
    table = pd.read_parquet(path) if fmt == "parquet" else pd.read_csv(path)
    assert list(table.columns) == ["replication", "case", "item", "wait_h"]
    assert list(table["replication"]) == [0] * 6 + [1] * 6
    assert list(table["case"]) == list(range(6)) * 2
    assert table["wait_h"].iloc[7] == pytest.approx(1 * 0.5 + 1)
    items = [str(v) for v in table["item"].iloc[:2]]
    assert items == (["planning", "=evil"] if fmt == "parquet" else ["planning", "'=evil"])


def test_feed_round_trips_a_trace_table(tmp_path, make):
    from tests.conftest import base_data

    trace = sim.simulate(make(base_data()))
    sink = ParquetSink(tmp_path)
    feed(trace.tasks, "tasks", sink)
    sink.close()
    back = pd.read_parquet(tmp_path / "tasks.parquet")
    assert len(back) == len(trace.tasks) and list(back.columns) == list(trace.tasks.columns)
    assert np.allclose(back["finished_h"], trace.tasks["finished_h"])
    assert list(back["item"].astype(str)) == list(trace.tasks["item"].astype(str))


def test_stale_temporary_folders_of_dead_runs_are_removed(tmp_path):
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    pid = int(dead.stdout)
    stale = tmp_path / f"{store.TMP_PREFIX}{pid}-abc"
    live = tmp_path / f"{store.TMP_PREFIX}{os.getpid()}-abc"
    other = tmp_path / ".approvalsim-something-else"
    for d in (stale, live, other):
        d.mkdir()
        (d / "cases.parquet").write_bytes(b"x")
    dest = store.prepare(tmp_path / "new")
    assert not stale.exists() and live.exists() and other.exists()
    dest.abort()
    assert not dest.tmp.exists() and not (tmp_path / "new").exists()


def test_a_chart_that_fails_is_a_note_and_the_numbers_are_kept(tmp_path, make):
    from tests.conftest import base_data

    result = sim.run(make(base_data()), replications=2)

    def charts(res):
        def broken(path):
            raise ValueError("Encountered all NA values")

        def fine(path):
            path.write_bytes(b"png")

        yield "typical_case", broken
        yield "leadtime", fine

    written = store.write(result, tmp_path / "r", charts=charts)
    assert written.notes == (
        "chart 'typical_case' not drawn: ValueError: Encountered all NA values",
    )
    assert {"summary.json", "leadtime.png", "cases.parquet"} <= set(written.files)
    assert (tmp_path / "r" / "summary.json").exists() and not (
        tmp_path / "r" / "typical_case.png"
    ).exists()


def test_a_failed_rename_keeps_what_was_computed(tmp_path, make, monkeypatch):
    from tests.conftest import base_data

    result = sim.run(make(base_data()), replications=2)
    dest = store.prepare(tmp_path / "r")
    real = os.replace

    def refuse(src, dst, *a, **k):
        if Path(dst) == dest.final:
            raise OSError(28, "No space left on device")
        return real(src, dst, *a, **k)

    monkeypatch.setattr(store.os, "replace", refuse)
    with pytest.raises(OutputError) as err:
        store.write(result, dest)
    message = str(err.value)
    assert "No space left on device" in message and "kept in" in message
    kept = Path(message.rsplit("kept in ", 1)[1])
    assert (kept / "summary.json").exists() and (kept / "provenance.json").exists()
    assert not list(tmp_path.glob(f"{store.TMP_PREFIX}*"))  # nothing left under a temporary name


def test_prepare_refuses_before_anything_is_made(tmp_path):
    (tmp_path / "f").write_text("x")
    with pytest.raises(UsageError, match="is a file"):
        store.prepare(tmp_path / "f")
    with pytest.raises(UsageError, match="empty"):
        store.prepare("")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


@pytest.mark.slow
def test_a_run_killed_while_writing_leaves_nothing_the_next_run_keeps(tmp_path):
    """SIGKILL in the middle of a run leaves its temporary folder (nothing can run after
    SIGKILL); the next run into the same place removes it, and the killed run's workers die."""
    s = tmp_path / "long.toml"
    s.write_text(
        TINY.read_text(encoding="utf-8").replace("horizon_days = 60", "horizon_days = 3000"),
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sim.cli",
            "run",
            str(s),
            "-r",
            "40",
            "-j",
            "2",
            "-o",
            str(tmp_path / "a"),
        ],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not list(tmp_path.glob(f"{store.TMP_PREFIX}*/parts")):
        time.sleep(0.2)
    workers = _children(proc.pid)
    assert workers, "the run started no worker process"
    assert list(tmp_path.glob(f"{store.TMP_PREFIX}*")), "the run never started writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    _wait_gone(workers)
    assert list(tmp_path.glob(f"{store.TMP_PREFIX}*"))  # left behind by the killed run
    dest = store.prepare(tmp_path / "b")
    dest.abort()
    assert not list(tmp_path.glob(".approvalsim-*")) and not (tmp_path / "a").exists()


def _children(pid: int) -> list[int]:
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(pid)], capture_output=True, text=True)
    return [int(x) for x in out.stdout.split()]


def _wait_gone(pids: list[int], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        alive = [p for p in pids if _alive(p)]
        if not alive:
            return
        time.sleep(0.2)
    raise AssertionError(f"worker processes {alive} outlived their parent")


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as f:
            return f.read().split()[2] != "Z"  # a zombie has exited
    except FileNotFoundError:
        return False


def test_results_json_is_plain(tmp_path, make):
    from tests.conftest import base_data

    result = sim.run(make(base_data()), replications=2)
    store.write(result, tmp_path / "r")
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["replications"] == 2 and summary["scenario"] == "t"


@pytest.mark.parametrize("fmt", ["parquet", "csv"])
def test_tables_streamed_to_files_equal_the_tables_kept_in_memory(tmp_path, fmt):
    """Same seed, same numbers: a run whose tables went to files through the sinks reads back
    exactly the tables a run that kept them in memory holds (every numeric column, in order)."""
    on_disk = sim.run(TINY, out=tmp_path / fmt, table_format=fmt)
    in_memory = sim.run(TINY)
    assert on_disk.tables is not None and on_disk.tables.folder == tmp_path / fmt
    assert len(on_disk.traces) == 2  # read lazily: len() reads nothing
    for name in ("cases", "tasks", "activities", "visits"):
        a, b = getattr(in_memory, name), getattr(on_disk, name)
        assert list(a.columns) == list(b.columns) and len(a) == len(b), name
        for col in a.columns if len(a) else ():  # an empty CSV table has no types to compare
            if a[col].dtype.kind in "fiub":
                same = np.array_equal(
                    a[col].to_numpy(), b[col].to_numpy(), equal_nan=a[col].dtype.kind == "f"
                )
                assert same, (name, col)
    t = on_disk.traces[1]
    assert t.cases["case"].is_monotonic_increasing and t.meta["replication"] == 1
    assert on_disk.summary.equals(in_memory.summary)


def test_sweep_tables_fail_whole_or_not_at_all(tmp_path, monkeypatch):
    """Issue 12.9: points.csv, tornado.csv and sobol.csv are written atomically. A write that
    dies half-way (disk full) leaves each earlier table whole, byte for byte, and no stray
    temporary file; a write that succeeds replaces it."""
    import types

    def tables(n: int) -> types.SimpleNamespace:
        frame = pd.DataFrame({"point": [f"p{i}" for i in range(n)], "mean": np.arange(n) / 3})
        return types.SimpleNamespace(points=frame, tornado=frame.copy(), sobol=frame.copy())

    assert store.sweep_tables(tables(3), tmp_path) == ["points.csv", "tornado.csv", "sobol.csv"]
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    real = pd.DataFrame.to_csv

    def half_then_full_disk(self, path, *a, **k):
        Path(path).write_text("point,mean\np0,", encoding="utf-8")  # a torn first line
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(pd.DataFrame, "to_csv", half_then_full_disk)
    for name in ("points", "tornado", "sobol"):
        one = types.SimpleNamespace(points=None, tornado=None, sobol=None)
        setattr(one, name, getattr(tables(5), name))
        with pytest.raises(OSError):
            store.sweep_tables(one, tmp_path)
        assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    monkeypatch.setattr(pd.DataFrame, "to_csv", real)
    store.sweep_tables(tables(5), tmp_path)
    assert all(len(pd.read_csv(tmp_path / n)) == 5 for n in before)


def test_a_json_write_that_fails_leaves_the_old_file_and_no_temporary(tmp_path, monkeypatch):
    """Issue 12.9, for the JSON files (summary, provenance, a sweep's replication records)."""
    target = tmp_path / "summary.json"
    store.write_json(target, {"mean": 1.5})
    before = target.read_bytes()

    def full_disk(src, dst, *a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(store.os, "replace", full_disk)
    with pytest.raises(OSError):
        store.write_json(target, {"mean": 2.5})
    assert [p.name for p in tmp_path.iterdir()] == ["summary.json"]
    assert target.read_bytes() == before
