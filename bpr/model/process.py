"""The process model: typed, immutable dataclasses and the networkx graph derived from them.

A :class:`ProcessModel` holds BPMN-like nodes (start/end/timer events, tasks, and exclusive
``xor``, parallel ``and`` and inclusive ``or`` gateways), sequence flows with branching
probabilities, resource pools with weekly calendars, the case arrival process and costs.
Whether a gateway splits or joins follows from its edges (more than one outgoing: split; more
than one incoming: join).

Units: times in seconds, hourly rates in currency per hour, fixed costs in currency per
execution, ``cases_per_year`` in cases per year.

Changes are made by building new models (``dataclasses.replace`` or the helpers here), never by
mutating one: scenarios are pure functions ``ProcessModel -> ProcessModel``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property
from typing import Any

import networkx as nx

from bpr.model.calendar import Calendar
from bpr.model.distribution import Distribution
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
    @cached_property
    def graph(self) -> nx.DiGraph:
        """The process as a ``networkx.DiGraph``.

        Node attributes: ``kind`` (start/end/timer/task/xor/and/or); tasks also ``pool``,
        ``duration``, ``fixed_cost``, ``delay``; timers ``delay``. Edge attribute: ``probability``.
        Treat it as read-only (it is cached); build a new model to change the process.
        """
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
        state.pop("graph", None)  # cached; rebuilt on demand (keeps pickles small)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
