"""The commands of approvalsim as Python functions: the public API the command line calls.

``approvalsim run | compare | sweep | brief | check | explain | reforms`` is a thin shell over
these functions (``sim.run``, ``sim.compare``, ...): the shell parses and prints, these do the
work, in the same order for every command —

1. check every value that could fail (seed range, precision, replications, jobs, the output
   folder, the scheduler's reachability) *before* any simulation starts;
2. run, through the one replication driver, with a progress callback;
3. write any result with the one writer (:func:`sim.experiment.store.write`), charts drawn by the
   report layer through a hook.

Notes the user should read — a lever given twice, a chart that could not be drawn, a sweep folder
of other inputs — are issued as :class:`Note` warnings: the command line prints each as one line
on stderr, a notebook shows them as warnings.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sim.analysis.queueing import Load, offered_load, overload_lines
from sim.api import load as _load
from sim.experiment import store
from sim.experiment.driver import Progress, TableOutput
from sim.experiment.errors import OutputError, UsageError
from sim.experiment.executors import check_address, executor_for
from sim.experiment.limits import MAX_JOBS, MAX_SEED
from sim.experiment.results import Comparison, RunResult, SweepResult
from sim.experiment.runner import check_run_values
from sim.experiment.sinks import FORMATS
from sim.experiment.stability import at_horizon, backlog_line, check_stable, reformed
from sim.reforms import LEVERS, Account, apply_all
from sim.scenario.load import Problem, ScenarioError
from sim.scenario.schema import Scenario

__all__ = [
    "Briefing",
    "advise",
    "calibrate",
    "Caution",
    "Check",
    "Note",
    "brief",
    "check",
    "check_values",
    "compare",
    "explain",
    "levers",
    "open_scenario",
    "run",
    "sweep",
]


class Note(UserWarning):
    """Something the user should read, that does not stop the command."""


class Caution(Note):
    """A note that questions the numbers themselves (printed as a warning)."""


def note(text: str, category: type[Note] = Note) -> None:
    """Issue a :class:`Note` (the command line prints it as one line on stderr)."""
    warnings.warn(text, category, stacklevel=2)


# --------------------------------------------------------------------------- values


def check_values(
    *,
    seed: int | None = None,
    replications: int | None = None,
    precision: float | None = None,
    max_replications: int = 200,
    jobs: int | None = None,
    force_jobs: bool = False,
    scheduler: str | None = None,
    tables: str = "all",
    table_format: str = "parquet",
    warmup: str | None = None,
) -> None:
    """Refuse any value that cannot work, with one line each (UsageError), before any work."""
    if seed is not None and not 0 <= seed <= MAX_SEED:
        raise UsageError(f"seed must be a whole number from 0 to {MAX_SEED} (got {seed})")
    check_run_values(
        replications if replications is not None else 1, precision, max_replications, warmup
    )
    if replications is not None and precision is not None and replications > max_replications:
        raise UsageError(
            f"replications ({replications}) exceed max_replications ({max_replications})"
        )
    if jobs is not None:
        cores = os.cpu_count() or 1
        cap = MAX_JOBS if force_jobs else cores
        if not 1 <= jobs <= cap:
            more = "" if force_jobs else " (this machine's cores; --force-jobs allows more)"
            raise UsageError(f"jobs must be from 1 to {cap}{more} (got {jobs})")
    if scheduler is not None:
        check_address(scheduler)
    if tables not in ("all", "cases", "none"):
        raise UsageError(f"tables must be one of all, cases, none (got {tables!r})")
    if table_format not in FORMATS:
        raise UsageError(f"table format must be one of {', '.join(FORMATS)} (got {table_format!r})")


# --------------------------------------------------------------------------- scenarios


def _front_door(path: str | Path, overrides: Mapping[str, Any] | None, allow_outside: bool):
    """``sim.load``: schema, references, levers, files, whether a case can finish."""
    return _load(path, overrides, allow_outside=allow_outside)


def open_scenario(
    source: str | Path | Scenario,
    reforms: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    allow_outside: bool = False,
) -> Scenario:
    """A scenario from a file (or as given), with extra levers switched on after the file's own.

    A lever the file already switches on is *merged*: the keys given here replace the file's
    keys of that lever, its other keys stay, and it keeps its place in the file's order — and a
    :class:`Note` says which keys changed (e.g. ``departments``: 8 values -> 1).
    """
    if isinstance(source, Scenario):
        if reforms:
            raise UsageError("extra levers apply to scenario files; use sim.reforms.apply here")
        return source
    if not reforms:
        return _front_door(source, None, allow_outside)
    plain = _front_door(source, None, allow_outside)
    for name, params in reforms.items():
        if name in plain.reforms:
            old = plain.reforms[name] or {}
            changed = []
            for key, value in params.items():
                if key in old:
                    changed.append(f"{key}: {_describe(old[key])} -> {_describe(value)}")
                else:
                    changed.append(f"{key}: added ({_describe(value)})")
            kept = [k for k in old if k not in params]
            note(
                f"lever {name!r} is already in {source}: merged — "
                + ("; ".join(changed) or "no keys given")
                + (f"; kept from the file: {', '.join(kept)}" if kept else "")
            )
    return _front_door(source, {"reforms": {k: dict(v) for k, v in reforms.items()}}, allow_outside)


def _describe(value: Any) -> str:
    if isinstance(value, list | tuple):
        return f"{len(value)} value{'s' if len(value) != 1 else ''}"
    return repr(value)


@dataclass(frozen=True)
class Check:
    """A validated scenario and each department's offered load (before anything runs)."""

    file: str
    scenario: Scenario
    loads: tuple[Load, ...]

    @property
    def warnings(self) -> list[str]:
        """One line per overloaded department: its load and the staff it would need."""
        return overload_lines(self.loads)

    @property
    def stable(self) -> bool:
        """Whether every department can keep up (no load at or above 1)."""
        return all(ld.stable for ld in self.loads)


