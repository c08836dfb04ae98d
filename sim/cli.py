"""``approvalsim``: a thin command line over the Python API (layer 7 of 7).

Each subcommand parses its arguments, calls the public API (``sim.run``, ``sim.compare``,
``sim.sweep``, ``sim.brief``, ``sim.check``, ...) and prints; it computes nothing, opens no file
and imports neither pandas nor matplotlib (the API loads them when a command needs them, so
``--help`` is instant). Every value is checked by the API before any work starts. Exit status 0
on success; 2 on a scenario or usage problem, one line per problem, no traceback; 3 when a
scenario is overloaded (``check``; or refused by ``run``, ``compare``, ``brief``, ``sweep``,
``advise`` without ``--allow-unstable``); 1 when results could not be written after the run (the
line says where what was computed is kept); 130 when interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tomllib
import warnings
from collections.abc import Iterator, Sequence
from typing import Any, NoReturn

import sim
from sim._version import __version__
from sim.experiment.errors import OutputError, Unstable, UsageError
from sim.experiment.limits import MAX_JOBS, MAX_REPLICATIONS, MAX_SEED
from sim.scenario.load import ScenarioError

EXIT_OK, EXIT_OUTPUT, EXIT_USAGE, EXIT_UNSTABLE, EXIT_INTERRUPTED = 0, 1, 2, 3, 130


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage error on one line (and exit status 2)."""

    def error(self, message: str) -> NoReturn:
        """Print one line naming the command and what is wrong, then exit 2."""
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


# --------------------------------------------------------------------------- options


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _float(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None


def _runs(p: argparse.ArgumentParser, precision_of: str) -> None:
    p.add_argument(
        "--seed",
        type=_int,
        help=f"root seed, 0 to {MAX_SEED} (default: the scenario's experiment.seed)",
    )
    p.add_argument(
        "--replications",
        "-r",
        type=_int,
        help=f"replications, 1 to {MAX_REPLICATIONS:,} "
        "(default: the scenario's experiment.replications)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_int,
        help="worker processes, at most the machine's cores (default: all cores); "
        "the numbers do not depend on it",
    )
    p.add_argument(
        "--force-jobs",
        action="store_true",
        help=f"allow more worker processes than cores (at most {MAX_JOBS})",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run replications on this Dask scheduler (tcp://HOST:PORT; needs approvalsim[dask]) "
        "instead of local processes; it must answer within 5 s; results are the same",
    )
    p.add_argument(
        "--precision",
        type=_float,
        metavar="SHARE",
        help="add replications until the 95%% CI half-width is at most SHARE (between 0 and 1) "
        f"of {precision_of}, up to --max-replications",
    )
    p.add_argument(
        "--max-replications", type=_int, default=200, help="cap for --precision (default: 200)"
    )
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="let scenario files read 'extends' and CSV files outside their own folder tree",
    )


def _output(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument(
        "--out",
        "-o",
        help=f"results folder, new or empty (default: {default}); an existing folder is never "
        "written into unless it holds approvalsim results and --overwrite is given",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an approvalsim results folder given with --out (only files it wrote)",
    )


def _reform_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--reform",
        action="append",
        metavar="NAME[:key=value,...]",
        help="switch a lever on after the file's own (repeatable; see 'approvalsim reforms'); "
        "for a lever the file already has, the keys given replace the file's and the others are "
        "kept (a note says what changed)",
    )


def _unstable_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-unstable",
        action="store_true",
        help="simulate an overloaded scenario anyway (a department at or above 100%% load, "
        "refused otherwise with exit 3): the run stops at the horizon and says how far the "
        "queue had grown",
    )


# --------------------------------------------------------------------------- --reform values


def _scalar(text: str) -> Any:
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "[{"
        depth -= ch in "]}"
        if ch == sep and depth == 0:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    return [*parts, cur] if cur or parts else []


