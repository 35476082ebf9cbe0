"""Write a ProcessModel as BPMN 2.0 with diagram layout, plus a ``.sim.yaml`` sidecar.

The ``.bpmn`` file holds the control flow and a left-to-right BPMNDI layout, so bpmn.io, Camunda
Modeler and Signavio open it as a drawn diagram. Everything a BPMN file has no standard place for
(pools, calendars, arrivals, durations, costs, branching probabilities, timer delays, observed
figures) goes to ``NAME.sim.yaml`` beside it, in the ``processes/*.yaml`` schema keyed by node
names. Ids are derived from node names, so exporting the same model twice gives the same file.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from lxml import etree

import bpr
from bpr.io.atomic import write_text
from bpr.io.yamlio import FlowMap, dump_yaml
from bpr.model.bpmn.layout import layout_graph, node_lanes
from bpr.model.bpmn.reader import BPMN_NS, sidecar_path
from bpr.model.process import Flow, ProcessModel
from bpr.model.schema import model_to_dict

BPMNDI_NS = "http://www.omg.org/spec/BPMN/20100524/DI"
DC_NS = "http://www.omg.org/spec/DD/20100524/DC"
DI_NS = "http://www.omg.org/spec/DD/20100524/DI"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
NSMAP = {"bpmn": BPMN_NS, "bpmndi": BPMNDI_NS, "dc": DC_NS, "di": DI_NS, "xsi": XSI_NS}
_TAG = {"task": "task", "xor": "exclusiveGateway", "and": "parallelGateway",
        "or": "inclusiveGateway", "start": "startEvent", "end": "endEvent",
        "timer": "intermediateCatchEvent"}
_PREFIX = {"task": "Activity", "xor": "Gateway", "and": "Gateway", "or": "Gateway",
           "start": "Event", "end": "Event", "timer": "Event"}

SIDECAR_HEADER = """\
Simulation parameters for the BPMN diagram beside this file (bpr schema version 1, without the
control flow, which lives in the .bpmn file). Keys are the diagram's node names; each `id` is
the BPMN element's id, so renaming a task in a modeller keeps its parameters. Times in seconds
unless written with a unit. See processes/README.md."""


def element_ids(model: ProcessModel) -> dict[str, str]:
    """A stable, unique XML id for every node, derived from its kind and name."""
    ids: dict[str, str] = {}
    used: set[str] = set()
    for n in model.node_names:
        base = f"{_PREFIX[model.node_kind(n)]}_{re.sub(r'[^A-Za-z0-9_.-]+', '_', n).strip('_')}"
        cand, k = base, 2
        while cand in used:
            cand, k = f"{base}_{k}", k + 1
        used.add(cand)
        ids[n] = cand
    return ids


def _iso_seconds(seconds: float) -> str:
    return f"PT{seconds:g}S"


def _lane_ids(model: ProcessModel) -> dict[str | None, str]:
    """A stable XML id per lane: one lane per pool that has tasks, plus an unnamed lane for
    tasks without a pool (only when some task has a pool)."""
    pools = [a.pool for a in model.activities.values()]
    if not any(pools):
        return {}
    ids: dict[str | None, str] = {}
    for p in dict.fromkeys(pools):
        base = "Lane_" + (re.sub(r"[^A-Za-z0-9_.-]+", "_", p).strip("_") if p else "none")
        cand, k = base, 2
        while cand in ids.values():
            cand, k = f"{base}_{k}", k + 1
        ids[p] = cand
    return ids


def flow_label(model: ProcessModel, flow: Flow) -> str | None:
    """The text drawn on a flow: its branching probability where its source splits."""
    if flow.probability is None or model.graph.out_degree(flow.source) <= 1:
        return None
    return f"{flow.probability:.2g}"


def bpmn_xml(model: ProcessModel) -> bytes:
    """The BPMN 2.0 XML (with BPMNDI) of ``model``'s control flow; pools become lanes."""
    def q(ns: str, tag: str) -> str:
        return f"{{{ns}}}{tag}"

    ids = element_ids(model)
    slug = re.sub(r"[^A-Za-z0-9_.-]+", "_", model.name).strip("_") or "1"
    proc_id = "Process_" + slug
    defs = etree.Element(q(BPMN_NS, "definitions"), nsmap=NSMAP)
    defs.set("id", "Definitions_bpr")
    defs.set("targetNamespace", "http://bpmn.io/schema/bpmn")
    defs.set("exporter", "bpr")
    defs.set("exporterVersion", bpr.__version__)
    lane_ids = _lane_ids(model)
    g = model.graph
    task_lane = {a.name: a.pool for a in model.activities.values()}
    if lane_ids:
        collab = etree.SubElement(defs, q(BPMN_NS, "collaboration"), id="Collaboration_bpr")
        etree.SubElement(collab, q(BPMN_NS, "participant"), id="Participant_" + slug,
                         name=model.name, processRef=proc_id)
    proc = etree.SubElement(defs, q(BPMN_NS, "process"), id=proc_id, name=model.name,
                            isExecutable="false")
    if model.description:
        doc = etree.SubElement(proc, q(BPMN_NS, "documentation"))
        doc.text = model.description
    if lane_ids:
        lane_set = etree.SubElement(proc, q(BPMN_NS, "laneSet"), id="LaneSet_bpr")
        of_node = node_lanes(g, task_lane)
        for pool, lane_id in lane_ids.items():
            lane = etree.SubElement(lane_set, q(BPMN_NS, "lane"), id=lane_id)
            if pool is not None:
                lane.set("name", pool)
            for n in model.node_names:
                if of_node[n] == pool:
                    etree.SubElement(lane, q(BPMN_NS, "flowNodeRef")).text = ids[n]
    flow_ids = {(f.source, f.target): f"Flow_{i + 1}" for i, f in enumerate(model.flows)}
    for n in model.node_names:
        kind = model.node_kind(n)
        el = etree.SubElement(proc, q(BPMN_NS, _TAG[kind]), id=ids[n], name=n)
        if kind in ("xor", "and", "or"):
            direction = ("Diverging" if g.out_degree(n) > 1 else
                         "Converging" if g.in_degree(n) > 1 else "Unspecified")
            el.set("gatewayDirection", direction)
        for p in g.predecessors(n):
            etree.SubElement(el, q(BPMN_NS, "incoming")).text = flow_ids[(p, n)]
        for s in g.successors(n):
            etree.SubElement(el, q(BPMN_NS, "outgoing")).text = flow_ids[(n, s)]
        if kind == "timer":
            ted = etree.SubElement(el, q(BPMN_NS, "timerEventDefinition"),
                                   id=f"{ids[n]}_timer")
            delay = model.events[n].delay
            if delay is not None:
                dur = etree.SubElement(ted, q(BPMN_NS, "timeDuration"))
                dur.set(q(XSI_NS, "type"), "bpmn:tFormalExpression")
                dur.text = _iso_seconds(delay.mean())
    labels: dict[tuple[str, str], str] = {}
    for f in model.flows:
        el = etree.SubElement(proc, q(BPMN_NS, "sequenceFlow"), id=flow_ids[(f.source, f.target)],
                              sourceRef=ids[f.source], targetRef=ids[f.target])
        text = flow_label(model, f)
        if text is not None:
            el.set("name", text)
            labels[(f.source, f.target)] = text
    start = model.start_event if any(e.kind == "start" for e in model.events.values()) else None
    lay = layout_graph(g, start, lanes=task_lane if lane_ids else None, edge_labels=labels)
    diagram = etree.SubElement(defs, q(BPMNDI_NS, "BPMNDiagram"), id="BPMNDiagram_1")
    plane = etree.SubElement(diagram, q(BPMNDI_NS, "BPMNPlane"), id="BPMNPlane_1",
                             bpmnElement="Collaboration_bpr" if lane_ids else proc_id)

    def shape(element: str, box: tuple[float, float, float, float], **attrs: str
              ) -> etree._Element:
        el = etree.SubElement(plane, q(BPMNDI_NS, "BPMNShape"), id=f"{element}_di",
                              bpmnElement=element, **attrs)
        _bounds(el, box)
        return el

    if lane_ids and lay.frame is not None:
        shape("Participant_" + slug, lay.frame, isHorizontal="true")
        for pool, lane_id in lane_ids.items():
            shape(lane_id, lay.lanes[pool], isHorizontal="true")
    for n in model.node_names:
        el = shape(ids[n], lay.bounds[n],
                   **({"isMarkerVisible": "true"} if model.node_kind(n) == "xor" else {}))
        if n in lay.labels:
            _bounds(etree.SubElement(el, q(BPMNDI_NS, "BPMNLabel")), lay.labels[n])
    for f in model.flows:
        fid = flow_ids[(f.source, f.target)]
        edge = etree.SubElement(plane, q(BPMNDI_NS, "BPMNEdge"), id=f"{fid}_di",
                                bpmnElement=fid)
        for x, y in lay.waypoints[(f.source, f.target)]:
            etree.SubElement(edge, q(DI_NS, "waypoint"), x=f"{x:g}", y=f"{y:g}")
        if (f.source, f.target) in lay.edge_labels:
            _bounds(etree.SubElement(edge, q(BPMNDI_NS, "BPMNLabel")),
                    lay.edge_labels[(f.source, f.target)])
    return etree.tostring(defs, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _bounds(parent: etree._Element, box: tuple[float, float, float, float]) -> None:
    x, y, w, h = box
    etree.SubElement(parent, f"{{{DC_NS}}}Bounds", x=f"{x:g}", y=f"{y:g}", width=f"{w:g}",
                     height=f"{h:g}")


def sidecar_dict(model: ProcessModel) -> dict[str, Any]:
    """The model's simulation parameters without the control flow (the ``.sim.yaml`` content).

    Every activity, timer and flow entry carries the ``id`` of its BPMN element, so a task
    renamed in a modeller keeps its parameters (the reader matches by id, then by name).
    """
    ids = element_ids(model)
    data = model_to_dict(model)
    data.pop("gateways", None)
    for name, entry in data["activities"].items():
        entry["id"] = ids[name]
    data["events"] = {e.name: {"kind": e.kind, "delay": FlowMap(e.delay.to_dict()),
                               "id": ids[e.name]}
                      for e in model.events.values() if e.kind == "timer" and e.delay is not None}
    if not data["events"]:
        data.pop("events")
    data["flow"] = [FlowMap({"from": f.source, "to": f.target, "probability": f.probability,
                             "id": f"Flow_{i + 1}"})
                    for i, f in enumerate(model.flows) if f.probability is not None]
    if not data["flow"]:
        data.pop("flow")
    return data


def write_bpmn(model: ProcessModel, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` (BPMN 2.0 + BPMNDI) and its sidecar ``NAME.sim.yaml``.

    Both files are written atomically; the sidecar first, so a diagram never sits beside a stale
    sidecar from an earlier export after a failure.
    """
    xml = bpmn_xml(model).decode("utf-8")
    side = dump_yaml(sidecar_dict(model), header=SIDECAR_HEADER)
    write_text(sidecar_path(path), side)
    write_text(Path(path), xml)
