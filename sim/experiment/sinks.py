"""File sinks: a replication's table rows go to disk in chunks, as Parquet or CSV.

The engine's recorder writes rows through the *sink protocol* of ``sim.model.tables``:
``open(name, columns, categories)`` once per table, ``write(name, chunk)`` with a dict of equal-
length NumPy columns as often as it likes, ``close()`` at the end. Category columns arrive as
integer codes with their labels given once at ``open``. The model keeps no file knowledge: these
sinks live here, in the experiment layer.

Each replication writes its own *part* (``<folder>/parts/<table>/r00007.parquet``), so workers
never share a file; :func:`merge_parts` then stacks the parts, in replication order, into one
``<table>.parquet`` (or ``.csv``) with a ``replication`` column first, reading one part at a time
so memory stays bounded by one replication's chunk.

CSV cells are *inert*: a text cell starting with ``=``, ``+``, ``-``, ``@`` (or a tab or carriage
return) is prefixed with an apostrophe, so a spreadsheet shows it instead of running it.
"""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

FORMATS = ("parquet", "csv")
CHUNK_ROWS = 65_536
#: Rows per row group of a stacked Parquet table: one buffered group of a wide case table is
#: about 10 MB (larger groups pack a few per cent better and cost their size in memory).
MERGED_ROW_GROUP = CHUNK_ROWS
_RISKY = ("=", "+", "-", "@", "\t", "\r")


def inert(text: str) -> str:
    """A text cell a spreadsheet will not evaluate (OWASP's CSV-injection advice)."""
    return "'" + text if text.startswith(_RISKY) else text


