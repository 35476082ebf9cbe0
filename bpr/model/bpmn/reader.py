"""Read BPMN 2.0 process diagrams (bpmn.io, Camunda, Signavio, Simod/ProM) into a ProcessModel.

Control flow comes from the ``.bpmn`` file; simulation parameters from a sidecar ``NAME.sim.yaml``
beside it when present (written by :func:`bpr.model.bpmn.write_bpmn`; merged by
:mod:`bpr.model.bpmn.sidecar`), otherwise documented defaults with a warning.

Structure is normalised to what bpr simulates: a task or event with several incoming flows gets
an xor join in front (BPMN's implicit merge), one with several outgoing flows gets a parallel
split after it (BPMN's implicit fork), and a gateway that both joins and splits becomes a join
followed by a split. Joins that close no split of theirs (unstructured joins) are kept as they
are. An interrupting boundary event becomes an exclusive branch after its task (gateway
``<task> interrupted?``); a non-interrupting one is refused. Lanes are kept per task (the
sidecar merge turns lane names into pools). Node names are the BPMN names (made unique:
``Review (2)``); unnamed nodes get stable names (``xor 1``, ``timer 2``, ``start``, ``end``).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from bpr.errors import ModelError
from bpr.io.xmlsafe import parse_xml
from bpr.io.yamlio import load_yaml
from bpr.model.bpmn.graph import (
    Boundary,
    BpmnGraph,
    ModelWarning,
    clean_name,
    rename_node,
    sidecar_path,
)
from bpr.model.bpmn.sidecar import build_model
from bpr.model.process import ProcessModel
from bpr.text import did_you_mean

__all__ = ["BPMN_NS", "BpmnGraph", "ModelWarning", "build_model", "iso_duration_seconds",
           "read_bpmn", "read_graph", "rename_node", "sidecar_path"]

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"

TASK_TAGS = ("task", "userTask", "serviceTask", "manualTask", "scriptTask", "sendTask",
             "receiveTask", "businessRuleTask", "callActivity", "subProcess", "transaction",
             "adHocSubProcess")
GATEWAY_TAGS = {"exclusiveGateway": "xor", "parallelGateway": "and", "inclusiveGateway": "or",
                "eventBasedGateway": "xor"}
EVENT_TAGS = {"startEvent": "start", "endEvent": "end", "intermediateCatchEvent": "timer",
              "intermediateThrowEvent": "timer"}
BOUNDARY_KINDS = {"timerEventDefinition": "timer", "errorEventDefinition": "error",
                  "messageEventDefinition": "message", "escalationEventDefinition": "escalation",
                  "signalEventDefinition": "signal", "conditionalEventDefinition": "conditional",
                  "cancelEventDefinition": "cancel", "compensateEventDefinition": "compensation"}
IGNORED_TAGS = ("laneSet", "dataObject", "dataObjectReference", "dataStoreReference",
                "textAnnotation", "association", "documentation", "extensionElements", "property",
                "ioSpecification", "dataInputAssociation", "dataOutputAssociation", "group",
                "incoming", "outgoing")
_ISO_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                           r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def iso_duration_seconds(text: str) -> float | None:
    """Seconds in an ISO 8601 duration such as ``PT2H30M`` or ``P1DT12H`` (None if not one)."""
    m = _ISO_DURATION.match(text.strip().upper())
    if not m or not any(m.groups()):
        return None
    w, d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
    return (((w * 7 + d) * 24 + h) * 60 + mi) * 60 + s


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _pick_process(root: etree._Element, path: str) -> etree._Element:
    if _local(root.tag) != "definitions":
        raise ModelError(f"not a BPMN file: the root element is <{_local(root.tag)}>, expected "
                         f"<definitions> (BPMN 2.0)", path=path, line=root.sourceline)
    processes = [p for p in root.iter(f"{{{BPMN_NS}}}process")]
    if not processes:
        ns = etree.QName(root.tag).namespace
        hint = "" if ns == BPMN_NS else f" (its namespace is {ns!r}, not BPMN 2.0's)"
        raise ModelError(f"the BPMN file has no <process>{hint}; draw a process with a start "
                         f"event, tasks and an end event", path=path)

    def size(p: etree._Element) -> int:
        return sum(1 for c in p if _local(c.tag) in TASK_TAGS)

    processes.sort(key=size, reverse=True)
    if size(processes[0]) == 0:
        raise ModelError("the BPMN process has no tasks", path=path,
                         line=processes[0].sourceline)
    return processes[0]


def read_graph(path: str | Path) -> BpmnGraph:
    """The normalised control flow of the (largest) process in a BPMN file."""
    path_s = str(path)
    root = parse_xml(path, error=ModelError)
    process = _pick_process(root, path_s)
    out = BpmnGraph(path=path_s, process_name=clean_name(process.get("name")))
    n_processes = sum(1 for _ in root.iter(f"{{{BPMN_NS}}}process"))
    if n_processes > 1:
        out.notes.append(f"the file has {n_processes} processes; read the largest "
                         f"({process.get('id')})")
    by_id: dict[str, str] = {}
    taken: set[str] = set()
    counters: Counter[str] = Counter()
    seen_names: Counter[str] = Counter()
    flows_xml: list[etree._Element] = []
    event_based: list[str] = []
    other_events: list[str] = []
    boundary_xml: list[tuple[etree._Element, str]] = []
    compensation: list[str] = []

    def unique(base: str) -> str:
        seen_names[base] += 1
        name = base if seen_names[base] == 1 and base not in taken else None
        k = seen_names[base]
        while name is None or name in taken:
            k = max(k, 2)
            name = f"{base} ({k})"
            k += 1
        taken.add(name)
        return name

    def auto(prefix: str) -> str:
        while True:
            counters[prefix] += 1
            cand = f"{prefix} {counters[prefix]}"
            if cand not in taken:
                taken.add(cand)
                return cand

    for el in process:
        tag = _local(el.tag)
        el_id = el.get("id")
        if tag == "sequenceFlow":
            flows_xml.append(el)
            continue
        if tag in IGNORED_TAGS or not tag:
            continue
        if tag in TASK_TAGS:
            kind = "task"
        elif tag in GATEWAY_TAGS:
            kind = GATEWAY_TAGS[tag]
        elif tag in EVENT_TAGS:
            kind = EVENT_TAGS[tag]
        elif tag == "boundaryEvent":
            if _boundary_kind(el) == "compensation":  # no sequence flow: a handler's trigger
                compensation.append(clean_name(el.get("name")) or str(el_id))
                continue
            kind = "timer"  # a pass-through event (or an end) on the exception path
        elif tag == "complexGateway":
            raise ModelError(f"{el_id}: complex gateways are not supported; use an exclusive, "
                             f"parallel or inclusive gateway", path=path_s, line=el.sourceline)
        else:
            continue  # other elements do not take part in the sequence flow
        if not el_id:
            raise ModelError(f"a <{tag}> has no id attribute; every BPMN element needs one",
                             path=path_s, line=el.sourceline)
        if el_id in by_id:
            raise ModelError(f"{el_id}: the id is used twice; ids must be unique",
                             path=path_s, line=el.sourceline)
        if kind == "task" and el.get("isForCompensation") == "true":
            compensation.append(clean_name(el.get("name")) or el_id)
            continue
        label = clean_name(el.get("name"))
        if tag == "boundaryEvent":
            name = unique(label) if label else auto("boundary")
            boundary_xml.append((el, name))
        elif label:
            name = unique(label)
        elif kind == "task":
            name = unique(el_id)
        elif kind in ("start", "end") and kind not in taken:
            name = kind
            taken.add(name)
        else:
            name = auto(kind)
        if kind == "timer" and tag != "boundaryEvent":
            timer = next((c for c in el if _local(c.tag) == "timerEventDefinition"), None)
            seconds = None
            if timer is not None:
                dur = next((c for c in timer if _local(c.tag) == "timeDuration"), None)
                if dur is not None and dur.text:
                    seconds = iso_duration_seconds(dur.text)
            else:
                other_events.append(name)
            if seconds is not None:
                out.timer_seconds[name] = seconds
        if tag == "eventBasedGateway":
            event_based.append(name)
        by_id[el_id] = name
        out.kinds[name] = kind
        out.ids[name] = el_id
        out.lines[name] = el.sourceline
    if event_based:
        out.notes.append(f"event-based gateways read as exclusive (xor) choices with equal "
                         f"probabilities: {', '.join(event_based)}")
    if other_events:
        out.notes.append(f"intermediate events that are not timers pass through with no delay: "
                         f"{', '.join(other_events)}")
    if compensation:
        out.notes.append(f"compensation (undoing finished work) is not simulated; left out: "
                         f"{', '.join(compensation)}")
    for lane_set in (c for c in process if _local(c.tag) == "laneSet"):
        _read_lanes(lane_set, by_id, out)

    raw: list[tuple[str, str, str]] = []
    for f in flows_xml:
        fid = f.get("id") or f"flow {len(raw) + 1}"
        ends = []
        for attr in ("sourceRef", "targetRef"):
            ref = f.get(attr)
            if not ref:
                raise ModelError(f"{fid}: sequence flow without {attr}", path=path_s,
                                 line=f.sourceline)
            if ref not in by_id:
                raise ModelError(f"{fid}: {attr} {ref!r} is not an element of the process"
                                 f"{did_you_mean(ref, by_id)}; fix or delete the flow",
                                 path=path_s, line=f.sourceline)
            ends.append(by_id[ref])
        raw.append((ends[0], ends[1], fid))
    seen: set[tuple[str, str]] = set()
    for s, t, fid in raw:
        if (s, t) in seen:
            out.notes.append(f"duplicate sequence flow {fid} from {s!r} to {t!r} merged")
            continue
        seen.add((s, t))
        out.flows.append((s, t))
        out.flow_ids[(s, t)] = fid
    _boundaries(out, boundary_xml, by_id, unique, auto)
    _normalise(out, auto)
    return out


def _boundary_kind(el: etree._Element) -> str:
    """``timer``, ``error``, ``message``, ... from a boundary event's definition (``none``)."""
    return next((BOUNDARY_KINDS[_local(c.tag)] for c in el if _local(c.tag) in BOUNDARY_KINDS),
                "none")


