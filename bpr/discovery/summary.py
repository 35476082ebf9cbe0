"""The summary ``bpr mine`` prints: the log at a glance and what the model learnt.

Rework loops are the model's loop-back flows (a flow into a node that dominates its source);
for each, the activities inside the loop, the probability of going round again, and the share of
cases in the log that repeated one of those activities. Pool utilisation = busy (working) time
of the pool's activities / (staff x the pool calendar's open time between the log's first and
last event).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd

from bpr.discovery.calendars import OpenTime
from bpr.discovery.discover import Discovery
from bpr.discovery.observed import cycle_times

HOUR = 3600.0


@dataclass(frozen=True)
class WaitingActivity:
    activity: str
    mean_waiting_hours: float
    total_waiting_hours: float
    instances: int


@dataclass(frozen=True)
class ReworkLoop:
    activities: tuple[str, ...]
    repeat_probability: float  # chance of going round the loop again at its decision point
    cases_with_rework: float  # share of cases that repeated an activity of the loop


@dataclass(frozen=True)
class PoolSummary:
    name: str
    count: int
    calendar: str
    hourly_rate: float | None
    utilisation: float  # busy time / available calendar time over the log's span
    activities: tuple[str, ...]


@dataclass(frozen=True)
class MiningSummary:
    """Everything the command prints (``to_dict`` is the ``--json`` output)."""

    log: str
    model_name: str
    cases: int
    events: int
    variants: int
    activities: int
    first_event: str
    last_event: str
    span_days: float
    cycle_time_median_hours: float
    cycle_time_p90_hours: float
    start_times_estimated: bool
    algorithm: str
    noise_threshold: float
    fitting_cases_share: float
    waiting: tuple[WaitingActivity, ...]
    rework: tuple[ReworkLoop, ...]
    pools: tuple[PoolSummary, ...]
    pool_method: str
    dropped_activities: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    seconds_per_step: dict[str, float] = field(default_factory=dict)
    output: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def format_text(self) -> str:
        """The human-readable summary (a few short sections)."""
        L: list[str] = []
        est = " (start times estimated)" if self.start_times_estimated else ""
        L.append(f"Log {self.log}: {self.cases:,} cases, {self.events:,} events, "
                 f"{self.variants:,} variants, {self.activities} activities{est}")
        L.append(f"  from {self.first_event} to {self.last_event} ({self.span_days:.1f} days)")
        L.append(f"  cycle time: median {_hours(self.cycle_time_median_hours)}, "
                 f"p90 {_hours(self.cycle_time_p90_hours)}")
        L.append(f"Control flow: {self.algorithm}, noise {self.noise_threshold}; "
                 f"{self.fitting_cases_share:.0%} of cases fit the model")
        if self.waiting:
            L.append("Most waiting (mean before start, total):")
            for w in self.waiting:
                L.append(f"  {w.activity}: {_hours(w.mean_waiting_hours)} x {w.instances:,} "
                         f"= {w.total_waiting_hours:,.0f} h")
        if self.rework:
            L.append("Rework loops:")
            for r in self.rework:
                L.append(f"  {', '.join(r.activities)}: again with p={r.repeat_probability:.2f};"
                         f" {r.cases_with_rework:.0%} of cases repeated work")
        L.append(f"Pools ({self.pool_method}):")
        for p in self.pools:
            rate = "" if p.hourly_rate is None else f", {p.hourly_rate:g}/h"
            L.append(f"  {p.name}: {p.count} staff, calendar {p.calendar}{rate}, utilisation "
                     f"{p.utilisation:.0%}")
        if self.output:
            L.append(f"Model written to {self.output}")
        return "\n".join(L)


def _hours(h: float) -> str:
    if h >= 48:
        return f"{h / 24:.1f} d"
    if h >= 1:
        return f"{h:.1f} h"
    return f"{h * 60:.0f} min"


def _loops(d: Discovery) -> list[ReworkLoop]:
    m = d.model
    g = m.graph
    dom = nx.immediate_dominators(g, m.start_event)

    def dominates(a: str, b: str) -> bool:
        while True:
            if b == a:
                return True
            nb = dom.get(b)
            if nb is None or nb == b:
                return False
            b = nb

    # per case: which activities repeat
    frame = d.frame
    pairs = pd.DataFrame({"c": frame.case_code, "a": frame.activity})
    dup = pairs[pairs.duplicated()]
    out: list[ReworkLoop] = []
    for u, v in g.edges:
        if not dominates(v, u):
            continue
        body = (nx.descendants(g, v) & nx.ancestors(g, u)) | {u, v}
        acts = tuple(sorted(n for n in body if n in m.activities))
        if not acts:
            continue
        split = u  # the decision point: walk back over the redo part to the xor split
        while g.out_degree(split) == 1 and g.in_degree(split) == 1 and split != v:
            split = next(g.predecessors(split))
        prob = sum(g.edges[split, s]["probability"] or 0.0 for s in g.successors(split)
                   if s in body)
        if prob <= 0:
            continue  # a loop the log never went round
        share = dup[dup["a"].isin(acts)]["c"].nunique() / max(frame.n_cases, 1)
        out.append(ReworkLoop(acts, round(float(prob), 4), round(float(share), 4)))
    return out


def summarize(d: Discovery, output: str | None = None, top: int = 5) -> MiningSummary:
    """The summary of a discovery (``top`` activities with the most waiting)."""
    m, frame = d.model, d.frame
    obs = m.observed
    assert obs is not None
    wait = pd.DataFrame({"a": frame.activity, "w": frame.waiting})
    agg = wait.groupby("a", sort=False)["w"].agg(["mean", "sum", "size"])
    agg = agg[agg["sum"] > 0].sort_values("sum", ascending=False).head(top)
    waiting = tuple(WaitingActivity(str(a), round(r["mean"] / HOUR, 3),
                                    round(r["sum"] / HOUR, 1), int(r["size"]))
                    for a, r in agg.iterrows())
    t0, t1 = float(np.nanmin(frame.start)), float(np.nanmax(frame.end))
    pools = []
    for p in m.pools.values():
        rows = (d.row_pool == p.name).to_numpy(dtype=bool)
        busy = float(d.working_seconds[rows].sum())
        avail = float(OpenTime(m.calendar(p.calendar)).working(np.array([t0]),
                                                               np.array([t1]))[0]) * p.count
        acts = tuple(sorted(a.name for a in m.activities.values() if a.pool == p.name))
        pools.append(PoolSummary(p.name, p.count, p.calendar, p.hourly_rate,
                                 round(busy / avail, 4) if avail > 0 else 0.0, acts))
    ct = cycle_times(frame)
    rep = d.replay
    return MiningSummary(
        log=obs.log, model_name=m.name, cases=obs.cases, events=obs.events,
        variants=len(frame.variants), activities=len(obs.activity_count),
        first_event=obs.first_event, last_event=obs.last_event,
        span_days=round((t1 - t0) / 86400.0, 2),
        cycle_time_median_hours=round(float(np.median(ct)) / HOUR, 3),
        cycle_time_p90_hours=round(float(np.quantile(ct, 0.9)) / HOUR, 3),
        start_times_estimated=obs.start_times_estimated,
        algorithm=d.options.algorithm, noise_threshold=d.options.noise_threshold,
        fitting_cases_share=round(rep.fitting_cases / rep.cases, 4) if rep.cases else 1.0,
        waiting=waiting, rework=tuple(_loops(d)), pools=tuple(pools),
        pool_method=d.pools.method, dropped_activities=tuple(d.dropped_activities),
        warnings=tuple(d.warnings), seconds_per_step=dict(d.seconds_per_step), output=output)
