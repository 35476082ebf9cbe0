"""Structural soundness checks on a process model, done with networkx.

``find_problems(model)`` lists every problem; ``check(model)`` raises the first as a
:class:`ModelError` naming the element (and its file and line when the model came from a file).

Checked: one start event, at least one end; flows between known nodes; degrees (events and tasks
have one way in and out, gateways either split or join); every node reachable from the start and
able to reach an end; parallel and inclusive splits paired with a join of the same kind (the
split's immediate post-dominator); every parallel or inclusive join the join of such a split
(otherwise a token waits at it forever; an xor split whose branches meet at a parallel join is
named as the deadlock it is); exclusive split probabilities present and summing to 1; inclusive
split probabilities in (0, 1]; **bounded work**: no loop that cases cannot leave (every exit
flow has probability 0), and no node visited more than :data:`MAX_EXPECTED_VISITS` times per
case on average (:func:`expected_visits`, from the branching probabilities); pools and calendars
that exist, pools used by tasks with at least one member, calendars with working hours;
people, priorities, case attributes and size limits
(:func:`bpr.model.resources.resource_problems`). So
``bpr check`` refuses everything ``bpr simulate`` would refuse in a model.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import networkx as nx
import numpy as np

from bpr.errors import ModelError
from bpr.model.process import ALWAYS, ProcessModel
from bpr.model.resources import resource_problems
from bpr.text import did_you_mean

PROBABILITY_TOLERANCE = 1e-6
#: the most times one node may be visited per case on average (rework loops included)
MAX_EXPECTED_VISITS = 1000.0
#: above this many gateways and events the visit equations are solved with sparse matrices
DENSE_LIMIT = 1500
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


def _post_dominators(g: nx.DiGraph) -> dict[str, str]:
    """Each node's immediate post-dominator (the virtual sink after the end events)."""
    rev = g.reverse(copy=True)
    ends = [n for n, d in g.nodes(data=True) if d["kind"] == "end"]
    rev.add_node(_VIRTUAL_SINK)
    for e in ends:
        rev.add_edge(_VIRTUAL_SINK, e)
    try:
        return dict(nx.immediate_dominators(rev, _VIRTUAL_SINK))
    except (nx.NetworkXError, KeyError):
        return {}


def split_join_pairs(model: ProcessModel) -> dict[str, str | None]:
    """For each parallel/inclusive split, its matching join (immediate post-dominator) or None."""
    g = model.graph
    ipdom = _post_dominators(g)
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
        pairs = split_join_pairs(model)
        for split, join in pairs.items():
            if join is None:
                kind = "parallel" if g.nodes[split]["kind"] == "and" else "inclusive"
                add(Problem(split, f"{kind} split {split!r} has no matching {kind} join where "
                            f"all its branches meet; add one"))
        problems += _orphan_joins(model, pairs)
        if not problems:
            problems += _unbounded_loops(model, pairs)
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


def _orphan_joins(model: ProcessModel, pairs: dict[str, str | None]) -> list[Problem]:
    """Parallel/inclusive joins that are no split's join: a token would wait there forever."""
    g = model.graph
    joins = {j for j in pairs.values() if j is not None}
    orphans = [n for n, d in g.nodes(data=True)
               if d["kind"] in ("and", "or") and g.in_degree(n) > 1 and n not in joins]
    if not orphans:
        return []
    ipdom = _post_dominators(g)
    out: list[Problem] = []
    for n in orphans:
        kind = "parallel" if g.nodes[n]["kind"] == "and" else "inclusive"
        xor = next((x for x, d in g.nodes(data=True) if d["kind"] == "xor"
                    and g.out_degree(x) > 1 and ipdom.get(x) == n), None)
        if xor is not None and kind == "parallel":
            out.append(Problem(n, f"xor split {xor!r} sends each case down one branch, but its "
                               f"branches meet at parallel join {n!r}, which waits for all of "
                               f"them: the case would wait forever (deadlock); merge them with "
                               f"an xor gateway"))
        else:
            out.append(Problem(n, f"{kind} join {n!r} is not the join of any {kind} split, so a "
                               f"token would wait for it forever; use an xor gateway to merge "
                               f"these flows"))
    return out


def _branch_weights(model: ProcessModel, n: str) -> dict[str, float]:
    """Expected tokens sent down each outgoing flow of ``n`` per token arriving at it."""
    g = model.graph
    succ = list(g.successors(n))
    kind = g.nodes[n]["kind"]
    if len(succ) < 2 or kind == "and":
        return dict.fromkeys(succ, 1.0)
    probs = [float(g.edges[n, s]["probability"]) for s in succ]
    if kind == "xor":
        return dict(zip(succ, probs, strict=True))
    # inclusive: each branch by its chance; when none is drawn, one by the same weights
    none = math.prod(1.0 - p for p in probs)
    total = sum(probs)
    return {s: p + none * p / total for s, p in zip(succ, probs, strict=True)}


