"""Writing results to disk: one writer for any result, into a folder that is never destroyed.

Rules, in the order they are checked — all *before* the simulation starts (:func:`prepare`):

* A results folder is new. An existing folder is used only when it is empty, or when it is a
  results folder of ours (it carries our ``provenance.json``, which lists the files we wrote)
  *and* the caller asked to overwrite it; then only if every file in it is one we wrote. Nothing
  a user put anywhere is ever deleted.
* The target must be creatable: not a file, not the folder you are in, a name the file system
  accepts, in a place we may write. :func:`prepare` creates the temporary sibling folder the
  results are written into (``.approvalsim-tmp-<pid>-...``), which proves all of that.
* Writing is atomic: everything goes into the temporary sibling, which is renamed to the final
  name when complete (:meth:`Destination.commit`). A run killed mid-way leaves only a temporary
  folder named for its dead process; the next :func:`prepare` in the same place removes it.
* What can still fail after the run (a chart that cannot be drawn, a disk that filled up) costs
  one line, never what was computed: a failed chart is a note, a failed rename keeps the folder
  under a visible name and says where (:class:`~sim.experiment.errors.OutputError`).

:func:`write` writes any result: a run (tables, ``departments.csv``, ``summary.csv``/``.json``
with where the days go under ``critical_path``, ``critical.csv``, the resolved scenario,
provenance, charts), a comparison (``comparison.csv``/``.json``, every scenario's summary, its
``critical.csv`` and the paired critical-path days each alternative removed, ``days_lost.csv``,
charts) or a sweep's tables (``points.csv``, ``tornado.csv``, ``sobol.csv``).
Charts come through a hook (a function from the result to named figures), so this layer never
imports the report layer. Every CSV is written with inert text cells (see :mod:`sinks`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import errno
import json
import math
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from sim.analysis import critical
from sim.experiment.errors import OutputError, UsageError
from sim.experiment.results import Comparison, RunResult, SweepResult
from sim.experiment.sinks import FORMATS, feed, sink_for, write_csv

MARK = "provenance.json"
TMP_PREFIX = ".approvalsim-tmp-"
OLD_PREFIX = ".approvalsim-old-"
#: A chart hook: from a result to ``(file stem, save)`` pairs, where ``save(path)`` draws one
#: chart and writes it as PNG; each is drawn separately, so one failure costs only its chart.
ChartHook = Callable[[Any], Iterable[tuple[str, Callable[[Path], None]]]]


def slug(text: str) -> str:
    """A file-name-safe version of a scenario name."""
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:80] or "scenario"


def default_folder(name: str, root: str | Path = "results") -> Path:
    """``results/<scenario>-<timestamp>``."""
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    return Path(root) / f"{slug(name)}-{stamp}"


def write_json(path: Path, data: Any, allow_nan: bool = False) -> None:
    """Write JSON atomically (temporary file, then rename), creating the folder if needed.

    ``allow_nan=False`` (results meant for other tools) refuses NaN and infinities; internal
    files such as a sweep's per-replication records may keep them.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=allow_nan, default=str) + "\n"
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    except BaseException:  # a torn temporary file must not outlive the failed write
        tmp.unlink(missing_ok=True)
        raise


# --------------------------------------------------------------------------- folders


