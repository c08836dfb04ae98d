"""Event logs out and in: a run's tables as a process-mining log (CSV or XES), and logs read back.

**Out.** :func:`event_log` turns a run's task and activity tables into one event log in the
column names pm4py and the XES standard (IEEE 1849-2016) use: ``case:concept:name`` (the case;
``<replication>-<case>`` when a run has several replications), ``concept:name`` (the activity:
``<item>: <step>`` for staff work and elapsed steps, ``<item>: correction`` for the applicant's
correction turnaround, ``<item>: transfer``, ``<item>: stall``, and ``arrival`` for the case's
arrival), ``time:timestamp`` (local time of the scenario's calendar, no time zone),
``org:resource`` (the department; empty for elapsed spells that hold nobody),
``lifecycle:transition`` (``start`` and ``complete``), and the case type (``case:type``) and
what a calibration needs to tell passes apart: ``item``, ``step``, ``kind``, ``visit``,
``round``. :func:`write_event_log` writes it as CSV, or as XES (trace attributes ``type``; every
other column an event attribute), streamed so a long run never sits in memory twice.

**In.** :func:`read_event_log` reads a CSV or XES log — ours or anyone's — into the same columns.
Only ``case:concept:name``, ``concept:name`` and ``time:timestamp`` are required; a log without
lifecycle transitions is read as one ``complete`` event per activity. What a calibration can then
fit depends on the columns present (:mod:`sim.experiment.calibrate` says what it kept).

Inputs are untrusted: only regular files are read, at most :data:`MAX_LOG_BYTES`, and a
malformed file is a :class:`LogError` naming the file and what is wrong, never a traceback.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET
from xml.sax.saxutils import quoteattr

import numpy as np
import pandas as pd

MAX_LOG_BYTES = 2 * 2**30
"""Largest event log read (2 GiB)."""

FORMATS = ("csv", "xes")
CASE, ACTIVITY, TIME, RESOURCE, LIFECYCLE, TYPE = (
    "case:concept:name",
    "concept:name",
    "time:timestamp",
    "org:resource",
    "lifecycle:transition",
    "case:type",
)
REQUIRED = (CASE, ACTIVITY, TIME)
EXTRA = ("item", "step", "kind", "visit", "round")
COLUMNS = (CASE, ACTIVITY, TIME, RESOURCE, LIFECYCLE, TYPE, *EXTRA)


class LogError(ValueError):
    """An event log that cannot be read (one line: the file and what is wrong)."""


# --------------------------------------------------------------------------- out


def _stacked(source: Any) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None, str]:
    """Cases, tasks and activities (each with a ``replication`` column) and the start date.

    ``source`` is a run result (its tables, in memory or read back from files), a trace or a
    sequence of traces.
    """
    if hasattr(source, "has") and hasattr(source, "replications"):
        if not source.has("tasks"):
            raise ValueError(
                "the run did not keep its task table: run with all tables kept to write an "
                "event log"
            )
        acts = source.activities if source.has("activities") else None
        return source.cases, source.tasks, acts, source.scenario.scenario.start.isoformat()
    traces = [source] if hasattr(source, "cases") and hasattr(source, "meta") else list(source)
    if not traces:
        raise ValueError("no replication to write an event log of")
    if any(tr.tasks is None for tr in traces):
        raise ValueError(
            "the run did not keep its task table: run with all tables kept to write an event log"
        )

    def stack(name: str) -> pd.DataFrame | None:
        frames = [getattr(tr, name) for tr in traces]
        if any(f is None for f in frames):
            return None
        return pd.concat([f.assign(replication=r) for r, f in enumerate(frames)], ignore_index=True)

    return stack("cases"), stack("tasks"), stack("activities"), traces[0].meta["start"]


def event_log(source: Any, scenario: Any = None) -> pd.DataFrame:
    """The event log of a trace, a list of traces or a run result (module docstring).

    The run must have kept its task table; its activity table (delays, corrections, transfers,
    stalls) is added when kept, its elapsed steps named from ``scenario`` (a run result's own by
    default). Sorted by case and time: an arrival first, a start before a complete at the same time.
    """
    scenario = scenario if scenario is not None else getattr(source, "scenario", None)
    names = (
        {(i, n): s.name for i, it in scenario.items.items() for n, s in enumerate(it.steps)}
        if scenario is not None
        else {}
    )
    cases, tasks, acts, start = _stacked(source)
    origin = pd.Timestamp(start)
    several = cases["replication"].nunique() > 1
    key = pd.MultiIndex.from_arrays([cases["replication"], cases["case"]])
    types = pd.Series(cases["case_type"].astype(str).to_numpy(), index=key)

    def case_id(frame: pd.DataFrame) -> np.ndarray:
        ids = frame["case"].astype(np.int64).astype(str)
        if several:
            ids = frame["replication"].astype(np.int64).astype(str) + "-" + ids
        return ids.to_numpy()

    def type_of(frame: pd.DataFrame) -> np.ndarray:
        idx = pd.MultiIndex.from_arrays([frame["replication"], frame["case"]])
        return types.reindex(idx).to_numpy()

    parts = []
    t = tasks
    item = t["item"].astype(str)
    step = t["step"].astype(str)
    for col, life in (("started_h", "start"), ("finished_h", "complete")):
        parts.append(
            pd.DataFrame(
                {
                    CASE: case_id(t),
                    ACTIVITY: (item + ": " + step).to_numpy(),
                    TIME: origin + pd.to_timedelta(t[col].to_numpy(float), unit="h"),
                    RESOURCE: t["department"].astype(str).to_numpy(),
                    LIFECYCLE: life,
                    TYPE: type_of(t),
                    "item": item.to_numpy(),
                    "step": step.to_numpy(),
                    "kind": "task",
                    "visit": t["visit"].to_numpy(np.int64),
                    "round": t["round"].to_numpy(np.int64),
                }
            )
        )
    if acts is not None and len(acts):
        a = acts
        item = a["item"].astype(str)
        kind = a["kind"].astype(str)
        step = pd.Series(
            [
                names.get((i, int(s)), f"step {int(s) + 1}") if k in ("delay", "applicant") else k
                for i, s, k in zip(item, a["step"], kind, strict=True)
            ],
            index=a.index,
        )
        for col, life in (("start_h", "start"), ("end_h", "complete")):
            parts.append(
                pd.DataFrame(
                    {
                        CASE: case_id(a),
                        ACTIVITY: (item + ": " + step).to_numpy(),
                        TIME: origin + pd.to_timedelta(a[col].to_numpy(float), unit="h"),
                        RESOURCE: "",
                        LIFECYCLE: life,
                        TYPE: type_of(a),
                        "item": item.to_numpy(),
                        "step": step.to_numpy(),
                        "kind": kind.to_numpy(),
                        "visit": a["visit"].to_numpy(np.int64),
                        "round": -1,
                    }
                )
            )
    parts.append(
        pd.DataFrame(
            {
                CASE: case_id(cases),
                ACTIVITY: "arrival",
                TIME: origin + pd.to_timedelta(cases["arrival_h"].to_numpy(float), unit="h"),
                RESOURCE: "",
                LIFECYCLE: "complete",
                TYPE: cases["case_type"].astype(str).to_numpy(),
                "item": "",
                "step": "",
                "kind": "arrival",
                "visit": -1,
                "round": -1,
            }
        )
    )
    log = pd.concat(parts, ignore_index=True)
    log = log[log[TIME].notna()]
    rank = np.where(log["kind"] == "arrival", 0, np.where(log[LIFECYCLE] == "start", 1, 2))
    order = np.lexsort((rank, log[TIME].to_numpy(), log[CASE].to_numpy()))
    return log.iloc[order].reset_index(drop=True)


def write_event_log(log: pd.DataFrame, path: str | Path, fmt: str) -> Path:
    """Write ``log`` as ``fmt`` (``csv`` or ``xes``) to a new file ``path``; return the path.

    The file must not exist (nothing is overwritten); it is written under a temporary name and
    moved into place when complete.
    """
    if fmt not in FORMATS:
        raise ValueError(f"event log format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    path = Path(path)
    if path.exists():
        raise FileExistsError(f"{path}: already exists; not overwriting it")
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        if fmt == "csv":
            out = log.copy()
            out[TIME] = out[TIME].dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3]
            out.to_csv(tmp, index=False)
        else:
            with open(tmp, "w", encoding="utf-8") as fh:
                fh.writelines(_xes_lines(log))
        os.link(tmp, path)  # fails if someone created the file meanwhile
    finally:
        tmp.unlink(missing_ok=True)
    return path


_XES_HEAD = """<?xml version="1.0" encoding="UTF-8" ?>
<log xes.version="1849-2016" xes.features="nested-attributes" xmlns="http://www.xes-standard.org/">
  <extension name="Concept" prefix="concept" uri="http://www.xes-standard.org/concept.xesext"/>
  <extension name="Time" prefix="time" uri="http://www.xes-standard.org/time.xesext"/>
  <extension name="Organizational" prefix="org" uri="http://www.xes-standard.org/org.xesext"/>
  <extension name="Lifecycle" prefix="lifecycle" uri="http://www.xes-standard.org/lifecycle.xesext"/>
  <global scope="trace">
    <string key="concept:name" value="__INVALID__"/>
  </global>
  <global scope="event">
    <string key="concept:name" value="__INVALID__"/>
    <date key="time:timestamp" value="1970-01-01T00:00:00.000"/>
    <string key="lifecycle:transition" value="complete"/>
  </global>
  <classifier name="Activity" keys="concept:name"/>
  <string key="concept:name" value="approvalsim"/>