def check(source: str | Path | Scenario, *, allow_outside: bool = False) -> Check:
    """Validate a scenario (file) and compute every department's offered load.

    The loads come from the traffic equations (every visit, correction and loop counted) of the
    scenario as it would run, its levers applied.
    """
    sc = open_scenario(source, allow_outside=allow_outside)
    return Check(
        str(source) if not isinstance(source, Scenario) else sc.scenario.name,
        sc,
        tuple(offered_load(reformed(sc))),
    )


def explain(
    source: str | Path | Scenario,
    reforms: Mapping[str, Mapping[str, Any]] | None = None,
    *,
    allow_outside: bool = False,
) -> tuple[Scenario, list[Account]]:
    """Apply a scenario's levers: the scenario as it would run and each lever's account."""
    return apply_all(open_scenario(source, reforms, allow_outside=allow_outside))


def levers() -> list[dict[str, Any]]:
    """Every lever: name, Chinese name, summary, and each parameter with default and meaning."""
    out = []
    for name, mod in LEVERS.items():
        params = []
        for key, info in mod.Params.model_fields.items():
            if info.is_required():
                default: Any = "required"
            else:
                default = info.default_factory() if info.default_factory else info.default  # type: ignore[call-arg]
            if hasattr(default, "model_dump"):
                default = default.model_dump(mode="json", by_alias=True, exclude_none=True)
            params.append(
                {
                    "name": info.alias or key,
                    "default": default,
                    "description": info.description or "",
                }
            )
        out.append({"name": name, "zh": mod.ZH, "summary": mod.SUMMARY, "parameters": params})
    return out


# --------------------------------------------------------------------------- charts (hooks)


def _saver(draw: Any, *args: Any, **kwargs: Any):
    def save(path: Path) -> None:
        import matplotlib.pyplot as plt

        fig = draw(*args, **kwargs)
        try:
            fig.savefig(path)
        finally:
            plt.close(fig)

    return save


def run_charts(result: RunResult) -> Iterator[tuple[str, Any]]:
    """The charts of a run's folder, each drawn only when the tables it needs were kept."""
    from sim.report import charts

    if result.has("cases"):
        yield "leadtime", _saver(charts.lead_time_chart, result)
    if result.has("tasks"):
        yield "stages", _saver(charts.stage_breakdown_chart, result)
        yield "utilisation", _saver(charts.utilisation_heatmap, result)
        yield "typical_case", _saver(charts.swimlane_chart, result)
    if result.has("cases"):
        yield "trips", _saver(charts.trips_chart, [result])
    from sim.analysis.critical import available

    if available(result):  # needs no table: added up while the run went
        yield "critical_path", _saver(charts.critical_path_chart, result)


