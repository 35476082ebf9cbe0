"""A left-to-right layout of a process graph, shared by BPMN export (BPMNDI) and the process map.

Algorithm (no system binaries): loop-back edges are found with a depth-first search from the
start event (an edge to a node still on the DFS stack) and set aside; the remaining graph is a DAG
laid out in layers by longest path from the start; nodes within a layer are ordered by the
barycentre of their neighbours in the previous layer (a few down and up sweeps). Coordinates are in
BPMN diagram pixels (x to the right, y downwards).
"""

from __future__ import annotations

from dataclasses import dataclass

import networkx as nx

TASK_SIZE = (110.0, 70.0)
EVENT_SIZE = (36.0, 36.0)
GATEWAY_SIZE = (50.0, 50.0)
LAYER_GAP = 60.0  # horizontal space between the widest shapes of two layers
ROW_GAP = 40.0  # vertical space between shapes in one layer
MARGIN = 40.0


@dataclass(frozen=True)
class Layout:
    """Shape bounds (x, y, width, height of the top-left corner) and edge waypoints, in pixels."""

    bounds: dict[str, tuple[float, float, float, float]]
    waypoints: dict[tuple[str, str], list[tuple[float, float]]]
    back_edges: frozenset[tuple[str, str]]
    width: float
    height: float

    def centre(self, node: str) -> tuple[float, float]:
        x, y, w, h = self.bounds[node]
        return x + w / 2, y + h / 2


def shape_size(kind: str) -> tuple[float, float]:
    """Width and height in pixels of a node of ``kind`` (task, gateway kind or event kind)."""
    if kind == "task":
        return TASK_SIZE
    if kind in ("xor", "and", "or"):
        return GATEWAY_SIZE
    return EVENT_SIZE


def back_edges(g: nx.DiGraph, start: str | None) -> set[tuple[str, str]]:
    """Edges closing a cycle in a DFS from ``start`` (then from any unvisited node)."""
    out: set[tuple[str, str]] = set()
    state: dict[str, int] = {}  # 1 on stack, 2 done
    roots = ([start] if start in g else []) + sorted(g.nodes, key=str)
    for root in roots:
        if root in state:
            continue
        stack = [(root, iter(g.successors(root)))]
        state[root] = 1
        while stack:
            node, it = stack[-1]
            nxt = next(it, None)
            if nxt is None:
                state[node] = 2
                stack.pop()
            elif state.get(nxt) == 1:
                out.add((node, nxt))
            elif nxt not in state:
                state[nxt] = 1
                stack.append((nxt, iter(g.successors(nxt))))
    return out


def layout_graph(g: nx.DiGraph, start: str | None = None) -> Layout:
    """Lay out ``g`` (nodes with a ``kind`` attribute) from left to right."""
    if start is None:
        start = next((n for n, d in g.nodes(data=True) if d.get("kind") == "start"), None)
    back = back_edges(g, start)
    dag = nx.DiGraph()
    dag.add_nodes_from(g.nodes)
    dag.add_edges_from(e for e in g.edges if e not in back)
    layer: dict[str, int] = {}
    for n in nx.topological_sort(dag):
        preds = list(dag.predecessors(n))
        layer[n] = 1 + max((layer[p] for p in preds), default=-1)
    n_layers = 1 + max(layer.values(), default=0)
    layers: list[list[str]] = [[] for _ in range(n_layers)]
    for n in g.nodes:  # insertion order gives a stable initial order
        layers[layer[n]].append(n)
    order = {n: i for lay in layers for i, n in enumerate(lay)}
    for sweep in range(4):
        rng = range(1, n_layers) if sweep % 2 == 0 else range(n_layers - 2, -1, -1)
        for li in rng:
            def bary(n: str, down: bool = sweep % 2 == 0) -> float:
                nbrs = list(dag.predecessors(n)) if down else list(dag.successors(n))
                return (sum(order[m] for m in nbrs) / len(nbrs)) if nbrs else order[n]
            layers[li].sort(key=lambda n: (bary(n), order[n]))
            for i, n in enumerate(layers[li]):
                order[n] = i
    sizes = {n: shape_size(g.nodes[n].get("kind", "task")) for n in g.nodes}
    max_rows = max((len(lay) for lay in layers), default=1)
    row_h = TASK_SIZE[1] + ROW_GAP
    height = 2 * MARGIN + max_rows * row_h
    bounds: dict[str, tuple[float, float, float, float]] = {}
    left = MARGIN
    for lay in layers:
        col = max((sizes[n][0] for n in lay), default=0.0)
        top = MARGIN + (max_rows - len(lay)) * row_h / 2
        cx = left + col / 2
        left += col + LAYER_GAP
        for i, n in enumerate(lay):
            w, h = sizes[n]
            cy = top + i * row_h + row_h / 2
            bounds[n] = (round(cx - w / 2, 1), round(cy - h / 2, 1), w, h)
    width = left - LAYER_GAP + MARGIN
    waypoints: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for s, t in g.edges:
        sx, sy, sw, sh = bounds[s]
        tx, ty, tw, th = bounds[t]
        if (s, t) in back:  # route below both shapes, right to left
            lo, hi = min(sx, tx), max(sx + sw, tx + tw)
            below = max(by + bh for bx, by, bw, bh in bounds.values()
                        if bx + bw >= lo and bx <= hi) + ROW_GAP / 4
            pts = [(sx + sw / 2, sy + sh), (sx + sw / 2, below), (tx + tw / 2, below),
                   (tx + tw / 2, ty + th)]
        else:
            a = (sx + sw, sy + sh / 2)
            b = (tx, ty + th / 2)
            if abs(a[1] - b[1]) < 0.5:
                pts = [a, b]
            elif g.out_degree(s) > 1:  # leave a split vertically, then go right
                a = (sx + sw / 2, sy if b[1] < a[1] else sy + sh)
                pts = [a, (a[0], b[1]), b]
            else:  # go right, then vertically into the target's row
                mid = b[0] - LAYER_GAP / 2
                pts = [a, (mid, a[1]), (mid, b[1]), b]
        waypoints[(s, t)] = [(round(x, 1), round(y, 1)) for x, y in pts]
    height = max(height, max((p[1] for w in waypoints.values() for p in w), default=0) + MARGIN)
    return Layout(bounds=bounds, waypoints=waypoints, back_edges=frozenset(back), width=width,
                  height=height)