def parse_reform(text: str) -> tuple[str, dict[str, Any]]:
    """Read ``NAME[:key=value,...]`` into (name, params).

    Values are TOML (``5``, ``0.3``, ``true``) or bare strings; ``[a,b]`` is a list of them.
    """
    name, _, rest = text.partition(":")
    if not name.strip():
        raise UsageError(f"--reform {text!r}: name a lever first (valid: NAME:key=value,...)")
    params: dict[str, Any] = {}
    for part in _split_top(rest, ","):
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise UsageError(
                f"--reform {text!r}: cannot read {part!r} (valid: NAME:key=value,key=value)"
            )
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            params[key.strip()] = [_scalar(v) for v in _split_top(value[1:-1], ",")]
        else:
            params[key.strip()] = _scalar(value)
    return name.strip(), params


def _reforms(args: argparse.Namespace) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for text in getattr(args, "reform", None) or []:
        name, params = parse_reform(text)
        out.setdefault(name, {}).update(params)
    return out


# --------------------------------------------------------------------------- printing


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    out = []
    for n, r in enumerate(rows):
        out.append(
            "  ".join(
                v.ljust(w) if c == 0 else v.rjust(w)
                for c, (v, w) in enumerate(zip(r, widths, strict=True))
            )
        )
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _num(x: Any, fmt: str = ".2f") -> str:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return "-"
    return format(v, fmt) if v == v and v not in (float("inf"), float("-inf")) else "-"


def _pct(share: float) -> str:
    """A small share as a percentage that does not read 0.0% when it is not zero."""
    pct = share * 100
    return _num(pct, ".2g" if 0 < pct < 0.1 else ".1f")


def _err(text: str) -> None:
    print(text, file=sys.stderr)


def _say_unfinished(result: Any) -> None:
    share = result.unfinished_share
    if share > 0:
        print(
            f"unfinished: {_pct(share)}% of the window's cases had not finished by "
            "the end of the run; every mean above is over finished cases only (conditional on "
            "finishing)"
        )


def _say_precision(info: Any) -> None:
    if info is None:
        return
    verdict = "reached" if info.reached else "NOT reached (cap)"
    _err(
        f"precision {info.target:.1%} on {info.metric}: {verdict} with {info.replications} "
        f"replications (relative half-width {_num(info.relative_half_width * 100, '.1f')}%)"
    )


def _headline(result: Any) -> str:
    rows = [["case type", "metric", "mean", "95% CI"]]
    for _, r in result.headline().iterrows():
        rows.append(
            [
                str(r["group"]),
                str(r["metric"]),
                _num(r["mean"]),
                f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]",
            ]
        )
    head = (
        f"{result.scenario.scenario.name}: {len(result.replications)} replications, "
        f"seed {result.seed}, warm-up {result.warmup.warmup_days:.1f} days ({result.warmup.method})"
    )
    if len(rows) == 1 or not _any_case(result.summary):
        return head + "\nno case arrived in the measurement window: nothing to summarise"
    return head + "\n" + _table(rows)


def _any_case(summary: Any) -> bool:
    """Whether any replication counted a case in its window (rows of no case are all NaN)."""
    return summary.empty or "cases" not in summary or bool((summary["cases"] > 0).any())


@contextlib.contextmanager
def _notes() -> Iterator[None]:
    """Print the API's notes as one line each on stderr (warnings for cautions)."""

    def show(message: Any, category: type, *rest: Any, **kw: Any) -> None:
        label = "warning" if issubclass(category, sim.Caution) else "note"
        _err(f"{label}: {message}")

    with warnings.catch_warnings():
        warnings.simplefilter("always", sim.Note)
        warnings.showwarning = show  # type: ignore[assignment]
        yield


# --------------------------------------------------------------------------- commands


