"""Pure edits of a model's flows used by the structural changes: bypass a node, merge parallel
flows, drop gateways that no longer split or join, and pick unused names.

Probabilities are never renormalised silently: when two flows of an exclusive split end up going
to the same node they become one flow carrying the sum of both probabilities (the branch shares
still add up to 1); for an inclusive split the merged branch is taken when either was
(1 - (1-p)(1-q)); for a parallel split the duplicate is simply one branch.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

from bpr.model.process import Flow, ProcessModel
from bpr.scenario.base import ChangeProblem


def in_flows(model: ProcessModel, node: str) -> list[Flow]:
    return [f for f in model.flows if f.target == node]


def out_flows(model: ProcessModel, node: str) -> list[Flow]:
    return [f for f in model.flows if f.source == node]


def _combine(kind: str, p: float | None, q: float | None) -> float | None:
    if p is None or q is None:
        return p if q is None else q
    if kind == "xor":
        return min(1.0, p + q)
    if kind == "or":
        return 1.0 - (1.0 - p) * (1.0 - q)
    return p


def merge_duplicates(model: ProcessModel, flows: Iterable[Flow]) -> tuple[Flow, ...]:
    """The flows with any repeated (source, target) pair folded into its first occurrence."""
    out: list[Flow] = []
    index: dict[tuple[str, str], int] = {}
    for f in flows:
        key = (f.source, f.target)
        if key in index:
            i = index[key]
            kind = model.node_kind(f.source) if f.source in model.graph else "task"
            out[i] = replace(out[i], probability=_combine(kind, out[i].probability,
                                                         f.probability))
        else:
            index[key] = len(out)
            out.append(f)
    return tuple(out)


def drop_node(model: ProcessModel, node: str) -> ProcessModel:
    """The model without ``node`` in its activities, gateways or events (flows untouched)."""
    return replace(
        model,
        activities={n: a for n, a in model.activities.items() if n != node},
        gateways={n: g for n, g in model.gateways.items() if n != node},
        events={n: e for n, e in model.events.items() if n != node},
    )


def bypass(model: ProcessModel, node: str) -> ProcessModel:
    """Remove a node that has one incoming and one outgoing flow, connecting its predecessor to
    its successor. The new flow keeps the probability of the flow that entered ``node`` (the
    predecessor's share is unchanged)."""
    ins, outs = in_flows(model, node), out_flows(model, node)
    if len(ins) != 1 or len(outs) != 1:
        raise ChangeProblem(None, f"{node!r} has {len(ins)} incoming and {len(outs)} outgoing "
                            f"flows; only a node on a single path can be removed")
    pred, succ = ins[0].source, outs[0].target
    if pred == succ or succ == node:
        raise ChangeProblem(None, f"removing {node!r} would connect {pred!r} to itself")
    flows: list[Flow] = []
    for f in model.flows:
        if f is ins[0]:
            flows.append(Flow(pred, succ, f.probability))
        elif f is not outs[0]:
            flows.append(f)
    model = drop_node(model, node)
    return replace(model, flows=merge_duplicates(model, flows))


def drop_trivial_gateways(model: ProcessModel) -> ProcessModel:
    """Bypass every gateway left with one incoming and one outgoing flow (repeat until none)."""
    while True:
        trivial = [g for g in model.gateways
                   if len(in_flows(model, g)) == 1 and len(out_flows(model, g)) == 1]
        if not trivial:
            return model
        model = bypass(model, trivial[0])


def unique_name(model: ProcessModel, wanted: str) -> str:
    """``wanted``, or ``wanted 2``, ``wanted 3``... if a node already has that name."""
    taken = set(model.node_names)
    if wanted not in taken:
        return wanted
    i = 2
    while f"{wanted} {i}" in taken:
        i += 1
    return f"{wanted} {i}"


def sequence(model: ProcessModel, names: list[str], key: str) -> tuple[Flow, Flow]:
    """Check that ``names`` follow one another directly (A -> B -> C, nothing in between);
    return the flow into the first and the flow out of the last."""
    if len(set(names)) != len(names):
        raise ChangeProblem(key, "an activity is listed twice")
    for a, b in zip(names, names[1:], strict=False):
        outs = out_flows(model, a)
        if len(outs) != 1 or outs[0].target != b:
            nxt = ", ".join(repr(f.target) for f in outs) or "nothing"
            raise ChangeProblem(key, f"{b!r} does not directly follow {a!r} ({a!r} is followed "
                                f"by {nxt}); list activities that run one after the other")
    ins, outs = in_flows(model, names[0]), out_flows(model, names[-1])
    if len(ins) != 1 or len(outs) != 1:
        raise ChangeProblem(key, f"{names[0]!r} must have one incoming and {names[-1]!r} one "
                            f"outgoing flow")
    return ins[0], outs[0]


def replace_chain(model: ProcessModel, names: list[str], first_in: Flow, last_out: Flow,
                  new_flows: list[Flow]) -> tuple[Flow, ...]:
    """The flows with the chain ``names`` (and the flows into/out of it) replaced by
    ``new_flows``, inserted where the flow into the chain was."""
    inner = set(names)
    out: list[Flow] = []
    for f in model.flows:
        if f is first_in:
            out.extend(new_flows)
        elif f is last_out or (f.source in inner and f.target in inner):
            continue
        else:
            out.append(f)
    return tuple(out)
