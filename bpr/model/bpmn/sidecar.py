"""Merge a BPMN diagram's control flow with the simulation parameters of its sidecar
``NAME.sim.yaml`` (or documented defaults) into a :class:`~bpr.model.process.ProcessModel`.

Sidecar entries are matched to the diagram **by BPMN id** (each entry's ``id``) and then by
name, so a task, timer or flow renamed in a modeller keeps its parameters. Defaults, each
reported as a warning: activity duration fixed :data:`DEFAULT_DURATION` with no pool (or the
task's lane as pool), equal xor probabilities, inclusive branch chance
:data:`DEFAULT_OR_PROBABILITY`, timer delay from ``timeDuration`` or 0, a lane without a pool
in the sidecar becomes a pool of one person, and an interrupting boundary event fires with
:data:`DEFAULT_BOUNDARY_PROBABILITY` (a timer on a task whose duration is known: with the share
of durations longer than the timer).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from bpr.errors import ModelError
from bpr.io.yamlio import YamlDoc
from bpr.model.bpmn.graph import BpmnGraph
from bpr.model.distribution import Distribution
from bpr.model.process import Flow, ProcessModel
from bpr.model.schema import model_from_doc
from bpr.text import did_you_mean

DEFAULT_DURATION = Distribution.fixed(600.0)
DEFAULT_OR_PROBABILITY = 0.5
DEFAULT_BOUNDARY_PROBABILITY = 0.1
TIMER_DRAWS = 20_000  # draws of a task's duration to estimate how often its timer fires


class _Match:
    """Sidecar names and ids -> the diagram's current names."""

    def __init__(self, g: BpmnGraph, side: YamlDoc | None):
        self.g, self.side = g, side
        self.by_id = {bid: n for n, bid in g.ids.items()}
        self.flow_by_id = {fid: f for f, fid in g.flow_ids.items()}
        self.renamed: dict[str, str] = {}

    @property
    def path(self) -> str:
        return self.side.path if self.side is not None else self.g.path

    def line(self, *keys: Any) -> int | None:
        return self.side.line(*keys) if self.side is not None else None

    def entries(self, section: str, data: Mapping[str, Any], kinds: tuple[str, ...],
                what: str) -> dict[str, dict[str, Any]]:
        """A section's entries keyed by the diagram's names (``id`` first, then name)."""
        out: dict[str, dict[str, Any]] = {}
        candidates = [n for n, k in self.g.kinds.items() if k in kinds]
        for key, value in data.items():
            settings = dict(value) if isinstance(value, Mapping) else value
            bid = settings.pop("id", None) if isinstance(settings, dict) else None
            name = self.by_id.get(str(bid)) if bid is not None else None
            if name is None or self.g.kinds.get(name) not in kinds:
                name = str(key) if self.g.kinds.get(str(key)) in kinds else None
            if name is None:
                ident = f" (id {bid!r})" if bid is not None else ""
                raise ModelError(f"{section}: {key!r}{ident} is not {what} of the BPMN diagram"
                                 f"{did_you_mean(str(key), candidates)}", path=self.path,
                                 line=self.line(section, key))
            if name in out:
                raise ModelError(f"{section}: two entries for {name!r}; keep one",
                                 path=self.path, line=self.line(section, key))
            if name != key:
                self.renamed[str(key)] = name
            out[name] = settings
        return out

    def flow(self, i: int, entry: Mapping[str, Any]) -> tuple[str, str]:
        fid = entry.get("id")
        if fid is not None and str(fid) in self.flow_by_id:
            return self.flow_by_id[str(fid)]
        key = (self.renamed.get(str(entry["from"]), str(entry["from"])),
               self.renamed.get(str(entry["to"]), str(entry["to"])))
        if key not in self.g.flow_ids and key not in self.g.flows:
            raise ModelError(f"flow: {entry['from']!r} -> {entry['to']!r} is not a sequence "
                             f"flow of the diagram", path=self.path, line=self.line("flow", i))
        return key