def is_ours(folder: Path) -> bool:
    """Whether ``folder`` is a results folder written by approvalsim (it carries our mark)."""
    try:
        data = json.loads((folder / MARK).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(data, dict) and data.get("package") == "approvalsim"


def _our_files(folder: Path) -> set[str]:
    try:
        data = json.loads((folder / MARK).read_text(encoding="utf-8"))
        return {str(f) for f in data.get("files", [])} | {MARK}
    except (OSError, ValueError, AttributeError):
        return set()


def _foreign(folder: Path) -> list[str]:
    """Files in ``folder`` that our mark does not list (what we would not dare delete)."""
    ours = _our_files(folder)
    found = []
    for p in sorted(folder.rglob("*")):
        rel = p.relative_to(folder).as_posix()
        if p.is_dir() and not p.is_symlink():
            continue
        if rel not in ours:
            found.append(rel)
    return found


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_stale(parent: Path) -> list[Path]:
    """Remove temporary folders of ours in ``parent`` whose process is gone (killed runs)."""
    removed = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return removed
    for p in entries:
        for prefix in (TMP_PREFIX, OLD_PREFIX):
            if not p.name.startswith(prefix) or not p.is_dir() or p.is_symlink():
                continue
            pid_text = p.name[len(prefix) :].split("-", 1)[0]
            if pid_text.isdigit() and not _pid_alive(int(pid_text)):
                shutil.rmtree(p, ignore_errors=True)
                removed.append(p)
    return removed


def _name_max(folder: Path) -> int:
    try:
        return os.pathconf(folder, "PC_NAME_MAX")
    except (OSError, ValueError, AttributeError):
        return 255


def _existing_ancestor(path: Path) -> Path:
    p = path
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


@dataclass
class Destination:
    """A results folder being written: the final name and the temporary sibling in use."""

    final: Path
    tmp: Path
    overwrite: bool = False
    done: bool = False

    def commit(self) -> Path:
        """Rename the temporary folder to its final name (replacing our own old one if asked)."""
        old = None
        try:
            if self.final.exists() and any(self.final.iterdir()):
                if not (self.overwrite and is_ours(self.final) and not _foreign(self.final)):
                    raise UsageError(
                        f"{self.final}: filled by someone else during the run; not replacing it"
                    )
                old = Path(
                    tempfile.mkdtemp(prefix=f"{OLD_PREFIX}{os.getpid()}-", dir=self.final.parent)
                )
                old.rmdir()
                os.replace(self.final, old)
            os.replace(self.tmp, self.final)
        except OSError as exc:
            if old is not None and not self.final.exists():
                with contextlib.suppress(OSError):
                    os.replace(old, self.final)
            kept = self.salvage()
            raise OutputError(
                f"{self.final}: could not move the results into place ({exc.strerror or exc}); "
                f"what was computed is kept in {kept}"
            ) from None
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)
        self.done = True
        return self.final

    def salvage(self) -> Path:
        """Keep the temporary folder under a visible name (so no clean-up removes it)."""
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        keep = self.final.with_name(f"{self.final.name[:200]}.incomplete-{stamp}")
        try:
            os.replace(self.tmp, keep)
        except OSError:
            return self.tmp
        self.done = True
        return keep

    def abort(self) -> None:
        """Remove the temporary folder (ours, made by :func:`prepare`)."""
        if not self.done:
            shutil.rmtree(self.tmp, ignore_errors=True)
            self.done = True

    def __enter__(self) -> Destination:
        return self

    def __exit__(self, kind: type[BaseException] | None, *rest: object) -> None:
        if kind is not None:
            self.abort()


def prepare(folder: str | Path, overwrite: bool = False) -> Destination:
    """Check that results can go to ``folder`` and create the temporary sibling (UsageError).

    Call before the simulation starts; write into ``destination.tmp``; then ``commit()``.
    """
    raw = Path(folder)
    if str(folder).strip() == "":
        raise UsageError("the output folder name is empty")
    try:
        return _prepare(raw, overwrite)
    except OSError as exc:
        raise UsageError(f"{raw}: cannot use this folder: {exc.strerror or exc}") from None