def _read_lanes(lane_set: etree._Element, by_id: dict[str, str], out: BpmnGraph) -> None:
    """Each task's lane; a task in nested lanes gets the innermost one."""
    for lane in (c for c in lane_set if _local(c.tag) == "lane"):
        name = clean_name(lane.get("name")) or None
        for ref in (c for c in lane if _local(c.tag) == "flowNodeRef"):
            node = by_id.get((ref.text or "").strip())
            if node is not None and out.kinds.get(node) == "task":
                out.lanes[node] = name
        for child in (c for c in lane if _local(c.tag) == "childLaneSet"):
            _read_lanes(child, by_id, out)


def _boundaries(out: BpmnGraph, boundary_xml: list[tuple[etree._Element, str]],
                by_id: dict[str, str], unique: Callable[[str], str],
                auto: Callable[[str], str]) -> None:
    """Interrupting boundary events -> an xor split ``<task> interrupted?`` after the task: one
    branch takes the task's own outgoing flows, one per event starts its exception path (or
    ends the case when the event has no outgoing flow). Non-interrupting ones are refused."""
    by_task: dict[str, list[tuple[str, float | None]]] = {}
    for el, name in boundary_xml:
        ref = el.get("attachedToRef") or ""
        task = by_id.get(ref)
        el_id = el.get("id")
        if task is None or out.kinds.get(task) != "task":
            raise ModelError(f"{el_id}: the boundary event is attached to {ref!r}, which is not "
                             f"a task of the process; attach it to a task or delete it",
                             path=out.path, line=el.sourceline)
        if el.get("cancelActivity", "true").strip().lower() == "false":
            raise ModelError(f"{el_id}: non-interrupting boundary event on {task!r} starts a "
                             f"second path while the task goes on, which bpr cannot simulate; "
                             f"make it interrupting, or draw that path as a parallel branch "
                             f"(and gateway) after the task", path=out.path, line=el.sourceline)
        timeout = None
        timer = next((c for c in el if _local(c.tag) == "timerEventDefinition"), None)
        dur = None if timer is None else next(
            (c for c in timer if _local(c.tag) == "timeDuration"), None)
        if dur is not None and dur.text:
            timeout = iso_duration_seconds(dur.text)
        if any(f[0] == name for f in out.flows):
            out.timer_seconds[name] = 0.0  # its time passed while the task ran
        else:
            out.kinds[name] = "end"
        by_task.setdefault(task, []).append((name, timeout))
    for task, events in by_task.items():
        split = unique(f"{task} interrupted?")
        out.kinds[split] = "xor"
        out.ids[split] = f"{out.ids[task]}_boundary"
        out.lines[split] = out.lines[task]
        normal = [f for f in out.flows if f[0] == task]
        for f in normal:
            _move_flow(out, f, (split, f[1]))
        if len(normal) > 1:  # the task's implicit fork comes after the normal branch
            fork = auto("and split")
            out.kinds[fork] = "and"
            out.ids[fork] = f"{out.ids[task]}_and_split"
            out.lines[fork] = out.lines[task]
            for _, t in normal:
                _move_flow(out, (split, t), (fork, t))
            out.flows.append((split, fork))
        out.flows.insert(out.flows.index((split, normal[0][1])) if len(normal) == 1 else
                         len(out.flows), (task, split))
        for event, timeout in events:
            out.flows.append((split, event))
            out.boundaries.append(Boundary(event, task, split, timeout))


