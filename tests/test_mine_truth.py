"""Mining against known truth: logs generated from known parameters, then mined back.

The generator below is pure numpy/pandas (not bpr's simulator). Its process:

    A -> xor(B 70% | C 30%) -> loop(D -> E, again 20%) -> F

Pools: Clerk (3 people: A, B, D) and Manager (2 people: C, E, F), both working Mon-Fri
09:00-17:00; work that reaches the end of a shift pauses and resumes the next working morning
(bpr's rule). Durations are gamma with known means (working seconds). Cases arrive as a Poisson
process in the same calendar's open time. Resources are assigned first-free, one instance at a time.

Tolerances: probabilities +-0.03; duration means +-10%; pool sizes and activity->pool exact;
calendars exact (hour cells); inter-arrival mean +-10%.
"""

from __future__ import annotations

import heapq
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

from bpr.discovery import MiningOptions, discover, mine
from bpr.io.eventlog import ACTIVITY, CASE, END, RESOURCE, ROLE, START, EventLog
from bpr.model import Calendar, check, dumps, loads

OFFICE = Calendar.from_dict({"mon-fri": "09:00-17:00"})
DURATION_MEAN = {"A": 600.0, "B": 1200.0, "C": 1800.0, "D": 900.0, "E": 600.0, "F": 300.0}
POOL_OF = {"A": "Clerk", "B": "Clerk", "D": "Clerk", "C": "Manager", "E": "Manager",
           "F": "Manager"}
POOL_SIZE = {"Clerk": 3, "Manager": 2}
P_B = 0.7
P_LOOP = 0.2
INTERARRIVAL_MEAN = 1200.0  # seconds of open (calendar) time


def generate_log(n_cases: int = 1500, seed: int = 7, *, timezone: str = "UTC",
                 with_roles: bool = False, with_resources: bool = True) -> EventLog:
    """A log drawn from the known process above (times in ``timezone`` local wall clock)."""
    rng = np.random.default_rng(seed)
    arrivals_open = np.cumsum(rng.exponential(INTERARRIVAL_MEAN, n_cases))
    arrivals = [OFFICE.work_end(0.0, float(c)) for c in arrivals_open]
    paths = []
    for _ in range(n_cases):
        path = ["A", "B" if rng.random() < P_B else "C", "D", "E"]
        while rng.random() < P_LOOP:
            path += ["D", "E"]
        paths.append(path + ["F"])
    durations = {a: rng.gamma(4.0, m / 4.0, 20 * n_cases) for a, m in DURATION_MEAN.items()}
    used = dict.fromkeys(DURATION_MEAN, 0)
    free = {p: [0.0] * n for p, n in POOL_SIZE.items()}
    heap = [(t, i, i, 0) for i, t in enumerate(arrivals)]
    heapq.heapify(heap)
    rows = []
    tick = n_cases
    while heap:
        ready, _, case, pos = heapq.heappop(heap)
        act = paths[case][pos]
        pool = POOL_OF[act]
        member = int(np.argmin(free[pool]))
        start = OFFICE.next_open(max(ready, free[pool][member]))
        d = float(durations[act][used[act]])
        used[act] += 1
        end = OFFICE.work_end(start, d)
        free[pool][member] = end
        rows.append((f"case-{case}", act, start, end, f"{pool}-{member + 1}", pool))
        if pos + 1 < len(paths[case]):
            tick += 1
            heapq.heappush(heap, (end, tick, case, pos + 1))
    df = pd.DataFrame(rows, columns=[CASE, ACTIVITY, "s", "e", RESOURCE, ROLE])
    origin = pd.Timestamp("2024-01-01")  # a Monday, local wall clock
    offset = pd.Timedelta(0) if timezone == "UTC" else pd.Timedelta(
        hours=int(timezone[1:3]), minutes=int(timezone[4:6])) * (1 if timezone[0] == "+" else -1)
    for col, src in ((START, "s"), (END, "e")):
        df[col] = (origin + pd.to_timedelta(df[src], unit="s") - offset).dt.tz_localize("UTC")
    df = df.drop(columns=["s", "e"])
    if not with_roles:
        df = df.drop(columns=[ROLE])
    if not with_resources:
        df = df.drop(columns=[RESOURCE])
    df = df.sort_values([CASE, START, END], kind="stable").reset_index(drop=True)
    return EventLog(df=df, path="<generated>", timezone=timezone)


@pytest.fixture(scope="module")
def truth_log() -> EventLog:
    return generate_log()


@pytest.fixture(scope="module")
def mined(truth_log):
    return discover(truth_log, MiningOptions(noise_threshold=0.0))


def _split_towards(model, target: str) -> tuple[str, float]:
    for f in model.flows:
        if f.target == target and f.probability is not None:
            return f.source, f.probability
    raise AssertionError(f"no split leads to {target}")


def test_control_flow_and_branching(mined):
    m = mined.model
    assert set(m.activities) == set(DURATION_MEAN)
    split, p_b = _split_towards(m, "B")
    assert m.gateways[split].kind == "xor"
    assert abs(p_b - P_B) <= 0.03
    assert abs(dict((f.target, f.probability) for f in m.flows if f.source == split)["C"]
               - (1 - P_B)) <= 0.03
    # the rework loop: a back flow into the loop start, taken with probability ~0.2
    loops = [f for f in m.flows if f.probability is not None and f.source.startswith("loop")
             and f.target.startswith("loop")]
    assert len(loops) == 1
    assert abs(loops[0].probability - P_LOOP) <= 0.03
    for g in m.gateways:
        out = [f.probability for f in m.flows if f.source == g]
        if len(out) > 1 and m.gateways[g].kind == "xor":
            assert sum(out) == pytest.approx(1.0, abs=1e-9)
    assert mined.replay.fitting_cases == mined.replay.cases


