"""The temporal hold-out split: exactly the cases cut by the boundary are dropped."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bpr.analysis.split import split_log
from bpr.errors import LogError
from bpr.io.eventlog import EventLog

T0 = datetime(2024, 1, 1, tzinfo=UTC)


def csv_log(path) -> EventLog:
    df = pd.read_csv(path)
    df["case_id"] = df["case_id"].astype(str)
    for col in ("start_time", "end_time"):
        df[col] = pd.to_datetime(df[col], utc=True, format="mixed")
    return EventLog(df=df, path=str(path))


def make_log(rows: list[tuple[str, str, float, float]]) -> EventLog:
    """rows: (case, activity, start hour, end hour) after T0."""
    df = pd.DataFrame({
        "case_id": [r[0] for r in rows],
        "activity": [r[1] for r in rows],
        "start_time": pd.to_datetime([T0 + timedelta(hours=r[2]) for r in rows], utc=True),
        "end_time": pd.to_datetime([T0 + timedelta(hours=r[3]) for r in rows], utc=True),
        "resource": "r",
    })
    return EventLog(df=df)


def expected_parts(log: EventLog, fraction: float) -> tuple[set, set, set]:
    """Independent rule for logs with distinct end times: train = cases ending by the boundary
    end time, test = cases starting (first end) after it, dropped = the rest."""
    df = log.df
    n_train = int(np.round(len(df) * (1 - fraction)))
    boundary = np.sort(df["end_time"].to_numpy())[n_train - 1]
    ends = df.groupby("case_id")["end_time"].agg(["min", "max"])
    train = set(ends.index[ends["max"].to_numpy() <= boundary])
    test = set(ends.index[ends["min"].to_numpy() > boundary])
    dropped = set(ends.index) - train - test
    return train, test, dropped


def test_small_known_split():
    log = make_log([
        ("a", "x", 0, 1), ("a", "y", 1, 2),          # train
        ("b", "x", 1.5, 2.5), ("b", "y", 8, 9),      # cut: dropped
        ("c", "x", 3, 4), ("c", "y", 4, 5),          # train
        ("d", "x", 6, 7), ("d", "y", 7, 8),          # test
        ("e", "x", 9, 10), ("e", "y", 10, 11),       # test
    ])
    train, test = split_log(log, 0.5)  # boundary after the 5th end (hour 5)
    assert sorted(train.df["case_id"].unique()) == ["a", "c"]
    assert sorted(test.df["case_id"].unique()) == ["d", "e"]
    assert train.n_events == 4 and test.n_events == 4


def test_purchasing_example_split(event_logs):
    log = csv_log(event_logs / "PurchasingExample.csv.gz")
    train, test = split_log(log, 0.2)
    train_cases = set(train.df["case_id"])
    test_cases = set(test.df["case_id"])
    all_cases = set(log.df["case_id"])
    assert not train_cases & test_cases
    # Exactly the cases with events on both sides of the boundary are dropped.
    order = log.df.sort_values(["end_time", "start_time"], kind="stable")
    n_train = int(np.round(len(order) * 0.8))
    before = set(order["case_id"].iloc[:n_train])
    after = set(order["case_id"].iloc[n_train:])
    assert all_cases - train_cases - test_cases == before & after
    assert train_cases == before - after and test_cases == after - before
    # Kept cases are complete and event counts add up.
    sizes = log.df.groupby("case_id").size()
    assert train.n_events == sizes[list(train_cases)].sum()
    assert test.n_events == sizes[list(test_cases)].sum()
    assert train.n_events + test.n_events + sizes[list(before & after)].sum() == log.n_events
    assert len(before & after) > 0  # this log has long cases: the boundary does cut some
    boundary = order["end_time"].iloc[n_train - 1]
    assert train.df["end_time"].max() <= boundary <= test.df["end_time"].min()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 15), st.integers(1, 4), st.integers(1, 40)),
                min_size=2, max_size=40),
       st.sampled_from([0.1, 0.2, 0.3, 0.5]))
def test_split_invariants(cases, fraction):
    rows = []
    tick = 0
    for i, (offset, n_events, gap) in enumerate(cases):
        t = offset * 7 + i * 0.001  # distinct end times
        for k in range(n_events):
            tick += 1
            rows.append((f"c{i}", f"a{k}", t, t + 0.5 + tick * 1e-4))
            t += gap * 0.25
    log = make_log(rows)
    try:
        train, test = split_log(log, fraction)
    except LogError:
        train_set, test_set, _ = expected_parts(log, fraction)
        assert not train_set or not test_set
        return
    exp_train, exp_test, exp_dropped = expected_parts(log, fraction)
    assert set(train.df["case_id"]) == exp_train
    assert set(test.df["case_id"]) == exp_test
    sizes = log.df.groupby("case_id").size()
    assert (train.n_events + test.n_events + sizes[list(exp_dropped)].sum()) == log.n_events


@pytest.mark.parametrize("fraction", [0, 1, -0.2, 1.5, "0.2"])
def test_bad_fraction(fraction):
    log = make_log([("a", "x", 0, 1), ("b", "x", 2, 3)])
    with pytest.raises(LogError, match="test fraction"):
        split_log(log, fraction)


def test_every_case_cut_is_an_error():
    log = make_log([("a", "x", 0, 1), ("a", "y", 5, 6), ("a", "z", 7, 8), ("a", "w", 9, 10)])
    with pytest.raises(LogError, match="empty"):
        split_log(log, 0.5)


def test_cli_split(tmp_path, event_logs):
    from click.testing import CliRunner

    from bpr.cli import main
    from bpr.io.logs import read_log

    out = tmp_path / "parts"
    result = CliRunner().invoke(main, ["split", str(event_logs / "PurchasingExample.csv.gz"),
                                       "--test", "0.2", "-o", str(out)])
    assert result.exit_code == 0, result.output
    train, test = read_log(out / "train.csv"), read_log(out / "test.csv")
    full = csv_log(event_logs / "PurchasingExample.csv.gz")
    exp_train, exp_test = split_log(full, 0.2)
    assert (train.n_cases, train.n_events) == (exp_train.n_cases, exp_train.n_events)
    assert (test.n_cases, test.n_events) == (exp_test.n_cases, exp_test.n_events)
    dropped = full.n_cases - train.n_cases - test.n_cases
    assert f"train: {train.n_cases:,} cases, {train.n_events:,} events" in result.output
    assert f"dropped: {dropped:,} cases" in result.output
    names = sorted(p.name for p in out.iterdir())  # no temporary file left
    assert names == [".bpr-output.json", "test.csv", "train.csv"]
    bad = CliRunner().invoke(main, ["split", str(event_logs / "PurchasingExample.csv.gz"),
                                    "--test", "1.5", "-o", str(tmp_path / "none")])
    assert bad.exit_code == 2 and "test fraction" in bad.output
    assert not (tmp_path / "none").exists()
