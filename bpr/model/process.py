"""The process model: typed, immutable dataclasses and the networkx graph derived from them.

A :class:`ProcessModel` holds BPMN-like nodes (start/end/timer events, tasks, and exclusive
``xor``, parallel ``and`` and inclusive ``or`` gateways), sequence flows with branching
probabilities, resource pools with weekly calendars, the case arrival process and costs.
Whether a gateway splits or joins follows from its edges (more than one outgoing: split; more
than one incoming: join).

Units: times in seconds, hourly rates in currency per hour, fixed costs in currency per
execution, ``cases_per_year`` in cases per year.

Changes are made by building new models (``dataclasses.replace`` or the helpers here), never by
mutating one: scenarios are pure functions ``ProcessModel -> ProcessModel``. Models are truly
immutable and hashable: their mappings are read-only :class:`~bpr.model.frozen.FrozenMap` objects
(which pickle, so models travel to worker processes), sequences are tuples, and every number is
checked when a part is built (finite, within the limits of :mod:`bpr.model.numbers`).
"""

from __future__ import annotations

import datetime as _dt
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from typing import Any

import networkx as nx

from bpr.errors import ModelError
from bpr.model.calendar import Calendar, check_timezone
from bpr.model.distribution import Distribution
from bpr.model.frozen import FrozenMap, freeze, frozen_map
from bpr.model.numbers import MAX_AMOUNT, MAX_NUMBER, MAX_POOL_COUNT, MAX_SECONDS, number
from bpr.model.resources import Batch, CaseAttribute, Person

GATEWAY_KINDS = ("xor", "and", "or")
EVENT_KINDS = ("start", "end", "timer")
ALWAYS = "always"  # the name of the built-in 24/7 calendar


@dataclass(frozen=True)
class Activity:
    """A task. ``pool`` None means no staff is needed (automated); ``duration`` is working time.

    ``delay`` is an extraneous wait (seconds, not tied to staff) before the task can start, e.g.
    waiting for a customer; it is visible and editable so what-if scenarios can change it.
    ``priority``: in a pool with ``dispatch: priority``, waiting work with a higher priority is
    served first (the case's attribute priorities are added). ``batch``: the cases are gathered
    and executed in batches (see :class:`bpr.model.resources.Batch`).
    """

    name: str
    duration: Distribution
    pool: str | None = None
    fixed_cost: float = 0.0
    delay: Distribution | None = None
    priority: float = 0.0
    batch: Batch | None = None

    def __post_init__(self) -> None:
        _set(self, "fixed_cost", number(self.fixed_cost, f"activity {self.name!r}: fixed_cost",
                                        minimum=0, maximum=MAX_AMOUNT))


@dataclass(frozen=True)
class Gateway:
    """An exclusive (``xor``), parallel (``and``) or inclusive (``or``) gateway."""

    name: str
    kind: str


@dataclass(frozen=True)
class Event:
    """A ``start``, ``end`` or ``timer`` event; a timer waits ``delay`` seconds (no staff)."""

    name: str
    kind: str
    delay: Distribution | None = None


@dataclass(frozen=True)
class Flow:
    """A sequence flow. ``probability``: for xor splits the share of tokens taking this flow;
    for inclusive (or) splits the independent chance that this branch is activated."""

    source: str
    target: str
    probability: float | None = None

    def __post_init__(self) -> None:
        if self.probability is not None:
            _set(self, "probability", number(self.probability, f"flow {self.source!r} -> "
                                             f"{self.target!r}: probability", minimum=0,
                                             maximum=1 + 1e-9))


@dataclass(frozen=True)
class Pool:
    r"""``count`` interchangeable staff sharing a working ``calendar``.

    ``hourly_rate`` is currency per busy hour (None: unknown, report hours only).
    ``members`` optionally names the people (used in simulated logs); when shorter than
    ``count``, further members are named ``<pool>-<n>``. A member defined in the model's
    ``people`` is that person (their own calendar, availability and speed, shared with the other
    pools they belong to); other members are interchangeable staff on the pool's calendar.
    ``dispatch``: how waiting work is ordered (``fifo`` or ``priority``, see
    :data:`bpr.model.resources.DISPATCH_RULES`). ``shift_end``: work running at the end of a
    shift ``pause``\ s and resumes at the next open moment (the member held), or the member
    ``finish``\ es it after hours.
    """

    name: str
    count: int
    calendar: str = ALWAYS
    hourly_rate: float | None = None
    members: tuple[str, ...] = ()
    dispatch: str = "fifo"
    shift_end: str = "pause"

    def __post_init__(self) -> None:
        what = f"pool {self.name!r}"
        _set(self, "count", number(self.count, f"{what}: count", minimum=0,
                                   maximum=MAX_POOL_COUNT, integer=True))
        if self.hourly_rate is not None:
            _set(self, "hourly_rate", number(self.hourly_rate, f"{what}: hourly_rate", minimum=0,
                                             maximum=MAX_AMOUNT))
        if not isinstance(self.members, list | tuple) or not all(
                isinstance(m, str) for m in self.members):
            raise ModelError(f"{what}: members must be a list of names")
        _set(self, "members", tuple(self.members))

    def member_names(self) -> list[str]:
        names = list(self.members[: self.count])
        names += [f"{self.name}-{i + 1}" for i in range(len(names), self.count)]
        return names


