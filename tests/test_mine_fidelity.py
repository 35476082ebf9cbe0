"""Known-truth tests for the discovery choices that make mined models reproduce their logs:
calendars that only close what the log watched, gap filling, recent arrival rates, extraneous
delays and control-flow pruning."""

from __future__ import annotations

import numpy as np
import pytest

from bpr.discovery.calendars import cell_exposure, discover_calendar
from bpr.model import Calendar
from bpr.model.calendar import DAY, WEEK

HOUR = 3600.0


def test_exposure_counts_partial_occurrences():
    # Monday 09:00 to 10:30 in week 3: the 09:00 cell once, the 10:00 cell half
    first = 3 * WEEK + 9 * HOUR
    e = cell_exposure(first, first + 1.5 * HOUR)
    assert e[9] == pytest.approx(1.0)
    assert e[10] == pytest.approx(0.5)
    assert e.sum() == pytest.approx(1.5)
    # ten whole weeks expose every cell ten times
    assert np.allclose(cell_exposure(0.0, 10 * WEEK), 10.0)


def test_one_day_log_keeps_unwatched_hours_open():
    # a log of one Monday, work from 09:00 to 15:00 only: Monday night and the other days were
    # never watched, so they stay open; the Monday morning before 09:00 was not watched either
    rng = np.random.default_rng(0)
    t = 2 * WEEK + rng.uniform(9 * HOUR, 15 * HOUR, 3000)
    window = (float(t.min()), float(t.max()))
    cal = discover_calendar(t, window=window)
    assert cal is not None
    assert cal.is_open(9 * HOUR + 60) and cal.is_open(14 * HOUR + 60)
    assert cal.is_open(DAY + 3 * HOUR)  # Tuesday 03:00: never watched
    assert cal.is_open(16 * HOUR)  # Monday 16:00: after the log ended
    closed = discover_calendar(t, window=window, unobserved_open=False)
    assert closed == Calendar.from_dict({"mon": "09:00-15:00"})


def test_watched_idle_hours_close_and_rates_use_exposure():
    # 20 weeks of mon-fri 08:00-12:00 work: the watched afternoons and weekends close
    rng = np.random.default_rng(1)
    day = rng.integers(0, 5, 4000) * DAY
    t = rng.integers(0, 20, 4000) * WEEK + day + rng.uniform(8 * HOUR, 12 * HOUR, 4000)
    cal = discover_calendar(t, window=(0.0, 20 * WEEK))
    assert cal == Calendar.from_dict({"mon-fri": "08:00-12:00"})


def test_fill_gaps_opens_short_holes_inside_a_day():
    rng = np.random.default_rng(2)
    hours = np.concatenate([rng.uniform(8, 11, 2000), rng.uniform(12, 17, 2000)])  # lunch 11-12
    t = rng.integers(0, 10, hours.size) * WEEK + hours * HOUR
    plain = discover_calendar(t, window=(0.0, 10 * WEEK), unobserved_open=False)
    assert plain == Calendar.from_dict({"mon": "08:00-11:00, 12:00-17:00"})
    filled = discover_calendar(t, window=(0.0, 10 * WEEK), unobserved_open=False,
                               fill_gap_cells=1)
    assert filled == Calendar.from_dict({"mon": "08:00-17:00"})
    # a two-hour hole is kept with a one-cell fill
    hours2 = np.concatenate([rng.uniform(8, 10, 2000), rng.uniform(12, 17, 2000)])
    t2 = rng.integers(0, 10, hours2.size) * WEEK + hours2 * HOUR
    kept = discover_calendar(t2, window=(0.0, 10 * WEEK), unobserved_open=False,
                             fill_gap_cells=1)
    assert kept == Calendar.from_dict({"mon": "08:00-10:00, 12:00-17:00"})


def test_insurance_one_day_log_reproduces_its_cycle_times():
    # the Insurance logs cover one Monday morning each: before the exposure rule, the pools'
    # calendars closed at 15:00 and late work waited a week (cycle times 10x too long)
    import bpr
    from bpr.discovery import mine

    train = bpr.read_log("event_logs/Insurance_Claims_train.csv.gz")
    test = bpr.read_log("event_logs/Insurance_Claims_test.csv.gz")
    report = bpr.validate(mine(train), test, replications=2, seed=1)
    assert report.metrics["cycle_time_h"].mean < 0.5  # hours; the real mean is 0.7 h
    assert report.metrics["absolute_event_h"].mean < 1.0


def test_preserve_mean_rescales_the_empirical_fit():
    from bpr.discovery.durations import fit_duration

    # mostly 1800 s with a few long gaps: the 21-point empirical fit misses the mean
    x = np.concatenate([np.full(970, 1800.0), np.full(30, 60000.0)])
    plain = fit_duration(x, families=("empirical",))
    kept = fit_duration(x, families=("empirical",), preserve_mean=True)
    assert abs(plain.distribution.mean() / x.mean() - 1) > 0.05
    assert kept.distribution.mean() == pytest.approx(x.mean(), rel=1e-3)
    assert kept.distribution.kind == "empirical"


def test_recent_arrival_window_finds_the_recent_rate():
    from bpr.discovery.arrivals import discover_arrivals, recent_arrivals
    from bpr.discovery.options import MiningOptions

    # 100 days at 4 arrivals a day, then 100 days at 1 a day (24/7, evenly spaced)
    t = np.concatenate([np.arange(0, 100 * DAY, DAY / 4), 100 * DAY + np.arange(0, 100 * DAY,
                                                                                 DAY)])
    assert recent_arrivals(t, 0.45, 30).size == 90  # from day 110 on (199 d span)
    assert recent_arrivals(t, 0.01, 30).size == 30  # at least min arrivals
    all_ = discover_arrivals(t, MiningOptions(arrival_calendar=False, arrival_window_share=1.0))
    recent = discover_arrivals(t, MiningOptions(arrival_calendar=False, arrival_window_share=0.4))
    assert all_.interarrival.mean() == pytest.approx(200 * DAY / 499, rel=0.01)
    assert recent.interarrival.mean() == pytest.approx(DAY, rel=0.01)


