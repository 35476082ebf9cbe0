"""Reading and writing event logs: the real logs, round trips, overrides, time zones, noise."""

from __future__ import annotations

import gzip
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from bpr.errors import LogError
from bpr.io.eventlog import EventLog
from bpr.io.formats import formats
from bpr.io.logs import read_log, write_log
from bpr.io.quiet import import_pm4py, silenced

ROOT = Path(__file__).resolve().parents[1]

# file: (cases, activity instances, activities, resources, timezone, starts estimated)
REAL_LOGS = {
    "PurchasingExample.csv.gz": (608, 9119, 21, 27, "+02:00", False),
    "LoanApp_simplified_train.csv.gz": (1000, 7544, 12, 19, "UTC", False),
    "LoanApp_simplified_test.csv.gz": (1000, 7495, 12, 19, "UTC", False),
    "Insurance_Claims_train.csv.gz": (1000, 5443, 7, 130, "UTC", False),
    "Insurance_Claims_test.csv.gz": (1000, 5398, 7, 130, "UTC", False),
    # 11,855 XES events: 4,122 starts (one never completed) + 7,733 completes
    "03_repairExample.xes.gz": (1104, 7733, 8, 13, "+01:00", True),
    "08_receipt.xes.gz": (1434, 8577, 27, 48, "+01:00", True),
    "running-example.xes": (6, 42, 8, 6, "+01:00", True),
    # 46,138 XES events: 21,313 start/complete pairs + 3,512 completes without a start
    "02_teleclaims.xes.gz": (3512, 24825, 11, 4, "+01:00", True),
}


def ts(text: str) -> pd.Timestamp:
    return pd.Timestamp(text).tz_convert("UTC") if pd.Timestamp(text).tz else pd.Timestamp(
        text, tz="UTC")


@pytest.fixture(scope="module")
def logs(event_logs: Path) -> dict[str, EventLog]:
    return {name: read_log(event_logs / name) for name in REAL_LOGS}


@pytest.mark.parametrize("name", sorted(REAL_LOGS))
def test_real_logs_read_with_known_counts(logs: dict[str, EventLog], name: str) -> None:
    cases, events, activities, resources, tz, estimated = REAL_LOGS[name]
    log = logs[name]
    df = log.df
    assert (log.n_cases, log.n_events) == (cases, events)
    assert df["activity"].nunique() == activities
    assert df["resource"].nunique() == resources
    assert log.timezone == tz
    assert log.start_times_estimated is estimated
    assert any("estimated" in w for w in log.warnings) is estimated
    assert str(df["start_time"].dtype) == "datetime64[ns, UTC]"
    assert str(df["end_time"].dtype) == "datetime64[ns, UTC]"
    assert (df["end_time"] >= df["start_time"]).all()
    assert df[["case_id", "activity", "start_time", "end_time"]].notna().all().all()
    assert all(isinstance(c, str) for c in df["case_id"].head(50))
    # sorted: each case contiguous, by start then end within a case
    codes = pd.factorize(df["case_id"])[0]
    assert (pd.Series(codes).diff().fillna(0) >= 0).all()
    within = df.groupby("case_id", sort=False)["start_time"].apply(
        lambda s: s.is_monotonic_increasing)
    assert within.all()
    assert all("\n" not in w for w in log.warnings)


def test_loan_log_keeps_role_enabled_and_costs(logs: dict[str, EventLog]) -> None:
    log = logs["LoanApp_simplified_train.csv.gz"]
    assert log.has_roles and log.has_costs
    first = log.df.iloc[0]
    assert first["case_id"] == "0"
    assert first["resource"] == "Clerk-000001" and first["role"] == "Clerk"
    assert first["start_time"] == ts("2023-02-09T08:00:00")
    assert first["end_time"] == ts("2023-02-09T08:05:04.420")
    assert first["enabled_time"] == ts("2023-02-09T08:00:00")
    assert first["resource_cost"] == pytest.approx(0.08)
    assert log.df["fixed_cost"].dtype == float


