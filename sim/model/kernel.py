"""The engine's one contact with SimPy's internals: a clock and a queue of wake-up calls.

The model runs on a :class:`simpy.Environment` — its clock and its ``run(until)`` semantics —
but it needs only one kind of event: "call ``fn(arg)`` at time ``t``". SimPy's public way to do
that (a ``Timeout`` plus ``callbacks.append``, then ``Environment.step``) builds an event object
and a callback list, checks arguments and re-checks every event for failure: several
microseconds a call, and a department's task costs one such call and a case a few more. At a
million items a year that overhead was most of the run.

So the kernel keeps its own heap of ``(time, id, fn, arg)`` entries beside the environment's,
and its :meth:`Kernel.run` loop pops whichever heap is due first: our wake-ups are called
directly, any ordinary SimPy event (a process someone adds to ``kernel.env``) goes through
SimPy's own ``step``. This reaches into SimPy's private API, and this class is the **only** place
that does:

* ``env._now`` — set as the clock moves, so ``env.now`` stays true for SimPy code;
* ``env._queue`` — read to interleave SimPy's own events with ours in time order (at equal
  times SimPy's events go first).

If a SimPy release changes these internals, only this module needs to follow.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import numpy as np
import simpy

FEED_SHIFT = 12
"""The arrival stream becomes Python floats in blocks of 2**FEED_SHIFT."""
FEED_MASK = (1 << FEED_SHIFT) - 1


class Kernel:
    """The clock of one run and its wake-up calls (see module docstring).

    ``now`` is a plain attribute (the hot path reads it constantly); only :meth:`run` moves it.
    """

    __slots__ = ("env", "now", "_queue", "_eid", "_feed", "_feed_fn", "_fed")

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self.now = 0.0
        self._queue: list[tuple[float, int, Callable[[Any], None], Any]] = []
        self._eid = itertools.count()
        self._feed = np.empty(0)
        self._feed_fn: Callable[[int], None] | None = None
        self._fed = 0

    def feed(self, times: np.ndarray, fn: Callable[[int], None]) -> None:
        """Call ``fn(n)`` at ``times[n]`` for every n (``times`` sorted): the arrivals.

        A presorted stream costs no heap operation: the loop takes from it whenever it is due
        before the heap (at equal times, the heap's earlier calls go first). The times stay a
        numpy array and become Python floats a block at a time.
        """
        self._feed = np.asarray(times, dtype=float)
        self._feed_fn = fn
        self._fed = 0

    def call_after(self, delay: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``fn(arg)`` after ``delay`` hours (``delay >= 0``)."""
        heappush(self._queue, (self.now + delay, next(self._eid), fn, arg))

    def call_at(self, t: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``fn(arg)`` at time ``t`` (not before now)."""
        heappush(self._queue, (t, next(self._eid), fn, arg))

    def run(self, until: float) -> None:
        """Process events in time order until the clock would reach ``until``, then stop there.

        As SimPy's ``Environment.run(until=...)``: events due exactly at ``until`` stay pending.
        """
        env = self.env
        queue = self._queue
        simpy_queue = env._queue
        pop = heappop
        feed, fn, n = self._feed, self._feed_fn, self._fed
        total = len(feed)
        inf = float("inf")
        base = n & ~FEED_MASK
        block = feed[base : base + FEED_MASK + 1].tolist()
        due = block[n - base] if n < total else inf
        while True:
            if simpy_queue and simpy_queue[0][0] < min(due, queue[0][0] if queue else inf):
                if simpy_queue[0][0] >= until:
                    break
                env.step()
                self.now = env._now
            elif queue and queue[0][0] <= due:
                entry = pop(queue)
                t = entry[0]
                if t >= until:
                    heappush(queue, entry)
                    break
                self.now = env._now = t
                entry[2](entry[3])
            elif due < until:
                self.now = env._now = due
                n += 1
                self._fed = n
                fn(n - 1)
                if n >= total:
                    due = inf
                elif n - base <= FEED_MASK:
                    due = block[n - base]
                else:
                    base = n
                    block = feed[base : base + FEED_MASK + 1].tolist()
                    due = block[0]
            else:
                break
        self.now = env._now = max(self.now, until)
