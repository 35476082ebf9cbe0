"""Read BPMN 2.0 process diagrams (bpmn.io, Camunda, Signavio, Simod/ProM) into a ProcessModel.

Control flow comes from the ``.bpmn`` file; simulation parameters from a sidecar ``NAME.sim.yaml``
beside it when present (written by :func:`bpr.model.bpmn.write_bpmn`), otherwise documented
defaults with a warning (activity duration fixed 600 s, no pool; equal xor probabilities;
inclusive branch chance 0.5; timer delay from ``timeDuration`` or 0).

Structure is normalised to what bpr simulates: a task or event with several incoming flows gets
an xor join in front (BPMN's implicit merge), one with several outgoing flows gets a parallel
split after it (BPMN's implicit fork), and a gateway that both joins and splits becomes a join
followed by a split. Node names are the BPMN names (made unique: ``Review (2)``); unnamed nodes
get stable names (``xor 1``, ``timer 2``, ``start``, ``end``).
"""

from __future__ import annotations

import re
import warnings
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lxml import etree

from bpr.errors import ModelError
from bpr.io.xmlsafe import parse_xml
from bpr.io.yamlio import YamlDoc, load_yaml
from bpr.model.distribution import Distribution
from bpr.model.process import ProcessModel
from bpr.model.schema import model_from_doc
from bpr.text import did_you_mean

BPMN_NS = "http://www.omg.org/spec/BPMN/20100524/MODEL"
DEFAULT_DURATION = Distribution.fixed(600.0)
DEFAULT_OR_PROBABILITY = 0.5

TASK_TAGS = ("task", "userTask", "serviceTask", "manualTask", "scriptTask", "sendTask",
             "receiveTask", "businessRuleTask", "callActivity", "subProcess", "transaction",
             "adHocSubProcess")
GATEWAY_TAGS = {"exclusiveGateway": "xor", "parallelGateway": "and", "inclusiveGateway": "or",
                "eventBasedGateway": "xor"}
EVENT_TAGS = {"startEvent": "start", "endEvent": "end", "intermediateCatchEvent": "timer",
              "intermediateThrowEvent": "timer"}
IGNORED_TAGS = ("laneSet", "dataObject", "dataObjectReference", "dataStoreReference",
                "textAnnotation", "association", "documentation", "extensionElements", "property",
                "ioSpecification", "dataInputAssociation", "dataOutputAssociation", "group",
                "incoming", "outgoing")