def test_purchasing_offsets_and_sorting(logs: dict[str, EventLog]) -> None:
    df = logs["PurchasingExample.csv.gz"].df
    case1 = df[df["case_id"] == "1"]
    # the file lists "Create Request for Quotation" (12:37) before the requisition (07:00)
    assert case1["activity"].iloc[0] == "Create Purchase Requisition"
    assert case1["start_time"].iloc[0] == ts("2011-01-01T07:00:00+02:00")
    assert df["case_id"].iloc[0] == "1"


def test_repair_lifecycle_pairs(logs: dict[str, EventLog]) -> None:
    df = logs["03_repairExample.xes.gz"].df
    case1 = df[df["case_id"] == "1"].set_index("activity")
    # <event> start 12:23 / complete 12:30 (+01:00) in trace 1
    assert case1.loc["Analyze Defect", "start_time"] == ts("1970-01-02T12:23:00+01:00")
    assert case1.loc["Analyze Defect", "end_time"] == ts("1970-01-02T12:30:00+01:00")
    assert case1.loc["Repair (Complex)", "start_time"] == ts("1970-01-02T12:31:00+01:00")
    assert case1.loc["Repair (Complex)", "end_time"] == ts("1970-01-02T12:49:00+01:00")
    # Register is complete-only and first in its case: estimated start = its end
    assert case1.loc["Register", "start_time"] == case1.loc["Register", "end_time"]
    counts = df["activity"].value_counts()
    assert counts["Analyze Defect"] == 1104 and counts["Repair (Complex)"] == 724
    warnings = logs["03_repairExample.xes.gz"].warnings
    assert any(w.startswith("Dropped 1 lifecycle 'start' event") for w in warnings)
    assert any("3,612 of 7,733" in w for w in warnings)


def test_csv_lifecycle_column_reads_like_xes(logs: dict[str, EventLog], event_logs: Path,
                                             tmp_path: Path) -> None:
    pm4py = import_pm4py()
    with silenced():
        raw = pm4py.read_xes(str(event_logs / "03_repairExample.xes.gz"), variant="iterparse")
    local = raw["time:timestamp"].dt.tz_convert("+01:00")
    table = pd.DataFrame({"Case ID": raw["case:concept:name"], "Activity": raw["concept:name"],
                          "Resource": raw["org:resource"],
                          "lifecycle:transition": raw["lifecycle:transition"].str.upper(),
                          "Timestamp": local.dt.strftime("%Y-%m-%dT%H:%M:%S%z")})
    table.to_csv(tmp_path / "repair.csv", index=False)
    log = read_log(tmp_path / "repair.csv")
    pd.testing.assert_frame_equal(log.df, logs["03_repairExample.xes.gz"].df)
    assert log.timezone == "+01:00"


# every file ending of every registered format: .csv .csv.gz .parquet .xes .xes.gz .xlsx ...
FORMATS = [s for f in formats().values() for s in f.all_suffixes()]


@pytest.mark.parametrize("ext", FORMATS)
@pytest.mark.parametrize("name", ["LoanApp_simplified_train.csv.gz", "PurchasingExample.csv.gz",
                                  "running-example.xes"])
def test_write_read_round_trip(logs: dict[str, EventLog], tmp_path: Path, name: str,
                               ext: str) -> None:
    log = logs[name]
    out = tmp_path / f"log{ext}"
    write_log(log, out)
    back = read_log(out)
    pd.testing.assert_frame_equal(back.df, log.df)
    assert back.timezone == log.timezone
    assert not back.start_times_estimated
    assert [p.name for p in tmp_path.iterdir()] == [out.name]  # no temporary files left


