"""Who does the work and in what order: people, case attributes, priorities and batches.

These are the typed pieces of a model beyond pools of interchangeable staff (see
``processes/README.md``, sections ``people``, ``case_attributes``, ``pools`` and ``activities``;
the simulation semantics are in :mod:`bpr.sim.engine`):

- :class:`Person`: one resource of the log. A pool whose ``members`` name people is staffed by
  those people; each works their own ``calendar`` (default: the calendar of the pool whose work
  they do), is present on a share of each weekday (``availability``), works ``speed`` times as
  fast as the activity's duration says, and may belong to several pools (never doing two tasks
  at once).
- :class:`CaseAttribute`: a categorical attribute drawn once per case (``values`` with their
  shares) that may raise the ``priority`` of the case's work.
- :class:`Batch`: an activity whose cases are gathered and executed together.

Units: times in seconds (``max_wait``), times of day in seconds after local midnight (``at``),
``availability`` a fraction of days (0..1] per weekday, ``speed`` a factor (1.25 = 25% faster),
``hourly_rate`` currency per busy hour.

Reading (``read_*``) takes the schema reader so that every error names the file, line and field;
writing (``*_to_dict``) gives the plain data of the file; :func:`resource_problems` lists the
cross-references :func:`bpr.model.check.find_problems` reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from bpr.errors import ModelError
from bpr.io.yamlio import FlowMap
from bpr.model.calendar import DAY, DAYS, _day_keys, _format_clock, _parse_clock
from bpr.model.distribution import _num, parse_seconds
from bpr.text import did_you_mean

if TYPE_CHECKING:
    from bpr.model.process import ProcessModel

#: How waiting work is ordered in a pool's queue (the classes are in :mod:`bpr.sim.dispatch`).
DISPATCH_RULES = ("fifo", "priority")
#: What happens to work still running when its member's shift ends.
SHIFT_END_RULES = ("pause", "finish")
#: How one member executes the cases of a batch.
BATCH_MODES = ("sequential", "parallel")

# size limits (bounded work: a hostile or mistyped file fails with the limit named)
MAX_POOL_MEMBERS = 100_000
MAX_PEOPLE = 100_000
MAX_BATCH_SIZE = 100_000
MAX_ATTRIBUTE_VALUES = 10_000
SHARE_TOLERANCE = 1e-6

_PERSON_KEYS = ("calendar", "availability", "speed", "hourly_rate")
_BATCH_KEYS = ("size", "max_wait", "at", "mode")
_ATTRIBUTE_KEYS = ("values", "priority")


@dataclass(frozen=True)
class Person:
    """One person (a resource of the log). ``calendar`` None: the calendar of the pool whose work
    they do. ``availability``: per weekday (Monday first) the share of those days the person is
    in (``()``: every day). ``speed``: working time = duration / speed. ``hourly_rate`` None: the
    pool's rate."""

    name: str
    calendar: str | None = None
    availability: tuple[float, ...] = ()
    speed: float = 1.0
    hourly_rate: float | None = None

    def present_share(self, weekday: int) -> float:
        """The share of ``weekday``s (0 = Monday) the person is in."""
        return self.availability[weekday] if self.availability else 1.0


@dataclass(frozen=True)
class Batch:
    """Cases of one activity gathered and executed together by one member.

    A batch is released when ``size`` cases wait (``None``: no size limit), when its oldest case
    has waited ``max_wait`` seconds, or at each local time of day in ``at`` (seconds after
    midnight), whichever comes first; at the end of a run any partial batch is released.
    ``mode``: ``sequential`` (one case after the other) or ``parallel`` (all at once).
    """

    size: int | None = None
    max_wait: float | None = None
    at: tuple[float, ...] = ()
    mode: str = "sequential"


@dataclass(frozen=True)
class CaseAttribute:
    """A categorical case attribute: ``values`` as ``(value, share of cases)`` pairs, and the
    ``priority`` added to the work of a case with that value (``(value, priority)`` pairs)."""

    name: str
    values: tuple[tuple[str, float], ...]
    priority: tuple[tuple[str, float], ...] = ()

    def priority_of(self, value: str) -> float:
        return dict(self.priority).get(value, 0.0)


# -- reading ------------------------------------------------------------------------------------
def _finite(r: Any, value: Any, keys: tuple[Any, ...], *, minimum: float | None = None,
            positive: bool = False, maximum: float | None = None) -> float:
    x = r.number(value, keys, minimum=minimum)
    if not math.isfinite(x):
        raise r.fail(keys, f"expected a finite number, got {value!r}")
    if positive and not x > 0:
        raise r.fail(keys, f"must be greater than 0, got {value!r}")
    if maximum is not None and x > maximum:
        raise r.fail(keys, f"must be at most {maximum:g}, got {value!r}")
    return x


