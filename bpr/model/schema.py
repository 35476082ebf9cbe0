"""The ``processes/*.yaml`` file format (schema version 1): model <-> plain data <-> YAML.

One schema for mined and hand-written models, strict about unknown keys (with a did-you-mean),
keyed by names, times in seconds (or strings with units such as ``'15m'``). See
``processes/README.md`` for the documented format. ``load(save(m)) == m`` exactly.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from bpr.errors import BprError, ModelError
from bpr.io.atomic import write_text
from bpr.io.yamlio import Flow as YamlFlow
from bpr.io.yamlio import FlowMap, YamlDoc, dump_yaml, load_yaml, parse_yaml
from bpr.model.calendar import Calendar, check_timezone
from bpr.model.distribution import Distribution, _num
from bpr.model.numbers import MAX_AMOUNT, MAX_NUMBER, MAX_POOL_COUNT, number
from bpr.model.process import (
    ALWAYS,
    EVENT_KINDS,
    GATEWAY_KINDS,
    Activity,
    Arrivals,
    Event,
    Flow,
    Gateway,
    Observed,
    Pool,
    ProcessModel,
    observed_value,
    plain_data,
)
from bpr.model.resources import (
    DISPATCH_RULES,
    SHIFT_END_RULES,
    attribute_to_dict,
    batch_to_dict,
    person_to_dict,
    read_batch,
    read_case_attributes,
    read_people,
)
from bpr.text import did_you_mean, json_ready

SCHEMA_VERSION = 1
VERSION_KEY = "bpr_model"

_TOP_KEYS = ("bpr_model", "name", "description", "timezone", "currency", "arrivals",
             "case_attributes", "calendars", "people", "pools", "activities", "gateways",
             "events", "flow", "observed", "calibration")
_ACTIVITY_KEYS = ("pool", "duration", "fixed_cost", "delay", "priority", "batch")
_POOL_KEYS = ("count", "calendar", "hourly_rate", "members", "dispatch", "shift_end")
_ARRIVAL_KEYS = ("interarrival", "calendar")
_EVENT_KEYS = ("kind", "delay")
_FLOW_KEYS = ("from", "to", "probability")
_OBSERVED_KEYS = ("log", "cases", "events", "first_event", "last_event", "cases_per_year",
                  "start_times_estimated", "activity_count", "activity_waiting_seconds",
                  "flow_count", "cycle_time_median_seconds", "cycle_time_p90_seconds")
_OBSERVED_REQUIRED = _OBSERVED_KEYS[:6]
_YAML12_FLOAT = re.compile(r"^[-+]?(?:\d+\.?\d*|\.\d+)[eE][-+]?\d+$")  # 1e-5: text in YAML 1.1

HEADER = """\
bpr process model (schema version 1). Times are in seconds unless written with a unit
('90s', '15m', '2h', '1d'); hourly_rate is currency per busy hour; fixed_cost is currency per
execution. The format is documented in processes/README.md. Edit freely: `bpr check FILE`."""


class _Reader:
    """Builds a model from a parsed document, raising errors that name file, line and field."""

    def __init__(self, doc: YamlDoc):
        self.doc = doc
        self.source: dict[str, tuple[str, int | None]] = {}

    def fail(self, keys: tuple[Any, ...], message: str) -> BprError:
        field_path = ".".join(str(k) for k in keys if not isinstance(k, int))
        prefix = f"{field_path}: " if field_path else ""
        return ModelError(prefix + message, path=self.doc.path, line=self.doc.line(*keys))

    def mapping(self, value: Any, keys: tuple[Any, ...], allowed: tuple[str, ...] | None,
                what: str) -> Mapping[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, Mapping):
            raise self.fail(keys, f"expected a mapping of {what}, got {type(value).__name__}")
        if allowed is not None:
            for k in value:
                if k not in allowed:
                    raise self.fail(keys + (k,), f"unknown key {k!r}{did_you_mean(k, allowed)} "
                                    f"(allowed: {', '.join(allowed)})")
        return value

    def wrap(self, keys: tuple[Any, ...], fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except ModelError as err:
            if err.path is not None:
                raise
            raise self.fail(keys, err.detail) from None

    def number(self, value: Any, keys: tuple[Any, ...], *, minimum: float | None = None,
               maximum: float = MAX_NUMBER, integer: bool = False) -> Any:
        """A finite number within the limits (:mod:`bpr.model.numbers`), or an error naming
        the field and its line. ``1e-5``, which YAML 1.1 reads as text, counts as a number."""
        if isinstance(value, str) and _YAML12_FLOAT.match(value):
            value = float(value)
        try:
            return number(value, "", minimum=minimum, maximum=maximum, integer=integer)
        except ModelError as err:
            raise self.fail(keys, err.detail) from None

    def choice(self, data: Mapping[str, Any], key: str, allowed: tuple[str, ...],
               keys: tuple[Any, ...]) -> str:
        """``data[key]`` (default: the first of ``allowed``), which must be one of ``allowed``."""
        value = data.get(key, allowed[0])
        if value not in allowed:
            raise self.fail(keys + (key,), f"{value!r} is unknown{did_you_mean(value, allowed)}; "
                            f"use {' or '.join(allowed)}")
        return str(value)

    def distribution(self, value: Any, keys: tuple[Any, ...]) -> Distribution:
        return self.wrap(keys, Distribution.from_dict, value, "")

    def read(self) -> ProcessModel:
        data = self.doc.data
        if data is None:
            raise ModelError("the file is empty; a model needs at least 'name' and 'activities'",
                             path=self.doc.path)
        top = self.mapping(data, (), _TOP_KEYS, "model sections")
        version = top.get(VERSION_KEY, SCHEMA_VERSION)
        if version != SCHEMA_VERSION:
            raise self.fail((VERSION_KEY,), f"schema version {version!r} is not supported; this "
                            f"bpr reads version {SCHEMA_VERSION}")
        name = top.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.fail(("name",), "missing or empty 'name'; give the process a name")

        calendars: dict[str, Calendar] = {}
        for cname, cval in self.mapping(top.get("calendars"), ("calendars",), None,
                                        "calendars").items():
            calendars[str(cname)] = self.wrap(("calendars", cname), Calendar.from_dict, cval,
                                              "calendar")
            self.source[f"calendar:{cname}"] = (self.doc.path, self.doc.line("calendars", cname))

        people = read_people(self, top.get("people"))
        case_attributes = read_case_attributes(self, top.get("case_attributes"))
        pools: dict[str, Pool] = {}
        for pname, pval in self.mapping(top.get("pools"), ("pools",), None, "pools").items():
            k = ("pools", pname)
            if isinstance(pval, int) and not isinstance(pval, bool):
                pval = {"count": pval}
            p = self.mapping(pval, k, _POOL_KEYS, "pool settings")
            members = p.get("members") or ()
            if not isinstance(members, list | tuple) or not all(isinstance(m, str) for m in
                                                                 members):
                raise self.fail(k + ("members",), "expected a list of names")
            if "count" not in p and not members:
                raise self.fail(k, "missing 'count' (how many staff are in the pool) or "
                                "'members' (the people in it)")
            rate = p.get("hourly_rate")
            pools[str(pname)] = Pool(
                name=str(pname),
                count=self.number(p["count"], k + ("count",), minimum=0, maximum=MAX_POOL_COUNT,
                                  integer=True) if "count" in p else len(members),
                calendar=str(p.get("calendar", ALWAYS)),
                hourly_rate=None if rate is None else self.number(rate, k + ("hourly_rate",),
                                                                  minimum=0, maximum=MAX_AMOUNT),
                members=tuple(members),
                dispatch=self.choice(p, "dispatch", DISPATCH_RULES, k),
                shift_end=self.choice(p, "shift_end", SHIFT_END_RULES, k),
            )
            self.source[f"pool:{pname}"] = (self.doc.path, self.doc.line(*k))

        raw_acts = top.get("activities")
        if raw_acts is None:
            raise self.fail((), "missing 'activities'; list the process's tasks")
        activities: dict[str, Activity] = {}
        if isinstance(raw_acts, list):  # a plain sequence: names or single-key mappings
            items: list[tuple[Any, Any, tuple[Any, ...]]] = []
            for i, entry in enumerate(raw_acts):
                if isinstance(entry, str):
                    items.append((entry, {}, ("activities", i)))
                elif isinstance(entry, Mapping) and len(entry) == 1:
                    (aname, aval), = entry.items()
                    items.append((aname, aval, ("activities", i, aname)))
                else:
                    raise self.fail(("activities", i), "expected an activity name or "
                                    "'name: {pool: ..., duration: ...}'")
        else:
            items = [(a, v, ("activities", a)) for a, v in self.mapping(
                raw_acts, ("activities",), None, "activities").items()]
        for aname, aval, k in items:
            aname = str(aname)
            if aname in activities:
                raise self.fail(k, f"activity {aname!r} is defined twice")
            a = self.mapping(aval, k, _ACTIVITY_KEYS, "activity settings")
            if "duration" not in a:
                raise self.fail(k, f"activity {aname!r} has no 'duration'; give e.g. "
                                f"{{kind: gamma, mean: 600, sd: 200}} or '10m'")
            activities[aname] = Activity(
                name=aname,
                duration=self.distribution(a["duration"], k + ("duration",)),
                pool=None if a.get("pool") is None else str(a["pool"]),
                fixed_cost=self.number(a.get("fixed_cost", 0.0), k + ("fixed_cost",), minimum=0,
                                       maximum=MAX_AMOUNT),
                delay=None if a.get("delay") is None else self.distribution(a["delay"],
                                                                            k + ("delay",)),
                priority=0.0 if a.get("priority") is None else self.number(
                    a["priority"], k + ("priority",)),
                batch=None if a.get("batch") is None else read_batch(self, a["batch"],
                                                                     k + ("batch",)),
            )
            self.source[aname] = (self.doc.path, self.doc.line(*k))

        gateways: dict[str, Gateway] = {}
        for gname, gval in self.mapping(top.get("gateways"), ("gateways",), None,
                                        "gateways").items():
            k = ("gateways", gname)
            kind = gval.get("kind") if isinstance(gval, Mapping) else gval
            if isinstance(gval, Mapping):
                self.mapping(gval, k, ("kind",), "gateway settings")
            if kind not in GATEWAY_KINDS:
                hint = did_you_mean(kind, GATEWAY_KINDS)
                raise self.fail(k, f"gateway kind {kind!r} is unknown{hint}"
                                f"; use xor (exclusive), and (parallel) or or (inclusive)")
            gateways[str(gname)] = Gateway(str(gname), kind)
            self.source[str(gname)] = (self.doc.path, self.doc.line(*k))

        events: dict[str, Event] = {}
        raw_events = top.get("events")
        if raw_events is None:
            events = {"start": Event("start", "start"), "end": Event("end", "end")}
        for ename, evalue in self.mapping(raw_events, ("events",), None, "events").items():
            k = ("events", ename)
            e = {"kind": evalue} if isinstance(evalue, str) else self.mapping(
                evalue, k, _EVENT_KEYS, "event settings")
            kind = e.get("kind")
            if kind not in EVENT_KINDS:
                hint = did_you_mean(kind, EVENT_KINDS)
                raise self.fail(k, f"event kind {kind!r} is unknown{hint}"
                                f"; use start, end or timer")
            delay = e.get("delay")
            if kind == "timer" and delay is None:
                raise self.fail(k, "a timer event needs a 'delay' (e.g. '1d')")
            events[str(ename)] = Event(str(ename), kind, None if delay is None else
                                       self.distribution(delay, k + ("delay",)))
            self.source[str(ename)] = (self.doc.path, self.doc.line(*k))

        names: dict[str, str] = {}
        for section, group in (("events", events), ("activities", activities),
                               ("gateways", gateways)):
            for n in group:
                if n in names:
                    raise ModelError(f"{section}: name {n!r} is also used in {names[n]}; node names"
                                     f" must be unique", path=self.doc.path,
                                     line=self.source.get(n, (None, None))[1])
                names[n] = section

        flows = self.flows(top.get("flow"), activities, events)

        arr = self.mapping(top.get("arrivals"), ("arrivals",), _ARRIVAL_KEYS, "arrival settings")
        if arr and "interarrival" not in arr:
            raise self.fail(("arrivals",), "missing 'interarrival' (time between new cases)")
        arrivals = Arrivals(
            interarrival=self.distribution(arr["interarrival"], ("arrivals", "interarrival"))
            if arr else Distribution.exponential(3600.0),
            calendar=str(arr.get("calendar", ALWAYS)) if arr else ALWAYS,
        )

        observed = None
        if top.get("observed") is not None:
            o = self.mapping(top["observed"], ("observed",), _OBSERVED_KEYS, "observed figures")
            missing = [k for k in _OBSERVED_REQUIRED if k not in o]
            if missing:
                raise self.fail(("observed",), f"incomplete observed section: missing "
                                f"{', '.join(repr(k) for k in missing)}")
            observed = Observed(**{k: self.wrap(("observed", k), observed_value, k, v, "")
                                   for k, v in o.items()})

        calibration = top.get("calibration")
        if calibration is not None:
            calibration = self.wrap(("calibration",), plain_data, calibration, "")
        currency = top.get("currency")
        return ProcessModel(
            name=name.strip(), activities=activities, flows=flows, pools=pools,
            calendars=calendars, arrivals=arrivals, gateways=gateways, events=events,
            description=str(top.get("description") or ""),
            timezone=self.wrap(("timezone",), check_timezone, top.get("timezone", "UTC"), ""),
            currency=None if currency is None else str(currency),
            observed=observed, calibration=calibration, people=people,
            case_attributes=case_attributes, source=self.source,
        )

    def flows(self, raw: Any, activities: Mapping[str, Activity],
              events: Mapping[str, Event]) -> tuple[Flow, ...]:
        if raw is None:  # a plain sequence: start -> activities in file order -> end
            starts = [n for n, e in events.items() if e.kind == "start"]
            ends = [n for n, e in events.items() if e.kind == "end"]
            if len(starts) != 1 or len(ends) != 1:
                raise self.fail((), "without a 'flow' section the model must have one start and "
                                "one end event (activities run in the order listed)")
            chain = [starts[0], *activities, ends[0]]
            return tuple(Flow(a, b) for a, b in zip(chain, chain[1:], strict=False))
        if not isinstance(raw, list):
            raise self.fail(("flow",), "expected a list of flows such as '- A -> B'")
        out: list[Flow] = []
        for i, entry in enumerate(raw):
            k = ("flow", i)
            prob = None
            if isinstance(entry, str):
                parts = [p.strip() for p in entry.split("->")]
                if len(parts) < 2 or not all(parts):
                    raise self.fail(k, f"{entry!r} is not a flow; write 'A -> B' (chains "
                                    f"'A -> B -> C' allowed)")
                for a, b in zip(parts, parts[1:], strict=False):
                    out.append(Flow(a, b))
                    self.source.setdefault(f"flow:{a}->{b}", (self.doc.path,
                                                              self.doc.line(*k)))
                continue
            e = self.mapping(entry, k, _FLOW_KEYS, "flow settings")
            if "from" not in e or "to" not in e:
                raise self.fail(k, "a flow needs 'from' and 'to'")
            if e.get("probability") is not None:
                prob = self.number(e["probability"], k + ("probability",), minimum=0, maximum=1)
            out.append(Flow(str(e["from"]), str(e["to"]), prob))
            self.source.setdefault(f"flow:{e['from']}->{e['to']}",
                                   (self.doc.path, self.doc.line(*k)))
        return tuple(out)


def model_from_doc(doc: YamlDoc) -> ProcessModel:
    """Build a model from a parsed YAML document (structure only; see :func:`bpr.model.check`)."""
    return _Reader(doc).read()


def model_to_dict(model: ProcessModel) -> dict[str, Any]:
    """The model as plain data in the file's key order (the inverse of :func:`model_from_doc`)."""
    out: dict[str, Any] = {VERSION_KEY: SCHEMA_VERSION, "name": model.name}
    if model.description:
        out["description"] = model.description
    out["timezone"] = model.timezone
    if model.currency is not None:
        out["currency"] = model.currency
    out["arrivals"] = {"interarrival": FlowMap(model.arrivals.interarrival.to_dict()),
                       "calendar": model.arrivals.calendar}
    if model.case_attributes:
        out["case_attributes"] = {a.name: attribute_to_dict(a)
                                  for a in model.case_attributes.values()}
    out["calendars"] = {n: c.to_dict() for n, c in model.calendars.items()}
    if model.people:
        out["people"] = {p.name: person_to_dict(p) for p in model.people.values()}
    pools: dict[str, Any] = {}
    for p in model.pools.values():
        # a pool of people: its count is the number of people listed
        staffed = p.count == len(p.members) and any(m in model.people for m in p.members)
        d: dict[str, Any] = FlowMap() if staffed else {"count": p.count}
        if not staffed or p.calendar != ALWAYS:
            d["calendar"] = p.calendar
        if p.hourly_rate is not None:
            d["hourly_rate"] = p.hourly_rate
        if p.members:
            d["members"] = YamlFlow(p.members) if staffed else list(p.members)
        if p.dispatch != DISPATCH_RULES[0]:
            d["dispatch"] = p.dispatch
        if p.shift_end != SHIFT_END_RULES[0]:
            d["shift_end"] = p.shift_end
        pools[p.name] = d
    out["pools"] = pools
    acts: dict[str, Any] = {}
    for a in model.activities.values():
        d = {}
        if a.pool is not None:
            d["pool"] = a.pool
        d["duration"] = FlowMap(a.duration.to_dict())
        if a.fixed_cost:
            d["fixed_cost"] = a.fixed_cost
        if a.delay is not None:
            d["delay"] = FlowMap(a.delay.to_dict())
        if a.priority:
            d["priority"] = _num(a.priority)
        if a.batch is not None:
            d["batch"] = batch_to_dict(a.batch)
        acts[a.name] = d
    out["activities"] = acts
    if model.gateways:
        out["gateways"] = {g.name: g.kind for g in model.gateways.values()}
    out["events"] = {e.name: (e.kind if e.delay is None else
                              {"kind": e.kind, "delay": FlowMap(e.delay.to_dict())})
                     for e in model.events.values()}
    out["flow"] = [f"{f.source} -> {f.target}" if f.probability is None else
                   FlowMap({"from": f.source, "to": f.target, "probability": f.probability})
                   for f in model.flows]
    if model.observed is not None:
        o = model.observed
        out["observed"] = {k: (dict(v) if isinstance(v, Mapping) else v)
                           for k, v in o.__dict__.items()}
    if model.calibration is not None:
        out["calibration"] = json_ready(model.calibration)
    return out



def dumps(model: ProcessModel) -> str:
    """The model as YAML text, with an explanatory header."""
    return dump_yaml(model_to_dict(model), header=HEADER)


def loads(text: str, path: str = "<string>") -> ProcessModel:
    """Parse model YAML text (structure only, not checked for soundness)."""
    return model_from_doc(parse_yaml(text, path))


def save(model: ProcessModel, path: str | os.PathLike[str]) -> None:
    """Write the model as YAML, atomically."""
    write_text(path, dumps(model))


def load_yaml_model(path: str | os.PathLike[str]) -> ProcessModel:
    """Read a model YAML file (structure only, not checked for soundness)."""
    return model_from_doc(load_yaml(path))


def file_kind(path: str | os.PathLike[str]) -> str:
    """``yaml``, ``json`` or ``bpmn`` by extension."""
    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix in (".bpmn", ".xml"):
        return "bpmn"
    raise BprError(f"unknown model file type {suffix!r}; use .yaml, .json or .bpmn",
                   path=str(path))
