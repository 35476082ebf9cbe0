"""Resource dispatch: how work waiting for a pool gets a member, when it starts and ends.

Each pool compiles to one *dispatcher* (:func:`build_dispatchers`), the way SimPy offers
``Resource``/``PriorityResource`` and Ciw takes service disciplines. The engine only talks to
this seam, for every staffed activity instance::

    m = d.acquire(priority)            # a member number, or an event that yields one later
    if m.__class__ is not int:
        m = yield m
    start, end, worked, cost = d.work(m, env.now, duration)
    yield env.timeout(end - env.now)
    d.release(m)                       # hands the member to the next waiting work, if any

Member numbers are global slot numbers (pool by pool, member by member: the simulated log's
resource and role). ``worked`` is working seconds (the duration divided by the member's speed),
``cost`` the labour cost (``worked`` x hourly rate, currency).

Two dispatchers:

- :class:`PoolDispatcher`, the fast default, for ``count`` pools of interchangeable staff on one
  calendar served first in, first out: a free member is taken at once (the longest idle first)
  and starts at the first open moment of the pool's calendar.
- :class:`bpr.sim.people.PeopleDispatcher` for every other pool (people with their own
  calendars, availability, speed and several pools; or another dispatch rule): a member takes
  work when free *and* open, so waiting work is ordered by the rule at the moment someone can
  start it (interchangeable staff count as people of their own on the pool's calendar).

How waiting work is ordered is a *dispatch rule*, chosen per pool (``dispatch:`` in the model)
from :data:`DISPATCH_RULES`: a waiting line class with ``push(priority, seq, event)``, ``pop()``,
``head()`` (its first item's sort key: lower is served first) and ``len()``. ``seq`` numbers
requests in arrival order across all pools of a replication, so "first in, first out" holds
within each priority level and across the pools of a person who belongs to several. Adding a rule
is one class here plus its name in :data:`bpr.model.resources.DISPATCH_RULES`.
"""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Callable
from typing import Any, Protocol

from simpy import Environment, Event

HOUR = 3600.0


class WaitingLine(Protocol):
    """The order of work waiting for a pool (see the module doc)."""

    def push(self, priority: float, seq: int, event: Event) -> None: ...

    def pop(self) -> Event: ...

    def head(self) -> tuple[float, int]: ...

    def __len__(self) -> int: ...


class FifoLine:
    """First in, first out (priorities are ignored)."""

    __slots__ = ("items",)

    def __init__(self) -> None:
        self.items: deque[tuple[int, Event]] = deque()

    def push(self, priority: float, seq: int, event: Event) -> None:
        self.items.append((seq, event))

    def pop(self) -> Event:
        return self.items.popleft()[1]

    def head(self) -> tuple[float, int]:
        return (0.0, self.items[0][0])

    def __len__(self) -> int:
        return len(self.items)


class PriorityLine:
    """Highest priority first; first in, first out within a priority level."""

    __slots__ = ("heap",)

    def __init__(self) -> None:
        self.heap: list[tuple[float, int, Event]] = []

    def push(self, priority: float, seq: int, event: Event) -> None:
        heapq.heappush(self.heap, (-priority, seq, event))

    def pop(self) -> Event:
        return heapq.heappop(self.heap)[2]

    def head(self) -> tuple[float, int]:
        first = self.heap[0]
        return (first[0], first[1])

    def __len__(self) -> int:
        return len(self.heap)


#: dispatch rule name (a pool's ``dispatch:``) -> waiting line class
DISPATCH_RULES: dict[str, Callable[[], WaitingLine]] = {"fifo": FifoLine,
                                                        "priority": PriorityLine}

Work = tuple[float, float, float, float]  # (start, end, worked seconds, labour cost)


