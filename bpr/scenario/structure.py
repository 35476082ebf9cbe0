"""Changes to the process graph: ``remove``, ``merge``, ``parallelise``, ``insert`` and
``branching``. Each returns a new model; the scenario layer checks it is still sound.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from bpr.model.distribution import Distribution
from bpr.model.process import Activity, Flow, Gateway, ProcessModel
from bpr.scenario.base import (
    Change,
    ChangeProblem,
    as_name,
    as_number,
    get_activity,
    get_node,
    get_pool,
    is_factor_text,
    parse_distribution,
    parse_factor,
    register,
)
from bpr.scenario.graphops import (
    bypass,
    drop_trivial_gateways,
    in_flows,
    out_flows,
    replace_chain,
    sequence,
    unique_name,
)


# -- distributions of sums -------------------------------------------------------------------------
def variance(dist: Distribution) -> float:
    """The variance in seconds² (ignoring clipping at ``min``/``max``; from the kind's class)."""
    return dist.variance()


def sum_distribution(dists: list[Distribution]) -> Distribution:
    """A distribution for the sum of independent durations: fixed if all are fixed, otherwise a
    gamma with the summed mean and ``sd = sqrt(sum of variances)`` (moment matching)."""
    mean = sum(d.mean() for d in dists)
    var = sum(variance(d) for d in dists)
    if var <= 0 or mean <= 0:
        return Distribution.fixed(mean)
    return Distribution("gamma", {"mean": mean, "sd": math.sqrt(var)})


def _names(data: Mapping[str, Any], key: str, minimum: int) -> tuple[str, ...]:
    value = data.get(key)
    if (not isinstance(value, list) or len(value) < minimum
            or not all(isinstance(v, str) and v.strip() for v in value)):
        raise ChangeProblem(key, f"expected a list of at least {minimum} activity names, "
                            f"got {value!r}")
    return tuple(v.strip() for v in value)


@register
@dataclass(frozen=True)
class Remove(Change):
    """Remove an activity and connect its predecessor to its successor.

    The new flow keeps the probability the activity's branch had, so an exclusive split's shares
    still sum to 1 (a branch that becomes a duplicate of another is merged with it, probabilities
    added). Gateways left with one way in and one way out are removed too. The activity's pool
    stays (the staff still exist; the freed hours are what the analysis reports).
    """

    activity: str

    kind = "remove"
    keys = ("activity",)
    required = ("activity",)
    target_key = "activity"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Remove:
        return cls(as_name(data, "activity"))

    def to_dict(self) -> dict[str, Any]:
        return {"activity": self.activity}

    def apply(self, model: ProcessModel) -> ProcessModel:
        get_activity(model, self.activity)
        try:
            model = bypass(model, self.activity)
        except ChangeProblem as err:
            raise ChangeProblem("activity", err.message) from None
        return drop_trivial_gateways(model)


@register
@dataclass(frozen=True)
class Merge(Change):
    """Merge activities that run one after the other into one activity (``name``, default
    ``"A + B"``). Its duration is the sum (mean added, variances added: see
    :func:`sum_distribution`), its fixed cost the sum, its extraneous delay the sum of the delays.
    The activities must share a pool unless ``pool`` names the one to use (``null``: no staff).
    """

    activities: tuple[str, ...]
    name: str | None = None
    change_pool: bool = False
    pool: str | None = None

    kind = "merge"
    keys = ("activities", "name", "pool")
    required = ("activities",)
    target_key = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Merge:
        name = data.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            raise ChangeProblem("name", f"expected a name for the merged activity, got {name!r}")
        pool = data.get("pool")
        if pool is not None and not isinstance(pool, str):
            raise ChangeProblem("pool", f"expected a pool name or null, got {pool!r}")
        return cls(_names(data, "activities", 2), None if name is None else name.strip(),
                   "pool" in data, pool)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"activities": list(self.activities)}
        if self.name is not None:
            out["name"] = self.name
        if self.change_pool:
            out["pool"] = self.pool
        return out

    def target(self) -> str | None:
        return self.merged_name

    @property
    def merged_name(self) -> str:
        return self.name or " + ".join(self.activities)

    def apply(self, model: ProcessModel) -> ProcessModel:
        acts = [get_activity(model, n, "activities") for n in self.activities]
        first_in, last_out = sequence(model, list(self.activities), "activities")
        name = self.merged_name
        if name in model.graph and name not in self.activities:
            raise ChangeProblem("name", f"{name!r} is already the name of another node; choose "
                                f"another name")
        if self.change_pool:
            pool = self.pool
            if pool is not None:
                get_pool(model, pool)
        else:
            pools = {a.pool for a in acts}
            if len(pools) != 1:
                raise ChangeProblem("pool", f"the activities use different pools "
                                    f"({', '.join(sorted(str(p) for p in pools))}); say which "
                                    f"pool does the merged activity with 'pool:'")
            pool = pools.pop()
        delays = [a.delay for a in acts if a.delay is not None]
        merged = Activity(name=name, duration=sum_distribution([a.duration for a in acts]),
                          pool=pool, fixed_cost=sum(a.fixed_cost for a in acts),
                          delay=sum_distribution(delays) if delays else None)
        flows = replace_chain(model, list(self.activities), first_in, last_out, [
            Flow(first_in.source, name, first_in.probability),
            Flow(name, last_out.target, last_out.probability)])
        activities: dict[str, Activity] = {}
        for n, a in model.activities.items():
            if n == self.activities[0]:
                activities[name] = merged
            elif n not in self.activities:
                activities[n] = a
        return replace(model, activities=activities, flows=flows)


