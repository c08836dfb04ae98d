"""The one precision loop: add replications until an estimate is known well enough.

Run and compare share it. The caller supplies two functions — one that runs replications
``[done, target)`` and one that measures the current relative half-width of the 95% confidence
interval of whatever it cares about (the mean lead time of a run; the worst paired delta of a
comparison). The loop starts with ``start`` replications, measures, and adds replications in
batches sized from the rule that a half-width shrinks as 1/sqrt(n) (with 10% margin, at least 2
and at most 4x more), until the half-width is at most ``target`` or ``cap`` replications have run.
The :class:`~sim.experiment.results.Precision` it returns says which happened.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sim.experiment.results import Precision


def half_width(lo: float, hi: float, mean: float) -> float:
    """Relative half-width of an interval around ``mean``; infinite when undefined."""
    if not all(map(math.isfinite, (lo, hi, mean))) or mean == 0:
        return math.inf
    return (hi - lo) / 2 / abs(mean)


def next_target(done: int, width: float, goal: float) -> int:
    """Replications expected to reach ``goal`` (half-width shrinks as 1/sqrt(n)), with margin."""
    if not math.isfinite(width):
        return done * 2
    need = math.ceil(done * (width / goal) ** 2 * 1.1)
    return max(done + 2, min(need, done * 4))


def until_precise(
    start: int,
    target: float,
    cap: int,
    metric: str,
    add: Callable[[int, int], None],
    width: Callable[[], float],
) -> Precision:
    """Run ``add(done, n)`` batches until ``width()`` <= ``target`` or ``cap`` replications."""
    done, n = 0, min(max(2, start), cap)
    history: list[tuple[int, float]] = []
    while True:
        add(done, n)
        done = n
        w = width()
        history.append((done, w))
        if w <= target or done >= cap:
            return Precision(
                target=target,
                metric=metric,
                replications=done,
                relative_half_width=w,
                reached=w <= target,
                history=tuple(history),
            )
        n = min(cap, next_target(done, w, target))