@dataclass(frozen=True)
class Arrivals:
    """New cases: ``interarrival`` seconds between arrivals, counted in ``calendar`` open time."""

    interarrival: Distribution
    calendar: str = ALWAYS


@dataclass(frozen=True)
class Observed:
    """What the as-is log showed (set by mining; informational except ``cases_per_year``)."""

    log: str
    cases: int
    events: int
    first_event: str
    last_event: str
    cases_per_year: float
    start_times_estimated: bool = False
    activity_count: Mapping[str, int] = field(default_factory=dict)
    activity_waiting_seconds: Mapping[str, float] = field(default_factory=dict)
    flow_count: Mapping[str, int] = field(default_factory=dict)
    cycle_time_median_seconds: float = 0.0
    cycle_time_p90_seconds: float = 0.0

    def __post_init__(self) -> None:
        for f in fields(self):
            _set(self, f.name, observed_value(f.name, getattr(self, f.name)))


_OBSERVED_TYPES = {"log": "text", "cases": "count", "events": "count", "first_event": "time",
                   "last_event": "time", "cases_per_year": "number",
                   "start_times_estimated": "flag", "activity_count": "counts",
                   "activity_waiting_seconds": "seconds", "flow_count": "counts",
                   "cycle_time_median_seconds": "second", "cycle_time_p90_seconds": "second"}


def observed_value(name: str, value: Any, what: str | None = None) -> Any:
    """``value`` checked (and normalised) for the :class:`Observed` field ``name``; a
    :class:`ModelError` naming ``what`` (default: the field) otherwise."""
    kind = _OBSERVED_TYPES[name]
    label = name if what is None else what
    prefix = f"{label}: " if label else ""
    if kind in ("text", "time"):
        if kind == "time" and isinstance(value, _dt.date):  # an unquoted YAML timestamp
            return value.isoformat()
        if not isinstance(value, str):
            raise ModelError(f"{prefix}expected text, got {type(value).__name__}")
        return value
    if kind == "flag":
        if not isinstance(value, bool):
            raise ModelError(f"{prefix}expected true or false, got {value!r}")
        return value
    if kind in ("counts", "seconds"):
        if not isinstance(value, Mapping):
            raise ModelError(f"{prefix}expected a mapping of names to "
                             f"{'counts' if kind == 'counts' else 'seconds'}, got "
                             f"{type(value).__name__}")
        return FrozenMap({str(k): number(v, f"{label}[{str(k)!r}]", minimum=0,
                                         integer=kind == "counts",
                                         maximum=MAX_NUMBER if kind == "counts" else MAX_SECONDS)
                          for k, v in value.items()})
    if kind == "count":
        return number(value, label, minimum=0, integer=True)
    return number(value, label, minimum=0,
                  maximum=MAX_SECONDS if kind == "second" else MAX_NUMBER)


def plain_data(value: Any, what: str) -> FrozenMap[str, Any]:
    """Free-form plain data (a mapping of text, numbers, flags, lists, mappings) frozen, with
    every number finite and within :data:`~bpr.model.numbers.MAX_NUMBER`; an error naming the
    nested field otherwise."""
    prefix = f"{what}: " if what else ""
    if not isinstance(value, Mapping):
        raise ModelError(f"{prefix}expected a mapping, got {type(value).__name__}")

    def walk(v: Any, where: str) -> None:
        if isinstance(v, Mapping):
            for k, x in v.items():
                walk(x, f"{where}.{k}" if where else str(k))
        elif isinstance(v, list | tuple):
            for i, x in enumerate(v):
                walk(x, f"{where}[{i}]")
        elif isinstance(v, int | float) and not isinstance(v, bool):
            try:
                number(v, where, maximum=MAX_NUMBER)
            except ModelError as err:
                raise ModelError(prefix + err.detail) from None

    walk(value, "")
    return freeze(value)