def cmd_check(args: argparse.Namespace) -> int:
    """Validate scenario files and report each department's offered load.

    Exit 2 when a file is invalid; otherwise 3 when a department is overloaded.
    """
    invalid = overloaded = False
    for f in args.files:
        try:
            c = sim.check(f, allow_outside=args.allow_outside)
        except ScenarioError as exc:
            _err(str(exc))
            invalid = True
            continue
        sc = c.scenario
        print(
            f"{f}: ok ({len(sc.departments)} departments, {len(sc.items)} items, "
            f"{len(sc.case_types)} case types)"
        )
        rows = [["department", "staff", "tasks/yr", "demand h/yr", "open h/yr", "load", "needs"]]
        rows += [
            [
                ld.department,
                str(ld.staff),
                f"{ld.tasks_per_year:,.0f}",
                f"{ld.demand_hours:,.0f}",
                f"{ld.open_hours:,.0f}",
                f"{ld.load:.2f}",
                str(ld.staff_needed) if not ld.stable else "",
            ]
            for ld in c.loads
        ]
        print(_table(rows))
        print("(load: every visit, correction and loop counted by the traffic equations)")
        for w in c.warnings:
            _err(f"overloaded: {f}: {w}")
        overloaded |= not c.stable
    if invalid:
        return EXIT_USAGE
    return EXIT_UNSTABLE if overloaded else EXIT_OK


def _values(args: argparse.Namespace, **more: Any) -> None:
    sim.check_values(
        seed=args.seed,
        replications=args.replications,
        precision=args.precision,
        max_replications=args.max_replications,
        jobs=args.jobs,
        force_jobs=args.force_jobs,
        scheduler=args.scheduler,
        **more,
    )


def _jobs(args: argparse.Namespace) -> int:
    return args.jobs or os.cpu_count() or 1


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario's replications; write tables, summary, provenance and charts."""
    _values(args, tables=args.tables, table_format=args.table_format, warmup=args.warmup)
    sc = sim.open_scenario(args.file, _reforms(args), allow_outside=args.allow_outside)
    out = args.out or sim.default_folder(sc.scenario.name)
    with sim.ProgressBar("run") as bar:
        result = sim.run(
            sc,
            replications=args.replications,
            seed=args.seed,
            jobs=_jobs(args),
            warmup=args.warmup,
            precision=args.precision,
            max_replications=args.max_replications,
            scheduler=args.scheduler,
            tables=args.tables,
            table_format=args.table_format,
            out=out,
            overwrite=args.overwrite,
            progress=bar,
            allow_unstable=args.allow_unstable,
            event_log=args.event_log,
        )
    if result.assumed_calendar_years:
        years = ", ".join(map(str, result.assumed_calendar_years))
        _err(
            f"note: no official holiday notice for {years}: public holidays computed by rule, "
            "no make-up working days assumed"
        )
    if result.warmup.method == "mser5":
        _err(
            f"note: warm-up detected with MSER-5: {result.warmup.warmup_days:.1f} days "
            "(cases arriving earlier are left out)"
        )
    print(_headline(result))
    _say_unfinished(result)
    _say_days(result)
    _say_theory(result)
    _say_precision(result.precision)
    if args.event_log:
        print(f"event log: {out}/events.{args.event_log}")
    print(f"\nwritten to {out}/")
    return EXIT_OK


def _say_days(result: Any) -> None:
    """Where the days go: the critical path's split by kind and department, the bottleneck."""
    from sim.analysis import critical

    if critical.available(result):
        print()
        print("\n".join(critical.describe(result)))


def _say_theory(result: Any) -> None:
    """Queueing theory's mean wait beside the simulated one, where the theory covers it."""
    from sim.analysis.queueing import theory_waits

    rows = [["department", "load", "simulated wait h", "theory wait h", "formula"]]
    for t in theory_waits(result.scenario, result.departments):
        rows.append(
            [
                t["department"],
                _num(t["load"]),
                _num(t["simulated_wait_h"]),
                _num(t["theory_wait_h"]),
                t["formula"],
            ]
        )
    if len(rows) > 1:
        print("\nqueueing theory (always-open departments fed by Poisson arrivals):")
        print(_table(rows))