@pytest.mark.parametrize("ext", [".xes", ".xes.gz"])
def test_pm4py_reads_written_xes(logs: dict[str, EventLog], tmp_path: Path, ext: str) -> None:
    log = logs["LoanApp_simplified_train.csv.gz"]
    out = tmp_path / f"loan{ext}"
    write_log(log, out)
    pm4py = import_pm4py()
    with silenced():
        df = pm4py.read_xes(str(out), variant="iterparse")
    assert len(df) == log.n_events
    assert df["case:concept:name"].nunique() == log.n_cases
    assert set(df["concept:name"]) == set(log.df["activity"])
    assert (df["time:timestamp"].sort_values().to_numpy()
            == log.df["end_time"].sort_values().to_numpy()).all()
    assert (df["start_timestamp"].sort_values().to_numpy()
            == log.df["start_time"].sort_values().to_numpy()).all()
    assert {"org:resource", "org:role", "fixed_cost", "resource_cost"} <= set(df.columns)


@pytest.mark.parametrize("ext", [".csv", ".csv.gz", ".parquet"])
def test_pm4py_formats_written_tables(logs: dict[str, EventLog], tmp_path: Path,
                                      ext: str) -> None:
    log = logs["PurchasingExample.csv.gz"]
    out = tmp_path / f"p{ext}"
    write_log(log, out)
    table = pd.read_parquet(out) if ext == ".parquet" else pd.read_csv(out)
    pm4py = import_pm4py()
    with silenced():
        df = pm4py.format_dataframe(table, case_id="case:concept:name",
                                    activity_key="concept:name",
                                    timestamp_key="time:timestamp",
                                    start_timestamp_key="start_timestamp")
        variants = pm4py.get_variants(df)
    assert len(df) == 9119 and df["case:concept:name"].nunique() == 608
    assert sum(variants.values()) == 608


def test_write_log_accepts_a_dataframe_and_is_atomic(logs: dict[str, EventLog],
                                                     tmp_path: Path) -> None:
    df = logs["running-example.xes"].df
    write_log(df, tmp_path / "a.csv")
    back = read_log(tmp_path / "a.csv")
    assert back.timezone == "UTC" and back.n_events == 42
    with pytest.raises(LogError, match=r"cannot tell the log format"):
        write_log(df, tmp_path / "a.txt")
    with pytest.raises(LogError, match=r"without the columns \['start_time'\]"):
        write_log(df.drop(columns=["start_time"]), tmp_path / "b.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.csv"]
    write_log(df, tmp_path / "c.dat", format="xes.gz")
    with gzip.open(tmp_path / "c.dat", "rt") as fh:
        assert "<log" in fh.read(500)


def test_overrides_map_unusual_column_names(tmp_path: Path) -> None:
    path = tmp_path / "odd.csv"
    path.write_text("Ticket;Step;Who;Team;Began;Finished;Note\n"
                    "T1;Open;ann;desk;2024-03-04 09:00;2024-03-04 09:30;x\n"
                    "T1;Close;bob;desk;2024-03-04 10:00;2024-03-04 10:05;y\n"
                    "T2;Open;ann;desk;2024-03-04 11:00;2024-03-04 11:20;z\n")
    log = read_log(path, case="Ticket", activity="Step", resource="Who", role="Team",
                   start="Began", end="Finished")
    assert (log.n_cases, log.n_events) == (2, 3)
    assert log.df["resource"].tolist() == ["ann", "bob", "ann"]
    assert log.df["role"].tolist() == ["desk"] * 3
    assert log.df["end_time"].iloc[1] == ts("2024-03-04T10:05")
    assert not log.start_times_estimated
    # an override wins over auto-detection: use the note as the activity
    log2 = read_log(path, case="Ticket", activity="Note", end="Finished")
    assert sorted(log2.df["activity"]) == ["x", "y", "z"]
    assert log2.start_times_estimated


