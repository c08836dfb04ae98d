"""The result types: a run, a comparison, a sweep — frozen, and each carrying how it was made.

Every result is a frozen dataclass: nothing is set on it after construction. What a reader needs
to trust a number travels with it — the seed, the warm-up (from the scenario or detected with
MSER-5), the precision a precision-driven run reached, the levers applied and the provenance
(built once, by :mod:`sim.experiment.provenance`). Derived tables (the stacked case table, the
summary) are computed on first use and cached; they are functions of the frozen fields.

A run is a tuple of :class:`Replication` outcomes, one per replication, as the workers returned
them: the replication's summary rows (always), its department table (small, always) and its full
trace only when the tables were kept in memory. When the tables were streamed to files instead,
:class:`TableFiles` says where, and the tables are read back on demand — so a year of a million
items never has to sit in memory or travel between processes.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

import pandas as pd

from sim.analysis.summary import ALL, interval_units, summarise_replications
from sim.experiment.errors import TablesNotKept
from sim.experiment.provenance import provenance
from sim.experiment.sinks import read_table
from sim.model.trace import Trace
from sim.reforms import Account
from sim.scenario.schema import Scenario

#: What a run keeps of its tables: everything, only the case table, or none (summaries only).
KEEP = ("all", "cases", "none")
#: The tables a trace holds beside the department table, and which ``keep`` level keeps them.
TABLES = {
    "cases": ("all", "cases"),
    "tasks": ("all",),
    "activities": ("all",),
    "visits": ("all",),
}
#: Metrics of the headline tables (overall and per case type); the scenario's intervals and the
#: reform indicators follow them (see :func:`headline_metrics`).
HEADLINE = (
    "approval_wd_mean",
    "clock_wd_mean",
    "lead_wd_mean",
    "lead_days_mean",
    "trips_mean",
    "corrections_mean",
)
#: Shares shown after the intervals, when the run reports them.
INDICATORS = ("one_trip_share", "overdue_share", "capped_share", "unfinished_share")


def headline_metrics(meta: Mapping[str, Any]) -> list[str]:
    """The headline metrics of a run: the fixed ones, its intervals, then the indicators."""
    if meta.get("hall"):  # a service-hall run (issue 15) has its own headline
        from sim.analysis.citizen import HALL_HEADLINE

        return [*HALL_HEADLINE, "unfinished_share"]
    return [*HEADLINE, *meta.get("intervals", {}), *INDICATORS]


#: Above this share of unfinished cases, means are only a partial answer and we say so loudly.
UNFINISHED_WARNING = 0.05


def _now() -> str:
    return dt.datetime.now().isoformat(timespec="seconds")


@dataclass(frozen=True)
class Warmup:
    """How the start of the measurement window was chosen, and where it is."""

    method: str  # "scenario" (its warmup_days) or "mser5" (detected on the lead times)
    warmup_days: float

    @property
    def warmup_h(self) -> float:
        """The warm-up in hours from the start."""
        return self.warmup_days * 24.0

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON."""
        return {"method": self.method, "warmup_days": self.warmup_days}


@dataclass(frozen=True)
class Precision:
    """What a precision-driven run aimed for and what it reached."""

    target: float  # relative half-width of the 95% CI aimed for
    metric: str
    replications: int
    relative_half_width: float
    reached: bool
    history: tuple[tuple[int, float], ...] = ()  # (replications, relative half-width) per batch

    def as_dict(self) -> dict[str, Any]:
        """Plain data for JSON (an infinite width becomes ``None``)."""
        width = self.relative_half_width
        return {
            "target": self.target,
            "metric": self.metric,
            "replications": self.replications,
            "relative_half_width": width if math.isfinite(width) else None,
            "reached": self.reached,
            "history": [[n, w if math.isfinite(w) else None] for n, w in self.history],
        }


