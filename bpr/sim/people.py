"""Dispatch to people: members with their own calendars, availability and speed, who may belong
to several pools and never do two tasks at once.

A pool that lists people (or that uses a dispatch rule other than ``fifo``; its interchangeable
staff then count as people of their own on the pool's calendar) compiles to a
:class:`PeopleDispatcher`; all of them share one
:class:`Staff` (the replication's people and whether each is busy). Semantics (see also
:mod:`bpr.sim.engine`):

- **Who takes work.** A member can take work when they are free and their calendar is open now
  (and they are in that day, see availability). Work that finds such members goes to the one
  idle longest (people who have not worked yet count as idle since the start, in the order the
  pool lists them); otherwise it waits in the pool's line. A member who becomes able to work
  (finishes a task, or a shift begins) takes the first waiting work of their pools at once, so
  work goes to whoever qualified can start it first; several members able at the same moment
  take waiting work in the line's order, the longest idle first.
- **A person in several pools** takes, when free, the waiting work that comes first across their
  pools by (priority, arrival); a ``fifo`` pool's work counts as priority 0.
- **Availability.** A person with ``availability`` is in on a given local calendar day with that
  weekday's share, drawn once per person and day (a random stream ``availability:<person>``
  keyed by the day number, so scenarios share the same absences). On a day they are out, their
  calendar is closed from midnight to midnight; paused work resumes on their next day in.
- **Speed.** Working time is the activity's duration divided by the member's ``speed``.
- **Shift end.** Under the pool's ``pause`` rule work pauses outside the member's open hours and
  resumes with the same member; under ``finish`` it runs on in elapsed time and the member takes
  no new work until their next open moment.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterator
from typing import Any

from simpy import Environment, Event, Timeout

from bpr.model.calendar import DAY, WEEK
from bpr.sim.compiled import FastCalendar
from bpr.sim.dispatch import HOUR, Dispatcher, WaitingLine, Work
from bpr.sim.limits import MAX_SIMULATED_SECONDS, too_late
from bpr.sim.streams import CaseStream, uniform_sampler

EPS = 1e-3  # seconds: a member whose calendar opens this close to now counts as open now


class PresenceCalendar:
    """A person's calendar with days out: :class:`FastCalendar` arithmetic (simulation seconds)
    on the days the person is in, drawn with the weekday's share (see the module doc)."""

    __slots__ = ("base", "offset", "shares", "stream", "known", "always", "name")

    def __init__(self, base: FastCalendar, shares: tuple[float, ...], stream: CaseStream,
                 name: str):
        self.base = base
        self.offset = base.offset
        self.shares = shares
        self.stream = stream
        self.known: dict[int, bool] = {}
        self.always = False
        self.name = name

    def present(self, day: int) -> bool:
        """Whether the person is in on local day number ``day`` (0: the first Monday)."""
        got = self.known.get(day)
        if got is None:
            got = self.known[day] = self.stream.first(day) < self.shares[day % 7]
        return got

    def next_open(self, t: float) -> float:
        off = self.offset
        while True:
            t = self.base.next_open(t)
            day = math.floor((t + off) / DAY)
            if self.present(day):
                return t
            t = max(t, (day + 1) * DAY - off)
            if t > MAX_SIMULATED_SECONDS:
                raise too_late(f"person {self.name!r} is never in")

    def _segment_end(self, t: float) -> float:
        """For an open moment ``t``: the end of its open interval, cut at the next midnight."""
        base = self.base
        x = t + self.offset
        week = math.floor(x / WEEK) * WEEK
        i = bisect.bisect_right(base.starts, x - week) - 1
        end = week + base.ends[i] - self.offset
        return min(end, (math.floor(x / DAY) + 1) * DAY - self.offset)

    def work_end(self, t: float, work: float) -> float:
        t = self.next_open(t)
        left = work
        while True:
            seg = self._segment_end(t)
            if t + left <= seg:
                return t + left
            if seg <= t:  # t rounds onto the end of its interval: step past it
                t = self.next_open(math.nextafter(t, math.inf))
                continue
            left -= seg - t
            t = self.next_open(seg)

    def working_seconds(self, a: float, b: float) -> float:
        """Open seconds between ``a`` and ``b`` on the days the person is in."""
        total = 0.0
        off = self.offset
        day = math.floor((a + off) / DAY)
        while True:
            lo = max(a, day * DAY - off)
            hi = min(b, (day + 1) * DAY - off)
            if hi <= lo and lo >= b:
                return total
            if hi > lo and self.present(day):
                total += self.base.working_seconds(lo, hi)
            day += 1


