"""A layered (Sugiyama-style) left-to-right layout of a process graph, shared by BPMN export
(BPMNDI) and the process map. Pure Python on networkx; no system binaries.

1. **Cycles**: loop-back edges are found by a depth-first search from the start event (an edge
   to a node still on the search stack) and set aside; the rest is a DAG.
2. **Layers** by longest path from the start; an edge spanning several layers gets a *dummy
   node* in each layer it crosses, so it runs through a free slot of that layer.
3. **Order** within each layer: barycentre sweeps down and up (keeping the order with the fewest
   crossings), then adjacent swaps while they remove crossings. With lanes, nodes are ordered
   lane by lane.
4. **Rows**: each node gets an integer row; rows follow the neighbours' rows (weighted means,
   long edges weighted most so they stay straight) under "one slot per row in a layer", solved
   exactly per layer by isotonic regression. With lanes, rows are counted per lane band.
5. **Wrapping** (process maps only): a drawing too wide for the box it must fit is cut
   between layers into bands stacked top to bottom, at the cuts crossed by the fewest edges.
6. **Routing** (:mod:`bpr.model.bpmn.route`): orthogonal polylines that only run through free
   slots, the gaps between columns and the channels between rows, so no edge passes through a
   shape by construction; loop-backs run in the channels around the tasks. Labels are placed
   where the space for them was reserved.

Coordinates are BPMN diagram pixels (x to the right, y downwards).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field

import networkx as nx

from bpr.model.bpmn.diagram import Box, Point

TASK_SIZE = (110.0, 70.0)
EVENT_SIZE = (36.0, 36.0)
GATEWAY_SIZE = (50.0, 50.0)
LANE_HEADER = 30.0  # the band with a pool's or lane's name, at the left
MARGIN = 40.0

Vertex = Hashable  # a node name (str) or a dummy ("~", source, target, i)


@dataclass(frozen=True)
class Layout:
    """Shape bounds (x, y, width, height of the top-left corner), edge waypoints and label
    bounds, in pixels. ``lanes``: each lane's band, in drawing order, and ``frame`` the pool
    around them (None without lanes)."""

    bounds: dict[str, Box]
    waypoints: dict[tuple[str, str], list[Point]]
    back_edges: frozenset[tuple[str, str]]
    width: float
    height: float
    labels: dict[str, Box] = field(default_factory=dict)
    edge_labels: dict[tuple[str, str], Box] = field(default_factory=dict)
    lanes: dict[str | None, Box] = field(default_factory=dict)
    frame: Box | None = None
    bands: int = 1  # wrap bands stacked top to bottom
    wraps: int = 0  # edge hops from one band to the next

    def transposed(self) -> Layout:
        """The same drawing mirrored on its diagonal (left-to-right becomes top-down)."""
        def box(b: Box) -> Box:
            return (b[1], b[0], b[3], b[2])

        return Layout(bounds={n: box(b) for n, b in self.bounds.items()},
                      waypoints={e: [(y, x) for x, y in pts] for e, pts in self.waypoints.items()},
                      back_edges=self.back_edges, width=self.height, height=self.width,
                      labels={n: box(b) for n, b in self.labels.items()},
                      edge_labels={e: box(b) for e, b in self.edge_labels.items()},
                      lanes={n: box(b) for n, b in self.lanes.items()},
                      frame=box(self.frame) if self.frame else None, bands=self.bands,
                      wraps=self.wraps)

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


def node_lanes(g: nx.DiGraph, task_lane: Mapping[str, str | None]) -> dict[str, str | None]:
    """A lane for every node: tasks keep theirs, other nodes take the lane of the nearest task
    (looking upstream first), so gateways and events sit with the tasks they belong to."""
    lane: dict[str, str | None] = {n: task_lane[n] for n in g if n in task_lane}
    frontier = list(lane)
    while frontier:
        nxt: list[str] = []
        for n in frontier:
            for m in [*g.successors(n), *g.predecessors(n)]:
                if m not in lane:
                    lane[m] = lane[n]
                    nxt.append(m)
        frontier = nxt
    first = next(iter(task_lane.values()), None)
    return {n: lane.get(n, first) for n in g}


@dataclass
class Ranked:
    """The layered graph: layers of vertices (nodes and dummies) in order, rows, lanes."""

    layers: list[list[Vertex]]
    layer: dict[Vertex, int]
    chains: dict[tuple[str, str], list[Vertex]]  # forward edge -> [source, dummies..., target]
    up: dict[Vertex, list[tuple[Vertex, float]]]  # neighbours in the previous layer, weights
    down: dict[Vertex, list[tuple[Vertex, float]]]
    lane: dict[Vertex, int]
    row: dict[Vertex, int] = field(default_factory=dict)
    lane_rows: list[int] = field(default_factory=list)  # rows per lane band


def rank(g: nx.DiGraph, back: set[tuple[str, str]], lane_of: Mapping[str, int],
         order_hint: Mapping[str, int]) -> Ranked:
    """Layers by longest path, dummies on long edges, crossing-reduced order, rows."""
    dag = nx.DiGraph()
    dag.add_nodes_from(g.nodes)
    dag.add_edges_from(e for e in g.edges if e not in back)
    layer: dict[Vertex, int] = {}
    for n in nx.topological_sort(dag):
        layer[n] = 1 + max((int(layer[p]) for p in dag.predecessors(n)), default=-1)
    n_layers = 1 + max(layer.values(), default=0)
    layers: list[list[Vertex]] = [[] for _ in range(n_layers)]
    hint: dict[Vertex, float] = {n: float(order_hint.get(n, len(order_hint))) for n in g}
    lane: dict[Vertex, int] = {n: lane_of.get(n, 0) for n in g}
    for n in g.nodes:
        layers[layer[n]].append(n)
    up: dict[Vertex, list[tuple[Vertex, float]]] = {n: [] for n in g}
    down: dict[Vertex, list[tuple[Vertex, float]]] = {n: [] for n in g}
    chains: dict[tuple[str, str], list[Vertex]] = {}
    for s, t in g.edges:
        if (s, t) in back:
            continue
        chain: list[Vertex] = [s]
        span = layer[t] - layer[s]
        for i in range(1, span):
            d = ("~", s, t, i)
            chain.append(d)
            layer[d] = layer[s] + i
            layers[layer[d]].append(d)
            hint[d] = hint[s] + (hint[t] - hint[s]) * i / span
            lane[d] = lane[s] if i < span / 2 else lane[t]
            up[d], down[d] = [], []
        chain.append(t)
        for a, b in zip(chain, chain[1:], strict=False):
            dummies = (a not in g) + (b not in g)
            w = (1.0, 2.0, 8.0)[dummies]
            down[a].append((b, w))
            up[b].append((a, w))
        chains[(s, t)] = chain
    r = Ranked(layers=layers, layer=layer, chains=chains, up=up, down=down, lane=lane)
    for lay in r.layers:
        lay.sort(key=lambda v: (lane[v], hint[v]))
    _order(r)
    _rows(r)
    return r


def _crossings(r: Ranked, li: int, pos: Mapping[Vertex, int]) -> int:
    """Edge crossings between layer ``li`` and the next one: inversions of the lower ends when
    the edges are sorted by their upper ends (counted with a Fenwick tree)."""
    lower = [b for _, b in sorted((pos[a], pos[b]) for a in r.layers[li]
                                       for b, _ in r.down[a])]
    size = len(r.layers[li + 1]) + 1
    tree = [0] * (size + 1)
    count = 0
    for seen, b in enumerate(lower):
        i = b + 1  # how many earlier ends are <= b
        le = 0
        while i > 0:
            le += tree[i]
            i -= i & -i
        count += seen - le
        i = b + 1
        while i <= size:
            tree[i] += 1
            i += i & -i
    return count


def _total_crossings(r: Ranked) -> int:
    pos = {v: i for lay in r.layers for i, v in enumerate(lay)}
    return sum(_crossings(r, li, pos) for li in range(len(r.layers) - 1))


def _order(r: Ranked, sweeps: int = 12) -> None:
    """Barycentre sweeps (keep the best order seen), then adjacent swaps that cut crossings."""
    best = [list(lay) for lay in r.layers]
    best_count = _total_crossings(r)
    for sweep in range(sweeps):
        if best_count == 0:
            break
        downward = sweep % 2 == 0
        pos = {v: i for lay in r.layers for i, v in enumerate(lay)}
        rng = range(1, len(r.layers)) if downward else range(len(r.layers) - 2, -1, -1)
        for li in rng:
            keys = {v: (r.lane[v], _bary(r, v, pos, downward), pos[v]) for v in r.layers[li]}
            r.layers[li].sort(key=keys.__getitem__)
            for i, v in enumerate(r.layers[li]):
                pos[v] = i
        count = _total_crossings(r)
        if count < best_count:
            best, best_count = [list(lay) for lay in r.layers], count
    r.layers = best
    improved = True
    while improved and best_count:
        improved = False
        pos = {v: i for lay in r.layers for i, v in enumerate(lay)}
        for lay in r.layers:
            for i in range(len(lay) - 1):
                a, b = lay[i], lay[i + 1]
                if r.lane[a] == r.lane[b] and _pair(r, b, a, pos) < _pair(r, a, b, pos):
                    lay[i], lay[i + 1] = b, a
                    pos[a], pos[b] = i + 1, i
                    improved = True


def _bary(r: Ranked, v: Vertex, pos: Mapping[Vertex, int], downward: bool) -> float:
    """Weighted mean position of ``v``'s neighbours in the previous (next) layer."""
    nbrs = r.up[v] if downward else r.down[v]
    if not nbrs:
        return float(pos[v])
    return sum(pos[u] * w for u, w in nbrs) / sum(w for _, w in nbrs)


