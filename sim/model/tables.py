"""Where a run's rows go: the sink protocol, and the column buffers that feed it in chunks.

The engine records plain numbers, one row at a time, into a flat list per table (one ``extend``
per row, no per-row object: cheaper than an ``array('d')``, which converts every number as it
goes; numpy converts a whole chunk at once). When a buffer holds a chunk's worth of rows it is
turned into typed columns (``numpy`` arrays: floats, integers, booleans, and integer codes for the
categorical columns) and handed to a **sink**, then emptied. Nothing per row is held to the end
of the run unless the sink holds it.

A sink is anything with three methods::

    open(name, columns, categories)   # before the first chunk of table `name`
    write(name, chunk)                # chunk: dict column -> numpy array, all of one length
    close()                           # after the run; the sink may flush and release files

``categories`` maps each categorical column to its labels (the chunk holds codes into them).
:class:`MemorySink` (the default) keeps the chunks and gives pandas tables back; :class:`NullSink`
drops them. File sinks (Parquet, CSV) belong to the experiment layer, never to the model: the
model touches no file system.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Protocol

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

CHUNK_ROWS = 16_384
"""Rows per chunk handed to a sink."""


class Sink(Protocol):
    """Receives the tables of a run in chunks (see module docstring)."""

    def open(
        self, name: str, columns: Sequence[str], categories: Mapping[str, Sequence[str]]
    ) -> None:
        """Announce table ``name`` with its columns and the labels of its categorical ones."""

    def write(self, name: str, chunk: dict[str, np.ndarray]) -> None:
        """Take one chunk of rows of table ``name``."""

    def close(self) -> None:
        """The run is over: no more chunks."""


class NullSink:
    """A sink that keeps nothing (for runs whose per-case tables are not wanted)."""

    def open(
        self, name: str, columns: Sequence[str], categories: Mapping[str, Sequence[str]]
    ) -> None:
        """Nothing to prepare."""

    def write(self, name: str, chunk: dict[str, np.ndarray]) -> None:
        """Drop the chunk."""

    def close(self) -> None:
        """Nothing to release."""


class MemorySink:
    """A sink that keeps every chunk and hands the tables back as pandas DataFrames.

    ``only`` maps table names to the columns kept of them: a run whose full tables go to files
    keeps in memory just what its summary reads, as compactly as it can (see :class:`_Slim`).
    ``index`` names, for a table, the column that numbers its rows from 0 (``case``): once
    the number of rows is known (:meth:`reserve`), every row goes straight to its place in
    preallocated columns — no chunk is held, and the table comes out in that order (a table
    not named in ``only`` keeps every column in the types recorded). Other tables keep every
    column, as recorded, in the order written.
    """

    def __init__(
        self,
        only: Mapping[str, Collection[str]] | None = None,
        index: Mapping[str, str] | None = None,
    ) -> None:
        self._only = {name: frozenset(cols) for name, cols in (only or {}).items()}
        self._index = dict(index or {})
        self._columns: dict[str, list[str]] = {}
        self._categories: dict[str, dict[str, list[str]]] = {}
        self._chunks: dict[str, list[dict[str, np.ndarray]]] = {}
        self._slim: dict[str, _Slim] = {}

    def open(
        self, name: str, columns: Sequence[str], categories: Mapping[str, Sequence[str]]
    ) -> None:
        """Start an empty table ``name``."""
        only = self._only.get(name)
        self._columns[name] = [c for c in columns if only is None or c in only]
        self._categories[name] = {
            c: list(v) for c, v in categories.items() if c in self._columns[name]
        }
        self._chunks[name] = []
        if only is not None or name in self._index:
            self._slim[name] = _Slim(self._columns[name], self._index.get(name), only is not None)

    def reserve(self, name: str, rows: int) -> None:
        """Table ``name`` will get exactly ``rows`` rows, numbered 0..rows-1 by its index column.

        A hint for a slim table with an index (others ignore it); call it before the first
        chunk.
        """
        slim = self._slim.get(name)
        if slim is not None:
            slim.reserve(rows)

    def write(self, name: str, chunk: dict[str, np.ndarray]) -> None:
        """Keep the chunk (of a slim table: its kept columns, compactly)."""
        slim = self._slim.get(name)
        if slim is not None:
            slim.write(chunk)
        else:
            self._chunks[name].append(chunk)

    def close(self) -> None:
        """Nothing to release: the chunks stay until :meth:`frame` is asked."""

    @property
    def names(self) -> list[str]:
        """The tables opened so far."""
        return list(self._columns)

    def frame(self, name: str) -> pd.DataFrame:
        """Table ``name`` as one DataFrame (categorical columns as pandas categoricals)."""
        slim = self._slim.get(name)
        if slim is not None:
            return self._dataframe(name, slim.columns())
        return self._frame(name, [dict(c) for c in self._chunks[name]])

    def take(self, name: str) -> pd.DataFrame:
        """Like :meth:`frame`, but hands the chunks over (less memory; the table is emptied)."""
        slim = self._slim.get(name)
        if slim is not None:
            self._slim[name] = _Slim(self._columns[name], self._index.get(name), slim.compact)
            return self._dataframe(name, slim.columns(release=True))
        chunks = self._chunks[name]
        self._chunks[name] = []
        return self._frame(name, chunks)

    def _frame(self, name: str, chunks: list[dict[str, np.ndarray]]) -> pd.DataFrame:
        columns = self._columns[name]

        def concatenated():
            for col in columns:  # column by column, letting go of each chunk's part as it goes
                parts = [c.pop(col) for c in chunks]
                yield col, (np.concatenate(parts) if parts else np.empty(0))

        return self._dataframe(name, concatenated())

    def _dataframe(self, name: str, arrays: Iterable[tuple[str, np.ndarray]]) -> pd.DataFrame:
        import pandas as pd

        columns, cats = self._columns[name], self._categories[name]
        data = {}
        for col, values in arrays:
            if col in cats:
                data[col] = pd.Categorical.from_codes(values.astype(np.int64), categories=cats[col])
            else:
                data[col] = values
        return pd.DataFrame(data, columns=columns, copy=False)


_INTS = tuple(np.dtype(t) for t in (np.int8, np.int16, np.int32, np.int64))


def _narrow(values: np.ndarray) -> np.ndarray:
    """An integer column in the smallest integer type that holds its values (exact)."""
    if values.dtype.kind != "i" or not len(values):
        return values
    lo, hi = int(values.min()), int(values.max())
    for t in _INTS:
        info = np.iinfo(t)
        if info.min <= lo and hi <= info.max:
            return values if t == values.dtype else values.astype(t)
    return values


class _Slim:
    """The kept columns of one slim table, as compact as exactness allows.

    Integers are held in the smallest type their values fit (a count of trips in one byte);
    a column equal to one kept before it in every chunk so far (lead time, approval time and
    statutory clock of a case without applicant spells; a column of zeros) shares that
    column's array; with ``index`` and a known number of rows, rows are written in place
    (no chunk held, no sort at the end), else chunks are kept and concatenated. Not ``compact``
    (a full table placed by its index): every column keeps the type recorded and its own
    array, as the chunks would have given it.
    """

    def __init__(self, columns: Sequence[str], index: str | None, compact: bool = True):
        self.compact = compact
        self.names = list(columns)
        self.index = index if index in self.names else None
        self.rows: int | None = None
        self.written = 0
        self.alias: dict[str, str] = {}  # column -> the earlier column it equals so far
        self.arrays: dict[str, np.ndarray] = {}  # in place (reserved) ...
        self.parts: dict[str, list[np.ndarray]] = {c: [] for c in self.names}  # ... or chunks
        self.chunks = 0

    def reserve(self, rows: int) -> None:
        if self.index is not None and self.chunks == 0:
            self.rows = int(rows)

    def write(self, chunk: Mapping[str, np.ndarray]) -> None:
        first = self.chunks == 0
        self.chunks += 1
        if self.compact:
            values = {c: _narrow(np.asarray(chunk[c])) for c in self.names}
            self._share(values, first)
        else:
            values = {c: np.asarray(chunk[c]) for c in self.names}
        n = len(values[self.names[0]]) if self.names else 0
        self.written += n
        if self.rows is not None:
            where = values[self.index].astype(np.int64)
            for c in self.names:
                if c in self.alias:
                    continue
                v = values[c]
                a = self.arrays.get(c)
                if a is None:
                    a = self.arrays[c] = np.zeros(self.rows, dtype=v.dtype)
                elif np.result_type(a.dtype, v.dtype) != a.dtype:  # a larger count: widen
                    a = self.arrays[c] = a.astype(np.result_type(a.dtype, v.dtype))
                a[where] = v
        else:
            for c in self.names:
                if c not in self.alias:
                    self.parts[c].append(values[c])

    def _share(self, values: Mapping[str, np.ndarray], first: bool) -> None:
        """Note the columns of a chunk that equal an earlier one (they share its array)."""
        if first:  # which columns equal an earlier one (of the same type)?
            for n, c in enumerate(self.names):
                for d in self.names[:n]:
                    if d not in self.alias and _same(values[c], values[d]):
                        self.alias[c] = d
                        break
        else:  # an alias holds while every chunk agrees; else the column gets its own array
            for c, d in list(self.alias.items()):
                if not _same(values[c], values[d]):
                    self._split(c, d)

    def _split(self, c: str, d: str) -> None:
        """Column ``c`` no longer equals ``d``: give it the values it had so far, its own."""
        del self.alias[c]
        for e, f in list(self.alias.items()):  # columns that pointed at c follow d
            if f == c:
                self.alias[e] = d
        if self.rows is not None:
            self.arrays[c] = self.arrays[d].copy()
        else:
            self.parts[c] = list(self.parts[d])

    def columns(self, release: bool = False) -> Iterator[tuple[str, np.ndarray]]:
        """``(name, values)`` of every column, in table order."""
        if self.rows is not None and self.written != self.rows:
            raise RuntimeError(f"{self.written} rows written of the {self.rows} reserved")
        done: dict[str, np.ndarray] = {}
        for c in self.names:
            source = self.alias.get(c, c)
            values = done.get(source)
            if values is None:
                if self.rows is not None:
                    values = self.arrays.get(source)
                    if values is None:
                        values = np.zeros(0)
                else:
                    parts = self.parts[source]
                    values = np.concatenate(parts) if parts else np.empty(0)
                    if release:
                        self.parts[source] = []
                if self.compact:
                    values.setflags(write=False)  # shared between columns: never changed in place
                done[source] = values
            yield c, values
        if release:
            self.arrays = {}


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether two columns of a chunk hold the same values in the same type."""
    return a is b or (a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


class Table:
    """The row buffer of one table: rows in, typed chunks out to a sink.

    ``raw`` names the numbers of a row as the engine records them; ``finish`` turns the raw
    columns of a chunk (a dict of float arrays) into the table's typed columns, in the order
    of ``columns``.
    """

    __slots__ = (
        "name",
        "raw",
        "columns",
        "categories",
        "finish",
        "sink",
        "buffer",
        "limit",
        "rows",
    )

    def __init__(
        self,
        name: str,
        raw: Sequence[str],
        columns: Sequence[str],
        categories: Mapping[str, Sequence[str]],
        finish: Callable[[dict[str, np.ndarray]], dict[str, np.ndarray]],
        sink: Sink,
        chunk_rows: int | None = None,
    ):
        self.name = name
        self.raw = tuple(raw)
        self.columns = tuple(columns)
        self.categories = dict(categories)
        self.finish = finish
        self.sink = sink
        self.buffer: list[float] = []
        self.limit = (chunk_rows or CHUNK_ROWS) * len(self.raw)
        self.rows = 0  # rows handed to the sink so far
        sink.open(name, self.columns, self.categories)

    def add(self, row: Sequence[float]) -> None:
        """Record one row (its numbers in the order of ``raw``)."""
        buffer = self.buffer
        buffer.extend(row)
        if len(buffer) >= self.limit:
            self.flush()

    def take_raw(self) -> dict[str, np.ndarray]:
        """The rows recorded so far as raw float columns; the buffer is emptied."""
        buffer = self.buffer
        flat = np.fromiter(buffer, dtype=float, count=len(buffer)).reshape(-1, len(self.raw))
        buffer.clear()
        return {name: flat[:, n].copy() for n, name in enumerate(self.raw)}

    def write_raw(self, raw: dict[str, np.ndarray]) -> None:
        """Hand rows given as raw float columns (in the order of ``raw``) to the sink."""
        self.rows += len(raw[self.raw[0]])
        chunk = self.finish(raw)
        self.sink.write(self.name, {c: chunk[c] for c in self.columns})

    def close(self) -> None:
        """Hand over the last rows; a table that got none gets one empty, typed chunk."""
        if self.buffer or not self.rows:
            self.flush()

    def flush(self) -> None:
        """Hand the rows recorded so far to the sink as one chunk (possibly empty)."""
        buffer = self.buffer
        flat = np.fromiter(buffer, dtype=float, count=len(buffer)).reshape(-1, len(self.raw))
        raw = {name: flat[:, n].copy() for n, name in enumerate(self.raw)}
        self.rows += len(flat)
        buffer.clear()
        chunk = self.finish(raw)
        self.sink.write(self.name, {c: chunk[c] for c in self.columns})