def build_model(g: BpmnGraph, side: YamlDoc | None) -> tuple[ProcessModel, list[str]]:
    """Merge control flow ``g`` with sidecar parameters (or defaults) into a model; returns the
    model and the notes (approximations and defaults) to report."""
    notes: list[str] = []
    sdata: dict[str, Any] = {}
    if side is not None and side.data is not None:
        if not isinstance(side.data, Mapping):
            raise ModelError("the sidecar must be a mapping of model sections", path=side.path)
        sdata = dict(side.data)
        if "gateways" in sdata:
            raise ModelError("gateways: the control flow lives in the .bpmn file; remove "
                             "'gateways' from the sidecar", path=side.path,
                             line=side.line("gateways"))
    match = _Match(g, side)
    for section in ("activities", "events"):
        if not isinstance(sdata.get(section) or {}, Mapping):
            raise ModelError(f"{section}: expected a mapping of names to settings",
                             path=match.path, line=match.line(section))
    side_acts = match.entries("activities", sdata.get("activities") or {}, ("task",), "a task")
    side_events = match.entries("events", sdata.get("events") or {}, ("timer",),
                                "an intermediate event")
    pools: dict[str, Any] = dict(sdata.get("pools") or {}) if isinstance(
        sdata.get("pools") or {}, Mapping) else sdata["pools"]
    tasks = [n for n, k in g.kinds.items() if k == "task"]
    activities: dict[str, Any] = {}
    defaulted: list[str] = []
    lane_pools: list[str] = []
    for t in tasks:
        settings = dict(side_acts.get(t) or {})
        if "duration" not in settings:
            settings["duration"] = DEFAULT_DURATION.to_dict()
            defaulted.append(t)
        lane = g.lanes.get(t)
        if "pool" not in settings and lane is not None:
            settings["pool"] = lane
            if isinstance(pools, dict) and lane not in pools and lane not in lane_pools:
                lane_pools.append(lane)
        activities[t] = settings
    if defaulted:
        notes.append(f"no duration given, using fixed {DEFAULT_DURATION.mean():g} s for "
                     f"{len(defaulted)} activities: {', '.join(defaulted)}")
    if lane_pools:
        for lane in lane_pools:
            pools[lane] = {"count": 1}
        notes.append(f"lanes read as pools of 1 person (set their count in the sidecar): "
                     f"{', '.join(lane_pools)}")
    events, zero_timers = _events(g, side_events)
    if zero_timers:
        notes.append(f"no delay given, timer events wait 0 s: {', '.join(zero_timers)}")
    probs = {match.flow(i, f): f.get("probability") for i, f in enumerate(sdata.get("flow") or [])
             if isinstance(f, Mapping) and "from" in f and "to" in f}
    flows, flow_notes = _flows(g, probs)
    notes += flow_notes
    if match.renamed:
        notes.append("sidecar entries matched by BPMN id to renamed elements: " + ", ".join(
            f"{old!r} -> {new!r}" for old, new in match.renamed.items()))
    data: dict[str, Any] = {k: v for k, v in sdata.items()
                            if k not in ("activities", "events", "flow", "pools")}
    data.setdefault("name", g.process_name or Path(g.path).stem)
    if pools:
        data["pools"] = pools
    data["activities"] = activities
    data["gateways"] = {n: k for n, k in g.kinds.items() if k in ("xor", "and", "or")}
    data["events"] = events
    data["flow"] = flows
    if match.renamed and isinstance(data.get("observed"), Mapping):
        data["observed"] = _renamed_observed(data["observed"], match.renamed)
    doc = YamlDoc(data=data, path=match.path, lines=dict(side.lines) if side else {})
    model = model_from_doc(doc)
    model, boundary_notes = _boundary_chances(g, model, probs)
    notes += boundary_notes
    source = {n: (g.path, g.lines.get(n)) for n in g.kinds}
    for (s, t), _fid in g.flow_ids.items():
        source[f"flow:{s}->{t}"] = (g.path, None)
    if side is not None:
        for k, v in model.source.items():
            if k.startswith(("pool:", "calendar:")):
                source[k] = v
    return replace(model, source=source), notes


