"""Control-flow discovery: pm4py's Inductive Miner -> process tree -> a bpr graph.

Discovery runs on the log's *variants* (distinct activity sequences with their counts), so its
cost does not grow with the number of cases. The process tree is translated block by block into
BPMN-like nodes (this is the same mapping as pm4py's tree -> BPMN conversion, done directly so no
silent steps need removing afterwards):

- an activity leaf -> a task named as in the log; a silent leaf (tau) -> nothing (a direct flow);
- sequence -> the children chained; exclusive choice -> ``xor-split-N`` ... ``xor-join-N``, a
  silent child becoming a skip flow; parallel (and interleaving) -> ``and-split-N`` ...
  ``and-join-N``; inclusive choice -> ``or-split-N`` ... ``or-join-N``;
- loop(do, redo...) -> ``loop-N-start`` (xor join), the do part, ``loop-N-end`` (xor split) with
  a flow out and a loop-back flow (through the redo part, if not silent) to ``loop-N-start``.

Afterwards chained exclusive gateways of the same role are merged where that creates no duplicate
flow (a join feeding a join, a split feeding a split), and gateways left with one way in and one
out are removed. Every task then has one incoming and one outgoing flow, and every gateway either
splits or joins, as :func:`bpr.model.check` requires.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

import networkx as nx

from bpr.errors import BprError
from bpr.io.quiet import import_pm4py, silenced

Variants = Counter  # Counter[tuple[str, ...]]: activity sequence -> number of cases


@dataclass
class FlowGraph:
    """The discovered graph: ``graph`` nodes carry ``kind`` (start/end/task/xor/and/or)."""

    graph: nx.DiGraph
    start: str
    end: str
    tree: str = ""  # the process tree as text, for the record
    dropped_activities: list[str] = field(default_factory=list)


def discover_tree(variants: Variants, algorithm: str, noise_threshold: float):
    """The pm4py process tree for ``variants`` with the chosen algorithm."""
    import_pm4py()
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureUVCL
    from pm4py.algo.discovery.inductive.variants.im import IMUVCL
    from pm4py.algo.discovery.inductive.variants.imf import IMFUVCL
    from pm4py.objects.dfg.obj import DFG
    from pm4py.objects.process_tree.utils import generic as pt_util

    uvcl = Counter({tuple(k): int(v) for k, v in variants.items()})
    with silenced():
        if algorithm == "inductive":
            if noise_threshold > 0:
                params = {"noise_threshold": noise_threshold}
                tree = IMFUVCL(params).apply(IMDataStructureUVCL(uvcl), params)
            else:
                tree = IMUVCL({}).apply(IMDataStructureUVCL(uvcl), {})
        elif algorithm == "inductive-df":
            dfg = DFG()
            follows: Counter = Counter()
            for trace, n in uvcl.items():
                if not trace:
                    continue
                dfg.start_activities[trace[0]] += n
                dfg.end_activities[trace[-1]] += n
                for a, b in itertools.pairwise(trace):
                    follows[(a, b)] += n
            out_max: Counter = Counter()
            for (a, _), n in follows.items():
                out_max[a] = max(out_max[a], n)
            kept = {k: n for k, n in follows.items() if n >= noise_threshold * out_max[k[0]]}
            try:
                tree = _imd(dfg, kept, () in uvcl)
            except (IndexError, KeyError, ValueError):  # filtering cut the graph apart
                tree = _imd(dfg, dict(follows), () in uvcl)
        else:  # guarded by MiningOptions; kept for direct callers
            raise BprError(f"unknown mining algorithm {algorithm!r}")
        tree = pt_util.fold(tree)
    return tree


def _labels(tree) -> set[str]:
    if tree.operator is None:
        return {tree.label} if tree.label is not None else set()
    out: set[str] = set()
    for c in tree.children:
        out |= _labels(c)
    return out


def sequentialize(tree, variants: Variants, min_share: float) -> int:
    """Turn parallel blocks whose branches the log runs in one order into sequences (in place).

    For every pair of branches of a parallel block, the cases that run both are counted by whether
    all of one branch's events precede all of the other's (interleaved runs count for neither).
    When each pair has one direction in at least ``min_share`` of those cases and the directions
    form a total order, the block becomes a
    sequence in that order: the model stops producing interleavings the log (almost) never shows,
    at the price of the few cases that ran the branches the other way. Returns how many blocks
    changed. ``min_share`` > 1 changes nothing.
    """
    from pm4py.objects.process_tree.obj import Operator

    if min_share > 1.0:
        return 0
    changed = 0
    stack = [tree]
    while stack:
        node = stack.pop()
        stack.extend(node.children)
        if node.operator != Operator.PARALLEL or len(node.children) < 2:
            continue
        sets = [_labels(c) for c in node.children]
        k = len(sets)
        before = [[0] * k for _ in range(k)]  # before[i][j]: cases running all of i before j
        both_run = [[0] * k for _ in range(k)]  # cases running both (in any interleaving)
        for trace, n in variants.items():
            first: dict[int, int] = {}
            last: dict[int, int] = {}
            for pos, a in enumerate(trace):
                for i, labels in enumerate(sets):
                    if a in labels:
                        first.setdefault(i, pos)
                        last[i] = pos
            for i in first:
                for j in first:
                    if i != j:
                        both_run[i][j] += n
                        if last[i] < first[j]:
                            before[i][j] += n
        wins = [0] * k
        ok = True
        for i in range(k):
            for j in range(i + 1, k):
                both = both_run[i][j]
                if both == 0 or max(before[i][j], before[j][i]) < min_share * both:
                    ok = False
                    break
                wins[i if before[i][j] > before[j][i] else j] += 1
            if not ok:
                break
        if not ok or sorted(wins) != list(range(k)):  # not a total order
            continue
        order = sorted(range(k), key=lambda i: -wins[i])
        node.children[:] = [node.children[i] for i in order]
        node.operator = Operator.SEQUENCE
        changed += 1
    return changed


def _imd(dfg, follows: dict, skip: bool):
    from pm4py.algo.discovery.inductive.dtypes.im_dfg import InductiveDFG
    from pm4py.algo.discovery.inductive.dtypes.im_ds import IMDataStructureDFG
    from pm4py.algo.discovery.inductive.variants.imd import IMD

    dfg.graph.clear()
    dfg.graph.update(follows)
    return IMD({}).apply(IMDataStructureDFG(InductiveDFG(dfg=dfg, skip=skip)), {})


class _Builder:
    def __init__(self, reserved: set[str]):
        self.g = nx.DiGraph()
        self.reserved = set(reserved)
        self.counter = 0

    def name(self, base: str) -> str:
        n = base
        i = 1
        while n in self.reserved or n in self.g:
            i += 1
            n = f"{base} ({i})"
        return n

    def node(self, name: str, kind: str) -> str:
        self.g.add_node(name, kind=kind)
        return name

    def edge(self, a: str, b: str) -> None:
        self.g.add_edge(a, b)

    def build(self, tree) -> tuple[str, str] | None:
        """Add ``tree``'s nodes; return its (entry, exit) nodes, or None for a silent block."""
        from pm4py.objects.process_tree.obj import Operator

        op = tree.operator
        if op is None:
            if tree.label is None:
                return None
            return (self.node(tree.label, "task"),) * 2
        kids = [self.build(c) for c in tree.children]
        if op == Operator.SEQUENCE:
            parts = [k for k in kids if k is not None]
            if not parts:
                return None
            for (_, a_exit), (b_entry, _) in itertools.pairwise(parts):
                self.edge(a_exit, b_entry)
            return parts[0][0], parts[-1][1]
        if op == Operator.LOOP:
            do, redos = kids[0], [k for k in kids[1:]]
            if do is None and all(r is None for r in redos):
                return None
            self.counter += 1
            n = self.counter
            j = self.node(self.name(f"loop-{n}-start"), "xor")
            s = self.node(self.name(f"loop-{n}-end"), "xor")
            if do is None:
                self.edge(j, s)
            else:
                self.edge(j, do[0])
                self.edge(do[1], s)
            for r in redos:
                if r is None:
                    self.edge(s, j)
                else:
                    self.edge(s, r[0])
                    self.edge(r[1], j)
            return j, s
        kind = {Operator.XOR: "xor", Operator.OR: "or"}.get(op, "and")
        parts = [k for k in kids if k is not None]
        has_skip = len(parts) < len(kids)
        if kind != "xor":
            has_skip = False  # a silent parallel/inclusive branch changes nothing
        if not parts:
            return None
        if len(parts) == 1 and not has_skip:
            return parts[0]
        self.counter += 1
        n = self.counter
        s = self.node(self.name(f"{kind}-split-{n}"), kind)
        j = self.node(self.name(f"{kind}-join-{n}"), kind)
        for entry, exit_ in parts:
            self.edge(s, entry)
            self.edge(exit_, j)
        if has_skip:
            self.edge(s, j)
        return s, j


