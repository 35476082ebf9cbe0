"""Branching probabilities by replaying the log's variants on the bpr graph (a token game).

Method. Every flow is a place; a token starts on the start event's outgoing flow. Tasks are
visible transitions labelled with their activity; gateways and events are silent transitions
(an xor split has one transition per outgoing flow, an xor join one per incoming flow, an and
split/join one each, an inclusive split one per non-empty subset of its outgoing flows and an
inclusive join one per non-empty subset of its incoming flows; the end event consumes a token).
For each event of a trace, a breadth-first search over silent transitions finds the *shortest*
sequence of silent moves that puts a token in front of that activity; the xor and inclusive
choices on that sequence are the path choices the case made. After the last event the same search
empties the net (the remaining choices, e.g. leaving a loop or skipping an optional part). Results
are memoised per (marking, activity), and variants are replayed once with their case counts, so
the cost depends on the number of distinct variants, not cases.

Non-fitting traces are handled gracefully: an event whose activity cannot be enabled (it is not
in the model, or the search exceeds its state budget) is skipped (a "log move"); a trace that
cannot complete contributes the choices it made so far.

Probabilities: for an xor split, the share of its firings that took each flow; for an inclusive
split, the share of its firings that activated each flow. Unvisited splits get equal shares.
Rounded to ``decimals`` with the last xor flow fixed so the shares sum to exactly 1.
"""

from __future__ import annotations

import itertools
from collections import Counter, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import networkx as nx

MAX_STATES = 20000  # breadth-first search budget per (marking, activity)

Marking = tuple[int, ...]  # sorted flow indices (a multiset)


@dataclass
class Replay:
    """Replay results: choices per split flow and tokens per flow, weighted by case counts."""

    split_count: Counter  # split node -> firings
    flow_choice: Counter  # (split, target) -> times chosen (xor) or activated (or)
    flow_tokens: Counter  # (source, target) -> tokens that passed
    fitting_cases: int
    cases: int
    skipped_events: int


class _Net:
    def __init__(self, g: nx.DiGraph):
        self.edges = list(g.edges)
        self.index = {e: i for i, e in enumerate(self.edges)}
        # transition: (consume tuple, produce tuple, label or None, split node or None)
        self.silent: list[tuple[tuple[int, ...], tuple[int, ...], str | None]] = []
        self.task_in: dict[str, int] = {}
        self.task_out: dict[str, int] = {}
        self.start_marking: Marking = ()
        for n, d in g.nodes(data=True):
            ins = [self.index[(p, n)] for p in g.predecessors(n)]
            outs = [self.index[(n, s)] for s in g.successors(n)]
            kind = d["kind"]
            if kind == "task":
                self.task_in[n], self.task_out[n] = ins[0], outs[0]
            elif kind == "start":
                self.start_marking = tuple(sorted(outs))
            elif kind == "end":
                for i in ins:
                    self.silent.append(((i,), (), None))
            elif kind == "timer":
                self.silent.append(((ins[0],), (outs[0],), None))
            elif kind == "xor":
                if len(outs) > 1:
                    for o in outs:
                        self.silent.append(((ins[0],), (o,), n))
                else:
                    for i in ins:
                        self.silent.append(((i,), tuple(outs), None))
            elif kind == "and":
                self.silent.append((tuple(sorted(ins)), tuple(sorted(outs)), n if len(outs) > 1
                                    else None))
            elif kind == "or":
                if len(outs) > 1:
                    for k in range(1, len(outs) + 1):
                        for sub in itertools.combinations(outs, k):
                            self.silent.append(((ins[0],), tuple(sub), n))
                else:
                    for k in range(1, len(ins) + 1):
                        for sub in itertools.combinations(ins, k):
                            self.silent.append((tuple(sub), tuple(outs), None))
        self.by_input: dict[int, list[int]] = {}
        for t, (cons, _, _) in enumerate(self.silent):
            self.by_input.setdefault(cons[0], []).append(t)
        self.limit = 2 * len(self.edges) + 2

    def fire(self, m: Marking, t: int) -> Marking | None:
        cons, prod, _ = self.silent[t]
        lst = list(m)
        for c in cons:
            try:
                lst.remove(c)
            except ValueError:
                return None
        lst.extend(prod)
        if len(lst) > self.limit:
            return None
        return tuple(sorted(lst))

    def search(self, m: Marking, goal_edge: int | None) -> tuple[Marking, tuple[int, ...]] | None:
        """Shortest silent path from ``m`` to a marking holding ``goal_edge`` (None: empty)."""
        def done(x: Marking) -> bool:
            return (goal_edge in x) if goal_edge is not None else not x

        if done(m):
            return m, ()
        parent: dict[Marking, tuple[Marking, int] | None] = {m: None}
        queue = deque([m])
        while queue:
            cur = queue.popleft()
            for place in sorted(set(cur)):
                if goal_edge is not None and place == goal_edge:
                    continue
                for t in self.by_input.get(place, ()):
                    nxt = self.fire(cur, t)
                    if nxt is None or nxt in parent:
                        continue
                    parent[nxt] = (cur, t)
                    if done(nxt):
                        path = []
                        x = nxt
                        while parent[x] is not None:
                            prev, tt = parent[x]  # type: ignore[misc]
                            path.append(tt)
                            x = prev
                        return nxt, tuple(reversed(path))
                    if len(parent) > MAX_STATES:
                        return None
                    queue.append(nxt)
        return None