def _pair(r: Ranked, a: Vertex, b: Vertex, pos: Mapping[Vertex, int]) -> int:
    """Crossings between the edges of ``a`` and of ``b`` when ``a`` comes first in a layer."""
    count = 0
    for nbrs in (r.up, r.down):
        count += sum(1 for x, _ in nbrs[a] for y, _ in nbrs[b] if pos[x] > pos[y])
    return count


def _type1_conflicts(r: Ranked, pos: Mapping[Vertex, int]) -> set[tuple[Vertex, Vertex]]:
    """Segments that cross an inner segment (between two dummies) of the same layer pair: they
    must not be aligned, so long edges stay straight (Brandes and Koepf's type-1 conflicts)."""
    marked: set[tuple[Vertex, Vertex]] = set()
    for li in range(1, len(r.layers)):
        upper, lower = r.layers[li - 1], r.layers[li]
        k0, start = 0, 0
        for l1, v in enumerate(lower):
            inner = None
            if not isinstance(v, str):
                inner = next((u for u, _ in r.up[v] if not isinstance(u, str)), None)
            if l1 == len(lower) - 1 or inner is not None:
                k1 = pos[inner] if inner is not None else len(upper) - 1
                for w in lower[start:l1 + 1]:
                    for u, _ in r.up[w]:
                        both_dummies = not isinstance(u, str) and not isinstance(w, str)
                        if (pos[u] < k0 or pos[u] > k1) and not both_dummies:
                            marked.add((u, w))
                start, k0 = l1 + 1, k1
    return marked