def comparison_charts(result: Comparison) -> Iterator[tuple[str, Any]]:
    """The charts of a comparison's folder."""
    from sim.report import charts

    yield "comparison", _saver(charts.comparison_chart, result)
    if all(r.has("cases") for r in result.results):
        yield "trips", _saver(charts.trips_chart, list(result.results))
    table = charts.days_go_table(list(result.results))
    if table is not None:  # where the days go, per scenario (the critical path)
        yield "days_go", _saver(charts.days_go_chart, table, list(result.results))


def sweep_charts(result: SweepResult) -> Iterator[tuple[str, Any]]:
    """The tornado chart of a sweep with a one-at-a-time analysis."""
    from sim.report import charts

    if result.tornado is not None and len(result.tornado):
        yield "tornado", _saver(charts.tornado_chart, result.tornado, result.metric)


def _notes(written: store.Written) -> None:
    for n in written.notes:
        note(n)


def _honest(results: Iterable[RunResult]) -> None:
    """A Note for every result whose unfinished share makes its means a partial answer."""
    from sim.experiment.results import UNFINISHED_WARNING

    for r in results:
        share = r.unfinished_share
        if share > UNFINISHED_WARNING:
            note(
                f"{r.scenario.scenario.name}: {share:.1%} of the cases in the window did not "
                "finish by the end of horizon + drain; every mean is over finished cases only "
                "(raise drain_days or shorten the horizon)",
                Caution,
            )


# --------------------------------------------------------------------------- commands


def run(
    scenario: str | Path | Scenario,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    warmup: str | None = None,
    *,
    precision: float | None = None,
    max_replications: int = 200,
    scheduler: str | None = None,
    tables: str = "all",
    table_format: str = "parquet",
    out: str | Path | None = None,
    overwrite: bool = False,
    charts: bool = True,
    progress: Progress | None = None,
    reforms: Mapping[str, Mapping[str, Any]] | None = None,
    allow_outside: bool = False,
    allow_unstable: bool = False,
    event_log: str | None = None,
) -> RunResult:
    """Run a scenario (a file or a :class:`Scenario`): apply its levers, run its replications.

    ``replications`` and ``seed`` default to the scenario's ``[experiment]``; ``jobs`` worker
    processes, an ``executor`` or a Dask ``scheduler`` address run them (the numbers never
    depend on which). ``warmup="mser5"`` detects the warm-up; ``precision=0.05`` adds
    replications until the mean lead time's 95% CI half-width is at most 5% of it (up to
    ``max_replications``). ``tables`` keeps ``"all"``, ``"cases"`` or ``"none"`` of the tables.

    With ``out``, the results folder is checked *before* the run (new, or ours with
    ``overwrite``) and written atomically: the kept tables are streamed there while the run goes
    (``table_format`` parquet or csv), then the summary, the resolved scenario, the provenance and
    the charts; the result's tables are then read from there. ``event_log="xes"`` or ``"csv"``
    adds ``events.xes`` / ``events.csv``, the task and activity tables as a process-mining event
    log (needs ``out`` and all tables kept).

    An overloaded scenario (a department at or above 100% load) is refused with
    :class:`~sim.experiment.stability.Unstable` unless ``allow_unstable``; then the run stops at
    the horizon and a :class:`Caution` says how far the queue had grown.
    """
    check_values(
        seed=seed,
        replications=replications,
        precision=precision,
        max_replications=max_replications,
        scheduler=scheduler,
        tables=tables,
        table_format=table_format,
        warmup=warmup,
    )
    from sim.experiment import runner

    if event_log is not None:
        _check_event_log(event_log, tables, out)
    sc = open_scenario(scenario, reforms, allow_outside=allow_outside)
    unstable = _stable([("", sc)], allow_unstable)
    if unstable:
        sc = at_horizon(sc)
    dest = store.prepare(out, overwrite) if out is not None else None
    try:
        with _executor(executor, scheduler) as ex:
            result = runner.run(
                sc,
                replications=replications,
                seed=seed,
                jobs=jobs,
                executor=ex,
                warmup=warmup,
                precision=precision,
                max_replications=max_replications,
                tables=tables,
                output=(
                    TableOutput(str(dest.tmp), table_format)
                    if dest is not None and tables != "none"
                    else None
                ),
                progress=progress,
            )
    except BaseException:
        if dest is not None:
            dest.abort()
        raise
    _honest([result])
    if unstable:
        note(backlog_line(result), Caution)
    if dest is None:
        return result
    written = store.write(
        result,
        dest,
        charts=run_charts if charts else None,
        table_format=table_format,
        extra=_event_log_writer(result, event_log) if event_log else None,
    )
    _notes(written)
    if result.tables is not None:
        from dataclasses import replace

        result = replace(result, tables=result.tables.moved_to(written.folder))
    return result