@register
@dataclass(frozen=True)
class Parallelise(Change):
    """Run a sequence of activities (A -> B -> C, directly one after the other) in parallel:
    a parallel split before them and a parallel join after them."""

    activities: tuple[str, ...]

    kind = "parallelise"
    keys = ("activities",)
    required = ("activities",)
    target_key = None

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Parallelise:
        return cls(_names(data, "activities", 2))

    def to_dict(self) -> dict[str, Any]:
        return {"activities": list(self.activities)}

    def apply(self, model: ProcessModel) -> ProcessModel:
        for n in self.activities:
            get_activity(model, n, "activities")
        first_in, last_out = sequence(model, list(self.activities), "activities")
        label = " | ".join(self.activities)
        split = unique_name(model, f"parallel split ({label})")
        join = unique_name(model, f"parallel join ({label})")
        new = [Flow(first_in.source, split, first_in.probability)]
        new += [Flow(split, a) for a in self.activities]
        new += [Flow(a, join) for a in self.activities]
        new.append(Flow(join, last_out.target, last_out.probability))
        flows = replace_chain(model, list(self.activities), first_in, last_out, new)
        gateways = {**model.gateways, split: Gateway(split, "and"), join: Gateway(join, "and")}
        return replace(model, flows=flows, gateways=gateways)


@register
@dataclass(frozen=True)
class Insert(Change):
    """Insert a new activity right ``after`` a node with one outgoing flow (or right ``before``
    a node with one incoming flow). ``pool`` must exist (``null`` or left out: no staff)."""

    activity: str
    duration: Distribution
    after: str | None = None
    before: str | None = None
    pool: str | None = None
    fixed_cost: float = 0.0
    delay: Distribution | None = None

    kind = "insert"
    keys = ("activity", "after", "before", "pool", "duration", "fixed_cost", "delay")
    required = ("activity", "duration")
    target_key = "activity"
    sweep_key = "duration"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Insert:
        if ("after" in data) == ("before" in data):
            raise ChangeProblem("after", "give exactly one of 'after' or 'before' (the node the "
                                "new activity follows or precedes)")
        pool = data.get("pool")
        if pool is not None and not isinstance(pool, str):
            raise ChangeProblem("pool", f"expected a pool name or null, got {pool!r}")
        return cls(
            activity=as_name(data, "activity"),
            duration=parse_distribution(data["duration"], "duration"),
            after=as_name(data, "after") if "after" in data else None,
            before=as_name(data, "before") if "before" in data else None,
            pool=pool,
            fixed_cost=as_number(data.get("fixed_cost", 0.0), "fixed_cost"),
            delay=None if data.get("delay") is None else parse_distribution(data["delay"],
                                                                            "delay"),
        )

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"activity": self.activity}
        out["after" if self.after is not None else "before"] = self.after or self.before
        out["pool"] = self.pool
        out["duration"] = self.duration.to_dict()
        if self.fixed_cost:
            out["fixed_cost"] = self.fixed_cost
        if self.delay is not None:
            out["delay"] = self.delay.to_dict()
        return out

    def apply(self, model: ProcessModel) -> ProcessModel:
        if self.activity in model.graph:
            raise ChangeProblem("activity", f"{self.activity!r} already exists; give the new "
                                f"activity another name")
        if self.pool is not None:
            get_pool(model, self.pool)
        if self.after is not None:
            node = get_node(model, self.after, "after")
            outs = out_flows(model, node)
            if len(outs) != 1:
                raise ChangeProblem("after", f"{node!r} has {len(outs)} outgoing flows; insert "
                                    f"'before' the activity on the branch you mean instead")
            old = outs[0]
        else:
            node = get_node(model, str(self.before), "before")
            ins = in_flows(model, node)
            if len(ins) != 1:
                raise ChangeProblem("before", f"{node!r} has {len(ins)} incoming flows; insert "
                                    f"'after' the activity on the branch you mean instead")
            old = ins[0]
        new_flows = [Flow(old.source, self.activity, old.probability),
                     Flow(self.activity, old.target)]
        flows: list[Flow] = []
        for f in model.flows:
            flows.extend(new_flows if f is old else [f])
        act = Activity(self.activity, self.duration, self.pool, self.fixed_cost, self.delay)
        return replace(model, activities={**model.activities, act.name: act}, flows=tuple(flows))


