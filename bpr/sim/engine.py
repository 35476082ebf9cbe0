"""The SimPy engine: one replication of a compiled model.

SimPy provides the clock, the event queue, timeouts and processes: one process generates
arrivals, one process runs each case, and parallel/inclusive branches run as child processes.
Each resource pool is a *dispatcher* on SimPy events (:mod:`bpr.sim.dispatch`; pools of people in
:mod:`bpr.sim.people`), batches are gathered by :mod:`bpr.sim.batching`, and the limits that keep
every run finite are in :mod:`bpr.sim.limits`.

Semantics (see also :mod:`bpr.sim`):

- **Arrivals.** The first case arrives at the first open moment of the arrivals calendar at or
  after the start; the next arrives ``arrivals_calendar.work_end(previous, interarrival)`` later
  (inter-arrival times count open time of that calendar only).
- **Activity.** When the token reaches a task (it is *enabled*), the optional extraneous
  ``delay`` passes (elapsed time, no staff, no calendar); then the task requests one member of its
  pool. Waiting work is served in the order of the pool's dispatch rule: ``fifo`` (first in,
  first out) or ``priority`` (highest ``activity.priority`` + the case's attribute priorities
  first, first in, first out within a level). The member idle longest is assigned. Work starts at
  the first open moment of the member's calendar; the sampled duration divided by the member's
  speed is *working* time. Under the pool's ``shift_end: pause`` (default) the work ends at
  ``calendar.work_end(start, working time)``: work running past the end of a shift pauses and
  resumes at the next open moment, and **the member stays allocated across the pause**. Under
  ``finish`` it ends ``working time`` later in elapsed time (after hours if need be) and the
  member takes no new work before their next open moment. Tasks without a pool start when
  enabled (after their delay) and take their duration in elapsed time.
- **Pools of people** (a pool whose members are defined under ``people``, or any pool with a
  dispatch rule other than ``fifo``): each member works their own calendar (a person's, else the
  pool's), is in on a day with their weekday's availability share, and never does two tasks at
  once, even as a member of several pools. A member takes work when free *and* open, so waiting
  work goes to whoever qualified can start it first (ties: the longest idle). For a ``count``
  pool served ``fifo`` (the fast default) a free member is committed at once and starts at the
  calendar's next opening, which gives the same trace (see :mod:`bpr.sim.people`).
- **Batches.** A batch activity's cases wait (after their delay) until a release rule fires
  (``size`` cases waiting, the oldest waited ``max_wait``, a time of day ``at``; at the end of a
  run, when nothing else can happen, the rest). A released batch requests one member with its
  cases' highest priority and holds the member until its last case is done. Sequential batches:
  the cases are worked one after another, each recording its own start, end, working time and
  cost, and moving on when its piece ends (under ``pause`` each piece starts at an open moment,
  under ``finish`` the batch runs on). Parallel batches: all cases start and end together after
  the longest of their durations, whose working time and labour cost are shared equally.
- **Limits.** A case reaching one node :data:`~bpr.sim.limits.MAX_VISITS` times, a clock past
  :data:`~bpr.sim.limits.MAX_SIMULATED_YEARS` years, or more than
  :data:`~bpr.sim.limits.MAX_CASES` arrivals (also foreseen from a ``days`` horizon and the mean
  inter-arrival time) stop the run with a one-line :class:`~bpr.errors.SimulationError`.
- **Gateways.** An xor split picks one flow by its probabilities. An and split forks every flow;
  its paired join waits for all of them. An or split activates each flow independently with its
  probability; if none is activated, one flow is picked with probability proportional to the
  flows' probabilities; its paired join waits for exactly the activated branches. xor merges pass
  tokens through. A join reached by a token that did not come from its split (only in
  unstructured models) passes the token through.
- **Timers** wait their delay in elapsed time. A case ends when its token reaches any end event.
- **Costs.** Per instance: working hours x the member's hourly rate (the person's, else the
  pool's, when known) + the activity's fixed cost. **Labour hours** are the working hours of
  staffed instances.

KPI definitions (per replication): a case's cycle time runs from its arrival to its end; its
waiting time is the sum over its activity instances of (start - enabled), which includes
extraneous delays, queueing for staff and waiting for working hours; its processing time is the
sum of (end - start) (elapsed, so it includes paused off-shift time). Statistics count cases
numbered ``warmup_cases`` and later. The observation window runs from the arrival of the first
counted case to the end of the last case: throughput = counted cases / window; WIP = time-average
number of cases (counted or not) in the process over the window; a pool's utilisation = working
hours busy on instances started in the window / open member-hours in the window (members x
open hours of the pool's calendar; for pools of people the sum of each member's open hours on
the days they are in).
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from bpr.model.resources import Batch
from bpr.sim.batching import Batcher, unstaffed_pieces
from bpr.sim.compiled import (
    OP_AND,
    OP_END,
    OP_JOIN,
    OP_OR,
    OP_PASS,
    OP_TASK,
    OP_TIMER,
    OP_XOR,
    CompiledModel,
    FastCalendar,
)
from bpr.sim.dispatch import PoolDispatcher, build_dispatchers
from bpr.sim.limits import (
    MAX_CASES,
    MAX_SIMULATED_SECONDS,
    MAX_VISITS,
    too_late,
    too_many_cases,
    too_many_visits,
)
from bpr.sim.results import ReplicationStats
from bpr.sim.streams import CaseStream, distribution_sampler, sequential, uniform_sampler

HOUR = 3600.0
DAY = 86400.0
PROGRESS_EVERY = 256  # cases between progress callbacks


class _Case:
    __slots__ = ("idx", "counted", "arrival", "visits", "rows", "wait", "proc", "labour", "cost",
                 "prio")

    def __init__(self, idx: int, counted: bool, arrival: float, cyclic: bool, log: bool,
                 prio: float = 0.0):
        self.idx = idx
        self.prio = prio
        self.counted = counted
        self.arrival = arrival
        self.visits: dict[int, int] | None = {} if cyclic else None
        self.rows: list[tuple] | None = [] if log else None
        self.wait = 0.0
        self.proc = 0.0
        self.labour = 0.0
        self.cost = 0.0


class Replication:
    """One replication: ``Replication(cm, ...).run()`` returns its :class:`ReplicationStats`.

    ``cases``: number of arrivals, or ``horizon_seconds``: arrivals during that many seconds.
    ``sink(rows)`` (optional) receives each finished case's rows
    ``(case, activity, member, enabled, start, end, cost)``, times in simulation seconds.
    """

    def __init__(self, cm: CompiledModel, *, seed: int, replication: int, week_offset: float,
                 cases: int | None = None, horizon_seconds: float | None = None,
                 warmup_cases: int = 0, sink: Callable[[list[tuple]], None] | None = None,
                 progress: Callable[[int], None] | None = None):
        self.cm = cm
        self.seed = seed
        self.replication = replication
        self.cases = cases
        self.horizon = horizon_seconds
        self.warmup = warmup_cases
        self.sink = sink
        self.progress = progress
        self.env = simpy.Environment()
        self.cyclic = any(cm.in_cycle)
        m = cm.model
        if cases is not None and cases > MAX_CASES:
            raise too_many_cases(cases)
        # pools: one dispatcher each (bpr.sim.dispatch)
        self.pool_cal = [FastCalendar(c, week_offset) for c in cm.pool_calendar]
        self.disp = build_dispatchers(cm, self.env, self.pool_cal, seed=seed,
                                      replication=replication, week_offset=week_offset)
        self.pool_busy = [0.0] * len(cm.pool_names)
        # streams
        self.dur = [CaseStream(distribution_sampler(d), seed, replication, f"duration:{a}")
                    for a, d in zip(cm.activity_names, cm.activity_duration, strict=True)]
        self.delay = [None if d is None else CaseStream(distribution_sampler(d), seed,
                                                        replication, f"delay:{a}")
                      for a, d in zip(cm.activity_names, cm.activity_delay, strict=True)]
        self.gate: dict[int, CaseStream] = {}
        for node in cm.xor_cum:
            self.gate[node] = CaseStream(uniform_sampler(), seed, replication,
                                         f"gateway:{cm.names[node]}")
        for node, probs in cm.or_prob.items():
            self.gate[node] = CaseStream(uniform_sampler(len(probs) + 1), seed, replication,
                                         f"gateway:{cm.names[node]}")
        self.timer = {node: CaseStream(distribution_sampler(d), seed, replication,
                                       f"timer:{cm.names[node]}")
                      for node, d in cm.timer_delay.items()}
        self.batchers: list[Batcher] = []
        self.task_info: list[Any] = [None] * len(cm.names)  # per task node (see _token)
        for node, a in cm.task_index.items():
            batcher = None
            spec = cm.activity_batch[a]
            if spec is not None:
                batcher = Batcher(self.env, spec, week_offset,
                                  self._batch_runner(a, cm.activity_pool[a], spec))
                self.batchers.append(batcher)
            p = cm.activity_pool[a]
            disp = self.disp[p] if p >= 0 else None
            # the fast default dispatcher's state, for the inlined path in _token
            fast = (disp.free, disp.waiting, disp.cal, disp.rate, disp.finish) \
                if disp.__class__ is PoolDispatcher and batcher is None else None
            self.task_info[node] = (a, self.dur[a], self.delay[a], p, cm.activity_fixed_cost[a],
                                    cm.in_cycle[node], cm.activity_priority[a], batcher, disp,
                                    fast)
        self.case_prio = [(CaseStream(uniform_sampler(), seed, replication, f"attribute:{name}"),
                           cum, prios) for name, _, cum, prios in cm.case_priorities]
        self.arrival_cal = FastCalendar(m.calendar(m.arrivals.calendar), week_offset)
        if horizon_seconds is not None:  # refuse a horizon that would flood the run
            mean = m.arrivals.interarrival.mean()
            open_s = self.arrival_cal.working_seconds(0.0, min(horizon_seconds,
                                                               MAX_SIMULATED_SECONDS))
            if not mean > 0 or open_s / mean > MAX_CASES:
                raise too_many_cases()
        self.next_interarrival = sequential(distribution_sampler(m.arrivals.interarrival), seed,
                                            replication, "arrivals")
        # statistics
        n_act = len(cm.activity_names)
        self.act_wait = [0.0] * n_act
        self.act_count = [0] * n_act
        self.cycle: list[float] = []
        self.case_wait = 0.0
        self.case_proc = 0.0
        self.case_labour = 0.0
        self.case_cost = 0.0
        self.window_start = float("inf")
        self.in_system = 0
        self.wip_area = 0.0
        self.wip_last = 0.0
        self.done = 0
        self.arrived = 0
        self.last_end = 0.0  # when the last case ended (dispatch and batch timers may lapse later)

    # -- processes -------------------------------------------------------------------------
    def _arrivals(self):
        env = self.env
        cal = self.arrival_cal
        draw = self.next_interarrival
        limit = self.cases
        horizon = self.horizon
        cyclic = self.cyclic
        log = self.sink is not None
        warmup = self.warmup
        case_prio = self.case_prio
        t = cal.next_open(0.0)
        c = 0
        while (limit is None or c < limit) and (horizon is None or t < horizon):
            if t > MAX_SIMULATED_SECONDS:
                raise too_late(f"arrivals (case {c + 1})")
            if c >= MAX_CASES:
                raise too_many_cases()
            if t > env.now:
                yield env.timeout(t - env.now)
            counted = c >= warmup
            if counted and self.window_start == float("inf"):
                self.window_start = t
                self.wip_last = t
            self._wip_change(1)
            prio = 0.0
            for stream, cum, prios in case_prio:
                prio += prios[min(bisect.bisect_right(cum, stream.first(c)), len(cum) - 1)]
            env.process(self._case(_Case(c, counted, t, cyclic, log, prio)))
            c += 1
            self.arrived = c
            t = cal.work_end(t, draw())

    def _wip_change(self, delta: int) -> None:
        now = self.env.now
        if now >= self.window_start:
            self.wip_area += self.in_system * (now - self.wip_last)
            self.wip_last = now
        self.in_system += delta

    def _case(self, case: _Case):
        yield from self._token(case, self.cm.first, -1)
        env = self.env
        if env.now > MAX_SIMULATED_SECONDS:
            raise too_late(f"case {case.idx + 1}")
        self.last_end = env.now
        self._wip_change(-1)
        if case.counted:
            self.cycle.append(env.now - case.arrival)
            self.case_wait += case.wait
            self.case_proc += case.proc
            self.case_labour += case.labour
            self.case_cost += case.cost
        sink = self.sink
        if case.rows is not None and sink is not None:
            rows = case.rows
            rows.sort(key=_row_order)
            sink(rows)
        self.done += 1
        if self.progress is not None and self.done % PROGRESS_EVERY == 0:
            self.progress(self.done)

    def _token(self, case: _Case, node: int, stop: int):
        """Move one token from ``node`` until it reaches ``stop`` (a join) or an end event."""
        env = self.env
        timeout = env.timeout
        cm = self.cm
        op = cm.op
        succ = cm.succ
        task_info = self.task_info
        idx = case.idx
        max_t = MAX_SIMULATED_SECONDS
        while node != stop:
            o = op[node]
            if o == OP_TASK:
                a, dstream, dl, p, fixed, cyc, prio, batcher, disp_p, fast = task_info[node]
                enabled = env.now
                if cyc and case.visits is not None:
                    k = case.visits.get(node, 0)
                    if k >= MAX_VISITS:
                        raise too_many_visits(cm.names[node], idx)
                    case.visits[node] = k + 1
                    dur = dstream.visit(idx, k)
                else:
                    k = 0
                    dur = dstream.first(idx)
                if dl is not None:
                    d = dl.visit(idx, k)
                    if d > 0:
                        yield timeout(d)
                if fast is not None:
                    # PoolDispatcher (the fast default) inlined: acquire, work, release exactly
                    # as its methods do (tests/test_sim_people_props.py checks they agree)
                    free, waiting, cal, rate, finish = fast
                    if free:
                        member = free.popleft()
                    else:
                        ev = env.event()
                        waiting.append(ev)
                        member = yield ev
                    now = env.now
                    if cal.always:
                        start = now
                        yield timeout(dur)
                    else:
                        start = cal.next_open(now)
                        yield timeout((start + dur if finish else cal.work_end(start, dur)) - now)
                    end = env.now  # the clock's value (avoids float drift between records)
                    if waiting:
                        waiting.popleft().succeed(member)
                    else:
                        free.append(member)
                    worked = dur
                    cost = dur / HOUR * rate
                elif batcher is not None:
                    member, start, end, worked, cost = yield batcher.join(dur, prio + case.prio)
                elif disp_p is not None:
                    member = disp_p.acquire(prio + case.prio)
                    if member.__class__ is not int:
                        member = yield member
                    now = env.now
                    start, end, worked, cost = disp_p.work(member, now, dur)
                    yield timeout(end - now)
                    end = env.now
                    disp_p.release(member)
                else:
                    member = -1
                    start = env.now
                    yield timeout(dur)
                    end = env.now
                    worked = cost = 0.0
                if end > max_t:
                    raise too_late(f"activity {cm.names[node]!r} (case {idx + 1})")
                cost += fixed
                if p >= 0:
                    if start >= self.window_start:
                        self.pool_busy[p] += worked
                    case.labour += worked
                case.wait += start - enabled
                case.proc += end - start
                case.cost += cost
                if case.counted:
                    self.act_wait[a] += start - enabled
                    self.act_count[a] += 1
                if case.rows is not None:
                    case.rows.append((idx, a, member, enabled, start, end, cost))
                node = succ[node][0]
            elif o in (OP_PASS, OP_JOIN):
                node = succ[node][0]
            elif o == OP_XOR:
                u = self._gate_value(case, node)
                cum = cm.xor_cum[node]
                node = succ[node][min(bisect.bisect_right(cum, u), len(cum) - 1)]
            elif o in (OP_AND, OP_OR):
                join = cm.join_of[node]
                branches = succ[node]
                if o == OP_OR:
                    branches = self._or_branches(case, node, branches)
                children = [env.process(self._token(case, b, join)) for b in branches[1:]]
                yield from self._token(case, branches[0], join)
                if children:
                    yield env.all_of(children)
                node = succ[join][0]
            elif o == OP_TIMER:
                d = self.timer[node].visit(case.idx, self._visit(case, node))
                if d > 0:
                    yield env.timeout(d)
                node = succ[node][0]
            elif o == OP_END:
                return
            else:  # pragma: no cover - compile_model only emits the ops above
                raise AssertionError(f"unknown op {o}")

    def _visit(self, case: _Case, node: int) -> int:
        """How often ``case`` reached ``node`` before (0 outside loops), counting this visit."""
        if case.visits is None or not self.cm.in_cycle[node]:
            return 0
        k = case.visits.get(node, 0)
        if k >= MAX_VISITS:
            raise too_many_visits(self.cm.names[node], case.idx)
        case.visits[node] = k + 1
        return k

    def _gate_value(self, case: _Case, node: int) -> Any:
        return self.gate[node].visit(case.idx, self._visit(case, node))

    def _or_branches(self, case: _Case, node: int, branches: tuple[int, ...]) -> tuple[int, ...]:
        u = self._gate_value(case, node)
        probs = self.cm.or_prob[node]
        chosen = tuple(b for b, p, x in zip(branches, probs, u, strict=False) if x < p)
        if chosen:
            return chosen
        total = sum(probs)
        acc = 0.0
        pick = u[-1] * total
        for b, p in zip(branches, probs, strict=True):
            acc += p
            if pick < acc:
                return (b,)
        return (branches[-1],)

    def _batch_runner(self, a: int, p: int, spec: Batch) -> Callable[[list[list]], Any]:
        """The process that executes one released batch of activity ``a`` (items
        ``[duration, priority, event]``; each event gets ``(member, start, end, worked, cost)``)."""
        env = self.env
        parallel = spec.mode == "parallel"
        name = self.cm.activity_names[a]

        def run(items: list[list]):
            durations = [it[0] for it in items]
            if p >= 0:
                d = self.disp[p]
                member = d.acquire(max(it[1] for it in items))
                if member.__class__ is not int:
                    member = yield member
                pieces = d.pieces(member, env.now, durations, parallel)
            else:
                member = -1
                pieces = unstaffed_pieces(env.now, durations, parallel)
            for it, (start, end, worked, cost) in zip(items, pieces, strict=True):
                if end > MAX_SIMULATED_SECONDS:
                    raise too_late(f"batch of activity {name!r}")
                if end > env.now:
                    yield env.timeout(end - env.now)
                it[2].succeed((member, start, end, worked, cost))
            if p >= 0:
                d.release(member)

        return run

    # -- running ---------------------------------------------------------------------------
    def run(self) -> ReplicationStats:
        """Simulate until every arrived case has ended; return the replication's statistics.
        When nothing else can happen, partial batches are released (see the module doc)."""
        self.env.process(self._arrivals())
        while True:
            self.env.run()
            if not [b for b in self.batchers if b.flush()]:
                break
        return self._stats()

    def _stats(self) -> ReplicationStats:
        cm = self.cm
        end = self.last_end if self.done else self.env.now
        start = self.window_start if self.window_start != float("inf") else end
        window = max(end - start, 0.0)
        if window > 0:
            self.wip_area += self.in_system * (end - self.wip_last)
        cycle = np.asarray(self.cycle, dtype=float) / HOUR
        n = len(cycle)
        kpis: dict[str, float | None] = {
            "cycle_time_hours_mean": float(cycle.mean()) if n else None,
            "cycle_time_hours_median": float(np.median(cycle)) if n else None,
            "cycle_time_hours_p90": float(np.percentile(cycle, 90)) if n else None,
            "waiting_time_hours_mean": self.case_wait / HOUR / n if n else None,
            "processing_time_hours_mean": self.case_proc / HOUR / n if n else None,
            "throughput_cases_per_day": n / (window / DAY) if window > 0 else None,
            "wip_cases_mean": self.wip_area / window if window > 0 else None,
            "cost_per_case": (self.case_cost / n if n else None) if cm.has_costs else None,
            "labour_hours_total": self.case_labour / HOUR,
            "labour_hours_per_case": self.case_labour / HOUR / n if n else None,
        }
        utilisation: dict[str, float] = {}
        busy: dict[str, float] = {}
        for p, name in enumerate(cm.pool_names):
            open_s = self.disp[p].capacity_seconds(start, end)
            busy[name] = self.pool_busy[p] / HOUR
            utilisation[name] = self.pool_busy[p] / open_s if open_s > 0 else 0.0
        act_wait = {a: self.act_wait[i] / self.act_count[i] / HOUR
                    for i, a in enumerate(cm.activity_names) if self.act_count[i]}
        act_count = {a: self.act_count[i] for i, a in enumerate(cm.activity_names)}
        return ReplicationStats(
            replication=self.replication, seed=self.seed, cases_completed=n,
            horizon_hours=window / HOUR, kpis=kpis, activity_waiting_hours=act_wait,
            activity_count=act_count, pool_utilisation=utilisation, pool_busy_hours=busy,
            cycle_times_hours=cycle, cases_arrived=self.arrived,
        )


def _row_order(row: tuple) -> tuple[float, float]:
    return (row[4], row[5])