class Staff:
    """The people of one replication: who is busy, and the pools each belongs to."""

    def __init__(self, env: Environment, cm: Any, *, seed: int, replication: int,
                 week_offset: float):
        self.env = env
        self.cm = cm
        self.seed = seed
        self.replication = replication
        self.week_offset = week_offset
        self.busy: list[bool] = []
        self.slots_of: list[list[tuple[PeopleDispatcher, int]]] = []
        self.index: dict[str, int] = {}
        self.dispatchers: list[PeopleDispatcher] = []
        self.wakes: set[float] = set()
        self._fast: dict[Any, FastCalendar] = {}
        self._presence: dict[tuple[str, Any], PresenceCalendar] = {}
        self._streams: dict[str, CaseStream] = {}

    def _person(self, name: str) -> int:
        i = self.index.get(name)
        if i is None:
            i = self.index[name] = len(self.busy)
            self.busy.append(False)
            self.slots_of.append([])
        return i

    def _calendar(self, calendar: Any, person: Any) -> Any:
        fast = self._fast.get(calendar)
        if fast is None:
            fast = self._fast[calendar] = FastCalendar(calendar, self.week_offset)
        if person is None or not person.availability:
            return fast
        key = (person.name, calendar)
        pres = self._presence.get(key)
        if pres is None:
            stream = self._streams.get(person.name)
            if stream is None:
                stream = self._streams[person.name] = CaseStream(
                    uniform_sampler(), self.seed, self.replication,
                    f"availability:{person.name}")
            pres = self._presence[key] = PresenceCalendar(fast, person.availability, stream,
                                                          person.name)
        return pres

    def dispatcher(self, p: int, members: range, line: WaitingLine,
                   seq: Iterator[int]) -> PeopleDispatcher:
        """The dispatcher of pool number ``p`` whose slots are ``members``."""
        cm = self.cm
        d = PeopleDispatcher(self, line, seq, cm.pool_finish[p])
        pool_cal = cm.pool_calendar[p]
        pool_rate = cm.pool_rate[p] if cm.pool_rate[p] is not None else 0.0
        names = cm.pool_members[p]
        slot_person = cm.pool_slot_person[p] or [-1] * len(members)
        for s, who in zip(members, slot_person, strict=True):
            person = cm.people[who] if who >= 0 else None
            # interchangeable staff in a pool of people: a person of their own, named per slot
            label = person.name if person is not None else f"\0{p}:{names[s - members.start]}"
            i = self._person(label)
            cal = pool_cal if person is None or person.calendar is None else \
                cm.model.calendar(person.calendar)
            rate = pool_rate if person is None or person.hourly_rate is None else \
                person.hourly_rate
            d.add(s, i, self._calendar(cal, person), 1.0 if person is None else person.speed,
                  rate)
            self.slots_of[i].append((d, s))
        self.dispatchers.append(d)
        return d

    # -- state changes ---------------------------------------------------------------------------
    def take(self, i: int) -> None:
        """Person ``i`` starts work: no longer free in any of their pools."""
        self.busy[i] = True
        for d, s in self.slots_of[i]:
            d.free.pop(s, None)

    def done(self, i: int) -> None:
        """Person ``i`` finished: take the first waiting work they can do now, else go idle."""
        now = self.env.now
        lim = now + EPS
        best: PeopleDispatcher | None = None
        best_key: tuple[float, int] = (0.0, 0)
        best_s = -1
        for d, s in self.slots_of[i]:
            if d.line:
                key = d.line.head()
                if (best is None or key < best_key) and d.cal[s].next_open(now) <= lim:
                    best, best_key, best_s = d, key, s
        if best is not None:
            best.line.pop().succeed(best_s)
            return
        self.busy[i] = False
        for d, s in self.slots_of[i]:
            d.free[s] = None
            if d.line:
                self.wake_at(d.cal[s].next_open(now))

    def wake_at(self, t: float) -> None:
        """Make sure waiting work is looked at again at simulation time ``t``."""
        if t in self.wakes:
            return
        self.wakes.add(t)
        ev = Timeout(self.env, max(0.0, t - self.env.now), t)
        ev.callbacks.append(self._wake)

    def _wake(self, ev: Event) -> None:
        self.wakes.discard(ev.value)
        now = self.env.now
        lim = now + EPS
        while True:  # waiting work in line order, each to the longest-idle member able now
            best: PeopleDispatcher | None = None
            best_key: tuple[float, int] = (0.0, 0)
            best_s = -1
            for d in self.dispatchers:
                if d.line:
                    key = d.line.head()
                    if best is None or key < best_key:
                        s = d.available(now, lim)
                        if s >= 0:
                            best, best_key, best_s = d, key, s
            if best is None:
                break
            self.take(best.person[best_s])
            best.line.pop().succeed(best_s)
        for d in self.dispatchers:
            if d.line:
                d.wake_free(now)