def test_case_arrival_is_the_first_enablement():
    import pandas as pd

    from bpr.discovery.frame import prepare
    from bpr.io.eventlog import EventLog

    t = pd.Timestamp("2024-01-01T08:00:00Z")
    df = pd.DataFrame({
        "case_id": ["a", "a", "b"],
        "activity": ["x", "y", "x"],
        "enabled_time": [t, t + pd.Timedelta(hours=2), t + pd.Timedelta(hours=1)],
        "start_time": [t + pd.Timedelta(hours=1), t + pd.Timedelta(hours=3),
                       t + pd.Timedelta(hours=1)],
        "end_time": [t + pd.Timedelta(hours=2), t + pd.Timedelta(hours=4),
                     t + pd.Timedelta(hours=2)],
    })
    frame = prepare(EventLog(df=df, path="<test>", timezone="UTC"))
    gap = frame.case_start() - frame.case_arrival()
    assert sorted(gap.tolist()) == [0.0, 3600.0]  # case a waited an hour for its first task


def test_trim_edges_finds_half_hour_shift_ends():
    # work 07:30-15:30 every weekday for 10 weeks; hourly cells see half the usual work at 7 and
    # 15, so the trimmed calendar opens 07:30-15:30
    rng = np.random.default_rng(4)
    n = 20000
    t = (rng.integers(0, 10, n) * WEEK + rng.integers(0, 5, n) * DAY
         + rng.uniform(7.5 * HOUR, 15.5 * HOUR, n))
    cal = discover_calendar(t, window=(0.0, 10 * WEEK), trim_edges=True)
    assert cal == Calendar.from_dict({"mon-fri": "07:30-15:30"})
    whole = discover_calendar(t, window=(0.0, 10 * WEEK))
    assert whole == Calendar.from_dict({"mon-fri": "07:00-16:00"})


def test_parallel_block_run_in_one_order_becomes_a_sequence():
    from collections import Counter

    from bpr.discovery.controlflow import discover_flow

    variants = Counter({("A", "B", "C", "D"): 95, ("A", "C", "B", "D"): 5})
    kinds = lambda f: sorted(d["kind"] for _, d in f.graph.nodes(data=True))  # noqa: E731
    parallel = discover_flow(variants, noise_threshold=0.0, sequence_min_share=1.1)
    assert kinds(parallel).count("and") == 2  # the Inductive Miner sees B || C
    seq = discover_flow(variants, noise_threshold=0.0, sequence_min_share=0.9)
    assert "and" not in kinds(seq)
    g = seq.graph
    assert list(g.successors("A")) == ["B"] and list(g.successors("B")) == ["C"]
    assert list(g.successors("C")) == ["D"]
    # 80% one way is not enough at 0.9, and two of three orders can not form a total order
    mixed = Counter({("A", "B", "C", "D"): 80, ("A", "C", "B", "D"): 20})
    assert kinds(discover_flow(mixed, noise_threshold=0.0, sequence_min_share=0.9)).count(
        "and") == 2


def test_busy_resource_explains_waiting_only_when_asked():
    import pandas as pd

    from bpr.discovery.delays import unexplained_wait
    from bpr.discovery.frame import prepare
    from bpr.io.eventlog import EventLog

    # Ann does case a's task 09:00-10:00; case b's task, enabled at 09:00, waits for her until
    # 10:00 and then waits 30 more minutes for no reason the log shows
    t = pd.Timestamp("2024-01-01T09:00:00Z")
    h = pd.Timedelta(hours=1)
    df = pd.DataFrame({
        "case_id": ["a", "b"], "activity": ["x", "x"], "resource": ["Ann", "Ann"],
        "enabled_time": [t, t], "start_time": [t, t + 1.5 * h], "end_time": [t + h, t + 2 * h],
    })
    frame = prepare(EventLog(df=df, path="<test>", timezone="UTC"))
    pools = pd.Series(["Ann team"] * 2)
    busy = unexplained_wait(frame, pools, {"Ann team": None})
    plain = unexplained_wait(frame, pools, {"Ann team": None}, resource_busy=False)
    b = int(np.flatnonzero(frame.df["case_id"].to_numpy() == "b")[0])
    assert busy[b] == pytest.approx(1800.0)
    assert plain[b] == pytest.approx(5400.0)


@pytest.mark.parametrize("field,value", [
    ("arrival_window_share", 0.0), ("arrival_window_share", 1.5),
    ("branching_window_share", 0.0), ("delay_window_share", -0.1),
    ("sequence_min_share", 0.3), ("calendar_moments", "ends"), ("calendar_fill_gap_cells", -1),
])
def test_new_options_reject_bad_values(field, value):
    from bpr.discovery import MiningOptions
    from bpr.errors import BprError

    with pytest.raises(BprError, match=field.split("_")[0]):
        MiningOptions(**{field: value})


def test_description_names_the_non_default_choices():
    import bpr
    from bpr.discovery import MiningOptions, mine

    log = bpr.read_log("event_logs/LoanApp_simplified_train.csv.gz")
    assert mine(log).description.endswith("(inductive, noise 0.1).")
    m = mine(log, options=MiningOptions(extraneous_delays=True, delay_window_share=0.5))
    assert "extraneous_delays=True, delay_window_share=0.5" in m.description