_ISO_DURATION = re.compile(r"^P(?:(\d+(?:\.\d+)?)W)?(?:(\d+(?:\.\d+)?)D)?"
                           r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


class ModelWarning(UserWarning):
    """Something in a model file was approximated or defaulted; the message says what."""


def sidecar_path(path: str | Path) -> Path:
    """``NAME.bpmn`` -> ``NAME.sim.yaml`` (the simulation parameters kept beside a diagram)."""
    p = Path(path)
    return p.with_name(p.stem + ".sim.yaml")


def iso_duration_seconds(text: str) -> float | None:
    """Seconds in an ISO 8601 duration such as ``PT2H30M`` or ``P1DT12H`` (None if not one)."""
    m = _ISO_DURATION.match(text.strip().upper())
    if not m or not any(m.groups()):
        return None
    w, d, h, mi, s = (float(x) if x else 0.0 for x in m.groups())
    return (((w * 7 + d) * 24 + h) * 60 + mi) * 60 + s


def _local(tag: Any) -> str:
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def clean_name(text: str | None) -> str:
    """Whitespace collapsed to single spaces; ``->`` (bpr's flow arrow) replaced by ``→``."""
    return " ".join((text or "").split()).replace("->", "→")


@dataclass
class BpmnGraph:
    """The control flow read from a BPMN file, keyed by bpr node names."""

    path: str
    kinds: dict[str, str] = field(default_factory=dict)  # name -> task/xor/and/or/start/...
    ids: dict[str, str] = field(default_factory=dict)  # name -> BPMN id (or made-up id)
    lines: dict[str, int | None] = field(default_factory=dict)
    timer_seconds: dict[str, float] = field(default_factory=dict)
    flows: list[tuple[str, str]] = field(default_factory=list)
    flow_ids: dict[tuple[str, str], str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    process_name: str = ""


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
            raise ModelError(f"{el_id}: boundary events (attached to a task) are not supported; "
                             f"model the exception path with an xor gateway after the task",
                             path=path_s, line=el.sourceline)
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
        label = clean_name(el.get("name"))
        if label:
            name = unique(label)
        elif kind == "task":
            name = unique(el_id)
        elif kind in ("start", "end") and kind not in taken:
            name = kind
            taken.add(name)
        else:
            name = auto(kind)
        if kind == "timer":
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
    _normalise(out, auto)
    return out


def _move_flow(g: BpmnGraph, old: tuple[str, str], new: tuple[str, str]) -> None:
    g.flows = [new if f == old else f for f in g.flows]
    if old in g.flow_ids:
        g.flow_ids[new] = g.flow_ids.pop(old)


def _retarget(g: BpmnGraph, name: str, join: str) -> None:
    """Send every flow into ``name`` to ``join`` instead, and add ``join -> name``."""
    for s, t in [f for f in g.flows if f[1] == name]:
        _move_flow(g, (s, t), (s, join))
    g.flows.append((join, name))


def rename_node(g: BpmnGraph, old: str, new: str) -> None:
    """Rename node ``old`` to ``new`` everywhere in ``g``."""
    if new in g.kinds:
        raise ValueError(f"name {new!r} is taken")
    for d in (g.kinds, g.ids, g.lines, g.timer_seconds):
        if old in d:
            d[new] = d.pop(old)

    def r(x: str) -> str:
        return new if x == old else x

    g.flows = [(r(s), r(t)) for s, t in g.flows]
    g.flow_ids = {(r(s), r(t)): fid for (s, t), fid in g.flow_ids.items()}


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


def build_model(g: BpmnGraph, side: YamlDoc | None) -> tuple[ProcessModel, list[str]]:
    """Merge control flow ``g`` with sidecar parameters (or defaults) into a model."""
    notes: list[str] = []
    sdata: dict[str, Any] = {}
    if side is not None and side.data is not None:
        if not isinstance(side.data, Mapping):
            raise ModelError("the sidecar must be a mapping of model sections", path=side.path)
        sdata = dict(side.data)
        for key in ("gateways",):
            if key in sdata:
                raise ModelError(f"{key}: the control flow lives in the .bpmn file; remove "
                                 f"'{key}' from the sidecar", path=side.path,
                                 line=side.line(key))
    names_by_kind: dict[str, list[str]] = {}
    for n, k in g.kinds.items():
        names_by_kind.setdefault(k, []).append(n)
    tasks = names_by_kind.get("task", [])
    side_acts = sdata.get("activities") or {}
    if not isinstance(side_acts, Mapping):
        raise ModelError("activities: expected a mapping of activity names to settings",
                         path=side.path if side else g.path)
    for a in side_acts:
        if a not in g.kinds or g.kinds[a] != "task":
            raise ModelError(f"activities: {a!r} is not a task of the BPMN diagram"
                             f"{did_you_mean(a, tasks)}",
                             path=side.path if side else g.path,
                             line=side.line("activities", a) if side else None)
    activities: dict[str, Any] = {}
    defaulted: list[str] = []
    for t in tasks:
        settings = dict(side_acts.get(t) or {})
        if "duration" not in settings:
            settings["duration"] = DEFAULT_DURATION.to_dict()
            defaulted.append(t)
        activities[t] = settings
    if defaulted:
        notes.append(f"no duration given, using fixed {DEFAULT_DURATION.mean():g} s for "
                     f"{len(defaulted)} activities: {', '.join(defaulted)}")
    side_events = sdata.get("events") or {}
    if not isinstance(side_events, Mapping):
        raise ModelError("events: expected a mapping", path=side.path if side else g.path)
    events: dict[str, Any] = {}
    zero_timers: list[str] = []
    for n, k in g.kinds.items():
        if k not in ("start", "end", "timer"):
            continue
        if k == "timer":
            sv = side_events.get(n)
            delay = sv.get("delay") if isinstance(sv, Mapping) else None
            if delay is None:
                seconds = g.timer_seconds.get(n)
                if seconds is None:
                    zero_timers.append(n)
                    seconds = 0.0
                delay = Distribution.fixed(seconds).to_dict()
            events[n] = {"kind": "timer", "delay": delay}
        else:
            events[n] = k
    if zero_timers:
        notes.append(f"no delay given, timer events wait 0 s: {', '.join(zero_timers)}")
    probs: dict[tuple[str, str], Any] = {}
    for i, f in enumerate(sdata.get("flow") or []):
        if isinstance(f, Mapping) and "from" in f and "to" in f:
            key = (str(f["from"]), str(f["to"]))
            if key not in g.flow_ids and not any(key == fl for fl in g.flows):
                raise ModelError(f"flow: {key[0]!r} -> {key[1]!r} is not a sequence flow of the "
                                 f"diagram", path=side.path if side else g.path,
                                 line=side.line("flow", i) if side else None)
            probs[key] = f.get("probability")
    flows: list[Any] = []
    eq_xor: list[str] = []
    or_default: list[str] = []
    out_deg = Counter(s for s, _ in g.flows)
    for s, t in g.flows:
        p = probs.get((s, t))
        kind = g.kinds[s]
        if p is None and out_deg[s] > 1 and kind == "xor":
            p = 1.0 / out_deg[s]
            if s not in eq_xor:
                eq_xor.append(s)
        elif p is None and out_deg[s] > 1 and kind == "or":
            p = DEFAULT_OR_PROBABILITY
            if s not in or_default:
                or_default.append(s)
        flows.append({"from": s, "to": t, "probability": p} if p is not None else f"{s} -> {t}")
    if eq_xor:
        notes.append(f"no branching probabilities, using equal shares at: {', '.join(eq_xor)}")
    if or_default:
        notes.append(f"no branch chances, using {DEFAULT_OR_PROBABILITY} per branch at "
                     f"inclusive gateways: {', '.join(or_default)}")
    data: dict[str, Any] = {k: v for k, v in sdata.items()
                            if k not in ("activities", "events", "flow")}
    data.setdefault("name", g.process_name or Path(g.path).stem)
    data["activities"] = activities
    data["gateways"] = {n: k for n, k in g.kinds.items() if k in ("xor", "and", "or")}
    data["events"] = events
    data["flow"] = flows
    doc = YamlDoc(data=data, path=side.path if side else g.path,
                  lines=dict(side.lines) if side else {})
    model = model_from_doc(doc)
    source = {n: (g.path, g.lines.get(n)) for n in g.kinds}
    for (s, t), _fid in g.flow_ids.items():
        source[f"flow:{s}->{t}"] = (g.path, None)
    if side is not None:
        for k, v in model.source.items():
            if k.startswith(("pool:", "calendar:")):
                source[k] = v
    return replace(model, source=source), notes
