"""Columns of a cases table, read through row masks: summaries without copies of the table.

A citizen-hall year has close to a million cases. Selecting the window's cases, then one case
type's, then the finished ones copies every column each time; a summary needs a handful of
columns, each under a few masks. :class:`CaseView` hands out one column at a time as a NumPy
array (no copy where pandas can avoid one) and the values of its selected rows, in table order:
exactly the values, in exactly the order, that ``frame[mask][column]`` would give, so every mean
and quantile computed from them is the same number.
"""

from __future__ import annotations

from collections.abc import Iterator

import numpy as np
import pandas as pd


class CaseView:
    """A cases table seen through row masks (see module docstring)."""

    def __init__(self, cases: pd.DataFrame):
        self.cases = cases
        self._columns: dict[str, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.cases)

    def has(self, column: str) -> bool:
        """Whether the table has ``column``."""
        return column in self.cases.columns

    def column(self, name: str) -> np.ndarray:
        """Column ``name`` as a NumPy array (held for the next call)."""
        values = self._columns.get(name)
        if values is None:
            values = self._columns[name] = self.cases[name].to_numpy()
        return values

    def mask(self, name: str) -> np.ndarray:
        """A boolean column as a NumPy mask."""
        return self.column(name).astype(bool, copy=False)

    def values(self, name: str, rows: np.ndarray | None) -> np.ndarray:
        """Column ``name`` of the rows ``rows`` selects (all when ``None``), as floats."""
        col = self.column(name)
        return np.asarray(col if rows is None else col[rows], dtype=float)

    def total(self, name: str, rows: np.ndarray | None) -> int | float:
        """The sum of column ``name`` over the selected rows (integers stay exact)."""
        col = self.column(name)
        return (col if rows is None else col[rows]).sum()

    def groups(self, by: str = "case_type") -> Iterator[tuple[str, np.ndarray]]:
        """``(label, row mask)`` of every category of ``by`` (empty ones too), in their order."""
        series = self.cases[by]
        if isinstance(series.dtype, pd.CategoricalDtype):
            codes = series.cat.codes.to_numpy()
            for n, label in enumerate(series.cat.categories):
                yield str(label), codes == n
        else:
            values = series.to_numpy()
            for label in np.unique(values):  # sorted, as ``groupby`` gives them
                yield str(label), values == label