def _events(g: BpmnGraph, side_events: Mapping[str, Any]) -> tuple[dict[str, Any], list[str]]:
    events: dict[str, Any] = {}
    zero_timers: list[str] = []
    for n, k in g.kinds.items():
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
        elif k in ("start", "end"):
            events[n] = k
    return events, zero_timers


def _flows(g: BpmnGraph, probs: Mapping[tuple[str, str], Any]) -> tuple[list[Any], list[str]]:
    """Flow entries with the sidecar's probabilities, or the defaults (noted)."""
    notes: list[str] = []
    splits = {b.split for b in g.boundaries}
    flows: list[Any] = []
    eq_xor: list[str] = []
    or_default: list[str] = []
    out_deg = Counter(s for s, _ in g.flows)
    for s, t in g.flows:
        p = probs.get((s, t))
        kind = g.kinds[s]
        if p is None and out_deg[s] > 1 and kind == "xor":
            p = 1.0 / out_deg[s]  # boundary splits: set by _boundary_chances
            if s not in eq_xor and s not in splits:
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
    return flows, notes


def _boundary_chances(g: BpmnGraph, model: ProcessModel,
                      probs: Mapping[tuple[str, str], Any]) -> tuple[ProcessModel, list[str]]:
    """Probabilities of the branches after a task with boundary events: the sidecar's, else a
    timer's share of the task's durations longer than it, else the default; the task's normal
    outcome takes the rest."""
    if not g.boundaries:
        return model, []
    chance: dict[tuple[str, str], float] = {}
    described: list[str] = []
    for b in g.boundaries:
        given = probs.get((b.split, b.event))
        if given is not None:
            p, how = float(given), "from the sidecar"
        elif b.timeout is not None and b.task in model.activities:
            draws = model.activities[b.task].duration.sample(np.random.default_rng(0),
                                                             TIMER_DRAWS)
            p = round(float(np.mean(draws > b.timeout)), 4)
            how = f"share of durations over {b.timeout:g} s"
        else:
            p, how = DEFAULT_BOUNDARY_PROBABILITY, "default"
        chance[(b.split, b.event)] = p
        described.append(f"{b.event} after {b.task} ({p:g}, {how})")
    for split in dict.fromkeys(b.split for b in g.boundaries):
        events = [(s, t) for s, t in g.flows if s == split and (s, t) in chance]
        normal = [(s, t) for s, t in g.flows if s == split and (s, t) not in chance]
        rest = 1.0 - sum(chance[e] for e in events)
        for e in normal:
            given = probs.get(e)
            chance[e] = float(given) if given is not None else rest / len(normal)
    flows = tuple(Flow(f.source, f.target, chance.get((f.source, f.target), f.probability))
                  for f in model.flows)
    return replace(model, flows=flows), [
        "interrupting boundary events read as exclusive branches after their task: "
        + "; ".join(described)]


def _renamed_observed(observed: Mapping[str, Any], renamed: Mapping[str, str]) -> dict[str, Any]:
    """Observed figures keyed by the diagram's current names."""
    out = dict(observed)

    def name(n: str) -> str:
        return renamed.get(n, n)

    for key in ("activity_count", "activity_waiting_seconds"):
        if isinstance(out.get(key), Mapping):
            out[key] = {name(str(k)): v for k, v in out[key].items()}
    if isinstance(out.get("flow_count"), Mapping):
        fc: dict[str, Any] = {}
        for k, v in out["flow_count"].items():
            a, _, b = str(k).partition(" -> ")
            fc[f"{name(a)} -> {name(b)}" if b else str(k)] = v
        out["flow_count"] = fc
    return out
