"""A progress bar with an ETA for long runs, on stderr, silent when stderr is not a terminal.

The driver reports ``(done, total)`` after every finished replication; :class:`ProgressBar` is
such a callback (built on tqdm). ``total`` may grow while the bar runs — a precision loop adds
replications in batches — and the ETA follows. When stderr is not a terminal (a pipe, a log
file, a test) the bar draws nothing at all.
"""

from __future__ import annotations

import os
import sys
from typing import IO, Any


class ProgressBar:
    """``progress(done, total)`` for the driver, drawn with tqdm; close it (or use ``with``)."""

    def __init__(self, description: str, stream: IO[str] | None = None) -> None:
        self.description = description
        self.stream = stream if stream is not None else sys.stderr
        self._bar: Any = None

    def _enabled(self) -> bool:
        isatty = getattr(self.stream, "isatty", None)
        try:
            return bool(isatty and isatty())
        except ValueError:  # a closed stream
            return False

    def _size(self) -> tuple[int, int]:
        """The terminal's columns and rows; 80 x 24 when it does not say.

        A bare pseudo-terminal may report no size, and tqdm then draws nothing at all.
        """
        try:
            size = os.get_terminal_size(self.stream.fileno())
            columns, rows = size.columns, size.lines
        except (OSError, ValueError, AttributeError):
            columns = rows = 0
        return (columns if columns > 0 else 80, rows if rows > 0 else 24)

    def __call__(self, done: int, total: int) -> None:
        """Show ``done`` of ``total`` replications."""
        if self._bar is None:
            if not self._enabled():
                return
            from tqdm import tqdm

            self._bar = tqdm(
                total=total,
                desc=self.description,
                unit="rep",
                file=self.stream,
                leave=False,
                ncols=self._size()[0],
                nrows=self._size()[1],
                smoothing=0.1,
            )
        if self._bar.total != total:
            self._bar.total = total
        self._bar.n = done
        self._bar.refresh()

    def close(self) -> None:
        """Remove the bar from the terminal."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
