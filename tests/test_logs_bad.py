"""Bad event logs: each gets one line naming the file, what is wrong and the fix."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from bpr.errors import LogError
from bpr.io.logs import read_log

BAD = Path(__file__).parent / "data" / "bad_logs"


def error_of(path: Path, **kwargs) -> str:
    with pytest.raises(LogError) as info:
        read_log(path, **kwargs)
    text = str(info.value)
    assert "\n" not in text
    assert "fix:" in text
    assert text.startswith(str(path))
    assert info.value.exit_code == 2
    return text


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    return path


def test_missing_file_and_folder(tmp_path: Path) -> None:
    path = tmp_path / "nope.csv"
    assert re.fullmatch(rf"{re.escape(str(path))}: no such file; fix: check the path .*",
                        error_of(path))
    assert "is a folder, not an event log file" in error_of(tmp_path)


@pytest.mark.parametrize(("name", "content", "what"), [
    ("random.csv", bytes(range(256)) * 8, "binary data"),
    ("image.csv", b"\x89PNG\r\n\x1a\n" + bytes(100), "a PNG image"),
    ("photo.xes", b"\xff\xd8\xff\xe0" + bytes(100), "a JPEG image"),
    ("sheet.csv", b"PK\x03\x04" + bytes(100), "a ZIP archive"),
])
def test_not_a_log(tmp_path: Path, name: str, content: bytes, what: str) -> None:
    text = error_of(write(tmp_path, name, content))
    assert f"not an event log: the file {'holds' if what == 'binary data' else 'is'} {what}" \
        in text


def test_empty_files(tmp_path: Path) -> None:
    assert "the file is empty (0 bytes)" in error_of(write(tmp_path, "e.csv", b""))
    assert "only blank space" in error_of(write(tmp_path, "b.csv", "\n  \n"))
    assert "the gzip file is empty" in error_of(write(tmp_path, "e.csv.gz", gzip.compress(b"")))
    assert "has a header but no rows" in error_of(
        write(tmp_path, "h.csv", "case_id,activity,end_time\n"))


def test_truncated_and_malformed_xml(event_logs: Path, tmp_path: Path) -> None:
    full = gzip.decompress((event_logs / "03_repairExample.xes.gz").read_bytes())
    cut = write(tmp_path, "cut.xes", full[:20000])
    text = error_of(cut)
    assert re.fullmatch(rf"{re.escape(str(cut))}:\d+: malformed or truncated XML \(.+\); fix: .*",
                        text)
    cutgz = write(tmp_path, "cut.xes.gz", (event_logs / "08_receipt.xes.gz").read_bytes()[:30000])
    assert "corrupt or truncated gzip file" in error_of(cutgz)
    bad = error_of(BAD / "malformed.xes")
    assert re.search(r"malformed.xes:4: malformed or truncated XML \(Opening and ending tag"
                     r" mismatch: event .*\)", bad)


def test_entities_are_refused_never_expanded(tmp_path: Path) -> None:
    for name in ("entity_bomb.xes", "external_entity.xes"):
        text = error_of(BAD / name)
        assert "declares a DOCTYPE/entities, which bpr refuses to read" in text
        assert "delete the <!DOCTYPE ...> block" in text
    # hidden after comments and a processing instruction, and gzip-compressed
    sneaky = gzip.compress(b'<?xml version="1.0"?><!-- hi --><?pi x?>\n<!DOCTYPE log SYSTEM '
                           b'"http://example.invalid/x.dtd"><log/>')
    assert "DOCTYPE" in error_of(write(tmp_path, "s.xes.gz", sneaky))


def test_other_xml_is_not_a_log(event_logs: Path, tmp_path: Path) -> None:
    text = error_of(event_logs / "LoanApp_simplified.bpmn")
    assert "root element is <definitions>, not <log>; a BPMN model is not an event log" in text
    assert "has no events" in error_of(write(tmp_path, "empty.xes", "<log></log>"))


def test_missing_columns_list_what_was_found_and_the_flags(tmp_path: Path) -> None:
    path = write(tmp_path, "cols.csv", "ticket,step,when\n1,A,2024-01-01\n")
    assert error_of(path) == (
        f"{path}: no case id / activity / end (completion) timestamp column found; columns"
        " found: 'ticket', 'step', 'when'; fix: name the columns with --case/--activity/--end"
        " (e.g. --case 'ticket')")
    path = write(tmp_path, "cols2.csv", "case_id,step,end_time\n1,A,2024-01-01\n")
    assert "no activity column found" in error_of(path)
    assert "with --activity" in error_of(path)
    assert error_of(path, activity="stpe") == (
        f"{path}: --activity 'stpe' is not a column of this log; fix: did you mean 'step'? the"
        " columns are 'case_id', 'step', 'end_time'")


def test_unparsable_timestamp_shows_value_and_row(tmp_path: Path) -> None:
    path = write(tmp_path, "t.csv", "case_id,activity,end_time\n1,A,2024-01-01T10:00\n"
                 "1,B,2024-01-01T11:00\n2,A,not a date\n2,B,2024-01-01T12:00\n")
    assert error_of(path) == (
        f"{path}: column 'end_time', row 3 (line 4): cannot read timestamp 'not a date' (the"
        " only such value); fix: write timestamps as ISO 8601 (e.g. 2023-02-09T08:00:00+01:00),"
        " give --date-format, or map another column")


def test_numbers_are_not_timestamps(tmp_path: Path) -> None:
    import pandas as pd

    pd.DataFrame({"case_id": ["1"], "activity": ["A"], "end_time": [17.5]}).to_parquet(
        tmp_path / "n.parquet")
    assert "column 'end_time' holds numbers, not timestamps" in error_of(tmp_path / "n.parquet")


def test_ragged_and_truncated_csv(event_logs: Path, tmp_path: Path) -> None:
    ragged = write(tmp_path, "r.csv", "case_id,activity,end_time\n1,A,2024-01-01,extra\n")
    assert "cannot read as CSV (" in error_of(ragged)
    data = gzip.compress(gzip.decompress((event_logs / "PurchasingExample.csv.gz").read_bytes()))
    cut = write(tmp_path, "cut.csv.gz", data[: len(data) // 2])
    assert "corrupt or truncated gzip file" in error_of(cut)


BACKWARDS = ("case_id,activity,start_time,end_time\n"
             "1,A,2024-01-01T08:00Z,2024-01-01T09:00Z\n"
             "1,B,2024-01-01T10:00Z,2024-01-01T09:30Z\n"
             "2,A,2024-01-01T08:00Z,2024-01-01T09:00Z\n"
             "2,B,2024-01-01T12:00Z,2024-01-01T11:00Z\n"
             "2,C,2024-01-01T12:00Z,2024-01-01T12:30Z\n")


def test_end_before_start_is_dropped_with_a_warning(tmp_path: Path) -> None:
    log = read_log(write(tmp_path, "b.csv", BACKWARDS))
    assert log.n_events == 3
    assert log.df["activity"].tolist() == ["A", "A", "C"]
    assert log.warnings[0] == (
        "Dropped 2 rows whose end is before their start (first: row 2 (line 3), case '1',"
        " activity 'B', start 2024-01-01 10:00:00+00:00, end 2024-01-01 09:30:00+00:00); fix:"
        " correct those timestamps")


def test_end_before_start_is_rejected_when_strict(tmp_path: Path) -> None:
    path = write(tmp_path, "b.csv", BACKWARDS)
    text = error_of(path, strict=True)
    assert text.startswith(f"{path}: 2 rows whose end is before their start (first: row 2")
    assert text.endswith("(or read without --strict to drop them)")


def test_rows_with_missing_values(tmp_path: Path) -> None:
    path = write(tmp_path, "m.csv", "case_id,activity,end_time\n1,A,2024-01-01T08:00Z\n"
                 ",B,2024-01-01T09:00Z\n1,,2024-01-01T09:00Z\n1,C,\n1,D,2024-01-01T10:00Z\n")
    log = read_log(path)
    assert log.df["activity"].tolist() == ["A", "D"]
    assert log.warnings[0].startswith("Dropped 3 rows without a case id, an activity or an end"
                                      " time (first: row 2 (line 3) has no case id)")
    assert "3 rows without a case id" in error_of(path, strict=True)
    only = write(tmp_path, "o.csv", "case_id,activity,end_time\n1,,2024-01-01\n")
    assert "no usable events" in error_of(only)


def test_xes_event_without_a_readable_timestamp(tmp_path: Path) -> None:
    path = write(tmp_path, "d.xes", (
        '<log xmlns="http://www.xes-standard.org/"><trace>'
        '<string key="concept:name" value="1"/>'
        '<event><string key="concept:name" value="A"/>'
        '<date key="time:timestamp" value="2024-01-01T10:00:00Z"/></event>'
        '<event><string key="concept:name" value="B"/>'
        '<date key="time:timestamp" value="garbage"/></event>'
        '<event><string key="concept:name" value="C"/>'
        '<date key="time:timestamp" value="2024-01-01T11:00:00Z"/></event>'
        '</trace></log>'))
    # a <date> that is not a date is an error naming the event, as in CSV (pm4py drops it)
    assert "column 'time:timestamp', event 2: cannot read timestamp 'garbage'" in error_of(path)


def test_cost_that_is_not_a_number(tmp_path: Path) -> None:
    path = write(tmp_path, "c.csv", "case_id,activity,end_time,FixedCost\n"
                 "1,A,2024-01-01T10:00Z,2.5\n1,B,2024-01-01T11:00Z,ten\n")
    assert error_of(path) == (f"{path}: column 'FixedCost', row 2 (line 3): 'ten' is not a"
                              " number; fix: correct the value or remove the column")