def _stable(pairs: Sequence[tuple[str, Scenario]], allow: bool) -> list[str]:
    """Refuse overloaded scenarios (``Unstable``) unless ``allow``: then a Caution per line."""
    lines = check_stable(pairs, allow)
    for line in lines:
        note(f"{line}; simulating up to the horizon only (--allow-unstable)", Caution)
    return lines


def _labels(sources: Sequence[Any], scenarios: Sequence[Scenario]) -> list[tuple[str, Scenario]]:
    return [
        (str(src) if not isinstance(src, Scenario) else sc.scenario.name, sc)
        for src, sc in zip(sources, scenarios, strict=True)
    ]


def _check_event_log(fmt: str, tables: str, out: Any) -> None:
    from sim.experiment.eventlog import FORMATS

    if fmt not in FORMATS:
        raise UsageError(f"event log format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    if tables != "all":
        raise UsageError("an event log needs the task and activity tables: keep all tables")
    if out is None:
        raise UsageError("an event log is written into the results folder: give out")


def _event_log_writer(result: RunResult, fmt: str):
    def write(folder: Path) -> None:
        from sim.experiment.eventlog import event_log, write_event_log

        write_event_log(event_log(result), folder / f"events.{fmt}", fmt)

    return write


def _distinct(sources: Sequence[Any], scenarios: Sequence[Scenario]) -> None:
    """Scenarios of a comparison are told apart by name: a repeated name is a located error."""
    seen: dict[str, Any] = {}
    problems = []
    for src, sc in zip(sources, scenarios, strict=True):
        name = sc.scenario.name
        where = str(src) if not isinstance(src, Scenario) else f"<scenario {name}>"
        if name in seen:
            problems.append(
                Problem(
                    where,
                    "scenario.name",
                    f"{name!r} is also the name of {seen[name]}; give each scenario of a "
                    "comparison its own name",
                )
            )
        else:
            seen[name] = where
    if problems:
        raise ScenarioError(problems)


def _comparable(
    sources: Sequence[str | Path | Scenario], allow_outside: bool, allow_unstable: bool
) -> list[Scenario]:
    """The scenarios of a comparison, opened and checked before anything runs.

    Two scenarios with one name are refused (the comparison tells them apart by name); an
    overloaded one is refused unless ``allow_unstable``, and then every scenario stops at its
    horizon, so that the pairs stay comparable.
    """
    scenarios = [open_scenario(s, allow_outside=allow_outside) for s in sources]
    _distinct(sources, scenarios)
    if _stable(_labels(sources, scenarios), allow_unstable):
        scenarios = [at_horizon(sc) for sc in scenarios]
    return scenarios


def _compared(
    scenarios: Sequence[Scenario],
    dest: store.Destination | None,
    executor: Executor | None,
    scheduler: str | None,
    **kwargs: Any,
) -> Comparison:
    """Run the comparison (the output folder already checked); abort the folder on failure.

    Service-hall scenarios (``[locations]``) keep no tables in memory: a year is about 900,000
    cases a replication, and their comparison, charts and briefing read only the summaries,
    the window statistics and the hourly utilisation (``run --tables`` writes the tables).
    """
    from sim.experiment.compare import compare as _compare

    tables = "none" if all(s.locations for s in scenarios) else "all"
    try:
        with _executor(executor, scheduler) as ex:
            comp = _compare(scenarios[0], *scenarios[1:], executor=ex, tables=tables, **kwargs)
    except BaseException:
        if dest is not None:
            dest.abort()
        raise
    _honest(comp.results)
    return comp


def compare(
    baseline: str | Path | Scenario,
    *alternatives: str | Path | Scenario,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    precision: float | None = None,
    max_replications: int = 200,
    scheduler: str | None = None,
    out: str | Path | None = None,
    overwrite: bool = False,
    charts: bool = True,
    progress: Progress | None = None,
    allow_outside: bool = False,
    allow_unstable: bool = False,
) -> Comparison:
    """Run a baseline and alternatives on the same seeds; paired deltas with 95% CIs.

    ``precision`` adds replications until every alternative's paired delta of approval time is
    known to within that share of itself. With ``out``, the comparison table, every scenario's
    summary, the provenance and the charts go into a new results folder (checked first).
    Overloaded scenarios are refused unless ``allow_unstable`` (then every scenario stops at its
    horizon, so that the pairs stay comparable).
    """
    check_values(
        seed=seed,
        replications=replications,
        precision=precision,
        max_replications=max_replications,
        scheduler=scheduler,
    )
    scenarios = _comparable((baseline, *alternatives), allow_outside, allow_unstable)
    dest = store.prepare(out, overwrite) if out is not None else None
    comp = _compared(
        scenarios,
        dest,
        executor,
        scheduler,
        replications=replications,
        seed=seed,
        jobs=jobs,
        precision=precision,
        max_replications=max_replications,
        progress=progress,
    )
    if dest is not None:
        _notes(store.write(comp, dest, charts=comparison_charts if charts else None))
    return comp


@dataclass(frozen=True)
class Briefing:
    """A committee briefing: the comparison behind it and where its PDF is."""

    comparison: Comparison
    folder: Path
    pdf: Path

    def __repr__(self) -> str:
        return f"Briefing({self.pdf})\n{self.comparison!r}"

    def _repr_html_(self) -> str:
        return f"<p>briefing: <code>{self.pdf}</code></p>" + self.comparison._repr_html_()


def brief(
    baseline: str | Path | Scenario,
    *alternatives: str | Path | Scenario,
    lang: str = "en",
    out: str | Path | None = None,
    overwrite: bool = False,
    replications: int | None = None,
    seed: int | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    precision: float | None = None,
    max_replications: int = 200,
    scheduler: str | None = None,
    progress: Progress | None = None,
    allow_outside: bool = False,
    allow_unstable: bool = False,
) -> Briefing:
    """The committee briefing of a baseline and alternatives: a PDF, its charts, the tables.

    Written into ``out`` (default ``results/brief-<baseline>-<timestamp>``), a new folder checked
    before the run. ``lang="zh"`` needs a CJK font and says so before the run when none is found.
    """
    if lang not in ("en", "zh"):
        raise UsageError(f"lang must be en or zh (got {lang!r})")
    if lang == "zh":
        from sim.report.fonts import FontMissing, require_cjk_font

        try:
            require_cjk_font()
        except FontMissing as exc:
            raise UsageError(f"--lang zh: {exc}") from None
    check_values(
        seed=seed,
        replications=replications,
        precision=precision,
        max_replications=max_replications,
        scheduler=scheduler,
    )
    scenarios = _comparable((baseline, *alternatives), allow_outside, allow_unstable)
    folder = out if out is not None else store.default_folder(f"brief-{scenarios[0].scenario.name}")
    dest = store.prepare(folder, overwrite)
    comp = _compared(
        scenarios,
        dest,
        executor,
        scheduler,
        replications=replications,
        seed=seed,
        jobs=jobs,
        precision=precision,
        max_replications=max_replications,
        progress=progress,
    )
    made: dict[str, Path] = {}

    def write_pdf(tmp: Path) -> None:
        from sim.report.brief import write_brief

        made["pdf"] = Path(write_brief(comp, tmp, lang=lang))

    written = store.write(comp, dest, extra=write_pdf)
    if "pdf" not in made:
        why = "; ".join(written.notes) or "no PDF was made"
        raise OutputError(
            f"the briefing could not be written ({why}); the comparison tables are in "
            f"{written.folder}"
        )
    _notes(written)
    return Briefing(comp, written.folder, written.folder / made["pdf"].name)


def sweep(
    file: str | Path,
    *,
    out: str | Path | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    limit: int | None = None,
    allow_unstable: bool = False,
) -> SweepResult:
    """Run a sweep file's design points and sensitivity analyses, resuming in its folder.

    The folder (default ``results/sweep-<name>``) is the sweep's store: run again after an
    interruption to resume. Replications of other inputs found there are kept but not used.
    """
    check_values(scheduler=scheduler)
    from sim.experiment import sweep as sw

    s = sw.load_sweep(file)
    points = sw.merge_points(*sw.designs(s).values())
    labelled = [(f"{file} point {label}", s.scenario(over)) for label, over in points]
    if _stable(labelled, allow_unstable):
        s.stop_unstable_at_horizon()
    folder = Path(out) if out is not None else Path("results") / f"sweep-{store.slug(s.info.name)}"
    for n in sw.open_folder(s, folder):
        note(n)
    with _executor(executor, scheduler) as ex:
        result = sw.run_sweep(s, folder, jobs=jobs, executor=ex, progress=progress, limit=limit)
    _notes(store.write(result, folder, charts=sweep_charts))
    return result


def advise(
    scenario: str | Path | Scenario,
    staff: int | str | None = None,
    moves: Sequence[str] = (),
    *,
    seed: int | None = None,
    batch: int = 3,
    max_replications: int = 20,
    delta: float | None = None,
    jobs: int = 1,
    executor: Executor | None = None,
    scheduler: str | None = None,
    progress: Progress | None = None,
    allow_outside: bool = False,
    allow_unstable: bool = False,
):
    """Where more staff (``staff="+K"``) or staff moved (``"FROM:TO[:N]"``) cut lead time most.

    Candidates are ranked by paired replications under common random numbers, with sequential
    screening (:mod:`sim.experiment.advise`). Returns an :class:`~sim.experiment.advise.Advice`.
    """
    from sim.experiment import advise as adv
    from sim.experiment.driver import Driver

    check_values(seed=seed, replications=max_replications, scheduler=scheduler)
    if staff is None and not moves:
        raise UsageError("say what to try: more staff (staff=+K) or moves (FROM:TO[:N])")
    sc = open_scenario(scenario, allow_outside=allow_outside)
    label = str(scenario) if not isinstance(scenario, Scenario) else ""
    if _stable([(label, sc)], allow_unstable):
        sc = at_horizon(sc)
    base = reformed(sc)
    try:
        candidates = adv.staff_candidates(base, adv.parse_staff(staff)) if staff else []
        candidates += [adv.parse_move(m, base) for m in moves]
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not candidates:
        raise UsageError("no department has work to add staff to")
    with _executor(executor, scheduler) as ex:
        with Driver(jobs=jobs, executor=ex, progress=progress) as driver:
            try:
                return adv.advise(
                    base,
                    candidates,
                    seed=seed,
                    batch=batch,
                    max_replications=max_replications,
                    delta=delta,
                    evaluate=adv.driver_evaluate(driver),
                )
            except ValueError as exc:
                raise UsageError(str(exc)) from None


def calibrate(
    log: str | Path,
    scenario: str | Path | Scenario,
    out: str | Path,
    *,
    allow_outside: bool = False,
):
    """Fit a scenario to an event log (CSV or XES) and write it to the new file ``out``.

    Returns ``(calibration, path)``: every fit with its quality and what was kept from the base
    scenario (:mod:`sim.experiment.calibrate`). An existing ``out`` is never overwritten.
    """
    from sim.experiment.calibrate import calibrate as fit
    from sim.experiment.calibrate import write_scenario
    from sim.experiment.eventlog import LogError, read_event_log

    target = Path(out)
    if target.exists() or target.is_symlink():
        raise UsageError(f"{target}: already exists; not overwriting it (choose a new name)")
    if target.suffix.lower() != ".toml":
        raise UsageError(f"{target}: the calibrated scenario is a TOML file (name it *.toml)")
    if not target.parent.is_dir():
        raise UsageError(f"{target.parent}: no such folder")
    sc = open_scenario(scenario, allow_outside=allow_outside)
    try:
        events = read_event_log(log)
    except LogError as exc:
        raise UsageError(str(exc)) from None
    result = fit(events, sc)
    header = [
        f"Calibrated by approvalsim from the event log {Path(log).name}",
        f"on top of the scenario {scenario if not isinstance(scenario, Scenario) else ''}",
    ]
    try:
        path = write_scenario(result, target, header)
    except FileExistsError as exc:
        raise UsageError(str(exc)) from None
    return result, path


def _executor(executor: Executor | None, scheduler: str | None):
    if executor is not None and scheduler is not None:
        raise UsageError("give an executor or a scheduler address, not both")
    if executor is not None:
        from contextlib import nullcontext

        return nullcontext(executor)
    return executor_for(scheduler)