def _set(obj: Any, name: str, value: Any) -> None:
    """Set a field of a frozen dataclass while it is being built (normalising a value)."""
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class ProcessModel:
    """A simulation-ready process model. ``graph`` is its networkx view (see :meth:`graph`)."""

    name: str
    activities: Mapping[str, Activity]
    flows: tuple[Flow, ...]
    pools: Mapping[str, Pool] = field(default_factory=dict)
    calendars: Mapping[str, Calendar] = field(default_factory=dict)
    arrivals: Arrivals = field(default_factory=lambda: Arrivals(Distribution.exponential(3600)))
    gateways: Mapping[str, Gateway] = field(default_factory=dict)
    events: Mapping[str, Event] = field(
        default_factory=lambda: {"start": Event("start", "start"), "end": Event("end", "end")})
    description: str = ""
    timezone: str = "UTC"
    currency: str | None = None
    observed: Observed | None = None
    calibration: Mapping[str, Any] | None = None
    people: Mapping[str, Person] = field(default_factory=dict)
    case_attributes: Mapping[str, CaseAttribute] = field(default_factory=dict)
    # Where each element was defined (file, line): for error messages only, not compared.
    source: Mapping[str, tuple[str, int | None]] = field(default_factory=dict, compare=False,
                                                         repr=False)
    # The networkx view, built on first use (never compared, pickled or copied by replace).
    _graph: nx.DiGraph | None = field(default=None, init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        for name in ("activities", "pools", "calendars", "gateways", "events", "people",
                     "case_attributes", "source"):
            _set(self, name, frozen_map(getattr(self, name)))
        _set(self, "flows", tuple(self.flows))
        if self.calibration is not None:
            _set(self, "calibration", plain_data(self.calibration, "calibration"))
        check_timezone(self.timezone)

    # -- lookups ---------------------------------------------------------------------------------
    def calendar(self, name: str) -> Calendar:
        """The calendar called ``name`` (``always`` is built in)."""
        if name == ALWAYS and name not in self.calendars:
            return Calendar.always()
        return self.calendars[name]

    def node_kind(self, name: str) -> str:
        """``task``, a gateway kind (``xor``/``and``/``or``) or an event kind."""
        if name in self.activities:
            return "task"
        if name in self.gateways:
            return self.gateways[name].kind
        return self.events[name].kind

    @property
    def node_names(self) -> list[str]:
        return [*self.events, *self.activities, *self.gateways]

    @property
    def start_event(self) -> str:
        return next(n for n, e in self.events.items() if e.kind == "start")

    def where(self, element: str) -> tuple[str | None, int | None]:
        """(file, line) where ``element`` was defined, if known."""
        return self.source.get(element, (None, None))

    # -- the graph -------------------------------------------------------------------------------
    @property
    def graph(self) -> nx.DiGraph:
        """The process as a frozen ``networkx.DiGraph`` (built once; read-only).

        Node attributes: ``kind`` (start/end/timer/task/xor/and/or); tasks also ``pool``,
        ``duration``, ``fixed_cost``, ``delay``; timers ``delay``. Edge attribute: ``probability``.
        Build a new model to change the process (``nx.DiGraph(model.graph)`` is a mutable copy).
        """
        g = self._graph
        if g is None:
            g = nx.freeze(self._build_graph())
            _set(self, "_graph", g)
        return g

    def _build_graph(self) -> nx.DiGraph:
        g = nx.DiGraph(name=self.name)
        for e in self.events.values():
            g.add_node(e.name, kind=e.kind, delay=e.delay)
        for a in self.activities.values():
            g.add_node(a.name, kind="task", pool=a.pool, duration=a.duration,
                       fixed_cost=a.fixed_cost, delay=a.delay)
        for gw in self.gateways.values():
            g.add_node(gw.name, kind=gw.kind)
        for f in self.flows:
            g.add_edge(f.source, f.target, probability=f.probability)
        return g

    # -- functional updates ---------------------------------------------------------------------
    def with_activity(self, activity: Activity) -> ProcessModel:
        """A copy with ``activity`` added or replaced (by name)."""
        return replace(self, activities={**self.activities, activity.name: activity})

    def with_pool(self, pool: Pool) -> ProcessModel:
        """A copy with ``pool`` added or replaced (by name)."""
        return replace(self, pools={**self.pools, pool.name: pool})

    # -- files ---------------------------------------------------------------------------------
    def save(self, path: str) -> None:
        """Write the model to ``path`` (``.yaml``; ``.bpmn`` where the BPMN module is present)."""
        from bpr.model.files import save_model

        save_model(self, path)

    @classmethod
    def load(cls, path: str) -> ProcessModel:
        """Read and check a model file (``.yaml``, ``.json`` Prosimos-free bpr JSON, ``.bpmn``)."""
        from bpr.model.files import load_model

        return load_model(path)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state["_graph"] = None  # cached; rebuilt on demand (keeps pickles small)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
