"""Coordinates, orthogonal edge routes and label places for a ranked graph (the last step of
:func:`bpr.model.bpmn.layout.layout_graph`).

The drawing is a grid: *columns* (one per layer) separated by vertical *gaps*, and *rows*
separated by horizontal *channels*. Every shape and label sits inside its own row of its own
column, so gaps and channels are empty. Edges only run

* horizontally along a row through slots of their own (the source, dummies, the target),
* vertically in a gap (a *jog* from one row to another),
* vertically through empty slots of a gateway's column (a split leaving by its top or bottom
  corner, a join entered there), and
* horizontally in a channel (loop-backs, which leave a node's bottom or top, run under or over
  the rows and come back up or down into their target),

so no edge crosses a shape. Segments sharing a gap or a channel get their own *track*; tracks
are ordered to cut crossings (the slot order of orthogonal channel routing) and the gap or
channel widens to fit them.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass, field

import networkx as nx

from bpr.model.bpmn.diagram import Box, Point, boxes_overlap, label_size, segment_enters_box
from bpr.model.bpmn.layout import (
    LANE_HEADER,
    MARGIN,
    Layout,
    Ranked,
    Vertex,
    shape_size,
)

MIN_GAP = 50.0  # between columns
MIN_CHANNEL = 30.0  # between rows
TRACK = 10.0  # between parallel edge segments in a gap or channel
GATEWAYS = ("xor", "and", "or")

XRef = tuple[str, int, float]  # ("c", column, dx) or ("g", gap, segment id)
YRef = tuple[str, int, float]  # ("r", row, dy) or ("h", channel, segment id)


@dataclass
class Seg:
    """A straight piece of route in a gap (vertical) or a channel (horizontal)."""

    where: tuple[str, int]  # ("g", gap) or ("h", channel)
    group: object
    lo: float = float("inf")
    hi: float = float("-inf")
    ends: list[tuple[float, int]] = field(default_factory=list)  # (position, side -1/+1)


@dataclass
class Grid:
    """The ranked graph on the grid: column and row of every vertex and who uses what."""

    col: dict[Vertex, int]
    row: dict[Vertex, int]
    seg: dict[Vertex, int]  # wrap band
    n_cols: int
    n_rows: int
    band_rows: list[tuple[int, int]]  # first and last row of each wrap band
    occupied: dict[tuple[int, int], Vertex]
    claims: dict[tuple[int, int], object] = field(default_factory=dict)
    ports: dict[tuple[str, str], str] = field(default_factory=dict)  # (node, side) -> use


def _grid(r: Ranked, starts: list[int]) -> Grid:
    """The grid for wrap bands beginning at layers ``starts`` (``[0]``: no wrapping)."""
    seg = {v: bisect.bisect_right(starts, r.layer[v]) - 1 for v in r.layer}
    col = {v: r.layer[v] - starts[seg[v]] for v in r.layer}
    row: dict[Vertex, int] = {}
    band_rows: list[tuple[int, int]] = []
    offset = 0
    for b in range(len(starts)):
        members = [v for v in r.layer if seg[v] == b]
        lo = min((r.row[v] for v in members), default=0)
        hi = max((r.row[v] for v in members), default=0)
        if len(starts) == 1:
            lo, hi = 0, max(hi, sum(r.lane_rows) - 1)
        for v in members:
            row[v] = offset + r.row[v] - lo
        band_rows.append((offset, offset + hi - lo))
        offset += hi - lo + 1
    occupied = {(col[v], row[v]): v for v in r.layer}
    return Grid(col=col, row=row, seg=seg, n_cols=1 + max(col.values(), default=0),
                n_rows=offset, band_rows=band_rows, occupied=occupied)


def _cuts(r: Ranked, back: set[Edge], widths: list[float], budget: float) -> list[int]:
    """Where wrap bands begin: each band takes as many layers as fit in ``budget`` pixels, cut
    where the fewest edges cross from one layer to the next (in the last 40% of the band)."""
    crossing = [0] * (len(r.layers) + 1)
    for s, t in [*r.chains, *back]:
        a, b = sorted((r.layer[s], r.layer[t]))
        for k in range(a + 1, b + 1):
            crossing[k] += 1
    starts = [0]
    while True:
        start, used, end = starts[-1], 0.0, starts[-1]
        while end < len(widths) and (end == start or used + widths[end] <= budget):
            used += widths[end]
            end += 1
        if end >= len(widths):
            return starts
        first = start + max(1, int(0.6 * (end - start)))
        starts.append(min(range(first, end + 1), key=lambda k: (crossing[k], -k)))


def _claim(grid: Grid, c: int, rows: range, owner: object) -> bool:
    cells = [(c, rr) for rr in rows]
    if any(cell in grid.occupied or grid.claims.get(cell, owner) != owner for cell in cells):
        return False
    for cell in cells:
        grid.claims[cell] = owner
    return True


def _use_port(grid: Grid, node: str, side: str, use: str) -> bool:
    have = grid.ports.get((node, side))
    if have is not None and have != use:
        return False
    grid.ports[(node, side)] = use
    return True


Rel = tuple[int, int, float, float, float, float]  # column, row, x0, x1, y0, y1 off its centre
Edge = tuple[str, str]


WRAP_PENALTY = 0.95  # per edge cut by a wrap
NARROW = 0.5  # width / height below which a drawing counts as too narrow


def fit_score(lay: Layout, fit: tuple[float, float]) -> float:
    """How well ``lay`` fits a box: the scale it is drawn at, less a share per edge a wrap
    cuts and for a drawing much taller than wide."""
    scale = min(1.0, fit[0] / lay.width, fit[1] / lay.height)
    return scale * WRAP_PENALTY ** lay.wraps * min(1.0, lay.width / lay.height / NARROW)


def place(g: nx.DiGraph, r: Ranked, back: set[Edge], *, node_labels: Mapping[str, str],
          edge_labels: Mapping[Edge, str], lane_names: list[str | None],
          fit: tuple[float, float] | None, transposed: bool = False) -> Layout:
    """Coordinates, routes and labels. With ``fit`` (width, height in pixels), the number of
    wrap bands with the best :func:`fit_score`. ``transposed``: shapes and labels measured
    with width and height swapped (for a top-down drawing)."""
    def draw(starts: list[int]) -> Layout:
        return _Drawing(g, r, back, starts, node_labels, edge_labels, lane_names,
                        transposed).layout()

    best = draw([0])
    if fit is None or len(r.layers) < 4:
        return best
    widths = [0.0] * len(r.layers)
    for n in g:  # a layer's width: its widest shape or label, and a gap
        label = label_size(node_labels[n])[0] if node_labels.get(n) else 0.0
        kind = g.nodes[n].get("kind", "task")
        widths[r.layer[n]] = max(widths[r.layer[n]], shape_size(kind)[0], label)
    widths = [w + MIN_GAP for w in widths]
    seen: set[tuple[int, ...]] = {(0,)}
    for bands in range(2, max(2, len(r.layers) // 2) + 1):
        if min(fit[0] / best.width, fit[1] / best.height) >= 1.0:
            break
        starts = _cuts(r, back, widths, sum(widths) / bands)
        if tuple(starts) in seen:
            continue
        seen.add(tuple(starts))
        lay = draw(starts)
        if fit_score(lay, fit) > fit_score(best, fit) + 1e-9:
            best = lay
    return best


class _Drawing:
    """One placement of a ranked graph, in wrap bands beginning at layers ``starts``."""

    def __init__(self, g: nx.DiGraph, r: Ranked, back: set[Edge], starts: list[int],
                 node_labels: Mapping[str, str], edge_labels: Mapping[Edge, str],
                 lane_names: list[str | None], transposed: bool = False):
        self.g, self.r, self.back = g, r, back
        self.grid = _grid(r, starts)
        self.node_labels, self.edge_labels, self.lane_names = (node_labels, edge_labels,
                                                               lane_names)
        self.kind = {n: g.nodes[n].get("kind", "task") for n in g}
        self.transposed = transposed
        self.size = {n: self.swap(shape_size(self.kind[n])) for n in g}
        self.order = sorted(r.chains, key=lambda e: (r.layer[e[0]], self.grid.row[e[0]],
                                                     self.grid.row[e[1]]))
        self.exits: dict[Edge, str] = {}
        self.entries: dict[Edge, str] = {}
        self.back_sides: dict[Edge, tuple[str, str]] = {}
        self.segs: list[Seg] = []
        self.routes: dict[Edge, list[tuple[XRef, YRef]]] = {}
        self.wraps = 0

    def swap(self, wh: tuple[float, float]) -> tuple[float, float]:
        return (wh[1], wh[0]) if self.transposed else wh

    def label_size(self, text: str) -> tuple[float, float]:
        return self.swap(label_size(text))

    def layout(self) -> Layout:
        self.choose_ports()
        self.route_forward()
        self.route_back()
        track, n_tracks = _assign_tracks(self.measure_segments())
        label_rel, edge_rel = self.reserve_labels()
        return self.coordinates(track, n_tracks, label_rel, edge_rel)

    # 1. ports: splits leave by a corner, joins are entered by one, where the column is free
    def choose_ports(self) -> None:
        g, r, grid, kind = self.g, self.r, self.grid, self.kind
        for e in self.order:
            v0, v1 = r.chains[e][0], r.chains[e][1]
            r0, r1 = grid.row[v0], grid.row[v1]
            if (kind[e[0]] in GATEWAYS and g.out_degree(e[0]) > 1 and r0 != r1
                    and grid.seg[v0] == grid.seg[v1]):
                side = "top" if r1 < r0 else "bottom"
                rows = range(r1, r0) if side == "top" else range(r0 + 1, r1 + 1)
                if (grid.ports.get((e[0], side)) in (None, "out")
                        and _claim(grid, grid.col[v0], rows, (e[0], side))):
                    _use_port(grid, e[0], side, "out")
                    self.exits[e] = side
        for e in self.order:
            vp, vk = r.chains[e][-2], r.chains[e][-1]
            rp, rk = grid.row[vp], grid.row[vk]
            if e in self.exits and len(r.chains[e]) == 2:
                continue
            if (kind[e[1]] in GATEWAYS and g.in_degree(e[1]) > 1 and rp != rk
                    and grid.seg[vp] == grid.seg[vk]):
                side = "top" if rp < rk else "bottom"
                rows = range(rp, rk) if side == "top" else range(rk + 1, rp + 1)
                if (grid.ports.get((e[1], side)) in (None, "in")
                        and _claim(grid, grid.col[vk], rows, (e[1], side))):
                    _use_port(grid, e[1], side, "in")
                    self.entries[e] = side
        options = [("bottom", "bottom"), ("top", "top"), ("bottom", "top"), ("top", "bottom"),
                   ("bottom", "left"), ("top", "left")]
        for s, t in sorted(self.back, key=lambda e: (r.layer[e[0]], r.layer[e[1]], str(e))):
            choice = ("right", "left")
            for ss, ts in options:
                if s == t and ss != ts:
                    continue
                if (grid.ports.get((s, ss)) in (None, "back-out")
                        and (ts == "left" or grid.ports.get((t, ts)) in (None, "back-in"))):
                    choice = (ss, ts)
                    break
            _use_port(grid, s, choice[0], "back-out")
            if choice[1] != "left":
                _use_port(grid, t, choice[1], "back-in")
            self.back_sides[(s, t)] = choice

    # 2. routes on the grid, in abstract coordinates resolved once all widths are known
    def new_seg(self, where: tuple[str, int], group: object) -> int:
        self.segs.append(Seg(where, group))
        return len(self.segs) - 1

    def port(self, n: str, side: str, dx: float = 0.0) -> tuple[XRef, YRef]:
        w, h = self.size[n]
        c, row = self.grid.col[n], self.grid.row[n]
        return {"left": (("c", c, -w / 2), ("r", row, 0.0)),
                "right": (("c", c, w / 2), ("r", row, 0.0)),
                "top": (("c", c, dx), ("r", row, -h / 2)),
                "bottom": (("c", c, dx), ("r", row, h / 2))}[side]

    def route_forward(self) -> None:
        grid = self.grid
        last_band_row = {b: hi for b, (_, hi) in enumerate(grid.band_rows)}
        for e in self.order:
            chain = self.r.chains[e]
            k = len(chain) - 1
            pts: list[tuple[XRef, YRef]] = []
            if e in self.exits:
                pts += [self.port(e[0], self.exits[e]),
                        (("c", grid.col[chain[0]], 0.0), ("r", grid.row[chain[1]], 0.0))]
            else:
                pts.append(self.port(e[0], "right"))
            for i in range(k):
                a, b = chain[i], chain[i + 1]
                ra, rb = grid.row[a], grid.row[b]
                if grid.seg[a] != grid.seg[b]:  # wrap to the next band
                    self.wraps += 1
                    chan = last_band_row[grid.seg[a]] + 1
                    last = grid.n_cols - 1
                    g1 = self.new_seg(("g", last), ("wrap-out", e, i))
                    h1 = self.new_seg(("h", chan), ("wrap", e, i))
                    g2 = self.new_seg(("g", -1), ("wrap-in", e, i))
                    pts += [(("g", last, g1), ("r", ra, 0.0)), (("g", last, g1), ("h", chan, h1)),
                            (("g", -1, g2), ("h", chan, h1)), (("g", -1, g2), ("r", rb, 0.0))]
                elif i == k - 1 and e in self.entries:
                    pts.append((("c", grid.col[b], 0.0), ("r", ra, 0.0)))
                elif ra != rb and not (i == 0 and e in self.exits):
                    group: object = (("out", e[0]) if i == 0 else ("in", e[1]) if i == k - 1
                                     else ("e", e, i))
                    sid = self.new_seg(("g", grid.col[a]), group)
                    pts += [(("g", grid.col[a], sid), ("r", ra, 0.0)),
                            (("g", grid.col[a], sid), ("r", rb, 0.0))]
                if i < k - 1:
                    pts.append((("c", grid.col[b], 0.0), ("r", rb, 0.0)))
            pts.append(self.port(e[1], self.entries.get(e, "left")))
            self.routes[e] = pts

    def route_back(self) -> None:
        """Loop-backs: out of the source's bottom (or top), along the channel under (over) its
        row, up or down a gap to the target's channel, into its bottom (top) or left side."""
        grid = self.grid
        for (s, t), (ss, ts) in self.back_sides.items():
            pts: list[tuple[XRef, YRef]] = []
            dxs, dxt = (12.0, -12.0) if s == t else (0.0, 0.0)
            cs, ct, rs, rt = grid.col[s], grid.col[t], grid.row[s], grid.row[t]
            if ss == "right":
                chs = rs + 1
                gs = self.new_seg(("g", cs), ("back-out", s, t))
                hs = self.new_seg(("h", chs), ("back", s, t))
                pts += [self.port(s, "right"), (("g", cs, gs), ("r", rs, 0.0)),
                        (("g", cs, gs), ("h", chs, hs))]
            else:
                chs = rs + 1 if ss == "bottom" else rs
                hs = self.new_seg(("h", chs), ("back", s, t))
                pts += [self.port(s, ss, dxs), (("c", cs, dxs), ("h", chs, hs))]
            cht = rt + 1 if ts == "bottom" else rt
            if ts != "left" and cht == chs:
                pts += [(("c", ct, dxt), ("h", chs, hs)), self.port(t, ts, dxt)]
            else:
                gt = ct if ts != "left" else ct - 1
                gid = self.new_seg(("g", gt), ("back-gap", s, t))
                pts.append((("g", gt, gid), ("h", chs, hs)))
                if ts == "left":
                    pts += [(("g", gt, gid), ("r", rt, 0.0)), self.port(t, "left")]
                else:
                    ht = self.new_seg(("h", cht), ("back-in", t, ts))
                    pts += [(("g", gt, gid), ("h", cht, ht)), (("c", ct, dxt), ("h", cht, ht)),
                            self.port(t, ts, dxt)]
            self.routes[(s, t)] = pts

    # 3. where each gap or channel segment lies and which way its ends turn
    def measure_segments(self) -> list[Seg]:
        def px(ref: XRef) -> float:
            return 2 * ref[1] + 1 if ref[0] == "c" else 2 * ref[1] + 2

        def py(ref: YRef) -> float:
            return 2 * ref[1] + 1 if ref[0] == "r" else 2 * ref[1]

        for pts in self.routes.values():
            for i, (x, y) in enumerate(pts):
                for axis, ref in (("g", x), ("h", y)):
                    if ref[0] != axis:
                        continue
                    seg = self.segs[int(ref[2])]
                    at = py(y) if axis == "g" else px(x)
                    seg.lo, seg.hi = min(seg.lo, at), max(seg.hi, at)
                    for j in (i - 1, i + 1):
                        if not 0 <= j < len(pts):
                            continue
                        nb = pts[j][0] if axis == "g" else pts[j][1]
                        if nb == ref:
                            continue
                        mine, theirs = ((px(x), px(pts[j][0])) if axis == "g"
                                        else (py(y), py(pts[j][1])))
                        if theirs != mine:
                            seg.ends.append((at, -1 if theirs < mine else 1))
        return self.segs

    # 4. labels where their space is reserved (they widen their column and row)
    def reserve_labels(self) -> tuple[dict[str, Rel], dict[Edge, Rel]]:
        grid, kind, size, r = self.grid, self.kind, self.size, self.r
        label_rel: dict[str, Rel] = {}
        for n, text in self.node_labels.items():
            if n not in self.g or kind[n] == "task" or not text:
                continue
            w, h = size[n]
            lw, lh = self.label_size(text)
            top_free = (n, "top") not in grid.ports
            bottom_free = (n, "bottom") not in grid.ports
            if kind[n] in GATEWAYS:
                if top_free:
                    box = (-lw / 2, lw / 2, -h / 2 - 3 - lh, -h / 2 - 3)
                elif bottom_free:
                    box = (-lw / 2, lw / 2, h / 2 + 3, h / 2 + 3 + lh)
                else:  # above, left of the corner's edge
                    box = (-6 - lw, -6, -h / 2 - 3 - lh, -h / 2 - 3)
            elif bottom_free or not top_free:
                box = (-lw / 2, lw / 2, h / 2 + 4, h / 2 + 4 + lh)
            else:
                box = (-lw / 2, lw / 2, -h / 2 - 4 - lh, -h / 2 - 4)
            label_rel[n] = (grid.col[n], grid.row[n], *box)
        right_users: dict[str, list[Edge]] = {}
        for e, text in self.edge_labels.items():
            if text and e in r.chains and e not in self.exits:
                right_users.setdefault(e[0], []).append(e)
        port_labelled: set[tuple[str, str]] = set()
        edge_rel: dict[Edge, Rel] = {}
        for e, text in self.edge_labels.items():
            if not text or e not in self.routes:
                continue
            lw, lh = self.label_size(text)
            s = e[0]
            w, h = size[s]
            side = self.back_sides.get(e, ("", ""))[0]
            if e in self.exits:  # beside the corner, above the turn into the branch's row
                edge_rel[e] = (grid.col[s], grid.row[r.chains[e][1]], 4, 4 + lw, -2 - lh, -2)
            elif side in ("top", "bottom") and (s, side) not in port_labelled:
                port_labelled.add((s, side))
                ys = (h / 2 + 2, h / 2 + 2 + lh) if side == "bottom" else (-h / 2 - 2 - lh,
                                                                            -h / 2 - 2)
                edge_rel[e] = (grid.col[s], grid.row[s], 4, 4 + lw, *ys)
            elif e in r.chains:  # above the line leaving the right corner
                users = right_users.get(s, [])
                straight = [f for f in users if grid.row[r.chains[f][1]] == grid.row[s]]
                if users == [e] or straight == [e]:
                    edge_rel[e] = (grid.col[s], grid.row[s], w / 2 + 2, w / 2 + 2 + lw,
                                   -2 - lh, -2)
        return label_rel, edge_rel

    # 5. column and row sizes, coordinates, then the labels nobody reserved room for
    def coordinates(self, track: dict[int, int], n_tracks: dict[tuple[str, int], int],
                    label_rel: dict[str, Rel], edge_rel: dict[Edge, Rel]) -> Layout:
        g, grid, size = self.g, self.grid, self.size
        items: list[Rel] = [*label_rel.values(), *edge_rel.values()]
        for v in self.r.layer:
            w, h = size[v] if v in g else (0.0, 12.0)
            items.append((grid.col[v], grid.row[v], -w / 2, w / 2, -h / 2, h / 2))
        left = [0.0] * grid.n_cols
        right = [0.0] * grid.n_cols
        top = [6.0] * grid.n_rows
        bottom = [6.0] * grid.n_rows
        for c, row, x0, x1, y0, y1 in items:
            left[c], right[c] = max(left[c], -x0), max(right[c], x1)
            top[row], bottom[row] = max(top[row], -y0), max(bottom[row], y1)
        lanes_on = bool(self.lane_names)
        gap_x0: dict[int, float] = {}
        gap_w: dict[int, float] = {}
        centre_x: list[float] = []
        at = 10.0 + 2 * LANE_HEADER if lanes_on else 0.0
        for c in range(-1, grid.n_cols):
            if c >= 0:
                centre_x.append(at + left[c])
                at += left[c] + right[c]
            need = (n_tracks.get(("g", c), 0) + 1) * TRACK
            if c == -1 and lanes_on:
                gap_w[c] = max(20.0, need)
            else:
                gap_w[c] = max(MARGIN if c in (-1, grid.n_cols - 1) else MIN_GAP, need)
            gap_x0[c] = at
            at += gap_w[c]
        width = at
        wraps = {hi + 1 for _, hi in grid.band_rows[:-1]}
        chan_y0: dict[int, float] = {}
        chan_h: dict[int, float] = {}
        centre_y: list[float] = []
        at = 0.0
        for ch in range(grid.n_rows + 1):
            n = n_tracks.get(("h", ch), 0)
            if ch in (0, grid.n_rows):
                chan_h[ch] = MARGIN / 2 + n * TRACK + (10.0 if lanes_on else 0.0)
            else:
                chan_h[ch] = max(2 * MIN_CHANNEL if ch in wraps else MIN_CHANNEL,
                                 (n + 1) * TRACK)
            chan_y0[ch] = at
            at += chan_h[ch]
            if ch < grid.n_rows:
                centre_y.append(at + top[ch])
                at += top[ch] + bottom[ch]
        height = at

        def rx(ref: XRef) -> float:
            if ref[0] == "c":
                return centre_x[ref[1]] + ref[2]
            gap = ref[1]
            return gap_x0[gap] + gap_w[gap] * (track[int(ref[2])] + 1) / (
                n_tracks[("g", gap)] + 1)

        def ry(ref: YRef) -> float:
            if ref[0] == "r":
                return centre_y[ref[1]] + ref[2]
            ch = ref[1]
            return chan_y0[ch] + chan_h[ch] * (track[int(ref[2])] + 1) / (
                n_tracks[("h", ch)] + 1)

        def absolute(rel: Rel) -> Box:
            c, row, x0, x1, y0, y1 = rel
            return (round(centre_x[c] + x0, 1), round(centre_y[row] + y0, 1),
                    round(x1 - x0, 1), round(y1 - y0, 1))

        bounds: dict[str, Box] = {}
        for n in g:
            w, h = size[n]
            bounds[n] = absolute((grid.col[n], grid.row[n], -w / 2, w / 2, -h / 2, h / 2))
        waypoints = {e: _simplify([(round(rx(x), 1), round(ry(y), 1)) for x, y in pts])
                     for e, pts in self.routes.items()}
        labels = {n: absolute(rel) for n, rel in label_rel.items()}
        elabels = {e: absolute(rel) for e, rel in edge_rel.items()}
        taken = [*bounds.values(), *labels.values(), *elabels.values()]
        for e, text in self.edge_labels.items():
            if text and e in waypoints and e not in elabels:
                elabels[e] = _free_label_spot(waypoints[e], self.label_size(text), taken,
                                              list(waypoints.values()))
                taken.append(elabels[e])
        for box in [*labels.values(), *elabels.values()]:  # a label may stick out
            width = max(width, box[0] + box[2] + MARGIN / 2)
            height = max(height, box[1] + box[3] + MARGIN / 2)
        lanes, frame = self.lane_bands(chan_y0, chan_h, width) if lanes_on else ({}, None)
        return Layout(bounds=bounds, waypoints=waypoints, back_edges=frozenset(self.back),
                      width=round(width, 1), height=round(height, 1), labels=labels,
                      edge_labels=elabels, lanes=lanes, frame=frame,
                      bands=len(grid.band_rows), wraps=self.wraps)

    def lane_bands(self, chan_y0: dict[int, float], chan_h: dict[int, float], width: float
                   ) -> tuple[dict[str | None, Box], Box]:
        """Each lane's band (boundaries in the middle of the channel between two lanes) and
        the pool around them, with their name bands at the left."""
        lanes: dict[str | None, Box] = {}
        fx, row0, n_rows = 10.0, 0, self.grid.n_rows
        for i, name in enumerate(self.lane_names):
            end = row0 + (self.r.lane_rows[i] if i < len(self.r.lane_rows) else 1)
            y0 = chan_y0[row0] + (chan_h[row0] / 2 if row0 > 0 else 10.0)
            y1 = chan_y0[end] + (chan_h[end] / 2 if end < n_rows else chan_h[end] - 10.0)
            lanes[name] = (fx + LANE_HEADER, round(y0, 1), round(width - fx - LANE_HEADER, 1),
                           round(y1 - y0, 1))
            row0 = end
        bands = list(lanes.values())
        top, bottom = bands[0][1], bands[-1][1] + bands[-1][3]
        return lanes, (fx, top, round(width - fx, 1), round(bottom - top, 1))