def _simplify(g: nx.DiGraph) -> None:
    """Merge chained xor gateways of the same role; bypass 1-in-1-out gateways (in place)."""
    changed = True
    while changed:
        changed = False
        for n in list(g.nodes):
            if n not in g or g.nodes[n]["kind"] not in ("xor", "and", "or"):
                continue
            preds, succs = list(g.predecessors(n)), list(g.successors(n))
            if len(preds) == 1 and len(succs) == 1 and preds[0] != succs[0] \
                    and not g.has_edge(preds[0], succs[0]):
                g.add_edge(preds[0], succs[0])
                g.remove_node(n)
                changed = True
                continue
            if g.nodes[n]["kind"] != "xor":
                continue
            # a join whose only successor is another xor join: move its inputs there
            if len(preds) > 1 and len(succs) == 1:
                t = succs[0]
                if (g.nodes[t]["kind"] == "xor" and g.out_degree(t) == 1 and t != n
                        and not any(g.has_edge(p, t) for p in preds) and n not in preds):
                    for p in preds:
                        g.add_edge(p, t)
                    g.remove_node(n)
                    changed = True
                    continue
            # a split whose only predecessor is another xor split: lift its outputs there
            if len(succs) > 1 and len(preds) == 1:
                p = preds[0]
                if (g.nodes[p]["kind"] == "xor" and g.in_degree(p) == 1 and p != n
                        and not any(g.has_edge(p, s) for s in succs) and n not in succs):
                    for s in succs:
                        g.add_edge(p, s)
                    g.remove_node(n)
                    changed = True