@register
@dataclass(frozen=True)
class Branching(Change):
    """Set the probability of one branch of an exclusive (or inclusive) split.

    ``to``: the node the branch leads to (its first activity is enough, even behind a join
    gateway). ``gateway`` or ``from``: which split (a gateway, or the activity right before it);
    left out, the one split with a branch leading to ``to``. ``probability``: a number in [0, 1]
    or a factor such as ``0.5x`` (halve the branch). For an exclusive split the other branches
    are rescaled in proportion to their old probabilities so the shares still sum to 1 (e.g. a
    rework branch 0.2 -> 0.1: the others, 0.8 together, become 0.9 together); an inclusive
    split's branches are independent and are left as they are.
    """

    to: str
    probability: float | None = None
    factor: float | None = None
    gateway: str | None = None
    via: str = "gateway"  # which key named the split: "gateway" or "from"

    kind = "branching"
    keys = ("gateway", "from", "to", "probability")
    required = ("to", "probability")
    target_key = "to"
    sweep_key = "probability"

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Branching:
        if "gateway" in data and "from" in data:
            raise ChangeProblem("from", "give 'gateway' or 'from', not both")
        key = "gateway" if "gateway" in data else "from"
        gateway = as_name(data, key) if key in data else None
        value = data["probability"]
        if is_factor_text(value):
            return cls(as_name(data, "to"), factor=parse_factor(value, "probability"),
                       gateway=gateway, via=key)
        p = as_number(value, "probability")
        if p > 1:
            raise ChangeProblem("probability", f"must be between 0 and 1, got {value}")
        return cls(as_name(data, "to"), probability=p, gateway=gateway, via=key)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        if self.gateway is not None:
            out[self.via] = self.gateway
        out["to"] = self.to
        out["probability"] = (self.probability if self.factor is None
                              else f"{self.factor:g}x")
        return out

    def _leads_to(self, model: ProcessModel, start: str) -> bool:
        node, seen = start, set()
        while node not in seen:
            if node == self.to:
                return True
            seen.add(node)
            outs = out_flows(model, node)
            if model.node_kind(node) == "task" or len(outs) != 1:
                return False
            node = outs[0].target
        return False

    def _split(self, model: ProcessModel) -> str:
        g = model.graph
        if self.gateway is not None:
            node = get_node(model, self.gateway, self.via)
            seen = set()
            while g.out_degree(node) == 1 and node not in seen:  # from an activity to its split
                seen.add(node)
                node = next(iter(g.successors(node)))
            if g.out_degree(node) < 2 or model.node_kind(node) not in ("xor", "or"):
                raise ChangeProblem(self.via, f"{self.gateway!r} is not (and is not right "
                                    f"before) an exclusive or inclusive split")
            return node
        get_node(model, self.to, "to")
        splits = [n for n in model.gateways if g.out_degree(n) > 1
                  and model.node_kind(n) in ("xor", "or")
                  and any(self._leads_to(model, s) for s in g.successors(n))]
        if len(splits) != 1:
            where = "no" if not splits else f"{len(splits)} ({', '.join(map(repr, splits))})"
            raise ChangeProblem("to", f"{where} exclusive splits have a branch leading to "
                                f"{self.to!r}; name the split with 'gateway:' or 'from:'")
        return splits[0]

    def apply(self, model: ProcessModel) -> ProcessModel:
        split = self._split(model)
        outs = out_flows(model, split)
        hits = [f for f in outs if self._leads_to(model, f.target)]
        if len(hits) != 1:
            targets = ", ".join(repr(f.target) for f in outs)
            raise ChangeProblem("to", f"split {split!r} has {len(hits)} branches leading to "
                                f"{self.to!r}; its branches go to {targets}")
        hit = hits[0]
        old = float(hit.probability or 0.0)
        p = old * self.factor if self.factor is not None else float(self.probability or 0.0)
        if p > 1:
            raise ChangeProblem("probability", f"{self.factor:g}x the branch's {old:g} is "
                                f"{p:g}, above 1")
        new_p: dict[int, float | None] = {id(hit): p}
        if model.node_kind(split) == "xor":
            others = [f for f in outs if f is not hit]
            rest = sum(float(f.probability or 0.0) for f in others)
            if rest <= 0 and p < 1:
                raise ChangeProblem("probability", f"the other branches of {split!r} have "
                                    f"probability 0 and cannot take the remaining {1 - p:g}")
            for f in others:
                new_p[id(f)] = 0.0 if rest <= 0 else float(f.probability or 0.0) * (1 - p) / rest
        flows = tuple(replace(f, probability=new_p[id(f)]) if id(f) in new_p else f
                      for f in model.flows)
        return replace(model, flows=flows)