def _align(r: Ranked, layers: list[list[Vertex]],
           nbrs: Mapping[Vertex, list[tuple[Vertex, float]]],
           marked: set[tuple[Vertex, Vertex]]) -> dict[Vertex, Vertex]:
    """Block roots: each vertex joins the block of a median neighbour in the previous layer
    (same lane, not conflicting, alignments never crossing)."""
    root = {v: v for lay in layers for v in lay}
    taken: set[Vertex] = set()
    pos = {v: i for lay in layers for i, v in enumerate(lay)}
    for lay in layers[1:]:
        last = -1
        for v in lay:
            ups = sorted((u for u, _ in nbrs[v] if r.lane[u] == r.lane[v]),
                         key=lambda u: pos[u])
            d = len(ups)
            for m in sorted({(d - 1) // 2, d // 2}) if d else []:
                u = ups[m]
                if root[v] != v or u in taken or pos[u] <= last:
                    continue
                if (u, v) in marked or (v, u) in marked:
                    continue
                root[v] = root[u]
                taken.add(u)
                last = pos[u]
    return root


def _pack(r: Ranked, layers: list[list[Vertex]],
          root: Mapping[Vertex, Vertex]) -> dict[Vertex, int]:
    """Lane-local rows: every block as high as the blocks above it in its layers allow."""
    dag = nx.DiGraph()
    dag.add_nodes_from(set(root.values()))
    for lay in layers:
        for a, b in zip(lay, lay[1:], strict=False):
            if r.lane[a] == r.lane[b] and root[a] != root[b]:
                dag.add_edge(root[a], root[b])
    row: dict[Vertex, int] = {}
    for b in nx.topological_sort(dag):
        row[b] = 1 + max((row[p] for p in dag.predecessors(b)), default=-1)
    return {v: row[root[v]] for v in root}


def _rows(r: Ranked) -> None:
    """Integer rows: each vertex near the weighted mean row of its neighbours, one vertex per
    row in a layer, layer order kept; rows counted per lane band."""
    n_lanes = 1 + max(r.lane.values(), default=0)
    local: dict[Vertex, int] = {}
    for lay in r.layers:  # initial rows: position within the lane
        seen: dict[int, int] = {}
        for v in lay:
            local[v] = seen.get(r.lane[v], 0)
            seen[r.lane[v]] = local[v] + 1

    def offsets() -> list[int]:
        heights = [1] * n_lanes
        for v, row in local.items():
            heights[r.lane[v]] = max(heights[r.lane[v]], row + 1)
        out, acc = [], 0
        for h in heights:
            out.append(acc)
            acc += h
        r.lane_rows = heights
        return out

    pos = {v: i for lay in r.layers for i, v in enumerate(lay)}
    marked = _type1_conflicts(r, pos)
    down = _pack(r, r.layers, _align(r, r.layers, r.up, marked))
    for v in local:
        local[v] = down[v]
    for ln in range(n_lanes):
        _compact_lane(r, local, ln)
    # drop rows no vertex uses within each lane band
    for ln in range(n_lanes):
        used = sorted({local[v] for v in local if r.lane[v] == ln})
        remap = {row: i for i, row in enumerate(used)}
        for v in local:
            if r.lane[v] == ln:
                local[v] = remap[local[v]]
    off = offsets()
    r.row = {v: off[r.lane[v]] + local[v] for v in local}


def _compact_lane(r: Ranked, local: dict[Vertex, int], ln: int) -> None:
    """Shift each part of a lane that is linked to the rest only through other lanes up or
    down (keeping every layer's order) so that the lane needs fewer rows and more of its nodes
    sit on its main row."""
    members = [v for v in local if r.lane[v] == ln]
    parent = {v: v for v in members}

    def find(v: Vertex) -> Vertex:
        while parent[v] != v:
            parent[v] = parent[parent[v]]
            v = parent[v]
        return v

    for v in members:
        for u, _ in r.down[v]:
            if r.lane[u] == ln:
                parent[find(u)] = find(v)
    parts: dict[Vertex, list[Vertex]] = {}
    for v in members:
        parts.setdefault(find(v), []).append(v)
    if len(parts) < 2:
        return
    by_layer: dict[int, list[Vertex]] = {}
    for lay in r.layers:
        for v in lay:
            if r.lane[v] == ln:
                by_layer.setdefault(r.layer[v], []).append(v)
    for part in sorted(parts.values(), key=len):
        inside = set(part)
        real = [v for v in part if isinstance(v, str)]
        counts: dict[int, int] = {}
        for v in members:
            if isinstance(v, str) and v not in inside:
                counts[local[v]] = counts.get(local[v], 0) + 1
        main = max(counts, key=lambda row: (counts[row], -row)) if counts else 0

        span = max(local[v] for v in members) + 1
        shifts = [d for d in range(-span, span + 1)
                  if _keeps_order(r, local, by_layer, inside, d)]

        def score(d: int, inside: set[Vertex] = inside, real: list[str] = real,
                  main: int = main) -> tuple[int, int, int]:
            rows = [local[v] + (d if v in inside else 0) for v in members]
            return (max(rows) - min(rows), -sum(1 for v in real if local[v] + d == main),
                    abs(d))

        delta = min(shifts, key=score, default=0)
        for v in part:
            local[v] += delta


def _keeps_order(r: Ranked, local: Mapping[Vertex, int], by_layer: Mapping[int, list[Vertex]],
                 inside: set[Vertex], delta: int) -> bool:
    """Whether moving the vertices ``inside`` by ``delta`` rows keeps each layer's order."""
    for li in {r.layer[v] for v in inside}:
        rows = [local[v] + (delta if v in inside else 0) for v in by_layer[li]]
        if rows[0] < 0 or any(b <= a for a, b in zip(rows, rows[1:], strict=False)):
            return False
    return True


def dfs_order(g: nx.DiGraph, start: str | None) -> dict[str, int]:
    """Preorder numbers of a depth-first search from ``start`` (then from unvisited nodes)."""
    order: dict[str, int] = {}
    roots = ([start] if start in g else []) + [n for n in g if g.in_degree(n) == 0] + list(g)
    for root in roots:
        if root in order:
            continue
        stack = [root]
        while stack:
            n = stack.pop()
            if n in order:
                continue
            order[n] = len(order)
            stack.extend(reversed([m for m in g.successors(n) if m not in order]))
    return order


def layout_graph(g: nx.DiGraph, start: str | None = None, *,
                 lanes: Mapping[str, str | None] | None = None,
                 node_labels: Mapping[str, str] | None = None,
                 edge_labels: Mapping[tuple[str, str], str] | None = None,
                 fit: tuple[float, float] | None = None, direction: str = "LR") -> Layout:
    """Lay out ``g`` (nodes with a ``kind`` attribute) from left to right.

    ``lanes``: task -> lane name (None: the unnamed lane); tasks are drawn in horizontal lane
    bands, lanes in order of first appearance from the start. ``node_labels``: external label
    text per node (default: every event's and gateway's name). ``edge_labels``: text drawn
    along an edge near its source (e.g. a branching probability). ``fit``: a box (width,
    height in pixels) to fit: a drawing too wide for it is wrapped into bands stacked top to
    bottom, as many as let it fit at the largest scale (ignored with lanes). ``direction``:
    ``LR`` (left to right) or ``TB`` (top down, no lanes, no wrapping).
    """
    from bpr.model.bpmn.route import place

    if start is None:
        start = next((n for n, d in g.nodes(data=True) if d.get("kind") == "start"), None)
    back = back_edges(g, start)
    order = dfs_order(g, start)
    lane_names: list[str | None] = []
    lane_of: dict[str, int] = {}
    if lanes:
        full = node_lanes(g, lanes)
        for n in sorted(g, key=lambda n: order[n]):
            if n in lanes and lanes[n] not in lane_names:
                lane_names.append(lanes[n])
        if None in lane_names:  # the unnamed lane (tasks without a pool) goes last
            lane_names.remove(None)
            lane_names.append(None)
        for n in g:
            lane_of[n] = lane_names.index(full[n]) if full[n] in lane_names else 0
    if node_labels is None:
        node_labels = {n: n for n, d in g.nodes(data=True) if d.get("kind") != "task"}
    if direction not in ("LR", "TB"):
        raise ValueError(f"direction must be 'LR' or 'TB', not {direction!r}")
    top_down = direction == "TB"
    ranked = rank(g, back, {} if top_down else lane_of, order)
    lay = place(g, ranked, back, node_labels=node_labels, edge_labels=edge_labels or {},
                lane_names=[] if top_down else lane_names,
                fit=None if lanes or top_down else fit, transposed=top_down)
    return lay.transposed() if top_down else lay
