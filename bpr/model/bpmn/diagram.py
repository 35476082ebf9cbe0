"""Diagram geometry: label text sizes, and the two readability measures of a drawn process.

* **Edges through shapes**: an edge whose polyline enters the inside of a shape (any shape,
  its own source and target included: touching a shape's border is how an edge attaches to
  it). Shapes are taken as their bounds shrunk by :data:`TOLERANCE` pixels.
* **Label overlaps**: pairs of external labels (names of events and gateways, flow labels) whose
  bounds intersect, and labels lying on a shape other than their own.

Both are computed the same way for bpr's own layout (:func:`layout_diagram`) and for any BPMN
file's BPMNDI (:func:`read_diagram`, used by ``benchmarks/bench_bpmn_layout.py`` to compare
layouts). A named element without BPMNLabel bounds gets the label bpmn-js would draw for it:
centred below an event or gateway, at the middle of a flow. Sizes are pixels of the BPMN
diagram (bpmn-js draws labels in 11 px Arial, wrapped at 90 px).
"""

from __future__ import annotations

import math
import os
import textwrap
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bpr.io.xmlsafe import parse_xml_bytes

Box = tuple[float, float, float, float]  # x, y, width, height (top-left corner)
Point = tuple[float, float]

TOLERANCE = 2.0
LABEL_MAX_WIDTH = 90.0
LINE_HEIGHT = 14.0
_NARROW = set("fijlrtI.,:;'|!()[] ")
_WIDE = set("mwMW@%")


def text_width(text: str, font_px: float = 11.0) -> float:
    """Approximate rendered width in pixels of one line of ``text`` in Arial ``font_px``."""
    em = 0.0
    for ch in text:
        if ch in _NARROW:
            em += 0.3
        elif ch in _WIDE:
            em += 0.85
        elif ch.isupper():
            em += 0.68
        else:
            em += 0.56
    return em * font_px


def wrap_label(text: str, max_width: float = LABEL_MAX_WIDTH) -> list[str]:
    """``text`` broken into lines no wider than ``max_width`` pixels (long words are cut)."""
    chars = max(4, int(max_width / text_width("n")))
    lines: list[str] = []
    for line in textwrap.wrap(text, chars, break_long_words=True) or [""]:
        while text_width(line) > max_width and len(line) > 1:  # too many wide letters
            cut = line.rfind(" ", 0, len(line) - 1)
            head, line = (line[:cut], line[cut + 1:]) if cut > 0 else (line[:-1], line[-1:])
            lines.append(head)
        lines.append(line)
    return lines


def label_size(text: str, max_width: float = LABEL_MAX_WIDTH) -> tuple[float, float]:
    """Width and height in pixels of an external label showing ``text``."""
    lines = wrap_label(text, max_width)
    return (max(text_width(line) for line in lines) + 4, len(lines) * LINE_HEIGHT)


def boxes_overlap(a: Box, b: Box, shrink: float = 0.0) -> bool:
    """True when the insides of ``a`` and ``b`` (each shrunk by ``shrink``) intersect."""
    return (a[0] + shrink < b[0] + b[2] - shrink and b[0] + shrink < a[0] + a[2] - shrink
            and a[1] + shrink < b[1] + b[3] - shrink and b[1] + shrink < a[1] + a[3] - shrink)


def segment_enters_box(p: Point, q: Point, box: Box, shrink: float = TOLERANCE) -> bool:
    """True when segment ``p``-``q`` passes through the inside of ``box`` shrunk by ``shrink``."""
    x0, y0 = box[0] + shrink, box[1] + shrink
    x1, y1 = box[0] + box[2] - shrink, box[1] + box[3] - shrink
    if x1 <= x0 or y1 <= y0:
        return False
    # Liang-Barsky clipping against the open rectangle
    t0, t1 = 0.0, 1.0
    dx, dy = q[0] - p[0], q[1] - p[1]
    for den, num in ((-dx, p[0] - x0), (dx, x1 - p[0]), (-dy, p[1] - y0), (dy, y1 - p[1])):
        if den == 0:
            if num <= 0:
                return False
            continue
        t = num / den
        if den < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 >= t1:
            return False
    return True


@dataclass
class Diagram:
    """A drawn process: shapes of flow nodes, edge polylines and external label bounds.

    ``labels`` maps a label to the element it belongs to (a node or an edge id).
    """

    shapes: dict[str, Box] = field(default_factory=dict)
    edges: dict[str, list[Point]] = field(default_factory=dict)
    ends: dict[str, tuple[str, str]] = field(default_factory=dict)  # edge -> (source, target)
    labels: list[tuple[str, Box]] = field(default_factory=list)

    def edges_through_shapes(self) -> dict[str, list[str]]:
        """Edge id -> the shapes whose inside it passes through (edges that pass none omitted)."""
        out: dict[str, list[str]] = {}
        for eid, pts in self.edges.items():
            pieces = list(zip(pts, pts[1:], strict=False))
            hit = [n for n, box in self.shapes.items()
                   if any(segment_enters_box(a, b, box) for a, b in pieces)]
            if hit:
                out[eid] = hit
        return out

    def label_overlaps(self) -> list[tuple[str, str]]:
        """Pairs (owner, other) of a label overlapping another label or a foreign shape."""
        out: list[tuple[str, str]] = []
        for i, (owner, box) in enumerate(self.labels):
            for other, obox in self.labels[i + 1:]:
                if boxes_overlap(box, obox, 1.0):
                    out.append((owner, other))
            for n, sbox in self.shapes.items():
                if n != owner and boxes_overlap(box, sbox, 1.0):
                    out.append((owner, n))
        return out


