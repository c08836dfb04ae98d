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
    p.add_argument("--replications", "-r", type=int,
                   help="replications (default: the scenario's experiment.replications)")
    p.add_argument("--jobs", "-j", type=int, default=os.cpu_count() or 1,
                   help="worker processes (default: all cores); results do not depend on it")


def _format_table(rows: list[list[str]]) -> str:
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    out = []
    for n, r in enumerate(rows):
        out.append("  ".join(v.ljust(w) if c == 0 else v.rjust(w)
                             for c, (v, w) in enumerate(zip(r, widths, strict=True))))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _load_warnings(scenario: sim.Scenario) -> list[str]:
    return [f"warning: department {ld.department!r} is overloaded: load {ld.load:.2f} >= 1 "
            f"({ld.demand_hours:,.0f} staff hours of work a year for {ld.open_hours:,.0f} open); "
            "its queue grows without bound"
            for ld in sim.offered_load(scenario) if not ld.stable]


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
        print(f"{f}: ok ({len(sc.departments)} departments, {len(sc.items)} items, "
              f"{len(sc.case_types)} case types)")
        rows = [["department", "staff", "demand h/yr", "open h/yr", "load"]]
        for ld in sim.offered_load(sc):
            rows.append([ld.department, str(ld.staff), f"{ld.demand_hours:,.0f}",
                         f"{ld.open_hours:,.0f}", f"{ld.load:.2f}"])
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
                f"cannot read {part!r} in --reform {text!r} (valid: NAME:key=value,key=value)")
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


def cmd_reforms(args: argparse.Namespace) -> int:
    """List every lever with its parameters, defaults and meaning."""
    from sim.reforms import LEVERS

    for name, mod in LEVERS.items():
        print(f"{name}  ({mod.ZH})\n  {mod.SUMMARY}")
        for key, info in mod.Params.model_fields.items():
            default = "required" if info.is_required() else (
                info.default_factory() if info.default_factory else info.default)
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
    print(f"\nresult: {len(new.departments)} departments, {len(new.items)} items, "
          f"{len(new.case_types)} case types")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """Run a scenario's replications; write tables, summary, provenance and a chart."""
    from sim.experiment.store import atomic_folder, default_folder, write_tables
    from sim.report.charts import lead_time_chart

    sc = _load_with_reforms(args)
    for w in _load_warnings(sc):
        print(w, file=sys.stderr)
    result = sim.run(sc, replications=args.replications, seed=args.seed, jobs=args.jobs)
    folder = Path(args.out) if args.out else default_folder(sc.scenario.name)
    with atomic_folder(folder) as tmp:
        write_tables(result, tmp)
        fig = lead_time_chart(result)
        fig.savefig(tmp / "leadtime.png")
    if result.assumed_calendar_years:
        years = ", ".join(map(str, result.assumed_calendar_years))
        print(f"note: no official holiday notice for {years}: public holidays computed by rule, "
              "no make-up working days assumed", file=sys.stderr)
    print(_headline_table(result))
    print(f"\nwritten to {folder}/")
    return 0


def _headline_table(result: sim.RunResult) -> str:
    rows = [["case type", "metric", "mean", "95% CI"]]
    for _, r in result.headline().iterrows():
        rows.append([str(r["group"]), str(r["metric"]), f"{r['mean']:.2f}",
                     f"[{r['ci_low']:.2f}, {r['ci_high']:.2f}]"])
    head = (f"{result.scenario.scenario.name}: {len(result.traces)} replications, "
            f"seed {result.seed}\n")
    return head + _format_table(rows)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(
        prog="approvalsim",
        description="Simulate government approval throughput and the effect of reforms.")
    parser.add_argument("--version", action="version", version=f"approvalsim {sim.__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="run a scenario and write its results",
                       description="Run a scenario's replications and write cases.csv, "
                       "tasks.csv, departments.csv, summary.csv/json, the resolved scenario, "
                       "provenance and a lead-time chart into results/<scenario>-<timestamp>/.")
    p.add_argument("file", help="scenario file (TOML)")
    _common(p)
    p.add_argument("--out", "-o", help="results folder (default: results/<scenario>-<timestamp>)")
    p.add_argument("--reform", action="append", metavar="NAME[:key=value,...]",
                   help="switch a lever on after the file's own (repeatable); see "
                   "'approvalsim reforms'")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("reforms", help="list the levers, their parameters and defaults",
                       description="List every reform lever with its parameters, defaults and "
                       "meaning.")
    p.set_defaults(func=cmd_reforms)

    p = sub.add_parser("explain", help="print what each lever of a scenario changes",
                       description="Apply a scenario's levers and print the account of each.")
    p.add_argument("file", help="scenario file (TOML)")
    p.add_argument("--reform", action="append", metavar="NAME[:key=value,...]",
                   help="add a lever after the file's own (repeatable)")
    p.set_defaults(func=cmd_explain)

    p = sub.add_parser("check", help="validate scenario files and show departments' load",
                       description="Validate scenario files (schema, references, cycles, "
                       "levers) and print each department's offered load; exit 2 on problems.")
    p.add_argument("files", nargs="+", metavar="FILE", help="scenario files (TOML)")
    p.set_defaults(func=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``approvalsim`` command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    for name in ("replications", "jobs"):
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