def _comparison_table(comp: Any) -> str:
    rows = [["scenario", "metric", "baseline", "alternative", "delta", "95% CI", "change"]]
    for _, r in comp.headline().iterrows():
        rows.append(
            [
                str(r["scenario"]),
                str(r["metric"]),
                _num(r["baseline_mean"]),
                _num(r["alternative_mean"]),
                _num(r["delta"], "+.2f"),
                f"[{_num(r['delta_ci_low'], '+.2f')}, {_num(r['delta_ci_high'], '+.2f')}]",
                _num(r["relative_delta"] * 100, "+.1f") + "%",
            ]
        )
    head = (
        f"baseline {comp.baseline.scenario.scenario.name!r}, {len(comp.baseline.replications)} "
        f"paired replications, seed {comp.seed} (common random numbers)"
    )
    if len(rows) == 1:
        return head + "\nno case arrived in the measurement window: nothing to compare"
    return head + "\n" + _table(rows)


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare alternatives with a baseline on common random numbers."""
    _values(args)
    with sim.ProgressBar("compare") as bar:
        comp = sim.compare(
            args.baseline,
            *args.alternatives,
            replications=args.replications,
            seed=args.seed,
            jobs=_jobs(args),
            precision=args.precision,
            max_replications=args.max_replications,
            scheduler=args.scheduler,
            out=args.out,
            overwrite=args.overwrite,
            progress=bar,
            allow_outside=args.allow_outside,
            allow_unstable=args.allow_unstable,
        )
    if args.format == "json":
        print(json.dumps(comp.records(), indent=1, ensure_ascii=False))
    elif args.format == "csv":
        sys.stdout.write(sim.csv_text(comp.table))
    else:
        print(_comparison_table(comp))
        _say_days_lost(comp)
        for r in comp.results:
            share = r.unfinished_share
            if share > 0:
                print(
                    f"unfinished in {r.scenario.scenario.name}: {_pct(share)}% of "
                    "cases; its means are over finished cases only (conditional on finishing)"
                )
    _say_precision(comp.precision)
    if args.out:
        _err(f"written to {args.out}/")
    return EXIT_OK


def _say_days_lost(comp: Any) -> None:
    """The critical-path days each alternative removed, by kind (paired, 95% CI)."""
    from sim.analysis import critical

    if not all(critical.available(r) for r in comp.results):
        return
    table = critical.days_lost_table(comp)
    table = table[table["level"] == "kind"]
    rows = [["scenario", "kind", "baseline wd", "alternative wd", "removed", "95% CI"]]
    for _, r in table.iterrows():
        rows.append(
            [
                str(r["scenario"]),
                str(r["name"]),
                _num(r["base_wd"], ".1f"),
                _num(r["alternative_wd"], ".1f"),
                _num(r["lost_mean"], "+.1f"),
                f"[{_num(r['lost_low'], '+.1f')}, {_num(r['lost_high'], '+.1f')}]",
            ]
        )
    print("\nwhere the days go: critical-path working days per project each kind lost")
    print(_table(rows))
    for r in comp.results:
        b = critical.bottleneck(r)
        if b:
            print(f"bottleneck of {r.scenario.scenario.name}: {b.department} ({b.share:.0%})")


def cmd_brief(args: argparse.Namespace) -> int:
    """Write the committee briefing (PDF and PNG charts) for a baseline and alternatives."""
    _values(args)
    with sim.ProgressBar("brief") as bar:
        b = sim.brief(
            *args.scenarios,
            lang=args.lang,
            out=args.out,
            overwrite=args.overwrite,
            replications=args.replications,
            seed=args.seed,
            jobs=_jobs(args),
            precision=args.precision,
            max_replications=args.max_replications,
            scheduler=args.scheduler,
            progress=bar,
            allow_outside=args.allow_outside,
            allow_unstable=args.allow_unstable,
        )
    _say_precision(b.comparison.precision)
    print(f"briefing written to {b.pdf}")
    return EXIT_OK


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep file's design points (resumable) and its sensitivity analyses."""
    sim.check_values(jobs=args.jobs, force_jobs=args.force_jobs, scheduler=args.scheduler)
    bar = sim.ProgressBar("sweep") if not args.quiet else None
    try:
        s = sim.sweep(
            args.file,
            out=args.out,
            jobs=_jobs(args),
            scheduler=args.scheduler,
            progress=bar,
            allow_unstable=args.allow_unstable,
        )
    finally:
        if bar is not None:
            bar.close()
    _err(f"{s.name}: {s.new_tasks} replications run now, {s.reused_tasks} reused from {s.folder}/")
    if s.points is not None:
        view = s.points[s.points["metric"] == s.metric]
        rows = [["point", s.metric, "95% CI", "reps"]]
        rows += [
            [
                str(r["label"]),
                _num(r["mean"]),
                f"[{_num(r['ci_low'])}, {_num(r['ci_high'])}]",
                str(r["replications"]),
            ]
            for _, r in view.iterrows()
        ]
        print(_table(rows))
    if s.tornado is not None:
        print(f"\none at a time ({s.metric}):")
        rows = [["parameter", "low", "high", "base", "swing"]]
        rows += [
            [
                str(r["parameter"]),
                _num(r["low"]),
                _num(r["high"]),
                _num(r["base"]),
                _num(r["swing"]),
            ]
            for _, r in s.tornado.iterrows()
        ]
        print(_table(rows))
    if s.sobol is not None:
        print(f"\nSobol indices ({s.metric}, N = {s.samples}):")
        rows = [["parameter", "S1", "S1 95% ±", "ST", "ST 95% ±"]]
        rows += [
            [
                str(r["parameter"]),
                _num(r["S1"], ".3f"),
                _num(r["S1_conf"], ".3f"),
                _num(r["ST"], ".3f"),
                _num(r["ST_conf"], ".3f"),
            ]
            for _, r in s.sobol.iterrows()
        ]
        print(_table(rows))
    print(f"\nwritten to {s.folder}/")
    return EXIT_OK


