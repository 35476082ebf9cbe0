"""The log-format registry: every format sniffs its own files, names come from one place, Excel
workbooks in and out, and a new format is one class that read_log, write_log and the simulator
all use."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest
from click.testing import CliRunner

from bpr.cli import main
from bpr.errors import LogError
from bpr.io import formats as F
from bpr.io.logs import read_log, write_log


@pytest.fixture(scope="module")
def loan(event_logs: Path):
    return read_log(event_logs / "LoanApp_simplified_train.csv.gz")


def test_every_format_sniffs_its_own_files_only(loan, tmp_path: Path) -> None:
    from bpr.io.sniff import sniff

    small = type(loan)(df=loan.df.head(40), timezone=loan.timezone)
    for fmt in F.formats().values():
        for suffix in fmt.all_suffixes():
            path = tmp_path / f"log{suffix}"
            write_log(small, path)
            odd = path.rename(tmp_path / "no-suffix.dat")  # recognised by content, not name
            found, head = sniff(odd, str(odd))
            assert found is fmt and head.gzipped == suffix.endswith(".gz"), suffix
            back = read_log(odd)
            assert back.n_events == 40 and back.has_costs and back.has_roles, suffix
            odd.unlink()


def test_the_registry_is_complete_whatever_is_imported_first(event_logs: Path) -> None:
    import subprocess
    import sys

    # importing one format module first (it registers itself) must not hide the others
    code = ("import bpr.io.xes, bpr\n"
            f"print(bpr.read_log({str(event_logs / 'PurchasingExample.csv.gz')!r}).n_events)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "9119", out.stderr


def test_names_come_from_the_registry() -> None:
    names = F.format_names()
    assert set(names) >= {"csv", "csv.gz", "xes", "xes.gz", "parquet", "xlsx"}
    assert [f.name for f in F.formats().values() if f.fallback] == ["csv"]
    with pytest.raises(LogError, match="unknown log format 'xlxs'.*did you mean 'xlsx'"):
        F.by_name("xlxs")
    with pytest.raises(LogError, match="unknown log format 'parquet.gz'"):
        F.by_name("parquet.gz")
    assert F.by_suffix(Path("a/B.XES.GZ")) == (F.formats()["xes"], True)
    help_text = CliRunner().invoke(main, ["simulate", "--help"]).output
    assert all(n in help_text for n in names)


def test_an_excel_workbook_from_a_spreadsheet(tmp_path: Path) -> None:
    import datetime as dt

    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.title = "Notes"  # an empty first sheet is skipped
    ws = wb.create_sheet("Data")
    ws.append(["Case ID", "Activity", "Start", "End", "Resource", "Cost"])
    ws.append([1, "Register", dt.datetime(2024, 3, 4, 9, 0), dt.datetime(2024, 3, 4, 9, 20),
               "ann", 12.5])
    ws.append([1, "Approve", dt.datetime(2024, 3, 4, 10, 0), dt.datetime(2024, 3, 4, 10, 5),
               None, 3])
    ws.append([2.0, "Register", "2024-03-05T09:00:00+01:00", "2024-03-05T09:30:00+01:00",
               "bob", None])
    path = tmp_path / "from excel.xlsx"
    wb.save(path)
    log = read_log(path)
    assert log.df["case_id"].tolist() == ["1", "1", "2"]
    assert log.df["start_time"].iloc[0] == pd.Timestamp("2024-03-04T09:00Z")  # no zone: UTC
    assert log.df["end_time"].iloc[2] == pd.Timestamp("2024-03-05T08:30Z")
    assert log.df["resource_cost"].tolist()[:2] == [12.5, 3.0]
    ws.append([3, "Register", "yesterday", "2024-03-05T09:30:00", "bob", None])
    wb.save(path)
    with pytest.raises(LogError) as info:
        read_log(path)
    assert "column 'Start', sheet 'Data' row 5: cannot read timestamp 'yesterday'" in str(
        info.value)


def test_excel_round_trip_keeps_the_offset_and_refuses_too_many_rows(
        loan, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from bpr.io import xlsx

    path = tmp_path / "loan.xlsx"
    write_log(loan, path)
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True)
    assert wb.sheetnames == ["log"]
    first = next(wb["log"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert first[0] == "0" and isinstance(first[4], __import__("datetime").datetime)
    wb.close()
    monkeypatch.setattr(xlsx, "MAX_ROWS", 1000)
    with pytest.raises(LogError, match="an Excel worksheet holds at most 999 rows"):
        write_log(loan, tmp_path / "big.xlsx")
    assert not (tmp_path / "big.xlsx").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["loan.xlsx"]


def test_a_zip_that_is_not_a_workbook(tmp_path: Path) -> None:
    path = tmp_path / "log.xlsx"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("readme.txt", "hello")
    with pytest.raises(LogError, match="not an event log: the file is a ZIP archive, not an"
                                       " Excel workbook"):
        read_log(path)


def test_a_new_format_is_one_class(tmp_path: Path, loan) -> None:
    """JSON lines, registered in the test: read_log, write_log and the simulator use it."""
    from bpr.io import eventlog as E

    class JsonLines(F.LogFormat):
        name = "jsonl"
        suffixes = (".jsonl",)

        def sniff(self, head: F.Head) -> bool:
            return head.text is not None and head.text.lstrip().startswith('{"case:')

        def read(self, path: Path, shown: str, head: F.Head, pick: F.Pick) -> F.RawLog:
            frame = pd.read_json(path, lines=True, dtype=False)
            return F.RawLog(frame, pick(list(frame.columns)), lambda i: f"line {i + 1}")

        def writer(self, path: Path, *, tz: str, gzipped: bool = False) -> F.LogWriter:
            class Writer(F.LogWriter):
                def write(self, table: pa.Table) -> None:
                    from bpr.io.times import iso_text

                    cols = {E.WRITE_NAMES[c]: (iso_text(table.column(c), tz)
                                               if c in E.TIMES else table.column(c)).to_pylist()
                            for c in E.WRITE_NAMES if c in table.column_names}
                    with open(self.path, "a", encoding="utf-8") as fh:
                        for row in zip(*cols.values(), strict=True):
                            fh.write(json.dumps(dict(zip(cols, row, strict=True))) + "\n")

                def close(self) -> None:
                    pass

            return Writer(path, tz=tz)

    F.register(JsonLines)
    try:
        out = tmp_path / "loan.jsonl"
        write_log(loan, out)
        back = read_log(out)
        pd.testing.assert_frame_equal(back.df, loan.df)
        from test_sim_output import MODEL

        from bpr.model.schema import loads
        from bpr.sim import simulate

        simulate(loads(MODEL), cases=10, replications=2, log_path=tmp_path / "sim",
                 log_format="jsonl")
        assert read_log(tmp_path / "sim" / "replication-1.jsonl").n_cases == 10
    finally:
        F.FORMATS.pop("jsonl")