def test_pools_and_calendars(mined):
    m = mined.model
    assert {p: m.pools[p].count for p in m.pools} == POOL_SIZE
    assert {a: act.pool for a, act in m.activities.items()} == POOL_OF
    assert set(m.pools["Clerk"].members) == {"Clerk-1", "Clerk-2", "Clerk-3"}
    for p in m.pools.values():
        assert m.calendar(p.calendar) == OFFICE, p.name
    assert m.arrivals.calendar == "arrivals"
    assert m.calendar("arrivals") == OFFICE


def test_durations_and_arrivals(mined):
    m = mined.model
    for a, mean in DURATION_MEAN.items():
        got = m.activities[a].duration.mean()
        assert abs(got - mean) <= 0.10 * mean, (a, m.activities[a].duration)
    assert abs(m.arrivals.interarrival.mean() - INTERARRIVAL_MEAN) <= 0.10 * INTERARRIVAL_MEAN


def test_observed_and_round_trip(truth_log, mined):
    m = mined.model
    o = m.observed
    assert o.cases == 1500 and o.events == truth_log.n_events
    assert o.activity_count["A"] == 1500
    ct = (truth_log.df.groupby(CASE)[END].max() - truth_log.df.groupby(CASE)[START].min())
    assert o.cycle_time_median_seconds == pytest.approx(ct.dt.total_seconds().median(), abs=0.01)
    span_years = (truth_log.df[END].max() - truth_log.df[START].min()).total_seconds() / (
        365.25 * 86400)
    assert o.cases_per_year == pytest.approx(1500 / span_years, rel=1e-3)
    assert o.flow_count[f"{m.start_event} -> A"] == 1500
    assert m.timezone == "UTC"
    back = loads(dumps(m))
    assert back == m
    check(back)


def test_timezone_calendars_are_local():
    """Times stored in UTC for a +02:00 office still give a 09:00-17:00 local calendar."""
    log = generate_log(600, seed=3, timezone="+02:00")
    m = mine(log, noise_threshold=0.0)
    assert m.timezone == "+02:00"
    assert m.calendar(m.pools["Clerk"].calendar) == OFFICE
    assert abs(m.activities["B"].duration.mean() - 1200) <= 120


def test_roles_give_the_same_pools():
    log = generate_log(600, seed=5, with_roles=True)
    d = discover(log, MiningOptions(noise_threshold=0.0))
    assert d.pools.method == "roles"
    assert {p: d.model.pools[p].count for p in d.model.pools} == POOL_SIZE


def test_no_resources_one_pool_per_activity():
    log = generate_log(300, seed=11, with_resources=False)
    m = mine(log, noise_threshold=0.0)
    assert {a.pool for a in m.activities.values()} == {f"{a} team" for a in DURATION_MEAN}
    # sized by the most instances that ever ran at once: never more than the true pool size
    for a, act in m.activities.items():
        assert 1 <= m.pools[act.pool].count <= POOL_SIZE[POOL_OF[a]]
    check(m)


def test_extraneous_delays_found_only_where_injected():
    log = generate_log(800, seed=13)
    df = log.df.copy()
    # customers take a week to send what F needs: shift every F a week later (same hours)
    is_f = df[ACTIVITY] == "F"
    shift = pd.Timedelta(days=7)
    df.loc[is_f, START] += shift
    df.loc[is_f, END] += shift
    delayed = EventLog(df=df, path="<generated>", timezone="UTC")
    m = mine(delayed, options=MiningOptions(noise_threshold=0.0, extraneous_delays=True))
    assert m.activities["F"].delay is not None
    assert m.activities["F"].delay.mean() > 6 * 3600
    plain = mine(delayed, noise_threshold=0.0)
    assert all(a.delay is None for a in plain.activities.values())


def test_recent_delay_window_finds_the_recent_delay():
    """F's customers took one day in the first half of the log and four days in the second: the
    recent window finds four days, the whole log the average."""
    log = generate_log(800, seed=17)
    df = log.df.copy()
    mid = df[START].min() + (df[END].max() - df[START].min()) / 2
    is_f = df[ACTIVITY] == "F"
    late = is_f & (df[START] >= mid)
    for rows, days in ((is_f & ~late, 1), (late, 4)):
        df.loc[rows, START] += pd.Timedelta(days=days)
        df.loc[rows, END] += pd.Timedelta(days=days)
    delayed = EventLog(df=df, path="<generated>", timezone="UTC")
    opts = MiningOptions(noise_threshold=0.0, extraneous_delays=True)
    whole = mine(delayed, options=opts).activities["F"].delay
    recent = mine(delayed, options=replace(opts, delay_window_share=0.3)).activities["F"].delay
    assert whole is not None and recent is not None
    assert 1.5 * 86400 < whole.mean() < 3.5 * 86400
    assert abs(recent.mean() - 4 * 86400) < 0.5 * 86400
