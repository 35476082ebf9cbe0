"""Invariants of the mining building blocks: fitting, rounding, calendars, graphs from trees."""

from __future__ import annotations

from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpr.discovery import MiningOptions, mine
from bpr.discovery.branching import probabilities, replay, round_shares
from bpr.discovery.calendars import OpenTime, discover_calendar, week_seconds
from bpr.discovery.controlflow import discover_flow
from bpr.discovery.durations import fit_duration
from bpr.errors import BprError
from bpr.io.eventlog import EventLog
from bpr.model import Calendar, check, dumps, loads
from bpr.model.calendar import WEEK


@given(st.lists(st.floats(0.001, 1.0), min_size=2, max_size=8), st.integers(2, 6))
def test_round_shares_sum_to_one(weights, decimals):
    shares = [w / sum(weights) for w in weights]
    r = round_shares(shares, decimals)
    assert abs(sum(r) - 1.0) < 1e-9
    assert all(x >= 0 for x in r)
    assert all(abs(a - b) <= 10 ** -decimals * len(r) for a, b in zip(r, shares, strict=True))


cal_strategy = st.lists(st.tuples(st.integers(0, WEEK // 900 - 1), st.integers(1, 40)),
                        min_size=1, max_size=6).map(
    lambda xs: Calendar(tuple((a * 900, min(WEEK, a * 900 + n * 900)) for a, n in xs)))


@settings(max_examples=60, deadline=None)
@given(cal_strategy, st.lists(st.tuples(st.floats(-2e6, 5e6), st.floats(0, 2e6)), min_size=1,
                              max_size=10))
def test_open_time_matches_calendar(cal, spans):
    ot = OpenTime(cal)
    a = np.array([s for s, _ in spans])
    b = a + np.array([d for _, d in spans])
    got = ot.working(a, b)
    want = [cal.working_seconds(x, y) for x, y in zip(a, b, strict=True)]
    assert np.allclose(got, want, atol=1e-6)
    nxt = ot.next_open(a)
    assert np.allclose(nxt, [cal.next_open(x) for x in a], atol=1e-6)


def test_discover_calendar_cells():
    rng = np.random.default_rng(1)
    day = rng.integers(0, 5, 5000) * 86400
    t = day + rng.uniform(8 * 3600, 12 * 3600, 5000) + 52 * WEEK
    cal = discover_calendar(np.concatenate([t, [5 * 86400 + 3600.0]]))  # one stray Saturday
    assert cal == Calendar.from_dict({"mon-fri": "08:00-12:00"})


def test_week_seconds_uses_local_time():
    ts = pd.Series(pd.to_datetime(["2024-01-01T07:00:00Z"], utc=True))  # Monday 07:00 UTC
    assert week_seconds(ts, "+02:00")[0] % WEEK == 9 * 3600
    assert week_seconds(ts, "UTC")[0] % WEEK == 7 * 3600
    assert week_seconds(ts, "Europe/Amsterdam")[0] % WEEK == 8 * 3600


@pytest.mark.parametrize("kind,sample", [
    ("gamma", lambda r: r.gamma(3.0, 200.0, 4000)),
    ("lognormal", lambda r: r.lognormal(6.0, 0.8, 4000)),
    ("exponential", lambda r: r.exponential(300.0, 4000)),
    ("uniform", lambda r: r.uniform(100.0, 500.0, 4000)),
    ("fixed", lambda r: np.full(50, 42.0)),
])
def test_fit_recovers_family_and_mean(kind, sample):
    x = sample(np.random.default_rng(3))
    fit = fit_duration(x)
    assert fit.distribution.kind == kind
    assert fit.distribution.mean() == pytest.approx(x.mean(), rel=0.05)


def test_fit_prefers_empirical_only_when_much_better():
    r = np.random.default_rng(4)
    bimodal = np.concatenate([r.normal(100, 5, 2000), r.normal(1000, 20, 2000)])
    assert fit_duration(bimodal).distribution.kind == "empirical"
    assert fit_duration(bimodal, families=("gamma", "normal")).distribution.kind in (
        "gamma", "normal")


traces = st.lists(st.lists(st.sampled_from("abcdef"), min_size=1, max_size=7).map(tuple),
                  min_size=1, max_size=12)


@settings(max_examples=40, deadline=None)
@given(traces, st.sampled_from([0.0, 0.2, 0.5]), st.sampled_from(["inductive", "inductive-df"]))
def test_any_log_gives_a_sound_graph(trace_list, noise, algorithm):
    variants = Counter(trace_list)
    flow = discover_flow(variants, algorithm=algorithm, noise_threshold=noise)
    g = flow.graph
    for n, d in g.nodes(data=True):
        if d["kind"] == "task":
            assert g.in_degree(n) == 1 and g.out_degree(n) == 1
        elif d["kind"] in ("xor", "and", "or"):
            assert not (g.in_degree(n) > 1 and g.out_degree(n) > 1)
    rep = replay(g, variants)
    probs = probabilities(g, rep)
    if noise == 0.0 and algorithm == "inductive":
        assert rep.fitting_cases == rep.cases  # the Inductive Miner guarantees fitness
    for n in g.nodes:
        outs = [probs[(n, s)] for s in g.successors(n) if (n, s) in probs]
        if outs and g.nodes[n]["kind"] == "xor":
            assert abs(sum(outs) - 1) < 1e-9


def _tiny_log(rows, tz="UTC"):
    df = pd.DataFrame(rows, columns=["case_id", "activity", "start_time", "end_time",
                                     "resource"])
    for c in ("start_time", "end_time"):
        df[c] = pd.to_datetime(df[c], utc=True)
    return EventLog(df=df, path="tiny.csv", timezone=tz)


@settings(max_examples=25, deadline=None)
@given(traces)
def test_mined_models_are_sound_and_round_trip(trace_list):
    rows = []
    t0 = pd.Timestamp("2024-01-01T09:00:00Z")
    for i, trace in enumerate(trace_list):
        t = t0 + pd.Timedelta(minutes=37 * i)
        for j, a in enumerate(trace):
            rows.append((f"c{i}", a, t, t + pd.Timedelta(minutes=5), f"r{j % 2}"))
            t += pd.Timedelta(minutes=7)
    m = mine(_tiny_log(rows), noise_threshold=0.0)
    check(m)
    assert loads(dumps(m)) == m


def test_single_case_and_single_activity_warn():
    from bpr.discovery import discover

    one_case = _tiny_log([("c1", "a", "2024-01-01T09:00Z", "2024-01-01T09:10Z", "x"),
                          ("c1", "b", "2024-01-01T09:20Z", "2024-01-01T09:30Z", "x")])
    d = discover(one_case)
    assert any("single case" in w for w in d.warnings)
    check(d.model)
    one_act = _tiny_log([(f"c{i}", "a", f"2024-01-0{i + 1}T09:00Z", f"2024-01-0{i + 1}T09:10Z",
                          "x") for i in range(3)])
    d = discover(one_act)
    assert any("single activity" in w for w in d.warnings)
    assert list(d.model.activities) == ["a"]


def test_unknown_options_are_clear_errors():
    with pytest.raises(BprError, match="did you mean 'inductive'"):
        MiningOptions(algorithm="inductiv")
    with pytest.raises(BprError, match="between 0 and 1"):
        MiningOptions(noise_threshold=1.5)
    with pytest.raises(BprError, match="duration family"):
        MiningOptions(duration_families=("cauchy",))


def test_activity_named_like_an_event():
    m = mine(_tiny_log([("c1", "start", "2024-01-01T09:00Z", "2024-01-01T09:10Z", "x"),
                        ("c1", "end", "2024-01-01T09:20Z", "2024-01-01T09:30Z", "x")]))
    assert set(m.activities) == {"start", "end"}
    assert m.start_event not in m.activities
    check(m)
