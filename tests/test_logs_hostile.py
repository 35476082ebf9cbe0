"""Hostile event logs (issue 13, the input/output families): each is refused in one line naming
the file (and the row or column) with exit code 2 and no traceback, or read correctly."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from bpr.cli import main

N = 24
BASE = pa.table({
    "case_id": [str(i // 4) for i in range(N)],
    "activity": [f"A{i % 4}" for i in range(N)],
    "start_time": pd.date_range("2024-01-01", periods=N, freq="h", tz="UTC"),
    "end_time": pd.date_range("2024-01-01 00:30", periods=N, freq="h", tz="UTC"),
})


def refused(path: Path, needle: str, *args: str) -> str:
    out = tmp_out(path)
    r = CliRunner().invoke(main, ["mine", str(path), "-o", str(out), "-q", *args])
    lines = [x for x in r.output.splitlines() if x.strip()]
    assert r.exit_code == 2, r.output
    assert len(lines) == 1 and lines[0].startswith(f"Error: {path}: "), r.output
    assert "Traceback" not in r.output and needle in lines[0], lines[0]
    assert not out.exists()
    return lines[0]


def mined(path: Path, *args: str) -> Path:
    out = tmp_out(path)
    r = CliRunner().invoke(main, ["mine", str(path), "-o", str(out), "-q", *args])
    assert r.exit_code == 0, r.output
    return out


def tmp_out(path: Path) -> Path:
    return path.with_name(path.name + ".yaml")


def parquet(tmp_path: Path, name: str, table: pa.Table) -> Path:
    path = tmp_path / name
    pq.write_table(table, path)
    return path


def test_parquet_struct_list_and_binary_columns(tmp_path: Path) -> None:
    structs = pa.array([{"x": i % 4} for i in range(N)])
    refused(parquet(tmp_path, "s.parquet", BASE.set_column(1, "activity", structs)),
            "column 'activity' holds struct values, not names")
    lists = pa.array([["a", "b"]] * N)
    refused(parquet(tmp_path, "l.parquet", BASE.append_column("resource", lists)),
            "column 'resource' holds list values, not names")
    raw = pa.array([b"\xff\xfe"] * N, pa.binary())
    refused(parquet(tmp_path, "b.parquet", BASE.set_column(1, "activity", raw)),
            "column 'activity' holds bytes that are not UTF-8 text")
    refused(parquet(tmp_path, "t.parquet", BASE.set_column(3, "end_time", structs)),
            "column 'end_time' holds struct values, not timestamps")
    # columns bpr does not use may hold anything
    mined(parquet(tmp_path, "ok.parquet", BASE.append_column("extra", structs)
                  .append_column("blob", raw)))


def test_parquet_nan_float_columns(tmp_path: Path) -> None:
    ids = pa.array([float(i // 4) if i % 5 else np.nan for i in range(N)])
    out = mined(parquet(tmp_path, "n.parquet", BASE.set_column(0, "case_id", ids)))
    assert "nan" not in out.read_text().lower().split("observed")[0]
    refused(parquet(tmp_path, "e.parquet", BASE.set_column(3, "end_time",
                                                         pa.array([np.nan] * N))),
            "column 'end_time' holds numbers, not timestamps")
    costs = pa.array([np.nan] * (N - 1) + [np.inf])
    refused(parquet(tmp_path, "c.parquet", BASE.append_column("fixed_cost", costs)),
            f"column 'fixed_cost', row {N}: inf is not a finite number")


def test_a_one_megabyte_timestamp_field(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    BASE.to_pandas().to_csv(path, index=False)
    with open(path, "a") as fh:
        fh.write("9,A1,2024-01-01T10:00:00Z," + "2" * (1 << 20) + "\n")
    refused(path, f"column 'end_time', row {N + 1} (line {N + 2}): a value of 1,048,576"
                  " characters is not a timestamp (at most 100)")


def test_a_name_of_a_megabyte(tmp_path: Path) -> None:
    path = tmp_path / "name.csv"
    BASE.to_pandas().to_csv(path, index=False)
    with open(path, "a") as fh:
        fh.write("9," + "x" * (1 << 20) + ",2024-01-01T10:00:00Z,2024-01-01T10:30:00Z\n")
    refused(path, "column 'activity', row 25 (line 26): a value of 1,048,576 characters")


def test_a_hundred_thousand_distinct_activities(tmp_path: Path) -> None:
    path = tmp_path / "many.csv"
    n = 100_000
    pd.DataFrame({"case_id": np.arange(n) // 2, "activity": [f"act{i}" for i in range(n)],
                  "end_time": pd.Timestamp("2024-01-01", tz="UTC") + pd.to_timedelta(
                      np.arange(n), unit="s")}).to_csv(path, index=False)
    refused(path, "the log has 100,000 distinct activities; bpr models at most 5,000")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="named pipes need POSIX")
def test_a_named_pipe_without_a_writer_is_refused_before_opening(tmp_path: Path) -> None:
    fifo = tmp_path / "log.csv"
    os.mkfifo(fifo)
    bpr = Path(sys.executable).with_name("bpr")
    # a run that opened the pipe would wait for a writer for ever: the timeout catches that
    out = subprocess.run([str(bpr), "mine", str(fifo), "-o", str(tmp_path / "m.yaml")],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 2
    line = out.stderr.strip()
    assert "\n" not in line and line.startswith(f"Error: {fifo}: ")
    assert "not a regular file" in line


@pytest.mark.slow
@pytest.mark.parametrize("year", [1900, 2200])
def test_timestamps_in_1900_and_2200_work(tmp_path: Path, year: int) -> None:
    df = BASE.to_pandas()
    shift = pd.Timestamp(f"{year}-01-01", tz="UTC") - pd.Timestamp("2024-01-01", tz="UTC")
    df["start_time"] += shift
    df["end_time"] += shift
    path = tmp_path / f"y{year}.csv"
    df.to_csv(path, index=False)
    model = mined(path)
    assert f"first_event: '{year}-01-01" in model.read_text()
    out = tmp_path / "sim"
    r = CliRunner().invoke(main, ["simulate", str(model), "-o", str(out), "--cases", "12",
                                  "--replications", "2", "-q"])
    assert r.exit_code == 0, r.output
    back = pd.read_csv(out / "simulated_logs" / "replication-1.csv")
    assert back["time:timestamp"].str.startswith(str(year)).all()


@pytest.mark.parametrize(("value", "row"), [("0001-01-01T10:00:00", 25),
                                            ("9999-12-31T11:00:00", 25),
                                            ("31.12.9999 10:00", 25)])
def test_timestamps_outside_the_range_name_the_row(tmp_path: Path, value: str, row: int) -> None:
    path = tmp_path / "far.csv"
    BASE.to_pandas().to_csv(path, index=False)
    with open(path, "a") as fh:
        fh.write(f"9,A1,2024-01-01T10:00:00Z,{value}\n")
    refused(path, f"column 'end_time', row {row} (line {row + 1}): timestamp {value!r} is"
                  " outside the range bpr supports (1677-09-22 to 2262-04-11)")
    late = BASE.set_column(3, "end_time", pa.array(
        [dt.datetime(2024, 1, 1)] * (N - 1) + [dt.datetime(3000, 1, 1)], pa.timestamp("us")))
    refused(parquet(tmp_path, "late.parquet", late), f"column 'end_time', row {N}: timestamp"
                                                     " 3000-01-01 00:00:00 is outside")


def test_simulate_refuses_a_start_outside_the_range(tmp_path: Path) -> None:
    from test_sim_output import MODEL

    model = tmp_path / "m.yaml"
    model.write_text(MODEL)
    for start in ("0001-01-01", "9999-01-01"):
        out = tmp_path / "o"
        r = CliRunner().invoke(main, ["simulate", str(model), "-o", str(out), "--start", start,
                                      "--cases", "5", "-q"])
        assert r.exit_code == 2, r.output
        assert r.output.strip() == (f"Error: start {start!r} is outside the dates bpr supports"
                                    " (1677-09-22 to 2262-04-11); fix: give a start such as"
                                    " 2024-01-01")
        assert not out.exists()
