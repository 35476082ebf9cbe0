"""Property tests (hypothesis) for people, priorities, batches and the shift-end rule: a person
never does two tasks at once; under ``pause`` work happens only in the member's open hours and
takes exactly its working time; under ``finish`` it runs on in elapsed time; with unlimited
staff and no batching nobody waits; a pool of people on the pool's calendar behaves exactly like
the ``count`` pool; every case ends."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace

from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from trace_helpers import raw_rows

from bpr.errors import ModelError
from bpr.model import Activity, Arrivals, Calendar, Distribution, Flow, Gateway, Pool
from bpr.model.process import ProcessModel
from bpr.model.resources import Batch, Person
from bpr.sim.compiled import compile_model
from bpr.sim.engine import Replication

CALENDARS = {
    "always": Calendar.always(),
    "office": Calendar.from_dict({"mon-fri": "09:00-12:00, 13:00-17:00"}),
    "early": Calendar.from_dict({"all": "06:00-14:00"}),
    "late": Calendar.from_dict({"all": "14:00-22:00"}),
    "night": Calendar.from_dict({"mon-fri": "22:00-06:00"}),
}
CAL_NAMES = sorted(CALENDARS)
DAY = 86400.0
RATE = 3600.0  # currency per hour = 1 per second: an instance's cost is its working seconds


@st.composite
def people_models(draw, *, availability: bool = True, batches: bool = True,
                  parallel: bool = True) -> ProcessModel:
    n_people = draw(st.integers(1, 5))
    people = {}
    for i in range(n_people):
        shares = ()
        if availability and draw(st.booleans()):
            shares = tuple(draw(st.lists(st.sampled_from([0.3, 0.7, 1.0]), min_size=7,
                                         max_size=7)))
        name = f"person{i}"
        people[name] = Person(name, calendar=draw(st.sampled_from([None, *CAL_NAMES])),
                              availability=shares,
                              speed=draw(st.sampled_from([0.5, 1.0, 1.0, 2.0])))
    pools = {}
    for j in range(draw(st.integers(1, 3))):
        members = draw(st.lists(st.sampled_from(sorted(people)), min_size=1, max_size=n_people,
                                unique=True))
        extra = draw(st.integers(0, 1))
        name = f"pool{j}"
        pools[name] = Pool(name, len(members) + extra, calendar=draw(st.sampled_from(CAL_NAMES)),
                           hourly_rate=RATE, members=tuple(members),
                           dispatch=draw(st.sampled_from(["fifo", "priority"])),
                           shift_end=draw(st.sampled_from(["pause", "finish"])))
    return draw(processes(pools, people, batches=batches, parallel=parallel))


@st.composite
def processes(draw, pools: dict[str, Pool], people: dict[str, Person], *, batches: bool,
              parallel: bool) -> ProcessModel:
    names = sorted(pools)
    acts = {}
    for k in range(draw(st.integers(2, 5))):
        pool = draw(st.sampled_from(names))
        batch = None
        if batches and draw(st.integers(0, 3)) == 0:
            batch = Batch(size=draw(st.integers(1, 4)),
                          max_wait=draw(st.sampled_from([None, 1800.0, 7200.0])),
                          mode=draw(st.sampled_from(["sequential", "parallel"] if parallel
                                                    else ["sequential"])))
        acts[f"t{k}"] = Activity(
            f"t{k}", Distribution("uniform", {"min": 300.0, "max": 7200.0}), pool=pool,
            priority=float(draw(st.integers(0, 2))) if pools[pool].dispatch == "priority"
            else 0.0, batch=batch)
    order = list(acts)
    gateways = {}
    if len(order) >= 3 and draw(st.booleans()):  # the first two tasks in parallel
        gateways = {"fork": Gateway("fork", "and"), "join": Gateway("join", "and")}
        flows = [Flow("start", "fork"), Flow("fork", order[0]), Flow("fork", order[1]),
                 Flow(order[0], "join"), Flow(order[1], "join")]
        chain = ["join", *order[2:], "end"]
    else:
        flows = []
        chain = ["start", *order, "end"]
    flows += [Flow(a, b) for a, b in zip(chain, chain[1:], strict=False)]
    return ProcessModel(name="props", activities=acts, flows=tuple(flows), pools=pools,
                        calendars={k: v for k, v in CALENDARS.items() if k != "always"},
                        arrivals=Arrivals(Distribution.exponential(
                            draw(st.sampled_from([600.0, 1800.0, 3600.0])))),
                        gateways=gateways, people=people)


def rows_of(model: ProcessModel, cases: int, seed: int) -> list[tuple]:
    rows, _ = raw_rows(model, cases, seed)
    return rows


def slot_calendar(model: ProcessModel, pool: str, member: str) -> Calendar:
    person = model.people.get(member)
    name = person.calendar if person is not None and person.calendar else \
        model.pools[pool].calendar
    return model.calendar(name)


FAST = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(people_models(), st.integers(1, 10_000))
def test_a_person_never_does_two_tasks_at_once_and_every_case_ends(model, seed):
    cm = compile_model(model)
    rows: list[tuple] = []
    stats = Replication(cm, seed=seed, replication=0, week_offset=0.0, cases=25,
                        sink=rows.extend).run()
    assert stats.cases_completed == 25
    names = [n for ms in cm.pool_members for n in ms]
    by_person = defaultdict(set)
    for _, a, m, _, start, end, _ in rows:
        if m >= 0:
            by_person[names[m]].add((start, end, a))  # a parallel batch is one piece of work
    for pieces in by_person.values():
        spans = sorted(pieces)
        for (_s1, e1, _), (s2, _, _) in zip(spans, spans[1:], strict=False):
            assert s2 >= e1 - 1e-6


@FAST
@given(people_models(availability=False, parallel=False), st.integers(1, 10_000))
def test_work_only_in_open_hours_of_the_member(model, seed):
    """Under pause: work starts at an open moment of the member's own calendar (the person's, or
    else the pool's) and the open time between start and end is its working time; under
    finish: elapsed time equals working time."""
    rows = rows_of(model, 25, seed)
    ends = defaultdict(list)
    for _, _, member, _, _, end, _ in rows:
        ends[member].append(end)
    for _, a, member, enabled, start, end, cost in rows:
        pool = model.activities[a].pool
        cal = slot_calendar(model, pool, member)
        worked = cost  # RATE: one currency unit per working second
        assert start >= enabled - 1e-6
        if model.pools[pool].shift_end == "finish" and model.activities[a].batch is not None:
            # a batch runs on after hours: a piece starts at an opening or where the last ended
            assert cal.next_open(start) <= start + 1e-3 or any(
                abs(start - e) < 1e-6 for e in ends[member])
        else:
            assert cal.next_open(start) <= start + 1e-3
        if model.pools[pool].shift_end == "pause":
            assert abs(cal.working_seconds(start, end) - worked) < 1e-3
        else:
            assert abs((end - start) - worked) < 1e-3


@FAST
@given(people_models(availability=True, parallel=False), st.integers(1, 10_000))
def test_nobody_works_on_a_day_out(model, seed):
    """Shares of 0 or 1 only (days certainly out or in): work starts on a day in, and under
    pause its working time falls on days in only (paused work resumes on the next day in)."""
    sure = {n: replace(p, availability=tuple(0.0 if s < 1 else 1.0 for s in p.availability))
            for n, p in model.people.items()}
    model = replace(model, people=sure)
    try:
        compile_model(model)
    except ModelError:
        assume(False)  # someone is never in on a working day: refused by check
    rows = rows_of(model, 20, seed)
    ends = {(r[2], r[5]) for r in rows}
    for _, a, member, _, start, end, cost in rows:
        person = model.people.get(member)
        if person is None or not person.availability:
            continue
        pool = model.activities[a].pool
        batch_runs_on = (model.pools[pool].shift_end == "finish"
                         and model.activities[a].batch is not None and (member, start) in ends)
        assert person.availability[int(start // DAY) % 7] == 1.0 or batch_runs_on
        if model.pools[pool].shift_end == "pause":
            cal = slot_calendar(model, pool, member)
            assert abs(working_on_days_in(cal, person, start, end) - cost) < 1e-3


def working_on_days_in(cal: Calendar, person: Person, a: float, b: float) -> float:
    total = 0.0
    day = int(a // DAY)
    while day * DAY < b:
        if person.present_share(day % 7) == 1.0:
            total += cal.working_seconds(max(a, day * DAY), min(b, (day + 1) * DAY))
        day += 1
    return total


@FAST
@given(st.integers(1, 4), st.integers(1, 10_000), st.booleans())
def test_with_unlimited_staff_and_no_batching_nobody_waits(tasks, seed, as_people):
    cases = 30
    names = [f"p{i}" for i in range(cases * tasks)]
    people = {n: Person(n, speed=2.0) for n in names} if as_people else {}
    pool = Pool("all", len(names), members=tuple(names))
    acts = {f"t{k}": Activity(f"t{k}", Distribution.exponential(3600.0), pool="all")
            for k in range(tasks)}
    chain = ["start", *acts, "end"]
    model = ProcessModel(name="unlimited", activities=acts,
                         flows=tuple(Flow(a, b) for a, b in zip(chain, chain[1:], strict=False)),
                         pools={"all": pool}, people=people,
                         arrivals=Arrivals(Distribution.exponential(300.0)))
    for _, _, _, enabled, start, _, _ in rows_of(model, cases, seed):
        assert start == enabled


@FAST
@given(people_models(availability=False), st.integers(1, 10_000))
def test_pool_of_people_on_the_pool_calendar_equals_the_count_pool(model, seed):
    """Members named but not people (interchangeable staff) against the same members defined as
    people who work their pool's calendar at speed 1: the same trace."""
    pools = {}
    people = {}
    for p in model.pools.values():
        names = tuple(f"{p.name}-{i + 1}" for i in range(p.count))
        pools[p.name] = replace(p, members=names)
        people.update({n: Person(n) for n in names})
    count_model = replace(model, pools=pools, people={})
    people_model = replace(model, pools=pools, people=people)
    a = rows_of(count_model, 25, seed)
    b = rows_of(people_model, 25, seed)
    assert [r[:3] for r in a] == [r[:3] for r in b]
    for x, y in zip(a, b, strict=True):
        assert all(abs(u - v) < 1e-6 for u, v in zip(x[3:], y[3:], strict=True))


@FAST
@given(people_models(availability=False), st.integers(1, 10_000))
def test_priority_rule_with_equal_priorities_is_fifo(model, seed):
    flat = {n: replace(a, priority=0.0) for n, a in model.activities.items()}
    fifo = replace(model, activities=flat,
                   pools={n: replace(p, dispatch="fifo") for n, p in model.pools.items()})
    prio = replace(model, activities=flat,
                   pools={n: replace(p, dispatch="priority") for n, p in model.pools.items()})
    assert rows_of(fifo, 20, seed) == rows_of(prio, 20, seed)