def expected_visits(model: ProcessModel,
                    pairs: dict[str, str | None] | None = None) -> dict[str, float]:
    """The expected number of times each node is visited per case (tokens through it).

    The branching probabilities make the process an absorbing Markov chain (parallel and
    inclusive branches add tokens, their join sends on one per split): the visits ``v`` solve
    ``v = e_start + A v`` on the gateways and events, the tasks and timers between them carrying
    the flow of their chain. Nodes of a loop that cannot be left get ``inf``. The model must
    pass the structural checks (:func:`find_problems` calls this only then); ``pairs`` are its
    :func:`split_join_pairs` if already computed.
    """
    g = model.graph
    pairs = split_join_pairs(model) if pairs is None else pairs
    join_split = {j: s for s, j in pairs.items() if j is not None}
    keys = [n for n, d in g.nodes(data=True) if d["kind"] not in ("task", "timer")]
    index = {n: i for i, n in enumerate(keys)}
    rows: list[int] = []
    cols: list[int] = []
    vals: list[float] = []
    chains: list[tuple[int, float, list[str]]] = []  # (source key, weight, tasks on the chain)
    for k in keys:
        src = index[join_split.get(k, k)]  # a paired join passes on one token per split
        for s, w in _branch_weights(model, k).items():
            chain: list[str] = []
            node = s
            while node not in index and len(chain) <= len(g):
                chain.append(node)
                node = next(iter(g.successors(node)))
            if node not in index:
                continue  # a cycle of tasks alone (unreachable; reported elsewhere)
            chains.append((src, w, chain))
            rows.append(index[node])
            cols.append(src)
            vals.append(w)
    v = _solve(len(keys), rows, cols, vals, index[model.start_event])
    out = {k: float(v[i]) for k, i in index.items()}
    for src, w, chain in chains:
        for t in chain:
            out[t] = out.get(t, 0.0) + float(v[src]) * w
    return out


def _solve(n: int, rows: list[int], cols: list[int], vals: list[float], start: int) -> np.ndarray:
    """``v`` with ``(I - A) v = e_start``; ``inf`` everywhere if the system is singular."""
    b = np.zeros(n)
    b[start] = 1.0
    with np.errstate(all="ignore"):
        if n <= DENSE_LIMIT:
            a = np.eye(n)
            np.add.at(a, (rows, cols), -np.asarray(vals, dtype=float))
            try:
                v = np.linalg.solve(a, b)
            except np.linalg.LinAlgError:
                return np.full(n, np.inf)
        else:  # large models: sparse (scipy is imported only here)
            import warnings

            from scipy import sparse
            from scipy.sparse.linalg import spsolve

            a_s = sparse.identity(n, format="csc") - sparse.csc_matrix(
                (vals, (rows, cols)), shape=(n, n))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                v = spsolve(a_s, b)
    if not np.all(np.isfinite(v)) or np.any(v < -1e-9):
        return np.full(n, np.inf)
    return np.maximum(v, 0.0)


def _unbounded_loops(model: ProcessModel, pairs: dict[str, str | None]) -> list[Problem]:
    """Loops cases cannot leave, and nodes visited more than MAX_EXPECTED_VISITS times."""
    g = model.graph
    if nx.is_directed_acyclic_graph(g):
        return []
    start = model.start_event
    ends = [n for n, d in g.nodes(data=True) if d["kind"] == "end"]
    # flows that can be taken (an xor flow of probability 0 never is)
    live = nx.DiGraph()
    live.add_nodes_from(g)
    live.add_edges_from((a, b) for a, b, p in g.edges(data="probability")
                        if not (g.nodes[a]["kind"] == "xor" and g.out_degree(a) > 1 and p == 0))
    reached = nx.descendants(live, start) | {start}
    can_end: set[str] = set()
    for e in ends:
        can_end |= nx.ancestors(live, e) | {e}
    trapped = [n for n in g if n in reached and n not in can_end]
    if trapped:
        stuck = set(trapped)
        split = next((n for n in trapped if g.nodes[n]["kind"] == "xor" and any(
            s not in stuck for s in g.successors(n))), trapped[0])
        inside = [n for n in trapped if n in model.activities][:3] or trapped[:3]
        return [Problem(split, f"cases that reach {split!r} can never leave the loop through "
                        f"{', '.join(repr(n) for n in inside)}: every flow out of it has "
                        f"probability 0; give an exit flow a probability above 0")]
    visits = expected_visits(model, pairs)
    over = [n for n in visits if visits[n] > MAX_EXPECTED_VISITS]
    if not over:
        return []
    # name the most visited task (what a reader recognises), else the most visited node
    worst = max(over, key=lambda n: (n in model.activities, visits[n]))
    loop = next(c for c in nx.strongly_connected_components(g) if worst in c)
    exits = {x: sum(p for s, p in _branch_weights(model, x).items() if s not in loop)
             for x in loop if g.nodes[x]["kind"] == "xor" and g.out_degree(x) > 1}
    gate = min(exits, key=lambda x: exits[x]) if exits else worst
    how = (f"the loop at xor gateway {gate!r} is left with probability {exits[gate]:.3g}"
           if exits else "its loop is hardly ever left")
    times = "forever" if math.isinf(visits[worst]) else f"about {visits[worst]:,.0f} times"
    return [Problem(gate, f"{worst!r} would run {times} per case on average ({how}); the limit "
                    f"is {MAX_EXPECTED_VISITS:,.0f} expected visits per case: raise the exit "
                    f"probability")]


def check(model: ProcessModel) -> ProcessModel:
    """Raise a :class:`ModelError` for the first problem; return the model if it is sound."""
    problems = find_problems(model)
    if problems:
        raise problems[0].error(model)
    return model
