"""Batching: cases of one activity gathered and executed together.

A :class:`Batcher` collects the cases that reach a batch activity (after its ``delay``) in
arrival order and releases them as one batch when the first of its release rules fires:

- ``size``: as soon as that many cases wait (the batch holds exactly ``size`` cases);
- ``max_wait``: when the oldest waiting case has waited that long (elapsed seconds);
- ``at``: at each listed local time of day (every day), all waiting cases;
- at the end of a run, when nothing else can happen, whatever still waits.

Cases released together beyond ``size`` form several batches of at most ``size``, in arrival
order. A released batch is one piece of work: it waits for one member of the activity's pool
(with the highest priority among its cases) and is executed by that member (see
:meth:`bpr.sim.dispatch.Dispatcher.pieces` for sequential and parallel batches, and the engine
doc for what each case records).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Generator
from typing import Any

from simpy import Environment, Event, Timeout

from bpr.model.calendar import DAY
from bpr.model.resources import Batch

Runner = Callable[[list[list[Any]]], Generator[Any, Any, None]]


class Batcher:
    """The waiting room of one batch activity (see the module doc)."""

    __slots__ = ("env", "spec", "offset", "run", "pending", "gen")

    def __init__(self, env: Environment, spec: Batch, week_offset: float, run: Runner):
        self.env = env
        self.spec = spec
        self.offset = week_offset
        self.run = run
        self.pending: list[list[Any]] = []
        self.gen = 0  # which gathering the pending cases belong to (timers of older ones lapse)

    def join(self, duration: float, priority: float) -> Event:
        """A case joins with its sampled ``duration``; the event yields its piece of the batch,
        ``(member, start, end, worked, cost)``."""
        ev = Event(self.env)
        pending = self.pending
        pending.append([duration, priority, ev])
        spec = self.spec
        if spec.size is not None and len(pending) >= spec.size:
            self._release()
        elif len(pending) == 1:
            self._arm()
        return ev

    def _arm(self) -> None:
        """Start the timers of a new gathering (``max_wait``, next ``at`` time of day)."""
        spec = self.spec
        now = self.env.now
        delays = []
        if spec.max_wait is not None:
            delays.append(spec.max_wait)
        if spec.at:
            local = now + self.offset
            midnight = math.floor(local / DAY) * DAY
            nxt = min((midnight + a if midnight + a >= local else midnight + DAY + a)
                      for a in spec.at)
            delays.append(max(0.0, nxt - local))
        if delays:
            timer = Timeout(self.env, min(delays), self.gen)
            timer.callbacks.append(self._timer)

    def _timer(self, ev: Event) -> None:
        if ev.value == self.gen and self.pending:
            self._release()

    def _release(self) -> None:
        items, self.pending = self.pending, []
        self.gen += 1
        size = self.spec.size or len(items)
        for i in range(0, len(items), size):
            self.env.process(self.run(items[i:i + size]))

    def flush(self) -> bool:
        """Release whatever waits (the end of a run); False if nothing waited."""
        if not self.pending:
            return False
        self._release()
        return True


def unstaffed_pieces(now: float, durations: list[float], parallel: bool
                     ) -> list[tuple[float, float, float, float]]:
    """A batch of an activity without a pool: elapsed time from ``now``, no labour."""
    if parallel:
        end = now + max(durations)
        return [(now, end, 0.0, 0.0)] * len(durations)
    out = []
    t = now
    for d in durations:
        out.append((t, t + d, 0.0, 0.0))
        t += d
    return out
