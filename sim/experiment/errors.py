"""The clean errors of the experiment layer: each is one line for the user, never a traceback.

:class:`UsageError` is a value given to the API (or the command line) that cannot work: a seed out
of range, a precision that is not a share, an output folder that is a file or belongs to someone
else. It is raised *before* any simulation starts, and the command line exits with status 2.

:class:`OutputError` is something that went wrong *after* the simulation, while writing results
(a disk that filled up, a folder whose permissions changed during the run). What was computed is
kept, and the message says where.

:class:`Unstable` is a scenario with a department at or above 100% load, refused before the run
(exit status 3; see :mod:`sim.experiment.stability`).
"""

from __future__ import annotations


class UsageError(ValueError):
    """A value that cannot work, found before any work starts (exit status 2)."""


class OutputError(OSError):
    """Results could not be written after the run; the message says what was kept and where."""


class TablesNotKept(LookupError):
    """A table was asked for that the run did not keep (``tables="cases"`` or ``"none"``)."""


class Unstable(Exception):
    """An overloaded scenario: ``lines`` name each department at or above 100% load (exit 3)."""

    def __init__(self, lines):
        self.lines = list(lines)
        super().__init__("\n".join(self.lines))