@pytest.mark.parametrize("header", [
    "Case ID,Activity,Resource,Start Timestamp,Complete Timestamp",
    "CaseID,ActivityName,User,StartTimestamp,EndTimestamp",
    "case:concept:name,concept:name,org:resource,start_timestamp,time:timestamp",
    "CASE_ID,TASK,RESOURCE,START_TIME,END_TIME",
])
def test_common_column_names_are_detected(tmp_path: Path, header: str) -> None:
    path = tmp_path / "l.csv"
    path.write_text(header + "\n7,A,r1,2024-01-01T08:00:00Z,2024-01-01T08:10:00Z\n"
                    "7,B,r2,2024-01-01T08:20:00Z,2024-01-01T08:45:00Z\n")
    df = read_log(path).df
    assert df["case_id"].tolist() == ["7", "7"] and df["activity"].tolist() == ["A", "B"]
    assert df["resource"].tolist() == ["r1", "r2"]
    assert (df["end_time"] - df["start_time"]).dt.total_seconds().tolist() == [600, 1500]


def test_timestamps_with_mixed_offsets_fractions_and_naive(tmp_path: Path) -> None:
    path = tmp_path / "tz.csv"
    path.write_text("case_id,activity,start_time,end_time\n"
                    "1,A,2024-06-03T09:00:00.250+02:00,2024-06-03T09:30:00.5+02:00\n"
                    "1,B,2024-06-03 06:00:00Z,2024-06-03 06:15:00.123456789Z\n"
                    "2,A,2024-06-03T10:00:00,2024-06-03T10:00:01.5\n"
                    "2,B,2024-06-03T12:00:00+0200,2024-06-03T12:30:00+02:00\n")
    log = read_log(path)
    df = log.df.set_index(["case_id", "activity"])
    assert df.loc[("1", "A"), "start_time"] == ts("2024-06-03T07:00:00.250Z")
    assert df.loc[("1", "B"), "end_time"] == ts("2024-06-03T06:15:00.123456789Z")
    assert df.loc[("2", "A"), "end_time"] == ts("2024-06-03T10:00:01.5Z")  # naive = UTC
    assert df.loc[("2", "B"), "start_time"] == ts("2024-06-03T10:00:00Z")
    assert log.timezone == "+02:00"  # 4 of 8 values carry +02:00
    assert log.df["activity"].tolist() == ["B", "A", "A", "B"]  # case 1 sorted by start


def test_non_iso_timestamps_are_guessed_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "us.csv"
    path.write_text("case_id,activity,end_time\n1,A,03/04/2024 09:00\n1,B,03/04/2024 17:30\n")
    log = read_log(path)
    assert log.df["end_time"].tolist() == [ts("2024-03-04T09:00"), ts("2024-03-04T17:30")]
    assert any("not ISO 8601" in w and "--date-format" in w for w in log.warnings)
    assert any("day/month order the data cannot tell" in w and "--dayfirst" in w
               for w in log.warnings)


def test_parquet_native_types(tmp_path: Path) -> None:
    df = pd.DataFrame({"case_id": [10, 10, 11], "activity": ["A", "B", "A"],
                       "resource": ["x", None, "y"],
                       "start_time": pd.to_datetime(["2024-01-01 08:00", "2024-01-01 09:00",
                                                     "2024-01-02 08:00"]).tz_localize(
                                                         "Europe/Paris"),
                       "end_time": pd.to_datetime(["2024-01-01 08:30", "2024-01-01 09:10",
                                                   "2024-01-02 08:05"]).tz_localize(
                                                       "Europe/Paris")})
    df.to_parquet(tmp_path / "n.parquet")
    log = read_log(tmp_path / "n.parquet")
    assert log.df["case_id"].tolist() == ["10", "10", "11"]
    assert log.df["resource"].isna().tolist() == [False, True, False]
    assert log.df["start_time"].iloc[0] == ts("2024-01-01T07:00Z")
    assert log.timezone == "+01:00"
    naive = df.assign(start_time=df["start_time"].dt.tz_localize(None),
                      end_time=df["end_time"].dt.tz_localize(None))
    naive.to_parquet(tmp_path / "naive.parquet")
    log = read_log(tmp_path / "naive.parquet")
    assert log.df["start_time"].iloc[0] == ts("2024-01-01T08:00Z") and log.timezone == "UTC"


