"""The replication driver and the progress bar: one code path, order kept, progress heard."""

from __future__ import annotations

import io

import sim
from sim.experiment.driver import Driver, Task
from sim.experiment.progress import ProgressBar
from sim.reforms import apply_all
from tests.conftest import base_data


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_results_come_back_in_task_order_whatever_runs_them(make):
    sc = apply_all(make(base_data()))[0]
    tasks = [Task(sc, 3, r, keep="none") for r in range(4)]
    with Driver(jobs=1) as serial, Driver(jobs=2) as pool:
        a = serial.run(tasks)
        b = pool.run(tasks)
    assert [r.index for r in a] == [r.index for r in b] == [0, 1, 2, 3]
    for x, y in zip(a, b, strict=True):
        assert x.summary.equals(y.summary) and x.trace is None and y.trace is None


def test_progress_hears_every_replication_and_a_growing_total(make):
    """A precision loop adds replications in batches: the total grows, done never goes back."""
    heard: list[tuple[int, int]] = []
    res = sim.run(
        make(base_data()),
        replications=2,
        precision=1e-9,  # never reached: the cap decides
        max_replications=7,
        progress=lambda done, total: heard.append((done, total)),
    )
    assert len(res.replications) == 7 and not res.precision.reached
    assert heard[-1] == (7, 7)
    assert all(d1 <= d2 and t1 <= t2 for (d1, t1), (d2, t2) in zip(heard, heard[1:], strict=False))
    assert len({t for _, t in heard}) >= 2  # the total was raised at least once
    assert sorted({d for d, _ in heard}) == list(range(8))  # each replication reported


def test_the_bar_draws_an_eta_on_a_terminal_and_nothing_elsewhere():
    tty, pipe = Terminal(), io.StringIO()
    for stream in (tty, pipe):
        bar = ProgressBar("run", stream)
        for done in range(4):
            bar(done, 3 if done < 3 else 3)
        bar.close()
    text = tty.getvalue()
    assert "run:" in text and "3/3" in text and "<" in text  # tqdm's [elapsed<remaining]
    assert text.endswith("\r")  # the bar is cleared when done
    assert pipe.getvalue() == ""