def cmd_advise(args: argparse.Namespace) -> int:
    """Rank staffing changes by paired replications (common random numbers), with screening."""
    sim.check_values(jobs=args.jobs, force_jobs=args.force_jobs, scheduler=args.scheduler)
    with sim.ProgressBar("advise") as bar:
        adv = sim.advise(
            args.file,
            staff=args.staff,
            moves=args.move or (),
            seed=args.seed,
            batch=args.batch,
            max_replications=args.max_replications,
            jobs=_jobs(args),
            scheduler=args.scheduler,
            progress=bar,
            allow_outside=args.allow_outside,
            allow_unstable=args.allow_unstable,
        )
    print(
        f"{args.file}: mean lead time {_num(adv.baseline_wd, '.1f')} working days; "
        f"{adv.replications} paired replications (common random numbers), seed {adv.seed}"
    )
    rows = [["candidate", "reps", "lead wd", "cut wd", "95% CI", "max load", "status"]]
    for _, r in adv.table.iterrows():
        rows.append(
            [
                str(r["candidate"]),
                str(r["replications"]),
                _num(r["lead_wd"], ".1f"),
                _num(r["gain_wd"], "+.2f"),
                f"[{_num(r['gain_low'], '+.2f')}, {_num(r['gain_high'], '+.2f')}]",
                _num(r["max_load"]),
                str(r["status"]),
            ]
        )
    print(_table(rows))
    if adv.best:
        print(f"\nbest: {adv.best}")
    return EXIT_OK


def cmd_calibrate(args: argparse.Namespace) -> int:
    """Fit a scenario to an event log and write it to a new file."""
    cal, path = sim.calibrate(args.log, args.scenario, args.out, allow_outside=args.allow_outside)
    print("\n".join(cal.lines()))
    print(f"\nwritten to {path} (it passes approvalsim check)")
    return EXIT_OK


def cmd_reforms(args: argparse.Namespace) -> int:
    """List every lever with its parameters, defaults and meaning."""
    for lever in sim.levers():
        print(f"{lever['name']}  ({lever['zh']})\n  {lever['summary']}")
        for p in lever["parameters"]:
            print(f"    {p['name']:<22} default {p['default']!s:<14} {p['description']}")
        print()
    return EXIT_OK


def cmd_explain(args: argparse.Namespace) -> int:
    """Print what every lever of a scenario changes."""
    new, accounts = sim.explain(args.file, _reforms(args), allow_outside=args.allow_outside)
    if not accounts:
        print(f"{args.file}: no levers applied")
    for account in accounts:
        print(account)
    print(
        f"\nresult: {len(new.departments)} departments, {len(new.items)} items, "
        f"{len(new.case_types)} case types"
    )
    return EXIT_OK