def replay(g: nx.DiGraph, variants: Mapping[tuple[str, ...], int]) -> Replay:
    """Replay ``variants`` (activity sequence -> case count) on flow graph ``g``."""
    net = _Net(g)
    split_count: Counter = Counter()
    flow_choice: Counter = Counter()
    flow_tokens: Counter = Counter()
    memo: dict[tuple[Marking, str | None], tuple[Marking, tuple[int, ...]] | None] = {}
    fitting = skipped = total = 0

    def step(m: Marking, label: str | None) -> tuple[Marking, tuple[int, ...]] | None:
        key = (m, label)
        if key not in memo:
            goal = None if label is None else net.task_in[label]
            memo[key] = net.search(m, goal)
        return memo[key]

    for trace, count in variants.items():
        total += count
        m = net.start_marking
        for e in m:
            flow_tokens[net.edges[e]] += count
        fits = True
        for a in trace:
            res = step(m, a) if a in net.task_in else None
            if res is None:
                skipped += count
                fits = False
                continue
            m, path = res
            _count_path(net, path, count, split_count, flow_choice, flow_tokens)
            lst = list(m)
            lst.remove(net.task_in[a])
            lst.append(net.task_out[a])
            m = tuple(sorted(lst))
            flow_tokens[net.edges[net.task_out[a]]] += count
        res = step(m, None)
        if res is None:
            fits = False
        else:
            _count_path(net, res[1], count, split_count, flow_choice, flow_tokens)
        fitting += count if fits else 0
    return Replay(split_count, flow_choice, flow_tokens, fitting, total, skipped)


def _count_path(net: _Net, path: Iterable[int], count: int, split_count: Counter,
                flow_choice: Counter, flow_tokens: Counter) -> None:
    for t in path:
        _, prod, split = net.silent[t]
        for p in prod:
            flow_tokens[net.edges[p]] += count
        if split is not None:
            split_count[split] += count
            for p in prod:
                flow_choice[net.edges[p]] += count


def round_shares(shares: list[float], decimals: int) -> list[float]:
    """Round shares to ``decimals``; the largest absorbs the rounding so they sum to 1 exactly."""
    r = [round(s, decimals) for s in shares]
    big = max(range(len(r)), key=lambda i: r[i])
    r[big] = round(1.0 - sum(x for i, x in enumerate(r) if i != big), decimals)
    if r[big] < 0:  # cannot happen with shares summing to 1; guard anyway
        r = [round(1.0 / len(r), decimals)] * len(r)
        r[-1] = round(1.0 - sum(r[:-1]), decimals)
    return r


def probabilities(g: nx.DiGraph, result: Replay, decimals: int = 4) -> dict[tuple[str, str],
                                                                            float]:
    """Probability of each outgoing flow of every xor and inclusive split."""
    out: dict[tuple[str, str], float] = {}
    for n, d in g.nodes(data=True):
        if d["kind"] not in ("xor", "or") or g.out_degree(n) < 2:
            continue
        succ = list(g.successors(n))
        fired = result.split_count.get(n, 0)
        if d["kind"] == "xor":
            counts = [result.flow_choice.get((n, s), 0) for s in succ]
            total = sum(counts)
            shares = [c / total for c in counts] if total else [1.0 / len(succ)] * len(succ)
            for s, p in zip(succ, round_shares(shares, decimals), strict=True):
                out[(n, s)] = p
        else:
            for s in succ:
                p = result.flow_choice.get((n, s), 0) / fired if fired else 1.0
                out[(n, s)] = min(1.0, max(round(p, decimals), 10.0 ** -decimals))
    return out


def blended_probabilities(g: nx.DiGraph, recent: Replay, whole: Replay, decimals: int = 4,
                          min_firings: int = 5) -> dict[tuple[str, str], float]:
    """Probabilities from the ``recent`` replay, for each split fired at least ``min_firings``
    times there; the ``whole`` log's replay for the others (rarely visited recently)."""
    p_recent = probabilities(g, recent, decimals)
    p_whole = probabilities(g, whole, decimals)
    return {(u, v): (p if recent.split_count.get(u, 0) >= min_firings else p_whole[(u, v)])
            for (u, v), p in p_recent.items()}

