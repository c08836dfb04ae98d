"""``approvalsim``: a thin command line over the Python API (layer 7 of 7).

Each subcommand parses its arguments and calls the public API; nothing here computes. Exit
status 0 on success, 2 on a scenario or usage problem (with one line per problem, no
traceback).
"""

from __future__ import annotations

import argparse
import os
import sys
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import sim
from sim.scenario.load import ScenarioError

EXIT_SCENARIO = 2


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--seed", type=int, help="root seed (default: the scenario's experiment.seed)")
    p.add_argument(
        "--replications",
        "-r",
        type=int,
        help="replications (default: the scenario's experiment.replications)",
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: all cores); results do not depend on it",
    )
    p.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run replications on this Dask scheduler (needs approvalsim[dask]) "
        "instead of local processes; results are the same",
    )
    p.add_argument(
        "--precision",
        type=float,
        metavar="SHARE",
        help="add replications until the 95%% CI half-width is at most SHARE of the "
        "estimate (run: mean lead time; compare: each paired delta), up to "
        "--max-replications",
    )
    p.add_argument(
        "--max-replications", type=int, default=200, help="cap for --precision (default: 200)"
    )


def _format_table(rows: list[list[str]]) -> str:
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


def _load_warnings(scenario: sim.Scenario) -> list[str]:
    return [
        f"warning: department {ld.department!r} is overloaded: load {ld.load:.2f} >= 1 "
        f"({ld.demand_hours:,.0f} staff hours of work a year for {ld.open_hours:,.0f} open); "
        "its queue grows without bound"
        for ld in sim.offered_load(scenario)
        if not ld.stable
    ]


def cmd_check(args: argparse.Namespace) -> int:
    """Validate scenario files and report each department's offered load."""
    status = 0
    for f in args.files:
        try:
            sc = sim.load(f)
        except ScenarioError as exc:
            print(exc, file=sys.stderr)
            status = EXIT_SCENARIO
            continue
        print(
            f"{f}: ok ({len(sc.departments)} departments, {len(sc.items)} items, "
            f"{len(sc.case_types)} case types)"
        )
        rows = [["department", "staff", "demand h/yr", "open h/yr", "load"]]
        for ld in sim.offered_load(sc):
            rows.append(
                [
                    ld.department,
                    str(ld.staff),
                    f"{ld.demand_hours:,.0f}",
                    f"{ld.open_hours:,.0f}",
                    f"{ld.load:.2f}",
                ]
            )
        print(_format_table(rows))
        for w in _load_warnings(sc):
            print(w, file=sys.stderr)
    return status


def _scalar(text: str) -> Any:
    text = text.strip()
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def _split_top(text: str, sep: str) -> list[str]:
    parts, depth, cur = [], 0, ""
    for ch in text:
        depth += ch in "[{" and 1 or 0
        depth -= ch in "]}" and 1 or 0
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
    params: dict[str, Any] = {}
    for part in _split_top(rest, ","):
        key, eq, value = part.partition("=")
        if not eq or not key.strip():
            raise argparse.ArgumentTypeError(
                f"cannot read {part!r} in --reform {text!r} (valid: NAME:key=value,key=value)"
            )
        value = value.strip()
        if value.startswith("[") and value.endswith("]"):
            params[key.strip()] = [_scalar(v) for v in _split_top(value[1:-1], ",")]
        else:
            params[key.strip()] = _scalar(value)
    return name.strip(), params


def _load_with_reforms(args: argparse.Namespace) -> sim.Scenario:
    extra: dict[str, Any] = {}
    for text in getattr(args, "reform", None) or []:
        name, params = parse_reform(text)
        extra[name] = params
    return sim.load(args.file, overrides={"reforms": extra} if extra else None)


