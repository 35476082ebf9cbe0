"""The mining pipeline: an :class:`EventLog` in, a checked :class:`ProcessModel` out.

Steps (each in its own module): prepare the log (:mod:`.frame`), control flow on the variants
(:mod:`.controlflow`), branching probabilities by replay (:mod:`.branching`), resource pools
(:mod:`.resources`), pool calendars (:mod:`.calendars`), working-time durations
(:mod:`.durations`), arrivals (:mod:`.arrivals`), optional extraneous delays (:mod:`.delays`),
costs (:mod:`.costs`) and what the log showed (:mod:`.observed`).
"""

from __future__ import annotations

import os
import time
from collections import Counter
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from bpr.discovery.arrivals import discover_arrivals
from bpr.discovery.branching import Replay, blended_probabilities, probabilities, replay
from bpr.discovery.calendars import OpenTime, discover_calendar
from bpr.discovery.controlflow import discover_flow
from bpr.discovery.costs import CostData, check_names, costs_from_log, read_costs
from bpr.discovery.delays import extraneous_delays
from bpr.discovery.durations import fit_duration
from bpr.discovery.frame import Frame, prepare
from bpr.discovery.observed import observed_figures
from bpr.discovery.options import MiningOptions
from bpr.discovery.resources import PoolAssignment, discover_pools
from bpr.errors import LogError
from bpr.io.eventlog import RESOURCE, EventLog
from bpr.io.logs import LogSource, read_log
from bpr.model.calendar import Calendar
from bpr.model.check import check
from bpr.model.process import (
    ALWAYS,
    Activity,
    Arrivals,
    Event,
    Flow,
    Gateway,
    Pool,
    ProcessModel,
)
from bpr.progress import ProgressFn

STEPS = ("prepare", "control flow", "replay", "pools", "calendars", "durations", "arrivals",
         "delays", "costs", "observed")


@dataclass
class Discovery:
    """A mined model and what was learnt on the way (for summaries and calibration)."""

    model: ProcessModel
    frame: Frame
    options: MiningOptions
    replay: Replay
    pools: PoolAssignment
    working_seconds: np.ndarray  # per row of frame.df: working duration in its pool's calendar
    row_pool: pd.Series  # per row: the pool of its activity (NaN if not in the model)
    warnings: list[str] = field(default_factory=list)
    seconds_per_step: dict[str, float] = field(default_factory=dict)
    dropped_activities: list[str] = field(default_factory=list)


def _model_name(log: EventLog) -> str:
    from bpr.io.formats import log_stem

    stem = Path(log.path).name if log.path and not log.path.startswith("<") else "process"
    return log_stem(stem) or "process"


def _pool_calendar(frame: Frame, rows: np.ndarray, options: MiningOptions,
                   fallback: Calendar | None) -> Calendar | None:
    if rows.sum() < options.calendar_min_observations:
        return fallback
    moments = frame.start[rows]
    if options.calendar_moments == "both":
        moments = np.concatenate([moments, frame.end[rows] - 1.0])
    window = (float(np.nanmin(frame.start)), float(np.nanmax(frame.end)))
    return discover_calendar(moments, granularity_minutes=options.calendar_granularity_minutes,
                             min_share=options.calendar_min_share,
                             min_events=options.calendar_min_events, window=window,
                             unobserved_open=options.calendar_unobserved_open,
                             fill_gap_cells=options.calendar_fill_gap_cells,
                             trim_edges=options.calendar_trim_edges) or fallback


def _non_defaults(opts: MiningOptions) -> str:
    """``"; extraneous_delays=True, ..."`` for the options that differ from the defaults (besides
    algorithm and noise), so the model file says how it was mined."""
    from dataclasses import fields

    base = MiningOptions()
    changed = [f"{f.name}={getattr(opts, f.name)!r}" for f in fields(MiningOptions)
               if f.name not in ("algorithm", "noise_threshold")
               and getattr(opts, f.name) != getattr(base, f.name)]
    return "; " + ", ".join(changed) if changed else ""


