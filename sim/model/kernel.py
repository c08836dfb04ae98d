"""The engine's one contact with SimPy's internals: a clock and a queue of wake-up calls.

The model runs on a :class:`simpy.Environment` — its clock, its event queue, its ``run(until)``
semantics — but it schedules only one kind of event: "call ``fn(arg)`` at time ``t``". SimPy's
public way to do that (a ``Timeout`` plus ``callbacks.append``) checks its arguments and builds
a callback list on every call, and ``Environment.step`` then re-checks every event for failure.
A department's task costs one such call and a case a few, so at a million items a year that
overhead is most of the run.

This class therefore reaches into SimPy's private API, and it is the **only** place that does:

* ``env._now`` — the current time, read directly instead of through the ``now`` property;
* ``env._queue`` and ``env._eid`` — the heap of ``(time, priority, id, event)`` entries that
  ``Environment.schedule`` pushes; our wake-ups go into the same heap, so they interleave with any
  ordinary SimPy event in the usual (time, priority, insertion) order;
* ``Event._value`` / ``Event._ok`` — set so that a wake-up is also a valid, already-triggered
  SimPy event should SimPy's own ``step`` ever process it.

If a SimPy release changes these internals, only this module needs to follow.
"""

from __future__ import annotations

from collections.abc import Callable
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.core import NORMAL
from simpy.events import Event


class Wake(Event):
    """A triggered SimPy event that calls ``fn(arg)`` when processed."""

    def __init__(self, env: simpy.Environment, fn: Callable[[Any], None], arg: Any):
        self.env = env
        self.fn = fn
        self.arg = arg
        self.callbacks = [_fire]
        self._value = arg
        self._ok = True


def _fire(ev: Wake) -> None:
    ev.fn(ev.arg)


class Kernel:
    """The SimPy environment of one run, seen as a clock with wake-up calls (see module doc)."""

    __slots__ = ("env", "_queue", "_eid")

    def __init__(self) -> None:
        self.env = simpy.Environment()
        self._queue = self.env._queue
        self._eid = self.env._eid

    @property
    def now(self) -> float:
        """The current simulation time (hours)."""
        return self.env._now

    def call_after(self, delay: float, fn: Callable[[Any], None], arg: Any = None) -> None:
        """Call ``fn(arg)`` after ``delay`` hours (``delay >= 0``)."""
        env = self.env
        heappush(self._queue, (env._now + delay, NORMAL, next(self._eid), Wake(env, fn, arg)))

    def run(self, until: float) -> None:
        """Process events in order until the clock would pass ``until``, then stop there.

        Like ``Environment.run(until=...)``: events scheduled exactly at ``until`` stay pending.
        Our own loop calls each wake-up directly; any other SimPy event is handed to SimPy's
        ``step``.
        """
        env = self.env
        queue = self._queue
        step = env.step
        while queue and queue[0][0] < until:
            ev = queue[0][3]
            if type(ev) is Wake:
                env._now, _, _, ev = heappop(queue)
                ev.callbacks = None
                ev.fn(ev.arg)
            else:
                step()
        if env._now < until:
            env._now = until