class PeopleDispatcher(Dispatcher):
    """The dispatcher of one pool of people (see the module doc). ``free`` holds the pool's free
    slots in the order they became free (the longest idle first)."""

    def __init__(self, staff: Staff, line: WaitingLine, seq: Iterator[int], finish: bool):
        self.staff = staff
        self.env = staff.env
        self.line = line
        self.seq = seq
        self.finish = finish
        self.free: dict[int, None] = {}
        self.slots: list[int] = []
        self.person: dict[int, int] = {}
        self.cal: dict[int, Any] = {}
        self.speed_of: dict[int, float] = {}
        self.rate: dict[int, float] = {}

    def add(self, s: int, person: int, calendar: Any, speed: float, hourly_rate: float) -> None:
        self.slots.append(s)
        self.person[s] = person
        self.cal[s] = calendar
        self.speed_of[s] = speed
        self.rate[s] = hourly_rate
        if not self.staff.busy[person]:
            self.free[s] = None

    def available(self, now: float, lim: float) -> int:
        """The longest-idle free slot whose calendar is open now, or -1."""
        cal = self.cal
        for s in self.free:
            if cal[s].next_open(now) <= lim:
                return s
        return -1

    def wake_free(self, now: float) -> None:
        for s in self.free:
            self.staff.wake_at(self.cal[s].next_open(now))

    def acquire(self, priority: float) -> int | Event:
        now = self.env.now
        s = self.available(now, now + EPS)
        if s >= 0:
            self.staff.take(self.person[s])
            return s
        ev = Event(self.env)
        first = not self.line
        self.line.push(priority, next(self.seq), ev)
        if first:
            self.wake_free(now)
        return ev

    def release(self, member: int) -> None:
        self.staff.done(self.person[member])

    def work(self, member: int, now: float, duration: float) -> Work:
        cal = self.cal[member]
        start = cal.next_open(now)
        w = duration / self.speed_of[member]
        end = start + w if self.finish else cal.work_end(start, w)
        return start, end, w, w / HOUR * self.rate[member]

    def start_at(self, member: int, t: float) -> float:
        return self.cal[member].next_open(t)

    def advance(self, member: int, t: float, seconds: float) -> float:
        return t + seconds if self.finish else self.cal[member].work_end(t, seconds)

    def speed(self, member: int) -> float:
        return self.speed_of[member]

    def hourly_rate(self, member: int) -> float:
        return self.rate[member]

    def capacity_seconds(self, a: float, b: float) -> float:
        return sum(self.cal[s].working_seconds(a, b) for s in self.slots)