"""


def _xes_lines(log: pd.DataFrame) -> Iterable[str]:
    yield _XES_HEAD
    stamps = log[TIME].dt.strftime("%Y-%m-%dT%H:%M:%S.%f").str[:-3].to_numpy()
    cases = log[CASE].astype(str).to_numpy()
    strings = [
        (c, log[c].astype(str).to_numpy())
        for c in (ACTIVITY, RESOURCE, LIFECYCLE, "item", "step", "kind")
        if c in log
    ]
    ints = [(c, log[c].to_numpy(np.int64)) for c in ("visit", "round") if c in log]
    types = log[TYPE].astype(str).to_numpy() if TYPE in log else None
    current = None
    for n in range(len(log)):
        if cases[n] != current:
            if current is not None:
                yield "  </trace>\n"
            current = cases[n]
            yield f'  <trace>\n    <string key="concept:name" value={quoteattr(current)}/>\n'
            if types is not None:
                yield f'    <string key="type" value={quoteattr(types[n])}/>\n'
        parts = ["    <event>\n"]
        for key, col in strings:
            value = col[n]
            if value:
                parts.append(f"      <string key={quoteattr(key)} value={quoteattr(value)}/>\n")
        for key, col in ints:
            parts.append(f'      <int key="{key}" value="{col[n]}"/>\n')
        parts.append(f'      <date key="time:timestamp" value="{stamps[n]}"/>\n    </event>\n')
        yield "".join(parts)
    if current is not None:
        yield "  </trace>\n"
    yield "</log>\n"


# --------------------------------------------------------------------------- in


def _check_file(path: Path) -> None:
    try:
        st = path.stat()
    except OSError as exc:
        raise LogError(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(st.st_mode):
        raise LogError(f"{path}: not a regular file (valid: a .csv or .xes event log)")
    if st.st_size > MAX_LOG_BYTES:
        raise LogError(f"{path}: {st.st_size:,} bytes, more than the {MAX_LOG_BYTES:,} read")


def read_event_log(path: str | Path) -> pd.DataFrame:
    """Read a CSV or XES event log (by its suffix) into the columns of :data:`COLUMNS`.

    Missing optional columns are left out (a calibration asks which are there). Timestamps with
    a time zone are converted to local time of that zone and the zone dropped.
    """
    path = Path(path)
    _check_file(path)
    suffix = path.suffix.lower()
    if suffix == ".xes":
        log = _read_xes(path)
    elif suffix == ".csv":
        try:
            log = pd.read_csv(path, dtype=str, keep_default_na=False)
        except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
            raise LogError(f"{path}: not a readable CSV ({str(exc).splitlines()[0]})") from None
    else:
        raise LogError(f"{path}: unknown event log type {suffix!r} (valid: .csv, .xes)")
    missing = [c for c in REQUIRED if c not in log]
    if missing:
        raise LogError(
            f"{path}: missing column(s) {', '.join(missing)} (an event log needs "
            f"{', '.join(REQUIRED)})"
        )
    return _typed(log, path)


def _typed(log: pd.DataFrame, path: Path) -> pd.DataFrame:
    out = log[[c for c in COLUMNS if c in log]].copy()
    stamps = pd.to_datetime(out[TIME], errors="coerce", utc=False, format="mixed")
    if stamps.isna().any():
        bad = int(stamps.isna().sum())
        raise LogError(f"{path}: {bad} event(s) with no readable time:timestamp (valid: ISO dates)")
    if getattr(stamps.dt, "tz", None) is not None:
        stamps = stamps.dt.tz_localize(None)
    out[TIME] = stamps
    if LIFECYCLE not in out:
        out[LIFECYCLE] = "complete"
    out[LIFECYCLE] = out[LIFECYCLE].astype(str).str.lower()
    for c in ("visit", "round"):
        if c in out:
            values = pd.to_numeric(out[c], errors="coerce")
            if values.isna().any():
                raise LogError(f"{path}: column {c!r} must hold whole numbers")
            out[c] = values.astype(np.int64)
    for c in (CASE, ACTIVITY, RESOURCE, TYPE, "item", "step", "kind"):
        if c in out:
            out[c] = out[c].fillna("").astype(str)
    return out.sort_values([CASE, TIME], kind="stable", ignore_index=True)


def _read_xes(path: Path) -> pd.DataFrame:
    rows: list[dict[str, Any]] = []
    trace_attrs: dict[str, Any] = {}
    depth_trace = False
    event: dict[str, Any] | None = None
    try:
        for ev, el in ET.iterparse(path, events=("start", "end")):
            tag = el.tag.rsplit("}", 1)[-1]
            if ev == "start":
                if tag == "trace":
                    depth_trace, trace_attrs = True, {}
                elif tag == "event":
                    event = {}
                continue
            if tag in ("string", "date", "int", "float", "boolean", "id"):
                key, value = el.get("key"), el.get("value")
                if key is None:
                    continue
                if event is not None:
                    event[key] = value
                elif depth_trace:
                    trace_attrs[key] = value
            elif tag == "event" and event is not None:
                row = {f"case:{k}": v for k, v in trace_attrs.items()}
                row.update(event)
                rows.append(row)
                event = None
                el.clear()
            elif tag == "trace":
                depth_trace = False
                el.clear()
    except ET.ParseError as exc:
        raise LogError(f"{path}: not well-formed XES ({exc})") from None
    if not rows:
        raise LogError(f"{path}: no events found (valid: an XES log with <trace> and <event>)")
    return pd.DataFrame(rows)