def _prepare(raw: Path, overwrite: bool) -> Destination:
    final = Path(os.path.abspath(raw))
    for part in final.parts:
        if len(part.encode()) > 255:
            raise UsageError(
                f"{raw}: the name {part[:20]}... is {len(part.encode())} bytes long; the file "
                "system allows at most 255"
            )
    if raw.is_symlink():
        final = raw.resolve()
    if not final.name or final == final.parent:
        raise UsageError(f"{raw}: cannot write results as the root folder; name a new folder")
    ancestor = _existing_ancestor(final.parent)
    limit = _name_max(ancestor if ancestor.is_dir() else Path("."))
    if len(final.name.encode()) > limit:
        raise UsageError(
            f"{raw}: the folder name is {len(final.name.encode())} bytes long; the file system "
            f"allows at most {limit}"
        )
    if final.exists() or final.is_symlink():
        if not final.is_dir():
            raise UsageError(f"{raw}: is a file, not a folder; name a new folder for the results")
        cwd = Path.cwd().resolve()
        if final.resolve() == cwd or final.resolve() in cwd.parents:
            raise UsageError(
                f"{raw}: is the folder you are in (or holds it); name a new folder for the results"
            )
        if any(final.iterdir()):
            if not is_ours(final):
                raise UsageError(
                    f"{raw}: exists and is not an approvalsim results folder; nothing in it is "
                    "touched — name a new folder for the results"
                )
            if not overwrite:
                raise UsageError(
                    f"{raw}: already holds approvalsim results; give --overwrite (overwrite=True) "
                    "to replace them, or name a new folder"
                )
            foreign = _foreign(final)
            if foreign:
                raise UsageError(
                    f"{raw}: holds files approvalsim did not write ({', '.join(foreign[:3])}"
                    f"{', ...' if len(foreign) > 3 else ''}); not replacing it — move them or "
                    "name a new folder"
                )
    if ancestor.exists() and not ancestor.is_dir():
        raise UsageError(f"{raw}: {ancestor} is a file, so no folder can be made under it")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        remove_stale(final.parent)
        tmp = Path(tempfile.mkdtemp(prefix=f"{TMP_PREFIX}{os.getpid()}-", dir=final.parent))
    except OSError as exc:
        reason = exc.strerror or str(exc)
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            reason += " (no permission to write there)"
        raise UsageError(f"{raw}: cannot create the results folder: {reason}") from None
    return Destination(final, tmp, overwrite)


# --------------------------------------------------------------------------- contents


@dataclass(frozen=True)
class Written:
    """What :func:`write` did: the folder, the files in it, and notes on what was skipped."""

    folder: Path
    files: tuple[str, ...]
    notes: tuple[str, ...] = ()


def _finite(x: Any) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return round(v, 6) if math.isfinite(v) else None


def summary_dict(result: RunResult) -> dict[str, Any]:
    """The key figures of a run, as plain JSON-ready data."""
    rows = [
        {
            "group": r["group"],
            "metric": r["metric"],
            "mean": _finite(r["mean"]),
            "ci_low": _finite(r["ci_low"]),
            "ci_high": _finite(r["ci_high"]),
            "replications": int(r["replications"]),
            "cases": int(r["cases"]),
            "unit": r["unit"],
        }
        for _, r in result.summary.iterrows()
    ]
    out = {
        "scenario": result.scenario.scenario.name,
        "seed": result.seed,
        "replications": len(result.replications),
        "confidence": 0.95,
        "metrics": rows,
    }
    if critical.available(result):
        out["critical_path"] = critical.as_json(result)
    return out


def _charts(result: Any, hook: ChartHook | None, folder: Path, notes: list[str]) -> None:
    if hook is None:
        return
    summary = getattr(result, "summary", None)
    if summary is not None and "cases" in summary and not (summary["cases"] > 0).any():
        notes.append("charts not drawn: no case arrived in the measurement window")
        return
    try:
        charts = list(hook(result))
    except Exception as exc:  # the numbers are kept whatever the charts do
        notes.append(f"charts not drawn: {type(exc).__name__}: {exc}")
        return
    for name, save in charts:
        try:
            save(folder / f"{name}.png")
        except Exception as exc:  # a chart may fail on odd data: one clean line, files kept
            notes.append(f"chart {name!r} not drawn: {type(exc).__name__}: {exc}")


def _run_contents(result: RunResult, folder: Path, table_format: str) -> None:
    if result.tables is not None and result.tables.folder.resolve() != folder.resolve():
        for name in result.tables.names:
            shutil.copy2(result.tables.path(name), folder / result.tables.path(name).name)
    elif result.tables is None and result.keep != "none":
        sink = sink_for(table_format, folder)
        try:
            for name in ("cases", "tasks", "activities", "visits"):
                if result.has(name):
                    try:
                        table = getattr(result, name)
                    except LookupError:
                        continue
                    feed(table, name, sink)
        finally:
            sink.close()
    write_csv(result.departments, folder / "departments.csv")
    write_csv(result.summary, folder / "summary.csv")
    write_json(folder / "summary.json", summary_dict(result))
    if critical.available(result):
        write_csv(critical.table(result), folder / "critical.csv")
    write_json(folder / "scenario.json", result.scenario.model_dump(mode="json", by_alias=True))


