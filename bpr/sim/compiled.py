"""The process model compiled once into integer-indexed structures the engine walks quickly.

Nodes are numbered; each node has a small integer ``op`` (what the engine does there) and its
successors as a tuple of node numbers. Parallel (``and``) and inclusive (``or``) splits know their
paired join (:func:`bpr.model.check.split_join_pairs`); xor splits carry cumulative branching
probabilities; or splits the independent activation probability of each branch.

Calendars are compiled to :class:`FastCalendar`: the same pause-and-resume arithmetic as
:meth:`bpr.model.calendar.Calendar.work_end`, on *simulation seconds* (seconds since the start of
the run) shifted by the start's offset within the local week, with a fast path for 24/7.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass, field

import networkx as nx

from bpr.errors import ModelError
from bpr.model.calendar import WEEK, Calendar
from bpr.model.check import check, split_join_pairs
from bpr.model.distribution import Distribution
from bpr.model.process import ProcessModel
from bpr.model.resources import Batch, Person

# node operations
OP_PASS = 0      # xor merge, single-flow gateway, or a join not paired with a split
OP_TASK = 1
OP_XOR = 2       # exclusive split
OP_AND = 3       # parallel split
OP_OR = 4        # inclusive split
OP_END = 5
OP_TIMER = 6
OP_JOIN = 7      # join of a parallel/inclusive split (a branch token stops here)


class FastCalendar:
    """Working-time arithmetic on simulation seconds (``t + offset`` is seconds since Monday
    00:00 local time of the first week). ``work_end`` pauses outside open hours and resumes."""

    __slots__ = ("always", "offset", "starts", "ends", "weekly", "calendar")

    def __init__(self, calendar: Calendar, offset: float):
        self.calendar = calendar
        self.always = calendar.is_always
        self.offset = float(offset)
        self.starts = [float(a) for a, _ in calendar.intervals]
        self.ends = [float(b) for _, b in calendar.intervals]
        self.weekly = float(calendar.open_seconds_per_week)
        if not self.always and self.weekly <= 0:
            raise ModelError("calendar has no working hours")

    def next_open(self, t: float) -> float:
        """The first open moment at or after simulation time ``t``."""
        if self.always:
            return t
        x = t + self.offset
        base = math.floor(x / WEEK) * WEEK
        w = x - base
        i = bisect.bisect_right(self.starts, w) - 1
        if i >= 0 and w < self.ends[i]:
            return t
        # max(): shifting by the offset and back must never move a time before ``t``
        if i + 1 < len(self.starts):
            return max(t, base + self.starts[i + 1] - self.offset)
        return max(t, base + WEEK + self.starts[0] - self.offset)

    def work_end(self, t: float, work: float) -> float:
        """When ``work`` working seconds started (or queued) at simulation time ``t`` are done
        (the rule of :meth:`Calendar.work_end`, on precomputed interval lists)."""
        if self.always:
            return t + work
        off = self.offset
        starts = self.starts
        ends = self.ends
        last = len(starts)
        x = t + off
        base = math.floor(x / WEEK) * WEEK
        w = x - base
        i = bisect.bisect_right(starts, w) - 1
        if i < 0 or w >= ends[i]:  # closed now: go to the next open interval
            i += 1
            if i == last:
                base += WEEK
                i = 0
            w = starts[i]
        left = work
        weekly = self.weekly
        if left > weekly:  # skip whole weeks
            weeks = math.floor(left / weekly)
            if left - weeks * weekly == 0:
                weeks -= 1
            base += weeks * WEEK
            left -= weeks * weekly
        while True:
            avail = ends[i] - w
            if left <= avail:
                return max(t, base + w + left - off)
            left -= avail
            i += 1
            if i == last:
                base += WEEK
                i = 0
            w = starts[i]

    def working_seconds(self, a: float, b: float) -> float:
        """Open seconds between simulation times ``a`` and ``b``."""
        return self.calendar.working_seconds(a + self.offset, b + self.offset)


@dataclass
class CompiledModel:
    """The model as arrays indexed by node number (see the module doc)."""

    model: ProcessModel
    names: list[str]                 # node number -> node name
    op: list[int]
    succ: list[tuple[int, ...]]
    first: int                       # the node after the start event
    join_of: dict[int, int]          # and/or split -> its join
    xor_cum: dict[int, list[float]]  # xor split -> cumulative probabilities (last forced to 1)
    or_prob: dict[int, list[float]]  # or split -> activation probability per outgoing flow
    in_cycle: list[bool]             # node lies on a cycle (may be visited twice by a case)
    # tasks
    task_index: dict[int, int]       # node -> activity number (0..A-1)
    activity_names: list[str]
    activity_pool: list[int]         # activity number -> pool number or -1
    activity_fixed_cost: list[float]
    activity_duration: list[Distribution]
    activity_delay: list[Distribution | None]
    timer_delay: dict[int, Distribution]
    # pools
    pool_names: list[str]
    pool_count: list[int]
    pool_calendar: list[Calendar]
    pool_rate: list[float | None]
    pool_members: list[list[str]]
    has_costs: bool
    # dispatch (see bpr.sim.dispatch and bpr.sim.people)
    pool_dispatch: list[str] = field(default_factory=list)   # dispatch rule name per pool
    pool_finish: list[bool] = field(default_factory=list)    # shift_end == "finish"
    # per pool: person number of each member slot (-1: interchangeable staff), or None for a
    # pool without people (the fast path)
    pool_slot_person: list[list[int] | None] = field(default_factory=list)
    people: list[Person] = field(default_factory=list)      # person number -> Person
    activity_priority: list[float] = field(default_factory=list)
    activity_batch: list[Batch | None] = field(default_factory=list)
    # case attributes that set priorities: (name, values, cumulative shares, priority per value)
    case_priorities: list[tuple[str, list[str], list[float], list[float]]] = field(
        default_factory=list)


def compile_model(model: ProcessModel) -> CompiledModel:
    """Check ``model`` (raising :class:`ModelError` naming the element) and compile it."""
    check(model)
    g = model.graph
    names = list(g.nodes)
    index = {n: i for i, n in enumerate(names)}
    pairs = split_join_pairs(model)
    joins = {j for j in pairs.values() if j is not None}
    cyclic: set[str] = set()
    for comp in nx.strongly_connected_components(g):
        if len(comp) > 1:
            cyclic |= comp
    cyclic |= {n for n in g.nodes if g.has_edge(n, n)}

    activity_names = list(model.activities)
    act_index = {a: i for i, a in enumerate(activity_names)}
    pool_names = list(model.pools)
    pool_index = {p: i for i, p in enumerate(pool_names)}

    op: list[int] = []
    succ: list[tuple[int, ...]] = []
    join_of: dict[int, int] = {}
    xor_cum: dict[int, list[float]] = {}
    or_prob: dict[int, list[float]] = {}
    task_index: dict[int, int] = {}
    timer_delay: dict[int, Distribution] = {}
    for i, n in enumerate(names):
        kind = g.nodes[n]["kind"]
        out = [s for s in g.successors(n)]
        succ.append(tuple(index[s] for s in out))
        if kind == "task":
            op.append(OP_TASK)
            task_index[i] = act_index[n]
        elif kind == "end":
            op.append(OP_END)
        elif kind == "timer":
            op.append(OP_TIMER)
            delay = model.events[n].delay
            timer_delay[i] = delay if delay is not None else Distribution.fixed(0.0)
        elif kind == "start":
            op.append(OP_PASS)
        elif n in joins:
            op.append(OP_JOIN)
        elif len(out) < 2:
            op.append(OP_PASS)
        elif kind == "xor":
            op.append(OP_XOR)
            probs = [float(g.edges[n, s]["probability"]) for s in out]
            total = sum(probs)
            cum, acc = [], 0.0
            for p in probs:
                acc += p / total
                cum.append(acc)
            cum[-1] = 1.0
            xor_cum[i] = cum
        elif kind == "and":
            op.append(OP_AND)
        else:
            op.append(OP_OR)
            or_prob[i] = [float(g.edges[n, s]["probability"]) for s in out]
    for split, join in pairs.items():
        if join is not None:
            join_of[index[split]] = index[join]
    start = model.start_event
    first = index[next(iter(g.successors(start)))]

    pools = [model.pools[p] for p in pool_names]
    has_costs = any(a.fixed_cost for a in model.activities.values()) or any(
        p.hourly_rate is not None for p in pools) or any(
        person.hourly_rate is not None for person in model.people.values())
    people = list(model.people.values())
    person_index = {person.name: i for i, person in enumerate(people)}
    slot_person: list[list[int] | None] = []
    for pool in pools:
        slots = [person_index.get(n, -1) for n in pool.member_names()]
        slot_person.append(slots if any(i >= 0 for i in slots) else None)
    case_priorities = []
    for attr in model.case_attributes.values():
        if attr.priority:
            cum, acc = [], 0.0
            for _, share in attr.values:
                acc += share
                cum.append(acc)
            cum[-1] = 1.0
            case_priorities.append((attr.name, [v for v, _ in attr.values], cum,
                                    [attr.priority_of(v) for v, _ in attr.values]))
    return CompiledModel(
        model=model, names=names, op=op, succ=succ, first=first, join_of=join_of,
        xor_cum=xor_cum, or_prob=or_prob, in_cycle=[n in cyclic for n in names],
        task_index=task_index, activity_names=activity_names,
        activity_pool=[-1 if (pn := model.activities[a].pool) is None else pool_index[pn]
                       for a in activity_names],
        activity_fixed_cost=[float(model.activities[a].fixed_cost) for a in activity_names],
        activity_duration=[model.activities[a].duration for a in activity_names],
        activity_delay=[model.activities[a].delay for a in activity_names],
        timer_delay=timer_delay, pool_names=pool_names, pool_count=[p.count for p in pools],
        pool_calendar=[model.calendar(p.calendar) for p in pools],
        pool_rate=[p.hourly_rate for p in pools],
        pool_members=[p.member_names() for p in pools], has_costs=has_costs,
        pool_dispatch=[p.dispatch for p in pools],
        pool_finish=[p.shift_end == "finish" for p in pools],
        pool_slot_person=slot_person, people=people,
        activity_priority=[float(model.activities[a].priority) for a in activity_names],
        activity_batch=[model.activities[a].batch for a in activity_names],
        case_priorities=case_priorities,
    )