def read_people(r: Any, raw: Any) -> dict[str, Person]:
    """The ``people`` section: ``{name: {calendar, availability, speed, hourly_rate}}``."""
    people: dict[str, Person] = {}
    section = r.mapping(raw, ("people",), None, "people")
    if len(section) > MAX_PEOPLE:
        raise r.fail(("people",), f"{len(section):,} people is above the limit of "
                     f"{MAX_PEOPLE:,}")
    for pname, pval in section.items():
        k = ("people", pname)
        p = r.mapping(pval, k, _PERSON_KEYS, "person settings")
        rate = p.get("hourly_rate")
        cal = p.get("calendar")
        people[str(pname)] = Person(
            name=str(pname),
            calendar=None if cal is None else str(cal),
            availability=read_availability(r, p.get("availability"), k + ("availability",)),
            speed=1.0 if p.get("speed") is None else _finite(r, p["speed"], k + ("speed",),
                                                             positive=True, maximum=1e6),
            hourly_rate=None if rate is None else _finite(r, rate, k + ("hourly_rate",),
                                                          minimum=0),
        )
        r.source[f"person:{pname}"] = (r.doc.path, r.doc.line(*k))
    return people


def read_availability(r: Any, raw: Any, keys: tuple[Any, ...]) -> tuple[float, ...]:
    """``0.9`` (every day) or ``{mon: 0.7, sat-sun: 0}`` (unnamed days: 1) -> 7 shares or ()."""
    if raw is None:
        return ()
    if isinstance(raw, Mapping):
        shares = [1.0] * 7
        for day, value in raw.items():
            try:
                days = _day_keys(str(day), ".".join(str(x) for x in keys))
            except ModelError as err:
                raise r.fail(keys + (day,), err.detail.split(": ", 1)[-1]) from None
            share = _finite(r, value, keys + (day,), minimum=0, maximum=1)
            for d in days:
                shares[d] = share
    else:
        shares = [_finite(r, raw, keys, minimum=0, maximum=1)] * 7
    return () if all(s == 1.0 for s in shares) else tuple(shares)


def read_batch(r: Any, raw: Any, keys: tuple[Any, ...]) -> Batch:
    """An activity's ``batch: {size, max_wait, at, mode}``."""
    b = r.mapping(raw, keys, _BATCH_KEYS, "batch settings")
    size = None
    if b.get("size") is not None:
        size = r.number(b["size"], keys + ("size",), minimum=1, integer=True)
        if size > MAX_BATCH_SIZE:
            raise r.fail(keys + ("size",), f"{size:,} is above the limit of {MAX_BATCH_SIZE:,} "
                         f"cases per batch")
    max_wait = None
    if b.get("max_wait") is not None:
        max_wait = r.wrap(keys + ("max_wait",), parse_seconds, b["max_wait"], "max_wait")
        if not max_wait > 0:
            raise r.fail(keys + ("max_wait",), f"must be greater than 0, got {b['max_wait']!r}")
    raw_at = b.get("at")
    texts = [] if raw_at is None else raw_at if isinstance(raw_at, list) else [raw_at]
    at: list[float] = []
    for i, text in enumerate(texts):
        kk = keys + ("at",) + ((i,) if isinstance(raw_at, list) else ())
        if not isinstance(text, str):
            raise r.fail(kk, f"expected a time of day in quotes such as '16:00', got {text!r} "
                         f"(YAML reads 16:00 without quotes as the number 960)")
        try:
            sec = _parse_clock(text, "at")
        except ModelError as err:
            raise r.fail(kk, err.detail.split(": ", 1)[-1]) from None
        at.append(float(sec % DAY))
    mode = str(b.get("mode", "sequential"))
    if mode not in BATCH_MODES:
        raise r.fail(keys + ("mode",), f"batch mode {mode!r} is unknown"
                     f"{did_you_mean(mode, BATCH_MODES)}; use {' or '.join(BATCH_MODES)}")
    if size is None and max_wait is None and not at:
        raise r.fail(keys, "a batch needs a release rule: size (release when that many cases "
                     "wait), max_wait (e.g. '4h') or at (a time of day such as '16:00')")
    return Batch(size=size, max_wait=max_wait, at=tuple(sorted(set(at))), mode=mode)


def read_case_attributes(r: Any, raw: Any) -> dict[str, CaseAttribute]:
    """The ``case_attributes`` section: ``{name: {values: {v: share}, priority: {v: level}}}``."""
    out: dict[str, CaseAttribute] = {}
    for aname, aval in r.mapping(raw, ("case_attributes",), None, "case attributes").items():
        k = ("case_attributes", aname)
        a = r.mapping(aval, k, _ATTRIBUTE_KEYS, "case attribute settings")
        if "values" not in a:
            raise r.fail(k, "missing 'values' (each value with its share of cases, e.g. "
                         "{gold: 0.2, standard: 0.8})")
        raw_values = r.mapping(a["values"], k + ("values",), None, "values and shares")
        if not raw_values:
            raise r.fail(k + ("values",), "give at least one value with its share of cases")
        if len(raw_values) > MAX_ATTRIBUTE_VALUES:
            raise r.fail(k + ("values",), f"{len(raw_values):,} values is above the limit of "
                         f"{MAX_ATTRIBUTE_VALUES:,}")
        values = tuple((str(v), _finite(r, s, k + ("values", v), minimum=0, maximum=1))
                       for v, s in raw_values.items())
        prio = tuple((str(v), _finite(r, p, k + ("priority", v))) for v, p in r.mapping(
            a.get("priority"), k + ("priority",), None, "priorities").items())
        out[str(aname)] = CaseAttribute(str(aname), values, prio)
        r.source[f"case_attribute:{aname}"] = (r.doc.path, r.doc.line(*k))
    return out