def test_content_decides_the_format(event_logs: Path, tmp_path: Path) -> None:
    # gzip-compressed CSV without .gz, and an XES file named .csv
    (tmp_path / "p.csv").write_bytes(gzip.decompress(
        (event_logs / "PurchasingExample.csv.gz").read_bytes()))
    (tmp_path / "p.dat").write_bytes((event_logs / "PurchasingExample.csv.gz").read_bytes())
    (tmp_path / "r.csv").write_bytes((event_logs / "running-example.xes").read_bytes())
    assert read_log(tmp_path / "p.dat").n_events == 9119
    assert read_log(tmp_path / "p.csv").n_events == 9119
    assert read_log(tmp_path / "r.csv").n_events == 42


def test_single_case_and_single_activity_warn(tmp_path: Path) -> None:
    path = tmp_path / "one.csv"
    path.write_text("case_id,activity,resource,start_time,end_time\n"
                    "1,A,r,2024-01-01T08:00Z,2024-01-01T08:10Z\n"
                    "1,A,r,2024-01-01T09:00Z,2024-01-01T09:10Z\n")
    log = read_log(path)
    assert log.n_events == 2
    assert any("single case" in w for w in log.warnings)
    assert any("single activity" in w for w in log.warnings)


def test_progress_is_reported(event_logs: Path) -> None:
    seen: list[tuple[int, int]] = []
    read_log(event_logs / "PurchasingExample.csv.gz", progress=lambda d, t: seen.append((d, t)))
    assert seen and seen[-1][0] == seen[-1][1]
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)


def test_pm4py_noise_never_leaks_in_process(capfd: pytest.CaptureFixture[str], event_logs: Path,
                                            tmp_path: Path) -> None:
    capfd.readouterr()
    log = read_log(event_logs / "03_repairExample.xes.gz")
    write_log(log, tmp_path / "r.xes.gz")
    read_log(tmp_path / "r.xes.gz")
    out, err = capfd.readouterr()
    assert (out, err) == ("", "")


def test_pm4py_noise_never_leaks_in_a_fresh_interpreter(tmp_path: Path) -> None:
    code = ("import bpr; log = bpr.read_log('event_logs/08_receipt.xes.gz');"
            f" bpr.write_log(log, {str(tmp_path / 'x.xes')!r}); print(log.n_events)")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout == "8577\n"
    assert done.stderr == ""


def test_reading_raises_no_python_warnings(event_logs: Path, tmp_path: Path) -> None:
    import warnings

    path = tmp_path / "gaps.csv"
    path.write_text("case_id,activity,resource,end_time\n1,A,,2024-01-01T08:00Z\n"
                    "1,B,,2024-01-01T09:00Z\n2,,,2024-01-01T09:00Z\n")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for name in ("03_repairExample.xes.gz", "PurchasingExample.csv.gz",
                     "LoanApp_simplified_test.csv.gz"):
            log = read_log(event_logs / name)
        write_log(log, tmp_path / "l.csv.gz")
        read_log(tmp_path / "l.csv.gz")
        read_log(path)
    assert [str(w.message) for w in caught] == []


def test_bom_crlf_semicolons_quotes_and_latin1(tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes('\ufeff"Case ID";"Activity";"Resource";"End Time"\r\n'
                     '1;"Prüfen";Jürgen;2024-01-01 10:00\r\n'
                     '1;Zahlen;"Ann; B";2024-01-01 11:00\r\n'.encode())
    df = read_log(path).df
    assert df["activity"].tolist() == ["Prüfen", "Zahlen"]
    assert df["resource"].tolist() == ["Jürgen", "Ann; B"]
    latin = tmp_path / "latin.csv"
    latin.write_bytes("case_id\tactivity\tresource\tend_time\n1\tPrüfen\tJürgen\t"
                      "2024-01-01 10:00\n".encode("latin-1"))
    assert read_log(latin).df["resource"].tolist() == ["Jürgen"]