def _assign_tracks(segs: list[Seg]) -> tuple[dict[int, int], dict[tuple[str, int], int]]:
    """A track per segment: segments of one group share it; overlapping segments of a gap or
    channel get different tracks, ordered so that fewer of their ends cross each other."""
    groups: dict[tuple[tuple[str, int], object], Seg] = {}
    member: dict[int, tuple[tuple[str, int], object]] = {}
    for i, s in enumerate(segs):
        key = (s.where, s.group)
        member[i] = key
        grp = groups.setdefault(key, Seg(s.where, s.group))
        grp.lo, grp.hi = min(grp.lo, s.lo), max(grp.hi, s.hi)
        grp.ends += s.ends
    by_where: dict[tuple[str, int], list[tuple[tuple[str, int], object]]] = {}
    for key in groups:
        by_where.setdefault(key[0], []).append(key)
    rank: dict[tuple[tuple[str, int], object], int] = {}
    n_tracks: dict[tuple[str, int], int] = {}
    for where, keys in by_where.items():
        keys.sort(key=lambda k: (groups[k].lo, groups[k].hi, str(k[1])))
        dag = nx.DiGraph()
        dag.add_nodes_from(range(len(keys)))
        for i, a in enumerate(keys):
            for j in range(i + 1, len(keys)):
                u, v = groups[a], groups[keys[j]]
                if u.lo > v.hi or v.lo > u.hi:
                    continue
                before = _cost(u, v)
                after = _cost(v, u)
                if after < before:
                    dag.add_edge(j, i)
                else:
                    dag.add_edge(i, j)
        while not nx.is_directed_acyclic_graph(dag):
            cycle = nx.find_cycle(dag)
            dag.remove_edge(*cycle[-1][:2])
        level: dict[int, int] = {}
        placed: list[int] = []
        for n in nx.topological_sort(dag):  # overlapping groups placed earlier lie lower
            u = groups[keys[n]]
            level[n] = 1 + max((level[m] for m in placed
                                if not (u.lo > groups[keys[m]].hi or groups[keys[m]].lo > u.hi)),
                               default=-1)
            placed.append(n)
        for i, k in enumerate(keys):
            rank[k] = level[i]
        n_tracks[where] = 1 + max(level.values(), default=0)
    return {i: rank[member[i]] for i in range(len(segs))}, n_tracks


