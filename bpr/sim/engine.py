"""The SimPy engine: one replication of a compiled model.

SimPy provides the clock, the event queue, timeouts and processes: one process generates
arrivals, one process runs each case, and parallel/inclusive branches run as child processes.
Resource pools are a lean FIFO dispatcher on SimPy events instead of ``simpy.Resource`` (the same
semantics, less overhead per request).

Semantics (see also :mod:`bpr.sim`):

- **Arrivals.** The first case arrives at the first open moment of the arrivals calendar at or
  after the start; the next arrives ``arrivals_calendar.work_end(previous, interarrival)`` later
  (inter-arrival times count open time of that calendar only).
- **Activity.** When the token reaches a task (it is *enabled*), the optional extraneous
  ``delay`` passes (elapsed time, no staff, no calendar); then the task requests one member of its
  pool (FIFO queue; the longest-idle member is assigned). Work starts at the first open moment of
  the pool's calendar; the sampled duration is *working* time, so the work ends at
  ``calendar.work_end(start, duration)``: work running past the end of a shift pauses and resumes
  at the next open moment, and **the member stays allocated across the pause**. Tasks without a
  pool start when enabled (after their delay) and take their duration in elapsed time.
- **Gateways.** An xor split picks one flow by its probabilities. An and split forks every flow;
  its paired join waits for all of them. An or split activates each flow independently with its
  probability; if none is activated, one flow is picked with probability proportional to the
  flows' probabilities; its paired join waits for exactly the activated branches. xor merges pass
  tokens through. A join reached by a token that did not come from its split (only in
  unstructured models) passes the token through.
- **Timers** wait their delay in elapsed time. A case ends when its token reaches any end event.
- **Costs.** Per instance: working hours x the pool's hourly rate (when known) + the activity's
  fixed cost. **Labour hours** are the working hours of staffed instances.

KPI definitions (per replication): a case's cycle time runs from its arrival to its end; its
waiting time is the sum over its activity instances of (start - enabled), which includes
extraneous delays, queueing for staff and waiting for working hours; its processing time is the
sum of (end - start) (elapsed, so it includes paused off-shift time). Statistics count cases
numbered ``warmup_cases`` and later. The observation window runs from the arrival of the first
counted case to the end of the last case: throughput = counted cases / window; WIP = time-average
number of cases (counted or not) in the process over the window; a pool's utilisation = working
hours busy on instances started in the window / (members x open hours of its calendar in the
window).
"""

from __future__ import annotations

import bisect
from collections import deque
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

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
from bpr.sim.results import ReplicationStats
from bpr.sim.streams import CaseStream, distribution_sampler, sequential, uniform_sampler

HOUR = 3600.0
DAY = 86400.0
PROGRESS_EVERY = 256  # cases between progress callbacks


class _Case:
    __slots__ = ("idx", "counted", "arrival", "visits", "rows", "wait", "proc", "labour", "cost")

    def __init__(self, idx: int, counted: bool, arrival: float, cyclic: bool, log: bool):
        self.idx = idx
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
        # pools
        self.pool_cal = [FastCalendar(c, week_offset) for c in cm.pool_calendar]
        self.member_base: list[int] = []
        base = 0
        for count in cm.pool_count:
            self.member_base.append(base)
            base += count
        self.pool_free = [deque(range(b, b + c)) for b, c in zip(self.member_base,
                                                                   cm.pool_count, strict=True)]
        self.pool_wait: list[deque] = [deque() for _ in cm.pool_names]
        self.pool_busy = [0.0] * len(cm.pool_names)
        self.pool_rate = [r if r is not None else 0.0 for r in cm.pool_rate]
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
        self.task_info: list[tuple | None] = [None] * len(cm.names)
        for node, a in cm.task_index.items():
            self.task_info[node] = (a, self.dur[a], self.delay[a], cm.activity_pool[a],
                                    cm.activity_fixed_cost[a], cm.in_cycle[node])
        self.pool_info = [(self.pool_free[p], self.pool_wait[p], self.pool_cal[p],
                           self.pool_rate[p]) for p in range(len(cm.pool_names))]
        self.arrival_cal = FastCalendar(m.calendar(m.arrivals.calendar), week_offset)
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
        t = cal.next_open(0.0)
        c = 0
        while (limit is None or c < limit) and (horizon is None or t < horizon):
            if t > env.now:
                yield env.timeout(t - env.now)
            counted = c >= warmup
            if counted and self.window_start == float("inf"):
                self.window_start = t
                self.wip_last = t
            self._wip_change(1)
            env.process(self._case(_Case(c, counted, t, cyclic, log)))
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
        self._wip_change(-1)
        if case.counted:
            self.cycle.append(env.now - case.arrival)
            self.case_wait += case.wait
            self.case_proc += case.proc
            self.case_labour += case.labour
            self.case_cost += case.cost
        if case.rows is not None:
            rows = case.rows
            rows.sort(key=_row_order)
            self.sink(rows)
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
        pool_info = self.pool_info
        idx = case.idx
        while node != stop:
            o = op[node]
            if o == OP_TASK:
                a, dstream, dl, p, fixed, cyc = task_info[node]
                enabled = env.now
                if cyc and case.visits is not None:
                    k = case.visits.get(node, 0)
                    case.visits[node] = k + 1
                    dur = dstream.visit(idx, k)
                else:
                    k = 0
                    dur = dstream.first(idx)
                if dl is not None:
                    d = dl.visit(idx, k)
                    if d > 0:
                        yield timeout(d)
                if p >= 0:
                    free, waiting, cal, rate = pool_info[p]
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
                        yield timeout(cal.work_end(start, dur) - now)
                    end = env.now  # the clock's value (avoids float drift between records)
                    if waiting:
                        waiting.popleft().succeed(member)
                    else:
                        free.append(member)
                    cost = dur / HOUR * rate + fixed
                    if start >= self.window_start:
                        self.pool_busy[p] += dur
                    case.labour += dur
                else:
                    member = -1
                    start = env.now
                    yield timeout(dur)
                    end = env.now
                    cost = fixed
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

    # -- running ---------------------------------------------------------------------------
    def run(self) -> ReplicationStats:
        """Simulate until every arrived case has ended; return the replication's statistics."""
        self.env.process(self._arrivals())
        self.env.run()
        return self._stats()

    def _stats(self) -> ReplicationStats:
        cm = self.cm
        end = self.env.now
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
            open_s = self.pool_cal[p].working_seconds(start, end) * cm.pool_count[p]
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