def _move_flow(g: BpmnGraph, old: tuple[str, str], new: tuple[str, str]) -> None:
    g.flows = [new if f == old else f for f in g.flows]
    if old in g.flow_ids:
        g.flow_ids[new] = g.flow_ids.pop(old)


def _retarget(g: BpmnGraph, name: str, join: str) -> None:
    """Send every flow into ``name`` to ``join`` instead, and add ``join -> name``."""
    for s, t in [f for f in g.flows if f[1] == name]:
        _move_flow(g, (s, t), (s, join))
    g.flows.append((join, name))


def _normalise(g: BpmnGraph, auto: Any) -> None:
    """Insert explicit gateways for implicit merges/forks and split mixed gateways."""
    inserted: list[str] = []
    for name, kind in list(g.kinds.items()):
        ins = [f for f in g.flows if f[1] == name]
        outs = [f for f in g.flows if f[0] == name]
        gateway = kind in ("xor", "and", "or")
        if gateway and len(ins) > 1 and len(outs) > 1:
            join = auto(f"{kind} join")
            g.kinds[join] = kind
            g.ids[join] = f"{g.ids[name]}_join"
            g.lines[join] = g.lines[name]
            _retarget(g, name, join)
            inserted.append(f"{join} before {name}")
            continue
        if not gateway and kind != "end" and len(ins) > 1:
            join = auto("xor join")
            g.kinds[join] = "xor"
            g.ids[join] = f"{g.ids[name]}_xor_join"
            g.lines[join] = g.lines[name]
            _retarget(g, name, join)
            inserted.append(f"{join} before {name}")
        if not gateway and len(outs) > 1:
            split = auto("and split")
            g.kinds[split] = "and"
            g.ids[split] = f"{g.ids[name]}_and_split"
            g.lines[split] = g.lines[name]
            for s, t in [f for f in g.flows if f[0] == name]:
                _move_flow(g, (s, t), (split, t))
            g.flows.append((name, split))
            inserted.append(f"{split} after {name}")
    if inserted:
        g.notes.append("implicit merges/forks made explicit: " + "; ".join(inserted))


def _warn(messages: list[str], path: str) -> None:
    for m in messages:
        warnings.warn(f"{path}: {m}", ModelWarning, stacklevel=3)


def read_bpmn(path: str | Path) -> ProcessModel:
    """Read a BPMN 2.0 file (plus its ``.sim.yaml`` sidecar if present) into a model.

    The model is not checked for soundness here (``bpr.model.check`` / ``load_model`` do that).
    Approximations and defaults are reported as :class:`ModelWarning` warnings.
    """
    g = read_graph(path)
    side_path = sidecar_path(path)
    side = load_yaml(side_path) if side_path.is_file() else None
    model, notes = build_model(g, side)
    _warn(g.notes + notes, str(path))
    return model