def _cost(u: Seg, v: Seg) -> int:
    """Crossings when ``u`` takes the lower track (left in a gap, upper in a channel)."""
    return (sum(1 for p, side in v.ends if side < 0 and u.lo <= p <= u.hi)
            + sum(1 for p, side in u.ends if side > 0 and v.lo <= p <= v.hi))


def _simplify(pts: list[Point]) -> list[Point]:
    """Drop repeated points and points in the middle of a straight run."""
    out: list[Point] = []
    for p in pts:
        if out and p == out[-1]:
            continue
        if len(out) >= 2:
            a, b = out[-2], out[-1]
            straight = (a[0] == b[0] == p[0]) or (a[1] == b[1] == p[1])
            if straight and min(a[0], p[0]) <= b[0] <= max(a[0], p[0]) and (
                    min(a[1], p[1]) <= b[1] <= max(a[1], p[1])):
                out[-1] = p
                continue
        out.append(p)
    return out


def _shared(a: Point, b: Point, routes: list[list[Point]], own: list[Point]) -> bool:
    """True when another route runs along segment ``a``-``b`` (collinear and overlapping)."""
    for route in routes:
        if route is own:
            continue
        for p, q in zip(route, route[1:], strict=False):
            if a[1] == b[1] == p[1] == q[1] and (min(p[0], q[0]) < max(a[0], b[0])
                                                 and min(a[0], b[0]) < max(p[0], q[0])):
                return True
            if a[0] == b[0] == p[0] == q[0] and (min(p[1], q[1]) < max(a[1], b[1])
                                                 and min(a[1], b[1]) < max(p[1], q[1])):
                return True
    return False


