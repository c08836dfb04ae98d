"""The one replication driver: every run, comparison, precision loop and sweep goes through it.

A :class:`Task` names one replication of one (already reformed) scenario: the seed, the
replication number, which tables to keep and, optionally, a folder where a file sink writes them.
:func:`perform` runs it — in this process, in a local worker process, or on a Dask worker — and
returns a :class:`~sim.experiment.results.Replication`: the replication's summary rows and its
department table always, its trace only when the tables are kept in memory. Whole task tables
never travel between processes when they go to files.

:class:`Driver` is the only place that schedules tasks. It keeps a bounded number of tasks in
flight on one ``concurrent.futures``-style executor — its own process pool (``jobs`` workers),
any executor the caller passes (a Dask client's), or a serial executor that runs each task as it
is submitted — so the code path is the same for all three, and results are returned in task
order whatever order they finish in. Replication ``r`` of seed ``S`` draws from
``SeedSequence(S, spawn_key=(r, ...))`` wherever it runs, so the numbers do not depend on the
executor or on ``jobs``. A progress callback hears ``(done, total)`` after every finished task.

Worker processes of the driver's own pool die with the driver, even when it is killed with
SIGKILL: on Linux each worker asks the kernel for a parent-death signal, and everywhere a
watchdog thread in each worker exits when its parent changes.
"""

from __future__ import annotations

import contextlib
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Executor, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.summary import case_columns, per_replication
from sim.experiment.limits import MAX_JOBS
from sim.experiment.results import KEEP, Replication
from sim.experiment.sinks import sink_for
from sim.model.engine import Model
from sim.model.trace import TABLES, Trace
from sim.scenario.schema import Scenario

#: ``progress(done, total)``: called after every finished task (total grows in precision loops).
Progress = Callable[[int, int], None]


@dataclass(frozen=True)
class TableOutput:
    """Where a task's tables go: a folder shared with the workers, and the file format."""

    folder: str
    format: str = "parquet"


@dataclass(frozen=True)
class Task:
    """One replication to run: scenario (levers applied), seed, number, what to keep."""

    scenario: Scenario
    seed: int
    replication: int
    keep: str = "all"  # tables kept: "all", "cases" or "none"
    output: TableOutput | None = None  # stream the kept tables to files instead of returning them
    cases_in_memory: bool = False  # return the case table even when it goes to a file (MSER-5)


def kept_tables(keep: str) -> tuple[str, ...]:
    """The trace tables a ``keep`` level keeps."""
    return {"all": ("cases", *TABLES), "cases": ("cases",), "none": ()}[keep]


def perform(task: Task) -> Replication:
    """Run one replication and return what the caller keeps of it (a picklable function).

    With an ``output`` folder the model streams the kept tables to a file sink in chunks as it
    runs (only the case table stays in memory, for the summary); otherwise they are kept in
    memory and returned with the trace.
    """
    names = kept_tables(task.keep)
    recorded = tuple(n for n in names if n != "cases")  # what the model records beyond cases
    to_file = task.output is not None and bool(names)
    returned = task.cases_in_memory or (bool(names) and not to_file)
    # a trace that is not returned only feeds the summary: it holds the columns that reads
    slim = None if returned else case_columns(task.scenario.intervals)
    if to_file:
        # with cases_in_memory the caller writes the case table itself (after truncation)
        files = [n for n in names if not (task.cases_in_memory and n == "cases")]
        sink = sink_for(task.output.format, Path(task.output.folder), task.replication, files)
        trace = Model(
            task.scenario,
            seed=task.seed,
            replication=task.replication,
            sink=sink,
            keep=recorded,
            case_columns=slim,
        ).run()
    else:
        trace = Model(
            task.scenario,
            seed=task.seed,
            replication=task.replication,
            keep=recorded,
            case_columns=slim,
        ).run()
    kept = trace if returned else None
    summary = per_replication([trace]).assign(replication=task.replication)
    return Replication(
        index=task.replication,
        summary=summary,
        departments=trace.departments,
        meta=dict(trace.meta),
        trace=kept,
    )


