"""The five BPS log distances: zero against itself, the right magnitude when a log is shifted,
reordered or slowed, and the same numbers as the log-distance-measures package."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpr.analysis.distances import (
    absolute_event_distance,
    circadian_event_distance,
    cycle_time_distance,
    log_distances,
    ngram_distance,
    prepare,
    relative_event_distance,
)
from bpr.io.eventlog import EventLog

MONDAY = datetime(2024, 1, 1, tzinfo=UTC)  # a Monday


def csv_log(path) -> EventLog:
    df = pd.read_csv(path)
    df["case_id"] = df["case_id"].astype(str)
    for col in ("start_time", "end_time"):
        df[col] = pd.to_datetime(df[col], utc=True, format="mixed")
    return EventLog(df=df, path=str(path))


def make_df(cases: list[list[tuple[str, float, float]]], origin: datetime = MONDAY) -> pd.DataFrame:
    """cases: per case a list of (activity, start hour, end hour) after ``origin``."""
    rows = [(f"c{i}", a, s, e) for i, case in enumerate(cases) for a, s, e in case]
    return pd.DataFrame({
        "case_id": [r[0] for r in rows],
        "activity": [r[1] for r in rows],
        "start_time": pd.to_datetime([origin + timedelta(hours=r[2]) for r in rows], utc=True),
        "end_time": pd.to_datetime([origin + timedelta(hours=r[3]) for r in rows], utc=True),
    })


def shifted(df: pd.DataFrame, hours: float) -> pd.DataFrame:
    out = df.copy()
    out["start_time"] += pd.Timedelta(hours=hours)
    out["end_time"] += pd.Timedelta(hours=hours)
    return out


@pytest.fixture(scope="module")
def purchasing(event_logs) -> EventLog:
    return csv_log(event_logs / "PurchasingExample.csv.gz")


@pytest.fixture(scope="module")
def loan(event_logs) -> EventLog:
    return csv_log(event_logs / "LoanApp_simplified_test.csv.gz")


def test_zero_against_itself(purchasing, loan):
    for log in (purchasing, loan):
        d = log_distances(log, log)
        assert d.to_dict() == {"ngram": 0.0, "absolute_event_h": 0.0, "circadian_event_h": 0.0,
                               "relative_event_h": 0.0, "cycle_time_h": 0.0}
        # Row order does not matter.
        shuffled = log.df.sample(frac=1.0, random_state=7)
        assert log_distances(log, shuffled) == d


def test_shift_by_five_hours(purchasing):
    d = log_distances(purchasing, shifted(purchasing.df, 5))
    assert d.absolute_event_h == pytest.approx(5.0)
    assert d.ngram == 0.0 and d.relative_event_h == 0.0 and d.cycle_time_h == 0.0
    assert 0 < d.circadian_event_h < 23


def test_shift_by_a_week_is_circadian_zero(purchasing):
    d = log_distances(purchasing, shifted(purchasing.df, 24 * 7))
    assert d.absolute_event_h == pytest.approx(168.0)
    assert d.circadian_event_h == 0.0


def test_circadian_magnitudes():
    mornings = make_df([[("a", 9 + i * 0.1, 9.5 + i * 0.1)] for i in range(10)])
    # Three hours later on the same Monday: 3 h on one weekday of seven, the others empty in both.
    assert circadian_event_distance(mornings, shifted(mornings, 3)) == pytest.approx(3 / 7)
    # The same hours on Tuesday: Monday and Tuesday are each seen in one log only (23 h each).
    assert circadian_event_distance(mornings, shifted(mornings, 24)) == pytest.approx(46 / 7)


def test_reordering_grows_ngram_distance():
    abc = make_df([[("a", 0, 1), ("b", 1, 2), ("c", 2, 3)]] * 20)
    acb = make_df([[("a", 0, 1), ("c", 1, 2), ("b", 2, 3)]] * 20)
    # Trigrams of <a b c> and <a c b> with padding: 5 each, only (-, -, a) in common.
    assert ngram_distance(abc, acb) == pytest.approx(0.8)
    half = pd.concat([make_df([[("a", 0, 1), ("b", 1, 2), ("c", 2, 3)]] * 10),
                      make_df([[("a", 0, 1), ("c", 1, 2), ("b", 2, 3)]] * 10, MONDAY
                              + timedelta(days=1)).assign(case_id=lambda d: d.case_id + "x")])
    assert 0 < ngram_distance(abc, half) < ngram_distance(abc, acb)
    other = make_df([[("x", 0, 1), ("y", 1, 2), ("z", 2, 3)]] * 20)
    assert ngram_distance(abc, other) == pytest.approx(1.0)  # no trigram in common


def test_longer_cycle_times(purchasing):
    df = purchasing.df.copy()
    last = df.groupby("case_id")["end_time"].transform("max") == df["end_time"]
    df.loc[last, "end_time"] += pd.Timedelta(hours=10)
    d = log_distances(purchasing, df)
    assert d.cycle_time_h == pytest.approx(10.0, abs=1.0)
    assert d.ngram == 0.0
    assert d.relative_event_h > 0 and d.absolute_event_h > 0


def test_cycle_time_doubling_on_whole_hours():
    hours = [1, 2, 3, 5, 8, 13]
    base = make_df([[("a", 0, h / 2), ("b", h / 2, h)] for h in hours])
    slow = make_df([[("a", 0, h), ("b", h, 2 * h)] for h in hours])
    assert cycle_time_distance(base, slow) == pytest.approx(np.mean(hours))
    # Every relative timestamp moves later (or stays at 0): the distance is positive, and at
    # most the mean shift of the doubled timestamps.
    moved = [h / 2 for h in hours] * 2 + hours
    assert 0 < relative_event_distance(base, slow) <= np.mean([0] * len(hours) + moved) + 1


def test_absolute_distance_in_hours():
    one = make_df([[("a", 0, 1)]])
    later = make_df([[("a", 30, 31)]])
    assert absolute_event_distance(one, later) == pytest.approx(30.0)


def test_fast_equals_reference_on_real_logs(purchasing, loan):
    rng = np.random.default_rng(3)
    for log in (purchasing, loan):
        sim = log.df.copy()
        jitter = pd.to_timedelta(rng.exponential(4 * 3600, len(sim)), unit="s")
        sim["start_time"] += jitter
        sim["end_time"] += jitter * 1.5
        sim["activity"] = sim["activity"].sample(frac=1.0, random_state=1).to_numpy()
        sim = sim.iloc[: int(len(sim) * 0.9)]
        assert log_distances(log, sim) == log_distances(log, sim, engine="reference")


event_rows = st.lists(
    st.tuples(st.integers(0, 6), st.sampled_from("abcd"), st.integers(0, 400),
              st.integers(0, 300)),
    min_size=1, max_size=25)


def rows_to_df(rows) -> pd.DataFrame:
    t0 = pd.Timestamp("2023-03-03 05:17", tz="UTC")
    return pd.DataFrame({
        "case_id": [f"k{r[0]}" for r in rows],
        "activity": [r[1] for r in rows],
        "start_time": [t0 + pd.Timedelta(minutes=10 * r[2]) for r in rows],
        "end_time": [t0 + pd.Timedelta(minutes=10 * r[2] + 7 * r[3]) for r in rows],
    })


@settings(max_examples=40, deadline=None)
@given(event_rows, event_rows)
def test_fast_equals_reference_on_generated_logs(rows_a, rows_b):
    a, b = rows_to_df(rows_a), rows_to_df(rows_b)
    fast = log_distances(a, b)
    ref = log_distances(a, b, engine="reference")
    for key, value in fast.to_dict().items():
        assert value == pytest.approx(ref.to_dict()[key], rel=1e-12, abs=1e-12), key
    assert 0.0 <= fast.ngram <= 1.0
    assert log_distances(a, a).to_dict() == dict.fromkeys(fast.to_dict(), 0.0)


def test_prepared_log_reused(purchasing):
    prepared = prepare(purchasing)
    assert prepared.n_cases == purchasing.n_cases
    other = shifted(purchasing.df, 2)
    assert log_distances(prepared, other) == log_distances(purchasing, other)