# --------------------------------------------------------------------------- the parser


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = _Parser(
        prog="approvalsim",
        description="Simulate government approval throughput and the effect of reforms.",
    )
    parser.add_argument("--version", action="version", version=f"approvalsim {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "run",
        help="run a scenario and write its results",
        description="Run a scenario's replications and write its results folder: the kept "
        "tables (cases, tasks, activities; Parquet or CSV), departments.csv, summary.csv/json, "
        "the resolved scenario, provenance.json and charts (lead time, stages, utilisation, a "
        "typical case, trips).",
    )
    p.add_argument("file", help="scenario file (TOML)")
    _runs(p, "the mean lead time")
    _output(p, "results/<scenario>-<timestamp>")
    _reform_option(p)
    p.add_argument(
        "--warmup",
        choices=("scenario", "mser5"),
        default="scenario",
        help="warm-up: the scenario's warmup_days, or detected with MSER-5 (keeps case tables "
        "in memory)",
    )
    p.add_argument(
        "--tables",
        choices=("all", "cases", "none"),
        default="all",
        help="tables kept and written: all (cases, tasks, activities), cases only, or none "
        "(summaries only; charts that need a table are left out) (default: all)",
    )
    p.add_argument(
        "--table-format",
        choices=("parquet", "csv"),
        default="parquet",
        help="file format of the tables, streamed to disk as the run goes (default: parquet)",
    )
    p.add_argument(
        "--event-log",
        choices=("xes", "csv"),
        help="also write the task and activity tables as a process-mining event log "
        "(events.xes or events.csv: case, activity, timestamp, resource, lifecycle start/"
        "complete; pm4py reads it); needs --tables all",
    )
    _unstable_option(p)
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "compare",
        help="paired comparison of scenarios with a baseline",
        description="Run a baseline and alternatives on the same seeds (common random numbers) "
        "and report, per metric, each alternative's mean, the paired difference, its 95%% CI "
        "and the relative change.",
    )
    p.add_argument("baseline", help="baseline scenario file")
    p.add_argument("alternatives", nargs="+", help="alternative scenario files")
    _runs(p, "each paired delta of approval time")
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="output format (default: table)",
    )
    _output(p, "none: print only")
    _unstable_option(p)
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "brief",
        help="write the committee briefing (PDF) in English or Chinese",
        description="Run a baseline and alternatives on common random numbers and write a PDF "
        "briefing with its charts as PNG: headline numbers, charts with captions, assumptions "
        "and levers, provenance.",
    )
    p.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="scenario files: the first is the baseline"
    )
    _runs(p, "each paired delta of approval time")
    p.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="language of text and charts (zh needs a CJK font, or it stops before the run)",
    )
    _output(p, "results/brief-<baseline>-<timestamp>")
    _unstable_option(p)
    p.set_defaults(func=cmd_brief)

    p = sub.add_parser(
        "sweep",
        help="run a sweep file: design points, sensitivity",
        description="Run every design point x replication of a sweep file, writing each "
        "finished replication atomically; run again after an interruption to resume (points "
        "are keyed by their resolved scenario, the seed and the version, so changed inputs start "
        "fresh). With a [sensitivity] table, also one-at-a-time ranges (tornado) and Sobol "
        "indices (SALib).",
    )
    p.add_argument("file", help="sweep file (TOML)")
    p.add_argument(
        "--out",
        "-o",
        help="sweep folder (default: results/sweep-<name>; keep it to resume); an existing "
        "folder must be an approvalsim sweep folder",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=_int,
        help="worker processes, at most the machine's cores (default: all cores)",
    )
    p.add_argument(
        "--force-jobs", action="store_true", help="allow more worker processes than cores"
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="Dask scheduler address (tcp://HOST:PORT)"
    )
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    _unstable_option(p)
    p.set_defaults(func=cmd_sweep)

    p = sub.add_parser(
        "advise",
        help="where more staff (or staff moved) cut lead time most",
        description="Try K more staff in each department with work (and, for K > 1, spread by "
        "load), or the moves given, and rank them by the mean lead time they cut: paired "
        "replications on common random numbers, run in batches; after each batch a candidate "
        "whose 95%% CI of the difference to the best lies below zero is dropped (sequential "
        "screening). Candidates that would overload a department are not run.",
    )
    p.add_argument("file", help="scenario file (TOML)")
    p.add_argument("--staff", metavar="+K", help="staff to add, e.g. +2")
    p.add_argument(
        "--move",
        action="append",
        metavar="FROM:TO[:N]",
        help="move N staff (default 1) from department FROM to TO (repeatable: each a candidate)",
    )
    p.add_argument("--seed", type=_int, help="root seed (default: the scenario's)")
    p.add_argument(
        "--batch", type=_int, default=3, help="replications per screening round (default: 3)"
    )
    p.add_argument(
        "--max-replications",
        type=_int,
        default=20,
        help="most paired replications per candidate (default: 20)",
    )
    p.add_argument(
        "--jobs", "-j", type=_int, help="worker processes (default: all cores); same numbers"
    )
    p.add_argument("--force-jobs", action="store_true", help="allow more workers than cores")
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address")
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="let scenario files read 'extends' and CSV files outside their own folder tree",
    )
    _unstable_option(p)
    p.set_defaults(func=cmd_advise)

    p = sub.add_parser(
        "calibrate",
        help="fit a scenario to an event log (CSV or XES)",
        description="Fit each item's effort and delay distributions (maximum likelihood; the "
        "family with the smallest AIC among exponential, gamma and lognormal, its KS distance "
        "reported), correction and loop probabilities and arrival rates from an event log, on "
        "top of a base scenario that names the items, steps and departments; write the result "
        "to a new scenario file (never overwriting one) and report every fit and what was kept "
        "from the base.",
    )
    p.add_argument("log", help="event log (.csv or .xes)")
    p.add_argument("--scenario", required=True, help="base scenario file (TOML)")
    p.add_argument("--out", "-o", required=True, help="the new scenario file (.toml)")
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="let scenario files read 'extends' and CSV files outside their own folder tree",
    )
    p.set_defaults(func=cmd_calibrate)

    p = sub.add_parser(
        "reforms",
        help="list the levers, their parameters and defaults",
        description="List every reform lever with its parameters, defaults and meaning.",
    )
    p.set_defaults(func=cmd_reforms)

    p = sub.add_parser(
        "explain",
        help="print what each lever of a scenario changes",
        description="Apply a scenario's levers and print the account of each.",
    )
    p.add_argument("file", help="scenario file (TOML)")
    _reform_option(p)
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="let scenario files read 'extends' and CSV files outside their own folder tree",
    )
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser(
        "check",
        help="validate scenario files and show departments' load",
        description="Validate scenario files (schema, references, cycles, levers) and print "
        "each department's offered load from the traffic equations (every visit, correction "
        "and loop counted); exit 2 on problems, 3 when a department is at or above 100%% load "
        "(named with the staff it would need).",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files (TOML)")
    p.add_argument(
        "--allow-outside",
        action="store_true",
        help="let scenario files read 'extends' and CSV files outside their own folder tree",
    )
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``approvalsim`` command."""
    args = build_parser().parse_args(argv)
    with _notes():
        try:
            return int(args.func(args) or EXIT_OK)
        except (ScenarioError, UsageError) as exc:
            _err(str(exc))
            return EXIT_USAGE
        except Unstable as exc:
            for line in exc.lines:
                _err(f"overloaded: {line}")
            return EXIT_UNSTABLE
        except OutputError as exc:
            _err(f"error: {exc}")
            return EXIT_OUTPUT
        except BrokenPipeError:  # e.g. piped into `head`: stop quietly
            with contextlib.suppress(OSError):
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return EXIT_OK
        except KeyboardInterrupt:
            _err("interrupted; no partial results folder was kept (a sweep resumes)")
            return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