def _comparison_contents(result: Comparison, folder: Path) -> None:
    write_csv(result.table, folder / "comparison.csv")
    write_json(folder / "comparison.json", result.records())
    if all(critical.available(r) for r in result.results):
        write_csv(critical.comparison_table(result), folder / "critical.csv")
        if result.alternatives:
            write_csv(critical.days_lost_table(result), folder / "days_lost.csv")
    summaries = [
        r.summary.assign(scenario=r.scenario.scenario.name)
        for r in result.results
        if len(r.summary)
    ]
    if summaries:
        table = pd.concat(summaries, ignore_index=True)
        write_csv(
            table[["scenario", *[c for c in table if c != "scenario"]]], folder / "summary.csv"
        )
    write_json(
        folder / "scenarios.json",
        [r.scenario.model_dump(mode="json", by_alias=True) for r in result.results],
    )


def sweep_tables(result: SweepResult, folder: Path) -> list[str]:
    """Write a sweep's summary tables into ``folder`` (each file atomically); their names."""
    names = []
    for name, table in (
        ("points", result.points),
        ("tornado", result.tornado),
        ("sobol", result.sobol),
    ):
        if table is not None:
            write_csv(table, folder / f"{name}.csv")
            names.append(f"{name}.csv")
    return names


def _listing(folder: Path) -> list[str]:
    return sorted(
        p.relative_to(folder).as_posix()
        for p in folder.rglob("*")
        if p.is_file() and p.name != MARK
    )


def write(
    result: RunResult | Comparison | SweepResult,
    folder: str | Path | Destination,
    *,
    charts: ChartHook | None = None,
    overwrite: bool = False,
    table_format: str = "parquet",
    extra: Callable[[Path], None] | None = None,
) -> Written:
    """Write any result into a new results folder (see the module docstring for the rules).

    ``folder`` is a path (checked now) or a :class:`Destination` from :func:`prepare` (checked
    before the run). ``charts`` draws the figures; ``extra`` may add files (e.g. a briefing)
    into the temporary folder before it is committed. A sweep's tables are written into the
    sweep's own folder instead (it is the resumable store of its replications).
    """
    if table_format not in FORMATS:
        raise UsageError(f"table format must be one of {', '.join(FORMATS)} (got {table_format!r})")
    if isinstance(result, SweepResult):
        target = Path(folder.final if isinstance(folder, Destination) else folder)
        target.mkdir(parents=True, exist_ok=True)
        names = sweep_tables(result, target)
        notes: list[str] = []
        _charts(result, charts, target, notes)
        write_json(target / MARK, {**result.provenance, "files": _listing(target)})
        return Written(target, tuple(names), tuple(notes))
    dest = folder if isinstance(folder, Destination) else prepare(folder, overwrite)
    notes = []
    try:
        if isinstance(result, RunResult):
            _run_contents(result, dest.tmp, table_format)
        elif isinstance(result, Comparison):
            _comparison_contents(result, dest.tmp)
        else:
            raise TypeError(f"cannot write a {type(result).__name__}")
        if extra is not None:
            try:
                extra(dest.tmp)
            except OSError:
                raise
            except Exception as exc:  # e.g. a briefing that cannot be drawn: keep the tables
                notes.append(f"not written: {type(exc).__name__}: {exc}")
        _charts(result, charts, dest.tmp, notes)
        files = _listing(dest.tmp)
        write_json(dest.tmp / MARK, {**result.provenance, "files": files})
    except OSError as exc:
        kept = dest.salvage()
        raise OutputError(
            f"{dest.final}: writing the results failed ({exc.strerror or exc}); what was written "
            f"is kept in {kept}"
        ) from None
    except BaseException:
        dest.abort()
        raise
    final = dest.commit()
    return Written(final, tuple(files), tuple(notes))