def cmd_sweep(args: argparse.Namespace) -> int:
    """Run a sweep file's design points (resumable) and its sensitivity analyses."""
    from sim.experiment import sweep as sw
    from sim.experiment.executors import executor_for
    from sim.experiment.store import slug

    s = sw.load_sweep(args.file)
    out = Path(args.out) if args.out else Path("results") / f"sweep-{slug(s.info.name)}"
    kinds = ["points"] if s.points else []
    if s.sensitivity is not None:
        kinds += ["oat", "sobol"]
    designs = {k: sw.design(s, k) for k in kinds}
    everything = sw.merge_points(*designs.values())
    print(
        f"{s.info.name}: {len(everything)} design points x {s.info.replications} "
        f"replications -> {out}/",
        file=sys.stderr,
    )
    with executor_for(args.scheduler) as ex:
        results = sw.run_points(
            s,
            everything,
            out,
            jobs=args.jobs,
            executor=ex,
            progress=None if args.quiet else sw.text_progress(),
        )
    if "points" in designs:
        table = sw.summarise_points(
            results[results["point"].isin([sw.point_id(o) for _, o in designs["points"]])]
        )
        table.to_csv(out / "points.csv", index=False)
        view = table[table["metric"] == s.info.metric]
        rows = [["point", s.info.metric, "95% CI", "reps"]]
        rows += [
            [
                r["label"],
                f"{r['mean']:.2f}",
                f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]",
                str(r["replications"]),
            ]
            for _, r in view.iterrows()
        ]
        print(_format_table(rows))
    if "oat" in designs:
        tor = sw.tornado(s, results)
        tor.to_csv(out / "tornado.csv", index=False)
        print(f"\none at a time ({s.info.metric}):")
        print(tor.to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if "sobol" in designs:
        idx = sw.sobol_indices(s, designs["sobol"], results)
        idx.to_csv(out / "sobol.csv", index=False)
        print(f"\nSobol indices ({s.info.metric}, N = {s.sensitivity.samples}):")
        print(idx.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"\nwritten to {out}/")
    return 0


def cmd_brief(args: argparse.Namespace) -> int:
    """Write the committee briefing (PDF and PNG charts) for a baseline and alternatives."""
    from sim.experiment.store import atomic_folder, default_folder
    from sim.report.brief import write_brief
    from sim.report.fonts import cjk_font

    lang = args.lang
    if lang == "zh" and cjk_font() is None:
        print(
            "no CJK font found (looked for Noto Sans CJK, Source Han Sans, WenQuanYi, Droid "
            "Sans Fallback, AR PL, SimHei, Microsoft YaHei, PingFang): writing the briefing "
            "in English instead; install one, e.g. apt-get install fonts-wqy-microhei",
            file=sys.stderr,
        )
        lang = "en"
    comp = _run_comparison(args, args.scenarios)
    folder = (
        Path(args.out)
        if args.out
        else default_folder(f"brief-{comp.baseline.scenario.scenario.name}")
    )
    with atomic_folder(folder) as tmp:
        write_brief(comp, tmp, lang=lang)
    print(f"briefing written to {folder}/briefing.pdf")
    return 0


def cmd_reforms(args: argparse.Namespace) -> int:
    """List every lever with its parameters, defaults and meaning."""
    from sim.reforms import LEVERS

    for name, mod in LEVERS.items():
        print(f"{name}  ({mod.ZH})\n  {mod.SUMMARY}")
        for key, info in mod.Params.model_fields.items():
            default = (
                "required"
                if info.is_required()
                else (info.default_factory() if info.default_factory else info.default)
            )
            if hasattr(default, "model_dump"):
                default = default.model_dump(mode="json", by_alias=True, exclude_none=True)
            print(f"    {info.alias or key:<22} default {default!s:<14} {info.description or ''}")
        print()
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """Print what every lever of a scenario changes."""
    from sim.reforms import apply_all

    sc = _load_with_reforms(args)
    new, accounts = apply_all(sc)
    if not accounts:
        print(f"{args.file}: no levers applied")
    for account in accounts:
        print(account)
    print(
        f"\nresult: {len(new.departments)} departments, {len(new.items)} items, "
        f"{len(new.case_types)} case types"
    )
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario's replications; write tables, summary, provenance and a chart."""
    from sim.experiment.compare import run_to_precision
    from sim.experiment.executors import executor_for
    from sim.experiment.store import atomic_folder, default_folder, write_tables
    from sim.report import charts

    sc = _load_with_reforms(args)
    for w in _load_warnings(sc):
        print(w, file=sys.stderr)
    with executor_for(args.scheduler) as ex:
        if args.precision:
            result = run_to_precision(
                sc,
                args.precision,
                seed=args.seed,
                jobs=args.jobs,
                executor=ex,
                start=args.replications,
                max_replications=args.max_replications,
            )
        else:
            result = sim.run(
                sc,
                replications=args.replications,
                seed=args.seed,
                jobs=args.jobs,
                executor=ex,
                warmup=args.warmup,
            )
    folder = Path(args.out) if args.out else default_folder(sc.scenario.name)
    with atomic_folder(folder) as tmp:
        write_tables(result, tmp)
        for name, fig in (
            ("leadtime", charts.lead_time_chart(result)),
            ("stages", charts.stage_breakdown_chart(result)),
            ("utilisation", charts.utilisation_heatmap(result)),
            ("typical_case", charts.swimlane_chart(result)),
            ("trips", charts.trips_chart([result])),
        ):
            fig.savefig(tmp / f"{name}.png")
    if result.assumed_calendar_years:
        years = ", ".join(map(str, result.assumed_calendar_years))
        print(
            f"note: no official holiday notice for {years}: public holidays computed by rule, "
            "no make-up working days assumed",
            file=sys.stderr,
        )
    print(_headline_table(result))
    if result.precision:
        _say_precision(result.precision)
    if result.warmup and result.warmup["method"] == "mser5":
        print(
            f"warm-up detected with MSER-5: {result.warmup['warmup_days']:.1f} days "
            "(cases arriving earlier are left out)",
            file=sys.stderr,
        )
    print(f"\nwritten to {folder}/")
    return 0


def _say_precision(info: dict) -> None:
    verdict = "reached" if info["reached"] else "NOT reached (cap)"
    print(
        f"precision {info['target']:.1%} on {info['metric']}: {verdict} with "
        f"{info['replications']} replications (relative half-width "
        f"{info['relative_half_width']:.1%})",
        file=sys.stderr,
    )


def _run_comparison(args: argparse.Namespace, files: Sequence[str]):
    """Load the files (the first is the baseline) and compare them on common random numbers.

    Scenarios are told apart by name in the comparison, so two with one name are refused.
    """
    from sim.experiment.compare import compare
    from sim.experiment.executors import executor_for

    scenarios = [sim.load(f) for f in files]
    names = [sc.scenario.name for sc in scenarios]
    if len(set(names)) < len(names):
        raise ScenarioError(
            [
                sim.scenario.Problem(
                    f,
                    "scenario.name",
                    "two scenarios of the comparison share this name; give each its own",
                )
                for f in files
            ]
        )
    with executor_for(args.scheduler) as ex:
        return compare(
            scenarios[0],
            *scenarios[1:],
            replications=args.replications,
            seed=args.seed,
            jobs=args.jobs,
            executor=ex,
            precision=args.precision,
            max_replications=args.max_replications,
        )


def cmd_compare(args: argparse.Namespace) -> int:
    """Compare alternatives with a baseline on common random numbers."""
    import json

    from sim.experiment.compare import HEADLINE

    comp = _run_comparison(args, [args.baseline, *args.alternatives])
    table = comp.table
    if args.out:
        from sim.experiment.store import atomic_folder
        from sim.report import charts

        with atomic_folder(Path(args.out)) as tmp:
            table.to_csv(tmp / "comparison.csv", index=False)
            (tmp / "comparison.json").write_text(
                json.dumps(comp.records(), indent=1, ensure_ascii=False), encoding="utf-8"
            )
            charts.comparison_chart(comp).savefig(tmp / "comparison.png")
            charts.trips_chart([comp.baseline, *comp.alternatives]).savefig(tmp / "trips.png")
    if args.format == "json":
        print(json.dumps(comp.records(), indent=1, ensure_ascii=False))
    elif args.format == "csv":
        table.to_csv(sys.stdout, index=False)
    else:
        rows = [["scenario", "metric", "baseline", "alternative", "delta", "95% CI", "change"]]
        for _, r in table[(table["group"] == "all") & table["metric"].isin(HEADLINE)].iterrows():
            rows.append(
                [
                    r["scenario"],
                    r["metric"],
                    f"{r['baseline_mean']:.2f}",
                    f"{r['alternative_mean']:.2f}",
                    f"{r['delta']:+.2f}",
                    f"[{r['delta_ci_low']:+.2f}, {r['delta_ci_high']:+.2f}]",
                    f"{r['relative_delta']:+.1%}",
                ]
            )
        print(
            f"baseline {comp.baseline.scenario.scenario.name!r}, "
            f"{len(comp.baseline.traces)} paired replications, "
            f"seed {comp.baseline.seed} (common random numbers)"
        )
        print(_format_table(rows))
    if comp.precision:
        _say_precision(comp.precision)
    return 0


def _headline_table(result: sim.RunResult) -> str:
    rows = [["case type", "metric", "mean", "95% CI"]]
    for _, r in result.headline().iterrows():
        rows.append(
            [
                str(r["group"]),
                str(r["metric"]),
                f"{r['mean']:.2f}",
                f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]",
            ]
        )
    head = (
        f"{result.scenario.scenario.name}: {len(result.traces)} replications, seed {result.seed}\n"
    )
    return head + _format_table(rows)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="approvalsim",
        description="Simulate government approval throughput and the effect of reforms.",
    )
    parser.add_argument("--version", action="version", version=f"approvalsim {sim.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser(
        "run",
        help="run a scenario and write its results",
        description="Run a scenario's replications and write cases.csv, "
        "tasks.csv, departments.csv, summary.csv/json, the resolved scenario, "
        "provenance and charts (lead time, stages, utilisation, a typical case, "
        "trips) into results/<scenario>-<timestamp>/.",
    )
    p.add_argument("file", help="scenario file (TOML)")
    _common(p)
    p.add_argument("--out", "-o", help="results folder (default: results/<scenario>-<timestamp>)")
    p.add_argument(
        "--reform",
        action="append",
        metavar="NAME[:key=value,...]",
        help="switch a lever on after the file's own (repeatable); see 'approvalsim reforms'",
    )
    p.add_argument(
        "--warmup",
        choices=("scenario", "mser5"),
        default="scenario",
        help="warm-up: the scenario's warmup_days, or detected with MSER-5",
    )
    p.set_defaults(func=cmd_run)

    p = sub.add_parser(
        "compare",
        help="paired comparison of scenarios with a baseline",
        description="Run a baseline and alternatives on the same seeds (common "
        "random numbers) and report, per metric, each alternative's mean, the "
        "paired difference, its 95%% CI and the relative change.",
    )
    p.add_argument("baseline", help="baseline scenario file")
    p.add_argument("alternatives", nargs="+", help="alternative scenario files")
    _common(p)
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="output format (default: table)",
    )
    p.add_argument(
        "--out", "-o", help="also write comparison.csv/.json and its charts (PNG) into this folder"
    )
    p.set_defaults(func=cmd_compare)

    p = sub.add_parser(
        "brief",
        help="write the committee briefing (PDF) in English or Chinese",
        description="Run a baseline and alternatives on common random numbers "
        "and write a PDF briefing with its charts as PNG: headline numbers, "
        "charts with captions, assumptions and levers, provenance.",
    )
    p.add_argument(
        "scenarios", nargs="+", metavar="SCENARIO", help="scenario files: the first is the baseline"
    )
    _common(p)
    p.add_argument(
        "--lang",
        choices=("en", "zh"),
        default="en",
        help="language of text and charts (zh needs a CJK font)",
    )
    p.add_argument("--out", "-o", help="folder (default: results/brief-<baseline>-<timestamp>)")
    p.set_defaults(func=cmd_brief)

    p = sub.add_parser(
        "sweep",
        help="run a sweep file: design points, sensitivity",
        description="Run every design point x replication of a sweep file, "
        "writing each finished replication atomically; run again after an "
        "interruption to resume. With a [sensitivity] table, also one-at-a-time "
        "ranges (tornado) and Sobol indices (SALib).",
    )
    p.add_argument("file", help="sweep file (TOML)")
    p.add_argument(
        "--out", "-o", help="results folder (default: results/sweep-<name>; keep it to resume)"
    )
    p.add_argument(
        "--jobs",
        "-j",
        type=int,
        default=os.cpu_count() or 1,
        help="worker processes (default: all cores)",
    )
    p.add_argument("--scheduler", metavar="ADDRESS", help="Dask scheduler address")
    p.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    p.set_defaults(func=cmd_sweep)

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
    p.add_argument(
        "--reform",
        action="append",
        metavar="NAME[:key=value,...]",
        help="add a lever after the file's own (repeatable)",
    )
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser(
        "check",
        help="validate scenario files and show departments' load",
        description="Validate scenario files (schema, references, cycles, "
        "levers) and print each department's offered load; exit 2 on problems.",
    )
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files (TOML)")
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``approvalsim`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("replications", "jobs", "max_replications"):
        value = getattr(args, name, None)
        if value is not None and value < 1:
            parser.error(f"--{name} must be at least 1 (got {value})")
    try:
        return int(args.func(args) or 0)
    except argparse.ArgumentTypeError as exc:
        parser.error(str(exc))
    except ScenarioError as exc:
        print(exc, file=sys.stderr)
        return EXIT_SCENARIO
    except BrokenPipeError:  # e.g. piped into `head`
        return 0
    except KeyboardInterrupt:
        print("interrupted; no partial results were kept", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