# -- writing ------------------------------------------------------------------------------------
def person_to_dict(p: Person) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if p.calendar is not None:
        d["calendar"] = p.calendar
    if p.availability:
        d["availability"] = availability_to_data(p.availability)
    if p.speed != 1.0:
        d["speed"] = _num(p.speed)
    if p.hourly_rate is not None:
        d["hourly_rate"] = _num(p.hourly_rate)
    return FlowMap(d)


def availability_to_data(shares: tuple[float, ...]) -> Any:
    """A number when every day is the same, else ``{mon: 0.7, sat-sun: 0}`` (days at 1 left out,
    equal neighbouring days grouped)."""
    if len(set(shares)) == 1:
        return _num(shares[0])
    out: dict[str, float] = {}
    d = 0
    while d < 7:
        e = d
        while e + 1 < 7 and shares[e + 1] == shares[d]:
            e += 1
        if shares[d] != 1.0:
            out[DAYS[d] if d == e else f"{DAYS[d]}-{DAYS[e]}"] = _num(shares[d])
        d = e + 1
    return FlowMap(out)


def batch_to_dict(b: Batch) -> dict[str, Any]:
    d: dict[str, Any] = {}
    if b.size is not None:
        d["size"] = b.size
    if b.max_wait is not None:
        d["max_wait"] = _num(b.max_wait)
    if b.at:
        times = [_format_clock(int(t)) if float(t).is_integer() else t for t in b.at]
        d["at"] = times[0] if len(times) == 1 else times
    if b.mode != "sequential":
        d["mode"] = b.mode
    return FlowMap(d)


def attribute_to_dict(a: CaseAttribute) -> dict[str, Any]:
    d: dict[str, Any] = {"values": FlowMap({v: _num(s) for v, s in a.values})}
    if a.priority:
        d["priority"] = FlowMap({v: _num(p) for v, p in a.priority})
    return d


# -- cross-references ---------------------------------------------------------------------------
def resource_problems(model: ProcessModel) -> list[tuple[str, str]]:
    """``(element, message)`` for each problem with people, priorities, batches and limits."""
    from bpr.model.process import ALWAYS

    out: list[tuple[str, str]] = []
    known_cals = set(model.calendars) | {ALWAYS}
    for person in model.people.values():
        el = f"person:{person.name}"
        if person.calendar is not None and person.calendar not in known_cals:
            out.append((el, f"person {person.name!r}: unknown calendar {person.calendar!r}"
                        f"{did_you_mean(person.calendar, known_cals)}"))
        elif person.availability:
            cals = ([person.calendar] if person.calendar is not None else
                    [p.calendar for p in model.pools.values() if person.name in p.members])
            for cname in cals:
                if cname not in known_cals:
                    continue
                days = {d for a, b in model.calendar(cname).intervals
                        for d in range(int(a // DAY), math.ceil(b / DAY))}
                if all(person.present_share(d % 7) == 0 for d in days):
                    out.append((el, f"person {person.name!r} is never in on a working day of "
                                f"calendar {cname!r} (availability 0 on each); raise the "
                                f"availability of a working day"))
    for pool in model.pools.values():
        el = f"pool:{pool.name}"
        if pool.count > MAX_POOL_MEMBERS:
            out.append((el, f"pool {pool.name!r}: {pool.count:,} members is above the limit of "
                        f"{MAX_POOL_MEMBERS:,} per pool"))
        seen: set[str] = set()
        for m in pool.members[:pool.count]:
            if m in seen and m in model.people:
                out.append((el, f"pool {pool.name!r} lists person {m!r} twice"))
            seen.add(m)
    for attr in model.case_attributes.values():
        el = f"case_attribute:{attr.name}"
        total = sum(s for _, s in attr.values)
        names = [v for v, _ in attr.values]
        if abs(total - 1.0) > SHARE_TOLERANCE:
            out.append((el, f"case attribute {attr.name!r}: shares sum to {total:.6g}, not 1"))
        for v, _ in attr.priority:
            if v not in names:
                out.append((el, f"case attribute {attr.name!r}: priority for {v!r}, which is "
                            f"not one of its values{did_you_mean(v, names)}"))
    return out
