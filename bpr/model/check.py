"""Structural soundness checks on a process model, done with networkx.

``find_problems(model)`` lists every problem; ``check(model)`` raises the first as a
:class:`ModelError` naming the element (and its file and line when the model came from a file).

Checked: one start event, at least one end; flows between known nodes; degrees (events and tasks
have one way in and out, gateways either split or join); every node reachable from the start and
able to reach an end; parallel and inclusive splits paired with a join of the same kind (the
split's immediate post-dominator); exclusive split probabilities present and summing to 1;
inclusive split probabilities in (0, 1]; pools and calendars that exist, pools used by tasks with
at least one member, calendars with working hours; people, priorities, case attributes and size
limits (:func:`bpr.model.resources.resource_problems`).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

from bpr.errors import ModelError
from bpr.model.process import ALWAYS, ProcessModel
from bpr.model.resources import resource_problems
from bpr.text import did_you_mean

PROBABILITY_TOLERANCE = 1e-6
_VIRTUAL_SINK = "\0sink"


@dataclass(frozen=True)
class Problem:
    """One problem: the element it concerns (node, pool, calendar or flow) and what is wrong."""

    element: str
    message: str

    def error(self, model: ProcessModel) -> ModelError:
        path, line = model.where(self.element)
        if path is None and self.element.startswith("flow:"):
            path, line = model.where(self.element)
        return ModelError(self.message, path=path, line=line)


def split_join_pairs(model: ProcessModel) -> dict[str, str | None]:
    """For each parallel/inclusive split, its matching join (immediate post-dominator) or None."""
    g = model.graph
    rev = g.reverse(copy=True)
    ends = [n for n, d in g.nodes(data=True) if d["kind"] == "end"]
    rev.add_node(_VIRTUAL_SINK)
    for e in ends:
        rev.add_edge(_VIRTUAL_SINK, e)
    try:
        ipdom = nx.immediate_dominators(rev, _VIRTUAL_SINK)
    except (nx.NetworkXError, KeyError):
        ipdom = {}
    pairs: dict[str, str | None] = {}
    for n, d in g.nodes(data=True):
        if d["kind"] in ("and", "or") and g.out_degree(n) > 1:
            join = ipdom.get(n)
            ok = (join is not None and join != _VIRTUAL_SINK and join in g
                  and g.nodes[join]["kind"] == d["kind"] and g.in_degree(join) > 1)
            pairs[n] = join if ok else None
    return pairs


def find_problems(model: ProcessModel) -> list[Problem]:
    """Every structural problem of the model (empty if it is sound enough to simulate)."""
    problems: list[Problem] = []
    add = problems.append
    nodes = set(model.node_names)
    # flows between known nodes
    for f in model.flows:
        for end_name in (f.source, f.target):
            if end_name not in nodes:
                add(Problem(f"flow:{f.source}->{f.target}",
                            f"flow {f.source!r} -> {f.target!r}: unknown node {end_name!r}"
                            f"{did_you_mean(end_name, nodes)}"))
    seen: set[tuple[str, str]] = set()
    for f in model.flows:
        if (f.source, f.target) in seen:
            add(Problem(f"flow:{f.source}->{f.target}",
                        f"flow {f.source!r} -> {f.target!r} is listed twice"))
        seen.add((f.source, f.target))
    if problems:
        return problems
    g = model.graph
    starts = [n for n, d in g.nodes(data=True) if d["kind"] == "start"]
    ends = [n for n, d in g.nodes(data=True) if d["kind"] == "end"]
    if len(starts) != 1:
        add(Problem(starts[1] if len(starts) > 1 else "",
                    f"the model needs exactly one start event, found {len(starts)}"))
    if not ends:
        add(Problem("", "the model has no end event"))
    for n, d in g.nodes(data=True):
        kind = d["kind"]
        i, o = g.in_degree(n), g.out_degree(n)
        noun = "gateway" if kind in ("xor", "and", "or") else "event"
        label = "task" if kind == "task" else f"{kind} {noun}"
        if kind == "start" and (i != 0 or o != 1):
            add(Problem(n, f"start event {n!r} must have no incoming and one outgoing flow "
                        f"(has {i} in, {o} out)"))
        elif kind == "end" and (o != 0 or i < 1):
            add(Problem(n, f"end event {n!r} must have incoming flows and no outgoing flow "
                        f"(has {i} in, {o} out)"))
        elif kind in ("task", "timer") and (i != 1 or o != 1):
            fix = ("join incoming flows with an xor gateway first" if i > 1 else
                   "split outgoing flows with a gateway" if o > 1 else
                   "connect it to the flow")
            add(Problem(n, f"{label} {n!r} must have one incoming and one outgoing flow (has {i} "
                        f"in, {o} out); {fix}"))
        elif kind in ("xor", "and", "or"):
            if i == 0 or o == 0:
                add(Problem(n, f"gateway {n!r} is not connected (has {i} in, {o} out)"))
            elif i > 1 and o > 1:
                add(Problem(n, f"gateway {n!r} both joins and splits ({i} in, {o} out); use a "
                            f"join gateway followed by a split gateway"))
    if problems:
        return problems
    start = starts[0]
    reachable = nx.descendants(g, start) | {start}
    for n in g.nodes:
        if n not in reachable:
            add(Problem(n, f"{n!r} cannot be reached from the start event {start!r}"))
    can_end: set[str] = set()
    for e in ends:
        can_end |= nx.ancestors(g, e) | {e}
    for n in g.nodes:
        if n in reachable and n not in can_end:
            add(Problem(n, f"{n!r} cannot reach an end event (a dead end or an endless loop)"))
    # probabilities
    for n, d in g.nodes(data=True):
        if g.out_degree(n) < 2:
            continue
        probs = [g.edges[n, s]["probability"] for s in g.successors(n)]
        if d["kind"] == "xor":
            if any(p is None for p in probs):
                missing = [s for s in g.successors(n) if g.edges[n, s]["probability"] is None]
                add(Problem(n, f"xor gateway {n!r}: flow to {missing[0]!r} has no probability; "
                            f"give every outgoing flow one, summing to 1"))
            elif abs(sum(probs) - 1.0) > PROBABILITY_TOLERANCE:
                add(Problem(n, f"xor gateway {n!r}: outgoing probabilities sum to "
                            f"{sum(probs):.6g}, not 1"))
        elif d["kind"] == "or" and any(p is None or not 0 < p <= 1 for p in probs):
            add(Problem(n, f"inclusive gateway {n!r}: every outgoing flow needs a probability in "
                        f"(0, 1] (the chance that branch is taken)"))
    if not problems:
        for split, join in split_join_pairs(model).items():
            if join is None:
                kind = "parallel" if g.nodes[split]["kind"] == "and" else "inclusive"
                add(Problem(split, f"{kind} split {split!r} has no matching {kind} join where "
                            f"all its branches meet; add one"))
    # pools and calendars
    for cname, cal in model.calendars.items():
        if not cal.intervals:
            add(Problem(f"calendar:{cname}", f"calendar {cname!r} has no working hours"))
    known_cals = set(model.calendars) | {ALWAYS}
    for p in model.pools.values():
        if p.calendar not in known_cals:
            add(Problem(f"pool:{p.name}", f"pool {p.name!r}: unknown calendar {p.calendar!r}"
                        f"{did_you_mean(p.calendar, known_cals)}"))
    if model.arrivals.calendar not in known_cals:
        add(Problem("", f"arrivals: unknown calendar {model.arrivals.calendar!r}"
                    f"{did_you_mean(model.arrivals.calendar, known_cals)}"))
    for a in model.activities.values():
        if a.pool is None:
            continue
        if a.pool not in model.pools:
            add(Problem(a.name, f"activity {a.name!r}: unknown pool {a.pool!r}"
                        f"{did_you_mean(a.pool, model.pools)}"))
        elif model.pools[a.pool].count < 1:
            add(Problem(a.name, f"activity {a.name!r} needs pool {a.pool!r}, which has no staff "
                        f"(count 0); give the pool at least 1"))
    problems += [Problem(e, m) for e, m in resource_problems(model)]
    return problems


def check(model: ProcessModel) -> ProcessModel:
    """Raise a :class:`ModelError` for the first problem; return the model if it is sound."""
    problems = find_problems(model)
    if problems:
        raise problems[0].error(model)
    return model