def _free_label_spot(pts: list[Point], size: tuple[float, float], taken: list[Box],
                     routes: list[list[Point]]) -> Box:
    """A label box beside the route that overlaps no shape or label and, if possible, no edge:
    beside the parts of the route no other edge shares first, nearest the source first; the
    first candidate if every one collides."""
    lw, lh = size
    own: list[Box] = []
    shared: list[Box] = []
    for a, b in zip(pts, pts[1:], strict=False):
        if a[1] == b[1]:  # horizontal: above (then below), after the bend, then elsewhere
            xs = [a[0] + 4 if b[0] >= a[0] else a[0] - 4 - lw, (a[0] + b[0] - lw) / 2,
                  b[0] - 4 - lw if b[0] >= a[0] else b[0] + 4]
            boxes = [(x0, y0, lw, lh) for x0 in xs for y0 in (a[1] - 2 - lh, a[1] + 2)]
        else:
            ys = [a[1] + 4 if b[1] >= a[1] else a[1] - 4 - lh, (a[1] + b[1] - lh) / 2,
                  b[1] - 4 - lh if b[1] >= a[1] else b[1] + 4]
            boxes = [(x0, y0, lw, lh) for y0 in ys for x0 in (a[0] + 4, a[0] - 4 - lw)]
        (shared if _shared(a, b, routes, pts) else own).extend(boxes)
    candidates = own + shared
    for strict in (True, False):
        for box in candidates:
            if any(boxes_overlap(box, t, 0.5) for t in taken):
                continue
            if strict and any(segment_enters_box(p, q, box, 0.5)
                              for route in routes for p, q in zip(route, route[1:],
                                                                  strict=False)):
                continue
            return (round(box[0], 1), round(box[1], 1), round(box[2], 1), round(box[3], 1))
    return min(candidates, key=lambda box: sum(1 for t in taken if boxes_overlap(box, t, 0.5)))