@dataclass(frozen=True)
class TableFiles:
    """Stacked tables written to files (one per table, a ``replication`` column first)."""

    folder: Path
    format: str  # "parquet" or "csv"
    names: tuple[str, ...]

    def path(self, name: str) -> Path:
        """The file of table ``name``."""
        return self.folder / f"{name}.{self.format}"

    def read(self, name: str) -> pd.DataFrame:
        """Read table ``name`` back."""
        return read_table(self.path(name), self.format)

    def moved_to(self, folder: Path) -> TableFiles:
        """The same tables after their folder was renamed to ``folder``."""
        return replace(self, folder=Path(folder))


@dataclass(frozen=True, eq=False)
class Replication:
    """What one replication's worker returns: small always, the trace only when kept."""

    index: int
    summary: pd.DataFrame  # per-replication metric rows (replication, group, metric, value, n)
    departments: pd.DataFrame
    meta: Mapping[str, Any]
    trace: Trace | None = None


def _stack(frames: Sequence[pd.DataFrame], indices: Sequence[int]) -> pd.DataFrame:
    parts = [f.assign(replication=r) for f, r in zip(frames, indices, strict=True)]
    df = pd.concat(parts, ignore_index=True)
    return df[["replication", *[c for c in df.columns if c != "replication"]]]


class _FileTraces(Sequence[Trace]):
    """The traces of a run whose tables are in files: each read back when it is asked for."""

    def __init__(self, result: RunResult) -> None:
        self._result = result

    def __len__(self) -> int:
        return len(self._result.replications)

    def __getitem__(self, position: int) -> Trace:  # type: ignore[override]
        if isinstance(position, slice):
            return [self[k] for k in range(*position.indices(len(self)))]  # type: ignore[return-value]
        if not -len(self) <= position < len(self):
            raise IndexError(position)
        return self._result._trace_from_files(position % len(self))