def layout_diagram(layout: Any) -> Diagram:
    """The :class:`Diagram` of a :class:`bpr.model.bpmn.layout.Layout`."""
    d = Diagram(shapes=dict(layout.bounds))
    for (s, t), pts in layout.waypoints.items():
        key = f"{s} -> {t}"
        d.edges[key] = list(pts)
        d.ends[key] = (s, t)
    d.labels = [(n, b) for n, b in layout.labels.items()]
    d.labels += [(f"{s} -> {t}", b) for (s, t), b in layout.edge_labels.items()]
    return d


_BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
_DI = "http://www.omg.org/spec/BPMN/20100524/DI"
_DC = "http://www.omg.org/spec/DD/20100524/DC"
_DDI = "http://www.omg.org/spec/DD/20100524/DI"
_CONTAINERS = {"lane", "participant", "laneSet", "subProcess", "transaction",
               "adHocSubProcess", "group", "textAnnotation"}
_EXTERNAL = ("Event", "Gateway", "dataObjectReference", "dataStoreReference")


def _bounds(el: Any) -> Box | None:
    b = el.find(f"{{{_DC}}}Bounds")
    if b is None:
        return None
    vals = [b.get(k) for k in ("x", "y", "width", "height")]
    if any(v is None for v in vals):
        return None
    x, y, w, h = (float(v) for v in vals)
    return (x, y, w, h)


def read_diagram(xml: bytes | str | os.PathLike[str]) -> Diagram:
    """The :class:`Diagram` drawn by a BPMN file's (first) BPMNDI plane.

    Lanes, pools, expanded sub-processes, groups and annotations are containers, not shapes an
    edge must avoid. Elements without BPMNLabel bounds get bpmn-js's default label position.
    """
    data = xml if isinstance(xml, bytes) else Path(xml).read_bytes()
    root = parse_xml_bytes(data)
    semantic: dict[str, Any] = {el.get("id"): el for el in root.iter() if el.get("id")}
    d = Diagram()
    plane = next(root.iter(f"{{{_DI}}}BPMNPlane"), None)
    if plane is None:
        return d
    for el in plane:
        ref = el.get("bpmnElement")
        sem = semantic.get(ref)
        tag = el.tag.split("}")[-1] if isinstance(el.tag, str) else ""
        kind = sem.tag.split("}")[-1] if sem is not None else ""
        name = " ".join((sem.get("name") or "").split()) if sem is not None else ""
        label = el.find(f"{{{_DI}}}BPMNLabel")
        lbox = _bounds(label) if label is not None else None
        if tag == "BPMNShape":
            box = _bounds(el)
            if box is None or kind in _CONTAINERS or el.get("isExpanded") == "true":
                continue
            d.shapes[ref] = box
            if name and kind.endswith(_EXTERNAL):
                if lbox is None:  # bpmn-js: centred 5 px below the shape
                    w, h = label_size(name)
                    lbox = (box[0] + box[2] / 2 - w / 2, box[1] + box[3] + 5, w, h)
                d.labels.append((ref, lbox))
        elif tag == "BPMNEdge":
            pts = [(float(p.get("x")), float(p.get("y")))
                   for p in el.iter(f"{{{_DDI}}}waypoint")]
            if len(pts) < 2:
                continue
            d.edges[ref] = pts
            if sem is not None:
                d.ends[ref] = (sem.get("sourceRef") or "", sem.get("targetRef") or "")
            if name:
                if lbox is None:
                    w, h = label_size(name)
                    mx, my = _flow_label_mid(pts)
                    lbox = (mx - w / 2, my - h / 2, w, h)
                d.labels.append((ref, lbox))
    return d


def _flow_label_mid(pts: list[Point]) -> Point:
    """bpmn-js's default flow label position: the middle waypoint pair, 15 px off the line."""
    mid = len(pts) / 2 - 1
    a = pts[max(0, math.floor(mid))]
    b = pts[min(len(pts) - 1, math.ceil(mid + 0.01))]
    x, y = a[0] + (b[0] - a[0]) / 2, a[1] + (b[1] - a[1]) / 2
    if abs(b[0] - a[0]) >= abs(b[1] - a[1]):
        return (x, y - 15)
    return (x + 15, y)