def recent_variants(frame: Frame, share: float) -> Counter:
    """The variants of the cases that arrived in the last ``share`` of the log's arrival span."""
    arrival = frame.case_arrival()
    cut = arrival.max() - share * (arrival.max() - arrival.min())
    recent = frame.case_variant[arrival >= cut]
    counts = np.bincount(recent, minlength=len(frame.variant_list))
    return Counter({v: int(c) for v, c in zip(frame.variant_list, counts, strict=True) if c})


def discover(log: LogSource, options: MiningOptions | None = None, *,
             costs: str | os.PathLike[str] | CostData | None = None,
             name: str | None = None, progress: ProgressFn | None = None) -> Discovery:
    """Mine ``log`` (an EventLog, a log file, a DataFrame or a pm4py EventLog: see
    :func:`bpr.io.logs.read_log`) into a model (see the module doc and :class:`MiningOptions`)."""
    log = read_log(log)
    opts = options or MiningOptions()
    if log.n_events == 0:
        raise LogError("the log has no events; nothing to mine", path=log.path)
    cost_file = read_costs(costs) if isinstance(costs, str | os.PathLike) else costs
    timings: dict[str, float] = {}
    warnings: list[str] = []
    clock = [time.perf_counter()]

    def done(step: str) -> None:
        now = time.perf_counter()
        timings[step] = round(now - clock[0], 4)
        clock[0] = now
        if progress is not None:
            progress(STEPS.index(step) + 1, len(STEPS))

    frame = prepare(log)
    if frame.n_cases == 1:
        warnings.append("the log has a single case: branching probabilities, arrivals and "
                        "calendars rest on one example")
    log_activities = {str(a) for a in pd.unique(frame.activity)}
    if len(log_activities) == 1:
        warnings.append("the log has a single activity: the model is one task")
    done("prepare")

    flow = discover_flow(frame.variants, algorithm=opts.algorithm,
                         noise_threshold=opts.noise_threshold,
                         sequence_min_share=opts.sequence_min_share)
    g = flow.graph
    if flow.dropped_activities:
        warnings.append(f"{len(flow.dropped_activities)} infrequent activit"
                        f"{'y' if len(flow.dropped_activities) == 1 else 'ies'} left out by the "
                        f"noise filter (--noise {opts.noise_threshold}): "
                        f"{', '.join(flow.dropped_activities[:5])}"
                        f"{' ...' if len(flow.dropped_activities) > 5 else ''}")
    done("control flow")

    rep = replay(g, frame.variants)
    probs = probabilities(g, rep, opts.probability_decimals)
    if opts.branching_window_share < 1.0 and frame.n_cases > 1:
        recent = replay(g, recent_variants(frame, opts.branching_window_share))
        probs = blended_probabilities(g, recent, rep, opts.probability_decimals)
    if rep.cases and rep.fitting_cases < rep.cases:
        share = 1 - rep.fitting_cases / rep.cases
        hint = ("lower --noise to keep rare paths" if opts.noise_threshold > 0 else
                "parallel work the log nearly always runs in one order was made a sequence")
        warnings.append(f"{share:.0%} of cases do not fit the discovered model exactly "
                        f"({hint})")
    done("replay")

    in_model = [n for n, d in g.nodes(data=True) if d["kind"] == "task"]
    assignment = discover_pools(frame.df, use_roles=opts.use_roles,
                                correlation=opts.pool_correlation)
    used_pools = sorted({assignment.activity_pool[a] for a in in_model})
    done("pools")

    row_pool = pd.Series(frame.activity).map(assignment.activity_pool)
    calendars: dict[str, Calendar] = {}
    pool_cal: dict[str, Calendar | None] = {}
    if opts.pool_calendars:
        everyone = _pool_calendar(frame, np.ones(frame.activity.size, dtype=bool), opts, None)
        res = frame.df[RESOURCE].astype("string") if RESOURCE in frame.df.columns else None
        for p in used_pools:
            members = assignment.members.get(p, ())
            if members and res is not None:
                rows = res.isin(list(members)).fillna(False).to_numpy(dtype=bool)
            else:
                rows = (row_pool == p).to_numpy(dtype=bool)
            pool_cal[p] = _pool_calendar(frame, rows, opts, everyone)
    working = np.maximum(frame.end - frame.start, 0.0)
    pool_objs: dict[str, Pool] = {}
    for p in used_pools:
        cal = pool_cal.get(p)
        cal_name = ALWAYS
        if cal is not None and not cal.is_always:
            cal_name = f"{p} hours"
            calendars[cal_name] = cal
            rows = (row_pool == p).to_numpy(dtype=bool)
            working[rows] = OpenTime(cal).working(frame.start[rows], frame.end[rows])
        pool_objs[p] = Pool(name=p, count=int(assignment.counts[p]), calendar=cal_name,
                            members=tuple(assignment.members.get(p, ())))
    done("calendars")

    act_rows = pd.Series(np.arange(frame.activity.size)).groupby(frame.activity, sort=False)
    row_groups = {str(a): idx.to_numpy() for a, idx in act_rows}
    activities: dict[str, Activity] = {}
    for a in in_model:
        fit = fit_duration(working[row_groups[a]], **opts.fit_kwargs())
        activities[a] = Activity(name=a, duration=fit.distribution,
                                 pool=assignment.activity_pool[a])
    done("durations")

    arr = discover_arrivals(frame.case_arrival(), opts)
    arrivals_cal = ALWAYS
    if arr.calendar is not None:
        arrivals_cal = "arrivals"
        calendars[arrivals_cal] = arr.calendar
    done("arrivals")

    if opts.extraneous_delays:
        delays = extraneous_delays(frame, row_pool, {p: pool_cal.get(p) for p in used_pools},
                                   opts, set(in_model))
        activities = {a: replace(act, delay=delays.get(a)) for a, act in activities.items()}
    done("delays")

    log_costs = costs_from_log(frame.df, row_pool, working) if log.has_costs else CostData()
    if cost_file is not None:
        check_names(cost_file, set(pool_objs), log_activities)
    rates = {**log_costs.hourly_rate, **(cost_file.hourly_rate if cost_file else {})}
    fixed = {**log_costs.fixed_cost, **(cost_file.fixed_cost if cost_file else {})}
    pool_objs = {p: replace(po, hourly_rate=rates.get(p)) for p, po in pool_objs.items()}
    activities = {a: replace(act, fixed_cost=fixed.get(a, 0.0)) for a, act in activities.items()}
    currency = cost_file.currency if cost_file is not None else None
    done("costs")

    observed = observed_figures(log, frame, rep)
    done("observed")

    kinds = {n: d["kind"] for n, d in g.nodes(data=True)}
    model = ProcessModel(
        name=name or _model_name(log),
        activities=activities,
        flows=tuple(Flow(u, v, probs.get((u, v))) for u, v in g.edges),
        pools=pool_objs,
        calendars=calendars,
        arrivals=Arrivals(arr.interarrival, arrivals_cal),
        gateways={n: Gateway(n, k) for n, k in kinds.items() if k in ("xor", "and", "or")},
        events={flow.start: Event(flow.start, "start"), flow.end: Event(flow.end, "end")},
        description=f"Mined by bpr from {Path(log.path).name} ({opts.algorithm}, noise "
                    f"{opts.noise_threshold}{_non_defaults(opts)}).",
        timezone=log.timezone,
        currency=currency,
        observed=observed,
    )
    check(model)
    warnings = list(log.warnings) + warnings
    return Discovery(model=model, frame=frame, options=opts, replay=rep, pools=assignment,
                     working_seconds=working, row_pool=row_pool, warnings=warnings,
                     seconds_per_step=timings, dropped_activities=flow.dropped_activities)


def mine(log: LogSource, *, algorithm: str = "inductive", noise_threshold: float = 0.1,
         costs: str | os.PathLike[str] | CostData | None = None,
         options: MiningOptions | None = None, name: str | None = None,
         progress: ProgressFn | None = None) -> ProcessModel:
    """Discover a simulation-ready :class:`ProcessModel` from ``log``.

    ``algorithm``/``noise_threshold`` choose the control-flow discovery (see
    :data:`bpr.discovery.options.ALGORITHMS`); ``options`` (a :class:`MiningOptions`) sets every
    other choice and, when given, takes precedence over those two. ``costs``: a costs YAML path (see
    :mod:`bpr.discovery.costs`) or :class:`CostData`. ``progress(done, total)`` is called per step.
    """
    opts = options or MiningOptions(algorithm=algorithm, noise_threshold=noise_threshold)
    return discover(log, opts, costs=costs, name=name, progress=progress).model