# --------------------------------------------------------------------------- worker lifetime


def _watch_parent(parent: int) -> None:
    while True:
        if os.getppid() != parent:
            os._exit(1)  # the parent is gone: nobody will read our result
        time.sleep(0.5)


def _die_with_parent() -> None:
    """Worker initializer: exit when the process that started us dies, SIGKILL included."""
    parent = os.getppid()
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    if os.getppid() != parent:  # died between fork and prctl
        os._exit(1)
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


class _Serial(Executor):
    """An executor that runs each task when it is submitted, in this process."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future:
        """Run ``fn`` now; return a finished future (its exception included)."""
        future: Future = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except Exception as exc:  # handed to the caller through the future, as a pool does
            future.set_exception(exc)
        return future


class Driver:
    """Runs tasks on one executor, a bounded number in flight, results in task order.

    ``jobs`` > 1 starts a local process pool (owned and shut down by the driver) on first use;
    ``executor`` uses the caller's executor instead (e.g. ``client.get_executor()`` of Dask);
    otherwise tasks run serially in this process. Use as a context manager so the pool is shut
    down, or call :meth:`close`.
    """

    def __init__(
        self, jobs: int = 1, executor: Executor | None = None, progress: Progress | None = None
    ) -> None:
        self.jobs = max(1, min(int(jobs), MAX_JOBS))
        self.progress = progress
        self._given = executor
        self._pool: ProcessPoolExecutor | None = None
        self.done = 0
        self.total = 0

    def __enter__(self) -> Driver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Shut the driver's own pool down (cancelling what has not started)."""
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def _executor(self, n_tasks: int) -> tuple[Executor, int]:
        if self._given is not None:
            return self._given, max(n_tasks, 1)
        if self.jobs <= 1 or n_tasks <= 1:
            return _Serial(), 1
        if self._pool is None:
            self._pool = ProcessPoolExecutor(max_workers=self.jobs, initializer=_die_with_parent)
        return self._pool, 2 * self.jobs

    def expect(self, n: int) -> None:
        """Announce ``n`` more tasks (so the progress total is right before they start)."""
        self.total += n
        if self.progress is not None:
            self.progress(self.done, self.total)

    def as_completed(
        self, tasks: Sequence[Task], fn: Callable[[Task], Any] = perform
    ) -> Iterator[tuple[int, Any]]:
        """Run ``fn`` on every task; yield ``(position, outcome)`` as each finishes."""
        if not tasks:
            return
        self.expect(len(tasks))
        executor, window = self._executor(len(tasks))
        pending: dict[Future, int] = {}
        queue = iter(enumerate(tasks))
        try:
            while True:
                for pos, task in queue:
                    pending[executor.submit(fn, task)] = pos
                    if len(pending) >= window:
                        break
                if not pending:
                    return
                finished, _ = wait(pending, return_when=FIRST_COMPLETED)
                for fut in finished:
                    pos = pending.pop(fut)
                    outcome = fut.result()
                    self.done += 1
                    if self.progress is not None:
                        self.progress(self.done, self.total)
                    yield pos, outcome
        finally:
            for fut in pending:
                fut.cancel()

    def run(self, tasks: Sequence[Task], fn: Callable[[Task], Any] = perform) -> list[Any]:
        """Run ``fn`` on every task; the outcomes in task order."""
        out: list[Any] = [None] * len(tasks)
        for pos, outcome in self.as_completed(tasks, fn):
            out[pos] = outcome
        return out


def run_traces(
    scenario: Scenario, seed: int, replications: Sequence[int], driver: Driver
) -> list[Trace]:
    """Full traces of the given replications (kept in memory), in order."""
    tasks = [Task(scenario, seed, r, keep="all") for r in replications]
    return [rep.trace for rep in driver.run(tasks)]


def check_keep(keep: str) -> str:
    """``keep`` if it is a known level; a ValueError naming the valid ones otherwise."""
    if keep not in KEEP:
        raise ValueError(f"tables must be one of {', '.join(KEEP)} (got {keep!r})")
    return keep