class Dispatcher:
    """What every dispatcher offers (see the module doc); :meth:`pieces` is shared."""

    finish: bool

    def acquire(self, priority: float) -> int | Event:
        raise NotImplementedError

    def work(self, member: int, now: float, duration: float) -> Work:
        raise NotImplementedError

    def release(self, member: int) -> None:
        raise NotImplementedError

    def start_at(self, member: int, t: float) -> float:
        """The first moment at or after ``t`` when ``member`` can work."""
        raise NotImplementedError

    def advance(self, member: int, t: float, seconds: float) -> float:
        """When ``seconds`` of ``member``'s working time begun at ``t`` are done."""
        raise NotImplementedError

    def speed(self, member: int) -> float:
        return 1.0

    def hourly_rate(self, member: int) -> float:
        """Currency per working hour of ``member`` (0 when unknown)."""
        raise NotImplementedError

    def capacity_seconds(self, a: float, b: float) -> float:
        """Open member-seconds of the pool between simulation times ``a`` and ``b``."""
        raise NotImplementedError

    def pieces(self, member: int, now: float, durations: list[float],
               parallel: bool) -> list[Work]:
        """One batch worked by ``member`` from ``now``: ``(start, end, worked, cost)`` per case.

        Sequential: one case after the other, each its own duration (under ``pause`` every piece
        starts at an open moment; under ``finish`` the batch runs on without a break). Parallel:
        all cases together for the longest of their durations, the work shared equally.
        """
        speed = self.speed(member)
        rate = self.hourly_rate(member)
        start = self.start_at(member, now)
        if parallel:
            w = max(durations) / speed
            end = self.advance(member, start, w)
            share = w / len(durations)
            return [(start, end, share, share / HOUR * rate)] * len(durations)
        out: list[Work] = []
        t = start
        for i, d in enumerate(durations):
            w = d / speed
            s = t if (i == 0 or self.finish) else self.start_at(member, t)
            t = self.advance(member, s, w)
            out.append((s, t, w, w / HOUR * rate))
        return out


class PoolDispatcher(Dispatcher):
    """The fast default: ``count`` interchangeable members on one calendar, first in, first out.

    A free member is taken at once (the longest idle: members queue for work in the order they
    became free) and starts at the calendar's first open moment; a member who finishes hands
    over to the first waiting work. (With one shared calendar and one order this is the same as
    waiting for the calendar to open and then choosing, which is what every other pool does.)
    """

    __slots__ = ("env", "free", "waiting", "cal", "rate", "finish", "count")

    def __init__(self, env: Environment, members: range, calendar: Any, hourly_rate: float,
                 finish: bool):
        self.env = env
        self.free: deque[int] = deque(members)
        self.waiting: deque[Event] = deque()
        self.count = len(members)
        self.cal = calendar
        self.rate = hourly_rate
        self.finish = finish

    def acquire(self, priority: float) -> int | Event:
        free = self.free
        if free:
            return free.popleft()
        ev = Event(self.env)
        self.waiting.append(ev)
        return ev

    def release(self, member: int) -> None:
        waiting = self.waiting
        if waiting:
            waiting.popleft().succeed(member)
        else:
            self.free.append(member)

    def work(self, member: int, now: float, duration: float) -> Work:
        cal = self.cal
        if cal.always:
            return now, now + duration, duration, duration / HOUR * self.rate
        start = cal.next_open(now)
        end = start + duration if self.finish else cal.work_end(start, duration)
        return start, end, duration, duration / HOUR * self.rate

    def start_at(self, member: int, t: float) -> float:
        return self.cal.next_open(t)

    def advance(self, member: int, t: float, seconds: float) -> float:
        return t + seconds if self.finish else self.cal.work_end(t, seconds)

    def hourly_rate(self, member: int) -> float:
        return self.rate

    def capacity_seconds(self, a: float, b: float) -> float:
        return self.cal.working_seconds(a, b) * self.count


def build_dispatchers(cm: Any, env: Environment, calendars: list[Any], *, seed: int,
                      replication: int, week_offset: float) -> list[Dispatcher]:
    """One dispatcher per pool of the compiled model ``cm`` (``calendars``: each pool's compiled
    :class:`~bpr.sim.compiled.FastCalendar`)."""
    from bpr.sim.people import Staff

    seq = itertools.count()
    out: list[Dispatcher] = []
    staff: Staff | None = None
    base = 0
    for p, count in enumerate(cm.pool_count):
        members = range(base, base + count)
        base += count
        if cm.pool_slot_person[p] is None and cm.pool_dispatch[p] == "fifo":
            rate = cm.pool_rate[p] if cm.pool_rate[p] is not None else 0.0
            out.append(PoolDispatcher(env, members, calendars[p], rate, cm.pool_finish[p]))
            continue
        if staff is None:
            staff = Staff(env, cm, seed=seed, replication=replication, week_offset=week_offset)
        out.append(staff.dispatcher(p, members, DISPATCH_RULES[cm.pool_dispatch[p]](), seq))
    return out