def _typed(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """A table read back from CSV with the types it had in memory (categories, dates)."""
    known = {
        "case_type": list(scenario.case_types),
        "item": list(scenario.items),
        "department": list(scenario.departments),
    }
    for col in frame.columns:
        if col == "arrival":
            frame[col] = pd.to_datetime(frame[col])
        elif frame[col].dtype == object or pd.api.types.is_string_dtype(frame[col].dtype):
            cats = known.get(col)
            frame[col] = (
                pd.Categorical(frame[col], categories=cats)
                if cats is not None
                else frame[col].astype("category")
            )
    return frame


def _fmt(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}" if isinstance(x, int | float) and math.isfinite(x) else "–"


@dataclass(frozen=True, eq=False)
class RunResult:
    """Every replication of one scenario: the summary, the tables, and how they were made.

    ``scenario`` is the scenario as run (levers applied; ``accounts`` says what each changed).
    """

    kind: ClassVar[str] = "run"

    scenario: Scenario
    seed: int
    replications: tuple[Replication, ...]
    accounts: tuple[Account, ...] = ()
    warmup: Warmup | None = None  # None: the scenario's own warmup_days
    precision: Precision | None = None
    keep: str = "all"
    tables: TableFiles | None = None
    created: str = field(default_factory=_now)

    def __post_init__(self) -> None:
        # normalising the constructor's arguments (still construction: nothing is set later)
        object.__setattr__(self, "replications", tuple(self.replications))
        object.__setattr__(self, "accounts", tuple(self.accounts))
        if self.warmup is None:
            object.__setattr__(
                self, "warmup", Warmup("scenario", float(self.scenario.scenario.warmup_days))
            )
        if self.keep not in KEEP:
            raise ValueError(f"keep must be one of {', '.join(KEEP)} (got {self.keep!r})")

    # -- tables ---------------------------------------------------------------------------------

    @property
    def indices(self) -> list[int]:
        """The replication numbers, in order."""
        return [r.index for r in self.replications]

    def has(self, table: str) -> bool:
        """Whether the run kept ``table`` (``cases``, ``tasks``, ``activities``, ``visits``)."""
        return self.keep in TABLES.get(table, ("all",)) and self.replications != ()

    def _table(self, name: str) -> pd.DataFrame:
        if not self.has(name):
            raise TablesNotKept(
                f"the run kept {self.keep!r} tables, not {name!r}; run with tables='all'"
                + (" (or 'cases')" if name == "cases" else "")
            )
        if all(r.trace is not None for r in self.replications):
            frames = [getattr(r.trace, name) for r in self.replications]
            if any(f is None for f in frames):
                raise TablesNotKept(f"the traces hold no {name!r} table")
            return _stack(frames, self.indices)
        if self.tables is not None and name in self.tables.names:
            frame = self.tables.read(name)
            if name == "cases":  # a sink gets cases as they close; in memory they are by number
                frame = frame.sort_values(["replication", "case"], kind="stable", ignore_index=True)
            return frame if self.tables.format == "parquet" else _typed(frame, self.scenario)
        raise TablesNotKept(f"no {name!r} table was kept in memory or written to a file")

    @cached_property
    def cases(self) -> pd.DataFrame:
        """The case tables of all replications, with a ``replication`` column."""
        return self._table("cases")

    def case_columns(self, columns: Sequence[str]) -> pd.DataFrame:
        """Only ``columns`` of the case tables (and ``replication``), rows as in :attr:`cases`.

        When the tables were streamed to files, only these columns are read (a chart of a
        million cases needs two or three of the table's thirty-odd columns); otherwise they are
        selected from the tables in memory.
        """
        wanted = list(dict.fromkeys(["replication", *columns]))
        if "cases" in self.__dict__ or self.tables is None or "cases" not in self.tables.names:
            return self.cases[wanted]
        if not self.has("cases"):
            raise TablesNotKept(f"the run kept {self.keep!r} tables, not 'cases'")
        read = list(dict.fromkeys([*wanted, "case"]))
        frame = read_table(self.tables.path("cases"), self.tables.format, read)
        # a sink gets cases as they close; in memory they are by number
        frame = frame.sort_values(["replication", "case"], kind="stable", ignore_index=True)
        frame = frame[wanted]
        return frame if self.tables.format == "parquet" else _typed(frame, self.scenario)

    @cached_property
    def tasks(self) -> pd.DataFrame:
        """The task tables of all replications, with a ``replication`` column."""
        return self._table("tasks")

    @cached_property
    def activities(self) -> pd.DataFrame:
        """Elapsed spells (delays, corrections, transfers, stalls) of all replications."""
        return self._table("activities")

    @cached_property
    def visits(self) -> pd.DataFrame:
        """Every item visit of all replications (what critical paths walk)."""
        return self._table("visits")

    @cached_property
    def departments(self) -> pd.DataFrame:
        """The department tables of all replications, with a ``replication`` column."""
        return _stack([r.departments for r in self.replications], self.indices)

    @cached_property
    def traces(self) -> Sequence[Trace]:
        """One trace per replication.

        When the tables were streamed to files, each trace is read back only when it is asked
        for (``len(result.traces)`` reads nothing), one replication at a time.
        """
        if all(r.trace is not None for r in self.replications):
            return tuple(r.trace for r in self.replications)  # type: ignore[misc]
        if not self.has("cases"):
            raise TablesNotKept(f"the run kept {self.keep!r} tables: no traces to rebuild")
        return _FileTraces(self)

    def _trace_from_files(self, position: int) -> Trace:
        rep = self.replications[position]

        def part(name: str) -> pd.DataFrame | None:
            if not self.has(name) or self.tables is None or name not in self.tables.names:
                return None
            if self.tables.format == "parquet":
                frame = pd.read_parquet(
                    self.tables.path(name), filters=[("replication", "==", rep.index)]
                )
            else:
                whole = self._table(name)
                frame = whole[whole["replication"] == rep.index]
            if name == "cases":  # a sink gets cases as they close; in memory they are by number
                frame = frame.sort_values("case", kind="stable")
            return frame.drop(columns="replication").reset_index(drop=True)

        return Trace(
            cases=part("cases"),  # type: ignore[arg-type]
            tasks=part("tasks"),
            departments=rep.departments,
            meta=dict(rep.meta),
            activities=part("activities"),
            visits=part("visits"),
        )

    # -- summary --------------------------------------------------------------------------------

    @cached_property
    def per_replication(self) -> pd.DataFrame:
        """One row per replication, group and metric: that replication's value."""
        return pd.concat([r.summary for r in self.replications], ignore_index=True)

    @cached_property
    def summary(self) -> pd.DataFrame:
        """Mean and 95% confidence interval of every metric across replications."""
        units = interval_units(self.replications[0].meta) if self.replications else {}
        return summarise_replications(self.per_replication, extra_units=units)

    def value(self, metric: str, group: str = ALL) -> dict[str, Any]:
        """One row of the summary as a dict (``mean``, ``ci_low``, ``ci_high``, ...)."""
        s = self.summary
        if s.empty:
            raise KeyError(f"no metric {metric!r}: the run has no cases in its window")
        row = s[(s["metric"] == metric) & (s["group"] == group)]
        if row.empty:
            raise KeyError(f"no metric {metric!r} for group {group!r}")
        return row.iloc[0].to_dict()

    @property
    def unfinished_share(self) -> float:
        """Mean share of the window's cases that had not finished by the end of the run."""
        try:
            return float(self.value("unfinished_share")["mean"])
        except KeyError:
            return math.nan

    @property
    def assumed_calendar_years(self) -> list[int]:
        """Years whose holidays were computed by rule (no official notice yet)."""
        years = {y for r in self.replications for y in r.meta.get("assumed_calendar_years", ())}
        return sorted(years)

    @cached_property
    def provenance(self) -> dict[str, Any]:
        """Where the numbers come from (see :mod:`sim.experiment.provenance`)."""
        return provenance(self)

    def headline(self) -> pd.DataFrame:
        """Headline metrics per case type (overall first), with 95% CIs."""
        s = self.summary
        if s.empty:
            return s
        order = headline_metrics(self.replications[0].meta)
        keep = s["metric"].isin(order) & ~s["group"].str.startswith("department:")
        out = s[keep].copy()
        out["_order"] = out["metric"].map({m: n for n, m in enumerate(order)})
        groups = {g: n for n, g in enumerate(dict.fromkeys(out["group"]))}
        out["_group"] = out["group"].map(groups)
        return (
            out.sort_values(["_group", "_order"])
            .drop(columns=["_order", "_group"])
            .reset_index(drop=True)
        )

    # -- display --------------------------------------------------------------------------------

    def _title(self) -> str:
        return (
            f"{self.scenario.scenario.name}: {len(self.replications)} replications, "
            f"seed {self.seed}, warm-up {self.warmup.warmup_days:.1f} days "  # type: ignore[union-attr]
            f"({self.warmup.method})"  # type: ignore[union-attr]
        )

    def _unfinished_note(self) -> str:
        share = self.unfinished_share
        if not (share > 0):
            return ""
        return (
            f"{share:.1%} of the window's cases did not finish by the end of the run: "
            "means are over finished cases only"
        )

    def __repr__(self) -> str:
        lines = [f"RunResult({self._title()})"]
        for _, r in self.headline().iterrows():
            lines.append(
                f"  {r['group']:<16} {r['metric']:<18} {_fmt(r['mean']):>9}  "
                f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
            )
        note = self._unfinished_note()
        if note:
            lines.append(f"  note: {note}")
        if self.precision is not None:
            lines.append(f"  precision: {_precision_text(self.precision)}")
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        head = self.headline()
        rows = []
        for _, r in head.iterrows():
            rows.append(
                [
                    str(r["group"]),
                    str(r["metric"]),
                    _fmt(r["mean"]),
                    f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]",
                    str(r.get("unit", "")),
                ]
            )
        notes = [self._unfinished_note()] if self._unfinished_note() else []
        if self.precision is not None:
            notes.append("precision: " + _precision_text(self.precision))
        return _html_table(
            self._title() + "; 95% confidence intervals",
            ["case type", "metric", "mean", "95% CI", "unit"],
            rows,
            notes,
        )