def inert_frame(df: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``df`` whose text and category cells are :func:`inert` (numbers untouched)."""
    out = df.copy()
    for col in out.columns:
        s = out[col]
        if isinstance(s.dtype, pd.CategoricalDtype):
            if s.cat.categories.dtype == object or pd.api.types.is_string_dtype(
                s.cat.categories.dtype
            ):
                out[col] = s.cat.rename_categories([inert(str(c)) for c in s.cat.categories])
        elif s.dtype == object or pd.api.types.is_string_dtype(s.dtype):
            out[col] = s.map(lambda v: inert(v) if isinstance(v, str) else v)
    return out


def csv_text(df: pd.DataFrame) -> str:
    """``df`` as CSV text with inert text cells (for printing)."""
    return inert_frame(df).to_csv(index=False)


def write_csv(df: pd.DataFrame, path: Path) -> None:
    """Write ``df`` as CSV with inert text cells, atomically (temporary file, then rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        inert_frame(df).to_csv(tmp, index=False)
        os.replace(tmp, path)
    except BaseException:  # a torn temporary file must not outlive the failed write
        tmp.unlink(missing_ok=True)
        raise


def parquet_options(schema: Any) -> dict[str, Any]:
    """How a table's columns are written to Parquet (zstd on top of each column's encoding).

    Floating-point columns are byte-stream split (the bytes of a double grouped by position, so
    zstd finds the repeated exponents: a third smaller than plain), 64-bit integers and
    timestamps (case numbers, arrival dates: mostly increasing) delta-encoded, everything else
    dictionary-encoded. Any Parquet reader (pyarrow, pandas, DuckDB, Polars) reads them.
    """
    import pyarrow as pa

    encodings: dict[str, str] = {}
    plain: list[str] = []
    for field in schema:
        t = field.type
        if pa.types.is_floating(t):
            encodings[field.name] = "BYTE_STREAM_SPLIT"
        elif pa.types.is_timestamp(t) or (pa.types.is_integer(t) and t.bit_width == 64):
            encodings[field.name] = "DELTA_BINARY_PACKED"
        else:
            plain.append(field.name)
    return {"compression": "zstd", "use_dictionary": plain, "column_encoding": encodings}


class _Sink:
    """Common bookkeeping of the file sinks: one open writer per table."""

    suffix = ""

    def __init__(
        self,
        folder: str | Path,
        replication: int | None = None,
        only: Iterable[str] | None = None,
    ) -> None:
        self.folder = Path(folder)
        self.replication = replication
        self.only = None if only is None else frozenset(only)
        self._columns: dict[str, tuple[str, ...]] = {}
        self._categories: dict[str, dict[str, list[str]]] = {}
        self.paths: dict[str, Path] = {}

    def _path(self, name: str) -> Path:
        if self.replication is None:
            return self.folder / f"{name}{self.suffix}"
        return self.folder / "parts" / name / f"r{self.replication:05d}{self.suffix}"

    def open(
        self,
        name: str,
        columns: Sequence[str],
        categories: Mapping[str, Sequence[str]] | None = None,
    ) -> None:
        """Start table ``name`` with these columns; ``categories`` maps code columns to labels."""
        if self.only is not None and name not in self.only:
            return  # a table this sink does not keep (e.g. departments, returned in memory)
        path = self._path(name)
        path.parent.mkdir(parents=True, exist_ok=True)
        self._columns[name] = tuple(columns)
        self._categories[name] = {k: [str(v) for v in vs] for k, vs in (categories or {}).items()}
        self.paths[name] = path
        self._start(name, path)

    def _start(self, name: str, path: Path) -> None:
        raise NotImplementedError

    def _decoded(self, name: str, chunk: Mapping[str, np.ndarray]) -> dict[str, Any]:
        cats = self._categories[name]
        n = len(next(iter(chunk.values()))) if chunk else 0
        cols: dict[str, Any] = {}
        if self.replication is not None:
            cols["replication"] = np.full(n, self.replication, dtype=np.int64)
        for col in self._columns[name]:
            values = np.asarray(chunk[col])
            if col in cats:
                cols[col] = pd.Categorical.from_codes(values.astype(np.int64), cats[col])
            else:
                cols[col] = values
        return cols


class ParquetSink(_Sink):
    """Rows to Apache Parquet (pyarrow): one file per table, one row group per chunk."""

    suffix = ".parquet"

    def __init__(
        self,
        folder: str | Path,
        replication: int | None = None,
        only: Iterable[str] | None = None,
    ) -> None:
        super().__init__(folder, replication, only)
        self._writers: dict[str, Any] = {}

    def _start(self, name: str, path: Path) -> None:
        self._writers[name] = None  # created with the first chunk's schema

    def write(self, name: str, chunk: Mapping[str, np.ndarray]) -> None:
        """Append a chunk of rows (a dict of equal-length columns) to table ``name``."""
        if name not in self._columns:
            return
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.Table.from_pandas(pd.DataFrame(self._decoded(name, chunk)), preserve_index=False)
        writer = self._writers[name]
        if writer is None:
            writer = pq.ParquetWriter(
                self.paths[name], table.schema, **parquet_options(table.schema)
            )
            self._writers[name] = writer
        writer.write_table(table.cast(writer.schema))

    def close(self) -> None:
        """Finish every table (a table opened but never written gets its header only)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        for name, writer in self._writers.items():
            if writer is None:
                empty = {c: np.array([], dtype=float) for c in self._columns[name]}
                for col in self._categories[name]:
                    empty[col] = np.array([], dtype=np.int64)
                frame = pd.DataFrame(self._decoded(name, empty))
                table = pa.Table.from_pandas(frame, preserve_index=False)
                pq.write_table(table, self.paths[name], **parquet_options(table.schema))
            else:
                writer.close()
        self._writers = {}


class CsvSink(_Sink):
    """Rows to CSV text (inert cells), one file per table, header written at ``open``."""

    suffix = ".csv"

    def __init__(
        self,
        folder: str | Path,
        replication: int | None = None,
        only: Iterable[str] | None = None,
    ) -> None:
        super().__init__(folder, replication, only)
        self._files: dict[str, io.TextIOBase] = {}

    def _start(self, name: str, path: Path) -> None:
        f = open(path, "w", encoding="utf-8", newline="")  # closed in close()
        head = (["replication"] if self.replication is not None else []) + list(self._columns[name])
        csv.writer(f).writerow(head)
        self._files[name] = f
        self._categories[name] = {
            k: [inert(v) for v in vs] for k, vs in self._categories[name].items()
        }

    def write(self, name: str, chunk: Mapping[str, np.ndarray]) -> None:
        """Append a chunk of rows to table ``name``."""
        if name not in self._columns:
            return
        frame = pd.DataFrame(self._decoded(name, chunk))
        frame.to_csv(self._files[name], header=False, index=False)

    def close(self) -> None:
        """Close every table's file."""
        for f in self._files.values():
            f.close()
        self._files = {}


def sink_for(
    fmt: str,
    folder: str | Path,
    replication: int | None = None,
    only: Iterable[str] | None = None,
) -> ParquetSink | CsvSink:
    """The file sink of format ``fmt`` (``parquet`` or ``csv``), keeping the tables ``only``."""
    if fmt not in FORMATS:
        raise ValueError(f"table format must be one of {', '.join(FORMATS)} (got {fmt!r})")
    return (ParquetSink if fmt == "parquet" else CsvSink)(folder, replication, only)


def feed(frame: pd.DataFrame, name: str, sink: ParquetSink | CsvSink) -> None:
    """Send a whole table through a sink in chunks (for tables already held in memory)."""
    columns = list(frame.columns)
    categories = {
        c: list(frame[c].cat.categories)
        for c in columns
        if isinstance(frame[c].dtype, pd.CategoricalDtype)
    }
    sink.open(name, columns, categories)
    for start in range(0, len(frame), CHUNK_ROWS):
        part = frame.iloc[start : start + CHUNK_ROWS]
        sink.write(
            name,
            {
                c: (part[c].cat.codes.to_numpy() if c in categories else part[c].to_numpy())
                for c in columns
            },
        )


def merge_parts(folder: Path, name: str, fmt: str, replications: Iterable[int]) -> Path | None:
    """Stack the parts of table ``name`` into ``<folder>/<name>.<fmt>``; remove the parts.

    Parts are read one at a time, in replication order. Returns the stacked file, or ``None``
    when no replication wrote this table.
    """
    suffix = f".{fmt}"
    parts_dir = folder / "parts" / name
    parts = [parts_dir / f"r{r:05d}{suffix}" for r in sorted(replications)]
    parts = [p for p in parts if p.exists()]
    if not parts:
        return None
    target = folder / f"{name}{suffix}"
    tmp = folder / f".{name}{suffix}.tmp"
    if len(parts) == 1:  # one replication: its part already is the stacked table
        os.replace(parts[0], target)
        _remove_empty(parts_dir)
        return target
    if fmt == "parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer = None
        buffer: list[Any] = []

        def flush() -> None:
            if buffer:
                table = pa.Table.from_batches(buffer)
                writer.write_table(table, row_group_size=MERGED_ROW_GROUP)  # type: ignore[union-attr]
                buffer.clear()

        try:
            for p in parts:
                pf = pq.ParquetFile(p)
                if writer is None:
                    schema = pf.schema_arrow
                    writer = pq.ParquetWriter(tmp, schema, **parquet_options(schema))
                for batch in pf.iter_batches():
                    buffer.append(batch)
                    if sum(b.num_rows for b in buffer) >= MERGED_ROW_GROUP:
                        flush()  # larger row groups pack better; memory stays at one group
            flush()
        finally:
            if writer is not None:
                writer.close()
    else:
        with open(tmp, "w", encoding="utf-8", newline="") as out:
            for n, p in enumerate(parts):
                with open(p, encoding="utf-8", newline="") as f:
                    head = f.readline()
                    if n == 0:
                        out.write(head)
                    shutil.copyfileobj(f, out)
    os.replace(tmp, target)
    for p in parts:
        p.unlink()
    _remove_empty(parts_dir)
    return target


def _remove_empty(folder: Path) -> None:
    """Remove ``folder`` and its parents up to ``parts`` when they are empty (ours, made here)."""
    for d in (folder, folder.parent):
        try:
            d.rmdir()
        except OSError:
            return


def read_table(path: Path, fmt: str, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """Read a stacked table back (Parquet keeps types; CSV gives text where categories were)."""
    if fmt == "parquet":
        return pd.read_parquet(path, columns=list(columns) if columns else None)
    return pd.read_csv(path, usecols=list(columns) if columns else None)
