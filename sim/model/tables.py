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

from collections.abc import Callable, Collection, Mapping, Sequence
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

    ``only`` maps table names to the columns kept of them (the others are dropped as each chunk
    arrives, and integer columns are held as 32-bit integers when their values fit): a run whose
    full tables go to files keeps in memory just what its summary reads. Tables not named keep
    every column, as recorded.
    """

    def __init__(self, only: Mapping[str, Collection[str]] | None = None) -> None:
        self._only = {name: frozenset(cols) for name, cols in (only or {}).items()}
        self._columns: dict[str, list[str]] = {}
        self._categories: dict[str, dict[str, list[str]]] = {}
        self._chunks: dict[str, list[dict[str, np.ndarray]]] = {}

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

    def write(self, name: str, chunk: dict[str, np.ndarray]) -> None:
        """Keep the chunk (only the kept columns of a slim table, integers narrowed)."""
        if name in self._only:
            chunk = {c: _narrow(chunk[c]) for c in self._columns[name]}
        self._chunks[name].append(chunk)

    def close(self) -> None:
        """Nothing to release: the chunks stay until :meth:`frame` is asked."""

    @property
    def names(self) -> list[str]:
        """The tables opened so far."""
        return list(self._columns)

    def frame(self, name: str) -> pd.DataFrame:
        """Table ``name`` as one DataFrame (categorical columns as pandas categoricals)."""
        return self._frame(name, [dict(c) for c in self._chunks[name]])

    def take(self, name: str) -> pd.DataFrame:
        """Like :meth:`frame`, but hands the chunks over (less memory; the table is emptied)."""
        chunks = self._chunks[name]
        self._chunks[name] = []
        return self._frame(name, chunks)

    def _frame(self, name: str, chunks: list[dict[str, np.ndarray]]) -> pd.DataFrame:
        import pandas as pd

        columns, cats = self._columns[name], self._categories[name]
        data = {}
        for col in columns:  # column by column, letting go of each chunk's part as it goes
            parts = [c.pop(col) for c in chunks]
            values = np.concatenate(parts) if parts else np.empty(0)
            del parts
            if col in cats:
                data[col] = pd.Categorical.from_codes(values.astype(np.int64), categories=cats[col])
            else:
                data[col] = values
        return pd.DataFrame(data, columns=columns, copy=False)


_I32 = np.iinfo(np.int32)


def _narrow(values: np.ndarray) -> np.ndarray:
    """An int64 column as int32 when every value fits (half the size)."""
    if values.dtype == np.int64 and len(values):
        if _I32.min <= values.min() and values.max() <= _I32.max:
            return values.astype(np.int32)
    return values


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