def tree_to_graph(tree, activities: set[str]) -> FlowGraph:
    """Translate a pm4py process tree into a bpr flow graph (see the module doc)."""
    b = _Builder(reserved=set(activities))
    start = b.node(b.name("start"), "start")
    end = b.node(b.name("end"), "end")
    block = b.build(tree)
    if block is None:
        b.edge(start, end)
    else:
        b.edge(start, block[0])
        b.edge(block[1], end)
    _simplify(b.g)
    in_model = {n for n, d in b.g.nodes(data=True) if d["kind"] == "task"}
    return FlowGraph(graph=b.g, start=start, end=end, tree=str(tree),
                     dropped_activities=sorted(activities - in_model))


def discover_flow(variants: Variants, *, algorithm: str = "inductive",
                  noise_threshold: float = 0.1, sequence_min_share: float = 0.9) -> FlowGraph:
    """Discover the control flow of ``variants`` as a bpr flow graph (parallel blocks run in one
    order by at least ``sequence_min_share`` of their cases become sequences; see
    :func:`sequentialize`)."""
    acts = {a for trace in variants for a in trace}
    tree = discover_tree(variants, algorithm, noise_threshold)
    if sequence_min_share <= 1.0:
        from pm4py.objects.process_tree.utils import generic as pt_util

        if sequentialize(tree, variants, sequence_min_share):
            with silenced():
                tree = pt_util.fold(tree)
    return tree_to_graph(tree, acts)