def _precision_text(p: Precision) -> str:
    verdict = "reached" if p.reached else "NOT reached (cap)"
    return (
        f"{p.target:.1%} on {p.metric}: {verdict} with {p.replications} replications "
        f"(relative half-width {_fmt(p.relative_half_width * 100, 1)}%)"
    )


def _html_table(title: str, head: list[str], rows: list[list[str]], notes: list[str]) -> str:
    esc = html.escape
    out = [f"<div><b>{esc(title)}</b>", "<table><thead><tr>"]
    out += [f"<th>{esc(h)}</th>" for h in head]
    out.append("</tr></thead><tbody>")
    for row in rows:
        out.append("<tr>" + "".join(f"<td>{esc(v)}</td>" for v in row) + "</tr>")
    out.append("</tbody></table>")
    out += [f"<p><i>{esc(n)}</i></p>" for n in notes]
    out.append("</div>")
    return "".join(out)


@dataclass(frozen=True, eq=False)
class Comparison:
    """A baseline and alternatives run on the same seeds, with paired deltas per metric."""

    kind: ClassVar[str] = "comparison"

    baseline: RunResult
    alternatives: tuple[RunResult, ...]
    table: pd.DataFrame
    precision: Precision | None = None
    created: str = field(default_factory=_now)

    def __post_init__(self) -> None:
        object.__setattr__(self, "alternatives", tuple(self.alternatives))

    @property
    def results(self) -> tuple[RunResult, ...]:
        """The baseline, then every alternative."""
        return (self.baseline, *self.alternatives)

    @property
    def seed(self) -> int:
        """The root seed every scenario of the comparison ran with."""
        return self.baseline.seed

    @property
    def scenario(self) -> Scenario:
        """The baseline scenario (as run)."""
        return self.baseline.scenario

    @cached_property
    def provenance(self) -> dict[str, Any]:
        """Where the numbers come from (see :mod:`sim.experiment.provenance`)."""
        return provenance(self)

    def delta(
        self, scenario: str, metric: str = "approval_wd_mean", group: str = ALL
    ) -> dict[str, Any]:
        """One row of the comparison table as a dict."""
        t = self.table
        if t.empty:
            raise KeyError(f"no {metric!r} for {scenario!r}: the comparison table is empty")
        row = t[(t["scenario"] == scenario) & (t["metric"] == metric) & (t["group"] == group)]
        if row.empty:
            raise KeyError(f"no {metric!r} for {scenario!r}, group {group!r}")
        return row.iloc[0].to_dict()

    def records(self) -> list[dict[str, Any]]:
        """The table as a list of plain dicts (the ``--format json`` output; NaN -> None)."""
        return [
            {
                k: (None if isinstance(v, float) and not math.isfinite(v) else v)
                for k, v in r.items()
            }
            for r in self.table.to_dict(orient="records")
        ]

    def headline(self) -> pd.DataFrame:
        """The comparison table's headline metrics, overall."""
        t = self.table
        if t.empty:
            return t
        meta = self.baseline.replications[0].meta
        metrics = headline_metrics(meta)
        if meta.get("hall"):  # also the life events, and each window group's utilisation
            from sim.analysis.citizen import hall_headline

            return hall_headline(t, metrics)
        return t[(t["group"] == ALL) & t["metric"].isin(metrics)].reset_index(drop=True)

    def _title(self) -> str:
        return (
            f"{len(self.alternatives)} alternative(s) against "
            f"{self.baseline.scenario.scenario.name!r}: {len(self.baseline.replications)} "
            f"paired replications, seed {self.seed} (common random numbers)"
        )

    def _notes(self) -> list[str]:
        notes = []
        for r in self.results:
            share = r.unfinished_share
            if share > 0:
                notes.append(
                    f"{r.scenario.scenario.name}: {share:.1%} of cases unfinished; means are over "
                    "finished cases only"
                )
        if self.precision is not None:
            notes.append("precision: " + _precision_text(self.precision))
        return notes

    def __repr__(self) -> str:
        lines = [f"Comparison({self._title()})"]
        for _, r in self.headline().iterrows():
            lines.append(
                f"  {r['scenario']:<24} {r['metric']:<18} {_fmt(r['baseline_mean']):>8} -> "
                f"{_fmt(r['alternative_mean']):>8}  delta {_fmt(r['delta'])} "
                f"[{_fmt(r['delta_ci_low'])}, {_fmt(r['delta_ci_high'])}]"
            )
        lines += [f"  note: {n}" for n in self._notes()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = [
            [
                str(r["scenario"]),
                str(r["metric"]),
                _fmt(r["baseline_mean"]),
                _fmt(r["alternative_mean"]),
                _fmt(r["delta"]),
                f"[{_fmt(r['delta_ci_low'])}, {_fmt(r['delta_ci_high'])}]",
                f"{r['relative_delta']:+.1%}" if math.isfinite(r["relative_delta"]) else "–",
            ]
            for _, r in self.headline().iterrows()
        ]
        return _html_table(
            self._title(),
            ["scenario", "metric", "baseline", "alternative", "delta", "95% CI", "change"],
            rows,
            self._notes(),
        )


@dataclass(frozen=True, eq=False)
class SweepResult:
    """A sweep's design points x replications, summarised, with its sensitivity analyses."""

    kind: ClassVar[str] = "sweep"

    name: str
    file: Path
    folder: Path
    seed: int
    metric: str
    replications: int  # per design point
    key: str  # hash of the resolved base scenario, the seed and the package version
    results: pd.DataFrame  # one row per point, replication, group and metric
    points: pd.DataFrame | None = None  # mean and CI per design point (grid and explicit points)
    tornado: pd.DataFrame | None = None  # one-at-a-time swings
    sobol: pd.DataFrame | None = None  # first-order and total Sobol indices
    samples: int | None = None  # Sobol base sample size
    new_tasks: int = 0  # replications run by this call
    reused_tasks: int = 0  # replications found in the folder from an earlier call
    created: str = field(default_factory=_now)

    @cached_property
    def provenance(self) -> dict[str, Any]:
        """Where the numbers come from (see :mod:`sim.experiment.provenance`)."""
        return provenance(self)

    def _title(self) -> str:
        return (
            f"sweep {self.name!r}: {self.results['point'].nunique() if len(self.results) else 0} "
            f"design points x {self.replications} replications, seed {self.seed} "
            f"({self.new_tasks} run now, {self.reused_tasks} reused)"
        )

    def __repr__(self) -> str:
        lines = [f"SweepResult({self._title()})"]
        if self.points is not None:
            view = self.points[self.points["metric"] == self.metric]
            for _, r in view.iterrows():
                lines.append(
                    f"  {r['label']:<36} {_fmt(r['mean']):>9} "
                    f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]"
                )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = []
        if self.points is not None:
            view = self.points[self.points["metric"] == self.metric]
            rows = [
                [
                    str(r["label"]),
                    _fmt(r["mean"]),
                    f"[{_fmt(r['ci_low'])}, {_fmt(r['ci_high'])}]",
                    str(r["replications"]),
                ]
                for _, r in view.iterrows()
            ]
        notes = []
        if self.tornado is not None and len(self.tornado):
            top = self.tornado.iloc[0]
            notes.append(f"largest one-at-a-time swing: {top['parameter']} ({_fmt(top['swing'])})")
        if self.sobol is not None and len(self.sobol):
            top = self.sobol.sort_values("ST", ascending=False).iloc[0]
            notes.append(f"largest total Sobol index: {top['parameter']} ({_fmt(top['ST'], 3)})")
        return _html_table(
            self._title(), ["point", self.metric, "95% CI", "replications"], rows, notes
        )
