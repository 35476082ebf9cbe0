"""Changes to attributes of activities, pools and arrivals (the process graph stays as it is):
``automate``, ``delay``, ``staff``, ``hours``, ``demand`` and ``cost``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bpr.errors import ModelError
from bpr.model.calendar import Calendar
from bpr.model.distribution import Distribution
from bpr.model.process import ALWAYS, Arrivals, ProcessModel
from bpr.scenario.base import (
    Change,
    ChangeProblem,
    as_name,
    as_number,
    duration_or_factor,
    format_factor,
    get_activity,
    get_pool,
    is_factor_text,
    parse_distribution,
    parse_factor,
    register,
)
from bpr.text import did_you_mean


@register
@dataclass(frozen=True)
class Automate(Change):
    """Make an activity faster and/or cheaper, optionally without staff.

    ``duration``: a factor (``0.1x``: ten times faster) or a new distribution. ``fixed_cost``: the
    new cost per execution (currency), e.g. a licence fee per call. ``pool``: left out keeps the
    staff (a tool that helps the clerk); ``null`` removes the staff (the system does the work, no
    labour hours); a pool name moves the work to that pool.
    """

    activity: str
    duration_factor: float | None = None
    duration: Distribution | None = None
    fixed_cost: float | None = None
    change_pool: bool = False
    pool: str | None = None

    kind = "automate"
    keys = ("activity", "duration", "fixed_cost", "pool")
    required = ("activity",)
    target_key = "activity"
    sweep_key = "duration"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Automate:
        factor, dist = (None, None)
        if data.get("duration") is not None:
            factor, dist = duration_or_factor(data["duration"], "duration")
        pool = data.get("pool")
        if pool is not None and not isinstance(pool, str):
            raise ChangeProblem("pool", f"expected a pool name or null, got {pool!r}")
        return cls(activity=as_name(data, "activity"), duration_factor=factor, duration=dist,
                   fixed_cost=None if data.get("fixed_cost") is None else as_number(
                       data["fixed_cost"], "fixed_cost"),
                   change_pool="pool" in data, pool=pool)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"activity": self.activity}
        if self.duration_factor is not None:
            out["duration"] = format_factor(self.duration_factor)
        elif self.duration is not None:
            out["duration"] = self.duration.to_dict()
        if self.fixed_cost is not None:
            out["fixed_cost"] = self.fixed_cost
        if self.change_pool:
            out["pool"] = self.pool
        return out

    @classmethod
    def sweep_value(cls, key: str, value: Any) -> Any:
        if key == "duration" and isinstance(value, int | float) and not isinstance(value, bool):
            return format_factor(value)  # a bare number in a grid is a factor
        return value

    def apply(self, model: ProcessModel) -> ProcessModel:
        act = get_activity(model, self.activity)
        new = act
        if self.duration_factor is not None:
            new = replace(new, duration=act.duration.scaled(self.duration_factor))
        elif self.duration is not None:
            new = replace(new, duration=self.duration)
        if self.fixed_cost is not None:
            new = replace(new, fixed_cost=self.fixed_cost)
        if self.change_pool:
            if self.pool is not None:
                get_pool(model, self.pool)
            new = replace(new, pool=self.pool)
        return model.with_activity(new)


@register
@dataclass(frozen=True)
class Delay(Change):
    """Change an activity's extraneous delay (a wait not tied to staff, e.g. for the customer).

    ``factor`` scales the existing delay (``0.5`` halves it); ``distribution`` replaces it
    (``null`` removes it).
    """

    activity: str
    factor: float | None = None
    distribution: Distribution | None = None
    remove: bool = False

    kind = "delay"
    keys = ("activity", "factor", "distribution")
    required = ("activity",)
    target_key = "activity"
    sweep_key = "factor"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Delay:
        has_f, has_d = "factor" in data, "distribution" in data
        if has_f == has_d:
            raise ChangeProblem("factor", "give exactly one of 'factor' (e.g. 0.5) or "
                                "'distribution' (e.g. '2h', or null to remove the delay)")
        if has_f:
            return cls(as_name(data, "activity"), factor=parse_factor(data["factor"], "factor"))
        dist = data["distribution"]
        if dist is None:
            return cls(as_name(data, "activity"), remove=True)
        return cls(as_name(data, "activity"),
                   distribution=parse_distribution(dist, "distribution"))

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"activity": self.activity}
        if self.factor is not None:
            out["factor"] = self.factor
        else:
            out["distribution"] = None if self.remove or self.distribution is None else (
                self.distribution.to_dict())
        return out

    def apply(self, model: ProcessModel) -> ProcessModel:
        act = get_activity(model, self.activity)
        if self.factor is not None:
            if act.delay is None:
                raise ChangeProblem("factor", f"activity {self.activity!r} has no extraneous "
                                    f"delay to scale; give a 'distribution' instead")
            return model.with_activity(replace(act, delay=act.delay.scaled(self.factor)))
        return model.with_activity(replace(act, delay=None if self.remove else self.distribution))


_STAFF_RE = re.compile(r"^\s*([+-])\s*(\d+)\s*$")


@register
@dataclass(frozen=True)
class Staff(Change):
    """Change how many people a pool has: ``count: 5`` (absolute), ``+1``/``-1`` (relative) or
    ``x1.5`` (multiply, rounded half up). The result may not be negative; a pool that tasks need
    must keep at least one person (the model check rejects 0).
    """

    pool: str
    mode: str  # "set", "add" or "mul"
    amount: float

    kind = "staff"
    keys = ("pool", "count")
    required = ("pool", "count")
    target_key = "pool"
    sweep_key = "count"
    signed_fields = ("count",)  # count: +1 is one more, count: 1 is one in all

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Staff:
        pool = as_name(data, "pool")
        value = data["count"]
        if isinstance(value, bool):
            raise ChangeProblem("count", f"expected a number of staff, got {value!r}")
        if isinstance(value, int):
            return cls(pool, "add", value) if value < 0 else cls(pool, "set", value)
        if isinstance(value, float) and value.is_integer() and value >= 0:
            return cls(pool, "set", int(value))
        if isinstance(value, str):
            m = _STAFF_RE.match(value)
            if m:
                return cls(pool, "add", int(m.group(2)) * (-1 if m.group(1) == "-" else 1))
            if value.strip().isdigit():
                return cls(pool, "set", int(value))
            if is_factor_text(value):
                return cls(pool, "mul", parse_factor(value, "count"))
        raise ChangeProblem("count", f"expected a number of staff (5), a change (+1, -1) or a "
                            f"factor (x1.5), got {value!r}")

    def to_dict(self) -> dict[str, Any]:
        if self.mode == "set":
            count: Any = int(self.amount)
        elif self.mode == "add":
            count = f"{int(self.amount):+d}"
        else:
            count = f"x{self.amount:g}"
        return {"pool": self.pool, "count": count}

    def new_count(self, old: int) -> int:
        if self.mode == "set":
            return int(self.amount)
        if self.mode == "add":
            return old + int(self.amount)
        return int(math.floor(old * self.amount + 0.5))

    def apply(self, model: ProcessModel) -> ProcessModel:
        pool = get_pool(model, self.pool)
        count = self.new_count(pool.count)
        if count < 0:
            raise ChangeProblem("count", f"pool {self.pool!r} has {pool.count} staff; "
                                f"{self.to_dict()['count']} would leave {count}")
        return model.with_pool(replace(pool, count=count))


@register
@dataclass(frozen=True)
class Hours(Change):
    """Change a pool's working hours: ``calendar`` is the name of a calendar of the model
    (or ``always``) or a weekly schedule such as ``{mon-fri: "08:00-18:00"}``, which is added to
    the model as a calendar named ``<pool> hours`` (``<pool> hours 2``, ... if taken).
    """

    pool: str
    calendar_name: str | None = None
    calendar: Calendar | None = None

    kind = "hours"
    keys = ("pool", "calendar")
    required = ("pool", "calendar")
    target_key = "pool"
    sweep_key = "calendar"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Hours:
        value = data["calendar"]
        if isinstance(value, str) and value.strip().lower() not in ("24/7",):
            return cls(as_name(data, "pool"), calendar_name=value.strip())
        try:
            cal = Calendar.from_dict(value, "calendar")
        except ModelError as err:
            raise ChangeProblem("calendar", err.detail.removeprefix("calendar: ")) from None
        return cls(as_name(data, "pool"), calendar=cal)

    def to_dict(self) -> dict[str, Any]:
        cal: Any = self.calendar_name if self.calendar is None else self.calendar.to_dict()
        return {"pool": self.pool, "calendar": cal}

    def apply(self, model: ProcessModel) -> ProcessModel:
        pool = get_pool(model, self.pool)
        if self.calendar is None:
            name = str(self.calendar_name)
            known = set(model.calendars) | {ALWAYS}
            if name not in known:
                raise ChangeProblem("calendar", f"unknown calendar {name!r}"
                                    f"{did_you_mean(name, known)}; give a calendar name of the "
                                    f"model or hours such as {{mon-fri: '08:00-18:00'}}")
            return model.with_pool(replace(pool, calendar=name))
        name = f"{self.pool} hours"
        i = 2
        while name in model.calendars:
            name = f"{self.pool} hours {i}"
            i += 1
        model = replace(model, calendars={**model.calendars, name: self.calendar})
        return model.with_pool(replace(pool, calendar=name))


@register
@dataclass(frozen=True)
class Demand(Change):
    """Scale the arrival rate: ``factor: 1.2`` means 20% more cases (inter-arrival times are
    divided by 1.2). What-if analyses also scale the annual case volume by this factor."""

    factor: float

    kind = "demand"
    keys = ("factor",)
    required = ("factor",)
    target_key = None
    sweep_key = "factor"

    @property
    def volume_factor(self) -> float:
        return self.factor

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Demand:
        return cls(parse_factor(data["factor"], "factor", positive=True))

    def to_dict(self) -> dict[str, Any]:
        return {"factor": self.factor}

    def apply(self, model: ProcessModel) -> ProcessModel:
        arr = model.arrivals
        return replace(model, arrivals=Arrivals(arr.interarrival.scaled(1.0 / self.factor),
                                                arr.calendar))


@register
@dataclass(frozen=True)
class Cost(Change):
    """Change a cost rate: ``{pool, hourly_rate}`` (currency per busy hour) or
    ``{activity, fixed_cost}`` (currency per execution)."""

    pool: str | None = None
    hourly_rate: float | None = None
    activity: str | None = None
    fixed_cost: float | None = None

    kind = "cost"
    keys = ("pool", "hourly_rate", "activity", "fixed_cost")
    required = ()
    target_key = "pool"
    sweep_key = "hourly_rate"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Cost:
        if "pool" in data and "activity" not in data:
            if "hourly_rate" not in data or "fixed_cost" in data:
                raise ChangeProblem("hourly_rate", "a pool's cost change needs 'hourly_rate' "
                                    "(currency per busy hour) and no 'fixed_cost'")
            return cls(pool=as_name(data, "pool"),
                       hourly_rate=as_number(data["hourly_rate"], "hourly_rate"))
        if "activity" in data and "pool" not in data:
            if "fixed_cost" not in data or "hourly_rate" in data:
                raise ChangeProblem("fixed_cost", "an activity's cost change needs 'fixed_cost' "
                                    "(currency per execution) and no 'hourly_rate'")
            return cls(activity=as_name(data, "activity"),
                       fixed_cost=as_number(data["fixed_cost"], "fixed_cost"))
        raise ChangeProblem("pool", "give either {pool, hourly_rate} or {activity, fixed_cost}")

    def target(self) -> str | None:
        return self.pool if self.pool is not None else self.activity

    @classmethod
    def sweep_field(cls, target: str | None, model: ProcessModel) -> str | None:
        """A pool's ``hourly_rate``, else an activity's ``fixed_cost``."""
        return "hourly_rate" if target in model.pools else "fixed_cost"

    @classmethod
    def for_sweep(cls, current: Change | None, target: str | None, key: str,
                  value: Any) -> Change:
        """A cost change names one rate: a pool's ``hourly_rate`` or an activity's
        ``fixed_cost``, so the grid value replaces the change rather than adding a field."""
        about = "pool" if key == "hourly_rate" else "activity"
        return cls.from_dict({about: target, key: value})

    def to_dict(self) -> dict[str, Any]:
        if self.pool is not None:
            return {"pool": self.pool, "hourly_rate": self.hourly_rate}
        return {"activity": self.activity, "fixed_cost": self.fixed_cost}

    def apply(self, model: ProcessModel) -> ProcessModel:
        if self.pool is not None:
            pool = get_pool(model, self.pool)
            return model.with_pool(replace(pool, hourly_rate=self.hourly_rate))
        act = get_activity(model, str(self.activity))
        return model.with_activity(replace(act, fixed_cost=float(self.fixed_cost or 0.0)))
