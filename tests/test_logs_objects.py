"""Logs from Python objects: a pandas DataFrame (pm4py's column names or mapped ones) or a pm4py
EventLog works wherever the API takes a log (read_log, mine, split_log, validate,
log_distances)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

import bpr
from bpr.errors import LogError
from bpr.io.logs import read_log
from bpr.io.quiet import import_pm4py, silenced


def pm4py_read(path: Path) -> pd.DataFrame:
    pm4py = import_pm4py()
    with silenced():
        return pm4py.read_xes(str(path))


@pytest.fixture(scope="module")
def pm4py_frame(event_logs: Path) -> pd.DataFrame:
    return pm4py_read(event_logs / "running-example.xes")


def test_a_pm4py_dataframe_reads_like_the_file(pm4py_frame: pd.DataFrame,
                                               event_logs: Path) -> None:
    from_file = read_log(event_logs / "running-example.xes")
    from_frame = read_log(pm4py_frame)
    pd.testing.assert_frame_equal(from_frame.df, from_file.df)
    assert from_frame.path == "<DataFrame>"
    assert from_frame.start_times_estimated
    assert from_file.timezone == "+01:00"
    assert from_frame.timezone == "UTC"  # pm4py's frame holds UTC times: the offset is gone


def test_a_pm4py_event_log_object(pm4py_frame: pd.DataFrame, event_logs: Path) -> None:
    pm4py = import_pm4py()
    with silenced():
        legacy = pm4py.convert_to_event_log(pm4py_frame)
    log = read_log(legacy)
    assert log.path == "<pm4py EventLog>"
    assert (log.n_cases, log.n_events) == (6, 42)


def test_a_dataframe_with_its_own_names_and_overrides() -> None:
    df = pd.DataFrame({
        "Ticket": [7, 7, 8], "Step": ["open", "close", "open"],
        "Began": ["2024-01-01 09:00", "2024-01-01 10:00", "2024-01-02 09:00"],
        "Finished": pd.to_datetime(["2024-01-01 10:30", "2024-01-01 11:45",
                                    "2024-01-02 10:10"]).tz_localize("Europe/Paris"),
        "Who": ["ann", None, "bob"]}, index=[10, 11, 12])
    log = read_log(df, case="Ticket", activity="Step", start="Began", end="Finished",
                   resource="Who")
    assert log.df["case_id"].tolist() == ["7", "7", "8"]
    assert log.df["end_time"].iloc[0] == pd.Timestamp("2024-01-01T09:30Z")
    assert log.df["start_time"].iloc[0] == pd.Timestamp("2024-01-01T09:00Z")  # naive = UTC
    assert log.df["resource"].isna().tolist() == [False, True, False]
    with pytest.raises(LogError) as info:
        read_log(df, case="Tiket")
    assert "did you mean 'Ticket'?" in str(info.value)
    bad = df.assign(Finished=["2024-01-01 09:30", "soon", "2024-01-02 09:10"])
    with pytest.raises(LogError) as info:
        read_log(bad, case="Ticket", activity="Step", start="Began", end="Finished")
    assert str(info.value).startswith("<DataFrame>: column 'Finished', row 2 (index 11)")


def test_an_eventlog_passes_through_and_other_objects_are_refused(event_logs: Path) -> None:
    log = read_log(event_logs / "running-example.xes")
    assert read_log(log) is log
    with pytest.raises(LogError, match="cannot read an event log from a list; fix: pass a"):
        read_log([1, 2, 3])
    with pytest.raises(LogError, match="the DataFrame has no rows"):
        read_log(pd.DataFrame({"case_id": [], "activity": [], "end_time": []}))


@pytest.mark.slow
def test_mine_split_validate_and_distances_take_objects(event_logs: Path) -> None:
    from bpr.analysis.distances import log_distances

    path = event_logs / "03_repairExample.xes.gz"
    pm4py_frame = pm4py_read(path)
    pm4py = import_pm4py()
    with silenced():
        legacy = pm4py.convert_to_event_log(pm4py_frame)
    model = bpr.mine(pm4py_frame)
    assert set(model.activities) >= {"Register", "Analyze Defect"}
    train, test = bpr.split_log(legacy, 0.2)
    assert train.n_cases > test.n_cases > 0
    report = bpr.validate(model, pm4py_frame, replications=2, seed=1)
    assert set(report.metrics) and report.settings["cases"] == 1104
    same = log_distances(pm4py_frame, path)
    assert same.ngram == pytest.approx(0.0) and same.cycle_time_h == pytest.approx(0.0)
    assert log_distances(legacy, read_log(path)) == same
