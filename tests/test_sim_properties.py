"""Property tests on random sound block-structured models (hypothesis): every case ends, joins
wait for their branches, pools never exceed their size, work starts only in working hours, and
loop/branch frequencies follow the probabilities."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bpr.model import Activity, Arrivals, Calendar, Distribution, Flow, Gateway, Pool
from bpr.model.process import Event, ProcessModel
from bpr.sim.compiled import compile_model
from bpr.sim.engine import Replication

CALENDARS = {
    "always": Calendar.always(),
    "office": Calendar.from_dict({"mon-fri": "09:00-12:00, 13:00-17:00"}),
    "early": Calendar.from_dict({"all": "06:00-14:00"}),
}

# a block: ("task",) | ("seq", [b..]) | ("xor"|"and"|"or", [b..], [p..]) | ("loop", b, p)
#          | ("timer",)
leaf = st.one_of(st.just(("task",)), st.just(("task",)), st.just(("timer",)))


def _extend(children: st.SearchStrategy) -> st.SearchStrategy:
    lists = st.lists(children, min_size=2, max_size=3)
    return st.one_of(
        st.tuples(st.just("seq"), lists),
        st.tuples(st.just("xor"), lists, st.lists(st.floats(0.1, 1.0), min_size=3, max_size=3)),
        st.tuples(st.just("and"), lists),
        st.tuples(st.just("or"), lists, st.lists(st.floats(0.2, 1.0), min_size=3, max_size=3)),
        st.tuples(st.just("loop"), children, st.floats(0.1, 0.6)),
    )


blocks = st.recursive(leaf, _extend, max_leaves=8)


@dataclass
class Builder:
    pools: list[tuple[str, int, str]]
    activities: dict[str, Activity] = field(default_factory=dict)
    gateways: dict[str, Gateway] = field(default_factory=dict)
    events: dict[str, Event] = field(default_factory=dict)
    flows: list[Flow] = field(default_factory=list)
    joins: dict[str, set[str]] = field(default_factory=dict)   # join marker -> block tasks
    loops: dict[str, tuple[str, str, float]] = field(default_factory=dict)
    n: int = 0

    def name(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def task(self, prefix: str = "t") -> str:
        name = self.name(prefix)
        pool = self.pools[self.n % len(self.pools)][0] if self.n % 4 else None
        self.activities[name] = Activity(
            name, Distribution("uniform", {"min": 300.0, "max": 5400.0}), pool=pool,
            fixed_cost=1.0)
        return name

    def gw(self, kind: str) -> str:
        name = self.name(f"g{kind}")
        self.gateways[name] = Gateway(name, kind)
        return name

    def build(self, block: tuple) -> tuple[str, str, set[str]]:
        """(entry node, exit node, task names inside)."""
        kind = block[0]
        if kind == "task":
            t = self.task()
            return t, t, {t}
        if kind == "timer":
            e = self.name("timer")
            self.events[e] = Event(e, "timer", Distribution.fixed(900.0))
            return e, e, set()
        if kind == "seq":
            parts = [self.build(b) for b in block[1]]
            for (_, x, _), (y, _, _) in zip(parts, parts[1:], strict=False):
                self.flows.append(Flow(x, y))
            return parts[0][0], parts[-1][1], set().union(*(p[2] for p in parts))
        if kind == "loop":
            merge, split = self.gw("xor"), self.gw("xor")
            first, exit_task = self.task("L"), self.task("X")
            body_in, body_out, inner = self.build(block[1])
            p = block[2]
            self.flows += [Flow(merge, first), Flow(first, body_in), Flow(body_out, split),
                           Flow(split, merge, p), Flow(split, exit_task, 1 - p)]
            self.loops[first] = (first, exit_task, p)
            return merge, exit_task, inner | {first, exit_task}
        children = block[1]
        split = self.gw(kind)
        join = self.gw("xor" if kind == "xor" else kind)
        inside: set[str] = set()
        probs = block[2][: len(children)] if kind != "and" else [None] * len(children)
        if kind == "xor":
            total = sum(probs)
            probs = [p / total for p in probs]
            probs[-1] = 1 - sum(probs[:-1])
        for child, p in zip(children, probs, strict=True):
            a, b, t = self.build(child)
            inside |= t
            self.flows += [Flow(split, a, p), Flow(b, join)]
        marker = self.task("J")
        self.flows.append(Flow(join, marker))
        if kind in ("and", "or"):
            self.joins[marker] = set(inside)
        return split, marker, inside | {marker}

    def model(self, block: tuple) -> ProcessModel:
        self.events.update({"start": Event("start", "start"), "end": Event("end", "end")})
        a, b, _ = self.build(block)
        self.flows += [Flow("start", a), Flow(b, "end")]
        used = {c for _, _, c in self.pools} - {"always"}
        return ProcessModel(
            name="random", activities=self.activities, flows=tuple(self.flows),
            pools={p: Pool(p, c, calendar=cal) for p, c, cal in self.pools},
            calendars={c: CALENDARS[c] for c in used}, gateways=self.gateways,
            events=self.events, arrivals=Arrivals(Distribution.exponential(2400.0)))


pools_strategy = st.lists(st.tuples(st.integers(1, 3), st.sampled_from(sorted(CALENDARS))),
                          min_size=1, max_size=3).map(
    lambda ps: [(f"P{i}", c, cal) for i, (c, cal) in enumerate(ps)])


def run(model: ProcessModel, cases: int, seed: int, week_offset: float = 0.0):
    cm = compile_model(model)
    rows: list[tuple] = []
    stats = Replication(cm, seed=seed, replication=0, week_offset=week_offset, cases=cases,
                        sink=rows.extend).run()
    return cm, rows, stats


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(block=blocks, pools=pools_strategy, seed=st.integers(0, 2 ** 16),
       week_offset=st.floats(0, 7 * 86400 - 1e-3))
def test_random_sound_models_keep_every_invariant(block, pools, seed, week_offset):
    builder = Builder(pools)
    model = builder.model(("seq", [block, ("task",)]))
    cm, rows, stats = run(model, 40, seed, week_offset)
    # every case ends
    assert stats.cases_completed == 40
    assert len({r[0] for r in rows}) == 40
    by_case: dict[int, list[tuple]] = defaultdict(list)
    for r in rows:
        by_case[r[0]].append(r)
        assert r[3] <= r[4] <= r[5]  # enabled <= start <= end
    names = cm.activity_names
    # joins: nothing of a parallel/inclusive block is alive between the join's marker task
    # being enabled and it ending
    for marker, inside in builder.joins.items():
        for case_rows in by_case.values():
            marks = [r for r in case_rows if names[r[1]] == marker]
            for m in marks:
                for r in case_rows:
                    if names[r[1]] in inside:
                        assert not (r[3] < m[5] and r[5] > m[3]), (marker, r, m)
    # pools never exceed their size; a member never does two things at once
    for p, pname in enumerate(cm.pool_names):
        lo = sum(cm.pool_count[:p])
        hi = lo + cm.pool_count[p]
        edges = sorted([(r[5], -1) for r in rows if lo <= r[2] < hi] +
                       [(r[4], 1) for r in rows if lo <= r[2] < hi])
        level = 0
        for _, d in edges:
            level += d
            assert level <= cm.pool_count[p], pname
        per_member = defaultdict(list)
        for r in rows:
            if lo <= r[2] < hi:
                per_member[r[2]].append((r[4], r[5]))
        for spans in per_member.values():
            spans.sort()
            for (_, e1), (s2, _) in zip(spans, spans[1:], strict=False):
                assert s2 >= e1
        # no work starts outside working hours
        cal = cm.pool_calendar[p]
        for r in rows:
            if lo <= r[2] < hi and r[5] > r[4]:
                assert cal.is_open(r[4] + week_offset) or cal.is_open(
                    r[4] + week_offset + 1e-6), (pname, r[4])


def test_loop_and_branch_frequencies_follow_probabilities():
    block = ("seq", [("loop", ("task",), 0.35),
                     ("xor", [("task",), ("task",), ("task",)], [0.2, 0.3, 0.5]),
                     ("or", [("task",), ("task",)], [0.7, 0.4])])
    builder = Builder([("P0", 3, "always")])
    model = builder.model(block)
    cm, rows, stats = run(model, 4000, 1)
    names = cm.activity_names
    count = defaultdict(int)
    for r in rows:
        count[names[r[1]]] += 1
    (first, exit_task, p), = builder.loops.values()
    n = count[first]
    repeat = (n - count[exit_task]) / n
    assert abs(repeat - p) < 4 * math.sqrt(p * (1 - p) / n)
    assert count[exit_task] == 4000
    # the xor block's three branch tasks and the or block's two
    xor_tasks = sorted((t for t in names if t.startswith("t")), key=lambda t: int(t[1:]))
    xor_t, or_t = xor_tasks[1:4], xor_tasks[4:6]
    for t, q in zip(xor_t, (0.2, 0.3, 0.5), strict=True):
        assert abs(count[t] / 4000 - q) < 4 * math.sqrt(q * (1 - q) / 4000), t
    # or split: branch active with its probability, plus the "none chosen" fallback
    none = 0.3 * 0.6
    for t, q, w in zip(or_t, (0.7, 0.4), (0.7 / 1.1, 0.4 / 1.1), strict=True):
        expect = q + none * w
        assert abs(count[t] / 4000 - expect) < 4 * math.sqrt(expect * (1 - expect) / 4000), t


@settings(max_examples=300, deadline=None)
@given(cal=st.sampled_from(sorted(CALENDARS)), offset=st.floats(0, 7 * 86400),
       t=st.floats(0, 30 * 86400), work=st.floats(0, 20 * 86400))
def test_fast_calendar_agrees_with_the_model_calendar(cal, offset, t, work):
    """The engine's compiled calendar implements exactly the model's pause-and-resume rule."""
    from bpr.sim.compiled import FastCalendar

    c = CALENDARS[cal]
    fast = FastCalendar(c, offset)
    end = fast.work_end(t, work)
    assert end >= t
    assert end == pytest_approx(c.work_end(t + offset, work) - offset)
    assert fast.next_open(t) == pytest_approx(c.next_open(t + offset) - offset)
    assert c.working_seconds(t + offset, end + offset) == pytest_approx(work)


def pytest_approx(x: float):
    import pytest

    return pytest.approx(x, abs=1e-6)
