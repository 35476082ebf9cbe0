"""Robust reading: day-first dates decided from the data (or --date-format/--dayfirst), status
lifecycles (--lifecycle ignore|fold|pair) with advice that is right, and one set of reading
options shared by every command that reads a log."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from bpr.cli import main
from bpr.errors import LogError
from bpr.io.logs import read_log


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text, tz="UTC")


def csv(tmp_path: Path, name: str, rows: list[str],
        header: str = "case_id,activity,end_time") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([header, *rows]) + "\n")
    return path


def test_day_first_is_decided_by_a_value_above_12(tmp_path: Path) -> None:
    # the first rows alone are ambiguous; one value later (13.) settles the order for the column
    path = csv(tmp_path, "eu.csv", ["1,A,05.03.2024 10:00", "1,B,06.03.2024 11:00",
                                    "2,A,13.03.2024 09:00"])
    log = read_log(path)
    assert log.df["end_time"].tolist() == [ts("2024-03-05 10:00"), ts("2024-03-06 11:00"),
                                           ts("2024-03-13 09:00")]
    assert not any("cannot tell" in w for w in log.warnings)


def test_month_first_is_decided_by_a_value_above_12_in_the_second_field(tmp_path: Path) -> None:
    path = csv(tmp_path, "us.csv", ["1,A,03/05/2024 10:00", "1,B,03/13/2024 11:00"])
    assert read_log(path).df["end_time"].tolist() == [ts("2024-03-05 10:00"),
                                                      ts("2024-03-13 11:00")]


def test_the_start_column_decides_for_the_end_column(tmp_path: Path) -> None:
    path = csv(tmp_path, "both.csv", ["1,A,13.03.2024 09:00,01.04.2024 10:00",
                                      "1,B,01.04.2024 10:00,02.04.2024 11:00"],
               header="case_id,activity,start_time,end_time")
    df = read_log(path).df
    assert df["end_time"].tolist() == [ts("2024-04-01 10:00"), ts("2024-04-02 11:00")]


def test_ambiguous_dates_warn_and_say_how_to_choose(tmp_path: Path) -> None:
    path = csv(tmp_path, "amb.csv", ["1,A,05.03.2024 10:00", "1,B,06.03.2024 11:00"])
    log = read_log(path)
    assert log.df["end_time"].iloc[0] == ts("2024-03-05 10:00")  # day-first with dots
    note = next(w for w in log.warnings if "cannot tell" in w)
    assert "'05.03.2024 10:00'" in note and "read them day-first (%d.%m.%Y)" in note
    assert "--monthfirst" in note and "--date-format" in note
    slash = read_log(csv(tmp_path, "amb2.csv", ["1,A,05/03/2024 10:00"]))
    assert slash.df["end_time"].iloc[0] == ts("2024-05-03 10:00")  # month-first with slashes
    assert any("read them month-first (%m/%d/%Y)" in w and "--dayfirst" in w
               for w in slash.warnings)
    assert read_log(path, dayfirst=False).df["end_time"].iloc[0] == ts("2024-05-03 10:00")
    forced = read_log(path, date_format="%m.%d.%Y %H:%M")
    assert forced.df["end_time"].iloc[0] == ts("2024-05-03 10:00")
    assert not any("cannot tell" in w for w in forced.warnings)


def test_date_format_is_strict_and_names_the_row(tmp_path: Path) -> None:
    path = csv(tmp_path, "f.csv", ["1,A,05.03.2024 10:00", "1,B,2024-03-06 11:00"])
    with pytest.raises(LogError) as info:
        read_log(path, date_format="%d.%m.%Y %H:%M")
    assert str(info.value) == (f"{path}: column 'end_time', row 2 (line 3): cannot read"
                               " timestamp '2024-03-06 11:00' (the only such value); fix: write"
                               " every value as '%d.%m.%Y %H:%M' or leave out --date-format")


STATUS = ["1,Incident,2024-01-01T10:00,Awaiting Assignment",
          "1,Incident,2024-01-01T11:00,In Progress", "1,Incident,2024-01-01T12:00,Resolved",
          "2,Incident,2024-01-02T10:00,In Progress", "2,Incident,2024-01-02T15:00,Resolved"]


def test_status_lifecycles_fail_fast_with_the_right_advice(tmp_path: Path) -> None:
    path = csv(tmp_path, "s.csv", STATUS, header="case_id,activity,timestamp,lifecycle")
    with pytest.raises(LogError) as info:
        read_log(path)
    text = str(info.value)
    assert text == (f"{path}: column 'lifecycle' holds values that are not lifecycle"
                    " transitions: 'In Progress' (2), 'Resolved' (2), 'Awaiting Assignment'"
                    " (1); fix: --lifecycle fold to make each value part of the activity name,"
                    " or --lifecycle ignore to read every row as one event")
    assert "swap" not in text
    fold = read_log(path, lifecycle="fold")
    assert fold.df["activity"].tolist()[:3] == ["Incident (Awaiting Assignment)",
                                                "Incident (In Progress)", "Incident (Resolved)"]
    ignore = read_log(path, lifecycle="ignore")
    assert ignore.n_events == 5 and set(ignore.df["activity"]) == {"Incident"}
    with pytest.raises(LogError, match="--lifecycle pair: column 'lifecycle' has no 'start'"):
        read_log(path, lifecycle="pair")
    with pytest.raises(LogError, match="--lifecycle 'folded' is unknown.*did you mean 'fold'"):
        read_log(path, lifecycle="folded")


def test_pair_ignore_and_fold_on_a_start_complete_log(tmp_path: Path) -> None:
    rows = ["1,A,2024-01-01T10:00,start", "1,A,2024-01-01T10:20,complete",
            "1,B,2024-01-01T11:00,start", "1,B,2024-01-01T11:30,complete"]
    path = csv(tmp_path, "p.csv", rows, header="case_id,activity,time,lifecycle:transition")
    auto = read_log(path)
    assert auto.df["start_time"].tolist() == [ts("2024-01-01 10:00"), ts("2024-01-01 11:00")]
    assert read_log(path, lifecycle="pair").df.equals(auto.df)
    assert read_log(path, lifecycle="ignore").n_events == 4
    assert set(read_log(path, lifecycle="fold").df["activity"]) == {
        "A (start)", "A (complete)", "B (start)", "B (complete)"}


def test_end_before_start_advice_is_right(tmp_path: Path) -> None:
    header = "case_id,activity,start_time,end_time"
    swapped = csv(tmp_path, "sw.csv", ["1,A,2024-01-01T10:00,2024-01-01T09:00",
                                       "1,B,2024-01-01T12:00,2024-01-01T11:00"], header)
    with pytest.raises(LogError, match="every row ends before it starts.*swap the --start/--end"):
        read_log(swapped)
    one = csv(tmp_path, "one.csv", ["1,A,2024-01-01T08:00,2024-01-01T09:00",
                                    "1,B,2024-01-01T12:00,2024-01-01T11:00",
                                    "1,C,2024-01-01T12:00,2024-01-01T13:00"], header)
    assert read_log(one).warnings[0].endswith("fix: correct those timestamps")


def run(*args: str) -> tuple[int, str]:
    r = CliRunner().invoke(main, list(args))
    return r.exit_code, r.output


@pytest.mark.parametrize("command", ["mine", "split", "validate"])
def test_every_command_that_reads_a_log_has_the_reading_options(command: str) -> None:
    code, text = run(command, "--help")
    assert code == 0
    for flag in ("--case", "--activity", "--start", "--end", "--resource", "--role",
                 "--date-format", "--dayfirst / --monthfirst", "--lifecycle", "--strict"):
        assert flag in text, (command, flag)


def test_reading_options_reach_the_reader(tmp_path: Path) -> None:
    rows = [f"{c},{a},0{d}.03.2024 {h}:00,{s}" for c, a, d, h, s in [
        (1, "Check", 1, 9, "Open"), (1, "Check", 2, 10, "Done"), (2, "Check", 3, 9, "Open"),
        (2, "Check", 4, 11, "Done"), (3, "Check", 5, 9, "Open"), (3, "Check", 6, 12, "Done")]]
    path = csv(tmp_path, "s.csv", rows, header="Ticket,Step,When,lifecycle")
    code, text = run("split", str(path), "-o", str(tmp_path / "out"), "--case", "Ticket",
                     "--activity", "Step", "--end", "When")
    assert code == 2 and "--lifecycle fold" in text and "Traceback" not in text
    code, text = run("split", str(path), "-o", str(tmp_path / "out"), "--case", "Ticket",
                     "--activity", "Step", "--end", "When", "--lifecycle", "fold",
                     "--monthfirst", "--test", "0.34")
    assert code == 0, text
    train = read_log(tmp_path / "out" / "train.csv")
    assert set(train.df["activity"]) <= {"Check (Open)", "Check (Done)"}
    assert train.df["end_time"].min() == ts("2024-01-03 09:00")  # month-first: 01.03 = Jan 3
